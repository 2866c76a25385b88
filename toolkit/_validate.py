"""Argument checks shared by the analysis functions; each words its error for a person."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from toolkit.errors import DataValidationError

__all__ = ["require_columns", "check_choice", "check_fraction", "check_positive_int"]


def require_columns(
    data: pd.DataFrame, columns: Iterable[str | None], *, name: str = "data"
) -> None:
    """Raise if ``data`` lacks any of ``columns`` (None entries are skipped)."""
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(f"{name} must be a pandas DataFrame, not {type(data).__name__}.")
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        have = ", ".join(map(str, data.columns)) or "no columns"
        raise DataValidationError(
            f"{name} has no column {', '.join(repr(m) for m in missing)}; it has: {have}. "
            "Pass the right column name, or add the column."
        )


def check_choice(value, choices: Iterable, *, name: str):
    """Raise unless ``value`` is one of ``choices``; return it."""
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise DataValidationError(f"{name} must be one of {listed} (got {value!r}).")
    return value


def check_fraction(value, *, name: str, inclusive: bool = True) -> float:
    """Raise unless ``value`` is a number in [0, 1] (or (0, 1) when not inclusive)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    ok = 0 <= number <= 1 if inclusive else 0 < number < 1
    if not ok:
        span = "from 0 to 1" if inclusive else "between 0 and 1"
        raise DataValidationError(f"{name} must be a number {span} (got {value!r}).")
    return number


def check_positive_int(value, *, name: str, minimum: int = 1) -> int:
    """Raise unless ``value`` is a whole number of at least ``minimum``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value != int(value)
        or value < minimum
    ):
        raise DataValidationError(
            f"{name} must be a whole number of at least {minimum} (got {value!r})."
        )
    return int(value)
