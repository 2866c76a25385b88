"""Read a CSV or XLSX file as a person sees it in their spreadsheet program.

Every cell comes back as text (blank cells as ""), together with the spreadsheet row
number of every data row, so that any later message can point at the row the person
sees. This module knows about encodings, delimiters, title rows above the header and
trailing empty rows and columns; it knows nothing about what the columns mean.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit._tabular import arrow_cells, edge_is_space
from toolkit.errors import DataValidationError
from toolkit.schema.raw import RawTable
from toolkit.sources.limits import (
    DAMAGED_ZIP,
    ReadGuard,
    check_csv,
    check_workbook,
    checked_sheet,
    column_letters,
)

__all__ = ["RawTable", "Grid", "read_spreadsheet", "read_grid", "SPREADSHEET_SUFFIXES"]

SPREADSHEET_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
_SNIFF_BYTES = 64 * 1024
_HEADER_SEARCH_ROWS = 30


def read_spreadsheet(
    path: str | Path,
    *,
    header_hint: Callable[[list[str]], int] | None = None,
    sheet: str | None = None,
    sheet_hint: tuple[str, ...] = (),
    encoding: str | None = None,
    delimiter: str | None = None,
) -> RawTable:
    """Read a CSV or XLSX file into text cells, finding its header row.

    Parameters
    ----------
    path : str or Path
        The file.
    header_hint : callable, optional
        Scores a candidate header row (its cells); the first row with the highest
        positive score among the first 30 rows is the header. Without a hint, or when
        no row scores, the first non-empty row is the header.
    sheet : str, optional
        The XLSX sheet to read. Without it, the first sheet named in ``sheet_hint``,
        else the first sheet with any data.
    sheet_hint : tuple of str
        Sheet names to prefer, compared case-insensitively.
    encoding, delimiter : str, optional
        Override the detected CSV encoding and delimiter.

    Returns
    -------
    RawTable

    Raises
    ------
    DataValidationError
        The file is missing, empty, not a spreadsheet, or cannot be parsed; the
        message says which and what to do.
    """
    grid = read_grid(
        path, sheet=sheet, sheet_hint=sheet_hint, encoding=encoding, delimiter=delimiter
    )
    return _to_raw(
        (grid.cells, grid.first_row - 1), grid.file, grid.format, grid.details, header_hint
    )


@dataclass
class Grid:
    """Every cell of a file as text, before any header is chosen.

    Attributes
    ----------
    cells : DataFrame
        Columns numbered from 0; every cell a str ("" when blank).
    first_row : int
        The spreadsheet row number of ``cells``' first row (title rows a CSV reader
        skipped are counted).
    file, format, details
        As for :class:`RawTable`.
    """

    cells: pd.DataFrame
    first_row: int
    file: str
    format: str
    details: dict = field(default_factory=dict)


def read_grid(
    path: str | Path,
    *,
    sheet: str | None = None,
    sheet_hint: tuple[str, ...] = (),
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Grid:
    """Read a CSV or XLSX file's cells as text, for readers that find their own headers.

    Survey exports put two or three header rows on top (Qualtrics, SurveyMonkey);
    their readers take the header rows from ``cells`` themselves. Parameters and
    errors are those of :func:`read_spreadsheet`.
    """
    path = Path(path)
    if not path.is_file():
        raise DataValidationError(f"{path}: no such file. Check the path and try again.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        (grid, skipped), details = _read_xlsx(path, sheet, sheet_hint)
        fmt = "xlsx"
    elif suffix == ".xls":
        raise DataValidationError(
            f"{path.name}: this is an old Excel .xls file, which the toolkit cannot read. "
            "Open it in Excel or LibreOffice and save it as .xlsx or .csv, then import that."
        )
    else:
        (grid, skipped), details = _read_csv(path, encoding, delimiter)
        fmt = "csv"
    grid = grid.copy()
    grid.columns = range(grid.shape[1])
    return Grid(grid, skipped + 1, path.name, fmt, details)


# ----------------------------------------------------------------------------- CSV


def _detect_encoding(path: Path, head: bytes) -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, or Windows-1252 when the bytes fit it.

    Anything else is refused, never guessed: see :func:`_refuse_not_western`.
    """
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    # A chunk may end inside a multi-byte character: decode incrementally.
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(16 * 1024 * 1024):
                decoder.decode(chunk)
                done += len(chunk)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError as err:
        bad_at = done + err.start
    # Not UTF-8 throughout. If it has UTF-8 accented letters too, it mixes two encodings
    # (rows pasted from two files): read as cp1252 every é in UTF-8 would turn into Ã©.
    with path.open("rb") as fh:
        while chunk := fh.read(16 * 1024 * 1024):
            if _UTF8_LETTER.search(chunk):
                raise DataValidationError(
                    f"{path.name}: mixes two text encodings: it has UTF-8 accented letters, but "
                    f"line {_line_at(path, bad_at)} has a character that is not UTF-8 (byte "
                    f"{bad_at}). Read either way, some letters would come out wrong. Save the "
                    "file again as UTF-8 CSV (in Excel: CSV UTF-8), or pass --encoding to say "
                    "which to use."
                )
    _refuse_not_western(path)
    return "cp1252"


