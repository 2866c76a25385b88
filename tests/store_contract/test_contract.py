"""What every store backend must do: the contract behind :class:`toolkit.store.Store`.

Backend-neutral: these tests use only the store's public methods, through the
``store`` fixture (one run per backend, see conftest.py).
"""

from __future__ import annotations

import multiprocessing

import pandas as pd
import pytest

from toolkit.errors import DataValidationError
from toolkit.schema.tables import TABLES
from toolkit.store import Store, apply_subset

EVENTS = [["starts_on", "label"], ["2024-01-01", "a"], ["2024-01-02", "b"]]


def test_the_backend_offers_every_method_of_the_interface(store):
    assert isinstance(store, Store)


# ----------------------------------------------------------------------------- importing


def test_an_import_lands_whole_or_not_at_all(store, write_csv):
    rows = [["starts_on", "label"]] + [[f"2024-01-{d:02d}", f"e{d}"] for d in range(1, 20)]
    rows.append(["2024-02-10", "ends too early", "2024-02-01"])
    rows[0].append("ends_on")
    before = store.status()
    with pytest.raises(DataValidationError, match="Nothing was imported"):
        store.import_file(write_csv("events.csv", rows), table="events")
    assert store.status() == before
    assert len(store.table("events")) == 0


def test_a_key_taken_in_the_store_refuses_the_whole_file(store, customers_csv, write_csv):
    store.import_file(customers_csv, table="customers")
    before = store.status()
    rows = [["customer_id", "name", "kind"], ["new", "New", "external"]]
    rows.append(["residents", "Residents again", "external"])
    with pytest.raises(DataValidationError, match="already in the store"):
        store.import_file(write_csv("more.csv", rows), table="customers")
    assert store.status() == before


def test_the_same_file_twice_adds_nothing(store, customers_csv):
    first = store.import_file(customers_csv, table="customers")
    again = store.import_file(customers_csv, table="customers")
    assert again.already_imported == first.import_id and again.rows_added == 0
    assert len(store.table("customers")) == 3
    frame = pd.DataFrame({"starts_on": ["2024-05-01"], "label": ["open day"]})
    assert store.import_frame(frame, table="events").rows_added == 1
    assert store.import_frame(frame, table="events").rows_added == 0
    assert len(store.table("events")) == 1


def test_remove_takes_one_import_out(store, write_csv):
    a = store.import_file(
        write_csv("a.csv", [["starts_on", "label"], ["2024-01-01", "a"]]), table="events"
    )
    store.import_file(
        write_csv("b.csv", [["starts_on", "label"], ["2024-01-02", "b"]]), table="events"
    )
    done = store.remove_import(a.import_id)
    assert done["rows_removed"] == 1
    assert list(store.table("events")["label"]) == ["b"]
    statuses = dict(zip(store.imports()["import_id"], store.imports()["status"], strict=True))
    assert statuses[a.import_id] == "removed"
    with pytest.raises(DataValidationError, match="already removed"):
        store.remove_import(a.import_id)
    with pytest.raises(DataValidationError, match="no import #999"):
        store.remove_import(999)
    # A removed file can be imported again.
    again = store.import_file(
        write_csv("a.csv", [["starts_on", "label"], ["2024-01-01", "a"]]), table="events"
    )
    assert again.rows_added == 1


def test_export_then_import_gives_back_the_same_table(store, new_store, customers_csv, tmp_path):
    store.import_file(customers_csv, table="customers")
    out = tmp_path / "customers.csv"
    assert store.export("customers", out) == 3
    fresh = new_store("fresh")
    fresh.import_file(out, table="customers")
    pd.testing.assert_frame_equal(fresh.table("customers"), store.table("customers"))


# ----------------------------------------------------------------------------- reading


def test_read_tables_reads_every_table_in_one_snapshot(store, customers_csv):
    store.import_file(customers_csv, table="customers")
    tables = store.read_tables()
    assert set(tables) == set(TABLES)
    assert len(tables["customers"]) == 3
    assert tables["customers"]["mission_alignment"].dtype == "Int64"


def test_fingerprint_changes_when_data_changes(store, customers_csv):
    before = store.fingerprint()
    store.import_file(customers_csv, table="customers")
    assert store.fingerprint() != before
    assert store.fingerprint(["codebook"]) == store.fingerprint(["codebook"])


@pytest.mark.parametrize(
    "subset", [{"segment": "Residents"}, {"campus": ["North"], "kind": "external"}, {}]
)
def test_reading_a_subset_keeps_what_filtering_everything_keeps(store, customers_csv, subset):
    store.import_file(customers_csv, table="customers")
    tables = ["customers", "events", "codebook"]
    narrowed, fingerprint = store.snapshot(tables, subset=subset)
    full, full_fingerprint = store.snapshot(tables)
    assert fingerprint == full_fingerprint
    expected = apply_subset(full, subset)
    for name in tables:
        pd.testing.assert_frame_equal(
            narrowed[name].reset_index(drop=True), expected[name].reset_index(drop=True)
        )


