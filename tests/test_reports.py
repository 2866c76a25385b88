"""The report runner: parameters, runs, failures, batches, warm kernels, HTML, the index.

Runs that start kernels are shared through module fixtures: each costs a few seconds.
Nothing here skips: a missing notebook, kernel or package fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from toolkit import __version__
from toolkit.demo import init_demo
from toolkit.errors import DataValidationError, ReportError
from toolkit.reports.runner import (
    REPORTS,
    Parameter,
    ReportRun,
    export_html,
    notebook_parameters,
    report_named,
    run_report,
    run_reports,
    value_slug,
    write_index,
)
from toolkit.store import Engagement

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notebooks"
FAILING = FIXTURES / "failing.ipynb"
DIES = FIXTURES / "dies.ipynb"
LEAK = FIXTURES / "leak.ipynb"
PERSONAL = FIXTURES / "personal.ipynb"
TWELVE = FIXTURES / "twelve_charts.ipynb"

SCRIPT_NEED = '<script>window.__pwned = 1</script><b>Free</b> "bus" & tram passes'
EMAIL = "jo.personal@example.org"


@pytest.fixture(scope="module")
def eng(tmp_path_factory) -> Engagement:
    """The neighbourhood demo plus one statement holding HTML and a personal e-mail column."""
    engagement = init_demo(tmp_path_factory.mktemp("eng") / "riverside", "neighbourhood")
    # Said by twelve people, so it leads the statements still to code.
    frame = pd.DataFrame(
        {
            "respondent_id": [f"X-{i}" for i in range(12)],
            "segment": "Residents",
            "method": "survey",
            "need": SCRIPT_NEED,
            "collected_on": "2024-03-01",
            "Email": [""] * 11 + [EMAIL],
        }
    )
    engagement.import_frame(frame, table="stated_needs", source="xss.csv")
    return engagement


@pytest.fixture(scope="module")
def needs_run(eng) -> ReportRun:
    return run_reports(eng.path, ["needs-gap"], parameters={"top_k": 3}, progress=False)


def _html(result) -> str:
    return Path(result.html).read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- the registry


@pytest.mark.parametrize("name", ["needs-gap", "customer-map", "satisfaction"])
def test_every_report_has_a_notebook_with_the_shared_parameters(name):
    report = report_named(name)
    assert report.notebook.name == name.replace("-", "_") + ".ipynb"
    assert report.tables
    declared = notebook_parameters(report.notebook)
    assert {"engagement", "subset", "interactive"} <= set(declared)
    assert declared["engagement"].type == "str" and declared["engagement"].default == ""
    assert declared["subset"].type == "dict" and declared["subset"].default == {}
    assert declared["interactive"].type == "bool" and declared["interactive"].default is True
    assert all(p.help for p in declared.values()), "every parameter needs a # help comment"
    assert report_named(name.replace("-", "_").upper()) == report


def test_report_names_are_the_reports_in_order():
    assert REPORTS == ("needs-gap", "customer-map", "satisfaction", "you-said-we-did")


def test_unknown_report_and_missing_notebook_are_refused(tmp_path):
    with pytest.raises(DataValidationError, match="not a report.*needs-gap, customer-map"):
        report_named("needs")
    with pytest.raises(DataValidationError, match="no notebook there"):
        report_named(tmp_path / "nothing.ipynb")


def test_parameters_are_read_from_the_parameters_cell_without_a_kernel(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import os"),
        nbformat.v4.new_code_cell(
            'engagement: str = ""  # the folder\n'
            "weights: dict = {'mandate': 2}  # criterion weights\n"
            "months: int = 12  # look-back window\n"
            "level = 0.9\n"
            "when: str = os.environ.get('X', 'now')  # not a literal\n",
            metadata={"tags": ["parameters"]},
        ),
    ]
    path = tmp_path / "p.ipynb"
    nbformat.write(nb, path)
    found = notebook_parameters(path)
    assert list(found) == ["engagement", "weights", "months", "level", "when"]
    assert found["weights"] == Parameter(
        "weights", "dict", {"mandate": 2}, "{'mandate': 2}", "criterion weights"
    )
    assert found["months"].default == 12 and found["months"].help == "look-back window"
    assert (
        found["level"].type is None and found["level"].default == 0.9 and found["level"].help == ""
    )
    assert found["when"].default == "os.environ.get('X', 'now')"


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("int", 3, 3),
        ("int", 3.0, 3),
        ("float", 1, 1.0),
        ("float", 0.9, 0.9),
        ("bool", False, False),
        ("str", "x", "x"),
        ("str", 2024, "2024"),
        ("dict", {"a": 1}, {"a": 1}),
        ("list", ("a",), ["a"]),
        (None, object, object),
    ],
)
def test_values_are_typed_from_the_declaration(kind, value, expected):
    assert Parameter("p", kind, None, "None", "").check(value) == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("int", True),
        ("int", 2.5),
        ("int", "3"),
        ("float", "x"),
        ("float", False),
        ("bool", "yes"),
        ("bool", 1),
        ("str", True),
        ("str", None),
        ("dict", [1]),
        ("list", "a"),
    ],
)
def test_values_of_the_wrong_type_are_refused(kind, value):
    with pytest.raises(ValueError, match=f"expected .*\\({kind}\\)"):
        Parameter("p", kind, None, "None", "").check(value)


def test_value_slug_makes_file_names():
    assert value_slug("People without housing") == "people-without-housing"
    assert value_slug("Campus 07 / North") == "campus-07-north"
    assert value_slug("Łódź") == "odz"
    assert value_slug("<script>") == "script"
    assert value_slug("") == "value"


# ----------------------------------------------------------------------------- refused early


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"top_kk": 3}, r"top_kk: no report of this run has this parameter. Did you mean top_k\?"),
        ({"top_k": "three"}, r"top_k \(needs-gap\): expected whole number \(int\), got 'three'"),
        ({"confidence": "high"}, r"confidence \(needs-gap\): expected number \(float\)"),
        ({"subset": "Residents"}, r"subset \(needs-gap\): expected mapping"),
        ({"interactive": True}, r"interactive: is always false for report runs"),
        ({"engagement": "elsewhere"}, r"engagement: is the PATH argument"),
    ],
)
def test_bad_parameters_are_refused_before_any_kernel_starts(eng, no_kernels, parameters, message):
    before = set((eng.path / "reports").glob("*"))
    with pytest.raises(DataValidationError, match=message) as info:
        run_reports(eng.path, ["needs-gap"], parameters=parameters)
    assert (
        "Valid parameters:\n  needs-gap: subset (dict), confidence (float), min_n (int), top_k (int), by (str)"
        in str(info.value)
    )
    assert set((eng.path / "reports").glob("*")) == before  # no run folder either


def test_a_parameter_goes_to_the_notebooks_that_declare_it(eng, no_kernels):
    from toolkit.reports.runner import _plan

    reports = [report_named("needs-gap"), report_named("customer-map")]
    jobs, _ = _plan(
        eng, reports, {"top_k": 2, "weights": {"mandate": 2}, "min_n": 7}, None, False, True
    )
    by_name = {j.report.name: j.parameters for j in jobs}
    assert by_name["needs-gap"]["top_k"] == 2 and "weights" not in by_name["needs-gap"]
    assert (
        by_name["customer-map"]["weights"] == {"mandate": 2}
        and "top_k" not in by_name["customer-map"]
    )
    assert by_name["needs-gap"]["min_n"] == by_name["customer-map"]["min_n"] == 7
    for params in by_name.values():
        assert params["interactive"] is False
        assert params["engagement"] == str(eng.path)


def test_subset_and_each_columns_are_checked_before_any_kernel_starts(eng, no_kernels):
    with pytest.raises(
        DataValidationError, match="no table these reports read has a column 'campus'"
    ):
        run_reports(eng.path, ["needs-gap"], parameters={"subset": {"campus": "North"}})
    with pytest.raises(
        DataValidationError, match="no table read by needs-gap has a column 'touchpoint'"
    ):
        run_reports(eng.path, ["needs-gap"], each="touchpoint")
    with pytest.raises(DataValidationError, match='--each "Email": the column identifies people'):
        run_reports(eng.path, ["needs-gap"], each="Email")
    with pytest.raises(DataValidationError, match="the column has no values in the data"):
        run_reports(
            eng.path, ["needs-gap"], each="segment", parameters={"subset": {"segment": "Nobody"}}
        )


def test_a_missing_engagement_is_refused(tmp_path, no_kernels):
    from toolkit.errors import StoreError

    with pytest.raises(StoreError):
        run_reports(tmp_path / "nowhere", ["needs-gap"])


# ----------------------------------------------------------------------------- one report


def test_a_run_writes_html_next_to_its_executed_notebook(eng, needs_run):
    (result,) = needs_run.results
    assert result.ok and result.error is None
    assert needs_run.folder.parent == eng.path / "reports"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ(-\d+)?", needs_run.run_id)
    assert result.html == needs_run.folder / "needs-gap.html"
    assert result.notebook == needs_run.folder / "needs-gap.ipynb"
    assert result.parameters == {"top_k": 3}
    executed = nbformat.read(result.notebook, as_version=4)
    assert executed.metadata.papermill.parameters["interactive"] is False
    assert executed.metadata.papermill.parameters["top_k"] == 3
    assert "widgets" not in executed.metadata
    mimes = {m for c in executed.cells for o in c.get("outputs", []) for m in o.get("data", {})}
    assert "application/vnd.jupyter.widget-view+json" not in mimes
    assert executed.metadata.service_toolkit["report"] == "needs-gap"
    run_json = json.loads((needs_run.folder / "run.json").read_text())
    assert (
        run_json["status"] == "ok"
        and run_json["results"][0]["html"] == f"{needs_run.run_id}/needs-gap.html"
    )


def test_the_html_has_no_code_no_prompts_and_no_outside_request(needs_run):
    page = _html(needs_run.results[0])
    assert 'class="jp-InputArea-editor' not in page and "In&nbsp;[" not in page
    assert 'class="jp-OutputPrompt' not in page and not re.search(r">\s*Out\[", page)
    assert "ctx = open_needs_report" not in page and "from toolkit" not in page
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"?https?:", page)
    for host in ("cdn.jsdelivr", "cdnjs", "unpkg", "esm.sh", "require.js", "MathJax.js", "mermaid"):
        assert host not in page, host
    # The Vega bundle is inlined once, and every chart draws against it.
    assert page.count("window.VEGA_DEBUG = Object.assign") == 1
    charts = page.count('class="tk-chart"')
    assert charts >= 3
    assert page.count("window.vegaEmbed(el, spec, opt)") == charts


def test_the_first_screen_says_what_which_data_and_when(eng, needs_run):
    from toolkit.reports.needs import NEEDS_TABLES

    page = _html(needs_run.results[0])
    cover = page[re.search(r"<header[^>]*tk-cover", page).start() : page.index("</header>")]
    assert "Assumed vs stated needs" in cover
    assert "Riverside Community Partners" in cover
    # One line names the engagement, the data fingerprint and the date …
    assert "engagement riverside" in cover
    assert f"<code>{eng.fingerprint(NEEDS_TABLES)}</code>" in cover
    # … and the parameters and run details wait in "About this report" at the end.
    assert "top_k" not in cover and "Toolkit version" not in cover
    about = page[page.index('class="tk-about"') :]
    assert "<dt>Report</dt><dd>needs-gap</dd>" in about
    assert "<dt>Engagement</dt><dd>riverside</dd>" in about
    assert f"<dt>Toolkit version</dt><dd>{__version__}</dd>" in about
    assert "<li>top k: 3</li>" in about
    assert "<dt>Run at</dt><dd>" in about and needs_run.run_id in about
    assert "Groups with fewer than 5 people are suppressed" in about
    assert page.count("Data fingerprint") == 1
    assert page.index('id="About-this-report"') > page.index("What we compared")
    # The findings come straight after the first screen, before any section.
    assert (
        page.index("</header>") < page.index('id="What-we-found"') < page.index("What we compared")
    )


def test_text_from_the_data_is_escaped(needs_run):
    page = _html(needs_run.results[0])
    assert "window.__pwned" in page  # the statement is listed …
    assert "<script>window.__pwned" not in page  # … as text, never as markup
    assert "<b>Free</b>" not in page


def test_sections_are_marked_for_page_breaks_and_the_css_keeps_charts_whole(needs_run):
    page = _html(needs_run.results[0])
    assert page.count("celltag_tk-section") >= 5
    print_css = page[page.index("@media print") :]
    assert "break-before: page" in print_css and "break-inside: avoid" in print_css


def test_personal_columns_reach_a_report_only_when_asked(eng, tmp_path):
    run = run_reports(eng.path, [PERSONAL], out=tmp_path / "reports", progress=False)
    (result,) = run.results
    assert result.ok, result.error
    assert EMAIL not in _html(result) and EMAIL not in result.notebook.read_text()
    run = run_reports(
        eng.path, [PERSONAL], out=tmp_path / "reports", include_personal=True, progress=False
    )
    (result,) = run.results
    assert result.ok, result.error
    page = _html(result)
    assert EMAIL in page and "included</strong> (run with --include-personal)" in page


# ----------------------------------------------------------------------------- failures


@pytest.fixture(scope="module")
def failing_run(eng) -> ReportRun:
    return run_reports(eng.path, [FAILING, "needs-gap"], progress=False)


def test_a_failing_cell_fails_its_report_and_the_others_still_run(failing_run):
    failed, good = failing_run.results
    assert failing_run.status == "failed" and failing_run.failed == [failed]
    assert good.ok and good.html.exists()
    assert failed.status == "failed" and failed.html is None
    assert failed.error.startswith(
        'failing: failing.ipynb, cell In [4] (section "Trouble ahead") failed: '
    )
    assert "ValueError: deliberate failure in section two" in failed.error
    assert str(failed.notebook) in failed.error
    assert failed.cell == 4
    assert not (failing_run.folder / "failing.html").exists()


def test_the_partial_notebook_is_kept(failing_run):
    failed = failing_run.results[0]
    partial = nbformat.read(failed.notebook, as_version=4)
    outputs = [o for c in partial.cells for o in c.get("outputs", [])]
    assert any(o.get("output_type") == "error" and o["ename"] == "ValueError" for o in outputs)
    assert any("set up" in o.get("text", "") for o in outputs)
    assert not any("never printed" in o.get("text", "") for o in outputs)
    assert partial.metadata.service_toolkit["error"] == failed.error
    assert "widgets" not in partial.metadata


def test_run_report_raises_a_report_error_naming_the_cell(eng, tmp_path):
    with pytest.raises(ReportError, match=r"failing.ipynb, cell In \[4\]") as info:
        run_report(eng.path, FAILING, out=tmp_path)
    assert info.value.result.notebook.exists()
    # The same notebook, told not to fail, runs to the end.
    assert run_report(eng.path, FAILING, parameters={"when": "never"}, out=tmp_path).ok


def test_a_dead_kernel_fails_only_its_report(eng, tmp_path):
    run = run_reports(
        eng.path,
        [DIES],
        each="segment",
        parameters={"die_for": "Volunteers"},
        jobs=2,
        out=tmp_path,
        progress=False,
    )
    failed = [r.value for r in run.results if not r.ok]
    assert failed == ["Volunteers"]
    (dead,) = run.failed
    assert "the kernel died" in dead.error and '(section "The end")' in dead.error
    assert len(run.results) == len(eng.segments()) >= 6
    for result in run.results:
        if result.ok:
            assert f"survived {result.value}" in result.notebook.read_text()


# ----------------------------------------------------------------------------- batches


def test_each_segment_makes_one_report_per_value(eng, tmp_path):
    run = run_reports(eng.path, ["needs-gap"], each="segment", jobs=2, out=tmp_path, progress=False)
    stated = set(eng.stated_needs["segment"]) | set(eng.assumed_needs["segment"])
    assert [r.value for r in run.results] == [s for s in eng.segments() if s in stated]
    assert all(r.ok for r in run.results), [r.error for r in run.failed]
    for result in run.results:
        assert result.html.name == f"needs-gap--{value_slug(result.value)}.html"
        assert result.parameters["subset"] == {"segment": result.value}
        page = _html(result)
        assert f'<span class="tk-value">{result.value}</span>' in page
        assert f"<dt>Customers included</dt><dd>segment = {result.value}</dd>" in page
    assert run.each == "segment"


def test_a_subset_of_the_each_column_limits_the_values(eng, no_kernels):
    from toolkit.reports.runner import _plan

    reports = [report_named("needs-gap")]
    parameters = {"subset": {"segment": ["Board", "Residents"], "method": "survey"}}
    jobs, _ = _plan(eng, reports, parameters, "segment", False, named=True)
    assert [j.value for j in jobs] == ["Residents", "Board"]  # the engagement's order
    assert [j.parameters["subset"] for j in jobs] == [
        {"method": "survey", "segment": "Residents"},
        {"method": "survey", "segment": "Board"},
    ]


def test_without_names_each_leaves_out_reports_without_the_column(eng, tmp_path, no_kernels):
    from toolkit.reports.runner import _plan

    reports = [report_named("needs-gap"), report_named("satisfaction")]
    jobs, notes = _plan(eng, reports, {}, "touchpoint", False, named=False)
    assert {j.report.name for j in jobs} == {"satisfaction"}
    assert {j.parameters["subset"]["touchpoint"] for j in jobs} == set(eng.responses["touchpoint"])
    assert notes == ["needs-gap left out: it reads no table with a column 'touchpoint'."]


def test_no_state_passes_from_one_report_to_the_next(eng, tmp_path):
    # One kernel template, reports one after another: each must start clean.
    run = run_reports(eng.path, [LEAK], each="segment", jobs=1, out=tmp_path, progress=False)
    assert len(run.results) >= 6
    assert all(r.ok for r in run.results), [r.error for r in run.failed]
    pids = {re.search(r"pid (\d+)", r.notebook.read_text()).group(1) for r in run.results}
    assert len(pids) == len(run.results)


def test_the_leak_fixture_catches_state_left_in_a_reused_kernel(eng, tmp_path):
    """The test above can fail: run the fixture twice in one kernel and it does."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(LEAK, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=120)
    with client.setup_kernel():
        client.execute_cell(nb.cells[1], 1)
        client.execute_cell(nb.cells[2], 2)
        client.execute_cell(nb.cells[4], 4)
        with pytest.raises(CellExecutionError, match="state from an earlier report"):
            client.execute_cell(nb.cells[2], 2)


