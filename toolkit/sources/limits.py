"""How much of a file the readers take on, checked before the body is read.

A file can be small and still take a machine down: a 2 KB workbook with one cell at
XFD1048576 reads as 17 billion cells; a 479 KB workbook repeating one 32,000-character
shared string expands to gigabytes of text; a CSV line can hold a million cells. Every
reader checks a file against :class:`Limits` first, streaming through it without
building any cell:

==========  =============  ========================================================
limit       default        what it bounds
==========  =============  ========================================================
cells       40,000,000     rows × columns of the table a file holds (1,000,000 rows
                           × 30 columns fit, with room to spare)
columns     16,384         cells in one row (Excel's widest sheet)
line_mb     4              megabytes in one line of a CSV
text_ratio  10             characters of cell text an XLSX sheet expands to, per byte
                           of the sheet's own markup (its first 10 million characters
                           are always allowed); also the size of its shared strings
==========  =============  ========================================================

An XLSX is also refused, with no limit to raise, when it unpacks to more than 2 GB;
when a part unpacks more than 200 times larger than it is packed (beyond 64 MB; its
shared strings, 50 times beyond 16 MB); when an XML part is not UTF-8 or declares a DTD
or entities (Excel writes neither, and entities can expand without end); when a sheet's
grid of more than 5,000,000 cells is filled less than one cell in 50 (a stray value far
from the data) or holds more than 3 cells per byte of the sheet as packed (reading costs
memory for every cell of the grid, empty or not); and when a cell names a shared string the workbook does not have. A
sheet's declared size (its ``<dimension>``) is not trusted: only its cells are read.

The defaults live in :data:`toolkit.settings.DEFAULTS` (``[settings.limits]`` in
engagement.toml changes them for an engagement); ``import --limit NAME=N`` changes one
for one import. The importer and the forms' upload put the limits in force with
:func:`using`; the readers read them with :func:`current`, so a registered tool's reader
gets them without a parameter.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import functools
import posixpath
import re
import struct
import xml.etree.ElementTree as ET  # noqa: N817 - parses only DTD-free parts
import zipfile
import zlib
from array import array
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from toolkit.errors import DataValidationError
from toolkit.settings import DEFAULTS

__all__ = [
    "Limits",
    "using",
    "current",
    "check_csv",
    "check_workbook",
    "check_sheet",
    "ReadGuard",
]

#: Cell text an XLSX sheet may always expand to, whatever the ratio.
TEXT_FLOOR = 10_000_000
#: A sheet's grid (last row × last column) may be this many times its cells, beyond
#: SPARSE_FLOOR: openpyxl and the readers fill the grid's empty cells in.
SPARSE_FLOOR = 5_000_000
SPARSE_RATIO = 50
#: Beyond SPARSE_FLOOR, a grid may hold at most this many cells per byte of the sheet as
#: packed in the file. Reading costs memory for every cell of the grid (about 35 bytes),
#: empty or not; real sheets pack to 0.3-0.5 grid cells a byte when full and about 2 when
#: one cell in ten is filled, while a few MB of one value a row spread across 30 columns
#: would read as a gigabyte.
GRID_PER_BYTE = 3
#: An XLSX whose parts unpack to more than this is refused.
MAX_UNPACKED = 2 * 1024**3
#: A part that unpacks this large at a ratio above MAX_RATIO is a zip bomb: the sheets of
#: real workbooks compress 5 to 20 times.
BOMB_PART = 64 * 1024**2
MAX_RATIO = 200
#: The same for the shared strings, which are each different and compress 3 to 10 times.
BOMB_STRINGS = 16 * 1024**2
MAX_STRINGS_RATIO = 50
#: No tag or cell text in a sheet is this long (Excel's cells hold 32,767 characters).
_MAX_MARKUP_RUN = 4 * 1024**2
_CHUNK = 4 * 1024**2
#: What reading a damaged zip raises (a bad CRC is a BadZipFile; an encrypted or oddly
#: compressed part a RuntimeError or NotImplementedError).
DAMAGED_ZIP = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    ValueError,
    struct.error,
)

_WORDS = {
    "cells": "cells (rows × columns) from one file",
    "columns": "columns",
    "line_mb": "MB in one line",
    "text_ratio": "characters of cell text per byte of a sheet",
}


@dataclass(frozen=True)
class Limits:
    """The limits in force (see the module docstring for each one's meaning)."""

    cells: int = DEFAULTS["settings"]["limits"]["cells"]
    columns: int = DEFAULTS["settings"]["limits"]["columns"]
    line_mb: int = DEFAULTS["settings"]["limits"]["line_mb"]
    text_ratio: int = DEFAULTS["settings"]["limits"]["text_ratio"]

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_settings(cls, settings: Mapping, overrides: Mapping | None = None) -> Limits:
        """The limits of an engagement's ``[settings]``, with ``overrides`` for one run.

        Raises
        ------
        DataValidationError
            An override names no limit or is not a whole number of at least 1.
        """
        values = dict(settings.get("limits", {}))
        for name, value in (overrides or {}).items():
            key = str(name).strip().lower().replace("-", "_")
            if key not in cls.names():
                raise DataValidationError(
                    f'--limit {name}={value}: "{name}" is not a limit. The limits are: '
                    + ", ".join(cls.names())
                    + "."
                )
            try:
                number = int(str(value).replace(",", "").replace("_", ""))
            except ValueError:
                number = 0
            if number < 1:
                raise DataValidationError(
                    f"--limit {name}={value}: expected a whole number of at least 1, "
                    f"such as --limit {key}={getattr(cls(), key) * 2}."
                )
            values[key] = number
        return replace(cls(), **{k: v for k, v in values.items() if k in cls.names()})


_DEFAULT = Limits()
_CURRENT: contextvars.ContextVar[Limits | None] = contextvars.ContextVar(
    "file_limits", default=None
)


@contextlib.contextmanager
def using(limits: Limits) -> Iterator[Limits]:
    """Put ``limits`` in force for the readers called inside the ``with`` block."""
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)


