"""The segment crosswalk (issue #16, item 1): one group per real customer group.

Rows keep the labels they were imported with; every table reads the segment each label
is mapped to, so a merge applies to past imports and ``--remove-alias`` undoes it.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pandas as pd
import pytest
from click.testing import CliRunner

from tests._old_store import as_version_2
from toolkit.catalog import run_analysis
from toolkit.cli import main
from toolkit.customers import coverage
from toolkit.errors import DataValidationError
from toolkit.schema.segments import Crosswalk
from toolkit.store import Engagement

GROUPS = ["Residents", "Businesses", "Students", "Staff"]
#: How the four real groups arrived: a survey's own answers, a typo, the register's names.
SPLINTERS = {
    "I live in Maple Hollow": "Residents",
    "A resident of Maple Hollow": "Residents",
    "Residnets": "Residents",
    "Busineses": "Businesses",
    "Student": "Students",
}


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.fixture
def eng(tmp_path) -> Engagement:
    """An engagement whose register names the four real groups."""
    engagement = Engagement.init(tmp_path / "maple", name="Maple Hollow")
    register = pd.DataFrame(
        {
            "customer_id": ["res", "biz", "stu", "staff", "council"],
            "name": ["Residents", "Local businesses", "Students", "Staff", "Town council"],
            "kind": ["external", "external", "external", "internal", "external"],
            "segment": [*GROUPS, "Council"],
        }
    )
    engagement.import_frame(register, table="customers", source="register.csv")
    return engagement


def _needs_rows(labels: list[str], codes: list[str], *, start: int = 0) -> list[list]:
    rows = [["respondent_id", "segment", "method", "need", "code", "collected_on"]]
    for i, label in enumerate(labels):
        for j, code in enumerate(codes):
            month = "03" if i % 2 else "07"
            method = "interview" if i % 3 == 0 else "survey"
            rows.append([f"r{start + i}", label, method, f"need {j}", code, f"2024-{month}-01"])
    return rows


def _splintered(eng, tmp_path):
    """Stated needs, responses and staff beliefs under splintered labels."""
    codes = eng.codebook["code"].head(2).tolist()
    labels = [g for g in GROUPS for _ in range(6)] + [s for s in SPLINTERS for _ in range(6)]
    needs = _write(tmp_path / "survey.csv", _needs_rows(labels, codes))
    imported = _cli("import", eng.path, needs, "--table", "stated-needs")
    assert imported.exit_code == 0, imported.output
    responses = [["respondent_id", "segment", "submitted_on", "metric", "score"]]
    for i, label in enumerate(labels):
        responses.append([f"r{i}", label, f"2024-0{1 + i % 6}-15", "csat", 1 + i % 5])
    _write(tmp_path / "scores.csv", responses)
    assert _cli("import", eng.path, tmp_path / "scores.csv", "--table", "responses").exit_code == 0
    staff = [["staff", "segment", "need", "code"]]
    staff += [["lead", g, "belief", codes[0]] for g in ["Residents", "I live in Maple Hollow"]]
    _write(tmp_path / "staff.csv", staff)
    assert (
        _cli("import", eng.path, tmp_path / "staff.csv", "--table", "assumed-needs").exit_code == 0
    )
    return imported


def _by_segment_tables(eng) -> dict[str, pd.DataFrame]:
    return {
        "needs-gap": run_analysis(eng, "needs-gap", by="segment"),
        "common-ground": run_analysis(eng, "common-ground"),
        "satisfaction-trend": run_analysis(eng, "satisfaction-trend", by="segment"),
        "coverage": run_analysis(eng, "coverage"),
    }


def _segments_in(name: str, frame: pd.DataFrame) -> set[str]:
    columns = ["segment_a", "segment_b"] if name == "common-ground" else ["segment"]
    return {s for c in columns for s in frame[c].dropna() if not str(s).startswith("(")}


# ----------------------------------------------------------------------------- the case


def test_splintered_labels_end_as_one_group_each_after_one_alias_per_label(eng, tmp_path):
    imported = _splintered(eng, tmp_path)
    out = imported.output
    # At import, each label the crosswalk lacks is listed with its look-alike, the score
    # and the command that maps it.
    assert '"Residnets" looks like "Residents" (score 89)' in out
    assert f"service-toolkit segments {eng.path} --alias Residnets=Residents" in out
    assert '"Busineses" looks like "Businesses"' in out
    # Labels in use count as look-alikes too, canonical segments first at equal score.
    assert '"A resident of Maple Hollow" looks like "Residents" (score 80); or "I live' in out
    # Until a person maps them, they are groups of their own.
    assert set(SPLINTERS) <= set(eng.segments())
    before = _by_segment_tables(eng)
    assert set(SPLINTERS) & _segments_in("needs-gap", before["needs-gap"])

    for label, group in SPLINTERS.items():  # one alias per label, no more
        done = _cli("segments", eng.path, "--alias", f"{label}={group}")
        assert done.exit_code == 0, done.output
        assert f'"{label}" now counts as "{group}"' in done.output

    real = set(GROUPS) | {"Council"}
    assert set(eng.segments()) == real
    assert set(eng.stated_needs["segment"]) == set(GROUPS)
    assert set(eng.responses["segment"]) == set(GROUPS)
    tables = _by_segment_tables(eng)
    for name, frame in tables.items():
        assert _segments_in(name, frame) <= real, name
    # Every by-segment table counts the same people in each group.
    stated = eng.stated_needs
    respondents = stated.groupby("segment")["respondent_id"].nunique()
    heard = tables["coverage"][tables["coverage"]["heard"]]
    assert heard.groupby("segment")["statements"].sum().to_dict() == (
        stated["segment"].value_counts().to_dict()
    )
    gap = tables["needs-gap"]
    gap_n = gap.groupby("segment")["customer_total"].max().to_dict()
    assert gap_n == respondents.to_dict()
    trend = tables["satisfaction-trend"]
    per_group = trend.groupby("segment")["n"].sum().to_dict()
    assert per_group == eng.responses["segment"].value_counts().to_dict()
    # Raw labels stay as imported.
    assert set(SPLINTERS) <= set(eng.table("stated_needs", labels=True)["segment"])


def test_merge_then_remove_alias_undoes_it(eng, tmp_path):
    _splintered(eng, tmp_path)
    before = run_analysis(eng, "needs-gap", by="segment")
    merged = _cli(
        "segments",
        eng.path,
        "--merge",
        "I live in Maple Hollow",
        "A resident of Maple Hollow",
        "--into",
        "Residents",
    )
    assert merged.exit_code == 0, merged.output
    assert 'Merged "I live in Maple Hollow", "A resident of Maple Hollow" into "Residents"' in (
        merged.output
    )
    assert "I live in Maple Hollow" not in set(eng.stated_needs["segment"])
    for label in ("I live in Maple Hollow", "A resident of Maple Hollow"):
        undone = _cli("segments", eng.path, "--remove-alias", label)
        assert undone.exit_code == 0, undone.output
        assert "a group of its own again" in undone.output
    after = run_analysis(eng, "needs-gap", by="segment")
    pd.testing.assert_frame_equal(before, after)


def test_rename_follows_every_alias_and_is_undone_by_removing_it(eng, tmp_path):
    _splintered(eng, tmp_path)
    assert _cli("segments", eng.path, "--alias", "Residnets=Residents").exit_code == 0
    renamed = _cli("segments", eng.path, "--rename", "Residents=Neighbours")
    assert renamed.exit_code == 0, renamed.output
    segments = set(eng.stated_needs["segment"])
    assert "Neighbours" in segments and not {"Residents", "Residnets"} & segments
    assert eng.segments()[0] == "Neighbours"  # the register's group, renamed, keeps its place
    assert _cli("segments", eng.path, "--remove-alias", "Residents").exit_code == 0
    assert {"Residents"} <= set(eng.stated_needs["segment"])
    assert "Residnets" not in set(eng.stated_needs["segment"])  # its own alias stays


def test_the_listing_shows_groups_aliases_counts_and_suggestions(eng, tmp_path):
    _splintered(eng, tmp_path)
    assert _cli("segments", eng.path, "--alias", "Residnets=Residents").exit_code == 0
    listing = _cli("segments", eng.path)
    assert listing.exit_code == 0, listing.output
    text = listing.output
    assert "Residents: customers 1, assumed-needs 1, stated-needs 24, responses 12" in text
    assert "← Residnets: stated-needs 12, responses 6 (alias" in text
    assert "Labels not mapped to a segment" in text
    assert '"Busineses" looks like "Businesses"' in text
    data = json.loads(_cli("segments", eng.path, "--json").output)
    rows = {r["label"]: r for r in data["segments"]}
    assert rows["Residnets"]["mapped"] == "alias" and rows["Residnets"]["segment"] == "Residents"
    assert rows["Busineses"]["mapped"] == "unmapped"
    assert rows["Residents"]["mapped"] == "segment"


# ----------------------------------------------------------------------------- the command's errors


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--alias", "Nobody=Residents"], '"Nobody" is not a segment or label'),
        (["--alias", "Residents=Nowhere"], '"Nowhere" is not a segment or label'),
        (["--alias", "Residents"], "write it as LABEL=SEGMENT"),
        (["--merge", "Residnets"], "--merge and --into go together"),
        (["Residnets", "--into", "Residents"], "only works with --merge"),
        (["--remove-alias", "Residents"], '"Residents" has no alias'),
        (["--rename", "Residents=Businesses"], '--merge "Residents" --into "Businesses"'),
        (["--rename", "Ghosts=Spirits"], '"Ghosts" is not a segment or label'),
    ],
)
def test_segments_command_refuses_with_a_clear_message(eng, tmp_path, args, words):
    _splintered(eng, tmp_path)
    result = _cli("segments", eng.path, *args)
    assert result.exit_code == 1, result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_an_alias_that_would_go_round_in_a_circle_is_refused(eng, tmp_path):
    _splintered(eng, tmp_path)
    eng.alias_segment("Residnets", "Residents")
    with pytest.raises(DataValidationError, match="Remove that alias first"):
        eng.alias_segment("Residents", "Residnets")
    eng.remove_segment_alias("Residnets")
    eng.alias_segment("Residents", "Residnets")  # the other way round is a choice too
    assert "Residnets" in set(eng.stated_needs["segment"])


# ----------------------------------------------------------------------------- every way in


def test_forms_saves_map_through_the_crosswalk_and_no_stale_label_remains(eng, tmp_path):
    _splintered(eng, tmp_path)
    eng.alias_segment("Residnets", "Residents")
    record = {"segment": "Residnets", "need": "a bus stop", "method": "interview"}
    entry = eng.save_entry("stated_needs", record)
    saved = eng.table("stated_needs", row_ids=True).set_index("entry").loc[entry]
    assert saved["segment"] == "Residents"
    # A new typo typed in a form is its own group, until corrected...
    typo = eng.save_entry("stated_needs", {**record, "segment": "Resdients"})
    assert "Resdients" in eng.status()["segments"]
    assert eng.entries("stated_needs", only_forms=True)["segment"].tolist()[0] == "Resdients"
    version = eng.entry_version("stated_needs", typo)
    eng.save_entry("stated_needs", {**record, "segment": "Residents"}, entry=typo, version=version)
    assert "Resdients" not in eng.status()["segments"]
    # ...and gone from status and segments once the entry is deleted too.
    other = eng.save_entry("stated_needs", {**record, "segment": "Resdients"})
    eng.delete_entry("stated_needs", other)
    assert "Resdients" not in eng.status()["segments"]
    assert "Resdients" not in set(eng.segment_summary()["label"])


def test_a_row_skipped_as_invalid_adds_no_segment(eng, tmp_path):
    rows = [["respondent_id", "segment", "method", "need"]]
    rows += [["a", "Residents", "survey", "milk"], ["b", "Ghosts", "by carrier pigeon", "milk"]]
    result = _cli(
        "import",
        eng.path,
        _write(tmp_path / "bad.csv", rows),
        "--table",
        "stated-needs",
        "--skip-invalid",
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rows_added"] == 1 and data["rows_skipped"] == 1
    assert "Ghosts" not in data["new_segments"] and "Ghosts" not in data["unmapped_segments"]
    assert "Ghosts" not in eng.segments()
    assert "Ghosts" not in eng.status()["segments"]


def test_reads_narrowed_to_a_segment_keep_its_aliased_rows(eng, tmp_path):
    _splintered(eng, tmp_path)
    eng.merge_segments(list(SPLINTERS)[:3], "Residents")
    kept = eng.read_tables(["stated_needs"], subset={"segment": "Residents"})["stated_needs"]
    assert len(kept) == 4 * 6 * 2 and set(kept["segment"]) == {"Residents"}


def test_a_merge_changes_the_fingerprint_and_export_keeps_the_labels(eng, tmp_path):
    _splintered(eng, tmp_path)
    before = eng.fingerprint()
    eng.alias_segment("Residnets", "Residents")
    assert eng.fingerprint() != before  # a report made before the merge is out of date
    out = tmp_path / "needs.csv"
    eng.export("stated-needs", out)
    assert "Residnets" in set(pd.read_csv(out)["segment"])


def test_import_lists_an_unmapped_label_once_mapped_no_more(eng, tmp_path):
    rows = _needs_rows(["Residnets"] * 5, ["food_pantry"])
    first = eng.import_file(_write(tmp_path / "a.csv", rows), table="stated_needs")
    assert first.unmapped_segments == {"Residnets": [["Residents", 89]]}
    eng.alias_segment("Residnets", "Residents")
    second = eng.import_file(
        _write(tmp_path / "b.csv", _needs_rows(["residnets"] * 5, ["food_pantry"], start=50)),
        table="stated_needs",
    )
    assert second.unmapped_segments == {} and second.new_segments == []
    assert set(eng.table("stated_needs", labels=True)["segment"]) == {"Residnets"}


def test_small_group_warnings_count_the_mapped_group(eng, tmp_path):
    eng.import_file(
        _write(tmp_path / "a.csv", _needs_rows(["Residnets"] * 3, ["food_pantry"])),
        table="stated_needs",
    )
    eng.alias_segment("Residnets", "Residents")
    more = _needs_rows(["Residents"] * 2 + ["Residnets"] * 2, ["food_pantry"], start=10)
    result = eng.import_file(_write(tmp_path / "b.csv", more), table="stated_needs")
    assert any('"Residents" has only 4 respondents' in w for w in result.warnings)
    assert not any("Residnets" in w for w in result.warnings)


# ----------------------------------------------------------------------------- coverage


def test_coverage_segment_by_method_by_period_and_who_was_never_heard(eng, tmp_path):
    _splintered(eng, tmp_path)
    for label, group in SPLINTERS.items():
        eng.alias_segment(label, group)
    table = run_analysis(eng, "coverage")
    unheard = table[~table["heard"]]
    assert unheard["customer_id"].tolist() == ["council"]
    assert 'no stated needs recorded yet for segment "Council"' in unheard["reason"].iloc[0]
    heard = table[table["heard"]].set_index(["segment", "method", "period"])
    stated = eng.stated_needs
    residents = stated[(stated["segment"] == "Residents") & (stated["method"] == "interview")]
    q1 = residents[residents["collected_on"].dt.quarter == 1]
    row = heard.loc[("Residents", "interview", "2024-Q1")]
    assert row["statements"] == len(q1)
    assert row["respondents"] == q1["respondent_id"].nunique()
    # The earlier name still works, and gives the same table.
    pd.testing.assert_frame_equal(run_analysis(eng, "overlooked-customers"), table)
    by_month = run_analysis(eng, "coverage", params={"period": "month"})
    assert set(by_month["period"].dropna()) == {"2024-03", "2024-07"}


def test_coverage_counts_statements_without_a_respondent_or_date():
    register = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "name": ["A", "B"],
            "kind": ["external", "internal"],
            "segment": ["Tenants", None],
        }
    )
    stated = pd.DataFrame(
        {
            "segment": ["Tenants", "Tenants", None],
            "method": ["survey", None, "survey"],
            "respondent_id": [None, None, "x"],
            "collected_on": pd.to_datetime([None, None, None]),
        }
    )
    table = coverage(register, stated)
    assert table.loc[~table["heard"], "customer_id"].tolist() == ["b"]
    assert "no segment" in table.loc[~table["heard"], "reason"].iloc[0]
    heard = table[table["heard"]].set_index(["segment", "method"])
    assert heard.loc[("Tenants", "survey"), "respondents"] == 1  # no id: one each
    assert heard.loc[("Tenants", "(not recorded)"), "period"] == "(no date)"
    assert heard.loc[("(no segment)", "survey"), "statements"] == 1


def test_coverage_cli_and_its_earlier_name(eng, tmp_path):
    _splintered(eng, tmp_path)
    for name in ("coverage", "overlooked-customers"):
        result = _cli("table", eng.path, name)
        assert result.exit_code == 0, result.output
        frame = pd.read_csv(io.StringIO(result.stdout))
        assert {"segment", "method", "period", "respondents", "reason"} <= set(frame.columns)
        refused = _cli("table", eng.path, name, "--by", "segment")
        assert refused.exit_code == 1 and "--by" in refused.output


# ----------------------------------------------------------------------------- the crosswalk


def test_crosswalk_resolves_chains_and_suggests_by_score():
    walk = Crosswalk.build(
        [("Residnets", "Residents"), ("Residents", "Neighbours")], ["Residents", "Businesses"]
    )
    assert walk.resolve(" residnets ") == "Neighbours"
    assert walk.resolve("") is None and walk.resolve(None) is None
    assert walk.canonical() == ["Neighbours", "Businesses"]
    assert walk.knows("RESIDNETS") and not walk.knows("Tourists")
    assert walk.suggest("Busineses") == [("Businesses", 95)]
    assert walk.suggest("Zebra crossing") == []
    assert walk.suggest("Zebra crosing", also=["Zebra crossing"]) == [("Zebra crossing", 96)]
    assert sorted(walk.members("Neighbours")) == ["Residents", "Residnets"]


def test_a_schema_2_store_gains_the_alias_table_and_loses_stale_labels(eng):
    con = sqlite3.connect(eng.store_path)
    con.execute("INSERT INTO segments (name, position) VALUES ('Residnets', 99)")  # left behind
    con.commit()
    con.close()
    as_version_2(eng.store_path)
    again = Engagement.open(eng.path)
    assert again.crosswalk().aliases == {}
    assert "Residnets" not in again.segments()  # the migration took the stale label out
    again.alias_segment("Council", "Residents")
    assert "Council" not in again.segments()


def test_a_label_like_no_segment_can_be_kept_as_its_own_group(eng, tmp_path):
    rows = _needs_rows(["Zebra keepers"] * 5, ["food_pantry"])
    first = _cli("import", eng.path, _write(tmp_path / "a.csv", rows), "--table", "stated-needs")
    keep = f"service-toolkit segments {eng.path} --alias 'Zebra keepers=Zebra keepers'"
    assert '"Zebra keepers" looks like no segment: map it with' in first.output
    assert f"or keep it as a group of its own with {keep}" in first.output
    assert _cli("segments", eng.path, "--alias", "Zebra keepers=Zebra keepers").exit_code == 0
    again = _needs_rows(["Zebra keepers"] * 5, ["food_pantry"], start=20)
    second = _cli("import", eng.path, _write(tmp_path / "b.csv", again), "--table", "stated-needs")
    assert second.exit_code == 0 and "looks like" not in second.output
    summary = eng.segment_summary().set_index("label")
    assert summary.loc["Zebra keepers", "mapped"] == "segment"


def test_removing_an_import_takes_its_labels_out_of_the_list(eng, tmp_path):
    rows = _needs_rows(["Ghost town"] * 5, ["food_pantry"])
    done = eng.import_file(_write(tmp_path / "a.csv", rows), table="stated_needs")
    assert "Ghost town" in eng.segments()
    eng.remove_import(done.import_id)
    assert "Ghost town" not in eng.segments()
    assert "Residents" in eng.segments()  # the register's segments stay


# ----------------------------------------------------------------------------- the forms


def test_the_forms_customer_groups_tab_maps_and_undoes(tmp_path):
    from toolkit.forms.app import forms_app

    engagement = Engagement.init(tmp_path / "riverside", name="riverside")
    engagement.import_frame(
        pd.DataFrame(
            {
                "customer_id": ["r"],
                "name": ["Residents"],
                "kind": ["external"],
                "segment": ["Residents"],
            }
        ),
        table="customers",
        source="register",
    )
    page = forms_app(engagement)
    form = page.forms["stated"]
    form.controls["need"].value = "a bus stop"
    form.controls["segment"].value = "Residnets"
    entry = form.submit()
    assert entry is not None
    tab = page.segments
    tab.refresh()
    text = " ".join(
        getattr(c, "value", "")
        for row in tab.rows.children
        for c in getattr(row, "children", [row])
    )
    assert "Residnets" in text and "looks like Residents (score 89)" in text
    dropdown = next(
        c
        for row in tab.rows.children
        for c in getattr(row, "children", [])
        if hasattr(c, "options")
    )
    assert dropdown.value == "Residents"  # the look-alike is chosen already
    tab.map("Residnets", dropdown.value)
    assert "now counts as Residents" in tab.status.value
    assert engagement.table("stated_needs")["segment"].tolist() == ["Residents"]
    assert "Residnets" not in engagement.segments()
    tab.undo("Residnets")
    assert engagement.table("stated_needs")["segment"].tolist() == ["Residnets"]
    tab.map("Residnets", "Nowhere")
    assert 'role="alert"' in tab.status.value and "Nowhere" in tab.status.value
    # The case: a typo corrected in the form does not linger in status.
    form.load(entry)
    form.controls["segment"].value = "Residents"
    assert form.submit() == entry
    assert "Residnets" not in engagement.status()["segments"]
    assert "Residnets" not in page.forms["stated"].page.segments()
