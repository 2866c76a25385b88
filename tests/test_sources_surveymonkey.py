"""SurveyMonkey exports: two header rows, one column per choice, "Other (please specify)"."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from toolkit.errors import DataValidationError
from toolkit.schema.tables import TABLES
from toolkit.sources.surveymonkey import read_surveymonkey
from toolkit.store import Engagement

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
CSV = EXPORTS / "surveymonkey.csv"
XLSX = EXPORTS / "surveymonkey.xlsx"
CSAT = "How satisfied are you with our service overall?"
NPS = "How likely is it that you would recommend us to a friend or colleague?"
NEEDS = "What do you need most? (Select all that apply)"
MATRIX = "How satisfied were you with each of these?"


def canonical(engagement, table: str) -> pd.DataFrame:
    return engagement.table(table)[list(TABLES[table.replace("-", "_")].field_names)]


def test_two_header_rows_make_question_and_choice_columns():
    survey = read_surveymonkey(CSV)
    assert survey.header_row == 2 and int(survey.rows[0]) == 3
    assert CSAT in survey.frame and f"{MATRIX} / Front desk" in survey.frame
    assert [m.option for m in survey.groups[NEEDS]] == [
        "Milk",
        "Fresh produce",
        "Help with rent",
        "Other (please specify)",
    ]
    assert MATRIX not in survey.groups  # a matrix's cells are answers, not its rows' names
    assert survey.defaults == {"source_id": "Respondent ID", "submitted": "End Date"}
    assert survey.personal == {"IP Address", "Email Address", "First Name", "Last Name"}


def test_metrics_per_touchpoint_and_numbered_nps_labels(engagement, tmp_path):
    mapping = tmp_path / "sm.toml"
    mapping.write_text(
        f'table = "responses"\nsource = "surveymonkey"\n\n'
        f'[columns]\nsegment = "Which of these describes you?"\n\n'
        f'[[metrics]]\nmetric = "csat"\ncolumn = "{CSAT}"\n\n'
        f'[[metrics]]\nmetric = "nps"\ncolumn = "{NPS}"\n\n'
        f'[[metrics]]\nmetric = "csat"\ncolumn = "{MATRIX} / Front desk"\ntouchpoint = "Front desk"\n\n'
        f'[[metrics]]\nmetric = "csat"\ncolumn = "{MATRIX} / Food bank"\ntouchpoint = "Food bank"\n',
        encoding="utf-8",
    )
    result = engagement.import_file(CSV, map=mapping)
    assert result.rows_added == 20 and result.file_rows == 5
    table = engagement.responses
    first = table[table["source_id"] == "11385638160"].set_index("response_id")
    overall = "11385638160-csat-how-satisfied-are-you-with-our-service-o"
    assert first["score"].to_dict() == {
        overall: 5,
        "11385638160-nps": 10,
        "11385638160-csat-front-desk": 5,
        "11385638160-csat-food-bank": 4,
    }
    assert first.loc["11385638160-nps", "score"] == 10  # "10 - Extremely likely"
    assert table.loc[table["source_id"] == "11385638164"].query("metric == 'nps'")[
        "score"
    ].tolist() == [0]  # "0 - Not at all likely"
    touch = table.dropna(subset=["touchpoint"]).groupby("touchpoint")["score"].mean()
    assert touch.to_dict() == pytest.approx({"Front desk": 15 / 5, "Food bank": 14 / 5})
    # 12-hour clock with PM read right, month first (03/14/2024 tells).
    assert pd.Timestamp("2024-03-07 14:30:05") in set(table["submitted_on"])


def test_csv_and_xlsx_of_the_same_data_give_identical_tables(engagement, tmp_path):
    other = Engagement.init(tmp_path / "xlsx")
    for eng, path in ((engagement, CSV), (other, XLSX)):
        eng.import_file(
            path,
            table="responses",
            metrics={"csat": CSAT, "nps": NPS},
            columns={"segment": "Which of these describes you?"},
        )
        eng.import_file(path, table="stated-needs", columns={"need": NEEDS})
    for table in ("responses", "stated-needs"):
        pd.testing.assert_frame_equal(canonical(engagement, table), canonical(other, table))


def test_one_stated_need_per_chosen_option_and_other_text(engagement):
    result = engagement.import_file(XLSX, table="stated-needs", columns={"need": NEEDS})
    assert result.rows_added == 8
    needs = engagement.stated_needs.groupby("source_id")["need"].apply(list).to_dict()
    assert needs["11385638161"] == ["Milk", "Diapers, wipes and formula"]
    assert needs["11385638164"] == ["Bus fare"]
    stored = engagement.table("stated-needs", include_personal=True)
    assert not any(c.startswith(NEEDS) for c in stored.columns)  # the choices were consumed


def test_ambiguous_dates_are_refused_until_the_order_is_given(engagement, tmp_path):
    rows = list(csv.reader(CSV.open(encoding="utf-8")))
    rows = rows[:2] + [r for r in rows[2:] if not r[3].startswith("03/14")]  # keep days ≤ 12
    path = tmp_path / "early.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(DataValidationError) as info:
        engagement.import_file(path, table="responses", metrics={"csat": CSAT})
    assert "could be day-first or month-first" in str(info.value)
    assert 'column "End Date"' in str(info.value)
    result = engagement.import_file(
        path, table="responses", metrics={"csat": CSAT}, date_order="mdy"
    )
    assert result.rows_added == 4
    assert pd.Timestamp("2024-03-09 18:02:44") in set(engagement.responses["submitted_on"])


def test_a_single_choice_with_other_keeps_the_question_as_its_name(engagement, write_csv):
    path = write_csv(
        "sm.csv",
        [
            [
                "Respondent ID",
                "Collector ID",
                "End Date",
                "Which of these describes you?",
                "",
                CSAT,
            ],
            ["", "", "", "Response", "Other (please specify)", "Response"],
            ["101", "9", "2024-03-07 10:00:00", "Students", "", "Satisfied"],
            ["102", "9", "2024-03-08 10:00:00", "", "Grandparent raising kids", "Very satisfied"],
        ],
    )
    survey = read_surveymonkey(path)
    assert "Which of these describes you?" in survey.frame and not survey.groups
    assert "Which of these describes you? / Other (please specify)" in survey.frame
    engagement.import_file(
        path,
        table="responses",
        metrics={"csat": CSAT},
        columns={"segment": "Which of these describes you?"},
    )
    assert engagement.responses["segment"].iloc[0] == "Students"
    assert engagement.responses["segment"].isna().tolist() == [False, True]
    assert engagement.responses["score"].tolist() == [4, 5]