def current() -> Limits:
    """The limits in force (the defaults outside any :func:`using`)."""
    return _CURRENT.get() or _DEFAULT


def _refuse(name: str, found: str, limit: str, value: int, split: str) -> DataValidationError:
    """One wording for every limit: what was found, the limit, how to split, how to raise it."""
    return DataValidationError(
        f"{name}: {found}; the toolkit reads at most {value:,} {_WORDS[limit]} (the {limit} "
        f"limit). Nothing was read. {split} If the file is right and this "
        f"machine has the memory, raise the limit for one import with --limit {limit}=N, or "
        f"for the engagement with {limit} = N under [settings.limits] in engagement.toml."
    )


_SPLIT_ROWS = "Split it into files of fewer rows (for example one per year) and import each."
_SPLIT_COLUMNS = (
    "Keep only the columns you need (delete the others in a spreadsheet program and save "
    "again), or split the columns into two files that share the id column."
)


# ----------------------------------------------------------------------------- CSV


def check_csv(path: Path, encoding: str, delimiter: str) -> None:
    """Refuse a CSV with a line too long, a row too wide or too many cells, before reading it.

    Streams the file once, record by record (a quoted cell may span lines), keeping
    nothing but counts; the first limit passed stops it.
    """
    limits = current()
    max_line = limits.line_mb * 1024 * 1024
    counted = _plain_csv_shape(path, encoding, delimiter, max_line)
    if counted and counted[1] <= limits.columns and counted[0] * counted[1] <= limits.cells:
        return  # within every limit; a file past one is read again for the exact message
    rows = widest = 0

    def lines() -> Iterator[str]:
        number = 0
        with path.open(encoding=encoding, errors="replace", newline="") as fh:
            while line := fh.readline(max_line + 1):
                number += 1
                if len(line) > max_line:
                    raise _refuse(
                        path.name,
                        f"line {number:,} is longer than {limits.line_mb:,} MB",
                        "line_mb",
                        limits.line_mb,
                        "A line that long is not a row of a table: check the file is a CSV "
                        "export with one row per line.",
                    )
                yield line

    old = csv.field_size_limit()
    csv.field_size_limit(max_line + 1)
    try:
        for row in csv.reader(lines(), delimiter=delimiter):
            rows += 1
            if len(row) > widest:
                widest = len(row)
                if widest > limits.columns:
                    raise _refuse(
                        path.name,
                        f"row {rows:,} has {widest:,} cells separated by "
                        f"{_delimiter_name(delimiter)}",
                        "columns",
                        limits.columns,
                        _SPLIT_COLUMNS,
                    )
            if rows * widest > limits.cells:
                raise _refuse(
                    path.name,
                    f"has at least {rows:,} rows of up to {widest:,} cells",
                    "cells",
                    limits.cells,
                    _SPLIT_ROWS,
                )
    except csv.Error as err:
        raise DataValidationError(
            f"{path.name}: could not be read as CSV with {_delimiter_name(delimiter)} between "
            f"columns (row {rows + 1:,}: {err}). Check that cells containing the separator or "
            "quotes are in double quotes, or pass --delimiter."
        ) from err
    finally:
        csv.field_size_limit(old)


