"""copy-store and the PostgreSQL store's settings (issue #22).

An engagement goes from SQLite to PostgreSQL and back with every row, entry number,
attribute column (a name longer than PostgreSQL keeps, too), alias and code; the row
counts and the data's fingerprint agree on both sides, and a copy that would not agree
leaves nothing behind. The PostgreSQL tests skip without a server (fail under CI=true).
"""

from __future__ import annotations

import os

import pandas as pd
import pytest

from tests._postgres import drop_schema, new_schema, postgres_url
from toolkit.errors import StoreError
from toolkit.schema.tables import TABLES
from toolkit.store import Engagement
from toolkit.store_copy import copy_store, data_fingerprint

LONG = "How satisfied were you with the time it took to answer your question at the desk?"


@pytest.fixture
def source(tmp_path, customers_csv, write_csv):
    eng = Engagement.init(tmp_path / "riverside", name="Riverside", organisation="Riverside")
    eng.import_file(customers_csv, table="customers")
    rows = [["respondent_id", "segment", "need", LONG, 'odd "name"']]
    rows += [
        [f"r{i}", ["Residents", "residnets", "Staff"][i % 3], "milk", str(i), "x"] for i in range(9)
    ]
    eng.import_file(write_csv("needs.csv", rows), table="stated_needs")
    eng.alias_segment("residnets", "Residents")
    eng.save_entry("events", {"starts_on": "2024-05-01", "label": "Open day"})
    eng.import_file(
        write_csv(
            "actions.csv",
            [
                ["action_id", "code", "action", "status", "starts_on", "event"],
                ["A1", "perishable_food", "Milk on Tuesdays", "under way", "2024-07-01", "Milk"],
            ],
        ),
        table="actions",
    )
    stated = eng.table("stated_needs", row_ids=True)
    eng.set_codes({("stated_needs", int(stated["entry"][0])): "perishable_food"}, coder="Sam")
    (eng.path / "maps" / "survey.toml").write_text("# a map\n")
    return eng


def _same(a: Engagement, b: Engagement) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(
            a.table(name, include_personal=True, row_ids=True, labels=True),
            b.table(name, include_personal=True, row_ids=True, labels=True),
            obj=name,
        )
    pd.testing.assert_frame_equal(a.imports(), b.imports())
    assert a.segments() == b.segments() and a.crosswalk().aliases == b.crosswalk().aliases
    assert a.coding_tables()["codings"].equals(b.coding_tables()["codings"])


def test_an_engagement_goes_to_postgresql_and_back_unchanged(source, tmp_path, request):
    url, schema = postgres_url(), new_schema()
    request.addfinalizer(lambda: drop_schema(url, schema))
    with source.reading() as con:
        before = data_fingerprint(source, con)
    done = copy_store(source.path, tmp_path / "team", store=url, schema=schema)
    team = Engagement.open(tmp_path / "team")
    assert type(team).__name__ == "PostgresEngagement"
    assert done["fingerprint"] == before[1] and done["tables"] == before[0]
    assert done["tables"]["stated_needs"] == 9 and done["tables"]["codings"] == 1
    _same(source, team)
    assert LONG in team.table("stated_needs").columns
    assert (tmp_path / "team" / "maps" / "survey.toml").read_text() == "# a map\n"
    assert "url" in (tmp_path / "team" / "engagement.toml").read_text()
    # New rows continue the numbers, and the triggers work on the copy.
    entry = team.save_entry("events", {"starts_on": "2024-06-01", "label": "Fair"})
    assert entry > source.table("events", row_ids=True)["entry"].max()
    back = copy_store(tmp_path / "team", tmp_path / "back")
    assert back["fingerprint"] == team_fingerprint(team)
    local = Engagement.open(tmp_path / "back")
    assert type(local) is Engagement and (tmp_path / "back" / "data.sqlite").exists()
    _same(team, local)
    with source.reading() as con:
        assert data_fingerprint(source, con) == before  # the source is unchanged


def team_fingerprint(eng: Engagement) -> str:
    with eng.reading() as con:
        return data_fingerprint(eng, con)[1]


def test_a_copy_that_does_not_match_leaves_nothing(source, tmp_path, monkeypatch, request):
    url, schema = postgres_url(), new_schema()
    request.addfinalizer(lambda: drop_schema(url, schema))
    import toolkit.store_copy as store_copy

    real = store_copy.data_fingerprint
    calls = []

    def off_by_one(engagement, con):
        counts, digest = real(engagement, con)
        calls.append(1)
        return (counts, digest if len(calls) == 1 else "0" * 16)

    monkeypatch.setattr(store_copy, "data_fingerprint", off_by_one)
    with pytest.raises(StoreError, match="does not match the source"):
        copy_store(source.path, tmp_path / "team", store=url, schema=schema)
    assert not (tmp_path / "team").exists()
    import psycopg

    with psycopg.connect(url) as con:
        left = con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    assert left is None  # the schema made for the copy was dropped again


