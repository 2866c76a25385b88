"""The "Code the needs" tab in Chromium, driven by the keyboard as a planner would, on the
demo engagement served by `service-toolkit forms` with every outside request refused."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from toolkit.store import Engagement

from .conftest import serve_forms

pytestmark = pytest.mark.browser

LOAD_MS = 90_000
STEP_MS = 30_000


@pytest.fixture(scope="module")
def demo_forms(tmp_path_factory):
    """`service-toolkit forms` on a new demo engagement; stopped with Ctrl-C."""
    folder = tmp_path_factory.mktemp("coding") / "demo"
    made = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "init", str(folder), "--demo", "neighbourhood"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    log = tmp_path_factory.mktemp("coding-log") / "forms.log"
    yield from ((url, served) for url, served, _ in serve_forms(folder, log))


def codes_of(folder, statement):
    frame = Engagement.open(folder).table("stated_needs")
    return set(frame.loc[frame["need"] == statement, "code"].fillna("(none)"))


def test_coding_by_keyboard_undo_and_not_a_need_change_the_headline(demo_forms, offline_context):
    url, folder = demo_forms
    page = offline_context.new_page()
    page.goto(url, timeout=LOAD_MS)
    expect(page.locator(".tk-forms")).to_be_visible(timeout=LOAD_MS)
    page.get_by_role("tab", name="Code the needs").click()
    tab = page.locator(".tk-form-coding")
    card = tab.get_by_role("region", name="Statement to code")
    expect(card).to_contain_text("Statement 1 of", timeout=LOAD_MS)
    first = re.search(r"“(.+?)”", card.inner_text()).group(1)
    assert codes_of(folder, first) == {"(none)"}

    # Find a need by a word of it, Enter files the statement under the first one shown.
    search = tab.locator(".tk-coding-search input")
    search.fill("milk")
    expect(tab.get_by_role("button", name="1 Milk and perishable food")).to_be_visible(
        timeout=STEP_MS
    )
    search.press("Enter")
    status = tab.locator(".tk-ok").first
    expect(status).to_contain_text(f"Filed “{first}” under Milk and perishable food")
    headline = tab.locator(".tk-headline")
    expect(headline).to_contain_text(
        re.compile(r"Milk and perishable food: \d+% → \d+% of all customers\.")
    )
    before, after = map(int, re.findall(r"(\d+)%", headline.inner_text()))
    assert after > before
    assert codes_of(folder, first) == {"perishable_food"}
    expect(card).not_to_contain_text(first)

    # Escape leaves the search box; U undoes: the statement waits again, shown first.
    page.keyboard.press("Escape")
    page.keyboard.press("u")
    expect(status).to_contain_text(f"Undone: “{first}” waits again", timeout=STEP_MS)
    expect(headline).to_contain_text(f"Milk and perishable food: {after}% → {before}%")
    expect(card).to_contain_text(first)
    assert codes_of(folder, first) == {"(none)"}

    # N marks it not a need; the page says no share changes.
    page.keyboard.press("n")
    expect(status).to_contain_text(f"Marked “{first}” as not a need", timeout=STEP_MS)
    expect(headline).to_contain_text("Shares do not change")
    assert codes_of(folder, first) == {"not_a_need"}

    # Filed with a need button (found by a search) and Enter: the buttons are drawn
    # again for the next statement, and the focus stays on that need's button, so a
    # keyboard user goes on from there.
    expect(card).not_to_contain_text(first)
    second = re.search(r"“(.+?)”", card.inner_text()).group(1)
    search.fill("milk")
    button = tab.get_by_role("button", name="1 Milk and perishable food")
    expect(tab.locator(".tk-codes button")).to_have_count(1, timeout=STEP_MS)
    button.focus()
    page.keyboard.press("Enter")
    expect(status).to_contain_text(f"Filed “{second}” under Milk", timeout=STEP_MS)
    expect(search).to_have_value("")
    expect(tab.locator(".tk-codes button").nth(1)).to_be_visible(timeout=STEP_MS)
    page.wait_for_function(
        "() => document.activeElement.matches('.tk-codes button')"
        " && document.activeElement.textContent.includes('Milk and perishable food')",
        timeout=STEP_MS,
    )

    # Clicked with the mouse instead: the button lets the focus go, so Enter then
    # confirms the next statement's proposal rather than pressing that button again.
    third = re.search(r"“(.+?)”", card.inner_text()).group(1)
    tab.locator(".tk-codes button").first.click()
    expect(status).to_contain_text(f"Filed “{third}”", timeout=STEP_MS)
    page.wait_for_function(
        "() => !document.activeElement.matches('.tk-codes button')", timeout=STEP_MS
    )
    assert not offline_context.errors, offline_context.errors
