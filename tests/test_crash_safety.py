"""Kill an import and a run of form saves with SIGKILL at many points: nothing half-lands.

Two child processes share one engagement: one imports a 200,000-row responses file, the
other saves customers one form entry at a time and says so after each save returns. Both
are killed at once, at points spread over the import's write transaction and before it.
Then the store must pass ``PRAGMA integrity_check``, hold all of the import or none of it
(its record in ``imports`` agreeing), hold every save that returned and no half of any,
and still take writes. Both journal modes are tried: WAL, and the rollback journal used
on network folders; and the PostgreSQL store (where the tests have a server:
tests/_postgres.py), whose points inside the write transaction are counted in rows sent.

No kill point depends on how fast the machine is: the importing child stops itself at
the chosen point and says so, and is killed there. Points inside the write transaction
are counted in SQLite's own progress steps (every :data:`STEP` virtual-machine
instructions), so "30% of the way through" is the same work on an idle or a busy machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests._postgres import make_engagement
from toolkit.store import JOURNAL_ENV, Engagement

ROWS = 200_000
#: SQLite progress-handler period (virtual-machine instructions) of one step.
STEP = 20_000
#: The PostgreSQL store's step: rows of the import sent to the server.
PG_STEP = 5_000
#: Where the kill lands: "before" (the file read and checked, no lock taken yet),
#: "locked" (the write lock held, nothing written), a fraction of the write transaction's
#: steps, or "after" (the import committed).
KILL_POINTS = ["before", "locked", 0.1, 0.3, 0.55, 0.8, "after"]

CHILD = r"""
import contextlib, sys, time, warnings
warnings.simplefilter("ignore")
from toolkit.store import Engagement

role, folder = sys.argv[1], sys.argv[2]
eng = Engagement.open(folder)


def pause(where):  # tell the test, then wait for its SIGKILL
    print("paused", where, flush=True)
    time.sleep(300)
    sys.exit("not killed")


if role == "import":
    big, stop = sys.argv[3], sys.argv[4]
    plain = type(eng).writing  # the backend's own

    @contextlib.contextmanager
    def marked(self):
        if stop == "before":
            pause("before")
        with plain(self) as con:
            if stop == "locked":
                pause("locked")
            steps = [0]

            def step():
                steps[0] += 1
                if stop == f"step:{steps[0]}":
                    pause(stop)
                return 0

            con.set_progress_handler(step, STEP if hasattr(con, "iterdump") else PG_STEP)
            yield con
            print("steps", steps[0], flush=True)

    type(eng).writing = marked
    result = eng.import_file(big, table="responses")
    print("imported", result.rows_added, flush=True)
    if stop == "after":
        pause("after")
else:
    for i in range(100_000):
        eng.save_entry("customers", {
            "customer_id": f"c{i}", "name": f"Customer {i}", "kind": "external",
            "segment": "Residents", "mission_alignment": i % 5 + 1, "clout": (i + 2) % 5 + 1,
        })
        print("saved", i, flush=True)
