"""Make a store look as an earlier schema left it, to test the migration to the current schema."""

import sqlite3


def as_version_4(store_path) -> None:
    """Undo schema 5: no saved_by/saved_at columns, no planners' accounts."""
    from toolkit.schema.tables import TABLES

    con = sqlite3.connect(store_path)
    try:
        for table in TABLES:
            for column in ("saved_by", "saved_at"):
                con.execute(f'ALTER TABLE "{table}" DROP COLUMN {column}')
        con.execute("DROP TABLE planners")
        con.execute("PRAGMA user_version = 4")
        con.commit()
    finally:
        con.close()


def as_version_3(store_path) -> None:
    """Undo schema 4: no actions, outreach or weighting schemes, no event made by an action."""
    as_version_4(store_path)
    con = sqlite3.connect(store_path)
    try:
        for trigger in (
            "actions_make_event",
            "actions_remake_event",
            "actions_release_event",
            "events_kept_for_actions",
        ):
            con.execute(f"DROP TRIGGER {trigger}")
        con.execute("DELETE FROM events WHERE _tk_action IS NOT NULL")
        con.execute("DROP INDEX events_by_action")
        con.execute("ALTER TABLE events DROP COLUMN _tk_action")
        for table in ("weighting_cells", "weighting_schemes", "actions", "outreach"):
            con.execute(f'DROP TABLE "{table}"')
        con.execute("PRAGMA user_version = 3")
        con.commit()
    finally:
        con.close()


def as_version_2(store_path) -> None:
    """Undo schema 4, then 3: no segment aliases, no second coders' codes, no triggers
    keeping them."""
    as_version_3(store_path)
    con = sqlite3.connect(store_path)
    try:
        for (trigger,) in con.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '%_codings_%'"
        ).fetchall():
            con.execute(f'DROP TRIGGER "{trigger}"')
        con.execute("DROP TABLE codings")
        con.execute("DROP TABLE segment_aliases")
        con.execute("PRAGMA user_version = 2")
        con.commit()
    finally:
        con.close()


def as_version_1(store_path) -> None:
    """Undo schema 4 and 3, then schema 2: no personal reasons, no record of which imports use
    each column."""
    as_version_2(store_path)
    con = sqlite3.connect(store_path)
    try:
        con.execute("ALTER TABLE attributes DROP COLUMN personal_reason")
        con.execute("ALTER TABLE attributes DROP COLUMN personal_by")
        con.execute("DROP TABLE attribute_imports")
        con.execute("PRAGMA user_version = 1")
        con.commit()
    finally:
        con.close()
