"""Run the toolkit's benchmarks and print one table: measure, floor, ratio, goal.

Every ratio compares the toolkit's action with a floor (the same work done the obvious
fast way, with the same settings) timed in the same run, in interleaved pairs, at least
five of each (:mod:`benchmarks.timing`): machines here are noisy, so absolute seconds
mean little. The table gives the minimum and median wall and CPU time of both sides and
the machine's load average before and after each figure. Results are written to
benchmarks/results/latest.json and latest.md (and timestamped copies). Beside each
figure stands whether the previous run of the same figure (same ``--quick``, from the
timestamped copies) met its goal too: a goal counts as met when two runs in a row meet it.

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
import re
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
    earlier = previous_results(args.out, args.quick)
    started = load()
    for name in args.only or SUITES:
        print(f"running {name} … (load {load():.2f})", file=sys.stderr, flush=True)
        for row in SUITES[name](quick=args.quick):
            row["suite"] = name
            row.update(_before(earlier.get(figure_key(row))))
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
    print(f"\n{len(rows) - len(failed)} of {len(rows)} goals met in this run")
    print(twice(rows))
    print(f"results in {args.out / 'latest.json'} and latest.md")
    return 0


def figure_key(row: dict) -> tuple[str, str]:
    """What names a figure from run to run: its suite and measure, without the parts
    that change with every run (a p50, the number of saves timed)."""
    measure = re.sub(r"\s*\(p50 [^)]*\)", "", row["measure"])
    return row.get("suite", ""), re.sub(r"p(\d+) of \d+", r"p\1", measure)


def previous_results(out: Path, quick: bool) -> dict[tuple[str, str], dict]:
    """The latest earlier row of each figure in ``out``'s timestamped results (runs
    with the same ``--quick``), so a run of one suite still finds the others' last runs."""
    found: dict[tuple[str, str], dict] = {}
    for path in sorted(out.glob("[0-9]*-[0-9]*.json")):  # timestamps sort by time
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(payload, dict) or payload.get("quick") != quick:
            continue
        for row in payload.get("results", []):
            if isinstance(row, dict) and "measure" in row:
                found[figure_key(row)] = {**row, "when": payload.get("when", path.stem)}
    return found


def _before(row: dict | None) -> dict:
    """The previous run of a figure, as the fields a row keeps of it."""
    if row is None:
        return {"met_before": None, "before_when": None, "ratio_before": None}
    value = row["ratio"] if row.get("ratio") is not None else row.get("value")
    return {"met_before": bool(row["met"]), "before_when": row["when"], "ratio_before": value}


def twice(rows: list[dict]) -> str:
    """Which goals were met in this run and in the previous run of the same figure."""
    both = [r for r in rows if r["met"] and r.get("met_before")]
    lines = [f"{len(both)} of {len(rows)} goals met in this run and the previous one"]
    for r in rows:
        if r["met"] and r.get("met_before"):
            continue
        if r.get("met_before") is None:
            why = "no earlier run to compare" + ("" if r["met"] else "; not met now")
        else:
            why = f"this run {'met' if r['met'] else 'NOT met'}, run {r['before_when']} " + (
                "met" if r["met_before"] else "NOT met"
            )
        lines.append(f"  - {r['measure']}: {why}")
    return "\n".join(lines)


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


def _last(row: dict) -> str:
    """The previous run of the figure: met or not, and its ratio (or value)."""
    if row.get("met_before") is None:
        return "—"
    value = row.get("ratio_before")
    shown = ""
    if value is not None:
        ratio = row.get("ratio") is not None
        shown = f" ({value:.2f}×)" if ratio else f" ({_seconds(value, row['unit'])})"
    return ("yes" if row["met_before"] else "**NO**") + shown


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
        "met last run",
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
            _last(r),
            _span(r["action"], unit),
            _span(r["floor_runs"], unit),
            f"{r['load'][0]:.2f}→{r['load'][1]:.2f}",
        )
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