#: Bytes Windows-1252 leaves undefined: text with one of them was written in another encoding.
_NOT_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
#: Three bytes above 127 in a row: in Western European text a word has at most two
#: accented letters side by side ("Größe"); Japanese, Chinese, Korean, Cyrillic or Greek
#: text read as Windows-1252 has them everywhere ("日本" in Shift-JIS reads "“ú–{").
_FOREIGN_RUN = re.compile(rb"[\x80-\xff]{3,}")
#: Code pages whose text also passes for Windows-1252 byte by byte. Shift-JIS is the
#: narrowest (text in the others seldom reads as Shift-JIS): only it is named as a guess.
_OTHER_CODE_PAGES = ("shift_jis", "cp949", "big5", "gbk")
_ACCEPTED = (
    "The toolkit reads UTF-8 (with or without a BOM), UTF-16 with a BOM (Excel's "
    "Unicode Text) and Windows-1252 (Western European) when the bytes fit it; it guesses "
    "no other."
)


def _refuse_not_western(path: Path) -> None:
    """Refuse a file that is not UTF-8 and would not read right as Windows-1252 either."""
    with path.open("rb") as fh:
        data = fh.read(16 * 1024**2)  # a large file is judged by its first 16 MB
    found = _NOT_CP1252.search(data) or _FOREIGN_RUN.search(data)
    east_asian = [codec for codec in _OTHER_CODE_PAGES if _reads_as(data, codec)]
    if found is None and not east_asian:
        return
    if found is None:
        found = re.search(rb"[\x80-\xff]", data)
    at = found.start()
    shown = data[at : at + 6].decode("cp1252", errors="replace")
    if east_asian[:1] == ["shift_jis"]:
        guess = " It looks like Japanese text (Shift-JIS)."
        example = "--encoding shift_jis"
    else:
        guess = ""
        example = (
            "--encoding cp1251 for Russian, cp1250 for Central European, shift_jis for "
            "Japanese, gbk for Chinese or cp949 for Korean"
        )
    raise DataValidationError(
        f"{path.name}: is not UTF-8 text, and read as Western European text (Windows-1252) "
        f'line {_line_at(path, at)} would come out as "{shown}" (byte {at}).{guess} '
        f"{_ACCEPTED} Save the file as UTF-8 CSV (in Excel: "
        f"CSV UTF-8), or name its encoding with --encoding (for example {example})."
    )


def _reads_as(data: bytes, codec: str) -> bool:
    """Whether ``data`` is valid ``codec`` text with East Asian words in it."""
    try:
        text = codecs.getincrementaldecoder(codec)().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    # Two such characters side by side: one alone is what an accented letter and the
    # letter after it make in these code pages ("ès" is one Shift-JIS character).
    return bool(re.search("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{2}", text))


