"""Closing the loop in the reports: what was done about each need, what to act on next,
how needs moved between listening rounds, and when to ask again.

The needs-gap notebook shows :func:`actions_taken`, :func:`act_next` and
:func:`needs_over_time`; the satisfaction notebook shows :func:`next_wave`. The rules
live in :mod:`toolkit.loop` (which action answers a need, the ranking, the trend and its
tests, the schedule); this module only words them.
"""

from __future__ import annotations

import warnings

import pandas as pd

from toolkit._words import (
    count_words,
    is_missing,
    join_words,
    level_words,
    pct,
    pct_range,
    points,
)
from toolkit.reports.context import ReportContext, Table, markdown, md_escape, show_table
from toolkit.store import subset_values

__all__ = [
    "act_next",
    "actions_taken",
    "needs_over_time",
    "next_wave",
]

#: The findings that put a need in the "What we are doing about it" table, in words.
_WHY = {
    "blind spot": "blind spot",
    "possible blind spot": "possible blind spot",
    "Concentrate here": "important, poorly met",
}


def _when(row) -> str:
    """An action's date in words: done on, under way since, due by, or decided on."""

    def day(value) -> str:
        stamp = pd.to_datetime(value, errors="coerce")
        return "" if pd.isna(stamp) else f"{stamp:%-d %b %Y}"

    status = row.get("status")
    for field, word in (
        ("done_on" if status == "done" else None, "done"),
        ("starts_on" if status == "under way" else None, "since"),
        ("due_on", "due"),
        ("starts_on", "from"),
        ("decided_on", "decided"),
    ):
        if field and day(row.get(field)):
            return f"{word} {day(row.get(field))}"
    return ""


def _flagged_needs(gap: pd.DataFrame, ip: pd.DataFrame | None) -> pd.DataFrame:
    """The blind spots and possible ones (most named first), then the other
    Concentrate-here needs (largest importance minus performance first), with why.
    """
    shown = gap[~gap["suppressed"].astype("boolean").fillna(False).astype(bool)]
    blind = shown[shown["classification"].isin(["blind spot", "possible blind spot"])]
    blind = blind.sort_values("customer_share", ascending=False, kind="stable")
    rows = {
        r.code: {"code": r.code, "label": r.label, "why": [_WHY[r.classification]]}
        for r in blind.itertuples()
    }
    if ip is not None and len(ip):
        placed = ip[~ip["suppressed"].astype("boolean").fillna(False).astype(bool)]
        focus = placed[placed["quadrant"].eq("Concentrate here")]
        focus = focus.assign(_gap=focus["importance"] - focus["performance"])
        for r in focus.sort_values("_gap", ascending=False, kind="stable").itertuples():
            item = rows.setdefault(r.code, {"code": r.code, "label": r.label, "why": []})
            item["why"].append(_WHY["Concentrate here"])
    return pd.DataFrame(list(rows.values()), columns=["code", "label", "why"])