#: Encodings in which every byte below 128 is that ASCII character, alone.
_ASCII_SAFE = {"utf-8", "utf-8-sig", "ascii", "latin-1", "iso8859-1", "cp1252", "iso8859-15"}
_BLOCK_BYTES = 8 * 1024 * 1024  # small blocks: their arrays reuse freed memory


def _plain_csv_shape(path: Path, encoding: str, delimiter: str, max_line: int):
    """``(rows, widest row)`` of a CSV with no quote character, counted in bytes with numpy.

    :func:`check_csv` reads with Python's csv module, about 2 s a million rows; a file
    with no quote at all is records split at line breaks and cells at the delimiter, so
    counting those bytes gives the same answer in a tenth of the time. Returns None (the
    csv module decides) for a quote, a lone carriage return, a line near the length limit
    or an encoding where a delimiter's byte could be part of another character.
    """
    import codecs

    if codecs.lookup(encoding).name not in _ASCII_SAFE or len(delimiter.encode()) != 1:
        return None
    sep = ord(delimiter)
    rows = widest = 0
    carry = b""
    with path.open("rb") as fh:
        while True:
            block = fh.read(_BLOCK_BYTES)
            data = carry + block if carry else block
            cut = data.rfind(b"\n") + 1 if block else len(data)
            if cut == 0 and block:
                if len(data) > max_line:
                    return None
                carry = data
                continue
            if data.find(b'"', 0, cut) >= 0 or (
                data.find(b"\r", 0, cut) >= 0
                and data.count(b"\r", 0, cut) != data.count(b"\r\n", 0, cut)
            ):
                return None
            counted = _lines_shape(memoryview(data)[:cut], sep, max_line)
            if counted is None:
                return None
            rows, widest = rows + counted[0], max(widest, counted[1])
            carry = data[cut:]
            if not block:
                return rows, widest


def _lines_shape(data: memoryview, sep: int, max_line: int):
    """Lines and the most cells in one line, of whole lines (None: a line is too long)."""
    if not data:
        return 0, 0
    if data[-1:] != b"\n":
        data = memoryview(bytes(data) + b"\n")
    cells = np.frombuffer(data, dtype=np.uint8)
    breaks = cells == 10
    marks = np.flatnonzero(breaks | (cells == sep))  # every separator and line break, in order
    at = np.flatnonzero(breaks[marks])  # the marks that end a line
    ends = marks[at]
    starts = np.concatenate(([0], ends[:-1] + 1))
    if int((ends - starts).max()) + 1 > max_line:
        return None
    width = np.diff(at, prepend=-1)  # the separators in a line, plus one
    content = ends - starts - (cells[np.maximum(ends - 1, 0)] == 13)
    width[content <= 0] = 0  # an empty line is a record with no cells
    return len(ends), int(width.max())


