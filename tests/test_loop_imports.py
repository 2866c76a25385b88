"""Bad rows of actions and outreach, from a CSV and from an Excel workbook, through
`service-toolkit import`: every problem names the file, the row, the column, the value, what
was expected and the fix, as for every other table (issue #21), and nothing is imported."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from openpyxl import Workbook

from toolkit.store import Engagement

CODEBOOK = [
    ["code", "label", "theme", "keywords"],
    ["perishable_food", "Milk and perishable food", "Food", "milk"],
    ["food_pantry", "Food pantry", "Food", "pantry"],
]
ACTION_HEADER = ["action_id", "code", "segment", "action", "owner", "status"]
ACTION_HEADER += ["decided_on", "starts_on", "done_on", "event"]
#: Each bad action: its cells, then what its message must say (column, value, expected, fix).
BAD_ACTIONS = [
    (
        ["B1", "perishable_food", "Parents", "Milk", "Ana", "under way", "", "", "", ""],
        None,
    ),  # a good row: the file is refused whole all the same
    (
        ["B2", "perishable_fod", "Parents", "Typo", "Ana", "planned", "", "", "", ""],
        ("code", "perishable_fod", "is not a code in the engagement's codebook",
         'did you mean "perishable_food"?'),
    ),
    (
        ["B3", "food_pantry", "Parents", "Bad status", "Ana", "in progress", "", "", "", ""],
        ("status", "in progress", 'is not one of "planned", "under way", "done", "dropped"',
         "Use one of those words"),
    ),
    (
        ["B4", "food_pantry", "Parents", "Bad date", "Ana", "planned", "2024-13-45", "", "", ""],
        ("decided_on", "2024-13-45", "is not a date such as 2024-03-07", "Fix the date"),
    ),
    (
        ["B5", "", "", "About nothing", "Ana", "planned", "", "", "", ""],
        ("code", None, "is empty, and so is segment", "Fill in the need's code from the codebook"),
    ),
    (
        ["B6", "food_pantry", "", "Backwards", "Ana", "done", "", "2024-07-01", "2024-06-01", ""],
        ("done_on", "2024-06-01", "is before starts_on", "on or after starts_on"),
    ),
    (
        ["B7", "food_pantry", "", "No start", "Ana", "done", "", "", "", "Opened"],
        ("event", "Opened", "but starts_on is blank", "Fill in starts_on, or leave event blank"),
    ),
    (
        ["B2", "food_pantry", "Parents", "Same id", "Ana", "planned", "", "", "", ""],
        ("action_id", "B2", "appears more than once", "Each row needs its own id"),
    ),
]  # fmt: skip
OUTREACH_HEADER = ["held_on", "channel", "segment", "invited", "responses", "language"]
BAD_OUTREACH = [
    (["2024-03-04", "survey link", "Residents", 100, 20, "English"], None),
    (
        ["2024-03-05", "carrier pigeon", "Residents", 100, 20, "English"],
        ("channel", "carrier pigeon", 'is not one of "survey link", "paper"',
         "Use one of those words"),
    ),
    (
        ["2024-03-06", "paper", "Residents", 10, 20, "English"],
        ("responses", "20", "is more than the number invited (10)", "Fix the counts"),
    ),
    (
        ["31/02/2024", "paper", "Residents", 10, 2, "English"],
        ("held_on", "31/02/2024", "is not a date such as 2024-03-07", "Fix the date"),
    ),
    (
        ["2024-03-08", "paper", "Residents", -5, 2, "English"],
        ("invited", "-5", "is not a whole number, 0 or more", "Fix the cell, or leave it blank"),
    ),
    (
        ["2024-03-09", "paper", "Residents", "ten", 2, "English"],
        ("invited", "ten", "is not a whole number, 0 or more", "Fix the cell"),
    ),
    (
        ["", "paper", "Residents", 10, 2, "English"],
        ("held_on", None, "is empty; it is required", "Fill it in"),
    ),
]  # fmt: skip
CASES = {"actions": (ACTION_HEADER, BAD_ACTIONS), "outreach": (OUTREACH_HEADER, BAD_OUTREACH)}


@pytest.fixture
def eng(tmp_path, write_csv) -> Engagement:
    engagement = Engagement.init(tmp_path / "riverside", name="riverside")
    engagement.import_file(write_csv("codebook.csv", CODEBOOK), table="codebook", replace=True)
    return engagement


def _write(tmp_path, write_csv, table: str, kind: str):
    header, cases = CASES[table]
    rows = [cells for cells, _ in cases]
    if kind == "csv":
        return write_csv(f"bad-{table}.csv", [header, *rows])
    book = Workbook()
    sheet = book.active
    sheet.title = table
    sheet.append(header)
    for cells in rows:
        # Excel holds real dates and numbers: a good date is a date cell, not text.
        sheet.append(
            [
                dt.date.fromisoformat(c)
                if isinstance(c, str) and re.fullmatch(r"20\d\d-(0\d|1[0-2])-[0-3]\d", c)
                else c
                for c in cells
            ]
        )
    path = tmp_path / f"bad-{table}.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("table", ["actions", "outreach"])
def test_bad_rows_name_file_row_column_value_expected_and_fix(
    eng, tmp_path, write_csv, run, table, kind
):
    path = _write(tmp_path, write_csv, table, kind)
    result = run("import", eng.path, path, "--table", table)
    said = result.output + result.stderr
    assert result.exit_code == 1, said
    assert f"Import of {path.name} into {table} was rejected" in said
    assert "Nothing was imported" in said and "Traceback" not in said
    lines = said.splitlines()
    for position, (_, expected) in enumerate(CASES[table][1], start=1):
        where = f"row {position} (spreadsheet row {position + 1})"
        mine = [line for line in lines if line.strip().startswith(where)]
        if expected is None:
            assert not mine, mine
            continue
        column, value, words, fix = expected
        line = next((x for x in mine if f'column "{column}"' in x), None)
        assert line is not None, f"{where}, {column}: not named in\n{said}"
        if value is not None:
            assert f'"{value}"' in line, line
        assert words in line and fix in line, line
        assert line.rstrip().endswith("."), line  # whole sentences
    assert eng.table(table).empty


def test_skip_invalid_keeps_the_good_rows_and_lists_the_bad(eng, tmp_path, write_csv, run):
    path = _write(tmp_path, write_csv, "outreach", "xlsx")
    result = run("import", eng.path, path, "--table", "outreach", "--skip-invalid")
    said = result.output + result.stderr
    assert result.exit_code == 0, said
    assert len(eng.outreach) == 1 and "carrier pigeon" in said
