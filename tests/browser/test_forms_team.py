"""`service-toolkit forms --team` as planners meet it in Chromium: the sign-in page, a
save that lands under the planner's name, a browser with no session refused, sign-out,
and two planners sharing one browser who never see each other's drafts."""

from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import expect

from toolkit.forms.accounts import add_planner
from toolkit.store import Engagement

from .conftest import close_tab, guarded_context, serve_forms

pytestmark = pytest.mark.browser

LOAD_MS = 90_000
STEP_MS = 30_000
PASSWORDS = {"ana": "correct horse battery", "bo": "bo's long password"}


@pytest.fixture(scope="module")
def team_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("team") / "riverside"
    engagement = Engagement.init(folder, name="riverside", organisation="Riverside Partners")
    for name, password in PASSWORDS.items():
        add_planner(engagement, name, password)
    log = tmp_path_factory.mktemp("team-log") / "forms.log"
    yield from serve_forms(folder, log, "--team", "--max-pages", "6")


def _sign_in(page, url, name, password=None):
    page.goto(url, timeout=LOAD_MS)
    expect(page.get_by_role("heading", name="Sign in to the listening forms")).to_be_visible(
        timeout=LOAD_MS
    )
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Password").fill(password or PASSWORDS[name])
    page.get_by_role("button", name="Sign in").click()


def _forms(page, name):
    expect(page.locator(".tk-forms")).to_be_visible(timeout=LOAD_MS)
    expect(page.get_by_text(f"Signed in as {name}")).to_be_visible(timeout=STEP_MS)


def _planner_page(context):
    """A new tab whose questions before leaving (a draft asks) are accepted, once each."""
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()  # a POST: a link signs no one out
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible(timeout=STEP_MS)


def test_a_planner_signs_in_and_saves_under_their_name(team_server, offline_context):
    url, folder, _log = team_server
    page = _planner_page(offline_context)
    _sign_in(page, url, "ana", "not my password")
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    expect(page.get_by_label("Your name")).to_have_value("ana")  # kept for the next try
    page.get_by_label("Password").fill(PASSWORDS["ana"])
    page.get_by_role("button", name="Sign in").click()
    _forms(page, "ana")
    page.get_by_role("tab", name="Events").click()
    events = page.locator(".tk-form-events")
    events.get_by_label("What happened").fill("Team open evening")
    events.get_by_label("Starts on").fill("2026-03-11")
    events.get_by_role("button", name="Save").click()
    expect(events.get_by_role("status").filter(has_text="Saved entry #1.")).to_be_visible(
        timeout=STEP_MS
    )
    con = sqlite3.connect(Engagement.open(folder).store_path)
    try:
        row = con.execute("SELECT label, saved_by, saved_at FROM events").fetchall()
    finally:
        con.close()
    assert [(label, who) for label, who, _ in row] == [("Team open evening", "ana")]
    assert row[0][2]  # when

    # The same server, from a browser no one signed in to: sent to sign in, its
    # requests refused, nothing saved.
    stranger = guarded_context(offline_context.context.browser)
    try:
        other = stranger.new_page()
        other.goto(url, timeout=LOAD_MS)
        expect(other.get_by_role("heading", name="Sign in to the listening forms")).to_be_visible()
        assert other.locator(".tk-forms").count() == 0
        for path in ("api/kernels/00000000-0000-0000-0000-000000000000", "voila/api/shutdown/x"):
            answer = stranger.context.request.post(url + path, fail_on_status_code=False)
            assert answer.status == 403 and "Sign in first" in answer.text()
    finally:
        stranger.context.close()

    _sign_out(page)
    page.goto(url, timeout=LOAD_MS)
    expect(page.get_by_role("heading", name="Sign in to the listening forms")).to_be_visible(
        timeout=LOAD_MS
    )
    assert offline_context.refused == []


def test_planners_sharing_a_browser_never_see_each_others_drafts(team_server, chromium):
    url, _folder, _log = team_server
    shared = guarded_context(chromium)
    try:
        page = _planner_page(shared)
        _sign_in(page, url, "ana")
        _forms(page, "ana")
        page.get_by_role("tab", name="Events").click()
        page.locator(".tk-form-events").get_by_label("What happened").fill("Ana's draft")
        page.wait_for_function(
            '() => Object.values(localStorage).some(v => v.includes("Ana\'s draft"))',
            timeout=STEP_MS,
        )
        _sign_out(page)

        _sign_in(page, url, "bo")
        _forms(page, "bo")
        page.get_by_role("tab", name="Events").click()
        happened = page.locator(".tk-form-events").get_by_label("What happened")
        expect(happened).to_be_visible(timeout=STEP_MS)
        page.wait_for_timeout(1500)  # time for a draft to arrive, were there one
        expect(happened).to_have_value("")
        _sign_out(page)

        _sign_in(page, url, "ana")  # Ana's draft is still hers
        _forms(page, "ana")
        events = page.locator(".tk-form-events")
        expect(events.get_by_label("What happened")).to_have_value("Ana's draft", timeout=STEP_MS)
        close_tab(page)
    finally:
        shared.context.close()
