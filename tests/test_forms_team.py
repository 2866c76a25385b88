"""Forms for a team (issue #22): planner accounts, sign-in, who saved each entry.

Unit tests for the password hashing, the accounts and the `users` command (exit codes
as DESIGN §8), the session cookie and the limit on wrong passwords (with a clock the
test moves, never a real wait), saved_by/saved_at and `status` per person; then a real
`forms --team` server over https with a self-signed certificate made here, sent the
requests an outsider would make: none gets past sign-in, none from another site.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests._loops import free_port, run_apart
from tests._old_store import as_version_4
from toolkit.cli import main
from toolkit.errors import DataValidationError, ToolkitError
from toolkit.forms import accounts
from toolkit.forms.accounts import (
    add_planner,
    check_password,
    hash_password,
    planner_name,
    session_stamp,
    verify_password,
)
from toolkit.forms.serve import host_refusal, is_loopback
from toolkit.forms.signin import NAME_LIMIT, Sessions, SignInLimiter, refusal_for
from toolkit.forms.voila_app import request_refusal
from toolkit.store import SCHEMA_VERSION, Engagement

REPO = Path(__file__).resolve().parents[1]
WAIT = 180  # a bound for a hang on a loaded machine, not a speed check
PASSWORD = "correct horse battery"


def _cli(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


@pytest.fixture
def engagement(tmp_path):
    return Engagement.init(tmp_path / "riverside", name="riverside")


# --------------------------------------------------------------------------- passwords


def test_a_password_is_stored_as_a_salted_scrypt_hash_and_checked_against_it():
    stored = hash_password(PASSWORD)
    kind, n, r, p, salt, key = stored.split("$")
    assert (kind, int(n), int(r), int(p)) == ("scrypt", 2**14, 8, 1)
    assert PASSWORD not in stored
    assert hash_password(PASSWORD) != stored  # a new salt each time
    assert verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD + "!", stored)
    assert not verify_password("Correct horse battery", stored)  # case counts


@pytest.mark.parametrize("stored", [None, "", "plain", "scrypt$1$2$3$abc", "md5$x$y$z$a$b"])
def test_no_account_or_a_hash_not_ours_never_lets_anyone_in(stored):
    assert not verify_password(PASSWORD, stored)
    assert not verify_password("", stored)


def test_names_are_checked_and_ignore_case():
    assert planner_name("  Maria.Lopez ") == "maria.lopez"
    for bad in ("", "a b", "-lead", "x" * 41, "ana/../bo", "ana<script>"):
        with pytest.raises(DataValidationError, match="is not a planner name"):
            planner_name(bad)


def test_short_or_space_ended_passwords_are_refused():
    assert check_password("a" * accounts.MIN_PASSWORD)
    with pytest.raises(DataValidationError, match="use at least 10"):
        check_password("short")
    with pytest.raises(DataValidationError, match="starts or ends with a space"):
        check_password(" " + PASSWORD)


# --------------------------------------------------------------------------- users command


def test_users_add_list_reset_and_remove(engagement):
    path = engagement.path
    listed = _cli("users", path)
    assert listed.exit_code == 0 and f"users {path} add NAME" in listed.output
    added = _cli("users", path, "add", "Ana", "--password-stdin", input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "Added planner ana" in added.output
    stored = engagement.planner_hash("ana")
    assert verify_password(PASSWORD, stored)
    assert json.loads(_cli("users", path, "--json").output)[0]["name"] == "ana"
    assert "password_hash" not in _cli("users", path, "--json").output

    again = _cli("users", path, "add", "ana", "--password-stdin", input=PASSWORD + "\n")
    assert again.exit_code == 1 and 'already a planner named "ana"' in again.output
    reset = _cli(
        "users", path, "reset-password", "ANA", "--password-stdin", input="a new long password\n"
    )
    assert reset.exit_code == 0, reset.output
    assert verify_password("a new long password", engagement.planner_hash("ana"))
    assert not verify_password(PASSWORD, engagement.planner_hash("ana"))

    gone = _cli("users", path, "remove", "ana")
    assert gone.exit_code == 0 and "can no longer sign in" in gone.output
    assert engagement.planner_hash("ana") is None
    missing = _cli("users", path, "remove", "ana")
    assert missing.exit_code == 1 and 'no planner named "ana"' in missing.output
    assert "Traceback" not in missing.output


def test_users_usage_mistakes_exit_2(engagement):
    assert _cli("users", engagement.path, "add").exit_code == 2  # no name
    assert _cli("users", engagement.path, "promote", "ana").exit_code == 2
    assert _cli("users", engagement.path, "ana").exit_code == 2  # no action
    assert engagement.planners() == []


def test_users_bad_passwords_exit_1_and_change_nothing(engagement, monkeypatch):
    path = engagement.path
    short = _cli("users", path, "add", "ana", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "use at least 10" in short.output
    empty = _cli("users", path, "add", "ana", "--password-stdin", input="")
    assert empty.exit_code == 1 and "read no password" in empty.output
    typed = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    differ = _cli("users", path, "add", "ana")
    assert differ.exit_code == 1 and "two passwords typed differ" in differ.output
    assert engagement.planners() == []
    typed = iter([PASSWORD, PASSWORD])
    asked = _cli("users", path, "add", "ana")
    assert asked.exit_code == 0, asked.output
    assert verify_password(PASSWORD, engagement.planner_hash("ana"))


def test_reset_password_for_no_such_planner_asks_for_no_password(engagement):
    result = _cli("users", engagement.path, "reset-password", "zed", "--password-stdin", input="")
    assert result.exit_code == 1 and 'no planner named "zed"' in result.output


def test_the_password_read_from_stdin_keeps_inner_spaces_and_drops_the_line_end():
    read = accounts.read_password("ana", from_stdin=True, stdin=io.StringIO("two  words here\r\n"))
    assert read == "two  words here"


# --------------------------------------------------------------------------- the store


def test_every_save_records_who_and_when_and_status_counts_per_person(engagement):
    add_planner(engagement, "ana", PASSWORD)
    first = engagement.save_entry("events", {"label": "Open day", "starts_on": "2026-03-07"})
    engagement.save_entry("events", {"label": "Fair", "starts_on": "2026-04-01"}, saved_by="ana")
    engagement.save_entry("assumed-needs", {"staff": "Bo", "need": "Evening hours"}, saved_by="ana")
    con = sqlite3.connect(engagement.store_path)
    rows = con.execute("SELECT label, saved_by, saved_at FROM events ORDER BY _tk_row").fetchall()
    import getpass

    assert rows[0][1] == getpass.getuser()  # no --team: this machine's user
    assert rows[1][1] == "ana" and rows[1][2].startswith("20")
    # A correction records who corrected it.
    engagement.save_entry(
        "events", {"label": "Open day", "starts_on": "2026-03-08"}, entry=first, saved_by="ana"
    )
    assert con.execute("SELECT saved_by FROM events WHERE _tk_row = ?", (first,)).fetchone() == (
        "ana",
    )
    con.close()
    people = engagement.status()["saved_by"]
    assert {(p["person"], p["table"], p["entries"]) for p in people} == {
        ("ana", "assumed-needs", 1),
        ("ana", "events", 2),
    }
    shown = _cli("status", engagement.path)
    assert "Saved in the forms, by person:" in shown.output
    assert re.search(r"ana\s+3 entries \(assumed-needs 1, events 2\)", shown.output)
    as_json = json.loads(_cli("status", engagement.path, "--json").output)
    assert as_json["saved_by"] == people


def test_imported_rows_have_no_saver_and_a_saved_by_column_is_refused(engagement, tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("starts_on,label\n2026-01-05,Fair\n")
    assert _cli("import", engagement.path, events, "--table", "events").exit_code == 0
    assert engagement.status()["saved_by"] == []
    kept = tmp_path / "kept.csv"
    kept.write_text("starts_on,label,Saved_By\n2026-01-06,Market,someone\n")
    refused = _cli("import", engagement.path, kept, "--table", "events")
    assert refused.exit_code == 1
    assert "column the toolkit keeps itself" in refused.output and "Saved_By" in refused.output
    assert engagement.status()["tables"]["events"] == 1


def test_a_version_4_store_gains_the_columns_and_the_accounts_table(engagement):
    engagement.save_entry("events", {"label": "Open day", "starts_on": "2026-03-07"})
    as_version_4(engagement.store_path)
    reopened = Engagement.open(engagement.path)
    con = sqlite3.connect(reopened.store_path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("SELECT saved_by FROM events").fetchall() == [(None,)]  # unknown
    con.close()
    add_planner(reopened, "ana", PASSWORD)
    assert [p["name"] for p in reopened.planners()] == ["ana"]
    assert list(reopened.path.glob("data.sqlite.v4-*.bak"))  # backed up first


# --------------------------------------------------------------------------- sessions, limits


class _Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class _Accounts:
    """An engagement's accounts, as Sessions reads them."""

    def __init__(self, **hashes):
        self.hashes = hashes

    def planner_hash(self, name):
        return self.hashes.get(name)