def test_ordinary_kernels_give_the_same_report(eng, tmp_path):
    result = run_report(eng.path, FAILING, parameters={"when": "never"}, out=tmp_path, warm=False)
    assert result.ok and "no failure" in result.notebook.read_text()


# ----------------------------------------------------------------------------- the index


def test_runs_never_overwrite_each_other_and_the_index_lists_them_newest_first(eng, tmp_path):
    out = tmp_path / "reports"
    first = run_reports(eng.path, [FAILING], parameters={"when": "never"}, out=out, progress=False)
    second = run_reports(eng.path, [FAILING], out=out, progress=False)
    assert first.folder != second.folder and first.folder.exists() and second.folder.exists()
    index = (out / "index.html").read_text()
    assert index.index(second.run_id) < index.index(first.run_id)
    assert f'href="{first.run_id}/failing.html"' in index
    assert f'href="{second.run_id}/failing.ipynb"' in index
    assert "when = &quot;never&quot;" in index
    assert 'class="run failed"' in index and 'class="run ok"' in index
    assert "deliberate failure" in index


def test_the_index_escapes_what_it_shows(tmp_path):
    run = tmp_path / "2024-01-01T00-00-00Z"
    run.mkdir()
    (run / "run.json").write_text(
        json.dumps(
            {
                "run_id": run.name,
                "status": "failed",
                "engagement": "<i>eng</i>",
                "started": "2024-01-01T00:00:00+00:00",
                "reports": 1,
                "failed": 1,
                "notes": [],
                "results": [
                    {
                        "name": "needs-gap",
                        "value": "<b>x</b>",
                        "parameters": {"by": "<script>"},
                        "status": "failed",
                        "html": None,
                        "notebook": f"{run.name}/a b.ipynb",
                        "error": "<script>alert(1)</script>",
                        "seconds": 1.0,
                    }
                ],
            }
        )
    )
    page = write_index(tmp_path).read_text()
    assert "<script>" not in page and "<b>x</b>" not in page and "<i>eng</i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="2024-01-01T00-00-00Z/a%20b.ipynb"' in page


