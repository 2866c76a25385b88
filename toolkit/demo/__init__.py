"""Deterministic sample engagements (``service-toolkit demo``, ``init --demo``).

:mod:`toolkit.demo.build`
    Building a demo engagement: the neighbourhood nonprofit and the university system.
:mod:`toolkit.demo.neighbourhood`, :mod:`toolkit.demo.university`
    Each story; its literal data (phrases, staff plans, profiles, ...) lives in ``data/``.
:mod:`toolkit.demo.cache`
    The demo the report notebooks open when no folder is given.
"""

from toolkit.demo import build, cache
from toolkit.demo.build import *  # noqa: F403 - the names build.__all__ lists
from toolkit.demo.cache import *  # noqa: F403 - the names cache.__all__ lists

__all__ = [*build.__all__, *cache.__all__]
