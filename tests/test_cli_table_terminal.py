"""`service-toolkit table` at a terminal (a pseudo-terminal here) and piped."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from toolkit._tabular import aligned_text, csv_text
from toolkit.catalog import run_analysis
from toolkit.demo import init_demo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def eng(tmp_path_factory):
    return init_demo(tmp_path_factory.mktemp("table") / "riverside", "neighbourhood")


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "400"}


def _in_a_terminal(*args: str) -> str:
    """Run the command with its stdout on a pseudo-terminal; return what it printed there."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "toolkit.cli", *args],
        stdout=follower,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the command has finished
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def _piped(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", *args],
        capture_output=True,
        env=_env(),
        timeout=300,
        check=True,
    )
    return done.stdout.decode("utf-8")


def test_a_terminal_gets_an_aligned_rounded_table(eng):
    shown = _in_a_terminal("table", str(eng.path), "needs-gap")
    lines = shown.splitlines()
    assert lines[0].split()[:3] == ["code", "label", "theme"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    milk = next(line for line in lines if line.startswith("perishable_food"))
    assert "Milk and perishable food" in milk
    assert " 33% " in milk and " 29% " in milk and " 28% " in milk  # shares and their intervals
    assert "0.2775327998628892" not in shown and "0.37727" not in shown
    assert " blind spot " in milk
    # Every row is aligned: each column starts where its heading's dashes start.
    starts = [
        i for i, ch in enumerate(lines[1]) if ch == "-" and (i == 0 or lines[1][i - 1] == " ")
    ]
    assert all(len(line) >= starts[-1] for line in lines[2:])


def test_piped_or_with_csv_the_output_is_the_csv_scripts_read(eng):
    expected = csv_text(
        run_analysis(eng, "needs-gap").pipe(
            lambda f: f.assign(
                **{
                    c: f[c].map({True: "true", False: "false"}).astype(object)
                    for c in f.columns
                    if pd.api.types.is_bool_dtype(f[c].dtype)
                }
            )
        )
    )
    piped = _piped("table", str(eng.path), "needs-gap")
    assert piped == expected
    assert "0.2775327998628892" in piped
    assert _in_a_terminal("table", str(eng.path), "needs-gap", "--csv") == piped


def test_to_a_file_is_unchanged(eng, tmp_path):
    out = tmp_path / "gap.csv"
    _in_a_terminal("table", str(eng.path), "needs-gap", "--to", str(out))
    assert out.read_text(encoding="utf-8") == _piped("table", str(eng.path), "needs-gap")


def test_suppressed_rows_read_as_suppressed():
    frame = pd.DataFrame(
        {
            "segment": ["Residents", "Board"],
            "n": [95, 3],
            "estimate": [3.7312, float("nan")],
            "top_box": [0.612, float("nan")],
            "p_value": [0.00004, float("nan")],
            "suppressed": [False, True],
        }
    )
    lines = aligned_text(frame).splitlines()
    assert lines[2].split() == ["Residents", "95", "3.73", "61%", "<0.001", "no"]
    assert lines[3].split() == ["Board", "3", "suppressed", "suppressed", "suppressed", "yes"]
