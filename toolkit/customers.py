"""The customer map: who our customers are, which come first, and who serves whom.

Pure functions: DataFrames in, one tidy DataFrame out. The tables come from the store
(``customers``, ``service_links``, ``stated_needs``, ``assumed_needs``) but any frame
with the named columns works.

Definitions (DESIGN.md section 8): priority criteria are rated 1–5; ``alternatives`` is 1
when no one else can serve a customer and 5 when many can, so it enters the score as
6 − value; ``mandate`` none / informal / formal counts 1 / 3 / 5; unrated criteria are
reported, never counted as zero. Power, interest, legitimacy and urgency are 1–5 and
optional.

The service chain is a directed graph, provider → customer, built with networkx (imported
on first use, so importing this module stays quick).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections import deque
from collections.abc import Mapping

import numpy as np
import pandas as pd

from toolkit._validate import check_fraction, check_positive_int, require_columns
from toolkit.errors import DataValidationError
from toolkit.satisfaction import assign_periods
from toolkit.settings import PRIORITY_CRITERIA

__all__ = [
    "PRIORITY_CRITERIA",
    "MANDATE_POINTS",
    "QUADRANTS",
    "STRATEGIES",
    "SALIENCE_CLASSES",
    "prioritise_customers",
    "power_interest",
    "salience",
    "customer_kinds",
    "service_chain",
    "service_dependencies",
    "service_cycles",
    "chain_layout",
    "overlooked_customers",
    "coverage",
    "customer_common_ground",
]

MANDATE_POINTS = {"none": 1.0, "informal": 3.0, "formal": 5.0}
KINDS = ("internal", "external")

#: Mendelow's power/interest grid: (high power, high interest) → quadrant.
QUADRANTS = {
    (True, True): "Manage closely",
    (True, False): "Keep satisfied",
    (False, True): "Keep informed",
    (False, False): "Monitor",
}
STRATEGIES = {
    "Manage closely": "Involve them fully: consult them early and often and shape decisions "
    "that affect them together.",
    "Keep satisfied": "Meet their needs and keep them content without burying them in detail; "
    "engage them more if their interest grows.",
    "Keep informed": "Tell them regularly what is happening and listen to them: they care, and "
    "can be allies and early warnings.",
    "Monitor": "Watch for changes in their power or interest, with light, general "
    "communication in the meantime.",
}

#: Mitchell, Agle & Wood (1997): (power, legitimacy, urgency) present → class.
SALIENCE_CLASSES = {
    (False, False, False): "not a stakeholder",
    (True, False, False): "dormant",
    (False, True, False): "discretionary",
    (False, False, True): "demanding",
    (True, True, False): "dominant",
    (True, False, True): "dangerous",
    (False, True, True): "dependent",
    (True, True, True): "definitive",
}

_REGISTER = ["customer_id", "name", "kind", "segment"]
_TIE = 1e-9  # scores this close (relative) are tied: float noise never breaks a tie
_MAX_EDGES_FOR_CROSSINGS = 3000  # beyond this, layout keeps the first barycentre result
_STAGGER_FROM = 16  # a layer with this many nodes or more alternates left/right of its column


# ----------------------------------------------------------------------------- checks


def _register(customers: pd.DataFrame, columns=_REGISTER) -> pd.DataFrame:
    """Check the register's key columns; return it with a clean default index."""
    require_columns(customers, columns, name="customers")
    frame = customers.reset_index(drop=True)
    ids = frame["customer_id"]
    blank = ids.isna() | ids.astype(str).str.strip().eq("")
    if blank.any():
        row = int(np.flatnonzero(blank.to_numpy())[0]) + 1
        raise DataValidationError(
            f"customers: row {row} has no customer_id. Give every customer a short unique id."
        )
    dupes = ids[ids.duplicated()].unique()
    if len(dupes):
        listed = ", ".join(repr(d) for d in dupes[:5])
        raise DataValidationError(
            f"customers: the customer_id {listed} appears more than once. "
            "Each customer needs its own id; merge or rename the duplicates."
        )
    if "kind" in columns:
        kind = frame["kind"].astype(object).where(frame["kind"].notna(), None)
        clean = kind.map(lambda k: str(k).strip().lower() if k is not None else None)
        _refuse_cell(
            frame,
            ~clean.isin(KINDS),
            "kind",
            kind,
            'is not "internal" or "external". Fix the cell.',
        )
        frame = frame.assign(kind=clean)
    return frame


def _refuse_cell(frame: pd.DataFrame, bad, column: str, raw: pd.Series, problem: str) -> None:
    """Refuse the first row flagged in ``bad``, naming its row, id, column and value."""
    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"customers: row {i + 1} (customer_id {frame['customer_id'].iloc[i]!r}), column "
            f'"{column}": {raw.iloc[i]!r} {problem}'
        )


