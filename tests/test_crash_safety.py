"""Kill an import and a run of form saves with SIGKILL at many points: nothing half-lands.

Two child processes share one engagement: one imports a 200,000-row responses file, the
other saves customers one form entry at a time and says so after each save returns. Both
are killed at once, at points spread over the import's write transaction (found by a
marker the importer prints when it holds the write lock) and before it. Then the store
must pass ``PRAGMA integrity_check``, hold all of the import or none of it (its record in
``imports`` agreeing), hold every save that returned and no half of any, and still take
writes. Both journal modes are tried: WAL, and the rollback journal used on network
folders.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.store import JOURNAL_ENV, Engagement

ROWS = 200_000
#: Where the kill lands, as a fraction of the write transaction's length after the lock is
#: taken (None: while the file is still being read, before any lock).
KILL_POINTS = [None, 0.0, 0.1, 0.3, 0.55, 0.8, 1.5]

CHILD = r"""
import contextlib, sys, time, warnings
warnings.simplefilter("ignore")
from toolkit.store import Engagement

role, folder = sys.argv[1], sys.argv[2]
eng = Engagement.open(folder)
if role == "import":
    plain = Engagement.writing

    @contextlib.contextmanager
    def marked(self):
        with plain(self) as con:
            print("locked", flush=True)
            yield con

    Engagement.writing = marked
    result = eng.import_file(sys.argv[3], table="responses")
    print("imported", result.rows_added, flush=True)
    time.sleep(120)  # stay alive: a kill after the commit is a kill point too
else:
    print("ready", flush=True)
    for i in range(100_000):
        eng.save_entry("customers", {
            "customer_id": f"c{i}", "name": f"Customer {i}", "kind": "external",
            "segment": "Residents", "mission_alignment": i % 5 + 1, "clout": (i + 2) % 5 + 1,
        })
        print("saved", i, flush=True)
"""


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


def _wait_for(proc: subprocess.Popen, word: str, timeout: float = 60) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"child ended before {word!r}: {proc.stderr.read()}")
        if line.startswith(word):
            return time.monotonic()
    raise AssertionError(f"no {word!r} within {timeout} s")


def _check(folder: Path, saved: list[int], env_mode: str) -> str:
    """Check the store after the kill; return whether the import landed ('all' or 'none')."""
    eng = Engagement.open(folder)  # a rollback journal left behind is rolled back here
    con = sqlite3.connect(folder / "data.sqlite")
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == env_mode
        rows = con.execute("SELECT count(*) FROM responses").fetchone()[0]
        imports = con.execute(
            "SELECT rows_added, status FROM imports WHERE table_name = 'responses'"
        ).fetchall()
        orphans = con.execute(
            "SELECT count(*) FROM responses WHERE _tk_import NOT IN (SELECT import_id FROM imports)"
        ).fetchone()[0]
    finally:
        con.close()
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
@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_sigkill_during_an_import_and_form_saves_leaves_all_or_nothing(
    tmp_path, monkeypatch, journal
):
    monkeypatch.setenv(JOURNAL_ENV, journal)
    env = {**os.environ, JOURNAL_ENV: journal}
    big = _responses_file(tmp_path / "responses-200k.csv")
    template = tmp_path / "template"
    Engagement.init(template, name="Crash")
    # Calibrate: how long the import's write transaction takes on this machine now.
    calibrate = tmp_path / "calibrate"
    shutil.copytree(template, calibrate)
    proc = _start("import", calibrate, env, str(big))
    locked = _wait_for(proc, "locked")
    _wait_for(proc, "imported")
    write_time = time.monotonic() - locked
    proc.kill()
    proc.communicate(timeout=30)
    assert _check(calibrate, [], journal) == "all"

    outcomes, total_saved = [], 0
    for n, point in enumerate(KILL_POINTS):
        folder = tmp_path / f"kill-{n}"
        shutil.copytree(template, folder)
        saver = _start("save", folder, env)
        _wait_for(saver, "ready")
        importer = _start("import", folder, env, str(big))
        if point is None:
            time.sleep(0.3)  # reading and checking the file: no lock taken yet
        else:
            _wait_for(importer, "locked")
            time.sleep(point * write_time)
        for proc in (importer, saver):
            proc.send_signal(signal.SIGKILL)
        saved = []
        for proc in (importer, saver):
            out, _ = proc.communicate(timeout=30)
            assert proc.returncode == -signal.SIGKILL, "the child finished before the kill"
            if proc is saver:
                saved = [
                    int(line.split()[1]) for line in out.splitlines() if line.startswith("saved")
                ]
        total_saved += len(saved)
        outcomes.append(_check(folder, saved, journal))
        # The store still takes writes: a form save, and the import when it had not landed.
        eng = Engagement.open(folder)
        eng.save_entry("customers", {"customer_id": "after", "name": "After", "kind": "internal"})
        if outcomes[-1] == "none" and n == 0:
            assert eng.import_file(big, table="responses").rows_added == ROWS
    # The kill points covered both outcomes: some kills beat the commit, some came after.
    assert "none" in outcomes and "all" in outcomes, outcomes
    assert total_saved > len(KILL_POINTS), "the saves were not under way when the kills came"