def test_a_subset_must_be_a_mapping(store):
    with pytest.raises(DataValidationError, match="subset must be a mapping"):
        store.read_tables(["customers"], subset=["Residents"])


def test_distinct_values_lists_each_value_once(store, customers_csv):
    store.import_file(customers_csv, table="customers")
    assert sorted(store.distinct_values("customers", "campus")) == ["North", "South"]
    assert store.distinct_values("events", "label") == []


def test_the_statements_no_person_coded_are_read_narrowed(store):
    """The coding queue's reads: the words no person coded, then only the statements
    with the words asked for, in entry order, with the columns the queue shows."""
    said = pd.DataFrame(
        {
            "need": ["milk", "Qwxz", "milk", "it's late", "Qwxz"],
            "segment": ["Residents", "Owners", None, "Residents", "Residents"],
            "method": ["survey", "interview", "survey", None, "survey"],
            "collected_on": ["2024-03-02", None, "2024-03-01", "2024-01-09", "2024-02-01"],
            "importance": [5, 4, 3, 2, 1],
        }
    )
    store.import_frame(said, table="stated_needs")
    store.import_frame(pd.DataFrame({"need": ["vans"], "staff": ["Ana"]}), table="assumed_needs")
    entries = store.coding_tables()["stated_needs"].set_index("need")["entry"]
    store.set_codes({("stated_needs", int(entries["it's late"])): "opening_hours"})
    words = store.automatic_needs()
    assert sorted(words["stated_needs"]) == ["Qwxz", "milk"] and words["assumed_needs"] == ["vans"]
    for asked in (["Qwxz", "it's late"], None):
        read = store.automatic_statements({"stated_needs": asked, "assumed_needs": []})
        rows = read["stated_needs"]
        assert list(rows.columns) == ["entry", "need", "segment", "method", "collected_on"]
        kept = ["Qwxz", "Qwxz"] if asked else ["milk", "Qwxz", "milk", "Qwxz"]
        assert rows["need"].tolist() == kept and rows["entry"].is_monotonic_increasing
        assert read["assumed_needs"].empty
    assert rows["collected_on"].tolist()[:2] == [pd.Timestamp("2024-03-02"), pd.NaT]
    assert rows["method"].tolist()[:2] == ["survey", "interview"]
    staff = store.automatic_statements({"assumed_needs": None})["assumed_needs"]
    assert staff["need"].tolist() == ["vans"] and staff["method"].isna().all()
    with pytest.raises(DataValidationError, match="holds no statements to code"):
        store.automatic_statements({"customers": None})


# ----------------------------------------------------------------------------- entries


def test_a_correction_is_refused_when_the_entry_changed_since_it_was_loaded(store):
    entry = store.save_entry("events", {"starts_on": "2024-06-01", "label": "Fair"})
    version = store.entry_version("events", entry)
    # Someone else corrects it first ...
    store.save_entry(
        "events", {"starts_on": "2024-06-01", "label": "Summer fair"}, entry=entry, version=version
    )
    # ... so a correction based on the old version is refused, and nothing changes.
    with pytest.raises(DataValidationError, match="changed or deleted in another window"):
        store.save_entry(
            "events", {"starts_on": "2024-06-02", "label": "Fair"}, entry=entry, version=version
        )
    assert list(store.table("events")["label"]) == ["Summer fair"]
    store.delete_entry("events", entry)
    with pytest.raises(DataValidationError, match="no longer exists"):
        store.delete_entry("events", entry)


def test_an_invalid_entry_is_not_saved(store):
    with pytest.raises(DataValidationError, match="not saved"):
        store.save_entry("events", {"starts_on": "2024-06-02", "ends_on": "2024-06-01"})
    assert len(store.table("events")) == 0


# ----------------------------------------------------------------------------- concurrency


def _import_in_process(args):
    from tests.store_contract.conftest import BACKENDS

    backend, folder, path = args
    return BACKENDS[backend][1](folder).import_file(path, table="events").rows_added


def test_writers_in_several_processes_wait_for_each_other(store, backend, write_csv):
    paths = [
        write_csv(
            f"events-{i}.csv",
            [["starts_on", "label"]] + [[f"2024-02-{d:02d}", f"p{i} e{d}"] for d in range(1, 29)],
        )
        for i in range(4)
    ]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        added = pool.map(_import_in_process, [(backend, store.path, p) for p in paths])
    assert added == [28] * 4
    assert len(store.table("events")) == 4 * 28
    assert len(store.imports()) == 1 + 4  # the starter codebook and four files


