"""The actions and outreach tables (issue #21): import, checks, export, and the events an
action makes once it is launched. Every test runs on both store backends (SQLite, and
PostgreSQL where the tests have a server: tests/_postgres.py): the triggers behave alike."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from tests._postgres import make_engagement
from toolkit.errors import DataValidationError
from toolkit.store import SCHEMA_VERSION, Engagement

ACTIONS = [
    ["action_id", "code", "segment", "action", "owner", "status", "starts_on", "event"],
    [
        "A1",
        "perishable_food",
        "",
        "Fresh milk every Tuesday",
        "Ana",
        "under way",
        "2024-07-01",
        "Launched the milk program",
    ],
    ["A2", "hot_meals", "Parents", "Hot meals on Fridays", "Bo", "planned", "", "Hot meals"],
    ["A3", "", "Seniors", "Home visits", "Cy", "done", "2024-03-01", ""],
]


@pytest.fixture(params=["sqlite", "postgresql"])
def engagement(request, tmp_path):
    return make_engagement(request, request.param, tmp_path / "riverside", name="Riverside")


@pytest.fixture
def actions_csv(write_csv):
    return write_csv("actions.csv", ACTIONS)


def test_an_action_under_way_with_an_event_makes_the_event(engagement, actions_csv):
    engagement.import_file(actions_csv, table="actions")
    actions = engagement.actions
    assert actions["status"].tolist() == ["under way", "planned", "done"]
    events = engagement.events
    # Only A1 is launched and names an event; A2 is planned, A3 names none.
    assert events["label"].tolist() == ["Launched the milk program"]
    assert events["starts_on"].tolist() == [pd.Timestamp("2024-07-01")]
    assert events["segment"].isna().all()  # blank segment: everyone


def test_the_event_follows_its_action(engagement, actions_csv):
    result = engagement.import_file(actions_csv, table="actions")
    entries = engagement.table("actions", row_ids=True)
    planned = int(entries.loc[entries["action_id"] == "A2", "entry"].iloc[0])
    values = {k: v for k, v in zip(ACTIONS[0], ACTIONS[2], strict=True)}
    engagement.save_entry(
        "actions", {**values, "status": "under way", "starts_on": "2024-09-02"}, entry=planned
    )
    assert sorted(engagement.events["label"]) == ["Hot meals", "Launched the milk program"]
    hot = engagement.events.set_index("label").loc["Hot meals"]
    assert hot["starts_on"] == pd.Timestamp("2024-09-02") and hot["segment"] == "Parents"
    engagement.save_entry("actions", {**values, "status": "dropped"}, entry=planned)
    assert engagement.events["label"].tolist() == ["Launched the milk program"]
    engagement.remove_import(result.import_id)
    assert engagement.events.empty and engagement.actions.empty


def test_an_event_already_recorded_is_used_not_copied(engagement, actions_csv, write_csv):
    events = write_csv(
        "events.csv",
        [["starts_on", "label"], ["2024-06-28", "launched the milk program "]],
    )
    engagement.import_file(events, table="events")
    engagement.import_file(actions_csv, table="actions")
    assert engagement.events["label"].tolist() == ["launched the milk program"]
    assert engagement.events["starts_on"].tolist() == [pd.Timestamp("2024-06-28")]


def test_replacing_the_actions_replaces_their_events(engagement, actions_csv, write_csv):
    engagement.import_file(actions_csv, table="actions")
    rows = [row[:] for row in ACTIONS]
    rows[1][5] = "dropped"
    engagement.import_file(write_csv("actions.csv", rows), table="actions", replace=True)
    assert engagement.events.empty
    assert engagement.actions.loc[0, "status"] == "dropped"


def test_an_event_two_actions_name_stays_while_either_does(engagement, write_csv):
    """Removing the action that made an event hands the event to another launched action
    naming it; the event goes only when no action names it."""
    first = engagement.import_file(write_csv("a1.csv", [ACTIONS[0], ACTIONS[1]]), table="actions")
    second_row = ["A4", "", "Seniors", "Milk delivered", "Di", "done", "2024-08-01"]
    second = engagement.import_file(
        write_csv("a2.csv", [ACTIONS[0], [*second_row, "launched the milk program "]]),
        table="actions",
    )
    assert engagement.events["label"].tolist() == ["Launched the milk program"]
    engagement.remove_import(first.import_id)
    events = engagement.events
    assert events["label"].tolist() == ["Launched the milk program"]  # A4 still names it
    assert events["starts_on"].tolist() == [pd.Timestamp("2024-07-01")]  # the same event
    engagement.remove_import(second.import_id)
    assert engagement.events.empty


def test_correcting_an_action_keeps_the_planners_edits_to_its_event(engagement, actions_csv):
    engagement.import_file(actions_csv, table="actions")
    events = engagement.table("events", row_ids=True)
    event = int(events["entry"].iloc[0])
    made = events.iloc[0]
    engagement.save_entry(
        "events",
        {"starts_on": "2024-07-01", "label": made["label"], "ends_on": "2024-08-31"},
        entry=event,
    )
    actions = engagement.table("actions", row_ids=True)
    milk = int(actions.loc[actions["action_id"] == "A1", "entry"].iloc[0])
    values = {k: v for k, v in zip(ACTIONS[0], ACTIONS[1], strict=True)}
    engagement.save_entry("actions", {**values, "owner": "Bo"}, entry=milk)  # not the event
    after = engagement.table("events", row_ids=True)
    assert after["entry"].tolist() == [event]
    assert after["ends_on"].tolist() == [pd.Timestamp("2024-08-31")]
    engagement.save_entry("actions", {**values, "starts_on": "2024-07-08"}, entry=milk)
    after = engagement.table("events", row_ids=True)
    assert after["entry"].tolist() == [event]  # moved, not made again
    assert after["starts_on"].tolist() == [pd.Timestamp("2024-07-08")]
    assert after["ends_on"].tolist() == [pd.Timestamp("2024-08-31")]


def test_an_imported_event_removed_comes_back_as_the_actions(engagement, actions_csv, write_csv):
    events = engagement.import_file(
        write_csv(
            "events.csv", [["starts_on", "label"], ["2024-06-28", "Launched the milk program"]]
        ),
        table="events",
    )
    engagement.import_file(actions_csv, table="actions")
    engagement.remove_import(events.import_id)
    # A1 still says the milk program was launched: its event is back, on A1's own date.
    assert engagement.events["label"].tolist() == ["Launched the milk program"]
    assert engagement.events["starts_on"].tolist() == [pd.Timestamp("2024-07-01")]


@pytest.mark.parametrize(
    "change, column, words",
    [
        ({"code": "", "segment": ""}, "code", "is empty, and so is segment"),
        ({"code": "perishable_fod"}, "code", 'did you mean "perishable_food"?'),
        ({"status": "finished"}, "status", 'is not one of "planned", "under way"'),
        ({"starts_on": ""}, "event", "starts_on is blank"),
        ({"done_on": "2024-06-01"}, "done_on", "is before starts_on"),
        ({"action": ""}, "action", "is empty; it is required"),
    ],
)
def test_a_bad_action_is_refused_with_its_row_and_fix(engagement, write_csv, change, column, words):
    header = [*ACTIONS[0], "done_on"]
    row = dict(zip(header, [*ACTIONS[1], ""], strict=True)) | change
    path = write_csv("actions.csv", [header, [row[h] for h in header]])
    with pytest.raises(DataValidationError) as caught:
        engagement.import_file(path, table="actions")
    message = str(caught.value)
    assert "row 1 (spreadsheet row 2)" in message and f'column "{column}"' in message
    assert words in message and "Nothing was imported" in message
    assert engagement.actions.empty and engagement.events.empty


def test_actions_export_and_import_back_unchanged(engagement, actions_csv, tmp_path, run):
    engagement.import_file(actions_csv, table="actions")
    out = tmp_path / "out.csv"
    result = run("export", engagement.path, "--table", "actions", "--to", out)
    assert result.exit_code == 0 and "3 rows of actions" in result.output
    other = Engagement.init(tmp_path / "other")
    other.import_file(out, table="actions")
    pd.testing.assert_frame_equal(other.actions, engagement.actions)
    assert other.events["label"].tolist() == ["Launched the milk program"]


OUTREACH = [
    ["held_on", "channel", "segment", "invited", "responses", "language"],
    ["2024-03-01", "survey link", "Residents", "200", "46", "English"],
    ["2024-03-01", "Paper", "Residents", "50", "31", "Spanish"],
    ["2024-03-09", "listening session", "Parents", "", "12", "English"],
]


def test_outreach_imports_with_its_counts(engagement, write_csv, run):
    path = write_csv("outreach.csv", OUTREACH)
    result = run("import", engagement.path, path, "--table", "outreach")
    assert result.exit_code == 0, result.output
    frame = engagement.outreach
    assert frame["channel"].tolist() == ["survey link", "paper", "listening session"]
    assert frame["invited"].tolist()[:2] == [200, 50] and pd.isna(frame["invited"].iloc[2])
    assert engagement.status()["tables"]["outreach"] == 3


@pytest.mark.parametrize(
    "cells, column, words",
    [
        ({"responses": "201"}, "responses", "is more than the number invited"),
        ({"channel": "carrier pigeon"}, "channel", 'is not one of "survey link"'),
        ({"invited": "-3"}, "invited", "is not a whole number"),
        ({"held_on": ""}, "held_on", "is empty; it is required"),
    ],
)
def test_a_bad_outreach_row_is_refused(engagement, write_csv, run, cells, column, words):
    row = dict(zip(OUTREACH[0], OUTREACH[1], strict=True)) | cells
    path = write_csv("outreach.csv", [OUTREACH[0], [row[h] for h in OUTREACH[0]]])
    result = run("import", engagement.path, path, "--table", "outreach")
    assert result.exit_code == 1
    assert f'column "{column}"' in result.output + result.stderr
    assert words in result.output + result.stderr
    assert engagement.outreach.empty


def test_a_store_from_before_actions_is_migrated(tmp_path, write_csv):
    from tests._old_store import as_version_3

    engagement = Engagement.init(tmp_path / "old")
    engagement.import_file(
        write_csv("events.csv", [["starts_on", "label"], ["2024-01-05", "New hours"]]),
        table="events",
    )
    as_version_3(engagement.store_path)
    with sqlite3.connect(engagement.store_path) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 3
    reopened = Engagement.open(engagement.path)
    assert reopened.status()["schema_version"] == SCHEMA_VERSION == 5
    assert reopened.events["label"].tolist() == ["New hours"]
    assert list(engagement.path.glob("data.sqlite.v3-*.bak"))
    reopened.import_file(write_csv("actions.csv", [ACTIONS[0], ACTIONS[1]]), table="actions")
    assert sorted(reopened.events["label"]) == ["Launched the milk program", "New hours"]
