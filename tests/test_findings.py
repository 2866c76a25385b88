"""The rules that pick each report's opening findings (toolkit.reports.findings)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from toolkit.reports.findings import (
    MOST,
    Finding,
    customer_findings,
    findings_html,
    needs_findings,
    satisfaction_findings,
    section_anchor,
)


def _gap(rows):
    base = {
        "staff_total": 10,
        "customer_total": 220,
        "suppressed": False,
        "staff_suppressed": False,
        "classification": "low priority",
    }
    frame = pd.DataFrame([{**base, **r} for r in rows])
    frame["staff_share"] = frame["staff_n"] / frame["staff_total"]
    return frame


MILK = {
    "label": "Fresh milk",
    "staff_n": 0,
    "customer_share": 0.37,
    "customer_ci_low": 0.31,
    "customer_ci_high": 0.43,
    "classification": "blind spot",
}
BUS = {
    "label": "Bus pass",
    "staff_n": 1,
    "customer_share": 0.30,
    "customer_ci_low": 0.24,
    "customer_ci_high": 0.36,
    "classification": "blind spot",
}
PANTRY = {
    "label": "Pantry",
    "staff_n": 9,
    "customer_share": 0.05,
    "customer_ci_low": 0.02,
    "customer_ci_high": 0.08,
    "classification": "assumed only",
}
WIFI = {  # the point estimate looks like a blind spot, the interval does not say so
    "label": "Wi-fi",
    "staff_n": 0,
    "customer_share": 0.22,
    "customer_ci_low": 0.15,
    "customer_ci_high": 0.31,
    "classification": "shared priority",
}


def test_the_most_named_need_comes_first_with_its_number_n_and_interval():
    found = needs_findings(_gap([BUS, MILK, PANTRY]))
    assert found[0].text == (
        "Fresh milk is the need customers name most — 37% of 220 customers (31%–43%) — "
        "and none of the 10 staff members listed it: a blind spot."
    )
    assert found[0].anchor == "What-stands-out" and found[0].chart == "needs_gap"


def test_other_blind_spots_and_the_top_assumed_only_need_follow():
    texts = [f.text for f in needs_findings(_gap([BUS, MILK, PANTRY]))]
    assert texts[1].startswith("Bus pass is a blind spot: 30% of 220 customers (24%–36%)")
    assert texts[1].endswith("and 10% of 10 staff members listed it.")
    assert texts[2].startswith("Staff assume Pantry more than customers ask for it: 90% of 10")


def test_a_need_is_called_a_blind_spot_only_when_its_interval_supports_it():
    texts = [f.text for f in needs_findings(_gap([WIFI, PANTRY]))]
    assert texts[0].startswith("Wi-fi is the need customers name most")
    assert not any("blind spot" in t for t in texts)


def test_the_worst_met_need_needs_both_intervals_past_the_crosshair():
    ip = pd.DataFrame(
        {
            "label": ["Housing", "Parks"],
            "n": [15, 6],
            "importance": [4.4, 4.5],
            "importance_ci_low": [4.05, 2.9],  # Parks: the interval reaches below 3
            "importance_ci_high": [4.75, 5.0],
            "performance": [1.7, 1.5],
            "performance_ci_low": [1.2, 1.0],
            "performance_ci_high": [2.2, 2.5],
            "crosshair_importance": 3.0,
            "crosshair_performance": 3.0,
            "suppressed": False,
        }
    )
    found = [f for f in needs_findings(_gap([MILK]), ip=ip) if f.chart == "importance_performance"]
    assert len(found) == 1 and found[0].text.startswith("Housing matters a lot and is met poorly")
    assert "importance 4.4 (4.0–4.8)" in found[0].text and "from 15 ratings" in found[0].text
    ip.loc[0, "performance_ci_high"] = 3.2
    assert not [
        f for f in needs_findings(_gap([MILK]), ip=ip) if f.chart == "importance_performance"
    ]


@pytest.mark.parametrize(
    ("low", "high", "words"),
    [
        (-0.17, 0.43, "may not agree at all"),
        (0.2, 0.7, "in a similar order"),
        (-0.8, -0.1, "in opposite orders"),
    ],
)
def test_rank_agreement_follows_its_interval(low, high, words):
    agreement = pd.DataFrame(
        {
            "spearman": [(low + high) / 2],
            "spearman_ci_low": [low],
            "spearman_ci_high": [high],
            "needs": [41],
        }
    )
    (found,) = [f for f in needs_findings(_gap([MILK]), agreement) if f.chart == "rank_slope"]
    assert words in found.text and "over 41 needs" in found.text


def test_no_finding_when_every_group_is_suppressed():
    gap = _gap([MILK]).assign(suppressed=True)
    assert needs_findings(gap) == []
    assert needs_findings(pd.DataFrame()) == []
    html = findings_html([])
    assert "No finding stands out yet" in html and "<li>" not in html


def test_at_most_five_findings():
    many = [{**BUS, "label": f"Need {i}", "customer_share": 0.3 - i / 100} for i in range(8)] + [
        MILK,
        PANTRY,
    ]
    agreement = pd.DataFrame(
        {"spearman": [0.1], "spearman_ci_low": [-0.2], "spearman_ci_high": [0.4], "needs": [9]}
    )
    assert len(needs_findings(_gap(many), agreement)) <= MOST


def _changes(verdict, low, high):
    return pd.DataFrame(
        {
            "period": ["2024-Q4"],
            "previous_period": ["2024-Q3"],
            "n": [256],
            "previous_n": [282],
            "estimate": [3.73],
            "previous_estimate": [3.75],
            "difference": [(low + high) / 2],
            "ci_low": [low],
            "ci_high": [high],
            "change": [verdict],
            "measure": ["mean"],
        }
    )


TREND = pd.DataFrame(
    {
        "period": ["2024-Q3", "2024-Q4"],
        "metric": "csat",
        "measure": "mean",
        "n": [282, 256],
        "estimate": [3.75, 3.73],
        "ci_low": [3.6, 3.6],
        "ci_high": [3.9, 3.87],
        "suppressed": False,
        "scale_min": 1,
        "scale_max": 5,
    }
)


def test_satisfaction_states_a_change_only_when_its_verdict_says_so():
    unclear = satisfaction_findings(TREND, _changes("no clear change", -0.2, 0.17))
    assert unclear[0].text == (
        "Satisfaction (CSAT) in 2024-Q4: 3.73 (3.60 to 3.87) on a 1–5 scale, from 256 responses."
    )
    assert "is not a clear change" in unclear[1].text and "includes no change" in unclear[1].text
    assert not any(w in f.text for f in unclear for w in ("got better", "got worse"))
    # A difference whose interval leaves out zero but whose verdict is "no clear change"
    # (after adjusting, say) is still not called a change: the verdict column decides.
    held = satisfaction_findings(TREND, _changes("no clear change", 0.01, 0.2))
    assert not any("got better" in f.text for f in held)
    better = satisfaction_findings(TREND, _changes("better", 0.04, 0.23))
    assert "got better from 3.75 in 2024-Q3 to 3.73 in 2024-Q4" in better[1].text
    assert "(+0.04 to +0.23)" in better[1].text


def _events(changes):
    rows = []
    for i, (verdict, diff) in enumerate(changes):
        rows.append(
            {
                "event": f"Event {i}",
                "starts_on": pd.Timestamp("2023-07-01"),
                "n_before": 298,
                "n_after": 249,
                "estimate_before": 3.07,
                "estimate_after": 3.07 + diff,
                "difference": diff,
                "ci_low": diff - 0.2,
                "ci_high": diff + 0.2,
                "change": verdict,
                "suppressed": False,
                "measure": "mean",
                "before_days": 90,
                "after_days": 90,
            }
        )
    return pd.DataFrame(rows)


def test_events_that_clearly_changed_come_largest_first_and_the_rest_are_counted():
    ba = _events([("better", 0.3), ("worse", -0.5), ("no clear change", 0.1)])
    texts = [f.text for f in satisfaction_findings(TREND, None, ba)]
    assert texts[1].startswith("After Event 1 (1 July 2023), satisfaction (CSAT) got worse")
    assert "a change of −0.50 (−0.70 to −0.30), from 298 and 249 responses" in texts[1]
    assert texts[2].startswith("After Event 0")
    assert texts[3].startswith("1 other recorded event showed no clear change")


def test_when_no_event_clearly_changed_the_finding_says_so():
    ba = _events([("no clear change", 0.1), ("no clear change", -0.15)])
    (finding,) = [f for f in satisfaction_findings(TREND, None, ba) if f.chart == "before_after"]
    assert finding.text.startswith("None of the 2 recorded events clearly changed")
    assert "got" not in finding.text


def test_an_event_or_period_not_tested_is_not_said_to_include_no_change():
    """A change with no interval (no spread on either side, say) is "not tested": no finding
    says its interval includes no change."""
    ba = _events([("no clear change", 0.1), ("not tested", 1.0)])
    ba.loc[1, ["ci_low", "ci_high"]] = float("nan")
    (finding,) = [f for f in satisfaction_findings(TREND, None, ba) if f.chart == "before_after"]
    assert finding.text.startswith("The recorded event did not clearly change")
    assert "Event 1" not in finding.text and "(– to –)" not in finding.text
    untested = _events([("not tested", 1.0)])
    untested[["ci_low", "ci_high"]] = float("nan")
    assert not [
        f for f in satisfaction_findings(TREND, None, untested) if f.chart == "before_after"
    ]
    latest = satisfaction_findings(TREND, _changes("not tested", 1.0, 1.0))
    assert not any("includes no change" in f.text for f in latest)


def test_no_satisfaction_finding_without_shown_periods():
    assert satisfaction_findings(TREND.assign(suppressed=True)) == []
    assert satisfaction_findings(TREND.iloc[0:0]) == []


PRIORITIES = pd.DataFrame(
    {
        "name": ["Board", "Food bank", "Residents"],
        "score": [4.83, 4.33, 3.67],
        "rank": [1, 2, 3],
        "rank_best": [1, 2, 2],
        "rank_worst": [1, 3, 3],
        "tier": ["high", "high", "medium"],
    }
)


def test_customer_findings_name_the_top_priority_and_who_to_watch():
    grid = pd.DataFrame(
        {
            "name": ["Board", "Food bank", "Residents"],
            "quadrant": ["Manage closely", None, "Monitor"],
        }
    )
    overlooked = pd.DataFrame({"customer": ["Intake team", "Board"], "stated_needs": [0, 3]})
    single = pd.DataFrame({"provider": ["Food program"], "customers": [2]})
    texts = [f.text for f in customer_findings(PRIORITIES, grid, overlooked, single)]
    assert texts[0] == (
        "Board comes first of 3 customers — score 4.83 of 5 — and stays first whichever "
        "single weight changes; 2 of 3 customers are high priority."
    )
    assert texts[1] == (
        "Manage closely: Board (1 of 2 customers) has both power over us and a strong "
        "interest in what we do."
    )
    assert (
        texts[2].startswith("1 of 3 customers have not been heard from")
        and "Intake team" in texts[2]
    )
    assert texts[3] == "2 customers depend on Food program alone: no other unit serves them."


def test_a_first_place_that_moves_with_the_weights_says_so():
    moving = PRIORITIES.assign(rank_worst=[2, 3, 3])
    (first, *_) = customer_findings(moving)
    assert "ranks 1–2 when one weight changes" in first.text and "stays first" not in first.text
    assert customer_findings(PRIORITIES.iloc[0:0]) == []


def test_anchors_match_the_html_report_and_findings_travel_as_data():
    assert section_anchor("Before and after our changes") == "Before-and-after-our-changes"
    finding = Finding("A & <b>", "What-stands-out", None)
    assert json.loads(json.dumps(finding.to_dict())) == {
        "text": "A & <b>",
        "anchor": "What-stands-out",
        "chart": None,
    }
    html = findings_html([finding])
    assert "A &amp; &lt;b&gt;" in html and 'href="#What-stands-out"' in html


def test_every_anchor_is_a_heading_of_its_notebook():
    import nbformat

    from toolkit.reports.findings import SECTIONS
    from toolkit.reports.runner import report_named

    for report, sections in SECTIONS.items():
        nb = nbformat.read(report_named(report).notebook, as_version=4)
        headings = {
            line[3:].strip()
            for c in nb.cells
            if c.cell_type == "markdown"
            for line in c.source.splitlines()
            if line.startswith("## ")
        }
        assert set(sections.values()) <= headings, report
