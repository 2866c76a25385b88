"""Charts drawn through toolkit.charts.theme render with every outside request refused.

JupyterLab and Voilà get a live kernel and ``enable_charts()``; the report path gets
``enable_charts(interactive=False)`` outputs on a page that inlines ``vega_script()`` once.
Set ``TOOLKIT_SCREENSHOT_DIR`` to keep a screenshot of each rendered page.
"""

from __future__ import annotations

import os
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient
from playwright.sync_api import expect

from toolkit.charts.theme import OKABE_ITO, THEME, vega_script

from ._lab import run_all_cells

pytestmark = pytest.mark.browser

DESCRIPTION = "Bar chart of the share of customers naming each service"
SECOND_DESCRIPTION = "Line chart of mean satisfaction by month </script> <b>12 months</b> & more"
RENDER_TIMEOUT_MS = 60_000

# The colours of the three bars: the theme's first three categories.
BAR_COLOURS = set(OKABE_ITO[:3])

SETUP_CELL = """\
import altair as alt
import pandas as pd
from toolkit.charts.theme import enable_charts

enable_charts(interactive={interactive})"""

BAR_CELL = f"""\
needs = pd.DataFrame({{"service": ["Advice", "Bookings", "Repairs"], "share": [0.42, 0.31, 0.27]}})
alt.Chart(needs).mark_bar().encode(
    x=alt.X(field="service", type="nominal", title="Service"),
    y=alt.Y(field="share", type="quantitative", title="Share of customers"),
    color=alt.Color(field="service", type="nominal", title="Service"),
    tooltip=[alt.Tooltip(field="service"), alt.Tooltip(field="share", format=".0%")],
).properties(title="Needs customers named", description="{DESCRIPTION}")"""

LINE_CELL = f"""\
trend = pd.DataFrame({{"month": list(range(1, 13)), "mean": [3.1, 3.4, 3.2, 3.6, 3.8, 3.7,
                                                          3.9, 4.0, 3.8, 4.1, 4.2, 4.0]}})
alt.Chart(trend).mark_line(point=True).encode(
    x=alt.X(field="month", type="ordinal", title="Month"),
    y=alt.Y(field="mean", type="quantitative", title="Mean satisfaction (1–5)",
            scale=alt.Scale(zero=False)),
).properties(title="Satisfaction by month", description="{SECOND_DESCRIPTION}")"""

# Colours of the data marks inside a rendered chart, not its legend: fill/stroke of SVG
# marks, or (canvas renderer) colours covering at least 400 pixels.
DRAWN_COLOURS_JS = """
(root) => {
  const hex = (r, g, b) => "#" + [r, g, b].map(v => v.toString(16).padStart(2, "0"))
    .join("").toUpperCase();
  const colours = new Set();
  const svg = root.querySelector("svg.marks");
  if (svg) {
    for (const node of svg.querySelectorAll("g.role-mark path, g.role-mark rect")) {
      for (const attr of ["fill", "stroke"]) {
        const value = node.getAttribute(attr);
        if (value && value.startsWith("#")) colours.add(value.toUpperCase());
      }
    }
    return {renderer: "svg", colours: [...colours]};
  }
  const canvas = root.querySelector("canvas");
  if (!canvas) return {renderer: "none", colours: []};
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const counts = new Map();
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] !== 255) continue;
    const key = hex(data[i], data[i + 1], data[i + 2]);
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  for (const [key, n] of counts) if (n >= 400) colours.add(key);
  return {renderer: "canvas", colours: [...colours]};
}
"""


def chart_notebook(*cells: str, interactive: bool) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(SETUP_CELL.format(interactive=interactive))]
    nb.cells += [nbformat.v4.new_code_cell(cell) for cell in cells]
    return nb


