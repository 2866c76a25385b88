"""The planner forms: ipywidgets tabs that validate as people type and save to the store.

:func:`forms_app` builds the whole page for one engagement: a tab per form of
:data:`toolkit.forms.records.FORMS` (needs staff assume, needs customers stated, the
customer register and who serves whom, events), a tab to code the statements the codebook
could not place, a tab to map customer-group labels to the engagement's segments
(:mod:`toolkit.forms.segments`) and the survey import wizard (:mod:`toolkit.forms.wizard`).
Each form:

- checks every field as the planner types (the same checks as an import, through
  :meth:`toolkit.store.Engagement.check_entry`) and shows the message next to the field
  (``role="alert"``), with Save disabled until the entry is valid;
- saves in one transaction; a saved entry appears in the list below at once, and can be
  corrected or deleted (a delete asks for a second click);
- keeps everything typed when a save fails, and says why.

The value → record logic lives in :mod:`toolkit.forms.records`, tested without widgets.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w
import pandas as pd

from toolkit.errors import DataValidationError, ToolkitError
from toolkit.forms.records import (
    DATE_ORDERS,
    FORMS,
    LEVELS,
    NOT_RATED,
    FormField,
    FormSpec,
    date_order_for,
    date_words,
    entry_label,
    field_errors,
    record_from_inputs,
    values_from_record,
)
from toolkit.store import Engagement

__all__ = ["EntryForm", "forms_app"]

_WIDE = w.Layout(width="520px")
_STYLE = {"description_width": "190px"}
_CSS = """
<style>
.tk-forms .tk-alert { color: #b00020; font-size: 13px; }
.tk-forms .tk-echo { color: #444; font-size: 13px; }
.tk-forms .tk-ok { color: #1b5e20; font-weight: 600; }
.tk-forms table.tk-entries { border-collapse: collapse; font-size: 13px; margin-top: 6px; }
.tk-forms .lm-TabBar-tab { max-width: none !important; flex: 0 0 auto !important; }
.tk-forms table.tk-entries td, .tk-forms table.tk-entries th {
  border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
</style>
"""


def _alert(text: str) -> str:
    return f'<span role="alert" class="tk-alert">{html.escape(text)}</span>' if text else ""


def _echo(text: str) -> str:
    return f'<span class="tk-echo">{html.escape(text)}</span>' if text else ""


class Page:
    """What every tab shares: the engagement, the date order, and who to tell of a save."""

    def __init__(self, engagement: Engagement):
        self.engagement = engagement
        self.date_order = date_order_for(engagement.settings.get("timezone"))
        self._listeners: list[Callable[[str], None]] = []

    def listen(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def saved(self, table: str) -> None:
        for callback in list(self._listeners):
            callback(table)

    def segments(self) -> list[str]:
        return self.engagement.segments()

    def customers(self) -> list[tuple[str, str]]:
        frame = self.engagement.table("customers")
        return [(f"{n} ({c})", c) for c, n in zip(frame["customer_id"], frame["name"], strict=True)]

    def need_suggestions(self) -> list[str]:
        return sorted(self.engagement.table("codebook")["label"].dropna().astype(str).unique())


class EntryForm:
    """One form: its controls, messages, Save, and the list of saved entries.

    Parameters
    ----------
    page : Page
        The shared page.
    spec : FormSpec
        What the form asks for and where it saves.
    """

    def __init__(self, page: Page, spec: FormSpec):
        self.page = page
        self.spec = spec
        self.engagement = page.engagement
        self.editing: int | None = None
        self.version: str | None = None
        self.touched: set[str] = set()
        self._loading = False
        self._confirm_delete: int | None = None
        self.controls: dict[str, w.Widget] = {}
        self.echoes: dict[str, w.HTML] = {}
        self.messages: dict[str, w.HTML] = {}
        rows = []
        for f in spec.fields:
            control = self._control(f)
            self.controls[f.name] = control
            self.echoes[f.name] = w.HTML()
            self.messages[f.name] = w.HTML()
            control.observe(self._changed(f.name), names="value")
            help_text = w.HTML(_echo(f.help)) if f.help else None
            parts = [control, self.echoes[f.name], self.messages[f.name]]
            if help_text is not None:
                parts.insert(1, help_text)
            rows.append(w.VBox(parts, layout=w.Layout(margin="0 0 6px 0")))
        self.form_message = w.HTML()
        self.missing = w.HTML()
        self.save = w.Button(
            description="Save",
            button_style="primary",
            disabled=True,
            icon="check",
            tooltip="Save this entry",
        )
        self.cancel = w.Button(description="Clear", tooltip="Empty the form")
        self.status = w.HTML()
        self.save.on_click(lambda _: self.submit())
        self.cancel.on_click(lambda _: self.reset())
        self.chooser = w.Dropdown(description="Saved entries", style=_STYLE, layout=_WIDE)
        self.correct = w.Button(
            description="Correct",
            icon="pencil",
            tooltip="Load the chosen entry into the form to correct it",
        )
        self.delete = w.Button(
            description="Delete", icon="trash", tooltip="Delete the chosen entry"
        )
        self.correct.on_click(lambda _: self.load(self.chooser.value))
        self.delete.on_click(lambda _: self.remove(self.chooser.value))
        self.chooser.observe(lambda _: self._reset_delete(), names="value")
        self.listing = w.HTML()
        self.heading = w.HTML(f"<h3>{html.escape(spec.title)}</h3><p>{html.escape(spec.intro)}</p>")
        self.mode = w.HTML()
        self.root = w.VBox(
            [
                self.heading,
                self.mode,
                *rows,
                self.form_message,
                w.HBox([self.save, self.cancel]),
                self.missing,
                self.status,
                w.HTML("<h4>Saved</h4>"),
                w.HBox([self.chooser, self.correct, self.delete]),
                self.listing,
            ]
        )
        self.root.add_class("tk-form")
        self.root.add_class(f"tk-form-{spec.key}")
        page.listen(self._elsewhere)
        self.refresh_choices()
        self.refresh_entries()
        self.validate()

    # -- controls ---------------------------------------------------------------

    def _control(self, f: FormField) -> w.Widget:
        common = {"description": f.label + (" *" if f.required else ""), "style": _STYLE}
        if f.kind == "long text":
            return w.Textarea(layout=w.Layout(width="520px", height="70px"), **common)
        if f.kind == "choice":
            options = list(f.choices)
            value = NOT_RATED if NOT_RATED in options else None
            return w.Dropdown(options=options, value=value, layout=_WIDE, **common)
        if f.kind == "suggest":
            return w.Combobox(options=[], ensure_option=False, layout=_WIDE, **common)
        if f.kind == "rating":
            meanings = LEVELS.get(f.name, ("",) * 5)
            return w.ToggleButtons(
                options=[NOT_RATED, "1", "2", "3", "4", "5"],
                value=NOT_RATED,
                tooltips=["not rated yet", *(f"{i + 1}: {m}" for i, m in enumerate(meanings))],
                style={**_STYLE, "button_width": "80px"},
                description=common["description"],
            )
        placeholder = (
            "7/3/2024 or 2024-03-07" if self.page.date_order == "dmy" else "3/7/2024 or 2024-03-07"
        )
        if f.kind == "date":
            return w.Text(placeholder=placeholder, layout=_WIDE, **common)
        return w.Text(layout=_WIDE, **common)

    def refresh_choices(self) -> None:
        """Suggestions and choice lists that come from the store (segments, customers)."""
        for f in self.spec.fields:
            control = self.controls[f.name]
            if f.kind == "suggest" and f.name == "segment":
                control.options = self.page.segments()
            elif f.kind == "suggest" and f.name == "need":
                control.options = self.page.need_suggestions()
            elif f.kind == "choice" and f.name in ("provider_id", "customer_id"):
                keep = control.value
                options = self.page.customers()
                control.options = options
                control.value = keep if keep in [v for _, v in options] else None

    def _changed(self, name: str) -> Callable:
        def changed(_change) -> None:
            if self._loading:
                return
            self.touched.add(name)
            self._reset_delete()
            self.validate()

        return changed

    def inputs(self) -> dict[str, object]:
        return {name: control.value for name, control in self.controls.items()}

    # -- validation -----------------------------------------------------------

    def validate(self) -> dict[str, str]:
        """Check the entry as it stands; show messages beside touched fields; enable Save."""
        record, local = record_from_inputs(
            self.spec, self.inputs(), date_order=self.page.date_order
        )
        # The store's checks run on what is filled in so far (a taken id shows at once);
        # the form's own messages (required, unreadable dates) come first.
        errors: dict[str, str] = {}
        try:
            _, problems = self.engagement.check_entry(self.spec.table, record, entry=self.editing)
        except ToolkitError as err:
            errors["_form"] = str(err)
        else:
            errors.update(field_errors(problems, self.spec))
        errors.update(local)
        for f in self.spec.fields:
            text = errors.get(f.name, "")
            shown = text if (f.name in self.touched or text != "is required") else ""
            if f.name in self.touched or self.editing is not None:
                shown = text
            self.messages[f.name].value = _alert(shown)
            self.echoes[f.name].value = _echo(self._echo_text(f, record))
        self.form_message.value = _alert(errors.get("_form", ""))
        missing = [f.label for f in self.spec.fields if errors.get(f.name) == "is required"]
        self.missing.value = _echo(
            "Still to fill in: " + ", ".join(missing) + "." if missing else ""
        )
        self.save.disabled = bool(errors)
        return errors

    def _echo_text(self, f: FormField, record: dict) -> str:
        value = record.get(f.name)
        if f.kind == "date" and value is not None:
            return f"= {date_words(value)}"
        if f.kind == "rating":
            if value is None:
                return "not rated"
            meanings = LEVELS.get(f.name)
            return f"{value} = {meanings[value - 1]}" if meanings else str(value)
        return ""

    # -- saving -----------------------------------------------------------------

    def submit(self) -> int | None:
        """Save the entry (or the correction); keep every value when it fails."""
        errors = self.validate()
        if errors:
            self.touched.update(self.controls)
            self.validate()
            self.status.value = _alert("Not saved: fix the fields marked in red.")
            return None
        record, _ = record_from_inputs(self.spec, self.inputs(), date_order=self.page.date_order)
        try:
            entry = self.engagement.save_entry(
                self.spec.table, record, entry=self.editing, version=self.version
            )
        except DataValidationError as err:
            for name, text in field_errors(err.problems or [], self.spec).items():
                if name in self.messages:
                    self.messages[name].value = _alert(text)
            self.status.value = _alert(
                f"Not saved: {err}. Your entry is kept; nothing was changed."
            )
            return None
        except Exception as err:  # the store itself failed (disk full, locked for minutes)
            self.status.value = _alert(
                f"Not saved: {err}. Your entry is kept; try Save again in a moment."
            )
            return None
        verb = "Corrected" if self.editing is not None else "Saved"
        self.status.value = f'<span role="status" class="tk-ok">{verb} entry #{entry}.</span>'
        self.reset(keep_status=True)
        self.page.saved(self.spec.table)
        return entry

    def reset(self, keep_status: bool = False) -> None:
        """Empty the form (sticky fields keep their value unless correcting ended)."""
        self._loading = True
        try:
            for f in self.spec.fields:
                if f.sticky and self.editing is None:
                    continue
                control = self.controls[f.name]
                if f.kind == "rating":
                    control.value = NOT_RATED
                elif f.kind == "choice":
                    control.value = NOT_RATED if NOT_RATED in f.choices else None
                else:
                    control.value = ""
        finally:
            self._loading = False
        self.editing = None
        self.version = None
        self.touched = set()
        self.mode.value = ""
        self.save.description = "Save"
        self.cancel.description = "Clear"
        if not keep_status:
            self.status.value = ""
        self.validate()

    def load(self, entry: int | None) -> None:
        """Put a saved entry in the form to correct it."""
        if entry is None:
            return
        rows = self.engagement.entries(self.spec.table)
        match = rows[rows["entry"] == entry]
        if match.empty:
            self.status.value = _alert(
                f"Entry #{entry} no longer exists (deleted in another window?)."
            )
            self.refresh_entries()
            return
        values = values_from_record(self.spec, match.iloc[0].to_dict())
        self._loading = True
        try:
            for name, value in values.items():
                control = self.controls[name]
                if isinstance(control, w.Dropdown) and value not in [
                    o[1] if isinstance(o, tuple) else o for o in control.options
                ]:
                    value = None
                control.value = value
        finally:
            self._loading = False
        self.editing = int(entry)
        self.version = self.engagement.entry_version(self.spec.table, self.editing)
        self.mode.value = (
            f'<span role="status"><strong>Correcting entry #{entry}.</strong> Change what is '
            "wrong and save, or press Cancel.</span>"
        )
        self.save.description = "Save correction"
        self.cancel.description = "Cancel"
        self.status.value = ""
        self.validate()

    def remove(self, entry: int | None) -> None:
        """Delete the chosen entry: the first click asks, the second deletes."""
        if entry is None:
            return
        if self._confirm_delete != entry:
            self._confirm_delete = entry
            self.delete.description = f"Really delete #{entry}?"
            self.delete.button_style = "danger"
            self.status.value = _alert(f"Press “Really delete #{entry}?” to delete it for good.")
            return
        self._reset_delete()
        try:
            self.engagement.delete_entry(self.spec.table, entry)
        except DataValidationError as err:
            self.status.value = _alert(str(err))
            return
        if self.editing == entry:
            self.reset(keep_status=True)
        self.status.value = f'<span role="status" class="tk-ok">Deleted entry #{entry}.</span>'
        self.page.saved(self.spec.table)

    def _reset_delete(self) -> None:
        if self._confirm_delete is not None:
            self._confirm_delete = None
            self.delete.description = "Delete"
            self.delete.button_style = ""

    # -- the list of saved entries ----------------------------------------------

    def _elsewhere(self, table: str) -> None:
        if table == self.spec.table:
            self.refresh_entries()
        if table in ("customers", "codebook", "assumed_needs", "stated_needs", "events"):
            self.refresh_choices()

    def refresh_entries(self) -> None:
        only_forms = self.spec.table not in ("customers", "service_links", "events")
        rows = self.engagement.entries(self.spec.table, only_forms=only_forms, limit=200)
        options = [(entry_label(self.spec, r), int(r["entry"])) for r in rows.to_dict("records")]
        keep = self.chooser.value
        self.chooser.options = options
        self.chooser.value = (
            keep if keep in [v for _, v in options] else (options[0][1] if options else None)
        )
        self.listing.value = self._table(rows.head(10), total=len(rows), only_forms=only_forms)

    def _table(self, rows: pd.DataFrame, *, total: int, only_forms: bool) -> str:
        if rows.empty:
            return _echo("Nothing saved yet." if only_forms else "Nothing here yet.")
        shown = [f for f in self.spec.fields]
        head = "".join(f"<th>{html.escape(f.label)}</th>" for f in shown)
        body = []
        for r in rows.to_dict("records"):
            cells = [f"<td>#{int(r['entry'])}</td>"]
            for f in shown:
                value = r.get(f.name)
                if f.kind == "date":
                    text = date_words(value)
                elif value is None or (not isinstance(value, str) and pd.isna(value)):
                    text = NOT_RATED if f.kind == "rating" else ""
                else:
                    text = str(value)
                cells.append(f"<td>{html.escape(text)}</td>")
            body.append(f"<tr>{''.join(cells)}</tr>")
        more = f"<p class='tk-echo'>Newest 10 of {total}.</p>" if total > 10 else ""
        return (
            f'<table class="tk-entries"><thead><tr><th>Entry</th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>{more}"
        )


def _chart_panel(page: Page) -> w.HTML:
    """A live count of needs by customer group, redrawn after every save.

    Drawn to SVG in the kernel (:func:`toolkit.charts.theme.chart_svg_html`): the page shows it
    at once with no chart JavaScript to load, and nothing is fetched from anywhere.
    """
    from toolkit.charts.theme import chart_svg_html
    from toolkit.forms.coding import needs_by_segment_chart

    panel = w.HTML(layout=w.Layout(overflow="visible", padding="0 0 0 12px"))

    def draw(table: str | None = None) -> None:
        if table not in (None, "assumed_needs", "stated_needs"):
            return
        chart = needs_by_segment_chart(page.engagement)
        if chart is None:
            panel.value = _echo(
                "No needs recorded yet: the count by customer group appears here after the "
                "first save."
            )
        else:
            panel.value = chart_svg_html(chart)

    page.listen(draw)
    draw()
    return panel


def forms_app(engagement: str | Engagement | None = None) -> w.VBox:
    """The planner page for one engagement: every tab, the live chart, the date setting.

    Parameters
    ----------
    engagement : str, Engagement or None
        The engagement folder. Empty: the folder named by the ``SERVICE_TOOLKIT_ENGAGEMENT``
        environment variable (``service-toolkit forms PATH`` sets it).

    Returns
    -------
    ipywidgets.VBox
        With class ``tk-forms``.
    """
    import os

    from toolkit.charts.theme import enable_charts
    from toolkit.forms.coding import CodingTab
    from toolkit.forms.segments import SegmentsTab
    from toolkit.forms.wizard import ImportWizard

    if not isinstance(engagement, Engagement):
        path = str(engagement or "").strip() or os.environ.get("SERVICE_TOOLKIT_ENGAGEMENT", "")
        if not path:
            return w.VBox(
                [
                    w.HTML(
                        "<h2>No engagement chosen</h2><p>Start the forms with "
                        "<code>service-toolkit forms PATH</code>, or set the <code>engagement</code> "
                        "parameter to the engagement folder.</p>"
                    )
                ]
            )
        engagement = Engagement.open(path)
    enable_charts(interactive=True)
    page = Page(engagement)
    built: dict[str, object] = {}
    tabs_by_key = {"coding": CodingTab, "wizard": ImportWizard, "segments": SegmentsTab}

    def part(key: str):
        """Each tab's content is built the first time it is shown (or asked for)."""
        if key not in built:
            tab = tabs_by_key.get(key)
            built[key] = tab(page) if tab else EntryForm(page, FORMS[key])
        return built[key]

    contents = [
        ("What we believe customers need", lambda: part("assumed").root),
        ("What customers told us", lambda: part("stated").root),
        ("Code the needs", lambda: part("coding").root),
        (
            "Our customers",
            lambda: w.VBox([part("customers").root, w.HTML("<hr>"), part("links").root]),
        ),
        ("Customer groups", lambda: part("segments").root),
        ("Events", lambda: part("events").root),
        ("Import a survey file", lambda: part("wizard").root),
    ]
    holders = [w.VBox() for _ in contents]

    def show(index: int | None) -> None:
        if index is not None and not holders[index].children:
            holders[index].children = [contents[index][1]()]

    tabs = w.Tab(children=holders, titles=[title for title, _ in contents])
    tabs.observe(lambda change: show(change["new"]), names="selected_index")
    tabs.observe(lambda change: _shown(built, change["new"]), names="selected_index")
    show(0)
    order = w.Dropdown(
        options=[
            (f"{words} ({'7/3/2024 = 7 March' if key == 'dmy' else '3/7/2024 = 7 March'})", key)
            for key, words in DATE_ORDERS.items()
        ],
        value=page.date_order,
        description="Dates are written",
        style=_STYLE,
        layout=_WIDE,
    )

    def set_order(change) -> None:
        page.date_order = change["new"]
        for item in built.values():
            if isinstance(item, EntryForm):
                item.validate()

    order.observe(set_order, names="value")
    name = html.escape(engagement.settings_data.get("organisation") or engagement.name)
    root = w.VBox(
        [
            w.HTML(
                _CSS + f"<h2>{name}: listening forms</h2><p>Everything you save goes "
                "straight into the engagement; a reload shows it all again.</p>"
            ),
            order,
            _chart_panel(page),
            tabs,
        ]
    )
    root.add_class("tk-forms")
    # For notebooks and tests: each tab's form, built on first use.
    root.forms = _Parts(part, tuple(FORMS))
    root.coding = _LazyPart(part, "coding")
    root.wizard = _LazyPart(part, "wizard")
    root.segments = _LazyPart(part, "segments")
    root.tabs = tabs
    return root


def _shown(built: dict, index: int | None) -> None:
    """Tell the coding tab it is shown: it catches up with saves made while hidden."""
    if index == 2 and "coding" in built:  # "Code the needs"
        built["coding"].shown()


class _Parts:
    """``root.forms["events"]``: the EntryForm of a tab, built when first asked for."""

    def __init__(self, build: Callable, keys: tuple[str, ...]):
        self._build, self._keys = build, keys

    def __getitem__(self, key: str) -> EntryForm:
        if key not in self._keys:
            raise KeyError(key)
        return self._build(key)

    def keys(self):
        return self._keys


class _LazyPart:
    """A tab object (coding tab, import wizard) built when an attribute is first used."""

    def __init__(self, build: Callable, key: str):
        self._build, self._key = build, key

    def __getattr__(self, name: str):
        return getattr(self._build(self._key), name)
