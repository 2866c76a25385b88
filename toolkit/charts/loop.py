"""Altair builders for closing the loop, computing nothing.

``needs_trend_chart``
    :func:`toolkit.loop.needs_trend`: small multiples, one panel per need, its customer
    share in each period with its interval, and each clear rise or fall from the period
    before marked by shape and colour.

Like every chart builder, it draws only the analysis rows it is given (one per need per
period) and carries the n and interval of each point in its tooltip.
"""

from __future__ import annotations

import math
import textwrap

import altair as alt
import pandas as pd

from toolkit._validate import check_positive_int, require_columns
from toolkit._words import level_words, pct, pct_range, points
from toolkit.charts._common import INK, MUTED, tips, wrapped_lines
from toolkit.charts.theme import BLUE, VERMILLION

__all__ = ["needs_trend_chart", "trend_needs"]

_TREND_COLUMNS = (
    "period",
    "period_start",
    "code",
    "label",
    "customer_n",
    "customer_total",
    "customer_share",
    "customer_ci_low",
    "customer_ci_high",
    "suppressed",
    "top",
    "change",
    "confidence",
)

#: How a point is marked: (legend words, shape, colour). A colour always has a shape too.
_MARKS = {
    "up": ("Clear rise since the period before", "triangle-up", BLUE),
    "down": ("Clear fall since the period before", "triangle-down", VERMILLION),
    "same": ("No clear change, or the first period", "circle", "#777777"),
}
_PANEL_WIDTH = 190
_TITLE_WIDTH = 26  # characters of a need's name on one line above its panel
_PANEL_HEIGHT = 120


def trend_needs(trend: pd.DataFrame, since_first: pd.DataFrame | None = None, *, top: int = 6):
    """The needs worth a panel, in order: each period's most named need, then the needs
    that changed clearly (since the period before, or since the first period), largest
    change first, then the most named; at most ``top``.
    """
    check_positive_int(top, name="top")
    shown = trend[~trend["suppressed"].astype(bool)]
    tops = list(dict.fromkeys(shown.loc[shown["top"].astype(bool), "code"]))
    moved = shown[shown["change"].isin(["up", "down"])]
    size = moved.assign(_d=moved["difference"].abs()).groupby("code")["_d"].max()
    if since_first is not None and len(since_first):
        clear = since_first[since_first["change"].isin(["up", "down"])]
        size = pd.concat([size, clear.set_index("code")["difference"].abs()]).groupby(level=0).max()
    changed = [c for c in size.sort_values(ascending=False, kind="stable").index if c not in tops]
    named = shown.groupby("code")["customer_share"].max().sort_values(ascending=False)
    rest = [c for c in named.index if c not in tops and c not in changed]
    return (tops + changed + rest)[:top]


