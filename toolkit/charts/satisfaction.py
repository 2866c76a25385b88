"""Altair builders that draw what the satisfaction analyses return, computing nothing.

``satisfaction_trend_chart``
    The trend of :func:`toolkit.satisfaction.satisfaction_trend`: a line through each
    period's estimate, a band for its interval, n under each point, events as labelled
    rules; small multiples with ``by``.
``control_chart_chart``
    :func:`toolkit.satisfaction.control_chart`: the series, its centre line and process
    limits per phase, and every signal marked as better or worse.
``before_after_chart``
    :func:`toolkit.satisfaction.before_after`: each event's window before and after, with
    intervals, joined so the direction of the change shows at a glance.

Every builder draws only the rows of the analysis result it is given (one row per period
or event: a trend over a million responses embeds a few hundred rows at most). Tooltips
carry the estimate with its interval and n. Colours come from the Okabe–Ito palette;
better and worse are shown by shape as well as colour.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from toolkit._validate import require_columns
from toolkit._words import difference_words, estimate_words, is_missing, level_words, p_words
from toolkit.charts._common import INK, MUTED, tips
from toolkit.charts.theme import BLUE, VERMILLION
from toolkit.schema.metrics import METRIC_TITLES

__all__ = [
    "METRIC_TITLES",
    "before_after_chart",
    "control_chart_chart",
    "difference_words",
    "estimate_words",
    "satisfaction_trend_chart",
]

_GREY = "#8c8c8c"

_RESPONSES = alt.Tooltip(field="n", type="quantitative", title="Responses", format=",")
_MEASURE_TITLES = {"mean": "mean score", "top_box": "top-box share", "nps": "NPS"}

_TREND_COLUMNS = (
    "period",
    "period_start",
    "period_end",
    "t",
    "metric",
    "measure",
    "n",
    "estimate",
    "ci_low",
    "ci_high",
    "suppressed",
    "confidence",
)


# ----------------------------------------------------------------------------- words


def _interval_words(row, measure: str) -> str:
    if is_missing(row.estimate):
        return "suppressed (too few responses)"
    if is_missing(row.ci_low):
        return f"{estimate_words(row.estimate, measure)} (no interval from one response)"
    level = level_words(row.confidence)
    return (
        f"{estimate_words(row.estimate, measure)} ({level} interval "
        f"{estimate_words(row.ci_low, measure)} to {estimate_words(row.ci_high, measure)})"
    )


def _axis_title(metric: str, measure: str, scale: tuple | None = None) -> str:
    base = {"nps": "NPS (−100 to +100)", "top_box": "Top-box share"}.get(measure)
    if base is None and metric == "nps":
        base = "Mean likelihood to recommend (0–10)"
    if base is None:
        span = f" ({scale[0]:g}–{scale[1]:g})" if scale and not any(map(is_missing, scale)) else ""
        base = f"Mean score{span}"
    return base


def _y_scale(trend: pd.DataFrame, measure: str) -> alt.Scale:
    if measure == "top_box":
        return alt.Scale(domain=[0, 1], nice=False)
    if measure == "nps":
        return alt.Scale(domain=[-100, 100], nice=False)
    if {"scale_min", "scale_max"} <= set(trend.columns) and len(trend):
        low, high = trend["scale_min"].iloc[0], trend["scale_max"].iloc[0]
        if not is_missing(low) and not is_missing(high):
            return alt.Scale(domain=[float(low), float(high)], nice=False)
    return alt.Scale(zero=False)


def _n_fits(data: pd.DataFrame, shown: pd.DataFrame, by) -> bool:
    """Whether an "n=" label fits under each period (else the subtitle gives the range)."""
    room = (300 if by else 560) / max(1, shown["period"].nunique())
    widest = max((len(text) for text in data["n_text"].dropna()), default=0) * 6.2
    return room >= widest + 6


def _n_range(shown: pd.DataFrame) -> list[str]:
    """The subtitle's line on responses when they are not under each period."""
    if not len(shown):
        return []
    low, high = int(shown["n"].min()), int(shown["n"].max())
    return [f"Responses per period: {low:,} to {high:,}."]


def _midpoints(frame: pd.DataFrame) -> pd.Series:
    start = pd.to_datetime(frame["period_start"])
    end = pd.to_datetime(frame["period_end"])
    return start + (end - start) / 2


