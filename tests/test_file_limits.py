"""Issue 15, item 4 and the encodings of item 7: hostile files refused before reading.

Every attack file is written here, in tmp_path (tests/hostile_files.py builds them byte
by byte: a 17-billion-cell workbook stays 2 KB). The refusals that once cost minutes and
gigabytes run in a child process whose peak memory is measured: the promise is a clear
message (exit 1, no traceback) within 300 MB. Time is not asserted (a loaded machine
must pass); that the refusal comes from the limit check, before any cell is read, is.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import _hostile_files as hostile
from toolkit.errors import DataValidationError
from toolkit.sources import limits as file_limits
from toolkit.sources.spreadsheet import read_grid, read_spreadsheet
from toolkit.store import Engagement

ROOT = Path(__file__).resolve().parents[1]
PEAK_MB = 300


@pytest.fixture
def eng(tmp_path) -> Engagement:
    return Engagement.init(tmp_path / "eng", name="eng")


def _cli_import(eng_path: Path, file: Path, *args: str) -> tuple[subprocess.CompletedProcess, int]:
    """Run ``import`` in a child process; its result and its peak memory in MB.

    A fresh parent measures its only child (RUSAGE_CHILDREN), so nothing else this
    test session ran counts.
    """
    command = [sys.executable, "-m", "toolkit.cli", "import", str(eng_path), str(file), *args]
    probe = textwrap.dedent(
        f"""
        import resource, subprocess, sys
        done = subprocess.run({command!r}, capture_output=True, text=True)
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
        sys.stderr.write(f"\\nPEAK_MB={{peak}}\\n")
        sys.exit(done.returncode)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**_env(), "PYTHONPATH": str(ROOT)},
        timeout=600,
    )
    peak = int(done.stderr.rsplit("PEAK_MB=", 1)[1].split()[0])
    done.stderr = done.stderr.rsplit("\nPEAK_MB=", 1)[0]
    return done, peak


def _env() -> dict:
    import os

    return dict(os.environ)


def _refused(done: subprocess.CompletedProcess, *expected: str) -> str:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.startswith("Error: "), done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr
    return done.stderr


# ----------------------------------------------------------------------------- the attacks


def test_a_2kb_workbook_with_a_cell_at_xfd1048576_is_refused_within_300mb(eng, tmp_path):
    path = hostile.far_cell(tmp_path)
    assert path.stat().st_size < 4096
    done, peak = _cli_import(eng.path, path, "--table", "customers")
    _refused(
        done,
        'far-cell.xlsx: sheet "Data" reaches row 1,048,576 and column XFD: a grid of '
        "17,179,869,184 cells; the toolkit reads at most 40,000,000 cells",
        "the cells limit",
        "delete the empty rows and columns around the data",
        "Split it into files of fewer rows",
        "--limit cells=N",
        "cells = N under [settings.limits] in engagement.toml",
    )
    assert peak < PEAK_MB, f"peak {peak} MB"


def test_the_far_cell_is_refused_by_a_lower_columns_limit_naming_the_cell(eng, tmp_path):
    done, peak = _cli_import(
        eng.path, hostile.far_cell(tmp_path), "--table", "customers", "--limit", "columns=100"
    )
    _refused(done, 'sheet "Data" has a cell in column XFD (cell XFD1048576), 16,384 columns wide')
    assert "at most 100 columns (the columns limit)" in done.stderr
    assert peak < PEAK_MB, f"peak {peak} MB"


def test_a_grid_within_the_cells_limit_but_nearly_empty_is_refused(eng, tmp_path):
    # 30 million cells fit the cells limit (a million rows of 30 columns), but five
    # cells spread over them are a stray value: read, the empty cells cost a gigabyte.
    done, peak = _cli_import(eng.path, hostile.sparse_sheet(tmp_path), "--table", "customers")
    _refused(
        done,
        'sparse.xlsx: sheet "Data" reaches row 1,000,000 and column AD (cell AD1000000): a '
        "grid of 30,000,000 cells, of which only 5 hold anything",
        "Delete the empty rows and columns around the data",
    )
    assert peak < PEAK_MB, f"peak {peak} MB"


