"""The needs-gap notebook, opened in JupyterLab and run top to bottom, offline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from toolkit.demo import init_demo

from .._notebooks import with_engagement
from ._lab import CHART, run_notebook
from .test_offline_charts import RENDER_TIMEOUT_MS, assert_no_chart_requests, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab(start_jupyter_lab, tmp_path_factory):
    folder = tmp_path_factory.mktemp("needs-lab") / "riverside"
    init_demo(folder, "neighbourhood")
    return start_jupyter_lab(with_engagement("needs_gap.ipynb", folder))


def test_needs_notebook_runs_in_jupyterlab_with_charts_and_panel(lab, offline_context):
    page = offline_context.new_page()
    # Every chart of the report (dumbbell, slope, needs over time, heatmap,
    # importance–performance) draws, once each: the explorer panel draws only when a
    # control changes.
    run_notebook(page, lab, RENDER_TIMEOUT_MS, charts=5)
    expect(page.get_by_text("Milk and perishable food").first).to_be_visible()
    select = page.locator(".widget-dropdown select").first
    expect(select).to_be_visible()
    expect(page.locator(CHART)).to_have_count(5)
    # Picking a group redraws the panel: its dumbbell and slope charts for that group.
    select.select_option(label="Residents")
    expect(page.locator(CHART)).to_have_count(7, timeout=3 * RENDER_TIMEOUT_MS)
    screenshot(page, "toolkit-needs-notebook.png")
    assert_no_chart_requests(offline_context)
