"""Google Forms exports: the linked sheet's download and the form's own CSV download.

Both have one header row: ``Timestamp``, ``Email Address`` (or ``Email address``) when the
form collects e-mails, ``Score`` for a quiz, then one column per question named by its
text. The sheet download writes timestamps in the sheet's locale (``3/7/2024 14:30:05``);
the form's download writes ``2024/03/07 2:30:05 PM GMT+1``, which is read as the wall
time written, so both downloads give the same times. A checkbox question's choices are
joined in one cell (", " in the sheet, ";" in some downloads); an "Other" answer comes
last and may itself contain a comma, so it is kept whole.

Google Forms gives responses no id: the source id is made from the timestamp and the
e-mail address (when collected), hashed so that no e-mail is copied into it.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from toolkit.sources.spreadsheet import read_grid
from toolkit.sources.survey import SurveyTable, grid_head, survey_of, wrong_format

__all__ = ["read_google_forms", "SOURCE_ID"]

SOURCE_ID = "Response id (made from Timestamp and Email)"
_DIRECT = re.compile(
    r"^(\d{4})/(\d{1,2})/(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s*([AaPp][Mm])?(\s+\S+)?$"
)
_EXPECTED = (
    '"Timestamp" as the first column of row 1 (as Google Forms and its linked sheet write it)'
)


def read_google_forms(
    path, *, sheet=None, encoding=None, delimiter=None, date_order=None
) -> SurveyTable:
    """Read a Google Forms export (see the module's docstring).

    Raises
    ------
    DataValidationError
        The file is not a Google Forms export.
    """
    from toolkit.sources.detect import _TIMESTAMP

    grid = read_grid(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    head = grid_head(grid)
    if not head or not head[0] or head[0][0].lower() not in _TIMESTAMP:
        raise wrong_format(grid.file, head, grid.format, tried="google-forms", expected=_EXPECTED)
    survey = survey_of(grid, "google-forms", head[0])
    frame = survey.frame
    stamp = frame.columns[0]
    frame[stamp] = _timestamps(frame[stamp].map(_wall_time), date_order)
    email = next((c for c in frame.columns if c.lower() in ("email address", "email")), None)
    key = frame[stamp] + ("|" + frame[email].str.lower() if email else "")
    ids = [("gf-" + hashlib.sha1(k.encode()).hexdigest()[:16]) if k.strip("|") else "" for k in key]
    frame.insert(0, SOURCE_ID, np.array(ids, dtype=object))
    survey.questions = {SOURCE_ID: SOURCE_ID, **survey.questions}
    survey.defaults = {"source_id": SOURCE_ID, "submitted": stamp}
    survey.joins = "auto"
    if email:
        survey.personal = {email}
    return survey


def _timestamps(text, date_order):
    """Write timestamps year-month-day, so both downloads give the same times and ids.

    A column whose dates could be day-first or month-first is left as written (the
    import then asks for --date-order, and the ids are made from that).
    """
    from toolkit.schema.checks import parse_dates

    values, bad, used = parse_dates(text, order=date_order, keep_time=True)
    if used == "ambiguous" or bad.any():
        return text
    return values.fillna("").astype(str)


def _wall_time(text: str) -> str:
    """'2024/03/07 2:30:05 PM GMT+1' → '2024-03-07 14:30:05'; other stamps unchanged."""
    match = _DIRECT.match(text.strip())
    if not match:
        return text
    year, month, day, hour, minute, second, half, _ = match.groups()
    hour = int(hour)
    if half:
        hour = hour % 12 + (12 if half.lower() == "pm" else 0)
    return f"{year}-{int(month):02d}-{int(day):02d} {hour:02d}:{minute}:{second}"
