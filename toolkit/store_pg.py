"""The PostgreSQL store: the same engagement, its tables in a PostgreSQL schema.

An engagement folder whose engagement.toml has a ``[store]`` table keeps its data in a
PostgreSQL database instead of ``data.sqlite``::

    [store]
    url = "postgresql://planner@db.example.org:5432/toolkit"
    schema = "riverside"

One database holds many engagements, a schema each. The password never enters the
folder: it comes from the environment (``PGPASSWORD``) or a ``.pgpass`` file, and a URL
with a password in it is refused (:func:`check_url`).

:class:`PostgresEngagement` is :class:`toolkit.store.Engagement` with its own
connections, transactions and schema set-up; every other method is the SQLite
backend's own, running the same SQL. The SQL the store writes in SQLite's spelling
(``?`` parameters, ``INSERT OR IGNORE``, ``json_each``, ``PRAGMA table_info``…) is
turned into PostgreSQL's by :class:`PgConnection` (:func:`translate`), so a method added
to the store runs on both backends, and the contract tests in ``tests/store_contract/``
hold both to the same promises:

- every write is one transaction, and writers take turns (a transaction-level advisory
  lock per engagement, as SQLite's ``BEGIN IMMEDIATE``), waiting up to two minutes;
- a read transaction (``reading``) is ``REPEATABLE READ``: one snapshot of every table;
- the schema is made by the same migrations as SQLite's (``toolkit.store.MIGRATIONS``),
  translated; the statements SQLite spells in ways no translation covers (triggers)
  have their PostgreSQL versions in :data:`PG_TRIGGERS`, by name;
- attribute columns are stored as text, the type SQLite would give them kept in the
  column's comment, so a column of numbers that later gets a word in it behaves as in
  SQLite; names longer than PostgreSQL's 63 bytes are shortened the same way
  everywhere (:func:`physical_name`), the full name kept in the comment too.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from toolkit.errors import DataValidationError, StoreError
from toolkit.store import Engagement

__all__ = [
    "PG_TRIGGERS",
    "PgConnection",
    "PostgresEngagement",
    "check_url",
    "default_schema",
    "physical_name",
    "redact_url",
    "translate",
]

#: PostgreSQL's longest identifier, in bytes (NAMEDATALEN - 1).
MAX_NAME = 63
#: PostgreSQL's most columns in one table (dropped ones count too).
COLUMN_LIMIT = 1600
LOCK_TIMEOUT_S = 120


def writers_lock(schema: str) -> int:
    """The number of the advisory lock an engagement's writers take turns on."""
    digest = hashlib.sha256(f"service-toolkit:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _psycopg():
    try:
        import psycopg
    except ImportError as err:
        raise StoreError(
            "This engagement's store is PostgreSQL, and the PostgreSQL driver is not "
            'installed. Install it with: pip install "service-strategy-toolkit[team]" '
            '(or pip install "psycopg[binary]").'
        ) from err
    return psycopg


# ----------------------------------------------------------------------------- settings


def is_store_url(text: object) -> bool:
    """True when ``text`` names a PostgreSQL store (``postgresql://`` or ``postgres://``)."""
    return isinstance(text, str) and text.split("://", 1)[0].lower() in ("postgresql", "postgres")


#: A URL's user information: from ``://`` to its LAST ``@`` (a password may hold an
#: ``@`` or a ``:`` that was not percent-encoded).
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)(.*)@", re.S)
#: A ``password=`` setting, in a URL's query or a libpq ``key=value`` string.
_PASSWORD_SETTING = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'?|[^&\s]*)", re.IGNORECASE)


def redact_url(url: object) -> str:
    """A store URL (or libpq ``key=value`` string) fit for a message: its password cut out.

    Every message that shows a store URL shows it through this function. The user
    information is read up to the URL's last ``@``, so a password holding an unencoded
    ``@`` is cut out whole (at worst some of the host goes with it, never the password);
    every ``password=`` setting keeps its name, its value becomes ``…``.
    """
    text = str(url)
    found = _USERINFO.search(text)
    if found and ":" in found.group(2):
        user = found.group(2).split(":", 1)[0]
        text = f"{text[: found.start()]}{found.group(1)}{user}@{text[found.end() :]}"
    return _PASSWORD_SETTING.sub(r"\1…", text)


def _holds_secret(url: str) -> bool:
    """Whether ``url`` may hold a password, by its text alone (it may not parse)."""
    return redact_url(url) != url


def _url_params(url: str) -> dict:
    from psycopg.conninfo import conninfo_to_dict

    try:
        return conninfo_to_dict(url)
    except Exception as err:  # psycopg.ProgrammingError: a malformed URL
        # The driver's reason quotes the piece it could not read, which may be the
        # password: it is shown only for a URL with no password in it.
        why = (
            "it cannot be read: percent-encode the characters @ : / % ? # in the user "
            "name or password, for example @ as %40"
            if _holds_secret(url)
            else str(err).strip()
        )
        raise StoreError(f"{redact_url(url)} is not a valid PostgreSQL URL ({why}).") from err


def url_has_password(url: str) -> bool:
    """Whether a store URL (or a libpq ``key=value`` string) carries a password.

    A URL that cannot be read counts as carrying one: it is never sent anywhere.
    """
    try:
        return bool(_url_params(url).get("password"))
    except StoreError:
        return True


def check_url(url: str) -> dict:
    """Check a store URL and return its connection parameters.

    Raises
    ------
    StoreError
        Not a PostgreSQL URL, or one holding a password (it would be written into
        engagement.toml, readable by anyone who can read the folder).
    """
    if not is_store_url(url):
        raise StoreError(
            f"{redact_url(url)!r} is not a PostgreSQL store URL. Give one such as "
            "postgresql://planner@db.example.org:5432/toolkit"
        )
    params = _url_params(url)
    if params.get("password"):
        raise StoreError(
            f"The store URL {redact_url(url)} holds a password. It would be written into the "
            "engagement's engagement.toml, where anyone who can read the folder (or a copy, "
            "or a backup) could read it. Give the URL without it, and set the password in "
            "the environment (PGPASSWORD) or in a .pgpass file (chmod 600 ~/.pgpass)."
        )
    return params


