"""Numbers and lists in words for people: shares, signs, p-values, intervals, counts, lists.

The only place the toolkit puts a number into words for a report or a chart: report
text, report tables (:func:`toolkit.reports.context.show_table`) and chart tooltips and
labels all come through here, so a share reads the same in a tooltip as in a sentence.
The rules:

- a share below 1% but above 0 reads ``<1%`` (and one above 99% but below 1, ``>99%``);
- a negative number carries the true minus sign ``−`` (U+2212), and a value that rounds
  to zero carries no sign at all (never ``−0`` or ``+0.00``);
- a p-value reads ``p < 0.001`` or with three decimals, ``p = 0.034``;
- a missing value reads ``–``.

``service-toolkit table`` and ``export`` do not come through here: they keep full
precision and the ASCII minus.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import pandas as pd

__all__ = [
    "DASH",
    "MINUS",
    "count_of_words",
    "count_words",
    "difference_words",
    "estimate_words",
    "fmt_count",
    "fmt_number",
    "fmt_whole",
    "gap_words",
    "is_missing",
    "join_words",
    "importance_words",
    "level_words",
    "list_words",
    "mean_words",
    "p_value",
    "p_words",
    "pct",
    "pct_range",
    "points",
    "share_words",
    "signed",
]

DASH = "–"
MINUS = "−"  # U+2212, the true minus sign


def is_missing(value: object) -> bool:
    """Whether ``value`` is missing (``None``, NaN, ``pd.NA``, ``NaT``).

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(0), is_missing("x")
    (True, True, False, False)
    """
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def signed(text: str) -> str:
    """Put the true minus sign on a formatted number, and no sign on a zero.

    ``text`` is a number already formatted (by ``format``); a leading ASCII ``-``
    becomes ``−`` and a number whose digits are all zero loses its sign.

    Examples
    --------
    >>> signed("-40"), signed("-0.00"), signed("+0"), signed("+12"), signed("-1,200")
    ('−40', '0.00', '0', '+12', '−1,200')
    """
    if text[:1] in "+-" and not any(ch in "123456789" for ch in text):
        return text[1:]
    return MINUS + text[1:] if text.startswith("-") else text


def pct(share: object) -> str:
    """Format a share in [0, 1] as a whole percentage for people.

    Shares that round to 0 % or 100 % without being exactly that read ``<1%`` and
    ``>99%``; missing values read ``–``.

    Examples
    --------
    >>> pct(0.3682), pct(0.004), pct(0.0), pct(1.0), pct(0.999), pct(None)
    ('37%', '<1%', '0%', '100%', '>99%', '–')
    """
    if is_missing(share):
        return DASH
    value = float(share)
    if 0 < value < 0.005:
        return "<1%"
    if 0.995 <= value < 1:
        return ">99%"
    return signed(f"{value:.0%}")


def pct_range(low: object, high: object) -> str:
    """Two shares as a range, ``31%–43%``; ``–`` when either is missing.

    Examples
    --------
    >>> pct_range(0.307, 0.434), pct_range(0.001, 0.02), pct_range(None, 0.2)
    ('31%–43%', '<1%–2%', '–')
    """
    return DASH if is_missing(low) or is_missing(high) else f"{pct(low)}–{pct(high)}"


def fmt_number(value: object, decimals: int = 2) -> str:
    """A number with fixed decimals and the true minus sign; ``–`` when missing.

    Examples
    --------
    >>> fmt_number(3.14159), fmt_number(-0.4, 1), fmt_number(-0.001), fmt_number(None)
    ('3.14', '−0.4', '0.00', '–')
    """
    if is_missing(value):
        return DASH
    return signed(f"{float(value):.{decimals}f}")


def fmt_whole(value: object) -> str:
    """A number in its shortest form (``4``, ``2.5``, ``−3``); ``–`` when missing.

    Examples
    --------
    >>> fmt_whole(4.0), fmt_whole(2.5), fmt_whole(-3), fmt_whole(None)
    ('4', '2.5', '−3', '–')
    """
    return DASH if is_missing(value) else signed(f"{float(value):g}")


def fmt_count(value: object) -> str:
    """A whole number with thousands separators and the true minus sign.

    Examples
    --------
    >>> fmt_count(1234), fmt_count(-40), fmt_count(12.0), fmt_count(None)
    ('1,234', '−40', '12', '–')
    >>> fmt_count(12345678901234567)  # integers exactly, past a float's 2**53
    '12,345,678,901,234,567'
    """
    if is_missing(value):
        return DASH
    if isinstance(value, numbers.Integral):
        return signed(f"{int(value):,}")
    return signed(f"{float(value):,.0f}")


def points(value: object) -> str:
    """A difference of two shares in percentage points, signed: ``0.18`` → ``+18``.

    Examples
    --------
    >>> points(0.18), points(-0.05), points(0.001), points(None)
    ('+18', '−5', '0', '–')
    """
    return DASH if is_missing(value) else signed(f"{float(value) * 100:+.0f}")


def level_words(confidence: object) -> str:
    """A confidence level as a percentage (95% when missing).

    Examples
    --------
    A level below 100% never prints as 100%: a Bonferroni level keeps the decimals it needs.

    >>> level_words(0.95), level_words(0.995), level_words(None)
    ('95%', '99.5%', '95%')
    >>> level_words(1 - 0.05 / 3), level_words(1 - 0.05 / 435)
    ('98.3%', '99.99%')
    """
    value = 0.95 if is_missing(confidence) else float(confidence)
    decimals = 1
    while decimals < 6 and value < 1 and round(value * 100, decimals) >= 100:
        decimals += 1
    return f"{value * 100:.{decimals}f}".rstrip("0").rstrip(".") + "%"


def share_words(share: object, low: object, high: object, confidence: object) -> str:
    """A share and its interval: ``60% (95% interval 49%–70%)``.

    Examples
    --------
    >>> share_words(0.6, 0.49, 0.7, 0.95)
    '60% (95% interval 49%–70%)'
    >>> share_words(0.003, 0.0, 0.02, 0.9), share_words(None, 0, 1, 0.95)
    ('<1% (90% interval 0%–2%)', 'not available')
    """
    if is_missing(share):
        return "not available"
    return f"{pct(share)} ({level_words(confidence)} interval {pct(low)}–{pct(high)})"


def gap_words(gap: object, low: object, high: object, confidence: object) -> str:
    """A difference of shares and its interval, in points.

    Examples
    --------
    >>> gap_words(0.58, 0.47, 0.68, 0.95)
    '+58 points (95% interval +47 to +68)'
    >>> gap_words(-0.1, -0.2, 0.001, 0.95)
    '−10 points (95% interval −20 to 0)'
    """
    if is_missing(gap):
        return "not available"
    return (
        f"{points(gap)} points ({level_words(confidence)} interval {points(low)} to {points(high)})"
    )


def count_of_words(n: object, total: object, who: str) -> str:
    """``48 of 80 customers``; ``not available`` when either count is missing.

    Examples
    --------
    >>> count_of_words(48, 80, "customers"), count_of_words(1200, 3400.0, "staff")
    ('48 of 80 customers', '1,200 of 3,400 staff')
    """
    if is_missing(n) or is_missing(total):
        return "not available"
    return f"{fmt_count(n)} of {fmt_count(total)} {who}"


def mean_words(mean: object, low: object, high: object) -> str:
    """A mean rating and its interval, one decimal; ``not rated`` when missing.

    Examples
    --------
    >>> mean_words(4.21, 3.9, 4.52), mean_words(None, None, None)
    ('4.2 (interval 3.9–4.5)', 'not rated')
    """
    if is_missing(mean):
        return "not rated"
    return f"{fmt_number(mean, 1)} (interval {fmt_number(low, 1)}–{fmt_number(high, 1)})"


def importance_words(mean: object, low: object, high: object, n: object) -> str:
    """A mean importance rating on the 1–5 scale with its interval and its ratings.

    Examples
    --------
    >>> importance_words(4.62, 4.3, 4.9, 12)
    '4.6 (interval 4.3–4.9) out of 5 from 12 ratings'
    >>> importance_words(3.0, float("nan"), float("nan"), 1)
    '3.0 out of 5 from 1 rating'
    """
    said = mean_words(mean, low, high) if not is_missing(low) else fmt_number(mean, 1)
    return f"{said} out of 5 from {count_words(int(n), 'rating')}"


def estimate_words(value: object, measure: str) -> str:
    """An estimate as people read it: ``3.62``, ``58%``, ``+12``; missing → ``–``.

    ``measure`` is ``"top_box"`` (a share), ``"nps"`` (a signed score) or a mean.

    Examples
    --------
    >>> estimate_words(0.584, "top_box"), estimate_words(-8.95, "nps"), estimate_words(3.6, "mean")
    ('58%', '−9', '3.60')
    >>> estimate_words(0.2, "nps"), estimate_words(0.004, "top_box")
    ('0', '<1%')
    """
    if is_missing(value):
        return DASH
    value = float(value)
    if measure == "top_box":
        return pct(value)
    if measure == "nps":
        return signed(f"{value:+.0f}")
    return fmt_number(value, 2)


def difference_words(value: object, measure: str, *, unit: bool = True) -> str:
    """A change as people read it: ``+0.43``, ``−12 points``, ``+1 point``; missing → ``–``.

    ``unit=False`` leaves out "points" (for the ends of an interval).

    Examples
    --------
    >>> difference_words(0.43, "mean"), difference_words(-0.12, "top_box"), difference_words(1, "nps")
    ('+0.43', '−12 points', '+1 point')
    >>> difference_words(-0.001, "mean"), difference_words(-0.3, "nps", unit=False)
    ('0.00', '0')
    """
    if is_missing(value):
        return DASH
    value = float(value)
    if measure in ("top_box", "nps"):
        amount = value * 100 if measure == "top_box" else value
        word = (" point" if round(abs(amount)) == 1 else " points") if unit else ""
        return signed(f"{amount:+.0f}") + word
    return signed(f"{value:+.2f}")


def p_value(p: object) -> str:
    """A p-value for a table cell: ``<0.001`` or three decimals; ``–`` when missing.

    Examples
    --------
    >>> p_value(8.5e-05), p_value(0.0009), p_value(0.0341), p_value(1.0), p_value(None)
    ('<0.001', '<0.001', '0.034', '1.000', '–')
    """
    if is_missing(p):
        return DASH
    value = float(p)
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def p_words(p: object) -> str:
    """A p-value in a sentence: ``p < 0.001`` or ``p = 0.034``.

    Examples
    --------
    >>> p_words(8.5e-05), p_words(0.0341), p_words(None)
    ('p < 0.001', 'p = 0.034', 'p not available')
    """
    if is_missing(p):
        return "p not available"
    text = p_value(p)
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"


def count_words(n: int, word: str, plural: str | None = None) -> str:
    """A count and its noun, plural when needed.

    Examples
    --------
    >>> count_words(1, "need"), count_words(1200, "customer"), count_words(2, "city", "cities")
    ('1 need', '1,200 customers', '2 cities')
    """
    return f"{fmt_count(n)} {word if n == 1 else (plural or word + 's')}"


def join_words(items: Sequence[object], limit: int | None = None, *, empty: str = "") -> str:
    """``a, b and c``; beyond ``limit`` items, the first ones and ``and 3 more``.

    Parameters
    ----------
    items : sequence
        The items, each shown as ``str(item)``.
    limit : int, optional
        Show at most this many items.
    empty : str
        What an empty list reads (default the empty string).

    Examples
    --------
    >>> join_words(["a", "b", "c"]), join_words(["a"]), join_words([], empty="none")
    ('a, b and c', 'a', 'none')
    >>> join_words(list("abcde"), limit=3)
    'a, b, c and 2 more'
    """
    items = [str(item) for item in items]
    if not items:
        return empty
    more = 0
    if limit is not None and len(items) > limit:
        items, more = items[:limit], len(items) - limit
    if more:
        return ", ".join(items) + f" and {more} more"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def list_words(items: Sequence[object], limit: int | None = None) -> str:
    """Like :func:`join_words`, but an empty list reads ``none`` (for chart notes).

    Examples
    --------
    >>> list_words(["'A'", "'B'"]), list_words([]), list_words(list("abc"), 2)
    ("'A' and 'B'", 'none', 'a, b and 1 more')
    """
    return join_words(items, limit, empty="none")