def _import_table_in_process(args):
    from tests.store_contract.conftest import BACKENDS

    backend, folder, path, table = args
    result = BACKENDS[backend][1](folder).import_file(path, table=table)
    return result.rows_added, result.already_imported


@pytest.mark.slow
@pytest.mark.parametrize(
    ("table", "header", "row"),
    [
        ("stated-needs", ["respondent_id", "need"], lambda i: [f"r{i}", f"need {i % 50}"]),
        (
            "responses",
            ["response_id", "submitted_on", "metric", "score"],
            lambda i: [f"x{i}", "2024-03-01", "csat", str(1 + i % 5)],
        ),
    ],
)
def test_one_file_imported_by_four_processes_at_once_lands_once(
    store, backend, write_csv, table, header, row
):
    """Issue 15 (5): the same-file check runs again under the write lock."""
    path = write_csv("same.csv", [header] + [row(i) for i in range(20_000)])
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        outcomes = pool.map(_import_table_in_process, [(backend, store.path, path, table)] * 4)
    winners = [added for added, earlier in outcomes if earlier is None]
    assert winners == [20_000]
    first = store.imports()["import_id"].max()
    # The others say what a re-import says: imported before as #first, nothing added.
    assert sorted(outcomes) == sorted([(20_000, None)] + [(0, first)] * 3)
    assert len(store.table(table)) == 20_000
    assert (store.imports()["table_name"] == table).sum() == 1


def _attribute_names(store, table="events"):
    return set(store.table(table).columns) - set(TABLES[table].field_names)


def test_removing_an_import_removes_the_columns_only_it_used(store, write_csv):
    """Issue 15 (6): columns leave with the last import that used them."""
    a = store.import_file(
        write_csv("a.csv", [["starts_on", "label", "x", "y"], ["2024-01-01", "a", "1", "2"]]),
        table="events",
    )
    b = store.import_file(
        write_csv("b.csv", [["starts_on", "label", "y", "z"], ["2024-01-02", "b", "3", "four"]]),
        table="events",
    )
    assert _attribute_names(store) == {"x", "y", "z"}
    done = store.remove_import(a.import_id)
    assert done["columns_removed"] == ["x"]
    assert _attribute_names(store) == {"y", "z"}
    assert set(store.attribute_columns("events")["column"]) == {"y", "z"}
    events = store.read_tables(["events"])["events"]
    assert events[["label", "y", "z"]].values.tolist() == [["b", 3, "four"]]
    done = store.remove_import(b.import_id)
    assert sorted(done["columns_removed"]) == ["y", "z"]
    assert _attribute_names(store) == set()
    assert store.attribute_columns("events").empty
    # Nothing of the columns is left behind: the same names come back as new columns.
    again = store.import_file(
        write_csv("c.csv", [["starts_on", "label", "X"], ["2024-01-03", "c", "text"]]),
        table="events",
    )
    assert again.attributes == ["X"]
    assert list(store.table("events")["X"]) == ["text"]


def test_a_file_too_wide_for_the_store_is_refused_before_anything_lands(store, write_csv):
    """Issue 15 (6): the column limit, counting the columns the table has, refuses first."""
    store.import_file(
        write_csv("some.csv", [["starts_on", "label", "a0", "a1"], ["2024-01-01", "a", "1", "2"]]),
        table="events",
    )
    header = ["starts_on", "label"] + [f"w{i}" for i in range(2_100)]
    wide = write_csv("wide.csv", [header, ["2024-01-02", "b"] + ["v"] * 2_100])
    before, fingerprint = store.status(), store.fingerprint()
    with pytest.raises(DataValidationError) as refused:
        store.import_file(wide, table="events")
    message = str(refused.value)
    assert "wide.csv: would add 2,100 columns to events" in message
    assert "at most" in message and "Nothing was imported" in message
    assert "split it" in message
    assert store.status() == before and store.fingerprint() == fingerprint
    assert _attribute_names(store) == {"a0", "a1"}


STRANGE = ['camp"us', "select", "a]b", "x y", "ünï"]


