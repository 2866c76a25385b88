"""Planner forms without a browser: the record logic, the store's entries, the widgets' behaviour."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import socket
from pathlib import Path

import ipywidgets as w
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.errors import DataValidationError
from toolkit.forms.app import TABS
from toolkit.forms.records import (
    FORMS,
    NOT_RATED,
    date_order_for,
    entry_label,
    field_errors,
    label_for,
    parse_date,
    record_from_inputs,
    values_from_record,
)
from toolkit.schema.checks import Problem
from toolkit.store import Engagement

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"


# ----------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2024-03-07", "dmy", dt.date(2024, 3, 7)),
        ("7/3/2024", "dmy", dt.date(2024, 3, 7)),
        ("7/3/2024", "mdy", dt.date(2024, 7, 3)),
        ("07.03.2024", "dmy", dt.date(2024, 3, 7)),
        ("25/12/2024", "mdy", dt.date(2024, 12, 25)),  # 25 cannot be a month: settled
        ("12/25/2024", "dmy", dt.date(2024, 12, 25)),
        ("7 March 2024", "mdy", dt.date(2024, 3, 7)),
        ("March 7, 2024", "dmy", dt.date(2024, 3, 7)),
        ("1st Sept 2023", "dmy", dt.date(2023, 9, 1)),
        ("", "dmy", None),
    ],
)
def test_dates_are_read_as_people_write_them(text, order, expected):
    assert parse_date(text, order=order) == (expected, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/2024", "there is no 31 February 2024"),
        ("2024-13-01", "has no month 13"),
        ("next Tuesday", "is not a date; write it as 7/3/2024"),
    ],
)
def test_bad_dates_say_what_is_wrong(text, message):
    value, problem = parse_date(text)
    assert value is None and problem.startswith(message)


def test_date_order_follows_the_engagements_time_zone():
    assert date_order_for("America/New_York") == "mdy"
    assert date_order_for("America/Sao_Paulo") == "dmy"
    assert date_order_for("UTC") == "dmy"


# ----------------------------------------------------------------------------- records


def test_record_from_inputs_types_values_and_words_what_is_missing():
    record, errors = record_from_inputs(
        FORMS["customers"],
        {
            "customer_id": " HR-ASH ",
            "name": "",
            "kind": "internal",
            "mission_alignment": "4",
            "clout": NOT_RATED,
            "mandate": NOT_RATED,
        },
    )
    assert record["customer_id"] == "HR-ASH"
    assert record["mission_alignment"] == 4 and record["clout"] is None
    assert record["mandate"] is None  # "not rated" is not "none"
    assert errors == {"name": "Write the customer's name."}


def test_values_round_trip_through_a_stored_row():
    spec = FORMS["stated"]
    row = {
        "entry": 3,
        "segment": "Residents",
        "method": "interview",
        "need": "Milk",
        "importance": 5,
        "performance": None,
        "collected_on": dt.datetime(2024, 3, 7),
        "respondent_id": None,
        "notes": None,
    }
    values = values_from_record(spec, row)
    assert values["performance"] == NOT_RATED and values["collected_on"] == "2024-03-07"
    record, errors = record_from_inputs(spec, values)
    assert (
        not errors and record["importance"] == 5 and record["collected_on"] == dt.date(2024, 3, 7)
    )
    assert entry_label(spec, row) == "#3 · Residents · interview · Milk"


# ----------------------------------------------------------------------------- the store


@pytest.fixture
def eng(tmp_path) -> Engagement:
    return Engagement.init(tmp_path / "eng", name="eng")


def test_a_saved_entry_lands_whole_and_can_be_corrected_and_deleted(eng):
    first = eng.save_entry("events", {"starts_on": dt.date(2023, 7, 1), "label": "Milk program"})
    version = eng.entry_version("events", first)
    again = eng.save_entry(
        "events",
        {"starts_on": dt.date(2023, 7, 2), "label": "Milk program"},
        entry=first,
        version=version,
    )
    assert again == first
    events = eng.entries("events")
    assert events["entry"].tolist() == [first]
    assert str(events["starts_on"].iloc[0].date()) == "2023-07-02"
    # A correction based on what the entry was before is refused: someone changed it.
    with pytest.raises(DataValidationError, match="changed or deleted in another window"):
        eng.save_entry(
            "events", {"starts_on": dt.date(2023, 7, 3), "label": "x"}, entry=first, version=version
        )
    eng.delete_entry("events", first)
    assert eng.entries("events").empty
    with pytest.raises(DataValidationError, match="no longer exists"):
        eng.delete_entry("events", first)


def test_invalid_entries_name_each_field_and_change_nothing(eng):
    with pytest.raises(DataValidationError) as caught:
        eng.save_entry("assumed_needs", {"staff": "", "need": "Milk", "importance": 9})
    problems = field_errors(caught.value.problems, FORMS["assumed"])
    assert problems["staff"].startswith("Staff member is empty; it is required")
    assert problems["importance"].startswith("Importance is not a whole number from 1 to 5")
    assert eng.entries("assumed_needs").empty


def test_keys_references_and_new_segments(eng):
    eng.save_entry(
        "customers",
        {"customer_id": "A", "name": "Front desk", "kind": "internal", "segment": "Staff units"},
    )
    assert "Staff units" in eng.segments()
    _, problems = eng.check_entry("customers", {"customer_id": "A"})
    assert any(p.column == "customer_id" and "already in use" in p.message for p in problems)
    eng.save_entry("customers", {"customer_id": "B", "name": "Residents", "kind": "external"})
    eng.save_entry("service_links", {"provider_id": "A", "customer_id": "B", "service": "intake"})
    _, problems = eng.check_entry("service_links", {"provider_id": "A", "customer_id": "Z"})
    assert any(p.column == "customer_id" for p in problems)
    entry_a = int(eng.entries("customers").query("customer_id == 'A'")["entry"].iloc[0])
    with pytest.raises(DataValidationError, match="other entries refer to it"):
        eng.delete_entry("customers", entry_a)
    assert len(eng.entries("customers")) == 2


def test_entries_made_by_forms_are_told_apart_from_imports(eng, write_csv):
    path = write_csv("events.csv", [["starts_on", "label"], ["2023-01-05", "Imported event"]])
    eng.import_file(path, table="events")
    eng.save_entry("events", {"starts_on": "2024-02-02", "label": "Typed in"})
    assert eng.entries("events", only_forms=True)["label"].tolist() == ["Typed in"]
    assert eng.entries("events")["label"].tolist() == ["Typed in", "Imported event"]


def test_statements_are_filed_under_a_code_in_one_transaction(eng):
    eng.save_entry("stated_needs", {"need": "Leche para los niños", "segment": "Residents"})
    eng.save_entry("assumed_needs", {"staff": "Ana", "need": "Leche para los niños"})
    with pytest.raises(DataValidationError, match="not in the codebook"):
        eng.code_statements("Leche para los niños", "no_such_code")
    assert eng.code_statements("Leche para los niños", "perishable_food") == 2
    stated = eng.table("stated_needs")
    assert stated[["code", "coded_by"]].values.tolist() == [["perishable_food", "person"]]


def _save_many(path: str, worker: int, count: int) -> None:
    engagement = Engagement.open(path)
    for i in range(count):
        engagement.save_entry(
            "stated_needs", {"need": f"need {worker}-{i}", "respondent_id": f"w{worker}-{i}"}
        )


def test_several_planners_saving_at_once_all_land(eng):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_save_many, args=(str(eng.path), w, 60)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    stated = eng.table("stated_needs")
    assert len(stated) == 240 and stated["need"].nunique() == 240


# ----------------------------------------------------------------------------- the widgets


@pytest.fixture
def app(tmp_path):
    from toolkit.forms.app import forms_app

    engagement = Engagement.init(tmp_path / "riverside", name="riverside")
    return forms_app(engagement), engagement


def test_save_is_disabled_until_valid_and_messages_sit_beside_fields(app):
    page, engagement = app
    form = page.forms["assumed"]
    assert form.save.disabled and "Save is off until you fill in: Staff member, Need." in (
        form.why.value
    )
    form.controls["staff"].value = "Ana"
    form.controls["need"].value = "Another food pantry"
    form.controls["collected_on"].value = "30/2/2024"
    assert (
        form.save.disabled
        and "There is no 30 February 2024." in form.messages["collected_on"].value
    )
    assert 'role="alert"' in form.messages["collected_on"].value
    form.controls["collected_on"].value = "29/2/2024"
    assert "Thu 29 February 2024" in form.echoes["collected_on"].value
    assert not form.save.disabled
    entry = form.submit()
    assert entry is not None and f"Saved entry #{entry}." in form.status.value
    assert form.controls["staff"].value == "Ana" and form.controls["need"].value == ""
    assert "Another food pantry" in form.listing.value
    assert "1–1 of 1" in form.counted.value


def test_a_failed_save_keeps_everything_typed(app, monkeypatch):
    page, engagement = app
    form = page.forms["events"]
    form.controls["starts_on"].value = "1 July 2023"
    form.controls["label"].value = "Milk and fresh food program launched"

    def locked(*args, **kwargs):
        raise OSError("database is locked")

    monkeypatch.setattr(engagement, "save_entry", locked)
    assert form.submit() is None
    assert "Not saved: database is locked" in form.status.value
    assert form.controls["label"].value == "Milk and fresh food program launched"
    assert form.controls["starts_on"].value == "1 July 2023"


def test_correcting_and_deleting_from_the_list(app):
    page, engagement = app
    form = page.forms["events"]
    form.controls["starts_on"].value = "2023-07-01"
    form.controls["label"].value = "Launch"
    entry = form.submit()
    form.load(entry)
    assert form.editing == entry and form.save.description == "Save correction"
    form.controls["label"].value = "Milk program launch"
    assert form.submit() == entry
    assert engagement.table("events")["label"].tolist() == ["Milk program launch"]
    form.remove(entry)
    assert "Really delete" in form.delete.description and len(engagement.table("events")) == 1
    form.remove(entry)
    assert engagement.table("events").empty and "Deleted entry" in form.status.value


def test_new_customers_appear_in_the_service_link_choices(app):
    page, engagement = app
    customers = page.forms["customers"]
    for cid, name, kind in (("HR", "System HR", "internal"), ("ASH", "Ashford HR", "internal")):
        customers.controls["customer_id"].value = cid
        customers.controls["name"].value = name
        customers.controls["kind"].value = kind
        assert customers.submit() is not None
    links = page.forms["links"]
    assert [v for _, v in links.controls["provider_id"].options] == ["HR", "ASH"]
    links.controls["provider_id"].value = "HR"
    links.controls["customer_id"].value = "ASH"
    assert links.submit() is not None
    assert engagement.table("service_links")[["provider_id", "customer_id"]].values.tolist() == [
        ["HR", "ASH"]
    ]
    # The list names the customers as the choices do, not by their codes alone.
    assert "System HR (HR)" in links.listing.value and "Ashford HR (ASH)" in links.listing.value
    assert links.chooser.options[0][0].startswith("#1 · System HR (HR) · Ashford HR (ASH)")


def test_import_wizard_detects_maps_checks_imports_and_saves_the_map(app):
    page, engagement = app
    wizard = page.wizard
    wizard.load(EXPORTS / "qualtrics-choice-text.csv")
    assert "qualtrics" in wizard.detected.value and "3 the tool marks" in wizard.detected.value
    assert wizard.metric_controls["csat"].value == "Q1"
    assert wizard.check() and "10</strong> rows would be imported" in wizard.report.value
    assert "Qualtrics survey previews" in wizard.report.value
    wizard.map_name.value = "riverside-q"
    assert wizard.run_import()
    assert len(engagement.table("responses")) == 10
    assert (engagement.path / "maps" / "riverside-q.toml").exists()
    assert not wizard.check()  # the same file again adds nothing
    assert "imported before" in wizard.report.value


def test_import_wizard_reports_problems_without_importing(app):
    page, engagement = app
    wizard = page.wizard
    wizard.load(EXPORTS / "qualtrics-choice-text.csv")
    wizard.metric_controls["csat"].value = ""
    wizard.metric_controls["nps"].value = ""
    assert not wizard.check()
    assert 'role="alert"' in wizard.report.value and "metric" in wizard.report.value
    assert wizard.import_button.disabled and engagement.table("responses").empty


SELECT_ALL = (
    "Which of the following kinds of help would make the biggest difference to your "
    "household over the next twelve months? (Select all that apply)"
)
CHOICES = (
    "Help finding work",
    "Food and groceries",
    "Help with rent or utility bills",
    "Childcare during working hours",
    "English classes for adults",
    "Transport to appointments",
    "Internet access at home",
    "Other (please specify)",
)


def test_wizard_offers_a_surveymonkey_select_all_as_one_question_and_imports_every_choice(app):
    """The issue's case: 8 choice columns cut to the same text; one gave 24 rows, not 104."""
    page, engagement = app
    wizard = page.wizard
    wizard.load(EXPORTS / "surveymonkey-select-all.csv")
    wizard.table.value = "stated_needs"
    need = wizard.field_controls["need"]
    labels = [label for label, _ in need.options]
    assert len(set(labels)) == len(labels)  # every label can be told apart
    offered = [value for _, value in need.options]
    assert SELECT_ALL in offered  # the question, once …
    assert not [v for v in offered if v.startswith(SELECT_ALL + " / ")]  # … not its choices
    label = labels[offered.index(SELECT_ALL)]
    assert "choose all that apply: 8 choices" in label and "(Select all that apply)" in label
    assert label.count("“") == 3  # three sample answers
    assert need.value == SELECT_ALL  # proposed first
    # A matrix's rows are told apart by their sub-question.
    assert any(lbl.endswith("") and "/ Front desk" in lbl for lbl in labels)
    assert any("/ Computer lab" in lbl for lbl in labels)
    assert wizard.check(), wizard.report.value
    assert "104</strong> rows would be imported" in wizard.report.value
    assert wizard.run_import()
    stated = engagement.table("stated_needs")
    assert len(stated) == 104 and stated["respondent_id"].nunique() <= 44
    counts = stated["need"].value_counts()
    assert counts["Help finding work"] == 24 and counts["Internet access at home"] == 8
    assert "Diapers" in set(stated["need"])  # the "Other" column's typed text


