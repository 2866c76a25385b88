"""Recognising which tool wrote a file from its first rows, and saying so when it is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import DataValidationError
from toolkit.sources.detect import detect_format, detect_head

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


@pytest.mark.parametrize(
    ("name", "fmt", "variant"),
    [
        ("qualtrics-choice-text.csv", "qualtrics", ""),
        ("qualtrics-numeric.csv", "qualtrics", ""),
        ("qualtrics-legacy.csv", "qualtrics", "legacy"),
        ("surveymonkey.csv", "surveymonkey", ""),
        ("surveymonkey.xlsx", "surveymonkey", ""),
        ("google-forms-sheet.csv", "google-forms", ""),
        ("google-forms-download.csv", "google-forms", ""),
        ("ms-forms.xlsx", "ms-forms", ""),
        ("kobo-values.csv", "kobo", ""),
        ("kobo-labels.xlsx", "kobo", ""),
        ("odk-central.csv", "kobo", "central"),
        ("excel-tracker.csv", "csv", ""),
    ],
)
def test_each_fixture_is_recognised(name, fmt, variant):
    found = detect_format(EXPORTS / name)
    assert (found.format, found.variant) == (fmt, variant)
    assert found.container == name.rsplit(".", 1)[1] and found.reason


def test_a_template_is_a_plain_spreadsheet(customers_csv):
    assert detect_format(customers_csv).format == "csv"


def test_detection_reads_only_the_first_rows(tmp_path):
    """Bytes past the first rows are never read: here they are not even text."""
    head = (EXPORTS / "google-forms-sheet.csv").read_bytes()
    path = tmp_path / "big.csv"
    path.write_bytes(head + b"\n" * (70_000 - len(head)) + b"\x00\xff" * 500_000)
    assert detect_format(path).format == "google-forms"


def test_a_utf8_character_cut_at_the_sample_edge_does_not_make_it_cp1252(tmp_path):
    line = "Timestamp,Où vivez-vous?\n" + "3/7/2024 14:30:05,Montréal\n" * 5000
    path = tmp_path / "accents.csv"
    path.write_text(line, encoding="utf-8")
    assert detect_format(path).format == "google-forms"


def test_signatures_need_their_second_and_third_rows():
    assert (
        detect_head(
            [["StartDate", "ResponseId"], ["Start Date", "Response ID"], ["x", "y"]], "csv"
        ).format
        == "csv"
    )
    assert detect_head([["Respondent ID", "Q1"], ["", "Response"]], "csv").format == "surveymonkey"
    assert detect_head([], "csv").format == "csv"


@pytest.mark.parametrize(
    ("source", "fixture", "expected"),
    [
        (
            "surveymonkey",
            "qualtrics-choice-text.csv",
            'Expected a SurveyMonkey export: "Respondent ID" in row 1',
        ),
        ("google-forms", "ms-forms.xlsx", 'Expected "Timestamp" as the first column'),
        ("ms-forms", "google-forms-sheet.csv", 'Expected "ID", "Start time", "Completion time"'),
        ("kobo", "surveymonkey.xlsx", "Expected a KoboToolbox export with _uuid"),
    ],
)
def test_a_file_read_as_the_wrong_tool_says_what_was_tried_expected_and_found(
    engagement, source, fixture, expected
):
    with pytest.raises(DataValidationError) as info:
        engagement.import_file(
            EXPORTS / fixture, table="responses", source=source, metrics={"csat": "x"}
        )
    message = str(info.value)
    assert f"{fixture}: could not be read as a {source} export" in message
    assert expected in message and "found row 1:" in message
    assert "It looks like a" in message  # and which tool it does look like


def test_csv_named_for_a_workbook_and_the_other_way_round(engagement, tmp_path):
    with pytest.raises(DataValidationError, match="could not be read as xlsx. Expected an Excel"):
        engagement.import_file(EXPORTS / "excel-tracker.csv", table="responses", source="xlsx")
    with pytest.raises(DataValidationError, match="could not be read as csv. Expected text"):
        engagement.import_file(EXPORTS / "ms-forms.xlsx", table="responses", source="csv")
