"""The satisfaction notebook, opened in JupyterLab and run top to bottom, offline."""

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
    folder = tmp_path_factory.mktemp("satisfaction-lab") / "riverside"
    init_demo(folder, "neighbourhood")
    return start_jupyter_lab(with_engagement("satisfaction.ipynb", folder))


def test_satisfaction_notebook_runs_in_jupyterlab_with_charts_and_panel(lab, offline_context):
    page = offline_context.new_page()
    # The report's five charts (trend, before/after, XmR, p-chart, by segment) draw, plus
    # the explorer panel's trend and before/after charts.
    run_notebook(
        page,
        lab,
        RENDER_TIMEOUT_MS,
        charts=7,
        drawn=(
            "Line chart of mean score over 12 periods",
            "XmR chart",
            ("P-chart", "Laney p′ chart"),  # -p chart share: p′ when over-dispersed
            "Before-and-after comparison",
        ),
    )
    expect(page.get_by_text("Satisfaction (CSAT) rose").first).to_be_visible()
    # The explorer: switching the metric to NPS redraws the headline and the chart live.
    metric = page.locator(".widget-dropdown select").first
    metric.scroll_into_view_if_needed()
    metric.select_option(label="Net Promoter Score")
    expect(page.get_by_text("Net Promoter Score rose").first).to_be_visible(
        timeout=RENDER_TIMEOUT_MS
    )
    expect(
        page.locator('[aria-roledescription="visualization"][aria-label^="Line chart of NPS"]')
    ).to_have_count(1, timeout=RENDER_TIMEOUT_MS)
    screenshot(page, "toolkit-satisfaction-notebook.png")
    assert_no_chart_requests(offline_context)