# ----------------------------------------------------------------------------- trend


def satisfaction_trend_chart(
    trend: pd.DataFrame,
    *,
    events: pd.DataFrame | None = None,
    by: str | None = None,
    title: str | None = None,
    columns: int = 2,
    show_n: bool | None = None,
) -> alt.TopLevelMixin:
    """Line and interval band of a satisfaction trend, with events and n per point.

    Parameters
    ----------
    trend : DataFrame
        The result of :func:`toolkit.satisfaction.satisfaction_trend`.
    events : DataFrame, optional
        Events to mark (``starts_on``, ``label``, optionally ``segment``); each becomes a
        dashed vertical rule with its label. An event for one segment is drawn only in
        that segment's panel when ``by`` is ``"segment"``.
    by : str, optional
        The trend's group column: one small panel per group, on shared axes.
    title : str, optional
        By default the metric's name and what is plotted.
    columns : int
        Panels per row with ``by``.
    show_n : bool, optional
        Write n under every point; by default only when there are 16 periods or fewer
        (6 in small multiples).

    Returns
    -------
    alt.LayerChart or alt.FacetChart
        Suppressed periods are left out (a gap in the line); the subtitle says how many.
        Tooltips give the period, the estimate with its interval, n and the interval
        method. Periods are placed at their midpoints in time (waves without dates in
        order).
    """
    require_columns(trend, _TREND_COLUMNS, name="trend")
    metric = str(trend["metric"].iloc[0]) if len(trend) else "csat"
    measure = str(trend["measure"].iloc[0]) if len(trend) else "mean"
    scale = (
        (trend["scale_min"].iloc[0], trend["scale_max"].iloc[0])
        if len(trend) and "scale_min" in trend
        else None
    )
    # Suppressed periods stay in the data with empty estimates, so the line breaks there.
    shown = trend.copy()
    hidden = int(trend["suppressed"].astype(bool).sum())
    timed = len(trend) > 0 and trend["period_start"].notna().all()
    types = {
        "period": str,
        "t": int,
        "estimate": float,
        "ci_low": float,
        "ci_high": float,
        "n": int,
    }
    data = shown[list(types)].astype(types)
    if timed:
        data["when"] = _midpoints(shown).dt.strftime("%Y-%m-%d").to_numpy()
    if by:
        require_columns(trend, [by], name="trend")
        data["group"] = shown[by].astype(str).to_numpy()
    rows = list(shown.itertuples(index=False))
    data["said"] = [_interval_words(r, measure) for r in rows]
    data["n_text"] = [f"n={int(r.n):,}" for r in rows]
    data["method"] = shown["interval"].astype(str).to_numpy() if "interval" in shown else ""
    data["layer"] = "point"
    if show_n is None:  # n under each point while the labels have room
        show_n = trend["t"].nunique() <= (6 if by else 16)

    span = (
        (pd.to_datetime(shown["period_start"]).min(), pd.to_datetime(shown["period_end"]).max())
        if timed
        else None
    )
    event_rows = _event_marks(events, by, data, span, width=300 if by else 560)
    if timed and len(event_rows):
        data = pd.concat([data, event_rows], ignore_index=True)

    if timed:  # padded, so the first and last "n=" labels stay clear of the y axis
        x = alt.X(
            field="when",
            type="temporal",
            title=None,
            # Flush: the first and last labels stay inside the plot, clear of the y axis
            # and of the next panel's labels.
            # labelPadding: the x labels start below the y axis's lowest number.
            axis=alt.Axis(format="%b %Y", labelFlush=True, labelPadding=5),
            scale=alt.Scale(padding=24),
        )
    else:
        order = shown.sort_values("t")["period"].astype(str).drop_duplicates().tolist()
        x = alt.X(field="period", type="ordinal", sort=order, title=None)
    y_title = _axis_title(metric, measure, scale)
    y = alt.Y(field="estimate", type="quantitative", title=y_title, scale=_y_scale(trend, measure))
    tooltip = tips(
        ("period", "Period"),
        ("said", _MEASURE_TITLES.get(measure, "estimate")),
        _RESPONSES,
        ("method", "Interval"),
    )
    if by:
        tooltip.insert(0, alt.Tooltip(field="group", type="nominal", title=by.capitalize()))

    base = alt.Chart().transform_filter("datum.layer === 'point'")
    band = base.mark_area(opacity=0.22, color=BLUE).encode(
        x=x,
        y=alt.Y(field="ci_low", type="quantitative", title=y_title, scale=_y_scale(trend, measure)),
        y2=alt.Y2(field="ci_high"),
        tooltip=tooltip,
    )
    line = base.mark_line(color=BLUE, strokeWidth=2).encode(x=x, y=y)
    points = base.mark_point(filled=True, size=55, color=BLUE).encode(x=x, y=y, tooltip=tooltip)
    layers = [band, line, points]
    height = 170 if by else 280
    n_listed = show_n and _n_fits(data, shown, by)
    if n_listed:
        layers.append(
            base.mark_text(baseline="bottom", fontSize=10, color=MUTED).encode(
                x=x, y=alt.value(height - 2), text=alt.Text(field="n_text")
            )
        )
    if timed and len(event_rows):
        marks = alt.Chart().transform_filter("datum.layer === 'event'")
        event_tooltip = tips(("event", "Event"), ("event_date", "Started"))
        layers.append(
            marks.mark_rule(color=VERMILLION, strokeDash=[5, 4], strokeWidth=1.5).encode(
                x=alt.X(field="when", type="temporal"), tooltip=event_tooltip
            )
        )
        layers.append(
            marks.mark_text(
                align="left",
                baseline="top",
                dx=4,
                fontSize=12,
                fontWeight="bold",
                color=VERMILLION,
            ).encode(
                x=alt.X(field="when", type="temporal"),
                # label_y: numbers of events close in time step down a line each
                y=alt.Y(field="label_y", type="quantitative", scale=None),
                text=alt.Text(field="event_number"),
                tooltip=event_tooltip,
            )
        )

    words = _MEASURE_TITLES.get(measure, "estimate")
    level = level_words(trend["confidence"].iloc[0]) if len(trend) else "95%"
    subtitle = [f"{words[0].upper()}{words[1:]} per period with its {level} interval (shaded)."]
    if len(event_rows):
        listed = event_rows.drop_duplicates("event_number")
        subtitle.extend(
            f"{r.event_number}  {r.event} ({r.event_date})" for r in listed.itertuples(index=False)
        )
    subtitle += _n_range(shown) if show_n and not n_listed else []
    if hidden:
        subtitle.append(
            f"{hidden} period{'s' if hidden != 1 else ''} with too few responses "
            f"{'are' if hidden != 1 else 'is'} not shown."
        )
    name = title or f"{METRIC_TITLES.get(metric, metric)} over time"
    description = (
        f"Line chart of {words} over {shown['period'].nunique()} periods"
        + (f" for {data['group'].nunique()} groups" if by else "")
        + f", with {level} intervals as a band"
        + (f" and {event_rows['event'].nunique()} events marked" if len(event_rows) else "")
        + f". {hidden} suppressed periods left out."
    )
    chart = alt.layer(*layers, data=data)
    if by:
        panel = chart.properties(width=300, height=height).facet(
            facet=alt.Facet(field="group", type="nominal", title=None),
            columns=columns,
            spacing=60,  # room for the date labels at the panels' edges
        )
        return panel.properties(
            title=alt.Title(name, subtitle=subtitle), description=description
        ).resolve_scale(x="shared", y="shared")
    return chart.properties(
        width=560, height=height, title=alt.Title(name, subtitle=subtitle), description=description
    )


