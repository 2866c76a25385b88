"""The customer-map notebook, opened in JupyterLab and run top to bottom, offline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from toolkit.store import Engagement

from .._notebooks import with_engagement
from ._lab import run_all_cells, wait_for_idle_kernel
from .test_offline_charts import RENDER_TIMEOUT_MS, assert_no_chart_requests, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab(start_jupyter_lab, tmp_path_factory):
    folder = tmp_path_factory.mktemp("customer-lab") / "state-university"
    Engagement.init(folder, demo="university")
    return start_jupyter_lab(with_engagement("customer_map.ipynb", folder))


def test_customer_notebook_runs_in_jupyterlab_with_charts_and_panel(lab, offline_context):
    page = offline_context.new_page()
    run_all_cells(page, lab, RENDER_TIMEOUT_MS)
    # The report's three charts (priorities, power/interest, service chain) draw, plus
    # the explorer panel's own priority chart.
    charts = page.locator('[aria-roledescription="visualization"]')
    expect(charts.nth(3)).to_be_visible(timeout=3 * RENDER_TIMEOUT_MS)
    wait_for_idle_kernel(page, RENDER_TIMEOUT_MS)
    for start in ("Bar chart of 47 customers", "Power–interest grid", "Network diagram"):
        chart = page.locator(f'[aria-roledescription="visualization"][aria-label^="{start}"]')
        expect(chart.first).to_be_visible()
        expect(chart.first.locator("svg.marks, canvas").first).to_be_visible()
    expect(
        page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    ).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)
    expect(page.get_by_text("comes first (score 4.83 of 5").first).to_be_visible()
    # The explorer: six weight sliders; moving one re-ranks the customers live.
    sliders = page.locator(".widget-slider")
    expect(sliders).to_have_count(6)
    mandate = sliders.nth(5).locator(".noUi-handle")
    mandate.scroll_into_view_if_needed()
    mandate.focus()
    mandate.press("Home")  # weight 0: mandate left out
    expect(page.get_by_text("customers change rank").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    screenshot(page, "toolkit-customer-notebook.png")
    assert_no_chart_requests(offline_context)
