"""The import pipeline: file -> detect -> map -> check -> store.

:func:`import_file` reads a filled template or a survey tool's export (CSV or XLSX),
detects its format, maps its columns through an import map, checks every cell exactly as
a filled template is checked and hands the rows that pass to the store
(:meth:`toolkit.store.Engagement.land`), which lands them and the import record in one
transaction. :func:`import_frame` does the same for a DataFrame. Nothing here speaks
SQL: what the checks need to know about the store (ids already stored, earlier imports
of the same file) comes through the store's methods.

:meth:`Engagement.import_file` and :meth:`Engagement.import_frame` hand off to these.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from toolkit.errors import DataValidationError
from toolkit.schema.checks import cell_text
from toolkit.schema.personal import DIRECT, QUASI, PersonalFlag, stricter
from toolkit.schema.segments import label_key
from toolkit.schema.tables import METRICS, TABLES, Table, normalise_header, table_named
from toolkit.sources.limits import Limits, using
from toolkit.store import ImportResult

if TYPE_CHECKING:
    from toolkit.store import Engagement

__all__ = ["import_file", "import_frame"]


@dataclass(frozen=True)
class _Options:
    """How one import runs: the options of :func:`import_file` its steps share.

    :func:`import_file` documents them; :func:`import_frame` reads no file and sets only
    the first three.
    """

    replace: bool = False
    skip_invalid: bool = False
    dry_run: bool = False
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    date_order: str | None = None
    personal: Mapping[str, bool | str] = field(default_factory=dict)
    map_name: str | None = None
    keep_starter: bool = False


def import_file(
    engagement: Engagement,
    file: str | Path,
    *,
    table: str | None = None,
    source: str | None = None,
    map: str | Path | None = None,  # noqa: A002 - the word users know
    columns: dict[str, str] | None = None,
    metrics: dict[str, str] | list[tuple[str, str]] | None = None,
    values: dict[str, dict[str, float | str]] | None = None,
    replace: bool = False,
    skip_invalid: bool = False,
    dry_run: bool = False,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    date_order: str | None = None,
    save_map: str | None = None,
    limits: dict[str, int] | None = None,
    keep_starter: bool = False,
) -> ImportResult:
    """Import a filled template or a survey tool's export (CSV or XLSX).

    The file is read and checked before the store's write lock is taken; the rows
    that pass land through :meth:`Engagement.land`, whole or not at all.

    Parameters
    ----------
    engagement : Engagement
        The store the rows go into.
    file : str or Path
        The file to import.
    table : str, optional
        The canonical table, spelled with hyphens or underscores; may be left out
        when the map names it.
    source : str, optional
        The file's format: ``auto`` (the default: detected from its first rows),
        ``qualtrics``, ``surveymonkey``, ``google-forms``, ``ms-forms``, ``kobo``,
        ``csv`` or ``xlsx``.
    map : str or Path, optional
        An import map: a TOML file, or the name of one saved in ``maps/``.
    columns : dict, optional
        ``{field: source}`` added to the map's ``[columns]``; a source is a column
        name or the question text as the survey tool wrote it.
    metrics : dict or list of (metric, source), optional
        Satisfaction questions added to the map's ``[[metrics]]``.
    values : dict, optional
        ``{source: {label: number}}`` added to the map's ``[values]`` (what the forms
        wizard's "map these labels" gives).
    replace : bool
        Replace the rows of earlier imports of this file (same content, or same
        file name into the same table) instead of adding nothing.
    skip_invalid : bool
        Land the valid rows and list each invalid one, instead of rejecting the file.
    dry_run : bool
        Check everything and say what would land, changing nothing.
    keep_starter : bool
        A codebook imported while the engagement's codebook is still the untouched
        starter replaces it (``result.replaced`` names the starter's import); True keeps
        both.
    sheet, encoding, delimiter : str, optional
        Override what is detected from the file.
    date_order : {"dmy", "mdy", "ymd"}, optional
        How to read dates such as 03/07/2024 (default: detected; ambiguous
        columns are refused).
    save_map : str, optional
        Once the file checks out, save the mapping used as ``maps/NAME.toml``,
        to import the next wave with ``map=NAME``.
    limits : dict, optional
        ``{limit: number}`` raising (or lowering) a file limit for this import over
        ``[settings.limits]`` (see :mod:`toolkit.sources.limits`).

    Returns
    -------
    ImportResult

    Raises
    ------
    DataValidationError
        The file has invalid values (every problem is listed, up to 20, with the
        spreadsheet row, column, value, what was expected and the fix), is not the
        named format, passes a file limit, or the map names a column the file lacks.
        Nothing was imported.
    """
    from toolkit.sources import maps as import_maps

    imap = import_maps.ImportMap()
    if map is not None:
        imap = import_maps.read_map(import_maps.map_path(map, engagement.path))
    _add_to_map(imap, columns, metrics, values)
    if table is None and imap.table is None:
        raise DataValidationError(
            f"{Path(file).name}: say which table the rows go into, with --table TABLE or "
            "table = ... in the map. The tables are: "
            + ", ".join(t.cli_name for t in TABLES.values())
            + "."
        )
    spec = table_named(table or imap.table)
    fmt = import_maps.check_format(source or imap.source or "auto")
    sheet = sheet or imap.sheet
    encoding = encoding or imap.encoding
    delimiter = delimiter or imap.delimiter
    date_order = date_order or imap.date_order
    if save_map is not None:
        _check_map_name(save_map)
    path = Path(file)
    if not path.is_file():
        raise DataValidationError(f"{path}: no such file. Check the path and try again.")
    with using(Limits.from_settings(engagement.settings, limits)):
        detection = None
        if fmt == "auto":
            from toolkit.sources.detect import detect_format

            detection = detect_format(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
            fmt = detection.format
        elif fmt in ("csv", "xlsx"):
            _check_container(path, fmt)
        sha = _sha256_file(path)
        # A dry run saving a map reads the file even when it was imported before.
        saving = save_map is not None and dry_run
        if not saving and (
            done := _already_imported(engagement, spec, sha, path.name, replace, dry_run)
        ):
            done.source_format = fmt
            return done  # before reading a file that may hold a million rows
        options = _Options(
            replace,
            skip_invalid,
            dry_run,
            sheet,
            encoding,
            delimiter,
            date_order,
            personal=imap.personal,
            map_name=imap.name,
            keep_starter=keep_starter,
        )
        if fmt in ("csv", "xlsx") and imap.empty and save_map is None:
            return _import_template(engagement, path, spec, sha, options)
        map_name = None if map is None else str(map)
        return _import_survey(
            engagement, path, spec, sha, fmt, imap, detection, options, save_map, map_name
        )


def _add_to_map(imap, columns, metrics, values) -> None:
    """Add the import's ``columns``, ``metrics`` and ``values`` to its map (they win)."""
    from toolkit.sources import maps as import_maps

    for name, column in (columns or {}).items():
        imap.columns[name] = column
    for answered, recodes in (values or {}).items():
        imap.values[answered] = {**imap.values.get(answered, {}), **recodes}
    for metric, column in metrics.items() if isinstance(metrics, dict) else metrics or ():
        metric = str(metric).strip().lower()
        if metric not in METRICS:
            raise DataValidationError(
                f'--metric {metric}={column}: "{metric}" is not a metric. Use one of: '
                + ", ".join(METRICS)
                + "."
            )
        imap.metrics = [m for m in imap.metrics if m.column != column]
        imap.metrics.append(import_maps.MetricSpec(metric, column))


def _import_template(
    engagement: Engagement,
    path: Path,
    spec: Table,
    sha: str,
    options: _Options,
) -> ImportResult:
    """Import a file whose headers are the canonical fields (a filled template)."""
    from toolkit.sources.spreadsheet import read_spreadsheet

    fields = set(spec.field_names)

    def header_score(cells: list[str]) -> int:
        return sum(normalise_header(c) in fields for c in cells if c)

    raw = read_spreadsheet(
        path,
        header_hint=header_score,
        sheet=options.sheet,
        sheet_hint=(spec.cli_name, spec.name),
        encoding=options.encoding,
        delimiter=options.delimiter,
    )
    return _import_raw(engagement, raw, spec, sha, options)


def _import_survey(
    engagement: Engagement,
    path: Path,
    spec: Table,
    sha: str,
    fmt: str,
    imap,
    detection,
    options: _Options,
    save_map: str | None,
    map_name: str | None,
) -> ImportResult:
    """Import a survey tool's export (or a plain spreadsheet) through an import map.

    The tool's reader finds the header rows, the rows it marks as not real
    responses and its own columns; the map says what goes where; the rows then go
    through exactly the checks of a filled template.
    """
    from toolkit.sources import reader
    from toolkit.sources.maps import write_map
    from toolkit.sources.survey import survey_to_raw

    survey = reader(fmt)(
        path,
        sheet=options.sheet,
        encoding=options.encoding,
        delimiter=options.delimiter,
        date_order=options.date_order,
    )
    if survey.frame.empty:  # as a template with only its header row is refused
        raise DataValidationError(
            f"{path.name}: has the header rows of a {fmt} export (down to spreadsheet row "
            f"{survey.header_row}) but no responses below them; it may be cut short. Export "
            "it again once responses are in, or check you chose the right file. Nothing was "
            "imported."
        )
    scales = {m: tuple(v) for m, v in engagement.settings["scales"].items()}
    mapped = survey_to_raw(survey, imap, spec, scales=scales, id_prefix=sha[:12])
    replacing, canon = _checked(engagement, mapped.raw, spec, sha, path.name, options, False)
    # The map's own problems (answers it cannot recode) come first; the same cell is
    # not reported twice.
    own = {(p.position, p.column) for p in mapped.problems.problems}
    relabelled = mapped.relabel(canon.problems)
    kept = [p for p in relabelled if (p.position, p.column) not in own]
    canon.problem_count += mapped.problems.count - (len(relabelled) - len(kept))
    canon.problems = kept + mapped.problems.problems
    canon.bad = canon.bad | mapped.problems.bad
    canon.personal = {
        a: stricter(mapped.personal.get(a), canon.personal.get(a))
        for a in canon.attributes
        if a in mapped.personal or a in canon.personal
    }
    _set_by_map(canon, spec, options, path.name)
    details = {
        "format": fmt,
        **({"detected": detection.reason} if detection is not None else {}),
        **mapped.raw.details,
        "mapping": mapped.mapping,
    }
    if map_name:
        details["map"] = map_name
    result = _land(
        engagement,
        canon,
        spec,
        path.name,
        sha,
        fmt,
        details,
        replacing=replacing,
        skip_invalid=options.skip_invalid,
        dry_run=options.dry_run,
        excluded=mapped.excluded,
        file_rows=len(survey.frame),
    )
    if save_map is not None:
        target = engagement.path / "maps" / f"{save_map}.toml"
        write_map(
            mapped.imap,
            target,
            comment=f"Import map saved from {path.name} ({fmt}) on {dt.date.today().isoformat()}.\n"
            f"Reuse it: service-toolkit import ENGAGEMENT NEXT-WAVE.csv --map {save_map}",
        )
        result.details["saved_map"] = str(target)
    return result


def import_frame(
    engagement: Engagement,
    frame: pd.DataFrame,
    *,
    table: str,
    source: str = "data frame",
    replace: bool = False,
    skip_invalid: bool = False,
    dry_run: bool = False,
    keep_starter: bool = False,
) -> ImportResult:
    """Import a DataFrame whose columns are canonical fields (and attributes).

    Goes through exactly the checks of :func:`import_file`, with ``source`` as the
    file name in messages and the import history. Importing the same data twice adds
    nothing.

    Parameters
    ----------
    engagement : Engagement
        The store the rows go into.
    frame : DataFrame
        The rows, one column per canonical field (or attribute).
    table : str
        The canonical table, spelled with hyphens or underscores.
    source : str
        The name messages and the import history give the data.
    replace, skip_invalid, dry_run, keep_starter : bool
        As for :func:`import_file`.
    """
    from toolkit.sources.spreadsheet import RawTable

    spec = table_named(table)
    text = pd.DataFrame(
        {str(col): _frame_cells(frame[col]) for col in frame.columns},
        index=pd.RangeIndex(len(frame)),
    )
    sha = hashlib.sha256(
        spec.name.encode()
        + pd.util.hash_pandas_object(text, index=False).to_numpy().tobytes()
        + "\x1f".join(text.columns).encode()
    ).hexdigest()
    if (done := _already_imported(engagement, spec, sha, source, replace, dry_run)) is not None:
        return done
    raw = RawTable(
        frame=text, rows=np.arange(len(text)) + 2, header_row=1, file=source, format="frame"
    )
    options = _Options(replace, skip_invalid, dry_run, keep_starter=keep_starter)
    return _import_raw(engagement, raw, spec, sha, options)


def _already_imported(
    engagement: Engagement, spec: Table, sha: str, name: str, replace: bool, dry_run: bool
):
    """The result for a file imported before (same content), unless replacing it."""
    same = [i for i, s, _ in engagement.earlier_imports(spec.name, sha, name) if s == sha]
    if not same or replace:
        return None
    return ImportResult(spec.cli_name, name, sha, "", 0, already_imported=same[0], dry_run=dry_run)


def _import_raw(
    engagement: Engagement,
    raw,
    spec: Table,
    sha: str,
    options: _Options,
) -> ImportResult:
    """Check a file's cells and land them (the shared second half of both imports)."""
    replacing, canon = _checked(engagement, raw, spec, sha, raw.file, options)
    _set_by_map(canon, spec, options, raw.file)
    return _land(
        engagement,
        canon,
        spec,
        raw.file,
        sha,
        raw.format,
        raw.details,
        replacing=replacing,
        skip_invalid=options.skip_invalid,
        dry_run=options.dry_run,
    )


def _checked(
    engagement: Engagement,
    raw,
    spec: Table,
    sha: str,
    name: str,
    options: _Options,
    check_near: bool = True,
):
    """The earlier imports of ``name`` being replaced, and ``raw`` checked as ``spec``."""
    from toolkit.schema.checks import to_canonical

    replacing = (
        [i for i, _, _ in engagement.earlier_imports(spec.name, sha, name)]
        if options.replace
        else []
    )
    if spec.name == "codebook" and not options.keep_starter:
        starter = engagement.untouched_starter()  # your codebook replaces the starter
        if starter is not None and starter not in replacing:
            replacing.append(starter)
    # Before its cells are checked: a file too wide for the store is refused at once.
    fields = set(spec.field_names)
    engagement.check_columns(
        spec.name,
        [
            c
            for c in raw.frame.columns
            if normalise_header(c) not in fields and not str(c).startswith("(column ")
        ],
        file=name,
    )
    canon = to_canonical(
        raw,
        spec,
        known=engagement.known(),
        date_order=options.date_order,
        min_n=engagement.settings["min_n"],
        check_near=check_near,
    )
    return replacing, canon


def _store_conflicts(
    engagement: Engagement, spec: Table, frame: pd.DataFrame, where, replacing: list[int]
):
    """Find rows whose key is already in the store, and rows whose source id is.

    Returns a Collector holding a problem for each taken key, and a mask of rows
    whose source id an earlier import already brought in (those are excluded).
    """
    from toolkit.schema.checks import Collector

    taken = Collector(where, len(frame), spec.name)
    source_seen = np.zeros(len(frame), dtype=bool)
    # Source ids first: a row an earlier import brought in is excluded, not an error,
    # even when its key is taken too (cumulative exports repeat both).
    checks = [(spec.source_key, "source")] if spec.source_key else []
    if spec.key:
        checks.append((spec.key, "key"))
    for column, kind in checks:
        values = frame[column]
        present = engagement.stored_values(spec.name, column, values, excluding=replacing)
        if not present:
            continue
        hit = (values.isin(present) & values.notna()).to_numpy()
        if kind == "source":
            source_seen |= hit
            continue
        taken.rows(
            hit & ~source_seen,
            spec.key,
            values.to_numpy(),
            "is already in the store",
            f"Each {spec.key} must be new: fix it, or use --replace to replace the rows of "
            "an earlier import of this file, or remove that import (service-toolkit imports --remove)",
        )
    return taken, source_seen & ~taken.bad


def _land(
    engagement: Engagement,
    canon,
    spec: Table,
    file: str,
    sha: str,
    fmt: str,
    details: dict,
    *,
    replacing: list[int],
    skip_invalid: bool,
    dry_run: bool,
    excluded: dict[str, int] | None = None,
    file_rows: int | None = None,
) -> ImportResult:

    result = ImportResult(
        table=spec.cli_name,
        file=file,
        sha256=sha,
        source_format=fmt,
        rows_in=len(canon.frame),
        new_segments=canon.new_segments,
        attributes=canon.attributes,
        personal=[a for a, flag in canon.personal.items() if flag.level],
        personal_flags={a: asdict(flag) for a, flag in canon.personal.items()},
        warnings=list(canon.warnings),
        dry_run=dry_run,
        details=details,
        replaced=replacing,
        excluded=dict(excluded or {}),
        file_rows=file_rows,
    )
    taken, source_seen = _store_conflicts(engagement, spec, canon.frame, canon.where, replacing)
    if (
        not dry_run
        and (taken.count or source_seen.any())
        and (done := _already_imported(engagement, spec, sha, file, bool(replacing), dry_run))
    ):
        # The same file landed (another import of it, at once) while this one was read.
        done.source_format = fmt
        return done
    problems = canon.problems + taken.problems
    count = canon.problem_count + taken.count
    # A survey row with several metrics becomes several rows: a problem in a cell they
    # share (the date) is one problem, said once, on one spreadsheet row.
    unique: dict[str, object] = {}
    for p in problems:
        unique.setdefault(str(p), p)
    count -= len(problems) - len(unique)
    problems = list(unique.values())
    bad = canon.bad | taken.bad
    _refuse_invalid(spec, file, problems, count, bad, skip_invalid=skip_invalid, dry_run=dry_run)
    keep = ~bad & ~source_seen
    if bad.any():
        result.skipped = [str(p) for p in sorted(problems, key=lambda p: p.position or 0)]
        result.rows_skipped = int(bad.sum())
        if not keep.any() and not source_seen.any():
            raise DataValidationError(
                f"Import of {file} into {spec.cli_name}: none of its {len(bad)} rows is valid, "
                f"so nothing was imported ({count} problems; the first: {problems[0]}). "
                "Fix the file and import it again."
            )
    if source_seen.any():
        seen = int(source_seen.sum())
        if file_rows is not None:  # survey exports count responses, not rows
            seen = int(canon.frame.loc[source_seen, spec.source_key].nunique())
        result.excluded["already in the store (same source id)"] = seen
    result.rows_excluded = sum(result.excluded.values())
    landing = canon.frame.loc[keep].reset_index(drop=True)
    rows = canon.rows[keep]
    if spec.name == "responses":
        missing = landing["response_id"].isna()
        if missing.any():
            numbers = pc.cast(pa.array(rows[missing.to_numpy()].astype(np.int64)), pa.string())
            made = pc.binary_join_element_wise(f"{sha[:12]}-", numbers, "")
            landing.loc[missing, "response_id"] = made.to_numpy(zero_copy_only=False)
    result.rows_added = len(landing)
    _segments_landing(engagement, canon, landing, result)
    if dry_run:
        result.preview = landing.head(10)
        return result
    engagement.land(
        spec.name,
        landing,
        result,
        attributes=canon.attributes,
        personal=canon.personal,
        new_segments=result.new_segments,
        replacing=replacing,
    )
    return result


def _segments_landing(engagement: Engagement, canon, landing, result: ImportResult) -> None:
    """The segment labels of the rows that land: new ones, and those the crosswalk lacks.

    A row left out (``--skip-invalid``, already imported) adds no segment. Each label
    the crosswalk does not know (neither a canonical segment nor mapped by an alias)
    is listed in ``result.unmapped_segments`` with the segments it looks like.
    """
    if "segment" not in landing or landing.empty:
        result.new_segments = []
        return
    present = [s for s in pd.unique(landing["segment"].dropna()) if str(s).strip()]
    keys = {label_key(s) for s in present}
    result.new_segments = [s for s in canon.new_segments if label_key(s) in keys]
    if result.table == "customers":  # the register's segments are canonical
        return
    walk = engagement.crosswalk()
    groups = [*engagement.segments(), *present]
    result.unmapped_segments = {
        label: [[segment, score] for segment, score in walk.suggest(label, also=groups)]
        for label in present
        if not walk.knows(label)
    }


def _set_by_map(canon, spec: Table, options: _Options, file: str) -> None:
    """Apply a map's ``[personal]``: each named attribute column set personal or not.

    Raises
    ------
    DataValidationError
        The map names a column that is not one of this file's attribute columns.
    """
    by_key = {normalise_header(a): a for a in canon.attributes}
    for name, value in options.personal.items():
        column = name if name in canon.attributes else by_key.get(normalise_header(name))
        if column is None:
            where = f"under [personal] in {options.map_name}" if options.map_name else "[personal]"
            why = (
                f"a field of {spec.cli_name}; fields are never personal"
                if normalise_header(name) in spec.field_names
                else f"not one of {file}'s attribute columns"
            )
            listed = ", ".join(f'"{a}"' for a in canon.attributes) or "none"
            raise DataValidationError(
                f'{where}: "{name}" is {why} (its attribute columns: {listed}). Name one '
                "of those, or take the line out. Nothing was imported."
            )
        kind = {True: DIRECT, False: "", "quasi": QUASI}[value]
        canon.personal[column] = PersonalFlag(kind, "the import map says so", "map")


def _refuse_invalid(
    spec: Table, file: str, problems: list, count: int, bad, *, skip_invalid: bool, dry_run: bool
) -> None:
    """Refuse the file, listing its problems, unless ``--skip-invalid`` lets it land.

    A problem with the file itself (not one row) always refuses it.
    """
    from toolkit.schema.checks import MAX_LISTED

    file_level = [p for p in problems if p.position is None]
    if file_level or (count and not skip_invalid):
        rows = sorted({p.where for p in problems if p.position is not None})
        listed = file_level + sorted(
            (p for p in problems if p.position is not None), key=lambda p: p.position
        )
        lines = [f"  {p}" for p in listed[:MAX_LISTED]]
        if count > MAX_LISTED:
            lines.append(f"  … and {count - MAX_LISTED} more.")
        valid = len(bad) - int(bad.sum())
        hint = "Fix these and import again."
        if not file_level and valid:
            hint += f" Or use --skip-invalid to import the {valid} valid rows and list the others."
        noun = "problem" if count == 1 else "problems"
        verb = "would be rejected" if dry_run else "was rejected"
        raise DataValidationError(
            f"Import of {file} into {spec.cli_name} {verb}: {count} {noun}"
            f"{f' on {len(rows)} row' + ('s' if len(rows) > 1 else '') if rows else ''}. Nothing was imported.\n"
            + "\n".join(lines)
            + "\n"
            + hint,
            problems=listed,
        )


def _check_map_name(name: str) -> None:
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}", name) or name.endswith(".toml"):
        raise DataValidationError(
            f'--save-map "{name}": a map\'s name is letters, digits, "-", "_" and "." '
            "(it becomes maps/NAME.toml), such as --save-map client-survey."
        )


