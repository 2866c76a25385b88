"""How every benchmark figure is timed, so that none can flatter.

- The toolkit's action and its floor (the same work done the obvious fast way) run in
  interleaved pairs, at least five of each, alternating which goes first, so a busy
  moment or a warm cache hurts or helps both alike.
- Each run records its wall time and its CPU time: this process's own plus that of the
  child processes it waited for (``resource.getrusage(RUSAGE_CHILDREN)`` deltas), so a
  subprocess's work is counted too.
- The figure is the ratio of the medians of wall time; the minimum, median and CPU of
  each side are printed beside it, with the machine's load average before and after.

:func:`figure` builds the row that ``benchmarks/run.py`` prints and writes; a
benchmark's goal goes beside its figure there.
"""

from __future__ import annotations

import gc
import os
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: At least this many runs of each side of a pair (``--quick`` may use fewer).
RUNS = 5
#: Runs of each side for a figure whose runs take under a second or so: more of them
#: cost little and steady its median (five runs of a 0.3 s read moved its ratio by a
#: tenth from one run of the benchmarks to the next on this 2-core machine).
SHORT_RUNS = 15
#: Runs of each side for the figures on a 1,000,000-row store (the import, the large
#: demo, the whole read): the toolkit's side of these moved most between runs (its
#: median 10–35% over its minimum at a load near 1, the floor's far less), and five
#: runs let one or two slow ones set the median.
STORE_RUNS = 9


def load() -> float:
    """The machine's one-minute load average (runnable processes, all users)."""
    return os.getloadavg()[0]


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Runs:
    """The wall and CPU seconds of each run of one side of a pair."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    def summary(self) -> dict:
        return {
            "runs": len(self.wall),
            "wall_min": min(self.wall),
            "wall_median": statistics.median(self.wall),
            "cpu_min": min(self.cpu),
            "cpu_median": statistics.median(self.cpu),
            "wall_each": [round(t, 4) for t in self.wall],  # in the order run (JSON only)
        }


def timed(action: Callable[[], object], into: Runs) -> object:
    """Run ``action`` once, adding its wall and CPU time (children included) to ``into``."""
    gc.collect()
    cpu, start = _cpu(), time.perf_counter()
    value = action()
    into.add(time.perf_counter() - start, _cpu() - cpu)
    return value


@dataclass
class Pair:
    """An action and its floor, timed in interleaved pairs."""

    action: Runs = field(default_factory=Runs)
    floor: Runs = field(default_factory=Runs)
    load_before: float = 0.0
    load_after: float = 0.0
    last: dict = field(default_factory=dict)


def pairs(
    action: Callable[[], object],
    floor: Callable[[], object],
    *,
    runs: int = RUNS,
    before: Callable[[], None] | None = None,
) -> Pair:
    """Time ``action`` and ``floor`` ``runs`` times each, interleaved.

    The order alternates (action first, then floor first), so neither side always runs
    on a cache the other warmed. ``before`` runs ahead of every timed run, untimed (to
    clear a folder, say). The last value each side returned is kept in ``Pair.last``.
    """
    pair = Pair(load_before=load())
    sides = [("action", action, pair.action), ("floor", floor, pair.floor)]
    for i in range(runs):
        for name, func, into in sides if i % 2 == 0 else sides[::-1]:
            if before is not None:
                before()
            pair.last[name] = timed(func, into)
    pair.load_after = load()
    return pair


def figure(
    measure: str,
    pair: Pair,
    floor_is: str,
    goal: float,
    *,
    unit: str = "s",
    note: str = "",
) -> dict:
    """One row of the table: the ratio of median wall times against ``goal`` (≤)."""
    action, floor = pair.action.summary(), pair.floor.summary()
    ratio = action["wall_median"] / floor["wall_median"]
    cpu_ratio = action["cpu_median"] / floor["cpu_median"] if floor["cpu_median"] else None
    return {
        "measure": measure,
        "floor_is": floor_is,
        "kind": "ratio",
        "value": action["wall_median"],
        "floor": floor["wall_median"],
        "ratio": ratio,
        "cpu_ratio": cpu_ratio,
        "goal": goal,
        "goal_text": f"≤ {goal:g}×",
        "met": ratio <= goal,
        "unit": unit,
        "action": action,
        "floor_runs": floor,
        "load": [round(pair.load_before, 2), round(pair.load_after, 2)],
        "note": note,
    }


def absolute(
    measure: str,
    value: float,
    goal: float,
    *,
    unit: str,
    at_least: bool = False,
    detail: dict | None = None,
    load_span: tuple[float, float] | None = None,
    note: str = "",
) -> dict:
    """One row whose goal is a number, not a ratio (a p95 in ms, a precision)."""
    met = value >= goal if at_least else value <= goal
    return {
        "measure": measure,
        "floor_is": "",
        "kind": "absolute",
        "value": value,
        "floor": None,
        "ratio": None,
        "cpu_ratio": None,
        "goal": goal,
        "goal_text": f"{'≥' if at_least else '≤'} {goal:g} {unit}".rstrip(),
        "met": bool(met),
        "unit": unit,
        "action": detail or {},
        "floor_runs": {},
        "load": list(load_span) if load_span else [round(load(), 2)] * 2,
        "note": note,
    }
