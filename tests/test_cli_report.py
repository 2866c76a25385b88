"""The report, params and demo commands, through click's runner: every option, every exit code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.demo import init_demo
from toolkit.errors import ReportError
from toolkit.reports.export import find_chromium
from toolkit.store import Engagement

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notebooks"
FAILING = str(FIXTURES / "failing.ipynb")
PERSONAL = str(FIXTURES / "personal.ipynb")
EMAIL = "sam.cli@example.org"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def eng(tmp_path_factory) -> Engagement:
    engagement = init_demo(tmp_path_factory.mktemp("cli") / "riverside", "neighbourhood")
    frame = pd.DataFrame(
        {
            "respondent_id": ["P-1"],
            "segment": ["Residents"],
            "method": ["survey"],
            "need": ["A quiet room"],
            "collected_on": ["2024-03-01"],
            "Email": [EMAIL],
        }
    )
    engagement.import_frame(frame, table="stated_needs", source="people.csv")
    return engagement


# ----------------------------------------------------------------------------- report


def test_report_with_every_way_of_giving_parameters_and_json(eng, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("min_n: 6\nconfidence: 0.9\n")
    out = tmp_path / "published"
    result = invoke(
        "report",
        eng.path,
        "needs-gap",
        "-p",
        "top_k",
        "3",
        "-y",
        "{by: segment}",
        "-f",
        params,
        "--out",
        out,
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "ok" and data["reports"] == 1 and data["failed"] == 0
    (report,) = data["results"]
    assert report["name"] == "needs-gap" and report["status"] == "ok"
    assert report["parameters"] == {"top_k": 3, "by": "segment", "min_n": 6, "confidence": 0.9}
    html = Path(report["html"])
    assert html.parent.parent == out.resolve() and html.name == "needs-gap.html"
    assert Path(report["notebook"]).name == "needs-gap.ipynb"
    assert (out / "index.html").exists()
    page = html.read_text()
    assert "<li>min n: 6</li>" in page and "<li>confidence: 90%</li>" in page
    assert not list((eng.path / "reports").glob("*/run.json"))  # --out was used instead


def test_a_failing_notebook_exits_3_naming_the_cell(eng):
    result = invoke("report", eng.path, FAILING)
    assert result.exit_code == 3
    assert "Ran 1 report into" in result.stdout and "0 written, 1 failed" in result.stdout
    assert re.search(
        r"Error: failing: failing.ipynb, cell In \[4\] \(section \"Trouble ahead\"\) "
        r"failed: ValueError: deliberate failure",
        result.stderr,
    )
    assert "The partial notebook is " in result.stderr and "Traceback" not in result.output
    assert (eng.path / "reports" / "index.html").exists()


def test_each_with_jobs_runs_one_report_per_value_and_names_every_failure(eng):
    result = invoke("report", eng.path, FAILING, "--each", "segment", "--jobs", "2", "--json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["each"] == "segment" and data["failed"] == data["reports"] == len(eng.segments())
    assert [r["value"] for r in data["results"]] == eng.segments()
    assert [Path(r["notebook"]).name for r in data["results"]][0] == "failing--residents.ipynb"
    assert result.stderr.count("Error: failing (") == len(eng.segments())
    # No progress bar when stderr is not a terminal.
    assert "%|" not in result.stderr and "report/s" not in result.stderr

    result = invoke("report", eng.path, FAILING, "--each", "segment", "-p", "when", "never")
    assert result.exit_code == 0, result.output
    assert f"{len(eng.segments())} written, 0 failed" in result.stdout
    assert "failing [People without housing]" in result.stdout
    assert "failing--people-without-housing.html" in result.stdout


def test_include_personal_lets_personal_columns_through(eng):
    result = invoke("report", eng.path, PERSONAL, "--json")
    assert result.exit_code == 0, result.output
    html = Path(json.loads(result.stdout)["results"][0]["html"])
    assert EMAIL not in html.read_text()
    result = invoke("report", eng.path, PERSONAL, "--include-personal", "--json")
    assert result.exit_code == 0, result.output
    html = Path(json.loads(result.stdout)["results"][0]["html"])
    assert EMAIL in html.read_text()


def test_each_on_a_personal_column_writes_files_named_without_its_values(eng, tmp_path):
    out = tmp_path / "each"
    args = ("--each", "Email", "--include-personal", "-p", "when", "never", "--out", out)
    result = invoke("report", eng.path, FAILING, *args, "--json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)["results"]
    assert report["value"] == EMAIL  # the run says whose it is, the file name does not
    assert Path(report["html"]).name == "failing--email-1.html"
    names = [p.name for p in out.rglob("*")]
    assert names and not any("sam" in n or "example" in n for n in names)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["needs-gap", "-p", "top_kk", "3"], "top_kk: no report of this run has this parameter"),
        (["needs-gap", "-p", "top_k", "many"], "top_k (needs-gap): expected whole number (int)"),
        (["customer-map", "-p", "top_k", "3"], "top_k: no report of this run has this parameter"),
        (["-p", "interactive", "true"], "interactive: is always false for report runs"),
        (["needs-gap", "--each", "campus"], "no table read by needs-gap has a column 'campus'"),
        (["needs-gap", "--each", "Email"], '--each "Email": the column identifies people'),
        (
            ["needs-gap", "-y", "{subset: {ward: 3}}"],
            "no table these reports read has a column 'ward'",
        ),
        (["needs"], '"needs" is not a report. Choose from: needs-gap, customer-map, satisfaction'),
    ],
)
def test_bad_parameters_exit_1_listing_the_valid_ones(eng, args, message):
    before = sorted((eng.path / "reports").glob("*")) if (eng.path / "reports").exists() else []
    result = invoke("report", eng.path, *args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    if "parameter" in message:
        assert "Valid parameters:" in result.stderr
    after = sorted((eng.path / "reports").glob("*")) if (eng.path / "reports").exists() else []
    assert after == before  # nothing ran, no run folder


def test_a_parameter_declared_by_one_of_several_reports_is_accepted(eng, monkeypatch):
    import toolkit.reports.runner as reports

    seen = {}

    def fake_run(engagement, names, **kwargs):
        seen.update(kwargs, names=names)
        raise reports.DataValidationError("stop here")

    monkeypatch.setattr(reports, "run_reports", fake_run)
    invoke(
        "report",
        eng.path,
        "needs-gap",
        "customer-map",
        "-p",
        "top_k",
        "2",
        "-y",
        "{weights: {mandate: 2}}",
    )
    assert seen["names"] == ["needs-gap", "customer-map"]
    assert seen["parameters"] == {"top_k": 2, "weights": {"mandate": 2}}
    jobs, _ = reports._plan(
        eng,
        [reports.report_named("needs-gap"), reports.report_named("customer-map")],
        seen["parameters"],
        None,
        False,
        True,
    )
    assert "top_k" in jobs[0].parameters and "top_k" not in jobs[1].parameters


@pytest.mark.parametrize(
    "args",
    [
        ["--jobs", "0"],
        ["-y", "[1, 2]"],
        ["-p", "subset", "{segment: Board}"],
        ["-f", "/no/such/file.yaml"],
        ["-p", "top_k"],
    ],
)
def test_wrong_usage_exits_2(eng, args):
    result = invoke("report", eng.path, "needs-gap", *args)
    assert result.exit_code == 2, result.output


def test_a_missing_engagement_exits_1(tmp_path):
    result = invoke("report", tmp_path / "nowhere")
    assert result.exit_code == 1 and "Error:" in result.stderr


# ----------------------------------------------------------------------------- params


@pytest.mark.parametrize("name", ["needs-gap", "customer-map", "satisfaction"])
def test_params_lists_each_reports_parameters(name):
    result = invoke("params", name)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Parameters of {name} ({name.replace('-', '_')}.ipynb):")
    assert re.search(r"subset: dict = \{\}\s+# ", result.stdout)
    assert "interactive: bool = True" in result.stdout and "[set by the runner]" in result.stdout
    data = json.loads(invoke("params", name, "--json").stdout)
    names = [p["name"] for p in data["parameters"]]
    assert names[:3] == ["engagement", "subset", "interactive"]
    assert all(p["help"] for p in data["parameters"])


def test_params_of_a_notebook_path_and_of_an_unknown_report():
    result = invoke("params", FAILING)
    assert result.exit_code == 0 and 'when: str = "always"' in result.stdout
    result = invoke("params", "nope")
    assert result.exit_code == 1 and "not a report" in result.stderr


# ----------------------------------------------------------------------------- demo


def test_demo_builds_the_engagement_and_writes_all_three_reports(tmp_path):
    path = tmp_path / "riverside-demo"
    result = invoke("demo", path)
    assert result.exit_code == 0, result.output
    (run,) = [p for p in (path / "reports").iterdir() if p.is_dir()]
    assert sorted(p.name for p in run.glob("*.html")) == [
        "customer-map.html",
        "needs-gap.html",
        "satisfaction.html",
        "you-said-we-did.html",
    ]
    assert sorted(p.name for p in run.glob("*.ipynb")) == [
        "customer-map.ipynb",
        "needs-gap.ipynb",
        "satisfaction.ipynb",
        "you-said-we-did.ipynb",
    ]
    # And slides, and PDF wherever there is a Chromium to print it (else it says so).
    assert len(list(run.glob("*.pptx"))) == 4
    try:
        find_chromium()
    except ReportError:
        assert "PDF left out" in result.stderr and not list(run.glob("*.pdf"))
    else:
        assert len(list(run.glob("*.pdf"))) == 4
    index = (path / "reports" / "index.html").resolve()
    assert f"Open the reports in a browser (they work offline): {index.as_uri()}" in result.stdout
    # Rebuilding the demo keeps earlier report runs.
    result = invoke("demo", path, "--no-reports")
    assert result.exit_code == 0, result.output
    assert run.exists() and (path / "reports" / "index.html").exists()
    assert "Try: service-toolkit report" in result.stdout


# ----------------------------------------------------------------------------- partial data


@pytest.fixture(scope="module")
def customers_only(tmp_path_factory) -> Engagement:
    """A new engagement after the Quick start: a customer register, nothing else yet."""
    engagement = Engagement.init(tmp_path_factory.mktemp("partial") / "riverside")
    engagement.import_frame(
        pd.DataFrame(
            {
                "customer_id": ["residents", "board", "food_bank"],
                "name": ["Residents", "Board", "Food bank"],
                "kind": ["external", "internal", "external"],
                "segment": ["Residents", "Board", "Partners"],
            }
        ),
        table="customers",
        source="customers.csv",
    )
    return engagement


def test_a_report_whose_data_is_not_there_yet_is_skipped_and_the_run_exits_0(customers_only):
    result = invoke("report", customers_only.path)
    assert result.exit_code == 0, result.output
    assert "1 written, 0 failed, 3 skipped" in result.stdout
    assert (
        "Skipped needs-gap: no stated needs yet — import some, then run it again." in result.stderr
    )
    assert "Skipped satisfaction: no satisfaction responses yet" in result.stderr
    index = (customers_only.path / "reports" / "index.html").read_text(encoding="utf-8")
    assert "needs-gap: no stated needs yet — import some, then run it again." in index
    assert "3 skipped" in index
    assert "you-said-we-did: no stated needs yet — import some, then run it again." in index


def test_json_lists_the_skipped_reports(customers_only):
    result = invoke("report", customers_only.path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "ok" and [r["name"] for r in data["results"]] == ["customer-map"]
    assert [s["report"] for s in data["skipped"]] == [
        "needs-gap",
        "satisfaction",
        "you-said-we-did",
    ]
    assert data["skipped"][0]["reason"].startswith("needs-gap: no stated needs yet")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("needs-gap", "no stated needs yet"),
        ("satisfaction", "no satisfaction responses yet"),
        ("you-said-we-did", "no stated needs yet"),
    ],
)
def test_a_report_named_with_no_data_exits_1_before_any_kernel(customers_only, name, words):
    before = set((customers_only.path / "reports").glob("*"))
    result = invoke("report", customers_only.path, name)
    assert result.exit_code == 1
    assert f"{name}: {words} — import some, then run it again." in result.stderr
    assert set((customers_only.path / "reports").glob("*")) == before  # nothing run


def test_an_engagement_with_no_data_at_all_skips_every_report(tmp_path):
    engagement = Engagement.init(tmp_path / "empty")
    result = invoke("report", engagement.path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["results"] == [] and len(data["skipped"]) == 4