def screenshot(page, name: str) -> None:
    folder = os.environ.get("TOOLKIT_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def assert_chart_drawn(page, description: str, colours: set[str]) -> None:
    """The chart labelled *description* is visible and its marks use *colours*."""
    chart = page.get_by_label(description, exact=True)
    expect(chart).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(chart).to_have_attribute("aria-roledescription", "visualization")
    expect(chart.locator("svg.marks, canvas")).to_have_count(1)
    drawn = chart.evaluate(DRAWN_COLOURS_JS)
    missing = colours - set(drawn["colours"])
    assert not missing, f"{drawn['renderer']} chart lacks mark colours {missing}: {drawn}"


def assert_no_chart_requests(offline_context) -> None:
    assert offline_context.chart_requests == [], (
        f"the page tried to fetch chart JavaScript from outside: {offline_context.chart_requests}"
    )


# ----------------------------------------------------------------- JupyterLab / Voilà


@pytest.fixture(scope="module")
def lab(start_jupyter_lab):
    return start_jupyter_lab(chart_notebook(BAR_CELL, interactive=True))


@pytest.fixture(scope="module")
def voila(start_voila):
    return start_voila(chart_notebook(BAR_CELL, interactive=True))


def test_chart_renders_offline_in_jupyterlab(lab, offline_context):
    page = offline_context.new_page()
    run_all_cells(page, lab, RENDER_TIMEOUT_MS)

    assert_chart_drawn(page, DESCRIPTION, BAR_COLOURS)
    # It is Altair's JupyterChart widget, i.e. the offline "jupyter" renderer.
    expect(page.locator(".jp-OutputArea-output .vega-embed")).to_have_count(1)
    screenshot(page, "toolkit-jupyterlab-chart.png")
    assert_no_chart_requests(offline_context)


def test_chart_renders_offline_in_voila(voila, offline_context):
    page = offline_context.new_page()
    page.goto(f"{voila.url}/")

    assert_chart_drawn(page, DESCRIPTION, BAR_COLOURS)
    expect(
        page.locator(".voila-error, .jp-OutputArea-output[data-mime-type*=error]")
    ).to_have_count(0)
    screenshot(page, "toolkit-voila-chart.png")
    # Voilà's lab template links Font Awesome CSS on jsdelivr: refused, reported in the
    # summary, harmless. Anything for Vega is a failure.
    assert_no_chart_requests(offline_context)


# ----------------------------------------------------------------- report path


@pytest.fixture(scope="module")
def report_outputs(tmp_path_factory) -> list[str]:
    """The ``text/html`` chart outputs of a notebook run with ``interactive=False``."""
    nb = chart_notebook(BAR_CELL, LINE_CELL, interactive=False)
    folder = tmp_path_factory.mktemp("report-run")
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute()
    outputs = [output for cell in nb.cells for output in cell.get("outputs", [])]
    errors = [output for output in outputs if output["output_type"] == "error"]
    assert not errors, errors
    charts = [output["data"] for output in outputs if "text/html" in output.get("data", {})]
    assert len(charts) == 2, outputs
    for data in charts:
        assert "application/vnd.jupyter.widget-view+json" not in data
    assert "widgets" not in nb.metadata
    return [data["text/html"] for data in charts]


def report_page(outputs: list[str], *, script: str | None, at_end: bool = False) -> str:
    body = "\n".join(f'<section class="output">{output}</section>' for output in outputs)
    vega = f"<script>{script}</script>" if script is not None else ""
    head, tail = ("", vega) if at_end else (vega, "")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Report</title>{head}</head>\n<body><main>{body}</main>{tail}</body></html>"
    )


@pytest.mark.parametrize("at_end", [False, True], ids=["script-in-head", "script-at-end"])
def test_report_outputs_render_with_one_inlined_vega(
    report_outputs, offline_context, tmp_path, at_end
):
    page_html = report_page(report_outputs, script=vega_script(), at_end=at_end)
    assert page_html.count("window.vegaEmbed=") == 1  # the bundle, once
    path = tmp_path / "report.html"
    path.write_text(page_html, encoding="utf-8")
    page = offline_context.new_page()
    page.goto(path.as_uri())

    assert_chart_drawn(page, DESCRIPTION, BAR_COLOURS)
    assert_chart_drawn(page, SECOND_DESCRIPTION, {OKABE_ITO[0]})
    expect(page.locator(".vega-embed details")).to_have_count(0)  # actions=False: no "…" menu
    if not at_end:
        screenshot(page, "toolkit-report-charts.png")
    assert offline_context.refused == []
    assert offline_context.errors == []


def test_report_output_without_vega_script_says_so(report_outputs, offline_context, tmp_path):
    path = tmp_path / "no-vega.html"
    path.write_text(report_page(report_outputs[:1], script=None), encoding="utf-8")
    page = offline_context.new_page()
    page.goto(path.as_uri())

    expect(page.locator(".tk-chart")).to_contain_text(
        "needs the report's Vega script", timeout=RENDER_TIMEOUT_MS
    )
    expect(page.locator(".tk-chart")).to_contain_text(DESCRIPTION)
    assert offline_context.refused == []


def test_altair_html_renderer_uses_the_inlined_vega(offline_context, tmp_path):
    """A chart shown with Altair's own ``html`` renderer still draws from vega_script()."""
    needs = pd.DataFrame({"service": ["Advice", "Bookings", "Repairs"], "share": [4, 3, 2]})
    chart = (
        alt.Chart(needs)
        .mark_bar()
        .encode(
            x=alt.X(field="service", type="nominal"),
            y=alt.Y(field="share", type="quantitative"),
            color=alt.Color(field="service", type="nominal"),
        )
        .properties(description=DESCRIPTION)
    )
    with alt.theme.enable(THEME), alt.renderers.enable("html"):
        output = chart._repr_mimebundle_()["text/html"]
    assert "cdn.jsdelivr.net" in output  # what it would fetch without VEGA_DEBUG
    path = tmp_path / "html-renderer.html"
    path.write_text(report_page([output], script=vega_script()), encoding="utf-8")
    page = offline_context.new_page()
    page.goto(path.as_uri())

    assert_chart_drawn(page, DESCRIPTION, BAR_COLOURS)
    assert offline_context.refused == []