def _sessions(accounts_, clock, port=8000, hours=12.0):
    return Sessions(accounts_, b"s" * 32, port, secure=True, hours=hours, clock=clock)


def test_a_session_names_its_planner_until_it_expires(monkeypatch):
    clock = _Clock()
    people = _Accounts(ana=hash_password(PASSWORD))
    sessions = _sessions(people, clock)
    value = sessions.value("ana").decode()
    assert sessions.planner(value) == "ana"
    clock.now += 11.9 * 3600
    assert sessions.planner(value) == "ana"
    clock.now += 0.2 * 3600
    assert sessions.planner(value) is None  # 12 hours are up
    assert sessions.planner(None) is None and sessions.planner("") is None


def test_a_session_carries_the_stamp_of_the_password_it_signed_in_with():
    # the page's kernel is noted with the cookie's own stamp, not the server's cached
    # one: a page opened with a cookie from before a reset saves nothing after it
    people = _Accounts(ana=hash_password(PASSWORD))
    sessions = _sessions(people, _Clock())
    value = sessions.value("ana").decode()
    name, _, stamp = sessions.session(value)
    assert (name, stamp) == ("ana", session_stamp(people.hashes["ana"]))


def test_a_forged_tampered_or_other_servers_session_is_refused():
    clock = _Clock()
    people = _Accounts(ana=hash_password(PASSWORD))
    sessions = _sessions(people, clock)
    value = sessions.value("ana").decode()
    assert sessions.planner(value[:-2] + ("00" if value[-2:] != "00" else "11")) is None
    assert sessions.planner('{"u": "ana"}') is None
    other_port = _sessions(people, clock, port=8001)
    assert other_port.planner(value) is None  # another forms server on this machine
    other_secret = Sessions(people, b"t" * 32, 8000, secure=True, hours=12, clock=clock)
    assert other_secret.planner(value) is None  # the server was restarted