def test_a_url_with_a_password_is_refused_before_anything_is_made(tmp_path, run):
    result = run(
        "init", tmp_path / "team", "--store", "postgresql://sam:hunter2@db.example/toolkit"
    )
    assert result.exit_code == 1
    assert "holds a password" in result.stderr and "PGPASSWORD" in result.stderr
    assert "hunter2" not in result.stderr
    assert not (tmp_path / "team").exists()
    result = run("init", tmp_path / "team", "--store", "postgresql://db.example/t?password=x")
    assert result.exit_code == 1 and "holds a password" in result.stderr


def _schema_objects(url: str, schema: str) -> tuple[bool, int]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        exists = con.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (schema,)
        ).fetchone()[0]
        functions = con.execute(
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s AND p.proname = 'keep_me'",
            (schema,),
        ).fetchone()[0]
    return bool(exists), functions


@pytest.mark.parametrize("folder_in_use", [True, False])
def test_a_failed_init_never_drops_a_schema_it_did_not_make(tmp_path, request, folder_in_use):
    import psycopg

    url, schema = postgres_url(), new_schema()
    request.addfinalizer(lambda: drop_schema(url, schema))
    with psycopg.connect(url, autocommit=True) as con:  # someone else's schema, no tables
        con.execute(f'CREATE SCHEMA "{schema}"')
        con.execute(
            f'CREATE FUNCTION "{schema}".keep_me() RETURNS int LANGUAGE sql AS $$SELECT 1$$'
        )
    folder = tmp_path / "team"
    if folder_in_use:
        folder.mkdir()
        (folder / "notes.txt").write_text("not empty")
    with pytest.raises(StoreError, match="already exists"):
        Engagement.init(folder, store=url, schema=schema)
    assert _schema_objects(url, schema) == (True, 1)
    assert folder.exists() == folder_in_use


def test_a_failed_init_drops_the_schema_it_made(tmp_path, request, monkeypatch):
    url, schema = postgres_url(), new_schema()
    request.addfinalizer(lambda: drop_schema(url, schema))

    def broken(engagement):
        assert _schema_objects(url, schema)[0]  # made by this init
        raise StoreError("the fill failed")

    with pytest.raises(StoreError, match="the fill failed"):
        Engagement.init(tmp_path / "team", store=url, schema=schema, fill=broken)
    assert _schema_objects(url, schema) == (False, 0)
    assert not (tmp_path / "team").exists()


def test_init_takes_an_empty_schema_made_for_it_and_a_failure_leaves_it_empty(tmp_path, request):
    # a database's owner makes the schema for a role that may not create schemas
    import psycopg

    url, schema = postgres_url(), new_schema()
    request.addfinalizer(lambda: drop_schema(url, schema))
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{schema}"')

    def broken(engagement):
        raise StoreError("the fill failed")

    with pytest.raises(StoreError, match="the fill failed"):
        Engagement.init(tmp_path / "first", store=url, schema=schema, fill=broken)
    assert _schema_objects(url, schema) == (True, 0)
    with psycopg.connect(url, autocommit=True) as con:
        left = con.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = %s::regnamespace", (schema,)
        ).fetchone()[0]
    assert left == 0  # the owner's schema stays, empty, as it was
    engagement = Engagement.init(tmp_path / "team", store=url, schema=schema)
    assert engagement.table("stated_needs").empty
    with pytest.raises(StoreError, match="already exists and is not empty"):
        Engagement.init(tmp_path / "again", store=url, schema=schema)


def test_a_role_that_may_not_create_schemas_takes_the_empty_one_made_for_it(
    tmp_path, request, monkeypatch
):
    # PUBLIC has no CREATE on a database: the owner makes the schema for the role
    import psycopg

    url, schema = postgres_url(), new_schema()
    role, password = f"r_{schema}", "a long test password"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        con.execute(f'CREATE SCHEMA "{schema}" AUTHORIZATION {role}')

    ours = os.environ.get("PGPASSWORD")  # the test server's, before the role's is set

    def drop_role():
        with psycopg.connect(url, autocommit=True, password=ours) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            con.execute(f"DROP ROLE IF EXISTS {role}")

    request.addfinalizer(drop_role)
    parts = psycopg.conninfo.conninfo_to_dict(url)
    theirs = f"postgresql://{role}@{parts['host']}:{parts['port']}/{parts['dbname']}"
    monkeypatch.setenv("PGPASSWORD", password)
    engagement = Engagement.init(tmp_path / "team", store=theirs, schema=schema)
    engagement.save_entry("events", {"starts_on": "2024-01-02", "label": "Fair"})
    again = Engagement.open(tmp_path / "team")
    assert again.table("events")["label"].tolist() == ["Fair"]
    with pytest.raises(StoreError, match="may not create schema") as refused:
        Engagement.init(tmp_path / "other", store=theirs, schema=new_schema())
    assert "AUTHORIZATION" in str(refused.value)


