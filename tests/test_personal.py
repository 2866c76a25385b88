"""Personal data found by header and by content (issue 15, item 2).

Every header the issue lists is flagged and every false positive it names is not; values
that look like e-mails, phones, id numbers or dates of birth are flagged under neutral
headers; canonical fields never are; the import summary says what and why; a map sets a
flag either way; direct identifiers are refused for --each, subset and --by unless
--include-personal, a postcode is allowed for --by under min_n; a migrated store is
scanned; file names never carry a personal value.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tests._old_store import as_version_1
from toolkit.cli import main
from toolkit.errors import DataValidationError
from toolkit.reports.runner import _plan, report_named, run_reports
from toolkit.schema.personal import (
    DIRECT,
    QUASI,
    SAMPLE,
    column_flag,
    header_flag,
    sample_values,
    values_flag,
)
from toolkit.store import Engagement

# ----------------------------------------------------------------------------- headers

FLAGGED = [
    # The list: not flagged before it.
    ("Email:", DIRECT, "e-mail"),
    ("E-mail:", DIRECT, "e-mail"),
    ("Name:", DIRECT, "name"),
    ("Full Name:", DIRECT, "name"),
    ("What is your email?", DIRECT, "e-mail"),
    ("Emails", DIRECT, "e-mail"),
    ("Username", DIRECT, "username"),
    ("Contact", DIRECT, "contact details"),
    ("Student ID", DIRECT, "id number"),
    ("SSN", DIRECT, "social security number"),
    ("Birth date", DIRECT, "date of birth"),
    ("Postal code", QUASI, "postcode"),
    ("Cell", DIRECT, "phone number"),
    ("Tel", DIRECT, "phone number"),
    ("Passport number", DIRECT, "passport number"),
    # Flagged before, still flagged.
    ("Email Address", DIRECT, "e-mail"),
    ("IP Address", DIRECT, "IP address"),
    ("IPAddress", DIRECT, "IP address"),
    ("RecipientEmail", DIRECT, "recipient"),
    ("RecipientFirstName", DIRECT, "recipient"),
    ("LocationLatitude", DIRECT, "map coordinates"),
    ("First Name", DIRECT, "name"),
    ("Last Name", DIRECT, "name"),
    ("phone", DIRECT, "phone number"),
    ("Location", DIRECT, "location"),
    ("Address", DIRECT, "address"),
    ("postcode", QUASI, "postcode"),
    ("Date of birth", DIRECT, "date of birth"),
    # The vocabulary's normalising: openings, plurals, punctuation, camelCase.
    ("Please enter your mobile phone number", DIRECT, "phone number"),
    ("What's your phone number?", DIRECT, "phone number"),
    ("Your name (optional)", DIRECT, "name"),
    ("e_mail", DIRECT, "e-mail"),
    ("Names", DIRECT, "name"),
    ("Home addresses", DIRECT, "address"),
    ("DOB", DIRECT, "date of birth"),
    ("Zip code", QUASI, "postcode"),
    ("Year of birth", QUASI, "year of birth"),
    ("phonenumber", DIRECT, "phone number"),
    # "X name" when X is a person.
    ("Customer name", DIRECT, "name"),
    ("Parent name", DIRECT, "name"),
    ("Staff name", DIRECT, "name"),
    ("Respondent name", DIRECT, "name"),
    ("Given name", DIRECT, "name"),
    ("Family name", DIRECT, "name"),
    ("Contact name", DIRECT, "name"),
    ("Student name", DIRECT, "name"),
    ("Emergency contact", DIRECT, "contact details"),
]

NOT_FLAGGED = [
    "Campus name",
    "Program name",
    "Service name",
    "Event name",
    "Organisation name",
    "Team name",
    "campus",
    "Service location",
    "Website address",
    "Venue address",
    "Phone service",
    "Email consent",
    "Mobile app rating",
    "How satisfied were you with our phone service?",
    "Preferred contact method",
    "May we contact you?",
    "Course code",
    "Age group",
    "Language",
    "Q7",
    "Info",
    "Visit date",
    "Status",
]


@pytest.mark.parametrize(("header", "kind", "says"), FLAGGED)
def test_headers_that_name_personal_data_are_flagged_with_a_reason(header, kind, says):
    flag = header_flag(header)
    assert flag is not None, header
    assert flag.kind == kind and flag.by == "header"
    assert flag.reason.startswith("header says") and says in flag.reason


@pytest.mark.parametrize("header", NOT_FLAGGED)
def test_a_place_or_a_things_name_is_not_a_persons(header):
    assert header_flag(header) is None


# ----------------------------------------------------------------------------- values

PEOPLE = 12
CONTENT = [
    ("e-mail addresses", [f"person{i}@example.org" for i in range(PEOPLE)]),
    ("phone numbers", [f"+61 4{i:02d} 555 {i:03d}" for i in range(PEOPLE)]),
    ("phone numbers", [f"(02) 9{i:03d} 4321" for i in range(PEOPLE)]),
    ("US social security numbers", [f"{100 + i}-45-{6789 - i}" for i in range(PEOPLE)]),
    ("national insurance numbers", [f"AB 12 34 {i:02d} C" for i in range(PEOPLE)]),
    ("id numbers", [f"S2024{i:03d}" for i in range(PEOPLE)]),
    ("dates of birth", [f"{1950 + 3 * i}-0{1 + i % 9}-{10 + i}" for i in range(PEOPLE)]),
    ("dates of birth", [f"{10 + i}/0{1 + i % 9}/{1960 + 2 * i}" for i in range(PEOPLE)]),
    ("IP addresses", [f"10.0.{i}.{i + 1}" for i in range(PEOPLE)]),
    ("map coordinates", [f"-37.81{i:02d}, 144.96{i:02d}" for i in range(PEOPLE)]),
]


@pytest.mark.parametrize("header", ["Contact", "Info", "Q7", "Details"])
@pytest.mark.parametrize(("what", "values"), CONTENT)
def test_values_that_look_personal_are_flagged_under_neutral_headers(header, what, values):
    flag = values_flag(header, values)
    assert flag is not None and flag.kind == DIRECT and flag.by == "values"
    assert flag.reason.startswith("values look like") and what in flag.reason


def test_most_values_must_look_alike_and_blanks_do_not_count():
    emails = [f"p{i}@example.org" for i in range(9)]
    assert values_flag("Info", [*emails, "ask at the desk", "", ""]) is not None  # 9 of 10
    assert values_flag("Info", [*emails[:5], *(["no e-mail"] * 5)]) is None  # half


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("Visit date", [f"{1950 + 3 * i}-03-{10 + i}" for i in range(PEOPLE)]),  # an event
        ("Q7", [f"2024-0{1 + i % 9}-{10 + i}" for i in range(PEOPLE)]),  # recent: not births
        ("Q7", [str(1 + i % 5) for i in range(PEOPLE)]),  # ratings
        ("Income", [str(30_000 + 1_000 * i) for i in range(PEOPLE)]),  # amounts
        ("Year", [str(1950 + i) for i in range(PEOPLE)]),  # years
        ("Q7", [f"{12345678 + 1111 * i}" for i in range(PEOPLE)]),  # digits, no id header
        ("_id", [f"{12345678 + 1111 * i}" for i in range(PEOPLE)]),  # a tool's record number
        ("Score", [f"{i}.{i}1415" for i in range(PEOPLE)]),  # decimals
        ("Comments", ["Need more buses", "Open on Sundays", "call me"] * 4),
    ],
)
def test_values_that_only_resemble_personal_data_are_not_flagged(header, values):
    assert values_flag(header, values) is None


def test_long_digit_ids_count_under_an_id_header():
    ids = [f"{40_000_000 + 7919 * i}" for i in range(PEOPLE)]
    assert "id numbers" in values_flag("Membership no.", ids).reason


def test_a_million_rows_are_classified_from_a_bounded_sample():
    cells = np.array([""] * 600_000 + [f"p{i}@example.org" for i in range(400_000)], dtype=object)
    sample = sample_values(cells)
    assert len(sample) == SAMPLE  # spread over the filled cells, however many rows
    assert int(sample[0][1:].split("@")[0]) < 1_000 and sample[-1] == "p399999@example.org"
    assert column_flag("Info", cells).reason == "values look like e-mail addresses"
    # A column filled in a few places only is still found (the whole column is looked at).
    sparse = pd.Series([""] * 999_990 + [f"p{i}@example.org" for i in range(10)])
    assert sample_values(sparse) == [f"p{i}@example.org" for i in range(10)]
    assert column_flag("Info", sparse) is not None


# ----------------------------------------------------------------------------- imports


def _rows(n: int = 24, *, q7=None) -> list[list[str]]:
    header = [
        "need",
        "segment",
        "respondent_id",
        "collected_on",
        "Email:",
        "Info",
        "Q7",
        "Campus name",
        "Postal code",
        "Visit date",
    ]
    rows = [header]
    for i in range(n):
        rows.append(
            [
                "milk" if i % 2 else "rides",
                "Residents" if i % 3 else "Staff",
                f"R-{i}",
                f"2024-0{1 + i % 9}-1{i % 9}",
                f"person{i}@example.org",
                f"+44 7700 900{i:03d}",
                (q7 or "S2024{:03d}").format(i),
                ["North", "South"][i % 2],
                ["3000", "3001", "3002"][i % 3] if i < n - 2 else "3999",
                f"2023-0{1 + i % 9}-2{i % 9}",
            ]
        )
    return rows


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def people(engagement, write_csv):
    """An engagement whose stated needs carry e-mails, phones, student ids and postcodes."""
    engagement.import_file(write_csv("people.csv", _rows()), table="stated_needs")
    return engagement


def test_import_flags_by_header_and_by_values_and_says_why(engagement, write_csv):
    path = write_csv("people.csv", _rows())
    result = invoke("import", engagement.path, path, "--table", "stated-needs")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Email: (direct identifier: header says e-mail)" in out
    assert "Info (direct identifier: values look like phone numbers)" in out
    assert "Q7 (direct identifier: values look like id numbers" in out
    assert "Postal code (quasi-identifier, usable by table --by: header says postcode)" in out
    assert "Campus name (" not in out and "Visit date (" not in out
    attrs = engagement.attribute_columns("stated_needs").set_index("column")
    assert attrs.loc["Email:", "kind"] == DIRECT and attrs.loc["Postal code", "kind"] == QUASI
    assert attrs.loc["Info", "reason"] == "values look like phone numbers"
    assert not attrs.loc["Campus name", "personal"] and not attrs.loc["Visit date", "personal"]
    status = invoke("status", engagement.path).stdout
    assert "Info (direct identifier: values look like phone numbers)" in status
    exported = engagement.path / "out.csv"
    engagement.export("stated-needs", exported)
    text = exported.read_text()
    assert "example.org" not in text and "+44 7700" not in text and "S2024" not in text
    assert "3000" not in text and "North" in text  # a quasi-identifier stays out of exports


def test_canonical_fields_are_never_flagged(engagement, write_csv):
    rows = [["need", "segment", "respondent_id", "source_id", "collected_on"]]
    rows += [
        ["milk", "Residents", f"p{i}@example.org", f"{100 + i}-45-6789", f"19{60 + i}-03-1{i % 9}"]
        for i in range(PEOPLE)
    ]
    result = engagement.import_file(write_csv("ids.csv", rows), table="stated_needs")
    assert result.personal == [] and result.personal_flags == {}
    stored = engagement.stated_needs
    assert stored["respondent_id"].iloc[0] == "p0@example.org"


def test_a_survey_tools_own_personal_columns_keep_their_reason(engagement, write_csv):
    rows = [["Timestamp", "Email Address", "What do you need?", "Q9"]]
    rows += [
        [f"2024/03/0{1 + i % 9} 10:00:00", f"p{i}@example.org", "milk", f"0{i}2 555 0101"]
        for i in range(PEOPLE)
    ]
    path = write_csv("form.csv", rows)
    result = engagement.import_file(
        path, table="stated_needs", source="google-forms", columns={"need": "What do you need?"}
    )
    assert result.personal_flags["Email Address"]["reason"] == "header says e-mail"
    assert result.personal_flags["Q9"]["reason"] == "values look like phone numbers"


# ----------------------------------------------------------------------------- maps


def test_a_map_sets_columns_personal_either_way(engagement, write_csv, tmp_path):
    path = write_csv("people.csv", _rows())
    imap = tmp_path / "people.toml"
    imap.write_text('[personal]\nQ7 = false\n"Campus name" = true\n"Visit date" = "quasi"\n')
    result = engagement.import_file(path, table="stated_needs", map=imap)
    flags = result.personal_flags
    assert flags["Q7"] == {"kind": "", "reason": "the import map says so", "by": "map"}
    assert flags["Campus name"]["kind"] == DIRECT and flags["Visit date"]["kind"] == QUASI
    assert "Q7" not in result.personal and "Campus name" in result.personal
    public = engagement.stated_needs
    assert "Q7" in public and "Campus name" not in public and "Visit date" not in public
    again = write_csv("again.csv", _rows(30))
    summary = invoke("import", engagement.path, again, "--table", "stated-needs", "--dry-run")
    assert "Q7 (direct identifier" in summary.stdout  # without the map, its values flag it


def test_a_later_import_cannot_loosen_a_flag_but_a_map_can(engagement, write_csv, tmp_path):
    engagement.import_file(write_csv("a.csv", _rows()), table="stated_needs")
    later = _rows(q7="{:02d} apples")  # Q7 no longer looks like ids
    engagement.import_file(write_csv("b.csv", later), table="stated_needs")
    assert engagement.personal_columns(["stated_needs"])["Q7"].kind == DIRECT
    imap = tmp_path / "m.toml"
    imap.write_text("[personal]\nQ7 = false\n")
    engagement.import_file(
        write_csv("c.csv", _rows(q7="{:02d} pear")), table="stated_needs", map=imap
    )
    assert "Q7" not in engagement.personal_columns(["stated_needs"])
    assert "Q7" in engagement.stated_needs


def test_a_survey_map_sets_flags_and_saves_them(engagement, write_csv, tmp_path):
    path = write_csv("survey.csv", _rows())
    imap = tmp_path / "survey.toml"
    imap.write_text('table = "stated_needs"\n[columns]\nneed = "need"\n[personal]\nInfo = false\n')
    result = engagement.import_file(path, map=imap, save_map="wave")
    assert result.personal_flags["Info"]["kind"] == "" and "Info" in engagement.stated_needs
    assert result.personal_flags["Email:"]["kind"] == DIRECT
    saved = (engagement.path / "maps" / "wave.toml").read_text()
    assert "[personal]\nInfo = false" in saved


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[personal]\nQ7 = 1\n", '"Q7" is 1, not true, false or "quasi"'),
        ("[personal]\nWard = true\n", '"Ward" is not one of people.csv\'s attribute columns'),
        ("[personal]\nneed = true\n", '"need" is a field of stated-needs; fields are never'),
    ],
)
def test_a_map_naming_no_attribute_or_a_bad_value_is_refused(
    engagement, write_csv, tmp_path, text, message
):
    imap = tmp_path / "bad.toml"
    imap.write_text(text)
    with pytest.raises(DataValidationError, match=message.replace("(", r"\(")) as err:
        engagement.import_file(write_csv("people.csv", _rows()), table="stated_needs", map=imap)
    assert "Traceback" not in str(err.value)
    assert len(engagement.stated_needs) == 0


# ----------------------------------------------------------------------------- uses


@pytest.mark.parametrize("column", ["Email:", "Info", "Q7", "Postal code"])
def test_each_and_subset_refuse_personal_columns_before_any_kernel(people, column, no_kernels):
    with pytest.raises(DataValidationError, match=f'--each "{column}": the column'):
        run_reports(people.path, ["needs-gap"], each=column)
    subset = {"subset": {column: "x"}}
    with pytest.raises(DataValidationError, match=f'subset "{column}": the column') as err:
        run_reports(people.path, ["needs-gap"], parameters=subset)
    assert "--include-personal" in str(err.value)


def test_each_on_a_personal_column_names_files_by_number_not_by_value(people):
    reports = [report_named("needs-gap")]
    jobs, _ = _plan(people, reports, {}, "Email:", True, True)
    assert [j.stem for j in jobs[:3]] == [
        "needs-gap--email-1",
        "needs-gap--email-2",
        "needs-gap--email-3",
    ]
    assert len({j.stem for j in jobs}) == len(jobs) == 24
    assert not any("person" in j.stem or "example" in j.stem for j in jobs)
    jobs, _ = _plan(people, reports, {}, "Campus name", False, True)
    assert [j.stem for j in jobs] == ["needs-gap--north", "needs-gap--south"]


def test_table_by_refuses_a_direct_identifier_and_allows_a_postcode(people):
    result = invoke("table", people.path, "common-ground", "--by", "Email:")
    assert result.exit_code == 1
    assert '--by "Email:": the column identifies people (header says e-mail)' in result.stderr
    assert "--include-personal" in result.stderr and "Traceback" not in result.output
    asked = invoke("table", people.path, "common-ground", "--by", "Email:", "--include-personal")
    assert asked.exit_code == 0, asked.output
    assert "person1@example.org" in asked.stdout

    by_postcode = invoke("table", people.path, "common-ground", "--by", "Postal code")
    assert by_postcode.exit_code == 0, by_postcode.output
    table = pd.read_csv(pd.io.common.StringIO(by_postcode.stdout), dtype=str)
    assert {"3000", "3001", "3002"} <= set(table["segment_a"]) | set(table["segment_b"])
    # 3999 has two people, under min_n (5): its rows are suppressed, as any small group.
    small = table[(table["segment_a"] == "3999") | (table["segment_b"] == "3999")]
    assert len(small) and (small["suppressed"] == "true").all()
    assert small["share_a"].isna().all() or small["share_b"].isna().all()
    assert "@" not in by_postcode.stdout  # other personal columns stay out
    campus = invoke("table", people.path, "common-ground", "--by", "Campus name")
    assert campus.exit_code == 0, campus.output  # no longer hidden without a word


# ----------------------------------------------------------------------------- migration


def _as_version_1(engagement: Engagement, flags: dict[str, int]) -> None:
    """Make the store look as schema 1 left it: no reasons, personal 0/1 by the old rule."""
    con = sqlite3.connect(engagement.store_path)
    con.execute("UPDATE attributes SET personal = 0")
    for column, old in flags.items():
        con.execute("UPDATE attributes SET personal = ? WHERE column_name = ?", (old, column))
    con.commit()
    con.close()
    as_version_1(engagement.store_path)


def test_migrating_an_old_store_scans_its_columns_and_only_tightens(people):
    # Schema 1 flagged by header only: "Email:" and the phones in "Info" slipped through;
    # its name rule hid "Campus name". A column it flagged for another reason (a survey
    # tool's marking) stays personal.
    _as_version_1(people, {"Campus name": 1, "Postal code": 1, "Visit date": 1})
    migrated = Engagement.open(people.path)
    assert list(people.path.glob("data.sqlite.v1-*.bak"))
    flags = migrated.personal_columns(["stated_needs"])
    assert flags["Email:"].reason == "header says e-mail"
    assert flags["Info"].reason == "values look like phone numbers"
    assert flags["Q7"].kind == DIRECT and flags["Postal code"].kind == QUASI
    # The first version's "any header ending in name" rule is the one flag a migration
    # clears; everything else only gets stricter.
    assert "Campus name" not in flags and "Campus name" in migrated.stated_needs
    assert flags["Visit date"].kind == DIRECT and flags["Visit date"].by == "earlier version"
    assert "Info" not in migrated.stated_needs and "Visit date" not in migrated.stated_needs
