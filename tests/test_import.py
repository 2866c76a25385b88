"""Importing filled templates: validation, messages, exclusions, attributes, round trips."""

from __future__ import annotations

import csv
import re
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit._resources import resource_dir
from toolkit.errors import DataValidationError
from toolkit.schema.tables import TABLES
from toolkit.store import Engagement

from .conftest import CUSTOMERS


def _rejected(engagement, path, table, **kw) -> str:
    before = engagement.status()
    with pytest.raises(DataValidationError) as info:
        engagement.import_file(path, table=table, **kw)
    assert engagement.status() == before, "a rejected file must leave the store exactly as it was"
    return str(info.value)


# ---------------------------------------------------------------------------- templates


def _fill(table: str) -> list[list[str]]:
    """Rows for a template, by header name, valid for an engagement with CUSTOMERS."""
    values = {
        "customers": [{"customer_id": "board", "name": "Board", "kind": "internal", "power": "5"}],
        "service_links": [
            {"provider_id": "intake", "customer_id": "residents", "service": "Intake"}
        ],
        "assumed_needs": [
            {"staff": "Lead", "segment": "Residents", "need": "Another pantry", "importance": "5"}
        ],
        "stated_needs": [
            {
                "respondent_id": "r1",
                "segment": "Residents",
                "method": "interview",
                "need": "Milk for the kids",
                "importance": "5",
                "performance": "1",
            }
        ],
        "codebook": [{"code": "laundry", "label": "Laundry", "keywords": "laundry; washing"}],
        "responses": [
            {"submitted_on": "2024-05-01", "metric": "csat", "score": "4", "wave": "2024 Q2"}
        ],
        "events": [{"starts_on": "2024-07-01", "label": "Milk program launched"}],
        "actions": [
            {"code": "perishable_food", "action": "Fresh milk on Tuesdays", "status": "planned"}
        ],
        "outreach": [
            {"held_on": "2024-03-04", "channel": "survey link", "invited": "90", "responses": "18"}
        ],
    }[table]
    return values


@pytest.mark.parametrize("table", list(TABLES))
def test_every_filled_csv_template_imports_with_no_map(engagement, customers_csv, tmp_path, table):
    engagement.import_file(customers_csv, table="customers")
    template = resource_dir("templates") / f"{TABLES[table].cli_name}.csv"
    header = next(csv.reader(template.open(encoding="utf-8")))
    assert header == list(TABLES[table].field_names)
    path = tmp_path / f"filled-{table}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(_fill(table))
    before = len(engagement.table(table))
    # A codebook would replace the untouched starter (tests/test_codebook_owned.py).
    keep = {"keep_starter": True} if table == "codebook" else {}
    result = engagement.import_file(path, table=TABLES[table].cli_name, **keep)
    assert result.rows_added == 1
    assert len(engagement.table(table)) == before + 1


def test_the_xlsx_workbook_imports_by_sheet(engagement, tmp_path):
    book = openpyxl.load_workbook(resource_dir("templates") / "service-toolkit-templates.xlsx")
    sheet = book["customers"]
    header = [c.value for c in sheet[1]]
    for row in CUSTOMERS[1:]:
        record = dict(zip(CUSTOMERS[0], row, strict=True))
        sheet.append([record.get(h) for h in header])
    events = book["events"]
    events.append([pd.Timestamp("2024-07-01").to_pydatetime(), None, "Launch", None])
    path = tmp_path / "filled.xlsx"
    book.save(path)
    assert engagement.import_file(path, table="customers").rows_added == 3
    assert engagement.import_file(path, table="events").rows_added == 1
    assert engagement.events["starts_on"].iloc[0] == pd.Timestamp("2024-07-01")


# ---------------------------------------------------------------------------- rejecting