def test_wizard_proposes_the_real_nps_question_not_qualtrics_nps_group(app):
    page, engagement = app
    wizard = page.wizard
    wizard.load(EXPORTS / "qualtrics-nps.csv")
    assert wizard.metric_controls["nps"].value == "Q2"  # not Q2_NPS_GROUP, which comes first
    assert wizard.metric_controls["csat"].value == "Q1"
    labels = dict((v, lbl) for lbl, v in wizard.metric_controls["nps"].options)
    assert "[Q2_NPS_GROUP]" in labels["Q2_NPS_GROUP"] and "not a score" in labels["Q2_NPS_GROUP"]
    assert "[Q2]" in labels["Q2"] and "“10”" in labels["Q2"]
    assert wizard.check(), wizard.report.value
    assert "60</strong> rows would be imported" in wizard.report.value  # 30 CSAT + 30 NPS
    assert wizard.run_import()
    nps = engagement.table("responses").query("metric == 'nps'")
    assert len(nps) == 30 and nps["score"].between(0, 10).all()


def test_a_failed_check_speaks_the_planners_words_and_offers_the_fix_in_place(app):
    page, engagement = app
    wizard = page.wizard
    wizard.load(EXPORTS / "qualtrics-nps.csv")
    wizard.metric_controls["nps"].value = "Q2_NPS_GROUP"
    assert not wizard.check()
    said = wizard.report.value
    assert 'role="alert"' in said and "not scores" in said and "“Detractor”" in said
    assert "--" not in said and "[values" not in said and "map" not in said
    assert wizard.import_button.disabled and engagement.table("responses").empty
    # Fix 1: the question that holds the scores, one click away.
    buttons = [b for box in wizard.fix.children if isinstance(box, w.HBox) for b in box.children]
    use = next(b for b in buttons if isinstance(b, w.Button) and b.description == "Use Q2")
    use.click()
    assert wizard.metric_controls["nps"].value == "Q2" and not wizard.fix.children
    assert "60</strong> rows would be imported" in wizard.report.value
    # Fix 2: say which number each label stands for, in place.
    wizard.metric_controls["nps"].value = "Q2_NPS_GROUP"
    assert not wizard.check()
    assert set(wizard.label_boxes) == {"Detractor", "Passive", "Promoter"}
    wizard.label_boxes["Detractor"].value = "3"
    wizard.use_numbers.click()  # one left blank: said, nothing imported
    assert "“Passive”" in wizard.fix.children[-1].value
    wizard.label_boxes["Passive"].value = "7"
    wizard.label_boxes["Promoter"].value = "9,5"
    wizard.use_numbers.click()
    assert "60</strong> rows would be imported" in wizard.report.value
    wizard.map_name.value = "nps-groups"
    assert wizard.run_import()
    scores = engagement.table("responses").query("metric == 'nps'")["score"]
    assert set(scores) == {3.0, 7.0, 9.5}
    saved = (engagement.path / "maps" / "nps-groups.toml").read_text()
    assert "Q2_NPS_GROUP" in saved and "Detractor" in saved


