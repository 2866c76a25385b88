"""Closing the loop: what is being done about each need, and how needs move over time.

:func:`decision_matrix`
    The open needs, ranked: each customer group's priority tier (from the customer map)
    joined with the needs that are its blind spots or that it rates important and poorly
    met, with the reason in words and the action recorded for each (or *no action yet*).
:func:`needs_trend`
    Each need's customer share per period (or survey wave), with Wilson intervals and the
    change from the period before, tested as the satisfaction side tests a share.
:func:`evaluation_schedule`
    When each regularly asked metric (``[settings.evaluate_every]``) is next due or
    overdue, and which groups had too few answers last time to be read.
:func:`actions_for`
    The actions recorded for one need of one group: the one matching rule the matrix and
    the reports built on it share.

DataFrames in, documented DataFrames out; the catalog (``decision-matrix``,
``needs-trend``) reads the store and calls these.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from toolkit import _stats
from toolkit._validate import check_fraction, check_positive_int, require_columns
from toolkit._words import pct
from toolkit.errors import DataValidationError
from toolkit.needs import QUADRANTS, _respondents, needs_gap
from toolkit.satisfaction import _change_words, _holm, assign_periods
from toolkit.schema.metrics import METRICS
from toolkit.schema.tables import ACTION_STATUSES, NOT_A_NEED
from toolkit.settings import CADENCES

__all__ = [
    "CADENCES",
    "NEEDS_METRIC",
    "evaluation_schedule",
    "NO_ACTION",
    "TIERS",
    "actions_for",
    "decision_matrix",
    "needs_since_first",
    "needs_trend",
    "segment_tiers",
]

#: What the matrix says for a need nobody has decided anything about.
NO_ACTION = "no action yet"
#: Priority tiers, most important first (``not rated``: no group in the register, or no
#: rating to score it by).
TIERS = ("high", "medium", "low", "not rated")
#: An action that counts as something being done (a dropped one does not).
_ACTIVE = tuple(s for s in ACTION_STATUSES if s != "dropped")
#: The classes of :func:`toolkit.needs.needs_gap` that make a need a customers' priority.
_CUSTOMER_PRIORITY = ("blind spot", "possible blind spot", "shared priority")
_CONCENTRATE = QUADRANTS[0]


def _key(value) -> str | None:
    """A group or code as matched: trimmed, ignoring case; blank is None."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value):
        return None
    text = str(value).strip().lower()
    return text or None


def segment_tiers(priorities: pd.DataFrame) -> dict[str, str]:
    """Each segment's priority tier: the highest tier of the register's customers in it.

    ``priorities`` is :func:`toolkit.customers.prioritise_customers`' result (``segment``
    and ``tier``). Keys are segments trimmed and lower-cased.
    """
    require_columns(priorities, ["segment", "tier"], name="priorities")
    tiers: dict[str, str] = {}
    for segment, tier in zip(priorities["segment"], priorities["tier"], strict=True):
        key = _key(segment)
        if key is None:
            continue
        tier = tier if tier in TIERS else "not rated"
        if key not in tiers or TIERS.index(tier) < TIERS.index(tiers[key]):
            tiers[key] = tier
    return tiers


def actions_for(
    actions: pd.DataFrame, code, segment=None, *, every_group: bool = False
) -> pd.DataFrame:
    """The actions about need ``code`` for group ``segment``, most advanced first.

    An action matches when its code is the need's and its segment is the group's or blank
    (everyone who named the need). When no action names the need, one about the group as
    a whole (code blank, the group's segment) is used. Dropped actions never match.
    With ``every_group`` (the need as all customers named it), every action naming the
    need matches, whichever group it is for, and ``segment`` is not used.
    """
    if actions is None or actions.empty:
        return pd.DataFrame(columns=["code", "segment", "action", "status", "owner"])
    live = actions[actions["status"].isin(_ACTIVE)]
    codes = live["code"].map(_key)
    groups = live["segment"].map(_key)
    need, group = _key(code), _key(segment)
    if every_group:
        found = live[codes == need] if need else live[:0]
    else:
        found = live[(codes == need) & (groups.isna() | (groups == group))] if need else live[:0]
    if found.empty and group is not None and not every_group:
        found = live[codes.isna() & (groups == group)]
    rank = found["status"].map({s: i for i, s in enumerate(reversed(_ACTIVE))})
    return found.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank")


