"""Deterministic sample engagements (``service-toolkit demo``, ``init --demo``).

:mod:`toolkit.demo.build`
    Building a demo engagement: the neighbourhood nonprofit and the university system.
:mod:`toolkit.demo.neighbourhood`, :mod:`toolkit.demo.university`
    Each story; its literal data (phrases, staff plans, profiles, ...) lives in ``data/``.
:mod:`toolkit.demo.cache`
    The demo the report notebooks open when no folder is given.
"""

from toolkit._lazy import lazy_exports

_HOMES = {
    **{
        name: "toolkit.demo.build"
        for name in (
            "DEMOS",
            "SIZES",
            "LARGE_ROWS",
            "build_demo",
            "demo_settings",
            "init_demo",
            "is_demo",
            "rebuild_demo",
        )
    },
    "demo_cache_dir": "toolkit.demo.cache",
}
__all__ = list(_HOMES)
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
