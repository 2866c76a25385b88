"""The "you said, we did" page: its needs, shares, actions, languages and what it never shows.

A small engagement with known answers: 19 people heard (18 with an id, one row without),
milk named by 11 (58%), rides by 6 (32%), rent help by 4 (21%), opening hours by 2 (11%),
two people with no need. Each share is checked by hand against those counts.
"""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.errors import DataValidationError
from toolkit.reports.runner import run_reports
from toolkit.reports.strings import STRINGS_DIR, language_in_force, languages, load_strings
from toolkit.reports.you_said import (
    need_actions,
    open_you_said_report,
    print_scale,
    standalone_page,
    top_needs,
)
from toolkit.schema.personal import personal_in_text
from toolkit.schema.tables import label_column
from toolkit.store import Engagement

CODEBOOK = pd.DataFrame(
    {
        "code": ["milk", "rides", "rent", "hours"],
        "label": ["Milk", "Rides", "Help with rent", "Opening hours"],
        "keywords": ["milk", "ride; bus", "rent", "hours"],
        "label_es": ["Leche", "", None, "Horarios"],
    }
)
STATEMENT = "fresh milk for my kids please"


def _stated() -> pd.DataFrame:
    rows = []
    for i in range(1, 19):
        who = f"resp-{i:03d}"
        segment = "Parents" if i <= 4 else "Residents"
        codes = []
        if i <= 10:
            codes.append("milk")
        if 5 <= i <= 10:
            codes.append("rides")
        if 11 <= i <= 14:
            codes.append("rent")
        if i in (15, 16):
            codes.append("hours")
        if i in (17, 18):
            codes.append("not_a_need")
        for code in codes:
            text = STATEMENT if code == "milk" else f"need {code}"
            rows.append((who, segment, text, code, f"2024-0{3 + i % 3}-1{i % 9}"))
    rows.append((None, "Residents", "milk", "milk", "2024-05-20"))  # no id: one person
    return pd.DataFrame(
        rows, columns=["respondent_id", "segment", "need", "code", "collected_on"]
    ).assign(method="survey")


ACTIONS = pd.DataFrame(
    [
        ["A1", "milk", "", "Fresh milk twice a week", "Food team", "done", "2024-07-01", ""],
        [
            "A2",
            "milk",
            "Parents",
            "Milk at the school gate",
            "Food team",
            "planned",
            "",
            "2025-03-31",
        ],
        ["A3", "rides", "", "A shuttle bus", "Maria Gonzalez", "dropped", "", ""],
        ["A4", "", "Residents", "A residents' forum", "Community team", "under way", "", ""],
        [
            "A5",
            "rent",
            "",
            "Call Ana at ana@example.org about rent",
            "Ana Lopez",
            "under way",
            "",
            "",
        ],
        ["A6", "hours", "", "Saturday opening", "Maria Gonzalez", "planned", "", "2025-09-30"],
    ],
    columns=["action_id", "code", "segment", "action", "owner", "status", "done_on", "due_on"],
)


@pytest.fixture(scope="module")
def heard(tmp_path_factory) -> Engagement:
    eng = Engagement.init(tmp_path_factory.mktemp("yousaid") / "riverside")
    eng.import_frame(CODEBOOK.fillna(""), table="codebook", source="codebook.csv")
    eng.import_frame(_stated(), table="stated_needs", source="needs.csv")
    eng.import_frame(ACTIONS, table="actions", source="actions.csv")
    return eng


def _page(ctx) -> str:
    return ctx.page().data


# ----------------------------------------------------------------------------- content


def test_top_needs_are_the_most_named_with_people_counted_once():
    needs, people = top_needs(_stated(), CODEBOOK, top=3, min_n=5)
    assert people == 19  # 18 ids and one row without an id; no-need people count too
    assert list(needs["code"]) == ["milk", "rides", "rent"]  # top 3, most named first
    assert list(needs["customer_n"]) == [11, 6, 4]
    assert needs["customer_share"].tolist() == pytest.approx([11 / 19, 6 / 19, 4 / 19])


def test_too_few_people_show_no_needs():
    needs, people = top_needs(_stated(), CODEBOOK, top=5, min_n=25)
    assert people == 19 and needs.empty


