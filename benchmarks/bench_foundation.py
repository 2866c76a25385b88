"""Foundation benchmarks: importing a large responses file, and start-up time.

- ``import_file`` of a 1,000,000-row responses CSV (every check, source-id dedupe, all
  or nothing) against its floor: ``pandas.read_csv`` and one executemany of the same rows
  (the same response ids and scales the toolkit stores) into the store's own table, with
  the store's own SQLite settings, its index built after the rows: goal ≤ 1.3×.
- ``import toolkit`` and ``service-toolkit --help`` against ``import pandas``: ≤ 1.3×.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.timing import RUNS, STORE_RUNS, figure, pairs


def write_responses_csv(path: Path, rows: int, seed: int = 7) -> None:
    """A realistic satisfaction tracker export in the responses template's format."""
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, rows), unit="D")
    metric = rng.choice(np.array(["csat", "nps", "ces"]), rows, p=[0.5, 0.3, 0.2])
    high = np.where(metric == "nps", 10, np.where(metric == "ces", 7, 5))
    low = np.where(metric == "nps", 0, 1)
    score = low + np.floor(rng.random(rows) * (high - low + 1)).astype(int)
    segment = rng.choice(np.array(["Students", "Faculty", "Staff", "Employers"]), rows)
    campus = np.char.add("Campus ", np.char.zfill(rng.integers(1, 31, rows).astype(str), 2))
    frame = pd.DataFrame(
        {
            "source_id": np.char.add("R_", (np.arange(rows) // 2).astype(str)),
            "respondent_id": np.char.add("p", rng.integers(0, rows // 3, rows).astype(str)),
            "submitted_on": days.strftime("%Y-%m-%d"),
            "segment": segment,
            "touchpoint": rng.choice(np.array(["Advising", "Financial aid", "IT help desk"]), rows),
            "metric": metric,
            "score": score,
            "wave": days.strftime("%Y-%m"),
            "campus": campus,
        }
    )
    frame.to_csv(path, index=False)


#: A prefix as long as the one the toolkit gives the response ids it makes (sha256[:12]-).
_ID_PREFIX = "0123456789ab-"

#: The scale each metric of :func:`write_responses_csv` is on (the toolkit's defaults).
_SCALES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}


def store_connection(path: Path) -> sqlite3.Connection:
    """A connection to a store file with the settings an import's transaction has.

    The settings come from :mod:`toolkit.store` itself (:func:`~toolkit.store.connection_pragmas`
    and :data:`~toolkit.store.BULK_PRAGMAS`), so a floor never runs with other settings.
    """
    from toolkit.store import BULK_PRAGMAS, connection_pragmas

    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = wal")
    for pragma in [*connection_pragmas("wal"), *BULK_PRAGMAS]:
        con.execute(pragma)
    return con


def bulk_insert(con: sqlite3.Connection, table: str, frame: pd.DataFrame) -> None:
    """The obvious fast load: one transaction, indexes dropped and built after the rows,
    one executemany of the columns' Python values (missing as None)."""
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL",
        (table,),
    ).fetchall()
    names = ", ".join(f'"{c}"' for c in frame.columns)
    marks = ", ".join("?" * len(frame.columns))
    columns = [frame[c].to_numpy(dtype=object, na_value=None).tolist() for c in frame.columns]
    con.execute("BEGIN IMMEDIATE")
    for name, _ in indexes:
        con.execute(f'DROP INDEX "{name}"')
    con.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', zip(*columns, strict=True))
    for _, sql in indexes:
        con.execute(sql)
    con.execute("COMMIT")


def _floor_import(path: Path, store: Path) -> int:
    """read_csv, the same rows the toolkit lands (ids, scales), plain SQL into the store's table."""
    frame = pd.read_csv(path)
    con = store_connection(store)
    try:
        con.execute("ALTER TABLE responses ADD COLUMN campus TEXT")
        import_id = con.execute(
            "INSERT INTO imports (table_name, file_name, sha256, source_format, rows_in, "
            "rows_added, rows_excluded, imported_at, toolkit_version) "
            "VALUES ('responses', 'f', 'x', 'csv', 0, 0, 0, 'now', '0')"
        ).lastrowid
        low = frame["metric"].map({m: lo for m, (lo, _) in _SCALES.items()})
        high = frame["metric"].map({m: hi for m, (_, hi) in _SCALES.items()})
        rows = pd.DataFrame(
            {
                "_tk_import": import_id,
                # The toolkit's ids for rows without one: 12 hex digits of the file's
                # hash, a dash, the row number (the same bytes in the table and its index).
                "response_id": _ID_PREFIX + pd.Series(range(2, len(frame) + 2)).astype(str),
                **{c: frame[c] for c in ("source_id", "respondent_id", "submitted_on")},
                **{c: frame[c] for c in ("segment", "touchpoint", "metric")},
                "score": frame["score"].astype(float),
                "scale_min": low.astype(float),
                "scale_max": high.astype(float),
                "wave": frame["wave"],
                "campus": frame["campus"],
            }
        )
        bulk_insert(con, "responses", rows)
    finally:
        con.close()
    return len(rows)


def import_speed(quick: bool = False) -> list[dict]:
    """``import_file`` of a responses CSV against read_csv + plain SQL into the store's table."""
    from toolkit.store import Engagement

    rows = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "responses.csv"
        write_responses_csv(path, rows)

        def fresh() -> None:  # untimed: an empty store for each run, either side
            shutil.rmtree(folder / "eng", ignore_errors=True)
            Engagement.init(folder / "eng", starter_codebook=False)

        def toolkit() -> int:
            return Engagement.open(folder / "eng").import_file(path, table="responses").rows_added

        def floor() -> int:
            return _floor_import(path, folder / "eng" / "data.sqlite")

        pair = pairs(toolkit, floor, runs=3 if quick else STORE_RUNS, before=fresh)
    assert pair.last["action"] == pair.last["floor"] == rows, pair.last
    return [
        figure(
            f"import a {rows:,}-row responses CSV (all or nothing, checks, dedupe)",
            pair,
            "read_csv + executemany into the store's table, same pragmas, indexes after",
            1.3,
        )
    ]


def _run(command: list[str]):
    return lambda: subprocess.run(command, check=True, capture_output=True)


def startup_time(quick: bool = False) -> list[dict]:
    """Fresh interpreters: the toolkit's import and CLI against ``import pandas``."""
    runs = RUNS if quick else 9
    pandas = _run([sys.executable, "-c", "import pandas"])
    cli = [
        sys.executable,
        "-c",
        "import sys; from toolkit.cli import main; sys.argv=['service-toolkit','--help']; main()",
    ]
    return [
        figure(
            "python -c 'import toolkit'",
            pairs(_run([sys.executable, "-c", "import toolkit"]), pandas, runs=runs),
            "python -c 'import pandas'",
            1.3,
        ),
        figure(
            "service-toolkit --help",
            pairs(_run(cli), pandas, runs=runs),
            "python -c 'import pandas'",
            1.3,
        ),
    ]