def test_a_password_reset_or_removal_ends_the_session(monkeypatch):
    clock = _Clock()
    people = _Accounts(ana=hash_password(PASSWORD))
    sessions = _sessions(people, clock)
    value = sessions.value("ana").decode()
    people.hashes["ana"] = hash_password("another long password")
    assert sessions.stamp("ana", fresh=True) == session_stamp(people.hashes["ana"])
    assert sessions.planner(value) is None
    sessions = _sessions(people, clock)
    value = sessions.value("ana").decode()
    del people.hashes["ana"]
    sessions.stamp("ana", fresh=True)
    assert sessions.planner(value) is None


def test_wrong_passwords_stop_a_name_then_an_address_for_a_while():
    clock = _Clock()
    limiter = SignInLimiter(clock=clock)
    for _ in range(NAME_LIMIT):
        assert limiter.refusal("ana", "10.0.0.5") is None
        limiter.failed("ana", "10.0.0.5")
    refusal = limiter.refusal("ana", "10.0.0.9")
    assert refusal and "Too many wrong passwords for this name" in refusal
    assert "Wait 15 minutes" in refusal
    assert limiter.refusal("bo", "10.0.0.9") is None  # other names are not stopped
    clock.now += 15 * 60
    assert limiter.refusal("ana", "10.0.0.5") is None  # the while has passed
    for i in range(20):
        limiter.failed(f"name{i}", "10.0.0.7")  # one computer trying many names
    assert "from this computer" in (limiter.refusal("cy", "10.0.0.7") or "")
    limiter.failed("ana", "10.0.0.5")
    limiter.succeeded("ana")
    assert limiter.refusal("ana", "10.0.0.5") is None


