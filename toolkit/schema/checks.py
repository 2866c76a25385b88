"""Turn a file's cells into rows of a canonical table, collecting every problem.

The checks here are the data contract of DESIGN.md section 8: canonical headers (and
near-misses of them), types, vocabularies, ranges, scales, keys unique within the file,
references to customers and codes, segment matching, attributes and personal columns.
Nothing here touches the store: what the store already holds comes in as ``known``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz.distance import Levenshtein

from toolkit._tabular import (
    TEXT_SUFFIXES,
    space_at_edges,
    starts_with_any,
    unneutralise,
    unneutralise_cells,
)
from toolkit.schema.personal import PersonalFlag, column_flag
from toolkit.schema.raw import RawTable
from toolkit.schema.segments import Crosswalk, label_key, tidy_label
from toolkit.schema.tables import DEFAULT_SCALES, LAUNCHED, Field, Table, normalise_header

__all__ = [
    "Problem",
    "cell_text",
    "Canonical",
    "Collector",
    "Known",
    "to_canonical",
    "parse_dates",
    "MAX_LISTED",
]

#: How many problems a message lists before saying "and N more".
MAX_LISTED = 20
#: How many problems are kept in full (each skipped row is listed with --skip-invalid).
MAX_KEPT = 10_000
_INTERNAL = {"_tk_row", "_tk_import"}
#: Columns the store keeps for itself on every table: who saved a form entry, and when.
SAVED_COLUMNS = ("saved_by", "saved_at")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    ``position`` is the 0-based data row (None for the whole file); ``where`` words it
    as the person sees it in their spreadsheet.
    """

    where: str
    column: str | None
    value: object
    message: str
    fix: str
    position: int | None = None

    def __str__(self) -> str:
        place = self.where
        if self.column is not None:
            place += f', column "{self.column}"'
        value = "" if self.value is None else f'"{_clip(self.value)}" '
        end = "" if self.message.endswith(("?", "!", ".")) else "."
        return f"{place}: {value}{self.message}{end} {self.fix.rstrip('.')}."


def _clip(value: object, width: int = 60) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass
class Known:
    """What the store already holds that a file may refer to."""

    customer_ids: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    segments: list[str] = field(default_factory=list)
    crosswalk: Crosswalk = field(default_factory=Crosswalk)
    scales: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_SCALES))


@dataclass
class Canonical:
    """A file's rows as canonical columns, with what was found wrong.

    Attributes
    ----------
    frame : DataFrame
        Canonical fields (typed; None for blank) then attribute columns.
    rows : ndarray
        Spreadsheet row number of each row of ``frame``.
    attributes : list of str
        Extra columns kept as attributes, in file order.
    personal : dict of str to PersonalFlag
        Attribute columns that identify people, in file order, each with its kind and
        reason (by header or by values: :mod:`toolkit.schema.personal`).
    problems : list of Problem
        Up to ``MAX_KEPT`` problems, file-level ones first.
    problem_count : int
        How many problems there are in all.
    bad : ndarray of bool
        Rows with at least one problem.
    new_segments : list of str
        Segments not yet in the engagement's list.
    """

    frame: pd.DataFrame
    rows: np.ndarray
    header_row: int
    attributes: list[str]
    personal: dict[str, PersonalFlag]
    problems: list[Problem]
    problem_count: int
    bad: np.ndarray
    new_segments: list[str]
    warnings: list[str]

    where = RawTable.where


def near_field(header: str, names: tuple[str, ...]) -> str | None:
    """The canonical field a header is a near-miss of, if any ("segmnet" → "segment")."""
    norm = normalise_header(header)
    squeezed = norm.replace("_", "")
    for name in names:
        if squeezed == name.replace("_", ""):
            return name
    limit = 1 if len(norm) <= 6 else 2
    if len(norm) < 4:
        return None
    best = min(names, key=lambda n: Levenshtein.distance(norm, n))
    return best if Levenshtein.distance(norm, best) <= limit else None


