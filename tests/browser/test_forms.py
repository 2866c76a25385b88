"""The planner forms as a new user meets them: `service-toolkit forms` on a new engagement,
Chromium filling each tab with every outside request refused, then the store read back."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from toolkit.forms.app import TABS
from toolkit.forms.wizard import WHY_OFF
from toolkit.store import Engagement

from .conftest import close_tab, guarded_context, serve_forms

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
EXPORT = REPO / "tests" / "fixtures" / "exports" / "qualtrics-choice-text.csv"
LOAD_MS = 90_000
STEP_MS = 30_000


@pytest.fixture(scope="module")
def forms_server(tmp_path_factory):
    """The forms of a new engagement."""
    folder = tmp_path_factory.mktemp("forms") / "riverside"
    Engagement.init(folder, name="riverside", organisation="Riverside Community Partners")
    yield from serve_forms(folder, tmp_path_factory.mktemp("forms-log") / "forms.log")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The forms of the neighbourhood demo (its staff beliefs and stated needs, imported)."""
    from toolkit.demo.build import init_demo

    folder = tmp_path_factory.mktemp("demo") / "neighbourhood"
    init_demo(folder, "neighbourhood")
    # Each test closes its pages (their kernels stop); the cap leaves room for stragglers.
    yield from serve_forms(
        folder, tmp_path_factory.mktemp("demo-log") / "forms.log", "--max-pages", "8"
    )


def _open(page, url):
    page.goto(url, timeout=LOAD_MS)
    expect(page.locator(".tk-forms")).to_be_visible(timeout=LOAD_MS)


def _tab(page, title):
    page.get_by_role("tab", name=title).click()