def test_a_right_password_does_not_count_against_its_computer():
    limiter = SignInLimiter(clock=_Clock())
    at = limiter.failed("ana", "10.0.0.5")  # each try counts before its password is checked
    limiter.succeeded("ana", "10.0.0.5", at)
    for i in range(19):
        limiter.failed(f"name{i}", "10.0.0.5")
    assert limiter.refusal("cy", "10.0.0.5") is None  # 19 wrong, not 20


def test_guesses_sent_at_once_are_checked_no_more_than_the_limit(monkeypatch):
    import asyncio
    from urllib.parse import urlencode

    import tornado.httpclient
    import tornado.web

    from toolkit.forms import signin

    checked = []
    real = signin.verify_password
    monkeypatch.setattr(
        signin,
        "verify_password",
        lambda typed, stored: checked.append(typed) or real(typed, stored),
    )

    async def guess_at_once(port):
        sessions = _sessions(_Accounts(maria=hash_password(PASSWORD)), time.time)
        app = tornado.web.Application(
            [(signin.LOGIN_PATH, signin.SignInHandler)], forms_sessions=sessions
        )
        server = app.listen(port, "127.0.0.1")
        client = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=64)
        try:
            answers = await asyncio.gather(
                *[
                    client.fetch(
                        f"http://127.0.0.1:{port}/login",
                        method="POST",
                        body=urlencode({"name": "maria", "password": f"guess number {i}"}),
                        raise_error=False,
                        follow_redirects=False,
                    )
                    for i in range(40)
                ]
            )
        finally:
            client.close()
            server.stop()
        return answers

    answers = run_apart(guess_at_once(free_port()))
    assert len(checked) == NAME_LIMIT, f"{len(checked)} guesses were checked"
    assert {answer.code for answer in answers} == {401}
    stopped = [a for a in answers if b"Too many wrong passwords" in a.body]
    assert len(stopped) == 40  # the last of the 5 checked is told it is stopped too


def _signed_out(sessions, value):
    from http.cookies import SimpleCookie

    class _Handler:
        request = _Request("/logout", "POST", cookies=SimpleCookie({sessions.cookie: value}))

        def clear_cookie(self, *args, **kwargs):
            pass

    return sessions.end(_Handler())


def test_signed_out_sessions_are_forgotten_once_they_would_have_expired():
    clock = _Clock()
    sessions = _sessions(_Accounts(ana=hash_password(PASSWORD)), clock, hours=12.0)
    kept = sessions.value("ana").decode()
    for _ in range(50):  # a planner signing in and out all day
        value = sessions.value("ana").decode()
        sessions.page_opened(sessions.session(value)[1], "kernel-a")
        assert _signed_out(sessions, value) == {"kernel-a"}
        assert sessions.planner(value) is None  # a copied cookie is no use after
        clock.now += 600
    sessions.page_opened(sessions.session(kept)[1], "kernel-b")  # a tab never signed out
    assert len(sessions.ended) == 50 and len(sessions.pages) == 1
    clock.now += 12 * 3600
    value = sessions.value("ana").decode()
    sessions.page_opened(sessions.session(value)[1], "kernel-c")
    assert _signed_out(sessions, value) == {"kernel-c"}
    assert len(sessions.ended) == 1 and sessions.pages == {}  # only this session's


class _Request:
    def __init__(self, path, method="GET", headers=None, cookies=None):
        self.path, self.method = path, method
        self.headers = headers or {}
        self.cookies = cookies or {}


