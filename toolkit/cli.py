"""The ``service-toolkit`` command: each command parses, calls the library once, and reports.

Exit codes (every command): 0 success (a re-import that adds nothing included), 1 a
user or data error with a clear message and nothing changed, 2 wrong command-line
usage, 3 a report's notebook failed while running.
"""

from __future__ import annotations

import json
import shlex
import sys
import warnings
from pathlib import Path

import click

from toolkit.errors import DataValidationError, ToolkitError
from toolkit.schema.metrics import metric_choices
from toolkit.schema.tables import TABLES
from toolkit.sources.registry import FORMATS

#: The stored tables, as the command line spells them (the schema's, in its order).
TABLE_CHOICES = tuple(t.cli_name for t in TABLES.values())


class TableName(click.ParamType):
    """A stored table, spelled with hyphens or underscores, any case."""

    name = "TABLE"

    def convert(self, value, param, ctx):
        key = str(value).strip().lower().replace("_", "-")
        if key not in TABLE_CHOICES:
            self.fail(
                f'"{value}" is not a table. Choose from: {", ".join(TABLE_CHOICES)}.', param, ctx
            )
        return key


def _echo_err(text: str) -> None:
    click.echo(text, err=True)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    _echo_err(f"Warning: {message}")


def _json(data) -> None:
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


class ToolkitGroup(click.Group):
    """Turns a ToolkitError into its message and exit code 1, never a traceback."""

    def invoke(self, ctx):
        warnings.showwarning = _show_warning
        try:
            return super().invoke(ctx)
        except ToolkitError as err:
            _echo_err(f"Error: {err}")
            ctx.exit(1)


@click.group(cls=ToolkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="service-strategy-toolkit", prog_name="service-toolkit")
def main():
    """Service Strategy Toolkit: measure what customers need instead of assuming it.

    An engagement is a folder holding engagement.toml and the store (data.sqlite).
    Start with `service-toolkit demo` for a sample, or `service-toolkit init PATH`.
    """
    from toolkit._startup import skip_unused_rfc3987

    skip_unused_rfc3987()  # this process is the toolkit's own: see toolkit._startup


def _open(path):
    from toolkit.store import Engagement

    return Engagement.open(path)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", help="The engagement's name (default: the folder's name).")
@click.option("--organisation", help="The organisation served.")
@click.option(
    "--demo",
    type=click.Choice(["neighbourhood", "university"]),
    help="Fill it with a deterministic sample engagement.",
)
@click.option(
    "--size",
    type=click.Choice(["small", "large"]),
    default="small",
    show_default=True,
    help="The university demo's size (large: 1,000,000 responses).",
)
@click.option(
    "--starter",
    type=click.Choice(["neighbourhood", "university", "none"]),
    help="The starter codebook of common needs (default: neighbourhood; none with --codebook).",
)
@click.option(
    "--codebook",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Your codebook (CSV or XLSX), used instead of a starter.",
)
@click.option(
    "--store",
    metavar="URL",
    help="Keep the data in a PostgreSQL database (postgresql://USER@HOST/DB, no password: "
    "it comes from PGPASSWORD or ~/.pgpass) instead of data.sqlite in the folder.",
)
@click.option(
    "--schema",
    metavar="NAME",
    help="With --store: the database schema for this engagement (default: the folder's name).",
)
def init(path, name, organisation, demo, size, starter, codebook, store, schema):
    """Create an engagement folder at PATH."""
    if schema is not None and store is None:
        raise click.UsageError("--schema goes with --store.")
    if size == "large" and demo != "university":
        raise click.UsageError("--size large goes with --demo university.")
    if demo is not None and (starter or codebook):
        raise click.UsageError(
            "A demo brings its own codebook: leave out --starter and --codebook."
        )
    if demo is None:
        from toolkit.store import Engagement

        engagement = Engagement.init(
            path,
            name=name,
            organisation=organisation,
            starter=starter or ("none" if codebook else "neighbourhood"),
            codebook=codebook,
            store=store,
            schema=schema,
        )
    else:
        from toolkit.demo.build import init_demo

        engagement = init_demo(
            path,
            demo,
            size=size,
            engagement_name=name,
            organisation=organisation,
            store=store,
            schema=schema,
        )
    _print_status(engagement.status(), title=f"Created engagement {engagement.name} in {path}")