def _line_at(path: Path, offset: int) -> int:
    with path.open("rb") as fh:
        return fh.read(offset).count(b"\n") + 1


#: Control characters no text file has (tab, line feed and carriage return are fine).
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13))
#: A two-byte UTF-8 letter (é is C3 A9); in cp1252 text such pairs are all but unheard of.
_UTF8_LETTER = re.compile(rb"[\xc3\xc4\xc5][\x80-\xbf]")


def check_encoding(encoding: str, path: Path | None = None) -> str:
    """The standard name of ``encoding``, or a clear error when Python knows no such one."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        where = f"{path.name}: " if path else ""
        raise DataValidationError(
            f'{where}--encoding {encoding}: "{encoding}" is not an encoding Python knows. '
            "Use a name such as utf-8, utf-16, cp1252, latin-1, shift_jis, cp1251 or gbk."
        ) from None


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sum(line.count(d) for line in lines) for d in ",;\t|"}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_csv(path: Path, encoding: str | None, delimiter: str | None):
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if not head.strip():
        raise DataValidationError(
            f"{path.name}: the file is empty. Export the data again, or check you chose the right file."
        )
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if (b"\x00" in head or controls > len(head) // 100) and not head.startswith(
        (b"\xff\xfe", b"\xfe\xff")
    ):
        raise DataValidationError(
            f"{path.name}: this is not a text (CSV) file; it looks like binary data. "
            "Save the data as CSV (comma-separated) or XLSX and import that."
        )
    encoding = check_encoding(encoding, path) if encoding else _detect_encoding(path, head)
    sample = head.decode(encoding, errors="replace")
    delimiter = delimiter or _sniff_delimiter(sample)
    # Every limit (line length, columns, cells) is checked before pandas reads a cell.
    check_csv(path, encoding, delimiter)
    header_at, width = _header_guess(sample, delimiter, path.name)
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            header=None,
            skiprows=header_at,
            skip_blank_lines=False,
            names=range(width) if width else None,
            engine="c",
            quotechar='"',
        )
    except pd.errors.ParserError as err:
        raise DataValidationError(
            f"{path.name}: could not be read as CSV with {_delimiter_name(delimiter)} between "
            f"columns ({err}). A row may have more cells than the header row: check that "
            "cells containing the separator are in double quotes, or pass --delimiter."
        ) from err
    except UnicodeDecodeError as err:
        raise DataValidationError(
            f"{path.name}: is not valid {encoding} text ({err.reason} at byte {err.start}). "
            "Save it as UTF-8 CSV, or pass --encoding."
        ) from err
    _refuse_cut_short(path, frame, header_at, delimiter, encoding)
    grid = frame.fillna("")
    return (grid, header_at), {"encoding": encoding, "delimiter": delimiter}


def _refuse_cut_short(path: Path, frame: pd.DataFrame, header_at: int, delimiter, encoding):
    """Refuse a CSV whose last line stops part-way with no line break (a cut-off download).

    Only a last line with no quotes is judged (a quoted cell may span lines): fewer
    cells than the rows above, and no line break after it, means the file was cut off.
    """
    if len(frame) < 2:
        return
    tail = _tail_text(path, encoding)
    if tail.endswith(("\n", "\r")):
        return
    last = tail.rsplit("\n", 1)[-1]
    if '"' in last or not last.strip():
        return
    cells = next(csv.reader([last], delimiter=delimiter))
    if len(cells) >= frame.shape[1]:
        return
    raise DataValidationError(
        f"{path.name}: looks cut off: its last line (spreadsheet row {header_at + len(frame)}) "
        f"stops after {len(cells)} of {frame.shape[1]} cells, with no line break at the end. "
        "The download or copy may not have finished: export the file again."
    )


def _tail_text(path: Path, encoding: str) -> str:
    """The last 64 KB of a file as text (UTF-16 read from a whole character on)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        bom = fh.read(2)
        start = max(size - _SNIFF_BYTES, 0)
        if encoding.replace("_", "-").lower().startswith("utf-16"):
            start += start % 2
            encoding = "utf-16-be" if bom == b"\xfe\xff" else "utf-16-le"
        fh.seek(start)
        tail = fh.read()
    return tail.decode(encoding, errors="replace")