class Collector:
    """Gathers problems as boolean masks, materialising only the first few thousand.

    ``where`` words a 0-based data row's place for a message; ``size`` is the number
    of data rows; ``file`` names the file for problems with the whole file.
    """

    def __init__(self, where, size: int, file: str):
        self.where = where
        self.file_name = file
        self.problems: list[Problem] = []
        self.count = 0
        self.bad = np.zeros(size, dtype=bool)

    def file(self, message: str, fix: str, column: str | None = None) -> None:
        self.count += 1
        self.problems.insert(
            sum(p.position is None for p in self.problems),
            Problem(self.file_name, column, None, message, fix),
        )

    def rows(self, mask, column: str | None, values, message, fix, context=None) -> None:
        """Record a problem on every row where ``mask`` is true.

        ``message`` and ``fix`` may be callables taking the row's value, or the row's
        entry of ``context`` when given.
        """
        mask = np.asarray(mask, dtype=bool)
        positions = np.flatnonzero(mask)
        if positions.size == 0:
            return
        self.bad |= mask
        self.count += positions.size
        room = MAX_KEPT - len(self.problems)
        values = np.asarray(values, dtype=object)
        for pos in positions[: max(room, 0)]:
            value = values[pos]
            about = value if context is None else context[pos]
            self.problems.append(
                Problem(
                    self.where(int(pos)),
                    column,
                    value,
                    message(about) if callable(message) else message,
                    fix(about) if callable(fix) else fix,
                    int(pos),
                )
            )


# ---------------------------------------------------------------------------- values


_SPACE_BEFORE = re.compile(r"\s\x00")
_SPACE_AFTER = re.compile(r"\x00\s")


def _joined(text: pd.Series) -> str | None:
    """All cells in one string, a NUL character between them (None unless all are text).

    Searching one string runs in C: a million cells are checked for a rare pattern in
    milliseconds, where a per-cell pandas string method takes a second.
    """
    try:
        return "\x00" + "\x00".join(text.to_numpy(dtype=object)) + "\x00"
    except TypeError:
        return None


def strip_cells(text: pd.Series) -> pd.Series:
    """Trim spaces around every cell, skipping the work when no cell has any.

    >>> strip_cells(pd.Series([" a", "b "])).tolist(), strip_cells(pd.Series(["a", "b"])).tolist()
    (['a', 'b'], ['a', 'b'])
    """
    spaced = space_at_edges(text)
    if spaced is False:
        return text
    joined = None if spaced else _joined(text)
    if joined is not None and not _SPACE_BEFORE.search(joined) and not _SPACE_AFTER.search(joined):
        return text
    return text.str.strip()


def _trimmed(raw: RawTable, column: str) -> pd.Series:
    """A column's cells, trimmed (survey readers hand over cells trimmed already)."""
    return raw.frame[column] if raw.trimmed else strip_cells(raw.frame[column])


def _quoted_source(raw: RawTable) -> bool:
    """Whether ``raw`` was read from a CSV-like file, where an export quotes formula text.

    In an XLSX file, a form entry or a frame from Python, text is kept exactly as it is:
    the toolkit writes XLSX text as typed strings with no quote added.
    """
    return Path(str(raw.file)).suffix.lower() in TEXT_SUFFIXES


def _unneutralise(text: pd.Series, raw: RawTable) -> pd.Series:
    """Undo the quote an export puts before text a spreadsheet would run as a formula.

    The rule is :func:`toolkit._tabular.unneutralise`: one quote comes off text that
    starts with quotes before a formula starter (``'=x`` → ``=x``, ``''=x`` → ``'=x``),
    in CSV-like files only (:func:`_quoted_source`).
    """
    if not _quoted_source(raw):
        return text
    quoted = starts_with_any(text, "'")
    if quoted is False:
        return text
    joined = None if quoted else _joined(text)
    if joined is not None and "\x00'" not in joined:
        return text
    return unneutralise_cells(text)


def _unneutralise_headers(raw: RawTable) -> RawTable:
    """Headers with the export's quote taken off (an attribute ``=x`` is exported as ``'=x``)."""
    if not _quoted_source(raw):
        return raw
    renamed = {c: unneutralise(c) for c in raw.frame.columns if isinstance(c, str)}
    renamed = {old: new for old, new in renamed.items() if old != new}
    return replace(raw, frame=raw.frame.rename(columns=renamed)) if renamed else raw


_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_ISO_STAMP = re.compile(
    r"^\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_PLAIN_ISO = r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$"  # (RE2, for Arrow)
_YEAR_FIRST = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?=$|[ T])")
_SLASHED = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})( +\d{1,2}:\d{2}(:\d{2})?( ?[AaPp][Mm])?)?$"
)


