"""Helpers the report notebooks call, so that the notebooks hold no logic of their own.

A report notebook opens its data with one call, then shows each section with a helper
that turns an analysis result into words or a table::

    ctx = open_needs_report(engagement, subset=subset, interactive=interactive, ...)
    ctx.header()                      # engagement, organisation, fingerprint, parameters
    show_table(gap, columns={...}, percent=[...])

Generic pieces, shared by every report notebook:

:func:`open_engagement`
    Open an engagement folder, or (for an empty path) the bundled demo, built once into
    a cache folder.
:func:`open_report`
    Open the engagement, read the tables a report needs in one read transaction, apply
    ``subset``, resolve ``confidence`` and ``min_n`` against the engagement's settings and
    switch on the offline chart display. Returns a :class:`ReportContext`.
:func:`open_report_as_called`
    The same for a report's own opener, which shows the parameters it was called with
    when the notebook gives none.
:func:`show_table`
    A table for people: chosen columns under plain headings, shares as percentages,
    numbers rounded for display only, personal columns never shown.
:func:`md_escape`, :func:`pct`
    Escaping user text for Markdown and HTML; formatting a share.

Each report's own words live beside it (:mod:`toolkit.reports.needs` for the needs gap).

Narrative helpers return ``IPython.display.Markdown`` objects. Nothing heavy is imported
with this module: IPython, ipywidgets and the chart builders load on first use.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from toolkit._words import (
    DASH,
    count_words,
    fmt_count,
    fmt_number,
    fmt_whole,
    is_missing,
    join_words,
    level_words,
    p_value,
    pct,
    pct_range,
)
from toolkit.demo.cache import cached_demo, demo_cache_dir
from toolkit.errors import DataValidationError
from toolkit.reports.runner import INCLUDE_PERSONAL_ENV
from toolkit.schema.personal import looks_personal
from toolkit.store import (
    Engagement,
    check_subset,
    subset_values,
    unknown_subset_column,
)

__all__ = [
    "count_words",
    "fmt_number",
    "is_missing",
    "join_words",
    "level_words",
    "markdown",
    "pct_range",
    "IDENTIFYING_COLUMNS",
    "ReportContext",
    "Table",
    "demo_cache_dir",
    "include_personal",
    "md_escape",
    "open_engagement",
    "open_report",
    "open_report_as_called",
    "pct",
    "plain_value",
    "show_table",
]

IDENTIFYING_COLUMNS = frozenset({"respondent_id", "source_id", "response_id", "staff"})
"""Columns that point at one person; :func:`show_table` never shows them, nor any column
:func:`toolkit.schema.looks_personal` flags (names, e-mails, addresses, …)."""


# ----------------------------------------------------------------------------- formatting


def md_escape(text: object) -> str:
    r"""Make user text safe to put inside Markdown (and the HTML it becomes).

    Line breaks collapse to spaces; Markdown punctuation is backslash-escaped; ``&``,
    ``<``, ``>`` become HTML entities; ``$`` becomes ``&#36;`` so JupyterLab does not read
    it as the start of a formula.

    Parameters
    ----------
    text : object
        Any value; ``None`` and missing values give ``"–"``.

    Returns
    -------
    str
        Text that renders as itself inside a Markdown paragraph, list item or table cell.

    Examples
    --------
    >>> md_escape("Milk *and* <b>bread</b> for $5")
    'Milk \\*and\\* &lt;b&gt;bread&lt;/b&gt; for &#36;5'
    >>> md_escape("1. first | second")
    '1\\. first \\| second'
    """
    if is_missing(text):
        return DASH
    value = " ".join(str(text).split())
    value = re.sub(r"([\\`*_{}\[\]()#+!|~])", r"\\\1", value)
    value = re.sub(r"^(\d+)([.)])", r"\1\\\2", value)
    value = re.sub(r"^([-=])", r"\\\1", value)
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("$", "&#36;")):
        value = value.replace(char, entity)
    return value


def markdown(text: str, metadata: Mapping | None = None):
    from IPython.display import Markdown

    return Markdown(text, metadata=dict(metadata) if metadata else None)


def include_personal() -> bool:
    """True when this kernel runs a report asked to include personal columns.

    The report runner (:mod:`toolkit.reports.runner`) sets ``SERVICE_TOOLKIT_INCLUDE_PERSONAL``
    to ``1`` in the kernel's environment for ``--include-personal`` and to ``0``
    otherwise; a notebook opened by hand never includes them.
    """
    return os.environ.get(INCLUDE_PERSONAL_ENV) == "1"


class Table:
    """A formatted table: shows as HTML in notebooks and reports, as text elsewhere.

    Attributes
    ----------
    frame : DataFrame
        The display strings, one column per heading; a cell may hold a list of strings,
        shown one per line.
    caption : str or None
        Shown above the table.
    note : str or None
        Shown below the table in small print.
    """

    def __init__(self, frame: pd.DataFrame, caption: str | None = None, note: str | None = None):
        self.frame = frame
        self.caption = caption
        self.note = note

    def _repr_html_(self) -> str:
        parts = []
        if self.caption:
            parts.append(f'<p class="tk-caption"><strong>{html.escape(self.caption)}</strong></p>')
        if self.frame.empty:
            parts.append("<p><em>Nothing to show.</em></p>")
        else:
            align = {c: "right" if _numeric_column(self.frame[c]) else "left" for c in self.frame}
            head = "".join(
                f'<th style="text-align: {align[c]}">{html.escape(str(c))}</th>' for c in self.frame
            )
            body = []
            for row in self.frame.itertuples(index=False):
                cells = "".join(
                    f'<td style="text-align: {align[c]}; vertical-align: top">{_html_cell(v)}</td>'
                    for c, v in zip(self.frame.columns, row, strict=True)
                )
                body.append(f"<tr>{cells}</tr>")
            parts.append(
                f'<table class="tk-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table>"
            )
        if self.note:
            parts.append(f'<p class="tk-note"><small>{html.escape(self.note)}</small></p>')
        return "\n".join(parts)

    def __repr__(self) -> str:
        lines = [self.caption] if self.caption else []
        flat = self.frame.map(lambda v: "; ".join(v) if isinstance(v, list) else v)
        lines.append("(nothing to show)" if flat.empty else flat.to_string(index=False))
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


_NUMBER = re.compile(r"^[<>]?[−-]?\d")  # a cell that reads as a number: align it right


def _numeric_column(column: pd.Series) -> bool:
    shown = [v for v in column if isinstance(v, str) and v != DASH]
    return bool(shown) and all(_NUMBER.match(v) for v in shown)


def _html_cell(value: object) -> str:
    if isinstance(value, list):
        return "<br>".join(html.escape(str(v)) for v in value) or DASH
    return html.escape(str(value))


def show_table(
    frame: pd.DataFrame,
    *,
    columns: Mapping[str, str] | Sequence[str] | None = None,
    percent: Iterable[str] = (),
    intervals: Mapping[str, tuple[str, str]] | None = None,
    decimals: int | Mapping[str, int] = 1,
    rows: int | None = None,
    caption: str | None = None,
    note: str | None = None,
    p_values: Iterable[str] = (),
) -> Table:
    """Format a result table for people; the data itself is never changed.

    Parameters
    ----------
    frame : DataFrame
        Any analysis result.
    columns : mapping or sequence, optional
        The columns to show, in order; a mapping also gives each its heading. By default
        every column, headed by its name in words (``customer_share`` → "Customer share").
    percent : iterable of str
        Columns holding shares in [0, 1], shown as whole percentages.
    intervals : mapping, optional
        ``{estimate: (low, high)}``: the interval is written after the estimate, as in
        "37% (31%–43%)". The low and high columns need not be among ``columns``.
    decimals : int or mapping
        Decimals for other numbers (per column with a mapping; default 1).
    p_values : iterable of str
        Columns holding p-values, shown as "<0.001" or with three decimals.
    rows : int, optional
        Show only the first ``rows`` rows; a note says how many were left out.
    caption, note : str, optional
        Text above and below the table.

    Returns
    -------
    Table
        Displays as an HTML table; ``.frame`` holds the strings shown.

    Notes
    -----
    Columns that identify a person (:data:`IDENTIFYING_COLUMNS`, and every column
    :func:`toolkit.schema.looks_personal` flags) are dropped even when asked for, unless
    the report was run with ``--include-personal`` (:func:`include_personal`).
    Every number is put into words by :mod:`toolkit._words`: missing values read "–",
    negative numbers carry the true minus sign "−" and a value that rounds to zero none.

    Examples
    --------
    >>> gap = pd.DataFrame({"label": ["Milk"], "customer_share": [0.368],
    ...                     "customer_ci_low": [0.307], "customer_ci_high": [0.434],
    ...                     "respondent_id": ["S-1"]})
    >>> show_table(gap, columns={"label": "Need", "customer_share": "Customers",
    ...                          "respondent_id": "Who"}, percent=["customer_share"],
    ...            intervals={"customer_share": ("customer_ci_low", "customer_ci_high")}
    ...            ).frame.to_dict("list")
    {'Need': ['Milk'], 'Customers': ['37% (31%–43%)']}
    """
    if columns is None:
        columns = {c: _heading(c) for c in frame.columns}
    elif not isinstance(columns, Mapping):
        columns = {c: _heading(c) for c in columns}
    shown = {c: h for c, h in columns.items() if not _is_personal(c)}
    missing = [c for c in shown if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"show_table: the table has no column {', '.join(map(repr, missing))}; "
            f"it has: {', '.join(map(str, frame.columns))}."
        )
    percent = set(percent)
    p_values = set(p_values)
    intervals = dict(intervals or {})
    left_out = 0
    if rows is not None and len(frame) > rows:
        left_out = len(frame) - rows
        frame = frame.head(rows)
    out = pd.DataFrame(index=range(len(frame)))
    for column, heading in shown.items():
        places = decimals.get(column, 1) if isinstance(decimals, Mapping) else decimals
        values = frame[column].tolist()
        if column in percent:
            text = [pct(v) for v in values]
        elif column in p_values:
            text = [p_value(v) for v in values]
        else:
            text = [_cell(v, places) for v in values]
        if column in intervals:
            low, high = (frame[c] for c in intervals[column])
            text = _with_intervals(text, low, high, percent=column in percent, places=places)
        out[heading] = text
    if left_out:
        extra = f"{count_words(left_out, 'more row')} not shown."
        note = f"{note} {extra}" if note else extra
    return Table(out, caption=caption, note=note)


def _with_intervals(
    text: list[str], low: pd.Series, high: pd.Series, *, percent: bool, places: int
) -> list[str]:
    """Each estimate's words followed by its interval, "37% (31%–43%)"; none where missing."""
    out = list(text)
    for i, (lo, hi) in enumerate(zip(low, high, strict=True)):
        if out[i] == DASH or is_missing(lo) or is_missing(hi):
            continue
        bounds = (
            pct_range(lo, hi)
            if percent
            else f"{fmt_number(lo, places)} to {fmt_number(hi, places)}"
        )
        out[i] = f"{out[i]} ({bounds})"
    return out


