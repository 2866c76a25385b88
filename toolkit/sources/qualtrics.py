"""Qualtrics CSV and XLSX exports: three header rows, or the legacy V1..Vn exporter.

The current exporter writes three header rows: column ids (``StartDate``, ``ResponseId``,
``Q1``, ``Q2_1``…), the question text, and a JSON row (``{"ImportId":"QID1"}``). The
legacy exporter writes two: ``V1``…``V10`` then ``Q1``… with the names (``ResponseID``,
``Status``…) and question texts in row 2. Answers are choice text or numeric values,
whichever the export chose.

Rows Qualtrics marks as not real responses are excluded and counted: survey previews,
test responses and spam (``Status``, or ``DistributionChannel`` preview/test), and
unfinished responses (``Finished`` False or 0).
"""

from __future__ import annotations

import json
import re

import numpy as np

from toolkit.sources.spreadsheet import read_grid
from toolkit.sources.survey import (
    Member,
    SurveyTable,
    grid_head,
    survey_of,
    unique_names,
    wrong_format,
)

__all__ = ["read_qualtrics"]

_LEGACY = {
    "V1": "ResponseID",
    "V2": "ResponseSet",
    "V3": "Name",
    "V4": "ExternalDataReference",
    "V5": "EmailAddress",
    "V6": "IPAddress",
    "V7": "Status",
    "V8": "StartDate",
    "V9": "EndDate",
    "V10": "Finished",
}
#: Status values (text and numeric export) that are not real responses, and why.
_STATUS = {
    "survey preview": "Qualtrics survey previews",
    "1": "Qualtrics survey previews",
    "offline survey preview": "Qualtrics survey previews",
    "17": "Qualtrics survey previews",
    "survey test": "Qualtrics test responses",
    "2": "Qualtrics test responses",
    "spam": "responses Qualtrics marked as spam",
    "8": "responses Qualtrics marked as spam",
    "survey preview spam": "responses Qualtrics marked as spam",
    "9": "responses Qualtrics marked as spam",
}
_PERSONAL = {
    "IPAddress",
    "LocationLatitude",
    "LocationLongitude",
    "RecipientLastName",
    "RecipientFirstName",
    "RecipientEmail",
    "EmailAddress",
    "Name",
}
_EXPECTED = (
    "a Qualtrics export: row 1 of column ids with ResponseId (then question texts in row 2 and "
    '{"ImportId": …} in row 3), or the legacy exporter\'s V1, V2, … with ResponseID in row 2'
)


