"""Run the report notebooks with papermill and write self-contained, offline HTML.

::

    from toolkit.reports.runner import run_report, run_reports

    run = run_reports("riverside")                          # all three reports
    run = run_reports("riverside", ["needs-gap"], each="segment", jobs=2)
    result = run_report("riverside", "customer-map", parameters={"weights": {"mandate": 2}})

Every run writes into its own folder, ``<engagement>/reports/<run-id>/`` (the run id
comes from the time and is never reused), one ``<name>[--<value>].html`` per report next
to its executed ``.ipynb``, and a ``run.json`` describing the run; then
``reports/index.html`` is rewritten to list every run, newest first.

Notebook parameters (:mod:`toolkit.reports.parameters`)
    Each notebook declares its parameters in a cell tagged ``parameters`` as
    ``name: type = default  # help`` (:func:`notebook_parameters` reads it without a
    kernel). Values are checked and typed against those declarations *before* any
    kernel starts: an unknown name or a value of the wrong type raises
    :class:`~toolkit.errors.DataValidationError` listing the valid parameters. With
    several notebooks a parameter goes to those that declare it and is refused only when
    none does. The runner sets ``engagement`` (the engagement folder, absolute) and
    ``interactive`` (False) itself; ``each`` sets ``subset`` once per value.

Failures
    A cell that raises ends that report: its partial executed notebook is kept, the
    result names the notebook, the cell and the error, and the other reports of the
    run still run. :func:`run_report` raises :class:`~toolkit.errors.ReportError` for
    it; :func:`run_reports` returns every result (``run.failed``). The command line
    exits 3 for either.

Data not there yet (:data:`REPORT_NEEDS`, :func:`data_missing`)
    Before any kernel starts, each report's tables are checked for rows. A run without
    names *skips* a report whose data is not there yet ("needs-gap: no stated needs yet —
    import some, then run it again."): ``run.skipped`` lists it, ``run.json`` and the
    index say so, and the run still counts as ok. A report named explicitly with no data
    raises :class:`~toolkit.errors.DataValidationError` (the command line exits 1).

Speed
    Kernels come from :class:`toolkit.reports.kernels.KernelForkServer`: a template
    process imports pandas, Altair, the toolkit and whatever the notebooks import, while
    this process imports papermill and nbconvert; each report then gets a fresh kernel
    forked from the template (no state shared between reports; a kernel that dies fails
    only its report). Reports run ``jobs`` at a time.

HTML (:mod:`toolkit.reports.html`; the index of runs: :mod:`toolkit.reports.index`)
    The template ``templates/report/`` (extending nbconvert's ``lab``) drops code,
    prompts, require.js, MathJax, Mermaid and the widget manager; inlines
    :func:`toolkit.charts.theme.vega_script` once in the head; puts a first screen (report,
    engagement, parameters, data fingerprint, toolkit version, time) above the report;
    and prints with a page break before each section and no chart cut in two. Widget
    state is stripped from every executed notebook.

PDF and slides (:mod:`toolkit.reports.export`)
    ``formats`` (``html``, ``pdf``, ``pptx``; HTML by default) adds ``NAME.pdf`` (the HTML
    printed by Chromium) and ``NAME.pptx`` beside each report once every notebook has run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sys
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from toolkit._files import path_problem, write_atomic
from toolkit.errors import DataValidationError, ReportError, StoreError
from toolkit.reports.html import _now_iso, export_html
from toolkit.reports.index import write_index
from toolkit.reports.parameters import (
    REQUIRED_PARAMETERS,
    Parameter,
    _check_parameters,
    _read_json,
    _source,
    notebook_parameters,
)
from toolkit.schema.personal import personal_refusal

__all__ = [
    "REPORTS",
    "REPORT_TABLES",
    "Parameter",
    "Report",
    "ReportResult",
    "ReportRun",
    "export_html",
    "notebook_parameters",
    "REPORT_NEEDS",
    "data_missing",
    "report_named",
    "run_report",
    "run_reports",
    "value_slug",
    "report_file_names",
    "write_index",
]

#: The files a report's result names (links relative to the reports folder in run.json).
_FILES = ("html", "pdf", "pptx", "notebook")

INCLUDE_PERSONAL_ENV = "SERVICE_TOOLKIT_INCLUDE_PERSONAL"
"""Set to ``1`` in a report's kernel when the run was asked to include personal columns."""


# ----------------------------------------------------------------------------- the reports


