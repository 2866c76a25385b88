"""What the chart modules share: ink colours, Vega literals, wrapped axis labels, flags."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterable, Mapping

import altair as alt
import pandas as pd

__all__ = [
    "INK",
    "LIGHT",
    "MUTED",
    "corner_names",
    "crosshairs",
    "flag",
    "js",
    "tips",
    "wrap_labels",
]

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


def tips(*fields: tuple[str, str] | alt.Tooltip) -> list[alt.Tooltip]:
    """Tooltips that show fields as they are (text), one per ``(field, title)``.

    A ready-made ``alt.Tooltip`` (a number with its format, say) is kept as it is.

    Examples
    --------
    >>> [tip.to_dict() for tip in tips(("n_said", "Respondents (n)"))]
    [{'field': 'n_said', 'title': 'Respondents (n)', 'type': 'nominal'}]
    """
    return [
        tip
        if isinstance(tip, alt.Tooltip)
        else alt.Tooltip(field=tip[0], type="nominal", title=tip[1])
        for tip in fields
    ]


def wrapped_lines(lines: Iterable[str], width: int = 100) -> list[str]:
    """Subtitle lines broken at ``width`` characters: Vega does not wrap titles.

    >>> wrapped_lines(["one two three", "four"], 8)
    ['one two', 'three', 'four']
    """
    return [part for line in lines for part in textwrap.wrap(line, width) or [""]]


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


def grid_axes(
    scale: alt.Scale, axis: alt.Axis, *, across: str, up: str
) -> tuple[Callable[[str], alt.X], Callable[[str], alt.Y]]:
    """Position encodings for a grid of two ratings: ``x(field)`` across, ``y(field)`` up.

    Both run on one ``scale`` and ``axis``, titled ``across`` and ``up``.

    Examples
    --------
    >>> x, y = grid_axes(alt.Scale(domain=[1, 5]), alt.Axis(), across="Interest", up="Power")
    >>> x("interest").to_dict()["title"], y("power").to_dict()["field"]
    ('Interest', 'power')
    """

    def x(field: str) -> alt.X:
        return alt.X(field=field, type="quantitative", scale=scale, title=across, axis=axis)

    def y(field: str) -> alt.Y:
        return alt.Y(field=field, type="quantitative", scale=scale, title=up, axis=axis)

    return x, y


def crosshairs(frame: pd.DataFrame, x: alt.X, y: alt.Y) -> list[alt.Chart]:
    """The two dashed lines that split a grid into quadrants, at the one row of ``frame``.

    Examples
    --------
    >>> at = alt.X(field="at", type="quantitative")
    >>> rules = crosshairs(pd.DataFrame({"at": [3.0]}), at, alt.Y(field="at"))
    >>> [sorted(rule.to_dict()["encoding"]) for rule in rules]
    [['x'], ['y']]
    """
    cross = alt.Chart(frame)
    return [
        cross.mark_rule(strokeDash=[6, 4], color="#555555", strokeWidth=1.5).encode(x=x),
        cross.mark_rule(strokeDash=[6, 4], color="#555555", strokeWidth=1.5).encode(y=y),
    ]


def corner_names(
    frame: pd.DataFrame,
    x: alt.X,
    y: alt.Y,
    corners: Iterable[tuple[str, str, str, int, int]],
    *,
    colours: Mapping[str, str] | None = None,
    **mark,
) -> list[alt.Chart]:
    """A bold name in each corner of a quadrant grid, one text layer per corner.

    ``frame`` holds a ``quadrant`` column and the corners' positions for ``x`` and
    ``y``; ``corners`` gives each quadrant's ``(name, align, baseline, dx, dy)``. Each
    name is drawn in its colour from ``colours`` when given; ``mark`` adds to the
    text mark's properties.

    Examples
    --------
    >>> frame = pd.DataFrame({"quadrant": ["Monitor"], "at": [1.0]})
    >>> x, y = alt.X(field="at", type="quantitative"), alt.Y(field="at")
    >>> [name] = corner_names(frame, x, y, [("Monitor", "left", "bottom", 6, -6)])
    >>> name.to_dict()["mark"]["fontWeight"]
    'bold'
    """
    chart = alt.Chart(frame)
    return [
        chart.transform_filter(f"datum.quadrant == {js(name)}")
        .mark_text(
            align=align, baseline=baseline, dx=dx, dy=dy, fontSize=14, fontWeight="bold", **mark
        )
        .encode(
            x=x,
            y=y,
            text=alt.Text(field="quadrant", type="nominal"),
            **({} if colours is None else {"color": alt.value(colours[name])}),
        )
        for name, align, baseline, dx, dy in corners
    ]