def _delimiter_name(delimiter: str) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}.get(
        delimiter, repr(delimiter)
    )


# ----------------------------------------------------------------------------- XLSX

_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
_CELL_ANY = re.compile(_PREFIX + rb"c[\s/>]")
_CELL_REF = re.compile(_PREFIX + rb"c\s[^>]*?\br\s*=\s*[\"']([A-Za-z]+)([0-9]+)[\"']")
_ROW_ANY = re.compile(_PREFIX + rb"row[\s/>]")
_ROW_REF = re.compile(_PREFIX + rb"row\s[^>]*?\br\s*=\s*[\"']([0-9]+)[\"']")
_SHARED = re.compile(
    _PREFIX + rb"c\s[^>]*?\bt\s*=\s*[\"']s[\"'][^>]*>\s*" + _PREFIX + rb"v(?:\s[^>]*)?>\s*([0-9]+)"
)
_SI = re.compile(_PREFIX + rb"si[\s/>]")
#: A character reference in a cell's or a row's attributes (``r="&#88;FD1"``): Excel
#: never writes one, and it would hide a position or a type from this scan.
_ESCAPED_ATTRIBUTE = re.compile(_PREFIX + rb"(?:c|row)\s[^>]*?=\s*[\"'][^\"'>]*&")
_DIMENSION = re.compile(_PREFIX + rb"dimension\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']+)")


@dataclass
class SheetScan:
    """What a streaming pass over one sheet's XML found (nothing of its cells kept)."""

    rows: int = 0
    columns: int = 0
    cells: int = 0
    text: int = 0
    dimension: str = ""
    last_ref: str = ""
    packed: int = 0
    size: int = 0


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ch - 64
    return number


def column_letters(number: int) -> str:
    """The spreadsheet letters of a 1-based column number (1 is A, 16,384 is XFD)."""
    letters = ""
    while number:
        number, rem = divmod(number - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _pieces(zf: zipfile.ZipFile, member: str, name: str, cut: re.Pattern) -> Iterator[bytes]:
    """A part's XML in pieces that never split an element ``cut`` starts (a cell, a string)."""
    carry = b""
    with zf.open(member) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            buf = carry + chunk
            if not chunk:
                if buf:
                    yield buf
                return
            tail_from = max(len(buf) - _MAX_MARKUP_RUN, 0)
            last = next(iter(deque(cut.finditer(buf, tail_from), maxlen=1)), None)
            at = last.start() if last else buf.rfind(b"<")
            if at <= 0:
                at = len(buf)
            yield buf[:at]
            carry = buf[at:]
            if len(carry) > _MAX_MARKUP_RUN:
                raise DataValidationError(
                    f"{name}: its part {member} holds more than {_MAX_MARKUP_RUN // 1024**2} MB "
                    "of markup or text in one place, as no workbook does (a cell holds at most "
                    "32,767 characters). Nothing was read; open the file in Excel and save it "
                    "as .xlsx again, or save the sheet as CSV."
                )


def _refuse_odd_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    """Refuse an XML part the streaming checks could not read as openpyxl does.

    Excel writes every part in UTF-8 with no DTD. A DTD can declare entities that expand
    a small file without end; a part in UTF-16 or another encoding would hide its cells
    from the checks.
    """
    with zf.open(info) as fh:
        head = fh.read(64 * 1024)
    problem = None
    declared = _XML_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:64]:
        problem = "is written in UTF-16"
    elif declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        problem = f"is written in {declared.group(1).decode(errors='replace')}"
    elif _DTD.search(head):
        problem = "declares a DTD or entities, which can make a small file expand without end"
    elif len(head) == 64 * 1024 and not re.search(rb"<[A-Za-z_]", head):
        problem = "has no XML element in its first 64 KB"
    if problem:
        raise DataValidationError(
            f"{name}: its part {info.filename} {problem}, as Excel never writes one. Nothing "
            "was read; open the file in Excel and save it as .xlsx again, or save the sheet as "
            "CSV."
        )