def test_values_scattered_over_a_grid_too_large_for_the_file_are_refused(eng, tmp_path):
    # One value a row, spread over 30 columns: one cell in 30 filled passes the sparse
    # rule, but 30 million grid cells from a few MB of sheet would cost a gigabyte.
    path = hostile.scattered_values(tmp_path)
    assert path.stat().st_size < 8 * 1024**2
    done, peak = _cli_import(eng.path, path, "--table", "customers")
    _refused(
        done,
        'scattered.xlsx: sheet "Data" reaches row ',  # refused as soon as the grid passes
        "bytes of sheet. Reading a sheet costs memory for every cell of its grid",
        "Save the sheet as CSV and import that",
    )
    assert peak < PEAK_MB, f"peak {peak} MB"


def test_a_cell_position_written_as_character_references_is_refused(eng, tmp_path):
    # Found by a second reading: r="&#88;FD1048576" hid the far cell from the scan.
    done, peak = _cli_import(eng.path, hostile.escaped_far_cell(tmp_path), "--table", "customers")
    _refused(done, 'escaped.xlsx: sheet "Data" writes a cell\'s position or type with a character')
    assert peak < PEAK_MB, f"peak {peak} MB"


def test_text_the_scan_cannot_see_is_counted_as_it_is_read(eng, tmp_path):
    # An element before each <v> hid 640 million characters of shared text from the scan;
    # the reader's guard counts the text openpyxl hands back and stops at the same limit.
    done, peak = _cli_import(
        eng.path, hostile.hidden_shared_string(tmp_path), "--table", "customers"
    )
    _refused(done, 'hidden-string.xlsx: sheet "Data" holds at least', "(the text_ratio limit)")
    assert peak < PEAK_MB, f"peak {peak} MB"


def test_a_declared_dimension_is_not_trusted_only_the_cells_are_read(tmp_path):
    # openpyxl pads every row to the <dimension> a sheet declares: A1:XFD1048576 alone
    # made 17 billion cells. The sheet holds two rows; two rows are read.
    grid = read_grid(hostile.huge_dimension(tmp_path))
    assert grid.cells.shape == (2, 2)
    assert grid.cells.iloc[1].tolist() == ["c1", "Residents"]


def test_a_workbook_repeating_a_32000_character_shared_string_is_refused(eng, tmp_path):
    path = hostile.repeated_shared_string(tmp_path)
    assert path.stat().st_size < 1024 * 1024
    before = eng.path.joinpath("data.sqlite").stat().st_size
    done, peak = _cli_import(eng.path, path, "--table", "customers")
    _refused(
        done,
        'repeated-string.xlsx: sheet "Data" repeats its shared strings into at least',
        "the text_ratio limit",
        "--limit text_ratio=N",
    )
    assert peak < PEAK_MB, f"peak {peak} MB"
    assert eng.path.joinpath("data.sqlite").stat().st_size == before


def test_its_bigger_sibling_is_refused_the_same_way(eng, tmp_path):
    path = hostile.repeated_shared_string(tmp_path, cells=1_200_000)
    assert 1024**2 < path.stat().st_size < 8 * 1024**2
    done, peak = _cli_import(eng.path, path, "--table", "customers")
    _refused(done, "the text_ratio limit")
    assert peak < PEAK_MB, f"peak {peak} MB"


def test_a_shared_string_table_larger_than_its_sheets_can_show_is_refused(tmp_path):
    path = hostile.xlsx(
        tmp_path / "strings.xlsx",
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        shared=["y" * 30_000] * 400,
    )
    with pytest.raises(
        DataValidationError, match=r"its shared strings hold .* \(the text_ratio limit\)"
    ):
        read_grid(path)


def test_shared_strings_that_compress_like_repeated_text_are_a_zip_bomb(tmp_path):
    # openpyxl holds every shared string in memory: 23 MB of near-identical strings from
    # 0.3 MB is refused before it is read (real, different strings compress 3-10 times).
    path = hostile.xlsx(
        tmp_path / "strings-bomb.xlsx",
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        shared=[f"comment number {i:08d} " + "y" * 200 for i in range(100_000)],
    )
    assert path.stat().st_size < 1024**2
    with pytest.raises(
        DataValidationError, match=r"sharedStrings.xml unpacks from .*\(a zip bomb\?\)"
    ):
        read_grid(path)


