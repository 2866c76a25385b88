"""Numbers and lists in words for people: shares, intervals, counts, missing values.

Shared by the chart builders and the report notebooks, so a share reads the same in a
tooltip as in a sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = [
    "DASH",
    "count_words",
    "fmt_number",
    "is_missing",
    "join_words",
    "level_words",
    "pct",
    "pct_range",
]

DASH = "–"


def is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def pct(share: object) -> str:
    """Format a share in [0, 1] as a whole percentage for people.

    Shares that round to 0 % or 100 % without being exactly that read ``<1%`` and
    ``>99%``; missing values read ``–``.

    Examples
    --------
    >>> pct(0.3682), pct(0.004), pct(1.0), pct(None)
    ('37%', '<1%', '100%', '–')
    """
    if is_missing(share):
        return DASH
    value = float(share)
    if 0 < value < 0.005:
        return "<1%"
    if 0.995 <= value < 1:
        return ">99%"
    return f"{value:.0%}"


def pct_range(low: object, high: object) -> str:
    return DASH if is_missing(low) or is_missing(high) else f"{pct(low)}–{pct(high)}"


def fmt_number(value: object, decimals: int = 2) -> str:
    if is_missing(value):
        return DASH
    text = f"{float(value):.{decimals}f}"
    return text.replace("-", "−") if text.startswith("-") else text


def level_words(confidence: object) -> str:
    value = 0.95 if is_missing(confidence) else float(confidence)
    return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"


def count_words(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def join_words(items: Sequence[str], limit: int | None = None) -> str:
    items = list(items)
    more = 0
    if limit is not None and len(items) > limit:
        items, more = items[:limit], len(items) - limit
    if more:
        return ", ".join(items) + f" and {more} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
