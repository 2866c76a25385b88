"""Report benchmarks: one report against the kernel's floor, a batch of 30, HTML size.

- One report, HTML included (``service-toolkit report ENG needs-gap``), against a
  papermill run of a notebook that only imports pandas and altair and reads the same
  engagement's tables: the floor any papermill report pays (target ≤ 1.3×).
- ``--each campus`` on the large university demo (1,000,000 responses, 30 campuses),
  the satisfaction report, against the same 30 reports run one after another with the
  papermill command line (target ≤ 0.35×). ``--quick`` runs 6 campuses on each side.
- A report with 12 charts: its HTML against the 2.5 MB budget (target ≤ 1.0×).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_foundation import result

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "notebooks"
CACHE = Path(__file__).resolve().parent / "results" / ".cache"

FLOOR_CELL = """\
import altair as alt
import pandas as pd

from toolkit.store import Engagement

tables, fingerprint = Engagement.open(engagement).snapshot({tables!r})
print(fingerprint, {{name: len(frame) for name, frame in tables.items()}})"""


def _cli() -> list[str]:
    return [sys.executable, "-m", "toolkit.cli"]


def _papermill() -> list[str]:
    return [sys.executable, "-m", "papermill", "--no-progress-bar", "-k", "python3"]


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return elapsed


def _floor_notebook(folder: Path, tables: tuple[str, ...]) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell('engagement = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(FLOOR_CELL.format(tables=tables)),
    ]
    path = folder / "floor.ipynb"
    nbformat.write(nb, path)
    return path


def one_report(quick: bool = False) -> list[dict]:
    """``service-toolkit report ENG needs-gap`` against the papermill floor, best of n."""
    from toolkit.demo import init_demo
    from toolkit.reports.needs import NEEDS_TABLES

    runs = 1 if quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        eng = init_demo(folder / "riverside", "neighbourhood")
        floor = _floor_notebook(folder, NEEDS_TABLES)
        plain = [
            *_papermill(),
            str(floor),
            str(folder / "out.ipynb"),
            "-p",
            "engagement",
            str(eng.path),
        ]
        # One warm-up of each, so that both read files from the page cache.
        _timed(plain)
        _timed([*_cli(), "report", str(eng.path), "needs-gap", "--out", str(folder / "warm")])
        baseline = min(_timed(plain) for _ in range(runs))
        value = min(
            _timed(
                [*_cli(), "report", str(eng.path), "needs-gap", "--out", str(folder / "reports")]
            )
            for _ in range(runs)
        )
    return [
        result(
            "one report, HTML included (needs-gap, neighbourhood demo)",
            value,
            baseline,
            "papermill: import pandas+altair, read the tables",
            1.3,
        )
    ]


def _university_large() -> Path:
    """The large university demo, built once and kept in benchmarks/results/.cache."""
    from toolkit.demo import init_demo

    path = CACHE / "university-large"
    stamp = path / ".bench-stamp"
    if not stamp.exists():
        shutil.rmtree(path, ignore_errors=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        init_demo(path, "university", size="large")
        stamp.write_text("built")
    shutil.rmtree(path / "reports", ignore_errors=True)
    return path


def batch(quick: bool = False) -> list[dict]:
    """``report --each campus`` against the same reports one after another with papermill."""
    import sqlite3

    from toolkit._resources import resource_dir

    path = _university_large()
    with sqlite3.connect(path / "data.sqlite") as con:
        campuses = sorted(r[0] for r in con.execute("SELECT DISTINCT campus FROM responses"))
    count = 6 if quick else 30
    campuses = campuses[:count]
    notebook = resource_dir("notebooks") / "satisfaction.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        for i, campus in enumerate(campuses):
            params = json.dumps(
                {"engagement": str(path), "interactive": False, "subset": {"campus": campus}}
            )
            _timed([*_papermill(), str(notebook), str(folder / f"r{i}.ipynb"), "-y", params])
        baseline = time.perf_counter() - start
        command = [
            *_cli(),
            "report",
            str(path),
            "satisfaction",
            "--each",
            "campus",
            "--out",
            str(folder / "reports"),
        ]
        if quick:  # the same campuses as the baseline
            command += ["-y", json.dumps({"subset": {"campus": campuses}})]
        value = _timed(command)
    return [
        result(
            f"{count} campus reports, --each campus (university, 1,000,000 responses)",
            value,
            baseline,
            f"{count} papermill command-line runs, one after another",
            0.35,
        )
    ]


def html_size(quick: bool = False) -> list[dict]:
    """The HTML of a report drawing 12 charts, against the 2.5 MB budget."""
    from toolkit.demo import init_demo
    from toolkit.reports.runner import run_report

    with tempfile.TemporaryDirectory() as tmp:
        eng = init_demo(Path(tmp) / "uni", "university")
        done = run_report(eng.path, FIXTURES / "twelve_charts.ipynb", out=Path(tmp) / "reports")
        size = done.html.stat().st_size / 1e6
    return [
        result("HTML of a report with 12 charts", size, 2.5, "the 2.5 MB budget", 1.0, unit="MB")
    ]


def reports(quick: bool = False) -> list[dict]:
    """Every report measurement (the suite ``reports`` of benchmarks/run.py)."""
    return [*one_report(quick), *html_size(quick), *batch(quick)]
