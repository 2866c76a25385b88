"""Altair builders that draw what the customer-map analyses return, computing nothing.

``priority_chart``
    Ranked bars of :func:`toolkit.customers.prioritise_customers`: each customer's
    priority score and tier, beside its rank and the range of ranks it takes when the
    weights move.
``power_interest_chart``
    Mendelow's power/interest grid of :func:`toolkit.customers.power_interest`, with
    the four quadrants named and every point labelled.
``service_chain_chart``
    The network diagram of :func:`toolkit.customers.chain_layout`: internal units on
    the left, the external customers they ultimately serve on the right.

Every builder takes the analysis result first and options as keywords, and returns an
unrendered chart with a title, a ``description`` (read out by screen readers) and
tooltips that carry the numbers behind each mark (how many criteria were rated, how many
customers share a point). The charts hold only the analysis rows they draw. Sorting,
grouping customers that sit on the same spot, placing labels and arrowheads so they do
not collide, and formatting numbers as text are the only work done here; colours come
from the Okabe–Ito palette of :mod:`toolkit.charts.theme`, and kind (internal or external) is
always shown by shape as well as colour.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from toolkit._validate import check_positive_int, require_columns
from toolkit._words import count_words, fmt_whole, is_missing, list_words
from toolkit.charts._common import (
    INK,
    MUTED,
    corner_names,
    crosshairs,
    grid_axes,
    js,
    tips,
    wrapped_lines,
)
from toolkit.charts._layout import place_labels, text_width
from toolkit.charts.theme import BLUE, ORANGE
from toolkit.errors import DataValidationError
from toolkit.settings import PRIORITY_CRITERIA

__all__ = [
    "CRITERIA_TITLES",
    "power_interest_chart",
    "priority_chart",
    "service_chain_chart",
    "parse_weights",
    "weights_in_words",
]

_EDGE = "#8c8c8c"
_HALO = "white"

_KIND_LABELS = {"internal": "Internal customer", "external": "External customer"}
_KIND_DOMAIN = list(_KIND_LABELS.values())
_KIND_COLOURS = [ORANGE, BLUE]
_KIND_SHAPES = ["square", "circle"]

CRITERIA_TITLES = {
    "mission_alignment": "Mission alignment",
    "clout": "Clout",
    "resource_control": "Control of resources we need",
    "history": "History with us",
    "alternatives": "Few alternatives",
    "mandate": "Mandate",
}
"""Each priority criterion in words, for chart tooltips and report text."""

_CRITERIA_TOOLTIPS = {
    "mission_alignment": "Mission alignment (points)",
    "clout": "Clout (points)",
    "resource_control": "Controls resources we need (points)",
    "history": "History with us (points)",
    "alternatives": "Few alternatives (points: 6 − rating)",
    "mandate": "Mandate (points: none 1, informal 3, formal 5)",
}
_MANDATE_WORDS = {1.0: "none", 3.0: "informal", 5.0: "formal"}

_PRIORITY_COLUMNS = (
    "customer_id",
    "name",
    "kind",
    "segment",
    *PRIORITY_CRITERIA,
    "score",
    "rank",
    "tier",
    "criteria_rated",
    "unrated",
    "rank_best",
    "rank_worst",
    "sensitivity",
    "weights",
)
_GRID_COLUMNS = (
    "customer_id",
    "name",
    "kind",
    "segment",
    "power",
    "interest",
    "quadrant",
    "strategy",
    "threshold",
    "note",
)
_NODE_COLUMNS = ("customer_id", "name", "kind", "layer", "order", "x", "y")
_EDGE_COLUMNS = ("provider_id", "customer_id", "x", "y", "x2", "y2", "backward")


# --------------------------------------------------------------------------- formatting


def _kind_label(kind) -> str:
    if is_missing(kind):
        return "Kind not given"
    return _KIND_LABELS.get(str(kind), str(kind).capitalize())


def _kind_encodings(field: str = "kind_label", *, legend: bool = True) -> dict:
    """Colour *and* shape by kind, sharing one legend."""
    shown = (
        alt.Legend(title=None, orient="top", symbolSize=140, labelFontSize=13) if legend else None
    )
    return {
        "color": alt.Color(
            field=field,
            type="nominal",
            scale=alt.Scale(domain=_KIND_DOMAIN, range=_KIND_COLOURS),
            legend=shown,
        ),
        "shape": alt.Shape(
            field=field,
            type="nominal",
            scale=alt.Scale(domain=_KIND_DOMAIN, range=_KIND_SHAPES),
            legend=shown,
        ),
    }


def parse_weights(text) -> dict[str, float]:
    """Read the ``weights`` column of :func:`toolkit.customers.prioritise_customers` back.

    Examples
    --------
    >>> parse_weights("clout=1, mandate=0.5"), parse_weights(None)
    ({'clout': 1.0, 'mandate': 0.5}, {})
    """
    found = {}
    for part in str(text or "").split(","):
        match = re.fullmatch(r"\s*(\w+)\s*=\s*([-+0-9.eE]+)\s*", part)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def weights_in_words(weights: Mapping[str, float]) -> str:
    """Say how the priority criteria are weighted, for people.

    Parameters
    ----------
    weights : mapping
        Criterion → weight, as :func:`toolkit.customers.prioritise_customers` uses them
        (the ``weights`` column of its result parsed, or the weights given to it).

    Returns
    -------
    str
        ``"all six criteria count equally"``, or the criteria grouped by weight, heaviest
        first, with those left out (weight 0) last.

    Examples
    --------
    >>> weights_in_words(dict.fromkeys(PRIORITY_CRITERIA, 1.0))
    'all six criteria count equally'
    >>> weights_in_words({"mission_alignment": 2, "clout": 1, "resource_control": 1,
    ...                   "history": 1, "alternatives": 1, "mandate": 0})
    'mission alignment counts ×2; clout, control of resources we need, history with us and few alternatives ×1; mandate is left out (weight 0)'
    """
    used = {c: float(weights.get(c, 1.0)) for c in PRIORITY_CRITERIA}
    positive = sorted({w for w in used.values() if w > 0}, reverse=True)
    left_out = [CRITERIA_TITLES[c].lower() for c, w in used.items() if w == 0]
    if not positive:
        return "every criterion is left out (weight 0)"
    if len(positive) == 1:
        if not left_out:
            return "all six criteria count equally"
        names = [CRITERIA_TITLES[c].lower() for c, w in used.items() if w > 0]
        text = f"{list_words(names)} {'counts' if len(names) == 1 else 'count equally'}"
    else:
        parts = []
        for i, weight in enumerate(positive):
            names = [CRITERIA_TITLES[c].lower() for c, w in used.items() if w == weight]
            verb = ("counts" if len(names) == 1 else "count") if i == 0 else ""
            parts.append(" ".join(filter(None, [list_words(names), verb, f"×{weight:g}"])))
        text = "; ".join(parts)
    if left_out:
        verb = "is" if len(left_out) == 1 else "are"
        text += f"; {list_words(left_out)} {verb} left out (weight 0)"
    return text


def _one_row_per_customer(data: pd.DataFrame, *, name: str, builder: str) -> None:
    repeated = data["customer_id"][data["customer_id"].duplicated()].unique().tolist()
    if repeated:
        raise DataValidationError(
            f"{builder} draws one row per customer, but {name} has several rows for "
            f"{list_words([repr(c) for c in repeated[:3]])}. A table made with --by has one "
            "ranking per group: draw one group at a time, e.g. "
            f"{builder}({name}[{name}['campus'] == ...])."
        )


def _unique_labels(names: Sequence[str], ids: Sequence[str]) -> list[str]:
    """Names as axis labels; a name shared by several customers gets its id added."""
    names = [str(n) for n in names]
    counts = pd.Series(names).value_counts()
    return [f"{n} ({i})" if counts[n] > 1 else n for n, i in zip(names, ids, strict=True)]


# --------------------------------------------------------------------------- label placement


def _label_layers(base: alt.Chart, x: alt.X, y: alt.Y, *, font_size: int, tooltip, halo: bool):
    """Text layers for placed labels: one per alignment, each with a white halo if asked."""
    layers = []
    for align in ("left", "right", "center"):
        part = base.transform_filter(f"datum.label_align == {js(align)}")
        if halo:
            layers.append(
                part.mark_text(
                    align=align,
                    baseline="middle",
                    fontSize=font_size,
                    stroke=_HALO,
                    aria=False,
                    strokeWidth=4,
                    strokeJoin="round",
                    color=_HALO,
                ).encode(x=x, y=y, text=alt.Text(field="label", type="nominal"))
            )
        layers.append(
            part.mark_text(align=align, baseline="middle", fontSize=font_size, aria=False).encode(
                x=x,
                y=y,
                text=alt.Text(field="label", type="nominal"),
                color=alt.value(INK),
                tooltip=tooltip,
            )
        )
    return layers


# --------------------------------------------------------------------------- priorities

_ROW = 20  # pixels per customer: forty-odd customers print on one A4 page above 7 pt
# Narrow enough to print on A4 with every word above 7 pt.
_SCORE_WIDTH = 235
_RANK_WIDTH = 160


def _points_text(criterion: str, value) -> str:
    if is_missing(value):
        return "not rated"
    if criterion == "mandate":
        return f"{float(value):g} ({_MANDATE_WORDS.get(float(value), 'rated')})"
    return f"{float(value):g}"


def priority_chart(
    priorities: pd.DataFrame, *, top: int | None = None, title: str | None = None
) -> alt.HConcatChart:
    """Ranked bars: each customer's priority score and tier, with how stable its rank is.

    Parameters
    ----------
    priorities : DataFrame
        The result of :func:`toolkit.customers.prioritise_customers` (one row per
        customer): ``customer_id``, ``name``, ``kind``, ``segment``, the six criteria's
        points, ``score``, ``rank``, ``tier``, ``criteria_rated``, ``unrated``,
        ``rank_best``, ``rank_worst``, ``sensitivity``, ``weights`` and, when present,
        ``tier_high`` and ``tier_medium``.
    top : int, optional
        Show only the first ``top`` customers in rank order.
    title : str, optional
        Chart title; by default "Which customers come first".

    Returns
    -------
    alt.HConcatChart
        Two panels sharing one row per scored customer, best first. Left: a bar from 1
        to the customer's score on the 1–5 scale, coloured by kind, with the score and
        the tier in words at its end and dashed lines where the *high* and *medium*
        tiers start. Right: the rank as a point (orange square: internal; blue circle:
        external) on a line from the best to the worst rank it takes when any one weight
        moves by ``sensitivity`` (±25 % by default), with the range written beside it
        ("2–3") when the rank is not stable. Tooltips give the score, tier, rank and its
        range, each criterion's points ("not rated" where missing), how many criteria
        were rated and which were not.

    Raises
    ------
    DataValidationError
        A missing column, ``top`` not a whole number of at least 1, or several rows for
        one customer (a table ranked per group).

    Notes
    -----
    Customers with no score (no criterion in use is rated) are left out of the bars and
    named in the subtitle and the description. The chart holds one row per customer
    shown.

    Examples
    --------
    >>> import pandas as pd
    >>> from toolkit.customers import prioritise_customers
    >>> register = pd.DataFrame({
    ...     "customer_id": ["residents", "board", "volunteers"],
    ...     "name": ["Residents", "Board", "Volunteers"],
    ...     "kind": ["external", "internal", "internal"],
    ...     "segment": ["Residents", "Board", "Volunteers"],
    ...     "mission_alignment": [5, 4, 5], "clout": [3, 5, 2],
    ...     "resource_control": [2, 5, None], "history": [5, 4, 5],
    ...     "alternatives": [2, 1, 4], "mandate": ["informal", "formal", "none"]})
    >>> spec = priority_chart(prioritise_customers(register)).to_dict()
    >>> spec["description"].split(",")[0]
    'Bar chart of 3 customers ranked by priority score (1–5)'
    >>> [row["row"] for row in spec["datasets"][spec["data"]["name"]]]
    ['Board', 'Residents', 'Volunteers']
    """
    require_columns(priorities, _PRIORITY_COLUMNS, name="priorities")
    _one_row_per_customer(priorities, name="priorities", builder="priority_chart")
    if top is not None:
        top = check_positive_int(top, name="top")

    scored_mask = priorities["score"].notna()
    unscored = priorities.loc[~scored_mask, "name"].astype(str).tolist()
    scored = priorities[scored_mask].copy()
    scored["_rank"] = pd.to_numeric(scored["rank"], errors="coerce").astype(float)
    scored = scored.sort_values("_rank", kind="stable")
    n_scored = len(scored)
    shown = scored.head(top) if top is not None else scored

    rows = list(shown.itertuples(index=False))
    sensitivity = float(priorities["sensitivity"].iloc[0]) if len(priorities) else 0.25
    moved = f"±{sensitivity:.0%}"
    data = pd.DataFrame(
        {
            "row": _unique_labels(shown["name"], shown["customer_id"]),
            "name": shown["name"].astype(str).to_numpy(),
            "kind_label": [_kind_label(r.kind) for r in rows],
            "segment": ["–" if is_missing(r.segment) else str(r.segment) for r in rows],
            "score": shown["score"].astype(float).to_numpy(),
            "rank": shown["_rank"].to_numpy(),
            "rank_best": pd.to_numeric(shown["rank_best"]).astype(float).to_numpy(),
            "rank_worst": pd.to_numeric(shown["rank_worst"]).astype(float).to_numpy(),
        }
    )
    tiers = ["" if is_missing(r.tier) else str(r.tier) for r in rows]
    data["score_text"] = [
        f"{float(r.score):.2f} · {tier}" if tier else f"{float(r.score):.2f}"
        for r, tier in zip(rows, tiers, strict=True)
    ]
    data["score_said"] = [f"{float(r.score):.2f} of 5" for r in rows]
    data["tier_said"] = [tier or "–" for tier in tiers]
    stable = (data["rank_best"] == data["rank_worst"]).to_numpy()
    data["range_text"] = [
        "" if same else f"{b:g}–{w:g}"
        for same, b, w in zip(stable, data["rank_best"], data["rank_worst"], strict=True)
    ]
    data["rank_said"] = [
        f"#{rank:g} of {n_scored}; stays #{rank:g} when any one weight moves {moved}"
        if same
        else f"#{rank:g} of {n_scored}; #{b:g} to #{w:g} when any one weight moves {moved}"
        for rank, same, b, w in zip(
            data["rank"], stable, data["rank_best"], data["rank_worst"], strict=True
        )
    ]
    data["aria"] = [
        f"{name}, {kind.lower()}: score {text}, rank {said}"
        for name, kind, text, said in zip(
            data["name"], data["kind_label"], data["score_text"], data["rank_said"], strict=True
        )
    ]
    data["rated_said"] = [
        f"{int(r.criteria_rated)} of the criteria in use"
        + (f"; not rated: {str(r.unrated).replace('_', ' ')}" if str(r.unrated or "") else "")
        for r in rows
    ]
    for criterion in PRIORITY_CRITERIA:
        data[f"points_{criterion}"] = [_points_text(criterion, getattr(r, criterion)) for r in rows]

    tooltip = tips(
        ("name", "Customer"),
        ("kind_label", "Kind"),
        ("segment", "Segment"),
        ("score_said", "Priority score"),
        ("tier_said", "Tier"),
        ("rank_said", "Rank"),
        ("rated_said", "Criteria rated"),
        *((f"points_{c}", _CRITERIA_TOOLTIPS[c]) for c in PRIORITY_CRITERIA),
    )
    height = max(_ROW * len(data), 2 * _ROW)
    y = alt.Y(
        field="row",
        type="nominal",
        sort=data["row"].tolist(),
        title=None,
        scale=alt.Scale(paddingInner=0.25, paddingOuter=0.15),
        axis=alt.Axis(labelLimit=240, labelFontSize=12, ticks=False, domain=False),
    )
    no_y = alt.Y(field="row", type="nominal", sort=data["row"].tolist(), axis=None)
    score_x = alt.X(
        field="score",
        type="quantitative",
        title="Priority score (1 = lowest, 5 = highest)",
        scale=alt.Scale(domain=[1, 5], nice=False, zero=False),
        axis=alt.Axis(values=[1, 2, 3, 4, 5], orient="top", titlePadding=8),
    )
    base = alt.Chart()
    bars = base.mark_bar(opacity=0.9).encode(
        description=alt.Description(field="aria", type="nominal"),
        y=y,
        x=score_x,
        x2=alt.X2(datum=1),
        color=_kind_encodings()["color"],
        tooltip=tooltip,
    )
    score_halo = base.mark_text(
        align="left",
        baseline="middle",
        dx=5,
        fontSize=12,
        stroke=_HALO,
        aria=False,
        strokeWidth=4,
        strokeJoin="round",
        color=_HALO,
    ).encode(y=y, x=score_x, text=alt.Text(field="score_text", type="nominal"))
    score_text = base.mark_text(
        align="left", baseline="middle", dx=5, fontSize=12, aria=False
    ).encode(
        y=y,
        x=score_x,
        text=alt.Text(field="score_text", type="nominal"),
        color=alt.value(INK),
        tooltip=tooltip,
    )
    score_layers = [bars, score_halo, score_text]

    tier_rows = []
    for column, tier in (("tier_high", "high"), ("tier_medium", "medium")):
        if column in priorities and priorities[column].notna().any():
            value = float(priorities[column].dropna().iloc[0])
            if 1 <= value <= 5:
                # one line each below the plot: side by side they would run into each other
                tier_rows.append(
                    {
                        "score": value,
                        "tier_note": f"{tier} from {value:.2f}",
                        "note_y": height + 15 * len(tier_rows),
                    }
                )
    if tier_rows:
        tier_frame = alt.Chart(pd.DataFrame(tier_rows))
        score_layers.insert(
            0,
            tier_frame.mark_rule(strokeDash=[4, 4], color="#777777", strokeWidth=1).encode(
                x=score_x
            ),
        )
        score_layers.append(
            tier_frame.mark_text(
                align="center",
                baseline="top",
                dy=6,
                fontSize=12,
                color=MUTED,
                fontStyle="italic",
            ).encode(
                x=score_x,
                y=alt.Y(field="note_y", type="quantitative", scale=None),
                text=alt.Text(field="tier_note", type="nominal"),
            )
        )
    score_panel = alt.layer(*score_layers, data=data).properties(width=_SCORE_WIDTH, height=height)

    worst = float(data["rank_worst"].max()) if len(data) else 1.0
    rank_x_scale = alt.Scale(domain=[0.5, max(worst, float(n_scored), 2.0) + 0.5], nice=False)

    def rank_x(field: str) -> alt.X:
        return alt.X(
            field=field,
            type="quantitative",
            scale=rank_x_scale,
            title=f"Rank (line: weights moved {moved})",
            axis=alt.Axis(orient="top", tickMinStep=1, titlePadding=8),
        )

    rank_base = alt.Chart()
    rank_layers = [
        rank_base.mark_rule(color="#8a8a8a", strokeWidth=2.5, aria=False).encode(
            y=no_y, x=rank_x("rank_best"), x2=alt.X2(field="rank_worst"), tooltip=tooltip
        ),
        rank_base.mark_point(
            filled=True, opacity=1, size=90, stroke="white", strokeWidth=1, aria=False
        ).encode(y=no_y, x=rank_x("rank"), tooltip=tooltip, **_kind_encodings()),
        rank_base.transform_filter("datum.range_text != ''")
        .mark_text(align="left", baseline="middle", dx=7, fontSize=12, color=MUTED, aria=False)
        .encode(
            y=no_y,
            x=rank_x("rank_worst"),
            text=alt.Text(field="range_text", type="nominal"),
            tooltip=tooltip,
        ),
    ]
    rank_panel = alt.layer(*rank_layers, data=data).properties(width=_RANK_WIDTH, height=height)

    # Words: weights, what is shown, what is left out.
    weights = parse_weights(priorities["weights"].iloc[0]) if len(priorities) else {}
    first = rows[0] if rows else None
    unstable = data.loc[~stable, "name"].tolist()
    with_unrated = [
        f"{r.name} ({str(r.unrated).replace('_', ' ')})" for r in rows if str(r.unrated or "")
    ]
    subtitle = [
        "Score: the weighted mean of the criteria rated (1–5), with the tier in words.",
        f"Weights: {weights_in_words(weights)}.",
        f"Right: each customer's rank; the grey line spans the ranks it takes when any one "
        f"weight moves {moved}.",
    ]
    notes = []
    if top is not None and len(shown) < n_scored:
        notes.append(f"The first {len(shown)} of {n_scored} ranked customers.")
    if with_unrated:
        notes.append(
            f"Scores average only the criteria rated, never counting a gap as zero; not rated: "
            f"{list_words(with_unrated, 4)}."
        )
    if unscored:
        notes.append(f"Not scored (no criterion rated): {list_words(unscored, 6)}.")
    subtitle += notes
    description = (
        f"Bar chart of {count_words(len(data), 'customer')} ranked by priority score (1–5), first "
        "to last, with the kind of each customer (internal or external) and its tier, and "
        f"beside it the range of ranks each takes when any one weight moves {moved}. "
        + (
            f"First: {first.name}, score {float(first.score):.2f} ({tiers[0] or 'no tier'}). "
            if first is not None
            else ""
        )
        + (
            f"Ranks that change when weights move: {count_words(len(unstable), 'customer')}, "
            f"including {list_words(unstable, 5)}. "
            if unstable
            else "Every rank stays the same when weights move. "
        )
        + " ".join(notes)
    ).strip()
    return (
        alt.hconcat(score_panel, rank_panel, spacing=80)
        .resolve_scale(color="shared", shape="shared")
        .properties(
            title=alt.Title(
                title or "Which customers come first",
                subtitle=wrapped_lines(subtitle),
                anchor="start",
            ),
            description=description,
        )
    )


# --------------------------------------------------------------------------- power / interest

_PI_WIDTH = 480
_PI_HEIGHT = 420
_PI_DOMAIN = (0.5, 5.5)
# Corners: (quadrant, interest, power, align, baseline, dx, dy)
_PI_CORNERS = (
    ("Keep satisfied", _PI_DOMAIN[0], _PI_DOMAIN[1], "left", "top", 6, 6),
    ("Manage closely", _PI_DOMAIN[1], _PI_DOMAIN[1], "right", "top", -6, 6),
    ("Monitor", _PI_DOMAIN[0], _PI_DOMAIN[0], "left", "bottom", 6, -6),
    ("Keep informed", _PI_DOMAIN[1], _PI_DOMAIN[0], "right", "bottom", -6, -6),
)
_PI_SPILL = 150  # labels may run this far past the right edge of the grid
_DODGE = 0.13  # interest units between an internal and an external point on one spot


def _spelled_out(placements: list[dict], data: pd.DataFrame) -> list[str]:
    """Nothing named only on hover: a line for each shared point and each numbered one."""
    spelled = []
    for p, row in zip(placements, data.itertuples(index=False), strict=True):
        if p["number"] is not None or row.count > 1:
            named = f"{p['number']} " if p["number"] is not None else ""
            said = row.full_label + (f": {row.all_names}" if row.count > 1 else "")
            spelled.append((p["number"] or 0, f"{named}{said}."))
    return [line for _n, line in sorted(spelled)]


def _point_size(count: int) -> float:
    return 130.0 + 32.0 * min(count - 1, 10)


def _point_radius(size: float) -> float:
    return 0.57 * math.sqrt(size)


def power_interest_chart(grid: pd.DataFrame, *, title: str | None = None) -> alt.LayerChart:
    """Mendelow's power/interest grid: where each customer sits and what to do about it.

    Parameters
    ----------
    grid : DataFrame
        The result of :func:`toolkit.customers.power_interest`: ``customer_id``,
        ``name``, ``kind``, ``segment``, ``power``, ``interest`` (1–5), ``quadrant``,
        ``strategy``, ``threshold`` and ``note``.
    title : str, optional
        Chart title; by default "Power and interest".

    Returns
    -------
    alt.LayerChart
        Interest across (x) and power up (y), both 1–5, with dashed lines at the
        ``threshold`` (a rating at or above it is high) splitting the grid into *Keep
        satisfied* (top left), *Manage closely* (top right), *Monitor* (bottom left) and
        *Keep informed* (bottom right), named in the corners. Each customer is an orange
        square (internal) or a blue circle (external), labelled with its name.
        Customers of one kind with the same two ratings share one larger point labelled
        "Name and 3 more"; when both kinds sit on one spot the two points stand a little
        apart, internal to the left. Tooltips list the customers with their kind, both
        ratings, how many share the point, the quadrant and its strategy.

    Raises
    ------
    DataValidationError
        A missing column or several rows for one customer.

    Notes
    -----
    Customers missing either rating are left out and named in the subtitle with the
    rating that is missing. Each label goes on the first side of its point (right, left,
    diagonals, above, below) that stays inside the grid and clear of other points,
    labels and the corner names; the points never move except for the side-by-side
    placement of two kinds on one spot.

    Examples
    --------
    >>> import pandas as pd
    >>> from toolkit.customers import power_interest
    >>> register = pd.DataFrame({
    ...     "customer_id": ["board", "residents", "bank", "mayor", "intake"],
    ...     "name": ["Board", "Residents", "Food bank", "Mayor", "Intake team"],
    ...     "kind": ["internal", "external", "external", "external", "internal"],
    ...     "segment": ["Board", "Residents", "Partners", "Officials", "Staff"],
    ...     "power": [5, 2, 4, None, 5], "interest": [4, 5, 2, 3, 4]})
    >>> spec = power_interest_chart(power_interest(register)).to_dict()
    >>> spec["description"].split(":")[0]
    'Power–interest grid of 4 customers rated 1–5'
    >>> rows = spec["datasets"][spec["layer"][-1]["data"]["name"]]
    >>> sorted(row["label"] for row in rows)
    ['Board and 1 more', 'Food bank', 'Residents']
    """
    require_columns(grid, _GRID_COLUMNS, name="grid")
    _one_row_per_customer(grid, name="grid", builder="power_interest_chart")
    threshold = (
        float(grid["threshold"].dropna().iloc[0]) if grid["threshold"].notna().any() else 3.5
    )
    rated = grid["power"].notna() & grid["interest"].notna()
    placed = grid[rated]
    missing = grid[~rated]

    groups: dict[tuple, list] = {}
    for row in placed.itertuples(index=False):
        key = (float(row.interest), float(row.power), str(row.kind))
        groups.setdefault(key, []).append(row)
    spots = {}
    for interest, power, kind in groups:
        spots.setdefault((interest, power), set()).add(kind)
    records = []
    for (interest, power, kind), members in groups.items():
        both = len(spots[(interest, power)]) > 1
        shift = (-_DODGE if kind == "internal" else _DODGE) if both else 0.0
        first = members[0]
        count = len(members)
        records.append(
            {
                "interest_at": interest + shift,
                "power": power,
                "interest": interest,
                "kind_label": _kind_label(kind),
                "count": count,
                "size": _point_size(count),
                "quadrant": "–" if is_missing(first.quadrant) else str(first.quadrant),
                "strategy": "–" if is_missing(first.strategy) else str(first.strategy),
                "names_said": list_words([m.name for m in members], 10),
                "count_said": f"{count}",
                "power_said": fmt_whole(power),
                "interest_said": fmt_whole(interest),
                "full_label": str(first.name)
                if count == 1
                else f"{first.name} and {count - 1} more",
                "all_names": "; ".join(str(m.name) for m in members),
            }
        )
    data = pd.DataFrame(
        records,
        columns=[
            "interest_at",
            "power",
            "interest",
            "kind_label",
            "count",
            "size",
            "quadrant",
            "strategy",
            "names_said",
            "count_said",
            "power_said",
            "interest_said",
            "full_label",
            "all_names",
        ],
    )

    data["aria"] = [
        f"{r.names_said} ({r.kind_label.lower()}): power {r.power_said}, interest "
        f"{r.interest_said}, {r.quadrant}"
        for r in data.itertuples(index=False)
    ]
    span = _PI_DOMAIN[1] - _PI_DOMAIN[0]

    def px(value: float) -> float:
        return (value - _PI_DOMAIN[0]) / span * _PI_WIDTH

    def py(value: float) -> float:
        return (_PI_DOMAIN[1] - value) / span * _PI_HEIGHT

    corner_boxes = []
    for name, interest, power, align, baseline, dx, dy in _PI_CORNERS:
        w = text_width(name, 14) + 4
        left = px(interest) + dx - (w if align == "right" else 0)
        top = py(power) + dy - (18 if baseline == "bottom" else 0)
        corner_boxes.append((left, top, left + w, top + 18))
    if len(data):
        order = data.sort_values(["count", "power", "interest"], ascending=False).index
        placements = place_labels(
            [px(v) for v in data["interest_at"]],
            [py(v) for v in data["power"]],
            [_point_radius(s) for s in data["size"]],
            data["full_label"].tolist(),
            width=_PI_WIDTH,
            height=_PI_HEIGHT,
            avoid=corner_boxes,
            order=list(order),
            numbered=True,
            spill_right=_PI_SPILL,
        )
    else:
        placements = []
    data["label"] = [p["text"] for p in placements]
    data["label_align"] = [p["align"] for p in placements]
    data["label_interest"] = [
        v + p["dx"] / _PI_WIDTH * span for v, p in zip(data["interest_at"], placements, strict=True)
    ]
    data["label_power"] = [
        v - p["dy"] / _PI_HEIGHT * span for v, p in zip(data["power"], placements, strict=True)
    ]

    tooltip = tips(
        ("names_said", "Customers"),
        ("kind_label", "Kind"),
        ("count_said", "Customers at this point (n)"),
        ("power_said", "Power (1–5)"),
        ("interest_said", "Interest (1–5)"),
        ("quadrant", "Quadrant"),
        ("strategy", "Strategy"),
    )
    scale = alt.Scale(domain=list(_PI_DOMAIN), nice=False, zero=False)

    x, y = grid_axes(
        scale,
        alt.Axis(values=[1, 2, 3, 4, 5], titlePadding=10, grid=False),
        across="Interest in what we do (1 = little, 5 = a great deal)",
        up="Power over us (1 = little, 5 = a great deal)",
    )

    crosshair = crosshairs(pd.DataFrame({"at": [threshold]}), x("at"), y("at"))
    corners = pd.DataFrame(
        [{"quadrant": c[0], "interest": c[1], "power": c[2]} for c in _PI_CORNERS]
    )
    corner_labels = corner_names(
        corners,
        x("interest"),
        y("power"),
        [(name, *place) for name, _i, _p, *place in _PI_CORNERS],
        color="#444444",
    )
    base = alt.Chart()
    points = base.mark_point(filled=True, opacity=1, stroke="white", strokeWidth=1).encode(
        description=alt.Description(field="aria", type="nominal"),
        x=x("interest_at"),
        y=y("power"),
        size=alt.Size(field="size", type="quantitative", scale=None, legend=None),
        tooltip=tooltip,
        **_kind_encodings(),
    )
    labels = _label_layers(
        base, x("label_interest"), y("label_power"), font_size=12, tooltip=tooltip, halo=True
    )
    marks = alt.layer(points, *labels, data=data)

    subtitle = [
        f"Ratings on a 1–5 scale; dashed lines at {threshold:g}: a rating at or above it is high.",
    ]
    subtitle += _spelled_out(placements, data)
    note = ""
    if len(missing):
        note = (
            "Not placed, a rating is missing: "
            + list_words([f"{r.name} ({r.note})" for r in missing.itertuples(index=False)], 5)
            + "."
        )
        subtitle.append(note)

    def in_quadrant(name: str) -> str:
        return list_words(placed.loc[placed["quadrant"] == name, "name"].astype(str).tolist(), 6)

    description = (
        f"Power–interest grid of {count_words(len(placed), 'customer')} rated 1–5: interest across, "
        f"power up, split at {threshold:g} into four quadrants. "
        f"Manage closely (high power, high interest): {in_quadrant('Manage closely')}. "
        f"Keep satisfied (high power, low interest): {in_quadrant('Keep satisfied')}. "
        f"Keep informed (low power, high interest): {in_quadrant('Keep informed')}. "
        f"Monitor (low power, low interest): {in_quadrant('Monitor')}. "
        "Internal customers are squares, external customers circles. " + note
    ).strip()
    return alt.layer(*corner_labels, *crosshair, marks).properties(
        width=_PI_WIDTH,
        height=_PI_HEIGHT,
        title=alt.Title(
            title or "Power and interest", subtitle=wrapped_lines(subtitle, 90), anchor="start"
        ),
        description=description,
    )


# --------------------------------------------------------------------------- service chain

_COLUMN = 125  # pixels per layer
# At most 640 px of plot (and the last layer's labels past it): printed on A4 the chart
# is scaled by at most 0.8, which keeps its 12 px labels above 7 pt on paper. A network
# too wide for that draws its columns closer, and the placer numbers the names that
# would crowd.
_CHAIN_MIN_WIDTH, _CHAIN_MAX_WIDTH = 520, 640
_CHAIN_FONT = 12
_SIZE_RANGE = (40.0, 240.0)
_PLAIN_SIZE = 110.0
_CHAIN_SPILL = 150  # labels of the last layer may run this far past the plot
_FORWARD = "Serves (left to right)"
_BACKWARD = "Runs back upstream"


def _label_backgrounds(node_data, placements, width, height, x, y) -> alt.Chart:
    """White boxes behind the placed labels, over the links, so no line crosses a name."""
    rows = []
    for p, lx, ly in zip(placements, node_data["label_x"], node_data["label_y"], strict=True):
        w = text_width(p["text"], _CHAIN_FONT) + 4
        left = {"left": -2.0, "right": -w + 2, "center": -w / 2}[p["align"]]
        half = _CHAIN_FONT * 0.7
        rows.append(
            {
                "bx": lx + left / width,
                "bx2": lx + (left + w) / width,
                "by": ly - half / height,
                "by2": ly + half / height,
            }
        )
    boxes = pd.DataFrame(rows, columns=["bx", "bx2", "by", "by2"])
    return (
        alt.Chart(boxes)
        .mark_rect(color="white", opacity=0.92, aria=False)
        .encode(x=x("bx"), x2=alt.X2(field="bx2"), y=y("by"), y2=alt.Y2(field="by2"))
    )


def _chain_height(nodes: pd.DataFrame) -> int:
    need = 0
    for _, layer in nodes.groupby("layer"):
        staggered = layer["x"].nunique() > 1
        need = max(need, len(layer) * (16 if staggered else 26))
    return int(min(max(need + 20, 260), 1800))


def service_chain_chart(
    layout: Mapping[str, pd.DataFrame], *, title: str | None = None
) -> alt.LayerChart:
    """Network diagram of who serves whom: internal units upstream, customers downstream.

    Parameters
    ----------
    layout : dict
        The result of :func:`toolkit.customers.chain_layout`: ``"nodes"`` (``customer_id``,
        ``name``, ``kind``, ``segment``, ``layer``, ``order``, ``x``, ``y``) and ``"edges"``
        (``provider_id``, ``customer_id``, ``service``, ``x``, ``y``, ``x2``, ``y2``,
        ``backward``). When the nodes carry a ``score`` column (and optionally ``rank``
        and ``tier``), merged in from :func:`toolkit.customers.prioritise_customers`,
        node size shows the priority score.
    title : str, optional
        Chart title; by default "Who serves whom".

    Returns
    -------
    alt.LayerChart
        One node per customer at the layout's position: layers left to right, internal
        units (orange squares) first, then external customers (blue circles), with a
        dashed line between the two and their names above. Each service link is a grey
        line from provider to customer with an arrowhead at the customer; links that run
        back upstream are dashed and curved. Labels sit beside their node, on the first
        side clear of other nodes and labels (a node with no clear side is numbered
        instead, and the subtitle names each number), over a white halo so lines do not
        cross the words.
        Tooltips give each node's kind, segment, whom it serves and who serves it (and
        its score, rank and tier when merged in), and each link's service.

    Raises
    ------
    DataValidationError
        ``layout`` is not the dict ``chain_layout`` returns, or a column is missing.

    Notes
    -----
    The chart grows with the layout: about 125 px per layer across (at most 640 px, so it
    prints on A4 with its names above 7 pt) and 14 px per node
    in the tallest layer (26 px where a layer is not staggered). Node positions come
    from the layout unchanged; only labels and arrowheads are placed here.

    Examples
    --------
    >>> import pandas as pd
    >>> from toolkit.customers import chain_layout
    >>> register = pd.DataFrame({
    ...     "customer_id": ["intake", "food", "residents"],
    ...     "name": ["Intake team", "Food program", "Residents"],
    ...     "kind": ["internal", "internal", "external"], "segment": [None, None, "Residents"]})
    >>> links = pd.DataFrame({"provider_id": ["intake", "food"],
    ...                       "customer_id": ["food", "residents"]})
    >>> spec = service_chain_chart(chain_layout(register, links)).to_dict()
    >>> spec["description"].split(". ")[0]
    'Network diagram of the service chain: 3 customers (2 internal units, 1 external customer) joined by 2 service links'
    """
    if not isinstance(layout, Mapping) or not {"nodes", "edges"} <= set(layout):
        raise DataValidationError(
            "service_chain_chart draws the result of chain_layout(customers, links): a dict "
            f'with "nodes" and "edges" (got {type(layout).__name__}).'
        )
    nodes, edges = layout["nodes"], layout["edges"]
    require_columns(nodes, _NODE_COLUMNS, name='layout["nodes"]')
    require_columns(edges, _EDGE_COLUMNS, name='layout["edges"]')
    nodes = nodes.reset_index(drop=True)
    edges = edges.reset_index(drop=True)
    has_score = "score" in nodes

    n_layers = int(nodes["layer"].max()) + 1 if len(nodes) else 1
    width = int(min(max(_COLUMN * n_layers, _CHAIN_MIN_WIDTH), _CHAIN_MAX_WIDTH))
    height = _chain_height(nodes) if len(nodes) else 260
    names = dict(zip(nodes["customer_id"], nodes["name"].astype(str), strict=True))

    # Nodes: size, pixel position, label.
    if has_score:
        score = pd.to_numeric(nodes["score"], errors="coerce").astype(float)
        low, high = _SIZE_RANGE
        sizes = (low + (score.clip(1, 5) - 1) / 4 * (high - low)).fillna(low)
    else:
        score = pd.Series(np.nan, index=nodes.index)
        sizes = pd.Series(_PLAIN_SIZE, index=nodes.index)
    px = (nodes["x"].astype(float) * width).to_numpy()
    py = (nodes["y"].astype(float) * height).to_numpy()
    radius = [_point_radius(s) for s in sizes]
    serves = {n: [] for n in nodes["customer_id"]}
    served_by = {n: [] for n in nodes["customer_id"]}
    for a, b in zip(edges["provider_id"], edges["customer_id"], strict=True):
        if a != b:
            serves.setdefault(a, []).append(names.get(b, str(b)))
            served_by.setdefault(b, []).append(names.get(a, str(a)))
    self_links = [
        a for a, b in zip(edges["provider_id"], edges["customer_id"], strict=True) if a == b
    ]

    order = list(
        pd.DataFrame({"s": score.fillna(0), "layer": nodes["layer"], "o": nodes["order"]})
        .sort_values(["s", "layer", "o"], ascending=[False, True, True], kind="stable")
        .index
    )
    placements = (
        place_labels(
            px,
            py,
            radius,
            nodes["name"].astype(str).tolist(),
            width=width,
            height=height,
            font_size=_CHAIN_FONT,
            order=order,
            numbered=True,
            spill_right=_CHAIN_SPILL,
        )
        if len(nodes)
        else []
    )

    node_data = pd.DataFrame(
        {
            "customer_id": nodes["customer_id"].astype(str),
            "name": nodes["name"].astype(str),
            "kind_label": [_kind_label(k) for k in nodes["kind"]],
            "segment": [
                "–" if is_missing(s) else str(s) for s in nodes.get("segment", [None] * len(nodes))
            ],
            "x": nodes["x"].astype(float),
            "y": nodes["y"].astype(float),
            "size": sizes.astype(float),
            "label": [p["text"] for p in placements],
            "label_align": [p["align"] for p in placements],
            "label_x": [x0 + p["dx"] / width for x0, p in zip(nodes["x"], placements, strict=True)],
            "label_y": [
                y0 + p["dy"] / height for y0, p in zip(nodes["y"], placements, strict=True)
            ],
            "serves_said": [
                list_words(serves[n], 6) if serves[n] else "no one in the register"
                for n in nodes["customer_id"]
            ],
            "served_by_said": [
                list_words(served_by[n], 6) if served_by[n] else "no one in the register"
                for n in nodes["customer_id"]
            ],
        }
    )
    node_data["aria"] = [
        f"{name} ({kind.lower()}): serves {serving}; served by {served}"
        for name, kind, serving, served in zip(
            node_data["name"],
            node_data["kind_label"],
            node_data["serves_said"],
            node_data["served_by_said"],
            strict=True,
        )
    ]
    node_data["links_said"] = [
        f"serves {len(serves[n])}, served by {len(served_by[n])}" for n in nodes["customer_id"]
    ]
    if has_score:
        ranks = nodes["rank"] if "rank" in nodes else pd.Series(None, index=nodes.index)
        tiers = nodes["tier"] if "tier" in nodes else pd.Series(None, index=nodes.index)
        node_data["score_size"] = score.fillna(1.0)
        node_data["priority_said"] = [
            "not scored"
            if is_missing(s)
            else f"{float(s):.2f}"
            + (f", rank {float(r):g}" if not is_missing(r) else "")
            + (f", {t} tier" if not is_missing(t) else "")
            for s, r, t in zip(score, ranks, tiers, strict=True)
        ]

    # Edges: straight forward links, curved backward ones, arrowheads at the customer.
    edge_rows, curve_rows, arrow_rows = [], [], []
    radius_of = dict(zip(nodes["customer_id"], radius, strict=True))
    for i, e in enumerate(edges.itertuples(index=False)):
        if e.provider_id == e.customer_id:
            continue
        backward = bool(e.backward)
        said = {
            "edge": i,
            "provider": names.get(e.provider_id, str(e.provider_id)),
            "customer": names.get(e.customer_id, str(e.customer_id)),
            "service": "–" if is_missing(getattr(e, "service", None)) else str(e.service),
            "direction": _BACKWARD if backward else _FORWARD,
        }
        said["aria"] = f"{said['provider']} serves {said['customer']}: {said['service']}"
        x1, y1, x2, y2 = (
            float(e.x) * width,
            float(e.y) * height,
            float(e.x2) * width,
            float(e.y2) * height,
        )
        if backward:
            length = math.hypot(x2 - x1, y2 - y1) or 1.0
            bend = min(0.22 * length, 70.0)
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
            # bend to the left of the direction of travel (upwards for a leftward link)
            cx, cy = mx + (y2 - y1) / length * bend, my - (x2 - x1) / length * bend
            for step, (qx, qy) in enumerate(((x1, y1), (cx, cy), (x2, y2))):
                curve_rows.append({**said, "step": step, "cx": qx / width, "cy": qy / height})
            fx, fy = cx, cy
        else:
            edge_rows.append(
                {**said, "x": float(e.x), "y": float(e.y), "x2": float(e.x2), "y2": float(e.y2)}
            )
            fx, fy = x1, y1
        dx, dy = x2 - fx, y2 - fy
        norm = math.hypot(dx, dy)
        if norm == 0:
            continue
        ux, uy = dx / norm, dy / norm
        back = radius_of.get(e.customer_id, 6.0) + 5.0
        arrow_rows.append(
            {
                **said,
                "ax": (x2 - ux * back) / width,
                "ay": (y2 - uy * back) / height,
                "angle": math.degrees(math.atan2(uy, ux)) % 360,
            }
        )
    edge_columns = ["edge", "provider", "customer", "service", "direction", "aria"]
    edge_data = pd.DataFrame(edge_rows, columns=[*edge_columns, "x", "y", "x2", "y2"])
    curve_data = pd.DataFrame(curve_rows, columns=[*edge_columns, "step", "cx", "cy"])
    arrow_data = pd.DataFrame(arrow_rows, columns=[*edge_columns, "ax", "ay", "angle"])

    x_scale = alt.Scale(domain=[0, 1], nice=False, zero=False)
    y_scale = alt.Scale(domain=[0, 1], nice=False, zero=False, reverse=True)
    internal_x = nodes.loc[nodes["kind"] == "internal", "x"]
    external_x = nodes.loc[nodes["kind"] == "external", "x"]
    heads, head_words = [], {}
    if len(internal_x):
        at = round(float((internal_x.min() + internal_x.max()) / 2), 6)
        heads.append(at)
        head_words[str(at)] = "Internal units (upstream)"
    if len(external_x):
        at = round(float((external_x.min() + external_x.max()) / 2), 6)
        heads.append(at)
        head_words[str(at)] = "External customers"
    top_axis = alt.Axis(
        orient="top",
        values=heads,
        labelExpr=f"{js(head_words)}[toString(datum.value)] || ''",
        labelFontSize=13,
        labelFontWeight="bold",
        labelColor=INK,
        labelFlush=False,
        labelLimit=400,  # never cut a column's heading
        labelPadding=6,
        ticks=False,
        domain=False,
        grid=False,
        title=None,
    )

    def x(field: str) -> alt.X:
        return alt.X(field=field, type="quantitative", scale=x_scale, axis=top_axis)

    def y(field: str) -> alt.Y:
        return alt.Y(field=field, type="quantitative", scale=y_scale, axis=None)

    edge_tooltip = tips(
        ("provider", "Provider"),
        ("customer", "Serves"),
        ("service", "Service"),
        ("direction", "Direction"),
    )
    node_tooltip = tips(
        ("name", "Customer"),
        ("kind_label", "Kind"),
        ("segment", "Segment"),
        ("links_said", "Links (n)"),
        ("serves_said", "Serves"),
        ("served_by_said", "Served by"),
    )
    if has_score:
        node_tooltip.append(
            alt.Tooltip(field="priority_said", type="nominal", title="Priority score")
        )
    directions = [
        d for d in (_FORWARD, _BACKWARD) if d in {*edge_data["direction"], *curve_data["direction"]}
    ]
    direction = alt.StrokeDash(
        field="direction",
        type="nominal",
        scale=alt.Scale(
            domain=directions, range=[[1, 0] if d == _FORWARD else [5, 4] for d in directions]
        ),
        legend=alt.Legend(
            title=None,
            orient="bottom",
            symbolType="stroke",
            symbolStrokeWidth=2,
            symbolSize=300,
            labelFontSize=12,
            labelLimit=320,
        ),
    )

    layers = []
    boundary = None
    if len(internal_x) and len(external_x):
        last_internal = int(nodes.loc[nodes["kind"] == "internal", "layer"].max())
        boundary = (last_internal + 1) / n_layers
        layers.append(
            alt.Chart(pd.DataFrame({"x": [boundary]}))
            .mark_rule(color="#cfcfcf", strokeDash=[2, 4], strokeWidth=1.5)
            .encode(x=x("x"))
        )
    if len(edge_data):
        layers.append(
            alt.Chart(edge_data)
            .mark_rule(color=_EDGE, strokeWidth=1.2, opacity=0.75)
            .encode(
                description=alt.Description(field="aria", type="nominal"),
                x=x("x"),
                y=y("y"),
                x2=alt.X2(field="x2"),
                y2=alt.Y2(field="y2"),
                strokeDash=direction,
                tooltip=edge_tooltip,
            )
        )
    if len(curve_data):
        layers.append(
            alt.Chart(curve_data)
            .mark_line(color=_EDGE, strokeWidth=1.4, opacity=0.85, interpolate="basis")
            .encode(
                description=alt.Description(field="aria", type="nominal"),
                x=x("cx"),
                y=y("cy"),
                detail=alt.Detail(field="edge", type="nominal"),
                order=alt.Order(field="step", type="quantitative"),
                strokeDash=direction,
                tooltip=edge_tooltip,
            )
        )
    if len(arrow_data):
        layers.append(
            alt.Chart(arrow_data)
            .mark_point(
                shape="triangle-right", filled=True, size=34, color="#6f6f6f", opacity=1, aria=False
            )
            .encode(
                x=x("ax"),
                y=y("ay"),
                angle=alt.Angle(field="angle", type="quantitative", scale=None),
                tooltip=edge_tooltip,
            )
        )
    node_base = alt.Chart(node_data)
    size = (
        alt.Size(
            field="score_size",
            type="quantitative",
            scale=alt.Scale(domain=[1, 5], range=list(_SIZE_RANGE)),
            legend=alt.Legend(
                title="Priority score",
                orient="bottom",
                values=[1, 2, 3, 4, 5],
                symbolFillColor="#9a9a9a",
                symbolStrokeColor="#9a9a9a",
            ),
        )
        if has_score
        else alt.Size(field="size", type="quantitative", scale=None, legend=None)
    )
    if self_links:
        rings = node_data[node_data["customer_id"].isin([str(s) for s in self_links])]
        layers.append(
            alt.Chart(rings)
            .mark_point(
                shape="circle", filled=False, color=_EDGE, strokeDash=[3, 2], strokeWidth=1.5
            )
            .encode(x=x("x"), y=y("y"), size=alt.value(700), tooltip=node_tooltip)
        )
    layers.append(_label_backgrounds(node_data, placements, width, height, x, y))
    layers.append(
        node_base.mark_point(filled=True, opacity=1, stroke="white", strokeWidth=1).encode(
            description=alt.Description(field="aria", type="nominal"),
            x=x("x"),
            y=y("y"),
            size=size,
            tooltip=node_tooltip,
            **_kind_encodings(),
        )
    )
    layers += _label_layers(
        node_base,
        x("label_x"),
        y("label_y"),
        font_size=_CHAIN_FONT,
        tooltip=node_tooltip,
        halo=True,
    )

    n_internal = int((nodes["kind"] == "internal").sum())
    n_external = int((nodes["kind"] == "external").sum())
    n_links = int(len(edges))
    backward_links = [
        f"{names.get(a, a)} → {names.get(b, b)}"
        for a, b, back in zip(
            edges["provider_id"], edges["customer_id"], edges["backward"], strict=True
        )
        if back and a != b
    ]
    widest = int(nodes.groupby("layer").size().max()) if len(nodes) else 0
    subtitle = [
        "Each arrow runs from a provider to the customer it serves; internal units on the "
        "left serve those to their right.",
    ]
    notes = []
    if backward_links:
        notes.append(f"Dashed curves run back upstream: {list_words(backward_links, 3)}.")
    if self_links:
        notes.append(
            f"Dashed rings: serves itself ({list_words([names.get(s, s) for s in self_links], 3)})."
        )
    if has_score:
        notes.append("Node size shows the priority score (1–5).")
    key = sorted(
        (p["number"], str(n))
        for p, n in zip(placements, nodes["name"], strict=True)
        if p["number"] is not None
    )
    if key:
        notes.append(
            "Numbered where names would crowd: "
            + "; ".join(f"{number} {name}" for number, name in key)
            + "."
        )
    subtitle += notes
    description = (
        f"Network diagram of the service chain: {count_words(len(nodes), 'customer')} "
        f"({count_words(n_internal, 'internal unit')}, {count_words(n_external, 'external customer')}) "
        f"joined by {count_words(n_links, 'service link')}. Internal units are drawn on the left, "
        "upstream, as squares; external customers on the right as circles; each link runs "
        f"from provider to customer. The widest column holds {count_words(widest, 'customer')}. "
        + " ".join(notes)
    ).strip()
    return alt.layer(*layers).properties(
        width=width,
        height=height,
        title=alt.Title(
            title or "Who serves whom", subtitle=wrapped_lines(subtitle), anchor="start"
        ),
        description=description,
    )
