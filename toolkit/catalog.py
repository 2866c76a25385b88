"""The named analyses: what the ``table`` command and the notebooks compute from a store.

Each analysis reads the tables it needs (in one read transaction), codes free text where
needed, and calls the pure functions of the analysis modules with the engagement's
settings as defaults; parameters given for one run override them. The parameter names
are the analysis functions' keyword arguments.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from toolkit import coding, customers, loop, needs, participation, satisfaction
from toolkit.errors import DataValidationError
from toolkit.schema.personal import DIRECT, personal_refusal
from toolkit.settings import PRIORITY_CRITERIA
from toolkit.store import (
    CODED_TABLES,
    apply_subset,  # re-exported: the subset rule lives in the store
)

__all__ = [
    "ANALYSES",
    "Analysis",
    "run_analysis",
    "apply_subset",
    "coded_needs",
    "coded_with_ids",
    "make_weighting",
    "with_weighting",
    "evaluation_status",
    "proposed_codes",
    "review_queue",
]


@dataclass(frozen=True)
class Analysis:
    """One named analysis: the tables it reads and the function(s) it runs.

    ``run(tables, by=None, settings=None, **params)`` gets the tables read in one
    transaction, the ``by`` column, the engagement's settings and the run's parameters.
    ``extra`` names parameters a run accepts beyond the functions' keyword arguments.
    """

    name: str
    tables: tuple[str, ...]
    run: Callable[..., pd.DataFrame]
    functions: tuple[Callable, ...]
    summary: str
    extra: tuple[inspect.Parameter, ...] = ()
    read: Callable | None = None  # the engagement → its tables, when not read_tables

    def parameters(self) -> dict[str, inspect.Parameter]:
        """The keyword arguments a run accepts, with their defaults."""
        taken = {"codebook", "by", "segment"}
        params = {p.name: p for p in self.extra}
        for func in self.functions:
            for name, p in inspect.signature(func).parameters.items():
                if p.kind is p.KEYWORD_ONLY and name not in taken:
                    params.setdefault(name, p)
        return params


def coded_needs(
    tables: Mapping[str, pd.DataFrame], *, warn: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The assumed and stated needs, coded against the codebook (a person's code wins).

    Warns when some statements matched no code: they count towards the totals but
    not towards any need until a person codes them.
    """
    codebook = tables["codebook"]
    assumed = needs.code_needs(tables["assumed_needs"], codebook)
    stated = needs.code_needs(tables["stated_needs"], codebook)
    left = int(assumed["code"].isna().sum() + stated["code"].isna().sum())
    if left and warn:
        warnings.warn(
            f"{left} need statement{'s' if left != 1 else ''} matched no code in the codebook; "
            "they count in the totals but not under any need. List them with the "
            "'uncoded' table and code them (import the rows with the code column filled).",
            stacklevel=3,
        )
    return assumed, stated


def _split(params: dict, func: Callable) -> dict:
    accepted = inspect.signature(func).parameters
    return {k: v for k, v in params.items() if k in accepted}


def _needs_gap(tables, by=None, settings=None, **params):
    assumed, stated = coded_needs(tables)
    if by is not None and by in stated and needs.all_staff_compared(assumed, by):
        staff = int(assumed["staff"].nunique()) + int(assumed["staff"].isna().any())
        warnings.warn(needs.all_staff_note(by, staff), stacklevel=3)
    return needs.needs_gap(assumed, stated, codebook=tables["codebook"], by=by, **params)


def _rank_agreement(tables, by=None, settings=None, **params):
    gap = _needs_gap(tables, by=by, settings=settings, **_split(params, needs.needs_gap))
    return needs.rank_agreement(gap, by=by, **_split(params, needs.rank_agreement))


def _common_ground(tables, by=None, settings=None, **params):
    _, stated = coded_needs(tables)
    return needs.common_ground(
        stated, codebook=tables["codebook"], segment=by or "segment", **params
    )


def _importance_performance(tables, by=None, settings=None, **params):
    _, stated = coded_needs(tables)
    return needs.importance_performance(stated, codebook=tables["codebook"], by=by, **params)


def _uncoded(tables, by=None, settings=None, **params):
    assumed, stated = coded_needs(tables, warn=False)
    both = pd.concat(
        [assumed.assign(list="staff"), stated.assign(list="customers")], ignore_index=True
    )
    return needs.uncoded_needs(both, by=by or "list", **params)