def _since_first_words(since_first: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    """Each clearly moved need's words under its name, and their colour."""
    if since_first is None or since_first.empty:
        return {}
    out = {}
    for r in since_first[since_first["change"].isin(["up", "down"])].itertuples():
        arrow = "▲" if r.change == "up" else "▼"
        out[r.code] = (
            f"{arrow} {points(r.difference)} points since {r.first_period}",
            _MARKS[r.change][2],
        )
    return out


def _panel_title(label: str, moved: tuple[str, str] | None, lines: int) -> alt.Title:
    """The need's name (wrapped to ``lines`` lines, short ones padded in front so every
    panel's plot starts at the same height), and under it a clear change since the first.
    """
    words = textwrap.wrap(str(label), _TITLE_WIDTH) or [""]
    return alt.Title(
        [""] * (lines - len(words)) + words,
        subtitle=moved[0] if moved else "",
        subtitleColor=moved[1] if moved else MUTED,
        subtitleFontWeight="bold",
        subtitleFontSize=11,
        fontSize=13,
        anchor="start",
    )


def needs_trend_chart(
    trend: pd.DataFrame,
    since_first: pd.DataFrame | None = None,
    *,
    codes: list | None = None,
    columns: int = 3,
    title: str = "Needs over time",
) -> alt.ConcatChart:
    """One small panel per need: its customer share per period with its interval.

    Parameters
    ----------
    trend : DataFrame
        :func:`toolkit.loop.needs_trend`.
    since_first : DataFrame, optional
        :func:`toolkit.loop.needs_since_first`: a need whose latest share is clearly
        above or below its first says so under its name.
    codes : list, optional
        The needs to draw, in order (default: :func:`trend_needs`).
    columns : int
        Panels per row.
    title : str
        The chart's title.

    Returns
    -------
    alt.ConcatChart
        Panels on one share scale. A point is a triangle up (blue) where the share rose
        clearly from the period before, down (vermillion) where it fell clearly, else a
        grey circle; the bar through it is its interval. Suppressed periods are left out.
    """
    require_columns(trend, _TREND_COLUMNS, name="trend")
    codes = list(codes) if codes is not None else trend_needs(trend, since_first)
    shown = trend[~trend["suppressed"].astype(bool) & trend["code"].isin(codes)].copy()
    order = list(dict.fromkeys(shown.sort_values("period_start", kind="stable")["period"]))
    level = level_words(trend["confidence"].iloc[0]) if len(trend) else "95%"
    shown["mark"] = shown["change"].where(shown["change"].isin(["up", "down"]), "same")
    shown["said"] = [
        f"{pct(r.customer_share)} of {r.customer_total:,} customers "
        f"({level} interval {pct_range(r.customer_ci_low, r.customer_ci_high)})"
        for r in shown.itertuples()
    ]
    shown["verdict"] = shown["mark"].map({k: v[0] for k, v in _MARKS.items()})
    data = shown[
        ["period", "code", "label", "customer_share", "customer_ci_low", "customer_ci_high"]
        + ["mark", "said", "verdict"]
    ].astype({"period": str, "label": str})
    high = float(shown["customer_ci_high"].max()) if len(shown) else 1.0
    domain = [0, min(1.0, math.ceil(high * 10) / 10 or 0.1)]
    # Two lines a label ("2024" over "spring"), so three periods fit a panel's width.
    x = alt.X(
        field="period",
        type="ordinal",
        sort=order,
        title=None,
        axis=alt.Axis(
            labelAngle=0,
            labelOverlap="greedy",
            labelExpr="split(datum.label, ' ')",
            labelLineHeight=13,
        ),
        scale=alt.Scale(padding=0.4),
    )
    y_scale = alt.Scale(domain=domain)
    y_axis = alt.Axis(format="%", tickCount=4)
    y = alt.Y(
        field="customer_share",
        type="quantitative",
        title=None,
        scale=y_scale,
        axis=y_axis,
    )
    shape = alt.Shape(
        field="mark",
        type="nominal",
        scale=alt.Scale(domain=list(_MARKS), range=[m[1] for m in _MARKS.values()]),
        legend=None,  # the subtitle says what a triangle means
    )
    colour = alt.Color(
        field="mark",
        type="nominal",
        scale=alt.Scale(domain=list(_MARKS), range=[m[2] for m in _MARKS.values()]),
        legend=None,
    )
    tooltip = tips(
        ("label", "Need"), ("period", "Period"), ("said", "Named by"), ("verdict", "Change")
    )
    moved = _since_first_words(since_first)
    lines = max((len(textwrap.wrap(str(x), _TITLE_WIDTH)) for x in data["label"]), default=1)
    panels = []
    for code in codes:
        rows = data[data["code"] == code]
        if rows.empty:
            continue
        base = alt.Chart(rows)
        layers = [
            base.mark_rule(color=MUTED, strokeWidth=1.5).encode(
                x=x,
                y=alt.Y(
                    field="customer_ci_low",
                    type="quantitative",
                    scale=y_scale,
                    title=None,
                    axis=y_axis,
                ),
                y2=alt.Y2(field="customer_ci_high"),
                tooltip=tooltip,
            ),
            base.mark_line(color=INK, strokeWidth=1.5).encode(x=x, y=y),
            base.mark_point(filled=True, size=90, opacity=1).encode(
                x=x, y=y, shape=shape, color=colour, tooltip=tooltip
            ),
        ]
        panels.append(
            alt.layer(*layers).properties(
                width=_PANEL_WIDTH,
                height=_PANEL_HEIGHT,
                title=_panel_title(rows["label"].iloc[0], moved.get(code), lines),
            )
        )
    subtitle = wrapped_lines(
        [
            f"Share of the customers heard in each period who named the need; the bar is its "
            f"{level} interval. A triangle marks a clear rise (▲, blue) or fall (▼, "
            "vermillion) from the period before; under a need's name, a clear change from the "
            "first period to the latest. Clear: the interval of the change leaves out zero."
        ],
        95,
    )
    described = ", ".join(
        str(shown.loc[shown["code"] == c, "label"].iloc[0])
        for c in codes
        if (shown["code"] == c).any()
    )
    return (
        alt.concat(*panels, columns=columns, spacing=36)
        .properties(
            title=alt.Title(title, subtitle=subtitle, anchor="start"),
            description=(
                f"Small multiples of {len(panels)} needs' customer shares over {len(order)} "
                f"periods ({', '.join(order)}), with {level} intervals: {described}."
            ),
        )
        .resolve_scale(shape="shared", color="shared")
    )
