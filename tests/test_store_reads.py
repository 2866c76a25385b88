"""Reads into frames: the batched column build gives exactly the frame a whole fetch gave.

:func:`toolkit.store._columns_frame` fetches a read's rows a batch at a time into
column-major grids. These tests make the batches tiny, so every read crosses many of
them, and compare the frames with the ones built from one ``fetchall`` (the read before
it), value by value and type by type.
"""

from __future__ import annotations

import itertools
import sqlite3

import numpy as np
import pandas as pd
import pytest

from toolkit import store as store_module
from toolkit.store import Engagement

BIG = 2**62 + 7  # past a float's exact whole numbers

ROWS = [
    (1, "Zoë", None, 1.5, BIG),
    (2, "", "naïve — “quoted”, comma", -0.0, -(2**63)),
    (3, None, "line one\nline two", None, None),
    (4, "北京", "x", 3.0, 0),
    (5, "plain", b"\x00\x01", float("inf"), 12),
    (6, "  edge  ", "12", 2.25, -1),
    (7, "Ελλάδα", None, -7.0, 2**53 + 1),
]
COLUMNS = ["id", "name", "note", "value", "number"]


def _fetchall_frame(cursor, columns, rows=None) -> pd.DataFrame:
    """The frame one whole fetch gives: each column's values as fetched, in an object column."""
    fetched = cursor.fetchall()
    return pd.DataFrame(
        {name: pd.Series([r[i] for r in fetched], dtype=object) for i, name in enumerate(columns)},
        columns=columns,
    )


def _same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right)
    for column in left.columns:
        assert [type(v) for v in left[column]] == [type(v) for v in right[column]], column
        same = [
            (a is b) or (a == b) or (a != a and b != b)  # NaN and NaT equal themselves here
            for a, b in zip(left[column], right[column], strict=True)
        ]
        assert all(same), column


@pytest.fixture
def memory():
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, note, value REAL, number)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", ROWS)
    yield con
    con.close()


@pytest.mark.parametrize("batch_cells", [1, 5, 11, 10_000])
@pytest.mark.parametrize("counted", [len(ROWS), None, 0, 3, len(ROWS) + 4])
def test_batches_give_the_frame_a_whole_fetch_gives(memory, monkeypatch, batch_cells, counted):
    """Whatever the batch size and whether the count is known, short or generous."""
    monkeypatch.setattr(store_module, "_READ_CELLS", batch_cells)
    query = "SELECT id, name, note, value, number FROM t ORDER BY id"
    built = store_module._columns_frame(memory.execute(query), COLUMNS, counted)
    _same(built, _fetchall_frame(memory.execute(query), COLUMNS))
    assert list(built["id"]) == [r[0] for r in ROWS]
    assert built["number"].iloc[0] == BIG and type(built["number"].iloc[0]) is int


def test_no_rows_give_empty_object_columns(memory):
    for counted in (0, None, 5):
        frame = store_module._columns_frame(
            memory.execute("SELECT id, name FROM t WHERE id < 0"), ["id", "name"], counted
        )
        assert frame.shape == (0, 2)
        assert list(frame.dtypes) == [np.dtype(object)] * 2


RESPONSES = [
    ["source_id", "respondent_id", "submitted_on", "segment", "touchpoint", "metric"]
    + ["score", "comment", "wave", "campus", "visit_total", "weighting", "email", "note"],
]


def _responses(count: int) -> list[list[object]]:
    rows = [list(RESPONSES[0])]
    notes = ["", "Zoë’s café", "北京 office", "line, with comma", "  spaced  ", "x"]
    for i in range(count):
        rows.append(
            [
                f"R_{i}",
                f"p{i % 17}",
                f"2024-{i % 12 + 1:02d}-{i % 27 + 1:02d}" + (" 10:30:00" if i % 5 == 0 else ""),
                ["Students", "Staff", "", "Faculty"][i % 4],
                "Library",
                ["csat", "nps"][i % 2],
                str(i % 5 + 1) if i % 2 == 0 else str(i % 11),
                "" if i % 3 else f"comment {i} — ünïcode",
                "2024-Q1",
                f"Campus {i % 3}",
                "" if i % 7 == 0 else str(9007199254740993 + i),
                "" if i % 4 == 0 else f"{i / 8}",
                f"person{i}@example.org",
                notes[i % len(notes)],
            ]
        )
    return rows


