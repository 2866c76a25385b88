"""The "Import a survey file" tab: upload, detect, map, check, import, save the map.

The steps a planner takes, each shown before the next:

1. **Upload** a CSV or XLSX export (up to :data:`MAX_UPLOAD_MB`; larger files get a message
   pointing to ``service-toolkit import``).
2. **Detected**: which tool wrote it and why, and the table it goes into.
3. **Map**: for every canonical field a dropdown of the file's questions
   (:func:`toolkit.sources.registry.survey_questions`: a "select all that apply" question
   is one choice however the tool exported it; each is labelled by its question,
   sub-question or choices and three sample answers), prefilled from what the importer
   recognised; for satisfaction responses, which question is CSAT, NPS or CES (guessed
   from the wording, never a derived column such as Qualtrics' ``Q2_NPS_GROUP``). Label
   recodes ("Very satisfied" = 5) are shown from the check.
4. **Check** runs the import as a dry run: rows that would land, rows excluded and why,
   every problem with its row and column, the first rows as they would land. A metric
   question whose answers are not scores is explained in the planner's words with the
   fix in place: a button for the question that holds the scores, and a box per answer
   label to say which number it stands for.
5. **Import** lands it in one transaction; **Save map** writes ``maps/NAME.toml`` so the
   next wave imports with ``--map NAME`` (or the same wizard).

The work is done by :meth:`toolkit.store.Engagement.import_file`, exactly as the
``import`` command does it; the choices become its ``columns`` and ``metrics``.
"""

from __future__ import annotations

import contextlib
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
from toolkit.sources.registry import (
    TOOLS,
    Question,
    guess_metrics,
    guess_need,
    metric_asked,
    question_labels,
    survey_questions,
)

__all__ = [
    "ImportWizard",
    "MAX_UPLOAD_MB",
    "field_words",
    "guess_metrics",
    "mapping_choices",
    "planner_words",
]


def _max_upload_mb() -> int:
    import os

    try:
        return max(1, int(os.environ.get("SERVICE_TOOLKIT_MAX_UPLOAD_MB", "100")))
    except ValueError:
        return 100


MAX_UPLOAD_MB = _max_upload_mb()
#: What a planner with a file too large for the page should do (the page's own check, in
#: the browser, says it too: :func:`toolkit.forms.serve.forms_command`).
TOO_LARGE_ADVICE = "Ask the person who runs the toolkit to import it from the command line."
"""The largest upload the page accepts, in MB: 100, or ``SERVICE_TOOLKIT_MAX_UPLOAD_MB``
(the server's message limit is set above it)."""

_NOT_IN_FILE = "(not in this file)"
#: Why Check or Import is off, said beside them.
WHY_OFF = {
    "no file": "Check and Import wait for a file this page can read: choose one above.",
    "not checked": "Import waits until Check has found rows to add.",
}
_TABLES = (
    ("Satisfaction responses (CSAT, NPS, CES)", "responses"),
    ("What customers told us (stated needs)", "stated_needs"),
    ("What staff believe customers need (assumed needs)", "assumed_needs"),
    ("Customer register", "customers"),
    ("Events", "events"),
)
_STYLE = {"description_width": "190px"}
_OWN_COLUMNS = "(choose the columns below)"
_SURE_GROUP = 85  # a label this like a group (rapidfuzz score) is proposed to count in it


def field_words(table: str, name: str) -> str:
    """A field as the planner reads it, from the forms' one home of field words
    (:func:`toolkit.forms.records.label_for`); a metric is named by its question.

    >>> field_words("stated_needs", "performance"), field_words("responses", "source_id")
    ('How well met', "Tool's response id")
    """
    from toolkit.forms.records import label_for

    if name in METRICS:
        return f"{METRICS[name].short} question"
    return label_for(name, table)


def table_words(table: str) -> str:
    """A table as the planner reads it ("What customers told us (stated needs)")."""
    return next((words for words, name in _TABLES if name == table), table.replace("_", " "))


