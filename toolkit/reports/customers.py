"""The "Customer map" report: its data and the words and tables it shows.

``notebooks/customer_map.ipynb`` opens its data with :func:`open_customer_report` and
shows each section with one helper: :func:`customers_overview` (who our customers are),
:func:`overlooked_summary` (customers you may not have thought of),
:func:`priority_summary` and :func:`priority_table` (setting priorities),
:func:`power_interest_summary`, :func:`salience_summary`, :func:`service_chain_summary`
with :func:`chain_with_scores` (who serves whom), :func:`common_ground_summary` (where
customer groups agree and conflict), and the live panel :func:`priority_explorer`. The
analyses come from :mod:`toolkit.customers`; this module only words them for a
leadership audience. Every name from the data is escaped before it reaches Markdown.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from toolkit._words import importance_words
from toolkit.customers import (
    PRIORITY_CRITERIA,
    STRATEGIES,
    chain_layout,
    customer_common_ground,
    customer_kinds,
    overlooked_customers,
    prioritise_customers,
    service_chain,
    service_cycles,
    service_dependencies,
)
from toolkit.errors import DataValidationError
from toolkit.reports.context import (
    ReportContext,
    Table,
    count_words,
    is_missing,
    join_words,
    markdown,
    md_escape,
    open_report_as_called,
    pct,
    show_table,
)
from toolkit.reports.runner import REPORT_TABLES

__all__ = [
    "CUSTOMER_TABLES",
    "CustomerReport",
    "SALIENCE_MEANING",
    "chain_with_scores",
    "common_ground_summary",
    "customers_overview",
    "open_customer_report",
    "overlooked_summary",
    "power_interest_summary",
    "priority_explorer",
    "priority_summary",
    "priority_table",
    "salience_summary",
    "service_chain_summary",
]

CUSTOMER_TABLES = REPORT_TABLES["customer-map"]
"""The stored tables the customer-map report reads."""

_QUADRANT_ORDER = ("Manage closely", "Keep satisfied", "Keep informed", "Monitor")

#: What each salience class means for the people who plan, in the order to attend to them.
SALIENCE_MEANING = {
    "definitive": "power, legitimacy and urgency: attend to them first",
    "dominant": "power and a legitimate claim: their expectations count and they can act on them",
    "dangerous": "power and urgency without a legitimate claim: they may press it by force",
    "dependent": "a legitimate, urgent claim but little power: they rely on others, often us, "
    "to be heard",
    "dormant": "power only: quiet for now, but able to act if their interest grows",
    "discretionary": "a legitimate claim only: no pressure on us, served because it fits our "
    "mission",
    "demanding": "urgency only: insistent, without power or a legitimate claim",
    "not a stakeholder": "none of the three at the threshold",
}


# ----------------------------------------------------------------------------- names


def _plural_phrase(phrase: str) -> str:
    """``'HR office'`` → ``'HR offices'``; ``'agency'`` → ``'agencies'``."""
    head, _, last = phrase.rpartition(" ")
    if last.endswith(("s", "x", "z", "ch", "sh")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u"):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head} {last}".strip()


def _compress(names: Sequence[object], *, min_group: int = 4, escape=str) -> list[str]:
    """Names in order, with many that end in the same two words summarised once.

    Thirty names such as "Ashford HR office", "Bayview HR office", … read "30 HR offices
    (Ashford, Bayview, Cedar Falls and 27 more)", at the place the first of them stood.
    ``escape`` is applied to the text from the data, not to the words added here.

    Examples
    --------
    >>> _compress(["System HR"] + [f"{c} HR office" for c in "ABCDE"])
    ['System HR', '5 HR offices (A, B, C and 2 more)']
    """
    names = [str(n) for n in names]

    def key(name: str) -> str | None:
        words = name.split()
        tail = words[-2:]
        if len(words) < 3 or not all(w.replace("-", "").isalpha() for w in tail):
            return None
        return " ".join(tail)

    counts = Counter(k for k in map(key, names) if k)
    big = {k for k, c in counts.items() if c >= min_group}
    out, done = [], set()
    for name in names:
        k = key(name)
        if k not in big:
            out.append(escape(name))
        elif k not in done:
            done.add(k)
            prefixes = [escape(n[: -len(k)].strip()) for n in names if key(n) == k]
            shown = ", ".join(prefixes[:3]) + f" and {len(prefixes) - 3} more"
            out.append(f"{len(prefixes)} {escape(_plural_phrase(k))} ({shown})")
    return out


def _listed(names: Sequence[object], limit: int | None, escape) -> str:
    items = _compress(names, escape=escape)
    if limit is None or len(items) <= limit:
        return join_words(items)
    shown = items[:limit]
    hidden = len(names) - sum(_size(i) for i in shown)
    return ", ".join(shown) + f" and {hidden:,} more"


def _size(item: str) -> int:
    """How many customers a :func:`_compress` item stands for."""
    head = item.split(" ", 1)[0]
    return int(head) if head.isdigit() and item.endswith(" more)") else 1


def _who(names: Sequence[object], limit: int | None = 8) -> str:
    """Escaped, compressed names as words: ``'A, B and 30 HR offices (…)'``.

    With more than ``limit`` items, the rest are counted in customers ("and 34 more").
    """
    return _listed(list(names), limit, md_escape)


def _plain_who(names: Sequence[object], limit: int | None = 8) -> str:
    """As :func:`_who`, for table cells (not Markdown: no escaping)."""
    return _listed(list(names), limit, str)


# ----------------------------------------------------------------------------- opening


@dataclass
class CustomerReport(ReportContext):
    """A :class:`ReportContext` with the weights resolved and the links checked.

    Attributes
    ----------
    weights : dict
        The priority weights in force: the engagement's, updated by the ``weights``
        parameter.
    weights_given : dict
        The ``weights`` parameter as given (empty: the engagement's weights).
    links_left_out : int
        Service links dropped because an end is not among the customers in this report
        (only with a ``subset``).
    """

    weights: dict = None
    weights_given: dict = None
    links_left_out: int = 0
    _ranked: pd.DataFrame = field(default=None, repr=False)
    _stated: pd.DataFrame = field(default=None, repr=False)

    @property
    def customers(self) -> pd.DataFrame:
        return self.tables["customers"]

    @property
    def links(self) -> pd.DataFrame:
        """The service links among the customers in this report."""
        links = self.tables["service_links"]
        known = set(self.customers["customer_id"])
        return links[links["provider_id"].isin(known) & links["customer_id"].isin(known)]

    def priorities(self, weights: Mapping | None = None) -> pd.DataFrame:
        """:func:`~toolkit.customers.prioritise_customers` with the report's weights (or ``weights``)."""
        if weights is not None:
            return prioritise_customers(self.customers, weights=weights)
        if self._ranked is None:
            self._ranked = prioritise_customers(self.customers, weights=self.weights)
        return self._ranked

    @property
    def stated(self) -> pd.DataFrame:
        """The customer-stated needs, coded against the codebook (a person's code wins)."""
        if self._stated is None:
            from toolkit.catalog import coded_needs

            _, self._stated = coded_needs(
                {name: self.tables[name] for name in ("codebook", "assumed_needs", "stated_needs")},
                warn=False,
            )
        return self._stated

    def weights_source(self) -> str:
        """Where the weights came from, in words."""
        if self.weights_given:
            given = ", ".join(
                f"{md_escape(k.replace('_', ' '))} {v:g}" for k, v in self.weights_given.items()
            )
            rest = set(PRIORITY_CRITERIA) - set(self.weights_given)
            return f"weights set for this run ({given})" + (
                ", the others from engagement.toml" if rest else ""
            )
        return "the engagement's weights (engagement.toml)"

    def parameter_text(self, name: str, value: object) -> str:
        """``weights`` reads as the weights in force and where they came from."""
        if name == "weights":
            inforce = ", ".join(
                f"{k.replace('_', ' ')} {float(v):g}" for k, v in (self.weights or {}).items()
            )
            given = set(self.weights_given or {})
            if not given:
                source = "from engagement.toml"
            elif given >= set(self.weights or {}):
                source = "set for this run"
            else:
                source = (
                    "set for this run: "
                    + ", ".join(k.replace("_", " ") for k in self.weights_given)
                    + "; the others from engagement.toml"
                )
            return f"{inforce} ({source})" if inforce else source
        return super().parameter_text(name, value)


def open_customer_report(
    engagement: str | os.PathLike = "",
    *,
    subset: Mapping | None = None,
    interactive: bool = True,
    weights: Mapping | None = None,
    confidence: float | None = None,
    min_n: int | None = None,
    parameters: Mapping | None = None,
) -> CustomerReport:
    """Open the data of the "Customer map" report, with the weights checked.

    Reads the customer register, the service links, the stated and assumed needs and the
    codebook in one read transaction, applies ``subset``, resolves the priority weights
    and switches on the offline chart display (see :func:`toolkit.reports.context.open_report`).

    Parameters
    ----------
    engagement, subset, interactive, confidence, min_n
        As for :func:`toolkit.reports.context.open_report`; ``confidence`` and ``min_n`` apply to
        the comparison of customer groups' needs.
    weights : mapping, optional
        Criterion → weight for this run, over the engagement's ``[weights]``; empty or
        None keeps the engagement's.
    parameters : mapping, optional
        The notebook's parameters as given, for the first screen.

    Returns
    -------
    CustomerReport

    Raises
    ------
    StoreError
        No engagement at that path.
    DataValidationError
        Weights that are not a mapping, name an unknown criterion, are negative or all 0;
        a bad subset; or a register with no customers.
    """
    given = {} if weights is None else weights
    if not isinstance(given, Mapping):
        raise DataValidationError(
            "weights must be a mapping of criterion to weight, such as {mandate: 2} "
            f"(-y '{{weights: {{mandate: 2}}}}' for a report run), or {{}} for the "
            f"engagement's weights (got {weights!r}). The criteria are: "
            f"{', '.join(PRIORITY_CRITERIA)}."
        )
    given = dict(given)
    called = {"weights": given, "confidence": confidence, "min_n": min_n}
    ctx = open_report_as_called(
        engagement, subset, interactive, parameters, called, tables=CUSTOMER_TABLES
    )
    if ctx.tables["customers"].empty:
        raise DataValidationError(
            "There are no customers in the register"
            + (
                " for this subset."
                if ctx.subset
                else ". Import them first (service-toolkit import "
                f"{ctx.shell_path()} customers.csv --table customers)."
            )
        )
    merged = dict(ctx.engagement.settings.get("weights") or {})
    merged.update(given)
    fields = {f: getattr(ctx, f) for f in ReportContext.__dataclass_fields__}
    report = CustomerReport(**fields, weights=merged, weights_given=given)
    report.priorities()  # checks the weights now, before any section runs
    links = ctx.tables["service_links"]
    report.links_left_out = len(links) - len(report.links)
    return report


# ----------------------------------------------------------------------------- who


def customers_overview(ctx: CustomerReport):
    """Who our customers are: counts by kind and segment, internal customers named.

    Returns
    -------
    (Markdown, DataFrame)
        A paragraph per kind; and :func:`~toolkit.customers.customer_kinds` with the
        names summarised for a table (``kind``, ``segment``, ``customers``, ``who``).
    """
    kinds = customer_kinds(ctx.customers)
    total = int(kinds["customers"].sum())
    n_internal = int(kinds.loc[kinds["kind"] == "internal", "customers"].sum())
    n_external = total - n_internal

    def groups(kind: str) -> str:
        part = kinds[kinds["kind"] == kind]
        items = []
        for row in part.itertuples(index=False):
            names = row.names.split("; ")
            segment = "no segment" if is_missing(row.segment) else md_escape(row.segment)
            if len(names) == 1 and str(row.segment) == names[0]:
                items.append(f"**{md_escape(names[0])}**")
            else:
                items.append(f"{segment} ({row.customers}: {_who(names, limit=6)})")
        return join_words(items)

    where = "This report's subset holds" if ctx.subset else "The register lists"
    lines = [
        f"{where} **{count_words(total, 'customer')}**: **{n_internal:,} internal** and "
        f"**{n_external:,} external**."
    ]
    if n_internal:
        lines.append(
            "**Internal customers are customers too**: the units, colleagues and bosses whose "
            "work depends on ours, and through whom much of our work reaches the public. Ours "
            f"are {groups('internal')}."
        )
    elif ctx.subset:
        lines.append("No internal customer is in this subset; run without it to see them.")
    else:
        lines.append(
            "The register holds **no internal customers**. Most organisations have some: the "
            "units and colleagues whose work depends on ours. Add them with kind = internal."
        )
    if n_external:
        lines.append(f"External customers: {groups('external')}.")
    unsegmented = kinds[kinds["segment"].isna()]
    if len(unsegmented):
        count = int(unsegmented["customers"].sum())
        lines.append(
            f"{count_words(count, 'customer')} {'has' if count == 1 else 'have'} no segment, so no "
            "needs can be recorded for them; give them one."
        )
    table = kinds.assign(
        kind=kinds["kind"].str.capitalize(),
        segment=kinds["segment"].fillna("no segment"),
        who=[_plain_who(n.split("; "), limit=10) for n in kinds["names"]],
    )[["kind", "segment", "customers", "who"]]
    return markdown("\n\n".join(lines)), table


def overlooked_summary(ctx: CustomerReport):
    """Customers you may not have thought of: internal ones, and external ones not yet heard.

    Returns
    -------
    (Markdown, DataFrame)
        A paragraph; and the customers not yet heard, from
        :func:`~toolkit.customers.overlooked_customers` (``customer``, ``kind``,
        ``segment``, ``reason``, ``stated_needs``, ``assumed_needs``).
    """
    over = overlooked_customers(
        ctx.customers, ctx.tables["stated_needs"], ctx.tables["assumed_needs"]
    )
    if over.empty:
        return markdown(
            "Every customer in the register is external and has been heard: there are stated "
            "needs for each one's segment."
        ), over
    unheard = over[over["stated_needs"] == 0]
    internal = over[over["kind"] == "internal"]
    internal_heard = internal[internal["stated_needs"] > 0]
    lines = []
    if len(internal):
        lines.append(
            f"**{count_words(len(internal), 'internal customer')}** depend on our work as much as "
            "anyone outside does, though plans for the public often forget them: "
            f"{_who(internal['name'], limit=8)}."
        )
    if len(unheard):
        sentence = (
            f"**{count_words(len(unheard), 'customer')} {'has' if len(unheard) == 1 else 'have'} "
            f"not been heard**: no customer statement is recorded for their segment, so what "
            f"they need is a guess ({_who(unheard['name'], limit=8)})."
        )
        believed = unheard[unheard["assumed_needs"].fillna(0) > 0]
        if len(believed):
            sentence += (
                f" Staff hold beliefs about what {_who(believed['name'], limit=5)} need, "
                "which no customer has confirmed: ask them."
            )
        lines.append(sentence)
    else:
        lines.append("Every customer's segment has stated needs on record.")
    if len(internal_heard):
        lines.append(
            f"Internal customers already heard from: {_who(internal_heard['name'], limit=6)}; "
            "their needs are compared with the other groups' below."
        )
    table = unheard.assign(customer=unheard["name"], kind=unheard["kind"].str.capitalize())
    columns = ["customer", "kind", "segment", "reason", "stated_needs", "assumed_needs"]
    return markdown(" ".join(lines)), table[columns].reset_index(drop=True)


# ----------------------------------------------------------------------------- priorities


def priority_summary(ctx: CustomerReport, priorities: pd.DataFrame | None = None):
    """Setting priorities: who comes first, with which weights, and how sure the order is.

    Parameters
    ----------
    ctx : CustomerReport
    priorities : DataFrame, optional
        :func:`~toolkit.customers.prioritise_customers`; by default ``ctx.priorities()``.

    Returns
    -------
    IPython.display.Markdown
        The weights in words and where they came from; the first customers with score and
        tier; how many are in each tier; which ranks move when a weight moves (ties
        named); criteria not rated (never counted as zero); customers with no score.
    """
    from toolkit.charts.customers import parse_weights, weights_in_words

    ranked = ctx.priorities() if priorities is None else priorities
    weights = parse_weights(ranked["weights"].iloc[0]) if len(ranked) else ctx.weights
    scored = ranked[ranked["score"].notna()]
    paragraphs = [
        f"Each customer gets a score from 1 to 5: the weighted mean of the six criteria they "
        f"are rated on (mission alignment, clout, control of resources we need, history with "
        f"us, how few others could serve them, and mandate). This run uses "
        f"{ctx.weights_source()}: {weights_in_words(weights)}."
    ]
    if scored.empty:
        paragraphs.append("No customer is rated on any criterion in use, so none can be ranked.")
        return markdown("\n\n".join(paragraphs))

    rank = scored["rank"].astype(float)
    first_rank = rank.iloc[0]
    firsts = scored[rank == first_rank]
    lead = (
        f"**{md_escape(firsts['name'].iloc[0])}** comes first"
        if len(firsts) == 1
        else f"{_who(firsts['name'])} tie for first place"
    )
    score = float(firsts["score"].iloc[0])
    tier = firsts["tier"].iloc[0]
    text = f"{lead} (score {score:.2f} of 5, {md_escape(tier)} tier)"
    following = []
    for value in sorted(set(rank[rank > first_rank]))[:3]:
        group = scored[rank == value]
        names = _who(group["name"], limit=4)
        at = f"{float(group['score'].iloc[0]):.2f}"
        following.append(f"{names} ({'tied at ' if len(group) > 1 else ''}{at})")
    if following:
        text += ", then " + "; ".join(following)
    paragraphs.append(text + ".")

    tiers = scored["tier"].value_counts()
    high_from = float(ranked["tier_high"].iloc[0])
    medium_from = float(ranked["tier_medium"].iloc[0])
    paragraphs.append(
        f"Tiers: **{int(tiers.get('high', 0))} high** (score {high_from:.2f} or more), "
        f"{int(tiers.get('medium', 0))} medium (from {medium_from:.2f}) and "
        f"{int(tiers.get('low', 0))} low."
    )

    sensitivity = float(ranked["sensitivity"].iloc[0])
    moving = scored[scored["rank_best"] != scored["rank_worst"]]
    if moving.empty:
        paragraphs.append(
            f"**The order is stable**: moving any one weight by ±{sensitivity:.0%} changes no "
            "customer's rank."
        )
    else:
        spans = moving.assign(
            _span=moving["rank_worst"].astype(float) - moving["rank_best"].astype(float)
        )
        widest = spans.sort_values("_span", ascending=False, kind="stable").iloc[0]
        tied_with = scored[
            (scored["rank"] == widest["rank"]) & (scored["customer_id"] != widest["customer_id"])
        ]
        shown = [
            f"{md_escape(r.name)} (#{int(r.rank_best)}–#{int(r.rank_worst)})"
            for r in moving.head(6).itertuples()
        ]
        sentence = (
            f"**{len(moving)} of {len(scored)} ranks are not firm**: moving any one weight by "
            f"±{sensitivity:.0%} changes them. Among the first: {join_words(shown, limit=6)}. "
            f"The widest swing is {md_escape(widest['name'])}, #{int(widest['rank'])} now but "
            f"anywhere from #{int(widest['rank_best'])} to #{int(widest['rank_worst'])}"
        )
        if len(tied_with):
            sentence += (
                f": it shares a score of {float(widest['score']):.2f} with "
                f"{_who(tied_with['name'], limit=4)}, so a small change in weights reorders them"
            )
        sentence += ". Read customers this close as a group, not as an order."
        stable_top = scored[(scored["rank_best"] == scored["rank_worst"])].head(3)
        if len(stable_top):
            sentence += f" Firm whatever the weights: {_who(stable_top['name'], limit=3)}."
        paragraphs.append(sentence)

    gaps = scored[scored["unrated"].astype(str) != ""]
    if len(gaps):
        items = [
            f"{md_escape(r.name)} ({md_escape(str(r.unrated).replace('_', ' '))})"
            for r in gaps.itertuples()
        ]
        paragraphs.append(
            f"**Not every criterion is rated.** A missing rating is left out of the customer's "
            f"score, never counted as zero, so the score averages the criteria that are "
            f"rated: {join_words(items, limit=6)}. Rate them to make the comparison fair."
        )
    else:
        paragraphs.append("Every customer is rated on every criterion in use.")
    unscored = ranked[ranked["score"].isna()]
    if len(unscored):
        paragraphs.append(
            f"**No score** for {_who(unscored['name'], limit=6)}: no criterion in use is "
            "rated, so they are not ranked."
        )
    return markdown("\n\n".join(paragraphs))


def priority_table(priorities: pd.DataFrame, *, rows: int | None = None) -> Table:
    """The ranking as a table: rank and its range, score, tier, criteria not rated."""
    frame = priorities.assign(
        customer=priorities["name"],
        rank_range=[
            "–" if is_missing(b) else (f"{int(b)}" if b == w else f"{int(b)}–{int(w)}")
            for b, w in zip(priorities["rank_best"], priorities["rank_worst"], strict=True)
        ],
        kind=priorities["kind"].str.capitalize(),
        unrated=priorities["unrated"].astype(str).str.replace("_", " ").replace("", "–"),
    )
    return show_table(
        frame,
        columns={
            "rank": "Rank",
            "rank_range": "Range when weights move",
            "customer": "Customer",
            "kind": "Kind",
            "score": "Score (1–5)",
            "tier": "Tier",
            "unrated": "Not rated",
        },
        decimals={"score": 2, "rank": 0},
        rows=rows,
        caption="Customers in priority order",
        note="Range: the best and worst rank when any one weight moves by "
        f"±{float(priorities['sensitivity'].iloc[0]) if len(priorities) else 0.25:.0%}. "
        "A criterion not rated is left out of the score, never counted as zero.",
    )


# ----------------------------------------------------------------------------- grids


def power_interest_summary(grid: pd.DataFrame):
    """Power and interest: how many customers fall in each quadrant, and what to do.

    Parameters
    ----------
    grid : DataFrame
        :func:`toolkit.customers.power_interest`.

    Returns
    -------
    (Markdown, DataFrame)
        A paragraph; and one row per quadrant with customers (``quadrant``,
        ``customers``, ``who``, ``strategy``), in the order to attend to them.
    """
    placed = grid[grid["quadrant"].notna()]
    rows = []
    for quadrant in _QUADRANT_ORDER:
        names = placed.loc[placed["quadrant"] == quadrant, "name"]
        if len(names):
            rows.append(
                {
                    "quadrant": quadrant,
                    "customers": len(names),
                    "who": _plain_who(names, limit=10),
                    "strategy": STRATEGIES[quadrant],
                }
            )
    table = pd.DataFrame(rows, columns=["quadrant", "customers", "who", "strategy"])
    if placed.empty:
        return markdown(
            "No customer is rated on both power and interest, so none can be placed on the grid."
        ), table
    threshold = float(grid["threshold"].iloc[0])
    counts = join_words([f"{r.customers} to *{r.quadrant.lower()}*" for r in table.itertuples()])
    lines = [
        f"Placing {count_words(len(placed), 'customer')} by their power over us and their interest "
        f"in what we do (a rating of {threshold:g} or more counts as high): {counts}."
    ]
    close = placed[placed["quadrant"] == "Manage closely"]
    if len(close):
        lines.append(
            f"**Manage closely**: {_who(close['name'], limit=6)}. " + STRATEGIES["Manage closely"]
        )
    informed = placed[(placed["quadrant"] == "Keep informed") & (placed["kind"] == "internal")]
    if len(informed):
        lines.append(
            f"Internal customers with little power but a strong interest, such as "
            f"{_who(informed['name'], limit=4)}, are easy to overlook: keep them informed."
        )
    missing = grid[grid["quadrant"].isna()]
    if len(missing):
        lines.append(_left_out("Not placed", missing))
    return markdown(" ".join(lines)), table


def _left_out(label: str, missing: pd.DataFrame) -> str:
    """The sentence naming the customers a summary could not rate, and why: "Not placed: …"."""
    why = [f"{md_escape(r.name)} ({md_escape(r.note)})" for r in missing.itertuples()]
    return f"{label}: " + join_words(why, limit=6) + "."


def salience_summary(sal: pd.DataFrame):
    """Salience: which customers have power, a legitimate claim and urgency.

    Parameters
    ----------
    sal : DataFrame
        :func:`toolkit.customers.salience`.

    Returns
    -------
    (Markdown, DataFrame)
        A paragraph; and one row per class present (``salience``, ``meaning``,
        ``customers``, ``who``), most salient first.
    """
    classified = sal[sal["salience"].notna()]
    rows = []
    for name, meaning in SALIENCE_MEANING.items():
        names = classified.loc[classified["salience"] == name, "name"]
        if len(names):
            rows.append(
                {
                    "salience": name.capitalize(),
                    "meaning": meaning,
                    "customers": len(names),
                    "who": _plain_who(names, limit=10),
                }
            )
    table = pd.DataFrame(rows, columns=["salience", "meaning", "customers", "who"])
    if classified.empty:
        return markdown(
            "No customer is rated on all of power, legitimacy and urgency, so none can be "
            "classified."
        ), table
    threshold = float(sal["threshold"].iloc[0])
    lines = [
        f"A customer's claim on our attention grows with how many of three attributes it has "
        f"(a rating of {threshold:g} or more): power, legitimacy and urgency "
        "(Mitchell, Agle and Wood, 1997)."
    ]
    definitive = classified[classified["salience"] == "definitive"]
    if len(definitive):
        lines.append(
            f"**Definitive**, with all three: {_who(definitive['name'], limit=6)}. Attend to "
            "them first."
        )
    else:
        lines.append("No customer has all three attributes.")
    dependent = classified[classified["salience"] == "dependent"]
    if len(dependent):
        lines.append(
            f"**Dependent**, with a legitimate and urgent claim but little power: "
            f"{_who(dependent['name'], limit=6)}. They rely on others, often us, to be heard."
        )
    missing = sal[sal["salience"].isna()]
    if len(missing):
        lines.append(_left_out("Not classified", missing))
    return markdown(" ".join(lines)), table


# ----------------------------------------------------------------------------- service chain


def chain_with_scores(ctx: CustomerReport, priorities: pd.DataFrame | None = None) -> dict:
    """:func:`~toolkit.customers.chain_layout` with each node's priority score, rank and tier.

    Returns
    -------
    dict
        ``{"nodes", "edges"}`` as ``chain_layout`` returns, the nodes with ``score``,
        ``rank`` and ``tier`` merged in from ``priorities`` (by default
        ``ctx.priorities()``), ready for :func:`toolkit.charts.customers.service_chain_chart`.
    """
    ranked = ctx.priorities() if priorities is None else priorities
    layout = chain_layout(ctx.customers, ctx.links)
    layout["nodes"] = layout["nodes"].merge(
        ranked[["customer_id", "score", "rank", "tier"]], on="customer_id", how="left"
    )
    return layout


def service_chain_summary(ctx: CustomerReport):
    """Who serves whom: each internal unit's external customers, dependencies and loops.

    Returns
    -------
    (Markdown, DataFrame, DataFrame)
        A paragraph per finding; one row per internal unit (``unit``, ``serves_directly``,
        ``reaches_through_others``: external customers with the units in between); and
        the customers that depend on a single provider, grouped by provider
        (``provider``, ``customers``, ``who``).
    """
    customers, links = ctx.customers, ctx.links
    chain = service_chain(customers, links)
    deps = service_dependencies(customers, links)
    cycles = service_cycles(links, customers=customers)
    internal = customers[customers["kind"] == "internal"]

    reach_rows = []
    for unit_id, unit in zip(internal["customer_id"], internal["name"], strict=True):
        rows = chain[chain["provider_id"] == unit_id]
        if rows.empty:
            continue
        direct, through = [], []
        for _, group in rows.groupby("customer_id", sort=False):
            first = group.iloc[0]
            if int(first["steps"]) == 1:
                direct.append(str(first["customer"]))
            else:
                via = str(first["via"])
                more = int(first["shortest_paths"]) - 1
                routes = f" and {more} other route{'s' if more != 1 else ''}" if more else ""
                through.append(f"{first['customer']} via {via}{routes}")
        reach_rows.append(
            {
                "unit": unit,
                "serves_directly": _plain_who(direct) or "–",
                "reaches_through_others": through or ["–"],
            }
        )
    reach = pd.DataFrame(reach_rows, columns=["unit", "serves_directly", "reaches_through_others"])

    n_int, n_ext = (
        int((customers["kind"] == "internal").sum()),
        int((customers["kind"] == "external").sum()),
    )
    if len(links):
        lines = [
            f"The register records **{count_words(len(links), 'service link')}** among "
            f"{count_words(n_int, 'internal unit')} and {count_words(n_ext, 'external customer')}. "
            "Internal units serve one another and, through one another, the public: the chart "
            "below draws them upstream on the left."
        ]
    else:
        lines = [
            "The register records no service links among these customers, so there is no "
            "chain to draw. Record who serves whom in the service-links table."
        ]
    if ctx.links_left_out:
        lines.append(
            f"{count_words(ctx.links_left_out, 'link')} to customers outside this report's subset "
            f"{'is' if ctx.links_left_out == 1 else 'are'} left out."
        )
    reaching = deps[(deps["kind"] == "internal") & (deps["upstream_of_external"] > 0)]
    if len(reaching):
        by_reach = reaching.sort_values("upstream_of_external", ascending=False, kind="stable")
        widest = by_reach.iloc[0]
        indirect = reach[reach["serves_directly"] == "–"]
        lines.append(
            f"{count_words(len(reaching), 'internal unit')} ultimately serve external customers. "
            f"{md_escape(widest['name'])} reaches the most "
            f"({count_words(int(widest['upstream_of_external']), 'external customer')}: "
            f"{_who(str(widest['external_names']).split('; '), limit=5)})."
            + (
                f" {count_words(len(indirect), 'unit')} reach the public only through other units "
                "(see the table), so the public judges their work by how well those others "
                "serve."
                if len(indirect)
                else ""
            )
        )
    idle = deps[(deps["kind"] == "internal") & (deps["upstream_of_external"] == 0)]
    if len(idle):
        lines.append(
            f"No link runs from {_who(idle['name'], limit=6)} to an external customer: they "
            "are served, but the register does not show their work reaching the public. "
            "Check whether a link is missing."
        )
    single = deps[deps["single_provider"]]
    dep_rows = []
    for provider, group in single.groupby("provider_names", sort=False):
        dep_rows.append(
            {
                "provider": provider,
                "customers": len(group),
                "who": _plain_who(group["name"], limit=10),
            }
        )
    dependencies = pd.DataFrame(dep_rows, columns=["provider", "customers", "who"])
    if len(dependencies):
        dependencies = dependencies.sort_values("customers", ascending=False, kind="stable")
        top = dependencies.head(4)
        lines.append(
            f"**{count_words(len(single), 'customer')} depend on a single provider**, a single point "
            "of failure if that provider falters: "
            + "; ".join(
                f"{md_escape(r.provider)} alone serves "
                + _who(single.loc[single["provider_names"] == r.provider, "name"], limit=4)
                for r in top.itertuples()
            )
            + (f"; and {len(dependencies) - 4} more providers" if len(dependencies) > 4 else "")
            + "."
        )
    else:
        lines.append("No customer depends on a single provider.")
    if len(cycles):
        lines.append(
            f"**{count_words(len(cycles), 'loop')}** in the links (units that, through others, serve "
            f"themselves): {join_words([md_escape(m) for m in cycles['members']], limit=4)}. Loops "
            "are common between units; check that each is meant."
        )
    else:
        lines.append("There are no loops: no unit is, through others, its own customer.")
    return markdown("\n\n".join(lines)), reach, dependencies.reset_index(drop=True)


# ----------------------------------------------------------------------------- common ground


def common_ground_summary(ctx: CustomerReport):
    """Where customer groups agree and conflict, with the customers behind each group.

    Uses :func:`toolkit.needs.common_ground` on the coded stated needs (the report's
    ``confidence`` and ``min_n``) and :func:`toolkit.customers.customer_common_ground`.

    Returns
    -------
    (Markdown, DataFrame, DataFrame)
        A paragraph; the needs two groups share (``label``, ``segment_a``, ``customer_a``,
        ``segment_b``, ``customer_b``, ``share_a``, ``share_b``); and the conflicts (the
        same, with ``importance_a`` and ``importance_b``, each with its ``importance_n_``,
        ``importance_ci_low_`` and ``importance_ci_high_`` columns).
    """
    from toolkit.needs import common_ground

    columns = ["label", "segment_a", "customer_a", "segment_b", "customer_b", "share_a", "share_b"]
    rated = [
        f"importance{part}_{side}" for side in "ab" for part in ("", "_n", "_ci_low", "_ci_high")
    ]
    empty = pd.DataFrame(columns=columns)
    stated = ctx.stated
    if stated.empty or stated["segment"].dropna().nunique() < 2:
        return (
            markdown(
                "Fewer than two customer groups have stated needs in this report, so there is "
                "nothing to compare."
            ),
            empty,
            pd.DataFrame(columns=[*columns, *rated]),
        )
    cg = common_ground(
        stated, codebook=ctx.tables["codebook"], confidence=ctx.confidence, min_n=ctx.min_n
    )
    if cg.empty or "share_a" not in cg:
        return (
            markdown("No need is shared by two groups, held by one alone, or disputed."),
            empty,
            pd.DataFrame(columns=[*columns, *rated]),
        )
    named = customer_common_ground(ctx.customers, cg)
    named[rated] = cg[rated].to_numpy()
    for side in ("a", "b"):
        named[f"customer_{side}"] = [
            _plain_who(c.split("; "), limit=6) if c else "no customer in the register"
            for c in named[f"customer_{side}"]
        ]
    live = named[~named["suppressed"].astype(bool)]
    shared = live[live["relation"] == "common ground"]
    conflicts = live[live["relation"] == "conflict"]
    one_sided = live[live["relation"].astype(str).str.startswith("only ")]

    def group(seg, customers) -> str:
        if str(customers) == str(seg) or customers == "no customer in the register":
            return md_escape(seg)
        return f"{md_escape(seg)} ({md_escape(customers)})"

    lines = []
    if len(shared):
        counts = shared["label"].value_counts()
        label = counts.index[0]
        rows = shared[shared["label"] == label]
        segments = list(dict.fromkeys([*rows["segment_a"], *rows["segment_b"]]))
        first = rows.iloc[0]
        lines.append(
            f"**Common ground**: {count_words(shared['label'].nunique(), 'need')} are a priority for "
            f"more than one customer group. The broadest is **{md_escape(label)}**, shared by "
            f"{join_words([md_escape(s) for s in segments])}: for example, "
            f"{pct(first['share_a'])} of {group(first['segment_a'], first['customer_a'])} name "
            f"it, and {pct(first['share_b'])} of {group(first['segment_b'], first['customer_b'])}. "
            "One change there serves them all."
        )
    else:
        lines.append("No need is a priority for two customer groups at once.")
    if len(conflicts):
        c = conflicts.iloc[0]
        lines.append(
            f"**{count_words(len(conflicts), 'conflict')}**: groups rate the same need far apart, "
            f"by more than chance explains. {group(c['segment_a'], c['customer_a'])} rate "
            f"**{md_escape(c['label'])}** {_importance_said(c, 'a')}; "
            f"{group(c['segment_b'], c['customer_b'])} {_importance_said(c, 'b')}. Plan it with "
            "both in the room."
        )
    else:
        lines.append("No two groups rate the same need in clearly opposite ways.")
    if len(one_sided):
        lines.append(
            f"Another {count_words(len(one_sided), 'finding')} {'is' if len(one_sided) == 1 else 'are'} one-sided: a need that is a priority "
            "for one group and rare in another belongs to that group's plan, not to a shared one."
        )
    suppressed = named[named["suppressed"].astype(bool)]
    if len(suppressed):
        small = sorted(set(suppressed["segment_a"]) | set(suppressed["segment_b"]))
        lines.append(
            f"Pairs with a group of fewer than {ctx.min_n} respondents are left out "
            f"({join_words([md_escape(s) for s in small], limit=6)})."
        )
    return (
        markdown(" ".join(lines)),
        shared[columns].reset_index(drop=True),
        conflicts[[*columns, *rated]].reset_index(drop=True),
    )


def _importance_said(row: pd.Series, side: str) -> str:
    """One side's mean importance in a conflict: mean, interval and ratings."""
    return importance_words(
        *(row[f"importance{part}_{side}"] for part in ("", "_ci_low", "_ci_high", "_n"))
    )


# ----------------------------------------------------------------------------- live panel


def _show(*objects) -> None:
    """Display in the notebook (a seam the tests replace)."""
    from IPython.display import display

    display(*objects)


def _changes(before: pd.DataFrame, after: pd.DataFrame) -> str:
    """Which customers moved between two rankings, biggest moves first (Markdown)."""
    old = dict(zip(before["customer_id"], before["rank"], strict=True))
    moves: dict[tuple[int, int], list[str]] = {}
    for r in after.itertuples(index=False):
        was = old.get(r.customer_id)
        if is_missing(was) or is_missing(r.rank) or int(was) == int(r.rank):
            continue
        moves.setdefault((int(was), int(r.rank)), []).append(str(r.name))
    if not moves:
        return "No customer changes rank against the report's weights."
    ordered = sorted(moves.items(), key=lambda item: (-abs(item[0][0] - item[0][1]), item[0]))
    shown = [
        f"{_who(names, limit=3)} #{was} → #{now} ({'up' if now < was else 'down'})"
        for (was, now), names in ordered[:5]
    ]
    moved = sum(len(names) for names in moves.values())
    more = len(ordered) - len(shown)
    return (
        f"Against the report's weights, **{count_words(moved, 'customer')} change rank**: "
        + "; ".join(shown)
        + (f"; and {more} smaller moves" if more > 0 else "")
        + "."
    )


def priority_explorer(ctx: CustomerReport, *, top: int | None = None):
    """Six weight sliders that re-rank the customers and redraw the chart and table live.

    Only for interactive use (JupyterLab, Voilà): report runs must not create it, so no
    widget state reaches a report.

    Parameters
    ----------
    ctx : CustomerReport
        The opened report; the sliders start at its weights.
    top : int, optional
        Chart only the first ``top`` customers.

    Returns
    -------
    ipywidgets.VBox
        A title, six sliders (0–3 in steps of 0.25, one per criterion), a reset button
        and an ``Output`` that shows which customers moved, the priority chart and the
        ranking table whenever a slider changes. Weights that cannot score anything (all
        0) show a message instead.
    """
    import ipywidgets as w

    from toolkit.charts.customers import CRITERIA_TITLES, priority_chart

    start = {c: float(ctx.weights.get(c, 1.0)) for c in PRIORITY_CRITERIA}
    sliders = {
        c: w.FloatSlider(
            value=start[c],
            min=0.0,
            max=max(3.0, start[c]),
            step=0.25,
            description=CRITERIA_TITLES[c],
            readout_format=".2f",
            continuous_update=False,
            style={"description_width": "220px"},
            layout=w.Layout(width="480px"),
        )
        for c in PRIORITY_CRITERIA
    }
    reset = w.Button(description="Back to the report's weights", layout=w.Layout(width="240px"))
    out = w.Output()
    baseline = ctx.priorities()

    def draw(_change=None) -> None:
        weights = {c: s.value for c, s in sliders.items()}
        with out:
            out.clear_output(wait=True)
            try:
                ranked = ctx.priorities(weights)
            except DataValidationError as err:
                _show(markdown(f"**Cannot rank with these weights.** {md_escape(err)}"))
                return
            _show(
                markdown(_changes(baseline, ranked)),
                priority_chart(ranked, top=top),
                priority_table(ranked),
            )

    def back(_button=None) -> None:
        for c, s in sliders.items():
            s.unobserve(draw, names="value")
            s.value = start[c]
            s.observe(draw, names="value")
        draw()

    for slider in sliders.values():
        slider.observe(draw, names="value")
    reset.on_click(back)
    draw()
    title = w.HTML(
        "<h3>Try other weights</h3><p>Move a slider to change how much a criterion counts "
        "(0 leaves it out). The ranking below redraws; the report above keeps its weights.</p>"
    )
    return w.VBox([title, w.VBox(list(sliders.values())), reset, out])