def test_two_inits_of_one_empty_schema_never_share_it(tmp_path, request):
    import psycopg

    url, schema = postgres_url(), new_schema()
    request.addfinalizer(lambda: drop_schema(url, schema))
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{schema}"')
    first = Engagement.init(tmp_path / "a", store=url, schema=schema)
    first.save_entry("events", {"starts_on": "2024-01-02", "label": "Fair"})

    def broken(engagement):
        raise StoreError("the fill failed")

    with pytest.raises(StoreError, match="not empty"):  # claimed: refused, nothing dropped
        Engagement.init(tmp_path / "b", store=url, schema=schema, fill=broken)
    assert first.table("events")["label"].tolist() == ["Fair"]
    with pytest.raises(StoreError, match="not empty"):
        Engagement.init(tmp_path / "c", store=url, schema="public")


def test_an_init_that_waits_too_long_for_the_writers_lock_says_so(tmp_path, request, monkeypatch):
    import psycopg

    from toolkit import store_pg

    url, schema = postgres_url(), new_schema()
    request.addfinalizer(lambda: drop_schema(url, schema))
    monkeypatch.setattr(store_pg, "LOCK_TIMEOUT_S", 1)
    with psycopg.connect(url) as holder:  # another writer, in the middle of a long step
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (store_pg.writers_lock(schema),))
        with pytest.raises(StoreError, match="kept the store locked for over 1 seconds"):
            Engagement.init(tmp_path / "waits", store=url, schema=schema)
    assert _schema_objects(url, schema) == (False, 0)  # nothing was made


def test_copy_store_on_the_command_line_checks_both_sides(source, tmp_path, run, request):
    url, schema = postgres_url(), new_schema()
    request.addfinalizer(lambda: drop_schema(url, schema))
    result = run("copy-store", source.path, tmp_path / "team", "--store", url, "--schema", schema)
    assert result.exit_code == 0, result.stderr
    assert "match on both sides" in result.output and "stated-needs" in result.output
    result = run("copy-store", source.path, tmp_path / "team", "--store", url, "--schema", schema)
    assert result.exit_code == 1 and "already" in result.stderr  # the folder, the schema
    status = run("status", tmp_path / "team")
    assert f"schema {schema}" in status.output


def test_an_unreachable_server_is_a_clear_error(tmp_path, run):
    pytest.importorskip("psycopg")
    result = run("init", tmp_path / "team", "--store", "postgresql://nobody@127.0.0.1:1/toolkit")
    assert result.exit_code == 1
    assert "cannot reach the engagement's store" in result.stderr
    assert "PGPASSWORD" in result.stderr and not (tmp_path / "team").exists()


def test_a_store_url_of_the_wrong_kind_in_engagement_toml_is_named(tmp_path, run):
    folder = tmp_path / "odd"
    run("init", folder)
    toml = folder / "engagement.toml"
    toml.write_text(
        toml.read_text().replace('organisation = ""', 'organisation = ""\nstore = { url = 5 }')
    )
    result = run("status", folder)
    assert result.exit_code == 1 and "store.url = 5 is not valid" in result.stderr


def test_a_migration_backs_the_store_up_first_and_a_newer_store_is_refused(
    tmp_path, request, monkeypatch
):
    import toolkit.store as store
    from tests._postgres import make_engagement

    eng = make_engagement(request, "postgresql", tmp_path / "e", name="E")
    eng.save_entry("events", {"starts_on": "2024-06-01", "label": "Fair"})
    later = ["ALTER TABLE events ADD COLUMN later_note TEXT"]
    monkeypatch.setattr(store, "MIGRATIONS", [*store.MIGRATIONS, later])
    monkeypatch.setattr(store, "SCHEMA_VERSION", store.SCHEMA_VERSION + 1)
    migrated = Engagement.open(eng.path)
    backup = migrated.backup_schema
    request.addfinalizer(lambda: drop_schema(postgres_url(), backup))
    assert backup.startswith(f"{eng.schema}_v{store.SCHEMA_VERSION - 1}_")
    with migrated.reading() as con:
        assert "later_note" in [r[1] for r in con.execute("PRAGMA table_info(events)")]
        assert con.raw.execute(f'SELECT label FROM "{backup}".events').fetchall() == [("Fair",)]
    assert migrated.status()["schema_version"] == store.SCHEMA_VERSION
    monkeypatch.undo()  # this toolkit again: one version behind the store
    with pytest.raises(StoreError, match="newer version of the toolkit"):
        Engagement.open(eng.path)
