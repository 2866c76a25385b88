"""Google Forms exports: the linked sheet's download and the form's own download."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from toolkit.schema.tables import TABLES
from toolkit.sources.detect import detect_format
from toolkit.sources.google_forms import read_google_forms
from toolkit.sources.survey import split_choices
from toolkit.store import Engagement

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
SHEET = EXPORTS / "google-forms-sheet.csv"
DIRECT = EXPORTS / "google-forms-download.csv"
CSAT = "How satisfied are you with our service overall?"
NPS = "How likely is it that you would recommend us to a friend or colleague?"
NEEDS = "What do you need most? (Select all that apply)"


def canonical(engagement, table: str) -> pd.DataFrame:
    return engagement.table(table)[list(TABLES[table.replace("-", "_")].field_names)]


def test_both_downloads_are_recognised_and_read_as_wall_time():
    assert detect_format(SHEET).format == detect_format(DIRECT).format == "google-forms"
    sheet, direct = read_google_forms(SHEET), read_google_forms(DIRECT)
    assert sheet.frame["Timestamp"].tolist() == direct.frame["Timestamp"].tolist()
    assert sheet.frame["Timestamp"].iloc[1] == "2024-03-07 14:30:05"  # "2:30:05 PM GMT-7"
    assert sheet.personal == {"Email Address"}


def test_sheet_and_direct_download_give_identical_tables(engagement, tmp_path):
    other = Engagement.init(tmp_path / "direct")
    for eng, path in ((engagement, SHEET), (other, DIRECT)):
        result = eng.import_file(path, table="responses", metrics={"csat": CSAT, "nps": NPS})
        assert result.rows_added == 10
        assert eng.import_file(path, table="stated-needs", columns={"need": NEEDS}).rows_added == 8
    for table in ("responses", "stated-needs"):
        pd.testing.assert_frame_equal(canonical(engagement, table), canonical(other, table))
    # No e-mail is copied into an id: the source id is a hash, the e-mail a personal column.
    stored = engagement.table("responses")
    assert not stored["source_id"].str.contains("@").any()
    assert "Email Address" not in stored


def test_checkbox_other_answer_with_a_comma_stays_whole(engagement):
    engagement.import_file(SHEET, table="stated-needs", columns={"need": NEEDS})
    needs = engagement.stated_needs.groupby("source_id", sort=False)["need"].apply(list).tolist()
    assert needs == [
        ["Milk", "Fresh produce"],
        ["Milk", "Diapers, wipes and formula"],
        ["Help with rent"],
        ["Fresh produce", "Help with rent"],
        ["Bus fare"],
    ]


def test_a_free_text_question_is_not_split(engagement):
    engagement.import_file(
        SHEET, table="stated-needs", columns={"need": "Anything else you would like to tell us?"}
    )
    assert engagement.stated_needs["need"].tolist() == ["Friendly staff", "Long queue", "Rude"]


def test_split_choices_with_the_options_named():
    cells = pd.Series(["Milk, Bread", "Bread, Rice, beans and corn", ""])
    split = split_choices(cells, separator=", ", options=("Milk", "Bread"))
    assert split.tolist() == [["Milk", "Bread"], ["Bread", "Rice, beans and corn"], []]


def test_next_weeks_sheet_adds_only_the_new_responses(engagement, tmp_path):
    rows = list(csv.reader(SHEET.open(encoding="utf-8")))
    early = tmp_path / "week1.csv"
    with early.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows[:3])
    # Two early responses on 7 March: day-first or month-first cannot be told, so ask.
    first = engagement.import_file(
        early, table="responses", metrics={"csat": CSAT}, date_order="mdy"
    )
    assert first.rows_added == 2
    result = engagement.import_file(SHEET, table="responses", metrics={"csat": CSAT})
    assert result.rows_added == 3
    assert result.excluded == {"already in the store (same source id)": 2}