def actions_taken(ctx: ReportContext, gap: pd.DataFrame, ip: pd.DataFrame | None = None):
    """For each blind spot and "Concentrate here" need, the action taken or *no action yet*.

    Parameters
    ----------
    ctx : ReportContext
        The opened needs report (its ``actions`` table).
    gap : DataFrame
        :func:`toolkit.needs.needs_gap` for everyone.
    ip : DataFrame, optional
        :func:`toolkit.needs.importance_performance` for everyone.

    Returns
    -------
    (Markdown, Table or None)
        A paragraph (how many have no action yet, and which) and one row per action (a
        need with none has one row saying *no action yet*): the need, why it is listed,
        the action, whom it is for, its status, owner and date. Every action naming the
        need counts, whichever group it is for (:func:`toolkit.loop.actions_for`).
    """
    from toolkit.loop import NO_ACTION, actions_for

    actions = ctx.tables.get("actions")
    flagged = _flagged_needs(gap, ip)
    if flagged.empty:
        return markdown(
            "No need is a blind spot or rated important but poorly met, so there is nothing "
            "to list here."
        ), None
    rows = []
    for need in flagged.itertuples():
        found = actions_for(actions, need.code, every_group=True)
        base = {"label": need.label, "why": " and ".join(need.why)}
        if found.empty:
            rows.append(
                {**base, "action": NO_ACTION, "for": "", "status": "", "owner": "", "when": ""}
            )
        for a in found.to_dict("records"):
            group = a.get("segment")
            rows.append(
                {
                    **base,
                    "action": a["action"],
                    "for": "everyone" if is_missing(group) or not str(group).strip() else group,
                    "status": a["status"],
                    "owner": "" if is_missing(a.get("owner")) else a["owner"],
                    "when": _when(a),
                }
            )
    table = pd.DataFrame(rows)
    missing = table.loc[table["action"].eq(NO_ACTION), "label"].tolist()
    listed = count_words(len(flagged), "need")
    if actions is None or actions.empty:
        text = (
            f"No action is recorded yet for any of the {listed} below. Record what was "
            "decided about each in the actions table (template `templates/actions.csv`; "
            f"`service-toolkit import {ctx.shell_path()} actions.csv --table actions`), and "
            "this table shows it."
        )
    elif missing:
        text = (
            f"Of the {listed} customers named that staff rarely did, or rated important but "
            f"poorly met, **{len(missing)} {'has' if len(missing) == 1 else 'have'} no action "
            f"yet**: {join_words([md_escape(m) for m in missing], limit=6)}."
        )
    else:
        text = f"Every one of the {listed} below has an action recorded."
    return markdown(text), show_table(
        table,
        columns={
            "label": "Need",
            "why": "Why it is here",
            "action": "Action",
            "for": "For",
            "status": "Status",
            "owner": "Owner",
            "when": "When",
        },
        caption="What we are doing about each blind spot and important, poorly met need",
        note="Dropped actions are not shown. An action for one group is listed under every "
        "need it names.",
    )


def act_next(ctx: ReportContext, *, top: int = 5):
    """The top open needs of the decision matrix, with the reason in words.

    Returns
    -------
    (Markdown, Table or None)
        A sentence and the first ``top`` rows of the ``decision-matrix`` analysis run on
        this report's data (group, need, why, the action so far).
    """
    from toolkit.catalog import ANALYSES

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the uncoded statements are counted elsewhere
        matrix = ANALYSES["decision-matrix"].run(
            ctx.tables,
            settings=ctx.engagement.settings,
            confidence=ctx.confidence,
            min_n=ctx.min_n,
        )
    if matrix.empty:
        return markdown("No open need of any customer group calls for a decision now."), None
    shown = matrix.head(top)
    unacted = int(matrix["action_status"].eq("no action yet").sum())
    text = (
        f"Ranked across customer groups (the group's priority in the customer map, then how "
        f"much evidence points at the need), these are the first {len(shown)} of "
        f"{count_words(len(matrix), 'open need')}; {unacted} of them have no action yet. "
        f"The full list: `service-toolkit table {ctx.shell_path()} decision-matrix`."
    )
    return markdown(text), show_table(
        shown,
        columns={"rank": "Rank", "label": "Need", "reason": "Why", "action": "Action so far"},
        decimals=0,
        caption="What to act on next",
    )


# ----------------------------------------------------------------------------- over time

_RULES = {
    "wave": "listening rounds (the statements' wave)",
    "quarter": "quarters of the date each statement was collected",
}


def _groups_heard(stated: pd.DataFrame, periods: pd.Series) -> str:
    """A sentence when some periods heard fewer groups than others ("" when none did)."""
    if "segment" not in stated:
        return ""
    heard = (
        stated.assign(_p=periods.to_numpy())
        .dropna(subset=["_p"])
        .groupby("_p", sort=False)["segment"]
        .apply(lambda s: frozenset(s.dropna().astype(str).unique()))
    )
    every = frozenset().union(*heard) if len(heard) else frozenset()
    short: dict[frozenset, list] = {}
    for period, groups in heard.items():
        if groups != every:
            short.setdefault(groups, []).append(period)
    if not short:
        return ""
    parts = [
        f"{join_words([md_escape(p) for p in periods])} heard "
        + (
            f"only from {join_words([md_escape(g) for g in sorted(groups)])}"
            if groups
            else "from no group"
        )
        + f" (not {join_words([md_escape(g) for g in sorted(every - groups)], limit=4)})"
        for groups, periods in short.items()
    ]
    return (
        f"Not every group was asked every time: {'; '.join(parts)}. A need that mostly the "
        "groups not asked name can fall for that reason alone."
    )


