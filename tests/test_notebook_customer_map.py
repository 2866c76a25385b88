"""The "Customer map" notebook, run by papermill on the university and neighbourhood demos.

Each papermill run starts a kernel and takes about 6 s. The four runs this module needs
(the university report, the same with ``weights={"mandate": 0}``, one with a misspelt
weight, and the neighbourhood report) start together, two at a time, in separate
processes, when the first test asks for one; every test that only reads a run's outputs
shares it. Nothing here skips: a missing kernel or package fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest

from toolkit.demo import init_demo
from toolkit.errors import DataValidationError
from toolkit.reports import customers as customer_report
from toolkit.reports.customers import (
    CUSTOMER_TABLES,
    open_customer_report,
    priority_explorer,
    service_chain_summary,
)
from toolkit.store import Engagement

from ._notebooks import narrative, opening, outputs, parallel_runs, texts

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "customer_map.ipynb"


def paragraph(text: str, start: str) -> str:
    return next(p for p in text.split("\n\n") if p.startswith(start))


@pytest.fixture(scope="module")
def university(tmp_path_factory) -> Engagement:
    return init_demo(tmp_path_factory.mktemp("eng") / "state-university", "university")


@pytest.fixture(scope="module")
def neighbourhood(tmp_path_factory) -> Engagement:
    return init_demo(tmp_path_factory.mktemp("eng") / "riverside", "neighbourhood")


@pytest.fixture(scope="module")
def runs(university, neighbourhood, tmp_path_factory):
    """Start every papermill run of this module at once; ``runs(name)`` waits for one."""
    folder = tmp_path_factory.mktemp("runs")
    plans = {
        "university": {"engagement": str(university.path)},
        "mandate": {"engagement": str(university.path), "weights": {"mandate": 0}},
        "misspelt": {"engagement": str(university.path), "weights": {"manadate": 2}},
        "neighbourhood": {"engagement": str(neighbourhood.path)},
    }
    with parallel_runs(NOTEBOOK, folder, plans) as result:
        yield result


@pytest.fixture(scope="module")
def report(runs) -> nbformat.NotebookNode:
    return runs("university")


# ----------------------------------------------------------------------------- the notebook


def test_committed_notebook_is_clean_and_declares_its_parameters():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert code[0].metadata.get("tags") == ["parameters"]
    params = pm.inspect_notebook(str(NOTEBOOK))
    assert {n: p["inferred_type_name"] for n, p in params.items()} == {
        "engagement": "str",
        "subset": "dict",
        "interactive": "bool",
        "weights": "dict",
        "confidence": "float",
        "min_n": "int",
    }
    assert all(p["help"] for p in params.values())
    assert params["weights"]["default"] == "{}"
    # Logic lives in the toolkit: the notebook imports its helpers and calls them.
    source = "\n".join(c.source for c in code[1:])
    assert "import altair" not in source and "def " not in source
    assert "toolkit.charts.customers import" in source


def test_report_run_completes_without_errors_or_widgets(report):
    assert report.metadata.papermill.get("exception") in (None, False)
    assert not [o for o in outputs(report) if o["output_type"] == "error"]
    assert not report.metadata.get("widgets")
    mimes = {m for o in outputs(report) for m in o.get("data", {})}
    assert "application/vnd.jupyter.widget-view+json" not in mimes
    assert not [o for o in outputs(report) if o.get("name") == "stderr"]


def test_opens_on_its_findings_and_words_the_weights(report, university):
    line, findings, about = opening(report)
    assert "State University System Office" in line
    assert university.fingerprint(CUSTOMER_TABLES) in line
    assert findings[0]["text"].startswith("Provosts comes first of 47 customers — score 4.83")
    assert findings[0]["anchor"] == "Setting-priorities" and findings[0]["chart"] == "priority"
    assert "Toolkit version" in about and "Run at" in about
    assert "{" not in about and "weights = mission alignment 1" in about
    assert "mandate 1 \\(from engagement.toml\\)" in about
    assert "min\\_n = 5 (from engagement.toml)" in about


def test_report_names_the_first_customer_and_the_internal_ones(report):
    text = narrative(report)
    assert (
        "**Provosts** comes first (score 4.83 of 5, high tier), then Academic affairs and "
        "Regional accreditation agency (tied at 4.50)"
    ) in text
    assert (
        "This run uses the engagement's weights (engagement.toml): all six criteria count equally."
        in text
    )
    who = paragraph(text, "**Internal customers are customers too**")
    assert "Campus units (34: Campus IT departments, Campus advising centres, Provosts, " in who
    assert "30 HR offices (Ashford, Bayview, Cedar Falls and 27 more)" in who
    assert "The register lists **47 customers**: **41 internal** and **6 external**." in text
    # Ranks that move with the weights, and the criterion nobody rated, in words.
    assert (
        "The widest swing is Campus advising centres, #12 now but anywhere from #12 to #42" in text
    )
    assert "never counted as zero" in text and "K-12 school districts (history)" in text
    # Who serves whom: the single-provider dependency on System HR.
    assert "System HR alone serves 30 HR offices" in text
    assert "There are no loops" in text
    assert "**Definitive**, with all three: Students." in text


def test_charts_are_report_html_with_no_outside_urls(report):
    charts = [h for h in texts(report, "text/html") if 'class="tk-chart"' in h]
    assert len(charts) == 3  # priorities, power/interest, service chain
    assert all("window.vegaEmbed" in h for h in charts)
    plain = texts(report, "text/plain")
    for title in ("Which customers come first", "Power and interest", "Who serves whom"):
        assert any(p.startswith(f"Chart: {title} — ") for p in plain), title
    everything = json.dumps([o.get("data", {}) for o in outputs(report)])
    assert not re.search(r"https?:|cdn", everything, flags=re.IGNORECASE)
    assert "application/vnd.vegalite" not in everything


def test_no_personal_data_reaches_the_report(report, university):
    everything = json.dumps([o.get("data", {}) for o in outputs(report)])
    stated = university.stated_needs
    assert not any(rid in everything for rid in stated["respondent_id"].dropna().unique()[:50])
    assert not any(sid in everything for sid in stated["source_id"].dropna().unique()[:50])


def test_weights_parameter_changes_the_ranking_text(runs, report):
    changed = runs("mandate")
    assert not [o for o in outputs(changed) if o["output_type"] == "error"]
    before = paragraph(narrative(report), "Each customer gets a score")
    after = paragraph(narrative(changed), "Each customer gets a score")
    assert before != after
    assert after.endswith(
        "weights set for this run (mandate 0), the others from engagement.toml: mission "
        "alignment, clout, control of resources we need, history with us and few alternatives "
        "count equally; mandate is left out (weight 0)."
    )
    text = narrative(changed)
    assert "**Provosts** comes first (score 4.80 of 5, high tier)" in text
    assert "#14 now but anywhere from #14 to #44" in text
    about = texts(changed, "text/markdown")[-1]
    assert "mandate 0 \\(set for this run: mandate; the others from engagement.toml\\)" in about
    assert "{" not in about


def test_a_misspelt_weight_fails_in_the_setup_cell_with_a_clear_error(runs):
    ename, evalue, cell = runs("misspelt")
    assert ename == "DataValidationError"
    assert "weights: 'manadate' is not a priority criterion." in evalue
    assert "mission_alignment, clout, resource_control, history, alternatives, mandate" in evalue
    assert cell == 4  # title, parameters, injected parameters, imports, then the setup cell


def test_neighbourhood_report(runs):
    nb = runs("neighbourhood")
    assert not [
        o for o in outputs(nb) if o["output_type"] in ("error",) or o.get("name") == "stderr"
    ]
    text = narrative(nb)
    assert "**Board of directors** comes first (score 4.83 of 5, high tier)" in text
    assert (
        "Ours are **Volunteers**, Board (1: Board of directors) and Staff (3: Intake team, " in text
    )
    assert "The broadest is **Milk and perishable food**" in text
    assert re.search(
        r"rate \*\*A drop-in day centre\*\* 4\.3 \(interval [\d.]+–[\d.]+\) out of 5 from 3 "
        r"ratings; Business owners \(.*\) 1\.4 \(interval [\d.]+–[\d.]+\) out of 5 from 9 ratings",
        text,
    )
    assert "Dashed curves run back upstream: Regional food bank → Food program" in json.dumps(
        texts(nb, "text/plain"), ensure_ascii=False
    )
    charts = [h for h in texts(nb, "text/html") if 'class="tk-chart"' in h]
    assert len(charts) == 3


# ----------------------------------------------------------------------------- helpers


def test_bad_weights_are_refused_before_any_section(university):
    path = str(university.path)
    with pytest.raises(DataValidationError, match=r"weights must be a mapping.*\{mandate: 2\}"):
        open_customer_report(path, weights="mandate=2", interactive=False)
    with pytest.raises(DataValidationError, match="'reach' is not a priority criterion"):
        open_customer_report(path, weights={"reach": 1}, interactive=False)
    with pytest.raises(DataValidationError, match="cannot be negative"):
        open_customer_report(path, weights={"clout": -1}, interactive=False)
    with pytest.raises(DataValidationError, match="Every priority weight is 0"):
        open_customer_report(
            path, weights=dict.fromkeys(customer_report.PRIORITY_CRITERIA, 0), interactive=False
        )
    with pytest.raises(DataValidationError, match="keeps no rows"):
        open_customer_report(path, subset={"kind": "nobody"}, interactive=False)


def test_weights_come_from_engagement_toml_unless_given(tmp_path):
    eng = init_demo(tmp_path / "eng", "neighbourhood")
    toml = eng.path / "engagement.toml"
    text = toml.read_text()
    assert "mandate = 1.0" in text
    toml.write_text(text.replace("mandate = 1.0", "mandate = 2.0"))
    ctx = open_customer_report(str(eng.path), interactive=False)
    assert ctx.weights["mandate"] == 2.0 and ctx.weights_given == {}
    assert "mandate=2" in ctx.priorities()["weights"].iloc[0]
    ctx = open_customer_report(str(eng.path), weights={"clout": 3}, interactive=False)
    assert ctx.weights["mandate"] == 2.0 and ctx.weights["clout"] == 3
    assert "weights set for this run (clout 3)" in ctx.weights_source()


def test_a_subset_keeps_the_links_among_its_customers(neighbourhood):
    ctx = open_customer_report(
        str(neighbourhood.path), subset={"kind": "internal"}, interactive=False
    )
    assert set(ctx.customers["kind"]) == {"internal"}
    assert ctx.links_left_out == 13 and len(ctx.links) == 5
    summary, reach, single = service_chain_summary(ctx)
    assert "13 links to customers outside this report's subset are left out." in summary.data
    assert reach.empty  # no external customer in this subset


def test_explorer_sliders_rerank_and_redraw(neighbourhood, monkeypatch):
    shown = []
    monkeypatch.setattr(customer_report, "_show", lambda *objects: shown.append(objects))
    ctx = open_customer_report(str(neighbourhood.path), interactive=False)
    panel = priority_explorer(ctx)
    title, box, reset, out = panel.children
    sliders = box.children
    assert [s.description for s in sliders] == [
        "Mission alignment",
        "Clout",
        "Control of resources we need",
        "History with us",
        "Few alternatives",
        "Mandate",
    ]
    assert all((s.min, s.max, s.step, s.value) == (0, 3, 0.25, 1) for s in sliders)
    words, chart, table = shown[-1]
    assert words.data == "No customer changes rank against the report's weights."
    assert chart.to_dict()["datasets"]  # the chart is built, with its rows

    sliders[5].value = 0  # mandate left out
    words, chart, table = shown[-1]
    assert "change rank" in words.data
    spec = chart.to_dict()
    assert "mandate is left out (weight 0)" in " ".join(spec["title"]["subtitle"])
    rows = next(iter(rows for rows in spec["datasets"].values() if rows and "rank" in rows[0]))
    ranked = ctx.priorities({**ctx.weights, "mandate": 0})
    assert [r["name"] for r in rows] == ranked["name"].tolist()
    assert table.frame["Customer"].tolist() == ranked["name"].tolist()

    for slider in sliders:
        slider.value = 0
    (message,) = shown[-1]
    assert message.data.startswith("**Cannot rank with these weights.** Every priority weight is 0")

    calls = len(shown)
    reset.click()
    assert len(shown) == calls + 1  # one redraw, not one per slider
    assert all(s.value == 1 for s in sliders)
    assert shown[-1][0].data == "No customer changes rank against the report's weights."
    assert isinstance(table.frame, pd.DataFrame)
