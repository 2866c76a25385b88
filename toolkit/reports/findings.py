"""What we found: the three to five sentences that open each report, and the rules that pick them.

Each report opens with findings written from its own analyses, each with its number, how
many people it rests on and its interval, and a link to the section that shows it. The
rules, in the order they are tried (a report shows at most :data:`MOST` findings, at
least the ones its data support, and says so when there are none):

needs-gap (:func:`needs_findings`, from :func:`toolkit.needs.needs_gap`,
:func:`~toolkit.needs.rank_agreement` and :func:`~toolkit.needs.importance_performance`)
    1. The need customers name most, with how many staff listed it.
    2. Blind spots: needs the analysis classes as ``blind spot`` (its ``classification``
       column, decided on the intervals), largest customer share first, at most two.
    3. The blind spots (and possible blind spots) no action is recorded for yet
       (:func:`toolkit.loop.actions_for`, any group's action counting), when the
       ``actions`` table is given.
    4. The need staff assume most that the analysis classes as ``assumed only``.
    5. The need that matters most and is met worst: its importance interval lies wholly
       above the importance crosshair and its performance interval wholly below the
       performance crosshair (largest importance minus performance first).
    6. How far staff's and customers' priority orders agree (Spearman's ρ); when its
       interval includes zero the finding says the orders may not agree at all.

customer-map (:func:`customer_findings`)
    1. The top-priority customers: rank 1 of the priorities, with its score and the
       ranks it could take when one weight changes (``rank_best`` to ``rank_worst``).
    2. The customers to manage closely (power and interest both high).
    3. Customers not heard from: no customer statement recorded for their segment.
    4. The provider most customers depend on alone.

satisfaction (:func:`satisfaction_findings`)
    1. The latest period's score, its interval and its responses.
    2. The latest period-to-period change: *better* or *worse* only when the analysis's
       ``change`` column says so (its interval leaves out zero); otherwise the finding
       says the change is not clear.
    3. Events after which satisfaction clearly changed (``change`` better or worse),
       largest difference first, at most two; the number of events with no clear
       change.

A finding never states a change its interval does not support: every "better",
"worse", "blind spot" or "assumed only" comes from the analysis's own verdict column,
which is decided on the interval. Numbers are put into words by :mod:`toolkit._words`.

A notebook shows its findings with :func:`show_findings`, whose output carries them as
data in its metadata, ``{"service_toolkit": {"findings": [{"text", "anchor", "chart"}]}}``,
for the HTML, PDF and slide exports.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from urllib.parse import quote

import pandas as pd

from toolkit._words import (
    count_of_words,
    count_words,
    difference_words,
    estimate_words,
    fmt_count,
    fmt_number,
    is_missing,
    join_words,
    pct,
    pct_range,
)

__all__ = [
    "MOST",
    "SECTIONS",
    "Finding",
    "customer_findings",
    "findings_html",
    "needs_findings",
    "satisfaction_findings",
    "section_anchor",
    "show_findings",
]

MOST = 5
"""The most findings a report opens with."""

#: The section each finding links to, by report: the notebooks' ``## headings``.
SECTIONS: dict[str, dict[str, str]] = {
    "needs-gap": {
        "gap": "What stands out",
        "sure": "How sure we are",
        "importance": "Importance and performance",
        "actions": "What we are doing about it",
    },
    "customer-map": {
        "priority": "Setting priorities",
        "power": "Power and interest",
        "unheard": "Customers you may not have thought of",
        "chain": "Who serves whom",
    },
    "satisfaction": {
        "changed": "What changed",
        "periods": "Period to period",
        "events": "Before and after our changes",
    },
}


def section_anchor(heading: str) -> str:
    """The id the HTML report gives a ``## heading`` (nbconvert's rule: spaces to hyphens).

    Examples
    --------
    >>> section_anchor("What stands out"), section_anchor("Is it stable, or has something changed?")
    ('What-stands-out', 'Is-it-stable,-or-has-something-changed?')
    """
    return quote(heading.replace(" ", "-"), safe="?/:@!$&'()*+,;=")


@dataclass(frozen=True)
class Finding:
    """One finding: its sentence, the section that shows it, and the chart that goes with it.

    Attributes
    ----------
    text : str
        The sentence, plain text (no Markdown), with its number, n and interval.
    anchor : str
        The id of its section in the HTML report (:func:`section_anchor`).
    chart : str or None
        The name of the chart that shows it (``needs_gap``, ``rank_slope``,
        ``importance_performance``, ``priority``, ``power_interest``, ``service_chain``,
        ``satisfaction_trend``, ``before_after``), or None.
    """

    text: str
    anchor: str
    chart: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _anchor(report: str, key: str) -> str:
    return section_anchor(SECTIONS[report][key])


# ----------------------------------------------------------------------------- needs-gap


def _usable_gap(gap: pd.DataFrame) -> pd.DataFrame:
    if gap is None or gap.empty:
        return pd.DataFrame()
    suppressed = gap["suppressed"].astype("boolean").fillna(False).astype(bool)
    return gap[~suppressed & gap["customer_share"].notna()]


def _customers_named(row) -> str:
    return (
        f"{pct(row.customer_share)} of {count_words(int(row.customer_total), 'customer')} "
        f"({pct_range(row.customer_ci_low, row.customer_ci_high)})"
    )


def _staff_listed(row) -> str:
    if row.staff_total == 0:
        return "staff listed no needs for these customers"
    if row.staff_n == 0:
        return f"none of the {count_words(int(row.staff_total), 'staff member')} listed it"
    if bool(getattr(row, "staff_suppressed", False)) or is_missing(row.staff_share):
        return (
            f"{count_of_words(int(row.staff_n), int(row.staff_total), 'staff members')} listed it"
        )
    return (
        f"{pct(row.staff_share)} of {count_words(int(row.staff_total), 'staff member')} listed it"
    )


def _top_row(usable: pd.DataFrame):
    return usable.sort_values(
        ["customer_share", "staff_share"], ascending=[False, True], kind="stable"
    ).iloc[0]


def _top_need(usable: pd.DataFrame) -> list[Finding]:
    r = _top_row(usable)
    return [
        Finding(
            f"{r.label} is the need customers name most — {_customers_named(r)} — and "
            f"{_staff_listed(r)}"
            + (": a blind spot." if r.classification == "blind spot" else "."),
            _anchor("needs-gap", "gap"),
            "needs_gap",
        )
    ]


def _blind_spots(usable: pd.DataFrame, taken: set, most: int = 2) -> list[Finding]:
    blind = usable[usable["classification"].eq("blind spot") & ~usable["label"].isin(taken)]
    blind = blind.sort_values("customer_share", ascending=False, kind="stable").head(most)
    return [
        Finding(
            f"{r.label} is a blind spot: {_customers_named(r)} named it, and {_staff_listed(r)}.",
            _anchor("needs-gap", "gap"),
            "needs_gap",
        )
        for r in blind.itertuples()
    ]


def _no_action(usable: pd.DataFrame, actions: pd.DataFrame | None) -> list[Finding]:
    """One finding naming the blind spots (and possible ones) nobody has acted on yet."""
    from toolkit.loop import actions_for

    if actions is None:
        return []
    blind = usable[usable["classification"].isin(["blind spot", "possible blind spot"])]
    blind = blind.sort_values("customer_share", ascending=False, kind="stable")
    left = [r for r in blind.itertuples() if actions_for(actions, r.code, every_group=True).empty]
    if not left:
        return []
    named = join_words([f"{r.label} ({pct(r.customer_share)} of customers)" for r in left], limit=3)
    kinds = {r.classification for r in left}
    kind = kinds.pop() if len(kinds) == 1 else "blind spot or possible blind spot"
    if len(left) == 1:
        text = f"No action is recorded yet for {named}, a {kind}."
    else:
        plural = kind.replace("spot", "spots")
        text = f"No action is recorded yet for {len(left)} {plural}: {named}."
    return [Finding(text, _anchor("needs-gap", "actions"), None)]


def _assumed_only(usable: pd.DataFrame, taken: set) -> list[Finding]:
    assumed = usable[usable["classification"].eq("assumed only") & ~usable["label"].isin(taken)]
    assumed = assumed[assumed["staff_share"].notna()]
    if assumed.empty:
        return []
    r = assumed.sort_values(
        ["staff_share", "customer_share"], ascending=[False, True], kind="stable"
    ).iloc[0]
    return [
        Finding(
            f"Staff assume {r.label} more than customers ask for it: {pct(r.staff_share)} of "
            f"{count_words(int(r.staff_total), 'staff member')} listed it, but only "
            f"{_customers_named(r)} named it.",
            _anchor("needs-gap", "gap"),
            "needs_gap",
        )
    ]


def _concentrate_here(ip: pd.DataFrame | None) -> list[Finding]:
    if ip is None or ip.empty:
        return []
    shown = ip[~ip["suppressed"].astype("boolean").fillna(False).astype(bool)]
    clear = shown[
        (shown["importance_ci_low"] > shown["crosshair_importance"])
        & (shown["performance_ci_high"] < shown["crosshair_performance"])
    ]
    if clear.empty:
        return []
    r = clear.assign(_gap=clear["importance"] - clear["performance"]).sort_values(
        "_gap", ascending=False, kind="stable"
    )
    r = r.iloc[0]
    return [
        Finding(
            f"{r.label} matters a lot and is met poorly: importance {fmt_number(r.importance, 1)} "
            f"({fmt_number(r.importance_ci_low, 1)}–{fmt_number(r.importance_ci_high, 1)}) and "
            f"performance {fmt_number(r.performance, 1)} "
            f"({fmt_number(r.performance_ci_low, 1)}–{fmt_number(r.performance_ci_high, 1)}) "
            f"on a 1–5 scale, from {count_words(int(r.n), 'rating')}.",
            _anchor("needs-gap", "importance"),
            "importance_performance",
        )
    ]


def _rank_agreement(agreement: pd.DataFrame | None) -> list[Finding]:
    if agreement is None or agreement.empty:
        return []
    a = agreement.iloc[0]
    if is_missing(a.spearman) or is_missing(a.spearman_ci_low):
        return []
    rho = (
        f"Spearman's ρ = {fmt_number(a.spearman)} ({fmt_number(a.spearman_ci_low)} to "
        f"{fmt_number(a.spearman_ci_high)}) over {count_words(int(a.needs), 'need')}"
    )
    if a.spearman_ci_low <= 0 <= a.spearman_ci_high:
        text = (
            f"Staff's and customers' priority orders may not agree at all: {rho}, an interval "
            "that includes zero."
        )
    elif a.spearman_ci_low > 0:
        text = f"Staff and customers put needs in a similar order: {rho}."
    else:
        text = f"Staff and customers put needs in opposite orders: {rho}."
    return [Finding(text, _anchor("needs-gap", "sure"), "rank_slope")]


def needs_findings(
    gap: pd.DataFrame,
    agreement: pd.DataFrame | None = None,
    ip: pd.DataFrame | None = None,
    *,
    actions: pd.DataFrame | None = None,
    most: int = MOST,
) -> list[Finding]:
    """The needs-gap report's findings (rules 1–6 in the module's docstring).

    Parameters
    ----------
    gap : DataFrame
        :func:`toolkit.needs.needs_gap` for everyone (no ``by``).
    agreement : DataFrame, optional
        :func:`toolkit.needs.rank_agreement` of ``gap``.
    ip : DataFrame, optional
        :func:`toolkit.needs.importance_performance`.
    actions : DataFrame, optional
        The ``actions`` table: when given, a finding names the blind spots no action
        answers yet.
    most : int
        The most findings returned.

    Returns
    -------
    list of Finding
        Empty when no group is large enough to show a share.

    Examples
    --------
    >>> gap = pd.DataFrame({
    ...     "label": ["Fresh milk", "Pantry"], "staff_n": [0, 10], "staff_total": [10, 10],
    ...     "staff_share": [0.0, 1.0], "customer_n": [81, 10],
    ...     "customer_total": [220, 220], "customer_share": [0.368, 0.0455],
    ...     "customer_ci_low": [0.307, 0.025], "customer_ci_high": [0.434, 0.082],
    ...     "classification": ["blind spot", "assumed only"], "suppressed": [False, False]})
    >>> for f in needs_findings(gap):
    ...     print(f.text)
    Fresh milk is the need customers name most — 37% of 220 customers (31%–43%) — and none of the 10 staff members listed it: a blind spot.
    Staff assume Pantry more than customers ask for it: 100% of 10 staff members listed it, but only 5% of 220 customers (2%–8%) named it.
    """
    usable = _usable_gap(gap)
    if usable.empty:
        return []
    found = _top_need(usable)
    taken = {_top_row(usable).label}
    found += _blind_spots(usable, taken)
    found += _no_action(usable, actions)
    found += _assumed_only(usable, taken)
    found += _concentrate_here(ip)
    found += _rank_agreement(agreement)
    return found[:most]


# ----------------------------------------------------------------------------- customer-map


def _top_priority(priorities: pd.DataFrame) -> list[Finding]:
    if priorities is None or priorities.empty or "rank" not in priorities:
        return []
    ranked = priorities[priorities["score"].notna()].sort_values("rank", kind="stable")
    if ranked.empty:
        return []
    total = len(priorities)
    first = ranked[ranked["rank"] == ranked["rank"].min()]
    names = join_words([str(n) for n in first["name"]], limit=3)
    r = first.iloc[0]
    verb = "comes" if len(first) == 1 else "come"
    if len(first) == 1 and int(r.rank_best) == int(r.rank_worst) == 1:
        steady = "and stays first whichever single weight changes"
    else:
        steady = (
            f"ranks {int(first['rank_best'].min())}–{int(first['rank_worst'].max())} when one "
            "weight changes"
        )
    high = int((priorities["tier"] == "high").sum()) if "tier" in priorities else 0
    tail = f"; {count_of_words(high, total, 'customers')} are high priority" if high > 1 else ""
    text = (
        f"{names} {verb} first of {count_words(total, 'customer')} — score "
        f"{fmt_number(r.score)} of 5 — {steady}{tail}."
    )
    return [Finding(text, _anchor("customer-map", "priority"), "priority")]


def _manage_closely(grid: pd.DataFrame | None) -> list[Finding]:
    if grid is None or grid.empty or "quadrant" not in grid:
        return []
    placed = grid[grid["quadrant"].notna()]
    close = placed[placed["quadrant"].eq("Manage closely")]
    if close.empty:
        return []
    names = join_words([str(n) for n in close["name"]], limit=4)
    verb = "has" if len(close) == 1 else "have"
    return [
        Finding(
            f"Manage closely: {names} ({count_of_words(len(close), len(placed), 'customers')}) "
            f"{verb} both power over us and a strong interest in what we do.",
            _anchor("customer-map", "power"),
            "power_interest",
        )
    ]


def _not_heard(overlooked: pd.DataFrame | None, total: int) -> list[Finding]:
    if overlooked is None or overlooked.empty or "stated_needs" not in overlooked:
        return []
    unheard = overlooked[overlooked["stated_needs"].fillna(0).eq(0)]
    if unheard.empty:
        return []
    names = join_words([str(n) for n in unheard["customer"]], limit=4)
    return [
        Finding(
            f"{count_of_words(len(unheard), total, 'customers')} have not been heard from: no "
            f"customer statement is recorded for their segment ({names}).",
            _anchor("customer-map", "unheard"),
            None,
        )
    ]


def _single_provider(single: pd.DataFrame | None) -> list[Finding]:
    if single is None or single.empty:
        return []
    r = single.sort_values("customers", ascending=False, kind="stable").iloc[0]
    if int(r.customers) < 2:
        return []
    return [
        Finding(
            f"{count_words(int(r.customers), 'customer')} depend on {r.provider} alone: no "
            "other unit serves them.",
            _anchor("customer-map", "chain"),
            "service_chain",
        )
    ]


def customer_findings(
    priorities: pd.DataFrame,
    grid: pd.DataFrame | None = None,
    overlooked: pd.DataFrame | None = None,
    single: pd.DataFrame | None = None,
    *,
    most: int = MOST,
) -> list[Finding]:
    """The customer map's findings (rules 1–4 in the module's docstring).

    Parameters
    ----------
    priorities : DataFrame
        :func:`toolkit.customers.prioritise_customers`.
    grid : DataFrame, optional
        :func:`toolkit.customers.power_interest`.
    overlooked : DataFrame, optional
        The table of :func:`toolkit.reports.customers.overlooked_summary`.
    single : DataFrame, optional
        The single-provider table of :func:`toolkit.reports.customers.service_chain_summary`.
    most : int
        The most findings returned.

    Returns
    -------
    list of Finding
    """
    total = 0 if priorities is None else len(priorities)
    found = _top_priority(priorities)
    found += _manage_closely(grid)
    found += _not_heard(overlooked, total)
    found += _single_provider(single)
    return found[:most]


# ----------------------------------------------------------------------------- satisfaction


def _range(low, high, measure: str) -> str:
    return f"{estimate_words(low, measure)} to {estimate_words(high, measure)}"


def _latest(shown: pd.DataFrame, name: str) -> list[Finding]:
    r = shown.iloc[-1]
    measure = str(r["measure"])
    interval = (
        f" ({_range(r['ci_low'], r['ci_high'], measure)})" if not is_missing(r["ci_low"]) else ""
    )
    if measure == "mean" and not is_missing(r.get("scale_max")):
        interval += f" on a {fmt_count(r['scale_min'])}–{fmt_count(r['scale_max'])} scale"
    return [
        Finding(
            f"{name[:1].upper() + name[1:]} in {r['period']}: {estimate_words(r['estimate'], measure)}"
            f"{interval}, from {count_words(int(r['n']), 'response')}.",
            _anchor("satisfaction", "changed"),
            "satisfaction_trend",
        )
    ]


def _latest_change(changes: pd.DataFrame | None, name: str) -> list[Finding]:
    if changes is None or changes.empty:
        return []
    c = changes.iloc[-1]
    measure = str(c["measure"])
    if is_missing(c["difference"]) or is_missing(c["ci_low"]):
        return []
    between = (
        f"{estimate_words(c['previous_estimate'], measure)} in {c['previous_period']} to "
        f"{estimate_words(c['estimate'], measure)} in {c['period']}"
    )
    diff = (
        f"{difference_words(c['difference'], measure)} "
        f"({_range_diff(c['ci_low'], c['ci_high'], measure)}), from "
        f"{fmt_count(c['previous_n'])} and {fmt_count(c['n'])} responses"
    )
    verdict = str(c["change"])
    if verdict in ("better", "worse"):
        text = f"{name[:1].upper() + name[1:]} got {verdict} from {between}: {diff}."
    elif verdict != "no clear change":  # not tested: no interval to read a verdict from
        return []
    else:
        text = (
            f"The latest move in {name}, from {between}, is not a clear change: {diff}; the "
            "interval includes no change."
        )
    return [Finding(text, _anchor("satisfaction", "periods"), "satisfaction_trend")]


def _range_diff(low, high, measure: str) -> str:
    return (
        f"{difference_words(low, measure, unit=False)} to "
        f"{difference_words(high, measure, unit=False)}"
    )


def _events(ba: pd.DataFrame | None, name: str, most: int = 2) -> list[Finding]:
    if ba is None or ba.empty or "change" not in ba:
        return []
    shown = ba[~ba["suppressed"].astype("boolean").fillna(False).astype(bool)]
    clear = shown[shown["change"].isin(["better", "worse"])]
    clear = clear.reindex(clear["difference"].abs().sort_values(ascending=False).index)
    found = []
    for r in clear.head(most).itertuples():
        measure = str(r.measure)
        when = pd.Timestamp(r.starts_on)
        found.append(
            Finding(
                f"After {r.event} ({when.day} {when:%B %Y}), {name} got {r.change}: "
                f"{estimate_words(r.estimate_before, measure)} in the {int(r.before_days)} days "
                f"before, {estimate_words(r.estimate_after, measure)} in the "
                f"{int(r.after_days)} days after, a change of "
                f"{difference_words(r.difference, measure)} "
                f"({_range_diff(r.ci_low, r.ci_high, measure)}), from "
                f"{fmt_count(r.n_before)} and {fmt_count(r.n_after)} responses.",
                _anchor("satisfaction", "events"),
                "before_after",
            )
        )
    # Only events whose interval was computed and includes no change count as unclear; one
    # that could not be tested (no spread on either side, say) is not said to be anything.
    tested = shown[shown["change"] == "no clear change"]
    unclear = len(tested)
    if not found and unclear:
        r = tested.loc[tested["difference"].abs().idxmax()]
        measure = str(r["measure"])
        found.append(
            Finding(
                (
                    f"None of the {count_words(unclear, 'recorded event')} clearly changed "
                    f"{name}: each before-and-after interval includes no change. "
                    if unclear > 1
                    else f"The recorded event did not clearly change {name}: its "
                    "before-and-after interval includes no change. "
                )
                + f"The largest move, after "
                f"{r['event']}, was {difference_words(r['difference'], measure)} "
                f"({_range_diff(r['ci_low'], r['ci_high'], measure)}).",
                _anchor("satisfaction", "events"),
                "before_after",
            )
        )
    elif found and unclear:
        found.append(
            Finding(
                f"{count_words(unclear, 'other recorded event')} showed no clear change in "
                f"{name}: {'its interval includes' if unclear == 1 else 'each interval includes'} "
                "no change.",
                _anchor("satisfaction", "events"),
                "before_after",
            )
        )
    return found


def satisfaction_findings(
    trend: pd.DataFrame,
    changes: pd.DataFrame | None = None,
    ba: pd.DataFrame | None = None,
    *,
    most: int = MOST,
) -> list[Finding]:
    """The satisfaction report's findings (rules 1–3 in the module's docstring).

    Parameters
    ----------
    trend : DataFrame
        :func:`toolkit.satisfaction.satisfaction_trend` (no ``by``).
    changes : DataFrame, optional
        :func:`toolkit.satisfaction.period_changes` of ``trend``.
    ba : DataFrame, optional
        :func:`toolkit.satisfaction.before_after`.
    most : int
        The most findings returned.

    Returns
    -------
    list of Finding
        Empty when every period is suppressed or there are no responses.
    """
    from toolkit.schema.metrics import METRIC_WORDS

    if trend is None or trend.empty:
        return []
    shown = trend[~trend["suppressed"].astype("boolean").fillna(False).astype(bool)]
    if shown.empty:
        return []
    name = METRIC_WORDS.get(str(trend["metric"].iloc[0]), str(trend["metric"].iloc[0]))
    found = _latest(shown, name)
    found += _latest_change(changes, name)
    found += _events(ba, name)
    return found[:most]


# ----------------------------------------------------------------------------- showing them


_NONE = (
    "No finding stands out yet: too few people answered for the numbers to say anything "
    "with confidence. The sections below show what there is."
)


def findings_html(findings: Sequence[Finding]) -> str:
    """The findings as an HTML block: a heading and a numbered list, each with its link."""
    e = html.escape
    if not findings:
        items = f'<p class="tk-findings-none">{e(_NONE)}</p>'
    else:
        rows = "\n".join(
            f'<li>{e(f.text)} <a class="tk-finding-link" href="#{e(f.anchor)}">'
            f"See {e(f.anchor.replace('-', ' '))}</a></li>"
            for f in findings
        )
        items = f'<ol class="tk-findings-list">\n{rows}\n</ol>'
    return (
        '<section class="tk-findings" id="What-we-found" aria-label="What we found">\n'
        f"<h2>What we found</h2>\n{items}\n</section>"
    )


def show_findings(findings: Sequence[Finding]) -> None:
    """Display the findings in a notebook, carrying them as data in the output's metadata.

    The output's metadata is ``{"service_toolkit": {"findings": [{"text", "anchor",
    "chart"}, ...]}}``: the exports (HTML, PDF, slides) read the findings from there.
    """
    from IPython.display import HTML, display

    display(
        HTML(findings_html(findings)),
        metadata={"service_toolkit": {"findings": [f.to_dict() for f in findings]}},
    )
