"""Qualtrics exports: three header rows, choice text and numeric values, legacy V1..Vn."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from toolkit.errors import DataValidationError
from toolkit.schema.tables import TABLES
from toolkit.sources.qualtrics import read_qualtrics

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
CHOICE = EXPORTS / "qualtrics-choice-text.csv"
NUMERIC = EXPORTS / "qualtrics-numeric.csv"
LEGACY = EXPORTS / "qualtrics-legacy.csv"
NPS = "How likely is it that you would recommend us to a friend or colleague?"
NEEDS = "What do you need most? Choose all that apply."
#: What the numeric export's codes stand for (the survey's recode values).
CODES = {
    "Q4": {"1": "Residents", "2": "Students", "3": "Partner agencies"},
    "Q5": {"1": "Milk", "2": "Fresh produce", "3": "Help with rent"},
}


def canonical(engagement, table: str) -> pd.DataFrame:
    return engagement.table(table)[list(TABLES[table.replace("-", "_")].field_names)]


def import_responses(engagement, path, **kw):
    return engagement.import_file(
        path,
        table="responses",
        metrics=[("csat", "Q1"), ("nps", NPS)],
        columns={"segment": "Which of these describes you?"},
        **kw,
    )


def test_header_rows_questions_and_exclusions_are_read():
    survey = read_qualtrics(CHOICE)
    assert survey.header_row == 3 and survey.rows[0] == 4  # data starts on spreadsheet row 4
    assert survey.questions["Q1"] == "Overall, how satisfied are you with the Riverside food bank?"
    assert survey.questions["Q5"] == NEEDS  # "- Selected Choice" is dropped
    assert survey.details["timezone"] == "America/Denver"
    counts = {reason: int(mask.sum()) for reason, mask in survey.excluded.items()}
    assert counts == {
        "Qualtrics survey previews": 1,
        "responses Qualtrics marked as spam": 1,
        "unfinished responses (Finished is False)": 1,
    }
    assert {
        "IPAddress",
        "RecipientEmail",
        "LocationLatitude",
        "RecipientFirstName",
    } <= survey.personal
    assert survey.defaults == {"source_id": "ResponseId", "submitted": "RecordedDate"}


def test_one_responses_row_per_metric_with_previews_and_unfinished_excluded(engagement):
    result = import_responses(engagement, CHOICE)
    assert result.file_rows == 8 and result.rows_added == 10  # 5 real responses × 2 metrics
    assert result.excluded == {
        "Qualtrics survey previews": 1,
        "responses Qualtrics marked as spam": 1,
        "unfinished responses (Finished is False)": 1,
    }
    table = engagement.responses
    assert sorted(table["source_id"].unique()) == ["R_1a", "R_2b", "R_3c", "R_4d", "R_5e"]
    assert table["response_id"].is_unique
    assert set(table.loc[table["source_id"] == "R_1a", "response_id"]) == {"R_1a-csat", "R_1a-nps"}
    csat = table[table["metric"] == "csat"].set_index("source_id")["score"]
    # "Extremely satisfied … Somewhat dissatisfied" is Qualtrics' own 5-point wording.
    assert csat.to_dict() == {"R_1a": 5, "R_2b": 4, "R_3c": 2, "R_4d": 3, "R_5e": 1}
    nps = table[table["metric"] == "nps"]
    assert (nps["scale_min"] == 0).all() and (nps["scale_max"] == 10).all()
    assert table.loc[table["source_id"] == "R_2b", "submitted_on"].iloc[0] == pd.Timestamp(
        "2024-03-07 14:30:05"
    )
    assert set(engagement.segments()) >= {"Residents", "Students", "Partner agencies"}
    assert "RecipientEmail" in result.personal and "LocationLongitude" in result.personal
    assert "RecipientEmail" not in table and "RecipientEmail" in engagement.table(
        "responses", include_personal=True
    )


def test_choice_text_and_numeric_exports_give_identical_tables(engagement, tmp_path):
    from toolkit.store import Engagement

    other = Engagement.init(tmp_path / "numeric")
    import_responses(engagement, CHOICE)
    mapping = tmp_path / "numeric.toml"
    mapping.write_text(
        'table = "responses"\n[values.Q4]\n'
        + "".join(f'"{k}" = "{v}"\n' for k, v in CODES["Q4"].items())
        + '[values.Q1]\n"1" = 1\n',
        encoding="utf-8",
    )
    import_responses(other, NUMERIC, map=mapping)
    pd.testing.assert_frame_equal(canonical(engagement, "responses"), canonical(other, "responses"))

    engagement.import_file(CHOICE, table="stated-needs", columns={"need": NEEDS, "segment": "Q4"})
    recodes = "".join(
        f"[values.{q}]\n" + "".join(f'"{k}" = "{v}"\n' for k, v in codes.items())
        for q, codes in CODES.items()
    )
    mapping.write_text('table = "stated-needs"\n' + recodes, encoding="utf-8")
    other.import_file(NUMERIC, map=mapping, columns={"need": NEEDS, "segment": "Q4"})
    pd.testing.assert_frame_equal(
        canonical(engagement, "stated-needs"), canonical(other, "stated-needs")
    )


def test_multi_select_splits_and_other_takes_its_typed_text(engagement):
    result = engagement.import_file(CHOICE, table="stated-needs", columns={"need": NEEDS})
    assert result.rows_added == 8
    needs = engagement.stated_needs.groupby("source_id")["need"].apply(list).to_dict()
    assert needs == {
        "R_1a": ["Milk", "Fresh produce"],
        "R_2b": ["Milk", "Diapers, wipes and formula"],  # "Other" → Q5_5_TEXT, comma and all
        "R_3c": ["Help with rent"],
        "R_4d": ["Fresh produce", "Help with rent"],
        "R_5e": ["Bus fare"],
    }
    stated = engagement.stated_needs
    assert (stated["respondent_id"] == stated["source_id"]).all()
    assert (stated["method"] == "survey").all()
    assert "Q5_5_TEXT" not in engagement.table("stated-needs", include_personal=True)


def test_the_same_export_as_xlsx_gives_the_same_table(engagement, tmp_path):
    from toolkit.store import Engagement

    book = openpyxl.Workbook()
    for row in csv.reader(CHOICE.open(encoding="utf-8-sig")):
        book.active.append(row)
    xlsx = tmp_path / "export.xlsx"
    book.save(xlsx)
    other = Engagement.init(tmp_path / "x")
    import_responses(engagement, CHOICE)
    result = import_responses(other, xlsx)
    assert result.source_format == "qualtrics"
    pd.testing.assert_frame_equal(canonical(engagement, "responses"), canonical(other, "responses"))


def test_cumulative_export_skips_responses_already_in_the_store(engagement, tmp_path):
    rows = list(csv.reader(CHOICE.open(encoding="utf-8-sig")))
    first_wave = tmp_path / "wave1.csv"
    with first_wave.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows[:6])  # three header rows and three responses
    assert import_responses(engagement, first_wave).rows_added == 6
    result = import_responses(engagement, CHOICE)  # everything to date
    assert result.rows_added == 4  # R_4d and R_5e, two metrics each
    assert result.excluded["already in the store (same source id)"] == 3
    assert len(engagement.responses) == 10
    again = import_responses(engagement, CHOICE)
    assert again.already_imported is not None and len(engagement.responses) == 10


def test_legacy_exporter(engagement):
    survey = read_qualtrics(LEGACY)
    assert survey.header_row == 2 and survey.details["layout"] == "legacy V1..Vn"
    assert {"ResponseID", "Status", "Finished", "EndDate"} <= set(survey.frame.columns)
    result = engagement.import_file(
        LEGACY, table="responses", metrics=[("csat", "Q1"), ("nps", NPS)]
    )
    assert result.excluded == {
        "Qualtrics survey previews": 1,
        "unfinished responses (Finished is False)": 1,
    }
    assert result.rows_added == 12
    assert {"EmailAddress", "IPAddress"} <= set(result.personal)


def test_a_label_off_every_scale_is_refused_with_the_fix(engagement, tmp_path):
    rows = list(csv.reader(CHOICE.open(encoding="utf-8-sig")))
    rows[4][17] = "Over the moon"  # R_2b's Q1
    path = tmp_path / "odd.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(DataValidationError) as info:
        import_responses(engagement, path)
    message = str(info.value)
    assert "row 2 (spreadsheet row 5)" in message
    assert 'column "Overall, how satisfied are you with the Riverside food bank?"' in message
    assert '"Over the moon" is not a number' in message
    assert '[values."Q1"] "Over the moon" = NUMBER' in message
    assert len(engagement.responses) == 0
    skipped = import_responses(engagement, path, skip_invalid=True)
    assert skipped.rows_skipped == 1 and skipped.rows_added == 9


def test_a_file_that_is_not_qualtrics_says_what_was_tried_and_found(engagement):
    with pytest.raises(DataValidationError) as info:
        engagement.import_file(
            EXPORTS / "surveymonkey.csv",
            table="responses",
            source="qualtrics",
            metrics=[("csat", "Q1")],
        )
    message = str(info.value)
    assert "could not be read as a qualtrics export" in message
    assert "Expected a Qualtrics export" in message
    assert 'row 1: "Respondent ID"' in message
    assert "looks like a surveymonkey export" in message


def test_a_metric_the_file_lacks_lists_the_closest_questions(engagement):
    with pytest.raises(DataValidationError) as info:
        engagement.import_file(
            CHOICE, table="responses", metrics=[("nps", "How likely are you to recommend us?")]
        )
    message = str(info.value)
    assert 'has no column or question "How likely are you to recommend us?"' in message
    assert NPS in message


def test_an_export_holding_only_previews_lands_nothing_and_counts_them(engagement, tmp_path):
    rows = list(csv.reader(CHOICE.open(encoding="utf-8-sig")))
    path = tmp_path / "previews.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows[:3] + rows[8:])  # the preview, unfinished and spam rows
    for table, kw in (
        ("responses", {"metrics": {"csat": "Q1"}}),
        ("stated-needs", {"columns": {"need": "Q5"}}),
    ):
        result = engagement.import_file(path, table=table, **kw)
        assert result.rows_added == 0 and result.rows_excluded == 3 and result.import_id
    assert len(engagement.responses) == len(engagement.stated_needs) == 0


def test_multi_select_split_into_columns(engagement, write_csv):
    """The "split multi-value fields into columns" export: Q5_1, Q5_2, Q5_4 and Q5_4_TEXT."""
    stem = "What do you need most? - Selected Choice"
    path = write_csv(
        "split.csv",
        [
            [
                "RecordedDate",
                "ResponseId",
                "Finished",
                "Q1",
                "Q2_1",
                "Q2_2",
                "Q5_1",
                "Q5_2",
                "Q5_4",
                "Q5_4_TEXT",
            ],
            [
                "Recorded Date",
                "Response ID",
                "Finished",
                "How satisfied are you?",
                "How satisfied were you with each of these? - Front desk",
                "How satisfied were you with each of these? - Food bank",
                f"{stem} - Milk",
                f"{stem} - Fresh produce",
                f"{stem} - Other",
                "What do you need most? - Other - Text",
            ],
            [
                '{"ImportId":"recordedDate"}',
                '{"ImportId":"_recordId"}',
                '{"ImportId":"finished"}',
                '{"ImportId":"QID1"}',
                '{"ImportId":"QID2_1"}',
                '{"ImportId":"QID2_2"}',
                '{"ImportId":"QID5_1"}',
                '{"ImportId":"QID5_2"}',
                '{"ImportId":"QID5_4"}',
                '{"ImportId":"QID5_4_TEXT"}',
            ],
            [
                "2024-03-07 10:00:00",
                "R_a",
                "True",
                "Satisfied",
                "Satisfied",
                "Very satisfied",
                "Milk",
                "",
                "Other",
                "Baby formula, diapers",
            ],
            [
                "2024-03-08 10:00:00",
                "R_b",
                "True",
                "Dissatisfied",
                "Dissatisfied",
                "Satisfied",
                "Milk",
                "Fresh produce",
                "",
                "",
            ],
        ],
    )
    survey = read_qualtrics(path)
    assert [m.column for m in survey.groups["Q5"]] == ["Q5_1", "Q5_2", "Q5_4", "Q5_4_TEXT"]
    assert survey.questions["Q5"] == "What do you need most?"
    assert "Q2" not in survey.groups  # a matrix: its cells are scale answers
    engagement.import_file(path, table="stated-needs", columns={"need": "What do you need most?"})
    needs = engagement.stated_needs.groupby("source_id")["need"].apply(list).to_dict()
    assert needs == {"R_a": ["Milk", "Baby formula, diapers"], "R_b": ["Milk", "Fresh produce"]}
    engagement.import_file(path, table="responses", metrics=[("csat", "Q2_1"), ("csat", "Q2_2")])
    assert set(engagement.responses["response_id"]) == {
        "R_a-csat-q2-1",
        "R_a-csat-q2-2",
        "R_b-csat-q2-1",
        "R_b-csat-q2-2",
    }