# ----------------------------------------------------------------------------- review


def coded_with_ids(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Staff and customer statements coded, each with its ``id`` (``S12``: customers'
    stated need entry 12; ``A3``: staff's assumed need entry 3) and ``list``.
    """
    parts = []
    for table, listed in (("stated_needs", "customers"), ("assumed_needs", "staff")):
        frame = coding.code_needs(tables[table], tables["codebook"])
        ids = CODED_TABLES[table] + frame["entry"].astype(str)
        parts.append(frame.assign(id=ids.to_numpy(), list=listed))
    return pd.concat(parts, ignore_index=True)


def review_queue(engagement) -> pd.DataFrame:
    """The engagement's ``coding-review`` table (:func:`toolkit.coding.review_queue`)."""
    return coding.review_queue(coded_with_ids(engagement.coding_tables()))


def proposed_codes(engagement, ids) -> dict[tuple[str, int], str]:
    """The codes ``coding-review`` proposes for statement ids, as
    ``{(table, entry): code}`` for :meth:`toolkit.store.Engagement.set_codes`.

    Raises
    ------
    DataValidationError
        An id that is not a statement id, or a statement not waiting for review.
    """
    from toolkit.store import statement_key

    queue = review_queue(engagement).assign(_id=lambda q: q["id"].str.upper())
    proposals = dict(zip(queue["_id"], queue["proposed_code"], strict=True))
    codes = {}
    for given in ids:
        key = statement_key(given)
        code = proposals.get(str(given).strip().upper())
        if code is None:
            raise DataValidationError(
                f"Statement {given} is not waiting for review (a person has coded it, or "
                "no code was proposed), so there is nothing to confirm; give it a code instead."
            )
        codes[key] = code
    return codes


def _coding_review(tables, by=None, settings=None, **params):
    return coding.review_queue(coded_with_ids(tables), **params)


def _coder_agreement(tables, by=None, settings=None, **params):
    codings = tables["codings"]
    ids = codings["table_name"].map(CODED_TABLES) + codings["entry"].astype(str)
    return coding.coder_agreement(
        coded_with_ids(tables), codings.assign(id=ids.to_numpy()), **params
    )


def _read_coding(engagement) -> dict[str, pd.DataFrame]:
    return engagement.coding_tables()


# ----------------------------------------------------------------------------- customers


def _refuse_by(name: str, by: str | None, why: str) -> None:
    if by is not None:
        raise DataValidationError(f"{name} does not take --by (got --by {by}): {why}")


def _priorities(tables, by=None, settings=None, weights=None, **params):
    """Weights: the engagement's, then a ``weights`` mapping, then single criteria."""
    chosen = {c: params.pop(c) for c in PRIORITY_CRITERIA if c in params}
    merged = dict((settings or {}).get("weights") or {})
    if weights is not None:
        if not isinstance(weights, Mapping):
            raise DataValidationError(
                "weights must be a mapping of criterion to weight, such as "
                f"-y '{{weights: {{mandate: 2}}}}', or give one criterion as -p mandate 2 "
                f"(got {weights!r})."
            )
        merged.update(weights)
    merged.update({c: v for c, v in chosen.items() if v is not None})
    frame = tables["customers"]
    if by is None:
        return customers.prioritise_customers(frame, weights=merged, **params)
    if by not in frame:
        raise DataValidationError(
            f'--by {by}: the customer register has no column "{by}". '
            f"Its columns: {', '.join(map(str, frame.columns))}."
        )
    parts = []
    for key, group in frame.groupby(by, sort=False, dropna=False):
        ranked = customers.prioritise_customers(group, weights=merged, **params)
        if by not in ranked:
            ranked.insert(0, by, key)
        parts.append(ranked)
    if not parts:
        empty = customers.prioritise_customers(frame, weights=merged, **params)
        return empty if by in empty else empty.assign(**{by: []})
    return pd.concat(parts, ignore_index=True)


def _one_by_one(name: str, verb: str, function: Callable) -> Callable[..., pd.DataFrame]:
    """The run of an analysis that takes each customer on its own, so refuses --by."""

    def run(tables, by=None, settings=None, **params):
        _refuse_by(
            name,
            by,
            f"it {verb} each customer on its own; the result has kind "
            "and segment columns to sort or filter by.",
        )
        return function(tables["customers"], **params)

    return run


_power_interest = _one_by_one("power-interest", "places", customers.power_interest)
_salience = _one_by_one("salience", "classifies", customers.salience)


def _customer_kinds(tables, by=None, settings=None, **params):
    _refuse_by("customer-kinds", by, "it already groups by kind and segment.")
    return customers.customer_kinds(tables["customers"])


_CHAIN = "the service chain is one graph across every customer, so it is not split."


def _service_chain(tables, by=None, settings=None, **params):
    _refuse_by("service-chain", by, _CHAIN)
    return customers.service_chain(tables["customers"], tables["service_links"], **params)


def _service_dependencies(tables, by=None, settings=None, **params):
    _refuse_by("service-dependencies", by, _CHAIN)
    return customers.service_dependencies(tables["customers"], tables["service_links"])


def _service_cycles(tables, by=None, settings=None, **params):
    _refuse_by("service-cycles", by, _CHAIN)
    return customers.service_cycles(
        tables["service_links"], customers=tables["customers"], **params
    )


def _coverage(tables, by=None, settings=None, **params):
    _refuse_by("coverage", by, "it groups by segment, method and period itself.")
    return customers.coverage(
        tables["customers"], tables["stated_needs"], tables["assumed_needs"], **params
    )


# ----------------------------------------------------------------------------- the loop


def _decision_matrix(tables, by=None, settings=None, **params):
    _refuse_by("decision-matrix", by, "it ranks each customer group's needs itself.")
    gap_params = _split(params, needs.needs_gap)
    gap = _needs_gap(tables, by="segment", settings=settings, **gap_params)
    _, stated = coded_needs(tables, warn=False)
    ipa_params = {k: v for k, v in gap_params.items() if k in ("confidence", "min_n")}
    quadrants = needs.importance_performance(
        stated, codebook=tables["codebook"], by="segment", **ipa_params
    )
    ranked = _priorities(tables, settings=settings)
    return loop.decision_matrix(
        gap,
        ranked,
        quadrants=quadrants,
        actions=tables["actions"],
        **_split(params, loop.decision_matrix),
    )


def _needs_trend(tables, by=None, settings=None, **params):
    _refuse_by(
        "needs-trend",
        by,
        "it compares periods for all customers; use a subset (-y '{subset: ...}') for one group.",
    )
    _, stated = coded_needs(tables)
    return loop.needs_trend(stated, codebook=tables["codebook"], **params)


def _participation(tables, by=None, settings=None, **params):
    _refuse_by("participation", by, "it groups by customer group and channel itself.")
    population = params.pop("population", None)
    if population is None:
        sizes = participation.population_sizes(
            (settings or {}).get("population"), tables["customers"]
        )
        population = sizes.get("segment")
    heard = customers.coverage(tables["customers"], tables["stated_needs"], tables["assumed_needs"])
    return participation.participation(
        tables["outreach"], tables["stated_needs"], heard, population=population, **params
    )


def evaluation_status(
    engagement, today=None, *, tables=None, metrics=None, min_n=None, groups=None
) -> pd.DataFrame:
    """:func:`toolkit.loop.evaluation_schedule` for the engagement's
    ``[settings.evaluate_every]`` (an empty table when it sets none).

    ``tables`` are ``responses``/``stated_needs`` already read (a report's, its subset
    applied), used instead of reading the store; ``metrics`` keeps only those metrics;
    ``min_n`` replaces the engagement's. ``groups`` keeps only these of the customer
    groups the engagement counts people in (its population sizes), which a wave that
    heard none of them names to ask again.
    """
    every = engagement.settings.get("evaluate_every") or {}
    if metrics is not None:
        every = {m: c for m, c in every.items() if m in metrics}
    if not every:
        return loop.evaluation_schedule(
            pd.DataFrame(columns=["metric"]), pd.DataFrame(), every={}, today=today
        )
    given = dict(tables or {})
    wanted = ["responses"] + (["stated_needs"] if loop.NEEDS_METRIC in every else [])
    missing = [t for t in wanted if t not in given]
    given.update(engagement.read_tables(missing) if missing else {})
    return loop.evaluation_schedule(
        given["responses"],
        given.get("stated_needs", pd.DataFrame(columns=["collected_on"])),
        every=every,
        min_n=engagement.settings["min_n"] if min_n is None else min_n,
        today=today,
        groups=[g for g in _population_groups(engagement) if groups is None or g in groups],
    )


def _population_groups(engagement) -> list[str]:
    """The customer groups the engagement counts people in (``[settings.population.segment]``
    or the register's ``population`` column), leaving out a group of size 0.
    """
    population = engagement.settings.get("population") or {}
    register = None if "segment" in population else engagement.read_tables(["customers"])
    sizes = participation.population_sizes(population, (register or {}).get("customers"))
    return [g for g, size in sizes.get("segment", {}).items() if size > 0]


# ----------------------------------------------------------------------------- weights

#: The tables a weighting scheme can weight (their rows are respondents' answers).
WEIGHTED_TABLES = ("stated_needs", "responses")


def make_weighting(
    engagement,
    name: str,
    *,
    method: str,
    by: list[str],
    table: str = "stated_needs",
) -> tuple[dict, pd.DataFrame]:
    """Make and keep a named weighting scheme from the engagement's population sizes.

    ``method`` is ``post-stratify`` (one variable) or ``rake`` (two or more); the sizes
    come from ``[settings.population.VARIABLE]`` (or the register's ``population``
    column for ``segment``). Returns the scheme (with ``design_effect``, Kish's 1 + CV²,
    and ``effective_n``) and its cells, each with its respondents, weight, sample share
    and the weighted share.

    Raises
    ------
    DataValidationError
        An unknown method or table, a variable the rows lack, missing or unusable
        population sizes (each named), or raking that cannot settle.
    """
    from toolkit._validate import check_choice
    from toolkit.schema.tables import table_named

    check_choice(method, participation.METHODS, name="method")
    spec = table_named(table)
    if spec.name not in WEIGHTED_TABLES:
        raise DataValidationError(
            f"Weights are made for the answers of respondents: stated-needs or responses "
            f"(got {spec.cli_name})."
        )
    by = [b.strip() for b in by if b.strip()]
    if not by or not str(name).strip():
        raise DataValidationError("A weighting scheme needs a name and at least one --by column.")
    if method == "post-stratify" and len(by) != 1:
        raise DataValidationError(
            f"post-stratify weights by one variable (got {', '.join(by)}); to match the "
            "margins of several, use rake."
        )
    tables, fingerprint = engagement.snapshot([spec.name])  # as with_weighting checks it
    rows = tables[spec.name]
    if rows.empty:
        raise DataValidationError(f"{spec.cli_name} has no rows yet, so there is nobody to weight.")
    missing = [b for b in by if b not in rows]
    if missing:
        raise DataValidationError(
            f"{spec.cli_name} has no column {', '.join(repr(m) for m in missing)}. Its "
            f"columns: {', '.join(map(str, rows.columns))}."
        )
    sizes = participation.population_sizes(
        engagement.settings.get("population"), engagement.table("customers")
    )
    people = participation.respondent_rows(rows, by)
    if method == "post-stratify":
        weights = participation.post_stratify(people, by=by[0], targets=sizes.get(by[0], {}))
    else:
        weights = participation.rake(people, by=by, targets=sizes)
    cells = participation.weighting_cells(people, weights, by=by)
    cells["sample_share"] = cells["respondents"] / len(people)
    cells["weighted_share"] = cells["respondents"] * cells["weight"] / weights.sum()
    scheme = {
        "name": str(name).strip(),
        "table": spec.name,
        "method": method,
        "variables": by,
        "targets": {b: sizes.get(b, {}) for b in by},
        "respondents": len(people),
        "effective_n": len(people) / participation.design_effect(weights),
        "design_effect": participation.design_effect(weights),
        "fingerprint": fingerprint,
    }
    engagement.save_weighting(scheme, cells)
    return scheme, cells


def with_weighting(engagement, tables: dict, weight, *, used_by: str = "this analysis") -> dict:
    """``tables`` with a weighting scheme's weights joined to the table it weights.

    ``weight`` is the analyses' ``weight`` parameter: when it names a weighting scheme
    (``service-toolkit weights``), that table gets a column of that name holding each
    row's weight, so the analysis reads it as it reads an imported weight column. A
    column of that name in the data wins; any other value leaves ``tables`` as they are.
    Reports use this too, so a scheme weighs the same everywhere.

    Raises
    ------
    DataValidationError
        The scheme weights a table not in ``tables``, or rows fall in no cell of it
        (data imported since it was made). A scheme older than its table's last change
        is a warning.
    """
    name = weight
    if not isinstance(name, str) or name == "weight":
        return tables
    schemes = engagement.weighting_schemes()
    if not (schemes["name"].str.lower() == name.strip().lower()).any():
        return tables
    scheme, cells = engagement.weighting(name)
    table = scheme["table"]
    if table not in tables:
        raise DataValidationError(
            f'The weighting scheme "{scheme["name"]}" weights {table.replace("_", "-")}, which '
            f"{used_by} does not read."
        )
    frame = tables[table]
    if name in frame:
        return tables
    weights = participation.cell_weights(frame, cells, by=scheme["variables"])
    outside = int(weights.isna().sum())
    if outside:
        raise DataValidationError(
            f"{outside} rows of {table.replace('_', '-')} fall in no cell of the weighting scheme "
            f'"{scheme["name"]}" (data imported since it was made). Make it again: '
            f"service-toolkit weights {engagement.path} {scheme['method']} --by "
            f"{','.join(scheme['variables'])} --name {scheme['name']}"
        )
    if engagement.fingerprint([table]) != scheme["fingerprint"]:
        warnings.warn(
            f'The weighting scheme "{scheme["name"]}" was made before the latest change to '
            f"{table.replace('_', '-')}; its weights may no longer match the population. "
            f"Make it again with service-toolkit weights {engagement.path} {scheme['method']} "
            f"--by {','.join(scheme['variables'])} --name {scheme['name']}",
            stacklevel=3,
        )
    # Under the caller's spelling: the analysis looks for the column its ``weight`` names.
    return {**tables, table: frame.assign(**{name: weights})}


# ----------------------------------------------------------------------------- satisfaction

SETTING_PARAMETERS = (
    "confidence",
    "min_n",
    "min_staff_n",
    "top_box",
    "fiscal_year_start",
    "timezone",
    "ces",
)
"""Parameters that default to the engagement's settings when a run does not give them."""


def setting_defaults(settings: Mapping, accepted, given: Mapping | None = None) -> dict:
    """The engagement's ``settings`` an analysis takes as parameters: those of
    :data:`SETTING_PARAMETERS` among ``accepted`` (its parameter names), leaving out the
    ones ``given`` already holds. A report computing an analysis itself reads them here,
    as :func:`run_analysis` does, so its table and ``service-toolkit table`` agree.
    """
    given = given or {}
    return {k: settings[k] for k in SETTING_PARAMETERS if k in accepted and k not in given}


def _trend(tables, by=None, settings=None, **params):
    return satisfaction.satisfaction_trend(tables["responses"], by=by, **params)


def _nps_trend(tables, by=None, settings=None, **params):
    metric = params.pop("metric", "nps")
    if metric != "nps":
        raise DataValidationError(
            f"nps-trend is the NPS trend (got -p metric {metric}); use satisfaction-trend "
            f"-p metric {metric} for other metrics."
        )
    return _trend(tables, by=by, settings=settings, metric="nps", **params)


def _period_changes(tables, by=None, settings=None, **params):
    trend = _trend(tables, by=by, **_split(params, satisfaction.satisfaction_trend))
    return satisfaction.period_changes(trend, by=by, **_split(params, satisfaction.period_changes))


def _before_after(tables, by=None, settings=None, **params):
    return satisfaction.before_after(tables["responses"], tables["events"], by=by, **params)


def _control_chart(tables, by=None, settings=None, **params):
    trend = _trend(tables, by=by, **_split(params, satisfaction.satisfaction_trend))
    return satisfaction.control_chart(trend, by=by, **_split(params, satisfaction.control_chart))


def _keyword(name: str, default=None) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)


_WEIGHT_PARAMETERS = (_keyword("weights"), *(_keyword(c) for c in PRIORITY_CRITERIA))
_LINK_TABLES = ("customers", "service_links")


_NEEDS_TABLES = ("codebook", "assumed_needs", "stated_needs")
ANALYSES: dict[str, Analysis] = {
    a.name: a
    for a in (
        Analysis(
            "needs-gap",
            _NEEDS_TABLES,
            _needs_gap,
            (needs.needs_gap,),
            "staff vs customer share of each need, the gap and its class",
        ),
        Analysis(
            "rank-agreement",
            _NEEDS_TABLES,
            _rank_agreement,
            (needs.needs_gap, needs.rank_agreement),
            "how far staff and customer priority orders agree",
        ),
        Analysis(
            "common-ground",
            _NEEDS_TABLES,
            _common_ground,
            (needs.common_ground,),
            "needs segments share, hold alone, or conflict on (--by names the segment column)",
        ),
        Analysis(
            "importance-performance",
            _NEEDS_TABLES,
            _importance_performance,
            (needs.importance_performance,),
            "importance–performance quadrants",
        ),
        Analysis(
            "uncoded",
            _NEEDS_TABLES,
            _uncoded,
            (needs.uncoded_needs,),
            "statements no code matched, for a person to code",
        ),
        Analysis(
            "coding-review",
            _NEEDS_TABLES,
            _coding_review,
            (coding.review_queue,),
            "automatic codes waiting for a person (fuzzy and low-score matches): confirm "
            "with code PATH --confirm ID, change with --set ID=CODE",
            read=_read_coding,
        ),
        Analysis(
            "coder-agreement",
            _NEEDS_TABLES,
            _coder_agreement,
            (coding.coder_agreement,),
            "Cohen's kappa (with its interval) between two coders, and their disagreements",
            read=_read_coding,
        ),
        Analysis(
            "priorities",
            ("customers",),
            _priorities,
            (customers.prioritise_customers,),
            "customers scored and ranked on the six priority criteria, with rank stability "
            "(weights from the engagement; override with -p mandate 2 or -y '{weights: {...}}')",
            extra=_WEIGHT_PARAMETERS,
        ),
        Analysis(
            "power-interest",
            ("customers",),
            _power_interest,
            (customers.power_interest,),
            "power/interest grid (Mendelow) with a strategy for each quadrant",
        ),
        Analysis(
            "salience",
            ("customers",),
            _salience,
            (customers.salience,),
            "stakeholder salience class from power, legitimacy and urgency",
        ),
        Analysis(
            "customer-kinds",
            ("customers",),
            _customer_kinds,
            (customers.customer_kinds,),
            "customers counted and listed by kind and segment",
        ),
        Analysis(
            "service-chain",
            _LINK_TABLES,
            _service_chain,
            (customers.service_chain,),
            "which external customers each internal unit ultimately serves, and through whom",
        ),
        Analysis(
            "service-dependencies",
            _LINK_TABLES,
            _service_dependencies,
            (customers.service_dependencies,),
            "each customer's providers, whom it serves, single-provider dependencies, loops",
        ),
        Analysis(
            "service-cycles",
            _LINK_TABLES,
            _service_cycles,
            (),
            "loops in the service links (A serves B serves A)",
            extra=(_keyword("max_cycles", 100),),
        ),
        Analysis(
            "coverage",
            ("customers", "stated_needs", "assumed_needs"),
            _coverage,
            (customers.coverage,),
            "whom we heard from (segment × method × period, with n) and the customers we have not",
        ),
        Analysis(
            "overlooked-customers",
            ("customers", "stated_needs", "assumed_needs"),
            _coverage,
            (customers.coverage,),
            "the earlier name of coverage: customers never heard from, then who was heard",
        ),
        Analysis(
            "decision-matrix",
            (*_NEEDS_TABLES, "customers", "actions"),
            _decision_matrix,
            (needs.needs_gap, loop.decision_matrix),
            "open needs ranked by the group's priority tier, blind spots and "
            "importance–performance, with the reason and the action taken or 'no action yet'",
        ),
        Analysis(
            "needs-trend",
            _NEEDS_TABLES,
            _needs_trend,
            (loop.needs_trend,),
            "each need's customer share per period or wave, with the change from the one "
            "before (-p period month)",
        ),
        Analysis(
            "participation",
            ("customers", "stated_needs", "assumed_needs", "outreach"),
            _participation,
            (participation.participation,),
            "response rates per group and channel, groups never reached, and the "
            "respondents' mix against the population ([settings.population])",
        ),
        Analysis(
            "satisfaction-trend",
            ("responses",),
            _trend,
            (satisfaction.satisfaction_trend,),
            "each metric per period (and --by group): mean, top box, NPS, intervals",
        ),
        Analysis(
            "nps-trend",
            ("responses",),
            _nps_trend,
            (satisfaction.satisfaction_trend,),
            "NPS per period: promoters, passives, detractors and the NPS with its interval",
        ),
        Analysis(
            "period-changes",
            ("responses",),
            _period_changes,
            (satisfaction.satisfaction_trend, satisfaction.period_changes),
            "each period against the one before: difference, interval, p-value (and Holm's)",
        ),
        Analysis(
            "before-after",
            ("responses", "events"),
            _before_after,
            (satisfaction.before_after,),
            "satisfaction before and after each event: windows and an interrupted time series",
        ),
        Analysis(
            "control-chart",
            ("responses",),
            _control_chart,
            (satisfaction.satisfaction_trend, satisfaction.control_chart),
            "XmR, p or Laney p′ limits with special-cause signals (-p chart xmr|p|laney|share)",
        ),
    )
}


def run_analysis(
    engagement,
    name: str,
    *,
    by: str | None = None,
    params: Mapping | None = None,
    subset: Mapping | None = None,
    include_personal: bool = False,
) -> pd.DataFrame:
    """Run a named analysis on an engagement's store.

    Parameters
    ----------
    engagement : Engagement
        The engagement to read.
    name : str
        One of :data:`ANALYSES` (``needs-gap``, ``rank-agreement``, …).
    by : str, optional
        A column to group by within the tables.
    params : mapping, optional
        The analysis function's keyword arguments for this run; ``confidence`` and
        ``min_n`` default to the engagement's settings.
    subset : mapping, optional
        Rows to keep, as for reports: ``{column: value}``.
    include_personal : bool
        Read the columns that identify people too (``--include-personal``). Without it
        ``by`` may name a quasi-identifier (a postcode: groups under ``min_n`` are
        suppressed as always) but not a direct one (:mod:`toolkit.schema.personal`).

    Raises
    ------
    DataValidationError
        An unknown analysis or parameter (the valid ones are listed), a bad value, or
        ``by`` naming a column that identifies people without ``include_personal``.
    """
    if name not in ANALYSES:
        raise DataValidationError(
            f'There is no analysis "{name}". The analyses are: {", ".join(ANALYSES)}.'
        )
    analysis = ANALYSES[name]
    accepted = analysis.parameters()
    params = dict(params or {})
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        listed = ", ".join(f"{n} (default {_default(p)})" for n, p in accepted.items()) or "none"
        raise DataValidationError(
            f"{name} has no parameter {', '.join(repr(u) for u in unknown)}. Its parameters are: {listed}."
        )
    settings = engagement.settings
    params.update(setting_defaults(settings, accepted, params))
    tables = _read_for(engagement, analysis, by, include_personal)
    tables = with_weighting(engagement, tables, params.get("weight"), used_by=analysis.name)
    tables = apply_subset(tables, subset)
    try:
        return analysis.run(tables, by=by, settings=settings, **params)
    except TypeError as err:
        raise DataValidationError(
            f"{name}: a parameter has the wrong kind of value ({err})."
        ) from err


def _read_for(engagement, analysis: Analysis, by: str | None, include_personal: bool):
    """The analysis's tables: personal columns left out, except a quasi-identifier ``by``."""
    if analysis.read is not None:
        _refuse_by(analysis.name, by, "it lists statements one by one.")
        return analysis.read(engagement)
    personal = {} if include_personal else engagement.personal_columns(analysis.tables)
    flag = personal.get(by) if by is not None else None
    if flag is None:
        return engagement.read_tables(analysis.tables, include_personal=include_personal)
    if flag.kind == DIRECT:
        use = "to group a table (its groups would be single people)"
        raise DataValidationError(personal_refusal("--by", by, flag, use=use))
    tables = engagement.read_tables(analysis.tables, include_personal=True)
    others = set(personal) - {by}
    return {
        name: t.drop(columns=[c for c in t.columns if c in others]) for name, t in tables.items()
    }


def _default(p: inspect.Parameter) -> str:
    return "none" if p.default is None else repr(p.default)
