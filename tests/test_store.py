"""The engagement folder and its store: creation, settings, schema, transactions, journal."""

from __future__ import annotations

import sqlite3
import tomllib

import pandas as pd
import pytest

from toolkit import store as store_module
from toolkit.errors import DataValidationError, StoreError
from toolkit.schema.tables import TABLES
from toolkit.settings import DEFAULTS
from toolkit.store import SCHEMA_VERSION, Engagement


def test_init_creates_the_folder_with_every_default_setting(engagement):
    folder = engagement.path
    assert {p.name for p in folder.iterdir()} >= {
        "engagement.toml",
        "data.sqlite",
        "maps",
        "reports",
    }
    written = tomllib.loads((folder / "engagement.toml").read_text())
    assert written["name"] == "Riverside"
    for key, value in DEFAULTS["settings"].items():
        assert key in written["settings"], key
        if not isinstance(value, dict):
            assert written["settings"][key] == value
    assert set(written["settings"]["weights"]) == {
        "mission_alignment",
        "clout",
        "resource_control",
        "history",
        "alternatives",
        "mandate",
    }
    assert len(engagement.codebook) >= 20, "a new engagement starts from the starter codebook"


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("keep me")
    with pytest.raises(StoreError, match="not empty"):
        Engagement.init(tmp_path / "busy")
    assert (tmp_path / "busy" / "notes.txt").read_text() == "keep me"


def test_init_that_fails_half_way_leaves_nothing_behind(tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Engagement, "import_frame", explode)
    with pytest.raises(RuntimeError):
        Engagement.init(tmp_path / "new")
    assert list(tmp_path.iterdir()) == []


def test_open_explains_what_is_missing(tmp_path):
    with pytest.raises(StoreError, match="service-toolkit init"):
        Engagement.open(tmp_path / "nowhere")
    (tmp_path / "plain").mkdir()
    with pytest.raises(StoreError, match="no engagement.toml"):
        Engagement.open(tmp_path / "plain")


def test_bad_settings_name_the_key_and_the_fix(engagement):
    toml = engagement.path / "engagement.toml"
    toml.write_text(toml.read_text().replace("confidence = 0.95", "confidence = 95"))
    with pytest.raises(StoreError, match=r"settings.confidence = 95 .* between 0 and 1"):
        Engagement.open(engagement.path)
    toml.write_text("name = [unclosed")
    with pytest.raises(StoreError, match="not valid TOML"):
        Engagement.open(engagement.path)


