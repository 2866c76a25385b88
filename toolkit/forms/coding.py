"""Coding statements by hand, and the live count of needs the forms page shows."""

from __future__ import annotations

import altair as alt
import pandas as pd

from toolkit.store import Engagement

__all__ = [
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
    """Needs recorded per customer group: ``segment``, ``list`` (staff/customers), ``n``.

    Counted in SQL (:meth:`toolkit.store.Engagement.segment_counts`): no table is read.
    """
    counts = engagement.segment_counts(["assumed_needs", "stated_needs"])
    who = {"assumed_needs": "Staff assumed", "stated_needs": "Customers stated"}
    out = pd.DataFrame(
        {
            "segment": counts["segment"].fillna("(no group)").astype(str),
            "n": counts["n"].astype(int),
            "list": counts["table"].map(who),
        }
    )
    out = out.groupby(["list", "segment"], sort=False, as_index=False)["n"].sum()
    return out.sort_values(["list", "n"], ascending=[False, False], kind="stable")[
        ["segment", "n", "list"]
    ].reset_index(drop=True)


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
