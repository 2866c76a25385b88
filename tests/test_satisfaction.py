"""Satisfaction over time: trends, changes, events, control charts, sampling.

Reference numbers come from ../shared/REFERENCE-NUMBERS.md (sources named beside each);
other expectations are recomputed independently with SciPy or by hand.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from toolkit import _stats
from toolkit.errors import DataValidationError
from toolkit.satisfaction import (
    assign_periods,
    before_after,
    control_chart,
    highest_and_lowest,
    period_changes,
    sample_size_table,
    satisfaction_trend,
)


def rows(scores, dates, *, metric="csat", scale=(1, 5), **extra) -> pd.DataFrame:
    """Response rows: one score per row, dates broadcast."""
    scores = list(scores)
    if isinstance(dates, str):
        dates = [dates] * len(scores)
    frame = pd.DataFrame(
        {
            "metric": metric,
            "score": scores,
            "submitted_on": pd.to_datetime(dates, format="ISO8601"),
            "scale_min": scale[0],
            "scale_max": scale[1],
        }
    )
    for name, value in extra.items():
        frame[name] = value
    return frame


def nps_rows(promoters, passives, detractors, date="2024-02-01") -> pd.DataFrame:
    scores = [10] * promoters + [8] * passives + [3] * detractors
    return rows(scores, date, metric="nps", scale=(0, 10))


# ----------------------------------------------------------------------------- trend: CSAT


def test_mean_has_a_student_t_interval():
    scores = [5, 4, 4, 3, 5, 2, 4, 5, 3, 4]
    trend = satisfaction_trend(rows(scores, "2024-05-02"), min_n=1)
    expected_low, expected_high = stats.t.interval(
        0.95, len(scores) - 1, loc=np.mean(scores), scale=stats.sem(scores)
    )
    row = trend.iloc[0]
    assert row["period"] == "2024-Q2"
    assert row["n"] == 10
    assert row["estimate"] == pytest.approx(3.9)
    assert row["ci_low"] == pytest.approx(expected_low)
    assert row["ci_high"] == pytest.approx(expected_high)
    assert row["sd"] == pytest.approx(np.std(scores, ddof=1))
    assert row["interval"] == "t"


def test_top_box_share_has_a_wilson_interval():
    # REFERENCE-NUMBERS.md, Wilson: 25 / 100 → 0.1754509 – 0.3430465 with z = 1.96;
    # the trend uses the exact quantile, which moves the sixth decimal.
    scores = [5] * 10 + [4] * 15 + [3] * 75
    row = satisfaction_trend(rows(scores, "2024-01-10")).iloc[0]
    assert row["top_box"] == pytest.approx(0.25)
    assert row["top_box_ci_low"] == pytest.approx(0.1754509, abs=2e-5)
    assert row["top_box_ci_high"] == pytest.approx(0.3430465, abs=2e-5)
    assert row["top_box_answers"] == "4–5 on 1–5"


def test_top_box_counts_the_top_answers_of_each_rows_own_scale():
    five = rows([5, 4, 3], "2024-01-10", scale=(1, 5))
    seven = rows([7, 6, 5], "2024-01-11", scale=(1, 7))
    with pytest.warns(UserWarning, match="more than one scale"):
        row = satisfaction_trend(pd.concat([five, five, seven]), min_n=1, top_box=2).iloc[0]
    # 4, 5 and 6, 7 are top box: 2 + 2 + 2 of 9.
    assert row["top_box"] == pytest.approx(6 / 9)
    # Means map 1–7 onto the more common 1–5: 7 → 5, 6 → 4.333, 5 → 3.667.
    expected = np.mean([5, 4, 3, 5, 4, 3, 5, 1 + 5 / 6 * 4, 1 + 4 / 6 * 4])
    assert row["mean"] == pytest.approx(expected)
    assert (row["scale_min"], row["scale_max"]) == (1, 5)


def test_weights_give_the_weighted_mean_and_kish_effective_n():
    data = rows([5, 4, 2, 1], "2024-03-01", weight=[1.0, 2.0, 3.0, np.nan])
    row = satisfaction_trend(data, min_n=1).iloc[0]
    w = np.array([1, 2, 3, 1.0])
    assert row["mean"] == pytest.approx(np.average([5, 4, 2, 1], weights=w))
    assert row["effective_n"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert row["weighted"]
    unweighted = satisfaction_trend(data, min_n=1, weight=None).iloc[0]
    assert unweighted["effective_n"] == 4 and not unweighted["weighted"]


def test_blank_weights_give_the_unweighted_answer():
    data = rows([5, 4, 2, 1, 3], "2024-03-01", weight=np.nan)
    a = satisfaction_trend(data, min_n=1)
    b = satisfaction_trend(data.drop(columns="weight"), min_n=1)
    pd.testing.assert_frame_equal(a, b)


def test_small_groups_keep_n_but_lose_every_estimate():
    data = pd.concat(
        [rows([5, 4, 3], "2024-01-05", segment="Few"), rows([4] * 8, "2024-01-05", segment="Many")]
    )
    trend = satisfaction_trend(data, by="segment", min_n=5).set_index("segment")
    few = trend.loc["Few"]
    assert few["n"] == 3 and few["suppressed"]
    for column in ("estimate", "ci_low", "ci_high", "mean", "top_box", "sd", "effective_n"):
        assert pd.isna(few[column]), column
    assert not trend.loc["Many", "suppressed"]


def test_single_response_and_all_equal_periods():
    data = pd.concat([rows([4], "2024-01-05"), rows([3, 3, 3, 3], "2024-04-05")])
    trend = satisfaction_trend(data, min_n=1)
    single, equal = trend.iloc[0], trend.iloc[1]
    assert single["mean"] == 4 and np.isnan(single["ci_low"]) and np.isnan(single["ci_high"])
    assert equal["sd"] == 0 and equal["ci_low"] == equal["ci_high"] == 3
    assert equal["top_box"] == 0 and equal["top_box_ci_high"] > 0


def test_empty_responses_give_an_empty_trend():
    trend = satisfaction_trend(rows([], []), metric="csat")
    assert trend.empty and "estimate" in trend.columns


# ----------------------------------------------------------------------------- trend: NPS


def adjusted_wald(promoters, passives, detractors, z=None):
    """Rocks (2016) by hand: 0.75 / 1.5 / 0.75 pseudo-respondents, then the Wald formulas."""
    pro, pas, det = promoters + 0.75, passives + 1.5, detractors + 0.75
    n = pro + pas + det
    centre = (pro - det) / n
    half = (z or stats.norm.ppf(0.975)) * np.sqrt((pro / n + det / n - centre**2) / n)
    return 100 * (centre - half), 100 * (centre + half), centre, (pro / n + det / n - centre**2), n


def test_nps_reproduces_the_published_example():
    # REFERENCE-NUMBERS.md, Net Promoter Score: 291 / 476 / 395 of 1162 → −8.95, Wald ± 4.39
    # (the Wald routine, kept and checked here); the table uses adjusted-Wald at every n.
    score, _, low, high = _stats.nps(291, 476, 395, z=1.96)
    assert score == pytest.approx(-8.95, abs=0.005)
    assert high - score == pytest.approx(4.39, abs=0.005)
    assert score - low == pytest.approx(4.39, abs=0.005)
    row = satisfaction_trend(nps_rows(291, 476, 395), metric="nps").iloc[0]
    assert row["nps"] == pytest.approx(-8.95, abs=0.005)
    assert (row["promoters"], row["passives"], row["detractors"]) == (291, 476, 395)
    assert row["interval"] == "adjusted Wald"
    low, high, *_ = adjusted_wald(291, 476, 395)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert row["ci_high"] - row["ci_low"] == pytest.approx(2 * 4.39, abs=0.05)


def test_nps_interval_is_trinomial_not_a_proportion():
    # REFERENCE-NUMBERS.md: 40 / 40 / 20 % of 500 → 20 ± 6.6 (promoters alone 40 ± 4.3).
    row = satisfaction_trend(nps_rows(200, 200, 100), metric="nps").iloc[0]
    assert row["nps"] == pytest.approx(20)
    assert _stats.nps(200, 200, 100)[1] * stats.norm.ppf(0.975) == pytest.approx(6.6, abs=0.05)
    low, high, *_ = adjusted_wald(200, 200, 100)  # the table's adjusted-Wald interval
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))


def test_small_nps_groups_use_the_adjusted_wald_interval():
    # Rocks (2016): add 0.75 promoter, 1.5 passive, 0.75 detractor, then the same formulas.
    row = satisfaction_trend(nps_rows(6, 3, 1), metric="nps", min_n=1).iloc[0]
    p, d, n = 6.75 / 13, 1.75 / 13, 13
    centre = p - d
    half = stats.norm.ppf(0.975) * np.sqrt((p + d - centre**2) / n)
    assert row["interval"] == "adjusted Wald"
    assert row["nps"] == pytest.approx(50)  # the estimate is the plain NPS
    assert row["nps_ci_low"] == pytest.approx(100 * (centre - half))
    assert row["nps_ci_high"] == pytest.approx(100 * (centre + half))


@pytest.mark.parametrize("counts", [(40, 0, 0), (0, 40, 0), (0, 0, 40)])
def test_nps_with_everyone_in_one_group_still_has_an_honest_interval(counts):
    row = satisfaction_trend(nps_rows(*counts), metric="nps").iloc[0]
    assert row["interval"] == "adjusted Wald"
    assert row["ci_high"] - row["ci_low"] > 0
    assert row["ci_low"] <= row["nps"] <= row["ci_high"]


def test_nps_must_be_on_zero_to_ten():
    data = rows([5, 4], "2024-01-01", metric="nps", scale=(1, 5))
    with pytest.raises(DataValidationError, match="0–10"):
        satisfaction_trend(data, metric="nps")


# ----------------------------------------------------------------------------- trend: CES


def test_ces_states_its_convention_and_follows_its_direction():
    data = rows([1, 2, 2, 6, 7, 1], "2024-01-01", metric="ces", scale=(1, 7))
    easy_low = {"direction": "lower is easier", "method": "top box"}
    row = satisfaction_trend(data, metric="ces", ces=easy_low, min_n=1).iloc[0]
    assert row["measure"] == "top_box"
    assert row["direction"] == "lower is easier"
    assert row["top_box"] == pytest.approx(4 / 6)  # 1 and 2 are the easy box
    assert row["top_box_answers"] == "1–2 on 1–7"
    default = satisfaction_trend(data, metric="ces", min_n=1).iloc[0]
    assert default["measure"] == "mean" and default["direction"] == "higher is easier"


# ----------------------------------------------------------------------------- periods


def test_period_labels_and_bounds():
    dates = pd.DataFrame(
        {"submitted_on": pd.to_datetime(["2021-01-03", "2024-12-30", "2024-02-29", "2023-07-01"])}
    )
    week = assign_periods(dates, period="week")
    assert week["period"].tolist() == ["2020-W53", "2025-W01", "2024-W09", "2023-W26"]
    assert week["period_start"].dt.day_name().eq("Monday").all()
    month = assign_periods(dates, period="month")
    assert month["period_end"].iloc[2] == pd.Timestamp("2024-02-29")
    fq = assign_periods(dates, period="fiscal-quarter", fiscal_year_start=7)
    assert fq["period"].tolist() == ["FY2021 Q3", "FY2025 Q2", "FY2024 Q3", "FY2024 Q1"]
    assert fq["period_start"].iloc[3] == pd.Timestamp("2023-07-01")
    fy = assign_periods(dates, period="fiscal-year", fiscal_year_start=10)
    assert fy["period"].tolist() == ["FY2021", "FY2025", "FY2024", "FY2023"]
    # With the fiscal year starting in January it is the calendar year, still named FY.
    assert assign_periods(dates, period="fiscal-year")["period"].tolist() == [
        "FY2021",
        "FY2024",
        "FY2024",
        "FY2023",
    ]


def test_consecutive_periods_are_one_step_of_t_and_gaps_show():
    data = rows([3, 4, 5], ["2024-01-15", "2024-02-15", "2024-05-15"])
    trend = satisfaction_trend(data, period="month", min_n=1)
    assert np.diff(trend["t"]).tolist() == [1, 3]


def test_timestamps_are_bucketed_in_the_engagements_time_zone():
    # 23:30 UTC on 31 March is 01:30 on 1 April in Berlin; a bare date stays its date.
    data = rows([4, 5], ["2024-03-31 23:30", "2024-04-01"])
    utc = satisfaction_trend(data, min_n=1)["period"].tolist()
    berlin = satisfaction_trend(data, min_n=1, timezone="Europe/Berlin")["period"].tolist()
    chicago = satisfaction_trend(data, min_n=1, timezone="America/Chicago")["period"].tolist()
    assert utc == ["2024-Q1", "2024-Q2"]
    assert berlin == ["2024-Q2"]
    assert chicago == ["2024-Q1", "2024-Q2"]
    with pytest.raises(DataValidationError, match="time zone"):
        satisfaction_trend(data, timezone="Mars/Olympus")


def test_waves_are_ordered_by_their_first_date():
    data = rows([3, 4, 5, 4], ["2024-06-01", "2024-01-01", "2024-09-01", "2024-01-02"])
    data["wave"] = ["Summer", "Winter", "Autumn", "Winter"]
    trend = satisfaction_trend(data, period="wave", min_n=1)
    assert trend["period"].tolist() == ["Winter", "Summer", "Autumn"]
    assert trend["n"].tolist() == [2, 1, 1]


def test_rows_without_a_date_are_left_out_with_a_warning():
    data = rows([3, 4], ["2024-01-01", None])
    with pytest.warns(UserWarning, match="1 csat response without a date"):
        trend = satisfaction_trend(data, min_n=1)
    assert trend["n"].sum() == 1


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "happiness"}, "metric must be one of"),
        ({"period": "fortnight"}, "period must be one of"),
        ({"measure": "nps"}, "needs metric 'nps'"),
        ({"by": "campus"}, "no column 'campus'"),
        ({"confidence": 95}, "confidence"),
        ({"min_n": 0}, "min_n"),
        ({"weight": "wt"}, "no column 'wt'"),
    ],
)
def test_bad_arguments_are_refused_with_their_name(kwargs, message):
    with pytest.raises(DataValidationError, match=message):
        satisfaction_trend(rows([3, 4], "2024-01-01"), **kwargs)


def test_a_score_off_its_scale_names_the_response():
    data = rows([3, 9], "2024-01-01", response_id=["a", "b"])
    with pytest.raises(DataValidationError, match="9 on 1–5 .response b."):
        satisfaction_trend(data)


def test_negative_weights_are_refused():
    with pytest.raises(DataValidationError, match="weights"):
        satisfaction_trend(rows([3, 4], "2024-01-01", weight=[1, -1]))


# ----------------------------------------------------------------------------- changes


def quarterly(means, per_period=40, seed=1, **extra):
    rng = np.random.default_rng(seed)
    parts = []
    for i, m in enumerate(means):
        scores = np.clip(np.round(rng.normal(m, 1.0, per_period)), 1, 5)
        date = (pd.Timestamp("2022-01-15") + pd.DateOffset(months=3 * i)).strftime("%Y-%m-%d")
        parts.append(rows(scores, date, **extra))
    return pd.concat(parts, ignore_index=True)


def test_period_changes_match_welchs_test():
    data = quarterly([3.0, 3.1, 3.8])
    trend = satisfaction_trend(data)
    changes = period_changes(trend)
    assert changes["period"].tolist() == ["2022-Q2", "2022-Q3"]
    for i, row in changes.iterrows():
        a = data.loc[data["submitted_on"].dt.quarter == i + 1, "score"]
        b = data.loc[data["submitted_on"].dt.quarter == i + 2, "score"]
        welch = stats.ttest_ind(b, a, equal_var=False)
        ci = welch.confidence_interval(0.95)
        assert row["difference"] == pytest.approx(b.mean() - a.mean())
        assert row["p_value"] == pytest.approx(welch.pvalue)
        assert row["ci_low"] == pytest.approx(ci.low)
        assert row["ci_high"] == pytest.approx(ci.high)
    assert changes["change"].iloc[-1] == "better"
    holm = np.minimum(1, np.maximum.accumulate(np.sort(changes["p_value"]) * [2, 1]))
    assert sorted(changes["p_holm"]) == pytest.approx(sorted(holm))


def test_nps_changes_use_the_adjusted_wald_z_test():
    # REFERENCE-NUMBERS.md: z = (NPS₁ − NPS₂)/√(var₁/n₁ + var₂/n₂); 40/40/20 vs 30/40/30 of
    # 500 gives z = 4.15 (Wald, kept in _stats.nps_difference); tables add the adjusted-Wald
    # pseudo-respondents to each side first (Rocks 2016).
    _, z, _ = _stats.nps_difference(200, 200, 100, 150, 200, 150)
    assert z == pytest.approx(4.15, abs=0.005)
    data = pd.concat([nps_rows(150, 200, 150, "2024-01-10"), nps_rows(200, 200, 100, "2024-04-10")])
    change = period_changes(satisfaction_trend(data, metric="nps")).iloc[0]
    assert change["difference"] == pytest.approx(20)
    *_, c_a, v_a, n_a = adjusted_wald(150, 200, 150)
    *_, c_b, v_b, n_b = adjusted_wald(200, 200, 100)
    se = np.sqrt(v_a / n_a + v_b / n_b)
    assert change["p_value"] == pytest.approx(2 * stats.norm.sf((c_b - c_a) / se))
    half = stats.norm.ppf(0.975) * se
    assert (change["ci_low"], change["ci_high"]) == pytest.approx(
        (100 * (c_b - c_a - half), 100 * (c_b - c_a + half))
    )
    assert change["change"] == "better"


def test_top_box_changes_use_newcombe_and_the_test_that_inverts_it():
    a = rows([5] * 30 + [2] * 70, "2024-01-10")
    b = rows([5] * 45 + [2] * 55, "2024-04-10")
    change = period_changes(satisfaction_trend(pd.concat([a, b])), measure="top_box").iloc[0]
    assert change["difference"] == pytest.approx(0.15)
    assert change["ci_low"] < 0.15 < change["ci_high"]
    # At confidence 1 − p the interval just reaches 0.
    _, low, _ = _stats.newcombe_difference(45, 100, 30, 100, 1 - change["p_value"])
    assert low == pytest.approx(0, abs=1e-9)


def test_a_change_whose_interval_includes_zero_is_not_called_better():
    # Issue 17: 0/20 in the top box, then 2/10 → difference 0.2, Newcombe interval −0.016
    # to 0.510; a pooled z test gives p 0.038 and used to call it "better".
    a = rows([5] * 0 + [2] * 20, "2024-01-10")
    b = rows([5] * 2 + [2] * 8, "2024-04-10")
    change = period_changes(satisfaction_trend(pd.concat([a, b])), measure="top_box").iloc[0]
    assert change["difference"] == pytest.approx(0.2)
    assert change["ci_low"] == pytest.approx(-0.0156, abs=5e-4)
    assert change["ci_high"] == pytest.approx(0.5098, abs=5e-4)
    assert change["p_value"] > 0.05
    assert change["change"] == "no clear change"


def _verdict_agrees(row, higher=True) -> bool:
    if row["ci_low"] > 0:
        return row["change"] == ("better" if higher else "worse")
    if row["ci_high"] < 0:
        return row["change"] == ("worse" if higher else "better")
    return row["change"] in ("no clear change", "not tested")


def test_every_verdict_on_a_grid_agrees_with_its_interval():
    # Issue 17 found 44 disagreements on a small grid; there must be none, for shares and NPS.
    shares, scores = [], []
    for n1, n2 in [(n1, n2) for n1 in (5, 10, 20, 40) for n2 in (5, 10, 20, 40)]:
        for x1 in range(0, n1 + 1, max(1, n1 // 5)):
            for x2 in range(0, n2 + 1, max(1, n2 // 5)):
                case = f"{x1}/{n1} {x2}/{n2}"
                shares.append(rows([5] * x1 + [2] * (n1 - x1), "2024-01-10", case=case))
                shares.append(rows([5] * x2 + [2] * (n2 - x2), "2024-04-10", case=case))
                rest = n1 - x1
                before = nps_rows(x1, rest // 2, rest - rest // 2, "2024-01-10")
                scores.append(before.assign(case=case))
                scores.append(nps_rows(x2, n2 - x2, 0, "2024-04-10").assign(case=case))
    share_trend = satisfaction_trend(pd.concat(shares), measure="top_box", by="case", min_n=1)
    share_changes = period_changes(share_trend, by="case")
    nps_trend = satisfaction_trend(pd.concat(scores), metric="nps", by="case", min_n=1)
    nps_changes = period_changes(nps_trend, by="case")
    assert len(share_changes) == len(nps_changes) > 300
    disagreements = [
        (kind, row["case"])
        for kind, table in (("top box", share_changes), ("nps", nps_changes))
        for row in table.to_dict("records")
        if not _verdict_agrees(row)
    ]
    assert disagreements == []
    # For shares the p-value inverts the interval, so it agrees too.
    tested = share_changes[share_changes["p_value"].notna()]
    leaves_out_zero = (tested["ci_low"] > 0) | (tested["ci_high"] < 0)
    assert ((tested["p_value"] < 0.05) == leaves_out_zero).all()
    assert set(share_changes["change"]) >= {"better", "worse", "no clear change"}
    assert set(nps_changes["change"]) >= {"better", "worse", "no clear change"}


def test_no_verdict_rests_on_a_period_under_min_n():
    # A campus headline said NPS "rose" from n = 7 to n = 5; with min_n 6 the n = 5 period
    # is suppressed and nothing is compared with it.
    data = pd.concat([nps_rows(2, 3, 2, "2024-01-10"), nps_rows(2, 2, 1, "2024-04-10")])
    assert period_changes(satisfaction_trend(data, metric="nps", min_n=6)).empty
    change = period_changes(satisfaction_trend(data, metric="nps", min_n=5)).iloc[0]
    assert (change["previous_n"], change["n"]) == (7, 5)
    assert change["difference"] == pytest.approx(20)
    assert change["ci_low"] < 0 < change["ci_high"]
    assert change["change"] == "no clear change"


def test_bonferroni_intervals_give_the_adjusted_verdict():
    data = quarterly([3.0, 3.4, 3.4, 3.0, 3.8, 3.8], per_period=60, seed=3)
    changes = period_changes(satisfaction_trend(data))
    m = len(changes)
    assert m == 5
    quarter = data["submitted_on"].dt.to_period("Q")
    quarters = sorted(quarter.unique())
    for i, row in changes.iterrows():
        a = data.loc[quarter == quarters[i], "score"]
        b = data.loc[quarter == quarters[i + 1], "score"]
        ci = stats.ttest_ind(b, a, equal_var=False).confidence_interval(1 - 0.05 / m)
        low, high = row["ci_low_adjusted"], row["ci_high_adjusted"]
        assert (low, high) == pytest.approx((ci.low, ci.high))
        adjusted = {"ci_low": low, "ci_high": high, "change": row["change_adjusted"]}
        assert _verdict_agrees(adjusted)
        # The Bonferroni interval leaves out 0 exactly when m·p < 0.05.
        assert (low > 0 or high < 0) == (row["p_value"] * m < 0.05)
    assert set(changes["change_adjusted"]) >= {"no clear change"}
    assert set(changes["change"]) & {"better", "worse"}
    assert {"p_value", "p_holm"} <= set(changes.columns)


def _groups(counts, n=100) -> pd.DataFrame:
    """Top-box rows per campus: ``counts`` maps a campus to (top-box answers, answers)."""
    parts = []
    for campus, (x, total) in counts.items():
        parts.append(rows([5] * x + [2] * (total - x), "2024-02-10", campus=campus))
    return pd.concat(parts, ignore_index=True)


def test_highest_and_lowest_groups_differ_only_when_their_interval_says_so():
    # 60/100 against 45/100: Newcombe 95% interval 0.012 to 0.280, the two differ.
    two = satisfaction_trend(
        _groups({"A": (60, 100), "B": (45, 100)}), measure="top_box", by="campus"
    )
    gap = highest_and_lowest(two, by="campus")
    assert (gap["highest"]["campus"], gap["lowest"]["campus"], gap["pairs"]) == ("A", "B", 1)
    assert gap["difference"] == pytest.approx(0.15)
    assert (gap["ci_low"], gap["ci_high"]) == pytest.approx((0.0117, 0.2804), abs=5e-4)
    assert gap["differ"] is True
    # A third campus in between: the extremes are one of 3 pairs, so the interval is at
    # 1 − 0.05/3 (−0.018 to 0.307) and includes 0: no verdict of a difference.
    three = satisfaction_trend(
        _groups({"A": (60, 100), "B": (45, 100), "C": (50, 100)}), measure="top_box", by="campus"
    )
    gap = highest_and_lowest(three, by="campus")
    assert gap["pairs"] == 3 and gap["adjusted_confidence"] == pytest.approx(1 - 0.05 / 3)
    assert (gap["ci_low"], gap["ci_high"]) == pytest.approx((-0.0184, 0.3069), abs=5e-4)
    assert gap["differ"] is False
    # 63/100 leaves out 0 even after the adjustment (0.012 to 0.335).
    wider = satisfaction_trend(
        _groups({"A": (63, 100), "B": (45, 100), "C": (50, 100)}), measure="top_box", by="campus"
    )
    assert highest_and_lowest(wider, by="campus")["differ"] is True


def test_highest_and_lowest_leave_out_groups_under_min_n():
    # D has 4 answers, all in the top box: under min_n it is no extreme and no pair.
    data = _groups({"A": (60, 100), "B": (45, 100), "D": (4, 4)})
    trend = satisfaction_trend(data, measure="top_box", by="campus", min_n=5)
    gap = highest_and_lowest(trend, by="campus")
    assert (gap["highest"]["campus"], gap["pairs"]) == ("A", 1)
    alone = satisfaction_trend(
        _groups({"A": (60, 100), "D": (4, 4)}), measure="top_box", by="campus", min_n=5
    )
    assert highest_and_lowest(alone, by="campus") is None


def test_highest_and_lowest_means_use_welch_at_the_adjusted_level():
    rng = np.random.default_rng(5)
    scores = {c: rng.integers(1, 6, 40) for c in ("A", "B", "C", "D")}
    scores["A"] = np.minimum(scores["A"] + 1, 5)
    data = pd.concat(
        [rows(v, "2024-02-10", campus=c) for c, v in scores.items()], ignore_index=True
    )
    trend = satisfaction_trend(data, by="campus")
    gap = highest_and_lowest(trend, by="campus")
    hi, lo = gap["highest"]["campus"], gap["lowest"]["campus"]
    ci = stats.ttest_ind(scores[hi], scores[lo], equal_var=False).confidence_interval(1 - 0.05 / 6)
    assert (gap["ci_low"], gap["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert gap["differ"] == (ci.low > 0 or ci.high < 0)


def test_a_suppressed_period_is_skipped_not_compared():
    data = pd.concat(
        [rows([4] * 6 + [3], "2024-01-10"), rows([5, 5], "2024-04-10"), rows([3] * 6, "2024-07-10")]
    )
    changes = period_changes(satisfaction_trend(data, min_n=5))
    assert changes[["period", "previous_period"]].values.tolist() == [["2024-Q3", "2024-Q1"]]


def test_lower_is_easier_ces_calls_a_fall_better():
    data = pd.concat(
        [
            rows([5, 6, 6, 5, 6, 7, 5, 6], "2024-01-10", metric="ces", scale=(1, 7)),
            rows([2, 1, 2, 2, 1, 3, 2, 1], "2024-04-10", metric="ces", scale=(1, 7)),
        ]
    )
    trend = satisfaction_trend(data, metric="ces", ces={"direction": "lower is easier"})
    assert period_changes(trend)["change"].iloc[0] == "better"


# ----------------------------------------------------------------------------- events


def stepped_series(level_change=0.8, slope_change=0.05):
    """Twelve quarters whose means follow a designed segmented line exactly."""
    parts = []
    for q in range(12):
        after = q >= 6
        mean = 3.0 + 0.02 * q + (level_change + slope_change * (q - 6) if after else 0.0)
        date = (pd.Timestamp("2022-01-15") + pd.DateOffset(months=3 * q)).strftime("%Y-%m-%d")
        parts.append(rows([mean - 1, mean, mean + 1] * 4, date, scale=(0, 10)))
    return pd.concat(parts, ignore_index=True)


EVENTS = pd.DataFrame(
    {
        "starts_on": pd.to_datetime(["2023-07-01", "2022-03-01"]),
        "ends_on": pd.NaT,
        "label": ["Milk program launched", "Early change"],
        "segment": [None, None],
    }
)


def test_interrupted_time_series_recovers_the_level_and_slope_change():
    result = before_after(stepped_series(), EVENTS, event="milk program launched")
    row = result.iloc[0]
    assert row["its_level_change"] == pytest.approx(0.8)
    assert row["its_slope_change"] == pytest.approx(0.05)
    assert (row["its_periods_before"], row["its_periods_after"]) == (6, 6)
    assert row["its_note"] == ""


def test_windows_compare_the_days_either_side_of_the_event():
    data = stepped_series()
    row = before_after(data, EVENTS, event="Milk program launched", before=90, after=90).iloc[0]
    before = data[(data["submitted_on"] >= "2023-04-02") & (data["submitted_on"] < "2023-07-01")]
    after = data[(data["submitted_on"] >= "2023-07-01") & (data["submitted_on"] < "2023-09-29")]
    welch = stats.ttest_ind(after["score"], before["score"], equal_var=False)
    assert row["n_before"] == len(before) and row["n_after"] == len(after)
    assert row["difference"] == pytest.approx(after["score"].mean() - before["score"].mean())
    assert row["p_value"] == pytest.approx(welch.pvalue)
    assert row["change"] == "better"


def test_an_event_too_early_for_a_series_says_why():
    row = before_after(stepped_series(), EVENTS, event="Early change").iloc[0]
    assert np.isnan(row["its_level_change"])
    assert "3 reported periods on each side" in row["its_note"]
    assert row["its_periods_before"] == 0


def test_an_event_for_one_segment_uses_that_segments_responses():
    data = pd.concat(
        [quarterly([3, 3, 3, 3], segment="Residents"), quarterly([2, 2, 4, 4], segment="Owners")]
    )
    events = pd.DataFrame(
        {"starts_on": ["2022-07-01"], "ends_on": [None], "label": ["Van"], "segment": ["owners"]}
    )
    row = before_after(data, events).iloc[0]
    assert row["event_segment"] == "owners"
    assert row["n_before"] == 40 and row["n_after"] == 40
    assert row["difference"] > 1


def test_unknown_events_list_the_known_ones():
    with pytest.raises(DataValidationError, match="Milk program launched"):
        before_after(stepped_series(), EVENTS, event="Bus route")


# ----------------------------------------------------------------------------- control charts

# REFERENCE-NUMBERS.md, Control charts (XmR): mean 53.05, mean moving range 56/19.
SERIES = [53, 55, 52, 54, 51, 53, 57, 53, 52, 54, 47, 53, 55, 52, 54, 53, 51, 55, 52, 55]


def monthly(values, scale=(0, 100)):
    dates = pd.date_range("2022-01-01", periods=len(values), freq="MS")
    return rows(values, dates, scale=scale)


def test_xmr_limits_reproduce_the_published_example():
    trend = satisfaction_trend(monthly(SERIES), period="month", min_n=1)
    chart = control_chart(trend)
    assert chart["centre"].iloc[0] == pytest.approx(53.05)
    assert chart["lower"].iloc[0] == pytest.approx(45.21, abs=0.005)
    assert chart["upper"].iloc[0] == pytest.approx(60.89, abs=0.005)
    assert chart["moving_range_upper"].iloc[0] == pytest.approx(9.63, abs=0.005)
    assert not chart["signal"].any()


def test_p_chart_reproduces_the_published_example():
    # REFERENCE-NUMBERS.md: ten samples of 200 → p̄ = 0.16, limits 0.0822 and 0.2378.
    counts = [40, 44, 22, 34, 24, 32, 28, 32, 34, 30]
    parts = []
    for i, k in enumerate(counts):
        date = (pd.Timestamp("2022-01-10") + pd.DateOffset(months=i)).strftime("%Y-%m-%d")
        parts.append(rows([5] * k + [1] * (200 - k), date))
    trend = satisfaction_trend(pd.concat(parts), period="month")
    chart = control_chart(trend, chart="p")
    assert chart["centre"].iloc[0] == pytest.approx(0.16)
    assert chart["lower"].iloc[0] == pytest.approx(0.0822, abs=5e-5)
    assert chart["upper"].iloc[0] == pytest.approx(0.2378, abs=5e-5)


def test_a_shift_after_an_event_is_an_improvement_signal_until_rebased():
    values = [50, 52, 49, 51, 50, 48, 51, 50, 58, 59, 57, 60, 58, 59, 61, 58]
    trend = satisfaction_trend(monthly(values), period="month", min_n=1)
    chart = control_chart(trend, baseline=8)
    assert chart["in_baseline"].tolist() == [True] * 8 + [False] * 8
    assert chart["signal"].iloc[8:].all()
    assert chart["improvement"].iloc[8:].all()
    assert "beyond a limit" in chart["signal_words"].iloc[-1]
    rebased = control_chart(trend, rebase_at="2022-09-01")
    assert rebased["phase"].tolist() == [1] * 8 + [2] * 8
    assert rebased["centre"].iloc[-1] == pytest.approx(np.mean(values[8:]))
    assert not rebased["outside"].any()
    worse = control_chart(trend, baseline=8, direction="lower")
    assert not worse["improvement"].iloc[8:].any()


def test_control_chart_one_per_group():
    data = pd.concat([monthly(SERIES).assign(campus="A"), monthly(SERIES[::-1]).assign(campus="B")])
    trend = satisfaction_trend(data, period="month", by="campus", min_n=1)
    chart = control_chart(trend, by="campus")
    assert chart.groupby("campus")["centre"].first().tolist() == pytest.approx([53.05, 53.05])
    assert len(chart) == 40


def test_rebase_dates_must_be_dates():
    trend = satisfaction_trend(monthly(SERIES), period="month", min_n=1)
    with pytest.raises(DataValidationError, match="YYYY-MM-DD"):
        control_chart(trend, rebase_at="after the launch")


# ----------------------------------------------------------------------------- sampling


def test_sample_size_table_reproduces_the_published_numbers():
    # REFERENCE-NUMBERS.md: ±5% → 385; with a population of 500 → 218.
    table = sample_size_table(margins=[0.05, 0.10], population=500)
    assert table["n_needed"].tolist() == [385, 97]
    assert table["n_needed_population"].tolist()[0] == 218


# ----------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(st.integers(1, 5), min_size=2, max_size=60),
    confidence=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_intervals_bracket_their_estimates_and_widen_with_confidence(scores, confidence):
    data = rows(scores, "2024-01-01")
    narrow = satisfaction_trend(data, confidence=confidence, min_n=1).iloc[0]
    wide = satisfaction_trend(data, confidence=0.995, min_n=1).iloc[0]
    for name in ("mean", "top_box"):
        assert narrow[f"{name}_ci_low"] <= narrow[name] + 1e-12
        assert narrow[name] <= narrow[f"{name}_ci_high"] + 1e-12
        assert wide[f"{name}_ci_low"] <= narrow[f"{name}_ci_low"] + 1e-12
        assert wide[f"{name}_ci_high"] >= narrow[f"{name}_ci_high"] - 1e-12
    assert narrow["n"] == len(scores)


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(st.integers(0, 10), min_size=1, max_size=80),
    split=st.integers(0, 3),
)
def test_nps_trend_counts_every_response_once_and_brackets_the_score(scores, split):
    dates = [f"2024-{1 + 3 * (i % (split + 1)):02d}-05" for i in range(len(scores))]
    data = rows(scores, dates, metric="nps", scale=(0, 10))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trend = satisfaction_trend(data, metric="nps", min_n=1)
    assert trend["n"].sum() == len(scores)
    assert (trend["promoters"] + trend["passives"] + trend["detractors"]).tolist() == (
        trend["n"].astype(float).tolist()
    )
    assert (trend["nps_ci_low"] <= trend["nps"] + 1e-9).all()
    assert (trend["nps"] <= trend["nps_ci_high"] + 1e-9).all()
    assert trend["nps"].between(-100, 100).all()