def _shared_lengths(zf: zipfile.ZipFile, name: str, member: str | None) -> array:
    """An upper bound on each shared string's characters (its markup's bytes), in order."""
    lengths = array("q")
    if member is None:
        return lengths
    previous = None  # the start of the last string, relative to the running offset
    offset = 0
    for piece in _pieces(zf, member, name, _SI):
        for match in _SI.finditer(piece):
            at = offset + match.start()
            if previous is not None:
                lengths.append(at - previous)
            previous = at
        offset += len(piece)
    if previous is not None:
        lengths.append(offset - previous)
    return lengths


def check_sheet(
    zf: zipfile.ZipFile, member: str, name: str, sheet: str, shared: array
) -> SheetScan:
    """Stream one sheet's XML and refuse it if it passes a limit; what it found otherwise."""
    limits = current()
    info = zf.getinfo(member)
    scan = SheetScan(packed=info.compress_size, size=info.file_size)
    text_allowed = max(TEXT_FLOOR, limits.text_ratio * info.file_size)
    refless_rows = max_row_ref = 0
    for piece in _pieces(zf, member, name, _CELL_ANY):
        if _ESCAPED_ATTRIBUTE.search(piece):
            raise DataValidationError(
                f'{name}: sheet "{sheet}" writes a cell\'s position or type with a character '
                "reference (&#…;), which Excel never does: the file was not saved by a "
                "spreadsheet program. Nothing was read. Open it in Excel and save it as .xlsx "
                "again, or save the sheet as CSV."
            )
        if not scan.dimension and (dim := _DIMENSION.search(piece)):
            scan.dimension = dim.group(1).decode(errors="replace")
        row_refs = _ROW_REF.findall(piece)
        refless_rows += len(_ROW_ANY.findall(piece)) - len(row_refs)
        if row_refs:
            max_row_ref = max(max_row_ref, max(map(int, set(row_refs))))
        cell_refs = _CELL_REF.findall(piece)
        cells = len(_CELL_ANY.findall(piece))
        scan.cells += cells
        if cell_refs:
            letters = max({c for c, _ in cell_refs}, key=lambda c: (len(c), c.upper()))
            if _column_number(letters) > scan.columns:
                scan.columns = _column_number(letters)
                scan.last_ref = (
                    letters + max((r for c, r in cell_refs if c == letters), key=int)
                ).decode()
            max_row_ref = max(max_row_ref, max(map(int, {r for _, r in cell_refs})))
        if cells > len(cell_refs):
            scan.columns = max(scan.columns, _refless_width(piece))
        scan.rows = max_row_ref + refless_rows
        _check_shape(name, sheet, scan, limits)
        scan.text += _shared_text(name, sheet, piece, shared)
        if scan.text > text_allowed:
            raise _refuse(
                name,
                f'sheet "{sheet}" repeats its shared strings into at least {scan.text:,} '
                f"characters of text from {info.file_size:,} bytes of sheet",
                "text_ratio",
                limits.text_ratio,
                "A real sheet does not repeat long text in that many cells: check where the "
                "file came from, or save the sheet as CSV and import that.",
            )
    return scan


def _refless_width(piece: bytes) -> int:
    """The widest row of a piece whose cells leave out their position (counted in order)."""
    starts = [m.start() for m in _ROW_ANY.finditer(piece)] + [len(piece)]
    widest = 0
    for a, b in zip([0, *starts], starts, strict=False):
        refs = _CELL_REF.findall(piece, a, b)
        last = max((_column_number(c) for c, _ in refs), default=0)
        widest = max(widest, last + len(_CELL_ANY.findall(piece, a, b)) - len(refs))
    return widest


