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