def _heading(column: str) -> str:
    return str(column).replace("_", " ").capitalize()


def _is_personal(column: object) -> bool:
    if include_personal():
        return False
    return str(column) in IDENTIFYING_COLUMNS or looks_personal(column)


def _cell(value: object, decimals: int) -> str | list[str]:
    if isinstance(value, list | tuple):
        return [str(_cell(v, decimals)) for v in value]
    if is_missing(value):
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (
        isinstance(value, float) and float(value).is_integer() and decimals == 0
    ):
        return fmt_count(value)
    if isinstance(value, float):
        return fmt_number(value, decimals)
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return _cell(value.item(), decimals)
    return str(value)


def plain_value(value: object) -> str:
    """A value in words for a reader: no brackets, quotes or ``True``.

    Examples
    --------
    >>> plain_value({}), plain_value({"mandate": 2, "clout": 0.5}), plain_value(True)
    ('not set', 'mandate 2, clout 0.5', 'yes')
    >>> plain_value(["North", "South"]), plain_value(""), plain_value(0.25), plain_value(3)
    ('North, South', 'not set', '0.25', '3')
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        if not value:
            return "not set"
        return ", ".join(f"{str(k).replace('_', ' ')} {plain_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return ", ".join(plain_value(v) for v in value) or "not set"
    if isinstance(value, float):
        return fmt_whole(value) if value.is_integer() else f"{value:g}"
    if value is None or (isinstance(value, str) and not value.strip()):
        return "not set"
    return str(value)


# ----------------------------------------------------------------------------- opening


def open_engagement(
    engagement: str | os.PathLike = "", *, demo: str = "neighbourhood"
) -> Engagement:
    """Open an engagement folder, or the bundled demo when no folder is given.

    Parameters
    ----------
    engagement : str or path-like
        The engagement folder (``~`` is expanded). Empty: the demo ``demo``, built once
        into :func:`demo_cache_dir` and rebuilt only when missing or made by another
        version of the toolkit.
    demo : str
        Which bundled demo stands in for an empty ``engagement``.

    Returns
    -------
    Engagement

    Raises
    ------
    StoreError
        The folder does not exist or is not an engagement; the message says how to
        create one.
    """
    if str(engagement).strip():
        return Engagement.open(Path(str(engagement).strip()).expanduser())
    return Engagement.open(cached_demo(demo))


@dataclass
class ReportContext:
    """Everything a report notebook needs after its setup cell.

    Attributes
    ----------
    engagement : Engagement
        The open engagement.
    tables : dict of str to DataFrame
        The tables read in one transaction, ``subset`` applied, personal columns left out.
    fingerprint : str
        :meth:`Engagement.fingerprint` of those tables, taken with the read.
    parameters : dict
        The notebook's parameters as given.
    confidence, min_n : float, int
        The values in force: a parameter given as 0 takes the engagement's setting.
    from_settings : tuple of str
        Which of ``confidence`` and ``min_n`` came from engagement.toml.
    demo : bool
        True when no engagement was given and the bundled demo stands in.
    started : datetime
        When the report was opened, in the engagement's time zone.
    include_personal : bool
        True when the tables keep the columns that identify people (a report run with
        ``--include-personal``); False otherwise.
    """

    engagement: Engagement
    tables: dict[str, pd.DataFrame]
    fingerprint: str
    parameters: dict
    confidence: float
    min_n: int
    from_settings: tuple[str, ...] = ()
    demo: bool = False
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    include_personal: bool = False

    @property
    def min_staff_n(self) -> int:
        """The staff side's small-group rule, from engagement.toml (``min_staff_n``)."""
        return int(self.engagement.settings["min_staff_n"])

    @property
    def subset(self) -> dict:
        return dict(self.parameters.get("subset") or {})

    def header(self, title: str | None = None):
        """The report's first screen: who, which data, which toolkit, when, with what.

        Returns
        -------
        IPython.display.Markdown
            A table in Markdown; its display metadata (``service_toolkit.header``) holds
            the same facts as data, from which the HTML report builds its first screen.
        """
        eng = self.engagement
        organisation = eng.settings_data.get("organisation") or eng.name
        lines = [f"## {md_escape(organisation)}" + (f": {md_escape(title)}" if title else "")]
        if self.demo:
            lines += ["Sample data: the toolkit's bundled demo engagement, not real answers.", ""]
        lines += self._facts_table()
        return markdown("\n".join(lines), metadata={"service_toolkit": {"header": self._facts()}})

    def shell_path(self) -> str:
        """The engagement's folder as a command line names it, for a command in report text.

        Quoted for a shell when it needs it; meant for inside a Markdown code span (where
        no escape is read), so a backtick in the path becomes a quote.
        """
        import shlex

        return shlex.quote(str(self.engagement.path)).replace("`", "'")

    def parameter_text(self, name: str, value: object) -> str:
        """A parameter's value in words for the reader, never a raw Python value.

        ``confidence`` and ``min_n`` show the values in force; an empty text, list or
        mapping reads "not set"; a mapping reads ``key value, …``; True and False read
        yes and no. A report's context may word its own parameters (the customer map
        words ``weights``).
        """
        if name == "confidence":
            return level_words(self.confidence)
        if name == "min_n":
            return fmt_count(self.min_n)
        return plain_value(value)

    def _context_words(self, facts: Mapping) -> str:
        demo = " (demo data)" if facts["demo"] else ""
        return (
            f"{facts['organisation']} · engagement {facts['engagement']}{demo} · data "
            f"fingerprint {facts['fingerprint']} · {facts['run_date']}"
        )

    def context_line(self):
        """The one line under a report's title: the engagement, the data fingerprint, the date.

        Returns
        -------
        IPython.display.Markdown
            One line; its display metadata (``service_toolkit.header``) holds the report's
            facts as data, from which the HTML report builds its first screen (and its
            *About this report* section).
        """
        facts = self._facts()
        line = md_escape(self._context_words(facts))
        if self.demo:
            line += "  \nSample data: the toolkit's bundled demo engagement, not real answers."
        return markdown(line, metadata={"service_toolkit": {"header": facts}})

    def about(self):
        """The *About this report* table: parameters, fingerprint, toolkit version, time.

        Returns
        -------
        IPython.display.Markdown
            A table; its display metadata (``service_toolkit.about``) holds the same facts,
            from which the HTML report builds its *About this report* section.
        """
        lines = self._facts_table()
        return markdown("\n".join(lines), metadata={"service_toolkit": {"about": self._facts()}})

    def _facts_table(self) -> list[str]:
        """The run's facts as Markdown table lines (the first screen's and *About*'s)."""
        from toolkit import __version__

        eng = self.engagement
        organisation = eng.settings_data.get("organisation") or eng.name
        rows = [
            ("Engagement", md_escape(eng.name) + (" (demo data)" if self.demo else "")),
            ("Organisation", md_escape(organisation)),
            ("Customers included", self._subset_words()),
            ("Data fingerprint", f"`{self.fingerprint}`"),
            ("Toolkit version", md_escape(__version__)),
            ("Run at", f"{self.started.day} {self.started:%B %Y, %H:%M %Z}".strip()),
            ("Parameters", self._parameter_words()),
        ]
        if self.include_personal:
            rows.append(("Personal data", "included (run with --include-personal)"))
        lines = ["| | |", "| --- | --- |"]
        return lines + [f"| {name} | {value} |" for name, value in rows]

    def _facts(self) -> dict:
        """The first screen's facts as plain (unescaped) text, for the HTML report."""
        from toolkit import __version__

        eng = self.engagement
        parameters = {}
        for name, value in self.parameters.items():
            if name in ("engagement", "subset", "interactive"):
                continue
            text = self.parameter_text(name, value)
            if name in self.from_settings:
                text += " (from engagement.toml)"
            parameters[str(name)] = text
        subset = "; ".join(
            f"{column} = "
            + " or ".join(
                str(v) for v in (value if isinstance(value, list | tuple | set) else [value])
            )
            for column, value in self.subset.items()
        )
        return {
            "engagement": eng.name,
            "organisation": eng.settings_data.get("organisation") or eng.name,
            "demo": self.demo,
            "customers_included": subset or "everyone",
            "fingerprint": self.fingerprint,
            "toolkit_version": __version__,
            "run_at": self.started.isoformat(timespec="seconds"),
            "run_at_text": f"{self.started.day} {self.started:%B %Y, %H:%M %Z}".strip(),
            "run_date": f"{self.started.day} {self.started:%B %Y}",
            "parameters": parameters,
            "min_n": self.min_n,
            "confidence": self.confidence,
            "include_personal": self.include_personal,
        }

    def _subset_words(self) -> str:
        if not self.subset:
            return "everyone"
        parts = []
        for column, value in self.subset.items():
            values = value if isinstance(value, list | tuple | set) else [value]
            parts.append(f"{md_escape(column)} = " + " or ".join(md_escape(v) for v in values))
        return "; ".join(parts)

    def _parameter_words(self) -> str:
        words = []
        for name, value in self.parameters.items():
            if name in ("engagement", "subset", "interactive"):
                continue
            text = f"{md_escape(name)} = {md_escape(self.parameter_text(name, value))}"
            if name in self.from_settings:
                text += " (from engagement.toml)"
            words.append(text)
        return ", ".join(words) or "none"