@main.command("copy-store")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("dest", type=click.Path(path_type=Path))
@click.option(
    "--store",
    metavar="URL",
    help="The copy's PostgreSQL database (postgresql://USER@HOST/DB, no password in it); "
    "without it the copy's store is SQLite (DEST/data.sqlite).",
)
@click.option("--schema", metavar="NAME", help="With --store: the copy's schema.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def copy_store(source, dest, store, schema, as_json):
    """Copy the engagement at SOURCE into a new folder DEST, moving it between stores.

    SQLite to PostgreSQL (--store URL) or PostgreSQL to SQLite (no --store). Settings,
    import maps and every row come along; row counts and a fingerprint of the data are
    checked on both sides. SOURCE is not changed.
    """
    if schema is not None and store is None:
        raise click.UsageError("--schema goes with --store.")
    from toolkit.store_copy import copy_store as copy

    done = copy(source, dest, store=store, schema=schema)
    if as_json:
        click.echo(json.dumps(done, indent=2))
        return
    click.echo(f"Copied {source} into {dest}")
    click.echo(f"  from {done['source']}\n  to   {done['dest']}")
    for table, rows in done["tables"].items():
        click.echo(f"  {table.replace('_', '-'):<20}{rows:>10,} rows")
    click.echo(
        f"Row counts and the data's fingerprint ({done['fingerprint']}) match on both sides."
    )


def _formats(ctx, param, value):
    """``--format``'s comma list, checked: an unknown format is a usage error (exit 2)."""
    from toolkit.reports.export import parse_formats

    if value is None:
        return None
    try:
        return parse_formats(value)
    except DataValidationError as err:
        raise click.BadParameter(str(err), ctx=ctx, param=param) from None


def _format_option(default: str | None):
    shown = "html" if default else "html,pdf,pptx (pdf only when Chromium is installed)"
    return click.option(
        "--format",
        "formats",
        metavar="FORMATS",
        default=default,
        callback=_formats,
        help=f"Comma-separated: html, pdf, pptx (default: {shown}).",
    )


@main.command()
@click.argument("path", type=click.Path(path_type=Path), default="riverside-demo", required=False)
@click.option("--no-reports", is_flag=True, help="Only build the engagement; write no reports.")
@_format_option(None)
@click.pass_context
def demo(ctx, path, no_reports, formats):
    """Build the neighbourhood demo at PATH (default ./riverside-demo) and its reports.

    Writes every report (needs-gap, customer-map, satisfaction, you-said-we-did) as offline HTML, PDF and
    slides (PPTX) into PATH/reports/<run-id>/ and the index PATH/reports/index.html,
    then says where to open them. Without Chromium the PDF is left out, and it says so. Running it again rebuilds the demo in the same folder and keeps earlier
    report runs; a folder that is not a demo engagement is never touched.
    """
    from toolkit.demo.build import rebuild_demo

    path = Path(path)
    kept = _set_aside(path / "reports")
    try:
        engagement = rebuild_demo(path, "neighbourhood")
    finally:
        _put_back(kept, path / "reports")
    _print_status(engagement.status(), title=f"Built the neighbourhood demo in {path}")
    if no_reports:
        click.echo(f"\nTry: service-toolkit report {path}")
        return
    from toolkit.reports.runner import run_reports

    formats = formats or _demo_formats()
    click.echo("\nWriting the reports (about a minute)…")
    run = run_reports(path, progress=None, formats=formats)
    _print_run(run)
    index = run.index.resolve()
    click.echo(f"\nOpen the reports in a browser (they work offline): {index.as_uri()}")
    if run.failed:
        ctx.exit(3)


def _demo_formats() -> tuple[str, ...]:
    """Every format, but PDF only when there is a Chromium to print it."""
    from toolkit.reports.export import FORMATS, find_chromium

    try:
        find_chromium()
    except ToolkitError as err:
        click.echo(f"PDF left out: {err}", err=True)
        return tuple(f for f in FORMATS if f != "pdf")
    return FORMATS


def _set_aside(reports: Path) -> Path | None:
    """Move a demo's report runs out of the way while the demo is rebuilt."""
    if not reports.is_dir():
        return None
    aside = reports.parent.with_name(f".{reports.parent.name}.reports-kept")
    if aside.exists():
        import shutil

        shutil.rmtree(aside)
    reports.rename(aside)
    return aside


def _put_back(aside: Path | None, reports: Path) -> None:
    if aside is None:
        return
    from toolkit._files import swap_in

    reports.parent.mkdir(parents=True, exist_ok=True)
    swap_in(aside, reports)


#: ``auto`` and every survey tool in the registry (a live view: registered tools count).
_SOURCES = FORMATS


@main.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--table",
    "table",
    type=TableName(),
    help="The table the rows go into (may be left out when the map names it).",
)
@click.option(
    "--map", "map_", metavar="MAP", help="An import map: a .toml file, or a name saved in maps/."
)
@click.option(
    "--source",
    type=click.Choice(_SOURCES, case_sensitive=False),
    help="The file's format (default: auto, detected from its first rows).",
)
@click.option(
    "--column",
    "columns",
    metavar="FIELD=SOURCE",
    multiple=True,
    help="Take FIELD from SOURCE, a column name or the question text (repeatable).",
)
@click.option(
    "--metric",
    "metrics",
    metavar="METRIC=SOURCE",
    multiple=True,
    help=f"SOURCE is a {metric_choices()} question: one responses row per answer (repeatable).",
)
@click.option("--replace", is_flag=True, help="Replace the rows of earlier imports of this file.")
@click.option(
    "--keep-starter",
    is_flag=True,
    help="A codebook: keep the starter codebook as well (by default yours replaces it).",
)
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows; list each invalid one.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check the file and show the format, the mapping and the first rows; change nothing.",
)
@click.option(
    "--save-map",
    metavar="NAME",
    help="Save the mapping as maps/NAME.toml in the engagement, for --map NAME next wave.",
)
@click.option("--sheet", help="The XLSX sheet to read (default: the one named after the table).")
@click.option("--encoding", help="The CSV's encoding (default: detected).")
@click.option("--delimiter", help="The CSV's separator (default: detected).")
@click.option(
    "--limit",
    "limits",
    metavar="NAME=N",
    multiple=True,
    help="Raise a file limit for this import: cells, columns, line_mb or text_ratio "
    "(default: [settings.limits] in engagement.toml; repeatable).",
)
@click.option(
    "--date-order",
    type=click.Choice(["dmy", "mdy", "ymd"]),
    help="How to read dates like 03/07/2024 (default: detected; ambiguous columns are refused).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def import_(
    path,
    file,
    table,
    map_,
    source,
    columns,
    metrics,
    replace,
    keep_starter,
    skip_invalid,
    dry_run,
    save_map,
    sheet,
    encoding,
    delimiter,
    limits,
    date_order,
    as_json,
):
    """Import FILE into the engagement at PATH: a filled template or a survey tool's export.

    Survey exports from Qualtrics, SurveyMonkey, Google Forms, Microsoft Forms and
    KoboToolbox/ODK are recognised; say which questions are which with --column and
    --metric, or with a map (--map), and save the mapping for next wave with --save-map.
    """
    from toolkit.sources.maps import parse_assignment

    if table is None and map_ is None:
        raise click.UsageError("Name the table with --table TABLE, or give a map that names it.")
    if keep_starter and table not in (None, "codebook"):
        raise click.UsageError("--keep-starter goes with --table codebook.")
    column_map = dict(parse_assignment(c, "--column") for c in columns)
    metric_list = [parse_assignment(m, "--metric") for m in metrics]
    limit_map = {}
    for item in limits:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(
                f'"{item}": write it as NAME=N, such as --limit cells=60000000.',
                param_hint="--limit",
            )
        limit_map[name] = value
    engagement = _open(path)
    result = engagement.import_file(
        file,
        table=table,
        source=source.lower() if source else None,
        map=map_,
        columns=column_map,
        metrics=metric_list,
        replace=replace,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        sheet=sheet,
        encoding=encoding,
        delimiter="\t" if delimiter in ("tab", "\\t") else delimiter,
        date_order=date_order,
        save_map=save_map,
        limits=limit_map,
        keep_starter=keep_starter,
    )
    _say_codebook(result)
    if as_json:
        data = result.to_dict()
        if result.preview is not None:
            data["preview"] = json.loads(
                result.preview.to_json(orient="records", date_format="iso")
            )
        _json(data)
        if result.already_imported is not None or (result.rows_added == 0 and not dry_run):
            _nothing_added(result)
        return
    _print_import(result, path)