def _event_marks(
    events: pd.DataFrame | None, by: str | None, data: pd.DataFrame, span, *, width: int
) -> pd.DataFrame:
    """One row per event within ``span`` (per panel), in the chart's own data.

    ``label_y`` places each event's number: a number that would touch the one before it
    in a plot ``width`` pixels wide steps down a line, so two events a few weeks apart
    both stay readable.
    """
    if events is None or not len(events) or span is None:
        return pd.DataFrame()
    require_columns(events, ["starts_on", "label"], name="events")
    events = events.assign(starts_on=pd.to_datetime(events["starts_on"], errors="coerce"))
    events = events.sort_values("starts_on", kind="stable")  # numbered in time order
    starts = events["starts_on"]
    rows = []
    groups = data["group"].drop_duplicates().tolist() if by else [None]
    number = 0
    for start, label, segment in zip(
        starts,
        events["label"],
        events["segment"] if "segment" in events else [None] * len(events),
        strict=True,
    ):
        if pd.isna(start) or not span[0] <= start <= span[1]:
            continue
        number += 1
        for group in groups:
            if (
                group is not None
                and by == "segment"
                and isinstance(segment, str)
                and segment.strip()
                and segment.strip().casefold() != str(group).casefold()
            ):
                continue
            rows.append(
                {
                    "layer": "event",
                    "when": start.strftime("%Y-%m-%d"),
                    "event": str(label),
                    "event_number": str(number),
                    "event_date": start.strftime("%-d %b %Y"),
                    "group": group,
                }
            )
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["label_y"] = _label_lines(frame, span, width)
    if not by and len(frame):
        frame = frame.drop(columns="group")
    return frame