def default_schema(folder: Path) -> str:
    """A schema name from a folder's name: lower case, letters, digits and ``_``."""
    name = re.sub(r"[^a-z0-9_]+", "_", folder.name.lower()).strip("_") or "engagement"
    if not re.match(r"[a-z_]", name):
        name = "e_" + name
    return name[:MAX_NAME]


def check_schema(schema: object, where: str) -> str:
    if not isinstance(schema, str) or not _SCHEMA_NAME.match(schema) or schema.startswith("pg_"):
        raise StoreError(
            f"{where}: store.schema = {schema!r} is not valid: expected a name of lower-case "
            "letters, digits and _ (up to 63, not starting with a digit or pg_), such as "
            '"riverside". Fix the value in engagement.toml.'
        )
    return schema


def physical_name(name: str) -> str:
    """The column name PostgreSQL stores for ``name``: itself when it fits in 63 bytes,
    else its first bytes and a hash of the whole (the same every time).

    >>> physical_name("campus")
    'campus'
    >>> len(physical_name("How satisfied were you " * 4).encode())
    63
    """
    raw = name.encode()
    if len(raw) <= MAX_NAME:
        return name
    tag = "~" + hashlib.sha256(raw).hexdigest()[:12]
    head = raw[: MAX_NAME - len(tag)].decode(errors="ignore")
    return head + tag


# ----------------------------------------------------------------------------- translation