def _say_codebook(result) -> None:
    """On stderr: the starter codebook an imported codebook replaced, and the codes a
    person set that it lacks (kept until those statements are coded again).
    """
    if result.starter_replaced:
        _echo_err(
            f"Your codebook replaces the {result.starter_replaced} ({result.starter_codes} "
            "codes); statements coded automatically are coded again against yours, a "
            "person's codes are kept. To keep both, remove this import "
            "(service-toolkit imports --remove) and import it again with --keep-starter."
        )
    if result.kept_codes:
        listed = ", ".join(
            f"{code} ({n} statement{'s' if n != 1 else ''})"
            for code, n in sorted(result.kept_codes.items())
        )
        _echo_err(
            f"Codes a person set that your codebook does not have: {listed}. They stay in the "
            "codebook until no statement uses them: add them to your codebook file, or file "
            "those statements under your codes (the planner forms' coding tab, or import them "
            "again with the code column filled)."
        )


def _nothing_added(result) -> None:
    if result.already_imported is not None:
        _echo_err(
            f"{result.file} was already imported into {result.table} (import #{result.already_imported}); "
            "nothing was added. Use --replace to replace its rows."
        )
    else:
        _echo_err(
            f"Nothing was added from {result.file}: every row was excluded or already in the store."
        )


def _print_import(result, path) -> None:
    if result.already_imported is not None:
        _nothing_added(result)
        return
    details = dict(result.details)
    mapping = details.pop("mapping", None)
    saved = details.pop("saved_map", None)
    found = f" from {result.file_rows:,} responses" if result.file_rows is not None else ""
    if result.dry_run:
        how = ", ".join(f"{k} {v!r}" for k, v in details.items() if k != "format")
        click.echo(
            f"Dry run: {result.rows_added:,} of {result.rows_in:,} rows of {result.file} would be "
            f"imported into {result.table}{found} (format {result.source_format}"
            f"{'; ' + how if how else ''}). Nothing was changed."
        )
        if result.preview is not None and mapping:
            # Survey exports carry many columns: show the fields that got a value, and
            # never the people's data.
            shown = [
                c
                for c in result.preview.columns[
                    : len(result.preview.columns) - len(result.attributes)
                ]
                if result.preview[c].notna().any()
            ]
            result.preview = result.preview[shown]
        if mapping:
            click.echo("  Mapping (field ← column or question):")
            width = max(len(k) for k in mapping)
            for name, source in mapping.items():
                click.echo(f"    {name.ljust(width)} ← {source}")
        if result.preview is not None and len(result.preview):
            import pandas as pd

            with pd.option_context("display.width", 200, "display.max_columns", 30):
                click.echo(result.preview.to_string(index=False))
    else:
        verb = (
            "Replaced earlier imports " + ", ".join(f"#{i}" for i in result.replaced) + "; i"
            if result.replaced
            else "I"
        )
        click.echo(
            f"{verb}mported {result.rows_added:,} of {result.rows_in:,} rows from {result.file} into "
            f"{result.table}{found} (import #{result.import_id})."
        )
        if result.rows_added == 0:
            _nothing_added(result)
    for reason, count in result.excluded.items():
        click.echo(f"  Excluded {count:,} rows: {reason}.")
    if result.new_segments:
        click.echo("  New segments: " + ", ".join(result.new_segments) + ".")
    _echo_unmapped(result.unmapped_segments, path)
    if result.attributes:
        click.echo("  Extra columns kept as attributes: " + ", ".join(result.attributes) + ".")
    _echo_personal(result.personal_flags)
    if result.skipped:
        _echo_err(f"Skipped {result.rows_skipped:,} invalid rows (--skip-invalid):")
        for line in result.skipped:
            _echo_err(f"  {line}")
    for warning in result.warnings:
        _echo_err(f"Warning: {warning}")
    if saved:
        click.echo(f"Saved the import map to {saved}; next wave: --map {Path(saved).stem}")


def _alias_command(path, label: str, segment: str) -> str:
    return f"service-toolkit segments {shlex.quote(str(path))} --alias {shlex.quote(f'{label}={segment}')}"


def _unmapped_line(path, label: str, suggestions) -> str:
    """One unmapped label, in words: what it looks like and the command that maps it."""
    if not suggestions:
        return (
            f'"{label}" looks like no segment: map it with '
            f"{_alias_command(path, label, 'SEGMENT')}, or keep it as a group of its own with "
            f"{_alias_command(path, label, label)}"
        )
    (best, score), *others = suggestions
    also = "".join(f'; or "{s}" (score {n})' for s, n in others)
    return (
        f'"{label}" looks like "{best}" (score {score}){also}: {_alias_command(path, label, best)}'
    )


def _echo_unmapped(unmapped: dict, path) -> None:
    """The import summary's lines on segment labels the crosswalk does not know."""
    if not unmapped:
        return
    click.echo(
        "  Segment labels not in the engagement's segments (each counts as a group of its "
        "own until you map it):"
    )
    for label, suggestions in unmapped.items():
        click.echo("    " + _unmapped_line(path, label, suggestions))


def _personal_words(kind: str, reason: str) -> str:
    """How a flag is worded: "direct identifier: header says e-mail"."""
    what = {"direct": "direct identifier", "quasi": "quasi-identifier, usable by table --by"}
    return f"{what[kind]}: {reason}" if kind in what else reason


def _echo_personal(flags: dict) -> None:
    """The import summary's lines on personal columns: which, and why."""
    personal = {c: f for c, f in flags.items() if f["kind"]}
    if personal:
        click.echo(
            "  Personal columns (kept out of reports, tables and exports unless --include-personal):"
        )
        for column, flag in personal.items():
            click.echo(f"    {column} ({_personal_words(flag['kind'], flag['reason'])})")
    cleared = [c for c, f in flags.items() if not f["kind"]]
    if cleared:
        click.echo("  Not personal (the import map says so): " + ", ".join(cleared) + ".")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def status(path, as_json):
    """Show each table's row count and the import history, and when each regularly asked
    metric ([settings.evaluate_every]) is next due.
    """
    engagement = _open(path)
    data = engagement.status()
    data["evaluation"] = _evaluation(engagement)
    if as_json:
        _json(data)
    else:
        _print_status(data)