def read_qualtrics(
    path, *, sheet=None, encoding=None, delimiter=None, date_order=None
) -> SurveyTable:
    """Read a Qualtrics export (see the module's docstring).

    Returns
    -------
    SurveyTable
        Columns named by Qualtrics' column ids (``Q1``, ``Q2_3``; legacy ``V`` columns
        by their names), each with its question text; previews, tests, spam and
        unfinished responses marked for exclusion.

    Raises
    ------
    DataValidationError
        The file is not a Qualtrics export: the message says what was expected and
        what the first rows hold.
    """
    grid = read_grid(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    head = grid_head(grid)
    ids = head[0] if head else []
    second = head[1] if len(head) > 1 else []
    third = head[2] if len(head) > 2 else []
    legacy = ids[:2] == ["V1", "V2"] and "ResponseID" in second
    lowered = {c.lower() for c in ids}
    if not legacy and "responseid" not in lowered:
        raise wrong_format(grid.file, head, grid.format, tried="qualtrics", expected=_EXPECTED)
    if legacy:
        columns = [_LEGACY.get(c, c) if c in _LEGACY else c for c in ids]
        questions = dict(zip(columns, second, strict=False))
        header_rows = 2
        timezone = None
    else:
        columns = list(ids)
        questions = {c: _clean_question(q) for c, q in zip(columns, second, strict=False)}
        has_json = any(c.startswith("{") and "ImportId" in c for c in third)
        header_rows = 3 if has_json else 2
        timezone = _timezone(third) if has_json else None
    layout = "legacy V1..Vn" if legacy else f"{header_rows} header rows"
    survey = survey_of(
        grid, "qualtrics", columns, header_rows=header_rows, questions=questions, layout=layout
    )
    frame = survey.frame
    if timezone:
        survey.details["timezone"] = timezone
    _exclusions(survey)
    for key, names in (
        ("source_id", ("ResponseId", "ResponseID")),
        ("submitted", ("RecordedDate", "EndDate")),
    ):
        found = next((n for n in names if n in frame), None)
        if found:
            survey.defaults[key] = found
    survey.personal = {c for c in frame.columns if c in _PERSONAL}
    _groups(survey)
    _joined(survey, second if not legacy else [], unique_names(columns))
    survey.joins = ","
    return survey


def _joined(survey: SurveyTable, texts: list[str], columns: list[str]) -> None:
    """Multi-select answers in one cell, joined by ",", with the "Other" text beside them.

    Qualtrics marks a question that has a text entry with "- Selected Choice"; its typed
    text is in ``<id>_<n>_TEXT``, whose question ends "- <choice> - Text".
    """
    for column, text in zip(columns, texts, strict=False):
        if column in survey.frame and text.strip().endswith("- Selected Choice"):
            survey.joined[column] = ","
    for column in survey.frame.columns:
        match = re.fullmatch(r"(.+?)_(\d+)_TEXT", column)
        if match and match.group(1) in survey.frame:
            question = survey.questions.get(column, "")
            option = re.sub(r"\s+-\s+Text$", "", question).rpartition(" - ")[2].strip()
            # Choice text exports write the choice ("Other"), numeric ones its number.
            survey.other_text[match.group(1)] = ((option or "Other", match.group(2)), column)


def _clean_question(text: str) -> str:
    """Drop what Qualtrics appends to a question with a text entry ("- Selected Choice")."""
    return re.sub(r"\s+-\s+Selected Choice$", "", text.strip())


def _timezone(third: list[str]) -> str | None:
    for cell in third:
        try:
            zone = json.loads(cell).get("timeZone")
        except (ValueError, AttributeError):
            continue
        if zone:
            return zone
    return None


def _exclusions(survey: SurveyTable) -> None:
    frame = survey.frame
    if "Status" in frame:
        status = frame["Status"].str.strip().str.lower()
        for reason in dict.fromkeys(_STATUS.values()):
            values = [k for k, v in _STATUS.items() if v == reason]
            survey.excluded.setdefault(reason, np.zeros(len(frame), dtype=bool))
            survey.excluded[reason] |= status.isin(values).to_numpy()
    if "DistributionChannel" in frame:
        channel = frame["DistributionChannel"].str.strip().str.lower()
        for value, reason in (
            ("preview", "Qualtrics survey previews"),
            ("test", "Qualtrics test responses"),
        ):
            survey.excluded.setdefault(reason, np.zeros(len(frame), dtype=bool))
            survey.excluded[reason] |= channel.eq(value).to_numpy()
    if "Finished" in frame:
        finished = frame["Finished"].str.strip().str.lower()
        survey.excluded["unfinished responses (Finished is False)"] = finished.isin(
            ["false", "0"]
        ).to_numpy()
    survey.excluded = {k: v for k, v in survey.excluded.items() if v.any()}


def _groups(survey: SurveyTable) -> None:
    """Multi-select questions exported one column per choice (Q5_1, Q5_2, Q5_4_TEXT).

    A matrix question has the same column ids, but its cells hold scale answers; a
    multi-select's cells hold only its own choice (choice text) or 1 (numeric).
    """
    frame = survey.frame
    stems: dict[str, list[str]] = {}
    for column in frame.columns:
        match = re.fullmatch(r"(.+?)_(\d+)(_TEXT)?", column)
        if match:
            stems.setdefault(match.group(1), []).append(column)
    for stem, columns in stems.items():
        members = []
        for column in columns:
            question = re.sub(r"\s+-\s+Text$", "", survey.questions.get(column, ""))
            option = question.rpartition(" - ")[2].strip()
            values = set(frame[column].unique()) - {""}
            if column.endswith("_TEXT"):
                members.append(Member(column, option, "text"))
            elif values <= {"1"}:
                members.append(Member(column, option, "flag"))
            elif values <= {option} and option:
                members.append(Member(column, option, "text"))
            else:
                members = []
                break
        if len([m for m in members if m.kind != "text" or not m.column.endswith("_TEXT")]) >= 2:
            name = stem if stem not in frame else f"{stem} (choices)"
            survey.groups[name] = members
            question = survey.questions.get(columns[0], "").rpartition(" - ")[0]
            survey.questions[name] = re.sub(r"\s+-\s+Selected Choice$", "", question) or name
