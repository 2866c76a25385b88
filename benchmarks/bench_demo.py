"""Building the large university demo (1,000,000 responses, 30 campuses, 36 months).

``service-toolkit demo`` and every benchmark on the large demo start here. The toolkit's
build (its frames generated, then imported table by table through every check an import
makes, into the store with its constraints and indexes) is measured against the floor:
the same frames generated, then written by one executemany a table into the store's own
tables with the store's own SQLite settings, indexes built after the rows (goal 1.5×:
what the toolkit adds to generating the data and SQLite's own cost). ``--quick`` builds
the small university demo instead.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path

from benchmarks.bench_foundation import bulk_insert, store_connection
from benchmarks.timing import STORE_RUNS, figure, pairs


def _floor(store: Path, size: str) -> int:
    """Generate the demo's frames and write them into the store's own tables the obvious
    fast way (:func:`~benchmarks.bench_foundation.bulk_insert`: one executemany a table,
    its indexes built after the rows; attribute columns added as the toolkit adds them,
    dates and times written as the store keeps them), on a connection with the store's own settings."""
    from toolkit.demo.build import build_demo
    from toolkit.schema.tables import LOAD_ORDER

    frames = build_demo("university", size=size)
    con = store_connection(store)
    try:
        for name in sorted(frames, key=LOAD_ORDER.index):  # rows referred to land first
            frame = frames[name]
            have = {r[1] for r in con.execute(f'PRAGMA table_info("{name}")')}
            for column in frame.columns:
                if column not in have:
                    con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{column}"')
            dates = frame.select_dtypes("datetime")
            frame = frame.assign(**{c: dates[c].dt.strftime("%Y-%m-%d %H:%M:%S") for c in dates})
            bulk_insert(con, name, frame)
    finally:
        con.close()
    return len(frames["responses"])


def demo_build(quick: bool = False) -> list[dict]:
    from toolkit.demo import init_demo
    from toolkit.store import Engagement

    size = "small" if quick else "large"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def fresh() -> None:  # untimed: nothing there for the toolkit, an empty store for the floor
            shutil.rmtree(folder / "uni", ignore_errors=True)
            shutil.rmtree(folder / "floor", ignore_errors=True)
            Engagement.init(folder / "floor", starter_codebook=False)

        def toolkit() -> int:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                eng = init_demo(folder / "uni", "university", size=size)
            return eng.status()["tables"]["responses"]

        pair = pairs(
            toolkit,
            lambda: _floor(folder / "floor" / "data.sqlite", size),
            runs=3 if quick else STORE_RUNS,
            before=fresh,
        )
    responses = pair.last["action"]
    return [
        figure(
            f"init --demo university --size {size} ({responses:,} responses)",
            pair,
            "build_demo + executemany into the store's tables, same pragmas, indexes after",
            1.5,
        ),
    ]