def _evaluation(engagement) -> list[dict]:
    """The evaluation schedule as records for status: dates as ISO text, blanks as None."""
    import pandas as pd

    from toolkit.catalog import evaluation_status

    def plain(value):
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        if isinstance(value, pd.Timestamp):
            return value.strftime("%Y-%m-%d")
        return value.item() if hasattr(value, "item") else value

    frame = evaluation_status(engagement)
    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _print_evaluation(rows: list[dict]) -> None:
    if not rows:
        return
    click.echo("\nRegular evaluation ([settings.evaluate_every]):")
    for row in rows:
        if row["status"] == "never asked":
            click.echo(f"  {row['metric']:<6} every {row['every']}: never asked yet; due now")
            continue
        when = {
            "overdue": f"overdue since {row['next_due']} ({-row['days']} days)",
            "due": f"due by {row['next_due']}",
            "not yet": f"next due {row['next_due']}",
        }[row["status"]]
        click.echo(
            f"  {row['metric']:<6} every {row['every']}: last wave {row['last_wave']} "
            f"({row['respondents']} respondents); {when}"
        )
        if row["ask_again"]:
            click.echo(
                f"         too few answers last time, ask them specifically: {row['ask_again']}"
            )


def _print_saved_by(rows: list[dict]) -> None:
    """Entries saved in the forms per person: total, per table, and the last save."""
    if not rows:
        return
    click.echo("\nSaved in the forms, by person:")
    people: dict[str, list[dict]] = {}
    for row in rows:
        people.setdefault(row["person"], []).append(row)
    width = max(len(p or "(no name)") for p in people)
    for person, mine in people.items():
        total = sum(r["entries"] for r in mine)
        tables = ", ".join(f"{r['table']} {r['entries']:,}" for r in mine)
        last = max(r["last_saved_at"] or "" for r in mine)[:16].replace("T", " ")
        click.echo(
            f"  {(person or '(no name)').ljust(width)}  {total:>7,} "
            f"entr{'y' if total == 1 else 'ies'} ({tables}); last {last}"
        )


def _print_status(data: dict, title: str | None = None) -> None:
    click.echo(title or f"{data['engagement']}  ({data['path']})")
    if data.get("organisation"):
        click.echo(f"Organisation: {data['organisation']}")
    where = (
        f"PostgreSQL, {data['store']}" if data.get("store") else f"{data['journal_mode']} journal"
    )
    click.echo(f"Store: schema {data['schema_version']}, {where}")
    click.echo("")
    width = max(len(t) for t in data["tables"])
    click.echo(f"{'table'.ljust(width)}  {'rows':>9}")
    for table, count in data["tables"].items():
        click.echo(f"{table.ljust(width)}  {count:>9,}")
    if data["segments"]:
        click.echo("\nSegments: " + ", ".join(data["segments"]))
    if data.get("personal"):
        click.echo("\nPersonal columns (kept out unless --include-personal):")
        for p in data["personal"]:
            words = _personal_words(p["kind"], p["reason"])
            click.echo(f"  {p['table']:<14} {p['column']} ({words})")
    _print_saved_by(data.get("saved_by") or [])
    _print_evaluation(data.get("evaluation") or [])
    if data["imports"]:
        click.echo("\nImports:")
        for imp in data["imports"]:
            flag = "" if imp["status"] == "active" else f"  ({imp['status']})"
            click.echo(
                f"  #{imp['import_id']:<4} {imp['imported_at'][:16]}  {imp['table']:<14} "
                f"{imp['rows_added']:>9,} rows  {imp['file']}{flag}"
            )


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--remove", "remove", type=int, metavar="IMPORT_ID", help="Take this import's rows out."
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable list.")
def imports(path, remove, as_json):
    """List the imports, or remove one (its rows go, in one transaction)."""
    engagement = _open(path)
    if remove is not None:
        done = engagement.remove_import(remove)
        if as_json:
            _json(done)
        else:
            click.echo(
                f"Removed import #{done['import_id']} ({done['file']}): "
                f"{done['rows_removed']:,} rows taken out of {done['table']}."
            )
            if done.get("starter_restored"):
                click.echo(
                    f"The {done['starter_restored']} is back; statements coded "
                    "automatically are coded again against it."
                )
            if done["columns_removed"]:
                click.echo(
                    "Columns no other import uses, removed: "
                    + ", ".join(done["columns_removed"])
                    + "."
                )
        return
    frame = engagement.imports()
    if as_json:
        _json(json.loads(frame.to_json(orient="records")))
        return
    if frame.empty:
        click.echo("No imports yet.")
        return
    for row in frame.itertuples():
        excluded = json.loads(row.excluded)
        extra = "; ".join(f"{v:,} excluded: {k}" for k, v in excluded.items())
        skipped = len(json.loads(row.skipped))
        if skipped:
            extra = (extra + "; " if extra else "") + f"{skipped:,} skipped as invalid"
        state = "" if row.status == "active" else f"  [{row.status} {str(row.ended_at)[:16]}]"
        click.echo(
            f"#{row.import_id:<4} {row.imported_at[:16]}  {row.table_name:<14} {row.source_format:<6} "
            f"{row.rows_added:>9,} of {row.rows_in:,} rows  {row.file_name}"
            f"{'  (' + extra + ')' if extra else ''}{state}"
        )


def _split_pair(text: str, option: str, left: str, right: str) -> tuple[str, str]:
    label, sep, segment = text.rpartition("=")
    if not sep or not label.strip() or not segment.strip():
        raise DataValidationError(
            f'{option} "{text}": write it as {left}={right}, such as {option} Residnets=Residents '
            '(quote it when it has spaces: "I live here=Residents").'
        )
    return label, segment


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("labels", nargs=-1)
@click.option(
    "--alias",
    "aliases",
    metavar="LABEL=SEGMENT",
    multiple=True,
    help="Count the rows labelled LABEL in SEGMENT, past imports too (repeatable).",
)
@click.option("--merge", is_flag=True, help="Merge the LABELS given after PATH into --into.")
@click.option("--into", metavar="SEGMENT", help="The segment --merge puts the labels into.")
@click.option("--rename", metavar="OLD=NEW", help="Give the segment OLD the name NEW.")
@click.option(
    "--remove-alias",
    "removals",
    metavar="LABEL",
    multiple=True,
    help="Undo LABEL's alias or merge: its rows count as their own group again (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable list.")