def parse_dates(text: pd.Series, *, order: str | None = None, keep_time: bool = False):
    """Parse dates as people type them; return (ISO strings or None, bad mask, order used).

    ISO dates (2024-03-07) and slashed dates with the year first (2024/03/07) always
    parse. Slashed dates (07/03/2024) parse day-first or month-first: ``order``
    (``dmy``/``mdy``; ``ymd`` reads 24/03/07 as year-month-day) when given, else whichever
    the column's values allow (a first number above 12 means day-first). A column where
    both orders fit every value is ambiguous and is reported, never guessed.

    >>> values, bad, order = parse_dates(pd.Series(["2024-03-07", "25/12/2023", ""]))
    >>> values.tolist(), bad.tolist(), order
    (['2024-03-07', '2023-12-25', None], [False, False, False], 'dmy')
    """
    text = text.astype(str).str.strip()
    if (plain := _plain_iso(text, keep_time)) is not None:
        return plain
    year_first = text.str.match(_YEAR_FIRST)
    if year_first.any():
        text = text.where(~year_first, text.str.replace(_YEAR_FIRST, _iso_date, regex=True))
    empty = text.eq("")
    out = pd.Series(None, index=text.index, dtype=object)
    iso = text.str.match(_ISO_DATE) | text.str.match(_ISO_STAMP)
    used = None
    if iso.any():
        # Stamps with offsets (a survey across a clock change: +01:00 and +02:00) are
        # converted to UTC; stamps without one are kept as written.
        parsed = pd.to_datetime(text[iso], errors="coerce", format="ISO8601", utc=True)
        parsed = parsed.dt.tz_localize(None)
        out[iso] = _iso_strings(parsed, keep_time)
    slashed = ~iso & ~empty
    if slashed.any():
        used = _slashed_dates(text, slashed, out, order, keep_time)
    bad = ~empty & out.isna()
    return out.astype(object).where(out.notna(), None), bad.to_numpy(), used


def _slashed_dates(
    text: pd.Series, slashed: pd.Series, out: pd.Series, order: str | None, keep_time: bool
):
    """Read the ``slashed`` cells (07/03/2024) into ``out`` (:func:`parse_dates`); return
    the order used, "ambiguous" when none is given and both fit, None when none matched.
    """
    parts = text[slashed].str.extract(_SLASHED)
    matched = parts[0].notna()
    if not matched.any():
        return None
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    if order is None:
        if (first > 12).any():
            order = "dmy"
        elif (second > 12).any():
            order = "mdy"
    if order not in ("dmy", "mdy", "ymd"):
        return "ambiguous"
    day, month = (first, second) if order == "dmy" else (second, first)
    year = pd.to_numeric(parts[2], errors="coerce")
    if order == "ymd":
        year, month, day = first, second, pd.to_numeric(parts[2], errors="coerce")
    year = year.where(year >= 100, year + 2000)
    frame = pd.DataFrame({"year": year, "month": month, "day": day})
    stamp = pd.to_datetime(frame.where(matched), errors="coerce")
    clock = parts[3].fillna("").str.strip()
    if keep_time and clock.ne("").any():
        timed = clock.ne("")
        stamp[timed] = pd.to_datetime(
            stamp[timed].dt.strftime("%Y-%m-%d") + " " + clock[timed],
            errors="coerce",
            format="mixed",
        )
    out[slashed] = _iso_strings(stamp, keep_time)
    return order


def _plain_iso(text: pd.Series, keep_time: bool):
    """:func:`parse_dates` of a column whose every filled cell is already a plain ISO
    date or time stamp ("2024-03-07", "2024-03-07 09:30:00") naming a real day and time,
    as files and frames written by programs hold them: checked by Arrow in C++, not
    parsed value by value. None when any cell is otherwise (the general path then
    reads, or reports, them all), so both paths give the same answer.
    """
    cells = pa.array(text, type=pa.string(), from_pandas=True)
    filled = pc.not_equal(cells, "")
    written = cells.filter(filled)
    if len(written) == 0 or not pc.all(pc.match_substring_regex(written, _PLAIN_ISO)).as_py():
        return None
    stamp = pc.equal(pc.utf8_length(written), 19)
    for part, form, kind in (
        (stamp, "%Y-%m-%d %H:%M:%S", None),
        (pc.invert(stamp), "%Y-%m-%d", pa.date32()),
    ):
        said = written.filter(part)
        read = pc.strptime(said, format=form, unit="s", error_is_null=True)
        again = pc.cast(read if kind is None else pc.cast(read, kind), pa.string())
        # Arrow reads 2023-02-29 as 1 March and 23:59:60 as the next minute: written again,
        # such a value differs from the cell, which the general path then reports.
        if not pc.all(pc.fill_null(pc.equal(again, said), False), min_count=0).as_py():
            return None
    day = pc.utf8_slice_codeunits(cells, 0, 10)
    if keep_time:  # a stamp at midnight is a date, as the general path gives it
        day = pc.if_else(pc.ends_with(cells, " 00:00:00"), day, cells)
    out = pc.if_else(filled, day, pa.scalar(None, pa.string())).to_numpy(zero_copy_only=False)
    return pd.Series(out, index=text.index, dtype=object), np.zeros(len(text), dtype=bool), None