def test_store_has_wal_foreign_keys_and_schema_version(engagement):
    con = sqlite3.connect(engagement.store_path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(TABLES) | {"imports", "attributes", "segments"} <= tables
    con.close()


def test_a_newer_store_is_refused_with_a_clear_message(engagement):
    con = sqlite3.connect(engagement.store_path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(StoreError, match="newer version of the toolkit"):
        Engagement.open(engagement.path)


def test_a_migration_backs_the_store_up_first(engagement, monkeypatch):
    migrations = [*store_module.MIGRATIONS, ["ALTER TABLE events ADD COLUMN colour TEXT"]]
    monkeypatch.setattr(store_module, "MIGRATIONS", migrations)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", len(migrations))
    Engagement.open(engagement.path)
    before = len(migrations) - 1
    backups = list(engagement.path.glob(f"data.sqlite.v{before}-*.bak"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("PRAGMA user_version").fetchone()[0] == before
    assert old.execute("SELECT count(*) FROM codebook").fetchone()[0] == len(engagement.codebook)
    new = sqlite3.connect(engagement.store_path)
    assert new.execute("PRAGMA user_version").fetchone()[0] == len(migrations)
    assert "colour" in {r[1] for r in new.execute("PRAGMA table_info(events)")}


def test_journal_falls_back_to_rollback_on_a_synced_folder(tmp_path):
    with pytest.warns(UserWarning, match="rollback journal"):
        eng = Engagement.init(tmp_path / "Dropbox" / "riverside")
    assert eng.status()["journal_mode"] == "delete"
    con = sqlite3.connect(eng.store_path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_journal_can_be_chosen_by_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(store_module.JOURNAL_ENV, "delete")
    eng = Engagement.init(tmp_path / "eng")
    assert eng.status()["journal_mode"] == "delete"


def test_network_file_system_is_detected(tmp_path, monkeypatch):
    mounts = f"server:/export {tmp_path} nfs4 rw 0 0\n"
    real_read = store_module.Path.read_text

    def fake_read(self, *args, **kwargs):
        if str(self) == "/proc/mounts":
            return mounts
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(store_module.Path, "read_text", fake_read)
    assert "nfs4" in store_module._looks_networked(tmp_path / "eng")


def test_a_write_that_fails_half_way_lands_nothing(engagement, write_csv, monkeypatch):
    path = write_csv(
        "events.csv",
        [["starts_on", "label"]] + [[f"2024-01-{d:02d}", f"event {d}"] for d in range(1, 21)],
    )
    calls = {"n": 0}
    real = store_module._bound_rows

    def failing(frame):
        calls["n"] += 1
        if calls["n"] == 2:
            raise sqlite3.OperationalError("disk I/O error")
        return real(frame)

    monkeypatch.setattr(store_module, "_INSERT_CHUNK", 5)
    monkeypatch.setattr(store_module, "_bound_rows", failing)
    before = engagement.status()
    with pytest.raises(sqlite3.OperationalError):
        engagement.import_file(path, table="events")
    assert engagement.status() == before
    assert len(engagement.events) == 0


# Importing, re-importing, removal, export, subsets, entries and writers in several
# processes: tests/store_contract/ (run for every backend).


def test_dates_come_back_as_datetimes(engagement, write_csv):
    path = write_csv(
        "responses.csv",
        [
            ["submitted_on", "metric", "score"],
            ["2024-03-07", "csat", "4"],
            ["2024-03-08 14:30", "nps", "9"],
        ],
    )
    engagement.import_file(path, table="responses")
    responses = engagement.responses
    assert pd.api.types.is_datetime64_any_dtype(responses["submitted_on"])
    assert responses["submitted_on"].iloc[1] == pd.Timestamp("2024-03-08 14:30")
    assert list(responses["scale_max"]) == [5, 10], "blank scales take the metric's default"


def test_unknown_table_is_named(engagement):
    with pytest.raises(DataValidationError, match="There is no table"):
        engagement.table("nonsense")


def test_a_bulk_load_into_an_empty_table_keeps_its_indexes(engagement, write_csv, monkeypatch):
    # A large load into an empty table builds the table's indexes once, after the rows:
    # they are there afterwards, and queries use them.
    monkeypatch.setattr(store_module, "_BULK_INDEX_ROWS", 3)
    header = ["response_id", "source_id", "submitted_on", "metric", "score"]
    rows = [[f"r{i}", f"s{i}", "2024-01-02", "csat", "4"] for i in range(6)]
    engagement.import_file(write_csv("first.csv", [header, *rows]), table="responses")
    with sqlite3.connect(engagement.store_path) as con:
        indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        plan = " ".join(
            str(r)
            for r in con.execute("EXPLAIN QUERY PLAN SELECT * FROM responses WHERE source_id='s1'")
        )
    assert "responses_by_source" in indexes
    assert "responses_by_source" in plan

    again = engagement.import_file(write_csv("again.csv", [header, *rows]), table="responses")
    assert again.rows_added == 0  # the same source ids add nothing, indexes rebuilt or not


def test_a_kept_connection_is_reused_and_sees_what_others_write(tmp_path):
    """The forms keep one connection (keep_connection): each transaction still sees what
    another window saved since, and a connection left with a shadowing view is not kept."""
    eng = Engagement.init(tmp_path / "kept", name="kept")
    eng.keep_connection()
    with eng.reading() as first:
        pass
    with eng.reading() as second:
        pass
    assert first is second
    Engagement.open(tmp_path / "kept").save_entry(
        "events", {"starts_on": "2024-06-01", "label": "Fair"}
    )
    assert len(eng.table("events")) == 1
    with eng.reading() as con:
        con.execute("CREATE TEMP VIEW events AS SELECT * FROM main.events WHERE 0")
    with eng.reading() as again:
        assert again is not con
    assert len(eng.table("events")) == 1


def test_close_lets_the_kept_connection_go_and_the_next_transaction_opens_one(tmp_path):
    """A page's engagement lets its kept connection go on close() (or when collected),
    so the folder is free to be deleted or rebuilt; the engagement still works after."""
    import threading

    eng = Engagement.init(tmp_path / "kept", name="kept")
    eng.keep_connection()
    with eng.reading() as kept:
        pass
    eng.close()
    with pytest.raises(sqlite3.ProgrammingError):
        kept.execute("SELECT 1")  # closed
    eng.save_entry("events", {"starts_on": "2024-06-01", "label": "Fair"})
    assert len(eng.table("events")) == 1
    eng.close()
    eng.close()  # twice: nothing kept, nothing to do

    # Another thread's connection is not kept in place of this one's, nor left open.
    with eng.reading() as mine:
        pass
    theirs = []

    def other_thread():
        with eng.reading() as con:
            pass
        try:
            con.execute("SELECT 1")
        except sqlite3.ProgrammingError as err:
            theirs.append(str(err))

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    with eng.reading() as again:
        assert again is mine
    assert theirs == ["Cannot operate on a closed database."]  # one is kept already
    eng.close()


def test_a_kept_connection_follows_a_store_rebuilt_in_the_folder(tmp_path):
    """`service-toolkit demo PATH` again (or a backup put back) swaps in a new store file:
    the forms' kept connection must not go on writing to the deleted one."""
    from toolkit._files import swap_in

    eng = Engagement.init(tmp_path / "demo", name="demo")
    eng.keep_connection()
    eng.save_entry("events", {"starts_on": "2024-01-02", "label": "before"})
    staged = tmp_path / ".demo.rebuild"
    Engagement.init(staged, name="demo")
    swap_in(staged, tmp_path / "demo")
    eng.save_entry("events", {"starts_on": "2024-01-03", "label": "after the rebuild"})
    fresh = Engagement.open(tmp_path / "demo")
    assert fresh.table("events")["label"].tolist() == ["after the rebuild"]


def test_a_connection_given_an_imports_cache_is_not_kept(tmp_path, write_csv):
    eng = Engagement.init(tmp_path / "kept", name="kept")
    eng.keep_connection()
    csv = write_csv("events.csv", [["starts_on", "label"], ["2024-01-02", "Fair"]])
    eng.import_file(csv, table="events")
    with eng.reading() as con:
        assert con.execute("PRAGMA cache_size").fetchone()[0] > -100_000  # not 256 MB
