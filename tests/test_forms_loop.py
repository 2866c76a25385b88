"""The forms' actions and outreach tabs (issue #21) without a browser: the need picked by its
label, messages as sentences beside the field, the list with imported rows, corrections with
the version check, drafts, the event an action makes, and who has answered beside outreach."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from toolkit.forms.app import TABS
from toolkit.forms.loop_tabs import (
    ABOUT_NOTHING,
    EVENT_NEEDS_A_DAY,
    MORE_ANSWERS_THAN_INVITED,
    code_for,
    need_choices,
    reach_html,
)
from toolkit.forms.records import FORMS, label_for
from toolkit.store import Engagement

CODEBOOK = [
    ["code", "label", "theme", "keywords"],
    ["perishable_food", "Milk and perishable food", "Food", "milk"],
    ["hot_meals", "Hot meals", "Food", "hot meal"],
    ["youth_programs", "After-school programmes", "Youth", "after school"],
]
ACTIONS = [
    ["action_id", "code", "segment", "action", "owner", "status", "starts_on", "event"],
    ["A1", "hot_meals", "Parents", "Hot meals on Fridays", "Bo", "planned", "", ""],
    ["A2", "", "Seniors", "Home visits", "Cy", "done", "2024-03-01", ""],
]
OUTREACH = [
    ["held_on", "channel", "segment", "invited", "responses", "language"],
    ["2024-03-01", "survey link", "Residents", "200", "46", "English"],
    ["2024-03-01", "paper", "Parents", "50", "31", "Spanish"],
]


@pytest.fixture
def app(tmp_path, write_csv):
    from toolkit.forms.app import forms_app

    engagement = Engagement.init(tmp_path / "riverside", name="riverside")
    engagement.import_file(write_csv("codebook.csv", CODEBOOK), table="codebook", replace=True)
    engagement.import_file(write_csv("actions.csv", ACTIONS), table="actions")
    engagement.import_file(write_csv("outreach.csv", OUTREACH), table="outreach")
    return forms_app(engagement), engagement


def _messages(form) -> str:
    return " ".join(m.value for m in form.messages.values()) + form.form_message.value


def _no_field_names(text: str, spec) -> None:
    plain = re.sub(r"<[^>]+>", " ", text)
    for f in spec.fields:
        if "_" in f.name:
            assert f.name not in plain, plain
    for word in ("segment", "responses", "starts_on", " code", "codebook"):
        assert word not in plain, plain


def test_the_new_tabs_are_on_the_page_in_plain_words():
    titles = dict(TABS)
    assert titles["actions"] == "What we are doing about it"
    assert titles["outreach"] == "Who we asked"
    for key in ("actions", "outreach"):
        spec = FORMS[key]
        for f in spec.fields:
            assert f.label == label_for(f.name, spec.table) and "_" not in f.label
    assert [f.name for f in FORMS["actions"].fields if f.kind == "date"] == [
        "starts_on",
        "due_on",
        "done_on",
        "decided_on",
    ]
    # The schema's lists, not copies.
    from toolkit.schema.tables import ACTION_STATUSES, CHANNELS

    assert dict((f.name, f.choices) for f in FORMS["actions"].fields)["status"] == ACTION_STATUSES
    assert dict((f.name, f.choices) for f in FORMS["outreach"].fields)["channel"] == CHANNELS


def test_needs_are_picked_by_label_and_stored_by_code():
    book = pd.DataFrame(
        {
            "code": ["milk", "dairy", "hours", "hours2", "not_a_need"],
            "label": ["Fresh milk", "fresh  milk", "Opening hours", "Opening hours", "Not a need"],
            "theme": ["Food", "Farming", None, None, "No need"],
        }
    )
    choices = need_choices(book)
    assert choices == {
        "Fresh milk (Food)": "milk",
        "fresh milk (Farming)": "dairy",
        "Opening hours (hours)": "hours",
        "Opening hours (hours2)": "hours2",
    }
    assert code_for("opening hours (HOURS2)", choices) == "hours2"
    assert code_for("dairy", choices) == "dairy"  # a code typed as is
    assert code_for("Something else", choices) == "Something else"  # the check refuses it
    assert code_for("  ", choices) is None


def test_an_action_saved_by_label_lands_with_its_code_and_lists_by_label(app):
    page, engagement = app
    form = page.forms["actions"]
    assert "Newest first: 1–2 of 2." in form.counted.value  # imported rows listed
    assert "Hot meals" in form.listing.value and "hot_meals" not in form.listing.value
    assert "(the whole group)" in form.listing.value  # A2 is about no one need
    assert form.save.disabled
    assert "Save is off until you fill in: What we will do, How far it has got." in form.why.value
    assert not _messages(form).strip()  # nothing red before the planner begins
    assert "Milk and perishable food" in form.controls["code"].options
    form.controls["action"].value = "Milk delivery on Tuesdays"
    form.controls["status"].value = "planned"
    # Neither a need nor a group: one sentence beside the need, no field names.
    assert ABOUT_NOTHING in form.messages["code"].value and form.save.disabled
    form.controls["code"].value = "milk and fresh things"
    assert "is not one of the engagement's needs" in form.messages["code"].value.replace(
        "&#x27;", "'"
    )
    _no_field_names(_messages(form), form.spec)
    form.controls["code"].value = "milk and perishable food"  # any case
    assert not form.messages["code"].value and not form.save.disabled
    entry = form.submit()
    saved = engagement.table("actions").iloc[-1]
    assert saved["code"] == "perishable_food" and saved["action"] == "Milk delivery on Tuesdays"
    assert f"Saved entry #{entry}." in form.status.value
    assert "Newest first: 1–3 of 3." in form.counted.value
    assert form.listing.value.index("Milk and perishable food") < form.listing.value.index(
        "Hot meals"
    )  # newest first, by label


def test_an_action_launched_with_an_event_name_makes_the_event(app):
    page, engagement = app
    events = page.forms["events"]
    page.tabs.selected_index = [k for k, _ in TABS].index("events")
    form = page.forms["actions"]
    form.controls["code"].value = "Hot meals"
    form.controls["action"].value = "Hot meals on Mondays too"
    form.controls["status"].value = "under way"
    form.controls["event"].value = "Monday hot meals began"
    assert EVENT_NEEDS_A_DAY in form.messages["event"].value and form.save.disabled
    form.controls["starts_on"].value = "4/11/2024"  # reads both ways: asked, not guessed
    assert "could be 4 November 2024 or 11 April 2024" in form.messages["starts_on"].value
    form.pickers["starts_on"].children[0].click()
    assert "= Mon 4 November 2024" in form.echoes["starts_on"].value
    assert "Shown on the satisfaction charts from Mon 4 November 2024." in (
        form.echoes["event"].value
    )
    entry = form.submit()
    assert entry is not None
    assert engagement.events["label"].tolist() == ["Monday hot meals began"]
    assert "Monday hot meals began" in events.listing.value  # the events tab was told
    # Deleting the action (asked first) takes its event away, and the events tab follows.
    form.remove(entry)
    assert "Really delete" in form.status.value and len(engagement.events) == 1
    form.remove(entry)
    assert engagement.events.empty and "Monday hot meals began" not in events.listing.value


def test_an_imported_action_is_corrected_and_a_stale_correction_refused(app):
    page, engagement = app
    form = page.forms["actions"]
    entries = engagement.table("actions", row_ids=True)
    first = int(entries.loc[entries["action_id"] == "A1", "entry"].iloc[0])
    form.load(first)
    assert form.controls["code"].value == "Hot meals"  # its label, not its code
    assert form.controls["action_id"].value == "A1"  # kept through the correction
    form.controls["status"].value = "under way"
    # Someone else corrects it in another window meanwhile.
    other = engagement.table("actions").iloc[0].to_dict()
    assert other["action_id"] == "A1"
    engagement.save_entry(
        "actions",
        {k: (None if pd.isna(v) else v) for k, v in {**other, "owner": "Di"}.items()},
        entry=first,
    )
    assert form.submit() is None
    assert "changed or deleted in another window" in form.status.value
    assert form.controls["status"].value == "under way"  # what was typed is kept
    form.load(first)
    form.controls["status"].value = "under way"
    assert form.submit() == first
    row = engagement.table("actions").iloc[0]
    assert (row["status"], row["owner"], row["code"], row["action_id"]) == (
        "under way",
        "Di",
        "hot_meals",
        "A1",
    )


def test_an_actions_draft_comes_back_with_its_need_by_label(app):
    page, engagement = app
    page.drafts.restored = {"drafts": {}}  # the browser had kept nothing
    form = page.forms["actions"]
    form.controls["code"].value = "After-school programmes"
    form.controls["action"].value = "Half typed"
    kept = page.drafts.state["drafts"]["actions"]
    assert kept["code"] == "youth_programs" and kept["action"] == "Half typed"
    # A reload: a new page, and the browser hands back what it kept.
    from toolkit.forms.app import forms_app

    again = forms_app(engagement)
    tab = [k for k, _ in TABS].index("actions")
    again.drafts.restored = {"tab": tab, "drafts": {"actions": kept}}
    assert again.tabs.selected_index == tab
    form = again.forms["actions"]
    assert form.controls["code"].value == "After-school programmes"
    assert form.controls["action"].value == "Half typed"
    form.reset()
    assert "actions" not in again.drafts.state["drafts"]


def test_outreach_says_what_is_wrong_and_shows_who_has_answered(app):
    page, engagement = app
    form = page.forms["outreach"]
    assert "Save is off until you fill in: Sent or held on, How we asked." in form.why.value
    reach = form.reach.value
    assert "Residents" in reach and "46 of 200" in reach and "23%" in reach
    assert reach.index("Residents") < reach.index("Parents")  # lowest response rate first
    form.controls["held_on"].value = "31/02/2025"
    form.controls["channel"].value = "listening session"
    form.controls["segment"].value = "Seniors"
    form.controls["invited"].value = "12"
    form.controls["responses"].value = "15"
    assert "There is no 31 February 2025." in form.messages["held_on"].value
    assert MORE_ANSWERS_THAN_INVITED in form.messages["responses"].value
    form.controls["invited"].value = "minus three"
    assert "is not a whole number, 0 or more" in form.messages["invited"].value
    _no_field_names(_messages(form), form.spec)
    form.controls["invited"].value = "20"
    form.controls["held_on"].value = "2025-03-02"
    assert not form.save.disabled, _messages(form)
    entry = form.submit()
    assert entry is not None and "Newest first: 1–3 of 3." in form.counted.value
    row = engagement.outreach.iloc[-1]
    assert (row["segment"], row["invited"], row["responses"]) == ("Seniors", 20, 15)
    assert "15 of 20" in form.reach.value  # the panel follows the save
    assert form.controls["channel"].value == "listening session"  # kept for the next row


def test_reach_panel_names_groups_never_asked_and_under_represented():
    frame = pd.DataFrame(
        [
            {"part": "response rate", "segment": "Residents", "channel": "(all channels)",
             "invited": 100, "responses": 10, "rate": 0.1, "ci_low": 0.05, "ci_high": 0.17},
            {"part": "response rate", "segment": "(everyone)", "channel": "(all channels)",
             "invited": 100, "responses": 10, "rate": 0.1, "ci_low": 0.05, "ci_high": 0.17},
            {"part": "not reached", "segment": "Staff", "reason": "never asked"},
            {"part": "mix", "segment": "Residents", "verdict": "under-represented"},
        ]
    )  # fmt: skip
    text = reach_html(frame)
    assert "10 of 100</td><td>10%</td><td>5–17%</td>" in text and "Everyone" in text
    assert "Not asked yet:</strong> Staff." in text
    assert "share of the population:</strong> Residents." in text
    empty = reach_html(frame.iloc[0:0])
    assert "No response rate yet" in empty


def test_deleting_the_last_outreach_says_so_in_words(tmp_path, write_csv):
    # Reader 7: with no outreach, needs or groups left, the panel's analysis was a traceback.
    from toolkit.forms.app import forms_app

    engagement = Engagement.init(tmp_path / "e", name="e")
    engagement.import_file(write_csv("outreach.csv", OUTREACH[:2]), table="outreach")
    form = forms_app(engagement).forms["outreach"]
    assert "46 of 200" in form.reach.value
    entry = int(engagement.table("outreach", row_ids=True)["entry"].iloc[0])
    form.remove(entry)
    form.remove(entry)  # asked first, then deleted
    assert engagement.outreach.empty
    assert "No response rate yet" in form.reach.value, form.reach.value
    assert "cannot be shown" not in form.reach.value


def test_the_forms_words_follow_the_store_checks_own_rule(app):
    # Reader 7: the forms re-derived "more answered than invited" from the typed text, so a
    # count the store reads ("30.0") got the store's wording, not the form's.
    page, _ = app
    form = page.forms["outreach"]
    form.controls["held_on"].value = "2025-03-02"
    form.controls["channel"].value = "paper"
    form.controls["invited"].value = "20"
    form.controls["responses"].value = "30.0"
    assert MORE_ANSWERS_THAN_INVITED in form.messages["responses"].value
    assert "number invited (20)" not in form.messages["responses"].value
    assert form.save.disabled
    form.controls["responses"].value = "12"
    assert not form.save.disabled, _messages(form)