def segments(path, labels, aliases, merge, into, rename, removals, as_json):
    """List the engagement's segments, or map the labels rows carry to them.

    Rows keep the labels they were imported with; every table reads them as the segment
    they are mapped to, so a change here applies to past imports too, and
    --remove-alias undoes it.
    """
    _check_segment_options(path, labels, merge, into)
    engagement = _open(path)
    done = _segment_changes(engagement, labels, aliases, into, rename, removals)
    if as_json:
        summary = engagement.segment_summary()
        _json(
            {
                "changes": [dict(d, change=k) for k, d in done],
                "segments": json.loads(summary.to_json(orient="records")),
            }
        )
        return
    for kind, d in done:
        click.echo(_segment_change_words(kind, d))
    if not done:
        _print_segments(engagement, path)


def _check_segment_options(path, labels, merge, into) -> None:
    if labels and not merge:
        raise DataValidationError(
            f"segments: {' '.join(labels)!r} after PATH only works with --merge "
            f"(service-toolkit segments {path} --merge LABEL... --into SEGMENT)."
        )
    if merge != bool(into):
        raise DataValidationError(
            "segments: --merge and --into go together: service-toolkit segments "
            f"{path} --merge LABEL [LABEL...] --into SEGMENT"
        )
    if merge and not labels:
        raise DataValidationError("segments --merge: name the labels to merge, after PATH.")


def _segment_changes(engagement, labels, aliases, into, rename, removals) -> list:
    """Make the changes the options ask for, in order: aliases, merge, rename, removals."""
    done = []
    for item in aliases:
        pair = _split_pair(item, "--alias", "LABEL", "SEGMENT")
        done.append(("alias", engagement.alias_segment(*pair)))
    if into:
        done.append(("merge", engagement.merge_segments(list(labels), into)))
    if rename:
        pair = _split_pair(rename, "--rename", "OLD", "NEW")
        done.append(("rename", engagement.rename_segment(*pair)))
    for label in removals:
        done.append(("remove-alias", engagement.remove_segment_alias(label)))
    return done


def _rows(n: int) -> str:
    return f"{n:,} row{'s' if n != 1 else ''}"


def _segment_change_words(kind: str, d: dict) -> str:
    if kind == "alias":
        return (
            f'"{d["label"]}" now counts as "{d["segment"]}" ({_rows(d["rows"])} in that segment).'
        )
    if kind == "merge":
        listed = ", ".join(f'"{x}"' for x in d["labels"])
        return f'Merged {listed} into "{d["segment"]}" ({_rows(d["rows"])} in that segment).'
    if kind == "rename":
        return f'Renamed "{d["old"]}" to "{d["segment"]}" ({_rows(d["rows"])}).'
    return (
        f'"{d["label"]}" no longer counts as "{d["segment"]}": it is a group of its own again '
        f"({_rows(d['rows'])})."
    )


def _print_segments(engagement, path) -> None:
    summary = engagement.segment_summary()
    if summary.empty:
        click.echo("No segments yet: import a customer register or needs with a segment column.")
        return
    tables = list(summary.columns[5:])
    walk = engagement.crosswalk()

    def counts(frame) -> str:
        found = [f"{t} {int(frame[t].sum()):,}" for t in tables if frame[t].sum()]
        return ", ".join(found) or "no rows"

    click.echo(f"Segments of {engagement.name} (rows per table):")
    unmapped = []
    for segment, group in summary.groupby("segment", sort=False):
        if (group["mapped"] == "unmapped").all():
            unmapped.append((segment, group))
            continue
        click.echo(f"  {segment}: {counts(group)}")
        for row in group[group["mapped"] == "alias"].itertuples():
            click.echo(
                f"    ← {row.label}: {counts(summary.loc[[row.Index]])} (alias, {row.set_on[:10]})"
            )
    if unmapped:
        click.echo("Labels not mapped to a segment (each counts as a group of its own):")
        for segment, group in unmapped:
            click.echo(f"  {segment}: {counts(group)}")
            looks = walk.suggest(segment, also=summary["segment"])
            click.echo("    " + _unmapped_line(path, segment, looks))


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--table", "table", type=TableName(), required=True, help="The stored table to write."
)
@click.option(
    "--to", "to", type=click.Path(path_type=Path), required=True, help="FILE.csv or FILE.xlsx"
)
@click.option("--include-personal", is_flag=True, help="Include columns that identify people.")
def export(path, table, to, include_personal):
    """Write a stored table to a CSV or XLSX file (it imports back unchanged)."""
    count = _open(path).export(table, to, include_personal=include_personal)
    click.echo(f"Wrote {count:,} rows of {table} to {to}.")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option(
    "--confirm",
    is_flag=True,
    help="Confirm the proposed codes of the statements ID... (from table PATH coding-review).",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="ID=CODE",
    help="File statement ID under CODE instead (repeat for more).",
)
@click.option(
    "--coder",
    metavar="NAME",
    help="Record these codes as NAME's, a second coder's, leaving the codes in use as they are.",
)
def code(path, ids, confirm, settings, coder):
    """Review automatic coding: confirm or change the codes waiting in coding-review.

    A confirmed or changed code becomes a person's code, for every statement with the
    same words that no person has coded yet.
    """
    from toolkit.catalog import proposed_codes, review_queue
    from toolkit.store import statement_key

    if ids and not confirm:
        raise click.UsageError("Give --confirm before the statement ids to confirm.")
    if confirm and not ids:
        raise click.UsageError("--confirm needs statement ids, such as --confirm S12 S14.")
    engagement = _open(path)
    codes = proposed_codes(engagement, ids)
    for pair in settings:
        given, sep, chosen = pair.partition("=")
        if not sep or not chosen.strip():
            raise click.BadParameter(f"give ID=CODE, such as S12=food_pantry (got {pair!r})")
        codes[statement_key(given)] = chosen.strip()
    if codes:
        filed = engagement.set_codes(codes, coder=coder)
        whose = f"as {coder.strip()}'s codes" if coder else "as a person's codes"
        click.echo(f"Filed {filed:,} statement{'s' if filed != 1 else ''} {whose}.")
    queue = review_queue(engagement)
    waiting = int(queue["statements"].sum())
    if not waiting:
        click.echo("No automatic code waits for review.")
        return
    click.echo(
        f"{waiting:,} statement{'s wait' if waiting != 1 else ' waits'} for review "
        f"({len(queue):,} different text{'s' if len(queue) != 1 else ''}): "
        f"service-toolkit table {path} coding-review"
    )


