"""A report batch on a Dask cluster against the same batch run locally with warm kernels.

``report … --each campus --cluster ADDRESS`` on a local cluster of two worker processes
(one thread each, TLS with ``Security.temporary()``), against ``report … --each campus``
on this machine (warm kernels, ``--jobs 2``, the same two reports at a time): 120 reports
(four reports × the university demo's 30 campuses; the second two are the same notebooks
given by path, so they travel as text), interleaved pairs. Goal: ≤ 1.2×.

What it measures is the cluster's own cost (planning here, a task per report, the files
sent back), not what it buys: on one machine both sides run two reports at a time. On
N worker machines of C cores each, N×C reports run at once, so the batch takes about
1/(N×C/2) of this machine's time times the ratio printed here.

The cluster (scheduler and workers) is started once, before the pairs, as a team's
cluster would already be running, and each side runs one untimed batch first (a new
worker loads papermill and Vega on its first batch, once); its start-up is printed in
the note. The cluster's
CPU is the CPU of its worker processes and their kernels (psutil), not counted by the
harness (they are not this process's waited-for children); it is in the note too.

    python benchmarks/run.py --only cluster            # 120 reports, five pairs
    python benchmarks/run.py --only cluster --quick    # 12 reports, three pairs
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.timing import RUNS, figure, pairs


def _tree_cpu(processes) -> float:
    import psutil

    total = 0.0
    for process in processes:
        try:
            for p in [process, *process.children(recursive=True)]:
                times = p.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            continue
    return total


def cluster(quick: bool = False, runs: int | None = None) -> list[dict]:
    """120 campus reports on a local 2-worker cluster vs the local warm-kernel batch.

    ``runs`` overrides the number of pairs (at least five for a figure in the table; one
    pair gives a first look at full size on a busy machine).
    """
    import psutil
    from distributed import Client, LocalCluster, Security

    from toolkit._resources import resource_dir
    from toolkit.demo import init_demo
    from toolkit.reports.runner import run_reports

    count = 3 if quick else 30
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        eng = init_demo(folder / "university", "university")
        campuses = sorted(set(eng.responses["campus"]))[:count]
        again = folder / "again"
        again.mkdir()
        names = ["needs-gap", "satisfaction"]
        for name in ("needs_gap", "satisfaction"):  # the same notebooks, given by path
            copy = again / f"{name}_again.ipynb"
            shutil.copy(resource_dir("notebooks") / f"{name}.ipynb", copy)
            names.append(str(copy))
        parameters = {"subset": {"campus": campuses}}
        total = len(names) * len(campuses)
        security = Security.temporary()
        started = time.perf_counter()
        with LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            security=security,
            dashboard_address="127.0.0.1:0",  # its HTTP routes on loopback only
        ) as local_cluster:
            with Client(local_cluster.scheduler_address, security=security) as client:
                client.wait_for_workers(2)
            up = time.perf_counter() - started
            workers = [
                psutil.Process(p.process.pid)
                for p in local_cluster.workers.values()
                if getattr(p, "process", None) is not None
            ]
            cpu = []

            def clear():
                for out in ("cluster-reports", "local-reports"):
                    shutil.rmtree(folder / out, ignore_errors=True)

            def on_cluster(which=parameters, expected=total):
                before = _tree_cpu(workers)
                run = run_reports(
                    eng.path,
                    names,
                    each="campus",
                    parameters=which,
                    cluster=local_cluster.scheduler_address,
                    security=security,
                    out=folder / "cluster-reports",
                    progress=False,
                )
                cpu.append(_tree_cpu(workers) - before)
                assert run.status == "ok" and len(run.results) == expected, run.failed[:1]

            def local(which=parameters, expected=total):
                run = run_reports(
                    eng.path,
                    names,
                    each="campus",
                    parameters=which,
                    jobs=2,
                    out=folder / "local-reports",
                    progress=False,
                )
                assert run.status == "ok" and len(run.results) == expected, run.failed[:1]

            # One untimed batch on each side first: a team's workers are already running,
            # with papermill and Vega loaded (the first batch on a new worker loads them).
            first = {"subset": {"campus": campuses[:1]}}  # one campus: every notebook once
            on_cluster(first, len(names))
            local(first, len(names))
            cpu.clear()
            clear()
            pair = pairs(on_cluster, local, runs=runs or (3 if quick else RUNS), before=clear)
    cpu.sort()
    return [
        figure(
            f"{total} campus reports on a local Dask cluster (2 worker processes, TLS)",
            pair,
            f"the same {total} reports run locally, warm kernels, --jobs 2",
            1.2,
            note=(
                f"cluster started once in {up:.1f} s (not timed); its workers' CPU per batch "
                f"(kernels included, not in the CPU column) median {cpu[len(cpu) // 2]:.1f} s"
            ),
        )
    ]