def test_everything_but_signing_in_needs_a_session():
    sessions = _sessions(_Accounts(), _Clock())
    assert refusal_for(_Request("/"), sessions) == (302, "/login?next=/")
    assert refusal_for(_Request("/voila/static/voila.js"), sessions)[0] == 302
    for request in (
        _Request("/api/kernels"),
        _Request("/api/kernels/x/channels", headers={"Upgrade": "websocket"}),
        _Request("/voila/query/x", headers={"Upgrade": "websocket"}),
        _Request("/voila/api/shutdown/x", method="POST"),
    ):
        status, text = refusal_for(request, sessions)
        assert status == 403 and "Sign in first" in text
    assert refusal_for(_Request("/login", method="POST"), sessions) is None
    assert refusal_for(_Request("/logout"), sessions) is None


def test_an_allowed_name_on_a_https_server_is_its_own_scheme_and_port_only():
    # docs/team.md's direct https example: --host 0.0.0.0 --allow-host NAME --certfile …
    where = {
        "port": 8870,
        "extra": frozenset({"forms.riverside.local"}),
        "names": ("0.0.0.0", "127.0.0.1"),
        "scheme": "https",
    }
    host = "forms.riverside.local:8870"
    assert request_refusal(host, "https://forms.riverside.local:8870", **where) is None
    for origin in ("http://forms.riverside.local:8870", "https://forms.riverside.local:9443"):
        assert "another site" in request_refusal(host, origin, **where)
    # Behind a proxy (plain http here), the name comes as the proxy serves it.
    proxied = {**where, "names": ("127.0.0.1",), "scheme": "http"}
    assert (
        request_refusal("forms.riverside.local", "https://forms.riverside.local", **proxied) is None
    )


def test_a_teams_address_is_answered_over_https_only_when_it_has_a_certificate():
    team = {"port": 8443, "names": ("10.1.2.3", "127.0.0.1"), "scheme": "https"}
    assert request_refusal("10.1.2.3:8443", "https://10.1.2.3:8443", **team) is None
    assert "another site" in request_refusal("10.1.2.3:8443", "http://10.1.2.3:8443", **team)
    assert "another site" in request_refusal("10.1.2.3:8443", "https://evil.example", **team)
    assert "https://10.1.2.3:8443/" in request_refusal("evil.example:8443", None, **team)
    # Without --team, the address is refused as before.
    assert request_refusal("10.1.2.3:8443", None, port=8443) is not None


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("192.168.1.20", False),
        ("forms.example.org", False),
    ],
)
def test_only_loopback_serves_without_team(host, loopback):
    assert is_loopback(host) is loopback
    assert (host_refusal(host, team=False) is None) is loopback
    assert host_refusal(host, team=True) is None


# --------------------------------------------------------------------------- forms options


def test_forms_refuses_a_network_address_without_team(engagement):
    result = _cli("forms", engagement.path, "--host", "0.0.0.0", "--no-browser")
    assert result.exit_code == 2
    assert "only with sign-in: add --team" in result.output
    assert not (engagement.path / ".forms-token").exists()


def test_forms_team_without_accounts_says_how_to_add_one(engagement):
    result = _cli("forms", engagement.path, "--team", "--no-browser")
    assert result.exit_code == 1
    assert "has no planner accounts yet" in result.output
    assert f"service-toolkit users {engagement.path} add NAME" in result.output


def test_forms_option_mistakes_exit_2(engagement, tmp_path):
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate")
    for options in (
        ["--certfile", cert],
        ["--team", "--keyfile", cert],
        ["--team", "--new-token"],
    ):
        result = _cli("forms", engagement.path, "--no-browser", *options)
        assert result.exit_code == 2, (options, result.output)


def test_forms_team_with_a_certificate_it_cannot_use_exits_1(engagement, tmp_path):
    add_planner(engagement, "ana", PASSWORD)
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate")
    result = _cli("forms", engagement.path, "--team", "--certfile", cert, "--no-browser")
    assert result.exit_code == 1 and "cannot be used" in result.output
    missing = _cli("forms", engagement.path, "--team", "--certfile", tmp_path / "no.pem")
    assert missing.exit_code == 1 and "cannot be used" in missing.output
    every = _cli("forms", engagement.path, "--team", "--host", "0.0.0.0", "--no-browser")
    assert every.exit_code == 1 and "--allow-host NAME" in every.output


