"""Report benchmarks: one report against the kernel's floor, a batch of 30, HTML size.

Every papermill floor's kernels get the import-time fix the toolkit's kernels get (the
rfc3987 block of :mod:`toolkit._startup`, through an IPython startup file).

- One report, HTML included (``service-toolkit report ENG needs-gap``), against papermill
  running the same notebook with the same parameters and nbconvert writing its HTML
  (goal ≤ 1.3×); and, with no goal, against a papermill run of a notebook that only
  imports pandas and altair and reads the same tables (the least any papermill report
  pays: the report's analysis, charts and HTML are not in it).
- ``--each campus --jobs N`` on the large university demo (1,000,000 responses, 30
  campuses), the satisfaction report, against the same 30 reports by the papermill
  command line, N at a time (N = the toolkit's default, min(4, CPUs); goal ≤ 0.7×, the
  earlier 0.35× of one-at-a-time papermill with the floor now given the same jobs).
  ``--quick`` runs 6 campuses on each side.
- A report with 12 charts: its HTML against the 2.5 MB budget.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.timing import RUNS, absolute, figure, pairs

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


def _run(command: list[str], env: dict | None = None) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )


def floor_environment(folder: Path) -> dict:
    """The environment of a floor's papermill: its kernels get the toolkit's import-time fix.

    The toolkit's own kernels call :func:`toolkit._startup.skip_unused_rfc3987` before
    Altair is imported; an IPython startup file in a private IPYTHONDIR does the same in
    every kernel papermill starts, so the floor pays no import the toolkit skips.
    """
    startup = folder / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-toolkit-startup.py").write_text(
        "from toolkit._startup import skip_unused_rfc3987\n\nskip_unused_rfc3987()\n",
        encoding="utf-8",
    )
    return {**os.environ, "IPYTHONDIR": str(folder / "ipython"), "PYTHONPATH": str(REPO)}


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
    """``service-toolkit report ENG needs-gap`` against two papermill floors.

    The goal's floor does the same work the obvious way: papermill runs the same notebook
    with the same parameters, then ``jupyter nbconvert --to html --no-input`` writes its
    HTML (≤ 1.3×). The second floor only imports pandas and Altair and reads the tables,
    the least any papermill report pays; it does none of the report's analysis, charts or
    HTML, so its ratio (in the note, no goal) says what the report's content costs.
    """
    from toolkit._resources import resource_dir
    from toolkit.demo import init_demo
    from toolkit.reports.needs import NEEDS_TABLES

    runs = 3 if quick else RUNS
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        eng = init_demo(folder / "riverside", "neighbourhood")
        env = floor_environment(folder)
        floor = _floor_notebook(folder, NEEDS_TABLES)
        plain = [*_papermill(), str(floor), str(folder / "out.ipynb"), "-p", "engagement"]
        plain.append(str(eng.path))
        executed = folder / "same.ipynb"
        params = json.dumps({"engagement": str(eng.path), "interactive": False})
        notebook = resource_dir("notebooks") / "needs_gap.ipynb"
        same = [*_papermill(), str(notebook), str(executed), "-y", params]
        html = [sys.executable, "-m", "nbconvert", "--to", "html", "--no-input", str(executed)]
        report = [*_cli(), "report", str(eng.path), "needs-gap", "--out", str(folder / "reports")]

        def same_work() -> None:
            _run(same, env)
            _run(html, env)

        # One warm-up of each, so that all read files from the page cache.
        _run(plain, env)
        same_work()
        _run(report)
        pair = pairs(lambda: _run(report), same_work, runs=runs)
        bare = pairs(lambda: _run(report), lambda: _run(plain, env), runs=runs)
    lean = figure("", bare, "", 1.3)
    return [
        figure(
            "one report, HTML included (needs-gap, neighbourhood demo)",
            pair,
            "papermill of the same notebook, then nbconvert --to html (same rfc3987 fix)",
            1.3,
            note=(
                f"against a notebook that only imports pandas+altair and reads the tables "
                f"(no goal): {lean['ratio']:.2f}× wall, {lean['cpu_ratio']:.2f}× CPU, its "
                f"median {lean['floor']:.2f} s, CPU {lean['floor_runs']['cpu_median']:.2f} s"
            ),
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


def batch(quick: bool = False, runs: int | None = None) -> list[dict]:
    """``report --each campus --jobs N`` against the same reports by papermill, N at a time.

    ``runs`` overrides the number of pairs (at least five for a figure in the table; one
    pair gives a first look at full size on a busy machine).
    """
    import sqlite3
    from concurrent.futures import ThreadPoolExecutor

    from toolkit._resources import resource_dir

    path = _university_large()
    with sqlite3.connect(path / "data.sqlite") as con:
        campuses = sorted(r[0] for r in con.execute("SELECT DISTINCT campus FROM responses"))
    count = 6 if quick else 30
    campuses = campuses[:count]
    jobs = min(4, os.cpu_count() or 1)  # the toolkit's own default
    notebook = resource_dir("notebooks") / "satisfaction.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = floor_environment(folder)

        def floor():
            def one(i: int) -> None:
                params = json.dumps(
                    {
                        "engagement": str(path),
                        "interactive": False,
                        "subset": {"campus": campuses[i]},
                    }
                )
                _run([*_papermill(), str(notebook), str(folder / f"r{i}.ipynb"), "-y", params], env)

            with ThreadPoolExecutor(jobs) as pool:
                list(pool.map(one, range(len(campuses))))

        command = [
            *_cli(),
            "report",
            str(path),
            "satisfaction",
            "--each",
            "campus",
            "--jobs",
            str(jobs),
            "--out",
            str(folder / "reports"),
        ]
        if quick:  # the same campuses as the floor
            command += ["-y", json.dumps({"subset": {"campus": campuses}})]
        pair = pairs(lambda: _run(command), floor, runs=runs or (2 if quick else RUNS))
    return [
        figure(
            f"{count} campus reports, --each campus --jobs {jobs} (university, 1,000,000 responses)",
            pair,
            f"{count} papermill command-line runs, {jobs} at a time (same rfc3987 fix)",
            0.7,
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
        absolute("HTML of a report with 12 charts (small university demo)", size, 2.5, unit="MB")
    ]


def reports(quick: bool = False) -> list[dict]:
    """Every report measurement (the suite ``reports`` of benchmarks/run.py)."""
    return [*one_report(quick), *html_size(quick), *batch(quick)]