def _rating(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A 1–5 rating column as floats, NaN where unrated; refuses anything else."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    raw = frame[column].astype(object)
    text = raw.map(lambda v: v.strip() if isinstance(v, str) else v)
    blank = text.isna() | text.eq("")
    values = pd.to_numeric(text.where(~blank, None), errors="coerce").astype(float)
    _refuse_cell(
        frame,
        ~blank & (values.isna() | ~values.between(1, 5)),
        column,
        raw,
        "is not a rating from 1 to 5. Fix the rating, or leave the cell blank (blank means "
        "not rated, never zero).",
    )
    return values.to_numpy(dtype=float)


def _mandate(frame: pd.DataFrame) -> np.ndarray:
    """Mandate none / informal / formal as 1 / 3 / 5 points, NaN where unrated."""
    if "mandate" not in frame:
        return np.full(len(frame), np.nan)
    raw = frame["mandate"].astype(object)
    clean = raw.map(lambda v: v.strip().lower() if isinstance(v, str) else v)
    blank = clean.isna() | clean.eq("")
    _refuse_cell(
        frame,
        ~blank & ~clean.isin(list(MANDATE_POINTS)),
        "mandate",
        raw,
        'is not one of "none", "informal", "formal". Fix the cell, or leave it blank (not rated).',
    )
    return clean.map(MANDATE_POINTS).astype(float).to_numpy()


def _number(value, *, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DataValidationError(f"{name} must be a number (got {value!r}).")
    return float(value)


def _weights(weights) -> dict[str, float]:
    """All six criteria's weights: the defaults (1 each) updated by ``weights``."""
    resolved = dict.fromkeys(PRIORITY_CRITERIA, 1.0)
    if weights is None:
        return resolved
    if not isinstance(weights, Mapping):
        raise DataValidationError(
            "weights must be a mapping of criterion to weight, such as "
            f"{{mandate: 2, clout: 0.5}} (got {weights!r})."
        )
    unknown = [k for k in weights if k not in PRIORITY_CRITERIA]
    if unknown:
        raise DataValidationError(
            f"weights: {', '.join(repr(u) for u in unknown)} "
            f"{'is not a priority criterion' if len(unknown) == 1 else 'are not priority criteria'}."
            f" The criteria are: {', '.join(PRIORITY_CRITERIA)}."
        )
    for key, value in weights.items():
        number = _number(value, name=f"The weight of {key}")
        if number < 0:
            raise DataValidationError(
                f"The weight of {key} is {value!r}: weights cannot be negative. Give 0 to leave "
                "a criterion out, or a positive number (weights are relative; they need not "
                "sum to 1)."
            )
        resolved[key] = number
    if sum(resolved.values()) <= 0:
        raise DataValidationError(
            "Every priority weight is 0, so there is nothing to score. Give at least one "
            f"criterion a weight above 0 ({', '.join(PRIORITY_CRITERIA)})."
        )
    return resolved


def _threshold(value) -> float:
    number = _number(value, name="threshold")
    if not 1 <= number <= 5:
        raise DataValidationError(
            f"threshold must be on the 1–5 rating scale, such as 3.5 (got {value!r})."
        )
    return number


# ----------------------------------------------------------------------------- priorities


def _scores(points: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean over each row's rated criteria that have a positive weight."""
    rated = ~np.isnan(points) & (weights > 0)
    total = np.where(rated, weights, 0.0).sum(axis=1)
    summed = np.where(rated, np.nan_to_num(points) * weights, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, summed / total, np.nan)


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Rank 1 = highest; ties (within float noise) share the lowest rank; NaN unranked."""
    ranks = np.full(len(scores), np.nan)
    scored = np.flatnonzero(~np.isnan(scores))
    order = scored[np.argsort(-scores[scored], kind="stable")]
    rank = 0
    for position, i in enumerate(order):
        if position == 0 or scores[order[position - 1]] - scores[i] > _TIE * max(
            1.0, abs(scores[i])
        ):
            rank = position + 1
        ranks[i] = rank
    return ranks


def prioritise_customers(
    customers: pd.DataFrame,
    *,
    weights: Mapping[str, float] | None = None,
    tiers: tuple[float, float] = (11 / 3, 7 / 3),
    sensitivity: float = 0.25,
) -> pd.DataFrame:
    """Score and rank customers on the six priority criteria, with how stable the ranks are.

    Parameters
    ----------
    customers : DataFrame
        The customer register: ``customer_id``, ``name``, ``kind`` (internal/external),
        ``segment`` and the criteria ``mission_alignment``, ``clout``,
        ``resource_control``, ``history``, ``alternatives`` (each 1–5, blank = not rated)
        and ``mandate`` (none / informal / formal). A criterion column that is absent
        counts as not rated for everyone.
    weights : mapping, optional
        Criterion → weight (0 or more). Criteria not named keep weight 1. Weights are
        relative: they may sum to anything; 0 leaves a criterion out.
    tiers : (high, medium)
        Score thresholds: *high* from ``tiers[0]``, *medium* from ``tiers[1]``, else *low*.
    sensitivity : float
        How far each weight is moved, as a fraction of itself, to test rank stability.

    Returns
    -------
    DataFrame
        One row per customer, best first:

        - ``customer_id``, ``name``, ``kind``, ``segment``: from the register.
        - ``mission_alignment``, ``clout``, ``resource_control``, ``history``,
          ``alternatives``, ``mandate``: the points each criterion gives (1–5) as used in
          the score: ``alternatives`` already reversed (6 − rating), ``mandate`` as 1/3/5;
          empty when not rated.
        - ``score``: the weighted mean of the rated criteria, 1–5; empty when none is rated.
        - ``rank``: 1 = highest score; tied scores share the lowest rank ("min").
        - ``tier``: *high*, *medium* or *low* by ``tier_high`` and ``tier_medium``.
        - ``criteria_rated``: how many criteria in use (weight above 0) are rated.
        - ``unrated``: the criteria in use that are not rated, comma-separated ("" when none).
        - ``complete``: every criterion in use is rated.
        - ``rank_best``, ``rank_worst``: the best and worst rank over the base weights and
          every scenario moving one weight by ± ``sensitivity``.
        - ``rank_stable``: ``rank_best`` equals ``rank_worst`` (empty when unranked).
        - ``tier_high``, ``tier_medium``, ``sensitivity``: the thresholds and the move used.
        - ``weights``: the weights used, as given (``name=value``, comma-separated).

    Raises
    ------
    DataValidationError
        A missing register column, a duplicate ``customer_id``, a rating outside 1–5, a
        mandate that is not none/informal/formal, an unknown criterion, a negative or
        non-numeric weight, every weight 0, or bad ``tiers``/``sensitivity``.

    Notes
    -----
    For customer *i* with points p_ic and weights w_c ≥ 0, over the criteria R_i that it
    is rated on and that have w_c > 0::

        score_i = Σ_{c in R_i} w_c · p_ic  /  Σ_{c in R_i} w_c

    so the score stays on the 1–5 scale, scaling every weight by the same factor changes
    nothing, and a missing rating is left out rather than counted as 0 (the row says which
    are missing). Points: ratings as given, except ``alternatives`` = 6 − rating (1 = no one
    else can serve them → 5 points) and ``mandate`` none/informal/formal = 1/3/5 (DESIGN.md,
    "Definitions"). Rank stability is a one-at-a-time sensitivity analysis: each positive
    weight is multiplied by 1 − ``sensitivity`` and by 1 + ``sensitivity`` in turn, the
    others held, and the ranks recomputed (at most 12 scenarios). Scores equal within
    1e-9 count as tied. This is a weighted-sum (simple additive weighting) model, the usual
    first step of multi-criteria decision analysis.

    Examples
    --------
    >>> register = pd.DataFrame({
    ...     "customer_id": ["residents", "board", "volunteers"],
    ...     "name": ["Residents", "Board", "Volunteers"],
    ...     "kind": ["external", "internal", "internal"],
    ...     "segment": ["Residents", "Board", "Volunteers"],
    ...     "mission_alignment": [5, 4, 5], "clout": [3, 5, 2], "resource_control": [2, 5, None],
    ...     "history": [5, 4, 5], "alternatives": [2, 1, 4],
    ...     "mandate": ["informal", "formal", "none"]})
    >>> ranked = prioritise_customers(register)
    >>> ranked[["name", "alternatives", "mandate", "score", "rank", "tier", "unrated"]].round(3)
    ... # doctest: +NORMALIZE_WHITESPACE
             name  alternatives  mandate  score  rank    tier           unrated
    0       Board           5.0      5.0  4.667     1    high
    1   Residents           4.0      3.0  3.667     2    high
    2  Volunteers           2.0      1.0  3.000     3  medium  resource_control
    >>> prioritise_customers(register, weights={"mandate": 0})["rank_stable"].tolist()
    [True, True, True]
    """
    frame = _register(customers)
    w = _weights(weights)
    if not isinstance(tiers, list | tuple) or len(tiers) != 2:
        raise DataValidationError(
            f"tiers must be two scores, (high, medium), such as (11/3, 7/3) (got {tiers!r})."
        )
    high, medium = (_number(t, name="Each tier threshold") for t in tiers)
    if high < medium:
        raise DataValidationError(
            f"tiers: the high threshold ({high:g}) is below the medium one ({medium:g}). "
            "Give (high, medium), such as (11/3, 7/3)."
        )
    sensitivity = check_fraction(sensitivity, name="sensitivity")
    missing = [c for c in PRIORITY_CRITERIA if c not in frame and w[c] > 0]
    if missing:
        warnings.warn(
            f"customers has no column {', '.join(repr(m) for m in missing)}: "
            "it counts as not rated for every customer.",
            stacklevel=2,
        )

    points = pd.DataFrame(
        {c: _rating(frame, c) for c in PRIORITY_CRITERIA if c != "mandate"}
        | {"mandate": _mandate(frame)}
    )[list(PRIORITY_CRITERIA)]
    points["alternatives"] = 6 - points["alternatives"]
    matrix = points.to_numpy(dtype=float)
    weight = np.array([w[c] for c in PRIORITY_CRITERIA])

    score = _scores(matrix, weight)
    rank = _ranks(score)
    scenarios = [rank]
    for c in np.flatnonzero(weight > 0):
        for factor in (1 - sensitivity, 1 + sensitivity):
            moved = weight.copy()
            moved[c] *= factor
            if moved.sum() > 0 and factor != 1:
                scenarios.append(_ranks(_scores(matrix, moved)))
    stacked = np.vstack(scenarios)

    in_use = weight > 0
    unrated_mask = np.isnan(matrix) & in_use
    names = np.array(PRIORITY_CRITERIA)
    out = frame[_REGISTER].copy()
    for c in PRIORITY_CRITERIA:
        out[c] = points[c].to_numpy()
    out["score"] = score
    out["rank"] = pd.array(np.where(np.isnan(rank), None, rank), dtype="Int64")
    tolerance = _TIE * 5
    out["tier"] = pd.Series(
        np.select(
            [np.isnan(score), score >= high - tolerance, score >= medium - tolerance],
            [None, "high", "medium"],
            default="low",
        ),
        dtype=object,
    )
    out["criteria_rated"] = (~np.isnan(matrix) & in_use).sum(axis=1)
    out["unrated"] = [", ".join(names[row]) for row in unrated_mask]
    out["complete"] = ~unrated_mask.any(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: unranked customers
        best, worst = np.nanmin(stacked, axis=0), np.nanmax(stacked, axis=0)
    out["rank_best"] = pd.array(np.where(np.isnan(best), None, best), dtype="Int64")
    out["rank_worst"] = pd.array(np.where(np.isnan(worst), None, worst), dtype="Int64")
    out["rank_stable"] = pd.array(np.where(np.isnan(rank), None, best == worst), dtype="boolean")
    out["tier_high"] = high
    out["tier_medium"] = medium
    out["sensitivity"] = sensitivity
    out["weights"] = ", ".join(f"{c}={w[c]:g}" for c in PRIORITY_CRITERIA)
    order = np.lexsort((np.arange(len(out)), np.nan_to_num(rank, nan=np.inf)))
    return out.iloc[order].reset_index(drop=True)


# ----------------------------------------------------------------------------- grids


def power_interest(customers: pd.DataFrame, *, threshold: float = 3.5) -> pd.DataFrame:
    """Place each customer on Mendelow's power/interest grid, with the strategy for it.

    Parameters
    ----------
    customers : DataFrame
        The register: ``customer_id``, ``name``, ``kind``, ``segment``, ``power`` and
        ``interest`` (1–5, blank = not rated).
    threshold : float
        A rating at or above this is *high* (1–5; default 3.5, so 4 and 5 are high).

    Returns
    -------
    DataFrame
        One row per customer, in register order: ``customer_id``, ``name``, ``kind``,
        ``segment``, ``power``, ``interest`` (the ratings), ``quadrant`` (*Manage closely*:
        high power and high interest; *Keep satisfied*: high power, low interest; *Keep
        informed*: low power, high interest; *Monitor*: both low; empty when a rating is
        missing), ``strategy`` (what to do, in one sentence), ``threshold``, ``note`` (which
        rating is missing; "" when both are rated).

    Raises
    ------
    DataValidationError
        A missing column, a duplicate ``customer_id``, a rating outside 1–5, or a
        threshold off the 1–5 scale.

    Notes
    -----
    Mendelow, A. (1991), "Stakeholder mapping", *Proceedings of the 2nd International
    Conference on Information Systems*, Cambridge, MA. A rating exactly at the threshold
    counts as high.

    Examples
    --------
    >>> register = pd.DataFrame({
    ...     "customer_id": ["board", "residents", "bank", "mayor"],
    ...     "name": ["Board", "Residents", "Food bank", "Mayor"],
    ...     "kind": ["internal", "external", "external", "external"],
    ...     "segment": ["Board", "Residents", "Partners", "Officials"],
    ...     "power": [5, 2, 4, None], "interest": [4, 5, 2, 3]})
    >>> power_interest(register)[["name", "quadrant", "note"]]  # doctest: +NORMALIZE_WHITESPACE
            name        quadrant                note
    0      Board  Manage closely
    1  Residents   Keep informed
    2  Food bank  Keep satisfied
    3      Mayor            None  power is not rated
    """
    frame = _register(customers, _REGISTER + ["power", "interest"])
    threshold = _threshold(threshold)
    power, interest = _rating(frame, "power"), _rating(frame, "interest")
    out = frame[_REGISTER].copy()
    out["power"], out["interest"] = power, interest
    rated = ~np.isnan(power) & ~np.isnan(interest)
    quadrant = [
        QUADRANTS[(bool(p >= threshold), bool(i >= threshold))] if ok else None
        for p, i, ok in zip(power, interest, rated, strict=True)
    ]
    out["quadrant"] = pd.Series(quadrant, dtype=object)
    out["strategy"] = pd.Series([STRATEGIES.get(q) for q in quadrant], dtype=object)
    out["threshold"] = threshold
    out["note"] = _missing_note({"power": power, "interest": interest})
    return out


def _missing_note(ratings: dict[str, np.ndarray]) -> list[str]:
    """Per row: "" or "power and urgency are not rated"."""
    notes = []
    for row in zip(*ratings.values(), strict=True):
        missing = [name for name, value in zip(ratings, row, strict=True) if np.isnan(value)]
        if not missing:
            notes.append("")
        elif len(missing) == 1:
            notes.append(f"{missing[0]} is not rated")
        else:
            notes.append(f"{', '.join(missing[:-1])} and {missing[-1]} are not rated")
    return notes


def salience(customers: pd.DataFrame, *, threshold: float = 3.5) -> pd.DataFrame:
    """Classify each customer by stakeholder salience: power, legitimacy and urgency.

    Parameters
    ----------
    customers : DataFrame
        The register: ``customer_id``, ``name``, ``kind``, ``segment``, ``power``,
        ``legitimacy`` and ``urgency`` (1–5, blank = not rated).
    threshold : float
        An attribute is present when its rating is at or above this (1–5; default 3.5).

    Returns
    -------
    DataFrame
        One row per customer, in register order: ``customer_id``, ``name``, ``kind``,
        ``segment``, ``power``, ``legitimacy``, ``urgency`` (the ratings),
        ``has_power``, ``has_legitimacy``, ``has_urgency`` (rating ≥ threshold; empty when
        that rating is missing), ``salience`` (the class; empty when any of the three is
        not rated), ``attributes`` (how many of the three are present; empty likewise),
        ``threshold``, ``note`` (which ratings are missing; "" when all three are rated).

        Classes: none present: *not a stakeholder*; one: *dormant* (power), *discretionary*
        (legitimacy), *demanding* (urgency); two: *dominant* (power + legitimacy),
        *dangerous* (power + urgency), *dependent* (legitimacy + urgency); all three:
        *definitive*.

    Raises
    ------
    DataValidationError
        A missing column, a duplicate ``customer_id``, a rating outside 1–5, or a
        threshold off the 1–5 scale.

    Notes
    -----
    Mitchell, R. K., Agle, B. R. & Wood, D. J. (1997), "Toward a theory of stakeholder
    identification and salience", *Academy of Management Review* 22(4), 853–886. A rating
    exactly at the threshold counts as present.

    Examples
    --------
    >>> register = pd.DataFrame({
    ...     "customer_id": ["board", "residents", "union"], "name": ["Board", "Residents", "Union"],
    ...     "kind": ["internal", "external", "external"],
    ...     "segment": ["Board", "Residents", "Staff"],
    ...     "power": [5, 2, 4], "legitimacy": [5, 5, 2], "urgency": [3, 4, None]})
    >>> salience(register)[["name", "salience", "attributes", "note"]]
    ... # doctest: +NORMALIZE_WHITESPACE
            name   salience  attributes                  note
    0      Board   dominant           2
    1  Residents  dependent           2
    2      Union       None        <NA>  urgency is not rated
    """
    frame = _register(customers, _REGISTER + ["power", "legitimacy", "urgency"])
    threshold = _threshold(threshold)
    ratings = {c: _rating(frame, c) for c in ("power", "legitimacy", "urgency")}
    out = frame[_REGISTER].copy()
    for name, values in ratings.items():
        out[name] = values
    for name, values in ratings.items():
        out[f"has_{name}"] = pd.array(
            np.where(np.isnan(values), None, values >= threshold), dtype="boolean"
        )
    rated = ~np.isnan(np.vstack(list(ratings.values()))).any(axis=0)
    present = np.vstack([v >= threshold for v in ratings.values()]).T
    out["salience"] = pd.Series(
        [
            SALIENCE_CLASSES[tuple(bool(x) for x in p)] if ok else None
            for p, ok in zip(present, rated, strict=True)
        ],
        dtype=object,
    )
    out["attributes"] = pd.array(np.where(rated, present.sum(axis=1), None), dtype="Int64")
    out["threshold"] = threshold
    out["note"] = _missing_note(ratings)
    return out


def customer_kinds(customers: pd.DataFrame) -> pd.DataFrame:
    """Count and list customers by kind (internal first) and segment.

    Parameters
    ----------
    customers : DataFrame
        The register: ``customer_id``, ``name``, ``kind``, ``segment``.

    Returns
    -------
    DataFrame
        One row per kind and segment: ``kind`` (internal, then external), ``segment``
        (empty for customers without one; segments in the order they first appear),
        ``customers`` (how many), ``names`` (their names, "; "-joined, in register order).

    Examples
    --------
    >>> register = pd.DataFrame({
    ...     "customer_id": ["a", "b", "c"], "name": ["Residents", "Intake", "Outreach"],
    ...     "kind": ["external", "internal", "internal"],
    ...     "segment": ["Residents", "Staff", "Staff"]})
    >>> customer_kinds(register)
           kind    segment  customers             names
    0  internal      Staff          2  Intake; Outreach
    1  external  Residents          1         Residents
    """
    frame = _register(customers)
    rows = []
    for kind in KINDS:
        part = frame[frame["kind"] == kind]
        for seg, group in part.groupby("segment", sort=False, dropna=False):
            rows.append(
                {
                    "kind": kind,
                    "segment": None if pd.isna(seg) else seg,
                    "customers": len(group),
                    "names": "; ".join(group["name"].astype(str)),
                }
            )
    return pd.DataFrame(rows, columns=["kind", "segment", "customers", "names"])


# ----------------------------------------------------------------------------- service chain


def _links(links: pd.DataFrame, known: Mapping | None) -> pd.DataFrame:
    """Check the links: both ids present and (when ``known`` is given) in the register."""
    require_columns(links, ["provider_id", "customer_id"], name="links")
    frame = links.reset_index(drop=True)
    for column in ("provider_id", "customer_id"):
        blank = frame[column].isna() | frame[column].astype(str).str.strip().eq("")
        if blank.any():
            row = int(np.flatnonzero(blank.to_numpy())[0]) + 1
            raise DataValidationError(
                f'links: row {row} has no {column}. Every link says "provider serves customer" '
                "with both ids from the customer register."
            )
    if known is not None:
        problems = []
        for i, (provider, customer) in enumerate(
            zip(frame["provider_id"], frame["customer_id"], strict=True)
        ):
            for column, value in (("provider_id", provider), ("customer_id", customer)):
                if value not in known:
                    problems.append(f"row {i + 1}, {column} {value!r}")
        if problems:
            shown = "; ".join(problems[:5]) + (
                f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
            )
            raise DataValidationError(
                f"links name customers that are not in the customer register: {shown}. "
                "Add them to the register first, or fix the ids.",
                problems=problems,
            )
    return frame


def _graph(customers: pd.DataFrame, links: pd.DataFrame):
    """The service graph: one node per customer (register order), edges provider → customer."""
    import networkx as nx

    frame = _register(customers)
    graph = nx.DiGraph()
    for row in frame.itertuples(index=False):
        segment = None if pd.isna(row.segment) else row.segment
        graph.add_node(row.customer_id, name=str(row.name), kind=row.kind, segment=segment)
    edges = _links(links, graph.nodes)
    services = edges["service"] if "service" in edges else pd.Series(None, index=edges.index)
    for provider, customer, service in zip(
        edges["provider_id"], edges["customer_id"], services, strict=True
    ):
        text = None if pd.isna(service) or str(service).strip() == "" else str(service)
        if graph.has_edge(provider, customer):
            before = graph.edges[provider, customer]["service"]
            if text and text != before:
                graph.edges[provider, customer]["service"] = "; ".join(filter(None, [before, text]))
        else:
            graph.add_edge(provider, customer, service=text)
    return graph, frame


def _shortest_path_counts(graph, source) -> tuple[dict, dict]:
    """Breadth-first distances from ``source`` and how many shortest paths reach each node."""
    dist, count = {source: 0}, {source: 1}
    queue = deque([source])
    while queue:
        v = queue.popleft()
        for w in graph.successors(v):
            if w not in dist:
                dist[w], count[w] = dist[v] + 1, 0
                queue.append(w)
            if dist[w] == dist[v] + 1:
                count[w] += count[v]
    return dist, count


def service_chain(
    customers: pd.DataFrame, links: pd.DataFrame, *, max_paths: int = 10
) -> pd.DataFrame:
    """Which external customers each internal unit ultimately serves, and through whom.

    Parameters
    ----------
    customers : DataFrame
        The register: ``customer_id``, ``name``, ``kind``, ``segment``.
    links : DataFrame
        ``provider_id`` serves ``customer_id`` (both ids from the register), optional
        ``service``.
    max_paths : int
        At most this many shortest paths are listed per unit and customer.

    Returns
    -------
    DataFrame
        One row per internal unit, external customer it reaches, and shortest path:
        ``provider_id``, ``provider`` (the unit's name), ``customer_id``, ``customer`` (the
        external customer's name), ``steps`` (links on the path; 1 = serves them directly),
        ``path`` (names from unit to customer joined by " → "), ``via`` (the names in
        between, " → "-joined; "" when direct), ``shortest_paths`` (how many shortest paths
        join the two; when above ``max_paths`` only the first ``max_paths`` are listed).
        Units in register order, then nearest customers first. Internal units that reach no
        external customer have no row (see :func:`service_dependencies`).

    Raises
    ------
    DataValidationError
        A link naming a customer not in the register (rows listed), a link without an id,
        a duplicate ``customer_id``, or a ``kind`` other than internal/external.

    Notes
    -----
    Paths follow the links as recorded, through any customer, internal or external
    (a unit serving students who in turn "serve" employers reaches the employers).
    Shortest paths are found breadth-first (networkx ``all_shortest_paths``); cycles and
    self-links do not affect them.

    Examples
    --------
    >>> register = pd.DataFrame({
    ...     "customer_id": ["intake", "food", "residents"],
    ...     "name": ["Intake team", "Food program", "Residents"],
    ...     "kind": ["internal", "internal", "external"], "segment": [None, None, "Residents"]})
    >>> links = pd.DataFrame({"provider_id": ["intake", "food"],
    ...                       "customer_id": ["food", "residents"]})
    >>> service_chain(register, links)[["provider", "customer", "steps", "path"]]
           provider   customer  steps                                    path
    0   Intake team  Residents      2  Intake team → Food program → Residents
    1  Food program  Residents      1                Food program → Residents
    """
    import networkx as nx

    graph, frame = _graph(customers, links)
    max_paths = check_positive_int(max_paths, name="max_paths")
    position = {node: i for i, node in enumerate(graph)}
    name = nx.get_node_attributes(graph, "name")
    external = {n for n, k in graph.nodes(data="kind") if k == "external"}
    rows = []
    for unit in frame.loc[frame["kind"] == "internal", "customer_id"]:
        dist, count = _shortest_path_counts(graph, unit)
        reached = sorted(
            (c for c in dist if c in external and c != unit),
            key=lambda c: (dist[c], position[c]),
        )
        for target in reached:
            for path in itertools.islice(nx.all_shortest_paths(graph, unit, target), max_paths):
                rows.append(
                    {
                        "provider_id": unit,
                        "provider": name[unit],
                        "customer_id": target,
                        "customer": name[target],
                        "steps": len(path) - 1,
                        "path": " → ".join(name[n] for n in path),
                        "via": " → ".join(name[n] for n in path[1:-1]),
                        "shortest_paths": count[target],
                    }
                )
    columns = [
        "provider_id",
        "provider",
        "customer_id",
        "customer",
        "steps",
        "path",
        "via",
        "shortest_paths",
    ]
    return pd.DataFrame(rows, columns=columns)


def _cycle_members(graph) -> set:
    import networkx as nx

    members = {n for n in graph.nodes if graph.has_edge(n, n)}
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            members |= component
    return members


def service_dependencies(customers: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Who depends on whom: each customer's providers, whom it serves, what it reaches.

    Parameters
    ----------
    customers : DataFrame
        The register: ``customer_id``, ``name``, ``kind``, ``segment``.
    links : DataFrame
        ``provider_id`` serves ``customer_id``, both ids from the register.

    Returns
    -------
    DataFrame
        One row per customer, in register order: ``customer_id``, ``name``, ``kind``,
        ``segment``, ``providers`` (how many others serve them), ``provider_names``
        ("; "-joined), ``single_provider`` (exactly one other serves them: a single point
        of failure), ``serves`` (how many others they serve), ``serves_names``,
        ``upstream_of_external`` (how many external customers they reach through the
        chain, directly or not, themselves excluded), ``external_names``, ``in_cycle``
        (they are on a loop of service links, a self-link included).

    Raises
    ------
    DataValidationError
        As :func:`service_chain`.

    Notes
    -----
    A self-link (A serves A) marks A as in a cycle but is not counted among its providers
    or the customers it serves. Reach is the set of nodes reachable along the links
    (networkx ``descendants``).

    Examples
    --------
    >>> register = pd.DataFrame({
    ...     "customer_id": ["it", "advising", "students"],
    ...     "name": ["IT", "Advising", "Students"],
    ...     "kind": ["internal", "internal", "external"], "segment": [None, None, "Students"]})
    >>> links = pd.DataFrame({"provider_id": ["it", "it", "advising"],
    ...                       "customer_id": ["advising", "students", "students"]})
    >>> service_dependencies(register, links)[
    ...     ["name", "providers", "single_provider", "serves", "upstream_of_external"]]
           name  providers  single_provider  serves  upstream_of_external
    0        IT          0            False       2                     1
    1  Advising          1             True       1                     1
    2  Students          2            False       0                     0
    """
    import networkx as nx

    graph, frame = _graph(customers, links)
    name = nx.get_node_attributes(graph, "name")
    external = {n for n, k in graph.nodes(data="kind") if k == "external"}
    cyclic = _cycle_members(graph)
    rows = []
    order = {n: i for i, n in enumerate(graph)}
    for node in graph.nodes:
        providers = [p for p in graph.predecessors(node) if p != node]
        served = [c for c in graph.successors(node) if c != node]
        reach = [n for n in nx.descendants(graph, node) if n in external and n != node]
        reach.sort(key=order.get)
        rows.append(
            {
                "providers": len(providers),
                "provider_names": "; ".join(name[p] for p in providers),
                "single_provider": len(providers) == 1,
                "serves": len(served),
                "serves_names": "; ".join(name[c] for c in served),
                "upstream_of_external": len(reach),
                "external_names": "; ".join(name[n] for n in reach),
                "in_cycle": node in cyclic,
            }
        )
    columns = [
        "providers",
        "provider_names",
        "single_provider",
        "serves",
        "serves_names",
        "upstream_of_external",
        "external_names",
        "in_cycle",
    ]
    details = pd.DataFrame(rows, columns=columns)
    return pd.concat([frame[_REGISTER], details], axis=1)


def service_cycles(
    links: pd.DataFrame, *, customers: pd.DataFrame | None = None, max_cycles: int = 100
) -> pd.DataFrame:
    """List every loop in the service links (A serves B serves … serves A).

    Parameters
    ----------
    links : DataFrame
        ``provider_id`` serves ``customer_id``.
    customers : DataFrame, optional
        The register; when given, cycles are written with names and every id is checked.
    max_cycles : int
        At most this many cycles are listed (a warning says when there are more).

    Returns
    -------
    DataFrame
        One row per cycle, shortest first: ``cycle`` (1, 2, …), ``members`` (names, or ids
        without a register, " → "-joined and back to the first: "A → B → A"; a self-link
        reads "A → A"), ``customer_ids`` (the ids in the same order, "; "-joined),
        ``length`` (links in the loop; 1 for a self-link).

    Raises
    ------
    DataValidationError
        A link without an id, or (with ``customers``) naming a customer not in it.

    Notes
    -----
    Elementary cycles by Johnson's algorithm (networkx ``simple_cycles``). Each cycle is
    written from its member that comes first in the register (or, without one, in
    sorted id order). A loop is not an error: units often serve each other.

    Examples
    --------
    >>> links = pd.DataFrame({"provider_id": ["a", "b", "c"], "customer_id": ["b", "a", "c"]})
    >>> service_cycles(links)
       cycle    members customer_ids  length
    0      1      c → c            c       1
    1      2  a → b → a         a; b       2
    """
    import networkx as nx

    max_cycles = check_positive_int(max_cycles, name="max_cycles")
    if customers is not None:
        graph, _ = _graph(customers, links)
        name = nx.get_node_attributes(graph, "name")
        position = {n: i for i, n in enumerate(graph)}
    else:
        frame = _links(links, None)
        graph = nx.DiGraph()
        graph.add_edges_from(zip(frame["provider_id"], frame["customer_id"], strict=True))
        name = {n: str(n) for n in graph}
        position = {n: i for i, n in enumerate(sorted(graph, key=str))}
    found = list(itertools.islice(nx.simple_cycles(graph), max_cycles + 1))
    if len(found) > max_cycles:
        warnings.warn(
            f"The service links hold more than {max_cycles} cycles; the first {max_cycles} "
            "are listed. Raise max_cycles to see more.",
            stacklevel=2,
        )
        found = found[:max_cycles]
    cycles = []
    for cycle in found:
        start = min(range(len(cycle)), key=lambda i: position[cycle[i]])
        cycles.append(cycle[start:] + cycle[:start])
    cycles.sort(key=lambda c: (len(c), [position[n] for n in c]))
    rows = [
        {
            "cycle": i + 1,
            "members": " → ".join(name[n] for n in [*c, c[0]]),
            "customer_ids": "; ".join(str(n) for n in c),
            "length": len(c),
        }
        for i, c in enumerate(cycles)
    ]
    return pd.DataFrame(rows, columns=["cycle", "members", "customer_ids", "length"])


# ----------------------------------------------------------------------------- layout


def _layers(graph) -> dict:
    """Internal units by longest path in their condensation; external customers after them."""
    import networkx as nx

    layer = {}
    start = 0
    for kind in KINDS:
        part = graph.subgraph([n for n, k in graph.nodes(data="kind") if k == kind])
        dag = nx.condensation(part)
        depth = {}
        for scc in nx.topological_sort(dag):
            depth[scc] = max((depth[p] + 1 for p in dag.predecessors(scc)), default=0)
        for scc, d in depth.items():
            for node in dag.nodes[scc]["members"]:
                layer[node] = start + d
        start = max(layer.values(), default=-1) + 1
    return layer


def _crossings(x: np.ndarray, y: np.ndarray, edges: np.ndarray) -> int:
    """How many pairs of edges, drawn as straight segments, cross (shared ends excluded)."""
    if len(edges) < 2:
        return 0
    a, b = edges[:, 0], edges[:, 1]
    px, py, qx, qy = x[a], y[a], x[b], y[b]

    def orient(ax, ay, bx, by, cx, cy):
        return np.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))

    i, j = np.triu_indices(len(edges), k=1)
    shared = (a[i] == a[j]) | (a[i] == b[j]) | (b[i] == a[j]) | (b[i] == b[j])
    o1 = orient(px[i], py[i], qx[i], qy[i], px[j], py[j])
    o2 = orient(px[i], py[i], qx[i], qy[i], qx[j], qy[j])
    o3 = orient(px[j], py[j], qx[j], qy[j], px[i], py[i])
    o4 = orient(px[j], py[j], qx[j], qy[j], qx[i], qy[i])
    proper = (o1 * o2 < 0) & (o3 * o4 < 0)
    return int((proper & ~shared).sum())


def chain_layout(
    customers: pd.DataFrame, links: pd.DataFrame, *, sweeps: int = 8
) -> dict[str, pd.DataFrame]:
    """Positions for drawing the service chain: layers left to right, few crossings.

    Parameters
    ----------
    customers : DataFrame
        The register: ``customer_id``, ``name``, ``kind``, ``segment``.
    links : DataFrame
        ``provider_id`` serves ``customer_id``, optional ``service``.
    sweeps : int
        Barycentre sweeps (each one down and one up) to reduce crossings.

    Returns
    -------
    dict
        ``"nodes"``: one row per customer: ``customer_id``, ``name``, ``kind``, ``segment``,
        ``layer`` (0 = most upstream), ``order`` (0-based position within the layer, top
        first), ``x``, ``y`` (in [0, 1]; x grows with the layer, y with the order), in
        layer then order.

        ``"edges"``: one row per distinct link: ``provider_id``, ``customer_id``,
        ``service`` (several services between one pair "; "-joined), ``x``, ``y`` (the
        provider's position), ``x2``, ``y2`` (the customer's), ``backward`` (the link points
        to the same or an earlier layer: an external customer serving an internal unit, a
        loop, or a self-link; draw it curved).

    Raises
    ------
    DataValidationError
        As :func:`service_chain`.

    Notes
    -----
    Layered (Sugiyama-style) drawing. Layers: internal units first, each at the length of
    the longest path reaching it in the condensation of the internal links (every cycle
    collapsed into one node, so loops cannot break the layering); external customers
    follow in layers of their own, ordered the same way along the external-to-external
    links. Order within a layer: start from register order, then alternate sweeps placing
    each node at the mean relative position (barycentre) of its neighbours in the layers
    before it (going down) or after it (going up) (Sugiyama, Tagawa & Toda 1981); the
    ordering with the fewest straight-line crossings seen is kept, so it is never worse
    than register order. ``x`` = (layer + 0.5) / layers; ``y`` = (order + 0.5) / size of
    the layer, so no two nodes share a position; in layers of 16 or more, nodes alternate
    a fifth of a column left and right so that neighbouring labels do not touch.

    Examples
    --------
    >>> register = pd.DataFrame({
    ...     "customer_id": ["intake", "food", "residents"],
    ...     "name": ["Intake team", "Food program", "Residents"],
    ...     "kind": ["internal", "internal", "external"], "segment": [None, None, "Residents"]})
    >>> links = pd.DataFrame({"provider_id": ["intake", "food", "intake"],
    ...                       "customer_id": ["food", "residents", "residents"]})
    >>> layout = chain_layout(register, links)
    >>> layout["nodes"][["customer_id", "layer", "order", "x", "y"]].round(3)
      customer_id  layer  order      x    y
    0      intake      0      0  0.167  0.5
    1        food      1      0  0.500  0.5
    2   residents      2      0  0.833  0.5
    """
    graph, frame = _graph(customers, links)
    sweeps = check_positive_int(sweeps, name="sweeps", minimum=0)
    nodes = list(graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    layer_of = _layers(graph)
    n_layers = max(layer_of.values(), default=-1) + 1
    layers = [[n for n in nodes if layer_of[n] == k] for k in range(n_layers)]
    neighbours = {n: set(graph.predecessors(n)) | set(graph.successors(n)) for n in nodes}
    edge_index = np.array([(index[a], index[b]) for a, b in graph.edges if a != b], dtype=int)
    edge_index = edge_index.reshape(-1, 2)
    count_crossings = len(edge_index) <= _MAX_EDGES_FOR_CROSSINGS
    layer_x = np.array([layer_of[n] for n in nodes], dtype=float)

    def relative(order_layers) -> dict:
        return {n: (i + 0.5) / len(group) for group in order_layers for i, n in enumerate(group)}

    def crossings(order_layers) -> int:
        pos = relative(order_layers)
        return _crossings(layer_x, np.array([pos[n] for n in nodes]), edge_index)

    def sweep(order_layers, downward: bool):
        result = [list(g) for g in order_layers]
        sequence = range(1, n_layers) if downward else range(n_layers - 2, -1, -1)
        for k in sequence:
            pos = relative(result)
            keys = {}
            for i, n in enumerate(result[k]):
                near = [
                    pos[m]
                    for m in neighbours[n]
                    if (layer_of[m] < k if downward else layer_of[m] > k)
                ]
                keys[n] = (float(np.mean(near)) if near else pos[n], i)
            result[k] = sorted(result[k], key=keys.get)
        return result

    best = layers
    best_count = crossings(layers) if count_crossings else 0
    current = layers
    for _ in range(sweeps):
        for downward in (True, False):
            current = sweep(current, downward)
            if count_crossings:
                found = crossings(current)
                if found < best_count:
                    best, best_count = current, found
            else:
                best = current
        if count_crossings and best_count == 0:
            break

    pos = {}
    for k, group in enumerate(best):
        stagger = len(group) >= _STAGGER_FROM
        for i, n in enumerate(group):
            offset = (0.2 if i % 2 else -0.2) if stagger else 0.0
            x = (k + 0.5 + offset) / n_layers
            pos[n] = (k, i, x, (i + 0.5) / len(group))
    out = frame[_REGISTER].copy()
    out["layer"] = [pos[n][0] for n in nodes]
    out["order"] = [pos[n][1] for n in nodes]
    out["x"] = [pos[n][2] for n in nodes]
    out["y"] = [pos[n][3] for n in nodes]
    out = out.sort_values(["layer", "order"], kind="stable").reset_index(drop=True)
    edge_rows = [
        {
            "provider_id": a,
            "customer_id": b,
            "service": data.get("service"),
            "x": pos[a][2],
            "y": pos[a][3],
            "x2": pos[b][2],
            "y2": pos[b][3],
            "backward": layer_of[b] <= layer_of[a],
        }
        for a, b, data in graph.edges(data=True)
    ]
    edges = pd.DataFrame(
        edge_rows,
        columns=["provider_id", "customer_id", "service", "x", "y", "x2", "y2", "backward"],
    )
    return {"nodes": out, "edges": edges}


# ----------------------------------------------------------------------------- needs


def _segment_key(value) -> str | None:
    return None if pd.isna(value) or str(value).strip() == "" else str(value).strip().lower()


def overlooked_customers(
    customers: pd.DataFrame,
    stated: pd.DataFrame,
    assumed: pd.DataFrame | None = None,
    *,
    segment: str = "segment",
) -> pd.DataFrame:
    """Customers you may not have thought of: internal ones, and external ones not yet heard.

    Parameters
    ----------
    customers : DataFrame
        The register: ``customer_id``, ``name``, ``kind`` and the ``segment`` column.
    stated : DataFrame
        Needs customers stated, with the ``segment`` column.
    assumed : DataFrame, optional
        Needs staff assumed, with the ``segment`` column; when given, the reason says
        whether staff have beliefs about the segment that nobody has checked.
    segment : str
        The segment column, in all three tables. Segments match trimmed and ignoring case.

    Returns
    -------
    DataFrame
        One row per customer that is internal, or external with no stated needs recorded
        for its segment (or no segment at all): ``customer_id``, ``name``, ``kind``,
        ``segment``, ``reason`` (in words), ``stated_needs`` (statements recorded for the
        segment), ``assumed_needs`` (staff statements for it; empty without ``assumed``).
        Customers whose segment has not been heard come first, then the rest, each in
        register order.

    Raises
    ------
    DataValidationError
        A missing column, a duplicate ``customer_id``, or a bad ``kind``.

    Examples
    --------
    >>> register = pd.DataFrame({
    ...     "customer_id": ["residents", "employers", "intake"],
    ...     "name": ["Residents", "Employers", "Intake team"],
    ...     "kind": ["external", "external", "internal"],
    ...     "segment": ["Residents", "Employers", "Staff"]})
    >>> stated = pd.DataFrame({"segment": ["Residents", "residents ", "Staff"]})
    >>> overlooked_customers(register, stated)[["name", "stated_needs"]]
              name  stated_needs
    0    Employers             0
    1  Intake team             1
    """
    frame = _register(customers, ["customer_id", "name", "kind", segment])
    require_columns(stated, [segment], name="stated")
    if assumed is not None:
        require_columns(assumed, [segment], name="assumed")
    heard = stated[segment].map(_segment_key).value_counts()
    believed = assumed[segment].map(_segment_key).value_counts() if assumed is not None else None
    rows = []
    for row in frame.to_dict("records"):
        key = _segment_key(row[segment])
        n_stated = int(heard.get(key, 0)) if key else 0
        n_assumed = int(believed.get(key, 0)) if believed is not None and key else None
        reasons = []
        if row["kind"] == "internal":
            reasons.append("internal customer: a unit or colleague whose work depends on ours")
        if key is None:
            reasons.append("no segment, so no needs can be recorded for them; give them one")
        elif n_stated == 0:
            text = f'no stated needs recorded yet for segment "{row[segment]}"'
            if n_assumed:
                text += (
                    f"; staff assumed {n_assumed} need{'s' if n_assumed != 1 else ''} for it "
                    "that no customer has confirmed: ask them"
                )
            elif n_assumed == 0:
                text += "; staff have recorded no beliefs about it either"
            reasons.append(text)
        if row["kind"] == "external" and n_stated > 0 and key is not None:
            continue
        rows.append(
            {
                "customer_id": row["customer_id"],
                "name": row["name"],
                "kind": row["kind"],
                "segment": row[segment],
                "reason": "; ".join(reasons),
                "stated_needs": n_stated,
                "assumed_needs": n_assumed,
                "_heard": n_stated > 0,
            }
        )
    columns = ["customer_id", "name", "kind", "segment", "reason", "stated_needs", "assumed_needs"]
    out = pd.DataFrame(rows, columns=columns + ["_heard"])
    out["assumed_needs"] = out["assumed_needs"].astype("Int64")
    out["stated_needs"] = out["stated_needs"].astype(int)
    out = out.sort_values("_heard", kind="stable").drop(columns="_heard")
    out = out.rename(columns={segment: "segment"}) if segment != "segment" else out
    return out.reset_index(drop=True)


_COVERAGE = [
    "segment",
    "method",
    "period",
    "period_start",
    "respondents",
    "statements",
    "customer_id",
    "name",
    "kind",
    "heard",
    "reason",
]


def _heard_cells(
    stated: pd.DataFrame, *, period: str, fiscal_year_start: int, timezone: str
) -> pd.DataFrame:
    """Statements and respondents per segment, method and period (blank ones named)."""
    periods = assign_periods(
        stated,
        period=period,
        date="collected_on",
        fiscal_year_start=fiscal_year_start,
        timezone=timezone,
    )
    # A statement without a respondent id is one respondent of its own.
    who = stated["respondent_id"].astype(object)
    alone = who.isna() | who.astype(str).str.strip().eq("")
    who = who.where(~alone, pd.Series([f"(row {i})" for i in range(len(who))], index=who.index))
    rows = pd.DataFrame(
        {
            "segment": stated["segment"].where(stated["segment"].notna(), "(no segment)"),
            "method": stated["method"].where(stated["method"].notna(), "(not recorded)"),
            "period": periods["period"].where(periods["period"].notna(), "(no date)"),
            "period_start": periods["period_start"],
            "who": who.where(
                who.notna(), pd.Series(range(len(who)), index=who.index).map("row{}".format)
            ),
        }
    )
    keys = ["segment", "method", "period"]
    cells = rows.groupby(keys, dropna=False, sort=False).agg(
        period_start=("period_start", "min"),
        respondents=("who", "nunique"),
        statements=("who", "size"),
    )
    cells = cells.reset_index().sort_values(["segment", "method", "period_start", "period"])
    return cells.assign(heard=True, reason="")


def coverage(
    customers: pd.DataFrame,
    stated: pd.DataFrame,
    assumed: pd.DataFrame | None = None,
    *,
    period: str = "quarter",
    fiscal_year_start: int = 1,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """Whom we have heard from, how and when; and the register's customers we have not.

    Extends :func:`overlooked_customers` (the ``overlooked-customers`` analysis is this
    one's earlier name): segment × method × period with the number of respondents, then
    every register customer whose segment no statement comes from.

    Parameters
    ----------
    customers : DataFrame
        The register: ``customer_id``, ``name``, ``kind`` and ``segment``.
    stated : DataFrame
        Needs customers stated: ``segment``, ``method`` (how we heard: survey,
        interview, …), ``respondent_id`` and ``collected_on``. Segments are compared as
        the store reads them (through the segment crosswalk), trimmed, ignoring case.
    assumed : DataFrame, optional
        Needs staff assumed (``segment``): the reason then says whether staff hold
        beliefs about a segment nobody has checked.
    period, fiscal_year_start, timezone
        How ``collected_on`` is grouped (as :func:`toolkit.satisfaction.assign_periods`).

    Returns
    -------
    DataFrame
        Customers never heard from first, one row each: ``customer_id``, ``name``,
        ``kind``, ``segment``, ``heard`` False, ``respondents`` and ``statements`` 0 and
        ``reason`` in words (method and period blank). Then one row per segment, method
        and period heard from: ``segment``, ``method``, ``period``, ``period_start``,
        ``respondents`` (distinct respondent ids; a statement without one counts as
        one respondent), ``statements``, ``heard`` True. A blank segment, method or date
        is shown as "(no segment)", "(not recorded)", "(no date)".

    Raises
    ------
    DataValidationError
        A missing column, a duplicate ``customer_id``, a bad ``kind`` or ``period``.

    Examples
    --------
    >>> register = pd.DataFrame({
    ...     "customer_id": ["residents", "employers"], "name": ["Residents", "Employers"],
    ...     "kind": ["external", "external"], "segment": ["Residents", "Employers"]})
    >>> stated = pd.DataFrame({"segment": ["Residents"] * 3, "respondent_id": ["a", "a", "b"],
    ...     "method": ["survey", "survey", "interview"],
    ...     "collected_on": pd.to_datetime(["2024-02-01", "2024-02-03", "2024-05-01"])})
    >>> coverage(register, stated)[["segment", "method", "period", "respondents", "name"]]
         segment     method   period  respondents       name
    0  Employers       None     None            0  Employers
    1  Residents  interview  2024-Q2            1       None
    2  Residents     survey  2024-Q1            1       None
    """
    frame = _register(customers, ["customer_id", "name", "kind", "segment"])
    require_columns(stated, ["segment", "method", "respondent_id", "collected_on"], name="stated")
    cells = _heard_cells(
        stated, period=period, fiscal_year_start=fiscal_year_start, timezone=timezone
    )
    unheard = overlooked_customers(frame, stated, assumed)
    unheard = unheard[unheard["stated_needs"] == 0]
    unheard = unheard.assign(
        method=None, period=None, period_start=pd.NaT, respondents=0, statements=0, heard=False
    )
    out = pd.concat(
        [unheard.reindex(columns=_COVERAGE), cells.reindex(columns=_COVERAGE)],
        ignore_index=True,
    )
    for column in ("segment", "method", "period", "customer_id", "name", "kind", "reason"):
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out.astype({"respondents": int, "statements": int, "heard": bool})


def customer_common_ground(customers: pd.DataFrame, common: pd.DataFrame) -> pd.DataFrame:
    """Name the customers behind each pair of segments in a common-ground table.

    Parameters
    ----------
    customers : DataFrame
        The register: ``customer_id``, ``name``, ``kind``, ``segment``.
    common : DataFrame
        The result of :func:`toolkit.needs.common_ground`: ``segment_a``, ``segment_b``,
        ``code``, ``label``, ``share_a``, ``share_b``, ``relation`` (and ``suppressed``).

    Returns
    -------
    DataFrame
        One row per row of ``common``, in its order: ``customer_a``, ``customer_b`` (the
        names of the register's customers in ``segment_a`` and ``segment_b``, "; "-joined
        in register order; "" when the register has none in that segment), ``segment_a``,
        ``segment_b``, ``code``, ``label``, ``share_a``, ``share_b`` (shares of each
        segment's respondents naming the need, 0–1), ``relation`` (*common ground*, *only
        <segment>*, *conflict*), and ``suppressed`` when ``common`` has it (a segment below
        the minimum size: shares and relation empty).

    Raises
    ------
    DataValidationError
        A missing column or a duplicate ``customer_id``.

    Notes
    -----
    Segments match trimmed and ignoring case, as the store matches them.

    Examples
    --------
    >>> register = pd.DataFrame({
    ...     "customer_id": ["res", "fam", "biz"],
    ...     "name": ["Residents", "Families", "Business owners"],
    ...     "kind": ["external"] * 3, "segment": ["Residents", "Residents", "Business"]})
    >>> common = pd.DataFrame({"segment_a": ["Residents"], "segment_b": ["Business"],
    ...     "code": ["transport"], "label": ["Transport"], "share_a": [0.4], "share_b": [0.3],
    ...     "relation": ["common ground"]})
    >>> customer_common_ground(register, common)[["customer_a", "customer_b", "relation"]]
                customer_a       customer_b       relation
    0  Residents; Families  Business owners  common ground
    """
    frame = _register(customers)
    columns = ["segment_a", "segment_b", "code", "label", "share_a", "share_b", "relation"]
    require_columns(common, columns, name="common")
    names: dict[str, list[str]] = {}
    for seg, name in zip(frame["segment"], frame["name"], strict=True):
        key = _segment_key(seg)
        if key is not None:
            names.setdefault(key, []).append(str(name))
    out = common.reset_index(drop=True)
    result = pd.DataFrame(
        {
            "customer_a": ["; ".join(names.get(_segment_key(s), [])) for s in out["segment_a"]],
            "customer_b": ["; ".join(names.get(_segment_key(s), [])) for s in out["segment_b"]],
        }
    )
    keep = columns + (["suppressed"] if "suppressed" in out else [])
    return pd.concat([result, out[keep]], axis=1)
