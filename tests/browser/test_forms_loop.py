"""The actions and outreach tabs as a planner meets them (issue #21): `service-toolkit forms` on
the neighbourhood demo in Chromium with every outside request refused; each tab opens with its
first field in view and under two screens tall, an entry is saved and shows first in the list.

Set ``TOOLKIT_SCREENSHOT_DIR`` to keep a screenshot of each tab at each width.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from toolkit.store import Engagement

from .conftest import close_tab, guarded_context, serve_forms
from .test_forms import LOAD_MS, SCREENS, STEP_MS, _open, _shown_tab_ready, _tab

pytestmark = pytest.mark.browser

TITLES = {"actions": "What we are doing about it", "outreach": "Who we asked"}


@pytest.fixture(scope="module")
def loop_server(tmp_path_factory):
    """The forms of the neighbourhood demo, with its actions and outreach imported."""
    from toolkit.demo.build import init_demo

    folder = tmp_path_factory.mktemp("loop") / "neighbourhood"
    init_demo(folder, "neighbourhood")
    yield from serve_forms(
        folder, tmp_path_factory.mktemp("loop-log") / "forms.log", "--max-pages", "6"
    )


@pytest.mark.parametrize("screen", list(SCREENS))
def test_each_tab_shows_its_first_field_and_stays_under_two_screens(loop_server, chromium, screen):
    url, folder, _log = loop_server
    size = SCREENS[screen]
    guarded = guarded_context(chromium, viewport=size)
    held = Engagement.open(folder)
    try:
        page = guarded.new_page()
        _open(page, url)
        for key, title in TITLES.items():
            _tab(page, title)
            _shown_tab_ready(page)
            form = page.locator(f".tk-form-{key}")
            first = form.locator("input, textarea, select").first
            expect(first).to_be_visible(timeout=LOAD_MS)
            box = first.bounding_box()
            assert box["y"] + box["height"] <= size["height"], f"{title}: the first field scrolls"
            expect(form.get_by_text(f"of {len(held.table(key))}.")).to_be_visible(timeout=STEP_MS)
            height = page.locator(".tk-forms").bounding_box()["height"]
            assert height <= 2 * size["height"], f"{title}: {height:.0f} px at {screen}"
            text = page.locator(".tk-forms").inner_text()
            for word in ("_id", "_on", "perishable_food", "service-toolkit", "segment"):
                assert word not in text, f"{title}: {word!r} on the page"
            if key == "outreach":
                reach = page.locator(".tk-reach")
                expect(reach.get_by_text("Not asked yet:")).to_be_visible(timeout=STEP_MS)
                expect(reach.get_by_role("cell", name="Residents")).to_be_visible()
            if folder_name := os.environ.get("TOOLKIT_SCREENSHOT_DIR"):
                # What the planner sees first, and the whole tab.
                shots = Path(folder_name)
                page.screenshot(path=str(shots / f"forms-{key}-{size['width']}.png"))
                page.set_viewport_size({"width": size["width"], "height": int(height) + 80})
                page.screenshot(path=str(shots / f"forms-{key}-{size['width']}-whole.png"))
                page.set_viewport_size(size)
        assert guarded.refused == []
        close_tab(page)
    finally:
        guarded.context.close()


def test_an_action_and_an_outreach_are_saved_and_listed_first(loop_server, offline_context):
    url, folder, _log = loop_server
    page = offline_context.new_page()
    _open(page, url)

    _tab(page, TITLES["actions"])
    form = page.locator(".tk-form-actions")
    save = form.get_by_role("button", name="Save")
    expect(save).to_be_disabled(timeout=LOAD_MS)
    expect(form.get_by_text("Save is off until you fill in: What we will do")).to_be_visible()
    form.get_by_label("Need", exact=True).fill("Programs for young people")
    form.get_by_label("What we will do").fill("Homework club on Wednesdays")
    form.get_by_label("How far it has got").select_option("planned")
    form.get_by_label("Due by").fill("30 June 2026")
    expect(form.get_by_text("= Tue 30 June 2026")).to_be_visible(timeout=STEP_MS)
    expect(save).to_be_enabled(timeout=STEP_MS)
    save.click()
    expect(form.get_by_role("status").filter(has_text="Saved entry #")).to_be_visible(
        timeout=STEP_MS
    )
    first_row = form.locator("table.tk-entries tbody tr").first
    expect(first_row).to_contain_text("Homework club on Wednesdays", timeout=STEP_MS)
    expect(first_row).to_contain_text("Programs for young people")

    _tab(page, TITLES["outreach"])
    form = page.locator(".tk-form-outreach")
    save = form.get_by_role("button", name="Save")
    form.get_by_label("Sent or held on").fill("2025-09-15")
    form.get_by_label("How we asked").select_option("paper")
    form.get_by_label("Customer group").fill("Staff")
    form.get_by_label("People invited").fill("12")
    form.get_by_label("People who answered").fill("15")
    expect(form.get_by_role("alert").filter(has_text="More people answered")).to_be_visible(
        timeout=STEP_MS
    )
    expect(save).to_be_disabled()
    form.get_by_label("People who answered").fill("9")
    expect(save).to_be_enabled(timeout=STEP_MS)
    save.click()
    listed = form.locator("table.tk-entries").last  # the list, after who has answered
    expect(listed.locator("tbody tr").first).to_contain_text("Staff", timeout=STEP_MS)
    reach = page.locator(".tk-reach")
    expect(reach.get_by_text("9 of 12")).to_be_visible(timeout=STEP_MS)
    assert offline_context.refused == []
    close_tab(page)

    engagement = Engagement.open(folder)
    action = engagement.actions.iloc[-1]
    assert (action["code"], action["status"]) == ("youth_programs", "planned")
    outreach = engagement.outreach.iloc[-1]
    assert (outreach["segment"], outreach["invited"], outreach["responses"]) == ("Staff", 12, 9)
