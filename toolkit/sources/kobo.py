"""KoboToolbox and ODK exports, CSV or XLSX, with XML values or labels.

KoboToolbox writes one header row: the form's fields (``group/question`` when groups are
included in headers; labels instead of names in a labels export), then ``_id``, ``_uuid``,
``_submission_time``, ``_validation_status``, ``_submitted_by``, ``_index`` and others.
Its CSV is separated by ";" unless chosen otherwise. A select-multiple question is one
cell of space-separated choice names (``milk fresh_food``), and, when exported "as separate
columns", also one 0/1 column per choice (``needs/milk``). ODK Central writes
``SubmissionDate``, ``meta-instanceID``, ``KEY`` and ``ReviewState``, with "-" between groups.

Records rejected in review are excluded and counted: a KoboToolbox validation status
of "Not approved" (``validation_status_not_approved``) or an ODK Central review state
of ``rejected``.
"""

from __future__ import annotations

import numpy as np

from toolkit.sources.spreadsheet import read_grid
from toolkit.sources.survey import Member, SurveyTable, grid_head, survey_of, wrong_format

__all__ = ["read_kobo"]

_PERSONAL = {
    "_submitted_by",
    "deviceid",
    "phonenumber",
    "username",
    "simserial",
    "subscriberid",
    "_geolocation",
    "email",
}
_REJECTED_PATTERN = r"(?:^|\W|_)(?:not[ _]approved|rejected)(?:$|\W|_)"
_EXPECTED = (
    "a KoboToolbox export with _uuid or _submission_time in row 1, or an ODK Central export "
    "with SubmissionDate and meta-instanceID or KEY"
)


def read_kobo(path, *, sheet=None, encoding=None, delimiter=None, date_order=None) -> SurveyTable:
    """Read a KoboToolbox or ODK Central export (see the module's docstring).

    Raises
    ------
    DataValidationError
        The file is not a KoboToolbox or ODK export.
    """
    grid = read_grid(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    head = grid_head(grid)
    first = head[0] if head else []
    lowered = {c.lower() for c in first}
    kobo = bool({"_uuid", "_submission_time"} & lowered)
    central = "submissiondate" in lowered and bool(
        {"meta-instanceid", "key", "instanceid"} & lowered
    )
    if not (kobo or central):
        raise wrong_format(grid.file, head, grid.format, tried="kobo", expected=_EXPECTED)
    layout = "ODK Central" if central and not kobo else "KoboToolbox"
    survey = survey_of(grid, "kobo", first, layout=layout)
    frame = survey.frame
    by_lower = {c.lower(): c for c in frame.columns}
    for key, names in (
        ("source_id", ("_uuid", "meta/instanceid", "meta-instanceid", "key", "instanceid")),
        ("submitted", ("_submission_time", "submissiondate", "end")),
    ):
        found = next((by_lower[n] for n in names if n in by_lower), None)
        if found:
            survey.defaults[key] = found
    for name in ("_validation_status", "reviewstate"):
        if name in by_lower:
            status = frame[by_lower[name]].str.strip().str.lower()
            # Plain exports write the status's name or label; some write the whole record.
            rejected = status.str.contains(_REJECTED_PATTERN).to_numpy()
            if rejected.any():
                survey.excluded["records rejected in review (not approved)"] = rejected
    survey.personal = {
        c for c in frame.columns if c.lower().rsplit("/", 1)[-1].rsplit("-", 1)[-1] in _PERSONAL
    }
    _select_multiple(survey)
    return survey


def _select_multiple(survey: SurveyTable) -> None:
    """Find select-multiple questions: a summary column with q/choice 0/1 columns after it.

    A summary column without 0/1 columns holds space-separated choice names; it is split
    on spaces when its cells look like choice names (see ``looks_joined``).
    """
    frame = survey.frame
    columns = list(frame.columns)
    for column in columns:
        prefix = column + "/"
        options = [c for c in columns if c.startswith(prefix) and "/" not in c[len(prefix) :]]
        if not options:
            continue
        values = set(np.unique(np.concatenate([frame[c].str.lower().unique() for c in options])))
        if values <= {"", "0", "1", "0.0", "1.0", "true", "false"}:
            survey.groups[column] = [Member(c, c[len(prefix) :], "flag") for c in options]
    for column in columns:
        if column in survey.groups or column.startswith("_"):
            continue
        cells = frame[column]
        filled = cells[cells.ne("")]
        if len(filled) and filled.str.fullmatch(r"[A-Za-z0-9_.\-]+( [A-Za-z0-9_.\-]+)*").all():
            if (
                filled.str.contains(" ", regex=False).any()
                and not filled.str.fullmatch(r"[\d.\- ]+").all()
            ):
                survey.joined[column] = " "
