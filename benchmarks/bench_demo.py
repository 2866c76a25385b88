"""Building the large university demo (1,000,000 responses, 30 campuses, 36 months).

``service-toolkit demo`` and every benchmark on the large demo start here. The toolkit's
build (its frames generated, then imported table by table through every check an import
makes, into the store with its constraints and indexes) is measured against the floor:
the same frames generated, then written with ``DataFrame.to_sql`` into plain SQLite tables (target 4×: the
store's constraints and its unique index on a million response ids cost as much as the
rest), and into the store's own tables (target 2×: what the toolkit adds to SQLite's
own cost). ``--quick`` builds the small university demo instead.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
import warnings
from pathlib import Path

from benchmarks.bench_foundation import result


def _floor(folder: Path, size: str, *, schema: str) -> float:
    """Generate the demo's frames and write them with ``to_sql``.

    ``schema="plain"``: into tables with no constraints or indexes; ``schema="store"``:
    into the store's own tables (constraints, unique keys, indexes), attribute columns
    added as the toolkit adds them.
    """
    from toolkit.demo.build import build_demo
    from toolkit.store import MIGRATIONS

    start = time.perf_counter()
    frames = build_demo("university", size=size)
    con = sqlite3.connect(folder / f"floor-{schema}.sqlite")
    con.execute("PRAGMA journal_mode = wal")
    con.execute("PRAGMA synchronous = NORMAL")
    if schema == "store":
        for statement in MIGRATIONS[0]:
            con.execute(statement)
    for name, frame in frames.items():
        if schema == "store":
            have = {r[1] for r in con.execute(f"PRAGMA table_info({name})")}
            for column in frame.columns:
                if column not in have:
                    con.execute(f'ALTER TABLE {name} ADD COLUMN "{column}"')
        frame.to_sql(name, con, index=False, chunksize=100_000, if_exists="append")
    con.commit()
    con.close()
    return time.perf_counter() - start


def _toolkit(folder: Path, size: str) -> tuple[float, int]:
    from toolkit.demo import init_demo

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eng = init_demo(folder / "uni", "university", size=size)
    elapsed = time.perf_counter() - start
    return elapsed, eng.status()["tables"]["responses"]


def demo_build(quick: bool = False) -> list[dict]:
    size = "small" if quick else "large"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plain = _floor(folder, size, schema="plain")
        store = _floor(folder, size, schema="store")
        toolkit, responses = _toolkit(folder, size)
    measure = f"build the {size} university demo ({responses:,} responses)"
    return [
        result(measure, toolkit, plain, "build_demo + to_sql, plain tables", 4.0),
        result(measure, toolkit, store, "build_demo + to_sql, store's tables", 2.0),
    ]