def _iso_date(match: re.Match) -> str:
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _iso_strings(stamps: pd.Series, keep_time: bool) -> pd.Series:
    ok = stamps.notna()
    result = pd.Series(None, index=stamps.index, dtype=object)
    if not ok.any():
        return result
    valid = stamps[ok]
    if keep_time:
        has_time = (valid - valid.dt.normalize()) != pd.Timedelta(0)
        text = valid.dt.strftime("%Y-%m-%d")
        text[has_time] = valid[has_time].dt.strftime("%Y-%m-%d %H:%M:%S")
    else:
        text = valid.dt.strftime("%Y-%m-%d")
    result[ok] = text
    return result


_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
_CLEAR_COMMA = re.compile(r"^[+-]?\d+,(\d{1,2}|\d{4,})$")


def _decimal_points(text: pd.Series) -> pd.Series:
    """Read decimal commas ("4,5" → "4.5"), as Excel writes numbers in much of Europe.

    "1,234" could be a thousand or one and a bit: it is read as a decimal comma only when
    another value in the column has a comma that cannot be a thousands separator.

    >>> _decimal_points(pd.Series(["4,5", "1,234", "3"])).tolist()
    ['4.5', '1.234', '3']
    >>> _decimal_points(pd.Series(["1,234", "3"])).tolist()
    ['1,234', '3']
    """
    comma = text.str.match(_COMMA_DECIMAL)
    if not comma.any() or not text[comma].str.match(_CLEAR_COMMA).any():
        return text
    return text.where(~comma, text.str.replace(",", ".", regex=False))


def _choice_lookup(f: Field) -> dict[str, str]:
    lookup = {}
    for choice in f.choices:
        for variant in (
            choice,
            choice.replace(" ", "_"),
            choice.replace(" ", "-"),
            choice.replace(" ", ""),
        ):
            lookup[variant.lower()] = choice
    return lookup


def _typed(f: Field, text: pd.Series, date_order: str | None):
    """Type the values of field ``f``: (typed values, bad mask, date order used)."""
    empty = text.eq("").to_numpy()
    if f.kind in ("integer", "number"):
        numbers = pd.to_numeric(
            _decimal_points(text.str.replace(r"^\+", "", regex=True)).where(~empty),
            errors="coerce",
        )
        values = numbers.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = ~empty & ~np.isfinite(values)
            if f.kind == "integer":
                bad |= ~empty & (np.mod(values, 1) != 0)
            if f.low is not None:
                bad |= values < f.low
            if f.high is not None:
                bad |= values > f.high
        numbers = numbers.where(~bad)
        return (
            (numbers.astype("Int64") if f.kind == "integer" else numbers.astype(float)),
            bad,
            None,
        )
    if f.kind == "choice":
        mapped = text.str.lower().str.replace(r"\s+", " ", regex=True).map(_choice_lookup(f))
        bad = ~empty & mapped.isna().to_numpy()
        return mapped.where(~bad & ~empty, None).astype(object), bad, None
    if f.kind in ("date", "datetime"):
        return parse_dates(text, order=date_order, keep_time=f.kind == "datetime")
    raise AssertionError(f"unknown field kind {f.kind}")


@functools.lru_cache(maxsize=256)
def _typed_blank(f: Field, date_order: str | None):
    """:func:`_typed` of a blank cell, once per field: a form entry leaves most fields
    blank, and each is checked as the planner types.
    """
    return _typed(f, pd.Series([""], dtype=object), date_order)