def test_every_problem_is_listed_with_spreadsheet_row_column_value_and_fix(engagement, write_csv):
    path = write_csv(
        "customers.csv",
        [
            ["Register of customers, March"],
            [],
            ["customer_id", "name", "kind", "clout"],
            ["residents", "Residents", "externl", "3"],
            ["agencies", "", "external", "7"],
            ["residents", "Again", "internal", "2"],
            ["board", "Board", "internal", "5"],
        ],
    )
    message = _rejected(engagement, path, "customers")
    assert "customers.csv" in message and "Nothing was imported" in message
    assert (
        'row 1 (spreadsheet row 4), column "kind": "externl" is not one of "internal", "external"'
        in message
    )
    assert 'row 2 (spreadsheet row 5), column "name": is empty; it is required' in message
    assert (
        'row 2 (spreadsheet row 5), column "clout": "7" is not a whole number from 1 to 5'
        in message
    )
    assert (
        'row 3 (spreadsheet row 6), column "customer_id": "residents" appears more than once'
        in message
    )
    assert "--skip-invalid to import the 1 valid rows" in message


def test_a_near_miss_header_is_an_error_not_an_attribute(engagement, write_csv):
    path = write_csv(
        "c.csv", [["customer_id", "name", "kind", "Segmnet"], ["a", "A", "external", "X"]]
    )
    message = _rejected(engagement, path, "customers")
    assert 'did you mean "segment"?' in message


def test_a_missing_required_column_lists_the_header(engagement, write_csv):
    path = write_csv("r.csv", [["submitted_on", "score"], ["2024-01-01", "4"]])
    message = _rejected(engagement, path, "responses")
    assert 'has no "metric" column' in message and "response_id, source_id" in message


def test_scores_are_checked_against_their_metric_scale(engagement, write_csv):
    path = write_csv(
        "r.csv",
        [
            ["submitted_on", "metric", "score", "scale_min", "scale_max"],
            ["2024-01-01", "csat", "6", "", ""],
            ["2024-01-01", "nps", "10", "", ""],
            ["2024-01-01", "csat", "7", "1", "7"],
            ["2024-01-01", "ces", "0", "", ""],
        ],
    )
    message = _rejected(engagement, path, "responses")
    assert '"6" is outside the csat scale 1–5' in message
    assert '"0" is outside the ces scale 1–7' in message
    assert "2 problems on 2 rows" in message


def test_codes_must_be_in_the_codebook(engagement, write_csv):
    path = write_csv("s.csv", [["need", "code"], ["milk please", "perishable_fod"]])
    message = _rejected(engagement, path, "stated-needs")
    assert "is not a code in the engagement's codebook" in message
    assert 'did you mean "perishable_food"?' in message


def test_service_links_must_name_known_customers(engagement, customers_csv, write_csv):
    engagement.import_file(customers_csv, table="customers")
    path = write_csv(
        "l.csv", [["provider_id", "customer_id"], ["intake", "residents"], ["ghost", "residents"]]
    )
    message = _rejected(engagement, path, "service-links")
    assert '"ghost" is not a customer_id in the customer register' in message


def test_events_cannot_end_before_they_start(engagement, write_csv):
    path = write_csv(
        "e.csv", [["starts_on", "ends_on", "label"], ["2024-05-01", "2024-04-01", "x"]]
    )
    assert "is before starts_on" in _rejected(engagement, path, "events")


def test_ambiguous_dates_are_refused_not_guessed(engagement, write_csv):
    rows = [["starts_on", "label"], ["03/07/2024", "a"], ["04/08/2024", "b"]]
    message = _rejected(engagement, write_csv("e.csv", rows), "events")
    assert "could be day-first or month-first" in message and "--date-order" in message
    engagement.import_file(write_csv("e.csv", rows), table="events", date_order="dmy")
    assert list(engagement.events["starts_on"].dt.strftime("%Y-%m-%d")) == [
        "2024-07-03",
        "2024-08-04",
    ]


def test_day_first_dates_are_detected_from_the_column(engagement, write_csv):
    rows = [["starts_on", "label"], ["03/07/2024", "a"], ["25/12/2024", "b"]]
    engagement.import_file(write_csv("e.csv", rows), table="events")
    assert list(engagement.events["starts_on"].dt.strftime("%Y-%m-%d")) == [
        "2024-07-03",
        "2024-12-25",
    ]


