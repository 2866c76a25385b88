"""The planner forms: ipywidgets tabs that validate as people type and save to the store.

:func:`forms_app` builds the whole page for one engagement: a tab per form of
:data:`toolkit.forms.records.FORMS` (needs staff assume, needs customers stated, the
customer register, who serves whom, events), a tab to code the statements the codebook
could not place, a tab to map customer-group labels to the engagement's segments
(:mod:`toolkit.forms.segments`) and the survey import wizard (:mod:`toolkit.forms.wizard`).
The form comes first: a one-line heading, then the tabs; the live count of needs is a
section the planner opens when wanted. Each form:

- checks every field as the planner types (the same checks as an import, through
  :meth:`toolkit.store.Engagement.check_entry`) and says what is wrong in a sentence
  beside the field (``role="alert"``); Save stays off, saying why, until the entry is valid;
- reads a date back in words beside its box, and asks which date a slashed date is when
  it reads both ways (3/11/2026), with a button for each;
- saves in one transaction; the entry then appears first in the list below, which pages
  through every row of the table (imported ones too) newest first, filtered by customer
  group and source, and opens any row into the form to correct it;
- keeps everything typed when a save fails, and says why; keeps the draft in the
  planner's browser (:mod:`toolkit.forms.drafts`) through a reload or a closed page.

A tab not shown is not redrawn after a save elsewhere: it is when next shown.
The value → record logic lives in :mod:`toolkit.forms.records`, tested without widgets.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Callable, Mapping

import ipywidgets as w
import pandas as pd

from toolkit.errors import DataValidationError, ToolkitError
from toolkit.forms.planner import current_planner, guard_writes
from toolkit.forms.records import (
    FORMS,
    LEVELS,
    NOT_RATED,
    FormField,
    FormSpec,
    date_readings,
    date_words,
    entry_label,
    field_errors,
    missing_fields,
    record_from_inputs,
    values_from_record,
)
from toolkit.store import Engagement

__all__ = ["EntryForm", "Page", "forms_app"]

_WIDE = w.Layout(width="520px", max_width="100%")
_STYLE = {"description_width": "170px"}
_PAGE_ROWS = 10
_CSS = """
<style>
.tk-forms { max-width: 1340px; }
.tk-forms .tk-alert { color: #b00020; font-size: 13px; }
.tk-forms .tk-echo { color: #444; font-size: 13px; }
.tk-forms .tk-help { color: #555; font-size: 12px; margin-left: 174px; line-height: 1.3; }
.tk-forms .tk-ok { color: #1b5e20; font-weight: 600; }
.tk-forms .tk-title { font-size: 15px; margin: 2px 0 4px 0; }
.tk-forms .tk-field { flex-wrap: wrap; align-items: center; gap: 0 10px; }
.tk-forms .tk-beside { min-width: 150px; flex: 1 1 150px; max-width: 560px; line-height: 1.3; }
.tk-forms .tk-rating-label { font-size: 13px; margin: 2px 0 0 0; }
.tk-forms .tk-ratings { grid-gap: 2px 24px; }
.tk-forms .tk-rating .widget-toggle-buttons .widget-toggle-button {
  width: auto !important; min-width: 0; padding: 0 7px; font-size: 12px; margin: 1px 2px 1px 0; }
.tk-forms .tk-rating .widget-toggle-buttons { flex-wrap: wrap; }
.tk-forms button:disabled, .tk-forms .jupyter-button:disabled, .tk-forms .mod-disabled {
  opacity: 0.45 !important; cursor: not-allowed !important; box-shadow: none !important;
  filter: grayscale(100%); }
.tk-forms table.tk-entries { border-collapse: collapse; font-size: 13px; margin-top: 6px; }
.tk-forms .tk-scroll { overflow-x: auto; max-width: 100%; }
.tk-forms .lm-TabBar-tab { max-width: none !important; flex: 0 0 auto !important; }
.tk-forms .lm-TabBar-content { flex-wrap: wrap; }
.tk-forms table.tk-entries td, .tk-forms table.tk-entries th {
  border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top;
  max-width: 240px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tk-forms h3 { margin: 4px 0 2px 0; font-size: 16px; }
.tk-forms h4 { margin: 8px 0 2px 0; }
.tk-forms p.tk-intro { margin: 0 0 6px 0; }
</style>
"""


def _alert(text: str) -> str:
    return f'<span role="alert" class="tk-alert">{html.escape(text)}</span>' if text else ""


def _echo(text: str) -> str:
    return f'<span class="tk-echo">{html.escape(text)}</span>' if text else ""


class Page:
    """What every tab shares: the engagement, who to tell of a save, the tab shown, drafts.

    A tab's listeners (:meth:`listen`, called while the tab is built) run at once when the
    tab is shown and otherwise wait until it is (:meth:`show`): a save never redraws a
    hidden tab.
    """

    def __init__(self, engagement: Engagement):
        self.engagement = engagement
        self.building: str | None = None
        self.shown: str | None = None
        self._listeners: list[tuple[str | None, Callable[[str], None]]] = []
        self._waiting: dict[str, list[tuple[Callable[[str], None], str]]] = {}
        self.drafts: dict[str, dict] = {}
        self.parts: dict[str, object] = {}
        self.on_draft: Callable[[], None] | None = None

    def listen(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(table)`` after each change to a table (tab hidden: when shown)."""
        self._listeners.append((self.building, callback))

    def saved(self, table: str, source: object = None) -> None:
        """Tell every tab that ``table`` changed (``source``, the tab that saved, knows).

        The tab that made the change (``source``, or the object whose method called this)
        is redrawn at once even when not the one shown (a notebook drives tabs directly).
        """
        caller = source if source is not None else sys._getframe(1).f_locals.get("self")
        acting = next((k for k, part in self.parts.items() if part is caller), None)
        acting = acting or getattr(caller, "tab", None)  # a form inside a tab (the codebook's)
        for tab, callback in list(self._listeners):
            if source is not None and getattr(callback, "__self__", None) is source:
                continue
            if tab is None or tab in (self.shown, acting):
                callback(table)
            else:
                waiting = self._waiting.setdefault(tab, [])
                if (callback, table) not in waiting:
                    waiting.append((callback, table))

    def show(self, tab: str) -> None:
        """Tab ``tab`` is shown: what changed while it was hidden is redrawn now."""
        self.shown = tab
        for callback, table in self._waiting.pop(tab, []):
            callback(table)

    def draft(self, form: str, values: dict | None) -> None:
        """Form ``form`` holds an unsaved draft (``values``), or none (None)."""
        if values:
            self.drafts[form] = values
        elif self.drafts.pop(form, None) is None:
            return
        if self.on_draft is not None:
            self.on_draft()

    def segments(self) -> list[str]:
        return self.engagement.segments()

    def customers(self) -> list[tuple[str, str]]:
        frame = self.engagement.table("customers")
        return [(f"{n} ({c})", c) for c, n in zip(frame["customer_id"], frame["name"], strict=True)]

    def need_suggestions(self) -> list[str]:
        return sorted(self.engagement.table("codebook")["label"].dropna().astype(str).unique())


def _rating_options(f: FormField) -> list[tuple[str, str]]:
    meanings = LEVELS.get(f.name, ("",) * 5)
    return [(NOT_RATED, NOT_RATED)] + [
        (f"{i} {m}".strip(), str(i)) for i, m in enumerate(meanings, start=1)
    ]


class EntryForm:
    """One form: its controls, messages, Save, and the list of the table's rows.

    Parameters
    ----------
    page : Page
        The shared page.
    spec : FormSpec
        What the form asks for and where it saves.
    """

    #: A store check's message (its start) → this form's own sentence for it.
    reworded: Mapping[str, str] = {}

    def __init__(self, page: Page, spec: FormSpec):
        self.page = page
        self.spec = spec
        self.tab = page.building  # the tab it is part of
        self.engagement = page.engagement
        self.editing: int | None = None
        self.version: str | None = None
        self.touched: set[str] = set()
        self._loading = False
        # The last check with the store's: (inputs, errors, what check_entry returned).
        self._checked: tuple[dict, dict[str, str], tuple | None] | None = None
        self._confirm_delete: int | None = None
        self.controls: dict[str, w.Widget] = {}
        self.echoes: dict[str, w.HTML] = {}
        self.messages: dict[str, w.HTML] = {}
        self.pickers: dict[str, w.HBox] = {}
        self.offset = 0
        plain, ratings = [], []
        for f in spec.fields:
            (ratings if f.kind == "rating" else plain).append(self._field_row(f))
        self.form_message = w.HTML()
        self.save = w.Button(
            description="Save", button_style="primary", disabled=True, icon="check"
        )
        self.cancel = w.Button(description="Clear", tooltip="Empty the form")
        self.why = w.HTML()
        self.status = w.HTML()
        self.save.on_click(lambda _: self.submit())
        self.cancel.on_click(lambda _: self.reset())
        self.heading = w.HTML(
            f"<h3>{html.escape(spec.title)}</h3><p class='tk-intro'>{html.escape(spec.intro)}</p>"
        )
        self.mode = w.HTML()
        parts = [self.heading, self.mode, *plain]
        if ratings:
            grid = w.GridBox(
                ratings,
                layout=w.Layout(grid_template_columns="repeat(auto-fill, minmax(600px, 1fr))"),
            )
            grid.add_class("tk-ratings")
            parts.append(grid)
        buttons = w.HBox([self.save, self.cancel, self.why], layout=w.Layout(align_items="center"))
        buttons.add_class("tk-field")
        self.list_box = w.VBox(self._list_part())  # the rows the engagement holds
        self.root = w.VBox([*parts, self.form_message, buttons, self.status, self.list_box])
        self.root.add_class("tk-form")
        self.root.add_class(f"tk-form-{spec.key}")
        page.listen(self._elsewhere)
        self.refresh_choices()
        self.refresh_entries()
        self.validate()

    # -- controls ---------------------------------------------------------------

    def _field_row(self, f: FormField) -> w.Widget:
        control = self._control(f)
        self.controls[f.name] = control
        self.echoes[f.name] = w.HTML()
        self.messages[f.name] = w.HTML()
        control.observe(self._changed(f.name), names="value")
        beside = w.VBox([self.echoes[f.name], self.messages[f.name]])
        beside.add_class("tk-beside")
        if f.kind == "date":
            self.pickers[f.name] = w.HBox()
            beside.children = [*beside.children, self.pickers[f.name]]
        if f.kind == "rating":
            title = f.label + (f": {f.help}" if f.help else "")
            box = w.VBox(
                [w.HTML(f"<div class='tk-rating-label'>{html.escape(title)}</div>"), control]
            )
            box.add_class("tk-rating")
            return box
        row = w.HBox([control, beside])
        row.add_class("tk-field")
        parts = [row]
        if f.help:
            parts.append(w.HTML(f"<div class='tk-help'>{html.escape(f.help)}</div>"))
        return w.VBox(parts, layout=w.Layout(margin="0 0 4px 0"))

    def _control(self, f: FormField) -> w.Widget:
        common = {"description": f.label + (" *" if f.required else ""), "style": _STYLE}
        if f.kind == "long text":
            return w.Textarea(
                layout=w.Layout(width="520px", max_width="100%", height="56px"), **common
            )
        if f.kind == "choice":
            options = list(f.choices)
            value = NOT_RATED if NOT_RATED in options else None
            return w.Dropdown(options=options, value=value, layout=_WIDE, **common)
        if f.kind == "suggest":
            return w.Combobox(options=[], ensure_option=False, layout=_WIDE, **common)
        if f.kind == "rating":
            return w.ToggleButtons(options=_rating_options(f), value=NOT_RATED)
        if f.kind == "date":
            return w.Text(placeholder="such as 7 March 2024 or 2024-03-07", layout=_WIDE, **common)
        return w.Text(layout=_WIDE, **common)

    def refresh_choices(self, table: str | None = None) -> None:
        """Suggestions and choice lists that come from the store (segments, needs, customers);
        ``table``: only those a change to that table can alter.
        """
        groups: list[str] | None = None  # read once
        for f in self.spec.fields:
            control = self.controls[f.name]
            if f.kind == "suggest" and f.name == "segment":
                control.options = groups = self.page.segments()
            elif f.kind == "suggest" and f.name == "need" and table in (None, "codebook"):
                control.options = self.page.need_suggestions()
            elif f.name in ("provider_id", "customer_id") and f.kind == "choice":
                if table not in (None, "customers"):
                    continue
                keep = control.value
                options = self.page.customers()
                control.options = options
                control.value = keep if keep in [v for _, v in options] else None
        if "segment" in self.filters:
            keep = self.filters["segment"].value
            groups = self.page.segments() if groups is None else groups
            self.filters["segment"].options = [("Every group", "")] + [(g, g) for g in groups]
            self.filters["segment"].value = keep if keep in groups else ""

    def _changed(self, name: str) -> Callable:
        def changed(_change) -> None:
            if self._loading:
                return
            self.touched.add(name)
            self._reset_delete()
            self.validate()
            self._keep_draft()

        return changed

    def inputs(self) -> dict[str, object]:
        return {name: control.value for name, control in self.controls.items()}

    # -- drafts -----------------------------------------------------------------

    def _keep_draft(self) -> None:
        if not self.touched:
            self.page.draft(self.spec.key, None)
            return
        values = {k: v for k, v in self.inputs().items() if v not in (None, "", NOT_RATED)}
        if self.editing is not None:
            values["_entry"] = self.editing
            # The version the planner started from: a draft saved after someone else
            # corrected the entry is refused ("changed or deleted in another window"), values
            # kept.
            values["_version"] = self.version
        self.page.draft(self.spec.key, values or None)

    def restore(self, values: dict) -> None:
        """Put a kept draft back into the form (a correction reopens its entry first)."""
        entry = values.get("_entry")
        if entry is not None:
            self.load(int(entry))
            if values.get("_version") is not None:
                self.version = str(values["_version"])
        for name, value in values.items():
            control = self.controls.get(name)
            if control is None or not isinstance(value, str | int):
                continue
            try:
                control.value = value
            except Exception:  # a choice that no longer exists (a deleted customer)
                continue

    # -- validation -----------------------------------------------------------

    def validate(self, *, store: bool = True) -> dict[str, str]:
        """Check the entry as it stands; show messages beside touched fields; Save says why
        it is off. ``store=False`` runs the form's own checks only (an emptied form).
        """
        inputs = self.inputs()
        record, local = record_from_inputs(self.spec, inputs)
        # The store's checks run on what is filled in so far (a taken id shows at once);
        # the form's own messages (required, unreadable dates) come first.
        errors: dict[str, str] = {}
        checked = None
        if store:
            try:
                checked = self.engagement.check_entry(self.spec.table, record, entry=self.editing)
            except ToolkitError as err:
                errors["_form"] = str(err)
            else:
                errors.update(field_errors(checked[1], self.spec, self.reworded))
        errors.update(local)
        self._show(record, errors)
        self._checked = (inputs, errors, checked) if store else None
        return errors

    def _show(self, record: dict, errors: dict[str, str]) -> None:
        # Empty, not wrong: a date that reads both ways is empty too, and says so itself.
        missing = [
            f for f in missing_fields(self.spec, record) if errors.get(f.name) == f.missing_words
        ]
        for f in self.spec.fields:
            text = errors.get(f.name, "")
            quiet = f in missing and f.name not in self.touched and self.editing is None
            self.messages[f.name].value = "" if quiet else _alert(text)
            self.echoes[f.name].value = _echo(self._echo_text(f, record))
            if f.kind == "date":
                self._date_pickers(f)
        self.form_message.value = _alert(errors.get("_form", ""))
        self.save.disabled = bool(errors)
        if missing:
            names = ", ".join(f.label for f in missing)
            self.why.value = _echo(f"Save is off until you fill in: {names}.")
        elif errors:
            self.why.value = _echo("Save is off until what is marked in red is put right.")
        else:
            self.why.value = ""

    def _date_pickers(self, f: FormField) -> None:
        readings = date_readings(self.controls[f.name].value)
        picker = self.pickers[f.name]
        if len(readings) < 2:
            if picker.children:
                picker.children = []
            return
        buttons = []
        for day in readings:
            button = w.Button(description=f"{day.day} {day:%B %Y}", layout=w.Layout(width="auto"))
            button.on_click(
                lambda _, d=day, c=self.controls[f.name]: setattr(c, "value", f"{d:%Y-%m-%d}")
            )
            buttons.append(button)
        picker.children = buttons

    def _echo_text(self, f: FormField, record: dict) -> str:
        value = record.get(f.name)
        if f.kind == "date" and value is not None:
            return f"= {date_words(value)}"
        return ""

    # -- saving -----------------------------------------------------------------

    def submit(self) -> int | None:
        """Save the entry (or the correction); keep every value when it fails.

        The check made as the planner typed is the Save's when nothing changed since (the
        store saves with it rather than checking again); otherwise the entry is checked
        now, once.
        """
        inputs = self.inputs()
        if self._checked is None or self._checked[0] != inputs:
            self.validate()
        _, errors, checked = self._checked
        if errors:
            return self._not_saved(inputs, errors)
        record, _ = record_from_inputs(self.spec, inputs)
        try:
            entry = self.engagement.save_entry(
                self.spec.table,
                record,
                entry=self.editing,
                version=self.version,
                saved_by=current_planner(self.engagement),
                checked=checked,
            )
        except DataValidationError as err:
            self._checked = None  # the next Save asks the store again
            if checked is not None and (errors := self.validate()):
                return self._not_saved(inputs, errors)  # changed since the planner typed
            for name, text in field_errors(err.problems or [], self.spec, self.reworded).items():
                if name in self.messages:
                    self.messages[name].value = _alert(text)
            self.status.value = _alert(f"Not saved: {err} Your entry is kept; nothing was changed.")
            return None
        except Exception as err:  # the store itself failed (disk full, locked for minutes)
            self._checked = None
            self.status.value = _alert(
                f"Not saved: {err}. Your entry is kept; try Save again in a moment."
            )
            return None
        verb = "Corrected" if self.editing is not None else "Saved"
        if self.editing is None:
            self.offset = 0
        # The form is emptied before anything else is said: what the planner types once the
        # confirmation shows is never wiped by it.
        self.reset(keep_status=True)
        self.status.value = f'<span role="status" class="tk-ok">{verb} entry #{entry}.</span>'
        self.refresh_entries(sources=False)
        self.refresh_choices(self.spec.table)
        self.page.saved(self.spec.table, source=self)
        return entry

    def _not_saved(self, inputs: dict, errors: dict[str, str]) -> None:
        self.touched.update(self.controls)
        record, _ = record_from_inputs(self.spec, inputs)
        self._show(record, errors)
        self.status.value = _alert("Not saved: put right what is marked in red, then Save.")

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
        # An emptied form lacks a required field: its own checks say so, and the store's
        # checks wait for the planner's typing.
        record, local = record_from_inputs(self.spec, self.inputs())
        if local:
            self._show(record, local)
            self._checked = None
        else:
            self.validate()
        self.page.draft(self.spec.key, None)

    def load(self, entry: int | None) -> None:
        """Put a stored row (typed in a form or imported) in the form to correct it."""
        if entry is None:
            return
        rows, _ = self.engagement.entry_page(self.spec.table, entry=int(entry), limit=1)
        if rows.empty:
            self.status.value = _alert(
                f"Entry #{entry} no longer exists: it was deleted, perhaps in another window."
            )
            self.refresh_entries()
            return
        values = values_from_record(self.spec, rows.iloc[0].to_dict())
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
        self.refresh_entries()
        self.page.saved(self.spec.table, source=self)

    def _reset_delete(self) -> None:
        if self._confirm_delete is not None:
            self._confirm_delete = None
            self.delete.description = "Delete"
            self.delete.button_style = ""

    # -- the list of the table's rows --------------------------------------------

    def _list_part(self) -> list[w.Widget]:
        """The list's heading, filters, pager, chooser with Correct and Delete, and table."""
        small = {"description_width": "110px"}
        self.filters: dict[str, w.Dropdown] = {}
        if any(f.name == "segment" for f in self.spec.fields):
            self.filters["segment"] = w.Dropdown(
                description="Show group", style=small, layout=w.Layout(width="300px")
            )
        self.filters["source"] = w.Dropdown(
            description="Came from", style=small, layout=w.Layout(width="330px")
        )
        for control in self.filters.values():
            control.observe(lambda _: self._filtered(), names="value")
        self.older = w.Button(
            description="Older", icon="arrow-right", layout=w.Layout(width="auto")
        )
        self.newer = w.Button(description="Newer", icon="arrow-left", layout=w.Layout(width="auto"))
        self.older.on_click(lambda _: self._page_by(_PAGE_ROWS))
        self.newer.on_click(lambda _: self._page_by(-_PAGE_ROWS))
        self.counted = w.HTML()
        self.chooser = w.Dropdown(
            description="Entry",
            style={"description_width": "50px"},
            layout=w.Layout(width="420px", max_width="100%"),
        )
        self.correct = w.Button(
            description="Correct", icon="pencil", tooltip="Open the chosen entry in the form"
        )
        self.delete = w.Button(
            description="Delete", icon="trash", tooltip="Delete the chosen entry"
        )
        self.correct.on_click(lambda _: self.load(self.chooser.value))
        self.delete.on_click(lambda _: self.remove(self.chooser.value))
        self.chooser.observe(lambda _: self._reset_delete(), names="value")
        self.listing = w.HTML()
        wrap = w.Layout(flex_flow="row wrap", align_items="center")
        return [
            w.HTML("<h4>In the engagement now</h4>"),
            w.HBox([*self.filters.values(), self.newer, self.older, self.counted], layout=wrap),
            w.HBox([self.chooser, self.correct, self.delete], layout=wrap),
            self.listing,
        ]

    def _filtered(self) -> None:
        if not self._loading:
            self.offset = 0
            self.refresh_entries()

    def _page_by(self, step: int) -> None:
        self.offset = max(self.offset + step, 0)
        self.refresh_entries()

    def _elsewhere(self, table: str) -> None:
        if table == self.spec.table:
            self.refresh_entries()
        if table in ("customers", "codebook", "assumed_needs", "stated_needs", "events"):
            self.refresh_choices(table)

    def _sources(self) -> list[tuple[str, object]]:
        imports = self.engagement.imports()
        mine = imports[
            (imports["table_name"] == self.spec.table.replace("_", "-"))
            & (imports["status"] == "active")
        ]
        return [("Anywhere", ""), ("Typed in these forms", "form")] + [
            (f"{r.file_name} (import {r.import_id})", str(r.import_id))
            for r in mine.iloc[::-1].itertuples()
        ]

    def refresh_entries(self, *, sources: bool = True) -> None:
        """Show one page of the table's rows, newest first, as the filters choose
        (``sources``: read the list of imports again; a form's own save adds none).
        """
        source = self.filters["source"]
        if sources or not source.options:
            keep = source.value
            self._loading = True
            try:
                options = self._sources()
                source.options = options
                source.value = keep if keep in [v for _, v in options] else ""
            finally:
                self._loading = False
        segment = self.filters["segment"].value if "segment" in self.filters else ""
        rows, total = self.engagement.entry_page(
            self.spec.table,
            limit=_PAGE_ROWS,
            offset=self.offset,
            segment=segment or None,
            source=source.value or None,
        )
        if self.offset and rows.empty and total:
            self.offset = max((total - 1) // _PAGE_ROWS * _PAGE_ROWS, 0)
            return self.refresh_entries()
        rows = self._readable(rows)
        choices = [(entry_label(self.spec, r), int(r["entry"])) for r in rows.to_dict("records")]
        keep = self.chooser.value
        with self.chooser.hold_sync():  # one message for the new options and the choice
            self.chooser.options = choices
            self.chooser.value = (
                keep if keep in [v for _, v in choices] else (choices[0][1] if choices else None)
            )
        for button in (self.correct, self.delete):
            button.disabled = not choices
        self.newer.disabled = self.offset == 0
        self.older.disabled = self.offset + _PAGE_ROWS >= total
        first = self.offset + 1 if total else 0
        self.counted.value = _echo(
            f"Newest first: {first:,}–{self.offset + len(rows):,} of {total:,}." if total else ""
        )
        filtered = bool(segment or source.value)
        self.listing.value = self._table(rows, filtered=filtered)

    def _readable(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Rows with each choice shown as the form's list shows it (a customer's name with
        its code, not the code alone).
        """
        rows = rows.copy()
        for f in self.spec.fields:
            options = getattr(self.controls[f.name], "options", None)
            if f.kind != "choice" or f.name not in rows or not options:
                continue
            words = {o[1]: o[0] for o in options if isinstance(o, tuple) and len(o) == 2}
            if words:
                rows[f.name] = [words.get(v, v) if isinstance(v, str) else v for v in rows[f.name]]
        return rows

    def _table(self, rows: pd.DataFrame, *, filtered: bool) -> str:
        if rows.empty:
            return _echo("Nothing matches these choices." if filtered else "Nothing here yet.")
        shown = list(self.spec.fields[:7])
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
                cells.append(f'<td title="{html.escape(text)}">{html.escape(text)}</td>')
            body.append(f"<tr>{''.join(cells)}</tr>")
        return (
            f'<div class="tk-scroll"><table class="tk-entries"><thead><tr><th>Entry</th>{head}'
            f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        )


def _chart_panel(page: Page) -> w.Accordion:
    """The live count of needs by customer group, in a section the planner opens.

    Drawn only while open (a closed section costs a Save nothing), from counts made in SQL
    (:meth:`toolkit.store.Engagement.segment_counts`), to SVG in the kernel
    (:func:`toolkit.charts.theme.chart_svg_html`): nothing is fetched from anywhere.
    """
    panel = w.HTML(layout=w.Layout(overflow="visible", padding="0 0 0 12px"))
    section = w.Accordion(children=[panel], titles=("Needs recorded so far, by customer group",))
    section.selected_index = None

    def draw(table: str | None = None) -> None:
        if table not in (None, "assumed_needs", "stated_needs") or section.selected_index != 0:
            return
        from toolkit.charts.theme import chart_svg_html
        from toolkit.forms.coding import needs_by_segment_chart

        chart = needs_by_segment_chart(page.engagement)
        if chart is None:
            panel.value = _echo(
                "No needs recorded yet: the count by customer group appears here after the "
                "first save."
            )
        else:
            panel.value = chart_svg_html(chart)

    page.listen(draw)
    section.observe(lambda _: draw(), names="selected_index")
    return section


#: The tabs of the page: (key, title); each key is a form of FORMS or a tab class.
TABS: tuple[tuple[str, str], ...] = (
    ("assumed", "What we believe customers need"),
    ("stated", "What customers told us"),
    ("coding", "Code the needs"),
    ("customers", "Our customers"),
    ("links", "Who serves whom"),
    ("segments", "Customer groups"),
    ("events", "Events"),
    ("actions", "What we are doing about it"),
    ("outreach", "Who we asked"),
    ("wizard", "Import a survey file"),
)


def _no_engagement() -> w.VBox:
    return w.VBox(
        [
            w.HTML(
                "<h2>No engagement chosen</h2><p>These forms need an engagement folder. Ask "
                "whoever set up the toolkit to open the forms for your engagement.</p>"
            )
        ]
    )


def forms_app(engagement: str | Engagement | None = None) -> w.VBox:
    """The planner page for one engagement: every tab, drafts kept, the live count.

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
    from toolkit.forms.drafts import draft_keeper

    if not isinstance(engagement, Engagement):
        path = str(engagement or "").strip() or os.environ.get("SERVICE_TOOLKIT_ENGAGEMENT", "")
        if not path:
            return _no_engagement()
        engagement = Engagement.open(path)
    enable_charts(interactive=True)
    engagement.keep_connection()  # a Save is a few small transactions: no reopening each
    guard_writes(engagement)  # a team's page with no known planner changes nothing
    page = Page(engagement)
    keeper, signed_in = draft_keeper(engagement)
    tabs = _Tabs(page, keeper)
    name = html.escape(engagement.settings_data.get("organisation") or engagement.name)
    root = w.VBox(
        [
            w.HTML(
                _CSS + f"<div class='tk-title'><strong>{name}</strong> · listening forms. "
                "Everything you save goes straight into the engagement.</div>"
            ),
            *signed_in,
            tabs.keeper,
            tabs.widget,
            _chart_panel(page),
        ]
    )
    root.add_class("tk-forms")
    # For notebooks and tests: each tab's form, built on first use.
    root.forms = _Parts(tabs.part, tuple(FORMS))
    root.coding = _LazyPart(tabs.part, "coding")
    root.wizard = _LazyPart(tabs.part, "wizard")
    root.segments = _LazyPart(tabs.part, "segments")
    root.tabs = tabs.widget
    root.page = page
    root.drafts = tabs.keeper
    return root


class _Tabs:
    """The page's tabs: each built when first shown, the tab shown and the drafts kept in
    the browser (:class:`toolkit.forms.drafts.DraftKeeper`) and put back when it opens.
    """

    def __init__(self, page: Page, keeper):
        self.page, self.keeper = page, keeper
        self.keys = [key for key, _ in TABS]
        self.holders = [w.VBox() for _ in TABS]
        self.widget = w.Tab(children=self.holders, titles=[title for _, title in TABS])
        self.restored: dict[str, dict] = {}
        self.ready = False  # the browser has said what it kept
        page.on_draft = self.remember
        keeper.observe(self.restore, names="restored")
        self.widget.observe(lambda change: self.show(change["new"]), names="selected_index")
        self.show(0)

    def part(self, key: str):
        """Each tab's content is built the first time it is shown (or asked for)."""
        built = self.page.parts
        if key not in built:
            from toolkit.forms.coding import CodingTab
            from toolkit.forms.loop_tabs import ActionsForm, OutreachForm
            from toolkit.forms.segments import SegmentsTab
            from toolkit.forms.wizard import ImportWizard

            tab = {
                "coding": CodingTab,
                "wizard": ImportWizard,
                "segments": SegmentsTab,
                "actions": ActionsForm,
                "outreach": OutreachForm,
            }.get(key)
            self.page.building, outer = key, self.page.building
            try:
                built[key] = tab(self.page) if tab else EntryForm(self.page, FORMS[key])
            finally:
                self.page.building = outer
            if key in self.restored and isinstance(built[key], EntryForm):
                built[key].restore(self.restored.pop(key))
        return built[key]

    def show(self, index: int | None) -> None:
        if index is None:
            return
        holder = self.holders[index]
        if not holder.children:
            # Something shows at once; the tab's content replaces it when built.
            holder.children = [w.HTML(_echo("Opening this tab…"))]
            holder.children = [self.part(self.keys[index]).root]
        self.page.show(self.keys[index])
        shown = getattr(self.page.parts.get(self.keys[index]), "shown", None)
        if callable(shown):  # the coding tab catches up with saves made while hidden
            shown()
        self.remember()

    def remember(self) -> None:
        """Tell the browser the tab shown and every draft (once it has said what it kept)."""
        if self.ready:
            self.keeper.state = {
                "tab": self.widget.selected_index or 0,
                "drafts": dict(self.page.drafts),
            }

    def restore(self, change) -> None:
        """Put back what the browser kept: each form's draft, and the tab shown."""
        kept = change["new"] or {}
        self.ready = True
        drafts = kept.get("drafts") if isinstance(kept.get("drafts"), dict) else {}
        self.restored.update(
            {k: v for k, v in drafts.items() if k in FORMS and isinstance(v, dict)}
        )
        for key in [k for k in self.restored if k in self.page.parts]:
            self.page.parts[key].restore(self.restored.pop(key))
        tab = kept.get("tab")
        if isinstance(tab, int) and 0 <= tab < len(TABS) and tab != self.widget.selected_index:
            self.widget.selected_index = tab
        self.remember()


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
