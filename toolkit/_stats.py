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
    "effective_n",
    "correlation_interval",
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
        p1, p2 = x1 / n1, x2 / n2
        l1, u1 = wilson(x1, n1, confidence)
        l2, u2 = wilson(x2, n2, confidence)
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


def effective_n(weights) -> float:
    """Kish's effective sample size (Σw)² / Σw².

    >>> effective_n([1, 1, 1, 1]), round(effective_n([1, 2, 3]), 4)
    (4.0, 2.5714)
    """
    w = np.asarray(weights, dtype=float)
    w = w[np.isfinite(w)]
    total = (w**2).sum()
    return float(w.sum() ** 2 / total) if total > 0 else 0.0


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