def test_the_page_shows_rounded_shares_statuses_and_actions(heard):
    ctx = open_you_said_report(heard.path, interactive=False, language="en", top=4)
    html = _page(ctx)
    assert "We heard from 19 people between March 2024 and May 2024." in html
    for share in ("58%", "32%", "21%", "11%"):  # 11/19, 6/19, 4/19, 2/19 rounded
        assert f'<span class="ysd-pct">{share}</span>' in html
    # Milk: done (the everyone action first), then planned for one group.
    milk = html[html.index("<h2>Milk</h2>") : html.index("<h2>Rides</h2>")]
    assert milk.index("Done") < milk.index("Planned")
    assert "Fresh milk twice a week" in milk and "(done in July 2024)" in milk
    assert "Milk at the school gate (for Parents)" in milk and "(by March 2025)" in milk
    # Rides: its only action was dropped, so not decided; a whole-group action is no answer.
    rides = html[html.index("<h2>Rides</h2>") : html.index("<h2>Help with rent</h2>")]
    assert "Not decided yet" in rides and "shuttle" not in rides
    assert "residents&#x27; forum" not in html and "forum" not in html
    assert "Opening hours" in html and "(by September 2025)" in html


def test_the_page_names_no_one(heard):
    ctx = open_you_said_report(heard.path, interactive=False, language="en", top=4)
    html = _page(ctx)
    for personal in ("resp-0", "Ana", "ana@example.org", "Maria", "Gonzalez", "Lopez", STATEMENT):
        assert personal not in html, personal
    for owner in ("Food team", "Community team"):  # not even a team: owners are never shown
        assert owner not in html
    # The action holding an e-mail address is shown by its status only, and said so.
    rent = html[html.index("<h2>Help with rent</h2>") : html.index("<h2>Opening hours</h2>")]
    assert "Under way" in rent
    assert any("action A5" in w and "e-mail address" in w for w in ctx.warnings)


def test_the_warning_about_personal_words_does_not_repeat_them(tmp_path):
    # Reader 7: an action without an action_id was named by its first 20 characters, the
    # e-mail address itself, in the warning (stderr, run.json, the index, the notebook).
    eng = Engagement.init(tmp_path / "e")
    eng.import_frame(CODEBOOK.fillna(""), table="codebook", source="codebook.csv")
    eng.import_frame(_stated(), table="stated_needs", source="needs.csv")
    unnamed = ACTIONS.assign(action_id="")
    unnamed.loc[4, "action"] = "ana@example.org is the one to ask about rent"
    eng.import_frame(unnamed, table="actions", source="actions.csv")
    ctx = open_you_said_report(eng.path, interactive=False, language="en", top=4)
    assert "ana@" not in _page(ctx)
    (warning,) = [w for w in ctx.warnings if "e-mail address" in w]
    assert "ana@" not in warning and "example.org" not in warning, warning
    assert warning.startswith("the under way action about need rent: its words hold"), warning


def test_a_subset_to_one_group_keeps_everyones_actions_and_says_no_group(heard):
    ctx = open_you_said_report(
        heard.path,
        interactive=False,
        subset={"segment": "Parents"},
        language="en",
        top=2,
        min_n=3,
    )
    html = _page(ctx)
    assert "We heard from 4 people" in html
    assert "Fresh milk twice a week" in html  # an action for everyone applies to them too
    assert "Milk at the school gate" in html and "(for Parents)" not in html


def test_need_actions_match_the_need_for_the_groups_on_the_page():
    for_all = need_actions(ACTIONS, "milk", None)
    assert list(for_all["action_id"]) == ["A1", "A2"]  # done before planned
    assert list(need_actions(ACTIONS, "milk", ["Residents"])["action_id"]) == ["A1"]
    assert need_actions(ACTIONS, "rides", None).empty  # dropped
    assert need_actions(None, "milk", None).empty


# ----------------------------------------------------------------------------- languages


def test_spanish_page_uses_spanish_labels_and_falls_back_with_a_warning(heard):
    ctx = open_you_said_report(heard.path, interactive=False, language="es", top=4)
    html = _page(ctx)
    assert 'lang="es"' in html and "Lo que nos dijeron y lo que hicimos" in html
    assert "Escuchamos a 19 personas entre marzo de 2024 y mayo de 2024." in html
    assert "<h2>Leche</h2>" in html and "<h2>Horarios</h2>" in html
    assert '<span class="ysd-pct">58 %</span>' in html
    assert "Hecho" in html and "hecho en julio de 2024" in html
    # Blank and missing Spanish labels show the English ones, and the warning says which.
    assert "<h2>Rides</h2>" in html and "<h2>Help with rent</h2>" in html
    (warning,) = [w for w in ctx.warnings if "label" in w]
    assert "Rides (rides)" in warning and "Help with rent (rent)" in warning
    assert "label_es" in warning and "Milk" not in warning
    english = open_you_said_report(heard.path, interactive=False, language="en", top=4)
    assert not [w for w in english.warnings if "label" in w]