def test_a_csv_with_a_million_columns_is_refused_within_300mb(eng, tmp_path):
    # The wide line is the fourth: the old check looked at the first 64 KB only.
    path = hostile.wide_csv(tmp_path, columns=1_000_000, header=3)
    done, peak = _cli_import(eng.path, path, "--table", "customers")
    _refused(
        done,
        "wide-1000000.csv: row 4 has 1,000,000 cells separated by commas",
        "the columns limit",
        "--limit columns=N",
    )
    assert peak < PEAK_MB, f"peak {peak} MB"


def test_a_16000_column_csv_is_refused_early_under_a_lower_engagement_limit(eng, tmp_path):
    toml = eng.path / "engagement.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("columns = 16384", "columns = 2000"),
        encoding="utf-8",
    )
    path = hostile.wide_csv(tmp_path, columns=16_000, header=1)
    with pytest.raises(
        DataValidationError, match="row 2 has 16,000 cells .* at most 2,000 columns"
    ):
        Engagement.open(eng.path).import_file(path, table="customers")


def test_a_very_long_line_is_refused_before_reading(eng, tmp_path):
    done, peak = _cli_import(eng.path, hostile.long_line_csv(tmp_path), "--table", "customers")
    _refused(done, "long-line.csv: line 3 is longer than 4 MB", "the line_mb limit")
    assert peak < PEAK_MB, f"peak {peak} MB"


def test_a_csv_with_too_many_cells_is_refused_and_the_option_raises_the_limit(eng, tmp_path):
    path = hostile.many_rows_csv(tmp_path, rows=20_000, columns=3)
    with pytest.raises(DataValidationError) as refused:
        eng.import_file(path, table="customers", limits={"cells": 30_000}, dry_run=True)
    message = str(refused.value)
    assert "has at least 10,001 rows of up to 3 cells" in message
    assert "at most 30,000 cells (rows × columns) from one file (the cells limit)" in message
    assert "Split it into files of fewer rows" in message and "--limit cells=N" in message
    # Raised, the same limit lets the file through to the row checks.
    with pytest.raises(DataValidationError, match="has no .*column"):
        eng.import_file(path, table="customers", limits={"cells": 100_000}, dry_run=True)


def test_the_cells_limit_counts_an_xlsx_grid_too(tmp_path):
    rows = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>1</v></c></row>'
        for r in range(1, 201)
    )
    path = hostile.xlsx(tmp_path / "grid.xlsx", rows)
    with file_limits.using(file_limits.Limits(cells=399)):
        with pytest.raises(DataValidationError, match="reaches row 200 and column B"):
            read_grid(path)
    with file_limits.using(file_limits.Limits(cells=400)):
        assert read_grid(path).cells.shape == (200, 2)


def test_cells_without_a_position_are_counted_in_order(tmp_path):
    # Some programs leave out r="A1": openpyxl then counts the cells of a row in order.
    rows = "<row><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row><row><c><v>4</v></c></row>"
    path = hostile.xlsx(tmp_path / "no-refs.xlsx", rows)
    with file_limits.using(file_limits.Limits(columns=2)):
        with pytest.raises(DataValidationError, match="in column C .* 3 columns wide"):
            read_grid(path)
    assert read_grid(path).cells.shape == (2, 3)


def test_a_dangling_shared_string_is_a_clear_error_not_an_index_error(eng, tmp_path):
    done, _ = _cli_import(
        eng.path, hostile.dangling_shared_string(tmp_path), "--table", "customers"
    )
    _refused(
        done, "a cell naming shared string number 99, but the workbook has only 2 shared strings"
    )


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (hostile.billion_laughs, "declares a DTD or entities"),
        (hostile.truncated_xlsx, "is not a valid .xlsx file"),
        (hostile.not_a_zip, "is not a valid .xlsx file (it is not a zip archive"),
        (hostile.sheet_bomb, "times larger, as no real workbook does (a zip bomb?)"),
    ],
)
def test_corrupt_workbooks_are_clear_errors_through_the_cli(eng, tmp_path, build, expected):
    done, peak = _cli_import(eng.path, build(tmp_path), "--table", "customers")
    _refused(done, expected)
    assert peak < PEAK_MB, f"peak {peak} MB"


