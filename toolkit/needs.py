"""Assumed vs stated needs: compare staff and customers, find blind spots.

Pure functions: DataFrames in, one tidy DataFrame out. The tables come from the store
(``assumed_needs``, ``stated_needs``, ``codebook``) but any frame with the named
columns works.

Definitions (DESIGN.md section 8): the staff share of a need is the staff members who
named it over the staff members who named any need (within the group when grouped);
the customer share likewise over respondents, a row without a respondent id counting as
one respondent. Shares are proportions in [0, 1].

Coding the free text itself is :mod:`toolkit.coding` (``code_needs``, ``uncoded_needs``
and ``codebook_version`` are re-exported here).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from toolkit._stats import (
    CLIPPED,
    correlation_interval,
    mean_interval,
    mean_intervals,
    newcombe_difference,
    too_few,
    welch_difference,
    wilson,
    within_scale,
)
from toolkit._validate import check_choice, check_fraction, check_positive_int, require_columns
from toolkit.coding import code_needs, codebook_version, uncoded_needs
from toolkit.schema.tables import NOT_A_NEED

__all__ = [
    "CLASSIFICATIONS",
    "QUADRANTS",
    "codebook_version",
    "code_needs",
    "uncoded_needs",
    "needs_gap",
    "all_staff_compared",
    "all_staff_note",
    "with_all_staff",
    "rank_agreement",
    "common_ground",
    "importance_performance",
    "IMPORTANCE_PERFORMANCE_COLUMNS",
]

CLASSIFICATIONS = (
    "blind spot",
    "assumed only",
    "possible blind spot",
    "possibly assumed only",
    "shared priority",
    "low priority",
)
QUADRANTS = ("Concentrate here", "Keep up the good work", "Low priority", "Possible overkill")
#: The columns :func:`importance_performance` returns, after the ``by`` column if any.
IMPORTANCE_PERFORMANCE_COLUMNS = (
    "code",
    "label",
    "n",
    "importance",
    "importance_ci_low",
    "importance_ci_high",
    "performance",
    "performance_ci_low",
    "performance_ci_high",
    "quadrant",
    "crosshair_importance",
    "crosshair_performance",
    "crosshair",
    "interval",
    "suppressed",
    "confidence",
)
# ----------------------------------------------------------------------------- shares


def _unit_codes(ids: pd.Series | None, size: int) -> np.ndarray:
    """Integer codes for people: equal ids share a code; a missing id is its own person."""
    if ids is None:
        return np.arange(size)
    codes, uniques = pd.factorize(ids)
    missing = codes < 0
    codes[missing] = len(uniques) + np.arange(int(missing.sum()))
    return codes


def _respondents(stated: pd.DataFrame) -> np.ndarray:
    """One code per respondent: by respondent id, else one respondent per row."""
    return _unit_codes(stated["respondent_id"] if "respondent_id" in stated else None, len(stated))


def _weights(stated: pd.DataFrame, weight: str | None) -> pd.Series | None:
    """Respondent weights (blank means 1); None when there are none.

    The default column "weight" may be absent; a column named on purpose must exist.
    """
    if weight is None or (weight == "weight" and weight not in stated):
        return None
    require_columns(stated, [weight], name="stated")
    return pd.to_numeric(stated[weight], errors="coerce").fillna(1.0)


def _group_keys(frame: pd.DataFrame, by: str | None) -> pd.Series:
    if by is None:
        return pd.Series("", index=frame.index)
    return frame[by].astype(object)


def _first_rows(keys: np.ndarray) -> np.ndarray:
    """Positions of the first row of each distinct key (hashing, no sort)."""
    return np.flatnonzero(~pd.Series(keys).duplicated().to_numpy())


class _Tally(NamedTuple):
    """One list's counts: per group and code (groups × codes arrays) and per group."""

    n: np.ndarray  # units naming the code
    weight: np.ndarray  # their weight
    importance: np.ndarray  # mean importance of the rows naming it (NaN: none rated)
    importance_n: np.ndarray  # rows naming it with an importance rating
    importance_var: np.ndarray  # their sample variance (NaN below two ratings)
    total: np.ndarray  # per group: units naming any need
    total_weight: np.ndarray
    effective_n: np.ndarray  # per group: Kish's effective sample size


def _labels(frame: pd.DataFrame, column: str | None) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of a column's values (-1: blank) and the values; one "" group for None."""
    if column is None:
        return np.zeros(len(frame), dtype=np.intp), pd.Index([""])
    if column == "code":
        return _need_codes(frame["code"].to_numpy())
    codes, values = pd.factorize(frame[column])
    return codes, pd.Index(values)


