"""The HTML reports in Chromium with every outside request refused: charts drawn, text safe.

The three reports are written once for the module from the neighbourhood demo, plus one
statement that holds a script. Set ``TOOLKIT_SCREENSHOT_DIR`` to keep a screenshot of
each report's first screen and a PDF of its print version.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from toolkit.demo import init_demo
from toolkit.reports.runner import REPORTS, ReportRun, run_reports

from .test_offline_charts import RENDER_TIMEOUT_MS, assert_no_chart_requests

pytestmark = pytest.mark.browser

SCRIPT_NEED = (
    '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    ' <b>Free</b> "bus" & tram passes'
)

# Charts each report draws on the demo at least (the notebooks decide the exact number).
MIN_CHARTS = {"needs-gap": 4, "customer-map": 3, "satisfaction": 3}

# Every chart <div> holds a drawn SVG or canvas.
CHARTS_JS = """
() => {
  const divs = [...document.querySelectorAll("div.tk-chart")];
  const drawn = divs.filter(d => d.querySelector("svg.marks, canvas"));
  return {total: divs.length, drawn: drawn.length,
          failed: divs.filter(d => !d.querySelector("svg, canvas")).map(d => d.textContent)};
}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> ReportRun:
    engagement = init_demo(tmp_path_factory.mktemp("html") / "riverside", "neighbourhood")
    frame = pd.DataFrame(
        {
            "respondent_id": [f"S-{i}" for i in range(12)],
            "segment": "Residents",
            "method": "survey",
            "need": SCRIPT_NEED,
            "collected_on": "2024-03-01",
        }
    )
    engagement.import_frame(frame, table="stated_needs", source="script.csv")
    result = run_reports(engagement.path, progress=False)
    assert not result.failed, [r.error for r in result.failed]
    return result


def _keep(page, name: str, *, pdf: bool = False) -> None:
    folder = os.environ.get("TOOLKIT_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"))
        if pdf:
            page.pdf(path=str(Path(folder) / f"{name}.pdf"), format="A4", print_background=True)


def _open(offline_context, path: Path):
    page = offline_context.new_page()
    page.goto(path.as_uri())
    expect(page.locator("div.tk-chart svg.marks").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    page.wait_for_function(
        "() => [...document.querySelectorAll('div.tk-chart')].every(d => d.querySelector('svg, canvas') || d.textContent.trim())",
        timeout=RENDER_TIMEOUT_MS,
    )
    return page


@pytest.mark.parametrize("name", sorted(MIN_CHARTS))
def test_every_chart_renders_with_the_network_refused(run, offline_context, name):
    (result,) = [r for r in run.results if r.name == name]
    page = _open(offline_context, result.html)
    charts = page.evaluate(CHARTS_JS)
    assert charts["failed"] == [], charts["failed"]
    assert charts["drawn"] == charts["total"] >= MIN_CHARTS[name]
    assert offline_context.refused == [], offline_context.refused
    assert_no_chart_requests(offline_context)
    assert offline_context.errors == [], offline_context.errors
    # The first screen: the title and one line on the engagement, data and date; the
    # report, parameters, fingerprint, version and time are in "About this report".
    cover = page.locator("header.tk-cover")
    expect(cover).to_be_visible()
    assert cover.bounding_box()["y"] < 100
    about = page.locator("div.tk-about")
    for label in (
        "Report",
        "Engagement",
        "Parameters",
        "Data fingerprint",
        "Toolkit version",
        "Run at",
    ):
        expect(about.locator("dt", has_text=label)).to_have_count(1)
    expect(about.locator("dd").first).to_have_text(name)
    # No code and no prompts anywhere.
    expect(page.locator(".jp-InputArea-editor, .jp-InputPrompt, .jp-OutputPrompt")).to_have_count(0)
    _keep(page, f"report-{name}", pdf=True)


def test_a_script_in_the_data_is_shown_as_text(run, offline_context):
    (result,) = [r for r in run.results if r.name == "needs-gap"]
    page = _open(offline_context, result.html)
    assert page.evaluate("() => window.__pwned") is None
    expect(
        page.get_by_text("<script>window.__pwned = 1</script>", exact=False).first
    ).to_be_visible()
    assert page.locator("img[src='x']").count() == 0


def test_print_breaks_pages_between_sections_and_keeps_charts_whole(run, offline_context, tmp_path):
    (result,) = [r for r in run.results if r.name == "needs-gap"]
    page = _open(offline_context, result.html)
    page.emulate_media(media="print")
    styles = page.evaluate(
        """() => ({
          cover: getComputedStyle(document.querySelector('header.tk-cover')).breakAfter,
          sections: [...document.querySelectorAll('.celltag_tk-section')].map(e => getComputedStyle(e).breakBefore),
          charts: [...document.querySelectorAll('div.tk-chart')].map(e => getComputedStyle(e).breakInside),
        })"""
    )
    assert styles["cover"] != "page"  # the introduction shares the first page
    assert len(styles["sections"]) >= 5 and set(styles["sections"]) == {"page"}
    assert set(styles["charts"]) == {"avoid"}
    # Print preview at the width of an A4 page less its margins (about 680 px): every
    # chart is scaled to fit, none runs off the paper.
    page.set_viewport_size({"width": 680, "height": 960})
    right = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('div.tk-chart svg.marks')]"
        ".map(s => s.getBoundingClientRect().right))"
    )
    assert 0 < right <= 680
    pdf = page.pdf(format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 1 + len(styles["sections"])  # the first screen, then a page per section


def test_the_index_lists_the_run_and_links_open_offline(run, offline_context):
    page = offline_context.new_page()
    page.goto(run.index.as_uri())
    for name in REPORTS:
        expect(page.get_by_role("cell", name=name, exact=True).first).to_be_visible()
    page.get_by_role("link", name="report").first.click()
    expect(page.locator("header.tk-cover")).to_be_visible()
    assert offline_context.refused == []
