"""The "Import a survey file" tab: upload, detect, map, check, import, save the map.

The steps a planner takes, each shown before the next:

1. **Upload** a CSV or XLSX export (up to :data:`MAX_UPLOAD_MB`; larger files get a message
   pointing to ``service-toolkit import``).
2. **Detected**: which tool wrote it and why, and the table it goes into.
3. **Map**: for every canonical field a dropdown of the file's columns (named by their
   question text where the tool has one), prefilled from what the importer recognised;
   for satisfaction responses, which question is CSAT, NPS or CES (guessed from the
   wording). Label recodes ("Very satisfied" = 5) are shown from the check.
4. **Check** runs the import as a dry run: rows that would land, rows excluded and why,
   every problem with its row and column, the first rows as they would land.
5. **Import** lands it in one transaction; **Save map** writes ``maps/NAME.toml`` so the
   next wave imports with ``--map NAME`` (or the same wizard).

The work is done by :meth:`toolkit.store.Engagement.import_file`, exactly as the
``import`` command does it; the choices become its ``columns`` and ``metrics``.
"""

from __future__ import annotations

import html
import re
import shutil
import tempfile
from pathlib import Path

import ipywidgets as w
import pandas as pd

from toolkit.errors import ToolkitError
from toolkit.schema.metrics import METRICS
from toolkit.schema.tables import table_named
from toolkit.sources.registry import TOOLS, guess_metrics

__all__ = ["ImportWizard", "MAX_UPLOAD_MB", "guess_metrics", "mapping_choices"]


def _max_upload_mb() -> int:
    import os

    try:
        return max(1, int(os.environ.get("SERVICE_TOOLKIT_MAX_UPLOAD_MB", "100")))
    except ValueError:
        return 100


MAX_UPLOAD_MB = _max_upload_mb()
"""The largest upload the page accepts, in MB: 100, or ``SERVICE_TOOLKIT_MAX_UPLOAD_MB``
(the server's message limit is set above it)."""

_NOT_IN_FILE = "(not in this file)"
_TABLES = (
    ("Satisfaction responses (CSAT, NPS, CES)", "responses"),
    ("What customers told us (stated needs)", "stated_needs"),
    ("What staff believe customers need (assumed needs)", "assumed_needs"),
    ("Customer register", "customers"),
    ("Events", "events"),
)
_STYLE = {"description_width": "190px"}


def mapping_choices(columns: list[str], questions: dict[str, str]) -> list[tuple[str, str]]:
    """Dropdown options for a file's columns: the question text with the column name.

    >>> mapping_choices(["Q1", "Segment"], {"Q1": "How satisfied were you?"})
    [('(not in this file)', ''), ('How satisfied were you? [Q1]', 'Q1'), ('Segment', 'Segment')]
    """
    options: list[tuple[str, str]] = [(_NOT_IN_FILE, "")]
    for column in columns:
        question = questions.get(column)
        label = f"{question} [{column}]" if question and question != column else column
        options.append((label if len(label) <= 90 else label[:89] + "…", column))
    return options