def test_skip_invalid_lands_the_valid_rows_and_lists_the_others(engagement, write_csv):
    path = write_csv(
        "e.csv",
        [
            ["starts_on", "label"],
            ["2024-01-01", "ok"],
            ["someday", "bad"],
            ["2024-02-01", "ok too"],
        ],
    )
    result = engagement.import_file(path, table="events", skip_invalid=True)
    assert result.rows_added == 2
    assert len(result.skipped) == 1 and "spreadsheet row 3" in result.skipped[0]
    assert list(engagement.events["label"]) == ["ok", "ok too"]
    history = engagement.imports().iloc[-1]
    assert history["rows_added"] == 2 and history["rows_excluded"] == 1


def test_dry_run_changes_nothing_and_shows_the_rows(engagement, customers_csv):
    before = engagement.status()
    result = engagement.import_file(customers_csv, table="customers", dry_run=True)
    assert result.dry_run and result.rows_added == 3 and len(result.preview) == 3
    assert engagement.status() == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\x00junk" * 50, r"not a text \(CSV\) file"),
        (b"customer_id,name,kind\n", "has a header row .* but no data rows"),
    ],
    ids=["empty", "binary", "header-only"],
)
def test_unreadable_files_get_a_clear_message(engagement, tmp_path, content, expected):
    path = tmp_path / "c.csv"
    path.write_bytes(content)
    message = _rejected(engagement, path, "customers")
    assert "c.csv" in message
    assert re.search(expected, message), message


def test_a_renamed_csv_posing_as_xlsx_is_explained(engagement, tmp_path):
    path = tmp_path / "c.xlsx"
    path.write_text("customer_id,name,kind\na,A,external\n")
    assert "not a valid .xlsx file" in _rejected(engagement, path, "customers")


# ---------------------------------------------------------------------------- spreadsheets


def test_excel_mangled_csv_reads_right(engagement, write_csv):
    rows = [
        ["Customer register export"],
        [],
        ["customer_id", "name", "kind", "segment", ""],
        ["res", "Résidents du quartier", "external", "Residents", ""],
        ["caf", "Café owners", "external", "Businesses", ""],
        [],
        [],
    ]
    path = write_csv("c.csv", rows, encoding="cp1252", delimiter=";")
    result = engagement.import_file(path, table="customers")
    assert result.details == {"encoding": "cp1252", "delimiter": ";"}
    assert list(engagement.customers["name"]) == ["Résidents du quartier", "Café owners"]


def test_utf8_bom_is_not_part_of_the_first_header(engagement, write_csv):
    path = write_csv("c.csv", CUSTOMERS, encoding="utf-8-sig")
    assert engagement.import_file(path, table="customers").rows_added == 3


def test_a_row_wider_than_the_header_is_explained(engagement, tmp_path):
    path = tmp_path / "c.csv"
    lines = (
        ["customer_id,name,kind"]
        + [f"c{i},C {i},external" for i in range(40)]
        + ["x,Smith, John,external"]
    )
    path.write_text("\n".join(lines) + "\n")
    message = _rejected(engagement, path, "customers")
    assert "more cells than the header" in message


# ---------------------------------------------------------------------------- excluding
# (the same file twice, removing an import: tests/store_contract/)


def test_replace_swaps_an_earlier_import_of_the_file(engagement, write_csv):
    path = write_csv("e.csv", [["starts_on", "label"], ["2024-01-01", "typo"]])
    first = engagement.import_file(path, table="events")
    path = write_csv(
        "e.csv", [["starts_on", "label"], ["2024-01-01", "fixed"], ["2024-02-01", "new"]]
    )
    second = engagement.import_file(path, table="events", replace=True)
    assert second.replaced == [first.import_id]
    assert list(engagement.events["label"]) == ["fixed", "new"]
    statuses = engagement.imports().set_index("import_id")["status"]
    assert statuses[first.import_id] == "replaced" and statuses[second.import_id] == "active"


def test_replace_leaves_other_files_alone(engagement, write_csv):
    engagement.import_file(
        write_csv("a.csv", [["starts_on", "label"], ["2024-01-01", "a"]]), table="events"
    )
    b = write_csv("b.csv", [["starts_on", "label"], ["2024-01-02", "b"]])
    engagement.import_file(b, table="events")
    engagement.import_file(b, table="events", replace=True)
    assert sorted(engagement.events["label"]) == ["a", "b"]


