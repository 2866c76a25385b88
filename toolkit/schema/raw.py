"""A file's cells as text, with where each row sits in the spreadsheet.

:class:`RawTable` is what every reader (``toolkit.sources``) gives and what the row
checks (:mod:`toolkit.schema.checks`) and the store take: a file's cells, before any
meaning is given to its columns, with the spreadsheet row of each data row so that
every message can point at the row a person sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["RawTable"]


@dataclass
class RawTable:
    """A file's cells as text, with where each row sits in the spreadsheet.

    Attributes
    ----------
    frame : DataFrame
        One column per header cell (headers as written, trimmed), every cell a str.
    rows : ndarray
        The spreadsheet row number (1-based, header and title rows counted) of each
        row of ``frame``.
    header_row : int
        The spreadsheet row number of the header.
    file : str
        The file's name, for messages.
    format : str
        ``csv`` or ``xlsx``.
    details : dict
        How it was read (encoding, delimiter, sheet), for dry runs and the import record.
    trimmed : bool
        Every cell is trimmed already (spaces around cells taken off).
    """

    frame: pd.DataFrame
    rows: np.ndarray
    header_row: int
    file: str
    format: str
    details: dict = field(default_factory=dict)
    trimmed: bool = False

    def where(self, position: int) -> str:
        """Word the place of data row ``position`` (0-based) for a message."""
        row = int(self.rows[position])
        return f"row {row - self.header_row} (spreadsheet row {row})"
