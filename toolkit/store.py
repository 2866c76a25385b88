"""The engagement folder and its SQLite store, the single source of truth.

::

    riverside/
      engagement.toml   name, organisation, settings
      data.sqlite       the store
      maps/             import maps saved for reuse
      reports/          report runs

This is the only module that speaks SQL (with its PostgreSQL backend,
:mod:`toolkit.store_pg`, and :mod:`toolkit.store_copy`). The rest of the toolkit uses
the store through the methods of :class:`Store` below (:class:`Engagement` is the SQLite
backend; ``[store] url`` in engagement.toml opens the PostgreSQL one, which runs this
module's SQL translated) and both pass the contract tests in ``tests/store_contract/``.
SQLite-only work goes through :func:`_by_backend`. The methods the toolkit calls:

- opening: ``Engagement.open``, ``Engagement.init`` (class methods); ``path``, ``name``,
  ``settings``, ``settings_data``, ``journal_note``
- reading: ``reading`` (a read transaction other reads can take as ``con``),
  ``table``, ``read_tables`` (several tables in one read, narrowed by ``subset``,
  ``rows``, ``blank``), ``snapshot`` (tables and fingerprint together), ``fingerprint``,
  ``attribute_columns``, ``personal_columns``, ``distinct_values``, ``segments``, ``known``, ``status``,
  ``imports``, ``entries``
- the segment crosswalk (rows keep their labels; ``table`` reads ``segment`` as the group
  each label counts in): ``crosswalk``, ``segment_summary``, ``alias_segment``,
  ``merge_segments``, ``rename_segment``, ``remove_segment_alias``
- importing: ``import_file`` and ``import_frame`` (hand-offs to
  :mod:`toolkit.sources.importer`), and what the importer needs: ``earlier_imports``,
  ``check_columns`` (the column limit), ``stored_values``, ``land`` (rows and import
  record, all or nothing)
- entries one at a time: ``check_entry``, ``entry_version``, ``save_entry``
  (version-checked), ``delete_entry``, ``code_statements``
- reviewing codes: ``set_codes`` (a person's code, or a second coder's kept apart in
  ``codings``), ``coding_tables`` (statements with their entry numbers, the codebook
  and the coders' codes, in one read), ``automatic_needs`` and ``automatic_statements``
  (the statements no person coded, narrowed in SQL, for the coding queue)
- removing and exporting: ``remove_import``, ``export``

The subset rule (what ``{column: value}`` keeps) also lives here, once:
:func:`check_subset`, :func:`subset_values`, :func:`apply_subset` and its narrowing in
SQL.

Every write is one transaction (``BEGIN IMMEDIATE``): an import lands whole or not at
all. Writers wait for each other (busy timeout) instead of failing. A file is read and
checked before the write lock is taken; under the lock ``land`` asks again whether the
same content landed meanwhile (then it adds nothing, as a re-import) and whether its new
columns fit SQLite's column limit. Removing an import removes the attribute columns no
remaining import uses (``attribute_imports`` records which imports use each). Names are
always quoted (:func:`_quote`). The store and the files SQLite makes beside it are
created readable by their owner only. Readers get one consistent snapshot with
:meth:`Engagement.read_tables`. The schema version lives in ``PRAGMA user_version``;
a migration backs the store up first, and an older toolkit refuses a newer store.
On a network or synced folder, where SQLite's WAL is unsafe, the store uses a
rollback journal and says so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import json
import os
import re
import sqlite3
import threading
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from toolkit._files import building
from toolkit._tabular import write_table
from toolkit.errors import DataValidationError, StoreError
from toolkit.schema.checks import SAVED_COLUMNS, Known, Problem, cell_text, to_canonical
from toolkit.schema.metrics import DEFAULT_SCALES
from toolkit.schema.personal import DIRECT, QUASI, SAMPLE, PersonalFlag, column_flag, stricter
from toolkit.schema.raw import RawTable
from toolkit.schema.segments import Crosswalk, label_key, tidy_label
from toolkit.schema.tables import (
    LAUNCHED,
    LOAD_ORDER,
    NOT_A_NEED,
    STARTERS,
    TABLES,
    Table,
    table_named,
)
from toolkit.settings import load_settings, render_toml

__all__ = [
    "Engagement",
    "ImportResult",
    "JOURNAL_ENV",
    "SCHEMA_VERSION",
    "Store",
    "apply_subset",
    "check_subset",
    "load_starter_codebook",
    "subset_values",
]

STORE_FILE = "data.sqlite"
SETTINGS_FILE = "engagement.toml"
#: Set to ``wal`` or ``delete`` to choose the journal mode instead of detecting it.
JOURNAL_ENV = "SERVICE_TOOLKIT_JOURNAL"
BUSY_TIMEOUT_MS = 120_000
_NETWORK_FS = {
    "nfs",
    "nfs4",
    "cifs",
    "smbfs",
    "smb3",
    "9p",
    "afs",
    "ncpfs",
    "davfs",
    "fuse.sshfs",
    "fuse.rclone",
    "fuse.gcsfuse",
    "fuse.s3fs",
    "fuse.davfs2",
    "fuse.dropbox",
    "glusterfs",
    "ceph",
    "lustre",
    "gpfs",
    "virtiofs",
    "vboxsf",
    "prl_fs",
    "fuse.onedriver",
}
_SYNCED = (
    "dropbox",
    "onedrive",
    "google drive",
    "googledrive",
    "icloud",
    "mobile documents",
    "box sync",
    "pcloud",
)
#: The tables whose rows carry a segment label.
_SEGMENT_TABLES = [t for t in TABLES.values() if "segment" in t.field_names]
_INSERT_CHUNK = 100_000
#: A load of this many rows into an empty table builds the table's indexes after it.
_BULK_INDEX_ROWS = 50_000
#: SQLite's default most columns in one table (SQLITE_MAX_COLUMN), when the library
#: cannot say its own (``Connection.getlimit`` is Python 3.11+).
_COLUMN_LIMIT = 2000
_IMPORT_CACHE_KB = 256 * 1024  # an upper bound: SQLite takes pages only as it needs them


WAL_SIZE_LIMIT = 4 * 1024 * 1024
"""Bytes of write-ahead log kept on disk once a checkpoint has emptied it."""


def connection_pragmas(journal: str = "wal") -> list[str]:
    """The settings every connection to the store makes (``journal``: the store's mode).

    The one home of the store's SQLite settings: the benchmarks' floors read them here.
    """
    return [
        f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
        "PRAGMA foreign_keys = ON",
        "PRAGMA synchronous = NORMAL" if journal == "wal" else "PRAGMA synchronous = FULL",
        # A checkpoint that empties the write-ahead log also cuts its file back, rather
        # than leaving an import's worth of disk behind while a forms page stays open.
        f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}",
    ]


#: What an import's write transaction adds to :func:`connection_pragmas`: a large import
#: updates its indexes (response_id, source_id) all over, and with the default 2 MB page
#: cache they would spill to disk many times over.
BULK_PRAGMAS = [f"PRAGMA cache_size = -{_IMPORT_CACHE_KB}"]


# ----------------------------------------------------------------------------- schema


def _list_entry_segments(con, spec: Table, new_segments, row: pd.DataFrame) -> None:
    """Put a saved entry's new groups, and its own group, on the segments list.

    The row's own group is listed again in the save's transaction: a check made while
    the planner typed (``save_entry``'s ``checked``) may predate a delete or correction
    that took the group off the list since.
    """
    new = list(new_segments)
    typed = row.at[0, "segment"] if "segment" in spec.field_names else None
    if isinstance(typed, str) and typed.strip() and typed not in new:
        new.append(typed)
    if new:
        start = con.execute("SELECT coalesce(max(position), 0) FROM segments").fetchone()[0]
        con.executemany(
            "INSERT OR IGNORE INTO segments (name, position) VALUES (?, ?)",
            [(s, start + i + 1) for i, s in enumerate(new)],
        )


def _shadowed(con: sqlite3.Connection) -> bool:
    """Whether a temporary view still shadows a table on ``con`` (a read that narrowed
    tables failed before dropping its views): such a connection is not kept.
    """
    try:
        return (
            con.execute("SELECT 1 FROM temp.sqlite_master WHERE type = 'view'").fetchone()
            is not None
        )
    except sqlite3.Error:
        return True


def _quote(name: str) -> str:
    """A name (table, column, index) as SQL spells it, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


def _sql_text(value: object) -> str:
    """A value as an SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _column_sql(table: Table) -> list[str]:
    parts = []
    for f in table.fields:
        name = _quote(f.name)
        sql = f"{name} {f.sql_type}"
        if f.required:
            sql += " NOT NULL"
        if f.name == table.key:
            sql += " UNIQUE"
        checks = []
        if f.choices:  # for `metric`: the names registered when the store is made
            checks.append(f"{name} IN (" + ", ".join(_sql_text(c) for c in f.choices) + ")")
        if f.low is not None:
            checks.append(f"{name} >= {f.low:g}")
        if f.high is not None:
            checks.append(f"{name} <= {f.high:g}")
        if f.kind == "integer":
            checks.append(f"typeof({name}) = 'integer'")
        if checks:
            sql += f" CHECK ({name} IS NULL OR (" + " AND ".join(checks) + "))"
        if f.references:
            ref_table, ref_field = f.references.split(".")
            sql += f" REFERENCES {_quote(ref_table)}({_quote(ref_field)})"
        parts.append(sql)
    return parts


#: The tables the first store version made; later ones come with their migration.
_FIRST_TABLES = (
    "codebook",
    "customers",
    "service_links",
    "assumed_needs",
    "stated_needs",
    "responses",
    "events",
)


def _table_sql(name: str) -> list[str]:
    """``CREATE TABLE`` (and its source-id index) for the canonical table ``name``."""
    table = TABLES[name]
    columns = [
        "_tk_row INTEGER PRIMARY KEY",
        "_tk_import INTEGER REFERENCES imports(import_id)",
        *_column_sql(table),
    ]
    if name == "responses":
        columns.append(
            "CHECK (scale_min < scale_max AND score >= scale_min AND score <= scale_max)"
        )
    if name == "events":
        columns.append("CHECK (ends_on IS NULL OR ends_on >= starts_on)")
    if name == "actions":
        columns.append("CHECK (done_on IS NULL OR starts_on IS NULL OR done_on >= starts_on)")
    if name == "outreach":
        columns.append("CHECK (responses IS NULL OR invited IS NULL OR responses <= invited)")
    statements = [f"CREATE TABLE {_quote(name)} (\n  " + ",\n  ".join(columns) + "\n)"]
    if table.source_key:
        statements.append(
            f"CREATE INDEX {_quote(name + '_by_source')} "
            f"ON {_quote(name)}({_quote(table.source_key)})"
        )
    return statements


def _create_sql() -> list[str]:
    statements = [
        """CREATE TABLE imports (
            import_id INTEGER PRIMARY KEY,
            table_name TEXT NOT NULL,
            file_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            source_format TEXT NOT NULL,
            map TEXT,
            rows_in INTEGER NOT NULL,
            rows_added INTEGER NOT NULL,
            rows_excluded INTEGER NOT NULL,
            excluded TEXT NOT NULL DEFAULT '{}',
            skipped TEXT NOT NULL DEFAULT '[]',
            imported_at TEXT NOT NULL,
            toolkit_version TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed', 'replaced')),
            ended_at TEXT
        )""",
        "CREATE INDEX imports_by_file ON imports(table_name, sha256)",
        """CREATE TABLE attributes (
            table_name TEXT NOT NULL,
            column_name TEXT NOT NULL,
            personal INTEGER NOT NULL DEFAULT 0,
            import_id INTEGER REFERENCES imports(import_id),
            PRIMARY KEY (table_name, column_name)
        )""",
        """CREATE TABLE segments (
            name TEXT PRIMARY KEY COLLATE NOCASE,
            position INTEGER NOT NULL
        )""",
    ]
    for name in _FIRST_TABLES:
        statements += _table_sql(name)
    return statements


def _launched(row: str, label: str) -> str:
    """SQL: action ``row`` is under way or done, has a start day and names event ``label``."""
    statuses = ", ".join(_sql_text(s) for s in LAUNCHED)
    return (
        f"{row}.status IN ({statuses}) AND {row}.starts_on IS NOT NULL "
        f"AND lower(trim(coalesce({row}.event, ''))) = lower(trim({label}))"
    )


#: An action under way or done that names an event, with the day it starts, makes that
#: event (``events._tk_action`` names the action it came from) unless an event with the
#: same label is recorded already: then that one is used as it is.
_ACTION_EVENT = f"""INSERT INTO events (starts_on, label, segment, _tk_action)
    SELECT NEW.starts_on, trim(NEW.event), NEW.segment, NEW._tk_row
    WHERE {_launched("NEW", "NEW.event")} AND trim(coalesce(NEW.event, '')) != ''
      AND NOT EXISTS (
        SELECT 1 FROM events WHERE lower(trim(label)) = lower(trim(NEW.event))
      );"""


def _release_events(old: str, keep: str) -> str:
    """SQL: the events action ``old`` made that ``keep`` no longer justifies go to another
    launched action naming the same event, or are deleted when no action names it.
    """
    other = f"SELECT {{}} FROM actions a WHERE {_launched('a', 'events.label')}"
    return f"""DELETE FROM events WHERE _tk_action = {old}._tk_row AND NOT ({keep})
          AND NOT EXISTS ({other.format("1")});
        UPDATE events SET _tk_action = ({other.format("min(a._tk_row)")})
          WHERE _tk_action = {old}._tk_row AND NOT ({keep});"""


_ACTIONS_SQL: list[str] = [
    *_table_sql("actions"),
    *_table_sql("outreach"),
    "ALTER TABLE events ADD COLUMN _tk_action INTEGER",
    "CREATE INDEX events_by_action ON events(_tk_action)",
    f"""CREATE TRIGGER actions_make_event AFTER INSERT ON actions BEGIN
        {_ACTION_EVENT}
    END""",
    # A correction that touches what the event is made of (status, event, start, group)
    # updates the event in place (a planner's own edits to it, such as its end, stay); an
    # action no longer launched, or naming another event, lets its event go.
    f"""CREATE TRIGGER actions_remake_event AFTER UPDATE OF status, event, starts_on, segment
        ON actions
        WHEN OLD.status IS NOT NEW.status OR OLD.event IS NOT NEW.event
          OR OLD.starts_on IS NOT NEW.starts_on OR OLD.segment IS NOT NEW.segment
    BEGIN
        UPDATE events SET
            starts_on = CASE WHEN OLD.starts_on IS NOT NEW.starts_on
                             THEN NEW.starts_on ELSE starts_on END,
            segment = CASE WHEN OLD.segment IS NOT NEW.segment
                           THEN NEW.segment ELSE segment END
          WHERE _tk_action = NEW._tk_row AND {_launched("NEW", "events.label")};
        {_release_events("OLD", _launched("NEW", "events.label"))}
        {_ACTION_EVENT}
    END""",
    f"""CREATE TRIGGER actions_release_event AFTER DELETE ON actions BEGIN
        {_release_events("OLD", "0")}
    END""",
    # An event removed (its import removed, say) while a launched action still names it
    # comes back as that action's event.
    f"""CREATE TRIGGER events_kept_for_actions AFTER DELETE ON events
        WHEN NOT EXISTS (
            SELECT 1 FROM events WHERE lower(trim(label)) = lower(trim(OLD.label))
        )
    BEGIN
        INSERT INTO events (starts_on, label, segment, _tk_action)
        SELECT a.starts_on, trim(a.event), a.segment, a._tk_row FROM actions a
          WHERE {_launched("a", "OLD.label")}
          ORDER BY a._tk_row LIMIT 1;
    END""",
    # Named weighting schemes (post-stratification, raking): each cell of the weighting
    # variables with its weight, beside the imported rows and never written over them.
    """CREATE TABLE weighting_schemes (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        table_name TEXT NOT NULL CHECK (table_name IN ('stated_needs', 'responses')),
        method TEXT NOT NULL,
        variables TEXT NOT NULL,
        targets TEXT NOT NULL,
        respondents INTEGER NOT NULL,
        effective_n REAL NOT NULL,
        design_effect REAL NOT NULL,
        fingerprint TEXT NOT NULL,
        made_at TEXT NOT NULL
    )""",
    """CREATE TABLE weighting_cells (
        scheme TEXT NOT NULL REFERENCES weighting_schemes(name) ON DELETE CASCADE,
        cell TEXT NOT NULL,
        respondents INTEGER NOT NULL,
        weight REAL NOT NULL,
        PRIMARY KEY (scheme, cell)
    )""",
]


#: The first version's header rule flagged every header ending in "name" (schema 2 clears
#: those the new rule finds impersonal: a campus's, a programme's, a service's name).
_EARLIER_NAME_RULE = re.compile(r"name\W*$", re.IGNORECASE)


def _classify_stored_attributes(con: sqlite3.Connection) -> None:
    """Schema 2: classify every stored attribute column by its header and its values.

    The first :data:`~toolkit.schema.personal.SAMPLE` filled cells of each column are
    read (bounded work however many rows). Flags only get stricter, with one exception:
    the first version flagged any header ending in "name", so a place's or a thing's name
    (``Campus name``) that neither its header nor its values make personal is cleared. Any
    other column an earlier version marked personal stays personal (as a direct identifier
    when neither its header nor its values say why; a map's ``[personal]`` can clear it).
    """
    rows = con.execute("SELECT table_name, column_name, personal FROM attributes").fetchall()
    for table, column, old in rows:
        quoted = _quote(column)
        values = [
            v
            for (v,) in con.execute(
                f"SELECT {quoted} FROM {_quote(table)} WHERE {quoted} IS NOT NULL AND {quoted} != '' "
                f"LIMIT {SAMPLE}"
            )
        ]
        flag = column_flag(column, values)
        if old and flag is None and _EARLIER_NAME_RULE.search(column):
            con.execute(
                "UPDATE attributes SET personal = 0 WHERE table_name = ? AND column_name = ?",
                (table, column),
            )
            continue
        if old and flag is None:
            flag = PersonalFlag(DIRECT, "marked personal by an earlier version", "earlier version")
        if flag is None or flag.level < old:
            continue
        con.execute(
            "UPDATE attributes SET personal = ?, personal_reason = ?, personal_by = ? "
            "WHERE table_name = ? AND column_name = ?",
            (flag.level, flag.reason, flag.by, table, column),
        )


def _record_attribute_uses(con: sqlite3.Connection) -> None:
    """Record which active imports use each attribute column (a store made before 2).

    The import that added a column uses it, and so does every import with a value in it.
    """
    for table, column, first in con.execute(
        "SELECT table_name, column_name, import_id FROM attributes"
    ).fetchall():
        if first is not None:
            con.execute(
                "INSERT OR IGNORE INTO attribute_imports VALUES (?, ?, ?)", (table, column, first)
            )
        con.execute(
            f"INSERT OR IGNORE INTO attribute_imports SELECT DISTINCT ?, ?, _tk_import "
            f"FROM {_quote(table)} WHERE _tk_import IS NOT NULL AND {_quote(column)} IS NOT NULL",
            (table, column),
        )


#: Statements a person codes (``set_codes``): the table and its letter in a statement id.
CODED_TABLES = {"stated_needs": "S", "assumed_needs": "A"}
#: The statements no person coded, those code_needs codes itself: its rule in SQL.
_AUTOMATIC_SQL = "(code IS NULL OR (coded_by IS NOT NULL AND coded_by <> 'person'))"
#: The most words a read of statements keeps in SQL (need IN (...)); beyond, it filters.
_NARROW_NEEDS = 2000


def statement_key(text: object) -> tuple[str, int]:
    """The table and entry of a statement id: ``"S12"`` → ``("stated_needs", 12)``."""
    raw = str(text).strip()
    tables = {letter: table for table, letter in CODED_TABLES.items()}
    table = tables.get(raw[:1].upper())
    if table is None or not raw[1:].isdigit():
        raise DataValidationError(
            f"{raw!r} is not a statement id. Ids are S and a number for what customers "
            "said (S12), A and a number for staff's assumptions (A3), as the "
            "coding-review table lists them."
        )
    return table, int(raw[1:])


_CODINGS_SQL: list[str] = [
    """CREATE TABLE codings (
        table_name TEXT NOT NULL CHECK (table_name IN ('stated_needs', 'assumed_needs')),
        row_id INTEGER NOT NULL,
        coder TEXT NOT NULL,
        code TEXT NOT NULL,
        coded_at TEXT NOT NULL,
        PRIMARY KEY (table_name, row_id, coder)
    )""",
    *(
        f"""CREATE TRIGGER {_quote(table + "_codings_" + event)} AFTER {event.upper()}
        ON {_quote(table)} BEGIN
            DELETE FROM codings WHERE table_name = '{table}' AND row_id = OLD._tk_row;
        END"""
        for table in CODED_TABLES
        for event in ("delete", "update of need")
    ),
]

#: Who saved a form entry and when (``save_entry``, columns ``SAVED_COLUMNS``): every
#: canonical table has both; imported rows leave them empty (their import says whence).


def _add_saved_columns(con) -> None:
    """Give every canonical table its ``saved_by`` and ``saved_at`` columns."""
    for name in TABLES:
        have = {r[1] for r in con.execute(f"PRAGMA table_info({_quote(name)})")}
        for column in SAVED_COLUMNS:
            if column not in have:
                con.execute(f"ALTER TABLE {_quote(name)} ADD COLUMN {column} TEXT")


#: The planners who may sign in to ``forms --team`` (``service-toolkit users``): a name
#: (lower case) and its password's salted KDF hash (:mod:`toolkit.forms.accounts`).
_PLANNERS_SQL: list[str] = [
    """CREATE TABLE planners (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        changed_at TEXT NOT NULL
    )"""
]

#: Forward migrations: MIGRATIONS[i] takes a store from version i to i + 1. A step is
#: SQL statements and functions called with the connection, in one transaction.
MIGRATIONS: list[list[str | Callable[[sqlite3.Connection], None]]] = [
    _create_sql(),
    # 2: personal flags with kind and reason (attributes.personal: 0 not personal,
    # 1 quasi-identifier, 2 direct identifier), stored columns classified by content;
    # which imports use each attribute column, so removing the last one removes it.
    [
        "ALTER TABLE attributes ADD COLUMN personal_reason TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE attributes ADD COLUMN personal_by TEXT NOT NULL DEFAULT ''",
        _classify_stored_attributes,
        """CREATE TABLE attribute_imports (
            table_name TEXT NOT NULL,
            column_name TEXT NOT NULL,
            import_id INTEGER NOT NULL REFERENCES imports(import_id),
            PRIMARY KEY (table_name, column_name, import_id)
        )""",
        _record_attribute_uses,
    ],
    # 3 (issue #16): the segments crosswalk (each label rows carry may be mapped to one
    # segment; rows keep their labels and are read through these aliases), and each
    # coder's codes kept apart from the primary code (a statement deleted, or its words
    # edited, takes its coders' codes with it).
    [
        """CREATE TABLE segment_aliases (
            label TEXT PRIMARY KEY COLLATE NOCASE,
            segment TEXT NOT NULL,
            set_by TEXT NOT NULL DEFAULT '',
            set_on TEXT NOT NULL
        )""",
        lambda con: _prune_segments(con),  # labels an earlier version left behind
        *_CODINGS_SQL,
    ],
    # 4 (issue #21): what was done about each need (actions, whose launch makes or uses
    # an event), how customers were asked (outreach), and named weighting schemes.
    _ACTIONS_SQL,
    # 5 (issue #22): who saved each form entry and when; the planners' accounts.
    [_add_saved_columns, *_PLANNERS_SQL],
]
SCHEMA_VERSION = len(MIGRATIONS)


def _backend(cls, settings: Mapping) -> type:
    """The class of store an engagement.toml asks for: a ``[store] url`` names a
    PostgreSQL database (:mod:`toolkit.store_pg`); without one the store is SQLite.
    """
    if not (settings.get("store") or {}).get("url") or cls is not Engagement:
        return cls
    from toolkit.store_pg import PostgresEngagement

    return PostgresEngagement


def _by_backend(func: Callable) -> Callable:
    """Let a connection of another backend do ``func``'s SQLite-only work its own way
    (:data:`toolkit.store_pg.FUNCTIONS`, by the function's name).
    """

    @functools.wraps(func)
    def call(con, *args, **kwargs):
        if getattr(con, "dialect", "sqlite") != "sqlite":
            from toolkit.store_pg import FUNCTIONS

            return FUNCTIONS[func.__name__](con, *args, **kwargs)
        return func(con, *args, **kwargs)

    return call


def _read_sql(sql: str, con, params: Sequence = ()) -> pd.DataFrame:
    """A query's rows as a DataFrame (``pandas.read_sql_query``'s frame, any backend)."""
    cursor = con.execute(sql, tuple(params))
    columns = [d[0] for d in cursor.description]
    return pd.DataFrame.from_records(cursor.fetchall(), columns=columns, coerce_float=True)


# ----------------------------------------------------------------------------- results


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do).

    ``rows_excluded`` counts rows left out on purpose (``excluded`` gives the reasons);
    ``skipped`` lists rows left out for invalid values under ``--skip-invalid``. For a
    survey export read through a map, ``file_rows`` is the number of responses in the
    file, ``rows_in`` the canonical rows they became (one per metric answered, one per
    need chosen) and ``excluded`` counts responses; ``details`` holds the detected
    format, the mapping and the map saved, if any. ``personal`` lists the attribute
    columns kept out unless ``--include-personal``; ``new_segments`` the segment labels
    new to the engagement among the rows that land, ``unmapped_segments`` each landing
    label the segment crosswalk does not know, with ``[segment, score]`` suggestions
    (:meth:`Crosswalk.suggest`); ``personal_flags`` gives, for them and
    for any a map cleared, ``{"kind": "direct" | "quasi" | "", "reason": …, "by": …}``.
    """

    table: str
    file: str
    sha256: str
    source_format: str
    rows_in: int
    rows_added: int = 0
    rows_excluded: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    rows_skipped: int = 0
    new_segments: list[str] = field(default_factory=list)
    unmapped_segments: dict[str, list] = field(default_factory=dict)
    attributes: list[str] = field(default_factory=list)
    personal: list[str] = field(default_factory=list)
    personal_flags: dict[str, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    import_id: int | None = None
    already_imported: int | None = None
    file_rows: int | None = None
    replaced: list[int] = field(default_factory=list)
    dry_run: bool = False
    details: dict = field(default_factory=dict)
    preview: pd.DataFrame | None = None
    #: The starter codebook a codebook import replaced ("neighbourhood starter codebook")
    #: and how many codes it had; the codes a person set that the new codebook lacks
    #: (code → statements), kept in the codebook until those statements are recoded.
    starter_replaced: str | None = None
    starter_codes: int = 0
    kept_codes: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("preview")
        return data


def _local_user() -> str:
    """Who saves an entry when no one signed in: the operating system's user, or blank."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment or the password database
        return ""


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


#: The name a starter codebook's import has in the history: "starter codebook (university)".
STARTER_SOURCE = "starter codebook"


def load_starter_codebook(name: str = "neighbourhood") -> pd.DataFrame:
    """A codebook of common needs a new engagement starts from
    (templates/starter-codebook-NAME.csv, NAME one of :data:`STARTERS`), with Spanish
    keywords (``keywords_es``) and the built-in *not a need* code.

    Raises
    ------
    DataValidationError
        ``name`` is not a starter.
    """
    from toolkit._resources import resource_dir

    if name not in STARTERS:
        raise DataValidationError(
            f"There is no starter codebook {name!r}. Choose one of: {', '.join(STARTERS)}, "
            "or none (start with no codebook and import your own)."
        )
    path = resource_dir("templates") / f"starter-codebook-{name}.csv"
    book = pd.read_csv(path, dtype=str, keep_default_na=False)
    if NOT_A_NEED["code"] not in set(book["code"]):
        book = pd.concat([book, pd.DataFrame([NOT_A_NEED])], ignore_index=True)
    return book.fillna("")  # a column NOT_A_NEED lacks (label_es) is blank, as in the file


def _starter_title(file_name: str) -> str:
    """How messages name a starter's import: "neighbourhood starter codebook"."""
    inner = file_name[len(STARTER_SOURCE) :].strip(" ()")
    return f"{inner} {STARTER_SOURCE}" if inner in STARTERS else STARTER_SOURCE


def _starter_named(file_name: str) -> str:
    """The starter an import of the history brought in ("starter codebook (university)");
    a store made before there were two starters had the neighbourhood one's ancestor.
    """
    inner = file_name[len(STARTER_SOURCE) :].strip(" ()")
    return inner if inner in STARTERS else "neighbourhood"


def _toolkit_version() -> str:
    from toolkit import __version__

    return __version__


def _create_private(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only, unless it exists.

    SQLite gives the journal, write-ahead log and shared-memory files it makes beside a
    database the database's own permissions, so they are private too.
    """
    if os.path.lexists(path):
        return
    with contextlib.suppress(FileExistsError):  # another process made it meanwhile
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


# ----------------------------------------------------------------------------- subsets
#
# One home for the subset rule: the check and its message (check_subset), what a value
# means (subset_values), the exact rule in pandas (apply_subset) and the narrowing in SQL
# that reads no more than needed (_subset_sql, used by Engagement.read_tables).


def check_subset(subset: object) -> dict:
    """Check a subset is a mapping of column to value(s); return it as a dict.

    Raises
    ------
    DataValidationError
        ``subset`` is not a mapping.
    """
    if not subset:
        return {}
    if not isinstance(subset, Mapping):
        raise DataValidationError(
            f"subset must be a mapping of column to value, such as {{segment: Residents}} "
            f"(got {subset!r})."
        )
    return dict(subset)


def subset_values(value: object) -> list:
    """A subset's value as the list of values it keeps (one value, or a list of them)."""
    return list(value) if isinstance(value, list | tuple | set) else [value]


def unknown_subset_column(
    column: object, columns: Iterable[str], reader: str
) -> DataValidationError:
    """The error for a subset column no table has; ``reader`` says whose tables.

    ``reader`` completes "no table ... has a column": "of this report", "these reports read".
    """
    return DataValidationError(
        f"subset: no table {reader} has a column {column!r}. "
        f"Columns you can use: {', '.join(sorted(columns))}."
    )


def apply_subset(
    tables: Mapping[str, pd.DataFrame], subset: Mapping | None
) -> dict[str, pd.DataFrame]:
    """Keep the rows matching ``subset`` in every table that has its columns.

    ``subset`` maps a column to a value or a list of values (compared as text); tables
    without the column are left whole. An event or an action with that column blank
    applies to everyone (a blank segment means every segment), so it is kept.
    """
    subset = check_subset(subset)
    if not subset:
        return dict(tables)
    out = {}
    for name, frame in tables.items():
        keep = pd.Series(True, index=frame.index)
        for column, value in subset.items():
            if column in frame:
                match = frame[column].astype(str).isin([str(v) for v in subset_values(value)])
                if name in ("events", "actions"):
                    match |= frame[column].isna() | (frame[column].astype(str).str.strip() == "")
                keep &= match
        out[name] = frame.loc[keep]
    return out


def _subset_sql(subset: Mapping, declared: Mapping[str, str], *, binary: bool = False) -> str:
    """SQL keeping every row :func:`apply_subset` keeps ('' when it cannot narrow).

    Only text columns (``declared`` maps column to declared type) are narrowed: the
    same text, plus every blank cell, whatever the rule for blanks. Numbers, dates and
    missing-value spellings compare as text in pandas only, so they are left to it.
    ``binary``: text compares byte by byte (SQLite), so only a value sorting before
    "!" (empty, or beginning with a space or a control character) or a blob (after all
    text) can be blank, and ``trim`` runs on those alone, not on every row a
    million-row read passes over.
    """
    clauses = []
    for column, value in subset.items():
        if declared.get(column) != "TEXT":
            continue
        values = subset_values(value)
        if (
            not values
            or any(isinstance(v, bool) or not isinstance(v, str | int | float) for v in values)
            or any(str(v) in ("None", "nan", "NaN", "<NA>", "NaT") for v in values)
        ):
            continue
        quoted = _quote(str(column))
        listed = ", ".join(_sql_text(v) for v in values)
        # Blank: missing, or spaces only (SQL both backends read alike).
        blank = (
            f"NOT (coalesce({quoted}, '') >= '!' AND {quoted} < X'') "
            f"AND trim(coalesce({quoted}, '')) = ''"
            if binary
            else f"trim(coalesce({quoted}, '')) = ''"
        )
        clauses.append(f"({quoted} IN ({listed}) OR {blank})")
    return " AND ".join(clauses)


def _looks_networked(folder: Path) -> str | None:
    """Say why ``folder`` is on a network or synced drive, or None if it is local."""
    resolved = folder.resolve()
    lowered = str(resolved).lower()
    for name in _SYNCED:
        if f"/{name}" in lowered or f"\\{name}" in lowered:
            return f"it is inside a synced folder ({name})"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    best, fstype = "", ""
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        if (str(resolved) == point or str(resolved).startswith(point.rstrip("/") + "/")) and len(
            point
        ) > len(best):
            best, fstype = point, parts[2]
    if fstype in _NETWORK_FS:
        return f"it is on a network file system ({fstype} at {best})"
    return None


@runtime_checkable
class Store(Protocol):
    """What the rest of the toolkit calls on a store (see the module's docstring).

    :class:`Engagement` is the SQLite backend. Every write is all or nothing; reads
    taken together (``read_tables``, ``snapshot``) see one consistent state.
    """

    path: Path
    settings_data: dict

    @property
    def name(self) -> str: ...
    @property
    def settings(self) -> dict: ...

    def reading(self) -> contextlib.AbstractContextManager: ...
    def table(
        self, name: str, *, include_personal: bool = False, con=None, labels: bool = False
    ) -> pd.DataFrame: ...
    def read_tables(
        self,
        names=None,
        *,
        include_personal: bool = False,
        con=None,
        subset: Mapping | None = None,
        rows: Mapping | None = None,
        blank: Mapping | None = None,
    ) -> dict[str, pd.DataFrame]: ...
    def snapshot(
        self, names=None, *, include_personal: bool = False, **narrowing
    ) -> tuple[dict[str, pd.DataFrame], str]: ...
    def fingerprint(self, names=None, *, con=None) -> str: ...
    def attribute_columns(self, table: str, con=None) -> pd.DataFrame: ...
    def personal_columns(self, tables=None, con=None) -> dict: ...
    def distinct_values(self, table: str, column: str, *, con=None) -> list: ...
    def segments(self, con=None) -> list[str]: ...
    def crosswalk(self, con=None) -> Crosswalk: ...
    def segment_summary(self, con=None) -> pd.DataFrame: ...
    def alias_segment(self, label: str, segment: str, *, set_by: str = "person") -> dict: ...
    def merge_segments(
        self, labels: Sequence[str], into: str, *, set_by: str = "person"
    ) -> dict: ...
    def rename_segment(self, old: str, new: str, *, set_by: str = "person") -> dict: ...
    def remove_segment_alias(self, label: str) -> dict: ...
    def known(self, con=None): ...
    def status(self) -> dict: ...
    def imports(self) -> pd.DataFrame: ...
    def entries(
        self, table: str, *, only_forms: bool = False, limit: int | None = None
    ) -> pd.DataFrame: ...

    def entry_page(
        self,
        table: str,
        *,
        limit: int = 10,
        offset: int = 0,
        segment: str | None = None,
        source: str | int | None = None,
        entry: int | None = None,
    ) -> tuple[pd.DataFrame, int]: ...
    def segment_counts(self, tables: Sequence[str]) -> pd.DataFrame: ...

    def import_file(self, file, **options) -> ImportResult: ...
    def import_frame(self, frame: pd.DataFrame, *, table: str, **options) -> ImportResult: ...
    def earlier_imports(self, table: str, sha: str, file_name: str) -> list: ...
    def check_columns(self, table: str, columns: Sequence[str], *, file: str) -> None: ...
    def stored_values(self, table: str, column: str, values: pd.Series, **options) -> set: ...
    def land(self, table: str, landing: pd.DataFrame, result: ImportResult, **options) -> None: ...

    def check_entry(self, table: str, values: Mapping, *, entry: int | None = None): ...
    def entry_version(self, table: str, entry: int, con=None) -> str: ...
    def save_entry(
        self,
        table: str,
        values: Mapping,
        *,
        entry: int | None = None,
        version: str | None = None,
        saved_by: str | None = None,
        checked: tuple | None = None,
    ) -> int: ...
    def saved_by_person(self) -> list[dict]: ...
    def planners(self) -> list[dict]: ...
    def planner_hash(self, name: str) -> str | None: ...
    def set_planner(self, name: str, password_hash: str, *, new: bool) -> None: ...
    def remove_planner(self, name: str) -> None: ...
    def delete_entry(self, table: str, entry: int) -> None: ...
    def code_statements(self, need: str, code: str) -> int: ...
    def set_codes(
        self,
        codes: Mapping[tuple[str, int], str],
        *,
        coder: str | None = None,
        previous: list | None = None,
    ) -> int: ...
    def restore_codes(self, previous: Sequence[tuple]) -> int: ...
    def coding_tables(self) -> dict[str, pd.DataFrame]: ...
    def automatic_needs(self, con=None) -> dict[str, list[str]]: ...
    def automatic_statements(
        self, needs: Mapping[str, Sequence[str] | None], con=None
    ) -> dict[str, pd.DataFrame]: ...

    def remove_import(self, import_id: int) -> dict: ...
    def export(self, table: str, to, *, include_personal: bool = False) -> int: ...


# ----------------------------------------------------------------------------- engagement


def check_new_folder(path: Path) -> None:
    """Refuse a folder for a new engagement that exists and is not empty."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise StoreError(
            f"{path}: already exists and is not empty. Choose a new folder, "
            f"or open the engagement that is there."
        )


class Engagement:
    """One organisation's engagement folder and its store.

    Create one with :meth:`init`, open one with :meth:`open`. Each table is a
    DataFrame property (``customers``, ``service_links``, ``assumed_needs``,
    ``stated_needs``, ``codebook``, ``responses``, ``events``).

    Examples
    --------
    >>> import tempfile
    >>> eng = Engagement.init(tempfile.mkdtemp() + "/riverside", name="Riverside")
    >>> eng.name, len(eng.codebook) > 0, len(eng.responses)
    ('Riverside', True, 0)
    """

    write_guard: Callable[[], object] | None = None
    """Called before every write transaction (:meth:`writing`); what it raises refuses
    the write. The team forms set it (:func:`toolkit.forms.planner.guard_writes`)."""

    def __init__(self, path: Path, settings: dict):
        self.path = Path(path)
        self.settings_data = settings
        self.journal_note: str | None = None
        self._journal = "wal"
        self._keeping = False  # keep_connection()
        self._kept: tuple[tuple[int, int], sqlite3.Connection, tuple | None] | None = None
        self._kept_lock = threading.Lock()  # two threads giving one back keep one, close one
        # the store file each open connection was made on; connections given an
        # import's large cache (BULK_PRAGMAS), which are not kept
        self._files: dict[int, tuple[int, int] | None] = {}
        self._bulk: set[int] = set()

    # -- opening -------------------------------------------------------------

    @classmethod
    def init(
        cls,
        path: str | Path,
        *,
        name: str | None = None,
        organisation: str | None = None,
        settings: Mapping | None = None,
        fill: Callable[[Engagement], object] | None = None,
        starter_codebook: bool = True,
        starter: str | None = "neighbourhood",
        codebook: str | Path | None = None,
        store: str | None = None,
        schema: str | None = None,
    ) -> Engagement:
        """Create a new engagement folder.

        The folder is built beside its final place and moved there only when complete,
        so a failure half-way never leaves a half-made engagement behind.

        Parameters
        ----------
        path : str or Path
            The folder; it must not exist yet, or be empty.
        name, organisation : str, optional
            Written to engagement.toml (name defaults to the folder's name).
        settings : mapping, optional
            More top-level entries for engagement.toml, after ``name`` and
            ``organisation`` (for example ``{"settings": {"segments": ...}}``).
        fill : callable, optional
            Called with the new engagement, before it is moved into place, to put rows
            in (the demos use it: :func:`toolkit.demo.init_demo`).
        starter_codebook : bool
            Start the codebook from a starter codebook of common needs (False: none).
        starter : str or None
            Which starter: ``neighbourhood`` (the default) or ``university``; None or
            ``"none"`` for none.
        codebook : str or Path, optional
            Your codebook (a CSV or XLSX file), imported into the new engagement beside
            the starter, if any (``starter=None`` for yours alone, as ``init --codebook``
            gives unless ``--starter`` is named too).
        store : str, optional
            A PostgreSQL URL (no password in it): the store is a schema of that database
            (:mod:`toolkit.store_pg`) instead of ``data.sqlite`` in the folder.
        schema : str, optional
            With ``store``, the schema's name (default: from the folder's name).

        Raises
        ------
        StoreError
            The folder exists and is not empty; with ``store``, a URL with a password in
            it, a database that cannot be reached, or a schema already in use.
        """
        if store is not None:
            from toolkit.store_pg import PostgresEngagement

            return PostgresEngagement.init_at(
                store,
                path,
                schema=schema,
                name=name,
                organisation=organisation,
                settings=settings,
                fill=fill,
                starter_codebook=starter_codebook,
                starter=starter,
                codebook=codebook,
            )
        path = Path(path)
        check_new_folder(path)
        toml = {"name": name or path.name, "organisation": organisation or "", **(settings or {})}
        with building(path, replace=False) as staging:
            for sub in ("maps", "reports"):
                (staging / sub).mkdir()
            (staging / SETTINGS_FILE).write_text(
                render_toml(toml, scales=DEFAULT_SCALES), encoding="utf-8"
            )
            engagement = cls.open(staging)
            if starter_codebook and starter not in (None, "none"):
                engagement.import_frame(
                    load_starter_codebook(starter),
                    table="codebook",
                    source=f"{STARTER_SOURCE} ({starter})",
                )
            if codebook is not None:
                engagement.import_file(codebook, table="codebook", keep_starter=True)
            if fill is not None:
                fill(engagement)
        return cls.open(path)

    @classmethod
    def open(cls, path: str | Path) -> Engagement:
        """Open an engagement folder, creating or migrating its store as needed.

        Raises
        ------
        StoreError
            Not an engagement folder, a damaged settings file, a store made by a newer
            toolkit, or a store that is not an SQLite database.
        """
        path = Path(path)
        if not path.is_dir():
            raise StoreError(
                f"{path}: no such engagement folder. Create one with: service-toolkit init {path}"
            )
        settings = load_settings(path / SETTINGS_FILE, scales=DEFAULT_SCALES)
        engagement = _backend(cls, settings)(path, settings)
        engagement._prepare_store()
        return engagement

    @property
    def store_path(self) -> Path:
        return self.path / STORE_FILE

    @property
    def name(self) -> str:
        return self.settings_data.get("name") or self.path.name

    @property
    def settings(self) -> dict:
        """The ``[settings]`` of engagement.toml, filled in with defaults."""
        return self.settings_data["settings"]

    def _choose_journal(self) -> None:
        forced = os.environ.get(JOURNAL_ENV, "").strip().lower()
        if forced in ("wal", "delete"):
            self._journal = forced
            return
        reason = _looks_networked(self.path)
        if reason:
            self._journal = "delete"
            self.journal_note = (
                f"{self.path}: {reason}, where SQLite's write-ahead log is unsafe; "
                "the store uses a rollback journal instead (slower with several users)."
            )
            warnings.warn(self.journal_note, stacklevel=3)

    def _connect(self) -> sqlite3.Connection:
        try:
            _create_private(self.store_path)
            con = sqlite3.connect(
                self.store_path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
            for pragma in connection_pragmas(self._journal):
                con.execute(pragma)
        except sqlite3.DatabaseError as err:
            raise StoreError(
                f"{self.store_path}: cannot be opened as the engagement's store ({err}). "
                "If it was damaged, restore it from a backup."
            ) from err
        except OSError as err:
            raise StoreError(
                f"{self.store_path}: the store cannot be created ({err.strerror}). Check that "
                "the folder exists and that you may write to it."
            ) from err
        return con

    def _prepare_store(self) -> None:
        self._choose_journal()
        con = self._connect()
        try:
            try:
                mode = con.execute(f"PRAGMA journal_mode = {self._journal}").fetchone()[0]
                version = con.execute("PRAGMA user_version").fetchone()[0]
            except sqlite3.DatabaseError as err:
                raise StoreError(
                    f"{self.store_path}: is not an SQLite database the toolkit can read ({err}). "
                    "Restore it from a backup, or move it away and start again."
                ) from err
            if mode.lower() != self._journal:
                self._journal = mode.lower()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.store_path}: was written by a newer version of the toolkit "
                    f"(store schema {version}; this toolkit {_toolkit_version()} knows up to "
                    f"{SCHEMA_VERSION}). Upgrade: pip install -U service-strategy-toolkit"
                )
            if version < SCHEMA_VERSION:
                self._migrate(con, version)
        finally:
            con.close()

    def _migrate(self, con: sqlite3.Connection, version: int) -> None:
        if version > 0:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            backup = self.path / f"{STORE_FILE}.v{version}-{stamp}.bak"
            _create_private(backup)
            target = sqlite3.connect(backup)
            with target:
                con.backup(target)
            target.close()
        con.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            current = con.execute("PRAGMA user_version").fetchone()[0]
            # A new store's tables are made as the schema is now: a metric registered
            # (toolkit.schema.register_metric) before the store is made is in its checks.
            for step in [_create_sql(), *MIGRATIONS[1:]][current:]:
                for statement in step:
                    statement(con) if callable(statement) else con.execute(statement)
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    # -- transactions -----------------------------------------------------------

    def keep_connection(self) -> None:
        """Keep a connection open between transactions, for a long-lived page (the
        planner forms) that makes many small ones.

        Each transaction otherwise opens a connection and closes it; closing the last
        one copies the write-ahead log into the store and deletes it, on a busy disk
        more than a form's whole Save costs. One connection is kept per engagement,
        for the thread and process that made it.
        """
        self._keeping = True

    def _store_file(self) -> tuple[int, int] | None:
        """The store file's identity (device, inode); None when it is not there."""
        try:
            found = os.stat(self.store_path)
        except OSError:
            return None
        return found.st_dev, found.st_ino

    def close(self) -> None:
        """Close the connection kept between transactions (:meth:`keep_connection`), if
        any; the next transaction opens one again. Also done when the engagement is
        collected. A connection kept by another thread is left to be collected (SQLite's
        connections belong to their thread).
        """
        with self._kept_lock:
            kept, self._kept = self._kept, None
        if kept is not None:
            with contextlib.suppress(sqlite3.Error):
                kept[1].close()

    def __del__(self):
        with contextlib.suppress(Exception):
            self.close()

    def _take(self) -> sqlite3.Connection:
        owner = (threading.get_ident(), os.getpid())
        with self._kept_lock:
            kept = self._kept if self._kept is not None and self._kept[0] == owner else None
            if kept is not None:
                self._kept = None
        if kept is not None:
            _, con, file = kept
            # A store rebuilt or restored in the folder since (`demo` again, a backup put
            # back) is a new file: the kept connection would write to the old one.
            if file is not None and file == self._store_file():
                self._files[id(con)] = file
                return con
            con.close()
        con = self._connect()
        self._files[id(con)] = self._store_file()
        return con

    def _give_back(self, con: sqlite3.Connection) -> None:
        owner = (threading.get_ident(), os.getpid())
        file = self._files.pop(id(con), None)
        keep = (
            self._keeping
            and self._journal == "wal"  # a networked folder's store is opened afresh
            and id(con) not in self._bulk
            and not con.in_transaction
            and not _shadowed(con)
        )
        if keep:
            with self._kept_lock:
                keep = self._kept is None
                if keep:
                    self._kept = (owner, con, file)
        if not keep:
            self._bulk.discard(id(con))
            con.close()

    @contextlib.contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: everything inside lands together or not at all.

        Waits (up to two minutes) for another writer instead of failing.
        """
        if self.write_guard is not None:
            self.write_guard()
        con = self._take()
        try:
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as err:
                raise StoreError(
                    f"{self.store_path}: another program kept the store locked for over "
                    f"{BUSY_TIMEOUT_MS // 1000} seconds ({err}). Try again when it has finished."
                ) from err
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            self._give_back(con)

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees one snapshot of the store."""
        con = self._take()
        try:
            con.execute("BEGIN")
            try:
                yield con
            finally:
                con.execute("COMMIT")
        finally:
            self._give_back(con)

    # -- reading ---------------------------------------------------------------

    def attribute_columns(self, table: str, con: sqlite3.Connection | None = None) -> pd.DataFrame:
        """The attribute columns a table has gained from imports, with their personal flag.

        Columns: ``column``; ``personal`` (bool); ``kind`` (``direct``, ``quasi`` or blank)
        and ``reason`` (why, as the import summary words it; :mod:`toolkit.schema.personal`).
        """
        query = (
            "SELECT column_name, personal, personal_reason FROM attributes "
            "WHERE table_name = ? ORDER BY rowid"
        )
        with contextlib.nullcontext(con) if con else self.reading() as c:
            rows = c.execute(query, (table_named(table).name,)).fetchall()
        kinds = {0: "", 1: QUASI, 2: DIRECT}
        return pd.DataFrame(
            [(c, bool(level), kinds[level], reason) for c, level, reason in rows],
            columns=["column", "personal", "kind", "reason"],
        ).astype({"personal": bool})

    def personal_columns(
        self, tables: Iterable[str] | None = None, con: sqlite3.Connection | None = None
    ) -> dict[str, PersonalFlag]:
        """The personal attribute columns of ``tables`` (default: all), each with its flag.

        A column personal in several tables gets its strictest flag.
        """
        query = (
            "SELECT column_name, personal, personal_reason, personal_by FROM attributes "
            "WHERE table_name = ? AND personal > 0 ORDER BY rowid"
        )
        found: dict[str, PersonalFlag] = {}
        with contextlib.nullcontext(con) if con else self.reading() as c:
            for table in tables or LOAD_ORDER:
                for column, level, reason, by in c.execute(query, (table_named(table).name,)):
                    flag = PersonalFlag.from_level(level, reason, by)
                    found[column] = stricter(found.get(column), flag)
        return found

    def table(
        self,
        name: str,
        *,
        include_personal: bool = False,
        con=None,
        row_ids: bool = False,
        labels: bool = False,
    ) -> pd.DataFrame:
        """Read one canonical table: its fields, then its attribute columns.

        Dates come back as datetimes, ratings as nullable integers. Attribute columns
        that identify people are left out unless ``include_personal`` is true.
        ``row_ids`` adds each row's entry number first, as column ``entry``. ``segment``
        is the group each row's label counts in, read through the crosswalk
        (:meth:`crosswalk`), unless ``labels`` asks for the labels as imported.
        """
        table = table_named(name)
        with contextlib.nullcontext(con) if con else self.reading() as c:
            walk = self._crosswalk_for(table, labels, c)
            attrs = self.attribute_columns(table.name, c)
            if not include_personal:
                attrs = attrs[~attrs["personal"]]
            columns = list(table.field_names) + list(attrs["column"])
            select = ", ".join(_quote(col) for col in columns)
            if row_ids:
                select = "_tk_row, " + select
            counted = _stored_rows(c, table.name)
            cursor = c.execute(f"SELECT {select} FROM {_quote(table.name)} ORDER BY _tk_row")
            with _collector_paused():
                frame = _columns_frame(cursor, (["entry"] if row_ids else []) + columns, counted)
            declared = {r[1]: r[2] for r in c.execute(f"PRAGMA table_info({_quote(table.name)})")}
        for column in attrs["column"]:
            if declared.get(column) == "INTEGER":  # whole numbers stay whole despite blanks
                numbers = pd.to_numeric(frame[column], errors="coerce")
                if numbers.count() == frame[column].count() and (numbers.dropna() % 1 == 0).all():
                    frame[column] = numbers.astype("Int64")
            elif declared.get(column) == "REAL":
                frame[column] = _numbers(frame[column], field=False)
        for f in table.fields:
            column = frame[f.name]
            if f.kind == "integer":
                frame[f.name] = column.astype("Int64")
            elif f.kind == "number":
                frame[f.name] = _numbers(column, field=True)
            elif f.kind in ("date", "datetime"):
                frame[f.name] = pd.to_datetime(column, format="ISO8601")
        return _read_segments(frame, walk)

    def _crosswalk_for(self, table: Table, labels: bool, con) -> Crosswalk | None:
        """The crosswalk a read of ``table`` goes through (None: it keeps the labels)."""
        if labels or "segment" not in table.field_names:
            return None
        return self._crosswalk_aliases(con)

    def read_tables(
        self,
        names=None,
        *,
        include_personal: bool = False,
        con: sqlite3.Connection | None = None,
        subset: Mapping | None = None,
        rows: Mapping[str, Mapping[str, Sequence]] | None = None,
        blank: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, pd.DataFrame]:
        """Read several tables in one read transaction, so they agree with each other.

        Parameters
        ----------
        names : sequence of str, optional
            The tables (default: all of them).
        include_personal : bool
            Keep the attribute columns that identify people.
        con : optional
            A read transaction from :meth:`reading`, to read inside it.
        subset : mapping, optional
            ``{column: value or list}``: keep only the rows :func:`apply_subset` keeps.
            Each table is first narrowed in the store (text columns only, blank cells
            kept for the exact rule to decide), so a report on one campus of a million
            responses reads that campus's rows only; the exact rule then applies.
        rows : mapping, optional
            ``{table: {column: [values]}}``: read only the rows holding these values.
        blank : mapping, optional
            ``{table: [columns]}``: columns read as empty (cheaper than reading them).

        Raises
        ------
        DataValidationError
            ``subset`` is not a mapping.
        """
        subset = check_subset(subset)
        rows, blank = dict(rows or {}), dict(blank or {})
        names = list(names or TABLES)
        with contextlib.nullcontext(con) if con else self.reading() as c:
            narrowed = []
            try:
                for given in names:
                    name = table_named(given).name
                    where = self._narrowing(c, name, subset, rows.get(given) or rows.get(name))
                    empty = set(blank.get(given) or blank.get(name) or ())
                    if not where and not empty:
                        continue
                    columns = [r[1] for r in c.execute(f"PRAGMA main.table_info({_quote(name)})")]
                    select = ", ".join(
                        f"NULL AS {_quote(col)}" if col in empty else _quote(col) for col in columns
                    )
                    # A temporary view of the same name, on this connection only, shadows
                    # the table while it is read.
                    c.execute(
                        f"CREATE TEMP VIEW {_quote(name)} AS SELECT {select} FROM main.{_quote(name)}"
                        + (f" WHERE {where}" if where else "")
                    )
                    narrowed.append(name)
                data = {
                    table_named(n).name: self.table(n, include_personal=include_personal, con=c)
                    for n in names
                }
            finally:
                for name in narrowed:
                    c.execute(f"DROP VIEW temp.{_quote(name)}")
        return apply_subset(data, subset)

    @staticmethod
    def _narrowing(con, table: str, subset: dict, rows: Mapping | None) -> str:
        """SQL keeping at least the rows of ``table`` that ``subset`` and ``rows`` keep."""
        clauses = []
        if subset and "segment" in subset:
            walk = Engagement._crosswalk_aliases(con)
            wanted = {label_key(v) for v in subset_values(subset["segment"])}
            labels = [
                written
                for key, written in walk.alias_labels.items()
                if label_key(walk.resolve(written)) in wanted
            ]
            if labels:
                subset = {**subset, "segment": subset_values(subset["segment"]) + labels}
        if subset:
            declared = {
                r[1]: str(r[2]).upper()
                for r in con.execute(f"PRAGMA main.table_info({_quote(table)})")
            }
            clauses.append(
                _subset_sql(subset, declared, binary=isinstance(con, sqlite3.Connection))
            )
        for column, values in (rows or {}).items():
            listed = ", ".join(_sql_text(v) for v in values)
            clauses.append(f"{_quote(str(column))} IN ({listed})")
        return " AND ".join(c for c in clauses if c)

    def distinct_values(
        self, table: str, column: str, *, con: sqlite3.Connection | None = None
    ) -> list:
        """The different values (blanks aside) one column of a table holds, each once.

        In no particular order; the column must exist. ``segment`` gives the segments
        its labels count in (through the crosswalk), as :meth:`table` reads them.
        """
        spec = table_named(table)
        with contextlib.nullcontext(con) if con else self.reading() as c:
            quoted = _quote(str(column))
            values = [
                r[0]
                for r in c.execute(
                    f"SELECT DISTINCT {quoted} FROM main.{_quote(spec.name)} WHERE {quoted} IS NOT NULL"
                )
            ]
            walk = self._crosswalk_for(spec, column != "segment", c)
        if walk is None or not walk.aliases:
            return values
        groups = {}
        for value in values:
            group = walk.resolve(value)
            groups.setdefault(label_key(group or ""), group or value)
        return list(groups.values())

    customers = property(lambda self: self.table("customers"), doc="The customer register.")
    service_links = property(lambda self: self.table("service_links"), doc="Who serves whom.")
    assumed_needs = property(lambda self: self.table("assumed_needs"), doc="Needs staff assume.")
    stated_needs = property(lambda self: self.table("stated_needs"), doc="Needs customers stated.")
    codebook = property(lambda self: self.table("codebook"), doc="The need categories.")
    responses = property(lambda self: self.table("responses"), doc="Satisfaction scores.")
    events = property(lambda self: self.table("events"), doc="Changes customers might react to.")
    actions = property(lambda self: self.table("actions"), doc="What was decided about needs.")
    outreach = property(lambda self: self.table("outreach"), doc="How customers were asked.")

    # -- segments -----------------------------------------------------------------

    @staticmethod
    def _crosswalk_aliases(con: sqlite3.Connection) -> Crosswalk:
        """The aliases alone (no declared segments), as a :class:`Crosswalk`."""
        return Crosswalk.build(con.execute("SELECT label, segment FROM segment_aliases"))

    def crosswalk(self, con: sqlite3.Connection | None = None) -> Crosswalk:
        """The engagement's segment crosswalk (:mod:`toolkit.schema.segments`).

        Its declared segments are engagement.toml's ``[settings.segments] order``, then
        the customer register's segments in register order; its aliases are the
        ``segment_aliases`` a person set with the ``segments`` command or the forms.
        """
        with contextlib.nullcontext(con) if con else self.reading() as c:
            rows = c.execute("SELECT label, segment FROM segment_aliases").fetchall()
            register = [
                r[0]
                for r in c.execute(
                    "SELECT segment FROM main.customers WHERE trim(coalesce(segment, '')) != '' "
                    "GROUP BY segment ORDER BY min(_tk_row)"
                )
            ]
        order = self.settings["segments"].get("order", [])
        return Crosswalk.build(rows, [*order, *register])

    @staticmethod
    def _segment_labels(con: sqlite3.Connection) -> list[str]:
        """Every label the rows carry, each once, in the order they arrived.

        The ``segments`` table keeps them: an import and a form entry add their new
        labels, and whatever takes rows out (a correction, a deletion, a removed or
        replaced import) takes out the labels no row carries any more
        (:func:`_prune_segments`), so reading them never scans the tables.
        """
        return [r[0] for r in con.execute("SELECT name FROM segments ORDER BY position")]

    def segments(self, con: sqlite3.Connection | None = None) -> list[str]:
        """The engagement's segments, each once, read through the crosswalk.

        The canonical segments first (engagement.toml's order, the register's, the
        targets of aliases), then the groups of labels no alias maps yet, as they
        arrived. Only groups some row, setting or alias names: a label whose rows were
        all corrected or deleted is gone.
        """
        with contextlib.nullcontext(con) if con else self.reading() as c:
            walk = self.crosswalk(c)
            present = self._segment_labels(c)
        out: dict[str, str] = {}
        for name in [*walk.canonical(), *present]:
            group = walk.resolve(name)
            if group:
                out.setdefault(label_key(group), group)
        return list(out.values())

    def segment_summary(self, con: sqlite3.Connection | None = None) -> pd.DataFrame:
        """Every segment with the labels read as it and their rows in each table.

        One row per label (a canonical segment with no rows of its own has one too):
        ``segment`` (the group it counts in), ``label``, ``mapped`` (``segment`` for a
        canonical segment's own label, ``alias`` for a label mapped by an alias,
        ``unmapped`` for a label no alias maps that is not canonical), ``set_by`` and
        ``set_on`` (the alias's), then one column of row counts per table with a
        ``segment`` column (``customers``, ``assumed-needs``, …). Groups in
        :meth:`segments` order.
        """
        with contextlib.nullcontext(con) if con else self.reading() as c:
            walk = self.crosswalk(c)
            groups = self.segments(c)
            counts = {
                t.cli_name: {
                    label: n
                    for label, n in c.execute(
                        f"SELECT segment, count(*) FROM {_quote(t.name)} "
                        "WHERE trim(coalesce(segment, '')) != '' GROUP BY segment"
                    )
                }
                for t in _SEGMENT_TABLES
            }
            set_info = {
                label_key(label): (by, on)
                for label, by, on in c.execute("SELECT label, set_by, set_on FROM segment_aliases")
            }
            present = self._segment_labels(c)
        canonical = {label_key(s) for s in walk.canonical()}
        labels: dict[str, str] = {}
        counted = [label for found in counts.values() for label in found]
        for name in [*groups, *walk.alias_labels.values(), *present, *counted]:
            labels.setdefault(label_key(name), name)
        rows = []
        for key, label in labels.items():
            group = walk.resolve(label)
            aliased = key in walk.aliases and label_key(group) != key
            mapped = "alias" if aliased else ("segment" if key in canonical else "unmapped")
            by, on = set_info.get(key, ("", ""))
            tallies = {
                table: sum(n for lab, n in found.items() if label_key(lab) == key)
                for table, found in counts.items()
            }
            rows.append(
                {
                    "segment": group,
                    "label": label,
                    "mapped": mapped,
                    "set_by": by,
                    "set_on": on,
                    **tallies,
                }
            )
        frame = pd.DataFrame(
            rows, columns=["segment", "label", "mapped", "set_by", "set_on", *counts]
        )
        rank = {label_key(g): i for i, g in enumerate(groups)}
        frame["_rank"] = frame["segment"].map(lambda g: rank.get(label_key(g), len(rank)))
        frame["_own"] = frame["mapped"] == "alias"
        frame = frame.sort_values(["_rank", "_own"], kind="stable")
        return frame.drop(columns=["_rank", "_own"]).reset_index(drop=True)

    def _known_label(self, con, label: str, what: str) -> str:
        """``label`` spelled as the engagement knows it; refused when nobody used it."""
        walk = self.crosswalk(con)
        seen = [*walk.canonical(), *walk.alias_labels.values(), *self._segment_labels(con)]
        for name in seen:
            if label_key(name) == label_key(label):
                return name
        listed = ", ".join(f'"{s}"' for s in dict.fromkeys(seen)) or "none yet"
        raise DataValidationError(
            f'segments: "{tidy_label(label)}" is not a segment or label of this engagement '
            f"({what}). The labels are: {listed}. Check the spelling (see service-toolkit "
            f"segments {self.path})."
        )

    def _write_alias(self, con, label: str, segment: str, set_by: str) -> None:
        walk = self.crosswalk(con)
        if label_key(label) != label_key(segment) and label_key(walk.resolve(segment)) == label_key(
            label
        ):
            raise DataValidationError(
                f'segments: "{segment}" already counts as "{label}", so "{label}" cannot count '
                f'as "{segment}". Remove that alias first: service-toolkit segments {self.path} '
                f'--remove-alias "{segment}"'
            )
        con.execute(
            "INSERT OR REPLACE INTO segment_aliases (label, segment, set_by, set_on) "
            "VALUES (?, ?, ?, ?)",
            (label, segment, set_by, _now()),
        )

    def _rows_in(self, con, segment: str) -> int:
        """How many rows, over every table, are read as ``segment``."""
        walk = self.crosswalk(con)
        total = 0
        for t in _SEGMENT_TABLES:
            for label, n in con.execute(
                f"SELECT segment, count(*) FROM {_quote(t.name)} GROUP BY segment"
            ):
                if label is not None and label_key(walk.resolve(label) or "") == label_key(segment):
                    total += n
        return total

    def alias_segment(self, label: str, segment: str, *, set_by: str = "person") -> dict:
        """Map ``label`` to the existing group ``segment``, in one transaction.

        Every row carrying ``label`` (past imports and entries too) is read as
        ``segment`` from then on; :meth:`remove_segment_alias` undoes it. An alias to
        itself confirms a label as a group of its own. Returns ``label``, ``segment``
        and ``rows`` (how many rows the group now holds).

        Raises
        ------
        DataValidationError
            ``label`` or ``segment`` is not a label of the engagement, or the alias
            would go round in a circle.
        """
        with self.writing() as con:
            label = self._known_label(con, label, "the label to map")
            segment = self._known_label(con, segment, "the segment to map it to")
            self._write_alias(con, label, segment, set_by)
            group = self.crosswalk(con).resolve(segment)
            return {"label": label, "segment": group, "rows": self._rows_in(con, group)}

    def merge_segments(self, labels: Sequence[str], into: str, *, set_by: str = "person") -> dict:
        """Map every label of ``labels`` to ``into`` (a group, or a new name), all at once.

        Returns ``labels`` (as spelled in the store), ``segment`` and ``rows``.
        """
        if not labels:
            raise DataValidationError("segments --merge: name at least one label to merge.")
        with self.writing() as con:
            target = tidy_label(into)
            if not target:
                raise DataValidationError("segments --into: give the segment to merge into.")
            with contextlib.suppress(DataValidationError):
                target = self._known_label(con, target, "")
            found = [self._known_label(con, label, "a label to merge") for label in labels]
            for label in found:
                self._write_alias(con, label, target, set_by)
            group = self.crosswalk(con).resolve(target)
            return {"labels": found, "segment": group, "rows": self._rows_in(con, group)}

    def rename_segment(self, old: str, new: str, *, set_by: str = "person") -> dict:
        """Give the group ``old`` the new name ``new`` (an alias of ``old`` to ``new``).

        Every label read as ``old`` is read as ``new``; :meth:`remove_segment_alias`
        of ``old`` undoes it. Returns ``old``, ``segment`` and ``rows``.

        Raises
        ------
        DataValidationError
            ``old`` is not a group (an unknown label, or an alias of another group), or
            ``new`` is already a label (merge into it instead).
        """
        with self.writing() as con:
            old = self._known_label(con, old, "the segment to rename")
            walk = self.crosswalk(con)
            if label_key(walk.resolve(old)) != label_key(old):
                raise DataValidationError(
                    f'segments --rename: "{old}" is an alias of "{walk.resolve(old)}"; rename '
                    f'"{walk.resolve(old)}" instead, or map "{old}" elsewhere with --alias.'
                )
            new = tidy_label(new)
            taken = None
            with contextlib.suppress(DataValidationError):
                taken = self._known_label(con, new, "")
            if not new or (taken is not None and label_key(taken) != label_key(old)):
                raise DataValidationError(
                    f'segments --rename: "{new}" is already a segment or label of this '
                    f'engagement. To put "{old}" into it, use: service-toolkit segments '
                    f'{self.path} --merge "{old}" --into "{new}"'
                )
            self._write_alias(con, old, new, set_by)
            return {"old": old, "segment": new, "rows": self._rows_in(con, new)}

    def remove_segment_alias(self, label: str) -> dict:
        """Take ``label``'s alias away: its rows count as their own group again.

        Returns ``label``, ``segment`` (the group it counted in) and ``rows`` (the rows
        carrying the label, or read through it).
        """
        with self.writing() as con:
            row = con.execute(
                "SELECT label, segment FROM segment_aliases WHERE label = ?", (tidy_label(label),)
            ).fetchone()
            if row is None:
                walk = self.crosswalk(con)
                listed = ", ".join(f'"{a}"' for a in walk.alias_labels.values()) or "none"
                raise DataValidationError(
                    f'segments --remove-alias: "{tidy_label(label)}" has no alias (the labels '
                    f"with one: {listed})."
                )
            was = self.crosswalk(con).resolve(row[0])
            con.execute("DELETE FROM segment_aliases WHERE label = ?", (row[0],))
            return {"label": row[0], "segment": was, "rows": self._rows_in(con, row[0])}

    def imports(self) -> pd.DataFrame:
        """Every import, newest last, with its counts and status."""
        with self.reading() as con:
            frame = _read_sql("SELECT * FROM imports ORDER BY import_id", con)
        frame["table_name"] = frame["table_name"].str.replace("_", "-")
        return frame

    def status(self) -> dict:
        """Row counts per table, the import history and how the store is set up."""
        with self.reading() as con:
            counts = {
                t.cli_name: con.execute(f"SELECT count(*) FROM {_quote(t.name)}").fetchone()[0]
                for t in TABLES.values()
            }
            imports = con.execute(
                "SELECT import_id, table_name, file_name, rows_added, rows_excluded, imported_at, status "
                "FROM imports ORDER BY import_id"
            ).fetchall()
            personal = con.execute(
                "SELECT table_name, column_name, personal, personal_reason FROM attributes "
                "WHERE personal > 0 ORDER BY rowid"
            ).fetchall()
        return {
            "engagement": self.name,
            "organisation": self.settings_data.get("organisation", ""),
            "path": str(self.path),
            "schema_version": SCHEMA_VERSION,
            "journal_mode": self._journal,
            "tables": counts,
            "segments": self.segments(),
            "personal": [
                {
                    "table": t.replace("_", "-"),
                    "column": c,
                    "kind": PersonalFlag.from_level(level, "", "").kind,
                    "reason": reason,
                }
                for t, c, level, reason in personal
            ],
            "saved_by": self.saved_by_person(),
            "imports": [
                dict(
                    zip(
                        [
                            "import_id",
                            "table",
                            "file",
                            "rows_added",
                            "rows_excluded",
                            "imported_at",
                            "status",
                        ],
                        (i, t.replace("_", "-"), f, a, e, at, s),
                        strict=True,
                    )
                )
                for i, t, f, a, e, at, s in imports
            ],
        }

    def saved_by_person(self) -> list[dict]:
        """Entries saved in the forms per person and table, with the last save's time.

        Imported rows (no ``saved_by``) are not counted; a save with no name known is
        under ``""``. Ordered by person, then table.
        """
        rows = []
        with self.reading() as con:
            for t in TABLES.values():
                rows += [
                    {"person": who, "table": t.cli_name, "entries": n, "last_saved_at": last}
                    for who, n, last in con.execute(
                        f"SELECT saved_by, count(*), max(saved_at) FROM {_quote(t.name)} "
                        "WHERE saved_by IS NOT NULL GROUP BY saved_by"
                    )
                ]
        return sorted(rows, key=lambda r: (r["person"], r["table"]))

    # -- planners' accounts (forms --team) ----------------------------------------

    def planners(self) -> list[dict]:
        """The planners who may sign in to the forms: name, created_at, changed_at."""
        with self.reading() as con:
            rows = con.execute(
                "SELECT name, created_at, changed_at FROM planners ORDER BY name"
            ).fetchall()
        return [dict(zip(("name", "created_at", "changed_at"), r, strict=True)) for r in rows]

    def planner_hash(self, name: str) -> str | None:
        """The stored password hash of planner ``name``, None when there is no such planner."""
        with self.reading() as con:
            row = con.execute(
                "SELECT password_hash FROM planners WHERE name = ?", (name,)
            ).fetchone()
        return row[0] if row else None

    def set_planner(self, name: str, password_hash: str, *, new: bool) -> None:
        """Add planner ``name`` (``new``) or change their password hash, in one transaction.

        Raises
        ------
        DataValidationError
            Adding a name already there, or changing one that is not.
        """
        now = _now()
        with self.writing() as con:
            there = con.execute("SELECT 1 FROM planners WHERE name = ?", (name,)).fetchone()
            if new and there:
                raise DataValidationError(
                    f'There is already a planner named "{name}". Choose another name, or '
                    "give them a new password with reset-password."
                )
            if not new and not there:
                raise DataValidationError(self._no_planner(con, name))
            if new:
                con.execute(
                    "INSERT INTO planners (name, password_hash, created_at, changed_at) "
                    "VALUES (?, ?, ?, ?)",
                    (name, password_hash, now, now),
                )
            else:
                con.execute(
                    "UPDATE planners SET password_hash = ?, changed_at = ? WHERE name = ?",
                    (password_hash, now, name),
                )

    def remove_planner(self, name: str) -> None:
        """Remove planner ``name``: they can no longer sign in (what they saved stays)."""
        with self.writing() as con:
            if con.execute("DELETE FROM planners WHERE name = ?", (name,)).rowcount != 1:
                raise DataValidationError(self._no_planner(con, name))

    @staticmethod
    def _no_planner(con, name: str) -> str:
        names = [r[0] for r in con.execute("SELECT name FROM planners ORDER BY name")]
        known = f"The planners are: {', '.join(names)}." if names else "There are none yet."
        return f'There is no planner named "{name}". {known}'

    def fingerprint(self, names=None, *, con: sqlite3.Connection | None = None) -> str:
        """A short hash of the tables' contents, to show which data a report used."""
        digest = hashlib.sha256()
        with contextlib.nullcontext(con) if con else self.reading() as c:
            for name in [table_named(n).name for n in (names or TABLES)]:
                count, last = c.execute(
                    f"SELECT count(*), max(_tk_row) FROM {_quote(name)}"
                ).fetchone()
                imports = c.execute(
                    "SELECT group_concat(sha256) FROM imports WHERE table_name = ? AND status = 'active'",
                    (name,),
                ).fetchone()[0]
                digest.update(f"{name}:{count}:{last}:{imports}".encode())
            aliases = c.execute(
                "SELECT group_concat(label || '=' || segment, ';') FROM "
                "(SELECT label, segment FROM segment_aliases ORDER BY label) AS aliases"
            ).fetchone()[0]
            if aliases:  # a merge changes what every by-segment table says
                digest.update(f"segment_aliases:{aliases}".encode())
        return digest.hexdigest()[:12]

    def snapshot(
        self, names=None, *, include_personal: bool = False, **narrowing
    ) -> tuple[dict[str, pd.DataFrame], str]:
        """Read tables and their fingerprint in one read transaction: they always agree.

        ``narrowing`` takes :meth:`read_tables`' ``subset``, ``rows`` and ``blank``; the
        fingerprint is always over the whole tables.
        """
        with self.reading() as con:
            fingerprint = self.fingerprint(names, con=con)
            tables = self.read_tables(
                names, include_personal=include_personal, con=con, **narrowing
            )
        return tables, fingerprint

    # -- writing ---------------------------------------------------------------

    def known(self, con: sqlite3.Connection | None = None):
        """What a row may refer to: stored customer ids, codes, segments and scales.

        Returns a :class:`toolkit.schema.checks.Known`, for the checks of an import
        or a form entry.
        """
        scales = {m: tuple(v) for m, v in self.settings["scales"].items()}
        with contextlib.nullcontext(con) if con else self.reading() as c:
            return Known(
                customer_ids=set(self.distinct_values("customers", "customer_id", con=c)),
                codes=set(self.distinct_values("codebook", "code", con=c)),
                segments=self._all_labels(c),
                crosswalk=self.crosswalk(c),
                scales=scales,
            )

    def _all_labels(self, con: sqlite3.Connection) -> list[str]:
        """Every label and segment the engagement knows, for spelling a new one alike."""
        walk = self.crosswalk(con)
        names: dict[str, str] = {}
        for name in [*walk.canonical(), *walk.alias_labels.values(), *self._segment_labels(con)]:
            names.setdefault(label_key(name), name)
        return list(names.values())

    def import_file(self, file: str | Path, **options) -> ImportResult:
        """Import a filled template or a survey tool's export (CSV or XLSX).

        Hands off to :func:`toolkit.sources.importer.import_file` (file -> detect ->
        map -> check -> store), which takes the same keyword arguments and documents
        them; the rows that pass land through :meth:`land`. The import is made inside
        this method (a function-level import) because the importer sits above the
        store: this and :meth:`import_frame` are the store's only hand-offs upward.
        """
        from toolkit.sources.importer import import_file

        return import_file(self, file, **options)

    def import_frame(self, frame: pd.DataFrame, *, table: str, **options) -> ImportResult:
        """Import a DataFrame whose columns are canonical fields (and attributes).

        Hands off to :func:`toolkit.sources.importer.import_frame` (a function-level
        import, as for :meth:`import_file`), which takes the same keyword arguments
        (``source``, ``replace``, ``skip_invalid``, ``dry_run``) and documents them:
        exactly the checks of an imported file, with ``source`` as the file name in
        messages and the import history. Importing the same data twice adds nothing.
        """
        from toolkit.sources.importer import import_frame

        return import_frame(self, frame, table=table, **options)

    def earlier_imports(self, table: str, sha: str, file_name: str) -> list[tuple[int, str, str]]:
        """The active imports into ``table`` of the same content or file name.

        Returns ``(import_id, sha256, file_name)`` for each, oldest first.
        """
        with self.reading() as con:
            return con.execute(
                "SELECT import_id, sha256, file_name FROM imports WHERE table_name = ? "
                "AND status = 'active' AND (sha256 = ? OR file_name = ?) ORDER BY import_id",
                (table_named(table).name, sha, file_name),
            ).fetchall()

    def stored_values(
        self,
        table: str,
        column: str,
        values: pd.Series,
        *,
        excluding: Sequence[int] = (),
        con: sqlite3.Connection | None = None,
    ) -> set:
        """Which of ``values`` the column already holds (rows of ``excluding`` imports aside).

        The values travel to the store once, as a temporary table joined in SQL, so
        checking a million incoming ids costs one query.
        """
        spec = table_named(table)
        filled = values[values.notna()]
        if filled.empty:
            return set()
        exclude = ""
        if excluding:
            listed = ",".join(str(int(i)) for i in excluding)
            exclude = f" AND (t._tk_import IS NULL OR t._tk_import NOT IN ({listed}))"
        with contextlib.nullcontext(con) if con else self.reading() as c:
            if c.execute(f"SELECT 1 FROM {_quote(spec.name)} LIMIT 1").fetchone() is None:
                return set()  # nothing stored yet, so nothing to collide with
            c.execute("CREATE TEMP TABLE IF NOT EXISTS _incoming (value TEXT)")
            c.execute("DELETE FROM _incoming")
            unique = pd.Series(pd.unique(filled), dtype=object)
            c.execute(
                "INSERT INTO _incoming SELECT value FROM json_each(?)",
                (unique.to_json(orient="values", force_ascii=False),),
            )
            quoted = _quote(column)
            present = {
                r[0]
                for r in c.execute(
                    f"SELECT DISTINCT t.{quoted} FROM _incoming i "
                    f"JOIN {_quote(spec.name)} t ON t.{quoted} = i.value" + exclude
                )
            }
            c.execute("DELETE FROM _incoming")
        return present

    def land(
        self,
        table: str,
        landing: pd.DataFrame,
        result: ImportResult,
        *,
        attributes: Sequence[str] = (),
        personal: Mapping[str, PersonalFlag] | None = None,
        new_segments: Sequence[str] = (),
        replacing: Sequence[int] = (),
    ) -> None:
        """Land checked rows and their import record, all or nothing, in one transaction.

        The importer (:mod:`toolkit.sources.importer`) calls this once the rows passed
        every check. In the same transaction the rows of the ``replacing`` imports are
        taken out, keys are checked again against what landed meanwhile (a taken key
        refuses the whole import; rows whose source id arrived meanwhile are left out
        and counted in ``result``), new ``attributes`` columns are added (each recorded
        with its flag from ``personal``, which only gets stricter unless a map set it)
        and ``new_segments`` join the list. Sets ``result.import_id``.

        Raises
        ------
        DataValidationError
            Another import took one of the keys meanwhile, the store refused a row, or
            a replacement left other rows referring to rows it took away. Nothing landed.
        """
        spec = table_named(table)
        with self.writing() as con:
            if self._landed_meanwhile(con, spec, result, replacing):
                return
            self._check_room(con, spec, attributes, result.file)
            for pragma in BULK_PRAGMAS:
                con.execute(pragma)
            self._bulk.add(id(con))
            others = replacing
            if spec.name == "codebook":
                others = self._take_out_starter(con, landing, replacing, result)
            self._take_out(con, spec, others)
            landing = self._recheck_keys(con, spec, landing, result)
            import_id = self._record_import(con, spec, result)
            landing, attributes = self._add_attributes(
                con, spec, landing, attributes, personal or {}, import_id
            )
            if new_segments:
                start = con.execute("SELECT coalesce(max(position), 0) FROM segments").fetchone()[0]
                con.executemany(
                    "INSERT OR IGNORE INTO segments (name, position) VALUES (?, ?)",
                    [(s, start + i + 1) for i, s in enumerate(new_segments)],
                )
            self._insert_rows(con, spec, landing, attributes, import_id, result.file)
            if spec.name == "codebook":
                _add_not_a_need(con, import_id)
            if replacing:
                self._check_references(con, spec, result.file)
                self._drop_unused_columns(con, spec, replacing)
                _prune_segments(con)
            result.import_id = import_id

    # -- the codebook: the starter and yours ----------------------------------------

    def untouched_starter(self, con: sqlite3.Connection | None = None) -> int | None:
        """The import id of the starter codebook if the codebook is still exactly it
        (the only codebook import, no row added, changed away or deleted), else None.
        """
        with contextlib.nullcontext(con) if con else self.reading() as c:
            active = c.execute(
                "SELECT import_id, file_name, rows_added FROM imports "
                "WHERE table_name = 'codebook' AND status = 'active'"
            ).fetchall()
            if len(active) != 1 or not active[0][1].startswith(STARTER_SOURCE):
                return None
            import_id, _, rows_added = active[0]
            stored = c.execute(
                "SELECT count(*), count(*) FILTER (WHERE _tk_import IS ?) FROM codebook",
                (import_id,),
            ).fetchone()
        return import_id if stored == (rows_added, rows_added) else None

    @staticmethod
    def _take_out_starter(
        con: sqlite3.Connection, landing: pd.DataFrame, replacing: Sequence[int], result
    ) -> list[int]:
        """Take out a starter codebook the import replaces; returns the other imports.

        A code a person filed statements under stays (the statements refer to it) unless
        the new codebook has it too; ``result.kept_codes`` lists those codes. Codes set
        automatically are cleared: they are coded again against the new codebook.
        """
        marks = ",".join("?" * len(replacing))
        starters = con.execute(
            f"SELECT import_id, file_name, rows_added FROM imports WHERE import_id IN ({marks}) "
            "AND file_name LIKE ? || '%'",
            (*replacing, STARTER_SOURCE),
        ).fetchall()
        if not starters:
            return list(replacing)
        con.execute("PRAGMA defer_foreign_keys = ON")
        _clear_automatic_codes(con)
        incoming = set(landing["code"].dropna())
        for import_id, file_name, rows_added in starters:
            used = _person_codes(con, import_id)
            kept = {code: n for code, n in used.items() if code not in incoming}
            con.execute(
                "DELETE FROM codebook WHERE _tk_import = ? AND code NOT IN "
                "(SELECT value FROM json_each(?))",
                (import_id, json.dumps(sorted(kept))),
            )
            con.execute(
                "UPDATE imports SET status = 'replaced', ended_at = ? WHERE import_id = ?",
                (_now(), import_id),
            )
            result.starter_replaced = _starter_title(file_name)
            result.starter_codes = rows_added
            result.kept_codes.update(kept)
        return [i for i in replacing if i not in {s[0] for s in starters}]

    def _starter_to_restore(self, con: sqlite3.Connection, table: str, removing: int):
        """The starter codebook that removing import ``removing`` brings back: the one
        the codebook replaced, once no other codebook import is left (else None).
        """
        if table != "codebook":
            return None
        others = con.execute(
            "SELECT count(*) FROM imports WHERE table_name = 'codebook' AND status = 'active' "
            "AND import_id != ?",
            (removing,),
        ).fetchone()[0]
        if (
            others
            or con.execute("SELECT 1 FROM codebook WHERE _tk_import IS NULL LIMIT 1").fetchone()
        ):
            return None
        return con.execute(
            "SELECT import_id, file_name FROM imports WHERE table_name = 'codebook' "
            "AND status = 'replaced' AND file_name LIKE ? || '%' ORDER BY import_id DESC LIMIT 1",
            (STARTER_SOURCE,),
        ).fetchone()

    def _restore_starter(self, con: sqlite3.Connection, starter: tuple[int, str]) -> None:
        """Bring a replaced starter codebook back, under its own import, in ``con``'s
        transaction; codes set automatically are coded again against it.
        """
        import_id, file_name = starter
        spec = table_named("codebook")
        book = load_starter_codebook(_starter_named(file_name))
        present = {r[0] for r in con.execute("SELECT code FROM codebook")}
        landing = book.loc[~book["code"].isin(present)].reset_index(drop=True)
        attributes = [c for c in landing.columns if c not in spec.field_names]
        landing, attributes = self._add_attributes(con, spec, landing, attributes, {}, import_id)
        self._insert_rows(con, spec, landing, attributes, import_id, file_name)
        con.execute(
            "UPDATE imports SET status = 'active', ended_at = NULL WHERE import_id = ?",
            (import_id,),
        )
        _clear_automatic_codes(con)

    @staticmethod
    def _landed_meanwhile(
        con: sqlite3.Connection, spec: Table, result: ImportResult, replacing: Sequence[int]
    ) -> bool:
        """The already-imported check again, under the write lock: True if the same
        content landed while this import was being read (a concurrent import of the same
        file), with ``result`` made what a re-import gives. Nothing is then written.
        """
        placeholders = ",".join("?" * len(replacing))
        row = con.execute(
            "SELECT import_id FROM imports WHERE table_name = ? AND sha256 = ? "
            f"AND status = 'active' AND import_id NOT IN ({placeholders}) ORDER BY import_id",
            (spec.name, result.sha256, *replacing),
        ).fetchone()
        if row is None:
            return False
        result.already_imported = row[0]
        result.rows_added = result.rows_excluded = result.rows_skipped = 0
        result.excluded, result.skipped, result.new_segments, result.replaced = {}, [], [], []
        return True

    def check_columns(self, table: str, columns: Sequence[str], *, file: str) -> None:
        """Refuse ``file`` if the columns it would add to ``table`` pass the column limit.

        ``columns`` are the file's attribute columns (those ``table`` already has, in any
        case, add nothing). The importer asks before checking the file's cells; :meth:`land`
        asks again under the write lock, before anything lands.

        Raises
        ------
        DataValidationError
            Too many columns: the message names the file, how many columns it would add,
            how many the table has, the limit and what to do.
        """
        with self.reading() as con:
            self._check_room(con, table_named(table), columns, file)

    @staticmethod
    def _check_room(
        con: sqlite3.Connection, spec: Table, columns: Sequence[str], file: str
    ) -> None:
        stored = [r[1] for r in con.execute(f"PRAGMA table_info({_quote(spec.name)})")]
        adding = {str(c).lower() for c in columns} - {c.lower() for c in stored}
        limit = _column_limit(con)
        if len(stored) + len(adding) <= limit:
            return
        raise DataValidationError(
            f"{file}: would add {len(adding):,} columns to {spec.cli_name}, which has "
            f"{len(stored):,} already; a table can have at most {limit:,} columns. Nothing was "
            "imported. Delete the columns you do not need from the file (or import it through "
            "a map, which keeps only the columns it names), or split it into files of fewer "
            "columns. Removing an earlier import (service-toolkit imports --remove) also "
            "removes the columns only it added."
        )

    @staticmethod
    def _take_out(con: sqlite3.Connection, spec: Table, replacing: Sequence[int]) -> None:
        """Take out the rows of the imports a ``--replace`` import replaces."""
        if replacing:
            # Rows of other tables may refer to the rows being replaced (links to
            # customers, needs to codes): check references once the new rows are in.
            con.execute("PRAGMA defer_foreign_keys = ON")
        for import_id in replacing:
            con.execute(f"DELETE FROM {_quote(spec.name)} WHERE _tk_import = ?", (import_id,))
            con.execute(
                "UPDATE imports SET status = 'replaced', ended_at = ? "
                "WHERE import_id = ? AND status = 'active'",
                (_now(), import_id),
            )

    def _recheck_keys(
        self, con: sqlite3.Connection, spec: Table, landing: pd.DataFrame, result: ImportResult
    ) -> pd.DataFrame:
        """Check keys again against what landed while the file was being read.

        A taken key refuses the import; rows whose source id arrived meanwhile are left
        out and counted in ``result``. Returns the rows still to land.
        """
        source_seen = np.zeros(len(landing), dtype=bool)
        if spec.source_key:
            ids = landing[spec.source_key]
            seen_ids = self.stored_values(spec.name, spec.source_key, ids, con=con)
            if seen_ids:  # none when the table was empty: a million lookups skipped
                source_seen = (ids.isin(seen_ids) & ids.notna()).to_numpy()
        if spec.key:
            keys = landing[spec.key]
            stored = self.stored_values(spec.name, spec.key, keys, con=con)
            if stored and ((keys.isin(stored) & keys.notna()).to_numpy() & ~source_seen).any():
                raise DataValidationError(
                    f"Import of {result.file} into {spec.cli_name} was rejected: another import "
                    f"added rows with the same {spec.key} while this one was being checked. "
                    "Nothing was imported; run the import again."
                )
        if not source_seen.any():
            return landing
        seen = int(source_seen.sum())
        if result.file_rows is not None:
            seen = int(landing.loc[source_seen, spec.source_key].nunique())
        key = "already in the store (same source id)"
        result.excluded[key] = result.excluded.get(key, 0) + seen
        result.rows_excluded = sum(result.excluded.values())
        landing = landing.loc[~source_seen].reset_index(drop=True)
        result.rows_added = len(landing)
        return landing

    @staticmethod
    def _record_import(con: sqlite3.Connection, spec: Table, result: ImportResult) -> int:
        """Write the import record; returns its id."""
        cursor = con.execute(
            "INSERT INTO imports (table_name, file_name, sha256, source_format, map, rows_in, "
            "rows_added, rows_excluded, excluded, skipped, imported_at, toolkit_version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                spec.name,
                result.file,
                result.sha256,
                result.source_format,
                result.details.get("map"),
                result.rows_in,
                result.rows_added,
                result.rows_excluded + result.rows_skipped,
                json.dumps(result.excluded),
                json.dumps(result.skipped[:10_000]),
                _now(),
                _toolkit_version(),
            ),
        )
        return cursor.lastrowid

    @staticmethod
    def _add_attributes(
        con: sqlite3.Connection,
        spec: Table,
        landing: pd.DataFrame,
        attributes: Sequence[str],
        personal: Mapping[str, PersonalFlag],
        import_id: int,
    ) -> tuple[pd.DataFrame, list[str]]:
        """Add the attribute columns the table lacks and record every attribute.

        SQLite column names ignore case: "Campus" lands in an existing "campus", so the
        rows and the attribute names come back renamed to the stored spelling. The import
        is recorded as using each of its attributes.
        """
        existing = {
            r[1].lower(): r[1] for r in con.execute(f"PRAGMA table_info({_quote(spec.name)})")
        }
        renames, adding = {}, []
        for column in attributes:
            if column.lower() in existing:
                renames[column] = existing[column.lower()]
                continue
            adding.append(f"{_quote(column)} {_affinity(landing[column].dtype)}")
            existing[column.lower()] = column
        _add_columns(con, spec.name, adding)
        landing = landing.rename(columns=renames)
        attributes = [renames.get(c, c) for c in attributes]
        flags = {renames.get(c, c): flag for c, flag in personal.items()}
        # A flag only gets stricter, unless an import map set it (either way).
        # (The stored row's columns are named with their table: both backends read it so.)
        wins = "excluded.personal_by = 'map' OR excluded.personal > attributes.personal"
        for column in attributes:
            flag = flags.get(column)
            con.execute(
                "INSERT INTO attributes (table_name, column_name, personal, personal_reason, "
                "personal_by, import_id) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (table_name, column_name) DO UPDATE SET "
                f"personal = CASE WHEN {wins} THEN excluded.personal ELSE attributes.personal END, "
                f"personal_reason = CASE WHEN {wins} THEN excluded.personal_reason "
                "ELSE attributes.personal_reason END, "
                f"personal_by = CASE WHEN {wins} THEN excluded.personal_by "
                "ELSE attributes.personal_by END",
                (
                    spec.name,
                    column,
                    flag.level if flag else 0,
                    flag.reason if flag else "",
                    flag.by if flag else "",
                    import_id,
                ),
            )
        con.executemany(
            "INSERT OR IGNORE INTO attribute_imports (table_name, column_name, import_id) "
            "VALUES (?, ?, ?)",
            [(spec.name, c, import_id) for c in attributes],
        )
        return landing, attributes

    @staticmethod
    def _insert_rows(
        con: sqlite3.Connection,
        spec: Table,
        landing: pd.DataFrame,
        attributes: Sequence[str],
        import_id: int,
        file: str,
    ) -> None:
        """Insert the rows, column values bound as Python objects, in chunks.

        Into an empty table, a large import builds the table's own indexes (those made
        with CREATE INDEX; the unique keys stay) once at the end, which is faster than
        updating them row by row; it is the same transaction, so all or nothing still.
        """
        # Columns with no value at all are left to their default (NULL): binding
        # them would cost as much as binding data.
        columns = [c for c in (*spec.field_names, *attributes) if _has_values(landing[c])]
        names = ", ".join(_quote(c) for c in columns)
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {_quote(spec.name)} (_tk_import, {names}) VALUES ({import_id}, {marks})"
        rebuild = _indexes_to_rebuild(con, spec.name, len(landing))
        try:
            for statement in rebuild:
                con.execute(f"DROP INDEX {_quote(statement[0])}")
            for start in range(0, len(landing), _INSERT_CHUNK):
                con.executemany(
                    sql, _bound_rows(landing.iloc[start : start + _INSERT_CHUNK][columns])
                )
            for statement in rebuild:
                con.execute(statement[1])
        except sqlite3.IntegrityError as err:
            raise DataValidationError(
                f"Import of {file} into {spec.cli_name} was rejected by the store: {err}. "
                "Nothing was imported."
            ) from err

    @staticmethod
    def _drop_unused_columns(
        con: sqlite3.Connection, spec: Table, gone: Sequence[int]
    ) -> list[str]:
        """Drop the attribute columns the ``gone`` imports used and no active import uses.

        A column still holding a value somewhere is kept whatever the records say.
        Returns the columns dropped.
        """
        placeholders = ",".join("?" * len(gone))
        unused = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT column_name FROM attribute_imports u "
                f"WHERE table_name = ? AND import_id IN ({placeholders}) AND NOT EXISTS ("
                "SELECT 1 FROM attribute_imports o JOIN imports i USING (import_id) "
                "WHERE o.table_name = u.table_name AND o.column_name = u.column_name "
                "AND i.status = 'active') ORDER BY column_name",
                (spec.name, *gone),
            )
        ]
        dropped = []
        table = _quote(spec.name)
        for column in unused:
            quoted = _quote(column)
            if con.execute(f"SELECT 1 FROM {table} WHERE {quoted} IS NOT NULL LIMIT 1").fetchone():
                continue
            if not _drop_column(con, spec.name, column):
                continue
            con.execute(
                "DELETE FROM attributes WHERE table_name = ? AND column_name = ?",
                (spec.name, column),
            )
            con.execute(
                "DELETE FROM attribute_imports WHERE table_name = ? AND column_name = ?",
                (spec.name, column),
            )
            dropped.append(column)
        return dropped

    def _check_references(self, con: sqlite3.Connection, spec: Table, file: str) -> None:
        """Refuse a replacement that leaves other rows pointing at rows it took away."""
        dangling = con.execute("PRAGMA foreign_key_check").fetchall()
        if not dangling:
            return
        by_table: dict[str, int] = {}
        for table, *_ in dangling:
            by_table[table] = by_table.get(table, 0) + 1
        where = ", ".join(
            f"{n} row{'s' if n > 1 else ''} of {t.replace('_', '-')}" for t, n in by_table.items()
        )
        raise DataValidationError(
            f"Import of {file} into {spec.cli_name} with --replace was rejected: {where} refer to "
            f"{spec.cli_name} rows the new file no longer has. Keep those ids in the file, or "
            "remove or replace the rows that refer to them first. Nothing was imported."
        )

    # -- entries made one at a time (the planner forms) ---------------------------

    def check_entry(self, table: str, values: Mapping[str, object], *, entry: int | None = None):
        """Check one record exactly as an import checks a row, without saving it.

        Parameters
        ----------
        table : str
            The canonical table.
        values : mapping
            Field → value (text, number, date or None for blank). Fields left out are blank.
        entry : int, optional
            The entry being corrected (its own key does not count as taken).

        Returns
        -------
        (Canonical, list of Problem)
            The typed row, and every problem with the field it concerns (``column``).
        """
        spec = table_named(table)
        unknown = sorted(set(values) - set(spec.field_names))
        if unknown:
            raise DataValidationError(
                f"{spec.cli_name} has no field {', '.join(map(repr, unknown))}; its fields are: "
                f"{', '.join(spec.field_names)}."
            )
        cells = {f: cell_text(values.get(f)) for f in spec.field_names}
        raw = RawTable(
            frame=pd.DataFrame([cells], dtype=object),
            rows=np.array([1]),
            header_row=0,
            file="the form",
            format="form",
            trimmed=False,
        )
        with self.reading() as con:
            canon = to_canonical(
                raw, spec, known=self.known(con), min_n=self.settings["min_n"], check_near=False
            )
            problems = list(canon.problems)
            if spec.key and spec.key in canon.frame:
                key = canon.frame.at[0, spec.key]
                if key is not None:
                    taken = con.execute(
                        f"SELECT _tk_row FROM {_quote(spec.name)} WHERE {_quote(spec.key)} = ? AND _tk_row IS NOT ?",
                        (key, entry),
                    ).fetchone()
                    if taken:
                        problems.append(
                            Problem(
                                "the form",
                                spec.key,
                                key,
                                "is already in use",
                                f"Each {spec.key} must be new: choose another, or correct "
                                f"entry #{taken[0]} instead",
                                position=0,
                            )
                        )
        return canon, problems

    def entry_version(self, table: str, entry: int, con: sqlite3.Connection | None = None) -> str:
        """A fingerprint of one stored entry: it changes when anyone changes the entry.

        A form remembers it when it loads an entry to correct; :meth:`save_entry` refuses
        the correction if the entry changed (or was deleted and its number reused) since.
        """
        spec = table_named(table)
        with contextlib.nullcontext(con) if con else self.reading() as c:
            row = c.execute(
                f"SELECT * FROM {_quote(spec.name)} WHERE _tk_row = ?", (entry,)
            ).fetchone()
        return hashlib.sha256(json.dumps(row, default=str).encode()).hexdigest()[:16]

    def save_entry(
        self,
        table: str,
        values: Mapping[str, object],
        *,
        entry: int | None = None,
        version: str | None = None,
        saved_by: str | None = None,
        checked: tuple | None = None,
    ) -> int:
        """Save one record in one transaction: a new entry, or a correction of ``entry``.

        The record is checked as an import checks a row (:meth:`check_entry`); nothing is
        written when anything is wrong. New segments join the engagement's list.
        ``checked``: what :meth:`check_entry` returned for these same values and ``entry``
        (a form checks as the planner types); it is used instead of checking again. The
        store itself still refuses a key already taken or a reference to a row that is
        gone since.

        ``version`` (from :meth:`entry_version` when the entry was loaded) makes a
        correction fail, values kept, if someone changed the entry since.

        The entry records who saved it (``saved_by``: the signed-in planner; None, this
        machine's user) and when, in its ``saved_by`` and ``saved_at`` columns.

        Returns
        -------
        int
            The entry's number (stable across corrections).

        Raises
        ------
        DataValidationError
            The record is invalid (``problems`` holds each, with its field), the entry to
            correct no longer exists, or the store refuses it (a reference to a row that
            is gone).
        """
        spec = table_named(table)
        if checked is None:
            checked = self.check_entry(spec.name, values, entry=entry)
        canon, problems = checked
        if problems:
            raise DataValidationError(
                f"The {spec.cli_name} entry was not saved: "
                + " ".join(_problem_words(p) for p in problems),
                problems=problems,
            )
        row = canon.frame.iloc[:1][list(spec.field_names)]
        if spec.name == "responses" and row.at[0, "response_id"] is None:
            row.at[0, "response_id"] = f"form-{uuid.uuid4().hex[:12]}"
        columns = ", ".join(_quote(c) for c in spec.field_names)
        picks = ", ".join(
            f"CAST(json_extract(value, '$[{i}]') AS {f.sql_type})"
            for i, f in enumerate(spec.fields)
        )
        payload = _json_rows(row)
        saver = (_local_user() if saved_by is None else str(saved_by), _now())
        with self.writing() as con:
            try:
                corrected = entry is not None
                if entry is None:
                    cursor = con.execute(
                        f"INSERT INTO {_quote(spec.name)} ({columns}, saved_by, saved_at) "
                        f"SELECT {picks}, ?, ? FROM json_each(?)",
                        (*saver, payload),
                    )
                    entry = cursor.lastrowid
                else:
                    if version is not None and self.entry_version(spec.name, entry, con) != version:
                        raise DataValidationError(
                            f"{spec.cli_name} entry #{entry} was changed or deleted in another "
                            "window since you opened it. Your values are kept: check the list, "
                            "then save again."
                        )
                    cursor = con.execute(
                        f"UPDATE {_quote(spec.name)} SET ({columns}) = (SELECT {picks} FROM json_each(?)), "
                        "saved_by = ?, saved_at = ? WHERE _tk_row = ?",
                        (payload, *saver, entry),
                    )
                    if cursor.rowcount != 1:
                        raise DataValidationError(
                            f"{spec.cli_name} entry #{entry} no longer exists (deleted in another "
                            "window?). Your values are kept: save them as a new entry."
                        )
            except sqlite3.IntegrityError as err:
                raise DataValidationError(
                    f"The {spec.cli_name} entry was not saved: the store refused it ({err})."
                ) from err
            _list_entry_segments(con, spec, canon.new_segments, row)
            if corrected and "segment" in spec.field_names:
                _prune_segments(con)
        return int(entry)

    def delete_entry(self, table: str, entry: int) -> None:
        """Delete one entry in one transaction; refused while other rows refer to it."""
        spec = table_named(table)
        with self.writing() as con:
            try:
                cursor = con.execute(f"DELETE FROM {_quote(spec.name)} WHERE _tk_row = ?", (entry,))
            except sqlite3.IntegrityError as err:
                raise DataValidationError(
                    f"{spec.cli_name} entry #{entry} was not deleted: other entries refer to it "
                    "(service links to this customer, or needs filed under this code). Delete or "
                    "change those first."
                ) from err
            if cursor.rowcount != 1:
                raise DataValidationError(
                    f"{spec.cli_name} entry #{entry} no longer exists (deleted in another window?)."
                )
            if "segment" in spec.field_names:
                _prune_segments(con)

    def code_statements(self, need: str, code: str) -> int:
        """File every uncoded statement with exactly these words under ``code``.

        Staff and customer statements alike, in one transaction; the code is recorded as
        set by a person. Returns how many statements were filed.
        """
        with self.writing() as con:
            if con.execute("SELECT 1 FROM codebook WHERE code = ?", (code,)).fetchone() is None:
                raise DataValidationError(
                    f"{code!r} is not in the codebook. Add it to the codebook first."
                )
            count = 0
            for table in ("assumed_needs", "stated_needs"):
                count += con.execute(
                    f"UPDATE {_quote(table)} SET code = ?, coded_by = 'person', match_score = NULL "
                    "WHERE need = ? AND (code IS NULL OR code = '')",
                    (code, need),
                ).rowcount
        return count

    def set_codes(
        self,
        codes: Mapping[tuple[str, int], str],
        *,
        coder: str | None = None,
        previous: list | None = None,
    ) -> int:
        """File statements under codes, in one transaction: ``{(table, entry): code}``.

        Without ``coder`` the code is a person's (the primary code the analyses use): it
        is set on the statement and on every statement of the same table with the same
        words that no person has coded yet. With ``coder`` (a second coder's name) it is
        kept for that statement and coder only (``codings``), the primary code
        unchanged. Returns how many statements were filed.

        ``previous``, a list, receives what a person's code replaced: one
        ``(table, entry, code, coded_by, match_score, new_code)`` per statement filed,
        for :meth:`restore_codes` to undo it.

        Raises
        ------
        DataValidationError
            A table that holds no statements, an entry that does not exist, a code not
            in the codebook, or a blank coder name.
        """
        if coder is not None and not str(coder).strip():
            raise DataValidationError(
                "The coder's name is blank. Give a name, such as --coder Sam."
            )
        with self.writing() as con:
            book = {r[0] for r in con.execute("SELECT code FROM codebook")}
            filed = 0
            for (table, entry), code in codes.items():
                self._check_coding(con, table, entry, code, book)
                if coder is not None:
                    con.execute(
                        "INSERT OR REPLACE INTO codings VALUES (?, ?, ?, ?, ?)",
                        (table, int(entry), str(coder).strip(), code, _now()),
                    )
                    filed += 1
                    continue
                where = (
                    f"WHERE _tk_row = ? OR (need = (SELECT need FROM {_quote(table)} "
                    "WHERE _tk_row = ?) AND (code IS NULL OR code = '' "
                    "OR coalesce(coded_by, '') <> 'person'))"
                )
                if previous is not None:
                    previous.extend(
                        (table, *row, code)
                        for row in con.execute(
                            f"SELECT _tk_row, code, coded_by, match_score FROM {_quote(table)} "
                            + where,
                            (int(entry), int(entry)),
                        )
                    )
                filed += con.execute(
                    f"UPDATE {_quote(table)} SET code = ?, coded_by = 'person', match_score = NULL "
                    + where,
                    (code, int(entry), int(entry)),
                ).rowcount
        return filed

    def restore_codes(self, previous: Sequence[tuple]) -> int:
        """Undo a :meth:`set_codes`: put back the codes it replaced (its ``previous``
        list), in one transaction. A statement whose code changed again since (another
        planner coded it) keeps that code. Returns how many statements were put back.
        """
        restored = 0
        with self.writing() as con:
            # Last change first: one set_codes may have coded the same statement twice.
            for table, entry, code, coded_by, score, new_code in reversed(previous):
                if table not in CODED_TABLES:
                    raise DataValidationError(f"{table!r} holds no statements to code.")
                restored += con.execute(
                    f"UPDATE {_quote(table)} SET code = ?, coded_by = ?, match_score = ? "
                    "WHERE _tk_row = ? AND code = ? AND coded_by = 'person'",
                    (code, coded_by, score, int(entry), new_code),
                ).rowcount
        return restored

    @staticmethod
    def _check_coding(con, table: str, entry: int, code: str, book: set) -> None:
        letter = CODED_TABLES.get(table)
        if letter is None:
            raise DataValidationError(
                f"{table!r} holds no statements to code; only {', '.join(CODED_TABLES)} do."
            )
        found = con.execute(f"SELECT 1 FROM {_quote(table)} WHERE _tk_row = ?", (int(entry),))
        if found.fetchone() is None:
            raise DataValidationError(
                f"There is no statement {letter}{entry} (deleted, or its import removed?). "
                "List the statements to review with: table PATH coding-review"
            )
        if code not in book:
            raise DataValidationError(
                f"{code!r} (for statement {letter}{entry}) is not in the codebook. "
                "Use one of the codebook's codes (export PATH codebook --to FILE lists "
                "them), or add it to the codebook first."
            )

    def coding_tables(self) -> dict[str, pd.DataFrame]:
        """What reviewing codes reads, in one read transaction: ``stated_needs`` and
        ``assumed_needs`` with their entry numbers (column ``entry``), the ``codebook``,
        and ``codings`` (``table_name, entry, coder, code, coded_at``: the second
        coders' codes).
        """
        with self.reading() as con:
            tables = {name: self.table(name, con=con, row_ids=True) for name in CODED_TABLES}
            tables["codebook"] = self.table("codebook", con=con)
            tables["codings"] = _read_sql(
                "SELECT table_name, row_id AS entry, coder, code, coded_at FROM codings "
                "ORDER BY table_name, row_id, coder",
                con,
            )
        return tables

    def automatic_needs(self, con=None) -> dict[str, list[str]]:
        """Per statement table (``stated_needs``, ``assumed_needs``), the different words
        of the statements no person coded: those :func:`toolkit.coding.code_needs` codes
        itself, so the ones that may wait for a person (``SELECT DISTINCT``, no rows read).
        """
        with contextlib.nullcontext(con) if con else self.reading() as c:
            return {
                name: [
                    r[0]
                    for r in c.execute(
                        f"SELECT DISTINCT need FROM main.{_quote(name)} WHERE {_AUTOMATIC_SQL}"
                    )
                ]
                for name in CODED_TABLES
            }

    def automatic_statements(
        self, needs: Mapping[str, Sequence[str] | None], con=None
    ) -> dict[str, pd.DataFrame]:
        """The statements no person coded, with only what the coding queue shows of them.

        ``needs`` maps a statement table to the words to read (None: all of them); a few
        thousand are kept in SQL, more are read whole and kept here. Each table comes
        back in entry order with ``entry``, ``need``, ``segment`` (the group its label
        counts in, as :meth:`table` reads it), ``method`` (None where the table shows
        none) and ``collected_on`` (dates), so 100,000 statements of which a few wait
        read those few, and the columns no one looks at are never read.
        """
        tables = {}
        with contextlib.nullcontext(con) if con else self.reading() as c:
            for name, words in needs.items():
                spec = table_named(name)
                if spec.name not in CODED_TABLES:
                    raise DataValidationError(f"{name!r} holds no statements to code.")
                attrs = self.attribute_columns(spec.name, c)
                shown = set(spec.field_names) | set(attrs.loc[~attrs["personal"], "column"])
                method = _quote("method") if "method" in shown else "NULL"
                where, params = _AUTOMATIC_SQL, ()
                if words is not None and len(words) <= _NARROW_NEEDS:
                    params = tuple(dict.fromkeys(words))
                    listed = ", ".join("?" * len(params)) or "NULL"
                    where = f"{where} AND need IN ({listed})"
                cursor = c.execute(
                    f"SELECT _tk_row, need, segment, {method}, collected_on "
                    f"FROM main.{_quote(spec.name)} WHERE {where} ORDER BY _tk_row",
                    params,
                )
                columns = ["entry", "need", "segment", "method", "collected_on"]
                with _collector_paused():
                    frame = _columns_frame(cursor, columns)
                if words is not None and len(words) > _NARROW_NEEDS:
                    frame = frame[frame["need"].isin(set(words))].reset_index(drop=True)
                frame["entry"] = frame["entry"].astype("int64")
                frame["collected_on"] = pd.to_datetime(frame["collected_on"], format="ISO8601")
                tables[spec.name] = _read_segments(frame, self._crosswalk_for(spec, False, c))
        return tables

    def entries(
        self, table: str, *, only_forms: bool = False, limit: int | None = None
    ) -> pd.DataFrame:
        """A table's rows with their entry numbers (column ``entry``), newest first.

        ``only_forms`` keeps the rows entered one at a time (not brought in by an import);
        ``limit`` the newest so many. Both are applied in SQL, so a form listing its last
        entries reads those rows only, however large the table.
        """
        spec = table_named(table)
        where = "WHERE _tk_import IS NULL" if only_forms else ""
        newest = f"ORDER BY _tk_row DESC LIMIT {int(limit)}" if limit is not None else ""
        with self.reading() as con:
            if where or newest:
                # A temporary view of the same name, on this connection only, shadows the
                # table while it is read (as report subsets do).
                con.execute(
                    f"CREATE TEMP VIEW {_quote(spec.name)} AS SELECT * FROM main.{_quote(spec.name)} "
                    f"{where} {newest}"
                )
            try:
                frame = self.table(spec.name, con=con, row_ids=True, labels=True)
            finally:
                if where or newest:
                    con.execute(f"DROP VIEW temp.{_quote(spec.name)}")
        return frame.iloc[::-1].reset_index(drop=True)

    def entry_page(
        self,
        table: str,
        *,
        limit: int = 10,
        offset: int = 0,
        segment: str | None = None,
        source: str | int | None = None,
        entry: int | None = None,
    ) -> tuple[pd.DataFrame, int]:
        """One page of a table's rows for a form's list, newest first, and how many match.

        ``segment`` keeps the rows that count in that group (its aliases too); ``source``
        the rows typed in the forms (``"form"``) or brought in by one import (its
        number); ``entry`` that one entry. The page is picked in SQL (``LIMIT``/``OFFSET``
        on the entry number), so a page of a 100,000-row table reads its rows only.

        Returns
        -------
        (DataFrame, int)
            The page as :meth:`entries` returns rows (column ``entry`` first, segment
            labels as stored), and the number of rows matching the filters.
        """
        spec = table_named(table)
        where, params = [], []
        if entry is not None:
            where.append("_tk_row = ?")
            params.append(int(entry))
        if source == "form":
            where.append("_tk_import IS NULL")
        elif source is not None:
            where.append("_tk_import = ?")
            params.append(int(source))
        with self.reading() as con:
            if segment is not None and "segment" in spec.field_names:
                walk = self.crosswalk(con)
                labels = [s for s in self._segment_labels(con) if walk.resolve(s) == segment]
                where.append(f"segment IN ({', '.join('?' * len(labels)) or 'NULL'})")
                params.extend(labels)
            condition = f"WHERE {' AND '.join(where)}" if where else ""
            name = _quote(spec.name)
            total = con.execute(f"SELECT count(*) FROM main.{name} {condition}", params).fetchone()
            rows = [
                int(r[0])
                for r in con.execute(
                    f"SELECT _tk_row FROM main.{name} {condition} ORDER BY _tk_row DESC "
                    "LIMIT ? OFFSET ?",
                    [*params, int(limit), max(int(offset), 0)],
                )
            ]
            # A temporary view of the same name shadows the table while the page is read
            # (as report subsets do); the entry numbers are integers read just above.
            con.execute(
                f"CREATE TEMP VIEW {name} AS SELECT * FROM main.{name} "
                f"WHERE _tk_row IN ({', '.join(map(str, rows)) or 'NULL'})"
            )
            try:
                frame = self.table(spec.name, con=con, row_ids=True, labels=True)
            finally:
                con.execute(f"DROP VIEW temp.{name}")
        return frame.iloc[::-1].reset_index(drop=True), int(total[0])

    def segment_counts(self, tables: Sequence[str]) -> pd.DataFrame:
        """How many rows of each table count in each segment, counted in SQL (GROUP BY).

        Returns
        -------
        DataFrame
            ``table``, ``segment`` (the group each label counts in, through the crosswalk;
            None for rows without one) and ``n``.
        """
        parts = []
        with self.reading() as con:
            walk = self.crosswalk(con)
            for name in tables:
                spec = table_named(name)
                for label, n in con.execute(
                    f"SELECT segment, count(*) FROM main.{_quote(spec.name)} GROUP BY segment"
                ):
                    parts.append((spec.name, walk.resolve(label) if label else None, n))
        frame = pd.DataFrame(parts, columns=["table", "segment", "n"])
        return frame.groupby(["table", "segment"], dropna=False, sort=False, as_index=False)[
            "n"
        ].sum()

    # -- removing and exporting ---------------------------------------------------

    def remove_import(self, import_id: int) -> dict:
        """Take one import's rows out of the store, in one transaction.

        The attribute columns it used that no remaining import uses go too (with their
        records), in the same transaction. Returns ``import_id``, ``table``, ``file``,
        ``rows_removed`` and ``columns_removed`` (their names).
        """
        with self.writing() as con:
            row = con.execute(
                "SELECT table_name, status, file_name FROM imports WHERE import_id = ?",
                (import_id,),
            ).fetchone()
            if row is None:
                raise DataValidationError(
                    f"There is no import #{import_id}. List the imports with: service-toolkit imports {self.path}"
                )
            table, status, file_name = row
            if status != "active":
                raise DataValidationError(
                    f"Import #{import_id} ({file_name}) was already {status}; nothing to remove."
                )
            starter = self._starter_to_restore(con, table, import_id)
            if starter is not None:  # the statements' codes are checked once it is back
                con.execute("PRAGMA defer_foreign_keys = ON")
            try:
                removed = con.execute(
                    f"DELETE FROM {_quote(table)} WHERE _tk_import = ?", (import_id,)
                ).rowcount
            except sqlite3.IntegrityError as err:
                raise _referred_to(import_id, file_name, table) from err
            con.execute(
                "UPDATE imports SET status = 'removed', ended_at = ? WHERE import_id = ?",
                (_now(), import_id),
            )
            if starter is not None:
                self._restore_starter(con, starter)
                if con.execute("PRAGMA foreign_key_check").fetchone():
                    raise _referred_to(import_id, file_name, table)
            columns = self._drop_unused_columns(con, table_named(table), [import_id])
            if "segment" in table_named(table).field_names:
                _prune_segments(con)
        return {
            "import_id": import_id,
            "table": table.replace("_", "-"),
            "file": file_name,
            "rows_removed": removed,
            "columns_removed": columns,
            "starter_restored": _starter_title(starter[1]) if starter is not None else None,
        }

    # -- weighting schemes ------------------------------------------------------------

    def save_weighting(self, scheme: Mapping, cells: pd.DataFrame) -> None:
        """Keep a named weighting scheme and its cells, replacing one of the same name.

        ``scheme``: ``name``, ``table`` (stated_needs or responses), ``method``,
        ``variables`` (list), ``targets`` (mapping), ``respondents``, ``effective_n``,
        ``design_effect``, ``fingerprint`` (the table's when it was made). ``cells``:
        ``cell`` (a JSON list of the variables' values), ``respondents``, ``weight``.
        Imported rows and their ``weight`` column are never touched.
        """
        with self.writing() as con:
            con.execute("DELETE FROM weighting_schemes WHERE name = ?", (scheme["name"],))
            con.execute(
                "INSERT INTO weighting_schemes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    scheme["name"],
                    table_named(scheme["table"]).name,
                    scheme["method"],
                    json.dumps(list(scheme["variables"]), ensure_ascii=False),
                    json.dumps(scheme["targets"], ensure_ascii=False),
                    int(scheme["respondents"]),
                    float(scheme["effective_n"]),
                    float(scheme["design_effect"]),
                    scheme["fingerprint"],
                    _now(),
                ),
            )
            con.executemany(
                "INSERT INTO weighting_cells VALUES (?, ?, ?, ?)",
                [
                    (scheme["name"], c, int(n), float(w))
                    for c, n, w in zip(
                        cells["cell"], cells["respondents"], cells["weight"], strict=True
                    )
                ],
            )

    def weighting_schemes(self) -> pd.DataFrame:
        """The named weighting schemes: name, table, method, variables, respondents,
        effective_n, design_effect, fingerprint, made_at.
        """
        with self.reading() as con:
            frame = _read_sql(
                'SELECT name, table_name AS "table", method, variables, targets, respondents, '
                "effective_n, design_effect, fingerprint, made_at FROM weighting_schemes "
                "ORDER BY made_at, name",
                con,
            )
        frame["variables"] = frame["variables"].map(json.loads)
        frame["targets"] = frame["targets"].map(json.loads)
        return frame

    def weighting(self, name: str) -> tuple[dict, pd.DataFrame]:
        """One weighting scheme (as :meth:`weighting_schemes` lists it) and its cells.

        Raises
        ------
        DataValidationError
            No scheme has that name (the names are listed).
        """
        schemes = self.weighting_schemes()
        found = schemes[schemes["name"].str.lower() == str(name).strip().lower()]
        if found.empty:
            listed = ", ".join(schemes["name"]) or "none yet"
            raise DataValidationError(
                f'There is no weighting scheme "{name}" (the schemes: {listed}). Make one '
                f"with: service-toolkit weights {self.path} rake --by segment,language"
            )
        scheme = found.iloc[0].to_dict()
        with self.reading() as con:
            cells = _read_sql(
                "SELECT cell, respondents, weight FROM weighting_cells WHERE scheme = ? "
                "ORDER BY cell",
                con,
                params=(scheme["name"],),
            )
        return scheme, cells

    def remove_weighting(self, name: str) -> None:
        """Delete a named weighting scheme (the imported data is not touched)."""
        scheme, _ = self.weighting(name)
        with self.writing() as con:
            con.execute("DELETE FROM weighting_schemes WHERE name = ?", (scheme["name"],))

    def export(self, table: str, to: str | Path, *, include_personal: bool = False) -> int:
        """Write one stored table to CSV or XLSX; returns the number of rows written.

        Text a spreadsheet would run as a formula, in cells and headers, gets a leading
        quote (:mod:`toolkit._tabular`, the one writer of tables); importing the export
        takes it off again, so export → import gives back exactly what was stored.
        """
        spec = table_named(table)
        to = Path(to)
        if to.suffix.lower() not in (".csv", ".xlsx"):
            raise DataValidationError(
                f"{to}: export writes .csv or .xlsx files; give a name ending in one of them."
            )
        frame = _export_frame(
            self.table(spec.name, include_personal=include_personal, labels=True), spec
        )
        write_table(frame, to, sheet=spec.cli_name)
        return len(frame)


def _referred_to(import_id: int, file_name: str, table: str) -> DataValidationError:
    return DataValidationError(
        f"Import #{import_id} ({file_name}) cannot be removed: "
        f"other rows refer to its {table.replace('_', '-')} rows. Remove the imports "
        "that refer to them first (see service-toolkit imports), then this one. Nothing was removed."
    )


def _clear_automatic_codes(con: sqlite3.Connection) -> None:
    """Clear the stored codes set automatically (a person's stay): the coder codes those
    statements again, against the codebook as it now is.
    """
    for table in ("assumed_needs", "stated_needs"):
        con.execute(
            f"UPDATE {_quote(table)} SET code = NULL, coded_by = NULL, match_score = NULL "
            "WHERE code IS NOT NULL AND coded_by IS NOT NULL AND coded_by != 'person'"
        )


def _person_codes(con: sqlite3.Connection, import_id: int) -> dict[str, int]:
    """The codes of import ``import_id``'s codebook rows that a person filed statements
    under, with how many statements.
    """
    counts: dict[str, int] = {}
    for table in ("assumed_needs", "stated_needs"):
        for code, n in con.execute(
            f"SELECT n.code, count(*) FROM {_quote(table)} n JOIN codebook c ON c.code = n.code "
            "WHERE c._tk_import = ? GROUP BY n.code",
            (import_id,),
        ):
            counts[code] = counts.get(code, 0) + n
    return counts


def _add_not_a_need(con: sqlite3.Connection, import_id: int) -> None:
    """Give the codebook the built-in *not a need* code if it lacks it (with import
    ``import_id``, which brought in a codebook without it).
    """
    keywords = "; ".join(NOT_A_NEED[k] for k in ("keywords", "keywords_es"))
    con.execute(
        "INSERT INTO codebook (_tk_import, code, label, theme, keywords) SELECT ?, ?, ?, ?, ? "
        "WHERE NOT EXISTS (SELECT 1 FROM codebook WHERE code = ?)",
        (
            import_id,
            NOT_A_NEED["code"],
            NOT_A_NEED["label"],
            NOT_A_NEED["theme"],
            keywords,
            NOT_A_NEED["code"],
        ),
    )


def _prune_segments(con: sqlite3.Connection) -> None:
    """Take out of the ``segments`` list the labels no row carries any more.

    Only the tables the store has so far count (a migration runs this before later
    versions add theirs).
    """
    present = {
        name for (name,) in con.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
    }
    unused = " AND ".join(
        f"NOT EXISTS (SELECT 1 FROM main.{_quote(t.name)} t WHERE t.segment = segments.name)"
        for t in _SEGMENT_TABLES
        if t.name in present
    )
    con.execute(f"DELETE FROM segments WHERE {unused}")


def _read_segments(frame: pd.DataFrame, walk: Crosswalk | None) -> pd.DataFrame:
    """``frame`` with each segment label read as the segment it counts in."""
    if walk is not None and walk.aliases:
        frame["segment"] = walk.resolve_all(frame["segment"])
    return frame


@_by_backend
def _column_limit(con: sqlite3.Connection) -> int:
    """The most columns one table may have in this SQLite (SQLITE_MAX_COLUMN)."""
    if hasattr(con, "getlimit"):
        return con.getlimit(sqlite3.SQLITE_LIMIT_COLUMN)
    return _COLUMN_LIMIT


@_by_backend
def _add_columns(con: sqlite3.Connection, table: str, columns: Sequence[str]) -> None:
    """Add columns (``'"name" TYPE'`` each) to ``table`` in one step, inside a transaction.

    ``ALTER TABLE ADD COLUMN`` reads the whole schema again each time, so adding
    columns one by one grows with the square of their number. SQLite adds the first;
    the others go into its ``CREATE TABLE`` text right after it in one edit of the
    schema (what ``ADD COLUMN`` itself does: rows already stored read the new columns
    as NULL), checked by reading the table's columns back. Where SQLite refuses
    schema edits (its defensive mode), or the check fails, they are added one by one.
    """
    if not columns:
        return
    name = _quote(table)
    con.execute(f"ALTER TABLE {name} ADD COLUMN {columns[0]}")
    rest = columns[1:]
    if not rest:
        return
    expected = len(con.execute(f"PRAGMA table_info({name})").fetchall()) + len(rest)
    con.execute("SAVEPOINT add_columns")
    try:
        _edit_schema(con, table, columns[0], rest)
        if len(con.execute(f"PRAGMA table_info({name})").fetchall()) != expected:
            raise sqlite3.DatabaseError("the columns did not all arrive")
    except sqlite3.DatabaseError:
        con.execute("PRAGMA writable_schema = OFF")
        con.execute("ROLLBACK TO add_columns")
        for column in rest:
            con.execute(f"ALTER TABLE {name} ADD COLUMN {column}")
    finally:
        con.execute("RELEASE add_columns")


#: Set by the tests to take the one-by-one path of :func:`_add_columns`.
_SCHEMA_EDIT = True


def _edit_schema(con: sqlite3.Connection, table: str, after: str, columns: Sequence[str]) -> None:
    """Put ``columns`` into ``table``'s ``CREATE TABLE`` text right after column ``after``."""
    if not _SCHEMA_EDIT:
        raise sqlite3.DatabaseError("schema edits turned off")
    sql = con.execute(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()[0]
    at = sql.rfind(after)
    if at < 0:
        raise sqlite3.DatabaseError(f"{after} is not in the table's definition")
    at += len(after)
    sql = sql[:at] + "".join(f", {c}" for c in columns) + sql[at:]
    version = con.execute("PRAGMA schema_version").fetchone()[0]
    con.execute("PRAGMA writable_schema = ON")
    con.execute("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?", (sql, table))
    con.execute(f"PRAGMA schema_version = {version + 1}")
    con.execute("PRAGMA writable_schema = RESET")


@_by_backend
def _drop_column(con: sqlite3.Connection, table: str, column: str) -> bool:
    """Drop one column, and any index on it; False (nothing changed) if SQLite refuses.

    The toolkit puts no index, view or trigger on an attribute column; an index someone
    added goes with its column, and a view or trigger of theirs keeps the column in place.
    """
    con.execute("SAVEPOINT drop_column")
    try:
        for index in con.execute(f"PRAGMA index_list({_quote(table)})").fetchall():
            columns = {r[2] for r in con.execute(f"PRAGMA index_info({_quote(index[1])})")}
            if column in columns and index[3] == "c":  # made with CREATE INDEX
                con.execute(f"DROP INDEX {_quote(index[1])}")
        con.execute(f"ALTER TABLE {_quote(table)} DROP COLUMN {_quote(column)}")
    except sqlite3.OperationalError:
        con.execute("ROLLBACK TO drop_column")
        return False
    finally:
        con.execute("RELEASE drop_column")
    return True


def _affinity(kind) -> str:
    """The SQLite column affinity for a landing column of pandas dtype ``kind``."""
    if isinstance(kind, pd.Int64Dtype):
        return "INTEGER"
    return "REAL" if pd.api.types.is_float_dtype(kind) else "TEXT"


def _json_rows(frame: pd.DataFrame) -> str:
    """Rows as one JSON array of arrays, to insert with ``json_each`` in one statement.

    SQLite parses JSON in C, several times faster than binding values one by one.
    Every value stays exact: whole floats travel as integers, other floats as their
    shortest round-tripping text, which a REAL column turns back into the same number.
    """
    encoded = {}
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.is_float_dtype(series):
            values = series.to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                whole = np.isnan(values) | ((np.mod(values, 1) == 0) & (np.abs(values) < 2**53))
            if whole.all():
                series = series.astype("Int64")
            else:
                series = series.map(lambda v: None if v != v else repr(float(v))).astype(object)
        elif not isinstance(series.dtype, pd.Int64Dtype):
            series = series.astype(object)
        encoded[col] = series
    return pd.DataFrame(encoded).to_json(orient="values", force_ascii=False)


_READ_CELLS = 32_768
"""Cells fetched at a time by a read: a batch's new values are placed in their columns
while they are still in the processor's cache (placing a million fetched rows at once
cost a fifth of the fetch)."""


@_by_backend
def _stored_rows(con: sqlite3.Connection, table: str) -> int | None:
    """How many rows ``table`` holds, to size a read's columns; None when a narrowing
    view shadows it (counting the view's rows would run its filter once more).
    """
    shadowed = con.execute(
        "SELECT 1 FROM temp.sqlite_master WHERE type = 'view' AND name = ?", (table,)
    ).fetchone()
    if shadowed:
        return None
    return con.execute(f"SELECT count(*) FROM main.{_quote(table)}").fetchone()[0]


def _columns_frame(cursor, columns: list[str], rows: int | None = None) -> pd.DataFrame:
    """A query's rows as a frame of object columns, each built once from its values.

    ``DataFrame.from_records`` infers a type per column (text as Arrow strings, which a
    read then turned back into Python objects): a million rows took twice the fetch.
    Here the rows are fetched a batch at a time into one column-major object grid of
    ``rows`` rows (the count, read in the same transaction), each column a slice of it;
    rows beyond it, or all of them when the count is not known, go into grids of their
    own joined at the end. Missing values stay None; :meth:`Engagement.table` types the
    columns it knows.
    """
    width = len(columns)
    batch = max(1, _READ_CELLS // max(1, width))
    grid = np.empty((rows or 0, width), dtype=object, order="F")
    filled, extra = 0, []
    while chunk := cursor.fetchmany(batch):
        if not extra and filled + len(chunk) <= len(grid):
            grid[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
        else:
            part = np.empty((len(chunk), width), dtype=object, order="F")
            part[:] = chunk
            extra.append(part)
    parts = [grid[:filled], *extra]
    if len(parts) == 1:
        values = [grid[:filled, i] for i in range(width)]
    else:
        values = [np.concatenate([p[:, i] for p in parts]) for i in range(width)]
    return pd.DataFrame(
        {name: pd.Series(values[i], dtype=object, copy=False) for i, name in enumerate(columns)},
        columns=columns,
        copy=False,
    )


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a read makes millions of objects.

    Each batch of new tuples and strings would otherwise set off collections that walk
    every object made so far (a third of a million-row read); none of them is a cycle.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _numbers(column: pd.Series, *, field: bool) -> pd.Series:
    """A column of REAL values (None for blank) as floats, NaN for blank.

    SQLite keeps text a REAL attribute column was given ("x" added later to a column of
    numbers): such a column stays as stored; a REAL field is always a number.
    """
    try:
        return pd.Series(np.array(column.to_numpy(), dtype=float), index=column.index)
    except (TypeError, ValueError):
        return pd.to_numeric(column).astype(float) if field else column


def _has_values(column: pd.Series) -> bool:
    """Whether a column holds any value: its first cells are looked at first, so a
    filled column of a million is not scanned to the end.
    """
    return bool(column.iloc[:256].notna().any()) or bool(column.notna().any())


def _bound_rows(frame: pd.DataFrame) -> Iterator[tuple]:
    """Rows as tuples of the values SQLite binds: Python scalars, None for missing.

    The same values :func:`_json_rows` carries: whole floats as integers (a REAL column
    stores them as the same number, a text column as "3", not "3.0"), other floats as
    they are, missing as None.
    """
    columns = []
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.is_float_dtype(series):
            values = series.to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                whole = np.isnan(values) | ((np.mod(values, 1) == 0) & (np.abs(values) < 2**53))
            if whole.all():
                series = series.astype("Int64")
        if pd.api.types.is_bool_dtype(series) and not isinstance(series.dtype, pd.BooleanDtype):
            series = series.astype("Int64")
        columns.append(series.to_numpy(dtype=object, na_value=None).tolist())
    return zip(*columns, strict=True)


@_by_backend
def _indexes_to_rebuild(con: sqlite3.Connection, table: str, rows: int) -> list[tuple[str, str]]:
    """``(name, CREATE INDEX …)`` of the indexes a bulk load into ``table`` builds after.

    Only for a load of at least :data:`_BULK_INDEX_ROWS` rows into an empty table:
    building an index once over sorted keys beats updating it row by row; into a table
    that has rows, the existing rows would be indexed again for nothing.
    """
    if rows < _BULK_INDEX_ROWS:
        return []
    if con.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1").fetchone() is not None:
        return []
    return con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL",
        (table,),
    ).fetchall()


def _export_frame(frame: pd.DataFrame, spec: Table) -> pd.DataFrame:
    out = frame.copy()
    for f in spec.fields:
        if f.kind in ("date", "datetime"):
            column = out[f.name]
            has_time = (
                f.kind == "datetime" and (column.dropna() != column.dropna().dt.normalize()).any()
            )
            out[f.name] = column.dt.strftime("%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d")
    return out


def _problem_words(problem) -> str:
    value = "" if problem.value in (None, "") else f'"{problem.value}" '
    field = f"{problem.column}: " if problem.column else ""
    return f"{field}{value}{problem.message}. {problem.fix.rstrip('.')}."