def test_forms_page_validates_saves_corrects_deletes_and_survives_reload(
    forms_server, offline_context, tmp_path
):
    url, folder, log = forms_server
    page = offline_context.new_page()
    _open(page, url)
    form = page.locator(".tk-form-assumed")
    save = form.get_by_role("button", name="Save")
    expect(save).to_be_disabled()
    expect(form.get_by_text("Save is off until you fill in: Staff member, Need.")).to_be_visible()

    # Validation as the planner types: an impossible date is named beside the field.
    form.get_by_label("Staff member").fill("Ana Ruiz")
    form.get_by_label("Customer group").fill("Residents")
    form.get_by_label("Need", exact=False).first.fill("Another food pantry")
    form.get_by_label("Date").fill("31/02/2024")
    expect(
        form.get_by_role("alert").filter(has_text="There is no 31 February 2024.")
    ).to_be_visible(timeout=STEP_MS)
    expect(save).to_be_disabled()
    # A date that reads both ways asks which one it is.
    form.get_by_label("Date").fill("7/3/2024")
    expect(
        form.get_by_role("alert").filter(has_text="could be 7 March 2024 or 3 July 2024")
    ).to_be_visible(timeout=STEP_MS)
    expect(save).to_be_disabled()
    form.get_by_role("button", name="7 March 2024").click()
    expect(form.get_by_text("= Thu 7 March 2024")).to_be_visible(timeout=STEP_MS)
    four = form.get_by_role("button", name="4 very important")
    four.scroll_into_view_if_needed()
    four.click()
    expect(save).to_be_enabled(timeout=STEP_MS)
    save.click()
    expect(form.get_by_role("status").filter(has_text="Saved entry #1.")).to_be_visible(
        timeout=STEP_MS
    )
    expect(form.locator("table.tk-entries")).to_contain_text("Another food pantry")
    # Sticky fields stay for the next need; the need itself is cleared.
    expect(form.get_by_label("Staff member")).to_have_value("Ana Ruiz")

    # A reload shows everything saved.
    page.reload(timeout=LOAD_MS)
    expect(page.locator(".tk-forms")).to_be_visible(timeout=LOAD_MS)
    form = page.locator(".tk-form-assumed")
    expect(form.locator("table.tk-entries")).to_contain_text("Another food pantry", timeout=STEP_MS)
    expect(form.locator("table.tk-entries")).to_contain_text("Thu 7 March 2024")

    # Correct the entry, then delete it (a delete asks for a second click).
    form.get_by_role("button", name="Correct").click()
    expect(form.get_by_text("Correcting entry #1.")).to_be_visible(timeout=STEP_MS)
    form.get_by_label("Need", exact=False).first.fill("Fresh milk every week")
    form.get_by_role("button", name="Save correction").click()
    expect(form.get_by_role("status").filter(has_text="Corrected entry #1.")).to_be_visible(
        timeout=STEP_MS
    )
    expect(form.locator("table.tk-entries")).to_contain_text("Fresh milk every week")
    form.get_by_role("button", name="Delete").click()
    form.get_by_role("button", name="Really delete #1?").click()
    expect(form.get_by_role("status").filter(has_text="Deleted entry #1.")).to_be_visible(
        timeout=STEP_MS
    )
    expect(form.get_by_text("Nothing here yet.")).to_be_visible()

    # A second need for the store read-back (a correction empties the whole form).
    form.get_by_label("Staff member").fill("Ana Ruiz")
    form.get_by_label("Date").fill("2024-03-07")
    form.get_by_label("Need", exact=False).first.fill("More evening hours")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("status").filter(has_text="Saved entry #")).to_be_visible(
        timeout=STEP_MS
    )

    # Our customers: the register with ratings, "not rated" kept as not rated.
    _tab(page, "Our customers")
    customers = page.locator(".tk-form-customers")
    customers.get_by_label("Customer code").fill("RES")
    customers.get_by_label("Name *").fill("Residents of the east side")
    customers.get_by_label("Kind").select_option("external")
    five = (
        customers.locator(".widget-toggle-buttons")
        .nth(0)
        .get_by_role("button", name="5 at its heart")
    )
    five.scroll_into_view_if_needed()
    five.click()
    customers.get_by_label("Mandate").select_option("formal")
    customers.get_by_role("button", name="Save").click()
    expect(customers.get_by_role("status").filter(has_text="Saved entry")).to_be_visible(
        timeout=STEP_MS
    )
    customers.get_by_label("Customer code").fill("RES")
    expect(customers.get_by_role("alert").filter(has_text="is already in use")).to_be_visible(
        timeout=STEP_MS
    )

    # Events.
    _tab(page, "Events")
    events = page.locator(".tk-form-events")
    events.get_by_label("Starts on").fill("1 July 2023")
    events.get_by_label("What happened").fill("Milk and fresh food program launched")
    events.get_by_role("button", name="Save").click()
    expect(events.get_by_role("status").filter(has_text="Saved entry")).to_be_visible(
        timeout=STEP_MS
    )

    # Import a survey export through the wizard.
    _tab(page, "Import a survey file")
    wizard = page.locator(".tk-form-import")
    upload = wizard.locator(".widget-upload")
    with page.expect_file_chooser() as chooser:
        upload.click()
    chooser.value.set_files(str(EXPORT))
    expect(wizard.get_by_text("qualtrics (ResponseId in row 1")).to_be_visible(timeout=STEP_MS)
    wizard.get_by_role("button", name="Check").click()
    expect(wizard.get_by_text("rows would be imported into Satisfaction responses")).to_be_visible(
        timeout=STEP_MS
    )
    expect(wizard.get_by_text("excluded: Qualtrics survey previews")).to_be_visible()
    wizard.get_by_role("button", name="Import").click()
    expect(wizard.get_by_role("status").filter(has_text="Imported 10 rows")).to_be_visible(
        timeout=STEP_MS
    )
    expect(wizard.get_by_text("Map saved as")).to_be_visible()

    # A file larger than the page takes gets a message pointing to the command line.
    big = tmp_path / "huge-export.csv"
    with big.open("wb") as handle:
        handle.truncate(61 * 1024 * 1024)
    with page.expect_file_chooser() as chooser:
        upload.click()
    chooser.value.set_files(str(big))
    expect(
        page.get_by_role("alert").filter(has_text="import it from the command line")
    ).to_be_visible(timeout=STEP_MS)

    # Charts render offline, and nothing was asked of any other host.
    page.get_by_text("Needs recorded so far, by customer group").click()
    expect(page.locator('[aria-roledescription="visualization"]').first).to_be_visible(
        timeout=STEP_MS
    )
    if os.environ.get("TOOLKIT_SCREENSHOT_DIR"):
        page.screenshot(
            path=str(Path(os.environ["TOOLKIT_SCREENSHOT_DIR"]) / "forms.png"), full_page=True
        )
    assert offline_context.refused == []

    # The store holds exactly what was saved.
    engagement = Engagement.open(folder)
    assumed = engagement.table("assumed_needs")
    assert assumed["need"].tolist() == ["More evening hours"]
    assert assumed["staff"].tolist() == ["Ana Ruiz"]
    assert str(assumed["collected_on"].iloc[0].date()) == "2024-03-07"
    register = engagement.table("customers")
    assert register[["customer_id", "mission_alignment", "mandate"]].values.tolist() == [
        ["RES", 5, "formal"]
    ]
    assert register["clout"].isna().all()  # not rated stays not rated
    assert engagement.table("events")["label"].tolist() == ["Milk and fresh food program launched"]
    assert len(engagement.table("responses")) == 10
    assert (folder / "maps").glob("*.toml")