def test_a_sheet_written_in_utf16_is_refused_its_cells_would_escape_the_checks(tmp_path):
    path = hostile.xlsx(tmp_path / "u16.xlsx", hostile.header_rows())
    import zipfile

    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        'encoding="UTF-8"', 'encoding="UTF-16"'
    ).encode("utf-16")
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with pytest.raises(DataValidationError, match="sheet1.xml is written in UTF-16"):
        read_grid(path)


def test_the_forms_upload_refuses_hostile_files_on_the_page(tmp_path):
    from toolkit.forms.app import forms_app

    engagement = Engagement.init(tmp_path / "riverside", name="riverside")
    wizard = forms_app(engagement).wizard
    for build, expected in [
        (hostile.far_cell, "the cells limit"),
        (hostile.dangling_shared_string, "shared string number 99"),
        (hostile.billion_laughs, "declares a DTD"),
        (hostile.not_a_zip, "is not a valid .xlsx file"),
        (hostile.long_line_csv, "the line_mb limit"),
    ]:
        wizard.load(build(tmp_path))
        assert 'role="alert"' in wizard.detected.value and expected in wizard.detected.value
        assert wizard.file is None and wizard.check_button.disabled


def test_an_upload_goes_through_the_same_checks(tmp_path):
    from toolkit.forms.app import forms_app

    engagement = Engagement.init(tmp_path / "riverside", name="riverside")
    wizard = forms_app(engagement).wizard
    content = hostile.repeated_shared_string(tmp_path).read_bytes()
    wizard._uploaded({"new": [{"name": "survey.xlsx", "content": memoryview(content)}]})
    assert "survey.xlsx could not be read" in wizard.detected.value
    assert "the text_ratio limit" in wizard.detected.value and wizard.file is None


def test_the_forms_upload_uses_the_engagements_limits(tmp_path):
    from toolkit.forms.app import forms_app

    engagement = Engagement.init(
        tmp_path / "riverside", name="riverside", settings={"settings": {"limits": {"cells": 5}}}
    )
    wizard = forms_app(engagement).wizard
    path = tmp_path / "small.csv"
    path.write_text("customer_id,name\nc1,A\nc2,B\nc3,C\n", encoding="utf-8")
    wizard.load(path)
    assert "at most 5 cells" in wizard.detected.value and "the cells limit" in wizard.detected.value


# ----------------------------------------------------------------------------- the limits


def test_limits_are_named_and_checked_where_they_are_set(eng, tmp_path):
    assert file_limits.Limits.from_settings(eng.settings) == file_limits.Limits()
    with pytest.raises(DataValidationError, match='"rows" is not a limit. The limits are: cells'):
        file_limits.Limits.from_settings(eng.settings, {"rows": 5})
    with pytest.raises(DataValidationError, match="expected a whole number of at least 1"):
        file_limits.Limits.from_settings(eng.settings, {"cells": "lots"})
    toml = eng.path / "engagement.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("line_mb = 4", "line_mb = 0"), encoding="utf-8"
    )
    from toolkit.errors import StoreError

    with pytest.raises(StoreError, match=r"settings.limits.line_mb = 0 is not valid"):
        Engagement.open(eng.path)


def test_the_cli_option_sets_a_limit_for_one_import(eng, customers_csv, run):
    result = run(
        "import", str(eng.path), str(customers_csv), "--table", "customers", "--limit", "cells=5"
    )
    assert result.exit_code == 1 and "at most 5 cells" in result.output
    assert "Traceback" not in result.output and eng.customers.empty
    result = run(
        "import", str(eng.path), str(customers_csv), "--table", "customers", "--limit", "rows=5"
    )
    assert result.exit_code == 1 and '"rows" is not a limit' in result.output
    result = run("import", str(eng.path), str(customers_csv), "--table", "customers")
    assert result.exit_code == 0 and len(eng.customers) == 3  # the next import: the defaults


def test_the_cli_option_is_worded_when_mistyped(eng, customers_csv, run):
    result = run(
        "import", str(eng.path), str(customers_csv), "--table", "customers", "--limit", "cells"
    )
    assert result.exit_code == 2 and "write it as NAME=N" in result.output


def test_the_defaults_admit_a_million_rows_of_thirty_columns():
    defaults = file_limits.Limits()
    assert defaults.cells >= 1_000_000 * 30 and defaults.columns >= 30


