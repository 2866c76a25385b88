"""The import command's survey options: --map --source --column --metric --save-map --dry-run --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit.store import Engagement

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
QUALTRICS = EXPORTS / "qualtrics-choice-text.csv"
NPS = "How likely is it that you would recommend us to a friend or colleague?"


@pytest.fixture
def folder(tmp_path, run):
    path = tmp_path / "eng"
    assert run("init", path).exit_code == 0
    return path


def test_dry_run_shows_format_mapping_and_rows_then_saves_the_map(run, folder):
    result = run(
        "import",
        folder,
        QUALTRICS,
        "--table",
        "responses",
        "--dry-run",
        "--metric",
        "csat=Q1",
        "--metric",
        f"nps={NPS}",
        "--column",
        "segment=Which of these describes you?",
        "--save-map",
        "wave",
    )
    assert result.exit_code == 0, result.stderr
    out = result.output
    assert (
        "Dry run: 10 of 10 rows of qualtrics-choice-text.csv would be imported into responses"
        in out
    )
    assert "from 8 responses (format qualtrics" in out
    assert "detected 'ResponseId in row 1, {\"ImportId\": …} in row 3'" in out
    assert "source_id" in out and "← Response ID" in out and "segment" in out
    assert "R_1a-csat" in out  # the first rows as they would land
    assert "Excluded 1 rows: Qualtrics survey previews." in out
    assert "Personal columns" in out and "RecipientEmail" in out
    assert f"Saved the import map to {folder / 'maps' / 'wave.toml'}" in out
    assert len(Engagement.open(folder).responses) == 0

    landed = run("import", folder, QUALTRICS, "--map", "wave")
    assert landed.exit_code == 0 and "Imported 10 of 10 rows" in landed.output

    again = run("import", folder, QUALTRICS, "--map", "wave")
    assert again.exit_code == 0 and "already imported" in again.stderr


def test_json_summary_of_a_survey_import(run, folder):
    result = run(
        "import",
        folder,
        EXPORTS / "kobo-values.csv",
        "--table",
        "responses",
        "--metric",
        "csat=visit/satisfaction",
        "--source",
        "kobo",
        "--json",
    )
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["source_format"] == "kobo" and data["rows_added"] == 5 and data["file_rows"] == 6
    assert data["excluded"] == {"records rejected in review (not approved)": 1}
    assert data["details"]["mapping"]["source_id"] == "_uuid"
    assert data["import_id"] == 2  # the starter codebook was import 1


def test_a_map_file_names_the_table(run, folder):
    result = run(
        "import",
        folder,
        EXPORTS / "surveymonkey.csv",
        "--map",
        Path(__file__).parents[1] / "templates" / "maps" / "surveymonkey.toml",
    )
    assert result.exit_code == 0, result.stderr
    assert "into responses from 5 responses" in result.output


def test_usage_errors_exit_2(run, folder):
    assert run("import", folder, QUALTRICS).exit_code == 2  # no table, no map
    assert (
        run("import", folder, QUALTRICS, "--table", "responses", "--source", "typeform").exit_code
        == 2
    )
    assert (
        run("import", folder, QUALTRICS, "--table", "responses", "--date-order", "dym").exit_code
        == 2
    )


def test_data_errors_exit_1_with_the_message_and_nothing_changed(run, folder):
    result = run("import", folder, QUALTRICS, "--table", "responses", "--metric", "csat=Q99")
    assert result.exit_code == 1
    assert (
        'has no column or question "Q99"' in result.stderr and "The closest it has" in result.stderr
    )
    bad = run("import", folder, QUALTRICS, "--table", "responses", "--metric", "csat")
    assert bad.exit_code == 1 and "--metric FIELD=SOURCE" in bad.stderr
    wrong = run("import", folder, QUALTRICS, "--table", "responses", "--metric", "happiness=Q1")
    assert wrong.exit_code == 1 and '"happiness" is not a metric' in wrong.stderr
    missing = run("import", folder, QUALTRICS, "--map", "nope")
    assert missing.exit_code == 1 and "no such map file" in missing.stderr
    assert Engagement.open(folder).status()["tables"]["responses"] == 0


def test_a_cumulative_export_adding_nothing_says_so_on_stderr(run, folder, tmp_path):
    args = ["--table", "responses", "--metric", "csat=Q1"]
    assert run("import", folder, QUALTRICS, *args).exit_code == 0
    copy = tmp_path / "again.csv"
    copy.write_bytes(QUALTRICS.read_bytes() + b"\n")  # new file, same responses
    result = run("import", folder, copy, *args)
    assert result.exit_code == 0
    assert "Excluded 5 rows: already in the store (same source id)." in result.output
    assert "Nothing was added from again.csv" in result.stderr


def test_date_order_ymd(run, folder, tmp_path):
    path = tmp_path / "ymd.csv"
    path.write_text("Date,Score\n24/03/07,4\n24/03/09,5\n", encoding="utf-8")
    result = run(
        "import",
        folder,
        path,
        "--table",
        "responses",
        "--column",
        "submitted_on=Date",
        "--metric",
        "csat=Score",
        "--date-order",
        "ymd",
    )
    assert result.exit_code == 0, result.stderr
    dates = Engagement.open(folder).responses["submitted_on"].dt.strftime("%Y-%m-%d").tolist()
    assert dates == ["2024-03-07", "2024-03-09"]


def test_templates_still_import_with_no_map(run, folder, customers_csv):
    result = run("import", folder, customers_csv, "--table", "customers", "--source", "csv")
    assert result.exit_code == 0 and "Imported 3 of 3 rows" in result.output


SELECT_ALL = (
    "Which of the following kinds of help would make the biggest difference to your "
    "household over the next twelve months? (Select all that apply)"
)


@pytest.mark.parametrize("need", [SELECT_ALL, SELECT_ALL + " / Food and groceries"])
def test_a_surveymonkey_select_all_imports_every_choice_column(run, folder, need):
    """The question, or any one of its choice columns, brings all eight choices: 104 rows."""
    result = run(
        "import",
        folder,
        EXPORTS / "surveymonkey-select-all.csv",
        "--table",
        "stated-needs",
        "--column",
        f"need={need}",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows_added"] == 104
    stated = Engagement.open(folder).table("stated_needs")
    assert stated["need"].value_counts()["Help finding work"] == 24


def test_import_suggests_the_real_nps_question_not_the_nps_group(run, folder):
    result = run("import", folder, EXPORTS / "qualtrics-nps.csv", "--table", "responses")
    assert result.exit_code == 1
    assert '--metric "nps=Q2"' in result.stderr and "Q2_NPS_GROUP" not in result.stderr
    assert '--metric "csat=How satisfied are you with the Maple Hollow library overall?"' in (
        result.stderr
    )
