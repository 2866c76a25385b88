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