@pytest.mark.slow
def test_a_million_rows_of_thirty_columns_pass_the_csv_check(tmp_path):
    path = hostile.many_rows_csv(tmp_path, rows=1_000_000, columns=30)
    file_limits.check_csv(path, "utf-8", ",")  # no refusal


# ----------------------------------------------------------------------------- encodings


def test_utf16le_with_a_bom_tab_separated_imports(eng, tmp_path):
    # Excel's "Unicode Text": UTF-16LE with a BOM, tabs between cells, CRLF line ends.
    path = tmp_path / "unicode-text.txt"
    text = "customer_id\tname\tkind\r\nc1\tRésidents 日本\texternal\r\nc2\tAgencies\texternal\r\n"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    result = eng.import_file(path, table="customers")
    assert result.rows_added == 2 and result.details["encoding"] == "utf-16"
    assert sorted(eng.customers["name"]) == ["Agencies", "Résidents 日本"]


def test_utf16be_with_a_bom_imports(eng, tmp_path):
    path = tmp_path / "be.csv"
    path.write_bytes(b"\xfe\xff" + "customer_id,name,kind\nc1,Zoë,external\n".encode("utf-16-be"))
    assert eng.import_file(path, table="customers").rows_added == 1
    assert eng.customers["name"].tolist() == ["Zoë"]


def test_shift_jis_is_refused_not_read_as_cp1252_and_imports_when_named(eng, tmp_path, run):
    path = tmp_path / "sjis.csv"
    path.write_bytes("customer_id,name,kind\nc1,日本,external\n".encode("shift_jis"))
    result = run("import", str(eng.path), str(path), "--table", "customers")
    assert result.exit_code == 1
    assert "sjis.csv: is not UTF-8 text" in result.output
    assert "It looks like Japanese text (Shift-JIS)" in result.output
    assert "UTF-8 (with or without a BOM), UTF-16 with a BOM" in result.output
    assert "--encoding shift_jis" in result.output
    assert eng.customers.empty
    result = run(
        "import", str(eng.path), str(path), "--table", "customers", "--encoding", "shift_jis"
    )
    assert result.exit_code == 0, result.output
    assert eng.customers["name"].tolist() == ["日本"]


def test_cyrillic_in_cp1251_is_refused_without_a_wrong_guess(eng, tmp_path):
    path = tmp_path / "ru.csv"
    path.write_bytes("customer_id,name,kind\nc1,Привет,external\n".encode("cp1251"))
    with pytest.raises(DataValidationError, match='would come out as "Ïðèâåò"') as refused:
        eng.import_file(path, table="customers")
    assert "Japanese" not in str(refused.value).split("for example")[0]
    assert "--encoding cp1251 for Russian" in str(refused.value)
    eng.import_file(path, table="customers", encoding="cp1251")
    assert eng.customers["name"].tolist() == ["Привет"]


@pytest.mark.parametrize(
    "text", ["café", "Très bien, merci — “quoted” café", "Größe Müller naïve Zoë Ærø £5 €3"]
)
def test_western_text_in_cp1252_still_imports(eng, tmp_path, text):
    path = tmp_path / "w.csv"
    path.write_bytes(f'customer_id,name,kind\nc1,"{text}",external\n'.encode("cp1252"))
    result = eng.import_file(path, table="customers")
    assert result.details["encoding"] == "cp1252"
    assert eng.customers["name"].tolist() == [text]


def test_an_unknown_encoding_name_is_a_clear_error(eng, customers_csv):
    with pytest.raises(DataValidationError, match='"klingon" is not an encoding Python knows'):
        eng.import_file(customers_csv, table="customers", encoding="klingon")


