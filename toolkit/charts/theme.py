"""The toolkit's Altair theme and its one display path for charts, online or not.

A notebook opts in with one call before it draws anything::

    from toolkit.charts.theme import enable_charts
    enable_charts(interactive=interactive)

``interactive=True`` (JupyterLab, Voilà: a live kernel)
    Altair's ``jupyter`` renderer with ``offline=True``: every chart is an anywidget
    ``JupyterChart`` whose JavaScript (Vega, Vega-Lite, vega-embed) comes bundled from
    vl-convert through the kernel, so nothing is fetched from a CDN. Altair's default
    ``html`` renderer loads Vega from jsdelivr, and JupyterLab 4 has no Vega-Lite 6
    mimetype renderer, so neither of those is usable offline.

``interactive=False`` (a papermill report run)
    The toolkit renderer ``"service-toolkit-report"``. Each chart becomes a small
    ``text/html`` output: a ``<div>`` and a ``<script>`` that calls
    ``window.vegaEmbed(el, spec, {actions: false, ...})``. The output holds no URL and no
    Vega code; the report template inlines :func:`vega_script` once in the page's
    ``<head>`` and every chart draws against that one copy (about 0.9 MB per report
    instead of per chart). Until the global exists the script waits for the page's
    ``load`` event; on a page that never loads it (JupyterLab showing a trusted
    output notebook, say) the ``<div>`` says so in words instead of failing silently.

Why the report output has no ``application/vnd.vegalite.v6+json`` entry
    nbconvert's ``HTMLExporter`` picks one representation per output by
    ``display_data_priority`` (widget view, JavaScript, ``text/html``, markdown, SVG, …);
    no Vega-Lite mimetype is on that list, so the spec would be dropped from the HTML
    anyway while doubling the size of every executed notebook. Worse, an exporter or
    frontend that later learns to prefer that mimetype (JupyterLab 4.6 knows only
    Vega-Lite ≤ 5; Altair itself spells it ``application/vnd.vegalite.v6.json``) would
    bypass the inlined bundle and could load Vega from a CDN, a path no test covers.
    The plain-text entry carries the chart's title and description for text exports;
    the spec itself stays recoverable from the ``<script>``.

Embed options
    Reports use ``alt.renderers.set_embed_options(actions=False)``: the "…" menu links to
    the online Vega editor. In JupyterLab/Voilà the menu keeps only "Save as SVG/PNG".
    Note that ``alt.renderers.set_embed_options`` *replaces* the active renderer's options:
    called after ``enable_charts()`` in a live kernel it silently drops ``offline=True``
    and the next chart loads from esm.sh. Pass embed options to the renderer instead.

The theme ``"service-toolkit"`` is registered on import but enabled only by
:func:`enable_charts`, so importing the toolkit never restyles a user's own charts.
"""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import altair as alt

from toolkit.charts._vega_bundle import _js_json, vega_script
from toolkit.charts.drawing import chart_text, drawable, vega

__all__ = [
    "BLACK",
    "BLUE",
    "GREEN",
    "OKABE_ITO",
    "ORANGE",
    "PURPLE",
    "SKY",
    "VERMILLION",
    "YELLOW",
    "REPORT_RENDERER",
    "THEME",
    "chart_svg_html",
    "enable_charts",
    "report_renderer",
    "theme_config",
    "vega_script",
]

THEME = "service-toolkit"
"""Name under which the toolkit theme is registered with ``alt.theme``."""

REPORT_RENDERER = "service-toolkit-report"
"""Name under which :func:`report_renderer` is registered with ``alt.renderers``."""

OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow (weak on white: late in the cycle)
    "#000000",  # black
)
"""Okabe & Ito (2008) colour-blind-safe palette, ordered for contrast on white.

Source: Okabe, M. & Ito, K., "Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people", https://jfly.uni-koeln.de/color/.
"""

BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, BLACK = OKABE_ITO
"""The palette's colours by name, for charts that give a colour a meaning."""

