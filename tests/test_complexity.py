"""No new complex functions, and the list of today's ones only shrinks (issue #14).

Runs ruff's McCabe check (C901; the limit is ``[tool.ruff.lint.mccabe] max-complexity`` in
pyproject.toml) on ``toolkit/`` and compares it with :data:`ALLOWED`, the functions above
the limit today. The test fails when

- a function not listed goes over the limit: split it (or, if it truly cannot be, list it
  with a reason in the pull request);
- a listed function grows more complex;
- a listed function is gone or simpler: lower or delete its entry, so the list shrinks.

After functions move between files, print the current list to paste over :data:`ALLOWED`::

    python tests/test_complexity.py
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: (file, function) -> its complexity today; methods are named without their class.
ALLOWED: dict[tuple[str, str], int] = {
    ("toolkit/_stats.py", "interrupted_time_series"): 11,
    ("toolkit/charts/customers.py", "priority_chart"): 11,
    ("toolkit/charts/customers.py", "service_chain_chart"): 25,
    ("toolkit/charts/satisfaction.py", "satisfaction_trend_chart"): 12,
    ("toolkit/cli.py", "_print_import"): 15,
    ("toolkit/coding.py", "__init__"): 14,
    ("toolkit/coding.py", "_typos"): 11,
    ("toolkit/customers.py", "chain_layout"): 13,
    ("toolkit/forms/records.py", "parse_date"): 11,
    ("toolkit/reports/_kernel_launcher.py", "main"): 13,
    ("toolkit/reports/customers.py", "service_chain_summary"): 12,
    ("toolkit/reports/parameters.py", "check"): 16,
    ("toolkit/reports/runner.py", "_plan"): 15,
    ("toolkit/satisfaction.py", "before_after"): 11,
    ("toolkit/schema/checks.py", "_check_rows"): 11,
    ("toolkit/schema/checks.py", "to_canonical"): 17,
    ("toolkit/settings.py", "_check"): 13,
    ("toolkit/sources/detect.py", "head_rows"): 15,
    ("toolkit/sources/maps.py", "parse_map"): 25,
    ("toolkit/sources/maps.py", "render_map"): 13,
    ("toolkit/sources/survey.py", "_explode_needs"): 12,
    ("toolkit/sources/survey.py", "split_choices"): 12,
    ("toolkit/sources/survey.py", "survey_to_raw"): 30,
    ("toolkit/sources/surveymonkey.py", "read_surveymonkey"): 15,
    ("toolkit/store.py", "table"): 11,
}

MESSAGE = re.compile(r"`(?P<name>[^`]+)` is too complex \((?P<value>\d+) > (?P<limit>\d+)\)")


def current() -> dict[tuple[str, str], int]:
    """(file, function) -> complexity for every function of ``toolkit/`` over the limit.

    Two functions of one name in one file (methods of two classes) count as the more
    complex of the two.
    """
    ruff = shutil.which("ruff")
    command = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    done = subprocess.run(
        [*command, "check", "--select", "C901", "--output-format", "json", "--exit-zero"]
        + ["--no-cache", "toolkit"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    found: dict[tuple[str, str], int] = {}
    for item in json.loads(done.stdout):
        match = MESSAGE.search(item["message"])
        assert match, f"ruff's C901 message changed wording: {item['message']!r}"
        path = Path(item["filename"]).resolve().relative_to(ROOT).as_posix()
        key = (path, match["name"])
        found[key] = max(found.get(key, 0), int(match["value"]))
    return found


def compare(now: dict, allowed: dict) -> list[str]:
    """What differs between ``now`` and the ``allowed`` list, worded for a reader."""
    problems = []
    for (path, name), value in sorted(now.items()):
        listed = allowed.get((path, name))
        if listed is None:
            problems.append(
                f"NEW   {path}: {name} has complexity {value}, over the limit: split it into "
                "smaller functions"
            )
        elif value > listed:
            problems.append(
                f"GREW  {path}: {name} has complexity {value}, was {listed}: simplify it "
                "rather than raise its entry"
            )
        elif value < listed:
            problems.append(
                f"LOWER {path}: {name} is now {value} (listed {listed}): lower its entry"
            )
    for path, name in sorted(set(allowed) - set(now)):
        problems.append(
            f"GONE  {path}: {name} is within the limit now (or moved): delete its entry "
            "(if it moved, list it under its new file)"
        )
    return problems


def test_no_function_grows_more_complex_and_the_list_only_shrinks():
    problems = compare(current(), ALLOWED)
    if problems:
        pytest.fail(
            "Function complexity (ruff C901) differs from ALLOWED in tests/test_complexity.py:\n  "
            + "\n  ".join(problems)
            + "\nAfter moving functions between files, `python tests/test_complexity.py` prints "
            "the current list.",
            pytrace=False,
        )


def test_the_comparison_names_every_kind_of_change():
    allowed = {("a.py", "grew"): 11, ("a.py", "simpler"): 14, ("a.py", "gone"): 12}
    now = {("a.py", "grew"): 12, ("a.py", "simpler"): 13, ("b.py", "new"): 11}
    assert sorted(p.split()[0] for p in compare(now, allowed)) == ["GONE", "GREW", "LOWER", "NEW"]
    assert compare(allowed, allowed) == []


if __name__ == "__main__":  # python tests/test_complexity.py: the list to paste over ALLOWED
    print("ALLOWED: dict[tuple[str, str], int] = {")
    for (path, name), value in sorted(current().items()):
        print(f"    ({path!r}, {name!r}): {value},".replace("'", '"'))
    print("}")