def test_the_kernel_saves_under_the_planner_the_server_noted(monkeypatch, tmp_path, engagement):
    from toolkit.forms import planner

    monkeypatch.delenv("SERVICE_TOOLKIT_FORMS_TEAM", raising=False)
    assert planner.current_planner() is None  # one machine: the store names its user
    monkeypatch.setenv("SERVICE_TOOLKIT_FORMS_TEAM", "1")
    noted = tmp_path / "kernel-1.planner"
    monkeypatch.setattr(planner, "_planner_file", lambda: noted)
    with pytest.raises(ToolkitError, match="does not know who you are"):
        planner.current_planner()
    noted.write_text("ana")
    assert planner.current_planner() == "ana"
    with pytest.raises(ToolkitError, match="no longer has an account"):
        planner.current_planner(engagement)
    add_planner(engagement, "ana", PASSWORD)
    with pytest.raises(ToolkitError, match="password of ana was changed"):
        planner.current_planner(engagement)  # noted with no sign-in's stamp
    noted.write_text(f"ana\n{session_stamp(engagement.planner_hash('ana'))}")
    assert planner.current_planner(engagement) == "ana"


def test_a_page_left_open_saves_nothing_after_its_planners_password_is_reset(
    monkeypatch, tmp_path, engagement
):
    from toolkit.forms import planner
    from toolkit.forms.accounts import reset_password
    from toolkit.forms.signin import note_planner

    add_planner(engagement, "ana", PASSWORD)
    monkeypatch.setenv("SERVICE_TOOLKIT_FORMS_TEAM", "1")
    connection = tmp_path / "kernel-1.json"

    class Manager:  # what note_planner asks of jupyter_server's kernel manager
        def get_kernel(self, kernel_id):
            return type("Kernel", (), {"connection_file": str(connection)})()

    note_planner(Manager(), "k1", "ana", session_stamp(engagement.planner_hash("ana")))
    noted = connection.with_suffix(".planner")
    assert oct(noted.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setattr(planner, "_planner_file", lambda: noted)
    assert planner.current_planner(engagement) == "ana"
    reset_password(engagement, "ana", PASSWORD + " again")
    with pytest.raises(ToolkitError, match="password of ana was changed after this page"):
        planner.current_planner(engagement)
    engagement.write_guard = lambda: planner.current_planner(engagement)
    with pytest.raises(ToolkitError, match="Reload the page and sign in"):
        engagement.alias_segment("Parents", "Residents")


def test_a_page_with_no_known_planner_changes_nothing(monkeypatch, tmp_path, write_csv):
    from toolkit.forms import planner
    from toolkit.forms.app import forms_app

    outreach = [
        ["held_on", "channel", "segment", "invited", "responses", "language"],
        ["2024-03-01", "survey link", "Residents", "200", "46", "English"],
        ["2024-03-01", "paper", "Parents", "50", "31", "Spanish"],
    ]
    engagement = Engagement.init(tmp_path / "riverside", name="riverside")
    engagement.import_file(write_csv("outreach.csv", outreach), table="outreach")
    monkeypatch.setenv("SERVICE_TOOLKIT_FORMS_TEAM", "1")
    noted = tmp_path / "kernel-1.planner"
    noted.write_text("ana")  # ana's page; ana has no account (removed)
    monkeypatch.setattr(planner, "_planner_file", lambda: noted)
    form = forms_app(engagement).forms["outreach"]
    entry = int(engagement.table("outreach", row_ids=True)["entry"].iloc[0])
    form.load(entry)
    assert form.submit() is None  # Save
    form.remove(entry)
    form.remove(entry)  # "Really delete?": the second click deletes
    assert "ana no longer has an account" in form.status.value
    # Every other write the page can make goes through the same guard.
    more = [outreach[0], ["2024-04-02", "paper", "Residents", "80", "12", "English"]]
    writes = [
        lambda: engagement.import_file(write_csv("more.csv", more), table="outreach"),  # wizard
        lambda: engagement.alias_segment("Parents", "Residents"),  # groups tab, wizard
        lambda: engagement.set_codes({("stated_needs", 1): "access"}),  # the coding tab
    ]
    for write in writes:
        with pytest.raises(DataValidationError, match="no longer has an account"):
            write()
    noted.write_text("")  # a page the server never saw
    with pytest.raises(DataValidationError, match="does not know who you are"):
        engagement.delete_entry("outreach", entry)
    assert len(engagement.table("outreach")) == 2
    again = Engagement.open(engagement.path)
    add_planner(again, "ana", PASSWORD)  # `users add`, elsewhere
    noted.write_text(f"ana\n{session_stamp(again.planner_hash('ana'))}")  # ana signs in
    form.remove(entry)
    form.remove(entry)
    assert f"Deleted entry #{entry}" in form.status.value
    assert len(engagement.table("outreach")) == 1


# --------------------------------------------------------------------------- a running server


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the cryptography package."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certfile, keyfile


class Team:
    """A running `forms --team` over https, and requests to it."""

    def __init__(self, port: int, certfile: Path, folder: Path):
        self.port, self.folder = port, folder
        self.context = ssl.create_default_context(cafile=str(certfile))

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def request(self, method, path, headers=None, body=None):
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.port, timeout=WAIT, context=self.context
        )
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read().decode(errors="replace")
        finally:
            conn.close()

    def sign_in(self, name, password, origin=None):
        body = f"name={name}&password={password.replace(' ', '+')}"
        headers = {
            "Origin": origin or self.origin,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return self.request("POST", "/login?next=/", headers, body)


WEBSOCKET = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
}


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    base = tmp_path_factory.mktemp("team")
    engagement = Engagement.init(base / "riverside", name="riverside")
    add_planner(engagement, "ana", PASSWORD)
    add_planner(engagement, "bo", "bo's long password")
    certfile, keyfile = _certificate(base)
    port = free_port()
    log = base / "forms.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "toolkit.cli", "forms", str(engagement.path), "--team"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--max-pages", "2"]
    command += ["--certfile", str(certfile), "--keyfile", str(keyfile)]
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + WAIT
        while f"at https://127.0.0.1:{port}/" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        assert "?token=" not in log.read_text()
        yield Team(port, certfile, engagement.path)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _cookie(headers) -> str:
    set_cookie = [c for c in headers.get_all("Set-Cookie") or [] if "service-toolkit-forms" in c]
    assert len(set_cookie) == 1, set_cookie
    return set_cookie[0]


