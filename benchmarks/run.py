"""Run the toolkit's benchmarks and print one table: measure, floor, ratio, goal.

Every ratio compares the toolkit's action with a floor (the same work done the obvious
fast way, with the same settings) timed in the same run, in interleaved pairs, at least
five of each (:mod:`benchmarks.timing`): machines here are noisy, so absolute seconds
mean little. The table gives the minimum and median wall and CPU time of both sides and
the machine's load average before and after each figure. Results are written to
benchmarks/results/latest.json and latest.md (and timestamped copies).

    python benchmarks/run.py            # everything (builds 1,000,000-row files)
    python benchmarks/run.py --quick    # smaller data and fewer runs, for a fast look
    python benchmarks/run.py --only import
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks import (  # noqa: E402
    bench_cluster,
    bench_coding,
    bench_demo,
    bench_forms,
    bench_foundation,
    bench_needs,
    bench_reads,
    bench_reports,
    bench_satisfaction,
    bench_sources,
)
from benchmarks.timing import load  # noqa: E402

SUITES = {
    "demo": bench_demo.demo_build,
    "import": bench_foundation.import_speed,
    "reads": bench_reads.read_speed,
    "startup": bench_foundation.startup_time,
    "needs": bench_needs.coding_speed,
    "coding": bench_coding.coding_accuracy,
    "sources": bench_sources.sources,
    "satisfaction": bench_satisfaction.trend_speed,
    "reports": bench_reports.reports,
    "cluster": bench_cluster.cluster,
    "forms": bench_forms.forms,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller data, for a fast look")
    parser.add_argument(
        "--only", choices=sorted(SUITES), action="append", help="run only these suites"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where to write results")
    args = parser.parse_args(argv)
    rows = []
    started = load()
    for name in args.only or SUITES:
        print(f"running {name} … (load {load():.2f})", file=sys.stderr, flush=True)
        for row in SUITES[name](quick=args.quick):
            row["suite"] = name
            rows.append(row)
    table = markdown(rows)
    print()
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    payload = {
        "when": stamp,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "load": [round(started, 2), round(load(), 2)],
        "results": rows,
    }
    for name in ("latest", stamp):
        (args.out / f"{name}.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
        (args.out / f"{name}.md").write_text(
            f"Run {stamp} UTC, Python {payload['python']}, {payload['cpus']} CPUs, "
            f"load {payload['load'][0]:.2f} → {payload['load'][1]:.2f}"
            f"{' (--quick)' if args.quick else ''}\n\n{table}\n",
            encoding="utf-8",
        )
    failed = [r for r in rows if not r["met"]]
    print(
        f"\n{len(rows) - len(failed)} of {len(rows)} goals met; "
        f"results in {args.out / 'latest.json'} and latest.md"
    )
    return 0


def _seconds(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.0f} ms"
    return f"{value:.3g} {unit}".rstrip()


def _span(side: dict, unit: str) -> str:
    """min / median of wall, then of CPU, of one side."""
    if not side or "wall_min" not in side:
        return ""
    wall = f"{_seconds(side['wall_min'], unit)} / {_seconds(side['wall_median'], unit)}"
    if side["cpu_median"] != side["cpu_median"]:  # NaN: not measured
        return wall
    return f"{wall}; CPU {_seconds(side['cpu_min'], unit)} / {_seconds(side['cpu_median'], unit)}"


def _ratio(value) -> str:
    return f"{value:.2f}×" if value is not None and value == value else ""


def markdown(rows) -> str:
    """The results as a Markdown table, the goal beside each figure.

    The ratio (the goal's) is of median wall times; the CPU ratio, of median CPU times
    (children included), says more than wall time when the machine is busy.
    """
    header = (
        "measure",
        "toolkit",
        "floor",
        "ratio",
        "CPU ratio",
        "goal",
        "met",
        "toolkit wall min/median; CPU min/median",
        "floor wall min/median; CPU min/median",
        "load before→after",
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        unit = r["unit"]
        floor = f"{_seconds(r['floor'], unit)} ({r['floor_is']})" if r["floor"] is not None else ""
        cells = (
            r["measure"] + (f" — {r['note']}" if r.get("note") else ""),
            _seconds(r["value"], unit),
            floor,
            f"{r['ratio']:.2f}×" if r["ratio"] is not None else "",
            _ratio(r.get("cpu_ratio")),
            r["goal_text"],
            "yes" if r["met"] else "**NO**",
            _span(r["action"], unit),
            _span(r["floor_runs"], unit),
            f"{r['load'][0]:.2f}→{r['load'][1]:.2f}",
        )
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
