"""Reading a large engagement for an analysis: 1,000,000 responses into a DataFrame.

Every report and notebook on a large engagement starts with this read.

- ``Engagement.table("responses")`` (typed columns: dates as datetimes, numbers as
  floats, segments through the crosswalk) against the bare row fetch: the same columns
  selected in the same order with ``fetchall`` on a connection with the store's own
  settings. Goal ≤ 1.5×.
- ``read_tables(["responses"], subset={"campus": ...})`` (one campus of 30, narrowed in
  SQL inside one read transaction, then the exact subset rule) against the bare fetch of
  the same rows with ``WHERE campus = ?``. Goal ≤ 1.5×.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.bench_foundation import store_connection, write_responses_csv
from benchmarks.timing import SHORT_RUNS, STORE_RUNS, figure, pairs


def _engagement(folder: Path, rows: int) -> Path:
    from toolkit.store import Engagement

    path = folder / "responses.csv"
    write_responses_csv(path, rows)
    eng = Engagement.init(folder / "eng", starter_codebook=False)
    eng.import_file(path, table="responses")
    path.unlink()
    return eng.path


def _fetch(store: Path, columns: list[str], where: str = "", params: tuple = ()) -> int:
    con = store_connection(store)
    try:
        select = ", ".join(f'"{c}"' for c in columns)
        sql = f"SELECT {select} FROM responses {where} ORDER BY _tk_row"
        return len(con.execute(sql, params).fetchall())
    finally:
        con.close()


def read_speed(quick: bool = False) -> list[dict]:
    from toolkit.store import Engagement

    rows = 100_000 if quick else 1_000_000
    runs = 3 if quick else STORE_RUNS
    folder = Path(tempfile.mkdtemp(prefix="bench-reads-"))
    try:
        path = _engagement(folder, rows)
        eng = Engagement.open(path)
        columns = list(eng.table("responses").columns)
        store = eng.store_path
        whole = pairs(
            lambda: len(Engagement.open(path).table("responses")),
            lambda: _fetch(store, columns),
            runs=runs,
        )
        campus = "Campus 07"
        subset = pairs(
            lambda: len(
                Engagement.open(path).read_tables(["responses"], subset={"campus": campus})[
                    "responses"
                ]
            ),
            lambda: _fetch(store, columns, "WHERE campus = ?", (campus,)),
            runs=3 if quick else SHORT_RUNS,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert whole.last["action"] == whole.last["floor"] == rows, whole.last
    assert subset.last["action"] == subset.last["floor"], subset.last
    return [
        figure(
            f"read {rows:,} responses into a typed DataFrame (Engagement.table)",
            whole,
            "fetchall of the same columns, store's settings",
            1.5,
        ),
        figure(
            f"read one campus of 30 ({subset.last['floor']:,} of {rows:,} responses), read_tables",
            subset,
            "fetchall of the same rows, WHERE campus = ?",
            1.5,
        ),
    ]
