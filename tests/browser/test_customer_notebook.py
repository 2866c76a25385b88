"""The customer-map notebook, opened in JupyterLab and run top to bottom, offline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from toolkit.demo import init_demo

from .._notebooks import with_engagement
from ._lab import run_notebook
from .test_offline_charts import RENDER_TIMEOUT_MS, assert_no_chart_requests, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab(start_jupyter_lab, tmp_path_factory):
    folder = tmp_path_factory.mktemp("customer-lab") / "state-university"
    init_demo(folder, "university")
    return start_jupyter_lab(with_engagement("customer_map.ipynb", folder))


def test_customer_notebook_runs_in_jupyterlab_with_charts_and_panel(lab, offline_context):
    page = offline_context.new_page()
    # The report's three charts (priorities, power/interest, service chain) draw, plus
    # the explorer panel's own priority chart.
    run_notebook(
        page,
        lab,
        RENDER_TIMEOUT_MS,
        charts=4,
        drawn=(
            "Bar chart of 47 customers",
            "Power–interest grid",
            "Network diagram",
        ),
    )
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