def test_cumulative_exports_import_only_new_responses(engagement, write_csv):
    header = ["source_id", "submitted_on", "metric", "score"]
    wave1 = [
        header,
        ["R1", "2024-01-01", "csat", "4"],
        ["R1", "2024-01-01", "nps", "9"],
        ["R2", "2024-01-02", "csat", "2"],
    ]
    engagement.import_file(write_csv("w1.csv", wave1), table="responses")
    wave2 = wave1 + [["R3", "2024-04-01", "csat", "5"], ["R3", "2024-04-01", "nps", "10"]]
    result = engagement.import_file(write_csv("w2.csv", wave2), table="responses")
    assert result.rows_added == 2 and result.rows_excluded == 3
    assert result.excluded == {"already in the store (same source id)": 3}
    responses = engagement.responses
    assert len(responses) == 5 and responses["response_id"].is_unique


def test_response_ids_already_in_the_store_are_refused(engagement, write_csv):
    header = ["response_id", "submitted_on", "metric", "score"]
    engagement.import_file(
        write_csv("a.csv", [header, ["x1", "2024-01-01", "csat", "4"]]), table="responses"
    )
    path = write_csv("b.csv", [header, ["x1", "2024-01-02", "csat", "5"]])
    assert '"x1" is already in the store' in _rejected(engagement, path, "responses")


def test_removing_customers_that_links_refer_to_is_refused(engagement, customers_csv, write_csv):
    customers = engagement.import_file(customers_csv, table="customers")
    engagement.import_file(
        write_csv("l.csv", [["provider_id", "customer_id"], ["intake", "residents"]]),
        table="service_links",
    )
    with pytest.raises(DataValidationError, match="refer to"):
        engagement.remove_import(customers.import_id)
    assert len(engagement.customers) == 3


# ---------------------------------------------------------------------------- attributes


def test_extra_columns_are_attributes_and_personal_ones_stay_out(engagement, write_csv, tmp_path):
    path = write_csv(
        "s.csv",
        [
            ["need", "segment", "language", "Email Address", "IP Address", "age"],
            ["milk", "Residents", "Spanish", "a@example.org", "10.0.0.1", "34"],
            ["rides", "residents ", "English", "b@example.org", "10.0.0.2", "61"],
        ],
    )
    result = engagement.import_file(path, table="stated_needs")
    assert result.attributes == ["language", "Email Address", "IP Address", "age"]
    assert result.personal == ["Email Address", "IP Address"]
    assert result.new_segments == ["Residents"]
    public = engagement.stated_needs
    assert "Email Address" not in public and "language" in public
    assert list(public["segment"]) == ["Residents", "Residents"]
    assert list(public["age"]) == [34, 61]
    assert "Email Address" in engagement.table("stated_needs", include_personal=True)
    out = tmp_path / "out.csv"
    engagement.export("stated-needs", out)
    assert "example.org" not in out.read_text()
    engagement.export("stated-needs", out, include_personal=True)
    assert "a@example.org" in out.read_text()


def test_segments_match_the_engagement_list_case_insensitively(engagement, write_csv):
    engagement.import_file(
        write_csv("a.csv", [["staff", "need", "segment"], ["A", "x", "Residents"]]),
        table="assumed_needs",
    )
    result = engagement.import_file(
        write_csv(
            "b.csv",
            [
                ["staff", "need", "segment"],
                ["B", "y", "  RESIDENTS "],
                ["C", "z", "Business owners"],
            ],
        ),
        table="assumed_needs",
    )
    assert result.new_segments == ["Business owners"]
    assert list(engagement.assumed_needs["segment"]) == [
        "Residents",
        "Residents",
        "Business owners",
    ]
    assert engagement.segments() == ["Residents", "Business owners"]


def test_a_code_without_coded_by_counts_as_set_by_a_person(engagement, write_csv):
    path = write_csv("s.csv", [["need", "code"], ["milk for the kids", "perishable_food"]])
    engagement.import_file(path, table="stated_needs")
    assert engagement.stated_needs["coded_by"].iloc[0] == "person"


def test_small_groups_are_a_warning_not_an_error(engagement, write_csv):
    path = write_csv(
        "s.csv",
        [
            ["respondent_id", "need", "segment"],
            ["r1", "milk", "Agencies"],
            ["r2", "rides", "Agencies"],
        ],
    )
    result = engagement.import_file(path, table="stated_needs")
    assert result.rows_added == 2
    assert any("only 2 respondents" in w for w in result.warnings)