class ImportWizard:
    """The import tab. ``root`` is the widget; the steps are methods, for tests too."""

    def __init__(self, page):
        self.page = page
        self.engagement = page.engagement
        self.folder = Path(tempfile.mkdtemp(prefix="toolkit-upload-"))
        self.file: Path | None = None
        self.format: str | None = None
        self.columns: list[str] = []
        self.questions: dict[str, str] = {}
        self.upload = w.FileUpload(
            accept=".csv,.xlsx,.txt,.tsv", multiple=False, description="Choose file", icon="upload"
        )
        self.upload.observe(self._uploaded, names="value")
        self.table = w.Dropdown(
            options=_TABLES,
            value="responses",
            description="Goes into",
            style=_STYLE,
            layout=w.Layout(width="520px"),
        )
        self.table.observe(lambda _: self._build_mapping(), names="value")
        self.detected = w.HTML()
        self.mapping = w.VBox()
        self.field_controls: dict[str, w.Dropdown] = {}
        self.metric_controls: dict[str, w.Dropdown] = {}
        self.check_button = w.Button(
            description="Check",
            icon="search",
            disabled=True,
            tooltip="Check every row and show what would land",
        )
        self.import_button = w.Button(
            description="Import",
            icon="check",
            button_style="primary",
            disabled=True,
            tooltip="Import the checked file",
        )
        self.map_name = w.Text(
            description="Save the map as",
            placeholder="e.g. quarterly-tracker",
            style=_STYLE,
            layout=w.Layout(width="520px"),
        )
        self.save_map = w.Checkbox(
            value=True, description="Save the map for the next wave", indent=False
        )
        self.check_button.on_click(lambda _: self.check())
        self.import_button.on_click(lambda _: self.run_import())
        self.report = w.HTML()
        self.preview = w.HTML()
        self.root = w.VBox(
            [
                w.HTML(
                    "<h3>Import a survey file</h3><p>Upload the export from your survey tool "
                    "(Qualtrics, SurveyMonkey, Google Forms, Microsoft Forms, KoboToolbox) or a "
                    f"spreadsheet, up to {MAX_UPLOAD_MB} MB. Larger files: use "
                    "<code>service-toolkit import ENGAGEMENT FILE</code> on the command line.</p>"
                ),
                self.upload,
                self.detected,
                self.table,
                self.mapping,
                w.HBox([self.map_name, self.save_map]),
                w.HBox([self.check_button, self.import_button]),
                self.report,
                self.preview,
            ]
        )
        self.root.add_class("tk-form")
        self.root.add_class("tk-form-import")

    # -- step 1: the file ---------------------------------------------------------

    def _uploaded(self, change) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        name = Path(str(item["name"])).name or "upload.csv"
        content = item["content"]
        if len(content) > MAX_UPLOAD_MB * 1024 * 1024:
            self.detected.value = _alert(
                f"{name} is larger than {MAX_UPLOAD_MB} MB, more than this page can take. "
                "Import it with: service-toolkit import ENGAGEMENT FILE"
            )
            return
        target = self.folder / name
        target.write_bytes(bytes(content))
        self.load(target)

    def load(self, path: str | Path) -> None:
        """Read an uploaded (or local) file: detect its tool, list its columns, guess a map."""
        from toolkit.sources import reader
        from toolkit.sources.detect import detect_format
        from toolkit.sources.limits import Limits, using

        path = Path(path)
        self.file, self.format = None, None
        self.import_button.disabled = True
        self.report.value = self.preview.value = ""
        try:
            with using(Limits.from_settings(self.engagement.settings)):
                detection = detect_format(path)
                survey = reader(detection.format)(path)
        except ToolkitError as err:
            self.detected.value = _alert(f"{path.name} could not be read: {err}")
            self.mapping.children = []
            self.check_button.disabled = True
            return
        self.file, self.format = path, detection.format
        self.columns = [str(c) for c in survey.frame.columns] + [
            g for g in survey.groups if g not in survey.frame.columns
        ]
        self.questions = {str(k): str(v) for k, v in survey.questions.items()}
        rows = len(survey.frame)
        excluded = sum(int(v.sum()) for v in survey.excluded.values()) if survey.excluded else 0
        tool = TOOLS[detection.format].label or detection.format
        self.detected.value = (
            f"<p><strong>{html.escape(path.name)}</strong>: {html.escape(tool)}"
            f" ({html.escape(detection.reason)}); {rows:,} rows"
            + (f", of which {excluded:,} the tool marks as not real responses" if excluded else "")
            + ".</p>"
        )
        if not self.map_name.value:
            self.map_name.value = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:40]
        self._build_mapping()

    # -- step 2: the map ----------------------------------------------------------

    def _build_mapping(self) -> None:
        if self.file is None:
            return
        spec = table_named(self.table.value)
        options = mapping_choices(self.columns, self.questions)
        values = {v for _, v in options}
        self.field_controls, self.metric_controls = {}, {}
        rows = [w.HTML("<h4>Which column holds what</h4>")]
        if spec.name == "responses":
            guessed = guess_metrics(self.questions or {c: c for c in self.columns})
            for metric, title in ((m.name, f"{m.short} question") for m in METRICS.values()):
                control = w.Dropdown(
                    options=options,
                    value=guessed.get(metric, ""),
                    description=title,
                    style=_STYLE,
                    layout=w.Layout(width="620px"),
                )
                self.metric_controls[metric] = control
                rows.append(control)
        for f in spec.fields:
            if spec.name == "responses" and f.name in ("metric", "score", "scale_min", "scale_max"):
                continue
            same = next((c for c in self.columns if c.strip().lower() == f.name), None)
            control = w.Dropdown(
                options=options,
                value=same if same in values else "",
                description=f.name.replace("_", " "),
                style=_STYLE,
                layout=w.Layout(width="620px"),
            )
            self.field_controls[f.name] = control
            rows.append(control)
        rows.append(
            w.HTML(
                "<p class='tk-echo'>Fields left “not in this file” are recognised by the importer "
                "where it can (response ids, dates, personal columns) and left empty otherwise; "
                "press Check to see what it found.</p>"
            )
        )
        self.mapping.children = rows
        for control in [*self.field_controls.values(), *self.metric_controls.values()]:
            control.observe(lambda _: self._changed(), names="value")
        self.check_button.disabled = False

    def _changed(self) -> None:
        self.import_button.disabled = True
        self.report.value = ""

    def choices(self) -> tuple[dict[str, str], dict[str, str]]:
        """The planner's choices as ``columns`` (field → column) and ``metrics``."""
        columns = {f: c.value for f, c in self.field_controls.items() if c.value}
        metrics = {m: c.value for m, c in self.metric_controls.items() if c.value}
        return columns, metrics

    # -- steps 3 and 4: check and import ------------------------------------------

    def _run(self, *, dry_run: bool, save_map: str | None = None):
        columns, metrics = self.choices()
        return self.engagement.import_file(
            self.file,
            table=self.table.value,
            source=self.format,
            columns=columns or None,
            metrics=metrics or None,
            dry_run=dry_run,
            save_map=save_map,
        )

    def check(self) -> bool:
        """Dry run: say what would land; enable Import only when nothing is wrong."""
        if self.file is None:
            return False
        try:
            result = self._run(dry_run=True)
        except ToolkitError as err:
            self.report.value = _problems(err)
            self.preview.value = ""
            self.import_button.disabled = True
            return False
        if result.already_imported is not None:
            self.report.value = _alert(
                f"This file was imported before (import #{result.already_imported}); nothing "
                "would be added."
            )
            return False
        lines = [
            f"<p><strong>{result.rows_added:,}</strong> rows would be imported into "
            f"{html.escape(result.table)}.</p>"
        ]
        for reason, count in result.excluded.items():
            lines.append(f"<p>{count:,} excluded: {html.escape(reason)}.</p>")
        mapping = result.details.get("mapping") or {}
        if mapping:
            listed = "".join(
                f"<li>{html.escape(str(k))} ← {html.escape(str(v))}</li>"
                for k, v in mapping.items()
            )
            lines.append(
                f"<details open><summary>What goes where</summary><ul>{listed}</ul></details>"
            )
        if result.personal:
            why = result.personal_flags
            listed = ", ".join(
                f"{c} ({why[c]['reason']})" if c in why else c for c in result.personal
            )
            lines.append(
                "<p>Columns that identify people, kept out of reports: "
                + html.escape(listed)
                + ".</p>"
            )
        lines.append(_unmapped(result.unmapped_segments))
        for warning in result.warnings:
            lines.append(f"<p class='tk-echo'>Note: {html.escape(str(warning))}</p>")
        self.report.value = "".join(lines)
        self.preview.value = _preview(result.preview)
        self.import_button.disabled = result.rows_added == 0
        return True

    def run_import(self) -> bool:
        """Import the checked file in one transaction, and save the map when asked."""
        name = self.map_name.value.strip() if self.save_map.value else None
        try:
            result = self._run(dry_run=False, save_map=name or None)
        except ToolkitError as err:
            self.report.value = _problems(err)
            return False
        saved = result.details.get("saved_map")
        self.report.value = (
            f'<p role="status" class="tk-ok">Imported {result.rows_added:,} rows into '
            f"{html.escape(result.table)} (import #{result.import_id}).</p>"
            + _unmapped(result.unmapped_segments)
            + (
                f"<p>Map saved as <code>{html.escape(str(saved))}</code>: next wave, use "
                f"<code>service-toolkit import ENGAGEMENT FILE --map {html.escape(name)}</code>.</p>"
                if saved
                else ""
            )
        )
        self.import_button.disabled = True
        self.page.saved(self.table.value)
        return True

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _unmapped(unmapped: dict) -> str:
    """Customer-group labels the engagement's segments do not know, with look-alikes."""
    if not unmapped:
        return ""
    items = []
    for label, suggestions in unmapped.items():
        like = " or ".join(f'"{s}" (score {n})' for s, n in suggestions)
        words = f"looks like {like}" if like else "looks like none of the segments"
        items.append(f"<li>&quot;{html.escape(label)}&quot; {html.escape(words)}</li>")
    return (
        "<p>Customer groups that are not among the engagement's segments; each counts as a "
        "group of its own until someone maps it to one of them:</p><ul>" + "".join(items) + "</ul>"
    )


def _alert(text: str) -> str:
    return f'<span role="alert" class="tk-alert">{html.escape(text)}</span>'


def _problems(err: Exception) -> str:
    lines = str(err).splitlines()
    head = html.escape(lines[0]) if lines else ""
    rest = "".join(f"<li>{html.escape(line.strip())}</li>" for line in lines[1:] if line.strip())
    return f'<div role="alert" class="tk-alert"><p>{head}</p><ul>{rest}</ul></div>'


def _preview(frame: pd.DataFrame | None) -> str:
    if frame is None or frame.empty:
        return ""
    from toolkit.reports.context import IDENTIFYING_COLUMNS

    shown = frame[[c for c in frame.columns if c not in IDENTIFYING_COLUMNS]].head(5)
    return "<h4>The first rows as they would land</h4>" + shown.to_html(
        index=False, na_rep="", classes="tk-entries", border=0, escape=True
    )