def _check_container(path: Path, fmt: str) -> None:
    """Refuse ``--source csv`` on a workbook and ``--source xlsx`` on a text file."""
    with path.open("rb") as fh:
        zipped = fh.read(4) == b"PK\x03\x04"
    if fmt == "xlsx" and not zipped:
        raise DataValidationError(
            f"{path.name}: could not be read as xlsx. Expected an Excel workbook (a zip "
            "archive); found text. Use --source csv, or leave --source out to detect it."
        )
    if fmt == "csv" and zipped:
        raise DataValidationError(
            f"{path.name}: could not be read as csv. Expected text; found a zip archive (an "
            "Excel workbook?). Use --source xlsx, or leave --source out to detect it."
        )


def _frame_cells(column: pd.Series) -> pd.Series:
    """A DataFrame column as the cells a file would hold ("" where missing).

    Dates as ``YYYY-MM-DD`` (with `` HH:MM:SS`` when any value has a time; wall-clock time
    for time-zone-aware ones), whole floats without ".0", other values as ``str`` gives
    them. Each distinct value is written once, except in object columns (where 1, 1.0
    and True are equal keys but different text).
    """
    if column.dtype == object:
        cells = np.array(column.map(str), dtype=object)
        cells[column.isna().to_numpy()] = ""
        return pd.Series(cells, dtype=str)
    codes, values = pd.factorize(column)  # missing: -1
    if pd.api.types.is_datetime64_any_dtype(column):
        stamps = pd.DatetimeIndex(values)
        if stamps.tz is not None:
            stamps = stamps.tz_localize(None)
        has_time = bool((stamps != stamps.normalize()).any())
        labels = _stamp_cells(stamps.to_numpy().astype("datetime64[s]"), has_time)
    else:  # as a form's value is written: whole floats without ".0"
        labels = [cell_text(v) for v in values.tolist()]
    taken = np.where(codes < 0, len(labels), codes)  # missing takes the "" appended last
    if not isinstance(labels, pa.Array):
        labels = pa.array(labels, type=pa.string())
    cells = pa.concat_arrays([labels, pa.array([""])]).take(pa.array(taken, type=pa.int64()))
    return pd.Series(pd.array(cells, dtype="str"))


def _stamp_cells(stamps: np.ndarray, has_time: bool) -> pa.Array | list[str]:
    """Seconds since 1970 as ``YYYY-MM-DD HH:MM:SS`` cells (``YYYY-MM-DD`` without
    ``has_time``): by Arrow in C++ for years 1 to 9999 (each four digits, as a file
    writes them), else by NumPy.
    """
    if (
        len(stamps)
        and stamps.min() >= np.datetime64("0001-01-01")
        and stamps.max() < np.datetime64("10000-01-01")
    ):
        seconds = pa.array(stamps, type=pa.timestamp("s"))
        return pc.cast(seconds if has_time else pc.cast(seconds, pa.date32()), pa.string())
    text = np.datetime_as_string(stamps, unit="s" if has_time else "D")
    return [t.replace("T", " ") for t in text.tolist()]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
