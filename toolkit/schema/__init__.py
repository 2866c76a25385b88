"""The canonical data: the tables, their fields and vocabularies.

:mod:`toolkit.schema.tables`
    The canonical tables (:data:`TABLES`), their fields and vocabularies, header
    normalising.
:mod:`toolkit.schema.personal`
    Which attribute columns identify people (direct or quasi-identifiers) and why: by
    their header's wording and by what their values look like.
:mod:`toolkit.schema.segments`
    The segment crosswalk (:class:`Crosswalk`): which customer group each label rows
    carry counts in, and the canonical segments an unmapped label looks like.
:mod:`toolkit.schema.metrics`
    The satisfaction metrics registry (:data:`METRICS`, :func:`register_metric`): each
    metric's scale, direction, title and words.
"""

from toolkit.schema import metrics, personal, tables
from toolkit.schema.metrics import *  # noqa: F403 - the names metrics.__all__ lists
from toolkit.schema.personal import *  # noqa: F403 - the names personal.__all__ lists
from toolkit.schema.tables import *  # noqa: F403 - the names tables.__all__ lists

__all__ = [
    *tables.__all__,
    *(name for name in metrics.__all__ if name not in tables.__all__),
    *personal.__all__,
]