_LABEL_LINES = 4
"""At most this many lines of event numbers, so they stay above the data."""


def _label_lines(frame: pd.DataFrame, span, width: int) -> list[int]:
    """The y pixel of each event number: the first line free of a number still too close."""
    days = max((span[1] - span[0]).days, 1)
    per_day = max(width - 48, 1) / days  # the x scale's padding of 24 px each side
    room = 22  # a two-digit bold number at 12 px, with its 4-px offset
    ys, last = [], {}
    for group, when in zip(frame["group"], pd.to_datetime(frame["when"]), strict=True):
        lines = last.setdefault(group, [])
        line = next(
            (i for i, x in enumerate(lines) if (when - x).days * per_day >= room), len(lines)
        )
        if line == _LABEL_LINES:  # crowded: the line whose last number is furthest back
            line = min(range(_LABEL_LINES), key=lambda i: lines[i])
        if line == len(lines):
            lines.append(when)
        lines[line] = when
        ys.append(3 + 15 * line)
    return ys


# ----------------------------------------------------------------------------- control chart

_CONTROL_COLUMNS = (
    "period",
    "period_start",
    "t",
    "n",
    "value",
    "centre",
    "lower",
    "upper",
    "phase",
    "signal",
    "signal_words",
    "improvement",
    "chart",
    "direction",
)


def _line_segments(t: pd.Series) -> list[str]:
    """Number the runs of consecutive periods: a missing period starts a new line."""
    ordered = t.sort_values(kind="stable")
    steps = np.diff(ordered.to_numpy(dtype=int), prepend=ordered.iloc[0] - 1 if len(t) else 0)
    return pd.Series(np.cumsum(steps != 1), index=ordered.index).reindex(t.index).astype(str)


