"""The words of the "Satisfaction over time" report, and its live panel.

The notebook ``notebooks/satisfaction.ipynb`` holds no logic: it opens its data with
:func:`open_satisfaction_report` and shows each section with a helper from here. Every
helper takes analysis results (from :mod:`toolkit.satisfaction`) and returns something to
display: Markdown that says in plain words what changed and how sure we are, or a
:class:`toolkit.reports.context.Table`. Numbers always come with their n and, where they are
estimates, their interval; suppressed groups are explained, never silently dropped.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from toolkit import satisfaction as sat
from toolkit._stats import margin_of_error
from toolkit._words import count_words, is_missing, join_words, level_words, p_words
from toolkit.charts.satisfaction import METRIC_TITLES, difference_words, estimate_words
from toolkit.errors import DataValidationError
from toolkit.reports.context import (
    ReportContext,
    Table,
    markdown,
    md_escape,
    open_report_as_called,
    show_table,
)
from toolkit.reports.runner import REPORT_TABLES
from toolkit.schema.metrics import METRIC_WORDS as _METRIC_WORDS
from toolkit.schema.metrics import metric_choices

__all__ = [
    "SATISFACTION_TABLES",
    "SatisfactionReport",
    "changes_summary",
    "control_summary",
    "events_summary",
    "group_summary",
    "measured_summary",
    "one_group_note",
    "open_satisfaction_report",
    "period_table",
    "sampling_summary",
    "satisfaction_explorer",
    "trend_headline",
]

SATISFACTION_TABLES = REPORT_TABLES["satisfaction"]
_UNUSED_COLUMNS = ("response_id", "source_id", "respondent_id", "touchpoint", "comment")
_MEASURE_WORDS = {"mean": "mean score", "top_box": "top-box share", "nps": "NPS"}


@dataclass
class SatisfactionReport(ReportContext):
    """The opened data of the satisfaction report, with its conventions.

    Attributes beyond :class:`toolkit.reports.context.ReportContext`: ``metric``, ``period``,
    ``since`` and ``until`` (timestamps or None), ``by`` (None for no split), ``event``
    (a label, or None for every event), ``window_days``, ``baseline`` (None for every
    period), ``population`` (None when unknown) and ``conventions`` (top box, fiscal year,
    time zone and CES convention from engagement.toml).
    """

    metric: str = "csat"
    period: str = "quarter"
    since: pd.Timestamp | None = None
    until: pd.Timestamp | None = None
    by: str | None = "segment"
    event: str | None = None
    window_days: int = 90
    baseline: int | None = None
    population: int | None = None
    conventions: dict | None = None
    metrics_recorded: list | None = None

    @property
    def responses(self) -> pd.DataFrame:
        """The responses between ``since`` and ``until`` (dates in the engagement's zone)."""
        frame = self.tables["responses"]
        if self.since is None and self.until is None:
            return frame
        when = sat.local_times(frame["submitted_on"], self.conventions["timezone"])
        keep = pd.Series(True, index=frame.index)
        if self.since is not None:
            keep &= when >= self.since
        if self.until is not None:
            keep &= when < self.until + pd.Timedelta(days=1)
        return frame[keep.to_numpy()]

    @property
    def events(self) -> pd.DataFrame:
        return self.tables["events"]

    def options(self, **overrides) -> dict:
        """Keyword arguments for the analysis functions: conventions, confidence, min_n."""
        base = {
            "metric": self.metric,
            "top_box": self.conventions["top_box"],
            "ces": self.conventions["ces"],
            "fiscal_year_start": self.conventions["fiscal_year_start"],
            "timezone": self.conventions["timezone"],
            "confidence": self.confidence,
            "min_n": self.min_n,
        }
        return {**base, **overrides}

    def trend(self, *, metric: str | None = None, period: str | None = None, by=None):
        """:func:`toolkit.satisfaction.satisfaction_trend` with this report's settings."""
        return sat.satisfaction_trend(
            self.responses,
            period=period or self.period,
            by=by,
            **self.options(metric=metric or self.metric),
        )

    def before_after(self, *, metric: str | None = None, event=None, period=None, by=None):
        """:func:`toolkit.satisfaction.before_after` over the chosen event(s)."""
        events = self.events
        if not len(events):
            return None
        return sat.before_after(
            self.responses,
            events,
            event=event if event is not None else self.event,
            before=self.window_days,
            after=self.window_days,
            period=period or self.period,
            by=by,
            **self.options(metric=metric or self.metric),
        )

    def rebase_at(self) -> list:
        """Where control limits start again: the chosen event's start (none without one)."""
        if self.event is None:
            return []
        return sat.event_rows(self.events, self.event)["starts_on"].tolist()

    def groups(self) -> list:
        """The values of ``by`` present, in the engagement's segment order first."""
        if not self.by or self.by not in self.tables["responses"]:
            return []
        present = [v for v in self.responses[self.by].dropna().unique()]
        order = self.engagement.segments() if self.by == "segment" else []
        ranked = [s for s in order if s in present]
        return ranked + sorted((v for v in present if v not in ranked), key=str)


def _date_parameter(value, name: str) -> pd.Timestamp | None:
    if value is None or str(value).strip() == "":
        return None
    stamp = pd.to_datetime(str(value).strip(), format="ISO8601", errors="coerce")
    if pd.isna(stamp):
        raise DataValidationError(
            f"{name} = {value!r} is not a date. Write it as YYYY-MM-DD (2024-01-31), or leave "
            "it empty for no limit."
        )
    return pd.Timestamp(stamp).normalize()


def open_satisfaction_report(
    engagement: str | os.PathLike = "",
    *,
    subset: Mapping | None = None,
    interactive: bool = True,
    metric: str = "csat",
    period: str = "quarter",
    since: str = "",
    until: str = "",
    by: str = "segment",
    event: str = "",
    window_days: int = 90,
    baseline: int = 0,
    population: int = 0,
    confidence: float | None = None,
    min_n: int | None = None,
    parameters: Mapping | None = None,
) -> SatisfactionReport:
    """Open the data of the "Satisfaction over time" report, every parameter checked.

    Reads the responses and the events in one read transaction, applies ``subset``,
    resolves ``confidence`` and ``min_n`` against engagement.toml and switches on the
    offline chart display (see :func:`toolkit.reports.context.open_report`).

    Parameters
    ----------
    metric : str
        ``csat``, ``nps`` or ``ces``.
    period : str
        ``day``, ``week``, ``month``, ``quarter``, ``year``, ``fiscal-quarter``,
        ``fiscal-year`` or ``wave``.
    since, until : str
        First and last date (YYYY-MM-DD) to include; empty for no limit.
    by : str
        Column for the per-group panels (``segment``, ``campus``…); empty for none.
    event : str
        The event (label) to test before and after; empty for every event.
    window_days : int
        Days before and after an event that are compared.
    baseline : int
        Periods that set the control limits (frozen after them); 0 for every period.
    population : int
        How many customers the survey samples from; 0 when unknown.
    engagement, subset, interactive, confidence, min_n, parameters
        As for :func:`toolkit.reports.context.open_report`.

    Raises
    ------
    DataValidationError
        An unknown metric or period, a date that is not a date, ``since`` after
        ``until``, a ``by`` column the responses lack, an event that is not recorded,
        or no responses for the metric in the chosen range.
    """
    metric = str(metric).strip().lower()
    if metric not in sat.METRICS:
        raise DataValidationError(
            f"metric = {metric!r} is not a metric. Choose {metric_choices()}."
        )
    if period not in sat.PERIODS:
        raise DataValidationError(
            f"period = {period!r} is not a period. Choose one of: {', '.join(sat.PERIODS)}."
        )
    start, end = _date_parameter(since, "since"), _date_parameter(until, "until")
    if start is not None and end is not None and start > end:
        raise DataValidationError(
            f"since ({start:%Y-%m-%d}) is after until ({end:%Y-%m-%d}); swap them."
        )
    for name, value, low in (
        ("window_days", window_days, 1),
        ("baseline", baseline, 0),
        ("population", population, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise DataValidationError(
                f"{name} = {value!r} must be a whole number of at least {low}."
            )
    if baseline == 1:
        raise DataValidationError(
            "baseline = 1 cannot set control limits (a moving range needs two periods); "
            "use 0 for every period, or 2 or more."
        )
    called = {
        "metric": metric,
        "period": period,
        "since": since,
        "until": until,
        "by": by,
        "event": event,
        "window_days": window_days,
        "baseline": baseline,
        "population": population,
        "confidence": confidence,
        "min_n": min_n,
    }
    # A report run shows one metric: it reads that metric's responses only, without the
    # ids and comments it never shows (a million responses read in a second, not five).
    # A live session keeps everything, for the explorer.
    ctx = open_report_as_called(
        engagement,
        subset,
        interactive,
        parameters,
        called,
        tables=SATISFACTION_TABLES,
        rows=None if interactive else {"responses": {"metric": [metric]}},
        blank=None if interactive else {"responses": _UNUSED_COLUMNS},
    )
    settings = ctx.engagement.settings
    conventions = {
        "top_box": settings["top_box"],
        "fiscal_year_start": settings["fiscal_year_start"],
        "timezone": settings["timezone"],
        "ces": sat.ces_convention(settings.get("ces")),
    }
    by = str(by).strip() or None
    if by is not None and by not in ctx.tables["responses"]:
        have = [c for c in ctx.tables["responses"].columns if c not in _not_groupable()]
        raise DataValidationError(
            f"by = {by!r}: the responses have no such column. Choose one of: "
            f"{', '.join(have)}, or leave it empty."
        )
    report = SatisfactionReport(
        **{f: getattr(ctx, f) for f in ctx.__dataclass_fields__},
        metric=metric,
        period=period,
        since=start,
        until=end,
        by=by,
        event=str(event).strip() or None,
        window_days=window_days,
        baseline=baseline or None,
        population=population or None,
        conventions=conventions,
    )
    if report.event is not None:
        sat.event_rows(report.events, report.event)  # refuses an unknown event by name
    report.metrics_recorded = report.engagement.distinct_values("responses", "metric")
    return report


def _not_groupable() -> set[str]:
    """Columns that make no sense to split by: the people, the scores, the dates."""
    from toolkit.reports.context import IDENTIFYING_COLUMNS

    return set(IDENTIFYING_COLUMNS) | {
        "comment",
        "score",
        "metric",
        "scale_min",
        "scale_max",
        "submitted_on",
        "weight",
    }


# ----------------------------------------------------------------------------- what we measured


def measured_summary(ctx: SatisfactionReport):
    """What was measured: responses per metric, the range of dates, scales and conventions."""
    responses = ctx.responses
    counts = responses["metric"].value_counts()
    if not len(responses):
        return markdown(
            "There are no satisfaction responses"
            + (" in this range." if ctx.since or ctx.until else " yet.")
            + f" Import them with `service-toolkit import {ctx.shell_path()} FILE --table responses`."
        )
    first, last = responses["submitted_on"].min(), responses["submitted_on"].max()
    # in the report's own order: the store gives distinct values in no particular order
    recorded = set(ctx.metrics_recorded or [])
    others = [m for m in sat.METRICS if m in recorded and m not in counts]
    listed = [
        f"**{count_words(int(counts.get(m, 0)), 'response')}** on {_METRIC_WORDS[m]}"
        for m in sat.METRICS
        if counts.get(m, 0)
    ]
    conv = ctx.conventions
    ces = conv["ces"]
    lines = [
        f"Customers gave {join_words(listed)} between {first:%-d %B %Y} and {last:%-d %B %Y}"
        + (
            f" (the engagement also holds {join_words([_METRIC_WORDS[m] for m in others])}: "
            "run this report with `metric` set to see them)."
            if others
            else "."
        ),
        "",
        f"- **Top box** counts the top {conv['top_box']} answers of each scale "
        "(the share of customers who chose them).",
        "- **NPS** counts 9–10 as promoters, 7–8 as passives and 0–6 as detractors; "
        "NPS = % promoters − % detractors, from −100 to +100. Its interval treats each "
        "person as +1, 0 or −1 (not two separate shares); small groups use the adjusted-"
        "Wald interval.",
        f"- **CES** is read on {ces['scale_min']:g}–{ces['scale_max']:g}, "
        f"*{md_escape(ces['direction'])}*; its headline is the "
        f"{'mean' if ces['method'] == 'mean' else 'top-box share (easy answers)'}.",
        f"- Periods are {_period_words(ctx.period, conv)}; dates are read in "
        f"{md_escape(conv['timezone'])}.",
    ]
    if "weight" in responses and responses["weight"].notna().any():
        lines.append(
            "- Responses carry **weights**: estimates are weighted and intervals use the "
            "effective number of responses."
        )
    if ctx.since is not None or ctx.until is not None:
        lines.append(
            f"- Only responses from {ctx.since:%-d %B %Y} "
            if ctx.since is not None
            else "- Only responses "
        )
        if ctx.until is not None:
            lines[-1] += f"up to {ctx.until:%-d %B %Y} "
        lines[-1] += "are included."
    return markdown("\n".join(lines))


def _period_words(period: str, conv: Mapping) -> str:
    months = "January February March April May June July August September October November December"
    start = months.split()[conv["fiscal_year_start"] - 1]
    return {
        "day": "days",
        "week": "ISO weeks (Monday to Sunday)",
        "month": "calendar months",
        "quarter": "calendar quarters",
        "year": "calendar years",
        "fiscal-quarter": f"fiscal quarters (the fiscal year starts in {start} and is named "
        "after the year it ends in)",
        "fiscal-year": f"fiscal years starting in {start}, named after the year they end in",
        "wave": "survey waves, in the order they were fielded",
    }[period]


# ----------------------------------------------------------------------------- headline


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _said(value, low, high, measure: str, confidence: float) -> str:
    text = estimate_words(value, measure)
    if is_missing(low):
        return text
    return (
        f"{text} ({level_words(confidence)} interval {estimate_words(low, measure)} to "
        f"{estimate_words(high, measure)})"
    )


def trend_headline(trend: pd.DataFrame, changes: pd.DataFrame, ba: pd.DataFrame | None = None):
    """What changed, in three sentences: first to latest, the last change, the biggest event."""
    if trend.empty:
        return markdown("No responses for this metric in this range, so there is no trend.")
    shown = trend[~trend["suppressed"].astype(bool)]
    metric, measure = trend["metric"].iloc[0], trend["measure"].iloc[0]
    confidence = float(trend["confidence"].iloc[0])
    name = _METRIC_WORDS[metric]
    if shown.empty:
        return markdown(
            f"Every period has fewer than {int(trend['min_n'].iloc[0])} {name} responses, so "
            "no estimate is shown: too few answers say little and could identify people."
        )
    last = shown.iloc[-1]
    words = _MEASURE_WORDS[measure]
    lines = []
    if len(shown) == 1:
        lines.append(
            f"**{_upper_first(name)}** in {md_escape(last['period'])}: {words} "
            f"{_said(last['estimate'], last['ci_low'], last['ci_high'], measure, confidence)}, "
            f"from {count_words(int(last['n']), 'response')}."
        )
    else:
        lines.append(_first_to_latest(shown, name, measure, confidence))
    if len(changes):
        latest = changes.iloc[-1]
        change = latest["change"]
        sure = {
            "better": "better, and the interval leaves no room for no change",
            "worse": "worse, and the interval leaves no room for no change",
            "no clear change": "not clearly different: the interval includes no change, so "
            "chance alone could explain it",
            "not tested": "not testable (no spread in the answers)",
        }[change]
        lines.append(
            f"Since {md_escape(latest['previous_period'])} it moved "
            f"{difference_words(latest['difference'], measure)} "
            f"({level_words(confidence)} interval {difference_words(latest['ci_low'], measure, unit=False)} "
            f"to {difference_words(latest['ci_high'], measure, unit=False)}): {sure}."
        )
    if ba is not None and len(ba):
        tested = ba[~ba["suppressed"].astype(bool)]
        if len(tested):
            top = tested.loc[tested["difference"].abs().idxmax()]
            lines.append(_event_sentence(top, measure, confidence))
    return markdown("\n\n".join(lines))


def _first_to_latest(shown: pd.DataFrame, name: str, measure: str, confidence: float) -> str:
    """First against latest reported period: "rose"/"fell" only when the interval says so."""
    first, last = shown.iloc[0], shown.iloc[-1]
    a, b = first["estimate"], last["estimate"]
    moved = sat.change_between(shown, shown.index[0], shown.index[-1])
    up = moved["difference"] > 0
    direction = {
        "better": "rose" if up else "fell",
        "worse": "rose" if up else "fell",
    }.get(moved["change"], "showed no clear change")
    interval = ""
    if not is_missing(moved["ci_low"]):
        interval = (
            f"; change {difference_words(moved['difference'], measure)}, "
            f"{level_words(confidence)} interval "
            f"{difference_words(moved['ci_low'], measure, unit=False)} to "
            f"{difference_words(moved['ci_high'], measure, unit=False)}"
        )
    return (
        f"**{_upper_first(name)} {direction}** from {estimate_words(a, measure)} in "
        f"{md_escape(first['period'])} to {estimate_words(b, measure)} in "
        f"{md_escape(last['period'])} ({_MEASURE_WORDS[measure]}; latest "
        f"{_said(b, last['ci_low'], last['ci_high'], measure, confidence)}, "
        f"{count_words(int(last['n']), 'response')}, first "
        f"{count_words(int(first['n']), 'response')}{interval})."
    )


def _event_sentence(row, measure: str, confidence: float) -> str:
    when = pd.Timestamp(row["starts_on"])
    days = int(row["before_days"])
    clear = {
        "better": "better, and the interval leaves no room for no change",
        "worse": "worse, and the interval leaves no room for no change",
        "no clear change": "not clearly different: the interval includes no change",
        "not tested": "not tested",
    }[row["change"]]
    return (
        f"Around **{md_escape(row['event'])}** ({when:%-d %B %Y}), the {days} days after "
        f"were {clear} ({_MEASURE_WORDS[measure]} "
        f"{estimate_words(row['estimate_before'], measure)} → "
        f"{estimate_words(row['estimate_after'], measure)}, "
        f"{difference_words(row['difference'], measure)}, {level_words(confidence)} interval "
        f"{difference_words(row['ci_low'], measure, unit=False)} to "
        f"{difference_words(row['ci_high'], measure, unit=False)}; "
        f"n = {int(row['n_before']):,} and {int(row['n_after']):,})."
    )


# ----------------------------------------------------------------------------- tables


def period_table(trend: pd.DataFrame, *, by: str | None = None) -> Table:
    """Each period's n and estimates with intervals; suppressed periods say so."""
    metric = trend["metric"].iloc[0] if len(trend) else "csat"
    columns = {"period": "Period", "n": "Responses"}
    if by:
        columns = {by: by.replace("_", " ").capitalize(), **columns}
    intervals = {}
    percent = ["top_box"]
    if metric == "nps":
        columns.update(
            {
                "nps": "NPS",
                "promoters": "Promoters",
                "passives": "Passives",
                "detractors": "Detractors",
            }
        )
        intervals["nps"] = ("nps_ci_low", "nps_ci_high")
    else:
        columns.update({"mean": "Mean score", "top_box": "Top box"})
        intervals["mean"] = ("mean_ci_low", "mean_ci_high")
        intervals["top_box"] = ("top_box_ci_low", "top_box_ci_high")
    min_n = int(trend["min_n"].iloc[0]) if len(trend) else 5
    hidden = int(trend["suppressed"].astype(bool).sum()) if len(trend) else 0
    level = level_words(trend["confidence"].iloc[0]) if len(trend) else "95%"
    note = f"Estimates with their {level} intervals."
    if metric != "nps" and len(trend):
        note += f" Top box: {trend['top_box_answers'].iloc[0]}."
    if hidden:
        note += (
            f" {count_words(hidden, 'period')} with fewer than {min_n} responses show only "
            "their count: so few answers say little and could identify the people who gave them."
        )
    return show_table(
        trend,
        columns=columns,
        percent=percent,
        intervals=intervals,
        decimals={"mean": 2, "nps": 0, "n": 0, "promoters": 0, "passives": 0, "detractors": 0},
        caption=f"{METRIC_TITLES[metric]} per period",
        note=note,
    )


def changes_summary(changes: pd.DataFrame):
    """Period-to-period changes: the clear ones in words, all in a table, with the caveat."""
    if changes.empty:
        return markdown("There are not two reported periods to compare yet."), None
    measure = changes["measure"].iloc[0]
    confidence = float(changes["confidence"].iloc[0])
    clear = changes[changes["change"].isin(["better", "worse"])]
    adjusted = changes[changes["change_adjusted"].isin(["better", "worse"])]
    lines = []
    if clear.empty:
        lines.append(
            f"No period differs clearly from the one before it "
            f"({count_words(len(changes), 'comparison')})."
        )
    else:
        listed = [
            f"{md_escape(r.period)} ({r.change}, {difference_words(r.difference, measure)})"
            for r in clear.itertuples(index=False)
        ]
        lines.append(
            f"{count_words(len(clear), 'period')} of {len(changes)} moved clearly from the one "
            f"before: {join_words(listed)}."
        )
    lines.append(
        f"*A note on many comparisons:* each test allows a {1 - confidence:.0%} chance of "
        "flagging a change that is only noise, and with many periods some flags are "
        f"expected by chance. With intervals widened for all {len(changes)} comparisons "
        f"(Bonferroni), {count_words(len(adjusted), 'change')} remain clear; the Holm "
        "p-values are in the table."
    )
    table = show_table(
        changes.assign(adjusted=changes["difference"]),
        columns={
            "period": "Period",
            "previous_period": "Against",
            "n": "Responses",
            "difference": "Change",
            "p_value": "p",
            "p_holm": "p (Holm)",
            "change": "Reading",
            "adjusted": "Change (Bonferroni)",
            "change_adjusted": "Reading (Bonferroni)",
        },
        intervals={
            "difference": ("ci_low", "ci_high"),
            "adjusted": ("ci_low_adjusted", "ci_high_adjusted"),
        },
        decimals={
            "difference": 1 if measure == "nps" else 2,
            "adjusted": 1 if measure == "nps" else 2,
            "n": 0,
        },
        p_values=["p_value", "p_holm"],
        caption="Each period against the one before",
        note=f"Change with its {level_words(confidence)} interval"
        + (" (shares: in proportions)." if measure == "top_box" else "."),
    )
    return markdown("\n\n".join(lines)), table


def events_summary(ba: pd.DataFrame | None):
    """Each event's before/after comparison and interrupted time series, in words."""
    if ba is None:
        return markdown(
            "No events are recorded. Record changes customers might react to (a new service, "
            "new opening hours, a staff shortage) in the events table to test them here."
        )
    if ba.empty:
        return markdown("No event falls within the responses.")
    measure = ba["measure"].iloc[0]
    confidence = float(ba["confidence"].iloc[0])
    lines = []
    for row in ba.to_dict("records"):
        if row["suppressed"]:
            lines.append(
                f"- **{md_escape(row['event'])}**: too few responses around it "
                f"({row['n_before']} before, {row['n_after']} after; fewer than the minimum "
                "in a window), so it is not tested."
            )
            continue
        text = "- " + _event_sentence(row, measure, confidence)
        if not is_missing(row["its_level_change"]):
            text += (
                f" Over the whole series (interrupted time series, "
                f"{row['its_periods_before']} periods before and {row['its_periods_after']} "
                f"after), the level changed by {difference_words(row['its_level_change'], measure)} "
                f"({level_words(confidence)} interval "
                f"{difference_words(row['its_level_ci_low'], measure, unit=False)} to "
                f"{difference_words(row['its_level_ci_high'], measure, unit=False)}, "
                f"{p_words(row['its_level_p'])}) and the trend by "
                f"{difference_words(row['its_slope_change'], measure)} per period "
                f"({p_words(row['its_slope_p'])})."
            )
            if row["its_note"]:
                text += f" ({md_escape(row['its_note'])}.)"
        else:
            text += f" No interrupted time series: it {md_escape(row['its_note'])}."
        if not is_missing(row.get("event_segment")):
            text += f" Tested on {md_escape(row['event_segment'])} only."
        lines.append(text)
    lines.append(
        "\nA before/after difference shows that satisfaction moved when the change happened; "
        "other things that changed at the same time could also explain it."
    )
    return markdown("\n".join(lines))


def control_summary(chart: pd.DataFrame, *, measure: str):
    """The control chart's signals in words."""
    if chart.empty:
        return markdown("Too few reported periods for a control chart.")
    kind = {"xmr": "XmR", "laney": "Laney p′ chart"}.get(chart["chart"].iloc[0], "p-chart")
    signals = chart[chart["signal"].astype(bool)]
    phases = chart["phase"].nunique()
    base = chart[chart["in_baseline"].astype(bool)]
    per_phase = base.groupby("phase").size().tolist()
    if phases > 1 and len(set(per_phase)) == 1:
        source = f"{count_words(per_phase[0], 'period')} in each of {phases} phases"
    elif phases > 1:
        source = f"{join_words([str(n) for n in per_phase])} periods in its {phases} phases"
    else:
        source = count_words(len(base), "period")
    lines = [
        f"The {kind} sets limits from {source}"
        + (f", starting again at {md_escape(chart['phase_start'].iloc[-1])}" if phases > 1 else "")
        + f" (centre {estimate_words(chart['centre'].iloc[-1], measure)}, limits "
        f"{estimate_words(chart['lower'].iloc[-1], measure)} to "
        f"{estimate_words(chart['upper'].iloc[-1], measure)} in the latest phase)."
    ]
    sigma_z = chart["sigma_z"].iloc[-1] if "sigma_z" in chart else float("nan")
    if kind != "XmR" and sigma_z == sigma_z:
        lines.append(
            f"Between periods the share varies {sigma_z:.2f} times as much as sampling alone "
            f"would make it (sigma_z). How the chart was chosen: "
            f"{md_escape(chart['chart_reason'].iloc[-1])}."
        )
    if signals.empty:
        lines.append(
            "No period breaks a special-cause rule: the ups and downs are the ordinary "
            "variation of this process. To move it, change the process."
        )
    else:
        better = signals[signals["improvement"] == True]  # noqa: E712
        worse = signals[signals["improvement"] == False]  # noqa: E712
        parts = []
        if len(better):
            parts.append(
                f"{count_words(len(better), 'period')} better than this process ordinarily gives ("
                + ", ".join(md_escape(p) for p in better["period"])
                + ")"
            )
        if len(worse):
            parts.append(
                f"{count_words(len(worse), 'period')} worse ("
                + ", ".join(md_escape(p) for p in worse["period"])
                + ")"
            )
        rules = sorted({w for words in signals["signal_words"] for w in words.split("; ") if w})
        lines.append(
            f"{_upper_first(join_words(parts))}: beyond ordinary variation, so something changed. "
            f"Rules broken: {join_words(rules)}."
        )
        if len(better) and len(worse) and phases == 1:
            lines.append(
                "Signals on both sides of one centre line usually mean the process moved to a "
                "new level part-way: set `baseline` to the periods before the change, or let the "
                "limits start again at the event (the `event` parameter), to see each level on "
                "its own."
            )
        if kind == "p-chart" and len(signals) > len(chart) / 2:
            lines.append(
                "With a few hundred answers a period, a p-chart's limits are narrow and most "
                "periods signal; read the shifts, not every point (Laney's p′ chart widens the "
                "limits for such data)."
            )
    lines.append(
        "Rules: a point beyond a limit; 7 in a row on one side of the centre; 7 rising or "
        "falling in a row; 2 of 3 in a row on one side of the centre beyond two-thirds of the "
        "way to a limit (NHS *Making Data Count*)."
    )
    return markdown("\n\n".join(lines))


def group_summary(trend_by: pd.DataFrame, *, by: str) -> tuple:
    """Latest period per group (suppressed ones explained) and a sentence on the spread."""
    if trend_by.empty:
        return markdown("No responses to split."), None
    latest_t = trend_by.groupby(by, dropna=False)["t"].transform("max")
    latest = trend_by[trend_by["t"] == latest_t]
    measure = trend_by["measure"].iloc[0]
    hidden = latest[latest["suppressed"].astype(bool)]
    min_n = int(trend_by["min_n"].iloc[0])
    lines = []
    gap = sat.highest_and_lowest(latest, by=by)
    if gap is not None and gap["difference"] == 0:
        lines.append(
            "In each group's latest period, every group scored the same "
            f"({estimate_words(gap['highest']['estimate'], measure)})."
        )
    elif gap is not None and is_missing(gap["ci_low"]):
        lines.append(
            f"In each group's latest period, **{md_escape(gap['highest'][by])}** scored highest "
            f"and **{md_escape(gap['lowest'][by])}** lowest; their answers have too little "
            "spread for an interval, so no verdict on the gap."
        )
    elif gap is not None:
        hi, lo = gap["highest"], gap["lowest"]
        lines.append(
            f"In each group's latest period, **{md_escape(hi[by])}** scored highest "
            f"({estimate_words(hi['estimate'], measure)}) and **{md_escape(lo[by])}** lowest "
            f"({estimate_words(lo['estimate'], measure)}), a gap of "
            f"{difference_words(gap['difference'], measure).lstrip('+')} "
            f"({level_words(gap['adjusted_confidence'])} interval "
            f"{difference_words(gap['ci_low'], measure, unit=False)} to "
            f"{difference_words(gap['ci_high'], measure, unit=False)}, widened for the "
            f"{count_words(gap['pairs'], 'pair')} of groups"
            + (
                "): the two differ."
                if gap["differ"]
                else "; it includes 0, so the gap may be chance)."
            )
        )
    if len(hidden):
        lines.append(
            f"{join_words([md_escape(v) for v in hidden[by]])}: fewer than {min_n} responses in "
            "the latest period, so no estimate is shown (to protect the people in the group, "
            "and because so few answers say little)."
        )
    table = period_table(latest, by=by)
    table.caption = "Latest period in each group"
    return markdown(" ".join(lines) or "One group only."), table


def one_group_note(ctx: SatisfactionReport):
    """Why there is no per-group section."""
    if not ctx.by:
        return markdown("No grouping column was chosen (`by` is empty).")
    groups = ctx.groups()
    return markdown(
        f"All responses here fall in one {md_escape(ctx.by)} "
        + (f"({md_escape(groups[0])})" if groups else "(or none is recorded)")
        + ", so there is nothing to compare across groups."
    )


def sampling_summary(ctx: SatisfactionReport, trend: pd.DataFrame):
    """How precise the latest period is, and how many responses a target precision needs."""
    population = ctx.population
    table = sat.sample_size_table(population=population, confidence=ctx.confidence)
    lines = []
    shown = trend[~trend["suppressed"].astype(bool)] if len(trend) else trend
    if len(shown):
        last = shown.iloc[-1]
        n = float(last["effective_n"])
        margin = float(margin_of_error(n, 0.5, ctx.confidence, population=population))
        lines.append(
            f"With {count_words(int(last['n']), 'response')} in {md_escape(last['period'])}, a "
            f"share such as the top box is known to within about ±{margin * 100:.0f} points "
            f"({level_words(ctx.confidence)} confidence, the widest case of a 50% share"
            + (f", from a population of {population:,}" if population else "")
            + ")."
        )
    lines.append(
        "To get periodic feedback from a sample rather than everyone, plan on the numbers "
        "below for each period (and each group you want to report on its own)"
        + (
            "."
            if population
            else "; give `population` (how many customers you serve) for smaller numbers "
            "when the sample is a large part of them."
        )
    )
    columns = {"margin": "Margin (±)", "n_needed": "Responses needed"}
    if population:
        columns["n_needed_population"] = f"From {population:,} customers"
    out = table.assign(margin=table["margin"].map(lambda m: f"{m * 100:.0f} points"))
    return markdown(" ".join(lines)), show_table(
        out,
        columns=columns,
        decimals=0,
        caption="Sample size for a target margin of error",
        note="Simple random sample, share of 50% (the most cautious); Cochran (1977).",
    )


# ----------------------------------------------------------------------------- live panel


def satisfaction_explorer(ctx: SatisfactionReport):
    """A small panel that redraws the trend live: metric, period, group and event.

    Only for interactive use (JupyterLab, Voilà): report runs never create it, so no
    widget state reaches a report.

    Returns
    -------
    ipywidgets.VBox
        Dropdowns for metric, period, group (and "All") and event above an ``Output``
        that redraws the headline, the trend chart with events, and the event's
        before/after chart whenever a control changes.
    """
    import ipywidgets as w
    from IPython.display import display

    from toolkit.charts.satisfaction import before_after_chart, satisfaction_trend_chart

    everyone = object()
    counts = ctx.responses["metric"].value_counts()
    metric = w.Dropdown(
        options=[(METRIC_TITLES[m], m) for m in sat.METRICS if counts.get(m, 0)]
        or [("CSAT", "csat")],
        value=ctx.metric if counts.get(ctx.metric, 0) else None,
        description="Metric",
    )
    period = w.Dropdown(options=list(sat.PERIODS), value=ctx.period, description="Period")
    group = w.Dropdown(
        options=[("All", everyone), *((str(g), g) for g in ctx.groups())],
        value=everyone,
        description=(ctx.by or "group").replace("_", " ").capitalize(),
    )
    labels = ctx.events["label"].astype(str).tolist() if len(ctx.events) else []
    every = object()  # the "Every event" choice
    event = w.Dropdown(
        options=[("Every event", every), *((e, e) for e in labels)],
        value=ctx.event if ctx.event in labels else every,
        description="Event",
    )
    out = w.Output()

    def draw(_change=None) -> None:
        responses = ctx.responses
        if group.value is not everyone and ctx.by:
            responses = responses[responses[ctx.by] == group.value]
        options = ctx.options(metric=metric.value or ctx.metric)
        with out:
            out.clear_output(wait=True)
            try:
                trend = sat.satisfaction_trend(responses, period=period.value, **options)
                changes = sat.period_changes(trend)
                ba = None
                if len(ctx.events):
                    chosen = None if event.value is every else event.value
                    ba = sat.before_after(
                        responses,
                        ctx.events,
                        event=chosen,
                        before=ctx.window_days,
                        after=ctx.window_days,
                        period=period.value,
                        **options,
                    )
                display(trend_headline(trend, changes, ba))
                if len(trend):
                    display(satisfaction_trend_chart(trend, events=ctx.events))
                if ba is not None and len(ba):
                    display(before_after_chart(ba))
            except DataValidationError as err:
                display(markdown(f"**Cannot show this choice:** {md_escape(err)}"))

    for control in (metric, period, group, event):
        control.observe(draw, names="value")
    draw()
    title = w.HTML(
        "<h3>Explore</h3><p>Pick a metric, period, group or event; the results below redraw.</p>"
    )
    return w.VBox([title, w.HBox([metric, period]), w.HBox([group, event]), out])