def test_every_language_file_has_every_word_of_english():
    english = load_strings("en")
    assert set(languages()) >= {"en", "es"}
    for code in languages():
        words = load_strings(code)
        assert set(words) == set(english), code
        assert all(str(v).strip() for v in words.values()), code
        for key, value in english.items():  # the same {placeholders} in every language
            if isinstance(value, str):
                assert set(_fields(words[key])) == set(_fields(value)), (code, key)


def _fields(text: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(text) if f]


def test_an_unknown_language_is_refused_listing_those_there_are(heard):
    with pytest.raises(DataValidationError, match=r'language "fr".*en \(English\), es \(Español\)'):
        load_strings("fr")
    with pytest.raises(DataValidationError, match="en.toml"):
        open_you_said_report(heard.path, interactive=False, language="fr")
    with pytest.raises(DataValidationError, match="engagement.toml, settings.language"):
        language_in_force("", {"language": "klingon"})
    assert language_in_force("", {"language": "es"}) == "es"
    assert language_in_force("EN", {"language": "es"}) == "en"  # the parameter wins
    assert language_in_force("", {}) == "en"
    assert (STRINGS_DIR / "es.toml").is_file()


def test_label_column_names_the_codebook_column_of_a_language():
    assert label_column("en") == "label" and label_column("es") == "label_es"


def test_top_out_of_range_is_refused(heard):
    with pytest.raises(DataValidationError, match="top must be a whole number from 1 to 8"):
        open_you_said_report(heard.path, interactive=False, top=9)


# ----------------------------------------------------------------------------- one page


def test_a_page_too_long_for_one_sheet_is_found():
    texts = {"org": "Org", "title": "You said, we did", "heard": "We heard", "intro": "x"}
    texts["footer"] = ["a", "b", "c"]
    short = [{"label": "Milk", "named": "of people", "actions": ["Fresh milk (July)"]}] * 5
    assert print_scale(texts, short) == 1.0
    long = [{"label": "Milk " * 30, "named": "of people", "actions": ["word " * 120] * 2}] * 8
    assert print_scale(texts, long) is None


def test_personal_values_inside_text_are_found():
    assert personal_in_text("Write to ana@example.org") == "an e-mail address"
    assert personal_in_text("Call 020 7946 0958 today") == "a phone number"
    assert personal_in_text("Open on Saturdays from 2025-09-30") is None


# ----------------------------------------------------------------------------- the report


def test_the_report_runs_writes_one_offline_page_and_lists_its_warnings(heard, tmp_path):
    run = run_reports(
        heard.path, ["you-said-we-did"], parameters={"language": "es"}, out=tmp_path, jobs=1
    )
    (result,) = run.results
    assert result.ok, result.error
    html = result.html.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="es">' in html
    assert "<script" not in html and "http" not in html.replace("http-equiv", "")
    assert "About this report" not in html and "fingerprint" not in html
    assert any("no Español label" in w for w in result.warnings)
    assert "no Español label" in run.index.read_text(encoding="utf-8")
    import nbformat

    assert standalone_page(nbformat.read(result.notebook, as_version=4)) == html


def test_a_language_is_checked_before_any_kernel_and_no_needs_is_data_missing(heard, tmp_path):
    with pytest.raises(DataValidationError, match='language "fr"'):
        run_reports(heard.path, ["you-said-we-did"], parameters={"language": "fr"}, out=tmp_path)
    assert not list(tmp_path.glob("*/run.json"))  # nothing ran
    empty = Engagement.init(tmp_path / "empty")
    with pytest.raises(DataValidationError, match="you-said-we-did: no stated needs yet"):
        run_reports(empty.path, ["you-said-we-did"])


def test_needs_that_would_not_fit_one_printed_page_are_left_off_and_said(tmp_path):
    eng = Engagement.init(tmp_path / "long")
    codes = [f"need_{i}" for i in range(8)]
    label = "A need described at very great length by the people who named it " * 3
    eng.import_frame(
        pd.DataFrame(
            {"code": codes, "label": [f"{label}{i}" for i in range(8)], "keywords": codes}
        ),
        table="codebook",
        source="codebook.csv",
    )
    stated = pd.DataFrame(
        {
            "respondent_id": [f"p{i}-{j}" for i in range(8) for j in range(8 - i)],
            "code": [codes[i] for i in range(8) for j in range(8 - i)],
            "need": "words",
            "collected_on": "2024-03-01",
        }
    )
    eng.import_frame(stated, table="stated_needs", source="needs.csv")
    ctx = open_you_said_report(eng.path, interactive=False, language="en", top=8)
    page = ctx.page()
    shown = page.data.count('<li class="ysd-need">')
    assert 1 <= shown < 8
    (warning,) = page.metadata["service_toolkit"]["warnings"]
    assert f"The page shows {shown} of the 8 needs asked for" in warning