def test_closing_the_page_shuts_its_kernel_down_and_no_token_is_told_plainly(
    forms_server, offline_context
):
    import urllib.error
    import urllib.request

    url, _folder, _log = forms_server
    page = offline_context.new_page()
    _open(page, url)
    kernel = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page.content()).group(1)
    state = url.replace("/?token=", f"/api/kernels/{kernel}?token=")
    with urllib.request.urlopen(state, timeout=30) as response:  # loopback only
        assert response.status == 200
    close_tab(page)  # the tab is closed: the page calls Voilà's shutdown
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(state, timeout=30).close()
        except urllib.error.HTTPError as err:
            assert err.code == 404
            break
        assert time.monotonic() < deadline, "the closed page's kernel is still running"
        time.sleep(0.5)

    # The address without its token (in a browser that never had it): a page saying
    # what to do, and no forms.
    offline_context.context.clear_cookies()
    page = offline_context.new_page()
    page.goto(url.split("?", 1)[0], timeout=LOAD_MS)
    expect(page.get_by_role("alert")).to_contain_text("the one that ends in ?token=")
    expect(page.locator(".tk-forms")).to_have_count(0)


# ----------------------------------------------------------------------------- the page's shape

SCREENS = {"laptop": {"width": 1366, "height": 768}, "tablet": {"width": 768, "height": 1024}}
_SHOWN = ".tk-forms .widget-tab-contents > .widget-vbox:not(.lm-mod-hidden)"


def _shown_tab_ready(page) -> None:
    """Wait until the tab shown has its content (not the line shown while it is built)."""
    shown = page.locator(_SHOWN)
    expect(shown).not_to_contain_text("Opening this tab", timeout=LOAD_MS)
    expect(shown.locator(".widget-html, .widget-button").first).to_be_visible(timeout=LOAD_MS)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_form_comes_first_and_each_tab_is_under_two_screens(demo_server, chromium, screen):
    url, folder, _log = demo_server
    size = SCREENS[screen]
    guarded = guarded_context(chromium, viewport=size)
    try:
        page = guarded.new_page()
        _open(page, url)
        first = page.locator(".tk-form-assumed input").first
        expect(first).to_be_visible(timeout=LOAD_MS)
        box = first.bounding_box()
        assert box["y"] + box["height"] <= size["height"], "the first field needs a scroll"
        text = page.locator(".tk-forms").inner_text()
        assert "service-toolkit" not in text and "_id" not in text  # no command, no field name
        # Every tab, the coding queue with its statement and need buttons in.
        for key, title in TABS:
            _tab(page, title)
            _shown_tab_ready(page)
            if key == "coding":
                coding = page.locator(".tk-form-coding")
                expect(coding.locator(".tk-card")).to_be_visible(timeout=LOAD_MS)
                expect(coding.get_by_text(re.compile(r"\d+ of \d+ needs"))).to_be_visible(
                    timeout=STEP_MS
                )
                # The codebook's form is built when its section is opened.
                coding.get_by_text("No need fits? Add one to the codebook").click()
                expect(coding.get_by_label("Label")).to_be_visible(timeout=STEP_MS)
            if key == "wizard":  # the greyed buttons say why they are off
                wizard = page.locator(".tk-form-import")
                expect(wizard.get_by_role("button", name="Import")).to_be_disabled()
                expect(wizard.get_by_text(WHY_OFF["no file"])).to_be_visible(timeout=STEP_MS)
            height = page.locator(".tk-forms").bounding_box()["height"]
            assert height <= 2 * size["height"], f"{title}: {height:.0f} px at {screen}"
            text = page.locator(_SHOWN).inner_text()
            assert "_id" not in text and "service-toolkit" not in text, title
        # The rows the engagement already holds are listed, imported ones too.
        _tab(page, "What customers told us")
        stated = page.locator(".tk-form-stated")
        held = len(Engagement.open(folder).table("stated_needs"))  # imported ones too
        assert held > 10
        expect(stated.get_by_text(f"Newest first: 1–10 of {held}.")).to_be_visible(timeout=STEP_MS)
        assert guarded.refused == []
        close_tab(page)
    finally:
        guarded.context.close()


