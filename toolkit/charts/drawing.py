"""Whether a chart can be drawn, checked before anyone opens the page (issue #15).

A report's charts are drawn by Vega in the reader's browser, so a chart Vega refuses
would only show "Chart could not be drawn" on the page while the run said all was
well. The report runner therefore draws every chart of an executed notebook once with
vl-convert (the same Vega the page inlines, see :mod:`toolkit.charts._vega_bundle`) and
fails the report, naming the chart, when one does not draw (:func:`chart_problem`).

Text from the data that Vega cannot draw is cleaned out of every chart first
(:func:`drawable`): a line or paragraph separator (U+2028, U+2029) ends a string inside
a Vega expression, and Vega-Lite writes sort orders as expressions, so one customer
name holding one stopped the whole chart.

No Altair here: the runner imports this module without paying for Altair.

vl-convert is called only through :func:`vega` (one call at a time in a process): two
threads in vl-convert at once (a batch's two report threads, or the warm-up beside a
check) deadlocked, each holding what the other waited for.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

__all__ = ["chart_problem", "chart_text", "drawable", "report_chart_specs", "vega", "warm_up"]

_VEGA = threading.Lock()


def vega(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``vl_convert.<name>`` with the process's one vl-convert lock held.

    Waiting on a Python lock gives up the GIL, so a thread waiting here cannot block the
    thread inside vl-convert (which needs the GIL to hand its result back).

    >>> vega("vegalite_to_vega", {"mark": "point"})["marks"][0]["type"]
    'symbol'
    """
    import vl_convert

    with _VEGA:
        return getattr(vl_convert, name)(*args, **kwargs)


#: Characters a chart cannot draw: separators (they become a space) and control
#: characters other than tab, line feed and carriage return (they go).
_UNDRAWABLE = re.compile("[\u2028\u2029\u0085\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_AS_SPACE = "\u2028\u2029\u0085"


def drawable(spec: Any) -> Any:
    r"""``spec`` with every string cleaned of characters a chart cannot draw.

    The same cleaning reaches the data, the sort orders and the labels, so they still
    match each other. Applied to every chart a report or a form draws.

    >>> drawable({"sort": ["a\u2028b", "c\x00"], "n": 1, "rtl": "\u200fא"})
    {'sort': ['a b', 'c'], 'n': 1, 'rtl': '\u200fא'}
    """
    if isinstance(spec, str):
        if not _UNDRAWABLE.search(spec):
            return spec
        return _UNDRAWABLE.sub(lambda m: " " if m.group() in _AS_SPACE else "", spec)
    if isinstance(spec, dict):
        return {drawable(k): drawable(v) for k, v in spec.items()}
    if isinstance(spec, list | tuple):
        return [drawable(v) for v in spec]
    return spec


def _undrawable_character(spec: Any) -> str | None:
    """The first character :func:`drawable` would clean out of ``spec``, if any."""
    if isinstance(spec, str):
        match = _UNDRAWABLE.search(spec)
        return match.group() if match else None
    parts = [*spec.keys(), *spec.values()] if isinstance(spec, dict) else spec
    if isinstance(parts, list | tuple):
        for part in parts:
            found = _undrawable_character(part)
            if found is not None:
                return found
    return None


def chart_text(spec: dict[str, Any]) -> str:
    """Return a one-line text stand-in for a chart: its title and description.

    Parameters
    ----------
    spec : dict
        A Vega-Lite spec.

    Returns
    -------
    str
        ``"Chart: <title> — <description>"`` with whichever parts the spec has.
    """
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(part) for part in title)
    parts = [str(part) for part in (title, spec.get("description")) if part]
    return "Chart: " + " — ".join(parts) if parts else "Chart"


#: How :func:`toolkit.charts.theme.report_renderer` writes a chart's spec and options.
_SPEC_IN_HTML = re.compile(r"\n  var spec = (.*?);\n  var opt = (.*?);\n", re.DOTALL)


def report_chart_specs(html: str) -> list[tuple[dict[str, Any], str]]:
    """The ``(spec, mode)`` of each chart the report renderer wrote into ``html``."""
    found = []
    for match in _SPEC_IN_HTML.finditer(html):
        options = json.loads(match.group(2))
        found.append((json.loads(match.group(1)), options.get("mode", "vega-lite")))
    return found


def chart_problem(spec: dict[str, Any], mode: str = "vega-lite") -> str | None:
    """Draw ``spec`` as the report's page would (Vega, in vl-convert); say why it failed.

    Returns None when the chart draws, else one line: the chart's title and description
    (:func:`chart_text`) and the first line of the error Vega gave (or the character
    :func:`drawable` would have cleaned).
    """
    odd = _undrawable_character(spec)
    if odd is not None:  # not drawn: vl-convert aborts the whole process on a NUL in SVG text
        return f"{chart_text(spec)}: its text holds U+{ord(odd):04X}, which Vega cannot draw"
    # The scene graph is the drawing short of writing SVG: every expression parsed and run.
    draw = "vega_to_scenegraph" if mode == "vega" else "vegalite_to_scenegraph"
    try:
        vega(draw, spec)
    except Exception as err:  # noqa: BLE001 - vl-convert raises plain ValueErrors
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        lines = [line for line in lines if not line.endswith("conversion failed:")] or ["?"]
        return f"{chart_text(spec)}: {lines[0].removeprefix('Error: ')[:300]}"
    return None


def warm_up() -> threading.Thread:
    """Start vl-convert's Vega in the background (about a second, the GIL released).

    The runner calls it as the reports start, so the first chart check does not wait.
    """

    def start() -> None:
        vega("vegalite_to_vega", {"mark": "point"})

    thread = threading.Thread(target=start, name="vega-warm-up", daemon=True)
    thread.start()
    return thread