def _check_shape(name: str, sheet: str, scan: SheetScan, limits: Limits) -> None:
    where = f"cell {scan.last_ref}" if scan.last_ref else f"column {scan.columns:,}"
    if scan.columns > limits.columns:
        raise _refuse(
            name,
            f'sheet "{sheet}" has a cell in column {column_letters(scan.columns)} ({where}), '
            f"{scan.columns:,} columns wide",
            "columns",
            limits.columns,
            "If that cell holds nothing you need (a stray value far from the data), delete the "
            "empty columns and rows around the data and save again. " + _SPLIT_COLUMNS,
        )
    area = scan.rows * scan.columns
    if area > limits.cells:
        raise _refuse(
            name,
            f'sheet "{sheet}" reaches row {scan.rows:,} and column '
            f"{column_letters(scan.columns)}: a grid of {area:,} cells",
            "cells",
            limits.cells,
            "If a stray value sits far from the data, delete the empty rows and columns "
            "around the data and save again. " + _SPLIT_ROWS,
        )
    if area > SPARSE_FLOOR and area > SPARSE_RATIO * scan.cells:
        raise DataValidationError(
            f'{name}: sheet "{sheet}" reaches row {scan.rows:,} and column '
            f"{column_letters(scan.columns)} ({where}): a grid of {area:,} cells, of which "
            f"only {scan.cells:,} hold anything. The toolkit reads a grid of more than "
            f"{SPARSE_FLOOR:,} cells only when at least one cell in {SPARSE_RATIO} is filled: "
            "a grid this empty is what a stray value far from the data makes. Nothing was "
            "read. Delete the empty rows and columns around the data and "
            "save again, or save the sheet as CSV and import that."
        )
    if area > SPARSE_FLOOR and area > GRID_PER_BYTE * scan.packed > 0:
        raise DataValidationError(
            f'{name}: sheet "{sheet}" reaches row {scan.rows:,} and column '
            f"{column_letters(scan.columns)} ({where}): a grid of {area:,} cells from "
            f"{scan.packed:,} bytes of sheet. Reading a sheet costs memory for every cell of "
            f"its grid, empty or not, so beyond {SPARSE_FLOOR:,} cells the toolkit reads at "
            f"most {GRID_PER_BYTE} for each byte of the sheet: a grid this empty for its size "
            "is what scattered values make. Nothing was read. Save the sheet as CSV and "
            "import that, or delete the empty rows and columns and save again."
        )


def _shared_text(name: str, sheet: str, piece: bytes, shared: array) -> int:
    """Characters (at most) the shared-string cells of a piece expand to."""
    used = Counter(_SHARED.findall(piece))
    if not used:
        return 0
    text = 0
    for index, count in used.items():
        i = int(index)
        if i >= len(shared):
            raise DataValidationError(
                f'{name}: sheet "{sheet}" has a cell naming shared string number {i}, but the '
                f"workbook has only {len(shared):,} shared strings: the file is damaged. "
                "Nothing was read; open it in Excel and save it as .xlsx again, or save the "
                "sheet as CSV."
            )
        text += shared[i] * count
    return text


