"""The registry tells an export's questions apart, for the wizard and ``import`` alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.sources import reader
from toolkit.sources.registry import (
    derived_column,
    guess_metrics,
    guess_need,
    question_labels,
    survey_questions,
)

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def _questions(tool: str, name: str):
    survey = reader(tool)(EXPORTS / name)
    return survey, survey_questions(survey)


@pytest.mark.parametrize(
    ("tool", "name", "value", "columns"),
    [
        ("qualtrics", "qualtrics-nps.csv", "Q4", ("Q4_1", "Q4_2", "Q4_3", "Q4_4", "Q4_4_TEXT")),
        ("qualtrics", "qualtrics-choice-text.csv", "Q5", ("Q5",)),  # "Milk,Fresh produce"
        ("qualtrics", "qualtrics-numeric.csv", "Q5", ("Q5",)),  # "1,2": not the number 1.2
        (
            "google-forms",
            "google-forms-sheet.csv",
            "What do you need most? (Select all that apply)",
            None,
        ),
        ("kobo", "kobo-codes-only.csv", "needs", ("needs",)),  # "milk fresh_produce"
        ("kobo", "kobo-values.csv", "needs", ("needs/milk", "needs/fresh_produce", "needs/rent")),
        ("surveymonkey", "surveymonkey-select-all.csv", None, None),
    ],
)
def test_a_multi_select_is_one_question_whatever_the_tool(tool, name, value, columns):
    survey, questions = _questions(tool, name)
    multi = [q for q in questions if q.kind == "multi"]
    assert len(multi) == 1
    if value is not None:
        assert multi[0].value == value
    if columns is not None:
        assert multi[0].columns == columns
    assert guess_need(questions) == multi[0].value
    member_columns = {m.column for ms in survey.groups.values() for m in ms} - set(survey.groups)
    assert not member_columns & {q.value for q in questions}  # choices are not offered alone
    assert not multi[0].scores  # never a metric


def test_a_label_of_several_words_is_not_a_space_list():
    """Kobo's labels export: "Partner agencies" and "Very satisfied" are one answer each."""
    _, questions = _questions("kobo", "kobo-labels.xlsx")
    kinds = {q.question: q.kind for q in questions}
    assert kinds["About you/Which of these describes you?"] == "single"
    assert kinds["Your visit/How satisfied are you with our service overall?"] == "single"
    assert set(guess_metrics(questions)) == {"csat", "nps"}


def test_derived_and_label_columns_are_never_proposed_for_a_metric():
    _, questions = _questions("qualtrics", "qualtrics-nps.csv")
    by = {q.value: q for q in questions}
    assert by["Q2_NPS_GROUP"].kind == "derived" and not by["Q2_NPS_GROUP"].scores
    assert by["Q2"].scores and by["Q2"].kind == "single"
    assert guess_metrics(questions) == {"csat": "Q1", "nps": "Q2"}
    # The old rule, by question text alone, took the group that comes first.
    assert guess_metrics({q.value: q.text for q in questions})["nps"] == "Q2_NPS_GROUP"
    assert derived_column("Q5_4_TEXT") and derived_column("Group")
    assert derived_column("visit/satisfaction_label") and derived_column("Age group")
    assert not derived_column("Q2", "How likely are you to recommend us?")
    assert not derived_column("Which group are you in?")


@pytest.mark.parametrize(
    ("tool", "name"),
    [
        ("surveymonkey", "surveymonkey-select-all.csv"),
        ("surveymonkey", "surveymonkey.csv"),
        ("qualtrics", "qualtrics-choice-text.csv"),
        ("qualtrics", "qualtrics-nps.csv"),
        ("kobo", "kobo-values.csv"),
        ("google-forms", "google-forms-sheet.csv"),
        ("ms-forms", "ms-forms.xlsx"),
    ],
)
def test_labels_are_unique_informative_and_never_cut_to_the_same_text(tool, name):
    _, questions = _questions(tool, name)
    labels = question_labels(questions)
    assert len(set(labels)) == len(labels)
    for q, label in zip(questions, labels, strict=True):
        assert len(label) <= 300
        if q.sub:
            assert q.sub in label  # the sub-question is never cut
        shown = [s for s in q.samples if s]
        assert label.count("“") == len(shown) <= 3
    # The long SurveyMonkey question keeps its start and its "(Select all that apply)".
    if name == "surveymonkey-select-all.csv":
        multi = next(lbl for q, lbl in zip(questions, labels, strict=True) if q.kind == "multi")
        assert multi.startswith("Which of the following") and "(Select all that apply)" in multi
        assert "Help finding work" in multi