""".replace("STEP if", f"{STEP} if").replace("PG_STEP)", f"{PG_STEP})")


def _responses_file(path: Path) -> Path:
    rng = np.random.default_rng(9)
    pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(ROWS)],
            "respondent_id": [f"p{i % 40_000}" for i in range(ROWS)],
            "submitted_on": "2024-03-07",
            "segment": rng.choice(["Residents", "Students", "Partner agencies"], ROWS),
            "metric": "csat",
            "score": rng.integers(1, 6, ROWS),
            "comment": rng.choice(["", "Quick", "Long queue, rude"], ROWS),
        }
    ).to_csv(path, index=False)
    return path


def _start(role: str, folder: Path, env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, role, str(folder), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for(proc: subprocess.Popen, word: str) -> list[str]:
    """The child's lines up to and including the first starting with ``word``.

    Waits as long as it takes (pytest-timeout bounds a hang); fails if the child ends.
    """
    lines = []
    while line := proc.stdout.readline():
        lines.append(line)
        if line.startswith(word):
            return lines
    raise AssertionError(f"child ended before {word!r}: {proc.stderr.read()}")


def _saved(lines: list[str]) -> list[int]:
    return [int(line.split()[1]) for line in lines if line.startswith("saved")]


def _check(folder: Path, saved: list[int], env_mode: str) -> str:
    """Check the store after the kill; return whether the import landed ('all' or 'none')."""
    eng = Engagement.open(folder)  # a rollback journal left behind is rolled back here
    if env_mode != "postgresql":
        con = sqlite3.connect(folder / "data.sqlite")
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == env_mode
        con.close()
    with eng.reading() as con:  # the same SQL on either backend
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = con.execute("SELECT count(*) FROM responses").fetchone()[0]
        imports = con.execute(
            "SELECT rows_added, status FROM imports WHERE table_name = 'responses'"
        ).fetchall()
        orphans = con.execute(
            "SELECT count(*) FROM responses WHERE _tk_import NOT IN (SELECT import_id FROM imports)"
        ).fetchone()[0]
    assert rows in (0, ROWS), f"{rows} of {ROWS} rows landed"
    assert imports == ([(ROWS, "active")] if rows else []), imports
    assert orphans == 0
    customers = eng.table("customers")
    ids = sorted(int(c[1:]) for c in customers["customer_id"])
    assert ids == list(range(len(ids))), "saves landed out of order or with gaps"
    assert set(saved) <= set(ids), "a save that returned is missing"
    assert len(ids) <= len(saved) + 1, "more saves landed than were made"
    expected = pd.DataFrame(
        {
            "name": pd.Series([f"Customer {i}" for i in ids], dtype=object),
            "kind": pd.Series(["external"] * len(ids), dtype=object),
            "segment": pd.Series(["Residents"] * len(ids), dtype=object),
            "mission_alignment": pd.array([i % 5 + 1 for i in ids], dtype="Int64"),
            "clout": pd.array([(i + 2) % 5 + 1 for i in ids], dtype="Int64"),
        }
    )
    got = customers.sort_values("customer_id", key=lambda s: s.str[1:].astype(int))
    pd.testing.assert_frame_equal(got[list(expected.columns)].reset_index(drop=True), expected)
    return "all" if rows else "none"


@pytest.mark.slow
@pytest.mark.parametrize("journal", ["wal", "delete", "postgresql"])
def test_sigkill_during_an_import_and_form_saves_leaves_all_or_nothing(
    tmp_path, monkeypatch, journal, request
):
    env = {**os.environ}
    if journal != "postgresql":
        monkeypatch.setenv(JOURNAL_ENV, journal)
        env[JOURNAL_ENV] = journal
    big = _responses_file(tmp_path / "responses-200k.csv")
    template = tmp_path / "template"

    def fresh(folder: Path) -> None:
        """A new engagement at ``folder`` (an SQLite one copied from the template)."""
        if journal == "postgresql":
            make_engagement(request, journal, folder, name="Crash")
        else:
            shutil.copytree(template, folder)

    if journal != "postgresql":
        Engagement.init(template, name="Crash")
    # Count the import's write transaction in progress steps (the same on any machine).
    calibrate = tmp_path / "calibrate"
    fresh(calibrate)
    proc = _start("import", calibrate, env, str(big), "after")
    (steps,) = [int(line.split()[1]) for line in _wait_for(proc, "paused") if line[:5] == "steps"]
    proc.kill()
    proc.communicate(timeout=60)
    assert _check(calibrate, [], journal) == "all"
    assert steps >= 20, f"only {steps} progress steps: lower STEP to spread the kill points"

    outcomes, total_saved = [], 0
    for n, point in enumerate(KILL_POINTS):
        folder = tmp_path / f"kill-{n}"
        fresh(folder)
        saver = _start("save", folder, env)
        before = _wait_for(saver, "saved 1")  # the saves are under way
        stop = point if isinstance(point, str) else f"step:{max(1, round(point * steps))}"
        importer = _start("import", folder, env, str(big), stop)
        _wait_for(importer, "paused")
        for proc in (importer, saver):
            proc.send_signal(signal.SIGKILL)
        saved = []
        for proc in (importer, saver):
            out, _ = proc.communicate(timeout=60)
            assert proc.returncode == -signal.SIGKILL, "the child finished before the kill"
            if proc is saver:
                saved = _saved(before) + _saved(out.splitlines())
        total_saved += len(saved)
        outcomes.append(_check(folder, saved, journal))
        # The store still takes writes: a form save, and the import when it had not landed.
        eng = Engagement.open(folder)
        eng.save_entry("customers", {"customer_id": "after", "name": "After", "kind": "internal"})
        if outcomes[-1] == "none" and n == 0:
            assert eng.import_file(big, table="responses").rows_added == ROWS
    # Kills before the commit leave nothing; the kill after it leaves it all.
    assert outcomes == ["none"] * (len(KILL_POINTS) - 1) + ["all"], outcomes
    assert total_saved >= 2 * len(KILL_POINTS)