def _resolve(value, name: str, engagement: Engagement):
    """A parameter given as 0 or None takes the engagement's setting."""
    if value is None or (not isinstance(value, bool) and value == 0):
        return engagement.settings[name], True
    return value, False


def open_report(
    engagement: str | os.PathLike = "",
    *,
    tables: Sequence[str],
    subset: Mapping | None = None,
    interactive: bool = True,
    parameters: Mapping | None = None,
    confidence: float | None = None,
    min_n: int | None = None,
    demo: str = "neighbourhood",
    rows: Mapping[str, Mapping[str, list]] | None = None,
    blank: Mapping[str, Sequence[str]] | None = None,
) -> ReportContext:
    """Open a report's data: the engagement, its tables in one read, the subset applied.

    Parameters
    ----------
    engagement : str or path-like
        The engagement folder; empty for the bundled demo (:func:`open_engagement`).
    tables : sequence of str
        The stored tables the report reads, all in one read transaction.
    subset : mapping, optional
        ``{column: value or list}``: rows to keep in every table that has the column.
    interactive : bool
        Passed to :func:`toolkit.charts.theme.enable_charts`: live widgets (True) or report
        output (False).
    parameters : mapping, optional
        The notebook's parameters, shown on the first screen.
    confidence, min_n : float, int, optional
        Interval level and smallest group shown; None or 0 takes the engagement's
        setting (engagement.toml, else 0.95 and 5).
    demo : str
        The demo that stands in for an empty ``engagement``.
    rows : mapping, optional
        ``{table: {column: [values]}}``: read only these rows of a table (in SQL), for a
        report that needs part of a large table (one metric of the responses, say).
    blank : mapping, optional
        ``{table: [columns]}``: columns the report never uses, read as empty (long ids and
        comments of a million responses cost seconds to read).

    Returns
    -------
    ReportContext

    Raises
    ------
    StoreError
        No engagement at that path.
    DataValidationError
        ``subset`` is not a mapping, names a column no table has, or keeps no rows.
    """
    from toolkit.charts.theme import enable_charts

    eng = open_engagement(engagement, demo=demo)
    confidence, conf_from = _resolve(confidence, "confidence", eng)
    min_n, min_from = _resolve(min_n, "min_n", eng)
    if not (isinstance(confidence, int | float) and 0 < float(confidence) < 1):
        raise DataValidationError(
            f"confidence must be a number between 0 and 1, such as 0.95 (got {confidence!r})."
        )
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise DataValidationError(f"min_n must be a whole number of at least 1 (got {min_n!r}).")
    personal = include_personal()
    subset = check_subset(subset)
    # One read transaction, each table narrowed in SQL to the rows the report needs.
    data, fingerprint = eng.snapshot(
        tables, include_personal=personal, subset=subset, rows=rows, blank=blank
    )
    _check_subset(data, subset, engagement=eng)
    enable_charts(interactive=interactive)
    params = dict(parameters or {})
    params.setdefault("engagement", str(engagement))
    params.setdefault("subset", dict(subset or {}))
    params.setdefault("interactive", interactive)
    zone = _zone(eng.settings.get("timezone"))
    return ReportContext(
        engagement=eng,
        tables=data,
        fingerprint=fingerprint,
        parameters=params,
        confidence=float(confidence),
        min_n=int(min_n),
        from_settings=tuple(n for n, f in (("confidence", conf_from), ("min_n", min_from)) if f),
        demo=not str(engagement).strip(),
        started=dt.datetime.now(zone),
        include_personal=personal,
    )