def _coerce(f: Field, text: pd.Series, col: str, out: Collector, date_order: str | None):
    """Return the typed column for field ``f``, recording bad values.

    Survey columns repeat a few values many times (dates, metrics, scores), so the
    values are typed once per distinct value and spread back over the rows.
    """
    if f.kind == "text":
        return text.where(text.ne(""), None).astype(object)
    codes, uniques = pd.factorize(text)
    if len(uniques) == 1 and uniques[0] == "":  # every cell blank
        typed, bad_unique, used = _typed_blank(f, date_order)
    else:
        typed, bad_unique, used = _typed(f, pd.Series(uniques, dtype=object), date_order)
    if typed.dtype == object:  # the dtype a million values would get, found on the few
        typed = pd.Series(typed.array)
    values = pd.Series(typed.array.take(codes), index=text.index)
    bad = bad_unique[codes]
    if used == "ambiguous":
        out.file(
            f'has dates such as "{text[bad].iloc[0]}" that could be day-first or '
            "month-first, and no value in the column tells which",
            "Write dates as year-month-day (2024-03-07), or say which with --date-order dmy or mdy",
            column=col,
        )
        return values
    fix = {"choice": "Use one of those words", "date": "Fix the date", "datetime": "Fix the date"}
    fix = fix.get(f.kind, "Fix the cell") + ("" if f.required else ", or leave it blank")
    out.rows(bad, col, text, f"is not {f.expected()}", fix)
    return values


# ---------------------------------------------------------------------------- tables


def _without_saved_columns(attributes: list[str], out: Collector) -> list[str]:
    """The attribute columns, less any named as a column the store keeps (refused)."""
    kept = [c for c in attributes if normalise_header(c) in SAVED_COLUMNS]
    for col in kept:
        out.file(
            "is a column the toolkit keeps itself (who saved a form entry, and when)",
            'Rename the header (to "entered_by", say) or delete the column',
            column=col,
        )
    return [c for c in attributes if c not in kept]


def to_canonical(
    raw: RawTable,
    table: Table,
    *,
    known: Known | None = None,
    date_order: str | None = None,
    min_n: int = 5,
    check_near: bool = True,
) -> Canonical:
    """Check a file's cells against ``table`` and type them.

    Parameters
    ----------
    raw : RawTable
        The file's cells (see :func:`toolkit.sources.spreadsheet.read_spreadsheet`).
    table : Table
        The canonical table the rows are for.
    known : Known, optional
        Customer ids, codes, segments and metric scales the store already holds.
    date_order : {"dmy", "mdy"}, optional
        How to read slashed dates; detected from the data when not given.
    min_n : int
        Groups smaller than this are warned about (legal but weak).
    check_near : bool
        Refuse attribute headers that are near-misses of a field ("segmnet"). Survey
        exports read through a map turn this off: their columns were named on purpose.

    Returns
    -------
    Canonical
        Typed rows and every problem found, each naming the spreadsheet row, column,
        value, what was expected and the fix.
    """
    known = known or Known()
    raw = _unneutralise_headers(raw)
    out = Collector(raw.where, len(raw.frame), raw.file)
    names = table.field_names
    columns: dict[str, str] = {}  # canonical field -> source column
    attributes: list[str] = []
    seen: dict[str, str] = {}
    for col in raw.frame.columns:
        norm = normalise_header(col)
        if norm in seen:
            out.file(
                f'has two columns named "{seen[norm]}" and "{col}"',
                "Rename or delete one of them",
                column=col,
            )
            continue
        seen[norm] = col
        if norm in names:
            columns[norm] = col
        elif norm in _INTERNAL or col.startswith("(column "):
            if _trimmed(raw, col).ne("").any():
                out.file(
                    "has values in a column with no header",
                    "Give the column a header, or delete it",
                    column=col,
                )
        elif check_near and (guess := near_field(col, names)) is not None and guess not in columns:
            out.file(
                f'is not a column of {table.cli_name}; did you mean "{guess}"?',
                f'Rename the header to "{guess}" (the template\'s header row has the exact names)',
                column=col,
            )
        else:
            attributes.append(col)
    attributes = _without_saved_columns(attributes, out)
    missing = [n for n in table.required if n not in columns]
    if missing:
        listed = ", ".join(f'"{m}"' for m in missing)
        out.file(
            f"has no {listed} column{'s' if len(missing) > 1 else ''}, which {table.cli_name} requires "
            f"(its header row is: {', '.join(names)})",
            f"Add the column{'s' if len(missing) > 1 else ''}, or start from templates/{table.cli_name}.csv",
        )
    data: dict[str, object] = {}
    texts: dict[str, pd.Series] = {}
    for name in names:
        if name not in columns:
            continue
        col = columns[name]
        text = _unneutralise(_trimmed(raw, col), raw)
        texts[name] = text
        f = table.field(name)
        data[name] = _coerce(f, text, col, out, date_order)
        if f.required:
            blank = text.eq("").to_numpy()
            out.rows(blank, col, [None] * len(text), "is empty; it is required", "Fill it in")
    # copy=False: each column stays its own block (stacking a million rows' object
    # columns into one block cost a copy of them all).
    frame = pd.DataFrame(data, index=raw.frame.index, copy=False)
    for name in names:
        if name not in frame:
            f = table.field(name)
            frame[name] = pd.Series(
                pd.NA if f.kind == "integer" else (np.nan if f.kind == "number" else None),
                index=frame.index,
                dtype="Int64" if f.kind == "integer" else (float if f.kind == "number" else object),
            )
    frame = frame[list(names)]
    new_segments: list[str] = []
    warnings: list[str] = []
    if not missing:
        _check_rows(table, frame, texts, columns, out, known)
        if "segment" in frame:
            frame["segment"], new_segments = _match_segments(frame["segment"], known.segments)
            warnings += _small_groups(table, frame, min_n, known.crosswalk)
    personal: dict[str, PersonalFlag] = {}
    extra: dict[str, pd.Series] = {}
    for col in attributes:
        text = _unneutralise(_trimmed(raw, col), raw)
        extra[col] = _attribute_values(text)
        if (flag := column_flag(col, text)) is not None:
            personal[col] = flag
    # Joined once: a column at a time grows with the square of a wide file's width.
    frame = pd.concat([frame, pd.DataFrame(extra, index=frame.index, copy=False)], axis=1)
    return Canonical(
        frame=frame,
        rows=raw.rows,
        header_row=raw.header_row,
        attributes=attributes,
        personal=personal,
        problems=out.problems,
        problem_count=out.count,
        bad=out.bad,
        new_segments=new_segments,
        warnings=warnings,
    )


