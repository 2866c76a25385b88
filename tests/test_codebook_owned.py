"""A codebook you own (issue 16, item 2): your codebook replaces the untouched starter,
--keep-starter keeps both, a person's codes are kept and listed, removing your codebook
brings the starter back, two starters, the built-in *not a need* code, keywords by language
and accents."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from toolkit import catalog
from toolkit.cli import main
from toolkit.coding import code_needs
from toolkit.needs import needs_gap
from toolkit.store import Engagement, load_starter_codebook

MINE = [
    ["code", "label", "theme", "keywords", "keywords_es"],
    ["HOURS", "Opening hours", "Access", "evening; weekend; hours; open later", "horario; tarde"],
    ["HOTSPOT", "Hotspot lending", "Digital", "hotspot lending; hotspot; lend a hotspot", ""],
    ["MILK", "Milk and fresh food", "Food", "milk; fresh food", "leche; comida fresca"],
    ["RIDES", "Rides", "Transport", "bus; ride", "autobús"],
    ["JOBS", "Jobs", "Work", "job; work", "trabajo"],
    ["HELP", "Someone to talk to", "Health", "talk to; counsellor", ""],
]
NEEDS = [
    ["source_id", "respondent_id", "segment", "method", "need"],
    *[[f"s{i}", f"r{i}", "Residents", "survey", need] for i, need in enumerate([
        "Evening hours on weekdays",
        "Hotspot lending for students",
        "Hotspot lending at the library",
        "Leche para los niños",
        "N/A",
        "Nothing, thank you",
        "Horário de la tarde",
    ])],
]  # fmt: skip


def _run(*args: str):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


def _stated_codes(eng: Engagement) -> dict[str, str]:
    _, stated = catalog.coded_needs(
        eng.read_tables(["codebook", "assumed_needs", "stated_needs"]), warn=False
    )
    return dict(zip(stated["need"], stated["code"], strict=True))


@pytest.fixture
def mine(write_csv):
    return write_csv("my-codebook.csv", MINE)


def test_your_codebook_replaces_the_untouched_starter_and_codes_again(tmp_path, mine, write_csv):
    path = tmp_path / "eng"
    assert _run("init", path).exit_code == 0
    assert Engagement.open(path).untouched_starter() is not None
    done = _run("import", path, mine, "--table", "codebook")
    assert done.exit_code == 0, done.output
    assert "Your codebook replaces the neighbourhood starter codebook (44 codes)" in done.stderr
    assert "--keep-starter" in done.stderr
    eng = Engagement.open(path)
    assert set(eng.codebook["code"]) == {*(r[0] for r in MINE[1:]), "not_a_need"}
    assert (
        _run("import", path, write_csv("needs.csv", NEEDS), "--table", "stated-needs").exit_code
        == 0
    )
    codes = _stated_codes(eng)
    assert codes["Evening hours on weekdays"] == "HOURS"  # not the starter's opening_hours
    assert (
        codes["Hotspot lending for students"]
        == codes["Hotspot lending at the library"]
        == "HOTSPOT"
    )
    assert codes["Leche para los niños"] == "MILK"  # Spanish keywords
    assert codes["Horário de la tarde"] == "HOURS"  # accents normalised
    assert codes["N/A"] == codes["Nothing, thank you"] == "not_a_need"


def test_keep_starter_keeps_both(tmp_path, mine):
    path = tmp_path / "eng"
    _run("init", path)
    wrong = _run("import", path, mine, "--table", "customers", "--keep-starter")
    assert wrong.exit_code == 2 and "--keep-starter goes with --table codebook" in wrong.output
    done = _run("import", path, mine, "--table", "codebook", "--keep-starter")
    assert done.exit_code == 0 and "replaces" not in done.stderr
    codes = set(Engagement.open(path).codebook["code"])
    assert {"HOURS", "HOTSPOT", "opening_hours", "internet_access", "not_a_need"} <= codes


def test_a_persons_codes_are_kept_and_listed_and_removing_brings_the_starter_back(
    tmp_path, mine, write_csv
):
    path = tmp_path / "eng"
    _run("init", path)
    needs = [
        ["source_id", "respondent_id", "segment", "method", "need", "code", "coded_by"],
        ["p1", "r1", "Residents", "survey", "Open on Saturdays", "opening_hours", "person"],
        ["p2", "r2", "Residents", "survey", "Saturday mornings", "opening_hours", "person"],
        ["a1", "r3", "Residents", "survey", "Wifi at home", "internet_access", "keyword"],
    ]
    assert _run("import", path, write_csv("n.csv", needs), "--table", "stated-needs").exit_code == 0
    done = _run("import", path, mine, "--table", "codebook", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["kept_codes"] == {"opening_hours": 2}
    assert (
        "opening_hours (2 statements)" in done.stderr and "add them to your codebook" in done.stderr
    )
    eng = Engagement.open(path)
    stored = eng.stated_needs.set_index("source_id")
    assert stored.loc["p1", "code"] == "opening_hours" and stored.loc["p1", "coded_by"] == "person"
    assert pd.isna(stored.loc["a1", "code"])  # an automatic code is cleared: coded again
    assert "internet_access" not in set(eng.codebook["code"])
    imports = eng.imports()
    mine_id = int(imports.loc[imports["file_name"] == "my-codebook.csv", "import_id"].iloc[0])
    removed = _run("imports", path, "--remove", mine_id)
    assert removed.exit_code == 0
    assert "The neighbourhood starter codebook is back" in removed.output
    eng = Engagement.open(path)
    assert set(eng.codebook["code"]) == set(load_starter_codebook("neighbourhood")["code"])
    assert eng.untouched_starter() is not None
    assert eng.codebook["keywords_es"].notna().all()  # the Spanish keywords are back too


@pytest.mark.parametrize(
    ("options", "has", "lacks"),
    [
        ([], {"opening_hours", "emergency_shelter", "not_a_need"}, {"advising"}),
        (["--starter", "neighbourhood"], {"emergency_shelter"}, {"advising", "payroll"}),
        (["--starter", "university"], {"advising", "payroll", "not_a_need"}, {"emergency_shelter"}),
    ],
)
def test_init_chooses_the_starter(tmp_path, options, has, lacks):
    assert _run("init", tmp_path / "eng", *options).exit_code == 0
    codes = set(Engagement.open(tmp_path / "eng").codebook["code"])
    assert has <= codes and not (lacks & codes)


def test_init_with_no_starter_or_your_codebook(tmp_path, mine):
    assert _run("init", tmp_path / "none", "--starter", "none").exit_code == 0
    assert Engagement.open(tmp_path / "none").codebook.empty
    assert _run("init", tmp_path / "own", "--codebook", mine).exit_code == 0
    codes = set(Engagement.open(tmp_path / "own").codebook["code"])
    assert codes == {*(r[0] for r in MINE[1:]), "not_a_need"}  # not a need is added
    missing = _run("init", tmp_path / "bad", "--codebook", tmp_path / "nope.csv")
    assert missing.exit_code == 1 and "no such file" in missing.output + missing.stderr
    assert not (tmp_path / "bad").exists()


def test_not_a_need_counts_in_the_totals_and_under_no_need():
    book = load_starter_codebook("neighbourhood")
    stated = pd.DataFrame(
        {
            "respondent_id": ["a", "b", "c", "d"],
            "need": ["Milk for the kids", "N/A", "Nothing, thank you", "No milk for the kids"],
        }
    )
    assumed = pd.DataFrame({"staff": ["S"], "need": ["Milk"]})
    coded = code_needs(stated, book)
    assert coded["code"].tolist() == [
        "perishable_food",
        "not_a_need",
        "not_a_need",
        "perishable_food",
    ]
    gap = needs_gap(code_needs(assumed, book), coded, codebook=book, min_n=1)
    assert gap["code"].tolist() == ["perishable_food"]  # not a need is no need in the gap
    row = gap.iloc[0]
    assert row["customer_total"] == 4 and row["customer_n"] == 2 and row["customer_share"] == 0.5


def test_keywords_by_language_and_accents_normalised():
    book = pd.DataFrame(
        {
            "code": ["perishable_food", "opening_hours"],
            "label": ["Milk", "Hours"],
            "keywords": ["milk", "hours"],
            "keywords_es": ["léche", "horario"],
        }
    )
    said = pd.DataFrame(
        {"need": ["Necesitamos leche", "LÉCHE", "Horário de tarde", "más HORARIOS"]}
    )
    assert code_needs(said, book)["code"].tolist() == [
        "perishable_food",
        "perishable_food",
        "opening_hours",
        "opening_hours",
    ]


def test_only_an_untouched_starter_is_replaced(tmp_path, mine, write_csv):
    path = tmp_path / "eng"
    _run("init", path)
    extra = write_csv("extra.csv", [["code", "label", "keywords"], ["garden", "Garden", "garden"]])
    assert _run("import", path, extra, "--table", "codebook", "--keep-starter").exit_code == 0
    assert Engagement.open(path).untouched_starter() is None  # a code was added to it
    done = _run("import", path, mine, "--table", "codebook")
    assert done.exit_code == 0 and "replaces" not in done.stderr
    assert {"opening_hours", "garden", "HOURS"} <= set(Engagement.open(path).codebook["code"])


def test_removing_your_codebook_is_refused_while_statements_use_its_codes(
    tmp_path, mine, write_csv
):
    path = tmp_path / "eng"
    _run("init", path)
    _run("import", path, mine, "--table", "codebook")
    needs = [
        ["source_id", "segment", "method", "need", "code"],
        ["p1", "Residents", "survey", "Late opening", "HOURS"],
    ]
    assert _run("import", path, write_csv("n.csv", needs), "--table", "stated-needs").exit_code == 0
    eng = Engagement.open(path)
    imports = eng.imports()
    mine_id = int(imports.loc[imports["file_name"] == "my-codebook.csv", "import_id"].iloc[0])
    refused = _run("imports", path, "--remove", mine_id)
    assert refused.exit_code == 1 and "cannot be removed" in refused.stderr
    assert "HOURS" in set(Engagement.open(path).codebook["code"])  # nothing changed
    assert Engagement.open(path).untouched_starter() is None
