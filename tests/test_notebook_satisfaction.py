"""The "Satisfaction over time" notebook, run by papermill, and the words it shows.

The papermill runs (the neighbourhood report, a monthly NPS report for one segment, and one
with a bad parameter) start together, two at a time, in separate processes, when the first
test asks for one; every test that only reads a run's outputs shares it. Nothing here
skips: a missing kernel or package fails.
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
from toolkit.reports.satisfaction import (
    SATISFACTION_TABLES,
    changes_summary,
    control_summary,
    events_summary,
    group_summary,
    open_satisfaction_report,
    satisfaction_explorer,
    trend_headline,
)
from toolkit.satisfaction import period_changes, satisfaction_trend
from toolkit.store import Engagement

from ._notebooks import narrative, opening, outputs, parallel_runs, texts

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "satisfaction.ipynb"


@pytest.fixture(scope="module")
def neighbourhood(tmp_path_factory) -> Engagement:
    return init_demo(tmp_path_factory.mktemp("eng") / "riverside", "neighbourhood")


@pytest.fixture(scope="module")
def runs(neighbourhood, tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    path = str(neighbourhood.path)
    plans = {
        "report": {"engagement": path},
        "nps": {
            "engagement": path,
            "metric": "nps",
            "period": "month",
            "by": "",
            "subset": {"segment": "Residents"},
            "since": "2023-01-01",
            "baseline": 6,
            "event": "Milk and fresh food program launched",
        },
        "bad": {"engagement": path, "period": "fortnight"},
    }
    with parallel_runs(NOTEBOOK, folder, plans) as result:
        yield result


@pytest.fixture(scope="module")
def report(runs):
    return runs("report")


def test_committed_notebook_is_clean_and_declares_its_parameters():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert code[0].metadata.get("tags") == ["parameters"]
    params = pm.inspect_notebook(str(NOTEBOOK))
    assert {n: p["inferred_type_name"] for n, p in params.items()} == {
        "engagement": "str",
        "subset": "dict",
        "interactive": "bool",
        "metric": "str",
        "period": "str",
        "since": "str",
        "until": "str",
        "by": "str",
        "event": "str",
        "window_days": "int",
        "baseline": "int",
        "population": "int",
        "confidence": "float",
        "min_n": "int",
    }
    assert all(p["help"] and "=" not in p["help"] for p in params.values())
    source = "\n".join(c.source for c in code[1:])
    assert "import altair" not in source and "def " not in source


def test_report_run_completes_without_errors_widgets_or_urls(report):
    assert not [o for o in outputs(report) if o["output_type"] == "error"]
    assert not [o for o in outputs(report) if o.get("name") == "stderr"]
    assert not report.metadata.get("widgets")
    everything = json.dumps([o.get("data", {}) for o in outputs(report)])
    assert "application/vnd.jupyter.widget-view+json" not in everything
    assert not re.search(r"https?:|cdn", everything, flags=re.IGNORECASE)
    charts = [h for h in texts(report, "text/html") if 'class="tk-chart"' in h]
    assert len(charts) == 5  # trend, before/after, XmR, p-chart, by segment
    assert all("window.vegaEmbed" in h for h in charts)


def test_opens_on_its_findings_and_ends_with_its_provenance(report, neighbourhood):
    line, findings, about = opening(report)
    assert "Riverside Community Partners" in line
    assert neighbourhood.fingerprint(SATISFACTION_TABLES) in line
    assert findings[0]["text"].startswith("Satisfaction (CSAT) in 2024-Q4: ")
    assert any(f["chart"] == "before_after" and "got better" in f["text"] for f in findings)
    assert "metric = csat" in about and "min\\_n = 5 (from engagement.toml)" in about


def test_narrative_states_what_changed_and_how_sure(report, neighbourhood):
    text = narrative(report)
    responses = neighbourhood.responses
    csat = responses[responses["metric"] == "csat"]
    first = csat[csat["submitted_on"].dt.to_period("Q") == "2022Q1"]["score"].mean()
    last = csat[csat["submitted_on"].dt.to_period("Q") == "2024Q4"]["score"].mean()
    assert (
        f"**Satisfaction (CSAT) rose** from {first:.2f} in 2022-Q1 to {last:.2f} in 2024-Q4" in text
    )
    # The milk program launch: the 90 days either side, computed independently.
    start = pd.Timestamp("2023-07-01")
    before = csat[
        (csat["submitted_on"] >= start - pd.Timedelta(days=90)) & (csat["submitted_on"] < start)
    ]
    after = csat[
        (csat["submitted_on"] >= start) & (csat["submitted_on"] < start + pd.Timedelta(days=90))
    ]
    assert (
        f"Around **Milk and fresh food program launched** (1 July 2023), the 90 days after were "
        f"better, and the interval leaves no room for no change (mean score "
        f"{before['score'].mean():.2f} → {after['score'].mean():.2f}"
    ) in text
    assert "*A note on many comparisons:*" in text
    assert "With intervals widened for all 11 comparisons (Bonferroni)" in text
    assert "Rules broken:" in text
    assert "a share such as the top box is known to within about ±6 points" in text


def test_small_groups_are_explained_not_dropped(report, neighbourhood):
    responses = neighbourhood.responses
    csat = responses[responses["metric"] == "csat"]
    sizes = csat.groupby(["segment", csat["submitted_on"].dt.to_period("Q")]).size()
    small = int((sizes < 5).sum())
    assert small > 0  # the demo's partner agencies are a small group
    html = "\n".join(texts(report, "text/html"))
    assert f"{small} periods with too few responses are not shown." in html


def test_parameters_change_the_report(runs):
    nps = runs("nps")
    assert not [o for o in outputs(nps) if o["output_type"] == "error"]
    text = narrative(nps)
    assert "**Net Promoter Score" in text
    assert "No grouping column was chosen" in text
    assert "**Net Promoter Score rose** from" in text and " in 2023-0" in text
    assert " in 2022-" not in text  # since: nothing before January 2023
    # The chosen event starts the control limits again (at the first month with answers
    # after it); each phase freezes them after at most 6 periods.
    assert (
        "The XmR sets limits from 4 and 6 periods in its 2 phases, starting again at 2023-08"
        in text
    )
    assert text.count("Around **") == 2  # the headline and the chosen event only


def test_a_bad_parameter_fails_in_the_setup_cell_with_a_clear_error(runs):
    ename, evalue, cell = runs("bad")
    assert ename == "DataValidationError"
    assert "period = 'fortnight' is not a period" in evalue
    assert cell == 4  # title, parameters, injected parameters, imports, the setup cell


# ----------------------------------------------------------------------------- words, without a kernel


def test_open_report_refuses_bad_parameters_by_name(neighbourhood):
    path = str(neighbourhood.path)
    for kwargs, message in [
        ({"metric": "joy"}, "metric = 'joy' is not a metric"),
        ({"since": "yesterday"}, "since = 'yesterday' is not a date"),
        ({"since": "2024-02-01", "until": "2024-01-01"}, "swap them"),
        ({"by": "shoe_size"}, "by = 'shoe_size'"),
        ({"event": "Moon landing"}, "no event is labelled 'Moon landing'"),
        ({"baseline": 1}, "baseline = 1"),
        ({"window_days": 0}, "window_days = 0"),
    ]:
        with pytest.raises(DataValidationError, match=re.escape(message)):
            open_satisfaction_report(path, interactive=False, **kwargs)


def test_since_and_until_keep_the_range(neighbourhood):
    ctx = open_satisfaction_report(
        str(neighbourhood.path), interactive=False, since="2023-01-01", until="2023-12-31"
    )
    dates = ctx.responses["submitted_on"]
    assert dates.min() >= pd.Timestamp("2023-01-01")
    assert dates.max() < pd.Timestamp("2024-01-01")
    assert ctx.trend()["period"].tolist() == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]


def test_headline_for_a_single_period_and_for_all_suppressed():
    data = pd.DataFrame(
        {"metric": "csat", "score": [4, 5, 3, 4, 4], "submitted_on": pd.Timestamp("2024-02-02")}
    )
    trend = satisfaction_trend(data)
    text = trend_headline(trend, period_changes(trend)).data
    assert text.startswith("**Satisfaction (CSAT)** in 2024-Q1: mean score 4.00")
    hidden = satisfaction_trend(data, min_n=10)
    assert "fewer than 10" in trend_headline(hidden, period_changes(hidden)).data
    summary, table = changes_summary(period_changes(trend))
    assert "not two reported periods" in summary.data and table is None


def _nps_responses(counts_by_date):
    scores, dates = [], []
    for date, (pro, pas, det) in counts_by_date.items():
        scores += [10] * pro + [8] * pas + [3] * det
        dates += [pd.Timestamp(date)] * (pro + pas + det)
    return pd.DataFrame({"metric": "nps", "score": scores, "submitted_on": dates})


def test_headline_says_rose_only_when_the_interval_of_the_change_leaves_out_zero():
    # Issue 17: a campus headline said NPS "rose" from n = 7 to n = 5.
    small = satisfaction_trend(
        _nps_responses({"2024-01-10": (2, 3, 2), "2024-04-10": (2, 2, 1)}), metric="nps"
    )
    text = trend_headline(small, period_changes(small)).data
    assert "rose" not in text
    assert "**Net Promoter Score showed no clear change** from 0 in 2024-Q1 to +20" in text
    assert "first 7 responses" in text
    # Under min_n the n = 5 period is not shown, so nothing is said to have moved.
    strict = satisfaction_trend(
        _nps_responses({"2024-01-10": (2, 3, 2), "2024-04-10": (2, 2, 1)}), metric="nps", min_n=6
    )
    text = trend_headline(strict, period_changes(strict)).data
    assert "rose" not in text and "no clear change" not in text
    big = satisfaction_trend(
        _nps_responses({"2024-01-10": (60, 80, 60), "2024-04-10": (110, 60, 30)}), metric="nps"
    )
    text = trend_headline(big, period_changes(big)).data
    assert "**Net Promoter Score rose** from 0 in 2024-Q1 to +40 in 2024-Q2" in text
    assert "better, and the interval leaves no room for no change" in text


def test_changes_summary_counts_clear_changes_from_the_bonferroni_intervals():
    # Four moves of 1 point (clear either way) and a last one of 0.35 (clear alone only).
    groups = [[2, 3] * 10, [1, 2] * 10, [2, 3] * 10, [3, 4] * 10, [3] * 3 + [4] * 17]
    data = pd.DataFrame(
        {
            "metric": "csat",
            "score": [x for g in groups for x in g],
            "submitted_on": pd.to_datetime(
                [f"{2024 + i // 4}-{3 * (i % 4) + 1:02d}-10" for i in range(5) for _ in range(20)]
            ),
        }
    )
    changes = period_changes(satisfaction_trend(data))
    summary, _ = changes_summary(changes)
    clear = int(changes["change_adjusted"].isin(["better", "worse"]).sum())
    assert 0 < clear < int(changes["change"].isin(["better", "worse"]).sum())
    assert f"(Bonferroni), {clear} change{'s' if clear > 1 else ''} remain clear" in summary.data


def _campuses(counts):
    parts = [
        pd.DataFrame(
            {"metric": "csat", "score": [5] * x + [2] * (n - x), "campus": campus,
             "submitted_on": pd.Timestamp("2024-02-10")}
        )
        for campus, (x, n) in counts.items()
    ]  # fmt: skip
    return satisfaction_trend(pd.concat(parts), measure="top_box", by="campus")


def test_group_summary_states_a_gap_only_when_its_adjusted_interval_leaves_out_0():
    # 60/100 vs 45/100 alone differ; with a third campus the extremes are one of 3 pairs
    # and the 98.33% interval includes 0.
    text = group_summary(_campuses({"A": (60, 100), "B": (45, 100)}), by="campus")[0].data
    assert "**A** scored highest (60%) and **B** lowest (45%), a gap of 15 points" in text
    assert "(95% interval +1 to +28, widened for the 1 pair of groups): the two differ." in text
    three = _campuses({"A": (60, 100), "B": (45, 100), "C": (50, 100)})
    text = group_summary(three, by="campus")[0].data
    assert "98.3% interval −2 to +31, widened for the 3 pairs of groups; it includes 0, so" in text
    assert "the two differ" not in text
    # Every campus the same, or no spread for an interval: no verdict either way.
    same = group_summary(_campuses({"A": (5, 10), "B": (5, 10)}), by="campus")[0].data
    assert "every group scored the same (50%)" in same
    flat = pd.DataFrame(
        {"metric": "csat", "score": [4, 5] * 10, "campus": ["A", "B"] * 10,
         "submitted_on": pd.Timestamp("2024-02-10")}
    )  # fmt: skip
    text = group_summary(satisfaction_trend(flat, by="campus"), by="campus")[0].data
    assert "too little spread for an interval, so no verdict on the gap" in text


def test_events_summary_without_events_says_how_to_add_them():
    assert "Record changes customers might react to" in events_summary(None).data


def test_control_summary_without_signals_says_so():
    values = [50, 52, 49, 51, 50, 48, 51, 50]
    data = pd.DataFrame(
        {
            "metric": "csat",
            "score": values,
            "scale_min": 0,
            "scale_max": 100,
            "submitted_on": pd.date_range("2022-01-01", periods=8, freq="MS"),
        }
    )
    from toolkit.satisfaction import control_chart

    chart = control_chart(satisfaction_trend(data, period="month", min_n=1))
    assert "ordinary variation" in control_summary(chart, measure="mean").data


def test_explorer_redraws_for_each_choice(neighbourhood, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objects: shown.extend(objects))
    # A live session reads every metric (a report run reads only its own).
    ctx = open_satisfaction_report(str(neighbourhood.path), interactive=True)
    panel = satisfaction_explorer(ctx)
    title, top, bottom, out = panel.children
    metric, period = top.children
    group, event = bottom.children
    assert [o[1] for o in metric.options] == ["csat", "nps", "ces"]
    assert group.options[0][0] == "All" and len(group.options) == 5
    shown.clear()
    metric.value = "nps"
    assert any("Net Promoter Score" in getattr(o, "data", "") for o in shown)
    charts = [o for o in shown if hasattr(o, "to_dict")]
    assert charts and "NPS" in json.dumps(charts[0].to_dict())
    shown.clear()
    event.value = "Outreach van added"
    (ba,) = [o for o in shown if hasattr(o, "to_dict") and "Before" in json.dumps(o.to_dict())]
    rows = [r for v in ba.to_dict()["datasets"].values() for r in v]
    assert {r["event"].split(" (")[0] for r in rows} == {"Outreach van added"}
    shown.clear()
    period.value = "year"
    assert any("in 2022 to" in getattr(o, "data", "") for o in shown)


def test_a_report_run_reads_only_its_metric_and_no_ids(neighbourhood):
    ctx = open_satisfaction_report(str(neighbourhood.path), interactive=False, metric="nps")
    responses = ctx.responses
    assert set(responses["metric"]) == {"nps"}
    assert responses["response_id"].isna().all() and responses["comment"].isna().all()
    assert len(responses) == (neighbourhood.responses["metric"] == "nps").sum()
    assert sorted(ctx.metrics_recorded) == ["ces", "csat", "nps"]


def test_a_segment_subset_keeps_the_events_for_everyone(neighbourhood):
    ctx = open_satisfaction_report(
        str(neighbourhood.path), subset={"segment": "Residents"}, interactive=False
    )
    labels = set(ctx.events["label"])
    assert "Milk and fresh food program launched" in labels  # blank segment: everyone
    assert "Outreach van added" not in labels  # for people without housing only
    assert set(ctx.responses["segment"]) == {"Residents"}