def test_a_multi_select_chosen_as_a_metric_is_refused_in_the_planners_words(app):
    page, _ = app
    wizard = page.wizard
    wizard.load(EXPORTS / "qualtrics-nps.csv")
    wizard.metric_controls["csat"].value = "Q4"
    assert not wizard.check()
    assert "choose all that apply" in wizard.report.value and "--" not in wizard.report.value


def test_planner_words_drop_command_line_advice():
    from toolkit.forms.wizard import planner_words

    text = (
        "x.csv: nothing gives stated needs's need field. Name its column with --column "
        'need=COLUMN or under [columns] in the map, e.g. need = "Q5".'
    )
    said = planner_words(text)
    assert "--column" not in said and "[columns]" not in said
    assert said.startswith("x.csv: nothing gives stated needs's need field.")
    assert "Choose the right question in the lists above" in said


def test_an_upload_larger_than_the_page_takes_asks_for_the_command_line(app, monkeypatch):
    from toolkit.forms import wizard as wizard_module

    page, _ = app
    monkeypatch.setattr(wizard_module, "MAX_UPLOAD_MB", 1)
    page.wizard._uploaded({"new": ({"name": "big.csv", "content": memoryview(b"x" * 1_100_000)},)})
    said = page.wizard.detected.value
    assert "big.csv is larger than 1 MB" in said
    assert "import it from the command line" in said
    assert "service-toolkit" not in said and "ENGAGEMENT" not in said  # no command on the page