@pytest.mark.slow
def test_unsigned_requests_of_every_kind_are_refused(team):
    status, headers, _ = team.request("GET", "/")
    assert status == 302 and headers["Location"] == "/login?next=/"
    status, _, text = team.request("GET", "/login")
    assert status == 200 and "Sign in to the listening forms" in text
    assert "riverside" not in text  # nothing about the engagement before signing in
    for method, path, extra in [
        ("GET", "/voila/static/voila.js", {}),
        ("GET", "/voila/templates/service-toolkit/static/voila.js", {}),
        ("GET", "/voila/labextensions/@jupyter-widgets/jupyterlab-manager/package.json", {}),
        ("GET", "/api/kernels", {}),
        ("GET", "/api/kernels/00000000-0000-0000-0000-000000000000/channels", WEBSOCKET),
        ("GET", "/voila/query/00000000-0000-0000-0000-000000000000", WEBSOCKET),
        ("POST", "/voila/api/shutdown/00000000-0000-0000-0000-000000000000", {}),
        ("GET", "/?token=anything", {}),
    ]:
        status, _, text = team.request(method, path, {"Origin": team.origin, **extra})
        assert status in (302, 403), (method, path, status)
        if status == 403:
            assert "Sign in first" in text
    # A cookie the server did not sign is no session.
    forged = {"Cookie": f"service-toolkit-forms-{team.port}=" + '"2|1:0|10:1|x|4:e30=|00"'}
    assert team.request("GET", "/api/kernels", forged)[0] == 403
    # Plain http on the https port is not served.
    conn = http.client.HTTPConnection("127.0.0.1", team.port, timeout=WAIT)
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        conn.request("GET", "/")
        conn.getresponse().read()
    conn.close()