def mapping_choices(questions: list[Question]) -> list[tuple[str, str]]:
    """Dropdown options for a file's questions (:func:`survey_questions`), labels unique.

    >>> mapping_choices([Question("Q1", "How satisfied were you?", samples=("5", "4"))])
    [('(not in this file)', ''), ('How satisfied were you? [Q1] — e.g. “5”, “4”', 'Q1')]
    """
    labels = question_labels(questions)
    return [(_NOT_IN_FILE, ""), *zip(labels, (q.value for q in questions), strict=True)]


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
        self.items: list[Question] = []
        self.survey = None
        self.values: dict[str, dict[str, float]] = {}  # labels mapped in place to numbers
        self.upload = w.FileUpload(
            accept=".csv,.xlsx,.txt,.tsv", multiple=False, description="Choose file", icon="upload"
        )
        self.upload.observe(self._uploaded, names="value")
        self.table = w.Dropdown(
            options=_TABLES,
            value="responses",
            description="Goes into",
            style=_STYLE,
            layout=w.Layout(width="100%", max_width="520px"),
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
            layout=w.Layout(width="100%", max_width="520px"),
        )
        self.save_map = w.Checkbox(
            value=True, description="Save the map for the next wave", indent=False
        )
        # Why a button is off, beside it (a greyed button alone does not say).
        self.why = w.HTML(_echo(WHY_OFF["no file"]))
        for button in (self.check_button, self.import_button):
            button.observe(lambda _: self._why(), names="disabled")
        self.check_button.on_click(lambda _: self.check())
        self.import_button.on_click(lambda _: self.run_import())
        self.report = w.HTML()
        self.fix = w.VBox()  # the fix for a failed check, offered in place
        self.preview = w.HTML(layout=w.Layout(width="100%"))
        self.saved_map = w.Dropdown(
            options=[(_OWN_COLUMNS, "")],
            value="",
            description="Use a saved map",
            style=_STYLE,
            layout=w.Layout(width="100%", max_width="520px"),
        )
        self.saved_map.observe(lambda _: self._use_map(), names="value")
        self.map_note = w.HTML()
        self.groups = w.VBox()  # labels of the file matched to the engagement's groups
        self.group_controls: dict[str, w.Dropdown] = {}
        self.progress = w.IntProgress(
            value=0,
            min=0,
            max=1,
            bar_style="info",
            layout=w.Layout(width="100%", max_width="520px", display="none"),
        )
        self.progress.add_class("tk-progress")
        self.progress_text = w.HTML()
        self.own = w.VBox()  # the table, the columns and the map's name: hidden with a map
        self.root = w.VBox(
            [
                w.HTML(
                    _PROGRESS_CSS + "<h3>Import a survey file</h3><p>Upload the export from "
                    "your survey tool (Qualtrics, SurveyMonkey, Google Forms, Microsoft Forms, "
                    f"KoboToolbox) or a spreadsheet, up to {MAX_UPLOAD_MB} MB. The next wave of "
                    "a survey imported before: upload it and choose its saved map.</p>"
                ),
                self.upload,
                self.detected,
                self.saved_map,
                self.map_note,
                self.own,
                w.HBox([self.check_button, self.import_button, self.why]),
                self.progress,
                self.progress_text,
                self.report,
                self.groups,
                self.fix,
                self.preview,
            ]
        )
        self.own.children = [
            self.table,
            self.mapping,
            w.HBox([self.map_name, self.save_map]),
        ]
        self._list_maps()
        self.root.add_class("tk-form")
        self.root.add_class("tk-form-import")

    def _why(self) -> None:
        if not self.import_button.disabled:
            self.why.value = ""
        elif self.check_button.disabled:
            self.why.value = _echo(WHY_OFF["no file"])
        else:
            self.why.value = _echo(WHY_OFF["not checked"])

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
                + TOO_LARGE_ADVICE
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
        self.groups.children = []
        try:
            with (
                self._steps(path.name, 3) as step,
                using(Limits.from_settings(self.engagement.settings)),
            ):
                step("Finding which survey tool wrote it")
                detection = detect_format(path)
                step("Reading every row")
                survey = reader(detection.format)(path)
                step("Listing its questions")
                items = _masked(survey, survey_questions(survey))
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
        self.survey, self.items, self.values = survey, items, {}
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
        self._list_maps()
        fitting = self._fitting_maps()
        if len(fitting) == 1 and self.saved_map.value != fitting[0]:
            self.saved_map.value = fitting[0]  # the next wave of a survey mapped before
        elif self.saved_map.value:
            self._use_map()

    # -- a saved map --------------------------------------------------------------

    def _list_maps(self) -> None:
        from toolkit.sources.maps import saved_maps

        names = saved_maps(self.engagement.path)
        keep = self.saved_map.value if self.saved_map.value in names else ""
        self.saved_map.options = [(_OWN_COLUMNS, ""), *((n, n) for n in names)]
        self.saved_map.value = keep
        self.saved_map.layout.display = None if names else "none"

    def _fitting_maps(self) -> list[str]:
        """The saved maps whose every column is in the uploaded file (and of its tool)."""
        from toolkit.sources.maps import map_path, read_map

        present = {*self.columns, *self.questions.values(), *(q.value for q in self.items)}
        fitting = []
        for name, _ in self.saved_map.options[1:]:
            try:
                imap = read_map(map_path(name, self.engagement.path))
            except ToolkitError:
                continue
            named = {*imap.columns.values(), *(m.column for m in imap.metrics)}
            tool = imap.source in (None, "auto", self.format)
            if named and tool and named <= present:
                fitting.append(name)
        return fitting

    def _use_map(self) -> None:
        """A saved map chosen: it says the table and the columns; check at once."""
        from toolkit.sources.maps import map_path, read_map

        self._changed()
        name = self.saved_map.value
        self.own.layout.display = "none" if name else None
        self.map_note.value = ""
        if not name:
            return
        try:
            imap = read_map(map_path(name, self.engagement.path))
        except ToolkitError as err:
            self.map_note.value = _problems(err)
            return
        if imap.table:
            self.table.value = table_named(imap.table).name
        listed = "".join(
            f"<li>{html.escape(field_words(self.table.value, f))} ← “{html.escape(c)}”</li>"
            for f, c in imap.columns.items()
        ) + "".join(
            f"<li>{html.escape(METRICS[m.metric].short)} ← “{html.escape(m.column)}”</li>"
            for m in imap.metrics
        )
        self.map_note.value = (
            f"<p>The map <strong>{html.escape(name)}</strong> says what goes where, into "
            f"{html.escape(table_words(self.table.value))}:</p><ul>{listed}</ul>"
            f"<p class='tk-echo'>To choose the columns yourself instead, pick "
            f"“{_OWN_COLUMNS}” above.</p>"
        )
        if self.file is not None:
            self.check()

    # -- step 2: the map ----------------------------------------------------------

    def _build_mapping(self) -> None:
        if self.file is None:
            return
        spec = table_named(self.table.value)
        options = mapping_choices(self.items)
        values = {v for _, v in options}
        self.field_controls, self.metric_controls = {}, {}
        self.fix.children = []
        rows = [w.HTML("<h4>Which column holds what</h4>")]
        if spec.name == "responses":
            guessed = guess_metrics(self.items)
            for metric, title in ((m.name, f"{m.short} question") for m in METRICS.values()):
                control = w.Dropdown(
                    options=options,
                    value=guessed.get(metric, ""),
                    description=title,
                    style=_STYLE,
                    layout=w.Layout(width="100%", max_width="620px"),
                )
                self.metric_controls[metric] = control
                rows.append(control)
        for f in spec.fields:
            if spec.name == "responses" and f.name in ("metric", "score", "scale_min", "scale_max"):
                continue
            same = next((c for c in self.columns if c.strip().lower() == f.name), None)
            if f.name == "need" and same is None:
                same = guess_need(self.items) or None
            control = w.Dropdown(
                options=options,
                value=same if same in values else "",
                description=field_words(spec.name, f.name),
                style=_STYLE,
                layout=w.Layout(width="100%", max_width="620px"),
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
        self.fix.children = []

    def choices(self) -> tuple[dict[str, str], dict[str, str]]:
        """The planner's choices as ``columns`` (field → column) and ``metrics``."""
        columns = {f: c.value for f, c in self.field_controls.items() if c.value}
        metrics = {m: c.value for m, c in self.metric_controls.items() if c.value}
        return columns, metrics

    # -- steps 3 and 4: check and import ------------------------------------------

    def _run(self, *, dry_run: bool, save_map: str | None = None):
        if self.saved_map.value:  # the saved map says it all
            return self.engagement.import_file(
                self.file, map=self.saved_map.value, source=self.format, dry_run=dry_run
            )
        columns, metrics = self.choices()
        return self.engagement.import_file(
            self.file,
            table=self.table.value,
            source=self.format,
            columns=columns or None,
            metrics=metrics or None,
            values={c: v for c, v in self.values.items() if c in metrics.values()} or None,
            dry_run=dry_run,
            save_map=save_map,
        )

    def check(self) -> bool:
        """Dry run: say what would land; enable Import only when nothing is wrong."""
        if self.file is None:
            return False
        self.fix.children = []
        if self._metric_trouble():
            self.preview.value = ""
            self.import_button.disabled = True
            return False
        self.groups.children = []
        try:
            with self._steps(self.file.name, 1) as step:
                step("Checking every row (nothing is imported yet)")
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
            f"{html.escape(table_words(result.table))}.</p>"
        ]
        for reason, count in result.excluded.items():
            lines.append(f"<p>{count:,} excluded: {html.escape(reason)}.</p>")
        mapping = result.details.get("mapping") or {}
        if mapping:
            listed = "".join(
                f"<li>{html.escape(field_words(result.table, str(k)))} ← {html.escape(str(v))}</li>"
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
        for warning in result.warnings:
            note = planner_words(str(warning), result.table)
            lines.append(f"<p class='tk-echo'>Note: {html.escape(note.rstrip('.'))}.</p>")
        self.report.value = "".join(lines)
        self.groups.children = self._group_step(result.unmapped_segments)
        self.preview.value = _preview(
            result.preview, result.table, result.personal_flags, result.personal
        )
        self.import_button.disabled = result.rows_added == 0
        return True

    def run_import(self) -> bool:
        """Import the checked file in one transaction, and save the map when asked."""
        own = not self.saved_map.value
        name = self.map_name.value.strip() if own and self.save_map.value else None
        choices = {label: c.value for label, c in self.group_controls.items()}
        try:
            with self._steps(self.file.name, 2) as step:
                step("Importing every row, all or nothing")
                result = self._run(dry_run=False, save_map=name or None)
                step("Counting customer groups as chosen")
                grouped = self._apply_groups(choices)
        except ToolkitError as err:
            self.report.value = _problems(err)
            return False
        saved = result.details.get("saved_map")
        self.report.value = (
            f'<p role="status" class="tk-ok">Imported {result.rows_added:,} rows into '
            f"{html.escape(table_words(result.table))} (import #{result.import_id}).</p>"
            + grouped
            + (
                f"<p>Map saved as <strong>{html.escape(name)}</strong>: for the next wave, "
                "upload the file and choose this map under “Use a saved map”.</p>"
                if saved
                else ""
            )
        )
        self.groups.children = []
        self.preview.value = ""
        self.import_button.disabled = True
        self._list_maps()
        self.page.saved(self.table.value)
        return True

    # -- progress ---------------------------------------------------------------

    @contextlib.contextmanager
    def _steps(self, name: str, count: int):
        """Show a progress bar over ``count`` steps; yields ``step(text)`` to start each.

        The page shows each step as it starts (widget updates reach the browser while the
        kernel works); the bar's stripes move while a step runs.
        """
        done = [0]
        self.progress.max = count
        self.progress.value = 0
        self.progress.layout.display = None
        self.progress.add_class("tk-busy")

        def step(text: str) -> None:
            if done[0]:
                self.progress.value = done[0]
            done[0] += 1
            self.progress_text.value = (
                f'<span role="status" class="tk-echo">{html.escape(name)}: step {done[0]} '
                f"of {count}: {html.escape(text)}…</span>"
            )

        try:
            yield step
        finally:
            self.progress.value = count
            self.progress.remove_class("tk-busy")
            self.progress.layout.display = "none"
            self.progress_text.value = ""

    # -- the file's customer groups -----------------------------------------------

    def _group_step(self, unmapped: dict) -> list:
        """A choice per customer-group label of the file the engagement does not know:
        the group it counts in (the closest one proposed), or a group of its own.
        """
        self.group_controls = {}
        groups = self.engagement.segments()
        if not unmapped or not groups:  # nothing to match them to: each is a group
            return []
        rows = [
            w.HTML(
                "<h4>Match the file's customer groups</h4><p>These answers are not among the "
                "engagement's customer groups. Choose the group each one counts in; it is "
                "matched when you import, for this file and every later one.</p>"
            )
        ]
        for label, suggestions in unmapped.items():
            # Only the engagement's groups (the file's other labels are not known yet);
            # proposed only when it is nearly the same words (a typo, a plural).
            looks = {s: n for s, n in suggestions if s in groups and s != label}
            sure = [s for s, n in looks.items() if n >= _SURE_GROUP]
            options = [(f"“{label}” as a group of its own", label)] + [
                (f"{g} (looks like it)" if g in looks else g, g) for g in groups if g != label
            ]
            control = w.Dropdown(
                options=options,
                value=sure[0] if sure else label,
                description=str(label)[:40],
                style=_STYLE,
                layout=w.Layout(width="100%", max_width="620px"),
            )
            self.group_controls[label] = control
            rows.append(control)
        return rows

    def _apply_groups(self, choices: dict[str, str]) -> str:
        """Count each label in the group chosen (:meth:`Engagement.alias_segment`)."""
        from toolkit.errors import DataValidationError

        lines = []
        for label, group in choices.items():
            try:
                self.engagement.alias_segment(label, group)
            except DataValidationError as err:
                lines.append(_alert(f"“{label}” was not matched: {err}"))
                continue
            lines.append(
                f"<li>“{html.escape(label)}” counts as {html.escape(group)}.</li>"
                if group != label
                else f"<li>“{html.escape(label)}” is a group of its own.</li>"
            )
        if not lines:
            return ""
        return "<p>Customer groups:</p><ul>" + "".join(lines) + "</ul>"

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- a failed check, in the planner's words, with the fix in place ------------

    def _metric_trouble(self) -> bool:
        """Say what is wrong with a chosen metric question and offer the fix; True if any."""
        if self.table.value != "responses" or self.survey is None:
            return False
        chosen = {m: c.value for m, c in self.metric_controls.items() if c.value}
        if not chosen:
            self.report.value = _alert(
                "Choose the question that holds a satisfaction metric (CSAT, NPS or CES) in "
                "the lists above; none is chosen."
            )
            return True
        labels = dict(zip((q.value for q in self.items), question_labels(self.items), strict=True))
        for metric, column in chosen.items():
            short = METRICS[metric].short
            item = next((q for q in self.items if q.value == column), None)
            if item is not None and item.kind == "multi":
                self.report.value = _alert(
                    f"The {short} question you chose, “{labels[column]}”, is a “choose all "
                    f"that apply” question; a {short} score needs a question with one answer. "
                    f"Choose another question for {short}."
                )
                self.fix.children = self._alternatives(metric, column, labels)
                return True
            unread = self._not_scores(metric, column)
            if unread:
                listed = ", ".join(f"“{label}” ({n:,})" for label, n in list(unread.items())[:8])
                why = f" It holds {item.why}." if item is not None and item.why else ""
                self.report.value = _alert(
                    f"The {short} question you chose, “{labels[column]}”, has answers that are "
                    f"not scores: {listed}.{why} Choose the question that holds the scores, or "
                    "say which number each answer stands for."
                )
                self.fix.children = [
                    *self._alternatives(metric, column, labels),
                    *self._label_boxes(column, list(unread)),
                ]
                return True
        return False

    def _not_scores(self, metric: str, column: str) -> dict[str, int]:
        """The answers of ``column`` that do not read as scores, with their counts."""
        from toolkit.sources.answers import recode_answers

        cells = self.survey.frame[column].astype(str).str.strip()
        scale = self.engagement.settings["scales"].get(metric)
        size = int(scale[1] - scale[0] + 1) if scale else None
        _, bad, _, _ = recode_answers(cells, values=self.values.get(column), size=size)
        return {str(k): int(n) for k, n in cells[bad].value_counts().items()}

    def _alternatives(self, metric: str, column: str, labels: dict[str, str]) -> list:
        """A button per question that asks for ``metric`` and holds scores."""
        control = self.metric_controls[metric]
        buttons = []
        for q in self.items:
            if q.value == column or not q.scores or q.kind != "single":
                continue
            if metric_asked(q.text) != metric:
                continue
            button = w.Button(
                description=f"Use {q.value}"[:40],
                tooltip=labels[q.value],
                icon="exchange",
                layout=w.Layout(width="auto"),
            )

            def use(_, value=q.value):
                control.value = value
                self.check()

            button.on_click(use)
            buttons.append(w.HBox([button, w.HTML(html.escape(labels[q.value]))]))
        if buttons:
            short = METRICS[metric].short
            return [w.HTML(f"<p>Questions that hold {short} scores:</p>"), *buttons]
        return []

    def _label_boxes(self, column: str, answers: list[str]) -> list:
        """A number box per answer label, and a button that uses them and checks again."""
        boxes = [
            w.Text(
                description=answer[:40],
                placeholder="number",
                style=_STYLE,
                layout=w.Layout(width="360px"),
            )
            for answer in answers[:30]
        ]
        note = w.HTML()
        button = w.Button(description="Use these numbers", icon="check")

        def apply(_):
            numbers, wrong = {}, []
            for answer, box in zip(answers, boxes, strict=False):
                text = box.value.strip().replace(",", ".")
                try:
                    numbers[answer] = float(text)
                except ValueError:
                    wrong.append(answer)
            if wrong:
                note.value = _alert(
                    "Give a number for every answer: "
                    + ", ".join(f"“{a}”" for a in wrong[:8])
                    + (" has none." if len(wrong) == 1 else " have none.")
                )
                return
            self.values[column] = {**self.values.get(column, {}), **numbers}
            self.check()

        button.on_click(apply)
        self.label_boxes = dict(zip(answers, boxes, strict=False))
        self.use_numbers = button
        return [w.HTML("<p>Or say which number each answer stands for:</p>"), *boxes, button, note]


def _alert(text: str) -> str:
    return f'<span role="alert" class="tk-alert">{html.escape(text)}</span>'


def _echo(text: str) -> str:
    return f'<span class="tk-echo">{html.escape(text)}</span>'


#: Words of the command line and of map files, which the page never shows.
_COMMAND_LINE = re.compile(
    r"--[a-z]|\[values|\[\[metrics|\[columns|\[multi|maps?/|in a map|ENGAGEMENT"
)


def _field_names(table: str | None) -> re.Pattern:
    """Field names a message may quote: the table's (all tables' when None) with an
    underscore, which are never plain words, and any of them opening a message before a
    quoted value (``segment "Seniors" has only…``).
    """
    from toolkit.schema.tables import TABLES

    tables = [TABLES[table]] if table in TABLES else list(TABLES.values())
    names = sorted({n for t in tables for n in t.field_names}, key=len, reverse=True)
    coded = "|".join(re.escape(n) for n in names if "_" in n)
    opening = "|".join(re.escape(n) for n in names)
    # A name in quotes is the file's own heading, quoted as the planner will find it.
    return re.compile(rf"(?<![“\"])\b(?:{coded})\b|^(?:{opening})(?= [“\"])")


def _in_words(text: str, table: str | None) -> str:
    """``text`` with the field names it quotes in the planner's words (:func:`label_for`)."""
    from toolkit.forms.records import label_for

    def swap(match: re.Match) -> str:
        words = label_for(match.group(0), table)
        return words if match.start() == 0 else words[:1].lower() + words[1:]

    return _field_names(table).sub(swap, text)


def planner_words(text: str, table: str | None = None) -> str:
    """A message with its command-line and map-file advice left out (the page offers the fix)
    and the field names it quotes in the planner's words (those of ``table`` first).

    >>> planner_words('Q9: nothing gives the need field. Name its column with --column need=COLUMN.')
    'Q9: nothing gives the need field. Choose the right question in the lists above and press Check again.'
    >>> planner_words('segment "Seniors" has only 3 respondents', "responses")
    'Customer group "Seniors" has only 3 respondents'
    """
    out = []
    text = _in_words(str(text), table)
    for line in text.splitlines():
        sentences = re.split(r"(?<=[.;:])\s+(?=[A-Z“\"])", line)
        kept = [s for s in sentences if not _COMMAND_LINE.search(s)]
        if len(kept) < len(sentences):
            kept.append("Choose the right question in the lists above and press Check again.")
        out.append(" ".join(kept))
    return "\n".join(out)


def _problems(err: Exception) -> str:
    lines = planner_words(str(err)).splitlines()
    head = html.escape(lines[0]) if lines else ""
    rest = "".join(f"<li>{html.escape(line.strip())}</li>" for line in lines[1:] if line.strip())
    return f'<div role="alert" class="tk-alert"><p>{head}</p><ul>{rest}</ul></div>'


def _preview(frame: pd.DataFrame | None, table: str, flags: dict | None = None, personal=()) -> str:
    """The first rows as they would land, fields in the planner's words; columns that
    identify people show no values.
    """
    if frame is None or frame.empty:
        return ""
    fields = set(table_named(table).field_names)
    from toolkit.reports.context import IDENTIFYING_COLUMNS

    shown = frame[[c for c in frame.columns if c not in IDENTIFYING_COLUMNS]].head(5).copy()
    hidden = [c for c in shown.columns if c in set(personal or ()) or c in (flags or {})]
    shown = shown.astype(object).where(shown.notna(), "")
    for column in hidden:
        shown[column] = shown[column].map(lambda v: _HIDDEN if v != "" else "")
    shown.columns = [
        f"{c} (hidden)" if c in hidden else field_words(table, c) if c in fields else c
        for c in shown.columns
    ]
    table = shown.to_html(index=False, na_rep="", classes="tk-entries", border=0, escape=True)
    return (
        "<h4>The first rows as they would land</h4>"
        f'<div style="overflow-x: auto; max-width: calc(100vw - 48px)">{table}</div>'
    )


_HIDDEN = "••• hidden"

_PROGRESS_CSS = """
<style>
@keyframes tk-stripes { from { background-position: 40px 0; } to { background-position: 0 0; } }
.tk-progress.tk-busy .progress-bar {
  background-image: linear-gradient(45deg, rgba(255,255,255,.35) 25%, transparent 25%,
    transparent 50%, rgba(255,255,255,.35) 50%, rgba(255,255,255,.35) 75%, transparent 75%);
  background-size: 40px 40px; animation: tk-stripes 1s linear infinite; }
</style>
"""


def _masked(survey, items: list[Question]) -> list[Question]:
    """The file's questions, the sample answers of those that identify people left out
    (the survey tool's own personal columns, or :func:`toolkit.schema.personal.column_flag`).
    """
    import dataclasses

    from toolkit.schema.personal import column_flag

    out = []
    for q in items:
        columns = [c for c in (q.value, *q.columns) if c in survey.frame.columns]
        personal = any(c in survey.personal for c in columns) or any(
            (flag := column_flag(survey.questions.get(c) or c, survey.frame[c])) is not None
            and flag.kind
            for c in columns[:1]
        )
        out.append(dataclasses.replace(q, samples=(_HIDDEN,)) if personal and q.samples else q)
    return out
