"""The forms notebook works in JupyterLab for consultants, offline, saving to the store."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from toolkit.demo import init_demo
from toolkit.store import Engagement

from .._notebooks import with_engagement
from ._lab import run_all_cells, wait_for_idle_kernel
from .test_offline_charts import RENDER_TIMEOUT_MS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab(start_jupyter_lab, tmp_path_factory):
    folder = tmp_path_factory.mktemp("forms-lab") / "riverside"
    init_demo(folder, "neighbourhood")
    return start_jupyter_lab(with_engagement("forms.ipynb", folder)), folder


def test_forms_notebook_in_jupyterlab_saves_an_event(lab, offline_context):
    server, folder = lab
    page = offline_context.new_page()
    run_all_cells(page, server, RENDER_TIMEOUT_MS)
    expect(page.locator(".tk-forms")).to_be_visible(timeout=3 * RENDER_TIMEOUT_MS)
    wait_for_idle_kernel(page, RENDER_TIMEOUT_MS)
    page.get_by_text("Needs recorded so far, by customer group").click()
    expect(page.locator('[aria-roledescription="visualization"]').first).to_be_visible(
        timeout=RENDER_TIMEOUT_MS
    )
    page.get_by_role("tab", name="Events").click()
    events = page.locator(".tk-form-events")
    events.get_by_label("Starts on").fill("2024-09-01")
    events.get_by_label("What happened").fill("Saturday opening started")
    save = events.get_by_role("button", name="Save")
    expect(save).to_be_enabled(timeout=RENDER_TIMEOUT_MS)
    save.click()
    expect(events.get_by_role("status").filter(has_text="Saved entry")).to_be_visible(
        timeout=RENDER_TIMEOUT_MS
    )
    labels = Engagement.open(folder).table("events")["label"].tolist()
    assert "Saturday opening started" in labels
    assert offline_context.refused == []
