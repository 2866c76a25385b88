"""The tabs that close the loop: what we are doing about each need, and who we asked.

:class:`ActionsForm` (the ``actions`` table) and :class:`OutreachForm` (``outreach``) are
:class:`toolkit.forms.app.EntryForm` tabs: the same checks as an import as the planner
types, messages beside each field, dates read back in words, drafts kept in the browser,
and the list of every row (imported ones too) to correct. What they add:

- the actions form picks the need by its label from the engagement's codebook (a box that
  narrows the list as the planner types; :func:`need_choices`) and stores its code; the
  list shows labels, not codes; an action under way or done with an event name becomes
  that event (the store does it), and the form says so beside the box;
- the outreach form shows, beside it, each customer group's response rate and the groups
  nobody has asked yet, from the ``participation`` analysis (:func:`reach_html`).

The words of each field come from :data:`toolkit.forms.records.FIELD_LABELS`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import ipywidgets as w
import pandas as pd

from toolkit.errors import ToolkitError
from toolkit.forms.app import EntryForm, _echo
from toolkit.forms.records import FORMS, date_words
from toolkit.schema.checks import EVENT_WITHOUT_START, MORE_THAN_INVITED
from toolkit.schema.tables import LAUNCHED, NOT_A_NEED

__all__ = [
    "ActionsForm",
    "OutreachForm",
    "code_for",
    "need_choices",
    "reach_html",
]

#: Said beside the need when an action names neither a need nor a group.
ABOUT_NOTHING = "Pick the need this is about, or the customer group it is for, or both."
#: An action about no one need, in the list.
WHOLE_GROUP = "(the whole group)"
#: Said beside the event name of an action under way or done without a start day.
EVENT_NEEDS_A_DAY = (
    "Write the day it starts under “Starts on”: the charts mark the event on that day. Or "
    "leave the event name empty."
)
#: Said beside the number who answered when it is more than the number invited.
MORE_ANSWERS_THAN_INVITED = (
    "More people answered than were invited: fix one of the two numbers, or leave “People "
    "invited” empty when nobody knows how many were asked."
)


def need_choices(codebook: pd.DataFrame) -> dict[str, str]:
    """Each need of the codebook as a planner picks it → its code.

    The text is the need's label; where two needs share a label, its theme (or else its
    code) follows in brackets. The built-in *not a need* code is left out.

    >>> book = pd.DataFrame({"code": ["milk", "dairy", "hours"],
    ...     "label": ["Fresh milk", "Fresh milk", "Opening hours"],
    ...     "theme": ["Food", "Farming", None]})
    >>> need_choices(book)
    {'Fresh milk (Food)': 'milk', 'Fresh milk (Farming)': 'dairy', 'Opening hours': 'hours'}
    """
    book = codebook[codebook["code"].notna() & (codebook["code"] != NOT_A_NEED["code"])]
    codes = book["code"].astype(str).tolist()
    labels = [
        " ".join(str(label).split()) if isinstance(label, str) and label.strip() else code
        for label, code in zip(book["label"], codes, strict=True)
    ]
    themes = book["theme"].tolist() if "theme" in book else [None] * len(codes)
    keys = [label.lower() for label in labels]
    out: dict[str, str] = {}
    for code, label, theme, key in zip(codes, labels, themes, keys, strict=True):
        text = label
        if keys.count(key) > 1:
            named = isinstance(theme, str) and theme.strip()
            text = f"{label} ({theme.strip() if named else code})"
        if text in out:
            text = f"{label} ({code})"
        out[text] = code
    return out


def code_for(text: object, choices: Mapping[str, str]) -> str | None:
    """The code a typed or picked need stands for: a choice of :func:`need_choices` (any
    case), or a code itself; None for empty text. Anything else comes back as typed (the
    store's check then says it is not one of the engagement's needs).

    >>> choices = {"Fresh milk": "milk"}
    >>> code_for(" fresh MILK ", choices), code_for("milk", choices), code_for("", choices)
    ('milk', 'milk', None)
    """
    typed = " ".join(str(text or "").split())
    if not typed:
        return None
    if typed in choices:
        return choices[typed]
    lowered = {k.lower(): v for k, v in choices.items()}
    if typed.lower() in lowered:
        return lowered[typed.lower()]
    return typed


class ActionsForm(EntryForm):
    """The "What we are doing about it" tab: one decision about a need or a group."""

    reworded = {EVENT_WITHOUT_START: EVENT_NEEDS_A_DAY}

    def __init__(self, page):
        self.choices: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        super().__init__(page, FORMS["actions"])

    # The need box shows labels; the record, the draft and the checks carry the code.

    def refresh_choices(self, table: str | None = None) -> None:
        super().refresh_choices(table)
        if table in (None, "codebook"):
            self.choices = need_choices(self.engagement.table("codebook"))
            self.labels = {code: text for text, code in self.choices.items()}
            self.controls["code"].options = list(self.choices)

    def inputs(self) -> dict[str, object]:
        values = super().inputs()
        values["code"] = code_for(values.get("code"), self.choices) or ""
        return values

    def _show_label(self) -> None:
        control = self.controls["code"]
        shown = self.labels.get(str(control.value))
        if shown is not None and shown != control.value:
            self._loading = True
            try:
                control.value = shown
            finally:
                self._loading = False

    def restore(self, values: dict) -> None:
        super().restore(values)
        self._show_label()

    def load(self, entry: int | None) -> None:
        super().load(entry)
        self._show_label()

    def _show(self, record: dict, errors: dict[str, str]) -> None:
        errors = dict(errors)
        code = record.get("code")
        if "code" in errors:
            if code is None and record.get("segment") is None:
                # Said once the planner has begun; Save is off all the same.
                errors["code"] = ABOUT_NOTHING if self.touched or self.editing else ""
            elif code is not None and code not in self.labels:
                errors["code"] = (
                    f"“{code}” is not one of the engagement's needs: pick one from the list "
                    "(typing a few letters narrows it), or leave it empty for an action about "
                    "a whole customer group."
                )
        super()._show(record, errors)

    def _echo_text(self, f, record: dict) -> str:
        if f.name != "event" or not record.get("event"):
            return super()._echo_text(f, record)
        start = record.get("starts_on")
        if record.get("status") in LAUNCHED and start is not None:
            return f"Shown on the satisfaction charts from {date_words(start)}."
        return "Shown on the satisfaction charts once under way or done, from its start day."

    def _table(self, rows: pd.DataFrame, *, filtered: bool) -> str:
        if not rows.empty:
            rows = rows.assign(
                code=rows["code"].map(
                    lambda c: self.labels.get(c, c) if isinstance(c, str) else WHOLE_GROUP
                )
            )
        return super()._table(rows, filtered=filtered)

    # An action's launch makes or changes an event: the events tab is told too.

    def submit(self) -> int | None:
        entry = super().submit()
        if entry is not None:
            self.page.saved("events", source=self)
        return entry

    def remove(self, entry: int | None) -> None:
        confirming = self._confirm_delete == entry
        super().remove(entry)
        if confirming:
            self.page.saved("events", source=self)


# ----------------------------------------------------------------------------- outreach


#: The panel's table wraps its cells rather than cutting them short.
_REACH_CSS = (
    "<style>.tk-forms .tk-reach table.tk-entries td, .tk-forms .tk-reach table.tk-entries th "
    "{ max-width: none; white-space: normal; } .tk-forms .tk-reach p { margin: 6px 0; "
    "line-height: 1.35; }</style>"
)


def _percent(value: float) -> str:
    return f"{value:.0%}"


def reach_html(frame: pd.DataFrame) -> str:
    """The ``participation`` analysis as a compact panel: each group's response rate
    (lowest first, with its likely range), the groups nobody has asked, and the groups
    whose answers are fewer than their share of the population.
    """
    from toolkit.participation import _EVERY_CHANNEL, _EVERYONE

    rates = frame[(frame["part"] == "response rate") & (frame["channel"] == _EVERY_CHANNEL)]
    groups = rates[rates["segment"] != _EVERYONE].sort_values(["rate", "segment"])
    everyone = rates[rates["segment"] == _EVERYONE]
    parts = [_REACH_CSS, "<h4>Who has answered</h4>"]
    # Who has not been reached comes first: it is what the planner acts on.
    never = frame[frame["part"] == "not reached"]
    if len(never):
        names = ", ".join(str(s) for s in never["segment"])
        parts.append(f"<p><strong>Not asked yet:</strong> {html.escape(names)}.</p>")
    elif not groups.empty:
        parts.append("<p>Every customer group we know of has been asked or heard from.</p>")
    mix = frame[frame["part"] == "mix"]
    under = mix[mix["verdict"] == "under-represented"]["segment"]
    if len(under):
        parts.append(
            "<p><strong>Fewer answers than their share of the population:</strong> "
            f"{html.escape(', '.join(map(str, under)))}.</p>"
        )
    if groups.empty:
        parts.append(
            _echo(
                "No response rate yet: it shows once an outreach says how many people were "
                "invited and how many answered."
            )
        )
    else:
        rows = []
        for r in [*groups.to_dict("records"), *everyone.to_dict("records")]:
            known = pd.notna(r["rate"])
            rate = _percent(r["rate"]) if known else "no one invited"
            likely = f"{r['ci_low'] * 100:.0f}–{_percent(r['ci_high'])}" if known else ""
            name = "Everyone" if r["segment"] == _EVERYONE else str(r["segment"])
            rows.append(
                f"<tr><td>{html.escape(name)}</td><td>{int(r['responses']):,} of "
                f"{int(r['invited']):,}</td><td>{rate}</td><td>{likely}</td></tr>"
            )
        parts.append(
            '<div class="tk-scroll"><table class="tk-entries"><thead><tr><th>Customer group'
            "</th><th>Answered</th><th>Rate</th><th>Likely between</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table></div>"
        )
    parts.append(_echo("An open link with no number invited has no rate and is not counted here."))
    return "".join(parts)


class OutreachForm(EntryForm):
    """The "Who we asked" tab: one invitation, session or round, with who has answered
    (the ``participation`` analysis) beside it.
    """

    reworded = {MORE_THAN_INVITED: MORE_ANSWERS_THAN_INVITED}

    def __init__(self, page):
        self.reach = w.HTML()
        super().__init__(page, FORMS["outreach"])
        # The form and, beside it (below it on a narrow screen), who has answered; the list
        # of entries under both.
        parts = list(self.root.children)
        split = parts.index(self.status) + 1
        form = w.VBox(parts[:split], layout=w.Layout(flex="1 1 620px", min_width="0"))
        side = w.VBox([self.reach], layout=w.Layout(flex="1 1 380px", max_width="520px"))
        side.add_class("tk-reach")
        top = w.HBox([form, side], layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        self.root.children = [top, *parts[split:]]
        self.refresh_reach()

    def refresh_reach(self) -> None:
        """Run the ``participation`` analysis again and show who has answered."""
        from toolkit.catalog import run_analysis

        try:
            frame = run_analysis(self.engagement, "participation")
        except ToolkitError as err:
            self.reach.value = _echo(f"Who has answered cannot be shown now: {err}")
            return
        self.reach.value = reach_html(frame)

    def _elsewhere(self, table: str) -> None:
        super()._elsewhere(table)
        if table in ("outreach", "stated_needs", "customers", "assumed_needs"):
            self.refresh_reach()

    def submit(self) -> int | None:
        entry = super().submit()
        if entry is not None:
            self.refresh_reach()
        return entry

    def remove(self, entry: int | None) -> None:
        confirming = self._confirm_delete == entry
        super().remove(entry)
        if confirming:
            self.refresh_reach()