# ---------------------------------------------------------------------------- round trips

TRICKY = [
    "=SUM(A1:A3)",
    "'=already quoted",
    "+44 20 7946 0000",
    "-5 stars",
    "@home",
    "plain",
    "'quoted'",
    "Ünïcode ✓",
    'say "hi", ok',
]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_round_trips_and_neutralises_formulas(
    engagement, write_csv, tmp_path, suffix
):
    rows = [["respondent_id", "need", "importance", "collected_on", "notes", "campus"]]
    rows += [
        [f"r{i}", text, str(1 + i % 5), "2024-03-07", text, f"C{i}"]
        for i, text in enumerate(TRICKY)
    ]
    engagement.import_file(write_csv("s.csv", rows), table="stated_needs")
    out = tmp_path / f"export{suffix}"
    engagement.export("stated_needs", out)
    if suffix == ".csv":
        written = out.read_text()
        assert "'=SUM(A1:A3)" in written and "\n=" not in written and ",=" not in written
    else:
        cells = {c.value: c for c in openpyxl.load_workbook(out)["stated-needs"]["E"]}
        formula = cells["=SUM(A1:A3)"]  # the exact text, a typed string Excel keeps as text
        assert formula.data_type == "s" and formula.quotePrefix
        assert not any(c.data_type == "f" for c in cells.values())
    fresh = Engagement.init(tmp_path / "fresh")
    fresh.import_file(out, table="stated-needs")
    pd.testing.assert_frame_equal(fresh.stated_needs, engagement.stated_needs)


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip() == s and s.strip())


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(needs=st.lists(_text, min_size=1, max_size=6))
def test_any_text_saved_is_loaded_back_unchanged(tmp_path, needs):
    tmp = Path(tempfile.mkdtemp(dir=tmp_path))
    eng = Engagement.init(tmp / "eng", starter_codebook=False)
    frame = pd.DataFrame({"need": needs, "notes": needs})
    eng.import_frame(frame, table="stated_needs")
    assert list(eng.stated_needs["need"]) == needs
    out = tmp / "out.csv"
    eng.export("stated-needs", out)
    again = Engagement.init(tmp / "again", starter_codebook=False)
    again.import_file(out, table="stated-needs")
    assert list(again.stated_needs["need"]) == needs


# ----------------------------------------------------------------------------- found in review


def test_replace_keeps_links_to_customers_the_new_file_still_has(engagement, write_csv):
    rows = [["customer_id", "name", "kind"], ["a", "A", "internal"], ["b", "B", "external"]]
    engagement.import_file(write_csv("cu.csv", rows), table="customers")
    engagement.import_file(
        write_csv("sl.csv", [["provider_id", "customer_id"], ["a", "b"]]), table="service_links"
    )
    renamed = [rows[0], ["a", "Unit A", "internal"], ["b", "B", "external"]]
    engagement.import_file(write_csv("cu.csv", renamed), table="customers", replace=True)
    assert engagement.customers.set_index("customer_id").loc["a", "name"] == "Unit A"
    assert len(engagement.service_links) == 1
    before = engagement.status()
    dropped = [rows[0], ["b", "B", "external"]]
    message = _rejected(engagement, write_csv("cu.csv", dropped), "customers", replace=True)
    assert "1 row of service-links refer to customers rows the new file no longer has" in message
    assert engagement.status() == before


def test_timestamps_with_different_offsets_are_converted_to_utc(engagement, write_csv):
    rows = [
        ["submitted_on", "metric", "score"],
        ["2024-03-07T10:00:00+01:00", "csat", "4"],
        ["2024-03-31T10:00:00+02:00", "csat", "5"],
        ["2024-04-01 09:00", "csat", "3"],
    ]
    engagement.import_file(write_csv("tz.csv", rows), table="responses")
    assert engagement.responses["submitted_on"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2024-03-07 09:00",
        "2024-03-31 08:00",
        "2024-04-01 09:00",
    ]


def test_exactly_repeated_headers_are_named(engagement, write_csv):
    path = write_csv(
        "dup.csv", [["customer_id", "name", "kind", "name"], ["x", "X", "internal", "Y"]]
    )
    message = _rejected(engagement, path, "customers")
    assert 'has two columns named "name" (columns B and D' in message


