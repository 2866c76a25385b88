"""The import wizard without a browser: a saved map for the next wave, the file's customer
groups matched to the engagement's, progress, personal columns masked, planner's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.store import Engagement

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
GOOGLE = EXPORTS / "google-forms-download.csv"
SEGMENT_QUESTION = "Which of these describes you?"


@pytest.fixture
def app(tmp_path):
    from toolkit.forms.app import forms_app

    engagement = Engagement.init(tmp_path / "riverside", name="riverside")
    engagement.save_entry("stated_needs", {"need": "Milk", "segment": "Student"})
    return forms_app(engagement), engagement


def next_wave(tmp_path) -> Path:
    """The same survey a month later: the same questions, other answers."""
    text = GOOGLE.read_text(encoding="utf-8").replace("2024/03/", "2024/04/")
    path = tmp_path / "google-forms-april.csv"
    path.write_text(text.replace("@example.org", "@example.net"), encoding="utf-8")
    return path


def first_wave(wizard):
    wizard.load(GOOGLE)
    wizard.field_controls["segment"].value = SEGMENT_QUESTION
    wizard.map_name.value = "monthly"
    assert wizard.check(), wizard.report.value
    return wizard


def test_fields_read_in_the_planners_words(app):
    from toolkit.forms.wizard import field_words

    page, _ = app
    wizard = page.wizard
    wizard.load(GOOGLE)
    labels = [c.description for c in wizard.field_controls.values()]
    assert "Customer group" in labels and "Tool's response id" in labels
    assert not [label for label in labels if "_" in label or label == label.lower()]
    wizard.table.value = "stated_needs"
    labels = [c.description for c in wizard.field_controls.values()]
    assert "How well met" in labels and "Who coded the need" in labels
    assert "How sure the automatic code is" in labels
    assert field_words("stated_needs", "segment") == "Customer group"  # as in the form


def test_personal_answers_never_show_in_the_choices_or_the_preview(app):
    page, _ = app
    wizard = first_wave(page.wizard)
    shown = " ".join(label for c in wizard.field_controls.values() for label, _ in c.options)
    assert "Email Address — e.g. “••• hidden”" in shown and "@example.org" not in shown
    assert "Residents" in shown  # other samples stay
    assert "Email Address" in wizard.report.value  # named among the personal columns
    assert "@example.org" not in wizard.preview.value + wizard.report.value
    assert "••• hidden" in wizard.preview.value and "(hidden)" in wizard.preview.value


def test_the_files_customer_groups_are_matched_to_the_engagements(app):
    page, engagement = app
    wizard = first_wave(page.wizard)
    assert set(wizard.group_controls) == {"Residents", "Students", "Partner agencies"}
    students = wizard.group_controls["Students"]
    assert students.value == "Student"  # the closest group proposed
    assert wizard.group_controls["Residents"].value == "Residents"  # nothing like it
    assert wizard.run_import(), wizard.report.value
    assert "“Students” counts as Student." in wizard.report.value
    assert "“Residents” is a group of its own." in wizard.report.value
    walk = engagement.crosswalk()
    assert walk.resolve("Students") == "Student" and walk.knows("Residents")
    assert set(engagement.table("responses")["segment"]) == {
        "Student",
        "Residents",
        "Partner agencies",
    }


def test_the_next_wave_imports_with_its_saved_map_in_one_click(app, tmp_path):
    page, engagement = app
    wizard = first_wave(page.wizard)
    assert wizard.run_import()
    before = len(engagement.table("responses"))
    assert "choose this map under “Use a saved map”" in wizard.report.value
    assert "service-toolkit" not in wizard.report.value
    assert [v for _, v in wizard.saved_map.options] == ["", "monthly"]

    wizard.load(next_wave(tmp_path))  # the saved map fits: chosen and checked at once
    assert wizard.saved_map.value == "monthly"
    assert wizard.own.layout.display == "none"  # no columns to choose
    assert "Customer group ← “Which of these describes you?”" in wizard.map_note.value
    assert "rows would be imported" in wizard.report.value
    assert not wizard.import_button.disabled
    assert not wizard.group_controls  # the groups were matched last wave
    assert wizard.run_import(), wizard.report.value
    assert len(engagement.table("responses")) == 2 * before
    assert "Map saved" not in wizard.report.value

    wizard.saved_map.value = ""  # back to choosing the columns
    assert wizard.own.layout.display is None and wizard.import_button.disabled


def test_a_map_that_does_not_fit_is_not_chosen(app, tmp_path):
    page, _ = app
    wizard = first_wave(page.wizard)
    assert wizard.run_import()
    wizard.load(EXPORTS / "qualtrics-choice-text.csv")
    assert wizard.saved_map.value == ""
    assert wizard.own.layout.display is None


def test_progress_is_shown_while_a_step_runs_and_hidden_after(app, monkeypatch):
    page, engagement = app
    wizard = first_wave(page.wizard)
    seen = []
    real = engagement.import_file

    def watched(*args, **kwargs):
        seen.append(
            (wizard.progress.layout.display, wizard.progress.value, wizard.progress_text.value)
        )
        return real(*args, **kwargs)

    monkeypatch.setattr(engagement, "import_file", watched)
    assert wizard.run_import()
    display, value, text = seen[0]
    assert display is None and value == 0
    assert "step 1 of 2: Importing every row, all or nothing" in text
    assert wizard.progress.layout.display == "none" and wizard.progress_text.value == ""


def test_check_and_import_say_why_they_are_off(app, tmp_path):
    from toolkit.forms.wizard import WHY_OFF

    page, _ = app
    wizard = page.wizard
    assert wizard.check_button.disabled and wizard.import_button.disabled
    assert WHY_OFF["no file"] in wizard.why.value  # before any file
    wizard.load(GOOGLE)
    wizard.field_controls["segment"].value = SEGMENT_QUESTION
    assert not wizard.check_button.disabled and wizard.import_button.disabled
    assert WHY_OFF["not checked"] in wizard.why.value
    assert wizard.check(), wizard.report.value
    assert not wizard.import_button.disabled and wizard.why.value == ""
    wizard.field_controls["segment"].value = wizard.field_controls["segment"].options[0][1]
    assert wizard.import_button.disabled and WHY_OFF["not checked"] in wizard.why.value
    unreadable = tmp_path / "empty.csv"
    unreadable.write_bytes(b"")
    wizard.load(unreadable)
    assert wizard.check_button.disabled and WHY_OFF["no file"] in wizard.why.value
    assert "could not be read" in wizard.detected.value
    for text in WHY_OFF.values():  # whole sentences, no field names
        assert text[0].isupper() and text.endswith(".") and "_" not in text
