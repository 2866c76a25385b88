"""Coding statements by hand, and the live count of needs the forms page shows."""

from __future__ import annotations

import html

import altair as alt
import ipywidgets as w
import pandas as pd

from toolkit.errors import DataValidationError
from toolkit.store import Engagement

__all__ = [
    "CodingTab",
    "uncoded_statements",
    "file_statements",
    "review_statements",
    "confirm_statements",
    "needs_by_segment",
    "needs_by_segment_chart",
]


def uncoded_statements(engagement: Engagement) -> pd.DataFrame:
    """Statements the codebook places under no need, most frequent first.

    Returns
    -------
    DataFrame
        ``need`` (the words as written), ``times`` (how often), ``lists`` ("staff",
        "customers" or both).
    """
    from toolkit.catalog import coded_needs

    tables = engagement.read_tables(["codebook", "assumed_needs", "stated_needs"])
    assumed, stated = coded_needs(tables, warn=False)
    both = pd.concat(
        [
            assumed.loc[assumed["code"].isna(), ["need"]].assign(list="staff"),
            stated.loc[stated["code"].isna(), ["need"]].assign(list="customers"),
        ],
        ignore_index=True,
    )
    if both.empty:
        return pd.DataFrame(columns=["need", "times", "lists"])
    grouped = both.groupby("need", sort=False).agg(
        times=("list", "size"), lists=("list", lambda s: " and ".join(sorted(set(s), reverse=True)))
    )
    return (
        grouped.reset_index()
        .sort_values(["times", "need"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )


def file_statements(engagement: Engagement, need: str, code: str) -> int:
    """File every uncoded statement with exactly these words under ``code`` (one transaction).

    The code is recorded as set by a person, so later coding never changes it.

    Returns
    -------
    int
        How many statements (staff and customers) were filed.
    """
    return engagement.code_statements(need, code)


def review_statements(engagement: Engagement) -> pd.DataFrame:
    """The automatic codes waiting for a person (the ``coding-review`` table)."""
    from toolkit.catalog import review_queue

    return review_queue(engagement)


def confirm_statements(engagement: Engagement, ids, code: str | None = None) -> int:
    """Make the proposed code of statements ``ids`` a person's (or file them under
    ``code`` instead), with every statement of the same words no person has coded.

    Returns
    -------
    int
        How many statements were filed.
    """
    from toolkit.catalog import proposed_codes
    from toolkit.store import statement_key

    codes = proposed_codes(engagement, ids) if code is None else {}
    if code is not None:
        codes = {statement_key(i): code for i in ids}
    return engagement.set_codes(codes)


def needs_by_segment(engagement: Engagement) -> pd.DataFrame:
    """Needs recorded per customer group: ``segment``, ``list`` (staff/customers), ``n``."""
    tables = engagement.read_tables(["assumed_needs", "stated_needs"])
    parts = []
    for name, who in (("assumed_needs", "Staff assumed"), ("stated_needs", "Customers stated")):
        frame = tables[name]
        segment = frame["segment"].fillna("(no group)").astype(str)
        counts = segment.value_counts().rename_axis("segment").reset_index(name="n")
        parts.append(counts.assign(list=who))
    return pd.concat(parts, ignore_index=True)


def needs_by_segment_chart(engagement: Engagement) -> alt.Chart | None:
    """Bars of the needs recorded per customer group, staff and customers side by side.

    None when no need is recorded yet (an empty chart draws nothing useful).
    """
    data = needs_by_segment(engagement)
    total = int(data["n"].sum())
    if total == 0:
        return None
    biggest = data.groupby("segment")["n"].sum().nlargest(8).index
    left_out = data["segment"].nunique() - len(biggest)
    data = data[data["segment"].isin(biggest)]
    subtitle = f"{total:,} in all, by customer group" + (
        f" (the 8 largest groups; {left_out} more not shown)" if left_out > 0 else ""
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y(
                field="segment",
                type="nominal",
                title=None,
                sort="-x",
                axis=alt.Axis(labelLimit=220),
            ),
            x=alt.X(field="n", type="quantitative", title="Needs recorded"),
            color=alt.Color(
                field="list", type="nominal", title=None, legend=alt.Legend(orient="bottom")
            ),
            yOffset=alt.YOffset(field="list", type="nominal"),
            tooltip=[
                alt.Tooltip(field="segment", type="nominal", title="Customer group"),
                alt.Tooltip(field="list", type="nominal", title="List"),
                alt.Tooltip(field="n", type="quantitative", title="Needs"),
            ],
        )
        .properties(
            width=380,
            height=alt.Step(30),
            title=alt.Title("Needs recorded so far", subtitle=subtitle),
            description=f"Bar chart of {total} needs recorded, by customer group and list.",
        )
    )


class CodingTab:
    """Statements no code matched: file each under a codebook entry, or add an entry."""

    def __init__(self, page):
        from toolkit.forms.app import EntryForm, FormField, FormSpec

        self.page = page
        self.engagement = page.engagement
        self.status = w.HTML()
        self.rows = w.VBox()
        self.review = w.VBox()
        self.codebook_form = EntryForm(
            page,
            FormSpec(
                "codebook",
                "Add a need to the codebook",
                "codebook",
                (
                    FormField(
                        "code",
                        "Code",
                        required=True,
                        help="A short name without spaces, such as perishable_food.",
                    ),
                    FormField(
                        "label", "Label", required=True, help="How the need reads in reports."
                    ),
                    FormField("theme", "Theme", help="A broader heading, such as Food."),
                    FormField(
                        "keywords",
                        "Keywords",
                        help="Words and phrases that mean this need, separated by ; (milk; fresh food).",
                    ),
                ),
                intro="When no code fits, add one; then file the statements under it.",
                summary=("code", "label"),
            ),
        )
        self.root = w.VBox(
            [
                w.HTML(
                    "<h3>Code the needs</h3><p>Statements the codebook could not place under "
                    "any need. Choose the need each one belongs to and press File; every "
                    "statement with the same words is filed at once.</p>"
                ),
                self.status,
                self.rows,
                w.HTML(
                    "<h3>Check the automatic codes</h3><p>Codes the toolkit guessed from a "
                    "misspelt word, or from words of several needs. Confirm each, or choose "
                    "the right need and press File.</p>"
                ),
                self.review,
                self.codebook_form.root,
            ]
        )
        self.root.add_class("tk-form")
        self.root.add_class("tk-form-coding")
        page.listen(self._elsewhere)
        self.refresh()

    def _elsewhere(self, table: str) -> None:
        if table in ("codebook", "assumed_needs", "stated_needs"):
            self.refresh()

    def uncoded(self) -> pd.DataFrame:
        return uncoded_statements(self.engagement)

    def refresh(self) -> None:
        table = self.uncoded()
        codebook = self.engagement.table("codebook")
        options = [("— choose a need —", None)] + [
            (f"{label} ({code})", code)
            for code, label in sorted(
                zip(codebook["code"], codebook["label"], strict=True), key=lambda x: str(x[1])
            )
        ]
        children = []
        if table.empty:
            children.append(w.HTML(_echo("Every statement is coded.")))
        for row in table.head(30).itertuples(index=False):
            choice = w.Dropdown(
                options=options,
                value=None,
                layout=w.Layout(width="320px"),
                description="Need",
                style={"description_width": "50px"},
            )
            button = w.Button(description="File", disabled=True, button_style="primary")
            choice.observe(
                lambda change, b=button: setattr(b, "disabled", change["new"] is None),
                names="value",
            )
            button.on_click(lambda _, text=row.need, c=choice: self.file(text, c.value))
            said = html.escape(str(row.need))
            children.append(
                w.HBox(
                    [
                        w.HTML(
                            f"<div style='width:360px'>“{said}” <span class='tk-echo'>"
                            f"({row.times}× · {html.escape(row.lists)})</span></div>"
                        ),
                        choice,
                        button,
                    ]
                )
            )
        if len(table) > 30:
            children.append(w.HTML(_echo(f"The 30 most frequent of {len(table)} are shown.")))
        self.rows.children = children
        self.review.children = self._review_rows(options)

    def _review_rows(self, options) -> list:
        """One row per automatic code waiting for a person: Confirm, or File elsewhere."""
        queue = review_statements(self.engagement)
        if queue.empty:
            return [w.HTML(_echo("No automatic code waits for a check."))]
        rows = []
        for row in queue.head(30).itertuples(index=False):
            confirm = w.Button(description="Confirm", button_style="success")
            confirm.on_click(lambda _, i=row.id: self.confirm(i))
            choice = w.Dropdown(options=options, value=None, layout=w.Layout(width="260px"))
            other = w.Button(description="File", disabled=True)
            choice.observe(
                lambda change, b=other: setattr(b, "disabled", change["new"] is None),
                names="value",
            )
            other.on_click(lambda _, i=row.id, c=choice: self.confirm(i, c.value))
            said, code = html.escape(str(row.statement)), html.escape(str(row.proposed_code))
            rows.append(
                w.HBox(
                    [
                        w.HTML(
                            f"<div style='width:360px'>“{said}” → <b>{code}</b> <span "
                            f"class='tk-echo'>({row.statements}× · {html.escape(row.kind)} "
                            f"{row.score:.2f})</span></div>"
                        ),
                        confirm,
                        choice,
                        other,
                    ]
                )
            )
        if len(queue) > 30:
            rows.append(w.HTML(_echo(f"The 30 most frequent of {len(queue)} are shown.")))
        return rows

    def confirm(self, statement: str, code: str | None = None) -> None:
        """Confirm a statement's proposed code, or file it under ``code``."""
        self._coded(confirm_statements, [statement], code, "Filed" if code else "Confirmed", "")

    def file(self, text: str, code: str | None) -> None:
        if code is None:
            return
        self._coded(file_statements, text, code, "Filed", f" under {html.escape(code)}")

    def _coded(self, action, statements, code: str | None, verb: str, where: str) -> None:
        """Run a coding ``action`` on the store; say how many statements it coded, or why not."""
        try:
            count = action(self.engagement, statements, code)
        except DataValidationError as err:
            self.status.value = _alert(str(err))
            return
        self.status.value = (
            f'<span role="status" class="tk-ok">{verb} {count} '
            f"statement{'s' if count != 1 else ''}{where}.</span>"
        )
        self.page.saved("stated_needs")


def _alert(text: str) -> str:
    return f'<span role="alert" class="tk-alert">{html.escape(text)}</span>' if text else ""


def _echo(text: str) -> str:
    return f'<span class="tk-echo">{html.escape(text)}</span>' if text else ""
