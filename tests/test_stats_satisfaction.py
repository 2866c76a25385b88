"""NPS, margins, control charts and interrupted time series against published numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import stats as sps

from toolkit._stats import (
    interrupted_time_series,
    margin_of_error,
    nps,
    nps_difference,
    p_chart_limits,
    sample_size,
    special_causes,
    xmr_limits,
)
from toolkit.errors import DataValidationError

EXACT_Z = 1.959963984540054

# ---------------------------------------------------------------------------------------
# Net Promoter Score
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("z", [1.96, None])
def test_nps_reproduces_the_1162_respondent_example(z):
    # REFERENCE-NUMBERS.md, "Net Promoter Score": 291 / 476 / 395 of 1162 → NPS −8.95,
    # Wald 95% half-width 4.39 (the same to 2 decimals with z = 1.96 or 1.959964).
    score, se, low, high = nps(291, 476, 395, z=z)
    assert float(score) == pytest.approx(-8.95, abs=0.005)
    assert float(high - score) == pytest.approx(4.39, abs=0.005)
    assert float(score - low) == pytest.approx(4.39, abs=0.005)


def test_nps_reproduces_40_40_20_at_500():
    # REFERENCE-NUMBERS.md, "Net Promoter Score": 40% / 40% / 20% at n = 500 → 20 ± 6.6,
    # while % promoters alone is 40 ± 4.3.
    score, se, low, high = nps(200, 200, 100, z=1.96)
    assert float(score) == pytest.approx(20)
    assert float(high - score) == pytest.approx(6.6, abs=0.05)
    assert float(se) == pytest.approx(100 * np.sqrt(0.56 / 500))
    assert 100 * margin_of_error(500, p=0.4, z=1.96) == pytest.approx(4.3, abs=0.05)


def test_nps_standard_error_is_that_of_the_per_person_scores():
    # REFERENCE-NUMBERS.md: score each person +1 / 0 / −1; SE = √(variance / n).
    people = np.repeat([1, 0, -1], [291, 476, 395])
    score, se, _, _ = nps(291, 476, 395)
    assert float(score) == pytest.approx(100 * people.mean())
    assert float(se) == pytest.approx(100 * people.std() / np.sqrt(people.size))


def test_nps_adjusted_wald_adjusts_counts_then_uses_the_same_formulas():
    # REFERENCE-NUMBERS.md: add 0.75 promoter, 1.5 passive, 0.75 detractor, "then the same
    # formulas": the point estimate is the adjusted one too.
    score, se, low, high = nps(291, 476, 395, adjusted=True, z=1.96)
    n = 1162 + 3
    p_pro, p_det = 291.75 / n, 395.75 / n
    expected_se = np.sqrt((p_pro + p_det - (p_pro - p_det) ** 2) / n)
    assert float(score) == pytest.approx(100 * (p_pro - p_det))
    assert float(se) == pytest.approx(100 * expected_se)
    assert float(high) == pytest.approx(100 * (p_pro - p_det + 1.96 * expected_se))


def test_nps_single_respondent_wald_is_degenerate_adjusted_is_not():
    # One promoter: Wald gives 100 with zero width; adjusted: (1.75 − 0.75)/4 = 25 with
    # SE √((0.625 − 0.0625)/4) = 37.5 points.
    assert [float(v) for v in nps(1, 0, 0)] == [100.0, 0.0, 100.0, 100.0]
    score, se, low, high = nps(1, 0, 0, adjusted=True, z=1.96)
    assert (float(score), float(se)) == pytest.approx((25.0, 37.5))
    assert (float(low), float(high)) == pytest.approx((25 - 73.5, 25 + 73.5))


@pytest.mark.parametrize("adjusted", [False, True])
def test_nps_of_an_empty_group_is_nan_and_others_are_untouched(adjusted):
    score, se, low, high = nps([0, 10], [0, 5], [0, 5], adjusted=adjusted)
    for value in (score, se, low, high):
        assert np.isnan(value[0]) and np.isfinite(value[1])


def test_nps_interval_is_clipped_to_the_scale():
    # 99 promoters and 1 passive: the Wald upper bound would be 99 + 1.96 · 0.995 > 100.
    score, se, low, high = nps(99, 1, 0, z=1.96)
    assert float(score) + 1.96 * float(se) > 100
    assert float(high) == 100 and float(low) < float(score)


def test_nps_rejects_negative_counts():
    with pytest.raises(DataValidationError, match="promoters must be counts"):
        nps(-1, 2, 3)


def test_nps_difference_is_the_z_test_of_the_reference():
    # REFERENCE-NUMBERS.md: z = (NPS₁ − NPS₂) / √(var₁/n₁ + var₂/n₂).
    # 40/40/20 of 500 (var 0.56) against 30/40/30 of 500 (var 0.60).
    d, z, p = nps_difference(200, 200, 100, 150, 200, 150)
    expected_z = 0.2 / np.sqrt(0.56 / 500 + 0.60 / 500)
    assert float(d) == pytest.approx(20)
    assert float(z) == pytest.approx(expected_z)
    assert float(p) == pytest.approx(2 * sps.norm.sf(expected_z))
    d2, z2, p2 = nps_difference(150, 200, 150, 200, 200, 100)
    assert (float(d2), float(z2), float(p2)) == pytest.approx((-20, -expected_z, float(p)))


def test_nps_difference_edge_cases():
    d, z, p = nps_difference(0, 0, 0, 5, 5, 5)
    assert np.isnan(d) and np.isnan(z) and np.isnan(p)
    # Everyone a promoter on both sides: no variance, no test.
    d, z, p = nps_difference(10, 0, 0, 20, 0, 0)
    assert float(d) == 0 and np.isnan(z) and np.isnan(p)
    d, z, p = nps_difference(10, 0, 0, 0, 0, 10)
    assert float(d) == 200 and np.isnan(z) and np.isnan(p)
    # Vectorised.
    d, z, p = nps_difference([200, 0], [200, 0], [100, 0], [150, 1], [200, 1], [150, 1])
    assert np.isfinite(z[0]) and np.isnan(z[1])


counts = st.integers(0, 400)


@given(pro=counts, pas=counts, det=counts, adjusted=st.booleans(), conf=st.floats(0.5, 0.999))
def test_nps_interval_brackets_the_estimate_within_the_scale(pro, pas, det, adjusted, conf):
    assume(pro + pas + det > 0)
    score, se, low, high = (float(v) for v in nps(pro, pas, det, conf, adjusted=adjusted))
    assert -100 <= low <= score <= high <= 100
    assert se >= 0
    wider_low, wider_high = (float(v) for v in nps(pro, pas, det, 0.999, adjusted=adjusted)[2:])
    assert wider_low <= low + 1e-9 and wider_high >= high - 1e-9


@given(a=st.tuples(counts, counts, counts), b=st.tuples(counts, counts, counts))
def test_nps_difference_agrees_with_the_two_standard_errors(a, b):
    assume(sum(a) > 0 and sum(b) > 0)
    s1, se1, _, _ = nps(*a)
    s2, se2, _, _ = nps(*b)
    d, z, _ = nps_difference(*a, *b)
    assert float(d) == pytest.approx(float(s1 - s2), abs=1e-9)
    if se1 > 0 or se2 > 0:
        assert float(z) == pytest.approx(float((s1 - s2) / np.hypot(se1, se2)), abs=1e-9)


# ---------------------------------------------------------------------------------------
# Margin of error and sample size
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "z", "points", "tol"),
    [
        # REFERENCE-NUMBERS.md, "Margin of error and sample size": margin = 1.96 · √(0.25/n),
        # n = 100 → ±9.80 points; n = 50 → ±13.86 (published to 2 decimals).
        (100, 1.96, 9.80, 1e-9),
        (50, 1.96, 13.86, 0.005),
        # The exact quantile 1.959964 moves the later digits.
        (100, None, 9.799820, 5e-7),
        (50, None, 13.859038, 5e-7),
    ],
)
def test_margin_of_error_reproduces_the_reference(n, z, points, tol):
    assert 100 * margin_of_error(n, z=z) == pytest.approx(points, abs=tol)


def test_margin_of_error_default_is_the_exact_quantile():
    assert margin_of_error(100) == pytest.approx(EXACT_Z * 0.05)
    assert margin_of_error(100) != pytest.approx(0.098, abs=1e-7)


@pytest.mark.parametrize("z", [1.96, None])
def test_sample_size_reproduces_the_reference(z):
    # REFERENCE-NUMBERS.md: ±5% → n₀ = 384.1 → 385; with a population of 500 → 218
    # (n₀ = 384.16 with 1.96 and 384.15 with 1.959964: the same whole numbers).
    assert sample_size(0.05, z=z) == 385
    assert sample_size(0.05, z=z, population=500) == 218
    assert isinstance(sample_size(0.05, z=z), int)


def test_sample_size_correction_uses_n0_minus_one():
    # REFERENCE-NUMBERS.md: n = n₀ / (1 + (n₀ − 1)/N). With n₀ = 100 (±9.8 points at
    # z = 1.96) and N = 100: 100 / 1.99 = 50.25 → 51, where n₀ / (1 + n₀/N) would give 50.
    assert sample_size(0.098, z=1.96) == 100
    assert sample_size(0.098, z=1.96, population=100) == 51


def test_finite_population_correction_of_the_margin():
    # √((N − n)/(N − 1)): a census has no sampling error; n > N is impossible.
    assert margin_of_error(500, population=500) == 0
    assert np.isnan(margin_of_error(501, population=500))
    expected = 1.96 * np.sqrt(0.25 / 218) * np.sqrt(282 / 499)
    assert margin_of_error(218, population=500, z=1.96) == pytest.approx(expected)
    assert (
        margin_of_error(218, population=500, z=1.96)
        <= 0.05
        < margin_of_error(217, population=500, z=1.96)
    )


def test_margin_and_sample_size_edges():
    assert np.isnan(margin_of_error(0))
    got = margin_of_error([25, 100, 400], z=1.96)
    assert got == pytest.approx([0.196, 0.098, 0.049])
    assert sample_size(0.05, p=0.0) == 1
    assert sample_size([0.05, 0.1], z=1.96).tolist() == [385, 97]
    for bad in (0, 5, -0.1):
        with pytest.raises(DataValidationError, match="write ±5 points as 0.05"):
            sample_size(bad)
    with pytest.raises(DataValidationError, match="p must be a proportion"):
        margin_of_error(100, p=50)


@given(n=st.integers(1, 100_000), p=st.floats(0.01, 0.99))
def test_margin_shrinks_as_n_grows(n, p):
    assert margin_of_error(n + 1, p) < margin_of_error(n, p)


@given(n=st.integers(1, 100_000), p=st.floats(0.01, 0.99), conf=st.floats(0.5, 0.999))
def test_sample_size_inverts_margin_of_error(n, p, conf):
    assert sample_size(margin_of_error(n, p, conf), p, conf) <= n
    assert sample_size(margin_of_error(n, p, conf), p, conf) == n


@given(n=st.integers(1, 5000), extra=st.integers(1, 5000))
def test_sample_size_inverts_margin_of_error_with_a_population(n, extra):
    population = n + extra
    margin = margin_of_error(n, population=population)
    assert sample_size(margin, population=population) == n


@given(margin=st.floats(0.005, 0.5), population=st.none() | st.integers(1, 100_000))
def test_sample_size_is_the_smallest_that_reaches_the_margin(margin, population):
    n = sample_size(margin, population=population)
    assert margin_of_error(n, population=population) <= margin * (1 + 1e-12)
    if n > 1:
        assert margin_of_error(n - 1, population=population) > margin


# ---------------------------------------------------------------------------------------
# Control charts
# ---------------------------------------------------------------------------------------

# 20 points with mean 1061/20 = 53.05 and moving ranges summing to 56 (mean 56/19).
XMR_SERIES = [53, 55, 52, 54, 51, 53, 57, 53, 52, 54, 47, 53, 55, 52, 54, 53, 51, 55, 52, 55]


def test_xmr_limits_reproduce_the_reference():
    # REFERENCE-NUMBERS.md, "Control charts": mean 53.05, mean MR 56/19 → limits ≈ 45.21
    # and 60.89; MR limit ≈ 9.63. 2.66 · 56/19 = 7.84 exactly; 3/1.128 would give 7.8387.
    limits = xmr_limits(XMR_SERIES)
    assert limits["mean"] == pytest.approx(53.05)
    assert limits["mean_moving_range"] == pytest.approx(56 / 19)
    assert limits["lower"] == pytest.approx(45.21, abs=1e-9)
    assert limits["upper"] == pytest.approx(60.89, abs=1e-9)
    assert limits["moving_range_upper"] == pytest.approx(9.63, abs=0.005)
    assert limits["moving_range_upper"] == pytest.approx(3.267 * 56 / 19)
    assert limits["n"] == 20


def test_xmr_limits_edges():
    one = xmr_limits([4.0])
    assert one["mean"] == 4 and np.isnan(one["lower"]) and np.isnan(one["mean_moving_range"])
    empty = xmr_limits([])
    assert np.isnan(empty["mean"]) and empty["n"] == 0
    flat = xmr_limits([3, 3, 3, 3])
    assert flat["lower"] == flat["upper"] == 3 and flat["moving_range_upper"] == 0
    # A gap is not bridged: only |4 − 3| is a moving range.
    gap = xmr_limits([1, np.nan, 3, 4])
    assert gap["mean_moving_range"] == 1 and gap["mean"] == pytest.approx(8 / 3)


P_CHART_DEFECTIVES = [40, 44, 22, 34, 24, 32, 28, 32, 34, 30]


def test_p_chart_reproduces_the_reference():
    # REFERENCE-NUMBERS.md, "Control charts": ten samples of 200 → p̄ = 0.16,
    # limits 0.0822 and 0.2378.
    chart = p_chart_limits(P_CHART_DEFECTIVES, [200] * 10)
    assert chart["centre"] == pytest.approx(0.16)
    assert chart["lower"] == pytest.approx([0.0822] * 10, abs=5e-5)
    assert chart["upper"] == pytest.approx([0.2378] * 10, abs=5e-5)
    assert chart["proportion"][1] == pytest.approx(0.22)


def test_p_chart_floors_caps_and_skips_empty_samples():
    chart = p_chart_limits([10, 1, 0, 3], [60, 1, 0, 5])
    assert chart["centre"] == pytest.approx(14 / 66)
    assert chart["lower"][1] == 0 and chart["upper"][1] == 1  # a sample of one
    assert chart["lower"][3] == 0  # p̄ − 3σ < 0 for n = 5
    assert np.isnan(chart["lower"][2]) and np.isnan(chart["proportion"][2])
    with pytest.raises(DataValidationError, match="sample 0: 5 defectives out of a sample of 4"):
        p_chart_limits([5], [4])


@given(
    st.lists(st.tuples(st.integers(0, 300), st.integers(1, 300)), min_size=1, max_size=30).map(
        lambda pairs: [(min(x, n), n) for x, n in pairs]
    )
)
def test_p_chart_limits_bracket_the_centre(samples):
    x, n = zip(*samples, strict=True)
    chart = p_chart_limits(x, n)
    assert chart["centre"] == pytest.approx(sum(x) / sum(n))
    assert np.all(0 <= chart["lower"]) and np.all(chart["upper"] <= 1)
    assert np.all(chart["lower"] <= chart["centre"] + 1e-12)
    assert np.all(chart["upper"] >= chart["centre"] - 1e-12)
    order = np.argsort(n)
    widths = (chart["upper"] - chart["lower"])[order]
    if 0 < chart["centre"] < 1:
        assert np.all(np.diff(widths) <= 1e-12)  # bigger samples, narrower limits


# ---------------------------------------------------------------------------------------
# Special-cause rules (REFERENCE-NUMBERS.md, "Control charts"; NHS Making Data Count)
# ---------------------------------------------------------------------------------------


def flags(values, centre=0.0, lower=-3.0, upper=3.0, **kw):
    return {
        k: v.astype(int).tolist()
        for k, v in special_causes(values, centre, lower, upper, **kw).items()
    }


def test_shift_needs_seven_not_six():
    assert flags([1] * 6 + [-1])["shift"] == [0] * 7
    assert flags([1] * 7 + [-1])["shift"] == [1] * 7 + [0]
    assert flags([-1] * 7)["shift"] == [1] * 7


def test_shift_keeps_flagging_while_the_run_lasts():
    assert flags([-1] + [1] * 9 + [-1])["shift"] == [0] + [1] * 9 + [0]


def test_a_point_on_the_centre_breaks_a_shift():
    assert flags([1, 1, 1, 0, 1, 1, 1, 1])["shift"] == [0] * 8
    assert flags([1, 1, 1, np.nan, 1, 1, 1, 1])["shift"] == [0] * 8


def test_trend_needs_seven_points_six_rises():
    assert flags([0.1 * i for i in range(6)])["trend"] == [0] * 6
    assert flags([0.1 * i for i in range(7)])["trend"] == [1] * 7
    assert flags([0.2, 0.1, 0.0, -0.1, -0.2, -0.3, -0.4])["trend"] == [1] * 7


def test_a_tie_breaks_a_trend():
    values = [0.1, 0.2, 0.3, 0.3, 0.4, 0.5, 0.6, 0.7]
    assert flags(values)["trend"] == [0] * 8
    # Without the tie the same climb is a trend.
    assert flags([0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7])["trend"] == [1] * 8


def test_a_peak_can_end_a_rise_and_start_a_fall():
    values = [0, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1, 0]
    got = flags(values, centre=3, lower=-10, upper=20)
    assert got["trend"] == [1] * 13


def test_two_of_three_beyond_two_thirds():
    # Limits ±3 around 0: two-thirds of the way is ±2, strictly beyond. As NHSRplotthedots'
    # ptd_two_in_three: all three points on one side of the centre, two or more near a limit.
    assert flags([2.5, 1, 2.5])["two_of_three"] == [1, 0, 1]
    assert flags([-2.5, -2.1, -0.5, 1])["two_of_three"] == [1, 1, 0, 0]
    assert flags([2.5, 0, 0, 2.5])["two_of_three"] == [0, 0, 0, 0]
    assert flags([2.0, 2.0, 2.0])["two_of_three"] == [0, 0, 0]
    # A point across the centre, or on it, breaks the three (issue 17's straddling vector).
    assert flags([8.5, -1, 8.5], 0, -10, 10)["two_of_three"] == [0, 0, 0]
    assert flags([2.5, 0, 2.5])["two_of_three"] == [0, 0, 0]
    assert flags([2.5, -2.5, 2.5])["two_of_three"] == [0, 0, 0]
    # Two points are not three: NHSRplotthedots pads the ends, so nothing qualifies.
    assert flags([-2.1, -2.1])["two_of_three"] == [0, 0]
    # A point beyond the limit is 'outside', not near: it does not count towards the two.
    got = flags([3.5, 2.5, 1])
    assert got["two_of_three"] == [0, 0, 0] and got["outside"] == [1, 0, 0]
    got = flags([3.5, 2.5, 2.5])
    assert got["two_of_three"] == [0, 1, 1] and got["outside"] == [1, 0, 0]
    # A missing point breaks the three as well.
    assert flags([2.5, np.nan, 2.5])["two_of_three"] == [0, 0, 0]


def test_outside_is_strict():
    assert flags([3, -3, 3.01, -3.01])["outside"] == [0, 0, 1, 1]


def test_all_equal_values_and_short_series_flag_nothing():
    limits = xmr_limits([5, 5, 5, 5, 5, 5, 5, 5, 5])
    got = flags([5] * 9, limits["mean"], limits["lower"], limits["upper"])
    assert all(v == [0] * 9 for v in got.values())
    got = flags([1, 1.1, 1.2, 1.3, 1.4, 1.5])
    assert got["shift"] == [0] * 6 and got["trend"] == [0] * 6
    assert all(v == [] for v in flags([]).values())
    assert all(v == [0] for v in flags([1.0]).values())


def test_special_causes_with_p_chart_limits():
    sizes = [200, 200, 50, 200]
    chart = p_chart_limits([32, 32, 14, 32], sizes)
    got = special_causes(chart["proportion"], chart["centre"], chart["lower"], chart["upper"])
    # 14/50 = 0.28 is inside the wide limits of the small sample (p̄ ≈ 0.1692, upper ≈ 0.328).
    assert not got["outside"].any()
    got = special_causes([0.26, 0.16], 0.16, chart["lower"][:2], chart["upper"][:2])
    assert got["outside"].tolist() == [True, False]


def test_run_length_is_validated():
    with pytest.raises(DataValidationError, match="run must be a whole number"):
        special_causes([1, 2], 0, -1, 1, run=1)


def brute_force(values, centre, lower, upper, run=7):
    """The rules read literally, window by window."""
    v = list(values)
    n = len(v)
    out = {key: [False] * n for key in ("outside", "shift", "trend", "two_of_three")}
    for i, x in enumerate(v):
        out["outside"][i] = x > upper or x < lower
    for s in range(n - run + 1):
        w = v[s : s + run]
        if all(x > centre for x in w) or all(x < centre for x in w):
            out["shift"][s : s + run] = [True] * run
        steps = [b - a for a, b in zip(w[:-1], w[1:], strict=True)]
        if all(d > 0 for d in steps) or all(d < 0 for d in steps):
            out["trend"][s : s + run] = [True] * run
    hi = centre + 2 / 3 * (upper - centre)
    lo = centre - 2 / 3 * (centre - lower)
    # NHSRplotthedots' ptd_two_in_three: three in a row all on one side, two or more of
    # them beyond two-thirds but not beyond the limit; those near points are flagged.
    for s in range(n - 2):
        w = v[s : s + 3]
        if not (all(x > centre for x in w) or all(x < centre for x in w)):
            continue
        near = [s + k for k, x in enumerate(w) if (x > hi or x < lo) and lower <= x <= upper]
        if len(near) >= 2:
            for i in near:
                out["two_of_three"][i] = True
    return out


@given(
    values=st.lists(st.integers(-4, 4), max_size=40),
    run=st.integers(2, 8),
)
def test_special_causes_match_the_rules_read_literally(values, run):
    got = special_causes(values, 0, -3, 3, run=run)
    expected = brute_force(values, 0, -3, 3, run)
    for key, value in expected.items():
        assert got[key].tolist() == value, key
    assert got["any"].tolist() == [any(col) for col in zip(*expected.values(), strict=True)]


# ---------------------------------------------------------------------------------------
# Interrupted time series (REFERENCE-NUMBERS.md, "Interrupted time series")
# ---------------------------------------------------------------------------------------


def its_series(t, event_at, level=2.0, slope=0.5):
    t = np.asarray(t, dtype=float)
    after = t >= event_at
    return 10 + 0.3 * t + np.where(after, level + slope * (t - event_at), 0.0)


@pytest.mark.parametrize("start", [0, 100, 24_000])
def test_its_recovers_a_noiseless_level_and_slope_change(start):
    # Level change 2 and slope change 0.5; the slope term counts time since the event,
    # so the level change stays 2 whatever the time origin (t · D would give 2 − 0.5·T).
    t = np.arange(start, start + 24)
    y = its_series(t, start + 12)
    fit = interrupted_time_series(y, t, 12)
    assert fit["coef"] == pytest.approx([10, 0.3, 2, 0.5], abs=1e-6)
    assert fit["fitted"] == pytest.approx(y, abs=1e-6)
    assert fit["counterfactual"] == pytest.approx(10 + 0.3 * t, abs=1e-6)
    assert fit["term"] == ("intercept", "trend", "level_change", "slope_change")
    assert fit["n"] == 24 and fit["df"] == 20 and fit["maxlags"] == 2


def test_its_with_white_noise_is_close(rng):
    t = np.arange(60)
    y = its_series(t, 30) + rng.normal(0, 1, t.size)
    fit = interrupted_time_series(y, t, 30)
    level, slope = fit["coef"][2], fit["coef"][3]
    assert abs(level - 2) < 3 * fit["se"][2] and abs(level - 2) < 1.5
    assert abs(slope - 0.5) < 3 * fit["se"][3] and abs(slope - 0.5) < 0.15
    assert fit["p_value"][2] < 0.05 and fit["p_value"][3] < 0.001
    # No change: the level and slope changes are small and not significant.
    flat = interrupted_time_series(10 + rng.normal(0, 1, t.size), t, 30)
    assert abs(flat["coef"][2]) < 1.5 and abs(flat["coef"][3]) < 0.15


def x_of(t, event_time):
    after = t >= event_time
    return np.column_stack([np.ones(t.size), t, after, np.where(after, t - event_time, 0)])


def newey_west_by_matrix(y, x, maxlags, small_sample, steps=None):
    """An independent formulation: S = (Xe)' W (Xe) with W the Bartlett weight matrix.

    ``steps``: each row's position in time (by default 0, 1, 2…), so rows either side of a
    missing period are two apart."""
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    e = y - x @ beta
    n, k = x.shape
    steps = np.arange(n) if steps is None else np.asarray(steps)
    lag = np.abs(np.subtract.outer(steps, steps))
    w = np.clip(1 - lag / (maxlags + 1), 0, None)
    xe = x * e[:, None]
    bread = np.linalg.inv(x.T @ x)
    cov = bread @ (xe.T @ w @ xe) @ bread
    if small_sample:
        cov *= n / (n - k)
    return beta, np.sqrt(np.diag(cov))


@pytest.mark.parametrize(("maxlags", "small_sample"), [(None, True), (0, True), (5, False)])
def test_its_newey_west_matches_the_matrix_form(rng, maxlags, small_sample):
    n = 40
    noise = np.zeros(n)
    for i in range(1, n):  # AR(1) noise, the case Newey–West is for
        noise[i] = 0.6 * noise[i - 1] + rng.normal()
    t = np.arange(n)
    y = its_series(t, 22) + noise
    fit = interrupted_time_series(y, t, 22, maxlags=maxlags, small_sample=small_sample)
    after = t >= 22
    x = np.column_stack([np.ones(n), t, after, np.where(after, t - 22, 0)])
    lags = 3 if maxlags is None else maxlags  # ⌊4 (40/100)^(2/9)⌋ = 3
    beta, se = newey_west_by_matrix(y, x, lags, small_sample)
    assert fit["maxlags"] == lags
    assert fit["coef"] == pytest.approx(beta)
    assert fit["se"] == pytest.approx(se)
    assert fit["t_stat"] == pytest.approx(beta / se)
    dist = sps.t(n - 4) if small_sample else sps.norm
    assert fit["p_value"] == pytest.approx(2 * dist.sf(np.abs(beta / se)))


def test_its_drops_missing_periods_with_a_warning():
    t = np.arange(20)
    y = its_series(t, 10) + np.sin(t)
    y[[3, 15]] = np.nan
    with pytest.warns(UserWarning, match="2 period"):
        fit = interrupted_time_series(y, t, 10)
    keep = np.isfinite(y)
    compact = interrupted_time_series(y[keep], t[keep], 9)
    assert fit["coef"] == pytest.approx(compact["coef"])
    assert fit["n"] == 18 and np.isfinite(fit["fitted"]).all()
    # The missing periods stay gaps in the Newey–West lags (issue 17): periods 2 and 4
    # are two apart, not neighbours, as the weight matrix over t says.
    after = t[keep] >= 10
    x = np.column_stack([np.ones(18), t[keep], after, np.where(after, t[keep] - 10, 0)])
    _, se = newey_west_by_matrix(y[keep], x, fit["maxlags"], True, steps=t[keep])
    assert fit["se"] == pytest.approx(se)
    _, bridged = newey_west_by_matrix(y[keep], x, fit["maxlags"], True)
    assert not np.allclose(fit["se"], bridged)
    # Evenly spaced times in steps of 2 (every other month) are neighbours one step apart.
    even = interrupted_time_series(y[::2], t[::2], 5)
    _, se = newey_west_by_matrix(y[::2], x_of(t[::2], 10), even["maxlags"], True)
    assert even["se"] == pytest.approx(se)


def test_its_needs_two_periods_each_side_and_ordered_time():
    t = np.arange(10.0)
    y = its_series(t, 5)
    with pytest.raises(DataValidationError, match="between 1 and 9"):
        interrupted_time_series(y, t, 0)
    with pytest.raises(DataValidationError, match="got 1 before"):
        interrupted_time_series(y, t, 1)
    with pytest.raises(DataValidationError, match="strictly increasing"):
        interrupted_time_series(y, t[::-1], 5)
    # Two each side: an exact fit with no degrees of freedom left.
    fit = interrupted_time_series(y[3:7], t[3:7], 2)
    assert fit["df"] == 0 and np.isnan(fit["se"]).all() and np.isnan(fit["p_value"]).all()


@pytest.mark.parametrize(("n", "lags"), [(10, 2), (24, 2), (40, 3), (100, 4), (1000, 6)])
def test_its_default_lag_is_newey_west_1994(n, lags):
    # ⌊4 (n/100)^(2/9)⌋; at n = 1000 it is 6 (4 · 10^(2/9) = 6.67).
    t = np.arange(n)
    fit = interrupted_time_series(its_series(t, n // 2) + np.cos(t), t, n // 2)
    assert fit["maxlags"] == lags
