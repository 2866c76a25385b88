"""Satisfaction benchmarks on the large university demo (1,000,000 responses).

- ``satisfaction_trend`` (monthly, by campus) against a plain pandas groupby-mean over the
  same frame (month from the date, grouped by campus): target at most 3×.
- The satisfaction notebook executed by papermill on the large demo against the same on the
  neighbourhood demo: target at most 2×; and its executed output stays under 2 MB.

``--quick`` uses the small university demo instead of the large one.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from benchmarks.timing import RUNS, absolute, figure, pairs

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "satisfaction.ipynb"
CACHE = ROOT / "benchmarks" / "results" / "cache"


def demo_engagement(name: str, size: str = "small") -> Path:
    """A demo engagement, built once into benchmarks/results/cache and reused."""
    from toolkit.demo import init_demo
    from toolkit.demo.build import rebuild_demo

    path = CACHE / f"{name}-{size}"
    stamp = path / ".built"
    if not stamp.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        if size == "small":
            rebuild_demo(path, name)
        else:
            import shutil

            shutil.rmtree(path, ignore_errors=True)
            init_demo(path, name, size=size)
        stamp.write_text("ok")
    return path


def trend_speed(quick: bool = False) -> list[dict]:
    from toolkit.satisfaction import satisfaction_trend
    from toolkit.store import Engagement

    size = "small" if quick else "large"
    engagement = Engagement.open(demo_engagement("university", size))
    responses = engagement.table("responses")
    rows = len(responses)

    def plain():
        month = responses["submitted_on"].dt.to_period("M")
        return responses.groupby(["campus", month])["score"].mean()

    def trend():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return satisfaction_trend(responses, metric="csat", period="month", by="campus")

    out = [
        figure(
            f"satisfaction_trend, {rows:,} responses, monthly by campus",
            pairs(trend, plain),
            "pandas groupby-mean by campus and month",
            3.0,
        )
    ]
    out.extend(notebook_speed(quick=quick))
    return out


def notebook_speed(quick: bool = False) -> list[dict]:
    import papermill as pm

    size = "small" if quick else "large"
    big = demo_engagement("university", size)
    small = demo_engagement("neighbourhood")
    sizes = {}
    with tempfile.TemporaryDirectory() as tmp:

        def run(label: str, path: Path):
            out = Path(tmp) / f"{label}.ipynb"
            pm.execute_notebook(
                str(NOTEBOOK),
                str(out),
                parameters={
                    "engagement": str(path),
                    "interactive": False,
                    "period": "month",
                    "by": "campus" if label != "neighbourhood" else "segment",
                },
                kernel_name="python3",
                progress_bar=False,
                cwd=tmp,
            )
            sizes[label] = out.stat().st_size

        pair = pairs(
            lambda: run(size, big), lambda: run("neighbourhood", small), runs=3 if quick else RUNS
        )
    return [
        figure(
            f"satisfaction notebook on the {size} university demo (papermill)",
            pair,
            "the same notebook on the neighbourhood demo",
            2.0,
        ),
        absolute(
            f"satisfaction notebook output on the {size} demo", sizes[size] / 1e6, 2.0, unit="MB"
        ),
    ]