def open_report_as_called(
    engagement: str | os.PathLike,
    subset: Mapping | None,
    interactive: bool,
    parameters: Mapping | None,
    called: Mapping,
    *,
    tables: Sequence[str],
    **read,
) -> ReportContext:
    """:func:`open_report` for a report's own opener, showing the parameters it was called with.

    Parameters
    ----------
    engagement, subset, interactive
        As for :func:`open_report`.
    parameters : mapping or None
        The notebook's parameters as given, for the first screen. Empty (a call from
        Python): ``engagement``, ``subset``, ``interactive`` and then ``called``.
    called : mapping
        The opener's other parameters, in the order of its signature; its ``confidence``
        and ``min_n`` go on to :func:`open_report`.
    tables, **read
        As for :func:`open_report` (``rows``, ``blank``, ``demo``).

    Returns
    -------
    ReportContext
    """
    shown = dict(parameters or {}) or {
        "engagement": str(engagement),
        "subset": dict(subset or {}),
        "interactive": interactive,
        **called,
    }
    return open_report(
        engagement,
        tables=tables,
        subset=subset,
        interactive=interactive,
        parameters=shown,
        confidence=called["confidence"],
        min_n=called["min_n"],
        **read,
    )


def _zone(name: object) -> dt.tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(str(name)) if name else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _check_subset(
    tables: Mapping[str, pd.DataFrame], subset: Mapping | None, *, engagement=None
) -> None:
    """Refuse a subset naming a column no table has, or keeping no rows.

    The rule itself (what a subset is, which rows it keeps) lives in the store
    (:func:`toolkit.store.check_subset`, :func:`toolkit.store.apply_subset`).
    """
    subset = check_subset(subset)
    for column, value in subset.items():
        having = {name: t for name, t in tables.items() if column in t}
        if not having:
            columns = {c for t in tables.values() for c in t.columns if not _is_personal(c)}
            raise unknown_subset_column(column, columns, "of this report")
        values = [str(v) for v in subset_values(value)]
        kept = sum(int(t[column].astype(str).isin(values).sum()) for t in having.values())
        if not kept:
            if engagement is not None:  # the tables were narrowed in SQL: ask the store
                seen = sorted(
                    {str(v) for name in having for v in engagement.distinct_values(name, column)}
                )
            else:
                seen = sorted(
                    {str(v) for t in having.values() for v in t[column].dropna().unique()}
                )
            raise DataValidationError(
                f"subset {{{column}: {value!r}}} keeps no rows: no {column} is "
                f"{' or '.join(map(repr, values))}. Values in the data: {', '.join(seen) or 'none'}."
            )