def _attribute_values(text: pd.Series) -> pd.Series:
    """Keep an attribute as numbers when every filled cell is a number, else as text."""
    codes, uniques = pd.factorize(text)
    distinct = pd.Series(uniques, dtype=object)
    empty = distinct.eq("")
    numbers = pd.to_numeric(distinct.where(~empty), errors="coerce")
    # Codes such as "007" or 20-digit ids are text: as numbers they would lose digits.
    filled = distinct[~empty]
    codes_like = filled.str.match(r"^[+-]?0\d").any() or (numbers.abs() >= 2**53).any()
    if (numbers.notna() | empty).all() and (~empty).any() and not codes_like:
        if (numbers.dropna() % 1 == 0).all() and not filled.str.contains(r"[.eE]").any():
            numbers = numbers.astype("Int64")
        return pd.Series(numbers.array.take(codes), index=text.index)
    # Text: blank is None. One lookup per distinct value, spread back over the rows.
    lookup = np.array([*distinct.where(~empty, None), None], dtype=object)
    return pd.Series(lookup[codes], index=text.index, dtype=object)


def _check_rows(table, frame, texts, columns, out: Collector, known: Known) -> None:
    """The checks that look across fields of a row or across rows."""
    if table.key and table.key in columns:
        _unique_within(frame[table.key], columns[table.key], out)
    if table.name == "responses":
        metric = frame["metric"]
        low = frame["scale_min"].copy()
        high = frame["scale_max"].copy()
        for name, (lo, hi) in known.scales.items():
            is_metric = metric.eq(name)
            low = low.mask(is_metric & low.isna(), lo)
            high = high.mask(is_metric & high.isna(), hi)
        frame["scale_min"], frame["scale_max"] = low, high
        score = frame["score"]
        reversed_scale = (low >= high).to_numpy()
        out.rows(
            reversed_scale,
            columns.get("scale_max", "scale_max"),
            high.to_numpy(),
            lambda v: "is not above scale_min",
            "Give the lowest possible score in scale_min and the highest in scale_max",
        )
        with np.errstate(invalid="ignore"):
            outside = ((score < low) | (score > high)).fillna(False).to_numpy() & ~reversed_scale
        if outside.any():
            lows, highs, metrics = low.to_numpy(), high.to_numpy(), metric.to_numpy()
            described = np.empty(len(frame), dtype=object)
            for i in np.flatnonzero(outside)[:MAX_KEPT]:
                described[i] = (metrics[i], lows[i], highs[i])
            out.rows(
                outside,
                columns["score"],
                texts["score"].to_numpy(),
                _score_message,
                "Fix the score, or give this row's scale in scale_min and scale_max",
                context=described,
            )
    if (check := _TABLE_CHECKS.get(table.name)) is not None:
        check(frame, texts, columns, out, known)
    if table.name in ("assumed_needs", "stated_needs"):
        code, coded_by = frame["code"], frame["coded_by"]
        # A code filled in with no coded_by was set by a person.
        frame["coded_by"] = coded_by.where(~(code.notna() & coded_by.isna()), "person")
        orphan = (code.isna() & coded_by.notna()).to_numpy()
        out.rows(
            orphan,
            columns.get("coded_by"),
            coded_by.to_numpy(),
            "is given but the code is blank",
            "Fill in the code, or clear coded_by",
        )
        if code.notna().any():
            unknown = (code.notna() & ~code.isin(known.codes)).to_numpy()
            out.rows(
                unknown,
                columns["code"],
                code.to_numpy(),
                "is not a code in the engagement's codebook",
                _code_fix(known.codes),
            )
    if table.name == "service_links":
        for name in ("provider_id", "customer_id"):
            ids = frame[name]
            unknown = (ids.notna() & ~ids.isin(known.customer_ids)).to_numpy()
            out.rows(
                unknown,
                columns[name],
                ids.to_numpy(),
                "is not a customer_id in the customer register",
                "Import the customer register first (customers), or fix the id",
            )