def test_attribute_names_sql_would_misread_work_everywhere(store, write_csv, tmp_path):
    """Issue 15 (7): every column name is quoted wherever it meets SQL."""
    rows = [["starts_on", "label", *STRANGE]]
    rows += [["2024-01-01", "a", "North", "1", "p", "q r", "é"]]
    rows += [["2024-01-02", "b", "South", "2", "p", "s", "è"]]
    first = store.import_file(write_csv("odd.csv", rows), table="events")
    assert first.attributes == STRANGE
    events = store.table("events")
    assert list(events['camp"us']) == ["North", "South"]
    assert list(events["select"]) == [1, 2]
    assert sorted(store.distinct_values("events", 'camp"us')) == ["North", "South"]
    assert sorted(store.distinct_values("events", "ünï")) == ["è", "é"]
    narrowed = store.read_tables(["events"], subset={'camp"us': "North", "x y": "q r"})
    assert list(narrowed["events"]["label"]) == ["a"]
    narrowed = store.read_tables(["events"], rows={"events": {"a]b": ["p"]}})
    assert len(narrowed["events"]) == 2
    out = tmp_path / "odd-export.csv"
    assert store.export("events", out) == 2
    assert pd.read_csv(out).columns.tolist()[-5:] == STRANGE
    # The next import of the same columns lands in them; removing both takes them away.
    second = store.import_file(
        write_csv("odd2.csv", [rows[0], ["2024-01-03", "c", "East", "3", "", "", ""]]),
        table="events",
    )
    store.remove_import(first.import_id)
    assert list(store.table("events")['camp"us']) == ["East"]
    store.remove_import(second.import_id)
    assert _attribute_names(store) == set()


def test_replacing_an_import_removes_the_columns_only_the_old_file_had(store, write_csv):
    store.import_file(
        write_csv("a.csv", [["starts_on", "label", "x", "y"], ["2024-01-01", "a", "1", "2"]]),
        table="events",
    )
    newer = write_csv("a.csv", [["starts_on", "label", "y"], ["2024-01-01", "a", "5"]])
    store.import_file(newer, table="events", replace=True)
    assert _attribute_names(store) == {"y"}
    assert store.table("events")["y"].tolist() == [5]


# ----------------------------------------------------------------------------- segments


def test_segment_aliases_apply_to_every_read_and_can_be_undone(store, write_csv):
    rows = [["respondent_id", "segment", "need"]]
    rows += [
        [f"r{i}", label, "milk"] for i, label in enumerate(["Residents", "Residnets", "Staff"])
    ]
    result = store.import_file(write_csv("needs.csv", rows), table="stated_needs")
    assert result.unmapped_segments["Residnets"][0][0] == "Residents"  # Residents is unmapped too
    before = store.fingerprint()
    store.alias_segment("Residnets", "Residents")
    assert store.fingerprint() != before
    assert store.table("stated_needs")["segment"].tolist() == ["Residents", "Residents", "Staff"]
    assert store.table("stated_needs", labels=True)["segment"].tolist()[1] == "Residnets"
    assert store.segments() == ["Residents", "Staff"]
    narrowed = store.read_tables(["stated_needs"], subset={"segment": "Residents"})
    assert len(narrowed["stated_needs"]) == 2
    assert sorted(store.distinct_values("stated_needs", "segment")) == ["Residents", "Staff"]
    store.rename_segment("Residents", "Neighbours")
    assert set(store.table("stated_needs")["segment"]) == {"Neighbours", "Staff"}
    store.merge_segments(["Staff"], "Neighbours")
    assert set(store.table("stated_needs")["segment"]) == {"Neighbours"}
    summary = store.segment_summary().set_index("label")
    assert summary.loc["Residnets", "mapped"] == "alias"
    assert summary.loc["Residnets", "stated-needs"] == 1
    for label in ("Staff", "Residents", "Residnets"):
        store.remove_segment_alias(label)
    assert store.table("stated_needs")["segment"].tolist() == ["Residents", "Residnets", "Staff"]
    assert store.crosswalk().aliases == {}
    with pytest.raises(DataValidationError, match="not a segment or label"):
        store.alias_segment("Nobody", "Residents")
    with pytest.raises(DataValidationError, match="has no alias"):
        store.remove_segment_alias("Residents")


def test_a_page_of_entries_is_read_in_the_store(store):
    """entries and entry_page narrow the read itself (a view shadowing the table)."""
    for day in range(1, 8):
        store.save_entry("events", {"starts_on": f"2024-06-{day:02d}", "label": f"e{day}"})
    newest = store.entries("events", limit=3)
    assert newest["label"].tolist() == ["e7", "e6", "e5"]
    page, total = store.entry_page("events", limit=2, offset=2)
    assert total == 7 and page["label"].tolist() == ["e5", "e4"]
    page, total = store.entry_page("events", source="form", entry=int(newest["entry"][0]))
    assert total == 1 and page["label"].tolist() == ["e7"]
    narrowed = store.read_tables(["events"], rows={"events": {"label": ["e2"]}})["events"]
    assert narrowed["label"].tolist() == ["e2"]