_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[^'\"]+", re.S)
_PRAGMA = re.compile(r"^\s*PRAGMA\s+(?:main\.)?(\w+)\s*(?:\((.*)\)|=\s*(\S+))?\s*$", re.I | re.S)
_NO_OP_PRAGMAS = {"busy_timeout", "foreign_keys", "synchronous", "cache_size", "journal_mode"}


def _outside(sql: str, rule) -> str:
    """Apply ``rule`` to the parts of ``sql`` outside quotes (literals and names)."""
    return "".join(part if part[:1] in ("'", '"') else rule(part) for part in _TOKEN.findall(sql))


def _shorten_names(sql: str) -> str:
    def fix(part: str) -> str:
        if part[:1] == '"' and len(part.encode()) > MAX_NAME + 2:
            name = part[1:-1].replace('""', '"')
            return '"' + physical_name(name).replace('"', '""') + '"'
        return part

    return "".join(fix(p) for p in _TOKEN.findall(sql))


def _rewrite_words(part: str, schema: str) -> str:
    """SQLite's spellings outside quotes, in PostgreSQL's."""
    quoted = '"' + schema + '"'
    rules = [
        (r"\bIS\s+NOT\s+\?", "IS DISTINCT FROM ?"),
        (r"\bIS\s+\?", "IS NOT DISTINCT FROM ?"),
        (r"\bNOT\s+IN\s*\(\s*\)", "<> ALL ('{}')"),  # SQLite's empty lists
        (r"\bIN\s*\(\s*\)", "= ANY ('{}')"),
        (r"\bINTEGER\s+PRIMARY\s+KEY\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
        (r"\bINTEGER\b", "BIGINT"),
        (r"\bREAL\b", "DOUBLE PRECISION"),
        (r"\bPRIMARY\s+KEY\s+COLLATE\s+NOCASE\b", "COLLATE nocase PRIMARY KEY"),
        (r"\btypeof\(\s*$", "TRUE OR ("),  # see _typeof below
        (r"\bjson_each\(\?\)", "json_array_elements_text(?::json)"),
        (r"\bjson_extract\(value,\s*$", "json_at(value, "),
        (r"(?<![\w.])main\.(?=\s*$|\w)", quoted + "."),
        (r"(?<![\w.])temp\.(?=\s*$|\w)", "pg_temp."),
        (r"\bsqlite_schema\b|\bsqlite_master\b", "_tk_sqlite_schema"),
    ]
    for pattern, to in rules:
        part = re.sub(pattern, to, part, flags=re.I)
    return part


def _fix_split_rules(sql: str) -> str:
    """Rules whose match runs across a quoted part (``main."x"``, ``typeof("x")``…)."""
    # typeof("col") = 'integer' (an integer column's check): PostgreSQL's column type
    # holds it already.
    sql = re.sub(r"\btypeof\(\s*(\"(?:[^\"]|\"\")*\")\s*\)\s*=\s*'integer'", "TRUE", sql)
    name = r'(?:"(?:[^"]|"")*"|\w+)'
    sql = re.sub(
        rf"(REFERENCES\s+{name}\s*\(\s*{name}\s*\)(?:\s+ON\s+DELETE\s+CASCADE)?)",
        r"\1 DEFERRABLE INITIALLY IMMEDIATE",
        sql,
        flags=re.I,
    )
    sql = re.sub(r"(?<![\w.])main\.(?=\")", "", sql)
    sql = re.sub(r"(?<![\w.])temp\.(?=\")", "pg_temp.", sql)
    sql = re.sub(r"\bjson_extract\(value,\s*'\$\[(\d+)\]'\)", r"(value::json ->> \1)", sql)
    return sql


def _group_concat(sql: str) -> str:
    """``group_concat(x[, sep])`` as ``string_agg((x)::text, sep)`` (',' by default)."""
    out, at = [], 0
    for match in re.finditer(r"\bgroup_concat\(", sql, flags=re.I):
        if match.start() < at:
            continue
        depth, i, args, start = 1, match.end(), [], match.end()
        while depth:
            ch = sql[i]
            if ch in "'\"":
                i = sql.index(ch, i + 1)
                while sql[i + 1 : i + 2] == ch:
                    i = sql.index(ch, i + 2)
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "," and depth == 1:
                args.append(sql[start:i])
                start = i + 1
            i += 1
        args.append(sql[start : i - 1])
        sep = args[1].strip() if len(args) > 1 else "','"
        out += [sql[at : match.start()], f"string_agg(({args[0]})::text, {sep})"]
        at = i
    return "".join(out) + sql[at:]


def translate(sql: str, schema: str) -> str:
    """One SQLite statement of the store in PostgreSQL's spelling (psycopg's ``%s``).

    Handles what the store writes: ``?`` parameters, ``IS ?``, ``INSERT OR IGNORE``,
    ``json_each``/``json_extract`` over a JSON array, ``group_concat``, ``main.``/``temp.``
    names, SQLite's column types and integer checks, ``COLLATE NOCASE`` keys, foreign keys
    (made deferrable, for ``PRAGMA defer_foreign_keys``) and names longer than PostgreSQL
    keeps. ``INSERT OR REPLACE`` and ``PRAGMA`` statements are handled by
    :class:`PgConnection`, which knows the tables.

    >>> print(translate("SELECT a FROM main.t WHERE b IS ? AND c LIKE ? || '%'", "s"))
    SELECT a FROM "s".t WHERE b IS NOT DISTINCT FROM %s AND c LIKE %s || '%%'
    """
    ignore = re.match(r"\s*INSERT\s+OR\s+IGNORE\s+", sql, flags=re.I)
    if ignore:
        sql = "INSERT " + sql[ignore.end() :]
    sql = _fix_split_rules(_shorten_names(sql))
    sql = _outside(sql, lambda part: _rewrite_words(part, schema))
    sql = _group_concat(sql)
    if ignore:
        sql = sql.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    sql = sql.replace("%", "%%")
    return _outside(sql, lambda part: part.replace("?", "%s"))


# ----------------------------------------------------------------------------- connection


class PgIntegrityError(sqlite3.IntegrityError):
    """PostgreSQL refused a row (a key, a check, a reference): raised as SQLite's
    ``IntegrityError`` so the store's own handling of it (one message per case) serves
    both backends.
    """


class _Cursor:
    """The part of an sqlite3 cursor the store uses, over a psycopg cursor."""

    def __init__(self, owner: PgConnection, cursor, insert_into: str | None = None):
        self._owner, self._cursor, self._insert_into = owner, cursor, insert_into

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount if self._cursor is not None else -1

    @property
    def description(self):
        return self._cursor.description if self._cursor is not None else None

    @property
    def lastrowid(self) -> int | None:
        """The new row's id, as SQLite's: the last value the table's identity column took
        in this session (a trigger's insert into another table does not count).
        """
        if not self._insert_into:
            return None
        return self._owner.last_id(self._insert_into)

    def fetchone(self):
        if self._cursor is None or self._cursor.description is None:
            return None
        return self._cursor.fetchone()

    def fetchall(self):
        if self._cursor is None or self._cursor.description is None:
            return []
        return self._cursor.fetchall()

    def fetchmany(self, size: int):
        if self._cursor is None or self._cursor.description is None:
            return []
        return self._cursor.fetchmany(size)

    def __iter__(self):
        return iter(self.fetchall())


class _Rows(_Cursor):
    """A cursor over rows made here (a PRAGMA's answer)."""

    def __init__(self, rows, columns=("value",)):
        super().__init__(None, None)
        self._rows = list(rows)
        self._columns = columns

    @property
    def rowcount(self) -> int:
        return len(self._rows)

    @property
    def description(self):
        return [(c, None, None, None, None, None, None) for c in self._columns]

    def fetchone(self):
        return self._rows.pop(0) if self._rows else None

    def fetchall(self):
        rows, self._rows = self._rows, []
        return rows

    def fetchmany(self, size: int):
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows


class PgConnection:
    """A psycopg connection that speaks the store's SQL (SQLite's spelling).

    ``execute``, ``executemany`` and ``cursor`` translate each statement once
    (:func:`translate`, cached), answer the ``PRAGMA`` statements the store uses from
    PostgreSQL's catalog, and raise :class:`PgIntegrityError` where PostgreSQL refuses a
    row. ``raw`` is the psycopg connection itself.
    """

    dialect = "postgresql"

    def __init__(self, raw, schema: str):
        self.raw = raw
        self.schema = schema
        self._ids: dict[str, str | None] = {}
        self._progress: tuple | None = None

    def set_progress_handler(self, handler, rows: int) -> None:
        """As sqlite3's: call ``handler`` every ``rows`` rows an import sends (None: stop).

        Counted in rows, not virtual-machine steps: what a test that stops an import
        at a chosen point needs, on a fast machine or a slow one.
        """
        self._progress = (handler, max(1, int(rows))) if handler is not None else None

    def progress(self, rows_sent: int) -> None:
        if self._progress and rows_sent % self._progress[1] == 0:
            self._progress[0]()

    # -- running SQL ------------------------------------------------------------

    def execute(self, sql: str, params: Sequence = ()) -> _Cursor:
        pragma = _PRAGMA.match(sql)
        if pragma:
            return self._pragma(*pragma.groups())
        replace = re.match(r"\s*INSERT\s+OR\s+REPLACE\s+INTO\s+(\"?)(\w+)\1\s*", sql, flags=re.I)
        if replace:
            sql = self._upsert(replace.group(2), sql[replace.end() :])
        text = _translated(sql, self.schema)
        cursor = self.raw.cursor()
        self._run(cursor.execute, text, tuple(params))
        into = re.match(r"\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\"?(\w+)\"?", sql, flags=re.I)
        return _Cursor(self, cursor, into.group(1) if into else None)

    def executemany(self, sql: str, rows) -> _Cursor:
        replace = re.match(r"\s*INSERT\s+OR\s+REPLACE\s+INTO\s+(\"?)(\w+)\1\s*", sql, flags=re.I)
        if replace:
            sql = self._upsert(replace.group(2), sql[replace.end() :])
        cursor = self.raw.cursor()
        rows = [tuple(r) for r in rows]
        if rows:
            self._run(cursor.executemany, _translated(sql, self.schema), rows)
        return _Cursor(self, cursor)

    def cursor(self) -> _PandasCursor:
        return _PandasCursor(self)

    @staticmethod
    def _run(method, *args):
        psycopg = _psycopg()
        try:
            return method(*args)
        except psycopg.errors.IntegrityError as err:
            raise PgIntegrityError(str(err).strip()) from err

    # -- what SQLite answers with PRAGMA -----------------------------------------

    def _pragma(self, name: str, argument: str | None, value: str | None) -> _Cursor:
        name = name.lower()
        if name in _NO_OP_PRAGMAS:
            return _Rows([])
        if name == "defer_foreign_keys":
            self.raw.execute("SET CONSTRAINTS ALL DEFERRED")
            return _Rows([])
        if name == "foreign_key_check":
            return _Rows(self.dangling_references())
        if name == "table_info":
            return _Rows(self.table_info(argument.strip()))
        raise NotImplementedError(f"PRAGMA {name} has no PostgreSQL version in toolkit.store_pg")

    def table_info(self, quoted: str) -> list[tuple]:
        """``PRAGMA table_info``'s rows (cid, name, type, notnull, default, pk) for a table
        or a view of this session, types as SQLite's affinities and names in full.
        """
        name = quoted.strip('"').replace('""', '"')
        rows = self.raw.execute(
            """SELECT a.attname, format_type(a.atttypid, a.atttypmod),
                      coalesce(col_description(b.attrelid, b.attnum), ''), a.attnotnull
               FROM pg_attribute a
               LEFT JOIN pg_attribute b ON b.attrelid = to_regclass(%s)
                    AND b.attname = a.attname AND NOT b.attisdropped
               WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
               ORDER BY a.attnum""",
            (f'"{self.schema}".' + _quoted(name), _quoted(name)),
        ).fetchall()
        out = []
        for cid, (column, pg_type, comment, notnull) in enumerate(rows):
            affinity, _, full = comment.partition("\t")
            if not affinity:
                affinity = {
                    "bigint": "INTEGER",
                    "integer": "INTEGER",
                    "double precision": "REAL",
                }.get(pg_type, "TEXT")
            out.append((cid, full or column, affinity, int(notnull), None, 0))
        return out

    def dangling_references(self) -> list[tuple]:
        """``PRAGMA foreign_key_check``'s rows: one ``(table,)`` per row whose reference
        points at no row, over every foreign key of the engagement's schema.
        """
        keys = self.raw.execute(
            """SELECT c.conrelid::regclass::text, rel.relname, a.attname,
                      c.confrelid::regclass::text, fa.attname
               FROM pg_constraint c
               JOIN pg_class rel ON rel.oid = c.conrelid
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
               JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
               WHERE c.contype = 'f' AND c.connamespace = %s::regnamespace""",
            (_quoted(self.schema),),
        ).fetchall()
        found = []
        for child, child_name, column, parent, parent_column in keys:
            col, pcol = _quoted(column), _quoted(parent_column)
            for (n,) in self.raw.execute(
                f"SELECT count(*) FROM {child} c WHERE c.{col} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {parent} p WHERE p.{pcol} = c.{col})"
            ).fetchall():
                found += [(child_name, None, parent, 0)] * n
        return found

    def _upsert(self, table: str, rest: str) -> str:
        """``INSERT OR REPLACE INTO table …`` as an insert that updates the row it meets."""
        columns_given = re.match(r"\(([^)]*)\)\s*", rest)
        if columns_given:
            columns = [c.strip().strip('"') for c in columns_given.group(1).split(",")]
        else:
            columns = [r[1] for r in self.table_info(table)]
            rest = "(" + ", ".join(_quoted(c) for c in columns) + ") " + rest
        key = [
            r[0]
            for r in self.raw.execute(
                """SELECT a.attname FROM pg_index i JOIN pg_attribute a
                   ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                   WHERE i.indrelid = to_regclass(%s) AND i.indisprimary""",
                (f'"{self.schema}".' + _quoted(table),),
            )
        ]
        sets = ", ".join(f"{_quoted(c)} = EXCLUDED.{_quoted(c)}" for c in columns)
        return (
            f"INSERT INTO {_quoted(table)} {rest.rstrip().rstrip(';')} "
            f"ON CONFLICT ({', '.join(_quoted(k) for k in key)}) DO UPDATE SET {sets}"
        )

    def last_id(self, table: str) -> int | None:
        if table not in self._ids:
            row = self.raw.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) "
                "AND attidentity != ''",
                (f'"{self.schema}".' + _quoted(table),),
            ).fetchone()
            self._ids[table] = row[0] if row else None
        column = self._ids[table]
        if column is None:
            return None
        return self.raw.execute(
            "SELECT currval(pg_get_serial_sequence(%s, %s))",
            (f'"{self.schema}".' + _quoted(table), column),
        ).fetchone()[0]