def test_twelve_charts_stay_under_two_and_a_half_megabytes(tmp_path):
    eng = init_demo(tmp_path / "uni", "university")
    result = run_report(eng.path, TWELVE, out=tmp_path / "reports")
    page = _html(result)
    assert page.count('class="tk-chart"') == 12
    assert result.html.stat().st_size < 2.5 * 1024 * 1024


def test_export_html_works_on_a_notebook_without_a_header(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Plain\n\nIntro."),
            nbformat.v4.new_code_cell(
                "x", outputs=[nbformat.v4.new_output("stream", name="stdout", text="<hello>")]
            ),
        ]
    )
    page = export_html(nb, tmp_path / "plain.html").read_text()
    assert '<h1 class="tk-title">Plain</h1>' in page and "&lt;hello&gt;" in page
    assert "Data fingerprint</dt><dd><code>not recorded</code>" in page


def test_writing_a_report_s_html_leaves_the_customer_page_module_unloaded(tmp_path):
    # The report's own process writes the HTML; the customer page's module brings SciPy,
    # a second of CPU for every report that has no such page.
    import subprocess
    import sys

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Plain")])
    nbformat.write(nb, tmp_path / "plain.ipynb")
    code = (
        "import sys, nbformat\n"
        "from toolkit.reports.html import export_html\n"
        f"export_html(nbformat.read({str(tmp_path / 'plain.ipynb')!r}, as_version=4), "
        f"{str(tmp_path / 'plain.html')!r})\n"
        "print(sorted(m for m in ('toolkit.reports.you_said', 'scipy.stats') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "plain.html").stat().st_size > 0


# ----------------------------------------------------------------------------- reading a subset


@pytest.mark.parametrize(
    "subset",
    [
        {"segment": "Residents"},
        {"segment": ["Board", "Residents"], "method": "survey"},
        {"segment": "Residents", "importance": 5},  # a number: left to pandas
        {"language": "Spanish"},
        {"segment": "O'Brien's"},  # a quote in the value
    ],
)
def test_open_report_reads_the_same_rows_as_filtering_everything(eng, subset):
    from toolkit.catalog import apply_subset
    from toolkit.reports.context import _check_subset

    tables = ["stated_needs", "assumed_needs", "codebook", "events"]
    narrowed, fingerprint = eng.snapshot(tables, subset=subset)
    full, full_fingerprint = eng.snapshot(tables)
    assert fingerprint == full_fingerprint == eng.fingerprint(tables)
    expected = apply_subset(full, subset)
    got = apply_subset(narrowed, subset)
    for name in tables:
        # Missing text reads as None or NaN depending on the other rows read: both missing.
        def tidy(frame):
            return frame.reset_index(drop=True).astype(object).where(frame.notna().to_numpy(), None)

        pd.testing.assert_frame_equal(tidy(got[name]), tidy(expected[name]))
    if "segment" in subset:  # events for everyone (blank segment) are read and kept
        assert got["events"]["segment"].isna().sum() == eng.events["segment"].isna().sum() > 0
    if subset == {"segment": "O'Brien's"}:
        with pytest.raises(DataValidationError, match="Values in the data: Board, Business owners"):
            _check_subset(narrowed, subset, engagement=eng)


def test_progress_bar_only_on_a_terminal(monkeypatch):
    from toolkit.reports.runner import _progress

    assert _progress(5, None) is None  # pytest's stderr is not a terminal
    assert _progress(5, False) is None
    bar = _progress(5, True)
    assert bar is not None and bar.total == 5
    bar.close()
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    assert _progress(1, None) is None  # one report: nothing to show
