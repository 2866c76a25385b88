"""The canonical data: seven tables, their fields and vocabularies.

:mod:`toolkit.schema.tables`
    The seven tables (:data:`TABLES`), their fields, the metrics and their default
    scales, header normalising and the personal-column rule.
"""

from toolkit.schema.tables import (
    DEFAULT_SCALES,
    METRICS,
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
    "table_named",
    "normalise_header",
    "looks_personal",
]