def test_a_byte_windows_1252_leaves_undefined_is_refused(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(b"customer_id,name\nc1,ab\x81cd\n")
    with pytest.raises(DataValidationError, match="is not UTF-8 text"):
        read_spreadsheet(path)


# ----------------------------------------------------------------------------- fuzzing


def _fuzz_cases(tmp_path: Path, count: int):
    """Workbooks with their sheet XML cut short, spliced or sprinkled with bytes; and zips
    with bytes flipped. Seeded: the same files every run."""
    import random
    import zipfile

    rng = random.Random(15)
    rows = hostile.header_rows() + "".join(
        f'<row r="{r}"><c r="A{r}" t="s"><v>{r % 2}</v></c><c r="B{r}"><v>{r}</v></c></row>'
        for r in range(3, 40)
    )
    good = hostile.xlsx(tmp_path / "good.xlsx", rows, shared=["a", "b"]).read_bytes()
    with zipfile.ZipFile(tmp_path / "good.xlsx") as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    for i in range(count):
        path = tmp_path / f"fuzz-{i}.xlsx"
        kind = i % 3
        if kind == 0:  # flipped bytes in the zip itself
            data = bytearray(good)
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            path.write_bytes(bytes(data))
            continue
        name = rng.choice(sorted(parts))
        xml = parts[name]
        if kind == 1:  # cut short, or a piece of it repeated
            at = rng.randrange(len(xml))
            xml = xml[:at] if rng.random() < 0.5 else xml[:at] + xml[rng.randrange(len(xml)) :]
        else:  # junk sprinkled in
            junk = bytes(rng.choice(b'<>/="&;x \x00\xff9') for _ in range(rng.randint(1, 8)))
            at = rng.randrange(len(xml))
            xml = xml[:at] + junk + xml[at:]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for part, data in parts.items():
                zf.writestr(part, xml if part == name else data)
    return [tmp_path / f"fuzz-{i}.xlsx" for i in range(count)]


def test_damaged_workbooks_give_clear_errors_or_read_never_a_traceback(tmp_path):
    from toolkit.sources.detect import detect_format

    refused = 0
    for path in _fuzz_cases(tmp_path, 150):
        try:
            detect_format(path)
            read_grid(path)
        except DataValidationError as err:
            refused += 1
            assert str(err).startswith(path.name), err
    assert refused > 50  # most damage is found; what is not reads as a workbook


def _csv_module_shape(path: Path, delimiter: str = ",") -> tuple[int, int]:
    import csv

    rows = widest = 0
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter=delimiter):
            rows, widest = rows + 1, max(widest, len(row))
    return rows, widest


@pytest.mark.parametrize(
    "text",
    [
        "a,b,c\n1,2\n",
        "a,b,c\r\n1,2,3,4\r\n\r\n",
        "x\n\n\ny,z",
        "é,ü,ß\n1,2,3",
        "a,b\n,,,\n   \n",
        "only one line with no break",
    ],
)
@pytest.mark.parametrize("block", [5, 1 << 20])
def test_a_quote_free_csv_is_counted_as_the_csv_module_counts_it(
    tmp_path, monkeypatch, text, block
):
    # The fast count (bytes, numpy) agrees with Python's csv module, across block edges.
    monkeypatch.setattr(file_limits, "_BLOCK_BYTES", block)
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert file_limits._plain_csv_shape(path, "utf-8", ",", 1000) == _csv_module_shape(path)


@pytest.mark.parametrize("text", ['a,"b,c"\n1,2\n', "a,b\rc,d\r", "a\tb\n"])
def test_the_fast_count_leaves_quotes_and_odd_line_breaks_to_the_csv_module(tmp_path, text):
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert file_limits._plain_csv_shape(path, "utf-16", ",", 1000) is None
    if text != "a\tb\n":
        assert file_limits._plain_csv_shape(path, "utf-8", ",", 1000) is None


def test_a_quote_free_csv_past_a_limit_is_refused_with_the_usual_message(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("a,b,c,d\n1,2,3,4\n", encoding="utf-8")
    with (
        file_limits.using(file_limits.Limits(columns=3)),
        pytest.raises(DataValidationError) as err,
    ):
        file_limits.check_csv(path, "utf-8", ",")
    assert "row 1 has 4 cells separated by commas" in str(err.value)


def test_blank_cells_are_found_alike_in_arrow_and_python_text():
    import pandas as pd

    from toolkit.sources.spreadsheet import _filled

    cells = ["a", " ", "", " x", "\u3000", "\u3000y", "\x1c", "b ", None] * 200
    arrow = pd.DataFrame({0: pd.Series(cells, dtype="str"), 1: pd.Series(cells[::-1], dtype="str")})
    python = arrow.astype(object).fillna("")
    assert (_filled(arrow) == _filled(python)).all()
    assert _filled(arrow)[:9, 0].tolist() == [
        True,
        False,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
    ]
