"""The command line: every data command, its output, JSON and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from toolkit.demo import init_demo
from toolkit.store import Engagement

from .conftest import CUSTOMERS


@pytest.fixture
def folder(tmp_path, run):
    path = tmp_path / "eng"
    assert run("init", path, "--name", "Riverside").exit_code == 0
    return path


def test_init_prints_what_it_made(run, tmp_path):
    result = run("init", tmp_path / "new", "--organisation", "Riverside Partners")
    assert result.exit_code == 0
    assert "Created engagement new" in result.output and "codebook" in result.output
    assert run("init", tmp_path / "new").exit_code == 1


def test_import_status_imports_export_round(run, folder, write_csv, tmp_path):
    path = write_csv("customers.csv", CUSTOMERS)
    result = run("import", folder, path, "--table", "customers")
    assert result.exit_code == 0
    assert "Imported 3 of 3 rows from customers.csv into customers" in result.output
    assert "attributes: campus" in result.output

    again = run("import", folder, path, "--table", "CUSTOMERS")
    assert (
        again.exit_code == 0
        and "already imported" in again.stderr
        and "nothing was added" in again.stderr
    )

    status = run("status", folder, "--json")
    data = json.loads(status.output)
    assert data["tables"]["customers"] == 3 and data["engagement"] == "Riverside"
    assert [i["table"] for i in data["imports"]] == ["codebook", "customers"]
    assert "customers" in run("status", folder).output

    listing = run("imports", folder)
    assert "customers.csv" in listing.output and "starter codebook" in listing.output
    out = tmp_path / "out.xlsx"
    assert run("export", folder, "--table", "customers", "--to", out).exit_code == 0
    removed = run("imports", folder, "--remove", 2)
    assert removed.exit_code == 0 and "3 rows taken out of customers" in removed.output
    assert json.loads(run("status", folder, "--json").output)["tables"]["customers"] == 0
    assert run("import", folder, out, "--table", "customers").exit_code == 0
    assert len(Engagement.open(folder).customers) == 3


def test_tables_are_accepted_with_underscores_or_hyphens(run, folder, write_csv):
    path = write_csv("e.csv", [["starts_on", "label"], ["2024-07-01", "Launch"]])
    assert run("import", folder, path, "--table", "service_links").exit_code == 1
    assert run("import", folder, path, "--table", "events").exit_code == 0


def test_bad_data_exits_1_with_the_message_and_changes_nothing(run, folder, write_csv):
    path = write_csv("c.csv", [["customer_id", "name", "kind"], ["a", "A", "externl"]])
    before = run("status", folder, "--json").output
    result = run("import", folder, path, "--table", "customers")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Import of c.csv into customers was rejected")
    assert 'row 1 (spreadsheet row 2), column "kind": "externl"' in result.stderr
    assert run("status", folder, "--json").output == before


def test_dry_run_and_json(run, folder, write_csv):
    path = write_csv("c.csv", CUSTOMERS)
    result = run("import", folder, path, "--table", "customers", "--dry-run")
    assert (
        result.exit_code == 0
        and "Dry run: 3 of 3 rows" in result.output
        and "Residents" in result.output
    )
    data = json.loads(
        run("import", folder, path, "--table", "customers", "--dry-run", "--json").output
    )
    assert (
        data["dry_run"]
        and data["rows_added"] == 3
        and data["preview"][0]["customer_id"] == "residents"
    )
    assert json.loads(run("status", folder, "--json").output)["tables"]["customers"] == 0
    data = json.loads(run("import", folder, path, "--table", "customers", "--json").output)
    assert data["import_id"] == 2 and data["attributes"] == ["campus"]


def test_skip_invalid_lists_each_skipped_row(run, folder, write_csv):
    path = write_csv("e.csv", [["starts_on", "label"], ["2024-01-01", "ok"], ["not a date", "bad"]])
    result = run("import", folder, path, "--table", "events", "--skip-invalid")
    assert result.exit_code == 0
    assert "Imported 1 of 2 rows" in result.output
    assert "spreadsheet row 3" in result.stderr and '"not a date"' in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["import"],
        ["import", "x", "y"],
        ["import", "x", "y", "--table", "nope"],
        ["export", "x", "--table", "customers"],
        ["imports", "x", "--remove", "one"],
        ["frobnicate"],
        ["init", "x", "--demo", "moon"],
    ],
)
def test_wrong_usage_exits_2(run, args):
    assert run(*args).exit_code == 2


def test_user_errors_exit_1_without_traceback(run, folder, tmp_path):
    assert run("status", tmp_path / "missing").exit_code == 1
    assert run("import", folder, tmp_path / "missing.csv", "--table", "events").exit_code == 1
    assert run("imports", folder, "--remove", 99).exit_code == 1
    assert run("export", folder, "--table", "events", "--to", tmp_path / "x.json").exit_code == 1


def test_large_size_needs_the_university_demo(run, tmp_path):
    assert run("init", tmp_path / "x", "--size", "large").exit_code == 2


def test_help_is_quick_and_loads_no_heavy_library():
    code = "import sys; from toolkit.cli import main\ntry:\n main(['--help'])\nexcept SystemExit: pass\nprint(sorted(m for m in ('pandas','numpy','altair','papermill','sqlite3') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert "import" in out and "export" in out and "status" in out


def test_console_script_exit_codes(tmp_path):
    missing = subprocess.run(
        ["service-toolkit", "status", str(tmp_path / "nope")], capture_output=True, text=True
    )
    assert (
        missing.returncode == 1 and "Error:" in missing.stderr and "Traceback" not in missing.stderr
    )
    usage = subprocess.run(["service-toolkit", "status"], capture_output=True, text=True)
    assert usage.returncode == 2


# ----------------------------------------------------------------------------- table


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "riverside"
    init_demo(path, "neighbourhood")
    return path


def test_table_prints_csv_with_full_precision_and_true_false(run, demo_folder):
    import io

    import pandas as pd

    result = run("table", demo_folder, "needs-gap")
    assert result.exit_code == 0
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert (
        frame.loc[0, "code"] == "perishable_food" and frame.loc[0, "classification"] == "blind spot"
    )
    assert frame["suppressed"].dtype == bool and ",false," in result.stdout
    # 110 of 329 over the three listening rounds (83 of 220 in the first): "Leche para los
    # niños" is coded by the starter's Spanish keywords.
    assert "0.3343465045592705" in result.stdout, "full precision, no rounding"
    assert "matched no code" in result.stderr


def test_table_parameters_from_p_y_and_f(run, demo_folder, tmp_path):
    import io

    import pandas as pd

    base = pd.read_csv(
        io.StringIO(run("table", demo_folder, "needs-gap", "--by", "segment").stdout)
    )
    strict = pd.read_csv(
        io.StringIO(
            run("table", demo_folder, "needs-gap", "--by", "segment", "-p", "min_n", "50").stdout
        )
    )
    assert strict["suppressed"].sum() > base["suppressed"].sum()
    via_yaml = run("table", demo_folder, "rank-agreement", "-y", "{top_k: 2, confidence: 0.9}")
    assert via_yaml.exit_code == 0 and ",2," in via_yaml.stdout.splitlines()[1]
    params = tmp_path / "p.yaml"
    params.write_text("crosshair: mean\n")
    ip = run("table", demo_folder, "importance-performance", "-f", params)
    assert ip.exit_code == 0 and ",mean," in ip.stdout.splitlines()[1]


def test_table_writes_xlsx_and_refuses_bad_parameters(run, demo_folder, tmp_path):
    out = tmp_path / "gap.xlsx"
    assert run("table", demo_folder, "common-ground", "--to", out).exit_code == 0
    assert out.stat().st_size > 0
    bad = run("table", demo_folder, "needs-gap", "-p", "bogus", "1")
    assert bad.exit_code == 1 and "Its parameters are: confidence" in bad.stderr
    assert run("table", demo_folder, "needs-gapp").exit_code == 2
    assert run("table", demo_folder, "needs-gap", "-p", "weights", "[1, 2]").exit_code == 2
    wrong_by = run("table", demo_folder, "needs-gap", "--by", "campus")
    assert wrong_by.exit_code == 1 and "no column 'campus'" in wrong_by.stderr
    # A column only customers have: each language's customers against all 10 staff, said so.
    by_language = run("table", demo_folder, "needs-gap", "--by", "language")
    assert by_language.exit_code == 0, by_language.stderr
    import io

    import pandas as pd

    gap = pd.read_csv(io.StringIO(by_language.stdout))
    assert set(gap["language"]) >= {"English", "Spanish", "Somali"}
    assert (gap["staff_total"] == 10).all()
    assert "compared with all staff (10 staff members)" in by_language.stderr
    listing = run("table", demo_folder, "uncoded")
    assert listing.exit_code == 0 and "Caano for the children" in listing.stdout
    assert "Leche para los niños" not in listing.stdout  # the starter's Spanish keywords