def check_zip(path: Path) -> zipfile.ZipFile:
    """Open an XLSX's zip, refusing one that is not a zip or unpacks too large."""
    try:
        zf = zipfile.ZipFile(path)
    except DAMAGED_ZIP as err:
        raise DataValidationError(
            f"{path.name}: is not a valid .xlsx file (it is not a zip archive; it may be "
            "truncated, or a CSV renamed to .xlsx). Open it in Excel and save it as .xlsx again."
        ) from err
    infos = zf.infolist()
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED:
        zf.close()
        raise DataValidationError(
            f"{path.name}: unpacks to {unpacked / 1024**3:.1f} GB, more than the 2 GB the "
            "toolkit reads from one workbook. Save the sheet you need as CSV and import that."
        )
    for info in infos:
        # Shared strings are each different: openpyxl holds them all, and different text
        # compresses 3 to 10 times, so a lower bound catches repeated text sooner.
        strings = info.filename.lower().endswith("sharedstrings.xml")
        part, ratio = (BOMB_STRINGS, MAX_STRINGS_RATIO) if strings else (BOMB_PART, MAX_RATIO)
        if info.file_size > part and info.file_size > ratio * max(info.compress_size, 1):
            zf.close()
            raise DataValidationError(
                f"{path.name}: its part {info.filename} unpacks from "
                f"{info.compress_size / 1024**2:.1f} MB to {info.file_size / 1024**2:,.0f} MB, "
                f"{info.file_size // max(info.compress_size, 1):,} times larger, as no real "
                "workbook does (a zip bomb?). Nothing was read; check where the file came from."
            )
    return zf


def check_workbook(path: Path) -> array:
    """Check an XLSX's zip and shared strings before openpyxl opens it.

    Returns each shared string's length bound, for :func:`check_sheet`. A workbook
    already checked (same file, size, time and limits) is not read again.
    """
    stat = path.stat()
    return _checked_workbook(str(path), stat.st_size, stat.st_mtime_ns, current())


def _checked_workbook(path: str, size: int, mtime: int, limits: Limits) -> array:
    shared, parts = _checked_strings(path, size, mtime, limits)
    # Each sheet is checked before openpyxl opens the workbook: it reads a whole sheet
    # that does not declare its size, just to open it.
    for sheet, member in parts:
        _checked_sheet(path, size, mtime, limits, member, sheet)
    return shared


@functools.lru_cache(maxsize=8)
def _checked_strings(path: str, _size: int, _mtime: int, limits: Limits):
    """The zip and the shared strings checked: each string's length bound, the sheets."""
    path = Path(path)
    with check_zip(path) as zf:
        xml = [i for i in zf.infolist() if i.filename.lower().endswith((".xml", ".rels"))]
        try:
            for info in xml:
                _refuse_odd_xml(zf, info, path.name)
        except DataValidationError:
            raise
        except DAMAGED_ZIP as err:
            raise _damaged(path.name, err) from err
        try:
            member = next(
                (i.filename for i in xml if i.filename.lower().endswith("sharedstrings.xml")), None
            )
            shared = _shared_lengths(zf, path.name, member)
            parts = _sheet_parts(zf)
            sheets = sum(zf.getinfo(m).file_size for _, m in parts)
        except DataValidationError:
            raise
        except DAMAGED_ZIP as err:
            raise _damaged(path.name, err) from err
    total = sum(shared)
    if total > max(TEXT_FLOOR, limits.text_ratio * sheets):
        raise _refuse(
            path.name,
            f"its shared strings hold {total:,} bytes of text for {sheets:,} bytes of sheets "
            "that can show them",
            "text_ratio",
            limits.text_ratio,
            "A real workbook does not hold that much text its sheets never show: check where "
            "the file came from, or save the sheet as CSV and import that.",
        )
    return shared, tuple(parts)