class _PandasCursor:
    """What ``pandas.read_sql_query`` asks of a DB-API cursor, through the translation."""

    def __init__(self, owner: PgConnection):
        self._owner = owner
        self._result: _Cursor | None = None

    def execute(self, sql, params=()):
        self._result = self._owner.execute(sql, params or ())
        return self

    @property
    def description(self):
        return self._result.description

    def fetchall(self):
        return self._result.fetchall()

    def close(self):
        self._result = None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@functools.lru_cache(maxsize=4096)
def _translated(sql: str, schema: str) -> str:
    return translate(sql, schema)


# ----------------------------------------------------------------------------- the schema

#: ``json_at(value, i)``: element ``i`` of a JSON array given as text (``json_extract``'s
#: ``'$[i]'``); helper functions and the collation every engagement schema has.
_HELPERS = [
    "CREATE COLLATION IF NOT EXISTS nocase "
    "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
    "CREATE TABLE IF NOT EXISTS _tk_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE OR REPLACE VIEW _tk_sqlite_schema AS
       SELECT CASE c.relkind WHEN 'i' THEN 'index' WHEN 'v' THEN 'view' ELSE 'table' END
                AS type,
              c.relname::text AS name, coalesce(t.relname, c.relname)::text AS tbl_name,
              NULL::text AS sql
       FROM pg_class c
       LEFT JOIN pg_index i ON i.indexrelid = c.oid
       LEFT JOIN pg_class t ON t.oid = i.indrelid
       WHERE c.relnamespace = current_schema()::regnamespace
         AND c.relkind IN ('r', 'v', 'i') AND c.relname NOT LIKE '\\_tk\\_%'""",
]


def _trigger(name: str, timing: str, body: str, when: str = "") -> list[str]:
    """A PostgreSQL trigger and its function: ``timing`` such as ``AFTER INSERT ON t``."""
    when_sql = f"WHEN ({when})" if when else ""
    return [
        f"""CREATE OR REPLACE FUNCTION {_quoted(name)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            {body}
            RETURN NULL;
        END $fn$""",
        f"CREATE TRIGGER {_quoted(name)} {timing} FOR EACH ROW {when_sql} "
        f"EXECUTE FUNCTION {_quoted(name)}()",
    ]


def _pg_triggers() -> dict[str, list[str]]:
    """The store's triggers (``toolkit.store``'s migrations) in PostgreSQL's spelling,
    by name, built from the same SQL pieces as SQLite's.
    """
    from toolkit.store import _ACTION_EVENT, CODED_TABLES, _launched, _release_events

    triggers = {}
    for table in CODED_TABLES:
        for event, timing in (
            ("delete", "AFTER DELETE"),
            ("update of need", "AFTER UPDATE OF need"),
        ):
            name = table + "_codings_" + event
            triggers[name] = _trigger(
                name,
                f"{timing} ON {_quoted(table)}",
                f"DELETE FROM codings WHERE table_name = '{table}' AND row_id = OLD._tk_row;",
            )
    triggers["actions_make_event"] = _trigger(
        "actions_make_event", "AFTER INSERT ON actions", _ACTION_EVENT
    )
    changed = (
        "OLD.status IS DISTINCT FROM NEW.status OR OLD.event IS DISTINCT FROM NEW.event "
        "OR OLD.starts_on IS DISTINCT FROM NEW.starts_on "
        "OR OLD.segment IS DISTINCT FROM NEW.segment"
    )
    triggers["actions_remake_event"] = _trigger(
        "actions_remake_event",
        "AFTER UPDATE OF status, event, starts_on, segment ON actions",
        f"""UPDATE events SET
            starts_on = CASE WHEN OLD.starts_on IS DISTINCT FROM NEW.starts_on
                             THEN NEW.starts_on ELSE starts_on END,
            segment = CASE WHEN OLD.segment IS DISTINCT FROM NEW.segment
                           THEN NEW.segment ELSE segment END
          WHERE _tk_action = NEW._tk_row AND {_launched("NEW", "events.label")};
        {_release_events("OLD", _launched("NEW", "events.label"))}
        {_ACTION_EVENT}""",
        when=changed,
    )
    triggers["actions_release_event"] = _trigger(
        "actions_release_event", "AFTER DELETE ON actions", _release_events("OLD", "FALSE")
    )
    triggers["events_kept_for_actions"] = _trigger(
        "events_kept_for_actions",
        "AFTER DELETE ON events",
        f"""IF NOT EXISTS (
                SELECT 1 FROM events WHERE lower(trim(label)) = lower(trim(OLD.label))
            ) THEN
            INSERT INTO events (starts_on, label, segment, _tk_action)
            SELECT a.starts_on, trim(a.event), a.segment, a._tk_row FROM actions a
              WHERE {_launched("a", "OLD.label")}
              ORDER BY a._tk_row LIMIT 1;
            END IF;""",
    )
    return triggers


#: The PostgreSQL version of each trigger the store's migrations make, by name: a new
#: ``CREATE TRIGGER`` in ``toolkit.store.MIGRATIONS`` needs one here (the schema set-up
#: refuses a trigger it has no version of, and the contract tests fail).
PG_TRIGGERS: dict[str, list[str]] = {}


def _step_statements(step) -> Iterator:
    """One migration step's statements for PostgreSQL: triggers swapped for theirs."""
    if not PG_TRIGGERS:
        PG_TRIGGERS.update(_pg_triggers())
    for statement in step:
        if callable(statement):
            yield statement
            continue
        trigger = re.match(r'\s*CREATE\s+TRIGGER\s+(?:"([^"]+)"|(\w+))', statement, flags=re.I)
        if trigger:
            name = trigger.group(1) or trigger.group(2)
            if name not in PG_TRIGGERS:
                raise NotImplementedError(
                    f"trigger {name} has no PostgreSQL version in toolkit.store_pg.PG_TRIGGERS"
                )
            yield from PG_TRIGGERS[name]
            continue
        if re.match(r"\s*CREATE\s+TABLE\s+attributes\s*\(", statement, flags=re.I):
            # SQLite's rowid (the order attributes arrived in), as a column of its own.
            statement = re.sub(
                r"\(\s*", "(\n rowid BIGINT GENERATED ALWAYS AS IDENTITY,\n ", statement, count=1
            )
        yield statement


# ----------------------------------------------------------------------------- the engagement


class _Pool:
    """Open connections of one process to one engagement's schema, reused."""

    def __init__(self):
        self.lock = threading.Lock()
        self.idle: list[PgConnection] = []
        self.pid = os.getpid()


class PostgresEngagement(Engagement):
    """An engagement whose store is a schema in a PostgreSQL database.

    Opened by :meth:`toolkit.store.Engagement.open` when engagement.toml has a
    ``[store]`` table with a ``url``; everything else is :class:`Engagement`'s.
    """

    def __init__(self, path: Path, settings: dict):
        super().__init__(path, settings)
        store = settings.get("store") or {}
        where = str(Path(path) / "engagement.toml")
        self.url = store.get("url")
        if not isinstance(self.url, str):
            raise StoreError(
                f"{where}: store.url = {redact_url(repr(self.url))} is not valid: expected a PostgreSQL "
                "URL such as postgresql://planner@db.example.org/toolkit."
            )
        self.params = check_url(self.url)
        self.schema = check_schema(store.get("schema", default_schema(Path(path))), where)
        self._journal = "postgresql"
        self._pool = _Pool()

    @classmethod
    def init_at(
        cls, url: str, path, *, schema: str | None = None, settings=None, **options
    ) -> PostgresEngagement:
        """:meth:`Engagement.init` with the store in schema ``schema`` of database ``url``.

        The folder is checked before the database is touched, and the schema must not
        exist yet: this call creates it, so that if making the engagement fails, the
        schema dropped again (as the folder is) is only ever the one it made.
        """
        from toolkit.store import check_new_folder

        path = Path(path)
        check_url(url)
        store = {"url": url, "schema": schema or default_schema(path)}
        check_schema(store["schema"], f"init {path}")
        check_new_folder(path)
        probe = cls(path, {"settings": {}, "store": store})
        made = probe._create_schema()
        settings = {**(settings or {}), "store": store}
        try:
            return Engagement.init.__func__(cls, path, settings=settings, **options)
        except BaseException:
            probe.drop_store() if made else probe._empty_schema()
            raise

    def _create_schema(self) -> bool:
        """Claim the engagement's schema: create it, or take an empty one made for it (a
        database's owner may make the schema for a role that may not create schemas);
        refuse one that holds anything. True when this call made the schema.

        The claim is one transaction under the engagement's writers' lock that also
        makes the store's ``_tk_meta`` table, so two inits of one schema never both
        find it empty, and a failed init empties only a schema it claimed.
        """
        psycopg = _psycopg()
        name, where = _quoted(self.schema), redact_url(self.url)
        con = self._new_connection()
        raw, found = con.raw, None
        try:
            raw.execute("BEGIN" + self._lock_sql())
            found = raw.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)
            ).fetchone()
            if found is None:
                raw.execute(f"CREATE SCHEMA {name}")
            elif self.schema == "public" or self._schema_objects(con):
                raise StoreError(
                    f"{where}: schema {self.schema} already exists and is not empty (it "
                    "may hold an engagement, or other data). Choose another with --schema "
                    "NAME; nothing was changed. To work on an engagement that is there from "
                    "this computer, copy its engagement.toml into a folder of its own instead."
                )
            raw.execute(f"CREATE TABLE {name}._tk_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            raw.execute("COMMIT")
            return found is None
        except psycopg.errors.InsufficientPrivilege as err:
            what = "schema" if found is None else "tables in schema"
            raise StoreError(
                f"{where}: this role may not create {what} {self.schema} "
                f"({str(err).strip()}). Ask the database's owner for: GRANT CREATE ON "
                "DATABASE … TO your role, or to create an empty schema "
                f"{self.schema} owned by your role (CREATE SCHEMA {self.schema} "
                "AUTHORIZATION your_role)."
            ) from err
        except (psycopg.errors.DuplicateSchema, psycopg.errors.DuplicateTable) as err:
            raise StoreError(
                f"{where}: schema {self.schema} was taken by another program at the same "
                "moment. Choose another with --schema NAME; nothing was changed."
            ) from err
        except psycopg.errors.LockNotAvailable as err:
            raise self._locked_too_long() from err
        finally:
            raw.close()  # a transaction not committed is rolled back

    def _schema_objects(self, con: PgConnection) -> list[tuple[str, str]]:
        """What the schema holds, as (kind, SQL name) pairs a DROP statement takes:
        tables, views and sequences, functions, collations and types of its own; tables
        first, so a sequence a column owns goes with its table.
        """
        rows = con.raw.execute(
            """
            SELECT c.relkind = 'S', CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                   WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                   c.oid::regclass::text
              FROM pg_class c
             WHERE c.relnamespace = %(s)s::regnamespace AND c.relkind IN ('r','p','v','m','S','f')
            UNION ALL
            SELECT false, 'ROUTINE', p.oid::regprocedure::text FROM pg_proc p
             WHERE p.pronamespace = %(s)s::regnamespace
            UNION ALL
            SELECT false, 'COLLATION', quote_ident(n.nspname) || '.' || quote_ident(l.collname)
              FROM pg_collation l JOIN pg_namespace n ON n.oid = l.collnamespace
             WHERE n.oid = %(s)s::regnamespace
            UNION ALL
            SELECT false, 'TYPE', t.oid::regtype::text FROM pg_type t
             WHERE t.typnamespace = %(s)s::regnamespace AND t.typtype IN ('d','e','r','m')
               OR (t.typnamespace = %(s)s::regnamespace AND t.typtype = 'c' AND
                   (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
            ORDER BY 1
            """,
            {"s": _quoted(self.schema)},
        ).fetchall()
        return [(kind, name) for _, kind, name in rows]

    def _empty_schema(self) -> None:
        """Drop what a failed init put in a schema that was empty before it: the schema
        itself, made by someone else, stays.
        """
        self.close()
        con = self._new_connection()
        try:
            for kind, name in self._schema_objects(con):
                con.raw.execute(f"DROP {kind} IF EXISTS {name} CASCADE")
        finally:
            con.raw.close()

    # -- where the store is ----------------------------------------------------

    @property
    def store_path(self):
        """Where the store is, for messages: the URL and the schema."""
        return f"{redact_url(self.url)} (schema {self.schema})"

    def _choose_journal(self) -> None:
        self._journal = "postgresql"

    def status(self) -> dict:
        """:meth:`Engagement.status`, with ``store``: the database and schema."""
        return {**super().status(), "store": self.store_path}

    # -- connections ---------------------------------------------------------------

    def _new_connection(self) -> PgConnection:
        psycopg = _psycopg()
        try:
            raw = psycopg.connect(self.url, autocommit=True, connect_timeout=30)
        except psycopg.OperationalError as err:
            raise StoreError(
                f"{self.path}: cannot reach the engagement's store at {redact_url(self.url)} "
                f"({str(err).strip()}). Check that the server is running and reachable, "
                "and that the password is in PGPASSWORD or in your .pgpass file."
            ) from err
        # Not naming pg_temp keeps it searched first: the store narrows a read with a
        # temporary view of the same name as the table (read_tables, entries).
        raw.execute(f"SET search_path TO {_quoted(self.schema)}")
        return PgConnection(raw, self.schema)

    def _connect(self) -> PgConnection:
        pool = self._pool
        with pool.lock:
            if pool.pid != os.getpid():  # a forked child: its parent's are not its own
                pool.idle, pool.pid = [], os.getpid()
            while pool.idle:
                con = pool.idle.pop()
                if not con.raw.closed:
                    return con
        return self._new_connection()

    def _release(self, con: PgConnection) -> None:
        psycopg = _psycopg()
        if con.raw.closed or con.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            with contextlib.suppress(Exception):
                con.raw.close()
            return
        with self._pool.lock:
            if len(self._pool.idle) < 4 and self._pool.pid == os.getpid():
                self._pool.idle.append(con)
                return
        con.raw.close()

    def close(self) -> None:
        """Close this engagement's open connections (they reopen when needed)."""
        with self._pool.lock:
            idle, self._pool.idle = self._pool.idle, []
        for con in idle:
            with contextlib.suppress(Exception):
                con.raw.close()

    def __del__(self):
        with contextlib.suppress(Exception):
            self.close()

    @contextlib.contextmanager
    def _transaction(self, begin: str, *, lock: bool) -> Iterator[PgConnection]:
        psycopg = _psycopg()
        con = self._connect()
        try:
            try:
                # One round trip: the transaction, and the writers' turn (an advisory
                # lock on a number drawn from the schema's name, held until it ends).
                con.raw.execute(begin + (self._lock_sql() if lock else ""))
            except psycopg.errors.LockNotAvailable as err:
                con.raw.execute("ROLLBACK")
                raise self._locked_too_long() from err
            try:
                yield con
                con.raw.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(psycopg.Error):
                    con.raw.execute("ROLLBACK")
                raise
        except psycopg.OperationalError as err:
            raise StoreError(
                f"{self.store_path}: the connection to the store failed ({err}). "
                "Nothing was changed by the step that failed; try again."
            ) from err
        finally:
            self._release(con)

    def _locked_too_long(self) -> StoreError:
        """The error when the writers' lock was not free within :data:`LOCK_TIMEOUT_S`."""
        return StoreError(
            f"{self.store_path}: another program kept the store locked for over "
            f"{LOCK_TIMEOUT_S} seconds. Try again when it has finished; nothing was changed."
        )

    def _lock_sql(self) -> str:
        return (
            f"; SET LOCAL lock_timeout = '{LOCK_TIMEOUT_S}s'; "
            f"SELECT pg_advisory_xact_lock({writers_lock(self.schema)})"
        )

    @contextlib.contextmanager
    def writing(self) -> Iterator[PgConnection]:
        """A write transaction: all or nothing; writers take turns (an advisory lock
        per engagement), each waiting up to two minutes.
        """
        if self.write_guard is not None:
            self.write_guard()
        with self._transaction("BEGIN ISOLATION LEVEL READ COMMITTED", lock=True) as con:
            yield con

    @contextlib.contextmanager
    def reading(self) -> Iterator[PgConnection]:
        """A read transaction: every query inside sees one snapshot of the store."""
        with self._transaction("BEGIN ISOLATION LEVEL REPEATABLE READ", lock=False) as con:
            yield con

    # -- making and migrating the schema ---------------------------------------

    def _prepare_store(self) -> None:
        """Make the schema, or migrate it, under the writers' lock; an open of a store
        that is up to date only reads its version.
        """
        from toolkit.store import SCHEMA_VERSION

        if self._stored_version() == SCHEMA_VERSION:
            return
        with self.writing() as con:
            raw = con.raw
            # A role may use a schema it may not create: ask before creating.
            if (
                raw.execute(
                    "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)
                ).fetchone()
                is None
            ):
                raw.execute(f"CREATE SCHEMA {_quoted(self.schema)}")
            for statement in _HELPERS:
                raw.execute(statement)
            version = self._stored_version(con)
            self._refuse_newer(version)
            if version < SCHEMA_VERSION:
                self._migrate(con, version)

    def _stored_version(self, con: PgConnection | None = None) -> int | None:
        """The store's schema version (0: a schema without an engagement yet; None: no
        schema). Refuses a store a newer toolkit made.
        """
        with contextlib.nullcontext(con) if con else self.reading() as c:
            meta = f"{_quoted(self.schema)}._tk_meta"
            if c.raw.execute("SELECT to_regclass(%s)", (meta,)).fetchone()[0] is None:
                return None
            found = c.raw.execute(
                f"SELECT value FROM {meta} WHERE key = 'schema_version'"
            ).fetchone()
        version = int(found[0]) if found else 0
        self._refuse_newer(version)
        return version

    def _refuse_newer(self, version: int) -> None:
        from toolkit.store import SCHEMA_VERSION, _toolkit_version

        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.store_path}: was written by a newer version of the toolkit "
                f"(store schema {version}; this toolkit {_toolkit_version()} knows up "
                f"to {SCHEMA_VERSION}). Upgrade: pip install -U service-strategy-toolkit"
            )

    def _migrate(self, con: PgConnection, version: int) -> None:
        """Bring the schema to this toolkit's version, in ``con``'s transaction; a store
        that held an engagement is first copied into a backup schema beside it
        (``SCHEMA_vN_TIME``), tables and rows, kept when the migration lands.
        """
        from toolkit.store import MIGRATIONS, SCHEMA_VERSION, _create_sql

        if version > 0:
            self.backup_schema = self._back_up(con, version)
        for step in [_create_sql(), *MIGRATIONS[1:]][version:]:
            for statement in _step_statements(step):
                statement(con) if callable(statement) else con.execute(statement)
        con.raw.execute(
            "INSERT INTO _tk_meta VALUES ('schema_version', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (str(SCHEMA_VERSION),),
        )

    def _back_up(self, con: PgConnection, version: int) -> str:
        import datetime as dt

        stamp = dt.datetime.now().strftime("%Y%m%d%H%M%S")
        backup = f"{self.schema[: MAX_NAME - 20]}_v{version}_{stamp}"
        try:
            con.raw.execute(f"CREATE SCHEMA {_quoted(backup)}")
        except _psycopg().errors.InsufficientPrivilege as err:
            raise StoreError(
                f"{self.store_path}: this toolkit upgrades the store (schema {version} to "
                "the current one) and first copies it into a backup schema, which this "
                f"role may not create ({str(err).strip()}). Nothing was changed. Ask the "
                "database's owner to open the engagement once with a role that may "
                "(service-toolkit status FOLDER), or for: GRANT CREATE ON DATABASE … TO "
                "your role."
            ) from err
        tables = con.raw.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = %s::regnamespace ORDER BY relname",
            (_quoted(self.schema),),
        ).fetchall()
        for (table,) in tables:
            con.raw.execute(
                f"CREATE TABLE {_quoted(backup)}.{_quoted(table)} AS "
                f"TABLE {_quoted(self.schema)}.{_quoted(table)}"
            )
        return backup

    def drop_store(self) -> None:
        """Delete the engagement's schema and everything in it (no undo)."""
        self.close()
        con = self._new_connection()
        try:
            con.raw.execute(f"DROP SCHEMA IF EXISTS {_quoted(self.schema)} CASCADE")
        finally:
            con.raw.close()

    # -- what SQLite does differently ------------------------------------------------

    @staticmethod
    def _insert_rows(con, spec, landing, attributes, import_id, file) -> None:
        """Insert the rows with COPY (one stream, in the import's transaction)."""
        from toolkit.store import _bound_rows

        columns = [c for c in (*spec.field_names, *attributes) if landing[c].notna().any()]
        names = ", ".join(_quoted(physical_name(c)) for c in ["_tk_import", *columns])
        psycopg = _psycopg()
        cursor = con.raw.cursor()
        try:
            with cursor.copy(f"COPY {_quoted(spec.name)} ({names}) FROM STDIN") as copy:
                for sent, row in enumerate(_bound_rows(landing[columns]), start=1):
                    copy.write_row((import_id, *row))
                    con.progress(sent)
        except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as err:
            raise DataValidationError(
                f"Import of {file} into {spec.cli_name} was rejected by the store: "
                f"{str(err).strip().splitlines()[0]}. Nothing was imported."
            ) from err