def _check_events(frame, texts, columns: dict, out: Collector, known: Known) -> None:
    """An event ends on or after the day it starts."""
    ends_before = (frame["ends_on"].notna() & frame["starts_on"].notna()).to_numpy()
    ends_before = (
        ends_before & (frame["ends_on"].fillna("") < frame["starts_on"].fillna("")).to_numpy()
    )
    out.rows(
        ends_before,
        columns.get("ends_on"),
        frame["ends_on"].to_numpy(),
        "is before starts_on",
        "Fix the dates, or leave ends_on blank for a one-off event",
    )


#: The actions check's words for the event of a launched action with no start day (the
#: forms say it in their own words: :data:`toolkit.forms.loop_tabs.EVENT_NEEDS_A_DAY`).
EVENT_WITHOUT_START = (
    "is the event of an action under way or done, but starts_on is blank (the event "
    "is drawn on the day the action starts)"
)
#: The outreach check's words for more answers than invitations (followed by the number
#: invited; the forms' words: :data:`toolkit.forms.loop_tabs.MORE_ANSWERS_THAN_INVITED`).
MORE_THAN_INVITED = "is more than the number invited"


def _check_actions(frame, texts, columns: dict, out: Collector, known: Known) -> None:
    """An action is about a need, a group or both; its dates run forward; an event it
    becomes once launched needs the day it starts.
    """
    about_nothing = (frame["code"].isna() & frame["segment"].isna()).to_numpy()
    out.rows(
        about_nothing,
        columns.get("code", columns.get("segment", columns["action"])),
        [None] * len(frame),
        "is empty, and so is segment: an action is about a need (its code), a customer "
        "group (segment) or both",
        "Fill in the need's code from the codebook, or the customer group",
    )
    starts, done = frame["starts_on"], frame["done_on"]
    backwards = (starts.notna() & done.notna()).to_numpy() & (
        done.fillna("") < starts.fillna("")
    ).to_numpy()
    out.rows(
        backwards,
        columns.get("done_on"),
        done.to_numpy(),
        "is before starts_on",
        "Fix the dates: done_on is the day it was finished, on or after starts_on",
    )
    dateless = (frame["status"].isin(LAUNCHED) & frame["event"].notna() & starts.isna()).to_numpy()
    out.rows(
        dateless,
        columns.get("event"),
        frame["event"].to_numpy(),
        EVENT_WITHOUT_START,
        "Fill in starts_on, or leave event blank",
    )
    code = frame["code"]
    out.rows(
        (code.notna() & ~code.isin(known.codes)).to_numpy(),
        columns.get("code"),
        code.to_numpy(),
        "is not a code in the engagement's codebook",
        _code_fix(known.codes, blank=", or leave it blank for an action about a group"),
    )


