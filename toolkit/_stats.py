"""Interval maths: Wilson, Newcombe, t, Fisher z and effective sample size.

Plain NumPy on arrays (no pandas grouping), so every analysis shares one tested copy.
Each function names its published source; the tests reproduce the worked examples in
REFERENCE-NUMBERS.md.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "z_value",
    "wilson",
    "newcombe_difference",
    "mean_interval",
    "mean_intervals",
    "welch_difference",
    "effective_n",
    "too_few",
    "within_scale",
    "correlation_interval",
    "nps",
    "nps_difference",
    "margin_of_error",
    "sample_size",
    "xmr_limits",
    "p_chart_limits",
    "laney_p_chart_limits",
    "special_causes",
    "interrupted_time_series",
    "cohens_kappa",
]


def z_value(confidence: float) -> float:
    """The two-sided normal quantile: 1.959964 for 0.95.

    >>> round(z_value(0.95), 6)
    1.959964
    """
    if not 0 < confidence < 1:
        from toolkit.errors import DataValidationError

        raise DataValidationError(
            f"confidence must be between 0 and 1 (got {confidence!r}), such as 0.95."
        )
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson(successes, n, confidence: float = 0.95, *, z: float | None = None):
    """Wilson score interval for a proportion.

    Parameters
    ----------
    successes, n : array_like
        Counts (may be non-integer effective counts for weighted data). Where ``n`` is 0
        the interval is NaN.
    confidence : float
        Two-sided confidence level.
    z : float, optional
        Use this quantile instead of the one ``confidence`` gives (1.96 in many texts).

    Returns
    -------
    (low, high) : tuple of ndarray

    Notes
    -----
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22, 209–212. The interval stays inside [0, 1] and behaves at 0 and n.

    Examples
    --------
    >>> low, high = wilson(10, 100, z=1.96)
    >>> round(float(low), 7), round(float(high), 7)
    (0.0552285, 0.1743673)
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = z_value(confidence) if z is None else z
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
        # At 0 and n the bounds are exactly 0 and 1; rounding would leave 1e-17.
        low = np.where(n > 0, np.where(x <= 0, 0.0, np.clip(centre - half, 0, 1)), np.nan)
        high = np.where(n > 0, np.where(x >= n, 1.0, np.clip(centre + half, 0, 1)), np.nan)
    return low, high


def newcombe_difference(x1, n1, x2, n2, confidence: float = 0.95):
    """Newcombe's hybrid score interval for a difference of proportions p1 − p2.

    Returns (difference, low, high). Method 10 of Newcombe (1998), built from the two
    Wilson intervals; it keeps good coverage for small counts and proportions near 0
    or 1, where the Wald interval fails.

    Notes
    -----
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17, 873–890.

    Examples
    --------
    >>> d, low, high = newcombe_difference(56, 70, 48, 80)
    >>> round(float(d), 4), round(float(low), 4), round(float(high), 4)
    (0.2, 0.0524, 0.3339)
    """
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return _newcombe_at(x1, n1, x2, n2, z_value(confidence))


def newcombe_p_value(x1, n1, x2, n2):
    """The two-sided p-value that agrees with :func:`newcombe_difference`'s interval.

    The p-value is the smallest 1 − confidence at which Newcombe's hybrid score interval
    for p1 − p2 reaches 0 (the test found by inverting the interval), so p < 1 −
    confidence exactly when the interval at that confidence leaves out 0. A pooled z test
    does not agree with the interval: 0/20 against 2/10 gives p 0.038 with a 95% interval
    of −0.016 to 0.510. NaN where either n is 0; 1 where the shares are equal.

    Examples
    --------
    >>> round(float(newcombe_p_value(2, 10, 0, 20)), 4)
    0.0667
    """
    x1, n1, x2, n2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x1, n1, x2, n2)))
    with np.errstate(invalid="ignore", divide="ignore"):
        d = x1 / n1 - x2 / n2
    sign = np.where(d < 0, -1.0, 1.0)
    # The bound nearest 0 moves monotonically towards 0 as z grows: bisect on z.
    lo_z, hi_z = np.zeros(d.shape), np.full(d.shape, 40.0)
    for _ in range(60):
        mid = (lo_z + hi_z) / 2
        with np.errstate(invalid="ignore", divide="ignore"):
            _, low, high = _newcombe_at(x1, n1, x2, n2, mid)
        reaches = np.where(sign > 0, low <= 0, high >= 0)
        hi_z = np.where(reaches, mid, hi_z)
        lo_z = np.where(reaches, lo_z, mid)
    p = 2 * stats.norm.sf((lo_z + hi_z) / 2)
    p = np.where(d == 0, 1.0, p)
    return np.where(np.isfinite(d), p, np.nan)