def control_chart_chart(
    chart: pd.DataFrame, *, measure: str = "mean", title: str | None = None
) -> alt.LayerChart:
    """The control chart: series, centre line, process limits and signals.

    Parameters
    ----------
    chart : DataFrame
        The result of :func:`toolkit.satisfaction.control_chart` for one group.
    measure : str
        What the values are (``mean``, ``nps`` or ``top_box``), for the axis and numbers.
    title : str, optional
        By default "Is the process stable?".

    Returns
    -------
    alt.LayerChart
        Grey points joined by a line, broken where a period is missing (suppressed or
        without responses: a jump in ``t``); the centre as a solid line and the limits as dashed
        lines, each drawn per phase (a rebase starts new lines); points that break a rule
        are larger and coloured, a blue triangle up for a signal in the better direction
        and a vermillion triangle down for the worse. Tooltips name the rules broken.
    """
    require_columns(chart, _CONTROL_COLUMNS, name="chart")
    kind = str(chart["chart"].iloc[0]) if len(chart) else "xmr"
    if kind in ("p", "laney"):
        measure = "top_box"
    rows = list(chart.itertuples(index=False))
    types = {"period": str, "t": int, "value": float, "centre": float, "lower": float}
    types |= {"upper": float, "phase": int, "n": int}
    data = chart[list(types)].astype(types)
    data["phase"] = data["phase"].astype(str)
    data["segment"] = _line_segments(data["t"])
    data["value_text"] = [estimate_words(r.value, measure) for r in rows]
    data["limits_text"] = [
        f"{estimate_words(r.lower, measure)} to {estimate_words(r.upper, measure)}" for r in rows
    ]
    data["signal_text"] = [r.signal_words or "none" for r in rows]
    data["status"] = [
        "No signal" if not r.signal else "Better" if r.improvement == True else "Worse"  # noqa: E712
        for r in rows
    ]
    order = data.sort_values("t")["period"].tolist()
    # The first label, slanted down-left, must clear the y axis's numbers: pad the scale
    # by its slanted width, in steps between periods.
    slant = 0.71 * 6.2 * max((len(str(p)) for p in order), default=0) + 8
    x = alt.X(
        field="period",
        type="ordinal",
        sort=order,
        title=None,
        axis=alt.Axis(labelAngle=-45),
        scale=alt.Scale(padding=min(3.0, max(0.5, slant / (560 / max(1, len(order)))))),
    )
    y_title = {"top_box": "Top-box share", "nps": "NPS"}.get(measure, "Mean score")
    scale = alt.Scale(zero=False) if measure != "top_box" else alt.Scale(domain=[0, 1])
    tooltip = tips(
        ("period", "Period"),
        ("value_text", y_title),
        ("limits_text", "Process limits"),
        _RESPONSES,
        ("signal_text", "Signals"),
    )
    base = alt.Chart(data)
    lines = [
        base.mark_line(color=_GREY, strokeWidth=1.5).encode(
            x=x,
            y=alt.Y(field="value", type="quantitative", title=y_title, scale=scale),
            detail=alt.Detail(field="segment"),
        ),
        base.mark_line(color=INK, strokeWidth=1.2, interpolate="step").encode(
            x=x, y=alt.Y(field="centre", type="quantitative"), detail=alt.Detail(field="phase")
        ),
    ]
    for limit in ("lower", "upper"):
        lines.append(
            base.mark_line(color=MUTED, strokeDash=[6, 4], strokeWidth=1.2).encode(
                x=x, y=alt.Y(field=limit, type="quantitative"), detail=alt.Detail(field="phase")
            )
        )
    points = base.mark_point(filled=True).encode(
        x=x,
        y=alt.Y(field="value", type="quantitative"),
        color=alt.Color(
            field="status",
            type="nominal",
            title=None,
            scale=alt.Scale(
                domain=["Better", "Worse", "No signal"], range=[BLUE, VERMILLION, _GREY]
            ),
        ),
        shape=alt.Shape(
            field="status",
            type="nominal",
            title=None,
            scale=alt.Scale(
                domain=["Better", "Worse", "No signal"],
                range=["triangle-up", "triangle-down", "circle"],
            ),
        ),
        size=alt.condition("datum.status !== 'No signal'", alt.value(140), alt.value(45)),
        tooltip=tooltip,
    )
    signals = int(chart["signal"].astype(bool).sum())
    phases = chart["phase"].nunique()
    kind_words = {
        "p": "P-chart of the top-box share",
        "laney": "Laney p′ chart of the top-box share",
    }.get(kind, "XmR chart of period values")
    subtitle = [
        "Solid line: centre; dashed: process limits"
        + (f" (rebased: {phases} phases)" if phases > 1 else "")
        + f". {signals} point{'s' if signals != 1 else ''} break a special-cause rule."
    ]
    return alt.layer(*lines, points).properties(
        width=560,
        height=260,
        title=alt.Title(
            title or "Is satisfaction stable, or has something changed?", subtitle=subtitle
        ),
        description=f"{kind_words} over {len(chart)} periods with {signals} signals.",
    )


# ----------------------------------------------------------------------------- before / after


