"""Import maps: reading, checking, writing, saving from a dry run and reusing next wave."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit._resources import resource_dir
from toolkit.errors import DataValidationError
from toolkit.sources.maps import (
    ImportMap,
    MetricSpec,
    MultiSpec,
    map_path,
    parse_map,
    read_map,
    render_map,
    write_map,
)

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "templates" / "maps").glob("*.toml"))
FIXTURE_FOR = {
    "qualtrics": "qualtrics-choice-text.csv",
    "surveymonkey": "surveymonkey.xlsx",
    "google-forms-needs": "google-forms-sheet.csv",
    "ms-forms": "ms-forms.xlsx",
    "kobo": "kobo-values.csv",
}


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_map_reads_with_every_section(tmp_path):
    m = read_map(
        write(
            tmp_path,
            """
table = "responses"
source = "Google Forms"
date_order = "DMY"
[columns]
segment = "Which of these describes you?"
[constants]
wave = "2024 Q1"
[[metrics]]
metric = "CSAT"
column = "How satisfied?"
scale = [1, 7]
touchpoint = "Front desk"
[values."How satisfied?"]
"Over the moon" = 7
[multi.Needs]
separator = ";"
options = ["Milk", "Rent"]
""",
        )
    )
    assert m.table == "responses" and m.source == "google-forms" and m.date_order == "dmy"
    assert m.columns == {"segment": "Which of these describes you?"}
    assert m.constants == {"wave": "2024 Q1"}
    assert m.metrics == [MetricSpec("csat", "How satisfied?", (1.0, 7.0), "Front desk")]
    assert m.values == {"How satisfied?": {"Over the moon": 7}}
    assert m.multi == {"Needs": MultiSpec(";", ("Milk", "Rent"))}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            'table = "responses"\n[[metric]]\nmetric = "csat"',
            ['unknown key "metric"', 'did you mean "metrics"'],
        ),
        (
            '[[metrics]]\nmetric = "csat"\ncolum = "Q1"',
            ['unknown key "colum"', 'did you mean "column"'],
        ),
        (
            '[[metrics]]\nmetric = "happiness"\ncolumn = "Q1"',
            ['metric "happiness"', "csat, nps, ces"],
        ),
        (
            '[[metrics]]\nmetric = "csat"\ncolumn = "Q1"\nscale = [5, 1]',
            ["scale [5, 1]", "[lowest, highest]"],
        ),
        ('[[metrics]]\nmetric = "csat"', ["has no column"]),
        ('table = "answers"', ['There is no table "answers"']),
        ('source = "typeform"', ['source is "typeform"', "qualtrics"]),
        ('date_order = "ydm"', ['date_order is "ydm"', "dmy, mdy, ymd"]),
        ("[values]\nQ1 = 5", ['[values] "Q1" is not a table']),
        ('[values.Q1]\n"Yes" = true', ['"Yes" is True', "Give a number"]),
        ("table = responses", ["is not valid TOML"]),
    ],
)
def test_a_bad_map_says_where_and_what_is_allowed(tmp_path, text, words):
    with pytest.raises(DataValidationError) as info:
        read_map(write(tmp_path, text))
    message = str(info.value)
    assert str(tmp_path / "map.toml") in message
    for word in words:
        assert word in message


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)


@settings(max_examples=40, deadline=None)
@given(
    columns=st.dictionaries(
        st.sampled_from(["segment", "wave", "campus", "need"]), _text, max_size=3
    ),
    metrics=st.lists(
        st.builds(
            MetricSpec,
            st.sampled_from(["csat", "nps", "ces"]),
            _text,
            st.none() | st.just((1.0, 5.0)),
            st.none() | _text,
        ),
        max_size=3,
    ),
    values=st.dictionaries(
        _text,
        st.dictionaries(_text, st.integers(0, 10) | _text, min_size=1, max_size=3),
        max_size=2,
    ),
    multi=st.dictionaries(
        _text,
        st.builds(
            MultiSpec,
            st.none() | st.sampled_from([";", ",", " "]),
            st.lists(_text, max_size=3).map(tuple),
        ),
        max_size=2,
    ),
)
def test_written_maps_read_back_the_same(columns, metrics, values, multi):
    m = ImportMap(
        table="responses",
        source="kobo",
        columns=columns,
        metrics=metrics,
        values=values,
        multi=multi,
        date_order="mdy",
    )
    back = parse_map(tomllib.loads(render_map(m, comment="made by a test\nsecond line")))
    assert back == m


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_map_reads_and_imports_its_tools_export(engagement, path):
    m = read_map(path)
    assert m.table in ("responses", "stated_needs") and m.source
    result = engagement.import_file(EXPORTS / FIXTURE_FOR[path.stem], map=path)
    assert result.rows_added > 0 and result.source_format == m.source
    assert result.details["map"] == str(path)


def test_the_shipped_maps_are_in_the_installed_templates():
    shipped = resource_dir("templates") / "maps"
    assert sorted(p.name for p in shipped.glob("*.toml")) == [p.name for p in SHIPPED]


def test_save_map_from_a_dry_run_then_reuse_it_next_wave(engagement, tmp_path):
    rows = list(csv.reader((EXPORTS / "qualtrics-choice-text.csv").open(encoding="utf-8-sig")))
    wave1, wave2 = tmp_path / "wave1.csv", tmp_path / "wave2.csv"
    for path, body in ((wave1, rows[3:7]), (wave2, rows[3:])):
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows[:3] + body)
    dry = engagement.import_file(
        wave1,
        table="responses",
        dry_run=True,
        save_map="client-survey",
        columns={"segment": "Which of these describes you?"},
        metrics=[("csat", "Q1"), ("nps", "Q3")],
    )
    saved = engagement.path / "maps" / "client-survey.toml"
    assert dry.details["saved_map"] == str(saved) and len(engagement.responses) == 0
    m = read_map(saved)
    assert m.table == "responses" and m.source == "qualtrics"
    assert [(s.metric, s.column) for s in m.metrics] == [("csat", "Q1"), ("nps", "Q3")]
    assert m.columns["segment"] == "Which of these describes you?"
    assert m.columns["source_id"] == "Response ID"  # the tool's id, by its question text
    first = engagement.import_file(wave1, map="client-survey")
    assert first.rows_added == 8
    second = engagement.import_file(wave2, map="client-survey")  # all responses to date
    assert second.rows_added == 2
    assert second.excluded["already in the store (same source id)"] == 4
    assert second.excluded["Qualtrics survey previews"] == 1


def test_a_map_that_is_not_there_lists_the_saved_ones(engagement):
    write_map(ImportMap(table="responses"), engagement.path / "maps" / "wave.toml")
    with pytest.raises(DataValidationError) as info:
        map_path("wav", engagement.path)
    assert "no such map file" in str(info.value) and "wave" in str(info.value)
    assert map_path("wave", engagement.path) == engagement.path / "maps" / "wave.toml"


def test_a_bad_map_name_is_refused_before_anything_is_read(engagement):
    with pytest.raises(DataValidationError, match="a map's name is letters"):
        engagement.import_file(
            EXPORTS / "ms-forms.xlsx",
            table="responses",
            metrics={"csat": "Q1"},
            save_map="../escape",
        )
    assert not list((engagement.path / "maps").iterdir())


def test_a_map_naming_a_missing_column_lists_the_closest(engagement, tmp_path):
    path = write(
        tmp_path,
        'table = "responses"\n[columns]\nsegment = "Which describes you"\n'
        '[[metrics]]\nmetric = "csat"\ncolumn = "How satisfied are you overall?"\n',
    )
    with pytest.raises(DataValidationError) as info:
        engagement.import_file(EXPORTS / "ms-forms.xlsx", map=path)
    message = str(info.value)
    assert 'has no column or question "Which describes you"' in message
    assert '"Which of these describes you?"' in message  # the closest it has
    assert f"under [columns] in {path}" in message


def test_constants_must_be_fields(engagement, tmp_path):
    path = write(
        tmp_path,
        'table = "responses"\n[constants]\nwaves = "2024"\n'
        '[[metrics]]\nmetric = "csat"\ncolumn = "How satisfied are you with our service overall?"\n',
    )
    with pytest.raises(DataValidationError, match='"waves", which is not a field of responses'):
        engagement.import_file(EXPORTS / "ms-forms.xlsx", map=path)


def test_constants_fill_a_field_on_every_row(engagement, tmp_path):
    path = write(
        tmp_path,
        'table = "responses"\n[constants]\nwave = "2024 Q1"\n'
        '[[metrics]]\nmetric = "csat"\ncolumn = "How satisfied are you with our service overall?"\n',
    )
    engagement.import_file(EXPORTS / "ms-forms.xlsx", map=path)
    assert set(engagement.responses["wave"]) == {"2024 Q1"}


def test_a_map_can_be_saved_from_a_file_imported_before(engagement):
    path = EXPORTS / "ms-forms.xlsx"
    metrics = {"csat": "How satisfied are you with our service overall?"}
    engagement.import_file(path, table="responses", metrics=metrics)
    dry = engagement.import_file(
        path, table="responses", metrics=metrics, dry_run=True, save_map="forms"
    )
    assert dry.rows_added == 0 and dry.excluded == {"already in the store (same source id)": 5}
    assert read_map(engagement.path / "maps" / "forms.toml").metrics[0].column == metrics["csat"]
    again = engagement.import_file(path, map="forms")
    assert again.already_imported is not None
