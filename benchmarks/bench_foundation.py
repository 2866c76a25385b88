"""Foundation benchmarks: importing a large responses file, and start-up time."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def result(measure, value, baseline, baseline_is, target, unit="s") -> dict:
    ratio = value / baseline
    return {
        "measure": measure,
        "value": value,
        "baseline": baseline,
        "baseline_is": baseline_is,
        "ratio": ratio,
        "target": target,
        "met": ratio <= target,
        "unit": unit,
    }


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


def _floor(path: Path, folder: Path, *, schema: str) -> float:
    """pandas.read_csv plus one executemany into an equivalent table, in one transaction.

    ``schema="plain"``: a table with the same columns and nothing else (the harder
    baseline); ``schema="store"``: the store's own table, constraints and indexes.
    """
    from toolkit.schema.tables import TABLES
    from toolkit.store import MIGRATIONS

    start = time.perf_counter()
    frame = pd.read_csv(path)
    con = sqlite3.connect(folder / f"floor-{schema}.sqlite", isolation_level=None)
    con.execute("PRAGMA journal_mode = wal")
    con.execute("PRAGMA synchronous = NORMAL")
    if schema == "store":
        for statement in MIGRATIONS[0]:
            con.execute(statement)
    else:
        con.execute(
            "CREATE TABLE imports (import_id, table_name, file_name, sha256, source_format, rows_in, rows_added, rows_excluded, imported_at, toolkit_version)"
        )
        con.execute(
            f"CREATE TABLE responses (_tk_row INTEGER PRIMARY KEY, _tk_import, {', '.join(TABLES['responses'].field_names)})"
        )
    con.execute("ALTER TABLE responses ADD COLUMN campus")
    con.execute(
        "INSERT INTO imports (table_name, file_name, sha256, source_format, rows_in, rows_added, "
        "rows_excluded, imported_at, toolkit_version) VALUES ('responses', 'f', 'x', 'csv', 0, 0, 0, 'now', '0')"
    )
    columns = ["_tk_import", "response_id", "scale_min", "scale_max", *frame.columns]
    frame.insert(0, "_tk_import", 1)
    frame.insert(1, "response_id", [f"x-{i}" for i in range(len(frame))])
    frame.insert(2, "scale_min", 0)
    frame.insert(3, "scale_max", 10)
    sql = f"INSERT INTO responses ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    con.execute("BEGIN")
    con.executemany(sql, frame[columns].itertuples(index=False, name=None))
    con.execute("COMMIT")
    con.close()
    return time.perf_counter() - start


def _toolkit_import(path: Path, folder: Path) -> float:
    from toolkit.store import Engagement

    engagement = Engagement.init(folder / "eng", starter_codebook=False)
    start = time.perf_counter()
    result = engagement.import_file(path, table="responses")
    elapsed = time.perf_counter() - start
    assert result.rows_added > 0
    return elapsed


def import_speed(quick: bool = False) -> list[dict]:
    rows = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "responses.csv"
        write_responses_csv(path, rows)
        plain = _floor(path, folder, schema="plain")
        store = _floor(path, folder, schema="store")
        toolkit = _toolkit_import(path, folder)
    measure = f"import {rows:,}-row responses CSV"
    return [
        result(measure, toolkit, plain, "read_csv + executemany, plain table", 2.0),
        result(measure, toolkit, store, "read_csv + executemany, store's table", 2.0),
    ]


def _best_of(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def startup_time(quick: bool = False) -> list[dict]:
    runs = 5 if quick else 9
    cli = [
        sys.executable,
        "-c",
        "import sys; from toolkit.cli import main; sys.argv=['service-toolkit','--help']; main()",
    ]
    commands = {
        "pandas": [sys.executable, "-c", "import pandas"],
        "toolkit": [sys.executable, "-c", "import toolkit"],
        "cli": cli,
    }
    # Interleave the runs so a busy moment hurts all three alike.
    best = {name: float("inf") for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            best[name] = min(best[name], _best_of(command, 1))
    return [
        result("python -c 'import toolkit'", best["toolkit"], best["pandas"], "import pandas", 1.3),
        result("service-toolkit --help", best["cli"], best["pandas"], "import pandas", 1.3),
    ]