@pytest.mark.slow
def test_a_planner_signs_in_gets_a_page_whose_kernel_knows_them_and_signs_out(team):
    status, _, text = team.sign_in("ana", "not the password")
    assert status == 401 and "do not match an account" in text
    status, headers, _ = team.sign_in("ANA", PASSWORD)
    assert status == 302 and headers["Location"] == "/"
    cookie = _cookie(headers)
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    jar = {"Cookie": cookie.split(";", 1)[0]}
    status, headers, text = team.request("GET", "/", jar)
    assert status == 200, text[-2000:]
    kernel = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', text).group(1)
    noted = Path(tempfile.gettempdir()).glob(f"voila_*/kernel-{kernel}.planner")
    assert [p.read_text().split()[0] for p in noted] == ["ana"]
    assert team.request("GET", "/voila/static/voila.js", jar)[0] == 200
    assert team.request("GET", f"/api/kernels/{kernel}", jar)[0] == 200
    own = {**jar, **WEBSOCKET, "Origin": team.origin}
    assert team.request("GET", f"/api/kernels/{kernel}/channels", own)[0] == 101
    # The same signed-in browser, driven by another site, is refused.
    for origin in ("https://evil.example", f"http://127.0.0.1:{team.port}", "null"):
        foreign = {**jar, **WEBSOCKET, "Origin": origin}
        status, _, text = team.request("GET", f"/api/kernels/{kernel}/channels", foreign)
        assert status == 403 and "another site" in text
        assert team.sign_in("ana", PASSWORD, origin=origin)[0] == 403
    evil_host = {**jar, "Host": f"evil.example:{team.port}"}
    assert team.request("GET", f"/api/kernels/{kernel}", evil_host)[0] == 403
    # A link (a GET), a POST with no Origin or another site's, signs no one out.
    status, _, text = team.request("GET", "/logout", jar)
    assert status == 200 and "Sign out of the listening forms?" in text
    assert team.request("POST", "/logout", jar, "")[0] == 403
    foreign = {**jar, "Origin": "https://evil.example"}
    assert team.request("POST", "/logout", foreign, "")[0] == 403
    assert team.request("GET", f"/api/kernels/{kernel}", jar)[0] == 200
    # Signing out (the page's own POST) ends the session in this browser.
    status, headers, text = team.request("POST", "/logout", {**jar, "Origin": team.origin}, "")
    assert status == 200 and "You are signed out" in text
    assert f"service-toolkit-forms-{team.port}=;" in _cookie(headers).replace('""', "")
    # The old cookie, kept (copied, say), signs no one in any more.
    assert team.request("GET", f"/api/kernels/{kernel}", jar)[0] == 403
    assert team.request("GET", "/", jar)[0] == 302
    # The page that session opened has stopped: a tab left open saves nothing more.
    again = {"Cookie": _cookie(team.sign_in("ana", PASSWORD)[1]).split(";", 1)[0]}
    assert team.request("GET", f"/api/kernels/{kernel}", again)[0] == 404


@pytest.mark.slow
def test_a_removed_planners_session_ends(team):
    status, headers, _ = team.sign_in("bo", "bo's long password")
    assert status == 302
    jar = {"Cookie": _cookie(headers).split(";", 1)[0]}
    static = "/voila/static/voila.js"
    assert team.request("GET", static, jar)[0] == 200
    assert _cli("users", team.folder, "remove", "bo").exit_code == 0
    deadline = time.monotonic() + WAIT  # the server asks the store again within seconds
    while team.request("GET", static, jar)[0] == 200:
        assert time.monotonic() < deadline, "a removed planner stayed signed in"
        time.sleep(1)
    assert team.sign_in("bo", "bo's long password")[0] == 401


@pytest.mark.slow
def test_wrong_passwords_are_slowed_then_stopped(team):
    started = time.monotonic()
    for _ in range(NAME_LIMIT):
        status, _, text = team.sign_in("bo2", "wrong password")
        assert status == 401
    assert time.monotonic() - started >= NAME_LIMIT * 1.0  # each waited a second
    status, _, text = team.sign_in("bo2", "wrong password")
    assert status == 401 and "Too many wrong passwords for this name" in text
