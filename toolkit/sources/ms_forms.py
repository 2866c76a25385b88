"""Microsoft Forms exports: the XLSX from "Open in Excel" (or that sheet saved as CSV).

One header row: ``ID``, ``Start time``, ``Completion time``, ``Email``, ``Name`` (newer
forms add ``Last modified time``), then one column per question named by its text.
Anonymous forms write ``anonymous`` as the e-mail. A multi-select answer's choices
are joined by ";" with one after the last ("Milk;Fresh fruit;").
"""

from __future__ import annotations

from toolkit.sources.spreadsheet import read_grid
from toolkit.sources.survey import SurveyTable, grid_head, survey_of, wrong_format

__all__ = ["read_ms_forms"]

_EXPECTED = '"ID", "Start time", "Completion time" as the first columns of row 1'


def read_ms_forms(
    path, *, sheet=None, encoding=None, delimiter=None, date_order=None
) -> SurveyTable:
    """Read a Microsoft Forms export (see the module's docstring).

    Raises
    ------
    DataValidationError
        The file is not a Microsoft Forms export.
    """
    grid = read_grid(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    head = grid_head(grid)
    first = [c.lower() for c in head[0]] if head else []
    if first[:3] != ["id", "start time", "completion time"]:
        raise wrong_format(grid.file, head, grid.format, tried="ms-forms", expected=_EXPECTED)
    survey = survey_of(grid, "ms-forms", head[0])
    frame = survey.frame
    lowered = {c.lower(): c for c in frame.columns}
    if "email" in lowered:
        email = lowered["email"]
        frame[email] = frame[email].where(frame[email].str.lower() != "anonymous", "")
    survey.defaults = {"source_id": frame.columns[0], "submitted": lowered["completion time"]}
    survey.joins = ";"
    survey.personal = {lowered[c] for c in ("email", "name") if c in lowered}
    for column in frame.columns:
        cells = frame[column]
        filled = cells[cells.ne("")]
        if len(filled) and filled.str.endswith(";").all():
            survey.joined[column] = ";"
    return survey