def _action_words(found: pd.DataFrame, code) -> str:
    """The actions found, joined; one about the whole group says so."""
    if found.empty:
        return NO_ACTION
    whole = found["code"].map(_key).isna() & (_key(code) is not None)
    return "; ".join(
        f"{a} (for the whole group)" if w else str(a)
        for a, w in zip(found["action"], whole, strict=True)
    )


def _reason(row: dict) -> str:
    """Why a need is on the matrix, in words."""
    group = row["segment"] if row["segment"] is not None else "Customers with no group"
    tier = row["tier"]
    rated = "not rated in the customer map" if tier == "not rated" else f"a {tier}-priority group"
    parts = []
    share = pct(row["customer_share"])
    if row["classification"] == "blind spot":
        parts.append(f"a blind spot ({share} of them named it, staff rarely did)")
    elif row["classification"] == "possible blind spot":
        parts.append(
            f"a possible blind spot ({share} of them named it, staff rarely did, "
            "but too few answers to be sure)"
        )
    elif row["classification"] == "shared priority":
        parts.append(f"a shared priority ({share} of them named it)")
    if row["quadrant"] == _CONCENTRATE:
        parts.append("rated important but poorly met (concentrate here)")
    return f"{group}, {rated}: " + " and ".join(parts) + "."


_MATRIX = [
    "rank",
    "segment",
    "code",
    "label",
    "tier",
    "classification",
    "quadrant",
    "customer_n",
    "customer_total",
    "customer_share",
    "customer_ci_low",
    "customer_ci_high",
    "reason",
    "action",
    "action_status",
    "owner",
    "open",
]


def decision_matrix(
    gap: pd.DataFrame,
    priorities: pd.DataFrame,
    quadrants: pd.DataFrame | None = None,
    actions: pd.DataFrame | None = None,
    *,
    include_done: bool = False,
) -> pd.DataFrame:
    """Rank the needs to act on: each group's tier joined with its needs' evidence.

    Parameters
    ----------
    gap : DataFrame
        :func:`toolkit.needs.needs_gap` by ``segment``.
    priorities : DataFrame
        :func:`toolkit.customers.prioritise_customers` (``segment``, ``tier``).
    quadrants : DataFrame, optional
        :func:`toolkit.needs.importance_performance` by ``segment``.
    actions : DataFrame, optional
        The ``actions`` table (``code``, ``segment``, ``action``, ``status``, ``owner``).
    include_done : bool
        Keep the needs whose action is done (``open`` false) too.

    Returns
    -------
    DataFrame
        One row per need of a group that is a customers' priority there (*blind spot*,
        *possible blind spot* or *shared priority*) or rated important but poorly met
        (*Concentrate here*), groups under ``min_n`` left out: ``rank`` (1 first),
        ``segment``, ``code``, ``label``, ``tier`` (the group's priority tier: the best
        of its customers in the register, or *not rated*), ``classification``,
        ``quadrant`` (empty when performance was not asked), ``customer_n``,
        ``customer_total``, ``customer_share`` with
        ``customer_ci_low``/``customer_ci_high``, ``reason`` (in words), ``action`` (the
        actions recorded, joined with "; ", or *no action yet*), ``action_status`` (the
        most advanced: done, under way, planned; or *no action yet*), ``owner``,
        ``open`` (no action done).

    Notes
    -----
    The order: first how much evidence points at the need (a blind spot and *Concentrate
    here* both, then either), then the group's tier (high, medium, low, not rated), then
    the share of the group naming it, then no action before some action.
    """
    require_columns(gap, ["segment", "code", "classification", "customer_share"], name="gap")
    tiers = segment_tiers(priorities)
    quads: dict[tuple, str] = {}
    if quadrants is not None and len(quadrants):
        require_columns(quadrants, ["segment", "code", "quadrant"], name="quadrants")
        for seg, code, quad in zip(
            quadrants["segment"], quadrants["code"], quadrants["quadrant"], strict=True
        ):
            quads[(_key(seg), code)] = quad
    rows = []
    for row in gap[~gap["suppressed"].astype(bool)].to_dict("records"):
        if row["code"] == NOT_A_NEED["code"] or not row["customer_n"]:
            continue
        quad = quads.get((_key(row["segment"]), row["code"]))
        quad = quad if isinstance(quad, str) else None
        if row["classification"] not in _CUSTOMER_PRIORITY and quad != _CONCENTRATE:
            continue
        found = actions_for(actions, row["code"], row["segment"])
        status = found["status"].iloc[0] if len(found) else NO_ACTION
        segment = None if pd.isna(row["segment"]) else row["segment"]
        item = {
            **{c: row.get(c) for c in _MATRIX if c in row},
            "segment": segment,
            "tier": tiers.get(_key(segment), "not rated"),
            "quadrant": quad,
            "action": _action_words(found, row["code"]),
            "action_status": status,
            "owner": "; ".join(found["owner"].dropna().astype(str).unique()) or None,
            "open": status != "done",
        }
        item["reason"] = _reason(item)
        evidence = (item["classification"] == "blind spot") + (quad == _CONCENTRATE)
        item["_order"] = (-evidence, TIERS.index(item["tier"]), -item["customer_share"])
        rows.append(item)
    if not include_done:
        rows = [r for r in rows if r["open"]]
    rows.sort(key=lambda r: (*r["_order"], r["action_status"] != NO_ACTION))
    out = pd.DataFrame(rows, columns=[*_MATRIX, "_order"]).drop(columns="_order")
    out["rank"] = np.arange(1, len(out) + 1)
    return out.astype({"open": bool}).reset_index(drop=True)


