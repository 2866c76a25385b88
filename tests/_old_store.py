"""Make a store look as schema 1 left it, to test the migration to the current schema."""

import sqlite3


def as_version_1(store_path) -> None:
    """Undo schemas 3 and 2: no segment aliases, no personal reasons, no record of which
    imports use each column."""
    con = sqlite3.connect(store_path)
    try:
        con.execute("DROP TABLE segment_aliases")
        con.execute("ALTER TABLE attributes DROP COLUMN personal_reason")
        con.execute("ALTER TABLE attributes DROP COLUMN personal_by")
        con.execute("DROP TABLE attribute_imports")
        con.execute("PRAGMA user_version = 1")
        con.commit()
    finally:
        con.close()
