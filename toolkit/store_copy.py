"""Copy an engagement's store to another backend: SQLite to PostgreSQL, and back.

:func:`copy_store` makes a new engagement folder beside the first one with the same
settings and import maps, and every row of the store: the canonical tables with their
attribute columns and entry numbers, the import history, the segment crosswalk, the
second coders' codes, the weighting schemes (every table the store has, so a table a
later version adds comes along too). The source is read in one read transaction and the
copy written in one write transaction; then each table's row count and a fingerprint of
the data as the toolkit reads it (:func:`data_fingerprint`) are taken on both sides and
must agree, or nothing is kept. The source is never changed.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from toolkit.errors import StoreError
from toolkit.schema.tables import TABLES
from toolkit.store import Engagement, _add_columns, _quote

__all__ = ["copy_store", "data_fingerprint"]

#: Tables of the backend's own, never copied.
_INTERNAL = ("sqlite_", "_tk_")
#: Rows read and written at a time.
_CHUNK = 50_000


def store_tables(con) -> list[str]:
    """The store's tables (either backend), in the order a copy writes them: the import
    history first, actions last (their triggers find the events already copied).
    """
    names = [
        r[0]
        for r in con.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        if not r[0].startswith(_INTERNAL)
    ]
    rank = {"imports": 0, "actions": 2}
    return sorted(names, key=lambda n: (rank.get(n, 1), n))


def _columns(con, table: str) -> list[tuple[str, str]]:
    return [(r[1], r[2]) for r in con.execute(f"PRAGMA table_info({_quote(table)})")]


def data_fingerprint(engagement: Engagement, con) -> tuple[dict[str, int], str]:
    """Each table's row count, and a hash of the whole store's data, inside ``con``'s
    read transaction: the same on either backend for the same data.

    The canonical tables are hashed as :meth:`Engagement.table` reads them (labels as
    stored, personal columns and entry numbers included, as CSV text); the others
    (imports, attributes, segments, codes, weights…) row by row in key order, over the
    columns both backends have.
    """
    digest = hashlib.sha256()
    counts = {}
    for name in store_tables(con):
        counts[name] = con.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0]
        digest.update(f"{name}:{counts[name]}\n".encode())
        if name in TABLES:
            frame = engagement.table(
                name, include_personal=True, con=con, row_ids=True, labels=True
            )
            digest.update(frame.to_csv(index=False, lineterminator="\n").encode())
            continue
        columns = [c for c, _ in _columns(con, name) if c != "rowid"]
        listed = ", ".join(_quote(c) for c in columns)
        for row in con.execute(f"SELECT {listed} FROM {_quote(name)} ORDER BY {listed}"):
            digest.update((repr(tuple(_plain(v) for v in row)) + "\n").encode())
    return counts, digest.hexdigest()[:16]


def _plain(value):
    """A value as both backends give it back (a whole REAL as a float)."""
    return float(value) if isinstance(value, float | int) and not isinstance(value, bool) else value


def _copy_rows(source, target, table: str) -> int:
    """Every row of ``table`` from ``source`` into ``target`` (both in transactions),
    over the columns both have; attribute columns the target lacks are added first.
    """
    have = dict(_columns(source, table))
    there = {c for c, _ in _columns(target, table)}
    if table in TABLES:
        adding = [f"{_quote(c)} {kind}" for c, kind in have.items() if c not in there]
        _add_columns(target, table, adding)
    columns = [c for c in have if c != "rowid"]
    listed = ", ".join(_quote(c) for c in columns)
    insert = f"INSERT INTO {_quote(table)} ({listed}) VALUES ({', '.join('?' * len(columns))})"
    order = "_tk_row" if "_tk_row" in have else ("rowid" if table == "attributes" else listed)
    rows = source.execute(f"SELECT {listed} FROM {_quote(table)} ORDER BY {order}").fetchall()
    for start in range(0, len(rows), _CHUNK):
        target.executemany(insert, rows[start : start + _CHUNK])
    return len(rows)


def copy_store(
    source: str | Path,
    dest: str | Path,
    *,
    store: str | None = None,
    schema: str | None = None,
) -> dict:
    """Copy the engagement at ``source`` into a new engagement folder at ``dest``.

    Parameters
    ----------
    source : str or Path
        An engagement folder (either backend). It is not changed.
    dest : str or Path
        The new folder; it must not exist yet, or be empty.
    store, schema : str, optional
        The copy's store: a PostgreSQL URL (and schema) as for ``init --store``;
        without ``store`` it is SQLite (``dest/data.sqlite``).

    Returns
    -------
    dict
        ``source`` and ``dest`` (where each store is), ``tables`` (rows per table,
        the same on both sides) and ``fingerprint`` (the data's, the same on both).

    Raises
    ------
    StoreError
        ``dest`` is not new, the copy's store cannot be made, or the copy's row counts
        or fingerprint differ from the source's (then no copy is left behind).
    """
    source = Engagement.open(source)
    dest = Path(dest)
    settings = {
        k: v for k, v in source.settings_data.items() if k not in ("name", "organisation", "store")
    }
    found: dict = {}

    def fill(copy: Engagement) -> None:
        maps = source.path / "maps"
        if maps.is_dir():
            shutil.copytree(maps, copy.path / "maps", dirs_exist_ok=True)
        with source.reading() as src:
            found["counts"], found["fingerprint"] = data_fingerprint(source, src)
            with copy.writing() as dst:
                dst.execute("PRAGMA defer_foreign_keys = ON")
                for table in store_tables(src):
                    _copy_rows(src, dst, table)
                _restart_numbering(copy, dst)
        with copy.reading() as con:
            counts, fingerprint = data_fingerprint(copy, con)
        if counts != found["counts"] or fingerprint != found["fingerprint"]:
            differ = sorted(t for t in found["counts"] if counts.get(t) != found["counts"][t])
            raise StoreError(
                f"copy-store {source.path} {dest}: the copy does not match the source ("
                + (f"row counts differ in {', '.join(differ)}" if differ else "the data differs")
                + "). Nothing was kept; the source is unchanged. Check that both stores "
                "are the same toolkit version, then try again."
            )

    copy = Engagement.init(
        dest,
        name=source.name,
        organisation=source.settings_data.get("organisation", ""),
        settings=settings,
        fill=fill,
        starter_codebook=False,
        store=store,
        schema=schema,
    )
    return {
        "source": str(getattr(source, "store_path", source.path)),
        "dest": str(getattr(copy, "store_path", copy.path)),
        "tables": found["counts"],
        "fingerprint": found["fingerprint"],
    }


def _restart_numbering(engagement: Engagement, con) -> None:
    """After rows came in with their own numbers, new ones continue after the highest
    (PostgreSQL's identity columns; SQLite's follow the rows by themselves).
    """
    if getattr(con, "dialect", "sqlite") == "sqlite":
        return
    for table, column in con.raw.execute(
        "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND a.attidentity != ''"
    ).fetchall():
        quoted = f"{_quote(engagement.schema)}.{_quote(table)}"
        con.raw.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), "
            f"coalesce((SELECT max({_quote(column)}) FROM {quoted}), 0) + 1, false)",
            (quoted, column),
        )