_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_INK = "#222222"
_MUTED = "#555555"

# Interactive charts keep "Save as SVG/PNG" but lose the links to the online editor.
_INTERACTIVE_ACTIONS = {"export": True, "source": False, "compiled": False, "editor": False}

# Lines vega-embed's action menu would show that point outside; reports show none.
# SVG rather than canvas: crisp when a report is printed or zoomed.
_REPORT_EMBED_DEFAULTS: dict[str, Any] = {"actions": False, "renderer": "svg"}

_ids = itertools.count(1)


@alt.theme.register(THEME, enable=False)
def theme_config() -> alt.theme.ThemeConfig:
    """Return the toolkit's Altair theme.

    Returns
    -------
    alt.theme.ThemeConfig
        A Vega-Lite ``config`` (inside a dict with the single key ``"config"``): the
        Okabe–Ito palette as ``range.category``, fonts of 12 px or more, a fixed
        480 × 300 px view for continuous axes, 40 px per category on discrete axes,
        and a white background.

    Notes
    -----
    Registered under :data:`THEME` with ``enable=False``; :func:`enable_charts` enables it.
    The view size is fixed rather than ``width="container"``, which collapses in
    JupyterLab outputs that have no fixed-width parent (altair#2057).

    Examples
    --------
    >>> theme_config()["config"]["range"]["category"][0]
    '#0072B2'
    """
    return {
        "config": {
            "background": "white",
            "font": _FONT,
            "padding": 8,
            "view": {
                "continuousWidth": 480,
                "continuousHeight": 300,
                "step": 40,
                "stroke": None,
            },
            "range": {"category": list(OKABE_ITO)},
            "mark": {"color": OKABE_ITO[0]},
            "title": {
                "fontSize": 16,
                "subtitleFontSize": 13,
                "anchor": "start",
                "color": _INK,
                "subtitleColor": _MUTED,
            },
            "axis": {
                "labelFontSize": 12,
                "titleFontSize": 13,
                "labelColor": _INK,
                "titleColor": _INK,
                "titleFontWeight": "normal",
                "gridColor": "#e6e6e6",
            },
            "legend": {
                "labelFontSize": 12,
                "titleFontSize": 13,
                "labelColor": _INK,
                "titleColor": _INK,
                "titleFontWeight": "normal",
                "symbolSize": 120,
            },
            "header": {"labelFontSize": 13, "titleFontSize": 14, "labelColor": _INK},
            "text": {"fontSize": 12, "color": _INK},
        }
    }