@dataclass(frozen=True)
class Report:
    """One report: a name, its notebook, and the stored tables it reads.

    Attributes
    ----------
    name : str
        ``needs-gap``, ``customer-map``, ``satisfaction`` (or, for a notebook given by
        path, its file name with hyphens).
    notebook : Path
        The notebook file.
    tables : tuple of str
        The stored tables the report reads (``--each`` picks its values from these);
        empty for a notebook given by path, meaning every table.
    """

    name: str
    notebook: Path
    tables: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The notebook's first ``# heading``, else the report's name."""
        for cell in _read_json(self.notebook).get("cells", []):
            if cell.get("cell_type") == "markdown":
                first = _source(cell).strip().splitlines()[:1]
                if first and first[0].startswith("# "):
                    return first[0][2:].strip()
                break
        return self.name


#: Each report and the stored tables it reads: the one list (each report's module takes
#: its tables from here; ``--each`` picks its values from them).
REPORT_TABLES: dict[str, tuple[str, ...]] = {
    "needs-gap": ("codebook", "assumed_needs", "stated_needs", "actions", "customers"),
    "customer-map": ("customers", "service_links", "stated_needs", "assumed_needs", "codebook"),
    "satisfaction": ("responses", "events"),
    "you-said-we-did": ("codebook", "stated_needs", "actions"),
}

#: Tables a report reads beside its data (what was decided, who the customers are): a value
#: only they hold makes no report of its own under ``--each``.
REPORT_CONTEXT: dict[str, tuple[str, ...]] = {"needs-gap": ("actions", "customers")}

#: What each report needs before it can run: the stored table that must hold rows, and
#: how to say it is empty. The one home for the check :func:`data_missing` makes before
#: any kernel starts (a run without names skips such a report; a named one refuses).
REPORT_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "needs-gap": (("stated_needs", "no stated needs"),),
    "customer-map": (("customers", "no customers"),),
    "satisfaction": (("responses", "no satisfaction responses"),),
    "you-said-we-did": (("stated_needs", "no stated needs"),),
}

REPORTS: tuple[str, ...] = tuple(REPORT_TABLES)
"""The report names, in the order a run without names runs them. Report ``x-y`` is the
notebook ``notebooks/x_y.ipynb``."""


def report_named(name: str | os.PathLike) -> Report:
    """Return the :class:`Report` called ``name``, or the notebook at a ``.ipynb`` path.

    Parameters
    ----------
    name : str or path-like
        A report name (hyphens or underscores, any case) or a path to a notebook.

    Returns
    -------
    Report

    Raises
    ------
    DataValidationError
        Not a report name, or no notebook at that path.
    StoreError
        The report's notebook is missing from this installation.
    """
    text = str(name).strip()
    if text.lower().endswith(".ipynb"):
        path = Path(text).expanduser().resolve()
        if not path.is_file():
            raise DataValidationError(f"{text}: no notebook there.")
        return Report(path.stem.replace("_", "-"), path, ())
    key = text.lower().replace("_", "-")
    if key not in REPORT_TABLES:
        raise DataValidationError(
            f'"{text}" is not a report. Choose from: {", ".join(REPORTS)} '
            "(or give the path of a .ipynb notebook)."
        )
    from toolkit._resources import resource_dir

    notebook = resource_dir("notebooks") / f"{key.replace('-', '_')}.ipynb"
    if not notebook.is_file():
        raise StoreError(
            f"The {key} report's notebook ({notebook.name}) is missing from this installation "
            f"of the toolkit ({notebook.parent}); reinstall the toolkit."
        )
    return Report(key, notebook, REPORT_TABLES[key])


def data_missing(engagement, report: Report) -> str | None:
    """Why ``report`` cannot run on ``engagement`` yet (its data is not there), or None.

    A cheap store check (does each table in :data:`REPORT_NEEDS` hold a row?), made before
    any kernel starts.

    Returns
    -------
    str or None
        A sentence such as "needs-gap: no stated needs yet — import some, then run it
        again."; None when the report has what it needs (or is a notebook given by path).
    """
    from toolkit.schema.tables import table_named

    needs = REPORT_NEEDS.get(report.name, ()) if report.tables else ()
    if not needs:
        return None
    with engagement.reading() as con:
        for table, words in needs:
            name = table_named(table).name
            if con.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone() is None:
                return f"{report.name}: {words} yet — import some, then run it again."
    return None


def _skip_missing(engagement, reports: list[Report], named: bool) -> tuple[list, list]:
    """The reports whose data is there, and ``{"report", "reason"}`` for each that is not.

    Raises
    ------
    DataValidationError
        A report named explicitly has no data.
    """
    ready, skipped = [], []
    for report in reports:
        reason = data_missing(engagement, report)
        if reason is None:
            ready.append(report)
        elif named:
            raise DataValidationError(reason)
        else:
            skipped.append({"report": report.name, "reason": reason})
    return ready, skipped


# ----------------------------------------------------------------------------- results


@dataclass
class ReportResult:
    """The outcome of one report.

    Attributes
    ----------
    name : str
        The report's name.
    value : Any
        The ``each`` value this report was made for; None without ``each``.
    parameters : dict
        The parameters it ran with (as injected into the notebook).
    status : str
        ``"ok"`` or ``"failed"``.
    html, notebook : Path or None
        The HTML report (None when it failed, or when HTML was not among the formats) and
        the executed notebook (kept, partial, when it failed).
    pdf, pptx : Path or None
        The PDF and the slides, when those formats were asked for.
    error : str or None
        What went wrong, naming the notebook and the cell.
    cell : int or None
        The failing cell's execution count (``In [n]``).
    seconds : float
        How long the report took.
    warnings : list of str
        What the notebook's outputs say the person running it should know (a Spanish
        page showing an English label, say), from their ``service_toolkit.warnings``
        metadata; never part of the report itself.
    """

    name: str
    value: Any
    parameters: dict
    status: str
    html: Path | None
    notebook: Path | None
    error: str | None = None
    cell: int | None = None
    seconds: float = 0.0
    pdf: Path | None = None
    pptx: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in _FILES:
            data[key] = str(data[key]) if data[key] else None
        return data


@dataclass
class ReportRun:
    """One run: its folder, its reports' results and the index.

    Attributes
    ----------
    run_id : str
    folder : Path
        ``reports/<run-id>``.
    index : Path
        ``reports/index.html``.
    results : list of ReportResult
    engagement : str
    started, finished : str
        ISO times (UTC).
    """

    run_id: str
    folder: Path
    index: Path
    engagement: str
    started: str
    finished: str = ""
    each: str | None = None
    results: list[ReportResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> list[ReportResult]:
        return [r for r in self.results if not r.ok]

    @property
    def status(self) -> str:
        if not self.finished:
            return "running"
        return "failed" if self.failed else "ok"

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "engagement": self.engagement,
            "folder": str(self.folder),
            "index": str(self.index),
            "started": self.started,
            "finished": self.finished,
            "each": self.each,
            "reports": len(self.results),
            "failed": len(self.failed),
            "results": [r.to_dict() for r in self.results],
            "notes": list(self.notes),
            "skipped": [dict(s) for s in self.skipped],
        }


# ----------------------------------------------------------------------------- planning


@dataclass
class _Job:
    report: Report
    value: Any
    stem: str
    parameters: dict


def value_slug(value: Any) -> str:
    """A file-name-safe form of an ``each`` value.

    Examples
    --------
    >>> value_slug("Older residents (65+)"), value_slug("Zürich Campus"), value_slug("???")
    ('older-residents-65', 'zurich-campus', 'value')
    """
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")
    return slug or "value"


def report_file_names(values: Iterable[Any]) -> dict[str, str]:
    """A different file-name part for each ``each`` value, keyed by ``str(value)``.

    A value keeps its :func:`value_slug` when no other value has the same slug; values
    that share one (``"A b"`` and ``"a-b"``, or two long values alike in their first 60
    characters, or two with no letter a file name can carry) each get the slug and a short
    digest of the value itself. The names depend only on the set of values (never on
    their order) and no two are equal, also on a file system that ignores case.

    Examples
    --------
    >>> report_file_names(["North", "South"])
    {'North': 'north', 'South': 'south'}
    >>> names = report_file_names(["a-b", "A b", "a-b-2"])
    >>> names["a-b-2"], names["a-b"] != names["A b"], len(set(names.values()))
    ('a-b-2', True, 3)
    """
    keys = sorted({str(v) for v in values})
    slugs = {k: value_slug(k) for k in keys}
    shared = {s for s, n in Counter(slugs.values()).items() if n > 1}
    names = {k: s for k, s in slugs.items() if s not in shared}
    taken = set(names.values())
    for key in (k for k in keys if k not in names):
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        size = 8
        while f"{slugs[key]}-{digest[:size]}" in taken:  # a value spelled like a digest
            size += 8
        names[key] = f"{slugs[key]}-{digest[:size]}"
        taken.add(names[key])
    return names


def _natural(value: Any) -> tuple:
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.lower())
        for part in re.split(r"(\d+)", str(value))
        if part
    )


def _each_values(engagement, column: str, report: Report):
    """The values of ``column`` in the tables ``report`` reads; None if none has it."""
    from toolkit.schema.tables import TABLES, table_named

    values: dict[str, Any] = {}
    found = False
    with engagement.reading() as con:
        for table in report.tables or tuple(TABLES):
            if table in REPORT_CONTEXT.get(report.name, ()):
                continue
            spec = table_named(table)
            attrs = engagement.attribute_columns(spec.name, con)
            is_attr = column in set(attrs["column"])
            if column not in spec.field_names and not is_attr:
                continue
            found = True
            for v in engagement.distinct_values(spec.name, column, con=con):
                if isinstance(v, str):
                    v = v.strip()
                    if not v:
                        continue
                values.setdefault(str(v), v)
    if not found:
        return None
    if column == "segment":
        order = {s.lower(): i for i, s in enumerate(engagement.segments())}
        ordered = sorted(values, key=lambda v: (order.get(v.lower(), len(order)), _natural(v)))
    else:
        ordered = sorted(values, key=_natural)
    return [values[v] for v in ordered]


def _plan(
    engagement,
    reports: Sequence[Report],
    parameters: Mapping[str, Any],
    each: str | None,
    include_personal: bool,
    named: bool,
) -> tuple[list[_Job], list[str]]:
    declared = {}
    for report in reports:
        params = notebook_parameters(report.notebook)
        missing = [p for p in REQUIRED_PARAMETERS if p not in params]
        if missing:
            raise DataValidationError(
                f"{report.notebook.name}: its parameters cell (a cell tagged `parameters`) "
                f"must declare {', '.join(missing)}, as every report notebook does."
            )
        declared[report.name] = params
    typed = _check_parameters(parameters, declared)
    _check_languages(engagement, reports, declared, typed)
    notes: list[str] = []
    from toolkit.store import check_subset

    subset = check_subset(parameters.get("subset"))  # a dict of its own, changed below
    if subset:
        _check_subset_columns(engagement, reports, subset, include_personal)
    base = {"engagement": str(engagement.path), "interactive": False}
    jobs: list[_Job] = []
    if each is None:
        for report in reports:
            jobs.append(_Job(report, None, report.name, {**typed[report.name], **base}))
        return jobs, notes
    # subset {COLUMN: [a, b]} with --each COLUMN: one report for each of those values only.
    allowed = subset.pop(each, None)
    if allowed is not None and not isinstance(allowed, list | tuple | set):
        allowed = [allowed]
    personal = _personal_each(engagement, each, reports, include_personal)
    per_report = {r.name: _each_values(engagement, each, r) for r in reports}
    if allowed is not None:
        wanted = {str(v) for v in allowed}
        per_report = {
            name: None if values is None else [v for v in values if str(v) in wanted]
            for name, values in per_report.items()
        }
    if all(v is None for v in per_report.values()):
        raise DataValidationError(
            f"--each {each}: no table read by {', '.join(r.name for r in reports)} has a column "
            f"{each!r}. Use segment, or an attribute such as campus or language."
        )
    slugs = (
        _neutral_slugs(each, per_report)
        if personal
        else report_file_names(v for values in per_report.values() for v in values or ())
    )
    for report in reports:
        values = per_report[report.name]
        if values is None:
            if named:
                raise DataValidationError(
                    f"--each {each}: the {report.name} report reads no table with a column {each!r}."
                )
            notes.append(f"{report.name} left out: it reads no table with a column {each!r}.")
            continue
        if not values:
            notes.append(f"{report.name} left out: its tables have no {each} values.")
            continue
        for value in values:
            params = {**typed[report.name], **base, "subset": {**subset, each: value}}
            jobs.append(_Job(report, value, f"{report.name}--{slugs[str(value)]}", params))
    if not jobs:
        asked = (
            f" among the values subset asks for ({', '.join(map(str, allowed))})" if allowed else ""
        )
        raise DataValidationError(f"--each {each}: the column has no values in the data{asked}.")
    return jobs, notes


def _check_languages(engagement, reports, declared: Mapping, typed: Mapping) -> None:
    """Refuse, before any kernel starts, a page language with no strings file (the
    toolkit's own reports with a ``language``: the pages for customers).
    """
    for report in reports:
        if report.tables and "language" in declared[report.name]:
            from toolkit.reports.strings import language_in_force

            language_in_force(typed[report.name].get("language"), engagement.settings)


def _neutral_slugs(column: str, per_report: Mapping[str, list | None]) -> dict[str, str]:
    """File names for the values of a personal ``--each`` column: numbered, never the value.

    ``--each Email --include-personal`` writes ``needs-gap--email-1.html``, … in the
    values' order; the index still says which report is whose.
    """
    slugs: dict[str, str] = {}
    stem = value_slug(column)
    for values in per_report.values():
        for value in values or ():
            slugs.setdefault(str(value), f"{stem}-{len(slugs) + 1}")
    return slugs


def _personal_each(engagement, each: str, reports, include_personal: bool) -> bool:
    """Whether ``--each`` names a personal column; refused unless ``include_personal``."""
    flag = _personal_flags(engagement, reports).get(each)
    if flag is not None and not include_personal:
        use = "for --each (a report per person would name them in its title and file)"
        raise DataValidationError(personal_refusal("--each", each, flag, use=use))
    return flag is not None


def _personal_flags(engagement, reports) -> dict:
    """The personal columns of the tables ``reports`` read, each with its flag."""
    from toolkit.schema.tables import TABLES

    tables = {t for r in reports for t in (r.tables or tuple(TABLES))}
    return engagement.personal_columns(sorted(tables))


def _check_subset_columns(engagement, reports, subset, include_personal) -> None:
    from toolkit.schema.tables import TABLES, table_named
    from toolkit.store import unknown_subset_column

    known: set[str] = set()
    with engagement.reading() as con:
        for report in reports:
            for table in report.tables or tuple(TABLES):
                spec = table_named(table)
                known |= set(spec.field_names) | set(
                    engagement.attribute_columns(spec.name, con)["column"]
                )
    personal = {} if include_personal else _personal_flags(engagement, reports)
    for column in subset:
        if column in personal:
            use = "to choose a report's rows (the report would be about one person or a few)"
            raise DataValidationError(personal_refusal("subset", column, personal[column], use=use))
        if column not in known:
            raise unknown_subset_column(column, known - set(personal), "these reports read")


# ----------------------------------------------------------------------------- running


def _new_run_folder(out: Path) -> tuple[str, Path]:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):
            run_id = stamp if n == 1 else f"{stamp}-{n}"
            folder = out / run_id
            try:
                folder.mkdir()
            except FileExistsError:
                if not out.is_dir():
                    raise
                continue
            return run_id, folder
    except OSError as err:
        raise ReportError(
            f"{out}: cannot make a reports folder there ({path_problem(err)}). Give --out a "
            "folder you can write to (it is made when missing), or leave --out out to write "
            "into the engagement's reports folder."
        ) from err
    raise ReportError(f"{out}: could not make a new run folder.")  # pragma: no cover


def _progress(total: int, progress: bool | None):
    if progress is None:
        progress = sys.stderr.isatty() and total > 1
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="report", file=sys.stderr, dynamic_ncols=True)


def _fork_server(reports):
    """A started kernel fork server for ``reports``, or None where forking is not available."""
    from toolkit.reports.kernels import KernelForkServer, fork_server_available, notebook_imports

    if not fork_server_available():
        return None
    sources = [
        _source(c)
        for r in reports
        for c in _read_json(r.notebook).get("cells", [])
        if c.get("cell_type") == "code"
    ]
    return KernelForkServer(notebook_imports(sources)).start()


def _prepare(eng, names, parameters, each, include_personal) -> tuple[list, list, list, list]:
    """The reports, the planned jobs, the notes and the skipped reports of a run."""
    named = bool(names)
    reports = [report_named(n) for n in (names or REPORTS)]
    reports = list({r.name: r for r in reports}.values())
    reports, skipped = _skip_missing(eng, reports, named)
    parameters = dict(parameters or {})
    planned, notes = (
        _plan(eng, reports, parameters, each, include_personal, named) if reports else ([], [])
    )
    return reports, planned, notes, skipped


def run_reports(
    engagement: str | os.PathLike,
    names: Sequence[str | os.PathLike] | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    each: str | None = None,
    jobs: int | None = None,
    out: str | os.PathLike | None = None,
    include_personal: bool = False,
    progress: bool | None = None,
    timeout: float | None = None,
    warm: bool = True,
    on_result: Callable[[ReportResult], None] | None = None,
    formats: str | Sequence[str] = ("html",),
    cluster: str | None = None,
    security=None,
) -> ReportRun:
    """Run reports on an engagement and write their HTML, notebooks and the index.

    Parameters
    ----------
    engagement : str or path-like
        The engagement folder.
    names : sequence of str, optional
        Report names (``needs-gap``, ``customer-map``, ``satisfaction``) or notebook
        paths; all three reports when omitted.
    parameters : mapping, optional
        Notebook parameters; each goes to the reports that declare it.
    each : str, optional
        A column (``segment`` or an attribute such as ``campus``): one report per value,
        with ``subset`` set to that value. Without ``names``, reports whose tables lack
        the column are left out (the run's notes say so). A ``subset`` that lists values
        of the same column limits the run to those values.
    jobs : int, optional
        Reports run at the same time (default: the number of cores, at most 4).
    out : str or path-like, optional
        The reports folder (default ``<engagement>/reports``).
    include_personal : bool
        Let columns that identify people reach the reports.
    progress : bool, optional
        Show a progress bar; by default only when stderr is a terminal and there is
        more than one report.
    timeout : float, optional
        Seconds one cell may run (default: no limit).
    warm : bool
        Fork kernels from a pre-imported template (:mod:`toolkit.reports.kernels`);
        False starts an ordinary kernel per report.
    on_result : callable, optional
        Called with each :class:`ReportResult` as it finishes (before its PDF and
        slides are written).
    formats : str or sequence of str
        ``html``, ``pdf``, ``pptx`` or several (``"html,pdf"``); HTML by default. The
        PDF and the slides are written once every notebook has run
        (:mod:`toolkit.reports.export`); without ``html`` the HTML a PDF is printed
        from is not kept.
    cluster : str, optional
        A Dask scheduler's address (``tls://HOST:PORT``): each report runs on the
        cluster's workers and its files come back here (:mod:`toolkit.reports.cluster`);
        ``jobs`` and ``warm`` do not apply.
    security : distributed.Security, optional
        The cluster's TLS certificates; by default Dask's configuration's.

    Returns
    -------
    ReportRun
        Its ``results`` in the planned order; ``failed`` lists the reports whose
        notebook failed.

    Raises
    ------
    DataValidationError
        Unknown report, unknown parameter or a value of the wrong type, a subset or
        ``each`` column no table has, an unknown format, a report named in ``names`` whose
        data is not there yet: raised before any kernel starts. Without ``names`` such a
        report is skipped (``run.skipped``).
    StoreError
        No engagement at that path.
    ReportError
        PDF asked for and no Chromium to print it with (before any kernel starts).
    """
    from toolkit.reports.export import check_formats, parse_formats
    from toolkit.store import Engagement

    formats = parse_formats(formats)
    if cluster is None:  # on a cluster, each worker checks its own Chromium
        check_formats(formats)

    eng = Engagement.open(Path(engagement).expanduser())
    reports, planned, notes, skipped = _prepare(eng, names, parameters, each, include_personal)
    if cluster is not None:
        from toolkit.reports.cluster import run_on_cluster

        return run_on_cluster(
            cluster,
            eng,
            reports,
            planned,
            notes=notes,
            skipped=skipped,
            each=each,
            out=out,
            include_personal=include_personal,
            progress=progress,
            timeout=timeout,
            on_result=on_result,
            formats=formats,
            security=security,
        )
    jobs = max(1, int(jobs or min(4, os.cpu_count() or 1)))

    server = _fork_server(reports) if warm and planned else None
    try:
        out_dir = Path(out).expanduser() if out else eng.path / "reports"
        out_dir = out_dir.resolve()
        run_id, folder = _new_run_folder(out_dir)
        run = ReportRun(
            run_id, folder, out_dir / "index.html", eng.name, _now_iso(), each=each, notes=notes
        )
        run.skipped = skipped
        _write_run_json(run)
        write_index(out_dir)
        env = {INCLUDE_PERSONAL_ENV: "1" if include_personal else "0"}
        if server is not None:
            manager = server.manager_class(env)
        else:
            from toolkit.reports.kernels import ReportKernelManager

            manager = type("EnvReportKernelManager", (ReportKernelManager,), {"extra_env": env})
        results: list[ReportResult | None] = [None] * len(planned)
        bar = _progress(len(planned), progress)
        lock = threading.Lock()

        def one(i: int, job: _Job) -> None:
            result = _execute(job, folder, run, manager, timeout, include_personal)
            with lock:
                results[i] = result
                run.results = [r for r in results if r is not None]
                _write_run_json(run)
                if bar is not None:
                    bar.update(1)
            if on_result is not None:
                on_result(result)

        _run_all(planned, one, jobs)
        if bar is not None:
            bar.close()
        run.results = [r for r in results if r is not None]
        _write_formats(run, formats)
        run.finished = _now_iso()
        _write_run_json(run)
        write_index(out_dir)
        return run
    finally:
        if server is not None:
            server.stop()


def _run_all(planned: list, one: Callable[[int, Any], None], jobs: int) -> None:
    """Call ``one(i, job)`` for every planned job, ``jobs`` at a time."""
    if planned:
        _import_runtime()
    if jobs == 1 or len(planned) <= 1:
        for i, job in enumerate(planned):
            one(i, job)
        return
    with ThreadPoolExecutor(max_workers=min(jobs, len(planned))) as pool:
        for future in [pool.submit(one, i, job) for i, job in enumerate(planned)]:
            future.result()


def run_report(
    engagement: str | os.PathLike,
    name: str | os.PathLike,
    *,
    parameters: Mapping[str, Any] | None = None,
    out: str | os.PathLike | None = None,
    include_personal: bool = False,
    timeout: float | None = None,
    warm: bool = True,
) -> ReportResult:
    """Run one report and write its HTML, its executed notebook and the index.

    Parameters
    ----------
    engagement : str or path-like
        The engagement folder.
    name : str or path-like
        ``needs-gap``, ``customer-map``, ``satisfaction``, or a notebook path.
    parameters, out, include_personal, timeout, warm
        As for :func:`run_reports`.

    Returns
    -------
    ReportResult

    Raises
    ------
    DataValidationError
        Bad parameters (before any kernel starts).
    ReportError
        The notebook failed; the message names the notebook, the cell and the error and
        says where the partial notebook is. ``err.result`` is the :class:`ReportResult`.
    """
    run = run_reports(
        engagement,
        [name],
        parameters=parameters,
        out=out,
        include_personal=include_personal,
        timeout=timeout,
        warm=warm,
        jobs=1,
        progress=False,
    )
    (result,) = run.results
    if not result.ok:
        err = ReportError(result.error)
        err.result = result
        raise err
    return result


def _import_runtime() -> None:
    """Import papermill and nbconvert here, while the kernel template imports its modules.

    Vega (vl-convert) starts in the background too, for the chart checks.

    nbclient logs a dead kernel or a failing cell through papermill's logger; with no
    handler configured Python would print that bare line on stderr. Every failure is
    reported in the run's results instead, naming the report and the cell.
    """
    import logging

    import nbconvert  # noqa: F401
    import papermill  # noqa: F401

    from toolkit.charts.drawing import warm_up

    warm_up()  # Vega for the chart checks, started while the kernels run

    logger = logging.getLogger("papermill")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


def _execute(job: _Job, folder: Path, run: ReportRun, manager, timeout, include_personal):
    import nbformat
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    ipynb = folder / f"{job.stem}.ipynb"
    started = time.monotonic()
    shown = {k: v for k, v in job.parameters.items() if k not in ("engagement", "interactive")}
    result = ReportResult(job.report.name, job.value, shown, "failed", None, ipynb)
    label = f"{job.report.name}" + (f" ({job.value})" if job.value is not None else "")
    try:
        nb = pm.execute_notebook(
            str(job.report.notebook),
            str(ipynb),
            parameters=job.parameters,
            kernel_name="python3",
            language="python",
            progress_bar=False,
            start_timeout=120,
            execution_timeout=timeout,
            kernel_manager_class=manager,
        )
    except PapermillExecutionError as err:
        nb = _read_partial(ipynb)
        section = _section_of(nb, err.exec_count) if nb is not None else None
        where = f"cell In [{err.exec_count}]" + (f' (section "{section}")' if section else "")
        result.cell = err.exec_count
        result.error = (
            f"{label}: {job.report.notebook.name}, {where} failed: {err.ename}: "
            f"{_one_line(err.evalue).rstrip('.')}. The partial notebook is {ipynb}."
        )
    except (DeadKernelError, CellTimeoutError, RuntimeError, TimeoutError, OSError) as err:
        if isinstance(err, DeadKernelError):
            what = "the kernel died (it crashed, was killed, or ran out of memory)"
        elif isinstance(err, CellTimeoutError):
            what = f"a cell ran longer than {timeout} s"
        else:
            what = f"{type(err).__name__}: {_one_line(str(err)).rstrip('.')}"
        nb = _read_partial(ipynb)
        where = _mark_unfinished(nb, what) if nb is not None else None
        if where is not None:
            nbformat.write(nb, ipynb)
        result.error = (
            f"{label}: {job.report.notebook.name}"
            + (f", {where}" if where else "")
            + f": {what}. The partial notebook is {ipynb}."
        )
    else:
        undrawn = _undrawn_charts(nb)
        if undrawn:
            result.error = (
                f"{label}: {job.report.notebook.name}, {'; '.join(undrawn)}. The executed "
                f"notebook is {ipynb}."
            )
            return _finished(result, job, run, include_personal, started)
        try:
            _finish_notebook(nb, job, run, include_personal)
            nbformat.write(nb, ipynb)
            html_path = folder / f"{job.stem}.html"
            export_html(nb, html_path)
        except Exception as err:  # noqa: BLE001 - one report's export must not stop the batch
            result.error = f"{label}: writing the HTML failed: {type(err).__name__}: {err}."
        else:
            result.status = "ok"
            result.html = html_path
            result.warnings = _notebook_warnings(nb, label)
    return _finished(result, job, run, include_personal, started)


def _notebook_warnings(nb, label: str) -> list[str]:
    """The warnings the notebook's outputs carry (``service_toolkit.warnings``), labelled."""
    from toolkit.reports.html import _toolkit_metadata

    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            found.extend(f"{label}: {w}" for w in _toolkit_metadata(output).get("warnings") or ())
    return found


def _write_formats(run: ReportRun, formats: Sequence[str]) -> None:
    """Write each written report's PDF and slides; drop its HTML when not asked for."""
    from toolkit.reports.export import write_other_formats

    write_other_formats([r for r in run.results if r.ok], formats)
    _write_run_json(run)


def _finished(result: ReportResult, job: _Job, run, include_personal, started):
    """Record a failure in the kept notebook (if any); time the result."""
    import nbformat

    ipynb = result.notebook
    if result.status != "ok" and ipynb.exists():
        partial = _read_partial(ipynb)
        if partial is not None:
            _finish_notebook(partial, job, run, include_personal, error=result.error)
            nbformat.write(partial, ipynb)
    if not ipynb.exists():
        result.notebook = None
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _undrawn_charts(nb) -> list[str]:
    """Each chart of the executed notebook that Vega cannot draw, with its cell and why."""
    from toolkit.charts.drawing import chart_problem, report_chart_specs

    problems, heading = [], None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    heading = line.lstrip("#").strip()
            continue
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            for spec, mode in report_chart_specs(html):
                problem = chart_problem(spec, mode)
                if problem is not None:
                    where = f"cell In [{cell.get('execution_count')}]" + (
                        f' (section "{heading}")' if heading else ""
                    )
                    problems.append(f"{where}: the chart could not be drawn: {problem}")
    return problems


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:500]


def _read_partial(path: Path):
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001
        return None


def _section_of(nb, exec_count: int | None) -> str | None:
    heading = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    heading = line.lstrip("#").strip()
        elif cell.cell_type == "code" and cell.get("execution_count") == exec_count:
            return heading
    return None


def _mark_unfinished(nb, what: str) -> str | None:
    """Mark the cell that was running when execution stopped, with an error output.

    That is the last code cell that started (papermill gave it a start time, or the
    kernel an execution count); returns its description (``cell In [5] (section "…")``,
    or ``code cell 5`` when the kernel died before numbering it), or None.
    """
    heading, found = None, None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    heading = line.lstrip("#").strip()
        elif cell.cell_type == "code" and (
            cell.get("execution_count") is not None
            or cell.get("metadata", {}).get("papermill", {}).get("start_time")
        ):
            found = (cell, heading)
    if found is None:
        return None
    cell, heading = found
    cell.setdefault("metadata", {}).setdefault("papermill", {})["status"] = "failed"
    from nbformat.v4 import new_output

    cell.setdefault("outputs", []).append(
        new_output("error", ename="ReportError", evalue=what, traceback=[what])
    )
    count = cell.get("execution_count")
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    name = f"cell In [{count}]" if count is not None else f"code cell {code_cells.index(cell) + 1}"
    return name + (f' (section "{heading}")' if heading else "")


def _finish_notebook(nb, job: _Job, run: ReportRun, include_personal: bool, error=None) -> None:
    """Strip widget state; record the run in the notebook's metadata."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("widgets", None)
        for output in cell.get("outputs", []):
            output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
            output.get("data", {}).pop("application/vnd.jupyter.widget-state+json", None)
    nb.metadata["service_toolkit"] = {
        "report": job.report.name,
        "title": job.report.title,
        "value": job.value,
        "run_id": run.run_id,
        "parameters": _jsonable(job.parameters),
        "include_personal": include_personal,
        "error": error,
    }


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def _write_run_json(run: ReportRun) -> None:
    data = run.to_dict()
    for r in data["results"]:  # links relative to the reports folder
        for key in _FILES:
            if r.get(key):
                r[key] = f"{run.run_id}/{Path(r[key]).name}"
    write_atomic(
        run.folder / "run.json", json.dumps(data, indent=2, default=str, ensure_ascii=False)
    )
