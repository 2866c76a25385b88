"""The forms' customer-groups tab: map the labels rows carry to the engagement's segments.

The same crosswalk as ``service-toolkit segments`` (:meth:`toolkit.store.Engagement.
segment_summary`, ``alias_segment``, ``remove_segment_alias``): each label no segment
knows yet is listed with the segment it looks like chosen, a Map button, and each alias
with an Undo button. A change applies to every row carrying the label, past imports too.
"""

from __future__ import annotations

import html

import ipywidgets as w

from toolkit.errors import DataValidationError

__all__ = ["SegmentsTab"]

_KEEP = "(keep it as a group of its own)"


def _echo(text: str) -> str:
    return f'<span class="tk-echo">{html.escape(text)}</span>' if text else ""


class SegmentsTab:
    """The customer-groups tab of the planner forms.

    Parameters
    ----------
    page : toolkit.forms.app.Page
        The shared page: its engagement, and who to tell of a change (every table with a
        segment is redrawn, as after a save).
    """

    def __init__(self, page):
        self.page = page
        self.engagement = page.engagement
        self.status = w.HTML()
        self.rows = w.VBox()
        self.root = w.VBox(
            [
                w.HTML(
                    "<h3>Customer groups</h3><p>The same people often arrive under several "
                    "labels (a survey's own wording, a typo in a form). Map each label to the "
                    "group it belongs to: every table, chart and report then counts it there, "
                    "past imports too. Undo puts a label back on its own.</p>"
                ),
                self.status,
                self.rows,
            ]
        )
        self.root.add_class("tk-form")
        self.root.add_class("tk-form-segments")
        page.listen(self._elsewhere)
        self.refresh()

    def _elsewhere(self, table: str) -> None:
        if table in ("customers", "assumed_needs", "stated_needs", "responses", "events"):
            self.refresh()

    def refresh(self) -> None:
        summary = self.engagement.segment_summary()
        walk = self.engagement.crosswalk()
        groups = self.engagement.segments()
        children = []
        unmapped = summary[summary["mapped"] == "unmapped"]
        if not unmapped.empty:
            children.append(w.HTML("<h4>Labels not in a group yet</h4>"))
        for label in unmapped["label"]:
            looks = walk.suggest(label, also=groups)
            choices = [(_KEEP, label)] + [(g, g) for g in groups if g != label]
            choice = w.Dropdown(
                options=choices,
                value=looks[0][0] if looks else label,
                description="Group",
                style={"description_width": "50px"},
                layout=w.Layout(width="320px"),
            )
            button = w.Button(description="Map", button_style="primary")
            button.on_click(lambda _, lab=label, c=choice: self.map(lab, c.value))
            hint = f"looks like {looks[0][0]} (score {looks[0][1]})" if looks else ""
            children.append(
                w.HBox(
                    [
                        w.HTML(
                            f"<div style='width:360px'>“{html.escape(label)}” {_echo(hint)}</div>"
                        ),
                        choice,
                        button,
                    ]
                )
            )
        aliases = summary[summary["mapped"] == "alias"]
        if not aliases.empty:
            children.append(w.HTML("<h4>Labels counted in a group</h4>"))
        for row in aliases.itertuples():
            undo = w.Button(description="Undo")
            undo.on_click(lambda _, lab=row.label: self.undo(lab))
            words = f"“{html.escape(row.label)}” counts as {html.escape(row.segment)}"
            children.append(w.HBox([w.HTML(f"<div style='width:520px'>{words}</div>"), undo]))
        if not children:
            children.append(w.HTML(_echo("Every label is one of the engagement's groups.")))
        self.rows.children = children

    def _done(self, text: str) -> None:
        self.status.value = f'<span role="status" class="tk-ok">{html.escape(text)}</span>'
        self.page.saved("stated_needs")  # redraws the chart and this list

    def _failed(self, err: DataValidationError) -> None:
        self.status.value = f'<span role="alert" class="tk-alert">{html.escape(str(err))}</span>'

    def map(self, label: str, segment: str) -> None:
        """Count ``label`` in ``segment`` (itself: keep it as a group of its own)."""
        try:
            done = self.engagement.alias_segment(label, segment)
        except DataValidationError as err:
            self._failed(err)
            return
        self._done(f"“{done['label']}” now counts as {done['segment']}.")

    def undo(self, label: str) -> None:
        """Take ``label``'s alias away: its rows are a group of their own again."""
        try:
            done = self.engagement.remove_segment_alias(label)
        except DataValidationError as err:
            self._failed(err)
            return
        self._done(f"“{done['label']}” is a group of its own again.")
