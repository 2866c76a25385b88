"""Run the toolkit's benchmarks and print one table: measure, baseline, ratio, target.

Every measurement is compared with a baseline measured in the same run on the same
machine (machines here are noisy, so absolute seconds mean little). Results are also
written as JSON to benchmarks/results/latest.json (and a timestamped copy).

    python benchmarks/run.py            # everything (builds 1,000,000-row files)
    python benchmarks/run.py --quick    # 100,000 rows, for a fast look
    python benchmarks/run.py --only import
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks import (  # noqa: E402
    bench_coding,
    bench_demo,
    bench_forms,
    bench_foundation,
    bench_needs,
    bench_reports,
    bench_satisfaction,
    bench_sources,
)

SUITES = {
    "demo": bench_demo.demo_build,
    "import": bench_foundation.import_speed,
    "startup": bench_foundation.startup_time,
    "needs": bench_needs.coding_speed,
    "coding": bench_coding.coding_accuracy,
    "sources": bench_sources.sources,
    "satisfaction": bench_satisfaction.trend_speed,
    "reports": bench_reports.reports,
    "forms": bench_forms.save_speed,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller data, for a fast look")
    parser.add_argument(
        "--only", choices=sorted(SUITES), action="append", help="run only these suites"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where to write JSON")
    args = parser.parse_args(argv)
    rows = []
    for name in args.only or SUITES:
        print(f"running {name} …", file=sys.stderr, flush=True)
        rows.extend(SUITES[name](quick=args.quick))
    print_table(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    payload = {
        "when": stamp,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "quick": args.quick,
        "results": rows,
    }
    for path in (args.out / "latest.json", args.out / f"{stamp}.json"):
        path.write_text(json.dumps(payload, indent=2))
    failed = [r for r in rows if not r["met"]]
    print(
        f"\n{len(rows) - len(failed)} of {len(rows)} targets met; JSON in {args.out / 'latest.json'}"
    )
    return 0


def print_table(rows) -> None:
    header = ("measure", "value", "baseline", "ratio", "target", "met")
    lines = [
        (
            r["measure"],
            f"{r['value']:.3f} {r['unit']}",
            f"{r['baseline']:.3f} {r['unit']}  ({r['baseline_is']})",
            f"{r['ratio']:.2f}×",
            f"{'≥' if r.get('at_least') else '≤'} {r['target']:.2f}×",
            "yes" if r["met"] else "NO",
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=False)]
    for line in [header, *lines]:
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
