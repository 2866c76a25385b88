"""The shipped templates, their data dictionary and the guides."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from toolkit import templates
from toolkit.schema.tables import TABLES
from toolkit.templates import (
    DICTIONARY_COLUMNS,
    DICTIONARY_NAME,
    DICTIONARY_SHEET,
    README_SHEET,
    WORKBOOK_NAME,
    write_templates,
)

SHIPPED = Path(__file__).resolve().parents[1] / "templates"
GUIDES = SHIPPED / "guides"
CSV_NAMES = [f"{t.cli_name}.csv" for t in TABLES.values()]
GENERATED = [*CSV_NAMES, WORKBOOK_NAME, DICTIONARY_NAME]


def workbook_contents(path: Path) -> dict[str, object]:
    """Every sheet's cell values and data validations, in a comparable form."""
    book = openpyxl.load_workbook(path)
    contents: dict[str, object] = {"sheets": book.sheetnames}
    for sheet in book.worksheets:
        contents[sheet.title] = [list(row) for row in sheet.iter_rows(values_only=True)]
        contents[f"{sheet.title} validations"] = sorted(
            (str(v.sqref), v.type, v.operator, v.formula1, v.formula2)
            for v in sheet.data_validations.dataValidation
        )
    return contents


def differences(shipped: Path, fresh: Path) -> list[str]:
    """Name each generated file whose shipped copy differs from a fresh one."""
    changed = []
    for name in GENERATED:
        old, new = shipped / name, fresh / name
        if not old.exists():
            changed.append(f"{name} (missing)")
        elif name.endswith(".xlsx"):
            if workbook_contents(old) != workbook_contents(new):
                changed.append(name)
        elif old.read_bytes() != new.read_bytes():
            changed.append(name)
    return changed


@pytest.fixture
def fresh(tmp_path):
    write_templates(tmp_path)
    return tmp_path


# (a) the shipped templates are what the schema generates now


def test_shipped_templates_match_the_schema(fresh):
    changed = differences(SHIPPED, fresh)
    assert not changed, (
        f"templates/ is out of date with toolkit/schema.py ({', '.join(changed)}); "
        "run `python -m toolkit.templates`."
    )


def test_a_schema_change_is_caught(tmp_path, monkeypatch):
    events = TABLES["events"]
    extra = dataclasses.replace(events.fields[0], name="announced_on", required=False)
    longer = dataclasses.replace(events, fields=(*events.fields, extra))
    monkeypatch.setattr(templates, "TABLES", dict(TABLES, events=longer))
    write_templates(tmp_path)
    assert set(differences(SHIPPED, tmp_path)) == {"events.csv", WORKBOOK_NAME, DICTIONARY_NAME}