def needs_over_time(ctx, *, top: int = 6):
    """Each need's share per period, when the statements span more than one period.

    Parameters
    ----------
    ctx : NeedsReport
        The opened needs report (its coded ``stated`` needs).
    top : int
        The most needs drawn and listed.

    Returns
    -------
    (Markdown, chart, Table) or None
        None with fewer than two reported periods (so the report shows no section).
        Otherwise the section's heading and words (the periods, where the most-named need
        changed, what rose or fell clearly since the first period, and which groups were
        not asked every time), :func:`toolkit.charts.loop.needs_trend_chart` and a table
        of the same needs: each period's share with its interval and the change since the
        first period.
    """
    from toolkit.catalog import ANALYSES, setting_defaults
    from toolkit.charts.loop import needs_trend_chart, trend_needs
    from toolkit.loop import needs_since_first, needs_trend
    from toolkit.satisfaction import assign_periods

    stated = ctx.stated
    if stated.empty or "collected_on" not in stated or stated["collected_on"].isna().all():
        return None
    # The engagement's fiscal year and time zone, as `table needs-trend` reads them.
    given = {"confidence": ctx.confidence, "min_n": ctx.min_n}
    accepted = ANALYSES["needs-trend"].parameters()
    params = {**setting_defaults(ctx.engagement.settings, accepted, given), **given}
    trend = needs_trend(stated, codebook=ctx.codebook, **params)
    shown = trend[~trend["suppressed"].astype(bool)]
    if shown["period"].nunique() < 2:
        return None
    since = needs_since_first(trend)
    codes = trend_needs(trend, since, top=top)
    totals = shown.groupby("period", sort=False)["customer_total"].first()
    rule = str(trend["period_rule"].iloc[0])
    level = level_words(ctx.confidence)
    lines = [
        "## Needs over time",
        f"Customers were heard in {count_words(len(totals), 'period')}, grouped by "
        f"{_RULES.get(rule, rule)}: "
        + join_words([f"{md_escape(p)} ({n:,} people)" for p, n in totals.items()])
        + ". Each need's share is compared with the period before, and the latest with the "
        "first; a change is called a rise or a fall only when its interval leaves out zero.",
    ]
    lines += _top_changes(shown)
    lines += _since_first_words(since, level)
    periods = assign_periods(
        stated,
        period=rule,
        date="collected_on",
        fiscal_year_start=params["fiscal_year_start"],
        timezone=params["timezone"],
    )["period"]
    heard = _groups_heard(stated, periods)
    if heard:
        lines.append(heard)
    lines.append(
        f"Every need, period by period: `service-toolkit table {ctx.shell_path()} needs-trend`."
    )
    return (
        markdown("\n\n".join(lines)),
        needs_trend_chart(trend, since, codes=codes),
        _trend_table(shown, since, codes),
    )


def _top_changes(shown: pd.DataFrame) -> list[str]:
    """A sentence for each period whose most-named need is not the period before's."""
    out = []
    tops = shown[shown["top"].astype(bool)]
    for r in tops[tops["top_changed"].astype(bool)].itertuples():
        before = tops[tops["period"] == r.previous_period]
        was = join_words(
            [f"**{md_escape(b.label)}** ({pct(b.customer_share)})" for b in before.itertuples()]
        )
        out.append(
            f"**The most-named need changed in {md_escape(r.period)}**: "
            f"**{md_escape(r.label)}** ({pct(r.customer_share)} of "
            f"{r.customer_total:,}) took the place of {was} in {md_escape(r.previous_period)}."
        )
    return out