def _header_guess(sample: str, delimiter: str, name: str) -> tuple[int, int | None]:
    """Rows to skip before the widest of the first rows, and the widest row's width.

    Title rows above the header usually have one cell; the header is the first row as
    wide as the widest row near the top. A row below the header with more cells than
    the header (an unquoted separator: ``Smith, John``) is refused, as pandas refuses
    one further down the file.
    """
    lines = sample.splitlines()[:_HEADER_SEARCH_ROWS]
    if len(lines) == _HEADER_SEARCH_ROWS or len(sample) >= _SNIFF_BYTES:
        lines = lines[:-1]  # the last line of a sample may be cut short
    rows = list(csv.reader(lines, delimiter=delimiter))
    widths = [len(r) for r in rows]
    if not widths:
        return 0, None
    widest = max(widths)
    filled = [sum(1 for c in r if c.strip()) for r in rows]
    best_filled = max(filled)
    for i, count in enumerate(filled):
        if count >= max(2, best_filled // 2) or (best_filled <= 1 and count):
            below = [j for j in range(i + 1, len(rows)) if filled[j]]
            wider = [j for j in below if widths[j] > widths[i]]
            # Every row ending in the same empty cells is a style (a separator at the end
            # of each data line), not a shifted row.
            trailing = len(wider) == len(below) and all(
                widths[j] == widths[wider[0]] and not any(c.strip() for c in rows[j][widths[i] :])
                for j in wider
            )
            if wider and not trailing:
                j = wider[0]
                raise DataValidationError(
                    f"{name}: could not be read as CSV with {_delimiter_name(delimiter)} between "
                    f"columns: spreadsheet row {j + 1} has {widths[j]} cells but the header row "
                    f"(spreadsheet row {i + 1}) has {widths[i]}. A row may have more cells than "
                    "the header row: check that cells containing the separator are in double "
                    "quotes, or pass --delimiter."
                )
            return i, widest
    return 0, widest


def _delimiter_name(delimiter: str) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}.get(
        delimiter, repr(delimiter)
    )


# ----------------------------------------------------------------------------- XLSX


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def open_workbook(path: Path):
    """Open an XLSX read-only, refusing files that are not workbooks or pass a limit.

    The zip and the shared strings are checked (:func:`toolkit.sources.limits.check_workbook`)
    before openpyxl reads anything; read each sheet with :func:`sheet_rows`, which checks it.
    """
    import openpyxl

    check_workbook(path)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for damaged workbooks
        raise DataValidationError(
            f"{path.name}: could not be opened as an Excel workbook ({type(err).__name__}: {err}). "
            "Open it in Excel and save it as .xlsx again, or save the sheet as CSV."
        ) from err


def sheet_rows(book, path: Path, name: str, *, max_row: int | None = None) -> Iterator[list[str]]:
    """Each row of a sheet as text cells, once the sheet is checked against the limits.

    The size the sheet declares (its ``<dimension>``) is not trusted: openpyxl would pad
    every row to it. Only the cells the sheet holds are read.
    """
    sheet = book[name]
    guard = ReadGuard(path.name, name, checked_sheet(path, sheet._worksheet_path.lstrip("/"), name))
    sheet.reset_dimensions()
    with damaged_sheet(path, name):
        for row in sheet.iter_rows(values_only=True, max_row=max_row):
            cells = [_cell_text(v) for v in row]
            guard.row(cells)
            yield cells