def _check_outreach(frame, texts, columns: dict, out: Collector, known: Known) -> None:
    """No more people answered than were invited."""
    invited, answered = frame["invited"], frame["responses"]
    over = (invited.notna() & answered.notna() & (answered > invited)).fillna(False).to_numpy()
    out.rows(
        over,
        columns.get("responses"),
        texts["responses"].to_numpy() if "responses" in texts else answered.to_numpy(),
        lambda n: f"{MORE_THAN_INVITED} ({int(n):,})",
        "Fix the counts: responses counts the people who answered among those invited "
        "(leave invited blank when it is not known)",
        context=invited.to_numpy(),
    )


#: Checks across the fields of a row, for the tables that have them.
_TABLE_CHECKS = {"events": _check_events, "actions": _check_actions, "outreach": _check_outreach}


def _score_message(value) -> str:
    metric, low, high = value
    return f"is outside the {metric} scale {low:g}–{high:g}"


def _code_fix(codes: set[str], blank: str = ", or leave it blank to code it automatically"):
    def fix(value) -> str:
        near = sorted(codes, key=lambda c: Levenshtein.distance(str(value).lower(), c.lower()))[:1]
        hint = (
            f' (did you mean "{near[0]}"?)'
            if near and Levenshtein.distance(str(value), near[0]) <= 3
            else ""
        )
        return f"Add it to the codebook first, or fix the code{hint}{blank}"

    return fix


def _unique_within(keys: pd.Series, col: str, out: Collector) -> None:
    filled = keys.notna()
    dup = (keys.duplicated(keep=False) & filled).to_numpy()
    if not dup.any():
        return
    first_pos = {}
    for pos in np.flatnonzero(dup):
        first_pos.setdefault(keys.iat[pos], pos)
    out.rows(
        dup,
        col,
        keys.to_numpy(),
        lambda v: f"appears more than once (first on {out.where(int(first_pos[v]))})",
        "Each row needs its own id: fix or delete the repeated rows",
    )


def _match_segments(segment: pd.Series, known: list[str]) -> tuple[pd.Series, list[str]]:
    """Tidy segment labels and spell them as the engagement's known labels, ignoring case.

    The label is kept (the crosswalk says which group it counts in when rows are read);
    returns the labels and those the engagement has not seen before.
    """
    canonical = {label_key(s): s for s in known}
    codes, uniques = pd.factorize(segment)  # a few distinct values, however many rows
    spelled: list[str | None] = []
    new: list[str] = []
    for value in uniques:
        tidy = tidy_label(value)
        key = label_key(tidy)
        if key and key not in canonical:
            canonical[key] = tidy
            new.append(tidy)
        spelled.append(canonical.get(key))
    lookup = np.array([*spelled, None], dtype=object)  # code -1 (blank) takes the last
    return pd.Series(lookup[codes], index=segment.index, dtype=object), new


def _small_groups(
    table: Table, frame: pd.DataFrame, min_n: int, crosswalk: Crosswalk | None = None
) -> list[str]:
    """Warn about segments with fewer than ``min_n`` respondents in this file.

    Labels count in the segment the crosswalk maps them to, as reports will count them.
    """
    if table.name not in ("stated_needs", "responses") or frame.empty:
        return []
    if crosswalk is not None and crosswalk.aliases:
        frame = frame.assign(segment=crosswalk.resolve_all(frame["segment"]))
    who = frame["respondent_id"]
    # Rows without a respondent id count as one respondent each.
    named = who.notna()
    counts = frame.loc[named].groupby("segment")["respondent_id"].nunique()
    counts = counts.add(frame.loc[~named].groupby("segment").size(), fill_value=0)
    return [
        f'segment "{segment}" has only {int(n)} respondent{"s" if n != 1 else ""} in this file '
        f"(fewer than {min_n}); its results will be suppressed in reports"
        for segment, n in counts.items()
        if n < min_n
    ]


def cell_text(value: object) -> str:
    """A value as the cell text an import would read (whole floats without ``.0``).

    >>> cell_text(3.0), cell_text(None), cell_text(dt.date(2024, 3, 7))
    ('3', '', '2024-03-07')
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
