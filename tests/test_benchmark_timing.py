"""The benchmarks' timing harness (benchmarks/timing.py): interleaved pairs, CPU of
child processes counted, the goal beside each figure. No timing is asserted."""

from __future__ import annotations

import subprocess
import sys

from benchmarks.timing import absolute, figure, pairs


def test_pairs_interleave_and_alternate_which_side_goes_first():
    order = []
    pair = pairs(lambda: order.append("a"), lambda: order.append("f"), runs=4)
    assert order == ["a", "f", "f", "a", "a", "f", "f", "a"]
    assert len(pair.action.wall) == len(pair.floor.wall) == 4
    assert len(pair.action.cpu) == 4


def test_cpu_of_a_child_process_is_counted():
    burn = [sys.executable, "-c", "sum(i * i for i in range(3_000_000))"]
    pair = pairs(lambda: subprocess.run(burn, check=True), lambda: None, runs=1)
    assert pair.action.cpu[0] > 0  # the child's CPU, though this process only waited
    assert pair.floor.cpu[0] < pair.action.cpu[0]


def test_a_figure_carries_its_goal_its_floor_and_the_load():
    pair = pairs(lambda: sum(range(10_000)), lambda: None, runs=5)
    row = figure("sum", pair, "nothing", 1.3)
    assert row["goal_text"] == "≤ 1.3×" and row["floor_is"] == "nothing"
    assert row["action"]["runs"] == row["floor_runs"]["runs"] == 5
    assert set(row["action"]) >= {"wall_min", "wall_median", "cpu_min", "cpu_median"}
    assert len(row["load"]) == 2
    assert row["met"] == (row["ratio"] <= 1.3)
    assert absolute("p95", 120.0, 150, unit="ms")["met"]
    assert not absolute("precision", 0.9, 0.97, unit="", at_least=True)["met"]


def _fake_run(folder, when: str, quick: bool, rows: list[dict]) -> None:
    import json

    payload = {"when": when, "quick": quick, "results": rows}
    (folder / f"{when}.json").write_text(json.dumps(payload), encoding="utf-8")


def test_each_figure_is_set_beside_its_previous_run(tmp_path):
    from benchmarks.run import _before, figure_key, markdown, previous_results, twice

    pair = pairs(lambda: None, lambda: None, runs=1)
    met, missed = figure("a", pair, "f", 1e9), figure("b", pair, "f", 0)
    shown = absolute("Save shown, p95 of 24 (p50 80 ms)", 90, 100, unit="ms")
    for row in (met, missed, shown):
        row["suite"] = "s"
    _fake_run(tmp_path, "20261205-100000", False, [{**met, "met": False}, missed])
    _fake_run(tmp_path, "20261205-110000", False, [met, {**shown, "measure": shown["measure"]}])
    _fake_run(tmp_path, "20261205-120000", True, [{**met, "met": False}])  # --quick: not this
    (tmp_path / "20261205-130000.json").write_text("not json", encoding="utf-8")
    earlier = previous_results(tmp_path, quick=False)
    again = absolute("Save shown, p95 of 21 (p50 95 ms)", 99, 100, unit="ms")
    again["suite"] = "s"
    assert figure_key(again) == figure_key(shown)  # the p50 and the count change run to run
    rows = []
    for row in (met, missed, again, {**figure("new", pair, "f", 1e9), "suite": "s"}):
        rows.append({**row, **_before(earlier.get(figure_key(row)))})
    assert [r["met_before"] for r in rows] == [True, False, True, None]
    assert rows[0]["before_when"] == "20261205-110000"  # the latest earlier run
    summary = twice(rows)
    assert summary.startswith("2 of 4 goals met in this run and the previous one")
    assert "b: this run NOT met, run 20261205-100000 NOT met" in summary
    assert "new: no earlier run to compare" in summary
    table = markdown(rows)
    assert "met last run" in table.splitlines()[0]
    assert "| yes (90 ms) |" in table and "| **NO** (0.00×) |" not in table
