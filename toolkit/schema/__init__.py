"""The canonical data: seven tables, their fields and vocabularies.

:mod:`toolkit.schema.tables`
    The seven tables (:data:`TABLES`), their fields and vocabularies, header
    normalising and the personal-column rule.
:mod:`toolkit.schema.metrics`
    The satisfaction metrics registry (:data:`METRICS`, :func:`register_metric`): each
    metric's scale, direction, title and words.
"""

from toolkit.schema.metrics import (
    DEFAULT_SCALES,
    METRIC_TITLES,
    METRIC_WORDS,
    METRICS,
    Metric,
    metric_named,
    register_metric,
    unregister_metric,
)
from toolkit.schema.tables import (
    TABLE_NAMES,
    TABLES,
    Field,
    Table,
    looks_personal,
    normalise_header,
    table_named,
)

__all__ = [
    "Field",
    "Table",
    "TABLES",
    "TABLE_NAMES",
    "METRICS",
    "DEFAULT_SCALES",
    "METRIC_TITLES",
    "METRIC_WORDS",
    "Metric",
    "metric_named",
    "register_metric",
    "unregister_metric",
    "table_named",
    "normalise_header",
    "looks_personal",
]
