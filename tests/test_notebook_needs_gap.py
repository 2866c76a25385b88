"""The "Assumed vs stated needs" notebook, run by papermill on the neighbourhood demo.

Each papermill run starts a kernel and takes about 10 s; the report run is shared by the
tests that only read its outputs. Nothing here skips: a missing kernel or package fails.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest

from toolkit.demo import init_demo
from toolkit.errors import DataValidationError
from toolkit.needs import common_ground
from toolkit.reports.context import md_escape, open_engagement, show_table
from toolkit.reports.needs import (
    NEEDS_TABLES,
    common_ground_summary,
    needs_explorer,
    needs_headline,
    open_needs_report,
)
from toolkit.store import Engagement

from ._notebooks import narrative, opening, outputs, texts

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "needs_gap.ipynb"


def run(path: Path, out: Path, **parameters) -> nbformat.NotebookNode:
    parameters.setdefault("interactive", False)
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        cwd=str(path),
        execution_timeout=300,
    )
    return nbformat.read(out, as_version=4)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Engagement:
    return init_demo(tmp_path_factory.mktemp("eng") / "riverside", "neighbourhood")


@pytest.fixture(scope="module")
def report(demo, tmp_path_factory) -> nbformat.NotebookNode:
    folder = tmp_path_factory.mktemp("run")
    return run(folder, folder / "needs_gap.ipynb", engagement=str(demo.path))


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
        "confidence": "float",
        "min_n": "int",
        "top_k": "int",
        "by": "str",
    }
    assert all(p["help"] for p in params.values())


def test_report_run_completes_without_errors_or_widgets(report):
    assert report.metadata.papermill.get("exception") in (None, False)
    assert not [o for o in outputs(report) if o["output_type"] == "error"]
    assert not report.metadata.get("widgets")
    mimes = {m for o in outputs(report) for m in o.get("data", {})}
    assert "application/vnd.jupyter.widget-view+json" not in mimes
    # Nothing printed to stderr (warnings would land in the report).
    assert not [o for o in outputs(report) if o.get("name") == "stderr"]


def test_report_names_the_blind_spot_and_the_assumed_only_need(report):
    text = narrative(report)
    assert re.search(
        # the demo's three listening rounds together (the first alone: 38% of 220)
        r"Customers' most-named need, \*\*Milk and perishable food\*\* \(33% of 329 "
        r"respondents, 95% CI 29%–39%\), was named by \*\*no staff member\*\* — \*\*a blind spot",
        text,
    )
    assert re.search(
        r"Staff's most-named need, \*\*Food pantry or food bank access\*\* \(100% of 10 staff "
        r"members\), was named by 3% of customers .* — \*\*assumed only\*\*",
        text,
    )


def test_opens_on_its_findings_and_ends_with_its_provenance(report, demo):
    line, findings, about = opening(report)
    assert "Riverside Community Partners" in line and demo.fingerprint(NEEDS_TABLES) in line
    assert "min" not in line and "Toolkit version" not in line
    assert findings[0] == {
        "text": "Milk and perishable food is the need customers name most — 33% of 329 "
        "customers (29%–39%) — and none of the 10 staff members listed it: a blind spot.",
        "anchor": "What-stands-out",
        "chart": "needs_gap",
    }
    assert 3 <= len(findings) <= 5
    assert demo.fingerprint(NEEDS_TABLES) in about
    assert "Toolkit version" in about and "Run at" in about
    assert "min\\_n = 5" in about and "by = segment" in about


def test_charts_are_report_html_with_no_outside_urls(report):
    charts = [h for h in texts(report, "text/html") if 'class="tk-chart"' in h]
    # dumbbell, rank slope, needs over time (the demo has three listening rounds), heatmap,
    # importance–performance
    assert len(charts) == 5
    assert all("window.vegaEmbed" in h for h in charts)
    everything = json.dumps([o.get("data", {}) for o in outputs(report)])
    assert not re.search(r"https?:|cdn", everything, flags=re.IGNORECASE)
    assert "application/vnd.vegalite" not in everything


def test_no_personal_columns_reach_the_report(report, demo):
    everything = json.dumps([o.get("data", {}) for o in outputs(report)])
    stated = demo.stated_needs
    assert not any(rid in everything for rid in stated["respondent_id"].dropna().unique()[:50])
    assert not any(sid in everything for sid in stated["source_id"].dropna().unique()[:50])
    assert "Executive director" not in everything  # staff members' names


def test_subset_keeps_one_segment(demo, tmp_path):
    nb = run(
        tmp_path,
        tmp_path / "residents.ipynb",
        engagement=str(demo.path),
        subset={"segment": "Residents"},
    )
    text = narrative(nb)
    assert "segment = Residents" in text
    assert "180 respondents" in text  # 95 in the first listening round, 85 in the two later
    assert "Only one customer group is in this report" in text
    assert "This report covers one segment only (Residents)" in text
    charts = [h for h in texts(nb, "text/html") if 'class="tk-chart"' in h]
    # no heatmap for one group; needs over time, as residents were heard in every round
    assert len(charts) == 4
    assert not any("Business owners" in h for h in charts)


def test_unknown_engagement_fails_with_a_store_error(tmp_path):
    missing = tmp_path / "no-such-engagement"
    with pytest.raises(pm.PapermillExecutionError) as info:
        run(tmp_path, tmp_path / "failed.ipynb", engagement=str(missing))
    assert info.value.ename == "StoreError"
    assert f"{missing}: no such engagement folder" in info.value.evalue
    assert "service-toolkit init" in info.value.evalue


def test_interactive_run_builds_the_panel(demo, tmp_path):
    nb = run(tmp_path, tmp_path / "live.ipynb", engagement=str(demo.path), interactive=True)
    assert not [o for o in outputs(nb) if o["output_type"] == "error"]
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    models = {m["model_name"] for m in state.values()}
    assert {"DropdownModel", "IntSliderModel", "OutputModel"} <= models


# ----------------------------------------------------------------------------- helpers


def _gap(**override) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "label": ["Milk *fresh* <b>food</b>", "Food pantry", "Safety"],
            "staff_n": [0, 10, 4],
            "staff_total": [10, 10, 10],
            "staff_share": [0.0, 1.0, 0.4],
            "staff_ci_low": [0.0, 0.72, 0.17],
            "staff_ci_high": [0.28, 1.0, 0.69],
            "customer_n": [81, 10, 31],
            "customer_total": [220, 220, 220],
            "customer_share": [0.3682, 0.0455, 0.1409],
            "customer_ci_low": [0.3072, 0.0249, 0.1011],
            "customer_ci_high": [0.4337, 0.0816, 0.1931],
            "classification": ["blind spot", "assumed only", "assumed only"],
            "suppressed": [False, False, False],
            "confidence": [0.95] * 3,
        }
    )
    return frame.assign(**override)


def test_headline_names_blind_spot_and_assumed_only_and_escapes_text():
    text = needs_headline(_gap()).data
    assert text.startswith(
        "Customers' most-named need, **Milk \\*fresh\\* &lt;b&gt;food&lt;/b&gt;** (37% of 220 "
        "respondents, 95% CI 31%–43%), was named by **no staff member** — **a blind spot**."
    )
    assert (
        "Staff's most-named need, **Food pantry** (100% of 10 staff members), was named by 5% "
        "of customers (95% CI 2%–8%) — **assumed only**"
    ) in text
    assert "Safety (40% of staff, 14% of customers)" in text
    assert "<b>" not in text


def test_headline_when_staff_named_it_too_and_when_everything_is_suppressed():
    shared = _gap(
        staff_n=[6, 10, 4],
        staff_share=[0.6, 1.0, 0.4],
        classification=["shared priority", "assumed only", "assumed only"],
    )
    assert (
        "was named by 60% of 10 staff members — a shared priority." in needs_headline(shared).data
    )
    hidden = _gap(suppressed=[True] * 3, customer_share=[None] * 3, customer_total=[3] * 3)
    text = needs_headline(hidden, min_n=5).data
    assert "fewer than 5 respondents" in text and "Milk" not in text
    assert "nothing to compare" in needs_headline(_gap().iloc[0:0]).data


def _drop_in(ratings: dict) -> pd.DataFrame:
    rows = [
        (seg, f"{seg}{i}", "shelter", r)
        for seg, values in ratings.items()
        for i, r in enumerate(values)
    ]
    return pd.DataFrame(rows, columns=["segment", "respondent_id", "code", "importance"])


def test_a_conflict_is_said_with_each_mean_its_interval_and_its_ratings():
    many = {"Residents": [5, 4, 5, 5] * 5, "Businesses": [1, 2, 1, 1] * 5}
    text, _, conflicts = common_ground_summary(common_ground(_drop_in(many)))
    assert re.search(
        r"Residents rate \*\*shelter\*\* 4\.8 \(interval 4\.5–5\.0\) out of 5 from 20 "
        r"ratings and Businesses 1\.2 \(interval 1\.0–1\.5\) out of 5 from 20 ratings",
        text.data,
    )
    assert conflicts.loc[0, ["importance_n_a", "importance_n_b"]].tolist() == [20, 20]
    assert conflicts.loc[0, "importance_ci_low_a"] < 4.75 < conflicts.loc[0, "importance_ci_high_a"]
    # Two points apart from three ratings a side: not shown to differ, no conflict said.
    few = {"Residents": [5, 1, 5], "Businesses": [1, 1, 3]}
    cg = common_ground(_drop_in(few), min_n=3)
    assert cg["relation_point"].tolist() == ["conflict"]
    text, _, conflicts = common_ground_summary(cg)
    assert conflicts.empty
    assert "No two groups rate the same need in clearly opposite ways." in text.data


def test_md_escape_keeps_user_text_literal():
    assert md_escape("a_b [link](x) `code` $5 & <i>") == (
        "a\\_b \\[link\\]\\(x\\) \\`code\\` &#36;5 &amp; &lt;i&gt;"
    )
    assert md_escape("- item\nsecond line") == "\\- item second line"
    assert md_escape(None) == "–"


def test_show_table_formats_for_people_and_drops_personal_columns():
    frame = pd.DataFrame(
        {
            "label": ["Milk", "Pantry"],
            "share": [0.368, None],
            "low": [0.31, None],
            "high": [0.43, None],
            "n": [81, 10],
            "respondent_id": ["S-1", "S-2"],
            "Email": ["a@example.org", "b@example.org"],
            "items": [["one", "two"], []],
        }
    )
    table = show_table(frame, percent=["share"], intervals={"share": ("low", "high")})
    assert list(table.frame.columns) == ["Label", "Share", "Low", "High", "N", "Items"]
    assert table.frame["Share"].tolist() == ["37% (31%–43%)", "–"]
    assert table.frame["N"].tolist() == ["81", "10"]
    html = table._repr_html_()
    assert "S-1" not in html and "example.org" not in html
    assert "one<br>two" in html
    assert '<th style="text-align: right">N</th>' in html
    assert show_table(frame, columns=["label"], rows=1).note == "1 more row not shown."


def test_bad_parameters_fail_before_the_analysis(demo):
    with pytest.raises(DataValidationError, match="no table of this report has a column 'campus'"):
        open_needs_report(str(demo.path), subset={"campus": "North"}, interactive=False)
    with pytest.raises(DataValidationError, match="keeps no rows.*Residents"):
        open_needs_report(str(demo.path), subset={"segment": "Nobody"}, interactive=False)
    with pytest.raises(DataValidationError, match="by='campus'.*stated needs have no column"):
        open_needs_report(str(demo.path), by="campus", interactive=False)
    with pytest.raises(DataValidationError, match="top_k"):
        open_needs_report(str(demo.path), top_k=0, interactive=False)


def test_engagement_settings_apply_unless_a_parameter_overrides_them(tmp_path):
    eng = init_demo(tmp_path / "eng", "neighbourhood")
    toml = eng.path / "engagement.toml"
    toml.write_text(toml.read_text().replace("min_n = 5", "min_n = 8"))
    assert open_needs_report(str(eng.path), interactive=False).min_n == 8
    assert open_needs_report(str(eng.path), min_n=3, interactive=False).min_n == 3


def test_explorer_redraws_on_every_control(demo):
    ctx = open_needs_report(str(demo.path), interactive=False)
    panel = needs_explorer(ctx)
    group, min_n, top_k = panel.children[1].children
    assert group.label == "All" and ("Residents", "Residents") in group.options
    group.value = "Board"  # 6 respondents
    min_n.value = 10  # now suppressed: the headline must cope
    top_k.value = 3
    group.index = 0  # back to "All"


def _open_demo(cache: str) -> tuple[str, str]:
    import os

    os.environ["SERVICE_TOOLKIT_CACHE"] = cache
    eng = open_engagement("")
    return str(eng.path), eng.fingerprint()


def test_demo_is_built_once_even_when_two_notebooks_start_together(tmp_path, monkeypatch):
    cache = str(tmp_path / "cache")
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        results = list(pool.map(_open_demo, [cache, cache]))
    assert results[0] == results[1]
    folder = tmp_path / "cache" / "demo-neighbourhood"
    assert Path(results[0][0]) == folder
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["demo-neighbourhood"]
    stamp = (folder / ".demo-stamp").stat().st_mtime_ns
    monkeypatch.setenv("SERVICE_TOOLKIT_CACHE", cache)
    assert open_engagement("").path == folder  # reused, not rebuilt
    assert (folder / ".demo-stamp").stat().st_mtime_ns == stamp


def test_by_a_column_only_customers_have_compares_each_campus_with_all_staff(tmp_path):
    """by=campus on the university demo: staff needs have no campus, customers do."""
    eng = init_demo(tmp_path / "uni", "university")
    assert "campus" not in eng.table("assumed_needs")
    staff = eng.table("assumed_needs")["staff"].nunique()
    nb = run(tmp_path, tmp_path / "by-campus.ipynb", engagement=str(eng.path), by="campus")
    text = narrative(nb) + "\n".join(texts(nb, "text/html"))
    assert f"each campus group's customers are compared with all staff ({staff:,} staff" in text
    assert "has no column" not in text and "Error" not in text
    campuses = eng.table("stated_needs")["campus"].dropna().unique()
    assert sum(str(c) in text for c in campuses) >= 2  # the per-campus comparison is shown
