"""SurveyMonkey CSV and XLSX exports: two header rows, one column per multi-select choice.

Row 1 holds ``Respondent ID``, ``Collector ID``, ``Start Date``, ``End Date``, ``IP Address``,
``Email Address``, ``First Name``, ``Last Name``, custom data, then each question's text
above its first column (the cells above its other columns are blank). Row 2 holds
``Response`` or ``Open-Ended Response`` under single-column questions, and each choice
(or matrix row) under the columns of the others. In a multi-select column a chosen
choice's cell holds the choice's text; the "Other (please specify)" column holds
what was typed.
"""

from __future__ import annotations

from toolkit.sources.spreadsheet import read_grid
from toolkit.sources.survey import (
    Member,
    SurveyTable,
    grid_head,
    survey_of,
    unique_names,
    wrong_format,
)

__all__ = ["read_surveymonkey"]

_SINGLE = {"response", "open-ended response", ""}
_PERSONAL = {"ip address", "email address", "first name", "last name"}
_EXPECTED = 'a SurveyMonkey export: "Respondent ID" in row 1 and "Response" or the choices in row 2'


def read_surveymonkey(
    path, *, sheet=None, encoding=None, delimiter=None, date_order=None
) -> SurveyTable:
    """Read a SurveyMonkey export (see the module's docstring).

    Returns
    -------
    SurveyTable
        A single-column question is named by its text; the columns of a multi-column
        question by ``question / choice``. Multi-select questions are groups named by
        their question text.

    Raises
    ------
    DataValidationError
        The file is not a SurveyMonkey export.
    """
    grid = read_grid(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    head = grid_head(grid)
    first = head[0] if head else []
    second = head[1] if len(head) > 1 else []
    if "respondent id" not in {c.lower() for c in first} or len(head) < 2:
        raise wrong_format(grid.file, head, grid.format, tried="surveymonkey", expected=_EXPECTED)
    second = second + [""] * (len(first) - len(second))
    # Each question's columns: from its text in row 1 to the next text.
    spans: list[tuple[str, list[int]]] = []
    for i, text in enumerate(first):
        if text or not spans:
            spans.append((text, [i]))
        else:
            spans[-1][1].append(i)
    names = [""] * len(first)
    questions: dict[str, str] = {}
    for text, columns in spans:
        subs = [second[i] for i in columns]
        single = len(columns) == 1 and subs[0].lower() in _SINGLE
        for i, sub in zip(columns, subs, strict=True):
            # "Response" is the answer itself, beside a single choice's "Other" column.
            plain = single or sub.lower() in _SINGLE
            names[i] = text if plain else f"{text} / {sub}"
    survey = survey_of(grid, "surveymonkey", names, header_rows=2, questions={})
    frame = survey.frame
    names = unique_names(names)
    for text, columns in spans:
        kept = [names[i] for i in columns if names[i] in frame]
        for name in kept:
            questions[name] = name
        subs = [second[i] for i in columns if names[i] in frame]
        if len(kept) < 1 or all(s.lower() in _SINGLE for s in subs):
            continue
        members = []
        for name, sub in zip(kept, subs, strict=True):
            values = {v.lower() for v in frame[name].unique()} - {""}
            if sub.lower().startswith("other"):
                members.append(Member(name, sub, "text"))
            elif values <= {sub.lower()}:
                members.append(Member(name, sub, "text"))
            else:
                members = []  # a matrix: each row is its own single-answer question
                break
        if members and any(not m.option.lower().startswith("other") for m in members):
            survey.groups[text] = members
            questions[text] = text
    survey.questions = questions
    lowered = {c.lower(): c for c in frame.columns}
    for key, name in (("source_id", "respondent id"), ("submitted", "end date")):
        if name in lowered:
            survey.defaults[key] = lowered[name]
    survey.personal = {c for c in frame.columns if c.lower() in _PERSONAL}
    return survey
