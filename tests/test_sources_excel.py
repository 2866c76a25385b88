"""Spreadsheets that went through Excel: cp1252, ";", decimal commas, day-first dates, title rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from toolkit.errors import DataValidationError
from toolkit.schema.checks import parse_dates
from toolkit.sources.detect import detect_format

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
TRACKER = EXPORTS / "excel-tracker.csv"


def import_tracker(engagement, path=TRACKER, **kw):
    return engagement.import_file(
        path,
        table="responses",
        columns={"submitted_on": "Date", "weight": "Weight", "campus": "Campus"},
        metrics={"csat": "Satisfaction score", "nps": "Recommend"},
        **kw,
    )


def test_an_excel_tracker_is_read_with_its_quirks(engagement):
    assert detect_format(TRACKER).format == "csv"
    result = import_tracker(engagement)
    assert result.source_format == "csv" and result.rows_added == 10
    assert result.details["encoding"] == "cp1252" and result.details["delimiter"] == ";"
    table = engagement.responses
    csat = table[table["metric"] == "csat"]
    assert csat["score"].tolist() == [5, 4, 2.5, 3, 1]  # "2,5" is two and a half
    assert csat["weight"].tolist() == pytest.approx([1.0, 1.1, 1.2, 1.3, 1.4])
    assert csat["submitted_on"].tolist() == [
        pd.Timestamp(d)
        for d in ("2024-03-07", "2024-03-07", "2024-03-09", "2024-03-11", "2024-03-14")
    ]
    assert csat["campus"].tolist() == ["Nord", "Süd", "Nord", "Mitte", "Süd"]  # cp1252 ü
    # The title row is not a response: the first data row is spreadsheet row 4.
    assert table["response_id"].iloc[0].endswith("-4-csat")


def test_ambiguous_day_month_order_is_refused_then_taken_from_the_flag(engagement, tmp_path):
    path = tmp_path / "early.csv"
    path.write_text("Date;Satisfaction score\n03/04/2024;4\n05/06/2024;5\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        engagement.import_file(
            path,
            table="responses",
            columns={"submitted_on": "Date"},
            metrics={"csat": "Satisfaction score"},
        )
    assert "could be day-first or month-first" in str(info.value) and 'column "Date"' in str(
        info.value
    )
    engagement.import_file(
        path,
        table="responses",
        columns={"submitted_on": "Date"},
        metrics={"csat": "Satisfaction score"},
        date_order="dmy",
    )
    assert engagement.responses["submitted_on"].tolist() == [
        pd.Timestamp("2024-04-03"),
        pd.Timestamp("2024-06-05"),
    ]


def test_year_first_dates():
    values, bad, order = parse_dates(pd.Series(["2024/03/07", "24/03/09"]), order="ymd")
    assert values.tolist() == ["2024-03-07", "2024-03-09"] and not bad.any() and order == "ymd"
    values, bad, _ = parse_dates(pd.Series(["2024/3/7 14:05:00"]), keep_time=True)
    assert values.tolist() == ["2024-03-07 14:05:00"]


def test_decimal_commas_in_a_filled_template(engagement, write_csv):
    path = write_csv(
        "r.csv",
        [
            ["submitted_on", "metric", "score", "weight"],
            ["2024-05-01", "csat", "4,5", "1,25"],
            ["2024-05-02", "csat", "3", "0,8"],
        ],
        delimiter=";",
    )
    engagement.import_file(path, table="responses")
    assert engagement.responses["score"].tolist() == [4.5, 3]
    assert engagement.responses["weight"].tolist() == [1.25, 0.8]


def test_a_thousands_looking_comma_alone_is_not_guessed(engagement, write_csv):
    path = write_csv(
        "r.csv",
        [["submitted_on", "metric", "score", "weight"], ["2024-05-01", "csat", "4", "1,250"]],
    )
    with pytest.raises(DataValidationError) as info:
        engagement.import_file(path, table="responses")
    assert '"1,250" is not a number' in str(info.value)