# ----------------------------------------------------------------------------- columns


def add_columns(con: PgConnection, table: str, columns: Sequence[str]) -> None:
    """Add attribute columns (``'"name" AFFINITY'`` each), as text with the affinity (and
    a long name in full) in the column's comment.
    """
    for column in columns:
        match = re.match(r'^"((?:[^"]|"")*)"\s+(\w+)$', column)
        name, affinity = match.group(1).replace('""', '"'), match.group(2).upper()
        physical = physical_name(name)
        con.raw.execute(f"ALTER TABLE {_quoted(table)} ADD COLUMN {_quoted(physical)} TEXT")
        comment = affinity + ("\t" + name if physical != name else "")
        con.raw.execute(
            f"COMMENT ON COLUMN {_quoted(table)}.{_quoted(physical)} IS "
            + "'"
            + comment.replace("'", "''")
            + "'"
        )


def drop_column(con: PgConnection, table: str, column: str) -> bool:
    """Drop one attribute column (and any index on it).

    PostgreSQL alters no table with reference checks still pending: the deferred ones
    (``PRAGMA defer_foreign_keys``) are made now; the store checked them just before.
    """
    con.raw.execute("SET CONSTRAINTS ALL IMMEDIATE")
    con.raw.execute(f"ALTER TABLE {_quoted(table)} DROP COLUMN {_quoted(physical_name(column))}")
    return True


def column_limit(con: PgConnection) -> int:
    return COLUMN_LIMIT


def indexes_to_rebuild(con: PgConnection, table: str, rows: int) -> list:
    return []


def stored_rows(con: PgConnection, table: str) -> None:
    """Not counted first: ``count(*)`` is a scan of its own on PostgreSQL, and a read
    builds its columns as well from batches whose number it does not know.
    """
    return None


#: The store's module functions PostgreSQL does its own way (``toolkit.store._by_backend``).
FUNCTIONS = {
    "_add_columns": add_columns,
    "_drop_column": drop_column,
    "_column_limit": column_limit,
    "_indexes_to_rebuild": indexes_to_rebuild,
    "_stored_rows": stored_rows,
}
