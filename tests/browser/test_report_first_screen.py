"""Each report's first screen at 1366×768 states what we found, and no run plumbing.

Both demos (neighbourhood and the small university) are written once for the module.
The findings must be wholly above the fold, every finding's link must lead to a section
of the report, and nothing about parameters, or any raw Python value, is on the first
screen: those wait in *About this report* at the end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from toolkit.demo import init_demo
from toolkit.reports.runner import REPORTS, run_reports

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1366, 768
DEMOS = ("neighbourhood", "university")
# The reports with findings; the you-said-we-did page for customers has its own tests
# (test_you_said_page.py).
FINDINGS_REPORTS = tuple(r for r in REPORTS if r != "you-said-we-did")

# What is on the first screen: every element's text whose box starts above the fold.
ABOVE_FOLD_JS = """
(height) => [...document.querySelectorAll('main *')]
  .filter(e => e.children.length === 0 && e.getBoundingClientRect().top < height
               && e.getBoundingClientRect().height > 0)
  .map(e => e.textContent).join(' ')
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    found = {}
    for demo in DEMOS:
        engagement = init_demo(tmp_path_factory.mktemp(demo) / demo, demo)
        run = run_reports(engagement.path, progress=False)
        assert not run.failed, [r.error for r in run.failed]
        found[demo] = {r.name: r.html for r in run.results}
    return found


@pytest.mark.parametrize("demo", DEMOS)
@pytest.mark.parametrize("name", FINDINGS_REPORTS)
def test_the_findings_are_on_the_first_screen(runs, offline_context, demo, name):
    page = offline_context.new_page()
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.goto(Path(runs[demo][name]).as_uri())
    findings = page.locator("section.tk-findings li")
    expect(page.locator("section.tk-findings h2")).to_have_text("What we found")
    assert 3 <= findings.count() <= 5, findings.all_inner_texts()
    for i in range(findings.count()):
        box = findings.nth(i).bounding_box()
        assert box is not None and box["y"] + box["height"] <= HEIGHT, (i, box)
        text = findings.nth(i).inner_text()
        assert any(ch.isdigit() for ch in text), text  # every finding has its number
    # Each finding's link leads to a section heading of this report.
    for href in page.locator("a.tk-finding-link").evaluate_all("as => as.map(a => a.hash)"):
        assert page.locator(f"h2[id='{href[1:]}']").count() == 1, href
    # One line names the engagement, the data fingerprint and the date; no parameters.
    context = page.locator("header.tk-cover .tk-context")
    expect(context).to_contain_text("data fingerprint")
    first_screen = page.evaluate(ABOVE_FOLD_JS, HEIGHT)
    for leak in ("Parameters", "weights", "{}", "= True", "= False", "ENGAGEMENT", "top_k"):
        assert leak not in first_screen, leak
    # The run details are at the end, under their own heading.
    about = page.locator("#About-this-report")
    expect(about).to_have_count(1)
    assert about.bounding_box()["y"] > HEIGHT
    folder = os.environ.get("TOOLKIT_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"first-screen-{demo}-{name}.png"))
