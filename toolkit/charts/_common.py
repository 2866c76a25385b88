"""What the chart modules share: ink colours, Vega literals, wrapped axis labels, flags."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable

import pandas as pd

__all__ = ["INK", "LIGHT", "MUTED", "flag", "js", "wrap_labels"]

INK = "#222222"
MUTED = "#666666"
LIGHT = "#bbbbbb"


def js(value) -> str:
    """A Python value as a Vega expression literal (JSON is valid there).

    Examples
    --------
    >>> js("left"), js({"a": ["x", ""]})
    ('"left"', '{"a": ["x", ""]}')
    """
    return json.dumps(value, ensure_ascii=False)


def wrap_labels(labels: Iterable[str], width: int) -> tuple[str, int]:
    """A ``labelExpr`` that breaks long axis labels into lines, and the number of lines.

    Vega cannot wrap text itself; an array label draws one line per element, downwards
    from the label's position. Every label gets the same number of lines (short ones
    padded with empty lines in front) so that, on a top axis moved up by
    ``labelPadding``, they all end just above the plot.

    Examples
    --------
    >>> wrap_labels(["Milk", "Bread"], 10)
    ('datum.label', 1)
    >>> wrap_labels(["Milk", "Fresh bread"], 6)[1]
    2
    """
    wrapped = {str(label): textwrap.wrap(str(label), width) or [""] for label in labels}
    n_lines = max((len(lines) for lines in wrapped.values()), default=1)
    if n_lines == 1:
        return "datum.label", 1
    padded = {label: [""] * (n_lines - len(lines)) + lines for label, lines in wrapped.items()}
    return f"{js(padded)}[datum.label] || datum.label", n_lines


def flag(series: pd.Series) -> pd.Series:
    """A ``suppressed`` column as plain booleans (missing counts as not suppressed).

    Examples
    --------
    >>> flag(pd.Series([True, None, False])).tolist()
    [True, False, False]
    """
    return series.astype("boolean").fillna(False).astype(bool)