def test_a_reload_mid_entry_keeps_the_draft_and_the_tab(demo_server, offline_context):
    url, _folder, _log = demo_server
    page = offline_context.new_page()
    _open(page, url)
    _tab(page, "Events")
    events = page.locator(".tk-form-events")
    events.get_by_label("What happened").fill("Saturday opening hours")
    events.get_by_label("Starts on").fill("3/11/2026")
    expect(events.get_by_role("button", name="11 March 2026")).to_be_visible(timeout=STEP_MS)
    # The draft reaches the browser's storage as it is typed.
    page.wait_for_function(
        "() => Object.values(localStorage).some(v => v.includes('Saturday opening hours'))",
        timeout=STEP_MS,
    )
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))
    page.reload(timeout=LOAD_MS)
    assert asked == ["beforeunload"]  # the browser warned before leaving an unsaved draft
    events = page.locator(".tk-form-events")
    expect(events.get_by_label("What happened")).to_have_value(
        "Saturday opening hours", timeout=LOAD_MS
    )
    expect(events.get_by_label("Starts on")).to_have_value("3/11/2026")
    expect(page.get_by_role("tab", name="Events")).to_have_attribute("aria-selected", "true")
    events.get_by_role("button", name="11 March 2026").click()
    expect(events.get_by_text("= Wed 11 March 2026")).to_be_visible(timeout=STEP_MS)
    events.get_by_role("button", name="Save").click()
    expect(events.get_by_role("status").filter(has_text="Saved entry")).to_be_visible(
        timeout=STEP_MS
    )
    # Saved: no draft is kept, and leaving asks nothing.
    page.wait_for_function(
        "() => !Object.values(localStorage).some(v => v.includes('Saturday opening hours'))",
        timeout=STEP_MS,
    )
    asked.clear()
    page.reload(timeout=LOAD_MS)
    expect(page.locator(".tk-form-events")).to_be_visible(timeout=LOAD_MS)
    assert asked == []
    expect(page.locator(".tk-form-events").get_by_label("What happened")).to_have_value("")
    close_tab(page)


def test_two_browsers_never_see_each_others_drafts(demo_server, chromium):
    url, _folder, _log = demo_server
    one, two = guarded_context(chromium), guarded_context(chromium)
    try:
        first = one.new_page()
        _open(first, url)
        staff = first.locator(".tk-form-assumed").get_by_label("Staff member")
        staff.fill("Planner One")
        first.wait_for_function(
            "() => Object.values(localStorage).some(v => v.includes('Planner One'))",
            timeout=STEP_MS,
        )
        second = two.new_page()
        _open(second, url)
        other = second.locator(".tk-form-assumed").get_by_label("Staff member")
        expect(other).to_be_visible(timeout=LOAD_MS)
        second.wait_for_timeout(1000)  # time for a draft to arrive, were there one
        expect(other).to_have_value("")
        assert second.evaluate("() => Object.values(localStorage).join('')").find("Planner") < 0
        first.on("dialog", lambda dialog: dialog.accept())
        close_tab(first)
        close_tab(second)
    finally:
        one.context.close()
        two.context.close()
