"""Deterministic sample engagements (``service-toolkit demo``, ``init --demo``).

:mod:`toolkit.demo.build`
    Building a demo engagement: the neighbourhood nonprofit and the university system.
"""

from toolkit._lazy import lazy_exports

_HOMES = {
    name: "toolkit.demo.build"
    for name in ("DEMOS", "SIZES", "LARGE_ROWS", "build_demo", "demo_settings", "rebuild_demo")
}
__all__ = list(_HOMES)
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