def _need_codes(code: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of the needs named (-1: uncoded, or the built-in *not a need*).

    A statement filed under *not a need* ("N/A") names no need: its respondent counts in
    the totals and under no need, as an uncoded statement's does.
    """
    codes, values = pd.factorize(code)
    values = pd.Index(values)
    if NOT_A_NEED["code"] in values:
        at = values.get_loc(NOT_A_NEED["code"])
        codes = np.where(codes == at, -1, np.where(codes > at, codes - 1, codes))
        values = values.delete(at)
    return codes, values


def _shared(codes: np.ndarray, own: pd.Index, shared: pd.Index) -> np.ndarray:
    """``codes`` into ``own`` re-expressed as positions in ``shared`` (-1 stays -1)."""
    return np.append(shared.get_indexer(own), -1)[codes]


def _sorted_union(a: pd.Index, b: pd.Index) -> pd.Index:
    union = a.union(b, sort=False)
    try:
        return union.sort_values()
    except TypeError:  # values that do not compare: first seen first
        return union


def _importance(frame: pd.DataFrame) -> np.ndarray:
    if "importance" not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame["importance"], errors="coerce").to_numpy(dtype=float)


def _tally(
    unit: np.ndarray,
    g: np.ndarray,
    c: np.ndarray,
    shape: tuple[int, int],
    weights: pd.Series | None,
    importance: np.ndarray,
) -> _Tally:
    """Count one list on integer codes: ``g`` group (-1: none, left out), ``c`` code (-1: uncoded).

    A unit (staff member or respondent) counts once per group and once per need, with
    the weight of its first row. NumPy throughout: this runs on every redraw of a
    notebook's panel and on 100,000-statement surveys.
    """
    n_groups, n_codes = shape
    keep = g >= 0
    g, u, c, imp = g[keep].astype(np.int64), unit[keep], c[keep], importance[keep]
    w = np.ones(len(g)) if weights is None else weights.to_numpy(dtype=float)[keep]
    n_units = int(u.max()) + 1 if len(u) else 1
    # Each unit once per group: its first row's weight. factorize numbers the (group, unit)
    # pairs in order of first appearance, so a pair's first row is where the numbering
    # climbs, and first[k] is the first row of pair k.
    pair, _ = pd.factorize(g * n_units + u)
    climbs = np.ones(len(pair), dtype=bool)
    climbs[1:] = pair[1:] > np.maximum.accumulate(pair)[:-1]
    first = np.flatnonzero(climbs)
    gw, ww = g[first], w[first]
    total = np.bincount(gw, minlength=n_groups)
    total_weight = np.bincount(gw, weights=ww, minlength=n_groups)
    weight_sq = np.bincount(gw, weights=ww**2, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        effective_n = np.where(weight_sq > 0, total_weight**2 / weight_sq, 0.0)
    coded = c >= 0
    cell = g[coded] * n_codes + c[coded]
    # Each unit once per need.
    first_named = _first_rows(cell * n_units + u[coded])
    size = n_groups * n_codes
    n = np.bincount(cell[first_named], minlength=size)
    weight = np.bincount(cell[first_named], weights=ww[pair[coded][first_named]], minlength=size)
    rated = np.isfinite(imp[coded])
    imp_sum = np.bincount(cell[rated], weights=imp[coded][rated], minlength=size)
    imp_sq = np.bincount(cell[rated], weights=imp[coded][rated] ** 2, minlength=size)
    imp_count = np.bincount(cell[rated], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_importance = np.where(imp_count > 0, imp_sum / imp_count, np.nan)
        imp_var = np.where(
            imp_count > 1,
            np.maximum(imp_sq - imp_count * mean_importance**2, 0.0) / (imp_count - 1),
            np.nan,
        )
    return _Tally(
        n.reshape(shape),
        weight.reshape(shape),
        mean_importance.reshape(shape),
        imp_count.reshape(shape),
        imp_var.reshape(shape),
        total,
        total_weight,
        effective_n,
    )


def _shares(frame: pd.DataFrame, unit: np.ndarray, by: str | None, weights: pd.Series | None):
    """One list's tally as frames: per (group, code) named, and per group the totals."""
    g, groups = _labels(frame, by)
    c, codes = _labels(frame, "code")
    tally = _tally(unit, g, c, (len(groups), len(codes)), weights, _importance(frame))
    present = np.flatnonzero(tally.n)
    index = pd.MultiIndex.from_arrays(
        [groups.take(present // max(len(codes), 1)), codes.take(present % max(len(codes), 1))],
        names=["group", "code"],
    )
    per_code = pd.DataFrame(
        {
            "n": tally.n.ravel()[present],
            "weight": tally.weight.ravel()[present],
            "importance": tally.importance.ravel()[present],
            "importance_n": tally.importance_n.ravel()[present],
            "importance_var": tally.importance_var.ravel()[present],
        },
        index=index,
    )
    totals = pd.DataFrame(
        {"total": tally.total, "weight": tally.total_weight, "effective_n": tally.effective_n},
        index=groups.rename("group"),
    )
    return per_code, totals


def all_staff_compared(assumed: pd.DataFrame, by: str | None) -> bool:
    """Say whether a comparison ``by`` a column compares each group with all staff.

    True when staff needs lack the column: an attribute only customers have (their
    ``language``, ``campus``) has no staff side, so every staff member counts in every group.

    >>> all_staff_compared(pd.DataFrame({"staff": ["A"], "code": ["x"]}), "language")
    True
    """
    return by is not None and by not in assumed.columns


def all_staff_note(by: str, staff: int) -> str:
    """The sentence saying each group's customers are compared with all staff."""
    word = by.replace("_", " ")
    members = "staff member" if staff == 1 else "staff members"
    return (
        f"Staff needs have no {word}, so each {word} group's customers are compared with "
        f"all staff ({staff:,} {members})."
    )


def with_all_staff(assumed: pd.DataFrame, stated: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Staff needs repeated for every customer group of ``by`` when staff lack the column.

    Leaves ``assumed`` as it is when it has ``by`` (or ``by`` is None).
    """
    if not all_staff_compared(assumed, by):
        return assumed
    groups = pd.unique(stated[by].dropna())
    if not len(groups):
        return assumed.assign(**{by: pd.Series(np.nan, index=assumed.index, dtype=object)})
    parts = [assumed.assign(**{by: group}) for group in groups]
    return pd.concat(parts, ignore_index=True)


def needs_gap(
    assumed: pd.DataFrame,
    stated: pd.DataFrame,
    *,
    codebook: pd.DataFrame | None = None,
    by: str | None = None,
    confidence: float = 0.95,
    min_n: int = 5,
    min_staff_n: int = 5,
    priority: float = 0.2,
    rare: float | None = None,
    weight: str | None = "weight",
) -> pd.DataFrame:
    """Compare how often staff and customers name each need.

    Parameters
    ----------
    assumed : DataFrame
        Coded staff-assumed needs: ``staff``, ``code``, optional ``importance``.
    stated : DataFrame
        Coded customer-stated needs: ``code``, optional ``respondent_id``,
        ``importance`` and the ``weight`` column.
    codebook : DataFrame, optional
        Gives each code its ``label`` and ``theme``.
    by : str, optional
        A column of ``stated`` (``segment``): one comparison per value. When ``assumed``
        lacks it (an attribute only customers have, such as ``language``), each group's
        customers are compared with all staff (see :func:`all_staff_compared`).
    confidence : float
        Level of every interval.
    min_n : int
        A group with fewer respondents, or an effective n below it, is suppressed
        (:func:`toolkit._stats.too_few`): its customer estimates and gap are empty and
        ``suppressed`` is true (counts are kept).
    min_staff_n : int
        The same rule for the staff side: where 1 to ``min_staff_n`` − 1 staff members
        listed needs for the group, the staff shares, their intervals, the staff
        importance and the gap are empty and ``staff_suppressed`` is true. ``staff_n``
        and ``staff_total`` are kept, so "no staff member named it" still shows as a
        count, and such a need that is a customers' priority is a *possible blind spot*
        (too few staff to show the gap); a need some staff named gets no class. No staff list at all (``staff_total`` 0)
        is not suppressed: there is no one to single out.
    priority, rare : float
        The classification thresholds (shares): a need is a priority for a list when at
        least ``priority`` of it names the need, and rare when fewer than ``rare`` do
        (default: the same as ``priority``, which makes the classes the four quadrants).
    weight : str or None
        Column of respondent weights in ``stated`` (blank means 1); shares are then
        weighted and intervals use Kish's effective sample size. None ignores weights.

    Returns
    -------
    DataFrame
        One row per need named by staff or customers (per group), sorted by group and then
        by gap, largest first:

        ``[by]``, ``code``, ``label``, ``theme``;
        ``staff_n`` staff naming it, ``staff_total`` staff naming any need, ``staff_share``
        with ``staff_ci_low``/``staff_ci_high`` (Wilson), ``staff_importance`` (mean
        rating of the statements naming it) with ``staff_importance_n`` ratings and
        ``staff_importance_ci_low``/``staff_importance_ci_high`` (Student t);
        ``customer_n`` respondents naming it, ``customer_total`` respondents naming any
        need, ``customer_effective_n`` (Kish; equals the total without weights),
        ``customer_share`` with ``customer_ci_low``/``customer_ci_high`` (Wilson on the
        effective n), ``customer_importance`` with ``customer_importance_n`` and
        ``customer_importance_ci_low``/``customer_importance_ci_high`` (likewise,
        unweighted);
        ``gap`` = customer share − staff share with ``gap_ci_low``/``gap_ci_high``
        (Newcombe's hybrid score interval);
        ``classification``: *blind spot* (customers' priority, rare among staff — also
        when no staff member named any need for the group), *assumed only* (staff
        priority, rare among customers), *shared priority* (a priority for either list
        otherwise), *low priority*. The class takes uncertainty into account: a blind
        spot also needs the gap's interval wholly above zero, an assumed only wholly below
        (with no staff list for the group, a blind spot needs the customer share's interval
        above zero); a class its interval does not support is called *possible blind spot*
        or *possibly assumed only* (the shares point that way, the lists are too small to
        show it: the university demo's 8 staff members, none naming advising, against 22%
        of 105 customers).
        ``classification_point`` holds the class from the point estimates alone;
        ``suppressed``, ``staff_suppressed``, ``confidence``, ``priority_threshold``, ``rare_threshold``.

    Notes
    -----
    Wilson (1927); Newcombe (1998), method 10; Kish (1965) effective sample size;
    importance intervals are Student t on the ratings. A staff member or respondent naming
    a need twice counts once.

    Examples
    --------
    >>> assumed = pd.DataFrame({"staff": list("ABCDE"), "code": ["pantry"] * 5})
    >>> stated = pd.DataFrame({"respondent_id": list("pqrstu"),
    ...                        "code": ["milk"] * 5 + ["pantry"]})
    >>> needs_gap(assumed, stated)[["code", "staff_share", "customer_share", "classification"]]
         code  staff_share  customer_share classification
    0    milk          0.0        0.833333     blind spot
    1  pantry          1.0        0.166667   assumed only
    """
    require_columns(stated, ["code", by], name="stated")
    require_columns(assumed, ["staff", "code"], name="assumed")
    assumed = with_all_staff(assumed, stated, by)
    check_fraction(confidence, name="confidence", inclusive=False)
    check_positive_int(min_n, name="min_n")
    check_positive_int(min_staff_n, name="min_staff_n")
    check_fraction(priority, name="priority")
    rare = priority if rare is None else check_fraction(rare, name="rare")
    weights = _weights(stated, weight)
    staff_g, staff_groups = _labels(assumed, by)
    cust_g, cust_groups = _labels(stated, by)
    staff_c, staff_codes = _labels(assumed, "code")
    cust_c, cust_codes = _labels(stated, "code")
    groups = _sorted_union(staff_groups, cust_groups)
    codes = _sorted_union(staff_codes, cust_codes)
    shape = (len(groups), len(codes))
    staff = _tally(
        _unit_codes(assumed["staff"].fillna("\x00unnamed"), len(assumed)),
        _shared(staff_g, staff_groups, groups),
        _shared(staff_c, staff_codes, codes),
        shape,
        None,
        _importance(assumed),
    )
    cust = _tally(
        _respondents(stated),
        _shared(cust_g, cust_groups, groups),
        _shared(cust_c, cust_codes, codes),
        shape,
        weights,
        _importance(stated),
    )
    # One row per need named by either list, in each group.
    cells = np.flatnonzero((staff.n + cust.n).ravel())
    group, code = np.divmod(cells, max(len(codes), 1))
    staff_n, customer_n = staff.n.ravel()[cells], cust.n.ravel()[cells]
    staff_total, customer_total = staff.total[group], cust.total[group]
    neff = cust.effective_n[group]
    with np.errstate(invalid="ignore", divide="ignore"):
        cust_share = cust.weight.ravel()[cells] / cust.total_weight[group]
        staff_share = np.where(staff_total > 0, staff_n / staff_total, np.nan)
    cust_success = cust_share * neff
    staff_low, staff_high = wilson(staff_n, staff_total, confidence)
    customer_share = np.where(neff > 0, cust_share, np.nan)
    cust_low, cust_high = wilson(cust_success, neff, confidence)
    staff_imp = _importance_columns(staff, cells, confidence)
    cust_imp = _importance_columns(cust, cells, confidence)
    gap, gap_low, gap_high = newcombe_difference(
        cust_success, neff, staff_n, staff_total, confidence
    )
    suppressed = too_few(customer_total, neff, min_n)
    for values in (
        customer_share,
        cust_low,
        cust_high,
        cust_imp[0],
        cust_imp[2],
        cust_imp[3],
        gap,
        gap_low,
        gap_high,
    ):
        values[suppressed] = np.nan  # counts are kept, estimates are not
    staff_suppressed = (staff_total > 0) & too_few(staff_total, None, min_staff_n)
    for values in (
        staff_share,
        staff_low,
        staff_high,
        staff_imp[0],
        staff_imp[2],
        staff_imp[3],
        gap,
        gap_low,
        gap_high,
    ):
        values[staff_suppressed] = np.nan  # counts are kept, estimates are not
    point = _classify(staff_share, customer_share, suppressed, priority, rare)
    # A staff side too small for shares has no gap interval: a customers' priority none of
    # them named is a possible blind spot ("no staff member named it" still counts).
    classification = _supported(point, gap_low, gap_high, cust_low, staff_total)
    named = staff_suppressed & (staff_n > 0)
    classification[named] = None
    point[named] = None
    # By group, then largest gap and customer share first; empty ones last.
    order = np.lexsort((-customer_share, -gap, group))
    code_values = codes.take(code[order])
    label, theme = _label_theme(code_values.tolist(), codebook)
    columns = {
        **({by: groups.take(group[order])} if by is not None else {}),
        "code": code_values,
        "label": label,
        "theme": theme,
        "staff_n": staff_n[order],
        "staff_total": staff_total[order],
        "staff_share": staff_share[order],
        "staff_ci_low": staff_low[order],
        "staff_ci_high": staff_high[order],
        "staff_importance": staff_imp[0][order],
        "staff_importance_n": staff_imp[1][order],
        "staff_importance_ci_low": staff_imp[2][order],
        "staff_importance_ci_high": staff_imp[3][order],
        "customer_n": customer_n[order],
        "customer_total": customer_total[order],
        "customer_effective_n": neff[order],
        "customer_share": customer_share[order],
        "customer_ci_low": cust_low[order],
        "customer_ci_high": cust_high[order],
        "customer_importance": cust_imp[0][order],
        "customer_importance_n": cust_imp[1][order],
        "customer_importance_ci_low": cust_imp[2][order],
        "customer_importance_ci_high": cust_imp[3][order],
        "gap": gap[order],
        "gap_ci_low": gap_low[order],
        "gap_ci_high": gap_high[order],
        "classification": classification[order],
        "classification_point": point[order],
        "suppressed": suppressed[order],
        "staff_suppressed": staff_suppressed[order],
        "confidence": np.full(len(cells), float(confidence)),
        "priority_threshold": np.full(len(cells), float(priority)),
        "rare_threshold": np.full(len(cells), float(rare)),
    }
    return pd.DataFrame({name: np.asarray(values) for name, values in columns.items()})


def _classify(
    staff: np.ndarray, cust: np.ndarray, suppressed: np.ndarray, priority: float, rare: float
) -> np.ndarray:
    staff = np.nan_to_num(staff, nan=0.0)  # no staff list for the group: staff named nothing
    with np.errstate(invalid="ignore"):
        cust_high, cust_rare = cust >= priority, cust < rare
    staff_high, staff_rare = staff >= priority, staff < rare
    labels = np.select(
        [cust_high & staff_rare, staff_high & cust_rare, cust_high | staff_high],
        ["blind spot", "assumed only", "shared priority"],
        default="low priority",
    ).astype(object)
    labels[suppressed] = None
    return labels


def _importance_columns(tally: _Tally, cells: np.ndarray, confidence: float) -> tuple:
    """Mean importance, ratings and t interval of one list's needs, at ``cells``.

    The interval is cut to the importance field's scale (1–5), as every mean interval is
    (:func:`toolkit._stats.within_scale`: the cut keeps the coverage).
    """
    from toolkit.schema.tables import table_named

    field = table_named("stated_needs").field("importance")
    mean = tally.importance.ravel()[cells]
    n = tally.importance_n.ravel()[cells]
    low, high = mean_intervals(mean, tally.importance_var.ravel()[cells], n, confidence)
    low, high, _ = within_scale(low, high, field.low, field.high)
    return mean, n, np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def _supported(
    point: np.ndarray,
    gap_low: np.ndarray,
    gap_high: np.ndarray,
    cust_low: np.ndarray,
    staff_total: np.ndarray,
) -> np.ndarray:
    """The point-estimate classes kept only where the gap's interval supports them.

    A *blind spot* needs the gap's interval wholly above zero, an *assumed only* wholly
    below; where no staff member named any need for the group (no staff sample, staff
    share 0) a blind spot needs the customer share's interval above zero. A class the
    interval does not support is kept as a *possible blind spot* or *possibly assumed
    only*: the shares point that way (a customer priority no staff member named, say) but
    the lists are too small to show they differ (8 staff members naming it 0 times leave
    a Wilson interval up to 32%).
    """
    no_staff = staff_total == 0
    with np.errstate(invalid="ignore"):
        above = np.where(no_staff, cust_low > 0, gap_low > 0)
        below = ~no_staff & (gap_high < 0)
    labels = point.copy()
    labels[(point == "blind spot") & ~above] = "possible blind spot"
    labels[(point == "assumed only") & ~below] = "possibly assumed only"
    return labels


def _label_theme(codes: list, codebook: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Each code's label (the code itself when it has none) and theme, from the codebook.

    ``codes`` is a plain list: iterating an Arrow-backed index is slow.
    """
    labels: dict = {}
    themes: dict = {}
    if codebook is not None and len(codebook):
        book = codebook.iloc[::-1]  # the first row of a code wins
        code = book["code"].tolist()
        if "label" in book:
            labels = dict(zip(code, book["label"].tolist(), strict=True))
        if "theme" in book:
            themes = dict(zip(code, book["theme"].tolist(), strict=True))
    label = [labels.get(c) for c in codes]
    label = [c if pd.isna(v) else v for c, v in zip(codes, label, strict=True)]
    return np.array(label, dtype=object), np.array([themes.get(c) for c in codes], dtype=object)


def _label(out: pd.DataFrame, codebook: pd.DataFrame | None) -> pd.DataFrame:
    out["label"], out["theme"] = _label_theme(out["code"].tolist(), codebook)
    return out


def _finish(out: pd.DataFrame, by: str | None, columns: list[str]) -> pd.DataFrame:
    out = out.reset_index(drop=True)
    if by is None:
        return out[columns]
    out = out.rename(columns={"group": by})
    return out[[by, *columns]]


# ----------------------------------------------------------------------------- agreement


def rank_agreement(
    gap: pd.DataFrame, *, by: str | None = None, confidence: float = 0.95, top_k: int = 5
) -> pd.DataFrame:
    """How far the staff's and the customers' priority orders agree.

    Parameters
    ----------
    gap : DataFrame
        The result of :func:`needs_gap` (with the same ``by``).
    by : str, optional
        The group column of ``gap``.
    confidence : float
        Level of the correlation intervals.
    top_k : int
        How many of each list's top needs to compare.

    Returns
    -------
    DataFrame
        One row (per group): ``[by]``, ``needs`` (named by either list), ``spearman`` with
        ``spearman_ci_low``/``spearman_ci_high`` and ``spearman_p``, ``kendall`` (tau-b) with
        ``kendall_ci_low``/``kendall_ci_high`` and ``kendall_p``, ``top_k``,
        ``top_k_overlap`` (needs in both lists' top k, ties included), ``top_k_shared``
        (their labels), ``customer_only`` (needs customers named and no staff member did)
        and ``customer_only_needs`` (their labels, most named first), ``suppressed``,
        ``confidence``.

    Notes
    -----
    The two orders rank needs by share within each list, ties at average rank. Intervals
    through Fisher's z: Spearman with the Bonett–Wright (2000) standard error, Kendall with
    Fieller, Hartley & Pearson's (1957).
    """
    require_columns(
        gap,
        [
            "code",
            "label",
            "staff_share",
            "customer_share",
            "staff_n",
            "customer_n",
            "suppressed",
            by,
        ],
        name="gap",
    )
    top_k = check_positive_int(top_k, name="top_k")
    groups = [("", gap)] if by is None else list(gap.groupby(by, sort=False, dropna=False))
    rows = []
    for key, g in groups:
        suppressed = bool(g["suppressed"].any())
        staff = g["staff_share"].fillna(0).to_numpy(float)
        cust = g["customer_share"].to_numpy(float)
        row = {"group": key, "needs": len(g), "suppressed": suppressed, "top_k": top_k}
        ok = not suppressed and len(g) >= 3 and np.ptp(staff) > 0 and np.ptp(cust) > 0
        for method, func in (("spearman", stats.spearmanr), ("kendall", stats.kendalltau)):
            if ok:
                result = func(staff, cust)
                r, p = float(result.statistic), float(result.pvalue)
                low, high = correlation_interval(r, len(g), confidence, method=method)
            else:
                r = p = low = high = np.nan
            row.update(
                {method: r, f"{method}_ci_low": low, f"{method}_ci_high": high, f"{method}_p": p}
            )
        if suppressed:
            row.update(
                top_k_overlap=np.nan,
                top_k_shared=None,
                customer_only=np.nan,
                customer_only_needs=None,
            )
        else:
            staff_rank = pd.Series(staff, index=g.index).rank(ascending=False, method="min")
            cust_rank = pd.Series(cust, index=g.index).rank(ascending=False, method="min")
            both = g.loc[
                (staff_rank <= top_k)
                & (cust_rank <= top_k)
                & (g["staff_n"] > 0)
                & (g["customer_n"] > 0)
            ]
            only = g.loc[(g["staff_n"] == 0) & (g["customer_n"] > 0)].sort_values(
                "customer_share", ascending=False
            )
            row.update(
                top_k_overlap=len(both),
                top_k_shared="; ".join(both["label"].astype(str)),
                customer_only=len(only),
                customer_only_needs="; ".join(only["label"].astype(str)),
            )
        row["confidence"] = confidence
        rows.append(row)
    out = pd.DataFrame(rows)
    columns = [
        "needs",
        "spearman",
        "spearman_ci_low",
        "spearman_ci_high",
        "spearman_p",
        "kendall",
        "kendall_ci_low",
        "kendall_ci_high",
        "kendall_p",
        "top_k",
        "top_k_overlap",
        "top_k_shared",
        "customer_only",
        "customer_only_needs",
        "suppressed",
        "confidence",
    ]
    return _finish(out, by, columns)


# ----------------------------------------------------------------------------- segments


_COMMON_COLUMNS = (
    "segment_a",
    "segment_b",
    "code",
    "label",
    "n_a",
    "total_a",
    "share_a",
    "n_b",
    "total_b",
    "share_b",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "importance_a",
    "importance_n_a",
    "importance_ci_low_a",
    "importance_ci_high_a",
    "importance_b",
    "importance_n_b",
    "importance_ci_low_b",
    "importance_ci_high_b",
    "importance_difference",
    "importance_difference_ci_low",
    "importance_difference_ci_high",
    "relation",
    "relation_point",
    "in_every_segment",
    "suppressed",
    "confidence",
)


def common_ground(
    stated: pd.DataFrame,
    *,
    codebook: pd.DataFrame | None = None,
    segment: str = "segment",
    confidence: float = 0.95,
    min_n: int = 5,
    priority: float = 0.2,
    rare: float = 0.1,
    conflict: float = 2.0,
    weight: str | None = "weight",
) -> pd.DataFrame:
    """For every pair of segments: the needs they share, the ones only one names, conflicts.

    Parameters
    ----------
    stated : DataFrame
        Coded customer-stated needs with a segment column.
    segment : str
        The column that names the customer group.
    priority, rare : float
        A need is a priority for a segment when at least ``priority`` of it names the
        need, and rare when fewer than ``rare`` do: *only A* needs a priority in A that
        is rare in B and the Newcombe interval of the difference wholly above zero (needs
        between the two, or whose interval includes zero, are left out, not called
        one-sided; ``relation_point`` keeps the label from the shares alone).
    conflict : float
        Two segments pull in different directions on a need (*conflict*) when both rated
        its importance, their mean ratings differ by at least this much (1–5 scale), and
        the Welch interval of that difference excludes zero. A difference this large
        whose interval includes zero is no conflict (the need takes its other relation, if
        any); ``relation_point`` keeps the label from the means alone.

    Returns
    -------
    DataFrame
        One row per pair of segments and need with a relation:
        ``segment_a``, ``segment_b``, ``code``, ``label``, ``share_a``, ``share_b`` (with their
        ``n_a``/``n_b`` respondents naming it and ``total_a``/``total_b`` respondents),
        ``difference`` = share_a − share_b with ``difference_ci_low``/``difference_ci_high``
        (Newcombe), ``importance_a`` and ``importance_b`` (mean ratings) each with
        ``importance_n_a``/``importance_n_b`` ratings and ``importance_ci_low_a``,
        ``importance_ci_high_a`` … (Student t), ``importance_difference`` = importance_a −
        importance_b with ``importance_difference_ci_low``/``_ci_high`` (Welch),
        ``relation`` (*conflict*, *common ground*, *only A*, *only B*, naming the
        segment), ``relation_point`` (the same with *conflict* and *only* from the point
        estimates alone),
        ``in_every_segment`` (a priority in
        every segment that is not suppressed), ``suppressed`` (either segment below
        ``min_n`` respondents or effective n: estimates empty), ``confidence``.
        Pairs are in the order segments first appear; needs that are neither shared, one-
        sided nor in conflict are left out.
    """
    require_columns(stated, ["code", segment], name="stated")
    check_positive_int(min_n, name="min_n")
    check_fraction(priority, name="priority")
    check_fraction(rare, name="rare")
    weights = _weights(stated, weight)
    per_code, totals = _shares(stated, _respondents(stated), segment, weights)
    if per_code.empty:
        return pd.DataFrame(columns=list(_COMMON_COLUMNS))
    share = (
        per_code["weight"] / totals["weight"].reindex(per_code.index.get_level_values(0)).to_numpy()
    )
    table = per_code.assign(share=share.to_numpy())
    segments = [s for s in pd.unique(stated[segment].dropna())]
    small = {
        s
        for s in segments
        if too_few(totals["total"].get(s, 0), totals["effective_n"].get(s, 0.0), min_n)
    }
    everywhere = _priority_everywhere(table, [s for s in segments if s not in small], priority)
    rows = []
    for a, b in itertools.combinations(segments, 2):
        pair = pd.DataFrame(
            index=pd.Index(sorted(set(_codes(table, a)) | set(_codes(table, b))), name="code")
        )
        for side, seg in (("a", a), ("b", b)):
            part = (
                table.xs(seg, level=0)
                if seg in table.index.get_level_values(0)
                else table.iloc[0:0].droplevel(0)
            )
            pair[f"n_{side}"] = part["n"].reindex(pair.index).fillna(0).astype(int)
            pair[f"total_{side}"] = int(totals["total"].get(seg, 0))
            pair[f"share_{side}"] = part["share"].reindex(pair.index).fillna(0.0)
            pair[f"importance_{side}"] = part["importance"].reindex(pair.index)
            pair[f"importance_n_{side}"] = (
                part["importance_n"].reindex(pair.index).fillna(0).astype(int)
            )
            pair[f"importance_var_{side}"] = part["importance_var"].reindex(pair.index)
            low, high = mean_intervals(
                pair[f"importance_{side}"],
                pair[f"importance_var_{side}"],
                pair[f"importance_n_{side}"],
                confidence,
            )
            pair[f"importance_ci_low_{side}"], pair[f"importance_ci_high_{side}"] = low, high
            pair[f"neff_{side}"] = float(totals["effective_n"].get(seg, 0))
        d, low, high = newcombe_difference(
            pair["share_a"] * pair["neff_a"],
            pair["neff_a"],
            pair["share_b"] * pair["neff_b"],
            pair["neff_b"],
            confidence,
        )
        pair["difference"], pair["difference_ci_low"], pair["difference_ci_high"] = d, low, high
        pair["relation"], pair["relation_point"] = _relations(
            pair, a, b, priority, rare, conflict, confidence
        )
        pair["suppressed"] = a in small or b in small
        if pair["suppressed"].any():
            pair.loc[
                :,
                [
                    "share_a",
                    "share_b",
                    "difference",
                    "difference_ci_low",
                    "difference_ci_high",
                    *(
                        c
                        for c in _COMMON_COLUMNS
                        if c.startswith("importance") and not c.startswith("importance_n_")
                    ),
                ],
            ] = np.nan
            pair["relation"] = pair["relation_point"] = ""
            pair = pair.iloc[0:0] if pair.empty else pair
        pair = pair[pair["relation"].ne("") | pair["relation_point"].ne("") | pair["suppressed"]]
        pair = pair.reset_index()
        pair.insert(0, "segment_b", b)
        pair.insert(0, "segment_a", a)
        rows.append(pair)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if out.empty:
        return pd.DataFrame(columns=list(_COMMON_COLUMNS))
    for column in ("relation", "relation_point"):
        out[column] = out[column].where(out[column].ne(""), None)
    out["in_every_segment"] = out["code"].isin(everywhere)
    out["confidence"] = confidence
    out = _label(out, codebook)
    order = {"conflict": 0, "common ground": 1}
    out["_order"] = out["relation"].map(lambda r: order.get(r, 2))
    out = out.sort_values(
        ["segment_a", "segment_b", "_order", "code"], kind="stable", key=_first_seen(segments)
    )
    columns = list(_COMMON_COLUMNS)
    return out[columns].reset_index(drop=True)


def _relations(
    pair: pd.DataFrame, a, b, priority: float, rare: float, conflict: float, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each need's relation, and the same with *conflict* and *only* from point estimates.

    Sets the Welch difference of the importance means on ``pair`` as it goes.
    """
    d, low, high = welch_difference(
        pair["importance_a"],
        pair["importance_var_a"],
        pair["importance_n_a"],
        pair["importance_b"],
        pair["importance_var_b"],
        pair["importance_n_b"],
        confidence,
    )
    pair["importance_difference"] = d
    pair["importance_difference_ci_low"], pair["importance_difference_ci_high"] = low, high
    apart = np.abs(d) >= conflict - 1e-9  # means of whole ratings: 3.67 − 1.67 is 2
    with np.errstate(invalid="ignore"):
        supported = apart & ((low > 0) | (high < 0))
    shares = [
        (pair["share_a"].ge(priority) & pair["share_b"].ge(priority)).to_numpy(),
        (pair["share_a"].ge(priority) & pair["share_b"].lt(rare)).to_numpy(),
        (pair["share_b"].ge(priority) & pair["share_a"].lt(rare)).to_numpy(),
    ]
    # one-sided only where the Newcombe interval of share_a − share_b leaves out zero
    with np.errstate(invalid="ignore"):
        a_more = (pair["difference_ci_low"] > 0).to_numpy()
        b_more = (pair["difference_ci_high"] < 0).to_numpy()
    shown = [shares[0], shares[1] & a_more, shares[2] & b_more]
    names = ["conflict", "common ground", f"only {a}", f"only {b}"]
    relation = np.select([supported, *shown], names, default="")
    point = np.select([apart, *shares], names, default="")
    return relation, point


def _ipa_in_scale(out: pd.DataFrame, scale: tuple[float, float]) -> np.ndarray:
    """Cut both mean intervals to the rating scale in place; the ``interval`` words.

    "t" where both t intervals fit the scale, "t, clipped to the scale" where either
    was cut (:func:`toolkit._stats.within_scale` says why clipping keeps the coverage).
    """
    cut = np.zeros(len(out), dtype=bool)
    for name in ("importance", "performance"):
        low, high, moved = within_scale(
            out[f"{name}_ci_low"], out[f"{name}_ci_high"], scale[0], scale[1]
        )
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = low, high
        cut |= moved
    return np.where(cut, "t" + CLIPPED, "t").astype(object)


def _codes(table: pd.DataFrame, seg) -> list:
    return list(table.xs(seg, level=0).index) if seg in table.index.get_level_values(0) else []


def _priority_everywhere(table: pd.DataFrame, segments: list, priority: float) -> set:
    if not segments:
        return set()
    sets = [
        {c for c, s in table.xs(seg, level=0)["share"].items() if s >= priority}
        if seg in table.index.get_level_values(0)
        else set()
        for seg in segments
    ]
    return set.intersection(*sets)


def _first_seen(segments: list):
    position = {s: i for i, s in enumerate(segments)}

    def key(column: pd.Series) -> pd.Series:
        if column.name in ("segment_a", "segment_b"):
            return column.map(position)
        return column

    return key


# ----------------------------------------------------------------------------- IPA


def importance_performance(
    stated: pd.DataFrame,
    *,
    codebook: pd.DataFrame | None = None,
    by: str | None = None,
    confidence: float = 0.95,
    min_n: int = 5,
    crosshair: str = "midpoint",
    scale: tuple[float, float] = (1, 5),
) -> pd.DataFrame:
    """Importance–performance analysis (Martilla & James 1977) of needs rated both ways.

    Parameters
    ----------
    stated : DataFrame
        Coded stated needs with ``importance`` and ``performance`` ratings; rows missing
        either rating are left out.
    crosshair : {"midpoint", "mean"}
        Where the quadrant lines sit: the scale's midpoint, or the grand means of the
        rated rows (within each group). Recorded in the output.
    scale : (low, high)
        The rating scale, for the midpoint.

    Returns
    -------
    DataFrame
        One row per need (per group): ``[by]``, ``code``, ``label``, ``n`` ratings,
        ``importance`` and ``performance`` (means) each with ``_ci_low``/``_ci_high``
        (t intervals, cut to ``scale``: ``interval`` says "t" or "t, clipped to the
        scale"), ``quadrant`` (*Concentrate here*: important, performing below the
        line; *Keep up the good work*; *Low priority*; *Possible overkill*; a mean exactly on
        a line counts as high), ``crosshair_importance``, ``crosshair_performance``,
        ``crosshair``, ``suppressed`` (fewer than ``min_n`` ratings: means empty),
        ``confidence``.
    """
    require_columns(stated, ["code", "importance", "performance", by], name="stated")
    check_choice(crosshair, ("midpoint", "mean"), name="crosshair")
    check_positive_int(min_n, name="min_n")
    data = stated.assign(
        importance=pd.to_numeric(stated["importance"], errors="coerce"),
        performance=pd.to_numeric(stated["performance"], errors="coerce"),
    )
    data = data[
        data["code"].notna()
        & (data["code"] != NOT_A_NEED["code"])
        & data["importance"].notna()
        & data["performance"].notna()
    ]
    data = data.assign(group=_group_keys(data, by))
    rows = []
    for key, g in data.groupby("group", sort=False):
        if crosshair == "midpoint":
            ci, cp = (scale[0] + scale[1]) / 2, (scale[0] + scale[1]) / 2
        else:
            ci, cp = float(g["importance"].mean()), float(g["performance"].mean())
        for code, h in g.groupby("code", sort=True):
            imp, imp_low, imp_high, n = mean_interval(h["importance"], confidence)
            perf, perf_low, perf_high, _ = mean_interval(h["performance"], confidence)
            rows.append(
                dict(
                    group=key,
                    code=code,
                    n=n,
                    importance=imp,
                    importance_ci_low=imp_low,
                    importance_ci_high=imp_high,
                    performance=perf,
                    performance_ci_low=perf_low,
                    performance_ci_high=perf_high,
                    crosshair_importance=ci,
                    crosshair_performance=cp,
                )
            )
    means = [
        c for c in IMPORTANCE_PERFORMANCE_COLUMNS if c.startswith(("importance", "performance"))
    ]
    columns = list(IMPORTANCE_PERFORMANCE_COLUMNS)
    out = pd.DataFrame(
        rows,
        columns=["group", "code", "n", *means, "crosshair_importance", "crosshair_performance"],
    )
    high_imp = out["importance"] >= out["crosshair_importance"]
    high_perf = out["performance"] >= out["crosshair_performance"]
    out["quadrant"] = np.select(
        [high_imp & ~high_perf, high_imp & high_perf, ~high_imp & ~high_perf],
        list(QUADRANTS[:3]),
        default=QUADRANTS[3],
    ).astype(object)
    out["interval"] = _ipa_in_scale(out, scale)
    out["suppressed"] = too_few(out["n"], None, min_n)
    out.loc[out["suppressed"], means] = np.nan
    out.loc[out["suppressed"], "quadrant"] = None
    out["crosshair"] = crosshair
    out["confidence"] = confidence
    out = _label(out, codebook)
    return _finish(out, by, columns)