def _parameters(pairs, params_file, yaml_text) -> dict:
    """Merge -f FILE.yaml, then -y 'YAML', then each -p NAME VALUE (parsed as a YAML scalar)."""
    import yaml

    merged: dict = {}
    for source, text in (
        (f"-f {params_file}", params_file.read_text(encoding="utf-8") if params_file else None),
        ("-y", yaml_text),
    ):
        if text is None:
            continue
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise click.BadParameter(f"is not valid YAML: {err}", param_hint=source) from err
        if data is None:
            continue
        if not isinstance(data, dict):
            raise click.BadParameter(
                "must be a YAML mapping such as '{top_k: 3}'", param_hint=source
            )
        merged.update(data)
    for name, value in pairs:
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            parsed = value
        if isinstance(parsed, dict | list):
            raise click.BadParameter(
                f"{name}: lists and mappings go in -y '{{{name}: {value}}}' or -f params.yaml",
                param_hint="-p",
            )
        merged[name] = parsed
    return merged


class _AnalysisHelp(click.Command):
    """Lists the analyses under the table command's help, loading them only then."""

    def format_epilog(self, ctx, formatter):
        formatter.write_paragraph()
        formatter.write_text("Analyses (--help-params lists one's parameters):")
        with formatter.indentation():
            formatter.write_dl([(name, summary) for name, summary in _analysis_summaries()])


def _analysis_summaries() -> list[tuple[str, str]]:
    from toolkit.catalog import ANALYSES

    return [(name, a.summary) for name, a in ANALYSES.items()]


def _parameter_options(command):
    """-p NAME VALUE, -f PARAMS.yaml and -y YAML, as ``table`` and ``report`` take them."""
    for option in reversed(
        (
            click.option(
                "-p",
                "--param",
                "pairs",
                nargs=2,
                multiple=True,
                metavar="NAME VALUE",
                help="A parameter (a YAML scalar); repeat for more.",
            ),
            click.option(
                "-f",
                "--params-file",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="Parameters from a YAML file (lists and mappings too).",
            ),
            click.option(
                "-y", "--yaml", "yaml_text", metavar="YAML", help="Parameters as a YAML mapping."
            ),
        )
    ):
        command = option(command)
    return command


@main.command(cls=_AnalysisHelp)
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("name")
@click.option("--by", "by", metavar="COLUMN", help="Group within the tables by this column.")
@_parameter_options
@click.option(
    "--to",
    "to",
    type=click.Path(path_type=Path),
    help="Write FILE.csv or FILE.xlsx instead of CSV on stdout.",
)
@click.option(
    "--csv",
    "as_csv",
    is_flag=True,
    help="CSV on stdout even at a terminal (piped, it always is).",
)
@click.option("--help-params", is_flag=True, help="List the analysis's parameters and stop.")
@click.option(
    "--include-personal",
    is_flag=True,
    help="Let columns that identify people be read (and --by name one).",
)
def table(path, name, by, pairs, params_file, yaml_text, to, as_csv, help_params, include_personal):
    """Compute the analysis NAME on the engagement at PATH and write its table.

    At a terminal: an aligned table, rounded as the reports word numbers (shares as %,
    other decimals to two places), suppressed groups shown as suppressed. Piped, or with
    --csv: CSV on stdout (UTF-8, full precision, empty cell for missing; suppressed
    groups with suppressed true and empty estimates), for scripts. Warnings on stderr.
    """
    from toolkit.catalog import ANALYSES, SETTING_PARAMETERS, run_analysis

    if name not in ANALYSES:
        raise click.BadParameter(
            f'"{name}" is not an analysis. Choose from: {", ".join(ANALYSES)}.', param_hint="NAME"
        )
    if help_params:
        for param_name, p in ANALYSES[name].parameters().items():
            default = "engagement setting" if param_name in SETTING_PARAMETERS else repr(p.default)
            click.echo(f"{param_name:<14} default {default}")
        return
    if to is not None and to.suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter("give a file name ending in .csv or .xlsx", param_hint="--to")
    params = _parameters(pairs, params_file, yaml_text)
    result = run_analysis(
        _open(path), name, by=by, params=params, include_personal=include_personal
    )
    _write_table(result, to, as_csv=as_csv)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("names", nargs=-1, metavar="[NAME]...")