# ----------------------------------------------------------------------------- over time


def _period_rule(stated: pd.DataFrame, period: str | None) -> str:
    """``wave`` when the statements carry wave labels and no period is asked for."""
    if period is not None:
        return period
    if "wave" in stated and stated["wave"].notna().any():
        return "wave"
    return "quarter"


def needs_trend(
    stated: pd.DataFrame,
    *,
    codebook: pd.DataFrame | None = None,
    period: str | None = None,
    confidence: float = 0.95,
    min_n: int = 5,
    weight: str | None = "weight",
    fiscal_year_start: int = 1,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """Each need's customer share per period, and its change from the period before.

    Parameters
    ----------
    stated : DataFrame
        Coded stated needs: ``code``, ``collected_on``, optional ``respondent_id``,
        ``wave`` and the ``weight`` column.
    codebook : DataFrame, optional
        Gives each code its ``label``.
    period : str, optional
        How statements are grouped in time, as :func:`toolkit.satisfaction.assign_periods`
        (``month``, ``quarter``, ``wave``…). Default: ``wave`` when the statements carry
        a ``wave`` label, else ``quarter`` of ``collected_on``.
    confidence, min_n, weight
        As :func:`toolkit.needs.needs_gap`: Wilson intervals on Kish's effective n; a
        period with fewer respondents is suppressed and compared with nothing.
    fiscal_year_start, timezone
        For the fiscal periods and the day a date falls on.

    Returns
    -------
    DataFrame
        One row per need per period: ``period``, ``period_start``, ``code``, ``label``,
        ``customer_n`` (respondents naming it), ``customer_total`` (respondents in the
        period), ``customer_effective_n``, ``customer_share`` with ``customer_ci_low``/
        ``customer_ci_high``, ``rank`` (1 = the most named need of the period), ``top``
        (it is the period's most named need), ``previous_period``, ``previous_share``,
        ``difference`` (this − previous), ``ci_low``, ``ci_high`` (Newcombe's hybrid
        score interval), ``p_value`` (inverting it), ``p_holm`` (Holm over the table),
        ``change`` (*up* or *down* when the interval leaves out 0, *no clear change*,
        *not tested*), ``top_changed`` (the period's most named need is not the previous
        period's), ``suppressed``, ``confidence``, ``period_rule``.

    Notes
    -----
    Shares are :func:`toolkit.needs.needs_gap`'s customer shares with the period as the
    group, and changes are tested as :func:`toolkit.satisfaction.period_changes` tests a
    top-box share: one rule for a share and one for a change, wherever they are shown.
    """
    require_columns(stated, ["code", "collected_on"], name="stated")
    check_fraction(confidence, name="confidence", inclusive=False)
    check_positive_int(min_n, name="min_n")
    rule = _period_rule(stated, period)
    periods = assign_periods(
        stated,
        period=rule,
        date="collected_on",
        fiscal_year_start=fiscal_year_start,
        timezone=timezone,
    )
    dated = stated.assign(
        _period=periods["period"].to_numpy(), _start=periods["period_start"].to_numpy()
    )
    dated = dated[dated["_period"].notna()]
    nobody = pd.DataFrame({"staff": pd.Series(dtype=object), "code": pd.Series(dtype=object)})
    shares = needs_gap(
        nobody.assign(_period=pd.Series(dtype=object)),
        dated,
        codebook=codebook,
        by="_period",
        confidence=confidence,
        min_n=min_n,
        weight=weight,
    )
    starts = dated.groupby("_period")["_start"].min().to_dict()
    # Every need named in some period, with its zero counts too: a need nobody names any
    # more is a fall to 0%, tested like any other change.
    named = set(shares.loc[shares["customer_n"] > 0, "code"]) - {NOT_A_NEED["code"]}
    shares = _with_zero_rows(shares[shares["code"].isin(named)], named, confidence)
    out = pd.DataFrame(
        {
            "period": shares["_period"].to_numpy(),
            "period_start": shares["_period"].map(starts).to_numpy(),
            "code": shares["code"].to_numpy(),
            "label": shares["label"].to_numpy(),
            "customer_n": shares["customer_n"].to_numpy(),
            "customer_total": shares["customer_total"].to_numpy(),
            "customer_effective_n": shares["customer_effective_n"].to_numpy(dtype=float),
            "customer_share": shares["customer_share"].to_numpy(dtype=float),
            "customer_ci_low": shares["customer_ci_low"].to_numpy(dtype=float),
            "customer_ci_high": shares["customer_ci_high"].to_numpy(dtype=float),
            "suppressed": shares["suppressed"].astype(bool).to_numpy(),
        }
    )
    out = out.sort_values(["period_start", "customer_share", "code"], ascending=[True, False, True])
    out["rank"] = out.groupby("period")["customer_share"].rank(method="min", ascending=False)
    out["rank"] = out["rank"].astype("Int64")
    out["top"] = (out["rank"] == 1).fillna(False).astype(bool) & ~out["suppressed"]
    return _with_changes(out.reset_index(drop=True), confidence, rule)


def _with_zero_rows(shares: pd.DataFrame, named: set, confidence: float) -> pd.DataFrame:
    """``shares`` with a row for each named need a period's customers did not name: 0 of
    that period's customers, with its Wilson interval (a period's own suppression kept).
    """
    periods = shares.groupby("_period", sort=False).first()
    have = set(zip(shares["_period"], shares["code"], strict=True))
    labels = shares.groupby("code")["label"].first()
    rows = [
        {
            "_period": period,
            "code": code,
            "label": labels[code],
            "customer_n": 0,
            "customer_total": totals["customer_total"],
            "customer_effective_n": totals["customer_effective_n"],
            "customer_share": 0.0,
            "suppressed": totals["suppressed"],
        }
        for period, totals in periods.iterrows()
        for code in sorted(named)
        if (period, code) not in have
    ]
    if not rows:
        return shares
    zeros = pd.DataFrame(rows)
    n = zeros["customer_effective_n"].to_numpy(dtype=float)
    low, high = _stats.wilson(np.zeros_like(n), n, confidence)
    zeros["customer_ci_low"], zeros["customer_ci_high"] = low, high
    hidden = zeros["suppressed"].astype(bool).to_numpy()
    zeros.loc[hidden, ["customer_share", "customer_ci_low", "customer_ci_high"]] = np.nan
    return pd.concat([shares, zeros], ignore_index=True)


def _with_changes(out: pd.DataFrame, confidence: float, rule: str) -> pd.DataFrame:
    """Each need against its share in the previous reported period (Newcombe)."""
    order = list(dict.fromkeys(out.loc[~out["suppressed"], "period"]))
    before = {p: order[i - 1] for i, p in enumerate(order) if i}
    share = {(p, c): row for p, c, row in zip(out["period"], out["code"], out.index, strict=True)}
    totals = out.groupby("period")["customer_effective_n"].first().to_dict()
    tops = out[out["top"]].groupby("period")["code"].apply(set).to_dict()
    prev_period = out["period"].map(before)
    prev_rows = [share.get((p, c)) for p, c in zip(prev_period, out["code"], strict=True)]
    prev_share = np.array(
        [
            out.at[r, "customer_share"] if r is not None else (0.0 if p in totals else np.nan)
            for r, p in zip(prev_rows, prev_period, strict=True)
        ],
        dtype=float,
    )
    n_prev = prev_period.map(totals).to_numpy(dtype=float)
    n_now = out["customer_effective_n"].to_numpy(dtype=float)
    p_now = out["customer_share"].to_numpy(dtype=float)
    compared = ~out["suppressed"].to_numpy() & np.isfinite(prev_share) & np.isfinite(n_prev)
    with np.errstate(invalid="ignore", divide="ignore"):
        _, low, high = _stats.newcombe_difference(
            p_now * n_now, n_now, prev_share * n_prev, n_prev, confidence
        )
        p = _stats.newcombe_p_value(p_now * n_now, n_now, prev_share * n_prev, n_prev)
    low, high, p = (np.where(compared, v, np.nan) for v in (low, high, p))
    out["previous_period"] = prev_period.where(compared, None).astype(object)
    out["previous_share"] = np.where(compared, prev_share, np.nan)
    out["difference"] = np.where(compared, p_now - prev_share, np.nan)
    out["ci_low"], out["ci_high"], out["p_value"] = low, high, p
    out["p_holm"] = _holm(p)
    words = _change_words(low, high, p, True)
    out["change"] = np.select([words == "better", words == "worse"], ["up", "down"], words)
    out["top_changed"] = [
        bool(top and prev is not None and tops.get(prev) and tops.get(period) != tops.get(prev))
        for top, prev, period in zip(out["top"], out["previous_period"], out["period"], strict=True)
    ]
    out["confidence"] = confidence
    out["period_rule"] = rule
    return out


def needs_since_first(trend: pd.DataFrame) -> pd.DataFrame:
    """Each need's share in the latest reported period against the first, tested.

    Parameters
    ----------
    trend : DataFrame
        :func:`needs_trend`.

    Returns
    -------
    DataFrame
        One row per need: ``code``, ``label``, ``first_period``, ``first_share``,
        ``first_total``, ``latest_period``, ``latest_share``, ``latest_total``,
        ``difference`` (latest − first) with Newcombe's ``ci_low``/``ci_high``,
        ``p_value`` and ``change`` (*up*, *down*, *no clear change*, *not tested*), as
        :func:`needs_trend` tests one period against the one before. Empty with fewer than
        two reported (not suppressed) periods.
    """
    columns = [
        "code",
        "label",
        "first_period",
        "first_share",
        "first_total",
        "latest_period",
        "latest_share",
        "latest_total",
        "difference",
        "ci_low",
        "ci_high",
        "p_value",
        "change",
    ]
    shown = trend[~trend["suppressed"].astype(bool)]
    order = list(dict.fromkeys(shown.sort_values("period_start", kind="stable")["period"]))
    if len(order) < 2:
        return pd.DataFrame(columns=columns)
    first = shown[shown["period"] == order[0]].set_index("code")
    last = shown[shown["period"] == order[-1]].set_index("code")
    both = last.merge(
        first, how="inner", left_index=True, right_index=True, suffixes=("", "_first")
    )
    n1 = both["customer_effective_n"].to_numpy(dtype=float)
    n0 = both["customer_effective_n_first"].to_numpy(dtype=float)
    p1 = both["customer_share"].to_numpy(dtype=float)
    p0 = both["customer_share_first"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = float(trend["confidence"].iloc[0])
        _, low, high = _stats.newcombe_difference(p1 * n1, n1, p0 * n0, n0, level)
        p = _stats.newcombe_p_value(p1 * n1, n1, p0 * n0, n0)
    words = _change_words(np.asarray(low), np.asarray(high), np.asarray(p), True)
    out = pd.DataFrame(
        {
            "code": both.index,
            "label": both["label"].to_numpy(),
            "first_period": order[0],
            "first_share": p0,
            "first_total": both["customer_total_first"].to_numpy(),
            "latest_period": order[-1],
            "latest_share": p1,
            "latest_total": both["customer_total"].to_numpy(),
            "difference": p1 - p0,
            "ci_low": low,
            "ci_high": high,
            "p_value": p,
            "change": np.select([words == "better", words == "worse"], ["up", "down"], words),
        }
    )
    return out[columns].reset_index(drop=True)


# ----------------------------------------------------------------------------- regular waves

#: The name ``[settings.evaluate_every]`` gives the needs listening rounds.
NEEDS_METRIC = "needs"


def _last_wave(rows: pd.DataFrame, date: str) -> pd.DataFrame:
    """The rows of the latest wave: the latest ``wave`` label when rows carry one, else
    the rows within a month of the latest date.
    """
    dated = rows[rows[date].notna()]
    if "wave" in dated and dated["wave"].notna().any():
        waved = dated[dated["wave"].notna()]
        latest = waved.groupby("wave")[date].max().idxmax()
        return waved[waved["wave"] == latest].assign(_wave=latest)
    last = dated[date].max()
    recent = dated[dated[date] > last - pd.DateOffset(months=1)]
    return recent.assign(_wave=f"the month to {last:%Y-%m-%d}")


def evaluation_schedule(
    responses: pd.DataFrame,
    stated: pd.DataFrame,
    *,
    every: dict,
    min_n: int = 5,
    today=None,
    groups: Iterable[str] = (),
) -> pd.DataFrame:
    """When each regularly asked metric is next due, and the groups too few to read last time.

    Parameters
    ----------
    responses, stated : DataFrame
        The satisfaction responses (``metric``, ``submitted_on``, ``segment``,
        ``respondent_id``, optional ``wave``) and the stated needs (``collected_on`` …).
    every : mapping
        ``[settings.evaluate_every]``: metric (``csat``, ``nps``, ``ces`` …, or
        ``needs`` for the listening rounds) → ``month``, ``quarter``, ``half-year`` or
        ``year``.
    min_n : int
        A group with fewer respondents in the last wave is listed in ``ask_again``.
    today : date, optional
        Today (default: the current date).
    groups : iterable of str, optional
        Customer groups the engagement knows besides those in the data (such as the
        groups of its population sizes): one nobody in the last wave answered is listed
        in ``ask_again`` with 0, as is a group heard in an earlier wave only.

    Returns
    -------
    DataFrame
        One row per metric in ``every``: ``metric``, ``every``, ``last_wave`` (its label,
        or the month to its last date), ``last_date``, ``next_due`` (last date + the
        interval), ``status`` (*due*: within a month of ``next_due``; *overdue*: past it;
        *not yet*; *never asked*), ``days`` (to ``next_due``, negative when overdue),
        ``respondents`` in the last wave, and ``ask_again`` (the groups with fewer than
        ``min_n`` respondents then, none included, ``name (n)``, "; "-joined).
    """
    today = pd.Timestamp(today or pd.Timestamp.now().normalize())
    unknown = [m for m in every if m != NEEDS_METRIC and m not in METRICS]
    if unknown:
        raise DataValidationError(
            f"settings.evaluate_every names {', '.join(map(repr, unknown))}, which is not a "
            f"metric: use {', '.join(METRICS)} or {NEEDS_METRIC} (the listening rounds)."
        )
    rows = []
    for metric, cadence in every.items():
        months = CADENCES[cadence]
        if metric == NEEDS_METRIC:
            data, date = stated, "collected_on"
        else:
            data, date = responses[responses["metric"] == metric], "submitted_on"
        data = data.assign(**{date: pd.to_datetime(data[date])})
        item = {"metric": metric, "every": cadence}
        if data[date].notna().sum() == 0:
            rows.append({**item, "status": "never asked", "ask_again": ""})
            continue
        wave = _last_wave(data, date)
        last = wave[date].max().normalize()
        due = last + pd.DateOffset(months=months)
        days = int((due - today).days)
        status = "overdue" if days < 0 else ("due" if days <= 31 else "not yet")
        people = wave.assign(_who=_respondents(wave))
        counts = people.groupby(people["segment"].fillna("(no group)"))["_who"].nunique()
        known = {str(g) for g in [*data["segment"].dropna(), *groups]}
        counts = counts.reindex(sorted(set(counts.index) | known), fill_value=0)
        few = counts[counts < min_n]
        rows.append(
            {
                **item,
                "last_wave": wave["_wave"].iloc[0],
                "last_date": last,
                "next_due": due,
                "status": status,
                "days": days,
                "respondents": int(people["_who"].nunique()),
                "ask_again": "; ".join(f"{g} ({n})" for g, n in few.items()),
            }
        )
    columns = [
        "metric",
        "every",
        "last_wave",
        "last_date",
        "next_due",
        "status",
        "days",
        "respondents",
        "ask_again",
    ]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"days": "Int64", "respondents": "Int64"})