def _newcombe_at(x1, n1, x2, n2, z):
    """Newcombe's hybrid score interval at the normal quantile ``z`` (may be an array)."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, z=z)
    l2, u2 = wilson(x2, n2, z=z)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, low, high


def mean_interval(values, confidence: float = 0.95):
    """Mean with a Student t interval: (mean, low, high, n) of the finite values.

    One value gives the mean with a NaN interval; all-equal values a zero-width one.

    >>> m, low, high, n = mean_interval([4, 5, 3, 4, 4])
    >>> round(m, 2), round(low, 3), round(high, 3), n
    (4.0, 3.122, 4.878, 5)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = v.size
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    mean = float(v.mean())
    if n == 1:
        return mean, np.nan, np.nan, 1
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def mean_intervals(mean, variance, n, confidence: float = 0.95):
    """Student t intervals from summaries: (low, high) arrays for means, variances, counts.

    The vectorised form of :func:`mean_interval` for tables that keep sums rather than
    values: ``variance`` is the sample variance (ddof 1). Fewer than two values give NaN;
    a zero variance a zero-width interval, as in :func:`mean_interval`.

    >>> low, high = mean_intervals([4.0], [0.5], [5])
    >>> round(float(low[0]), 3), round(float(high[0]), 3)
    (3.122, 4.878)
    """
    mean, variance, n = (np.asarray(v, dtype=float) for v in (mean, variance, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(n >= 2, n - 1, np.nan)
        half = stats.t.ppf(0.5 + confidence / 2, df) * np.sqrt(variance / n)
    return mean - half, mean + half


def welch_difference(mean1, variance1, n1, mean2, variance2, n2, confidence: float = 0.95):
    """Difference of two independent means, mean1 − mean2, with Welch's t interval.

    Returns (difference, low, high). The standard error is √(s₁²/n₁ + s₂²/n₂) and the
    degrees of freedom Welch–Satterthwaite's; variances are sample variances (ddof 1).
    The interval is NaN unless each side has two values or more; with both variances 0 it
    has zero width.

    Notes
    -----
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika 34, 28–35. Satterthwaite, F. E. (1946).
    An approximate distribution of estimates of variance components. Biometrics Bulletin
    2, 110–114. Matches ``scipy.stats.ttest_ind(equal_var=False).confidence_interval()``.

    Examples
    --------
    Means 4.6 and 2.2 of five ratings each, variances 0.3 and 0.7:

    >>> d, low, high = welch_difference(4.6, 0.3, 5, 2.2, 0.7, 5)
    >>> round(float(d), 2), round(float(low), 3), round(float(high), 3)
    (2.4, 1.339, 3.461)
    """
    m1, v1, n1, m2, v2, n2 = (
        np.asarray(v, dtype=float) for v in (mean1, variance1, n1, mean2, variance2, n2)
    )
    difference = m1 - m2
    with np.errstate(invalid="ignore", divide="ignore"):
        a, b = v1 / n1, v2 / n2
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
        half = np.where(se > 0, stats.t.ppf(0.5 + confidence / 2, df) * se, 0.0)
        half = np.where((n1 >= 2) & (n2 >= 2), half, np.nan)
    return difference, difference - half, difference + half


def effective_n(weights) -> float:
    """Kish's effective sample size (Σw)² / Σw².

    >>> effective_n([1, 1, 1, 1]), round(effective_n([1, 2, 3]), 4)
    (4.0, 2.5714)
    """
    w = np.asarray(weights, dtype=float)
    w = w[np.isfinite(w)]
    total = (w**2).sum()
    return float(w.sum() ** 2 / total) if total > 0 else 0.0


def too_few(n, effective, min_n: int) -> np.ndarray:
    """The one small-group rule: True where a group is too small to report.

    A group is suppressed when it has fewer than ``min_n`` people *or* its effective
    sample size (Kish's (Σw)²/Σw², :func:`effective_n`) is below ``min_n``: five answers
    weighted 100, 1, 1, 1, 1 are 1.08 people's worth of information, not five. Without
    weights the effective n equals n. Pass ``effective=None`` for unweighted counts.

    >>> too_few([5, 5, 4], [5.0, 1.08, 4.0], 5).tolist()
    [False, True, True]
    """
    n = np.asarray(n, dtype=float)
    small = ~(n >= min_n)  # NaN or missing counts are small too
    if effective is not None:
        small |= ~(np.asarray(effective, dtype=float) >= min_n)
    return small


#: What an ``interval`` column adds to a method's name when :func:`within_scale` cut it.
CLIPPED = ", clipped to the scale"


def within_scale(low, high, lowest: float, highest: float):
    """An interval cut to the scale its quantity lives on: (low, high, cut).

    ``cut`` is True where either end was moved. Used for means on a bounded rating
    scale (a 1–5 importance, a 0–10 score), shares (0–1) and NPS (−100 to 100).

    Why clipping: the true value lies on the scale, so it is inside the clipped
    interval exactly when it is inside the unclipped one, and the coverage is unchanged
    (Mandelkern, M. (2002). Setting confidence intervals for bounded parameters.
    Statistical Science 17(2), 149–172, section 2). Every interval that already fits
    its scale is left exactly as it was, so the published t, Wilson and Wald examples
    still match; a transform such as a logit-scale interval would move all of them
    and fails for a mean sitting on the end of its scale. NaN ends stay NaN.

    >>> low, high, cut = within_scale([3.2, 1.5], [5.2, 2.5], 1, 5)
    >>> low.tolist(), high.tolist(), cut.tolist()
    ([3.2, 1.5], [5.0, 2.5], [True, False])
    >>> [float(v) for v in within_scale(np.nan, np.nan, 1, 5)[:2]]
    [nan, nan]
    """
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    cut = (low < lowest) | (high > highest)
    return np.clip(low, lowest, highest), np.clip(high, lowest, highest), cut


def correlation_interval(r: float, n: int, confidence: float = 0.95, *, method: str):
    """Confidence interval for a rank correlation through Fisher's z.

    ``method="spearman"``: SE = √((1 + r²/2) / (n − 3)) (Bonett & Wright 2000);
    ``method="kendall"``: SE = √(0.437 / (n − 4)) (Fieller, Hartley & Pearson 1957).
    Returns (low, high), NaN when n is too small or r is ±1 or NaN.

    >>> [round(v, 3) for v in correlation_interval(0.5, 30, method="spearman")]
    [0.148, 0.74]
    """
    if not np.isfinite(r) or abs(r) >= 1:
        return (np.nan, np.nan) if not np.isfinite(r) else (float(r), float(r))
    if method == "spearman":
        if n <= 3:
            return np.nan, np.nan
        se = np.sqrt((1 + r**2 / 2) / (n - 3))
    elif method == "kendall":
        if n <= 4:
            return np.nan, np.nan
        se = np.sqrt(0.437 / (n - 4))
    else:
        raise ValueError(f"unknown method {method!r}")
    z = np.arctanh(r)
    q = z_value(confidence)
    return float(np.tanh(z - q * se)), float(np.tanh(z + q * se))


def _reject(message: str):
    """Raise a DataValidationError (imported here, as in ``z_value``)."""
    from toolkit.errors import DataValidationError

    raise DataValidationError(message)


def _nps_parts(promoters, passives, detractors, adjusted: bool):
    """Counts → (NPS as a share, per-person variance, n used); NaN where nobody answered."""
    counts = [np.asarray(c, dtype=float) for c in (promoters, passives, detractors)]
    for name, c in zip(("promoters", "passives", "detractors"), counts, strict=True):
        if np.any(c < 0):
            _reject(
                f"{name} must be counts of 0 or more (got {np.nanmin(c)!r}); "
                "pass how many respondents fell in each group."
            )
    pro, pas, det = counts
    answered = pro + pas + det
    if adjusted:
        pro, pas, det = pro + 0.75, pas + 1.5, det + 0.75
    n = pro + pas + det
    with np.errstate(invalid="ignore", divide="ignore"):
        p_pro, p_det = pro / n, det / n
        score = p_pro - p_det
        # pP + pD − (pP − pD)² is ≥ 0 in exact arithmetic; rounding can leave −1e-17.
        variance = np.maximum(p_pro + p_det - score**2, 0.0)
    empty = ~(answered > 0)
    return np.where(empty, np.nan, score), np.where(empty, np.nan, variance), n


def nps(
    promoters,
    passives,
    detractors,
    confidence: float = 0.95,
    *,
    adjusted: bool = False,
    z: float | None = None,
):
    """Net Promoter Score with its standard error and a normal-theory interval.

    Parameters
    ----------
    promoters, passives, detractors : array_like
        Counts of people who answered 9–10, 7–8 and 0–6 on the 0–10 scale (may be
        non-integer effective counts for weighted data). Broadcast against each other.
        Where all three are 0 every output is NaN.
    confidence : float
        Two-sided confidence level.
    adjusted : bool
        Use the adjusted-Wald interval: add 3 pseudo-respondents (0.75 promoter,
        1.5 passive, 0.75 detractor), then the same formulas. The point estimate is
        therefore the *adjusted* NPS too (pulled slightly towards 0), and the interval
        is centred on it; call with ``adjusted=False`` for the plain NPS.
    z : float, optional
        Use this quantile instead of the one ``confidence`` gives (1.96 in many texts).

    Returns
    -------
    (score, se, low, high) : tuple of ndarray
        All in points on the −100…100 scale. ``low`` and ``high`` are clipped to
        [−100, 100] (the Wald interval can pass them near the ends); the clipped interval
        still contains ``score``. ``se`` is not clipped. With everyone in one group the
        Wald standard error is 0 and the interval has zero width; the adjusted one does not.

    Notes
    -----
    Score each person +1 (promoter), 0 (passive), −1 (detractor): NPS = pP − pD, the
    per-person variance is pP + pD − (pP − pD)² and SE = √(variance / n).
    Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review
    81(12), 46–54. Rocks, B. (2016). Interval estimation for the "net promoter score".
    The American Statistician 70(4), 365–372 (the trinomial variance and the adjusted-Wald
    interval with 3 pseudo-respondents).

    Examples
    --------
    REFERENCE-NUMBERS.md: 291 / 476 / 395 of 1162 → NPS −8.95, 95% half-width 4.39.

    >>> score, se, low, high = nps(291, 476, 395, z=1.96)
    >>> round(float(score), 2), round(float(high - score), 2)
    (-8.95, 4.39)
    """
    score, variance, n = _nps_parts(promoters, passives, detractors, adjusted)
    z = z_value(confidence) if z is None else z
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(variance / n)
    low = np.clip(score - z * se, -1.0, 1.0)
    high = np.clip(score + z * se, -1.0, 1.0)
    return 100 * score, 100 * se, 100 * low, 100 * high


def nps_difference(
    promoters1,
    passives1,
    detractors1,
    promoters2,
    passives2,
    detractors2,
    *,
    adjusted: bool = False,
):
    """Difference of two independent Net Promoter Scores with a two-sided z test.

    Returns
    -------
    (difference, z, p) : tuple of ndarray
        ``difference`` = NPS₁ − NPS₂ in points; z = (NPS₁ − NPS₂) / √(var₁/n₁ + var₂/n₂)
        with each variance the per-person trinomial variance used by :func:`nps`; ``p`` is
        the two-sided normal p-value. NaN where either group is empty, and z and p are NaN
        where both variances are 0 (everyone in one group on both sides: no test is
        possible). ``adjusted=True`` adds the adjusted-Wald pseudo-respondents to each
        group first, as in :func:`nps`.

    Notes
    -----
    Rocks, B. (2016). Interval estimation for the "net promoter score". The American
    Statistician 70(4), 365–372.

    Examples
    --------
    40 / 40 / 20 % of 500 (NPS 20, variance 0.56; REFERENCE-NUMBERS.md) against
    30 / 40 / 30 % of 500 (NPS 0, variance 0.60): z = 0.2 / √(0.56/500 + 0.60/500) = 4.15.

    >>> d, z, p = nps_difference(200, 200, 100, 150, 200, 150)
    >>> round(float(d), 1), round(float(z), 2), round(float(p), 6)
    (20.0, 4.15, 3.3e-05)
    """
    s1, v1, n1 = _nps_parts(promoters1, passives1, detractors1, adjusted)
    s2, v2, n2 = _nps_parts(promoters2, passives2, detractors2, adjusted)
    difference = s1 - s2
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(v1 / n1 + v2 / n2)
        z = np.where(se > 0, difference / se, np.nan)
    p = np.where(np.isfinite(z), 2 * stats.norm.sf(np.abs(z)), np.nan)
    return 100 * difference, z, p


def _check_share(p) -> None:
    """Refuse an expected proportion outside [0, 1]."""
    if np.any((p < 0) | (p > 1)):
        _reject(f"p must be a proportion between 0 and 1 (got {p!r}), such as 0.5.")


def _population_size(population) -> np.ndarray:
    """The population size N as floats; refuses an N below 1."""
    big_n = np.asarray(population, dtype=float)
    if np.any(big_n < 1):
        _reject(f"population must be 1 or more people (got {np.nanmin(big_n)!r}).")
    return big_n


def _population_factor(n, population):
    """√((N − n)/(N − 1)): 0 for a census (n = N), NaN when n exceeds N."""
    big_n = _population_size(population)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.sqrt(np.clip((big_n - n) / (big_n - 1), 0, None))
    return np.where(n == big_n, 0.0, np.where(n > big_n, np.nan, factor))


def margin_of_error(
    n,
    p=0.5,
    confidence: float = 0.95,
    *,
    population=None,
    z: float | None = None,
):
    """Half-width of the normal (Wald) interval for a proportion from a simple random sample.

    Parameters
    ----------
    n : array_like
        Respondents. 0 gives NaN.
    p : array_like
        Expected proportion; 0.5 (the default) gives the widest, most cautious margin.
    confidence : float
        Two-sided confidence level.
    population : array_like, optional
        Size N of the population sampled. When given, the margin is multiplied by the
        finite-population correction √((N − n)/(N − 1)): 0 for a census, NaN when n > N.
    z : float, optional
        Use this quantile instead of the one ``confidence`` gives. By default the exact
        quantile (1.959964 for 95%); the reference numbers use 1.96.

    Returns
    -------
    float or ndarray
        The margin as a proportion (0.098 = ±9.8 points): z · √(p(1 − p)/n).

    Notes
    -----
    Cochran, W. G. (1977). Sampling Techniques, 3rd ed., Wiley, §§2.5 and 4.4.
    :func:`sample_size` inverts this function.

    Examples
    --------
    REFERENCE-NUMBERS.md: n = 100 → ±9.80 points; n = 50 → ±13.86.

    >>> round(float(margin_of_error(100, z=1.96)) * 100, 2)
    9.8
    >>> round(float(margin_of_error(50, z=1.96)) * 100, 2)
    13.86
    """
    n = np.asarray(n, dtype=float)
    p = np.asarray(p, dtype=float)
    if np.any(n < 0):
        _reject(f"n must be 0 or more respondents (got {np.nanmin(n)!r}).")
    _check_share(p)
    z = z_value(confidence) if z is None else z
    with np.errstate(invalid="ignore", divide="ignore"):
        margin = z * np.sqrt(p * (1 - p) / n)
    if population is not None:
        margin = margin * _population_factor(n, population)
    return np.where(n > 0, margin, np.nan)[()]


def sample_size(
    margin,
    p=0.5,
    confidence: float = 0.95,
    *,
    population=None,
    z: float | None = None,
):
    """Respondents needed for a margin of error, rounded up to a whole number.

    Parameters
    ----------
    margin : array_like
        Wanted half-width as a proportion, above 0 and below 1 (0.05 for ±5 points).
    p : array_like
        Expected proportion; 0.5 is the most cautious.
    confidence : float
        Two-sided confidence level.
    population : array_like, optional
        Size N of the population. When given, n = n₀ / (1 + (n₀ − 1)/N), never above N.
    z : float, optional
        Use this quantile instead of the one ``confidence`` gives. By default the exact
        quantile (1.959964 for 95%); the reference numbers use 1.96.

    Returns
    -------
    int or ndarray of int
        ⌈n⌉ with n₀ = z² p(1 − p) / margin², at least 1. n is rounded to 9 decimals
        before rounding up, so floating-point noise never adds a respondent and
        ``sample_size(margin_of_error(n))`` gives back ``n``.

    Raises
    ------
    DataValidationError
        When a margin is not strictly between 0 and 1 (a margin in points, such as 5,
        is the usual mistake).

    Notes
    -----
    Cochran, W. G. (1977). Sampling Techniques, 3rd ed., Wiley, §4.4 (n₀ and the
    finite-population correction).

    Examples
    --------
    REFERENCE-NUMBERS.md: ±5% → n₀ = 384.1 → 385; with a population of 500 → 218.

    >>> sample_size(0.05, z=1.96), sample_size(0.05, z=1.96, population=500)
    (385, 218)
    """
    margin = np.asarray(margin, dtype=float)
    p = np.asarray(p, dtype=float)
    if not np.all((margin > 0) & (margin < 1)):
        _reject(
            f"margin must be a proportion above 0 and below 1 (got {margin!r}); "
            "write ±5 points as 0.05."
        )
    _check_share(p)
    z = z_value(confidence) if z is None else z
    n = z**2 * p * (1 - p) / margin**2
    if population is not None:
        n = n / (1 + (n - 1) / _population_size(population))
    n = np.maximum(np.ceil(np.round(n, 9)), 1).astype(int)
    return int(n) if n.ndim == 0 else n


def xmr_limits(values) -> dict:
    """Natural process limits for an XmR (individuals and moving range) chart.

    Parameters
    ----------
    values : array_like
        The series in time order. Non-finite values are left out of the mean, and the
        moving ranges either side of them are left out (a gap is not bridged).

    Returns
    -------
    dict
        ``mean``; ``mean_moving_range`` (mean of |xᵢ − xᵢ₋₁|); ``lower`` and ``upper``,
        mean ∓ 2.66 · mean moving range; ``moving_range_upper``, 3.267 · mean moving
        range (the moving-range chart's lower limit is 0); ``n``, the finite values used.
        All floats (NaN with no values; limits NaN with fewer than two in a row).

    Notes
    -----
    2.66 = 3 / d₂ with d₂ = 1.128 rounded as published; 3.267 = D₄ for ranges of two.
    Wheeler, D. J. & Chambers, D. S. (1992). Understanding Statistical Process Control,
    2nd ed., SPC Press; Wheeler, D. J. (2000). Understanding Variation, 2nd ed.

    Examples
    --------
    A 20-point series with mean 53.05 and mean moving range 56/19 (REFERENCE-NUMBERS.md:
    limits ≈ 45.21 and 60.89, moving-range limit ≈ 9.63):

    >>> series = [53, 55, 52, 54, 51, 53, 57, 53, 52, 54, 47, 53, 55, 52, 54, 53, 51, 55, 52, 55]
    >>> limits = xmr_limits(series)
    >>> round(limits["lower"], 2), round(limits["upper"], 2), round(limits["moving_range_upper"], 2)
    (45.21, 60.89, 9.63)
    """
    v = np.asarray(values, dtype=float).ravel()
    finite = v[np.isfinite(v)]
    mean = float(finite.mean()) if finite.size else np.nan
    ranges = np.abs(np.diff(v))
    ranges = ranges[np.isfinite(ranges)]
    mean_range = float(ranges.mean()) if ranges.size else np.nan
    return {
        "mean": mean,
        "mean_moving_range": mean_range,
        "lower": mean - 2.66 * mean_range,
        "upper": mean + 2.66 * mean_range,
        "moving_range_upper": 3.267 * mean_range,
        "n": int(finite.size),
    }


def p_chart_limits(defectives, sizes) -> dict:
    """Centre line and per-sample 3-sigma limits for a p-chart (proportions).

    Parameters
    ----------
    defectives, sizes : array_like
        Per sample, the count with the attribute (complaints, late cases, detractors…)
        and the sample size. A sample of size 0, or with a non-finite count, is left out
        of p̄ and gets NaN proportion and limits.

    Returns
    -------
    dict
        ``centre``: p̄ = Σx / Σn (float); ``proportion``: xᵢ / nᵢ; ``lower`` and
        ``upper``: p̄ ∓ 3 · √(p̄(1 − p̄) / nᵢ), the lower floored at 0 and the upper capped
        at 1 (arrays, one per sample).

    Notes
    -----
    Montgomery, D. C. (2009). Introduction to Statistical Quality Control, 6th ed.,
    Wiley, §7.2 (control chart for fraction nonconforming, variable sample size).

    Examples
    --------
    REFERENCE-NUMBERS.md: ten samples of 200 → p̄ = 0.16, limits 0.0822 and 0.2378.

    >>> chart = p_chart_limits([40, 44, 22, 34, 24, 32, 28, 32, 34, 30], [200] * 10)
    >>> round(chart["centre"], 4), round(float(chart["lower"][0]), 4), round(float(chart["upper"][0]), 4)
    (0.16, 0.0822, 0.2378)
    """
    x = np.asarray(defectives, dtype=float).ravel()
    n = np.asarray(sizes, dtype=float).ravel()
    if x.shape != n.shape:
        _reject(f"defectives and sizes must have one entry per sample ({x.size} and {n.size}).")
    if np.any(n < 0) or np.any(x < 0):
        _reject("defectives and sizes must be counts of 0 or more.")
    if np.any(x > n):
        i = int(np.flatnonzero(x > n)[0])
        _reject(
            f"sample {i}: {x[i]:g} defectives out of a sample of {n[i]:g}; x must not exceed n."
        )
    used = np.isfinite(x) & np.isfinite(n) & (n > 0)
    total = n[used].sum()
    centre = float(x[used].sum() / total) if total > 0 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        proportion = np.where(used, x / n, np.nan)
        sigma = np.where(used, np.sqrt(centre * (1 - centre) / n), np.nan)
    return {
        "centre": centre,
        "proportion": proportion,
        "lower": np.maximum(centre - 3 * sigma, 0.0),
        "upper": np.minimum(centre + 3 * sigma, 1.0),
    }


def laney_p_chart_limits(defectives, sizes, *, baseline=None) -> dict:
    """Centre line and per-sample limits for Laney's p′ chart (over-dispersed proportions).

    Parameters
    ----------
    defectives, sizes : array_like
        Per sample in time order, the count with the attribute and the sample size. A
        sample of size 0 or with a non-finite count is a gap: it gets NaN proportion and
        limits, and no moving range is taken across it.
    baseline : array_like of bool, optional
        The samples the centre and σ_Z are computed from (default all).

    Returns
    -------
    dict
        ``centre``: p̄ = Σx / Σn; ``proportion``; ``sigma_z``: the spread of the z-scores
        zᵢ = (pᵢ − p̄) / √(p̄(1 − p̄)/nᵢ), estimated as their mean moving range / 1.128
        (1 for a process that varies only as the binomial says; NaN with fewer than two
        consecutive samples); ``lower`` and ``upper``: p̄ ∓ 3 · σ_Z · √(p̄(1 − p̄)/nᵢ),
        floored at 0 and capped at 1.

    Notes
    -----
    Laney, D. B. (2002). Improved control charts for attributes. Quality Engineering
    14(4), 531–537; Mohammed, M. A., Panesar, J. S., Laney, D. B. & Wilson, R. (2013).
    Statistical process control charts for attribute data involving very large sample
    sizes. BMJ Quality & Safety 22(4), 362–368. With σ_Z = 1 this is the p-chart.

    Examples
    --------
    >>> chart = laney_p_chart_limits([50, 60, 40, 70], [1000] * 4)
    >>> round(chart["centre"], 3), round(chart["sigma_z"], 3)
    (0.055, 2.459)
    """
    x = np.asarray(defectives, dtype=float).ravel()
    n = np.asarray(sizes, dtype=float).ravel()
    basic = p_chart_limits(
        np.where(np.isfinite(x), x, 0.0), np.where(np.isfinite(x) & np.isfinite(n), n, 0.0)
    )
    used = np.isfinite(x) & np.isfinite(n) & (n > 0)
    base = used if baseline is None else used & np.asarray(baseline, dtype=bool).ravel()
    total = n[base].sum()
    centre = float(x[base].sum() / total) if total > 0 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.where(used, np.sqrt(centre * (1 - centre) / n), np.nan)
        z = np.where(base, (basic["proportion"] - centre) / sigma, np.nan)
    ranges = np.abs(np.diff(z))
    ranges = ranges[np.isfinite(ranges)]
    sigma_z = float(ranges.mean() / 1.128) if ranges.size else np.nan
    return {
        "centre": centre,
        "proportion": basic["proportion"],
        "sigma_z": sigma_z,
        "lower": np.maximum(centre - 3 * sigma_z * sigma, 0.0),
        "upper": np.minimum(centre + 3 * sigma_z * sigma, 1.0),
    }


def _long_runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Flag every member of a run of True at least ``length`` long."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    out = np.zeros(mask.size, dtype=bool)
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start >= length:
            out[start:end] = True
    return out


def _two_in_three(near: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Flag near-limit points in three consecutive points on one side, two or more near.

    ``near``: the point is beyond two-thirds of the way to a limit but not beyond the limit;
    ``side``: +1 above the centre, −1 below, 0 on it or missing. As NHSRplotthedots'
    ``ptd_two_in_three`` and ``ptd_part_of_two_in_three``: a window of three qualifies when
    all three are on the same side (|Σ side| = 3) and two or more are near; the near points
    of a qualifying window are flagged.
    """
    out = np.zeros(near.size, dtype=bool)
    for start in range(near.size - 2):
        window = slice(start, start + 3)
        if abs(int(side[window].sum())) == 3 and int(near[window].sum()) >= 2:
            out[window] |= near[window]
    return out


def special_causes(values, centre, lower, upper, *, run: int = 7) -> dict:
    """Flag points that break the four special-cause rules of SPC practice.

    Parameters
    ----------
    values : array_like
        The plotted series in time order.
    centre, lower, upper : array_like
        Centre line and process limits: scalars, or one per point (a p-chart's limits).
    run : int
        Length of a shift or trend, 7 as in the NHS rules.

    Returns
    -------
    dict of ndarray of bool, one entry per point
        ``outside``: the point is strictly above ``upper`` or strictly below ``lower``
        (a point exactly on a limit is inside).
        ``shift``: the point belongs to ``run`` or more consecutive points strictly on the
        same side of the centre; every point of the run is flagged, for as long as it lasts.
        A point exactly on the centre breaks the run.
        ``trend``: the point belongs to ``run`` or more consecutive points each strictly
        above (or each strictly below) the one before, i.e. ``run − 1`` consecutive rises
        (or falls); every point of the run is flagged. Equal neighbours (a tie) break the
        run. The turning point can end a rise and start a fall.
        ``two_of_three``: three consecutive points all strictly on the same side of the
        centre, at least two of them strictly beyond two-thirds of the way from the centre
        to a limit (centre + ⅔ (upper − centre), or centre − ⅔ (centre − lower)) but not
        beyond the limit itself (those are ``outside``); those near-limit points are
        flagged. A point across the centre, on it or missing breaks the window, so
        [8.5, −1, 8.5] against limits ±10 gives no signal (NHSRplotthedots'
        ``ptd_two_in_three``).
        ``any``: any of the four.
        NaN values, centres or limits never flag and break shifts and trends.

    Notes
    -----
    NHS England and NHS Improvement (2019). Making Data Count: Strengthening Your
    Decisions, rules 1–4; the 2-of-3 rule as NHSRplotthedots implements it
    (R/ptd_calculate_point_type.R, ``ptd_two_in_three``). These conventions for ties and centre-line points are this
    toolkit's; IHI run-chart rules instead skip such points rather than end the run.

    Examples
    --------
    >>> flags = special_causes([1, 2, 3, 4, 5, 6, 7, 20], 4, -6, 14)
    >>> flags["trend"].astype(int).tolist(), flags["outside"].astype(int).tolist()
    ([1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 1])
    """
    if isinstance(run, bool) or not isinstance(run, int | np.integer) or run < 2:
        _reject(f"run must be a whole number of points, 2 or more (got {run!r}), such as 7.")
    v = np.asarray(values, dtype=float).ravel()
    centre, lower, upper = (
        np.broadcast_to(np.asarray(a, dtype=float), v.shape) for a in (centre, lower, upper)
    )
    with np.errstate(invalid="ignore"):
        outside = (v > upper) | (v < lower)
        shift = _long_runs(v > centre, run) | _long_runs(v < centre, run)
        step = np.diff(v)
        trend_steps = _long_runs(step > 0, run - 1) | _long_runs(step < 0, run - 1)
        trend = np.zeros(v.size, dtype=bool)
        trend[:-1] |= trend_steps
        trend[1:] |= trend_steps
        high = v > centre + 2 / 3 * (upper - centre)
        low = v < centre - 2 / 3 * (centre - lower)
        side = np.sign(np.nan_to_num(v - centre, nan=0.0)).astype(int)
        two_of_three = _two_in_three((high | low) & ~outside, side)
    return {
        "outside": outside,
        "shift": shift,
        "trend": trend,
        "two_of_three": two_of_three,
        "any": outside | shift | trend | two_of_three,
    }


def _time_steps(t: np.ndarray) -> np.ndarray:
    """Each period's position in whole steps, so a missing period leaves a gap.

    Whole-number times count in steps of their common divisor (months 1, 2, 4 → 0, 1, 3;
    every other month 0, 2, 4 → 0, 1, 2); other times are taken as evenly spaced rows.
    """
    steps = np.arange(t.size, dtype=float)
    if t.size > 1 and np.all(t == np.round(t)):
        whole = (t - t[0]).astype(np.int64)
        steps = (whole // max(int(np.gcd.reduce(np.diff(whole))), 1)).astype(float)
    return steps


def _newey_west_meat(scores: np.ndarray, steps: np.ndarray, maxlags: int) -> np.ndarray:
    """Σ over pairs of periods up to ``maxlags`` steps apart of Bartlett-weighted xₜeₜ xₛeₛ'.

    Lags count ``steps``, not rows: across a missing period its neighbours are two apart.
    """
    meat = scores.T @ scores
    for lag in range(1, maxlags + 1):
        i, j = np.nonzero(np.subtract.outer(steps, steps) == lag)
        if i.size:
            cross = scores[i].T @ scores[j]
            meat += (1 - lag / (maxlags + 1)) * (cross + cross.T)
    return meat


def interrupted_time_series(
    y,
    t,
    event_index: int,
    *,
    maxlags: int | None = None,
    small_sample: bool = True,
) -> dict:
    """Segmented regression for an interrupted time series, with Newey–West errors.

    Fits Yₜ = β₀ + β₁t + β₂Dₜ + β₃(t − T)Dₜ by ordinary least squares, where Dₜ = 1 from
    the event on (positions ``event_index`` onwards), T = ``t[event_index]`` and the slope
    term counts time since the event (zero before it), so β₂ is the level change at the
    event and β₃ the change in slope.

    Parameters
    ----------
    y : array_like
        The outcome per period, in time order. Non-finite values are dropped with a
        warning. A dropped period stays a gap: the Newey–West lags count whole steps of
        ``t``, so its two neighbours are two apart, not adjacent (statsmodels'
        ``missing="drop"`` counts rows instead and bridges the gap).
    t : array_like
        Time of each period, finite and strictly increasing (0, 1, 2… or month numbers).
    event_index : int
        Position of the first period after the event. At least two periods with ``y``
        are needed on each side.
    maxlags : int, optional
        Bartlett-kernel truncation lag L; default ⌊4 (n/100)^(2/9)⌋ (Newey & West 1994).
        0 gives White's heteroscedasticity-robust errors.
    small_sample : bool
        Multiply the covariance by n / (n − 4) and take p-values from Student's t with
        n − 4 degrees of freedom, as Stata's ``newey`` (used in the ITS literature) does.
        ``False`` gives the uncorrected estimator with normal p-values (statsmodels'
        ``cov_type="HAC"`` defaults).

    Returns
    -------
    dict
        ``term``: ("intercept", "trend", "level_change", "slope_change");
        ``coef``, ``se``, ``t_stat``, ``p_value``: arrays of 4 in that order (β₀…β₃);
        ``maxlags``, ``n`` (periods used), ``df`` (n − 4);
        ``fitted``: the fitted segments, and ``counterfactual``: β₀ + β₁t, the pre-event
        trend carried on, both at every position of ``t``.

    Notes
    -----
    Cov = (X'X)⁻¹ S (X'X)⁻¹ with S = Σₗ wₗ Σₜ (xₜeₜ)(xₜ₋ₗeₜ₋ₗ)' over lags −L…L and
    Bartlett weights wₗ = 1 − |l|/(L + 1). Newey, W. K. & West, K. D. (1987). A simple,
    positive semi-definite, heteroskedasticity and autocorrelation consistent covariance
    matrix. Econometrica 55, 703–708; Newey & West (1994), Automatic lag selection in
    covariance matrix estimation, Review of Economic Studies 61, 631–653. Wagner, A. K.
    et al. (2002). Segmented regression analysis of interrupted time series studies in
    medication use research. J Clin Pharm Ther 27, 299–309. Linden, A. (2015). Conducting
    interrupted time-series analysis for single- and multiple-group comparisons. Stata
    Journal 15, 480–500.

    Examples
    --------
    A noiseless series with level change 2 and slope change 0.5 (REFERENCE-NUMBERS.md,
    "Interrupted time series"):

    >>> t = np.arange(24)
    >>> y = 10 + 0.3 * t + np.where(t >= 12, 2 + 0.5 * (t - 12), 0)
    >>> fit = interrupted_time_series(y, t, 12)
    >>> [round(float(b), 6) for b in fit["coef"]]
    [10.0, 0.3, 2.0, 0.5]
    """
    import warnings

    y = np.asarray(y, dtype=float).ravel()
    t = np.asarray(t, dtype=float).ravel()
    if y.shape != t.shape:
        _reject(f"y and t must have one entry per period ({y.size} and {t.size}).")
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        _reject("t must be finite and strictly increasing, one time per period in order.")
    if isinstance(event_index, bool) or not isinstance(event_index, int | np.integer):
        _reject(f"event_index must be a whole-number position (got {event_index!r}).")
    if not 0 < event_index < y.size:
        _reject(
            f"event_index {event_index} leaves no periods on one side of the event; "
            f"it must be between 1 and {y.size - 1}."
        )
    after = np.arange(y.size) >= event_index
    x_all = np.column_stack(
        [np.ones_like(t), t, after.astype(float), np.where(after, t - t[event_index], 0.0)]
    )
    keep = np.isfinite(y)
    if not keep.all():
        warnings.warn(
            f"interrupted_time_series: {int((~keep).sum())} period(s) without a value "
            "were left out.",
            stacklevel=2,
        )
    before_n, after_n = int((keep & ~after).sum()), int((keep & after).sum())
    if before_n < 2 or after_n < 2:
        _reject(
            f"interrupted_time_series needs at least 2 periods with a value before and after "
            f"the event (got {before_n} before and {after_n} after)."
        )
    x, yk = x_all[keep], y[keep]
    n, k = x.shape
    if maxlags is None:
        maxlags = int(np.floor(4 * (n / 100) ** (2 / 9)))
    if isinstance(maxlags, bool) or not isinstance(maxlags, int | np.integer) or maxlags < 0:
        _reject(f"maxlags must be a whole number, 0 or more (got {maxlags!r}).")
    maxlags = int(maxlags)

    # QR keeps the fit accurate when t is large (month numbers, years).
    q, r = np.linalg.qr(x)
    coef = np.linalg.solve(r, q.T @ yk)
    resid = yk - x @ coef
    meat = _newey_west_meat(x * resid[:, None], _time_steps(t[keep]), maxlags)
    r_inv = np.linalg.solve(r, np.eye(k))
    bread = r_inv @ r_inv.T
    cov = bread @ meat @ bread
    df = n - k
    if small_sample:
        cov = cov * (n / df if df > 0 else np.nan)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        t_stat = coef / se
    if small_sample:
        p_value = 2 * stats.t.sf(np.abs(t_stat), df) if df > 0 else np.full(k, np.nan)
    else:
        p_value = 2 * stats.norm.sf(np.abs(t_stat))
    return {
        "term": ("intercept", "trend", "level_change", "slope_change"),
        "coef": coef,
        "se": se,
        "t_stat": t_stat,
        "p_value": p_value,
        "maxlags": maxlags,
        "n": int(n),
        "df": int(df),
        "fitted": x_all @ coef,
        "counterfactual": x_all[:, :2] @ coef[:2],
    }


def cohens_kappa(table, confidence: float = 0.95) -> dict:
    """Cohen's kappa for two coders, with its large-sample interval.

    Parameters
    ----------
    table : array_like
        A square table of counts: row i, column j holds the units the first coder put in
        category i and the second in category j (same categories, same order).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    dict
        ``kappa``, ``low``, ``high``, ``se`` (the interval is kappa ± z·se),
        ``agreement`` (the observed share agreeing), ``expected`` (by chance) and ``n``.
        With no units, or chance agreement of 1 (both coders used one category), kappa
        and its interval are NaN.

    Notes
    -----
    κ = (p_o − p_e) / (1 − p_e) (Cohen 1960, Educ. Psychol. Meas. 20, 37–46). Its
    variance is the large-sample one of Fleiss, Cohen & Everitt (1969, Psychol. Bull.
    72, 323–327), as in Fleiss, Levin & Paik (2003, §18.1) and SAS PROC FREQ's ASE:

    Var(κ) = [Σ_i p_ii (1 − (p_i· + p_·i)(1 − κ))² + (1 − κ)² Σ_{i≠j} p_ij (p_·i + p_j·)²
    − (κ − p_e (1 − κ))²] / [n (1 − p_e)²].

    Examples
    --------
    SAS/STAT's worked example (PROC FREQ, "Agreement Study": two dermatologists rate
    88 patients) gives κ = 0.3449 with 95% limits 0.2030 and 0.4868:

    >>> skin = [[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]]
    >>> k = cohens_kappa(skin)
    >>> round(k["kappa"], 4), round(k["low"], 4), round(k["high"], 4)
    (0.3449, 0.203, 0.4868)
    """
    counts = np.asarray(table, dtype=float)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        _reject(f"cohens_kappa needs a square table of counts (got shape {counts.shape}).")
    n = float(counts.sum())
    nan = {"kappa": np.nan, "low": np.nan, "high": np.nan, "se": np.nan}
    if n <= 0:
        return {**nan, "agreement": np.nan, "expected": np.nan, "n": 0}
    p = counts / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    observed, expected = float(np.trace(p)), float(rows @ cols)
    if expected >= 1:
        return {**nan, "agreement": observed, "expected": expected, "n": int(n)}
    kappa = (observed - expected) / (1 - expected)
    diagonal = np.diag(p) * (1 - (rows + cols) * (1 - kappa)) ** 2
    off = p * (cols[:, None] + rows[None, :]) ** 2  # cell (i, j): p_·i + p_j·
    np.fill_diagonal(off, 0)
    variance = (
        diagonal.sum() + (1 - kappa) ** 2 * off.sum() - (kappa - expected * (1 - kappa)) ** 2
    ) / (n * (1 - expected) ** 2)
    se = float(np.sqrt(max(variance, 0.0)))
    z = z_value(confidence)
    return {
        "kappa": kappa,
        "low": kappa - z * se,
        "high": kappa + z * se,
        "se": se,
        "agreement": observed,
        "expected": expected,
        "n": int(n),
    }
