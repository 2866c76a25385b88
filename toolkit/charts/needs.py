"""Altair builders that draw what the needs analyses return, computing nothing.

``needs_gap_chart``
    Dumbbell chart of :func:`toolkit.needs.needs_gap`: per need, the share of staff who
    assumed it and the share of customers who named it, each with its interval; blind
    spots on top.
``needs_heatmap_chart``
    Need × segment heatmap of one share (or the gap) from ``needs_gap(..., by=...)``.
``rank_slope_chart``
    Slope chart from the staff priority order to the customer priority order.
``importance_performance_chart``
    Importance–performance grid of :func:`toolkit.needs.importance_performance`.

Every builder takes the analysis result first and options as keywords, and returns an
unrendered chart with a title, a ``description`` (read out by screen readers) and
tooltips that carry ``n`` and the interval. The charts hold only the analysis rows they
draw, never raw responses. Sorting, leaving out suppressed rows, ranking for drawing
order and formatting numbers as text are the only work done here; colours come from the
Okabe–Ito palette of :mod:`toolkit.charts.theme` and every colour has a second cue (shape, line
style, weight or words).
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from toolkit._validate import check_choice, check_positive_int, require_columns
from toolkit._words import (
    count_of_words,
    count_words,
    gap_words,
    is_missing,
    level_words,
    list_words,
    mean_words,
    pct,
    points,
    share_words,
)
from toolkit.charts._common import (
    INK,
    MUTED,
    corner_names,
    crosshairs,
    flag,
    grid_axes,
    js,
    tips,
    wrap_labels,
    wrapped_lines,
)
from toolkit.charts._layout import FIXED_SPOTS, place_labels
from toolkit.charts.theme import BLUE, GREEN, VERMILLION
from toolkit.errors import DataValidationError
from toolkit.needs import IMPORTANCE_PERFORMANCE_COLUMNS, QUADRANTS

__all__ = [
    "importance_performance_chart",
    "needs_gap_chart",
    "needs_heatmap_chart",
    "rank_slope_chart",
]

_SUPPRESSED_FILL = "#e3e3e3"

_STAFF = "Staff assumed"
_CUSTOMERS = "Customers said"
_BLIND_SPOT = "blind spot"
_ASSUMED_ONLY = "assumed only"
_FINDING = {_BLIND_SPOT: "Blind spot", _ASSUMED_ONLY: "Assumed only"}

_GAP_COLUMNS = (
    "code",
    "label",
    "staff_n",
    "staff_total",
    "staff_share",
    "staff_ci_low",
    "staff_ci_high",
    "customer_n",
    "customer_total",
    "customer_share",
    "customer_ci_low",
    "customer_ci_high",
    "gap",
    "gap_ci_low",
    "gap_ci_high",
    "classification",
    "suppressed",
    "confidence",
)

# The chart draws every column of the analysis but its confidence.
_IP_COLUMNS = tuple(
    c for c in IMPORTANCE_PERFORMANCE_COLUMNS if c not in ("confidence", "interval")
)
# The ones drawn as they are: n is said in words, the crosshair and flags hold for all rows.
_IP_DRAWN = tuple(
    c for c in _IP_COLUMNS if c not in ("n", "suppressed") and not c.startswith("crosshair")
)

# Every column needs_gap returns: any other column of a repeated need is a grouping.
_KNOWN_COLUMNS = frozenset(
    (
        *_GAP_COLUMNS,
        *_IP_COLUMNS,
        "theme",
        "customer_effective_n",
        "classification_point",
        "staff_suppressed",
        "priority_threshold",
        "rare_threshold",
        *(
            f"{side}_importance{part}"
            for side in ("staff", "customer")
            for part in ("", "_n", "_ci_low", "_ci_high")
        ),
    )
)

_QUADRANTS = QUADRANTS
# A name tries the sides of its point, then a little further out; a number (for a need
# whose name would crowd) tries right beside its point first.
_NAME_SPOTS = (
    *FIXED_SPOTS,
    ("right", "left", 11, 0),
    ("left", "right", -11, 0),
    *((f"{name}-far", align, dx * 2, dy * 2) for name, align, dx, dy in FIXED_SPOTS),
)
_NUMBER_SPOTS = (
    ("right-near", "left", 8, 0),
    ("left-near", "right", -8, 0),
    ("above-near", "center", 0, -12),
    ("below-near", "center", 0, 12),
    *_NAME_SPOTS,
    *((f"{name}-far3", align, dx * 3, dy * 3) for name, align, dx, dy in FIXED_SPOTS),
)
# The quadrants in the order their needs get a label (the rest are numbered).
_LABEL_ORDER = (QUADRANTS[0], QUADRANTS[1], QUADRANTS[3], QUADRANTS[2])
_QUADRANT_COLOURS = (VERMILLION, GREEN, "#777777", BLUE)
_QUADRANT_SHAPES = ("triangle-up", "circle", "square", "diamond")


# --------------------------------------------------------------------------- checks


def _one_row_per_need(data: pd.DataFrame, *, name: str, builder: str) -> None:
    """Raise when ``data`` has several rows for one need (a table made with ``by=``)."""
    repeated = data["code"][data["code"].duplicated()].unique().tolist()
    if not repeated:
        return
    groups = [column for column in data.columns if column not in _KNOWN_COLUMNS]
    message = (
        f"{builder} draws one row per need, but {name} has several rows for "
        f"{list_words([repr(code) for code in repeated[:3]])}."
    )
    if groups:
        message += (
            f" It looks grouped by {list_words([repr(c) for c in groups])}: draw one group "
            f"at a time, e.g. {builder}({name}[{name}[{groups[0]!r}] == ...])"
        )
        message += (
            ", or compare groups with needs_heatmap_chart."
            if builder != "importance_performance_chart"
            else "."
        )
    else:
        message += " Keep one row per need code."
    raise DataValidationError(message)


def _first(data: pd.DataFrame, column: str, default=None):
    values = data[column].dropna() if column in data else pd.Series(dtype=object)
    return values.iloc[0] if len(values) else default


# --------------------------------------------------------------------------- needs gap


def needs_gap_chart(
    gap: pd.DataFrame, *, top: int | None = None, title: str | None = None
) -> alt.LayerChart:
    """Dumbbell chart: what staff assumed against what customers said, need by need.

    Parameters
    ----------
    gap : DataFrame
        The result of :func:`toolkit.needs.needs_gap` for one group: one row per need
        with ``code``, ``label``, ``staff_n``, ``staff_total``, ``staff_share``,
        ``staff_ci_low``, ``staff_ci_high``, the same five ``customer_*`` columns,
        ``gap``, ``gap_ci_low``, ``gap_ci_high``, ``classification``, ``suppressed``
        and ``confidence``. A table made with ``by=`` has several rows per need: pick one
        group first, or draw :func:`needs_heatmap_chart`.
    top : int, optional
        Show only the ``top`` needs with the largest gap either way (``|gap|``).
    title : str, optional
        Chart title; by default "What customers need and what staff assumed".

    Returns
    -------
    alt.LayerChart
        One row per need (its label on the y axis), sorted by gap: the need customers
        name most above what staff assumed on top, needs only staff assumed at the
        bottom. A blue circle marks the share of staff who assumed the need and a
        vermillion diamond the share of customers who named it, joined by a grey rule;
        a thin line of the same colour just above (staff) or below (customers) each
        point spans its interval. Blind spots and assumed-only needs get a bold label,
        a thicker joining rule and the words "Blind spot" / "Assumed only" at the right
        edge. Tooltips give both shares with their intervals, n of total for each,
        the gap in percentage points with its interval, and the classification.

    Raises
    ------
    DataValidationError
        If a column is missing, ``top`` is not a whole number of at least 1, or the
        table has several rows for one need.

    Notes
    -----
    Suppressed rows (too few customers) and rows without both shares are **left out**;
    the subtitle and the description say how many. The x axis always runs from 0 % to
    100 % so that charts for different groups compare at a glance.

    Examples
    --------
    >>> import pandas as pd
    >>> gap = pd.DataFrame({
    ...     "code": ["milk", "pantry"],
    ...     "label": ["Milk and perishable food", "Another food pantry"],
    ...     "staff_n": [0, 18], "staff_total": [20, 20],
    ...     "staff_share": [0.0, 0.9], "staff_ci_low": [0.0, 0.7],
    ...     "staff_ci_high": [0.16, 0.97],
    ...     "customer_n": [48, 8], "customer_total": [80, 80],
    ...     "customer_share": [0.6, 0.1], "customer_ci_low": [0.49, 0.05],
    ...     "customer_ci_high": [0.7, 0.19],
    ...     "gap": [0.6, -0.8], "gap_ci_low": [0.43, -0.89], "gap_ci_high": [0.7, -0.6],
    ...     "classification": ["blind spot", "assumed only"],
    ...     "suppressed": [False, False], "confidence": [0.95, 0.95],
    ... })
    >>> spec = needs_gap_chart(gap).to_dict()
    >>> spec["description"].split(". ")[0]
    'Dumbbell chart of 2 needs'
    >>> spec["layer"][0]["encoding"]["y"]["sort"]
    ['Milk and perishable food', 'Another food pantry']
    """
    require_columns(gap, _GAP_COLUMNS, name="gap")
    _one_row_per_need(gap, name="gap", builder="needs_gap_chart")
    if top is not None:
        top = check_positive_int(top, name="top")

    usable = gap[~flag(gap["suppressed"]) & gap["staff_share"].notna()]
    usable = usable[usable["customer_share"].notna()]
    left_out = len(gap) - len(usable)
    if top is not None and top < len(usable):
        order = usable["gap"].abs().sort_values(ascending=False, kind="stable")
        usable = usable.loc[order.index[:top]]
    usable = usable.sort_values(["gap", "label"], ascending=[False, True], kind="stable")

    data = usable[
        [
            "code",
            "label",
            "classification",
            "staff_share",
            "staff_ci_low",
            "staff_ci_high",
            "customer_share",
            "customer_ci_low",
            "customer_ci_high",
        ]
    ].copy()
    rows = list(usable.itertuples(index=False))
    data["finding"] = [_FINDING.get(str(r.classification), "") for r in rows]
    data["kind"] = [
        "" if is_missing(r.classification) else str(r.classification).capitalize() for r in rows
    ]
    data["staff_said"] = [
        share_words(r.staff_share, r.staff_ci_low, r.staff_ci_high, r.confidence) for r in rows
    ]
    data["staff_count"] = [count_of_words(r.staff_n, r.staff_total, "staff") for r in rows]
    data["customers_said"] = [
        share_words(r.customer_share, r.customer_ci_low, r.customer_ci_high, r.confidence)
        for r in rows
    ]
    data["customer_count"] = [
        count_of_words(r.customer_n, r.customer_total, "customers") for r in rows
    ]
    data["gap_said"] = [gap_words(r.gap, r.gap_ci_low, r.gap_ci_high, r.confidence) for r in rows]

    labels = data["label"].astype(str).tolist()
    blind = data.loc[data["finding"] == "Blind spot", "label"].astype(str).tolist()
    assumed = data.loc[data["finding"] == "Assumed only", "label"].astype(str).tolist()
    flagged = blind + assumed
    level = level_words(_first(gap, "confidence", 0.95))

    tooltip = tips(
        ("label", "Need"),
        ("kind", "Finding"),
        ("customers_said", _CUSTOMERS),
        ("customer_count", "Customers naming it"),
        ("staff_said", _STAFF),
        ("staff_count", "Staff naming it"),
        ("gap_said", "Gap (customers − staff)"),
    )
    y = alt.Y(
        field="label",
        type="nominal",
        sort=labels,
        title=None,
        axis=alt.Axis(
            # Room for the longest name in bold (about 8.6 pixels a character): never cut.
            labelLimit=min(640, max(260, 9 * max((len(t) for t in labels), default=0) + 10)),
            labelFontSize=13,
            labelPadding=8,
            ticks=False,
            domain=False,
            labelFontWeight=alt.condition(
                f"indexof({js(flagged)}, datum.value) >= 0",
                alt.value("bold"),
                alt.value("normal"),
            ),
        ),
    )

    def x(field: str) -> alt.X:
        return alt.X(
            field=field,
            type="quantitative",
            title="Share naming this need",
            scale=alt.Scale(domain=[0, 1], nice=False, clamp=True),
            axis=alt.Axis(format="%", tickCount=5, titlePadding=10, labelFontSize=12),
        )

    who_domain = [_STAFF, _CUSTOMERS]
    colour = alt.Color(
        field="who",
        type="nominal",
        scale=alt.Scale(domain=who_domain, range=[BLUE, VERMILLION]),
        legend=alt.Legend(title=None, orient="top", symbolSize=140, labelFontSize=13),
    )
    shape = alt.Shape(
        field="who",
        type="nominal",
        scale=alt.Scale(domain=who_domain, range=["circle", "diamond"]),
        legend=alt.Legend(title=None, orient="top", symbolSize=140, labelFontSize=13),
    )
    emphasised = "datum.finding != ''"
    is_blind = f"datum.finding == {js('Blind spot')}"
    base = alt.Chart()  # the rows come from the layer chart, once

    joining = base.mark_rule(color="#9a9a9a").encode(
        y=y,
        x=x("staff_share"),
        x2=alt.X2(field="customer_share"),
        size=alt.condition(emphasised, alt.value(5), alt.value(2)),
        opacity=alt.condition(emphasised, alt.value(0.75), alt.value(0.5)),
        tooltip=tooltip,
    )
    staff_interval = base.mark_rule(color=BLUE, strokeWidth=2, yOffset=-7).encode(
        y=y, x=x("staff_ci_low"), x2=alt.X2(field="staff_ci_high"), tooltip=tooltip
    )
    customer_interval = base.mark_rule(color=VERMILLION, strokeWidth=2, yOffset=7).encode(
        y=y, x=x("customer_ci_low"), x2=alt.X2(field="customer_ci_high"), tooltip=tooltip
    )
    staff_point = (
        base.transform_calculate(who=js(_STAFF))
        .mark_point(filled=True, opacity=1, size=110, stroke="white", strokeWidth=1)
        .encode(y=y, x=x("staff_share"), color=colour, shape=shape, tooltip=tooltip)
    )
    customer_point = (
        base.transform_calculate(who=js(_CUSTOMERS))
        .mark_point(filled=True, opacity=1, stroke="white", strokeWidth=1)
        .encode(
            y=y,
            x=x("customer_share"),
            color=colour,
            shape=shape,
            size=alt.condition(is_blind, alt.value(230), alt.value(130)),
            tooltip=tooltip,
        )
    )
    band = (
        base.transform_filter(emphasised)
        .mark_rect(opacity=0.09)
        .encode(
            y=y,
            x=alt.X(datum=0, type="quantitative"),
            x2=alt.X2(datum=1),
            color=alt.condition(is_blind, alt.value(VERMILLION), alt.value(BLUE)),
            tooltip=tooltip,
        )
    )
    finding = (
        base.transform_filter(emphasised)
        .mark_text(align="left", baseline="middle", dx=10, fontSize=13, fontWeight="bold")
        .encode(
            y=y,
            x=alt.X(datum=1, type="quantitative"),
            text=alt.Text(field="finding", type="nominal"),
            color=alt.value(INK),
            tooltip=tooltip,
        )
    )

    subtitle = [
        f"Share of staff and of customers naming each need; thin lines show {level} intervals.",
        "Blind spot: customers name it far more often than staff assumed. "
        "Assumed only: the reverse.",
    ]
    shown_note = ""
    if top is not None and len(usable) < len(gap) - left_out:
        shown_note = f"The {len(usable)} needs with the largest gaps, of {len(gap) - left_out}. "
        subtitle.append(shown_note.strip())
    suppressed_note = ""
    if left_out:
        suppressed_note = (
            f"{count_words(left_out, 'need')} left out: too few customer responses to show. "
        )
        subtitle.append(suppressed_note.strip())

    description = (
        f"Dumbbell chart of {count_words(len(data), 'need')}. "
        "For each need, the share of staff who assumed it and the share of customers "
        f"who named it, each with a {level} interval, sorted by the gap between them. "
        f"Blind spots (customers name it far more than staff assumed): {list_words(blind)}. "
        f"Assumed only (staff assumed it, few customers named it): {list_words(assumed)}. "
        + shown_note
        + suppressed_note
    ).strip()

    return (
        alt.layer(
            band,
            joining,
            staff_interval,
            customer_interval,
            staff_point,
            customer_point,
            finding,
            data=data,
        )
        .resolve_scale(color="shared", shape="shared")
        .properties(
            width=400,  # with the need names, narrow enough to print on A4 above 7 pt
            height=alt.Step(38),
            title=alt.Title(
                title or "What customers need and what staff assumed",
                subtitle=subtitle,
                anchor="start",
            ),
            description=description,
        )
    )


# --------------------------------------------------------------------------- heatmap

_HEAT_VALUES = {  # value: (column prefix, title, legend title, subtitle)
    "customer_share": (
        "customer",
        "Share of customers naming each need",
        "Customers naming it",
        "Of the customers in each {group}, the share who named the need.",
    ),
    "staff_share": (
        "staff",
        "Share of staff assuming each need",
        "Staff naming it",
        "Of the staff asked about each {group}, the share who named the need.",
    ),
    "gap": (
        "gap",
        "Gap between what customers said and what staff assumed",
        "Customers − staff",
        "Share of customers naming the need minus share of staff naming it, "
        "in percentage points; orange: customers name it more.",
    ),
}


_HEAT_COLUMN = 84  # pixels per group: "100%" and a 10-character header line fit
# Pixels per need: 13 px words fit, and forty needs stay short enough to print on one
# A4 page at a scale that keeps the words above 7 pt.
_HEAT_ROW = 22


def needs_heatmap_chart(
    gap: pd.DataFrame,
    *,
    by: str = "segment",
    value: str = "customer_share",
    min_n: int | None = None,
) -> alt.LayerChart:
    """Heatmap of one share for every need (rows) and group (columns).

    Parameters
    ----------
    gap : DataFrame
        The result of ``toolkit.needs.needs_gap(..., by=by)``: one row per group and need,
        with the columns :func:`needs_gap_chart` needs plus the group column ``by``.
    by : str, default "segment"
        The group column; its values become the columns of the heatmap, in the order
        they first appear in ``gap``.
    value : {"customer_share", "staff_share", "gap"}, default "customer_share"
        What the cells show: the share of customers naming the need, the share of staff
        assuming it, or the gap between the two (customers − staff).
    min_n : int, optional
        The minimum group size the analysis used; when given, suppressed cells say
        "fewer than {min_n} respondents" in their tooltip.

    Returns
    -------
    alt.LayerChart
        One cell per need and group, coloured on a sequential blue scale (a diverging
        blue–orange scale centred on 0 for the gap) and labelled with its value as text,
        so colour is never the only cue. Needs are ordered by their largest value in any
        group. Suppressed cells (customer groups below the minimum size) are light grey
        with the words "too few" and no number; a staff share is still shown for them.
        Tooltips give the value with its interval and n of total.

    Raises
    ------
    DataValidationError
        If a column is missing or ``value`` is not one of the three choices.

    Examples
    --------
    >>> import pandas as pd
    >>> gap = pd.DataFrame({
    ...     "segment": ["Residents", "Residents", "Business owners", "Business owners"],
    ...     "code": ["milk", "pantry", "milk", "pantry"],
    ...     "label": ["Milk and perishable food", "Another food pantry"] * 2,
    ...     "staff_n": [0, 18, 1, 4], "staff_total": [20] * 4,
    ...     "staff_share": [0.0, 0.9, 0.05, 0.2], "staff_ci_low": [0.0, 0.7, 0.01, 0.08],
    ...     "staff_ci_high": [0.16, 0.97, 0.24, 0.42],
    ...     "customer_n": [48, 8, None, None], "customer_total": [80, 80, None, None],
    ...     "customer_share": [0.6, 0.1, None, None],
    ...     "customer_ci_low": [0.49, 0.05, None, None],
    ...     "customer_ci_high": [0.7, 0.19, None, None],
    ...     "gap": [0.6, -0.8, None, None], "gap_ci_low": [0.43, -0.89, None, None],
    ...     "gap_ci_high": [0.7, -0.6, None, None],
    ...     "classification": ["blind spot", "assumed only", None, None],
    ...     "suppressed": [False, False, True, True], "confidence": [0.95] * 4,
    ... })
    >>> spec = needs_heatmap_chart(gap, min_n=5).to_dict()
    >>> spec["description"].split(". ")[0]
    'Heatmap of the share of customers naming each need, for 2 needs and 2 segments'
    >>> [row["cell_text"] for row in spec["datasets"][spec["data"]["name"]]]
    ['60%', '10%', 'too few', 'too few']
    """
    check_choice(value, tuple(_HEAT_VALUES), name="value")
    if min_n is not None:
        min_n = check_positive_int(min_n, name="min_n")
    require_columns(gap, (*_GAP_COLUMNS, by), name="gap")
    side, title, legend_title, explain = _HEAT_VALUES[value]
    low, high = f"{side}_ci_low", f"{side}_ci_high"

    data = gap[[by, "code", "label", value, low, high]].copy()
    data[by] = data[by].astype(str)
    suppressed = flag(gap["suppressed"]) & (side != "staff")
    data["hidden"] = suppressed | gap[value].isna()
    data.loc[data["hidden"], [value, low, high]] = float("nan")
    rows = list(gap.itertuples(index=False))
    too_few = (
        f"Fewer than {min_n} respondents in this group: not shown"
        if min_n is not None
        else "Too few respondents in this group: not shown"
    )
    values, counts = [], []
    for row, hidden, is_suppressed in zip(rows, data["hidden"], suppressed, strict=True):
        if is_suppressed:
            values.append(too_few)
            counts.append("–")
        elif hidden:
            values.append("No estimate")
            counts.append("–")
        elif side == "gap":
            values.append(gap_words(row.gap, row.gap_ci_low, row.gap_ci_high, row.confidence))
            counts.append(
                count_of_words(row.customer_n, row.customer_total, "customers")
                + "; "
                + count_of_words(row.staff_n, row.staff_total, "staff")
            )
        else:
            values.append(
                share_words(
                    getattr(row, value), getattr(row, low), getattr(row, high), row.confidence
                )
            )
            counts.append(
                count_of_words(
                    getattr(row, f"{side}_n"),
                    getattr(row, f"{side}_total"),
                    "customers" if side == "customer" else "staff",
                )
            )
    data["value_said"] = values
    data["count_said"] = counts
    if side == "gap":
        data["cell_text"] = [
            "too few" if s else ("–" if h else f"{points(v)} pts")
            for v, h, s in zip(data[value], data["hidden"], suppressed, strict=True)
        ]
    else:
        data["cell_text"] = [
            "too few" if s else ("–" if h else pct(v))
            for v, h, s in zip(data[value], data["hidden"], suppressed, strict=True)
        ]

    groups = list(dict.fromkeys(data[by]))
    needs = (
        data.groupby("label", sort=False)[value]
        .max()
        .sort_values(ascending=False, kind="stable", na_position="last")
        .index.astype(str)
        .tolist()
    )
    top_value = float(data[value].abs().max()) if data[value].notna().any() else 1.0
    top_value = min(max(math.ceil(top_value * 10 - 1e-9) / 10, 0.1), 1.0)
    if side == "gap":
        scale = alt.Scale(scheme="blueorange", domain=[-top_value, top_value], domainMid=0)
        legend_labels = "format(datum.value * 100, '+.0f') + ' pts'"
        # White text only on the dark ends: the orange end of the scheme stays light longer.
        cell = f"datum[{js(value)}]"
        dark = f"{cell} < {-top_value * 0.55} || {cell} > {top_value * 0.8}"
    else:
        scale = alt.Scale(scheme="blues", domain=[0, top_value])
        legend_labels = "format(datum.value, '.0%')"
        dark = f"datum[{js(value)}] > {top_value * 0.55}"

    tooltip = tips(
        ("label", "Need"),
        (by, by.replace("_", " ").capitalize()),
        ("value_said", legend_title),
        ("count_said", "Respondents"),
    )
    # Narrow columns (a page's width holds six groups and the need names), so headers
    # wrap at 10 characters.
    header_expr, header_lines = wrap_labels(groups, 10)
    x = alt.X(
        field=by,
        type="nominal",
        sort=groups,
        title=None,
        axis=alt.Axis(
            orient="top",
            labelAngle=0,
            labelFontSize=13,
            labelLimit=_HEAT_COLUMN - 6,
            labelExpr=header_expr,
            labelLineHeight=16,
            labelPadding=6 + 16 * (header_lines - 1),
            ticks=False,
            domain=False,
        ),
    )
    y = alt.Y(
        field="label",
        type="nominal",
        sort=needs,
        title=None,
        axis=alt.Axis(labelLimit=260, labelFontSize=13, ticks=False, domain=False, labelPadding=6),
    )
    base = alt.Chart()  # the rows come from the layer chart, once
    blank = base.mark_rect(fill=_SUPPRESSED_FILL, stroke="white", strokeWidth=2).encode(
        x=x, y=y, tooltip=tooltip
    )
    cells = (
        base.transform_filter("!datum.hidden")
        .mark_rect(stroke="white", strokeWidth=2)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                field=value,
                type="quantitative",
                scale=scale,
                legend=alt.Legend(
                    title=legend_title,
                    labelExpr=legend_labels,
                    orient="top",
                    direction="horizontal",
                    gradientLength=200,
                    labelFontSize=13,
                    titleFontSize=13,
                ),
            ),
            tooltip=tooltip,
        )
    )
    text = (
        base.transform_filter("!datum.hidden")
        .mark_text(fontSize=13, baseline="middle")
        .encode(
            x=x,
            y=y,
            text=alt.Text(field="cell_text", type="nominal"),
            color=alt.condition(dark, alt.value("white"), alt.value(INK)),
            tooltip=tooltip,
        )
    )
    blank_text = (
        base.transform_filter("datum.hidden")
        .mark_text(fontSize=13, baseline="middle", fontStyle="italic", color=MUTED)
        .encode(x=x, y=y, text=alt.Text(field="cell_text", type="nominal"), tooltip=tooltip)
    )

    n_suppressed_groups = data.loc[suppressed, by].nunique()
    group_word = by.replace("_", " ")
    subtitle = [explain.format(group=group_word)]
    note = ""
    if n_suppressed_groups:
        hidden_groups = list_words(list(dict.fromkeys(data.loc[suppressed, by])))
        note = (
            f"Grey cells marked 'too few': {hidden_groups} had "
            + (f"fewer than {min_n} respondents" if min_n is not None else "too few respondents")
            + ", so no number is shown."
        )
        subtitle.append(note)
    description = (
        f"Heatmap of the {title[0].lower() + title[1:]}, for {count_words(len(needs), 'need')} "
        f"and {count_words(len(groups), group_word)}. Rows are needs, columns are "
        f"{group_word}s ({list_words(groups)}); each cell is labelled with its value. " + note
    ).strip()
    return alt.layer(blank, cells, text, blank_text, data=data).properties(
        width=alt.Step(_HEAT_COLUMN),
        height=alt.Step(_HEAT_ROW),
        title=alt.Title(f"{title}, by {group_word}", subtitle=subtitle, anchor="start"),
        description=description,
    )


# --------------------------------------------------------------------------- rank slope

_OTHER = "Other needs"


def _rank_text(rank: float, share: float) -> str:
    """``'#1'``, ``'#2.5'`` (a tie at average rank), or ``'not named'`` for a share of 0."""
    if is_missing(share) or float(share) == 0:
        return "not named"
    return f"#{rank:.0f}" if float(rank).is_integer() else f"#{rank:.1f}"


def _slots(rank: pd.Series, labels: pd.Series, *, top_k: int, outside_start: float) -> pd.Series:
    """Drawing positions: one row per need, in rank order; ranks past ``top_k`` go below.

    Tied needs (equal average rank) take consecutive rows so their labels never overlap;
    within the top ``top_k`` a need's row is its rank with ties broken by label.
    """
    order = pd.DataFrame({"rank": rank, "label": labels.astype(str)}).sort_values(
        ["rank", "label"], kind="stable"
    )
    inside = order["rank"] <= top_k
    slots = pd.Series(index=order.index, dtype=float)
    slots[inside] = range(1, int(inside.sum()) + 1)
    slots[~inside] = [outside_start + i for i in range(int((~inside).sum()))]
    return slots.reindex(rank.index)


def rank_slope_chart(gap: pd.DataFrame, *, top_k: int = 10) -> alt.LayerChart:
    """Slope chart from the staff priority order to the customer priority order.

    Parameters
    ----------
    gap : DataFrame
        The result of :func:`toolkit.needs.needs_gap` for one group (see
        :func:`needs_gap_chart` for the columns).
    top_k : int, default 10
        Show the needs in the top ``top_k`` of either list.

    Returns
    -------
    alt.LayerChart
        Two columns, "Staff priority" (left) and "Customer priority" (right). Each need
        is a line from its staff rank to its customer rank, labelled at both ends with
        its rank and name ("not named" when no one in that list named it). Ranks are by
        share within each list over the needs either list names, 1 = most named, ties
        at their average rank (the definition the rank agreement uses); they are
        computed here with ``rank(ascending=False, method="average")`` only to place
        the lines. Needs outside one list's top ``top_k`` sit below a dashed line
        marked "Outside the top {top_k}". Blind spots are thick vermillion lines,
        assumed-only needs thick dashed blue lines, both with bold labels; the legend
        names them. Tooltips give each rank with its share, interval and n of total.

    Raises
    ------
    DataValidationError
        If a column is missing, ``top_k`` is not a whole number of at least 1, or the
        table has several rows for one need.

    Notes
    -----
    Suppressed rows (too few customers) are left out, and so are needs neither list
    names; the subtitle says how many were left out for too few responses.

    Examples
    --------
    >>> import pandas as pd
    >>> gap = pd.DataFrame({
    ...     "code": ["milk", "pantry", "housing"],
    ...     "label": ["Milk and perishable food", "Another food pantry", "Affordable housing"],
    ...     "staff_n": [0, 18, 9], "staff_total": [20] * 3,
    ...     "staff_share": [0.0, 0.9, 0.45], "staff_ci_low": [0.0, 0.7, 0.26],
    ...     "staff_ci_high": [0.16, 0.97, 0.66],
    ...     "customer_n": [48, 8, 38], "customer_total": [80] * 3,
    ...     "customer_share": [0.6, 0.1, 0.475], "customer_ci_low": [0.49, 0.05, 0.37],
    ...     "customer_ci_high": [0.7, 0.19, 0.58],
    ...     "gap": [0.6, -0.8, 0.025], "gap_ci_low": [0.43, -0.89, -0.2],
    ...     "gap_ci_high": [0.7, -0.6, 0.25],
    ...     "classification": ["blind spot", "assumed only", "shared priority"],
    ...     "suppressed": [False] * 3, "confidence": [0.95] * 3,
    ... })
    >>> spec = rank_slope_chart(gap, top_k=2).to_dict()
    >>> rows = spec["datasets"][spec["data"]["name"]]
    >>> [(row["label"], row["staff_rank"], row["customer_rank"]) for row in rows]
    [('Milk and perishable food', 3.0, 1.0), ('Another food pantry', 1.0, 3.0), ('Affordable housing', 2.0, 2.0)]
    """
    require_columns(gap, _GAP_COLUMNS, name="gap")
    _one_row_per_need(gap, name="gap", builder="rank_slope_chart")
    top_k = check_positive_int(top_k, name="top_k")

    usable = gap[~flag(gap["suppressed"]) & gap["staff_share"].notna()]
    usable = usable[usable["customer_share"].notna()]
    left_out = len(gap) - len(usable)
    named = usable[(usable["staff_share"] > 0) | (usable["customer_share"] > 0)].copy()
    named["staff_rank"] = named["staff_share"].rank(ascending=False, method="average")
    named["customer_rank"] = named["customer_share"].rank(ascending=False, method="average")
    shown = named[(named["staff_rank"] <= top_k) | (named["customer_rank"] <= top_k)]

    inside = max(
        int((shown["staff_rank"] <= top_k).sum()), int((shown["customer_rank"] <= top_k).sum())
    )
    outside_start = inside + 2.0
    data = shown[["code", "label", "staff_rank", "customer_rank"]].copy()
    data["staff_slot"] = _slots(
        shown["staff_rank"], shown["label"], top_k=top_k, outside_start=outside_start
    )
    data["customer_slot"] = _slots(
        shown["customer_rank"], shown["label"], top_k=top_k, outside_start=outside_start
    )
    rows = list(shown.itertuples(index=False))
    data["finding"] = [_FINDING.get(str(r.classification), _OTHER) for r in rows]
    data["kind"] = [
        "" if is_missing(r.classification) else str(r.classification).capitalize() for r in rows
    ]
    data["staff_end"] = [f"{r.label} ({_rank_text(r.staff_rank, r.staff_share)})" for r in rows]
    data["customer_end"] = [
        f"({_rank_text(r.customer_rank, r.customer_share)}) {r.label}" for r in rows
    ]
    n_named = len(named)
    data["staff_said"] = [
        f"{_rank_text(r.staff_rank, r.staff_share)} of {n_named}: "
        f"{share_words(r.staff_share, r.staff_ci_low, r.staff_ci_high, r.confidence)}"
        for r in rows
    ]
    data["staff_count"] = [count_of_words(r.staff_n, r.staff_total, "staff") for r in rows]
    data["customers_said"] = [
        f"{_rank_text(r.customer_rank, r.customer_share)} of {n_named}: "
        f"{share_words(r.customer_share, r.customer_ci_low, r.customer_ci_high, r.confidence)}"
        for r in rows
    ]
    data["customer_count"] = [
        count_of_words(r.customer_n, r.customer_total, "customers") for r in rows
    ]
    max_slot = float(max(data["staff_slot"].max(), data["customer_slot"].max(), 1.0))
    if math.isnan(max_slot):
        max_slot = 1.0

    tooltip = tips(
        ("label", "Need"),
        ("kind", "Finding"),
        ("staff_said", "Staff priority"),
        ("staff_count", "Staff naming it"),
        ("customers_said", "Customer priority"),
        ("customer_count", "Customers naming it"),
    )
    y_scale = alt.Scale(domain=[max_slot + 0.5, 0.5], nice=False, zero=False)

    def y(field: str) -> alt.Y:
        return alt.Y(field=field, type="quantitative", scale=y_scale, axis=None)

    x_axis = alt.Axis(
        orient="top",
        values=[0, 1],
        labelExpr="datum.value == 0 ? 'Staff priority' : 'Customer priority'",
        # Each heading over its own names, away from the other: the columns are close.
        labelAlign=alt.ExprRef("datum.value == 0 ? 'right' : 'left'"),
        labelFontSize=14,
        labelFontWeight="bold",
        labelPadding=10,
        labelFlush=False,
        ticks=False,
        domain=False,
        grid=False,
        title=None,
    )

    def x(position: float) -> alt.X:
        return alt.X(
            datum=position,
            type="quantitative",
            scale=alt.Scale(domain=[0, 1], nice=False),
            axis=x_axis,
        )

    finding_domain = ["Blind spot", "Assumed only", _OTHER]
    legend = alt.Legend(
        title=None,
        orient="bottom",
        labelFontSize=13,
        symbolType="stroke",
        symbolStrokeWidth=3,
        symbolSize=400,
    )
    finding_colours = alt.Scale(domain=finding_domain, range=[VERMILLION, BLUE, "#a0a0a0"])
    colour = alt.Color(field="finding", type="nominal", scale=finding_colours, legend=legend)
    dot_colour = alt.Color(field="finding", type="nominal", scale=finding_colours, legend=None)
    dash = alt.StrokeDash(
        field="finding",
        type="nominal",
        scale=alt.Scale(domain=finding_domain, range=[[1, 0], [7, 4], [1, 0]]),
        legend=legend,
    )
    base = alt.Chart()  # the rows come from the layer chart, once
    lines = base.mark_rule().encode(
        x=x(0),
        x2=alt.X2(datum=1),
        y=y("staff_slot"),
        y2=alt.Y2(field="customer_slot"),
        color=colour,
        strokeDash=dash,
        size=alt.condition(f"datum.finding != {js(_OTHER)}", alt.value(3.5), alt.value(1.5)),
        tooltip=tooltip,
    )
    ends = [
        base.mark_point(filled=True, opacity=1, size=70).encode(
            x=x(position), y=y(slot), color=dot_colour, tooltip=tooltip
        )
        for position, slot in ((0, "staff_slot"), (1, "customer_slot"))
    ]
    labels = []
    for position, slot, text, align, dx in (
        (0, "staff_slot", "staff_end", "right", -10),
        (1, "customer_slot", "customer_end", "left", 10),
    ):
        for test, weight in (
            (f"datum.finding != {js(_OTHER)}", "bold"),
            (f"datum.finding == {js(_OTHER)}", "normal"),
        ):
            labels.append(
                base.transform_filter(test)
                .mark_text(align=align, baseline="middle", dx=dx, fontSize=13, fontWeight=weight)
                .encode(
                    x=x(position),
                    y=y(slot),
                    text=alt.Text(field=text, type="nominal"),
                    color=alt.value(INK),
                    tooltip=tooltip,
                )
            )
    layers = [lines, *ends, *labels]
    has_outside = bool(((data["staff_slot"] > inside) | (data["customer_slot"] > inside)).any())
    if has_outside:
        divider = pd.DataFrame({"y": [inside + 0.9], "note": [f"Outside the top {top_k}"]})
        zone = alt.Chart(divider)
        layers.append(
            zone.mark_rule(strokeDash=[4, 4], color="#999999").encode(
                x=alt.X(datum=-0.1, type="quantitative"), x2=alt.X2(datum=1.1), y=y("y")
            )
        )
        for position, align, dx in ((0, "right", -10), (1, "left", 10)):
            layers.append(
                zone.mark_text(
                    align=align,
                    baseline="top",
                    dx=dx,
                    dy=5,
                    fontSize=12,
                    fontStyle="italic",
                    color=MUTED,
                ).encode(x=x(position), y=y("y"), text=alt.Text(field="note", type="nominal"))
            )

    blind = data.loc[data["finding"] == "Blind spot", "label"].astype(str).tolist()
    assumed = data.loc[data["finding"] == "Assumed only", "label"].astype(str).tolist()
    by_customers = data.sort_values("customer_slot")["label"].astype(str).tolist()[:3]
    by_staff = data.sort_values("staff_slot")["label"].astype(str).tolist()[:3]
    subtitle = [
        "Needs ranked by the share naming them in each list (#1 = most named); "
        f"the needs in either top {top_k}.",
        "A line rising to the right: customers put the need higher than staff did.",
    ]
    note = ""
    if left_out:
        note = f"{count_words(left_out, 'need')} left out: too few customer responses to rank."
        subtitle.append(note)
    description = (
        f"Slope chart of {count_words(len(data), 'need')} ranked by the share of staff and of "
        f"customers naming them. Customers' top three: {list_words(by_customers)}. "
        f"Staff's top three: {list_words(by_staff)}. "
        f"Blind spots: {list_words(blind)}. Assumed only: {list_words(assumed)}. " + note
    ).strip()
    return alt.layer(*layers, data=data).properties(
        width=110,  # names on both sides: narrow enough to print on A4 above 7 pt
        height=max(120, int(34 * max_slot)),
        title=alt.Title("How staff and customers rank needs", subtitle=subtitle, anchor="start"),
        description=description,
    )


# --------------------------------------------------------------------------- importance–performance


_IP_WIDTH = 480
_IP_HEIGHT = 420


def importance_performance_chart(ip: pd.DataFrame) -> alt.LayerChart:
    """Importance–performance grid: how much each need matters and how well it is met.

    Parameters
    ----------
    ip : DataFrame
        The result of :func:`toolkit.needs.importance_performance` for one group: one
        row per need with ``code``, ``label``, ``n``, ``importance``,
        ``importance_ci_low``, ``importance_ci_high``, ``performance``,
        ``performance_ci_low``, ``performance_ci_high``, ``quadrant``,
        ``crosshair_importance``, ``crosshair_performance``, ``crosshair`` and
        ``suppressed``.

    Returns
    -------
    alt.LayerChart
        A scatter of performance (x, "How well it is met now") against importance
        (y, "How important it is"), both on the 1–5 scale. Dashed crosshair lines at
        ``crosshair_importance`` and ``crosshair_performance`` (taken from the first
        row) split the grid into four quadrants, named in their corners: "Concentrate
        here" (top left), "Keep up the good work" (top right), "Low priority" (bottom
        left) and "Possible overkill" (bottom right). Each need is a point whose colour
        *and* shape give its quadrant, with thin grey lines for both intervals and its
        label (or its number, named in the subtitle) beside it. Tooltips give n and both
        means with their intervals.

    Raises
    ------
    DataValidationError
        If a column is missing or the table has several rows for one need.

    Notes
    -----
    Suppressed rows (too few respondents) and needs without both means are left out;
    the subtitle says how many. Labels are placed most important first ("Concentrate
    here", widest gap first): each on the first side of its point where it stays inside
    the grid and clear of other points, labels and the corner names (it may cross
    interval lines). A need with no clear side is numbered instead, and the subtitle's
    key names each number; this is layout only, the points never move.

    Examples
    --------
    >>> import pandas as pd
    >>> ip = pd.DataFrame({
    ...     "code": ["milk", "courtesy"],
    ...     "label": ["Milk and perishable food", "Courtesy and respect from staff"],
    ...     "n": [64, 70], "importance": [4.6, 4.2],
    ...     "importance_ci_low": [4.4, 4.0], "importance_ci_high": [4.8, 4.4],
    ...     "performance": [1.9, 4.3],
    ...     "performance_ci_low": [1.6, 4.0], "performance_ci_high": [2.2, 4.6],
    ...     "quadrant": ["Concentrate here", "Keep up the good work"],
    ...     "crosshair_importance": [3.0, 3.0], "crosshair_performance": [3.0, 3.0],
    ...     "crosshair": ["midpoint", "midpoint"], "suppressed": [False, False],
    ... })
    >>> spec = importance_performance_chart(ip).to_dict()
    >>> spec["description"].split(":")[0]
    'Importance–performance grid of 2 needs on the 1–5 scale'
    """
    require_columns(ip, _IP_COLUMNS, name="ip")
    _one_row_per_need(ip, name="ip", builder="importance_performance_chart")

    usable = ip[~flag(ip["suppressed"]) & ip["importance"].notna() & ip["performance"].notna()]
    left_out = len(ip) - len(usable)
    cross_importance = float(ip["crosshair_importance"].iloc[0]) if len(ip) else 3.0
    cross_performance = float(ip["crosshair_performance"].iloc[0]) if len(ip) else 3.0
    crosshair = str(ip["crosshair"].iloc[0]) if len(ip) else "midpoint"

    data = usable[list(_IP_DRAWN)].copy()
    rows = list(usable.itertuples(index=False))
    data["respondents"] = [f"{float(r.n):,.0f}" for r in rows]
    data["importance_said"] = [
        mean_words(r.importance, r.importance_ci_low, r.importance_ci_high) for r in rows
    ]
    data["performance_said"] = [
        mean_words(r.performance, r.performance_ci_low, r.performance_ci_high) for r in rows
    ]
    # Labels choose in order of importance to a reader: "Concentrate here" first, the
    # widest gap between importance and performance first within each quadrant.
    data["_rank"] = data["quadrant"].map({q: i for i, q in enumerate(_LABEL_ORDER)}).fillna(9)
    data["_gap"] = data["importance"] - data["performance"]
    order = data.sort_values(["_rank", "_gap"], ascending=[True, False]).index
    data = data.drop(columns=["_rank", "_gap"])
    corner_width = {name: 8.8 * len(name) + 10 for name in _QUADRANTS}  # 14-pixel bold
    corner_high = 25  # 8 pixels in, then 14-pixel bold text (about 17 pixels high)
    corner_boxes = [
        (0, 0, corner_width[_QUADRANTS[0]], corner_high),
        (_IP_WIDTH - corner_width[_QUADRANTS[1]], 0, _IP_WIDTH, corner_high),
        (0, _IP_HEIGHT - corner_high, corner_width[_QUADRANTS[2]], _IP_HEIGHT),
        (_IP_WIDTH - corner_width[_QUADRANTS[3]], _IP_HEIGHT - corner_high, _IP_WIDTH, _IP_HEIGHT),
    ]

    def px(value) -> float:
        return (float(value) - 1) / 4 * _IP_WIDTH

    def py(value) -> float:
        return (5 - float(value)) / 4 * _IP_HEIGHT

    interval_boxes = [
        box
        for r in rows
        for box in (
            (
                px(r.performance_ci_low),
                py(r.importance) - 1,
                px(r.performance_ci_high),
                py(r.importance) + 1,
            ),
            (
                px(r.performance) - 1,
                py(r.importance_ci_high),
                px(r.performance) + 1,
                py(r.importance_ci_low),
            ),
        )
        if not any(is_missing(v) for v in box)
    ]
    placed = place_labels(
        [px(v) for v in data.loc[order, "performance"]],
        [py(v) for v in data.loc[order, "importance"]],
        [7.0] * len(order),
        data.loc[order, "label"].astype(str).tolist(),
        width=_IP_WIDTH,
        height=_IP_HEIGHT,
        avoid=corner_boxes,
        cross=interval_boxes,
        spots=_NAME_SPOTS,
        fixed=True,
        half_height=7.5,
        measure=lambda text, _size: (
            7.2 * len(text) + 6
        ),  # and a gap, so "12" "15" never read "1215"
        numbered=True,
        number_spots=_NUMBER_SPOTS,
    )

    def placed_column(key: str) -> pd.Series:
        return pd.Series([p[key] for p in placed], index=order).reindex(data.index)

    data["label_align"] = placed_column("align")
    data["label_text"] = placed_column("text")
    # Each label's anchor on the chart's own scales (the placer works in pixels).
    data["label_x"] = data["performance"] + placed_column("dx") * 4 / _IP_WIDTH
    data["label_y"] = data["importance"] - placed_column("dy") * 4 / _IP_HEIGHT
    key = [
        f"{p['number']} {label}"
        for p, label in zip(placed, data.loc[order, "label"].astype(str), strict=True)
        if p["number"] is not None
    ]

    tooltip = tips(
        ("label", "Need"),
        ("quadrant", "Quadrant"),
        ("respondents", "Respondents (n)"),
        ("importance_said", "Importance (1–5)"),
        ("performance_said", "How well met (1–5)"),
    )
    # Clamped: nothing, an interval end included, is drawn past the 1–5 scale (the
    # table's intervals are already cut to it; this holds for any table given).
    scale = alt.Scale(domain=[1, 5], nice=False, zero=False, clamp=True)

    x, y = grid_axes(
        scale,
        alt.Axis(values=[1, 2, 3, 4, 5], format="d", titlePadding=10),
        across="How well it is met now (1 = poorly, 5 = very well)",
        up="How important it is (1 = not, 5 = very)",
    )

    quadrant_legend = alt.Legend(
        title=None, orient="bottom", labelFontSize=13, symbolSize=140, columns=4
    )
    quadrant_scales = {
        "color": alt.Color(
            field="quadrant",
            type="nominal",
            scale=alt.Scale(domain=list(_QUADRANTS), range=list(_QUADRANT_COLOURS)),
            legend=quadrant_legend,
        ),
        "shape": alt.Shape(
            field="quadrant",
            type="nominal",
            scale=alt.Scale(domain=list(_QUADRANTS), range=list(_QUADRANT_SHAPES)),
            legend=quadrant_legend,
        ),
    }
    base = alt.Chart()  # the rows come from the layer chart, once
    intervals = [
        base.mark_rule(color="#9a9a9a", strokeWidth=1.5).encode(
            x=x("performance_ci_low"),
            x2=alt.X2(field="performance_ci_high"),
            y=y("importance"),
            tooltip=tooltip,
        ),
        base.mark_rule(color="#9a9a9a", strokeWidth=1.5).encode(
            x=x("performance"),
            y=y("importance_ci_low"),
            y2=alt.Y2(field="importance_ci_high"),
            tooltip=tooltip,
        ),
    ]
    points = base.mark_point(
        filled=True, opacity=1, size=150, stroke="white", strokeWidth=1
    ).encode(x=x("performance"), y=y("importance"), tooltip=tooltip, **quadrant_scales)
    labels = [
        base.transform_filter(f"datum.label_align == {js(align)}")
        .mark_text(align=align, baseline="middle", fontSize=12)
        .encode(
            x=x("label_x"),
            y=y("label_y"),
            text=alt.Text(field="label_text", type="nominal"),
            color=alt.value(INK),
            tooltip=tooltip,
        )
        for align in ("left", "right", "center")
        if (data["label_align"] == align).any()
    ]

    crosshair_frame = pd.DataFrame(
        {"importance": [cross_importance], "performance": [cross_performance]}
    )
    crosshair_rules = crosshairs(crosshair_frame, x("performance"), y("importance"))
    corners = pd.DataFrame(
        {
            "quadrant": list(_QUADRANTS),
            "performance": [1.0, 5.0, 1.0, 5.0],
            "importance": [5.0, 5.0, 1.0, 1.0],
        }
    )
    corner_labels = corner_names(
        corners,
        x("performance"),
        y("importance"),
        [
            (_QUADRANTS[0], "left", "top", 8, 8),
            (_QUADRANTS[1], "right", "top", -8, 8),
            (_QUADRANTS[2], "left", "bottom", 8, -8),
            (_QUADRANTS[3], "right", "bottom", -8, -8),
        ],
        colours=dict(zip(_QUADRANTS, (VERMILLION, "#007A5A", "#555555", BLUE), strict=True)),
    )

    if crosshair == "mean":
        lines_at = (
            f"Dashed lines at the average importance ({cross_importance:.1f}) and "
            f"performance ({cross_performance:.1f}) across needs."
        )
    else:
        lines_at = (
            f"Dashed lines at the middle of the scale ({cross_importance:g} and "
            f"{cross_performance:g})."
        )
    subtitle = [
        "Mean ratings from customers on a 1–5 scale; grey lines show the intervals.",
        lines_at,
    ]
    note = ""
    if left_out:
        note = f"{count_words(left_out, 'need')} left out: too few respondents."
        subtitle.append(note)
    if key:
        subtitle += wrapped_lines(["Numbered where names would crowd: " + "; ".join(key) + "."])
    concentrate = data.loc[data["quadrant"] == _QUADRANTS[0], "label"].astype(str).tolist()
    overkill = data.loc[data["quadrant"] == _QUADRANTS[3], "label"].astype(str).tolist()
    description = (
        f"Importance–performance grid of {count_words(len(data), 'need')} on the 1–5 scale: "
        "how well each is met now (across) against how important it is (up). "
        f"Concentrate here (important, poorly met): {list_words(concentrate)}. "
        f"Possible overkill (less important, well met): {list_words(overkill)}. "
        + lines_at
        + (" " + note if note else "")
    )
    return alt.layer(
        *corner_labels, *crosshair_rules, *intervals, points, *labels, data=data
    ).properties(
        width=_IP_WIDTH,
        height=_IP_HEIGHT,
        title=alt.Title(
            "What matters most and how well it is met", subtitle=subtitle, anchor="start"
        ),
        description=description,
    )