@_parameter_options
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="The reports folder (default: PATH/reports).",
)
@click.option(
    "--each",
    metavar="COLUMN",
    help="One report per value of COLUMN (segment, or an attribute such as campus).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="Reports run at the same time (default: the number of cores, at most 4).",
)
@click.option(
    "--include-personal", is_flag=True, help="Let columns that identify people reach reports."
)
@_format_option("html")
@click.option(
    "--cluster",
    metavar="ADDRESS",
    help="Run each report on the Dask cluster at ADDRESS (tls://HOST:PORT); see docs/team.md.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.pass_context
def report(
    ctx,
    path,
    names,
    pairs,
    params_file,
    yaml_text,
    out,
    each,
    jobs,
    include_personal,
    formats,
    cluster,
    as_json,
):
    """Run report notebooks on the engagement at PATH and write offline HTML.

    NAME is needs-gap, customer-map, satisfaction or you-said-we-did (all of them when
    omitted), or the path of a report notebook. Each run writes PATH/reports/<run-id>/NAME.html (with
    --each: NAME--VALUE.html) next to its executed .ipynb, and updates
    PATH/reports/index.html. `--format html,pdf,pptx` writes NAME.pdf (printed by
    Chromium) and NAME.pptx (slides) too. `service-toolkit params NAME` lists a
    report's parameters.

    Without NAME, a report whose data is not there yet (no stated needs, no customers, no
    responses) is skipped with a sentence on stderr and in the index; --json lists it
    under "skipped".

    `--cluster tls://HOST:PORT` hands each report to the workers of a Dask cluster
    (checked first: the same toolkit version, the same data) and writes the files they
    send back here, as a local run would (docs/team.md).

    Exit codes: 0 every report written or skipped; 1 a bad parameter or engagement, or a
    report named as NAME whose data is not there yet (nothing run); 2 wrong usage; 3 a
    report's notebook failed (the others still ran).
    """
    from toolkit.reports.runner import run_reports

    if cluster and jobs:
        raise click.UsageError(
            "--jobs is for a run on this machine; on a cluster each worker runs as many "
            "reports at once as it has threads (dask worker --nthreads)."
        )
    params = _parameters(pairs, params_file, yaml_text)
    run = run_reports(
        path,
        list(names) or None,
        parameters=params,
        each=each,
        jobs=jobs,
        out=out,
        include_personal=include_personal,
        formats=formats,
        cluster=cluster,
    )
    if as_json:
        _json(run.to_dict())
        for skip in run.skipped:
            _echo_err(f"Skipped {skip['reason']}")
        _echo_warnings(run)
        for result in run.failed:
            _echo_err(f"Error: {result.error}")
    else:
        _print_run(run)
    if run.failed:
        ctx.exit(3)


def _print_run(run) -> None:
    written = len(run.results) - len(run.failed)
    skipped = f", {len(run.skipped)} skipped" if run.skipped else ""
    click.echo(
        f"Ran {len(run.results)} report{'s' if len(run.results) != 1 else ''} into "
        f"{run.folder}: {written} written, {len(run.failed)} failed{skipped}."
    )
    for note in run.notes:
        click.echo(f"  ({note})")
    for result in run.results:
        label = result.name + (f" [{result.value}]" if result.value is not None else "")
        files = [f for f in (result.html, result.pdf, result.pptx) if f] if result.ok else []
        click.echo(f"  {label:<34} {files[0] if files else 'FAILED (see below)'}")
        for other in files[1:]:
            click.echo(f"  {'':<34} {other}")
    for skip in run.skipped:
        _echo_err(f"Skipped {skip['reason']}")
    _echo_warnings(run)
    for result in run.failed:
        _echo_err(f"Error: {result.error}")
    click.echo(f"Index of every run: {run.index}")


def _echo_warnings(run) -> None:
    """Each report's warnings (a page's labels shown in English, say) on stderr."""
    for result in run.results:
        for warning in result.warnings:
            _echo_err(f"Warning: {warning}")


@main.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the parameters as JSON.")
def params(name, as_json):
    """List the parameters of the report NAME, with their types, defaults and help.

    NAME is needs-gap, customer-map or satisfaction, or the path of a notebook. Give
    them to `service-toolkit report` with -p NAME VALUE, -y 'YAML' or -f FILE.yaml.
    """
    from toolkit.reports.parameters import RUNNER_PARAMETERS, notebook_parameters
    from toolkit.reports.runner import report_named

    chosen = report_named(name)
    declared = notebook_parameters(chosen.notebook)
    if as_json:
        _json(
            {
                "report": chosen.name,
                "notebook": str(chosen.notebook),
                "parameters": [
                    {
                        "name": p.name,
                        "type": p.type,
                        "default": p.default_text,
                        "help": p.help,
                        "set_by_runner": p.name in RUNNER_PARAMETERS,
                    }
                    for p in declared.values()
                ],
            }
        )
        return
    click.echo(f"Parameters of {chosen.name} ({chosen.notebook.name}):")
    rows = [(f"{p.name}: {p.type or 'any'} = {p.default_text}", p.help) for p in declared.values()]
    width = max((len(r[0]) for r in rows), default=0)
    for (head, text), p in zip(rows, declared.values(), strict=True):
        extra = "  [set by the runner]" if p.name in RUNNER_PARAMETERS else ""
        click.echo(f"  {head:<{width}}  # {text}{extra}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.argument(
    "method", required=False, metavar="[METHOD]", type=click.Choice(["post-stratify", "rake"])
)
@click.option(
    "--by",
    "by",
    help="The column(s) to weight by, comma-separated: segment, or segment,language for rake.",
)
@click.option(
    "--name", help="The scheme's name (default: the method and columns, rake-segment-language)."
)
@click.option(
    "--table",
    "table",
    type=TableName(),
    default="stated-needs",
    show_default=True,
    help="Whose answers to weight: stated-needs or responses.",
)
@click.option("--remove", metavar="NAME", help="Delete the weighting scheme NAME.")
@click.option(
    "--to",
    "to",
    type=click.Path(path_type=Path),
    help="Write the scheme's cells to FILE.csv or FILE.xlsx instead of stdout.",
)
def weights(path, method, by, name, table, remove, to):
    """Make a named weighting scheme, list the schemes, or remove one.

    METHOD is post-stratify (one column) or rake (two or more). Population sizes come from
    [settings.population.COLUMN] in engagement.toml (for segment, also a population column
    of the customer register). The weights are kept beside the imported data, which is
    never changed; an analysis uses them with -p weight NAME. Without METHOD, lists the
    schemes with their design effect.
    """
    engagement = _open(path)
    if remove:
        engagement.remove_weighting(remove)
        click.echo(f'Removed the weighting scheme "{remove}". The imported data is unchanged.')
        return
    if method is None:
        schemes = engagement.weighting_schemes()
        if schemes.empty:
            click.echo(
                f"No weighting schemes yet. Make one with: service-toolkit weights {path} "
                "post-stratify --by segment"
            )
            return
        shown = schemes.assign(variables=schemes["variables"].map(",".join))
        _write_table(shown.drop(columns=["targets", "fingerprint"]), to)
        return
    if not by:
        raise click.BadParameter(
            "say which column(s) to weight by, such as --by segment", param_hint="--by"
        )
    from toolkit.catalog import make_weighting

    columns = [c.strip() for c in by.split(",") if c.strip()]
    name = name or "-".join([method, *columns]).replace("_", "-")
    scheme, cells = make_weighting(engagement, name, method=method, by=columns, table=table)
    _echo_err(
        f'Made the weighting scheme "{scheme["name"]}": {method} on {", ".join(columns)} over '
        f"{scheme['respondents']:,} respondents of {table}. Design effect "
        f"{scheme['design_effect']:.2f} (Kish, 1 + CV²): the weighted answers count like "
        f"{scheme['effective_n']:,.0f} unweighted ones. Use it with: service-toolkit table "
        f"{path} needs-gap -p weight {scheme['name']}"
    )
    _write_table(cells.drop(columns="cell"), to)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace files of the same names.")
def templates(folder, force):
    """Copy the blank templates and guides into FOLDER (made when missing).

    One CSV per table and a workbook holding them all, the data dictionary, starter
    codebooks, survey-export maps (maps/) and interview and workshop guides (guides/).
    Files already there are not replaced without --force.
    """
    from toolkit.templates import copy_templates

    written = copy_templates(folder, force=force)
    click.echo(f"Copied {len(written)} files into {folder}:")
    for path in written:
        click.echo(f"  {path}")


@main.command()
@click.argument("name")
@click.argument("folder", type=click.Path(path_type=Path), default=".", required=False)
@click.option(
    "--engagement",
    "engagement",
    type=click.Path(path_type=Path),
    help="The engagement the notebook opens (default: FOLDER, when it is one).",
)
@click.option("--force", is_flag=True, help="Replace a notebook of the same name.")
def notebook(name, folder, engagement, force):
    """Copy the notebook NAME into FOLDER (default: here) with its engagement set.

    NAME is needs-gap, customer-map, satisfaction, you-said-we-did or forms. The notebook opens the
    engagement at FOLDER (or --engagement): open it in JupyterLab, or run it with
    papermill, from anywhere.
    """
    from toolkit.errors import StoreError
    from toolkit.templates import copy_notebook

    try:
        path = copy_notebook(name, folder, engagement or folder, force=force)
    except StoreError as err:
        if engagement is not None:
            raise
        raise StoreError(
            f"{folder} is not an engagement folder, so the notebook would not know which "
            "engagement to open. Give it with --engagement PATH, or copy the notebook into "
            "the engagement's own folder."
        ) from err
    click.echo(f"Wrote {path}. Open it with: jupyter lab {path}")


def _write_table(frame, to, *, as_csv: bool = True) -> None:
    """CSV with booleans as true/false and empty cells for missing values (formulas neutralised).

    With no file, a person at a terminal (and no ``as_csv``) gets an aligned, rounded table
    instead (:func:`toolkit._tabular.aligned_text`).
    """
    import pandas as pd

    from toolkit._tabular import aligned_text, csv_text, write_table

    if to is None and not as_csv and click.get_text_stream("stdout").isatty():
        click.echo(aligned_text(frame))
        return

    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_bool_dtype(out[col].dtype):
            out[col] = out[col].map({True: "true", False: "false"}).astype(object)
    if to is None:
        click.echo(csv_text(out), nl=False)
        return
    write_table(out, to)
    _echo_err(f"Wrote {len(out):,} rows to {to}.")


def _host_names(ctx, param, values) -> tuple[str, ...]:
    """``--allow-host`` values: bare host names (no scheme, port or path), lower case."""
    import re

    names = []
    for value in values:
        name = value.strip().lower()
        if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", name):
            raise click.BadParameter(
                f"{value!r} is not a host name. Give the name alone, as in "
                "--allow-host forms.example.org (no http://, port or path)."
            )
        names.append(name)
    return tuple(names)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port on 127.0.0.1 (default: a free one)."
)
@click.option("--no-browser", is_flag=True, help="Print the address without opening a browser.")
@click.option(
    "--new-token",
    is_flag=True,
    help="Replace the engagement's token: addresses printed before stop working.",
)
@click.option(
    "--max-pages",
    type=click.IntRange(1, 64),
    help="The most forms pages open at once, each holding about 600 MB (default: 4).",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    callback=_host_names,
    help="Also answer to this host name (repeatable); for a team reaching this machine "
    "through a proxy of its own. Loopback names are always answered.",
)
@click.option(
    "--team",
    is_flag=True,
    help="Serve a team: each planner signs in with their own account (see `users`).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    metavar="ADDRESS",
    help="The address to listen on; beyond this machine only with --team.",
)
@click.option(
    "--certfile",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --team: serve https with this certificate (PEM).",
)
@click.option(
    "--keyfile",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --certfile: the certificate's private key (PEM).",
)
def forms(path, port, no_browser, new_token, max_pages, allow_hosts, team, host, certfile, keyfile):
    """Serve the planner forms for the engagement at PATH on this machine (Ctrl-C stops).

    The address printed (and opened) ends in ?token=…: the key to the forms. It is kept
    in PATH/.forms-token, readable by you only, so it stays the same from one start to
    the next (give --port too to keep the whole address); --new-token makes a new one.
    Requests without it, or naming another host or coming from another site, are refused.

    With --team, planners sign in with their own accounts (`service-toolkit users`)
    instead, and --host ADDRESS serves them on that network address.
    """
    from toolkit.forms.serve import host_refusal, serve_forms

    _check_team_options(team, host, certfile, keyfile, new_token, host_refusal)
    engagement = _open(path.expanduser())
    code = serve_forms(
        engagement.path,
        port=port,
        open_browser=not no_browser and not team,
        echo=click.echo,
        new_token=new_token,
        allow_hosts=allow_hosts,
        team=team,
        host=host,
        certfile=str(certfile) if certfile else None,
        keyfile=str(keyfile) if keyfile else None,
        **({"max_pages": max_pages} if max_pages else {}),
    )
    sys.exit(code)