def before_after_chart(ba: pd.DataFrame, *, title: str | None = None) -> alt.LayerChart:
    """Each event's window before against its window after, with intervals.

    Parameters
    ----------
    ba : DataFrame
        The result of :func:`toolkit.satisfaction.before_after` (one group).
    title : str, optional
        By default "Before and after each change".

    Returns
    -------
    alt.LayerChart
        One row per event (suppressed ones left out): a hollow grey circle before and a
        filled circle after, joined by a rule, each with its interval as a thin line; the
        after point is blue when the change is better, vermillion when worse and grey when
        there is no clear change. Tooltips give both estimates with intervals, n, the
        difference with its interval and p-value.
    """
    require_columns(
        ba,
        [
            "event",
            "n_before",
            "n_after",
            "estimate_before",
            "estimate_after",
            "difference",
            "ci_low",
            "ci_high",
            "p_value",
            "change",
            "suppressed",
            "measure",
            "confidence",
        ],
        name="ba",
    )
    shown = ba[~ba["suppressed"].astype(bool)]
    measure = str(ba["measure"].iloc[0]) if len(ba) else "mean"
    labels = [
        f"{r.event} ({pd.Timestamp(r.starts_on):%b %Y})" if "starts_on" in ba else str(r.event)
        for r in shown.itertuples(index=False)
    ]
    records = []
    for label, r in zip(labels, shown.itertuples(index=False), strict=True):
        level = level_words(r.confidence)
        diff = (
            f"{difference_words(r.difference, measure)} ({level} interval "
            f"{difference_words(r.ci_low, measure, unit=False)} to "
            f"{difference_words(r.ci_high, measure, unit=False)}; "
            f"{p_words(r.p_value)})"
        )
        for side in ("before", "after"):
            records.append(
                {
                    "event": label,
                    "side": side.capitalize(),
                    "estimate": getattr(r, f"estimate_{side}"),
                    "low": getattr(r, f"ci_low_{side}"),
                    "high": getattr(r, f"ci_high_{side}"),
                    "n": int(getattr(r, f"n_{side}")),
                    "said": estimate_words(getattr(r, f"estimate_{side}"), measure),
                    "difference": diff,
                    "change": str(r.change).capitalize(),
                }
            )
    data = pd.DataFrame(
        records,
        columns=["event", "side", "estimate", "low", "high", "n", "said", "difference", "change"],
    )
    y = alt.Y(field="event", type="nominal", title=None, sort=labels, axis=alt.Axis(labelLimit=440))
    x_title = {"top_box": "Top-box share", "nps": "NPS"}.get(measure, "Mean score")
    # padding: an interval ending at the scale's edge is drawn clear of the axis
    scale = alt.Scale(domain=[0, 1]) if measure == "top_box" else alt.Scale(zero=False, padding=12)
    x = alt.X(
        field="estimate",
        type="quantitative",
        title=x_title,
        scale=scale,
        axis=alt.Axis(labelOverlap="greedy", labelFlush=True),
    )
    tooltip = tips(
        ("event", "Event"),
        ("side", "Window"),
        ("said", x_title),
        _RESPONSES,
        ("difference", "After − before"),
        ("change", "Change"),
    )
    colour = alt.Color(
        field="change",
        type="nominal",
        title="Change",
        scale=alt.Scale(
            domain=["Better", "Worse", "No clear change"], range=[BLUE, VERMILLION, _GREY]
        ),
        legend=alt.Legend(orient="bottom", direction="horizontal"),
    )
    base = alt.Chart(data)
    join = base.mark_line(color=_GREY, strokeWidth=1).encode(
        x=x, y=y, detail=alt.Detail(field="event")
    )
    layers = [join]
    for side, width in (("Before", 2), ("After", 5)):
        part = base.transform_filter(f"datum.side === '{side}'")
        paint = colour if side == "After" else alt.value(_GREY)
        layers.append(
            part.mark_rule(strokeWidth=width, opacity=0.45 if side == "After" else 0.8).encode(
                x=alt.X(field="low", type="quantitative", scale=scale),
                x2=alt.X2(field="high"),
                y=y,
                color=paint,
            )
        )
        layers.append(
            part.mark_point(size=90, strokeWidth=2, filled=side == "After").encode(
                x=x, y=y, color=paint, tooltip=tooltip
            )
        )
    left_out = len(ba) - len(shown)
    subtitle = [
        "Hollow grey: the window before; filled: the window after. Bars: intervals "
        "(thin before, thick after)."
    ]
    if left_out:
        subtitle.append(
            f"{left_out} event{'s' if left_out != 1 else ''} with too few responses not shown."
        )
    return alt.layer(*layers).properties(
        width=400,  # with the event names, narrow enough to print on A4 above 7 pt
        height=alt.Step(40),
        title=alt.Title(title or "Before and after each change", subtitle=subtitle),
        description=(
            f"Before-and-after comparison of {len(shown)} events: the estimate in the window "
            "before and after each event with intervals."
        ),
    )