@contextlib.contextmanager
def damaged_sheet(path: Path, sheet: str):
    """Word the errors of a sheet that cannot be read to its end (openpyxl reads lazily)."""
    try:
        yield
    except DataValidationError:
        raise
    except (*DAMAGED_ZIP, SyntaxError, KeyError, TypeError, IndexError, AttributeError) as err:
        # xml.etree's ParseError is a SyntaxError; a bad CRC is a BadZipFile.
        raise DataValidationError(
            f'{path.name}: sheet "{sheet}" is damaged and could not be read to its end '
            f"({type(err).__name__}: {err}). Open the file in Excel and save it as .xlsx "
            "again, or save the sheet as CSV."
        ) from err


def _read_xlsx(path: Path, sheet: str | None, sheet_hint: tuple[str, ...]):
    book = open_workbook(path)
    try:
        names = book.sheetnames
        if sheet is not None:
            match = [n for n in names if n.strip().lower() == sheet.strip().lower()]
            if not match:
                raise DataValidationError(
                    f'{path.name}: has no sheet "{sheet}". Its sheets are: '
                    + ", ".join(f'"{n}"' for n in names)
                    + "."
                )
            chosen = match[0]
        else:
            hints = [h.lower() for h in sheet_hint]
            by_hint = [n for h in hints for n in names if n.strip().lower() == h]
            chosen = by_hint[0] if by_hint else None
        candidates = [chosen] if chosen else names
        for name in candidates:
            rows = list(sheet_rows(book, path, name))
            if any(any(c.strip() for c in row) for row in rows):
                chosen = name
                break
        else:
            where = f'sheet "{chosen}"' if chosen else "any sheet"
            raise DataValidationError(
                f"{path.name}: {where} has no data. Fill it in and try again."
            )
        _refuse_unsaved_formulas(path, book[chosen]._worksheet_path, chosen)
    finally:
        book.close()
    width = max((len(r) for r in rows), default=0)
    grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=str)
    return (grid, 0), {"sheet": chosen}


#: A cell holding a formula and no saved value (``<v/>`` or no ``<v>`` at all).
_UNSAVED_FORMULA = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"[^>]*>(?:<f[^>]*/>|<f[^>]*>([^<]*)</f>)(?:<v\s*/>|<v></v>)?</c>'
)
_FORMULA_SCAN_BYTES = 64 * 1024**2


def _refuse_unsaved_formulas(path: Path, member: str, sheet: str) -> None:
    """Refuse a sheet whose formulas have no saved values (read, they would be blank).

    Excel and LibreOffice save each formula's value beside it; a file written by a
    program may not, and its formula cells then read as blank: a weight or a comment
    would go missing without a word. Sheets over 64 MB are not scanned.
    """
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
        if info.file_size > _FORMULA_SCAN_BYTES:
            return
        xml = zf.read(member)
    if b"<f" not in xml:
        return
    found = _UNSAVED_FORMULA.findall(xml)
    if not found:
        return
    ref, formula = found[0]
    shown = f"={formula.decode(errors='replace')}" if formula else "a shared formula"
    more = f", and {len(found) - 1} more" if len(found) > 1 else ""
    raise DataValidationError(
        f'{path.name}: sheet "{sheet}" has formulas with no saved value (cell '
        f"{ref.decode()}: {shown}{more}). The program that wrote the file did not calculate "
        "them, so those cells would read as blank. Open the file in Excel or LibreOffice and "
        "save it (that stores the values), or type the values in. Nothing was imported."
    )


# ----------------------------------------------------------------------------- both