def report_renderer(spec: dict[str, Any], **metadata: Any) -> dict[str, str]:
    """Render a chart for a static report that loads :func:`vega_script` once.

    Registered with ``alt.renderers`` as :data:`REPORT_RENDERER`; Altair calls it with the
    chart's ``to_dict()`` and the renderer options.

    Parameters
    ----------
    spec : dict
        The Vega-Lite spec (data inlined).
    **metadata
        Renderer options; ``embed_options`` (as set by
        ``alt.renderers.set_embed_options``) is merged over
        ``{"actions": False, "renderer": "svg"}``.

    Returns
    -------
    dict of str to str
        A mimebundle with ``text/html`` (a ``<div class="tk-chart">`` and a ``<script>``
        calling ``window.vegaEmbed``) and ``text/plain`` (title and description). No URL
        and no Vega code: the spec's ``$schema`` URL is dropped and the mode given
        explicitly instead.

    Notes
    -----
    Element ids come from a hash of the spec and a per-process counter, so re-running
    the same notebook gives the same output. The script draws at once when
    ``window.vegaEmbed`` exists, otherwise after the page's ``load`` event; if it still
    does not exist, the ``<div>`` explains that in text.

    Examples
    --------
    >>> bundle = report_renderer({"mark": "point", "description": "Nothing yet"})
    >>> sorted(bundle)
    ['text/html', 'text/plain']
    >>> bundle["text/plain"]
    'Chart: Nothing yet'
    """
    mode = "vega-lite"
    from altair.utils._vegafusion_data import compile_with_vegafusion, using_vegafusion

    if using_vegafusion():  # pre-aggregated in Python: the spec becomes plain Vega
        spec = compile_with_vegafusion(spec)
        mode = "vega"
    # toolkit.charts.drawing.report_chart_specs reads the spec back from this script.
    spec = drawable({key: value for key, value in spec.items() if key != "$schema"})
    options = {**_REPORT_EMBED_DEFAULTS, **(metadata.get("embed_options") or {}), "mode": mode}
    spec_json = _js_json(spec)
    digest = hashlib.sha1(spec_json.encode("utf-8")).hexdigest()[:10]
    div_id = f"tk-chart-{digest}-{next(_ids)}"
    missing = _js_json(
        "This chart needs the report's Vega script, which this page does not load. "
        + chart_text(spec)
    )
    html = f"""<div id="{div_id}" class="tk-chart"></div>
<script type="text/javascript">
(function () {{
  var el = document.getElementById("{div_id}");
  var spec = {spec_json};
  var opt = {_js_json(options)};
  function draw() {{
    if (typeof window.vegaEmbed !== "function") {{
      el.textContent = {missing};
      return;
    }}
    window.vegaEmbed(el, spec, opt).catch(function (err) {{
      el.textContent = "Chart could not be drawn: " + err.message;
      console.error(err);
    }});
  }}
  if (typeof window.vegaEmbed === "function" || document.readyState === "complete") {{
    draw();
  }} else {{
    window.addEventListener("load", draw);
  }}
}})();
</script>"""
    return {"text/html": html, "text/plain": chart_text(spec)}


alt.renderers.register(REPORT_RENDERER, report_renderer)


def enable_charts(*, interactive: bool = True) -> None:
    """Enable the toolkit theme and the offline chart renderer for this kernel.

    Parameters
    ----------
    interactive : bool, default True
        True in JupyterLab and Voilà: charts become ``JupyterChart`` widgets drawn by
        JavaScript bundled from vl-convert (``alt.renderers.enable("jupyter",
        offline=True)``). False in a papermill report run: charts become ``text/html``
        outputs drawn by the one copy of :func:`vega_script` the report template
        inlines (renderer :data:`REPORT_RENDERER`, embed option ``actions=False``).

    Returns
    -------
    None

    Notes
    -----
    Call it once, before the first chart is displayed. Do not call
    ``alt.renderers.set_embed_options`` afterwards in a live kernel: it replaces the
    renderer options and so drops ``offline=True``.
    """
    alt.theme.enable(THEME)
    if interactive:
        alt.renderers.enable(
            "jupyter", offline=True, embed_options={"actions": _INTERACTIVE_ACTIONS}
        )
    else:
        alt.renderers.enable(REPORT_RENDERER)
        alt.renderers.set_embed_options(actions=False)


def chart_svg_html(chart: alt.TopLevelMixin) -> str:
    """A chart drawn to SVG in the kernel (vl-convert, the toolkit theme), as HTML.

    For a small chart on a live page that must appear at once: no JavaScript, nothing
    fetched, no tooltips. The SVG sits in a ``<figure>`` that screen readers announce
    as a visualization with the chart's ``description``.
    """
    import html

    alt.theme.enable(THEME)
    spec = drawable(chart.to_dict())
    # Labels measured with vl-convert's fonts can run a little wider in the browser's:
    # let them show past the edge rather than be cut.
    svg = vega("vegalite_to_svg", spec).replace("<svg ", '<svg style="overflow: visible" ', 1)
    label = html.escape(str(spec.get("description") or ""), quote=True)
    return (
        f'<figure class="tk-chart-svg" role="img" aria-roledescription="visualization" '
        f'aria-label="{label}" style="margin: 0; padding-left: 24px">{svg}</figure>'
    )
