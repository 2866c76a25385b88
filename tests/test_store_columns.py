"""The SQLite store's own side of issue 15: wide files, removable columns, private files.

The promises every backend keeps are in tests/store_contract/; these check how SQLite
keeps them (schema edits, DROP COLUMN, a migrated store, file permissions).
"""

from __future__ import annotations

import os
import sqlite3
import stat

import pandas as pd
import pytest

from tests._old_store import as_version_1
from toolkit import store as store_module
from toolkit.errors import DataValidationError
from toolkit.schema.tables import TABLES
from toolkit.store import Engagement


def _wide_csv(write_csv, name, count, prefix="attr "):
    header = ["starts_on", "label"] + [f"{prefix}{i}" for i in range(count)]
    rows = [[f"2024-01-{d:02d}", f"e{d}"] + [f"{d}.{i}" for i in range(count)] for d in (1, 2, 3)]
    return write_csv(name, [header, *rows])


def _columns(eng, table="events"):
    with sqlite3.connect(eng.store_path) as con:
        return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]


@pytest.mark.parametrize("schema_edit", [True, False])
def test_a_1500_column_file_adds_its_columns_in_one_step(
    engagement, write_csv, monkeypatch, schema_edit
):
    monkeypatch.setattr(store_module, "_SCHEMA_EDIT", schema_edit)
    result = engagement.import_file(_wide_csv(write_csv, "wide.csv", 1_500), table="events")
    assert result.rows_added == 3 and len(result.attributes) == 1_500
    # Schema 4 added the link to the action an event was made from after the fields,
    # schema 5 who saved an entry and when.
    fields = [*TABLES["events"].field_names, "_tk_action", "saved_by", "saved_at"]
    assert _columns(engagement) == ["_tk_row", "_tk_import", *fields, *result.attributes]
    with sqlite3.connect(engagement.store_path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    events = Engagement.open(engagement.path).table("events")  # another connection reads it
    assert events["attr 1499"].tolist() == [1.1499, 2.1499, 3.1499]
    assert events["attr 0"].tolist() == [1.0, 2.0, 3.0]
    # Rows stored before the columns came read them as blank; later ones fill them.
    later = engagement.import_frame(
        pd.DataFrame({"starts_on": ["2024-02-01"], "label": ["later"], "attr 7": ["x"]}),
        table="events",
    )
    assert later.rows_added == 1
    assert engagement.table("events")["attr 7"].tolist()[-1] == "x"


def test_the_schema_edit_keeps_table_constraints_working(engagement, write_csv):
    """events has a table-level CHECK after its columns: it still holds after the edit."""
    engagement.import_file(_wide_csv(write_csv, "wide.csv", 50), table="events")
    with pytest.raises(DataValidationError, match="Nothing was imported"):
        engagement.import_frame(
            pd.DataFrame({"starts_on": ["2024-03-02"], "ends_on": ["2024-03-01"], "label": ["x"]}),
            table="events",
        )
    with sqlite3.connect(engagement.store_path) as con, pytest.raises(sqlite3.IntegrityError):
        con.execute(
            'INSERT INTO events (starts_on, ends_on, label, "attr 49") '
            "VALUES ('2024-03-02', '2024-03-01', 'x', 'y')"
        )


def test_the_column_limit_is_checked_again_under_the_write_lock(engagement, write_csv, monkeypatch):
    """Columns another import added meanwhile count: land refuses before writing."""
    monkeypatch.setattr(Engagement, "check_columns", lambda self, *a, **k: None)
    with sqlite3.connect(engagement.store_path) as con:
        limit = con.getlimit(sqlite3.SQLITE_LIMIT_COLUMN)
    room = limit - len(_columns(engagement))
    fits = engagement.import_file(_wide_csv(write_csv, "fits.csv", room), table="events")
    assert len(_columns(engagement)) == limit  # exactly at the limit is allowed
    before, fingerprint = engagement.status(), engagement.fingerprint()
    with pytest.raises(DataValidationError, match=f"which has {limit:,} already"):
        engagement.import_file(_wide_csv(write_csv, "one-more.csv", 1, "more "), table="events")
    assert engagement.status() == before and engagement.fingerprint() == fingerprint
    # Removing the wide import gives the room back.
    assert len(engagement.remove_import(fits.import_id)["columns_removed"]) == room
    assert len(_columns(engagement)) == limit - room
    engagement.import_file(_wide_csv(write_csv, "one-more.csv", 1, "more "), table="events")


def test_removal_drops_an_index_on_the_column_and_keeps_one_a_view_holds(engagement, write_csv):
    a = engagement.import_file(
        write_csv("a.csv", [["starts_on", "label", "x", "y"], ["2024-01-01", "a", "1", "2"]]),
        table="events",
    )
    with sqlite3.connect(engagement.store_path) as con:
        con.execute('CREATE INDEX mine ON events("x")')
        con.execute("CREATE VIEW theirs AS SELECT y FROM events")
    done = engagement.remove_import(a.import_id)
    assert done["columns_removed"] == ["x"]
    assert "x" not in _columns(engagement) and "y" in _columns(engagement)
    assert list(engagement.attribute_columns("events")["column"]) == ["y"]
    with sqlite3.connect(engagement.store_path) as con:
        assert con.execute("SELECT 1 FROM sqlite_schema WHERE name = 'mine'").fetchone() is None


def test_a_store_from_before_column_records_learns_which_imports_use_each(engagement, write_csv):
    a = engagement.import_file(
        write_csv("a.csv", [["starts_on", "label", "x", "y"], ["2024-01-01", "a", "1", ""]]),
        table="events",
    )
    b = engagement.import_file(
        write_csv("b.csv", [["starts_on", "label", "y"], ["2024-01-02", "b", "3"]]),
        table="events",
    )
    as_version_1(engagement.store_path)
    migrated = Engagement.open(engagement.path)
    assert list(engagement.path.glob("data.sqlite.v1-*.bak"))
    assert migrated.remove_import(a.import_id)["columns_removed"] == ["x"]
    assert migrated.remove_import(b.import_id)["columns_removed"] == ["y"]


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_store_files_are_readable_by_their_owner_only(tmp_path, write_csv):
    """Issue 15 (7): data.sqlite, its WAL and shared memory, and backups are 0600."""
    old = os.umask(0o022)  # the usual umask, which would make them world-readable
    try:
        eng = Engagement.init(tmp_path / "eng", name="Private")
        assert _mode(eng.store_path) == 0o600
        with eng.writing():  # while a writer is in, the WAL and shared memory exist
            side = [eng.path / "data.sqlite-wal", eng.path / "data.sqlite-shm"]
            assert all(p.exists() for p in side)
            assert [_mode(p) for p in side] == [0o600, 0o600]
        as_version_1(eng.store_path)
        Engagement.open(eng.path)  # migrates, backing up first
        (backup,) = eng.path.glob("data.sqlite.v1-*.bak")
        assert _mode(backup) == 0o600
        assert _mode(eng.store_path) == 0o600
    finally:
        os.umask(old)


def test_an_existing_store_keeps_its_mode(engagement):
    os.chmod(engagement.store_path, 0o640)  # a team chose group access on purpose
    Engagement.open(engagement.path).status()
    assert _mode(engagement.store_path) == 0o640


def test_a_rollback_journal_is_private_too(tmp_path, monkeypatch):
    monkeypatch.setenv(store_module.JOURNAL_ENV, "delete")
    old = os.umask(0o022)
    try:
        eng = Engagement.init(tmp_path / "eng", name="Journal")
        with eng.writing() as con:
            con.execute("INSERT INTO segments (name, position) VALUES ('s', 1)")
            journal = eng.path / "data.sqlite-journal"
            assert journal.exists() and _mode(journal) == 0o600
    finally:
        os.umask(old)


def test_the_command_line_says_which_columns_left_and_refuses_a_wide_file(
    engagement, write_csv, run
):
    a = engagement.import_file(
        write_csv("a.csv", [["starts_on", "label", "x"], ["2024-01-01", "a", "1"]]),
        table="events",
    )
    removed = run("imports", engagement.path, "--remove", a.import_id)
    assert removed.exit_code == 0
    assert "Columns no other import uses, removed: x." in removed.output
    wide = _wide_csv(write_csv, "too-wide.csv", 2_100)
    refused = run("import", engagement.path, wide, "--table", "events")
    assert refused.exit_code == 1
    assert "too-wide.csv: would add 2,100 columns to events" in refused.stderr


def test_a_file_too_wide_is_refused_before_its_cells_are_checked(
    engagement, write_csv, monkeypatch
):
    import toolkit.schema.checks as checks

    def never(*args, **kwargs):
        raise AssertionError("the cells were checked first")

    monkeypatch.setattr(checks, "to_canonical", never)
    with pytest.raises(DataValidationError, match="would add 2,100 columns"):
        engagement.import_file(_wide_csv(write_csv, "too-wide.csv", 2_100), table="events")
