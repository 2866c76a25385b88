"""The needs-gap notebook, opened in JupyterLab and run top to bottom, offline."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect

from toolkit.store import Engagement

from .test_offline_charts import RENDER_TIMEOUT_MS, assert_no_chart_requests, screenshot

pytestmark = pytest.mark.browser

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "needs_gap.ipynb"


@pytest.fixture(scope="module")
def lab(start_jupyter_lab, tmp_path_factory):
    folder = tmp_path_factory.mktemp("needs-lab") / "riverside"
    Engagement.init(folder, demo="neighbourhood")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    (parameters,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert 'engagement: str = ""' in parameters.source
    parameters.source = parameters.source.replace(
        'engagement: str = ""', f"engagement: str = {str(folder)!r}"
    )
    return start_jupyter_lab(nb)


def test_needs_notebook_runs_in_jupyterlab_with_charts_and_panel(lab, offline_context):
    page = offline_context.new_page()
    page.goto(f"{lab.url}/lab/tree/{lab.notebook}")
    page.wait_for_function(
        """() => {
          const panel = window.jupyterapp?.shell?.currentWidget;
          return panel?.sessionContext?.session?.kernel?.status === "idle";
        }""",
        timeout=RENDER_TIMEOUT_MS,
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # Every chart of the report (dumbbell, slope, heatmap, importance–performance) draws,
    # plus the explorer panel's own chart.
    charts = page.locator('[aria-roledescription="visualization"]')
    expect(charts.nth(4)).to_be_visible(timeout=3 * RENDER_TIMEOUT_MS)
    page.wait_for_function(
        """() => {
          const panel = window.jupyterapp?.shell?.currentWidget;
          return panel?.sessionContext?.session?.kernel?.status === "idle";
        }""",
        timeout=RENDER_TIMEOUT_MS,
    )
    expect(
        page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    ).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)
    expect(page.get_by_text("Milk and perishable food").first).to_be_visible()
    expect(page.locator(".widget-dropdown select").first).to_be_visible()
    screenshot(page, "toolkit-needs-notebook.png")
    assert_no_chart_requests(offline_context)
