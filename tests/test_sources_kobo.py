"""KoboToolbox and ODK exports: XML values or labels, group/question headers, select-multiple."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.schema.tables import TABLES
from toolkit.sources.kobo import read_kobo
from toolkit.store import Engagement

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
VALUES = EXPORTS / "kobo-values.csv"
LABELS = EXPORTS / "kobo-labels.xlsx"
CODES_ONLY = EXPORTS / "kobo-codes-only.csv"
CENTRAL = EXPORTS / "odk-central.csv"
#: The form's choices: XML value → label (what a values export needs to read like labels).
VALUE_MAP = """
[values."about_you/segment"]
residents = "Residents"
students = "Students"
partner_agencies = "Partner agencies"

[values.needs]
milk = "Milk"
fresh_produce = "Fresh produce"
rent = "Help with rent"
"""


def canonical(engagement, table: str) -> pd.DataFrame:
    return engagement.table(table)[list(TABLES[table.replace("-", "_")].field_names)]


def test_values_export_is_read_with_its_select_multiple_columns():
    survey = read_kobo(VALUES)
    assert survey.details["delimiter"] == ";"
    assert [(m.option, m.kind) for m in survey.groups["needs"]] == [
        ("milk", "flag"),
        ("fresh_produce", "flag"),
        ("rent", "flag"),
    ]
    assert survey.defaults == {"source_id": "_uuid", "submitted": "_submission_time"}
    assert int(survey.excluded["records rejected in review (not approved)"].sum()) == 1
    assert "_submitted_by" in survey.personal


def test_values_and_labels_exports_give_identical_tables(engagement, tmp_path):
    other = Engagement.init(tmp_path / "labels")
    values_map = tmp_path / "values.toml"
    values_map.write_text(
        '[columns]\nsegment = "about_you/segment"\nneed = "needs"\n' + VALUE_MAP, encoding="utf-8"
    )
    engagement.import_file(
        VALUES,
        table="responses",
        map=values_map,
        metrics={"csat": "visit/satisfaction", "nps": "visit/recommend"},
    )
    result = other.import_file(
        LABELS,
        table="responses",
        columns={"segment": "About you/Which of these describes you?"},
        metrics={
            "csat": "Your visit/How satisfied are you with our service overall?",
            "nps": "Your visit/How likely is it that you would recommend us to a friend or colleague?",
        },
    )
    assert result.excluded == {"records rejected in review (not approved)": 1}
    assert result.rows_added == 10
    pd.testing.assert_frame_equal(canonical(engagement, "responses"), canonical(other, "responses"))
    engagement.import_file(VALUES, table="stated-needs", map=values_map)
    other.import_file(
        LABELS,
        table="stated-needs",
        columns={
            "need": "What do you need most?",
            "segment": "About you/Which of these describes you?",
        },
    )
    pd.testing.assert_frame_equal(
        canonical(engagement, "stated-needs"), canonical(other, "stated-needs")
    )
    needs = other.stated_needs.groupby("source_id")["need"].apply(list)
    assert needs.iloc[0] == ["Milk", "Fresh produce"]


def test_codes_only_export_splits_on_spaces(engagement, tmp_path):
    survey = read_kobo(CODES_ONLY)
    assert survey.joined == {"needs": " "} and not survey.groups
    engagement.import_file(CODES_ONLY, table="stated-needs", columns={"need": "needs"})
    assert engagement.stated_needs["need"].tolist() == [
        "milk",
        "fresh_produce",
        "milk",
        "rent",
        "fresh_produce",
        "rent",
    ]


def test_xml_values_recode_on_the_standard_scale(engagement):
    engagement.import_file(VALUES, table="responses", metrics={"csat": "visit/satisfaction"})
    assert engagement.responses["score"].tolist() == [5, 4, 2, 3, 1]  # very_satisfied → 5


def test_odk_central_review_state(engagement):
    result = engagement.import_file(
        CENTRAL, table="responses", metrics={"csat": "visit-satisfaction", "nps": "visit-recommend"}
    )
    assert result.source_format == "kobo"
    assert result.excluded == {"records rejected in review (not approved)": 1}
    assert result.rows_added == 10
    assert engagement.responses["source_id"].str.startswith("uuid:").all()
    # SubmissionDate is UTC ("Z"): kept as written.
    assert engagement.responses["submitted_on"].iloc[0] == pd.Timestamp("2024-03-07 09:15:02")