@pytest.fixture
def responses(engagement, write_csv) -> Engagement:
    engagement.import_file(write_csv("responses.csv", _responses(240)), table="responses")
    return engagement


def _both(monkeypatch, read):
    """``read()`` with tiny batches, then with one whole fetch (the read before batches)."""
    monkeypatch.setattr(store_module, "_READ_CELLS", 7)
    batched = read()
    monkeypatch.setattr(store_module, "_columns_frame", _fetchall_frame)
    whole = read()
    monkeypatch.undo()
    return batched, whole


@pytest.mark.parametrize("options", [{}, {"include_personal": True}, {"row_ids": True}])
def test_a_table_read_in_batches_is_the_table_read_whole(responses, monkeypatch, options):
    batched, whole = _both(monkeypatch, lambda: responses.table("responses", **options))
    _same(batched, whole)
    assert len(batched) == 240
    assert ("email" in batched.columns) == bool(options.get("include_personal"))
    assert str(batched["submitted_on"].dtype).startswith("datetime64")
    assert batched["score"].dtype == float
    assert batched["comment"].isna().sum() == 160, "blank text reads as missing"
    big = batched["visit_total"]
    assert int(big.iloc[1]) == 9007199254740994, "whole numbers past a float's stay exact"
    assert big.isna().sum() == 35
    assert {"Zoë’s café", "北京 office", "line, with comma"} <= set(batched["note"])
    assert batched["note"].isna().sum() == 40


def test_a_narrowed_read_in_batches_is_the_same_read_whole(responses, monkeypatch):
    """The campus view is read without a count (its rows are not counted twice)."""
    batched, whole = _both(
        monkeypatch,
        lambda: responses.read_tables(
            ["responses", "customers"], subset={"campus": "Campus 1"}, include_personal=True
        ),
    )
    assert batched.keys() == whole.keys()
    for name in batched:
        _same(batched[name], whole[name])
    assert len(batched["responses"]) == 80
    assert set(batched["responses"]["campus"]) == {"Campus 1"}


def test_reads_are_counted_in_the_same_read_transaction(responses, monkeypatch):
    """A row added by another connection after the count is not read: one snapshot."""
    counts = []
    real = store_module._stored_rows

    def count_then_write(con, table):
        counted = real(con, table)
        counts.append(counted)
        if table == "responses":
            other = sqlite3.connect(responses.store_path)
            other.execute(
                "INSERT INTO responses (response_id, submitted_on, metric, score, scale_min,"
                " scale_max) VALUES ('late', '2024-01-01', 'csat', 3, 1, 5)"
            )
            other.commit()
            other.close()
        return counted

    monkeypatch.setattr(store_module, "_stored_rows", count_then_write)
    monkeypatch.setattr(store_module, "_READ_CELLS", 7)
    with responses.reading() as con:
        con.execute("SELECT count(*) FROM customers").fetchone()  # the snapshot begins
        frame = responses.table("responses", con=con)
    assert counts[-1] == 240 and len(frame) == 240
    monkeypatch.undo()
    assert len(responses.table("responses")) == 241


def test_the_narrowing_keeps_the_value_and_every_blank_cell_and_nothing_else():
    """The blank test in SQL (the same on both backends) keeps exactly the cells ``trim(coalesce(x, ''))`` calls
    blank, whatever their type: numbers, blobs, control characters, spaces around text;
    so does SQLite's own (``binary``: ``trim`` only where a value sorts before "!").
    """
    cells = [None, "", " ", "   ", "\t", " \t ", "\n", " a", "a ", "Campus 07", "campus 07"]
    cells += [0, 0.0, -1, 3.5, b"", b" ", b"x", "!", " !", "\x00", "\x1f", "é", "  Campus 07"]
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, campus TEXT, loose)")
    con.executemany("INSERT INTO t (campus, loose) VALUES (?, ?)", [(c, c) for c in cells])
    for column, declared, binary in itertools.product(("campus", "loose"), ["TEXT"], (False, True)):
        where = store_module._subset_sql({column: "Campus 07"}, {column: declared}, binary=binary)
        kept = con.execute(f"SELECT n FROM t WHERE {where} ORDER BY n").fetchall()
        blank = f"{column} IN ('Campus 07') OR trim(coalesce({column}, '')) = ''"
        expected = con.execute(f"SELECT n FROM t WHERE {blank} ORDER BY n").fetchall()
        assert kept == expected, column
        assert len(expected) == 7, [cells[n - 1] for (n,) in expected]
    con.close()
