"""Microsoft Forms exports: the XLSX with ID, Start time, Completion time, Email, Name."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd

from toolkit.schema.tables import TABLES
from toolkit.sources.ms_forms import read_ms_forms
from toolkit.store import Engagement

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
XLSX = EXPORTS / "ms-forms.xlsx"
CSAT = "How satisfied are you with our service overall?"
NPS = "How likely is it that you would recommend us to a friend or colleague?"
NEEDS = "What do you need most? (Select all that apply)"


def test_columns_ids_and_personal_data():
    survey = read_ms_forms(XLSX)
    assert survey.defaults == {"source_id": "ID", "submitted": "Completion time"}
    assert survey.personal == {"Email", "Name"}
    assert survey.frame["Email"].tolist()[:2] == ["ana@example.org", ""]  # "anonymous" is blank
    assert survey.frame["Completion time"].iloc[1] == "2024-03-07 14:30:05"  # a real date cell
    assert survey.joined == {NEEDS: ";"}


def test_import_responses_and_needs(engagement):
    result = engagement.import_file(
        XLSX,
        table="responses",
        metrics={"csat": CSAT, "nps": NPS},
        columns={"segment": "Which of these describes you?"},
    )
    assert result.source_format == "ms-forms" and result.rows_added == 10
    assert {"Email", "Name"} <= set(result.personal)
    assert sorted(engagement.responses["source_id"].unique()) == ["1", "2", "3", "4", "5"]
    means = engagement.responses.groupby("metric")["score"].mean()
    assert means["csat"] == (5 + 4 + 2 + 3 + 1) / 5 and means["nps"] == (10 + 8 + 3 + 6 + 0) / 5
    engagement.import_file(XLSX, table="stated-needs", columns={"need": NEEDS})
    needs = engagement.stated_needs.groupby("source_id")["need"].apply(list).to_dict()
    assert needs["1"] == ["Milk", "Fresh produce"] and needs["2"] == [
        "Milk",
        "Diapers, wipes and formula",
    ]


def test_the_sheet_saved_as_csv_gives_the_same_table(engagement, tmp_path):
    book = openpyxl.load_workbook(XLSX)
    path = tmp_path / "forms.csv"
    from toolkit.sources.spreadsheet import _cell_text

    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh).writerows(
            [_cell_text(c) for c in row] for row in book.active.iter_rows(values_only=True)
        )
    other = Engagement.init(tmp_path / "csv")
    for eng, file in ((engagement, XLSX), (other, path)):
        eng.import_file(file, table="responses", metrics={"csat": CSAT, "nps": NPS})
    fields = list(TABLES["responses"].field_names)
    pd.testing.assert_frame_equal(engagement.responses[fields], other.responses[fields])
