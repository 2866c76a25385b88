"""One wording of numbers (issue #14): "<1%", the true minus sign, no signed zero, p-values.

Cheap, unit-level checks of the fixed wordings as they reach report text, report tables
and chart tooltips; the rules themselves are doctested in ``toolkit/_words.py``.
"""

from __future__ import annotations

import pandas as pd

from tests._report_text import visible_text
from toolkit.charts.needs import needs_heatmap_chart
from toolkit.reports.context import show_table
from toolkit.reports.satisfaction import changes_summary, events_summary

MINUS = "\u2212"


def _changes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": ["2024-Q2", "2024-Q3"],
            "previous_period": ["2024-Q1", "2024-Q2"],
            "n": [282, -40],
            "difference": [-0.001, -0.43],
            "ci_low": [-0.18, -0.6],
            "ci_high": [0.17, -0.2],
            "p_value": [0.971, 8.5e-05],
            "p_holm": [1.0, 0.0004],
            "change": ["no clear change", "worse"],
            "ci_low_adjusted": [-0.21, -0.65],
            "ci_high_adjusted": [0.2, -0.15],
            "change_adjusted": ["no clear change", "worse"],
            "measure": ["mean", "mean"],
            "confidence": [0.95, 0.95],
        }
    )


def test_report_tables_use_the_true_minus_no_signed_zero_and_p_below_0_001():
    _, table = changes_summary(_changes())
    rows = table.frame.to_dict("records")
    assert rows[0]["Change"] == f"0.00 ({MINUS}0.18 to 0.17)", "never −0.00"
    assert rows[1]["Change"] == f"{MINUS}0.43 ({MINUS}0.60 to {MINUS}0.20)"
    assert rows[1]["Responses"] == f"{MINUS}40", "whole numbers carry the true minus too"
    assert rows[1]["Change (Bonferroni)"] == f"{MINUS}0.43 ({MINUS}0.65 to {MINUS}0.15)"
    assert rows[1]["Reading (Bonferroni)"] == "worse"
    assert (rows[0]["p"], rows[1]["p"], rows[1]["p (Holm)"]) == ("0.971", "<0.001", "<0.001")
    assert not any("-" in row[c] for row in rows for c in ("Change", "Responses", "p"))


def test_small_shares_read_below_one_percent():
    frame = pd.DataFrame({"share": [0.004, 0.0, 0.5]})
    assert show_table(frame, percent=["share"]).frame["Share"].tolist() == ["<1%", "0%", "50%"]


def test_report_sentences_say_p_as_less_than_0_001_or_three_decimals():
    ba = pd.DataFrame(
        [
            {
                "event": "Milk programme",
                "suppressed": False,
                "starts_on": pd.Timestamp("2023-07-01"),
                "before_days": 90,
                "change": "better",
                "estimate_before": 3.07,
                "estimate_after": 3.57,
                "difference": 0.5,
                "ci_low": 0.31,
                "ci_high": 0.69,
                "n_before": 298,
                "n_after": 249,
                "its_level_change": 0.57,
                "its_level_ci_low": 0.39,
                "its_level_ci_high": 0.75,
                "its_level_p": 8.5e-05,
                "its_slope_change": -0.004,
                "its_slope_p": 0.62,
                "its_periods_before": 6,
                "its_periods_after": 6,
                "its_note": "",
                "event_segment": None,
                "measure": "mean",
                "confidence": 0.95,
            }
        ]
    )
    text = events_summary(ba).data
    assert "p < 0.001) and the trend by 0.00 per period (p = 0.620)" in text
    assert "e-05" not in text and f"{MINUS}0.00" not in text


def test_chart_tooltips_use_the_same_words():
    gap = pd.DataFrame(
        {
            "code": ["milk", "bread"],
            "label": ["Milk", "Bread"],
            "segment": ["A", "A"],
            "staff_n": [2, 20],
            "staff_total": [40, 40],
            "staff_share": [0.05, 0.5],
            "staff_ci_low": [0.01, 0.35],
            "staff_ci_high": [0.17, 0.65],
            "customer_n": [1, 125],
            "customer_total": [250, 250],
            "customer_share": [0.004, 0.5],
            "customer_ci_low": [0.0, 0.44],
            "customer_ci_high": [0.02, 0.56],
            "gap": [-0.046, 0.001],
            "gap_ci_low": [-0.12, -0.16],
            "gap_ci_high": [0.03, 0.16],
            "classification": ["assumed only", "shared"],
            "suppressed": [False, False],
            "confidence": [0.95, 0.95],
        }
    )
    shares = repr(needs_heatmap_chart(gap, by="segment").to_dict())
    assert "'<1%'" in shares and "'<1% (95% interval 0%–2%)'" in shares
    gaps = repr(needs_heatmap_chart(gap, by="segment", value="gap").to_dict())
    assert f"'{MINUS}5 pts'" in gaps and f"{MINUS}5 points (95% interval {MINUS}12 to +3)" in gaps
    assert "-5" not in gaps and "+0 pts" not in gaps and "'0 pts'" in gaps


def test_report_text_extraction_drops_scripts_and_masks_run_ids():
    page = "<h1>Needs</h1><script>var x = 1;</script><p>Run 2026-12-05T11-04-05Z &amp; more</p>"
    assert visible_text(page) == ["Needs", "Run <run> & more"]