def _check_team_options(team, host, certfile, keyfile, new_token, host_refusal) -> None:
    refusal = host_refusal(host, team=team)
    if refusal is not None:
        raise click.UsageError(refusal)
    if (certfile or keyfile) and not team:
        raise click.UsageError("--certfile and --keyfile serve a team: add --team.")
    if keyfile and not certfile:
        raise click.UsageError("--keyfile goes with --certfile (the certificate it belongs to).")
    if new_token and team:
        raise click.UsageError(
            "--new-token has no use with --team: planners sign in with their own accounts."
        )


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("action", required=False, type=click.Choice(["add", "remove", "reset-password"]))
@click.argument("name", required=False)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from one line of standard input instead of asking twice.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
def users(path, action, name, password_stdin, as_json):
    """List the planners who may sign in to `forms --team`, or add one, remove one or
    give one a new password (asked twice, not shown): users PATH add NAME.
    """
    from toolkit.forms.accounts import users_command

    if action is not None and not name:
        raise click.UsageError(f"Name the planner: service-toolkit users PATH {action} NAME")
    if name and action is None:
        raise click.UsageError("Say what to do first: users PATH add|remove|reset-password NAME")
    engagement = _open(path)
    if as_json and action is None:
        _json(engagement.planners())
        return
    click.echo(users_command(engagement, action, name, password_stdin=password_stdin))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