def _to_raw(grid_at, name, fmt, details, header_hint) -> RawTable:
    grid, skipped = grid_at
    if grid.empty:
        raise DataValidationError(f"{name}: the file is empty. Export the data again.")
    # Trailing empty columns (no header, no values) go; so do empty rows anywhere.
    filled = pd.DataFrame(_filled(grid), index=grid.index, columns=grid.columns)
    keep_cols = filled.any(axis=0).to_numpy()
    grid = grid.loc[:, keep_cols]
    filled = filled.loc[:, keep_cols]
    nonempty_rows = np.flatnonzero(filled.any(axis=1).to_numpy())
    if nonempty_rows.size == 0:
        raise DataValidationError(f"{name}: the file has no data. Fill it in and try again.")
    top = grid.iloc[:_HEADER_SEARCH_ROWS].astype(str).to_numpy().tolist()
    header_pos = int(nonempty_rows[0])
    if header_hint is not None:
        scores = [header_hint([c.strip() for c in row]) for row in top]
        if max(scores, default=0) > 0:
            header_pos = int(np.argmax(scores))
    header = [str(c).replace("\ufeff", "").strip() for c in grid.iloc[header_pos]]
    body = grid.iloc[header_pos + 1 :]
    body_rows = np.arange(header_pos + 1, len(grid)) + skipped + 1  # 1-based spreadsheet rows
    body_filled = filled.iloc[header_pos + 1 :].any(axis=1).to_numpy()
    body = body.loc[body_filled]
    rows = body_rows[body_filled]
    if body.empty:
        raise DataValidationError(
            f"{name}: has a header row (spreadsheet row {header_pos + skipped + 1}) but no data rows "
            "below it. Fill in at least one row, or check you chose the right file or sheet."
        )
    columns = []
    for i, h in enumerate(header):
        columns.append(h if h else f"(column {_column_letter(i)})")
    seen: dict[str, int] = {}
    for i, column in enumerate(columns):
        if column in seen:
            raise DataValidationError(
                f'{name}: has two columns named "{column}" (columns {_column_letter(seen[column])} '
                f"and {_column_letter(i)} of spreadsheet row {header_pos + skipped + 1}). Rename or "
                "delete one of them and import again."
            )
        seen[column] = i
    body = body.copy()
    body.columns = columns
    body = body.reset_index(drop=True)
    return RawTable(
        frame=body,
        rows=rows,
        header_row=header_pos + skipped + 1,
        file=name,
        format=fmt,
        details=details,
    )


def _filled(grid: pd.DataFrame) -> np.ndarray:
    """Which cells hold more than blanks, in blocks of about a million cells.

    Column by column, a file of 16,000 columns and 5 rows took seconds; all at once, a
    million rows would copy every cell. Text columns held by Arrow (what ``read_csv``
    gives) are judged in Arrow, without making a Python string of each cell.
    """
    rows, columns = grid.shape
    per_block = max(1, 1_000_000 // max(rows, 1))
    filled = np.zeros((rows, columns), dtype=bool)
    for start in range(0, columns, per_block):
        block = grid.iloc[:, start : start + per_block]
        if rows >= _ARROW_MIN_ROWS and all(
            isinstance(block[c].array, pd.arrays.ArrowStringArray) for c in block.columns
        ):
            for i, column in enumerate(block.columns):
                filled[:, start + i] = _filled_arrow(block[column])
            continue
        cells = block.to_numpy(dtype=object)
        flat = pd.Series(cells.ravel(), dtype=object).str.strip().ne("")
        filled[:, start : start + per_block] = flat.to_numpy().reshape(cells.shape)
    return filled


#: Below this many rows a block is judged cell by cell (Arrow's set-up costs more).
_ARROW_MIN_ROWS = 1_000


def _filled_arrow(column: pd.Series) -> np.ndarray:
    """``column.str.strip().ne("")`` for an Arrow text column, the same answer in C.

    A cell is blank when it is empty or missing; a cell starting with anything but a
    space holds more than blanks; only cells starting with a space are stripped.
    """
    import pyarrow.compute as pc

    cells = arrow_cells(column)
    lengths = pc.fill_null(pc.binary_length(cells), 0).to_numpy()
    filled = lengths > 0
    where = np.flatnonzero(edge_is_space(cells))
    if where.size:
        stripped = [str(v).strip() != "" for v in column.iloc[where]]
        filled[where] = np.array(stripped, dtype=bool)
    return filled


def _column_letter(index: int) -> str:
    """The spreadsheet letters of a 0-based column index (0 is A)."""
    return column_letters(index + 1)
