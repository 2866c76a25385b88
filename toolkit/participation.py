"""Who we asked, who answered, and weights that make the answers speak for everyone.

:func:`participation`
    Response rates per customer group and channel (from the ``outreach`` table) with
    Wilson intervals; the groups in the register or the population never reached; and
    the respondents' group mix against the population's.
:func:`post_stratify`, :func:`rake`
    Respondent weights that make the respondents' mix match the population's: on one
    variable's cells (post-stratification), or on the margins of two or more variables
    (raking: iterative proportional fitting, Deming & Stephan 1940).
:func:`weighting_cells`, :func:`cell_weights`
    A weighting scheme as the store keeps it (one weight per cell of the variables) and
    each row's weight read back from it.
:func:`design_effect`
    Kish's design effect of a set of weights, 1 + CV², the precision the weights cost.

A person answering is a *respondent*: rows sharing a ``respondent_id`` are one person, a
row without one is a person of its own (DESIGN section 8).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from toolkit import _stats
from toolkit._validate import check_fraction, require_columns
from toolkit.errors import DataValidationError
from toolkit.needs import _respondents

__all__ = [
    "METHODS",
    "cell_key",
    "cell_weights",
    "design_effect",
    "participation",
    "population_sizes",
    "post_stratify",
    "rake",
    "respondent_rows",
    "weighting_cells",
]

#: The weighting methods a scheme can be made with.
METHODS = ("post-stratify", "rake")
_EVERY_CHANNEL = "(all channels)"
_EVERYONE = "(everyone)"


def _blank(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or str(value) == ""


def _key(value) -> str | None:
    return None if _blank(value) else str(value).strip().lower()


# ----------------------------------------------------------------------------- population


def population_sizes(
    settings_population: Mapping | None, customers: pd.DataFrame | None = None
) -> dict[str, dict[str, float]]:
    """The population of each group, per variable: ``{"segment": {"Residents": 5200}}``.

    From the engagement's ``[settings.population.VARIABLE]`` tables; when they give no
    ``segment`` sizes, from a ``population`` column of the customer register (summed per
    segment).

    Raises
    ------
    DataValidationError
        A size that is not a number of 0 or more.
    """
    sizes: dict[str, dict[str, float]] = {}
    for variable, groups in (settings_population or {}).items():
        if not isinstance(groups, Mapping):
            raise DataValidationError(
                f"settings.population.{variable} must be a table of group = size, such as "
                f"[settings.population.{variable}] with Residents = 5200 (got {groups!r})."
            )
        sizes[variable] = {}
        for group, size in groups.items():
            if isinstance(size, bool) or not isinstance(size, int | float) or size < 0:
                raise DataValidationError(
                    f'settings.population.{variable}: "{group}" = {size!r} is not a size. '
                    "Give the number of people in the group (0 or more)."
                )
            sizes[variable][str(group)] = float(size)
    if "segment" not in sizes and customers is not None and "population" in customers:
        sized = customers[customers["segment"].notna()]
        numbers = pd.to_numeric(sized["population"], errors="coerce")
        bad = sized["population"].notna() & numbers.isna()
        if bad.any():
            row = sized[bad].iloc[0]
            raise DataValidationError(
                f'The customer register\'s population column: "{row["population"]}" '
                f"(customer {row['customer_id']}) is not a number. Give the number of "
                "people in the group, or leave it blank."
            )
        total = numbers.groupby(sized["segment"]).sum(min_count=1).dropna()
        if len(total):
            sizes["segment"] = {str(k): float(v) for k, v in total.items()}
    return sizes


# ----------------------------------------------------------------------------- respondents


def respondent_rows(rows: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """One row per respondent with the ``by`` columns (from their first row).

    Returns the ``by`` columns and ``_respondent`` (the respondent's code).
    """
    require_columns(rows, list(by), name="the rows")
    codes = _respondents(rows)
    first = ~pd.Series(codes).duplicated().to_numpy()
    out = rows.loc[first, list(by)].copy()
    out["_respondent"] = codes[first]
    return out.reset_index(drop=True)


def cell_key(values: Sequence) -> str:
    """A cell of the weighting variables as the store keeps it: a JSON list of labels."""
    return json.dumps([None if _blank(v) else str(v) for v in values], ensure_ascii=False)


def _targets(
    respondents: pd.DataFrame, variable: str, targets: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Each respondent's category index on ``variable`` and each category's target share.

    Categories are matched trimmed and ignoring case. Raises for a respondent with a blank
    value, a value with no population size, and a category with no respondents.
    """
    if not targets:
        raise DataValidationError(
            f'There are no population sizes for "{variable}". Give them in engagement.toml '
            f"under [settings.population.{variable}] (one line per group: Name = size)."
        )
    labels = list(targets)
    index = {_key(label): i for i, label in enumerate(labels)}
    values = respondents[variable]
    blank = values.map(_blank)
    if blank.any():
        raise DataValidationError(
            f"{int(blank.sum())} respondent(s) have no {variable}, so they cannot be weighted "
            f"by it. Fill in their {variable}, or weight by other columns."
        )
    position = values.map(lambda v: index.get(_key(v), -1)).to_numpy()
    unknown = sorted(set(values[position < 0].astype(str)))
    if unknown:
        raise DataValidationError(
            f"{variable} {', '.join(repr(u) for u in unknown[:5])} has no population size "
            f"under [settings.population.{variable}] (it has: {', '.join(labels)}). Add its "
            "size, or merge the group into one that has a size (service-toolkit segments)."
        )
    counts = np.bincount(position, minlength=len(labels))
    sizes = np.array([float(targets[label]) for label in labels])
    empty = [labels[i] for i in np.flatnonzero((counts == 0) & (sizes > 0))]
    if empty:
        raise DataValidationError(
            f"Nobody in {variable} {', '.join(repr(e) for e in empty)} answered, so no "
            "weight can speak for them. Hear from them first, or merge the group with a "
            "similar one (service-toolkit segments), or drop its size from the population."
        )
    if sizes.sum() <= 0:
        raise DataValidationError(f"The population sizes for {variable} add up to 0.")
    return position, sizes / sizes.sum()


def post_stratify(
    respondents: pd.DataFrame, *, by: str, targets: Mapping[str, float]
) -> np.ndarray:
    """Post-stratification weights: each group weighs its population share.

    A respondent in group h gets (N_h / N) / (n_h / n): the weights average 1 and the
    weighted group mix is the population's exactly.

    Examples
    --------
    >>> people = pd.DataFrame({"segment": ["A", "A", "A", "B"]})
    >>> post_stratify(people, by="segment", targets={"A": 50, "B": 50}).round(4).tolist()
    [0.6667, 0.6667, 0.6667, 2.0]
    """
    position, share = _targets(respondents, by, targets)
    counts = np.bincount(position, minlength=len(share)).astype(float)
    n = len(position)
    return share[position] / (counts[position] / n)


def rake(
    respondents: pd.DataFrame,
    *,
    by: Sequence[str],
    targets: Mapping[str, Mapping[str, float]],
    tolerance: float = 1e-10,
    max_iterations: int = 1000,
) -> np.ndarray:
    """Raking weights: the respondents' margins on each variable match the population's.

    Iterative proportional fitting: starting from 1, the weights are post-stratified on
    each variable in turn until every weighted margin is within ``tolerance`` (as a
    share) of its target. Each variable's sizes are used as shares, so margins from
    different sources need not add up to the same total. Weights average 1.

    Raises
    ------
    DataValidationError
        Fewer than two variables, a blank or unknown value, a group with nobody in it, or
        margins the respondents cannot meet (no convergence).

    Notes
    -----
    Deming & Stephan (1940), Ann. Math. Statist. 11, 427–444. The fixed point is the one
    R's ``survey::rake`` reaches (its default stops earlier, at a total change under 1).
    """
    by = list(by)
    if len(by) < 2:
        raise DataValidationError(
            "Raking needs two or more variables (--by segment,language); for one, use "
            "post-stratify."
        )
    fitted = [_targets(respondents, v, targets.get(v, {})) for v in by]
    n = len(respondents)
    weights = np.ones(n)
    for _ in range(max_iterations):
        for position, share in fitted:
            totals = np.bincount(position, weights=weights, minlength=len(share))
            weights = weights * (share * weights.sum() / totals)[position]
        worst = max(
            np.abs(np.bincount(p, weights=weights, minlength=len(s)) / weights.sum() - s).max()
            for p, s in fitted
        )
        if worst < tolerance:
            return weights * n / weights.sum()
    raise DataValidationError(
        f"Raking on {', '.join(by)} did not settle after {max_iterations} rounds: the "
        "respondents cannot match all the population margins at once (a combination "
        "nobody is in). Weight by fewer variables, or merge small groups."
    )


def design_effect(weights) -> float:
    """Kish's design effect of weights: 1 + CV² = n Σw² / (Σw)².

    How many times the variance of an estimate grows with these weights; the effective
    sample size is n divided by it.

    >>> design_effect([1, 1, 1, 1]), round(design_effect([1, 2, 3]), 4)
    (1.0, 1.1667)
    """
    w = np.asarray(weights, dtype=float)
    return float(len(w) / _stats.effective_n(w)) if len(w) else float("nan")


def weighting_cells(
    respondents: pd.DataFrame, weights: np.ndarray, *, by: Sequence[str]
) -> pd.DataFrame:
    """The scheme's cells: each combination of the ``by`` values with its weight.

    Returns ``cell`` (:func:`cell_key`), the ``by`` columns, ``respondents`` and
    ``weight``. Every respondent of a cell has the same weight under both methods.
    """
    frame = respondents[list(by)].astype(object).assign(_w=weights)
    frame["cell"] = [cell_key(row) for row in frame[list(by)].itertuples(index=False)]
    out = frame.groupby("cell", sort=True).agg(
        **{b: (b, "first") for b in by}, respondents=("_w", "size"), weight=("_w", "mean")
    )
    return out.reset_index()


def cell_weights(rows: pd.DataFrame, cells: pd.DataFrame, *, by: Sequence[str]) -> pd.Series:
    """Each row's weight from a scheme's cells (matched trimmed, ignoring case).

    Rows in a cell the scheme has no weight for (data imported since) get NaN. Each
    distinct value is matched once, so a million rows cost little more than a thousand.
    """
    require_columns(rows, list(by), name="the rows")
    lookup = {
        tuple(_key(v) for v in json.loads(cell)): w
        for cell, w in zip(cells["cell"], cells["weight"], strict=True)
    }
    if not len(rows):
        return pd.Series([], index=rows.index, dtype=float)
    codes, keys = [], []
    for b in by:
        code, uniques = pd.factorize(rows[b], use_na_sentinel=False)
        codes.append(code)
        keys.append([_key(u) for u in uniques])
    flat = np.ravel_multi_index(codes, [len(k) for k in keys])
    inverse, combos = pd.factorize(flat)
    shape = [len(k) for k in keys]
    found = np.array(
        [
            lookup.get(tuple(keys[i][c] for i, c in enumerate(np.unravel_index(combo, shape))))
            for combo in combos
        ],
        dtype=float,
    )
    return pd.Series(found[inverse], index=rows.index, dtype=float)


# ----------------------------------------------------------------------------- participation

_PARTICIPATION = [
    "part",
    "segment",
    "channel",
    "outreach",
    "invited",
    "responses",
    "rate",
    "ci_low",
    "ci_high",
    "respondents",
    "respondent_share",
    "population",
    "population_share",
    "difference",
    "representation",
    "verdict",
    "reason",
    "confidence",
]


def _rates(outreach: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Response rate per segment × channel, per segment, and overall (known invitations)."""
    known = outreach[outreach["invited"].notna() & outreach["responses"].notna()]
    frame = known.assign(
        segment=known["segment"].where(known["segment"].notna(), "(no group)"),
        invited=known["invited"].astype(float),
        responses=known["responses"].astype(float),
    )
    levels = [
        (["segment", "channel"], {}),
        (["segment"], {"channel": _EVERY_CHANNEL}),
        ([], {"segment": _EVERYONE, "channel": _EVERY_CHANNEL}),
    ]
    parts = []
    for keys, fixed in levels:
        if not len(frame):
            break
        grouped = frame.groupby(keys, sort=True) if keys else frame.assign(_all=0).groupby("_all")
        sums = grouped.agg(
            outreach=("invited", "size"), invited=("invited", "sum"), responses=("responses", "sum")
        ).reset_index()
        parts.append(sums.drop(columns=["_all"], errors="ignore").assign(**fixed))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_PARTICIPATION)
    out = out.astype({"outreach": "Int64", "invited": "Int64", "responses": "Int64"})
    if len(out):
        out["rate"] = np.where(out["invited"] > 0, out["responses"] / out["invited"], np.nan)
        out["ci_low"], out["ci_high"] = _stats.wilson(out["responses"], out["invited"], confidence)
    return out.assign(part="response rate")


def _not_reached(
    outreach: pd.DataFrame, coverage: pd.DataFrame, population: Mapping[str, float]
) -> list[dict]:
    """Groups of the register (coverage's unheard customers) or the population never
    reached by any outreach and never heard from, one row each.
    """
    asked = {_key(s) for s in outreach["segment"]} - {None}
    heard = {_key(s) for s in coverage.loc[coverage["heard"], "segment"]} - {None}
    unheard = coverage[~coverage["heard"] & coverage["segment"].notna()]
    rows, seen = [], set()
    for segment, group in unheard.groupby(unheard["segment"].map(_key), sort=False):
        if segment in asked:
            continue
        seen.add(segment)
        names = ", ".join(group["name"].astype(str))
        rows.append(
            {
                "segment": group["segment"].iloc[0],
                "reason": f"never asked and never heard; in the register as {names} "
                f"({group['reason'].iloc[0]})",
            }
        )
    for group in population:
        key = _key(group)
        if key not in asked | heard | seen:
            rows.append(
                {"segment": group, "reason": "in the population but never asked and never heard"}
            )
    return [dict(r, part="not reached") for r in rows]


def _mix(
    stated: pd.DataFrame, population: Mapping[str, float], confidence: float, min_n: int
) -> pd.DataFrame:
    """The respondents' group mix against the population's."""
    people = respondent_rows(stated, ["segment"])
    people["segment"] = people["segment"].where(people["segment"].notna(), "(no group)")
    counts = people.groupby(people["segment"].map(_key)).agg(
        segment=("segment", "first"), respondents=("segment", "size")
    )
    sizes = {_key(g): (g, float(n)) for g, n in population.items()}
    keys = list(dict.fromkeys([*sizes, *counts.index]))
    total = float(counts["respondents"].sum())
    pop_total = sum(n for _, n in sizes.values())
    rows = []
    for key in keys:
        name = sizes[key][0] if key in sizes else counts.at[key, "segment"]
        n = float(counts.at[key, "respondents"]) if key in counts.index else 0.0
        pop = sizes[key][1] if key in sizes else np.nan
        rows.append({"segment": name, "respondents": n, "population": pop})
    out = pd.DataFrame(rows, columns=["segment", "respondents", "population"])
    out["respondent_share"] = out["respondents"] / total if total else np.nan
    out["population_share"] = out["population"] / pop_total if pop_total else np.nan
    out["ci_low"], out["ci_high"] = _stats.wilson(out["respondents"], total, confidence)
    out["difference"] = out["respondent_share"] - out["population_share"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["representation"] = out["respondent_share"] / out["population_share"]
    out["verdict"] = np.select(
        [
            out["population_share"].isna(),
            out["population_share"] > out["ci_high"],
            out["population_share"] < out["ci_low"],
        ],
        ["no population size", "under-represented", "over-represented"],
        default="in line with the population",
    )
    out["reason"] = np.where(
        out["respondents"] < min_n,
        f"fewer than {min_n} respondents: too few to speak for the group",
        "",
    )
    return out.assign(part="mix")


def participation(
    outreach: pd.DataFrame,
    stated: pd.DataFrame,
    coverage: pd.DataFrame,
    *,
    population: Mapping[str, float] | None = None,
    confidence: float = 0.95,
    min_n: int = 5,
) -> pd.DataFrame:
    """Response rates, groups never reached, and the respondents' mix against the population.

    Parameters
    ----------
    outreach : DataFrame
        The ``outreach`` table: ``segment``, ``channel``, ``invited``, ``responses``.
    stated : DataFrame
        Stated needs (``segment``, ``respondent_id``): who answered.
    coverage : DataFrame
        :func:`toolkit.customers.coverage`: the register's customers never heard from
        (``heard`` false) and the segments heard.
    population : mapping, optional
        Population size per segment (:func:`population_sizes`' ``segment``).
    confidence, min_n
        Interval level; groups with fewer respondents are marked too few.

    Returns
    -------
    DataFrame
        One flat table; ``part`` says which of three kinds a row is:

        - *response rate*: ``segment``, ``channel`` (one row per segment and channel,
          then per segment over ``(all channels)``, then ``(everyone)``), ``outreach``
          (rows with a known number invited), ``invited``, ``responses``, ``rate`` with
          ``ci_low``/``ci_high`` (Wilson). Outreach with no number invited (an open link)
          has no rate and is left out here.
        - *not reached*: ``segment`` and ``reason``: a register customer group nobody
          asked and nobody heard, or a population group nobody asked or heard.
        - *mix*: ``segment``, ``respondents`` (distinct, from the stated needs),
          ``respondent_share`` with ``ci_low``/``ci_high`` (Wilson), ``population``,
          ``population_share``, ``difference`` (respondent − population share),
          ``representation`` (their ratio: 1 is in line), ``verdict`` (*under-represented*
          or *over-represented* when the population share is outside the interval, *in
          line with the population*, or *no population size*), ``reason`` (too few).

        ``confidence`` on every row.
    """
    require_columns(outreach, ["segment", "channel", "invited", "responses"], name="outreach")
    require_columns(stated, ["segment"], name="stated")
    check_fraction(confidence, name="confidence", inclusive=False)
    population = dict(population or {})
    parts = [
        _rates(outreach, confidence),
        pd.DataFrame(_not_reached(outreach, coverage, population)),
        _mix(stated, population, confidence, min_n) if len(stated) or population else None,
    ]
    # No outreach, no needs and no population: the table's columns with no rows (as every
    # other analysis answers an engagement with nothing to count yet).
    found = [p for p in parts if p is not None and len(p)]
    out = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=_PARTICIPATION)
    out = out.reindex(columns=_PARTICIPATION)
    for column in ("outreach", "invited", "responses", "respondents"):
        out[column] = out[column].astype("Float64").astype("Int64")
    out["confidence"] = confidence
    for column in ("segment", "channel", "verdict", "reason"):
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out
