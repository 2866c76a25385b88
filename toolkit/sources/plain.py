"""A plain CSV or XLSX (a spreadsheet someone kept) read as a survey export.

Used when a map or ``--column``/``--metric`` flags say what the columns mean: the file is
read as :func:`~toolkit.sources.spreadsheet.read_spreadsheet` reads templates (encodings,
delimiters, title rows above the header, trailing empty rows and columns), and its
columns are named by their headers.
"""

from __future__ import annotations

from toolkit.schema.checks import strip_cells
from toolkit.sources.spreadsheet import read_spreadsheet
from toolkit.sources.survey import SurveyTable

__all__ = ["read_plain"]


def read_plain(path, *, sheet=None, encoding=None, delimiter=None, date_order=None) -> SurveyTable:
    """Read a plain spreadsheet as a survey with no tool-specific columns.

    Raises
    ------
    DataValidationError
        The file cannot be read as CSV or XLSX.
    """
    raw = read_spreadsheet(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    frame = raw.frame.apply(strip_cells)
    return SurveyTable(
        frame=frame,
        rows=raw.rows,
        header_row=raw.header_row,
        file=raw.file,
        format=raw.format,
        questions={c: c for c in frame.columns},
        details=dict(raw.details),
    )