def test_attribute_codes_keep_their_digits_and_round_trip(engagement, write_csv, tmp_path):
    rows = [
        ["customer_id", "name", "kind", "unit_code", "ref", "floor"],
        ["b1", "B", "internal", "007", "12345678901234567890", "3"],
        ["b2", "C", "internal", "", "", ""],
    ]
    engagement.import_file(write_csv("a.csv", rows), table="customers")
    stored = engagement.customers
    assert stored["unit_code"].tolist() == ["007", None]
    assert stored["ref"].tolist() == ["12345678901234567890", None]
    assert str(stored["floor"].dtype) == "Int64"
    out = tmp_path / "out.csv"
    engagement.export("customers", out)
    assert ",007,12345678901234567890,3" in out.read_text()


def test_formula_text_in_attributes_is_neutralised_on_export(engagement, write_csv, tmp_path):
    engagement.import_file(
        write_csv(
            "f.csv", [["customer_id", "name", "kind", "note"], ["f1", "X", "internal", "'=x"]]
        ),
        table="customers",
    )
    assert engagement.customers["note"].tolist() == ["=x"]
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"o{suffix}"
        engagement.export("customers", out)
        fresh = Engagement.init(tmp_path / f"fresh{suffix[1:]}")
        fresh.import_file(out, table="customers")
        assert fresh.customers["note"].tolist() == ["=x"]
    assert "'=x" in (tmp_path / "o.csv").read_text()


def test_cumulative_exports_with_response_ids_exclude_earlier_rows(engagement, write_csv):
    header = ["response_id", "source_id", "submitted_on", "metric", "score"]
    wave1 = [
        header,
        ["R1-csat", "R1", "2024-01-01", "csat", "4"],
        ["R1-nps", "R1", "2024-01-01", "nps", "9"],
    ]
    engagement.import_file(write_csv("w1.csv", wave1), table="responses")
    wave2 = wave1 + [["R3-csat", "R3", "2024-04-01", "csat", "5"]]
    result = engagement.import_file(write_csv("w2.csv", wave2), table="responses")
    assert (result.rows_added, result.rows_excluded) == (1, 2)


def test_skip_invalid_counts_rows_and_refuses_a_file_with_no_valid_row(engagement, write_csv):
    path = write_csv(
        "b.csv", [["customer_id", "name", "kind"], ["z1", "", "weird"], ["z2", "Z", "external"]]
    )
    result = engagement.import_file(path, table="customers", skip_invalid=True)
    assert result.rows_skipped == 1 and len(result.skipped) == 2
    assert engagement.imports().iloc[-1]["rows_excluded"] == 1
    bad = write_csv("c.csv", [["customer_id", "name", "kind"], ["y1", "", "weird"]])
    message = _rejected(engagement, bad, "customers", skip_invalid=True)
    assert "none of its 1 rows is valid" in message


def test_required_fields_are_not_told_to_be_left_blank(engagement, write_csv):
    message = _rejected(
        engagement,
        write_csv("k.csv", [["customer_id", "name", "kind"], ["a", "A", "weird"]]),
        "customers",
    )
    assert "Use one of those words." in message and "leave it blank" not in message


def test_a_frame_is_imported_as_its_values_are(engagement):
    # Whole floats past the int64 range used to be written as -9223372036854775808.
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "name": ["A", "B", "C"],
            "kind": ["internal"] * 3,
            "budget": [1e20, 2.5, np.nan],
            "opened": pd.to_datetime(["2024-01-01 09:30", "2024-02-01 00:00", None]),
            "staff": pd.array([3, None, 5], dtype="Int64"),
        }
    )
    engagement.import_frame(frame, table="customers")
    got = engagement.customers.set_index("customer_id")
    assert [float(v) for v in got["budget"].dropna()] == [1e20, 2.5]
    assert got.loc["a", "opened"] == "2024-01-01 09:30:00"
    assert got.loc["b", "opened"] == "2024-02-01 00:00:00"
    assert got["staff"].tolist()[0::2] == [3, 5] and pd.isna(got.loc["b", "staff"])