def test_output_is_reproducible(tmp_path):
    first = write_templates(tmp_path / "one")
    second = write_templates(tmp_path / "two")
    assert [p.name for p in first] == [p.name for p in second] == GENERATED
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_command_line_regenerates(tmp_path, capsys):
    assert templates.main([str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [Path(line).name for line in printed] == GENERATED
    assert not differences(SHIPPED, tmp_path / "out")


# (b) each CSV is the table's header and nothing else


@pytest.mark.parametrize("table", TABLES.values(), ids=lambda t: t.cli_name)
def test_csv_header_is_the_field_names(table):
    raw = (SHIPPED / f"{table.cli_name}.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no byte-order mark"
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    assert rows == [list(table.field_names)], "one header row, no example row"
    frame = pd.read_csv(SHIPPED / f"{table.cli_name}.csv")
    assert list(frame.columns) == list(table.field_names) and frame.empty


# (c) the workbook


@pytest.fixture(scope="module")
def book():
    return openpyxl.load_workbook(SHIPPED / WORKBOOK_NAME)


def test_workbook_has_read_me_tables_and_dictionary(book):
    assert book.sheetnames[0] == README_SHEET
    assert DICTIONARY_SHEET in book.sheetnames
    table_sheets = [s for s in book.sheetnames if s not in (README_SHEET, DICTIONARY_SHEET)]
    assert table_sheets == [t.cli_name for t in TABLES.values()]
    read_me = "\n".join(str(c.value) for c in book[README_SHEET]["A"] if c.value)
    assert "service-toolkit import ENGAGEMENT FILE --table TABLE" in read_me
    assert "--sheet" in read_me


@pytest.mark.parametrize("table", TABLES.values(), ids=lambda t: t.cli_name)
def test_table_sheet_header_styles_and_checks(book, table):
    sheet = book[table.cli_name]
    header = [c.value for c in sheet[1]]
    assert header == list(table.field_names)
    assert sheet.max_row == 1, "no example row"
    assert sheet.freeze_panes == "A2"
    fills = {c.value: c.fill.fgColor.rgb for c in sheet[1]}
    required = {fills[name] for name in table.required}
    optional = {fills[f.name] for f in table.fields if not f.required}
    assert len(required) <= 1 and not required & optional, "required headers stand out"
    assert all(c.font.bold for c in sheet[1])

    rules = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    for index, field in enumerate(table.fields, start=1):
        column = openpyxl.utils.get_column_letter(index)
        rule = rules.get(f"{column}2:{column}1000")
        if field.kind == "choice":
            assert rule is not None and rule.type == "list", field.name
            assert rule.formula1.strip('"').split(",") == list(field.choices)
        elif field.kind == "integer" and (field.low, field.high) == (1, 5):
            assert rule is not None, field.name
            assert (rule.type, rule.formula1, rule.formula2) == ("whole", "1", "5")
        elif field.kind in ("text", "date", "datetime"):
            assert rule is None, field.name


@pytest.mark.parametrize("table", TABLES.values(), ids=lambda t: t.cli_name)
def test_a_table_sheet_reads_as_an_empty_table(table):
    frame = pd.read_excel(SHIPPED / WORKBOOK_NAME, sheet_name=table.cli_name)
    assert list(frame.columns) == list(table.field_names) and frame.empty


def test_dictionary_sheet_lists_every_field(book):
    rows = list(book[DICTIONARY_SHEET].iter_rows(values_only=True))
    assert list(rows[0]) == list(DICTIONARY_COLUMNS)
    listed = [(r[0], r[1]) for r in rows[1:]]
    assert listed == [(t.cli_name, f.name) for t in TABLES.values() for f in t.fields]
    by_field = {(r[0], r[1]): r for r in rows[1:]}
    for table in TABLES.values():
        for field in table.fields:
            row = by_field[table.cli_name, field.name]
            assert row[2] == ("yes" if field.required else "no")
            assert field.expected() in row[4]
            assert row[5] == field.description


def test_markdown_dictionary_has_a_section_per_table():
    text = (SHIPPED / DICTIONARY_NAME).read_text(encoding="utf-8")
    sections = text.split("\n## ")[1:]
    assert [s.splitlines()[0] for s in sections] == [t.cli_name for t in TABLES.values()]
    for section, table in zip(sections, TABLES.values(), strict=True):
        assert f"One row is {table.one_row_is}." in section
        for field in table.fields:
            assert f"| `{field.name}` |" in section, (table.name, field.name)


# (d) the guides


GUIDE_TABLES = {
    **{f"{t.cli_name}.md": t.cli_name for t in TABLES.values()},
    "interview-guide.md": "stated-needs",
    "staff-assumptions-workshop.md": "assumed-needs",
}


@pytest.mark.parametrize("guide, table", GUIDE_TABLES.items())
def test_guide_exists_and_gives_its_import_command(guide, table):
    path = GUIDES / guide
    assert path.is_file(), f"templates/guides/{guide} is missing"
    text = path.read_text(encoding="utf-8")
    assert f"service-toolkit import ENGAGEMENT FILE --table {table}" in text
    assert len(text.splitlines()) < 120, "a guide is one page"


def test_guides_word_the_scales_as_agreed():
    responses = (GUIDES / "responses.md").read_text(encoding="utf-8")
    for words in (
        "Very dissatisfied",
        "Very satisfied",
        "0 Not at all likely",
        "10 Extremely likely",
        "made it easy for me to handle my issue",
        "Strongly disagree",
        "Strongly agree",
    ):
        assert words in responses, words
    customers = (GUIDES / "customers.md").read_text(encoding="utf-8")
    assert "no one else can serve them" in customers and "many others can" in customers
    interview = (GUIDES / "interview-guide.md").read_text(encoding="utf-8")
    assert "Would you use another food pantry?" in interview and "one need per row" in interview
    workshop = (GUIDES / "staff-assumptions-workshop.md").read_text(encoding="utf-8")
    assert "| staff | customer group | need in your words | importance 1–5 |" in workshop


def test_readme_indexes_every_file():
    readme = (SHIPPED / "README.md").read_text(encoding="utf-8")
    for name in [
        *GENERATED,
        "starter-codebook-neighbourhood.csv",
        "starter-codebook-university.csv",
    ]:
        assert f"`{name}`" in readme, name
    for guide in GUIDE_TABLES:
        assert f"`guides/{guide}`" in readme, guide