def _sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """Each sheet's name and zip member, as the workbook lists them (openpyxl's way).

    A workbook whose lists cannot be read gives every part under ``worksheets/``, named
    by its part; openpyxl will word what is wrong with the lists.
    """
    found: list[tuple[str, str]] = []
    with contextlib.suppress(KeyError, StopIteration, ET.ParseError, ValueError):
        rels = _small_xml(zf, "_rels/.rels")
        book = next(
            r.get("Target", "") for r in rels if r.get("Type", "").endswith("/officeDocument")
        ).lstrip("/")
        folder, base = posixpath.split(book)
        targets = {
            r.get("Id"): r.get("Target", "")
            for r in _small_xml(zf, posixpath.join(folder, "_rels", base + ".rels"))
        }
        for element in _small_xml(zf, book).iter():
            if element.tag.rsplit("}", 1)[-1] != "sheet":
                continue
            rid = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
            target = targets.get(rid, "")
            member = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target))
            )
            if member in zf.NameToInfo:
                found.append((element.get("name", member), member))
    named = {m for _, m in found}
    others = [
        (i.filename, i.filename)
        for i in zf.infolist()
        if "worksheets/" in i.filename and i.filename.endswith(".xml") and i.filename not in named
    ]
    return found + others


def _small_xml(zf: zipfile.ZipFile, member: str) -> ET.Element:
    """A small XML part (a workbook's lists), parsed; DTDs were refused before."""
    if zf.getinfo(member).file_size > 16 * 1024**2:
        raise ValueError(f"{member} is too large to be a workbook's list")
    return ET.fromstring(zf.read(member))


def _damaged(name: str, err: Exception) -> DataValidationError:
    return DataValidationError(
        f"{name}: is damaged and could not be read ({type(err).__name__}: {err}). "
        "Open it in Excel and save it as .xlsx again, or save the sheet as CSV."
    )


@functools.lru_cache(maxsize=32)
def _checked_sheet(path: str, _size: int, _mtime: int, limits: Limits, member: str, sheet: str):
    shared, _ = _checked_strings(path, _size, _mtime, limits)
    with check_zip(Path(path)) as zf:
        try:
            return check_sheet(zf, member, Path(path).name, sheet, shared)
        except DataValidationError:
            raise
        except (*DAMAGED_ZIP, KeyError) as err:
            raise DataValidationError(
                f'{Path(path).name}: sheet "{sheet}" is damaged and could not be read '
                f"({type(err).__name__}: {err}). Open the file in Excel and save it as .xlsx "
                "again, or save the sheet as CSV."
            ) from err


class ReadGuard:
    """The same limits, counted again on the cells a sheet's reader actually yields.

    The scan before reading (:func:`check_sheet`) reads the sheet's markup with patterns;
    this guard counts what openpyxl hands back (rows, widest row, filled cells, characters
    of text), so markup the scan read differently from openpyxl (a decoy part, an element
    before a value, inline text) still meets the limits before the grid is built.
    """

    def __init__(self, name: str, sheet: str, scan: SheetScan) -> None:
        self.name, self.sheet = name, sheet
        self.limits = current()
        self.seen = SheetScan(packed=scan.packed, size=scan.size)
        self.text_allowed = max(TEXT_FLOOR, self.limits.text_ratio * scan.size)

    def row(self, cells: list[str]) -> None:
        """Count one row as read; refuse the sheet once it passes a limit."""
        seen = self.seen
        seen.rows += 1
        if len(cells) > seen.columns:
            seen.columns = len(cells)
            seen.last_ref = f"{column_letters(seen.columns)}{seen.rows}"
        filled = [c for c in cells if c]
        seen.cells += len(filled)
        seen.text += sum(map(len, filled))
        _check_shape(self.name, self.sheet, seen, self.limits)
        if seen.text > self.text_allowed:
            raise _refuse(
                self.name,
                f'sheet "{self.sheet}" holds at least {seen.text:,} characters of text from '
                f"{seen.size:,} bytes of sheet",
                "text_ratio",
                self.limits.text_ratio,
                "A real sheet does not repeat long text in that many cells: check where the "
                "file came from, or save the sheet as CSV and import that.",
            )


def checked_sheet(path: Path, member: str, sheet: str) -> SheetScan:
    """:func:`check_sheet` for a sheet of ``path`` (once per file, sheet and limits)."""
    stat = path.stat()
    return _checked_sheet(str(path), stat.st_size, stat.st_mtime_ns, current(), member, sheet)