def test_messages_quote_no_field_names():
    from toolkit.forms.wizard import planner_words

    small = 'segment "Seniors" has only 3 respondents in this file (fewer than 5)'
    assert planner_words(small, "responses").startswith('Customer group "Seniors" has only 3')
    said = planner_words("row 4: respondent_id is blank; every answer needs one", "responses")
    assert "respondent_id" not in said and said.startswith("row 4: respondent")
    # A file's own heading in quotes stays as the planner will find it in the file.
    assert 'column "respondent_id"' in planner_words('column "respondent_id" is empty')


def test_forms_command_refuses_a_port_in_use(tmp_path):
    Engagement.init(tmp_path / "eng")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = CliRunner().invoke(
            main, ["forms", str(tmp_path / "eng"), "--port", str(port), "--no-browser"]
        )
    assert result.exit_code == 1 and f"Port {port} on 127.0.0.1 is already in use" in result.stderr


def test_forms_command_refuses_a_folder_that_is_not_an_engagement(tmp_path):
    result = CliRunner().invoke(main, ["forms", str(tmp_path / "nothing"), "--no-browser"])
    assert result.exit_code == 1 and "service-toolkit init" in result.stderr


def test_a_save_checks_once_and_reads_no_whole_table(app, monkeypatch):
    """#19: the checks made as the planner typed count; the store checks once as it saves;
    the list, the choices and the live count read a page, a GROUP BY, never a whole table."""
    import pandas as pd

    page, engagement = app
    engagement.import_frame(
        pd.DataFrame({"need": [f"need {i}" for i in range(40)], "segment": "Families"}),
        table="stated_needs",
    )
    form = page.forms["stated"]
    page.coding.refresh()  # a hidden tab that listens to saves of needs
    page.children[-1].selected_index = 0  # the live count open
    form.controls["need"].value = "Fresh milk for the kids"
    form.controls["segment"].value = "Residents"
    calls: list[tuple[str, int]] = []
    for name in ("check_entry", "table", "read_tables", "entries", "coding_tables"):
        original = getattr(engagement, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            out = _original(*args, **kwargs)
            label = f"table {args[0]}" if _name == "table" else _name
            calls.append((label, len(out) if isinstance(out, pd.DataFrame) else 0))
            return out

        monkeypatch.setattr(engagement, name, spy)
    assert form.submit() is not None
    # The check made as the planner typed is the Save's: the store saves with it.
    assert [c for c, _ in calls].count("check_entry") == 0
    whole = [c for c, _ in calls if c in ("read_tables", "entries", "coding_tables")]
    needs = [n for c, n in calls if c in ("table stated_needs", "table assumed_needs")]
    assert not whole and needs and max(needs) <= 10  # one page of the list, no more
    assert "Fresh milk for the kids" in form.listing.value
    assert "Bar chart of 41 needs" in page.children[-1].children[0].value  # counted in SQL
    # The hidden coding tab catches up when it is shown.
    calls.clear()
    page.tabs.selected_index = [k for k, _ in TABS].index("coding")
    assert calls


def test_a_save_with_the_typing_check_still_meets_the_store_and_checks_again(app):
    """A key taken in another window after the planner's typing was checked: the store
    refuses it, everything typed is kept, and the next Save checks again and says why."""
    page, engagement = app
    form = page.forms["customers"]
    form.controls["customer_id"].value = "HR-ASH"
    form.controls["name"].value = "Ash Street housing"
    form.controls["kind"].value = "external"
    assert not form.save.disabled
    engagement.save_entry(  # another planner, meanwhile
        "customers", {"customer_id": "HR-ASH", "name": "Ash", "kind": "external"}
    )
    assert form.submit() is None  # checked again at once, and said in words
    assert "Not saved: put right what is marked in red" in form.status.value
    assert "is already in use" in form.messages["customer_id"].value
    assert "UNIQUE" not in form.status.value + form.messages["customer_id"].value
    assert form.controls["name"].value == "Ash Street housing" and form.save.disabled
    form.controls["customer_id"].value = "HR-ASH2"
    assert form.submit() is not None
    assert len(engagement.table("customers")) == 2


def test_the_list_pages_filters_and_opens_imported_rows(app, write_csv):
    page, engagement = app
    rows = [["starts_on", "label", "segment"]] + [
        [f"2023-01-{day:02d}", f"Imported {day}", "Residents" if day % 2 else "Families"]
        for day in range(1, 24)
    ]
    engagement.import_file(write_csv("events.csv", rows), table="events")
    engagement.save_entry("events", {"starts_on": "2024-02-02", "label": "Typed in"})
    form = page.forms["events"]
    form.refresh_entries()
    assert "1–10 of 24" in form.counted.value and "Typed in" in form.listing.value
    form.older.click()
    assert "11–20 of 24" in form.counted.value and not form.newer.disabled
    form.filters["source"].value = "form"
    assert "1–1 of 1" in form.counted.value
    form.filters["source"].value = ""
    form.filters["segment"].value = "Families"
    assert "of 11" in form.counted.value and "Residents" not in form.listing.value
    imported = form.chooser.value
    form.load(imported)  # an imported row opens in the form to be corrected
    assert form.editing == imported and form.controls["segment"].value == "Families"
    form.controls["label"].value = "Imported, corrected"
    assert form.submit() == imported
    assert "Imported, corrected" in engagement.table("events")["label"].tolist()


def test_a_date_that_reads_both_ways_asks_which(app):
    page, _ = app
    form = page.forms["events"]
    form.controls["label"].value = "New hours"
    form.controls["starts_on"].value = "3/11/2026"
    assert form.save.disabled and "could be 3 November 2026 or 11 March 2026" in (
        form.messages["starts_on"].value
    )
    choices = form.pickers["starts_on"].children
    assert [b.description for b in choices] == ["3 November 2026", "11 March 2026"]
    choices[1].click()
    assert form.controls["starts_on"].value == "2026-03-11" and not form.save.disabled
    assert "11 March 2026" in form.echoes["starts_on"].value
    assert not form.pickers["starts_on"].children


def test_no_field_name_shows_and_each_field_reads_the_same_in_every_tab():
    seen: dict[str, str] = {}
    for spec in FORMS.values():
        for f in spec.fields:
            assert f.label == label_for(f.name, spec.table)
            assert "_" not in f.label and (f.ask or f.missing_words).endswith(".")
            if (spec.table, f.name) not in {
                ("events", "label"),
                ("service_links", "customer_id"),
                ("stated_needs", "need"),
            }:
                assert seen.setdefault(f.name, f.label) == f.label
    problems = [
        Problem("the form", "customer_id", "A", "is already in use", "Each customer_id must be new")
    ]
    words = field_errors(problems, FORMS["customers"])["customer_id"]
    assert words == "Customer code is already in use. Each “Customer code” must be new."


def test_drafts_are_kept_per_form_and_put_back(app):
    page, engagement = app
    keeper = page.drafts
    keeper.restored = {
        "tab": 6,
        "drafts": {"events": {"label": "Half typed", "starts_on": "2 May 2024"}},
    }
    assert page.tabs.selected_index == 6
    form = page.forms["events"]
    assert form.controls["label"].value == "Half typed"
    assert keeper.state["drafts"]["events"]["label"] == "Half typed" and keeper.state["tab"] == 6
    form.controls["label"].value = "Half typed, finished"
    assert keeper.state["drafts"]["events"]["label"] == "Half typed, finished"
    assert form.submit() is not None
    assert "events" not in keeper.state["drafts"]


def test_a_restored_correction_never_overwrites_a_later_one(app):
    """A draft of a correction remembers the version it started from: if someone corrected
    the entry since, saving the draft is refused and everything typed is kept."""
    page, engagement = app
    entry = engagement.save_entry("events", {"starts_on": "2024-03-01", "label": "Bus route"})
    form = page.forms["events"]
    form.load(entry)
    form.controls["label"].value = "Bus route changed"
    kept = dict(page.page.drafts["events"])
    assert kept["_entry"] == entry and kept["_version"]
    # Another planner corrects the date meanwhile.
    engagement.save_entry(
        "events", {"starts_on": "2024-03-15", "label": "Bus route"}, entry=entry, version=None
    )
    form.reset()
    form.restore(kept)
    assert form.submit() is None
    assert "another window" in form.status.value
    assert form.controls["label"].value == "Bus route changed"
    import pandas as pd

    stored = engagement.table("events")
    assert stored["starts_on"].tolist() == [pd.Timestamp("2024-03-15")]


@pytest.mark.parametrize("meanwhile", ["deleted here", "corrected in another window"])
def test_a_save_lists_its_group_again_when_it_left_the_list_after_the_typing_check(
    tmp_path, meanwhile
):
    from toolkit.forms.app import forms_app

    engagement = Engagement.init(tmp_path / "riverside", name="riverside")
    page = forms_app(engagement)
    other = Engagement.open(tmp_path / "riverside")  # another window
    first = other.save_entry(
        "events", {"starts_on": "2024-01-02", "label": "Fair", "segment": "Rural"}
    )
    form = page.forms["events"]
    form.refresh_choices()
    form.controls["starts_on"].value = "1 July 2024"
    form.controls["segment"].value = "Rural"
    form.controls["label"].value = "Market day"  # checked as typed: "Rural" is listed
    if meanwhile == "deleted here":
        form.remove(first)
        form.remove(first)  # "Really delete?"
    else:
        other.save_entry(
            "events", {"starts_on": "2024-01-02", "label": "Fair", "segment": "Urban"}, entry=first
        )
    assert "Rural" not in engagement.segments()  # the last Rural row went
    assert form.submit() is not None
    assert "Rural" in set(engagement.table("events")["segment"])
    assert "Rural" in engagement.segments()