def _since_first_words(since: pd.DataFrame, level: str) -> list[str]:
    if since.empty:
        return []
    first, last = since["first_period"].iloc[0], since["latest_period"].iloc[0]
    parts = []
    for change, word in (("up", "clearly up"), ("down", "clearly down")):
        moved = since[since["change"].eq(change)]
        moved = moved.reindex(moved["difference"].abs().sort_values(ascending=False).index)
        if len(moved):
            parts.append(
                f"{word}: "
                + join_words(
                    [
                        f"**{md_escape(m.label)}** ({pct(m.first_share)} → "
                        f"{pct(m.latest_share)}, {points(m.difference)} points, {level} "
                        f"interval {points(m.ci_low)} to {points(m.ci_high)})"
                        for m in moved.itertuples()
                    ],
                    limit=4,
                )
            )
    if not parts:
        return [
            f"From {md_escape(first)} to {md_escape(last)} no need's share changed by more "
            "than chance explains."
        ]
    return [f"From {md_escape(first)} to {md_escape(last)}, " + "; ".join(parts) + "."]


def _trend_table(shown: pd.DataFrame, since: pd.DataFrame, codes: list) -> Table:
    order = list(dict.fromkeys(shown.sort_values("period_start", kind="stable")["period"]))
    rows = []
    changes = since.set_index("code") if len(since) else pd.DataFrame()
    for code in codes:
        need = shown[shown["code"] == code].set_index("period")
        if need.empty:
            continue
        row = {"Need": need["label"].iloc[0]}
        for period in order:
            if period not in need.index:
                row[period] = "–"
                continue
            r = need.loc[period]
            mark = {"up": " ▲", "down": " ▼"}.get(r["change"], "")
            row[period] = (
                f"{pct(r['customer_share'])} ({pct_range(r['customer_ci_low'], r['customer_ci_high'])})"
                + mark
            )
        if code in changes.index:
            c = changes.loc[code]
            row[f"Since {c['first_period']}"] = f"{points(c['difference'])} points" + {
                "up": ", a clear rise",
                "down": ", a clear fall",
            }.get(c["change"], ", no clear change")
        rows.append(row)
    return show_table(
        pd.DataFrame(rows),
        caption="Needs over time: share of customers in each period",
        note="Each share with its interval. ▲ and ▼: a clear rise or fall from the period "
        "before. The last column: the latest period against the first, in percentage points.",
    )


# ----------------------------------------------------------------------------- next wave


def next_wave(ctx):
    """When the report's metric is next due or overdue, and the groups to ask specifically.

    Reads ``[settings.evaluate_every]`` through :func:`toolkit.catalog.evaluation_status`
    on this report's responses (its subset, its metric and its ``min_n``).

    Returns
    -------
    Markdown
        One line per metric asked regularly; a hint to set ``[settings.evaluate_every]``
        when it sets none for these metrics.
    """
    from toolkit.catalog import evaluation_status
    from toolkit.schema.metrics import METRIC_WORDS

    kept = ctx.subset.get("segment")
    status = evaluation_status(
        ctx.engagement,
        tables={"responses": ctx.tables["responses"]},
        metrics=(ctx.metric,),
        min_n=ctx.min_n,
        groups=None if kept is None else [str(g) for g in subset_values(kept)],
    )
    title = "**When to ask again.** "
    if status.empty:
        return markdown(
            title + "Say how often this metric should be asked in engagement.toml "
            f'(`[settings.evaluate_every]`, such as `{ctx.metric} = "quarter"`) and this '
            "report says when the next wave is due."
        )
    r = status.iloc[0]
    name = METRIC_WORDS.get(r["metric"], r["metric"])
    name = name[0].upper() + name[1:]
    if r["status"] == "never asked":
        return markdown(title + f"{name} is to be asked every {r['every']}: due now.")
    due = f"{r['next_due']:%-d %B %Y}"
    when = {
        "overdue": f"**the next wave is overdue**: it was due {due}, {-int(r['days']):,} days ago",
        "due": f"**the next wave is due** by {due}",
        "not yet": f"the next wave is due {due}",
    }[r["status"]]
    text = (
        f"{name} is asked every {r['every']}. The last wave, {md_escape(r['last_wave'])}, "
        f"ended {r['last_date']:%-d %B %Y} with {count_words(int(r['respondents']), 'respondent')}; "
        f"{when}."
    )
    if r["ask_again"]:
        text += (
            f" Fewer than {ctx.min_n} answered in {md_escape(r['ask_again'])} last time: ask "
            "them specifically in the next wave."
        )
    return markdown(title + text)
