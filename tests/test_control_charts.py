"""Control charts at the edges (issue 17): Laney p′, over-dispersion, 2-of-3, gaps."""

import numpy as np
import pandas as pd
import pytest

from toolkit._stats import laney_p_chart_limits
from toolkit.charts.satisfaction import control_chart_chart
from toolkit.demo.university import CHANGES
from toolkit.errors import DataValidationError
from toolkit.satisfaction import control_chart

# Laney p′ worked example: the 20 samples and limits (in %, 4 decimals) of the P-prime chart
# test of the NHS/WA Health Power BI SPC visual, AUS-DOH-Safety-and-Quality/PowerBI-SPC,
# test/Chart Types/test-pprime.ts (commit 670845cc5d5e9825b2fc963e4188d4990fa34028);
# Laney (2002), Quality Engineering 14(4): σ_Z = mean moving range of z / 1.128.
PP_X = [266501, 264225, 276532, 281461, 269071, 261215, 270409, 279778, 270483, 270320,
        267923, 271478, 255353, 256820, 261835, 259144, 255910, 260863, 264465, 260989]  # fmt: skip
PP_N = [280443, 276823, 291681, 296155, 282343, 275888, 283867, 295251, 284468, 282529,
        279618, 283932, 266629, 268091, 276803, 271578, 266005, 273520, 278574, 273772]  # fmt: skip
PP_UPPER = [96.567, 96.5753, 96.5421, 96.5326, 96.5627, 96.5775, 96.5593, 96.5345, 96.5579,
            96.5623, 96.5689, 96.5591, 96.5996, 96.5961, 96.5753, 96.5877, 96.6012, 96.583,
            96.5713, 96.5824]  # fmt: skip
PP_LOWER = [94.013, 94.0046, 94.0378, 94.0473, 94.0173, 94.0025, 94.0207, 94.0454, 94.022,
            94.0177, 94.0111, 94.0208, 93.9803, 93.9839, 94.0046, 93.9923, 93.9788, 93.9969,
            94.0087, 93.9975]  # fmt: skip


def test_laney_p_prime_matches_the_published_example():
    got = laney_p_chart_limits(PP_X, PP_N)
    assert got["sigma_z"] == pytest.approx(10.640, abs=5e-4)
    assert np.round(100 * got["upper"], 4).tolist() == pytest.approx(PP_UPPER, abs=1e-4)
    assert np.round(100 * got["lower"], 4).tolist() == pytest.approx(PP_LOWER, abs=1e-4)


def test_laney_with_binomial_spread_is_the_p_chart_and_gaps_break_moving_ranges():
    # z-scores 1, -1, 1, -1: moving ranges 2 → σ_Z = 2/1.128; a gap between the first two
    # leaves ranges 2, 2 only, and a NaN sample gets no limits.
    n = 10_000
    sd = np.sqrt(0.25 / n)
    x = [n * (0.5 + sd), n * (0.5 - sd), n * (0.5 + sd), n * (0.5 - sd)]
    assert laney_p_chart_limits(x, [n] * 4)["sigma_z"] == pytest.approx(2 / 1.128)
    got = laney_p_chart_limits([x[0], np.nan, *x[1:]], [n, n, n, n, n])
    assert got["sigma_z"] == pytest.approx(2 / 1.128)
    assert np.isnan(got["upper"][1]) and np.isfinite(got["upper"][0])


def share_trend(shares, n, t=None):
    t = np.arange(len(shares)) if t is None else np.asarray(t)
    return pd.DataFrame(
        {
            "period": [f"P{k:03d}" for k in t],
            "period_start": pd.Timestamp("2000-01-01") + pd.to_timedelta(t * 31, unit="D"),
            "t": t,
            "n": n,
            "effective_n": float(n),
            "top_box": shares,
            "mean": shares,
            "metric": "csat",
            "direction": "higher is better",
            "suppressed": False,
        }
    )


def wandering(n, months=2400, seed=17):
    """A stable process whose true share wanders 1.5 points month to month, sampled at n.

    Most of the ~6% the p′ chart flags is the 7-in-a-row rule, which flags about 5% of any
    stable series; the p-chart flags 28% at n = 5,000 and 63% at n = 30,000 (seed 17).
    """
    rng = np.random.default_rng(seed)
    truth = np.clip(0.6 + rng.normal(0, 0.015, months), 0, 1)
    return rng.binomial(n, truth) / n


@pytest.mark.parametrize(("n", "p_at_least"), [(5_000, 0.25), (30_000, 0.55)])
def test_over_dispersed_share_gets_laney_and_rarely_signals(n, p_at_least):
    trend = share_trend(wandering(n), n)
    default = control_chart(trend, chart="share")
    assert set(default["chart"]) == {"laney"}
    assert (default["sigma_z"] > 1.2).all()
    assert default["chart_reason"].iloc[0].startswith("sigma_z ")
    assert default["signal"].mean() <= 0.08
    p_chart = control_chart(trend, chart="p")
    assert set(p_chart["chart"]) == {"p"} and set(p_chart["chart_reason"]) == {"asked for"}
    assert p_chart["signal"].mean() >= p_at_least
    laney = control_chart(trend, chart="laney")
    assert laney["upper"].tolist() == default["upper"].tolist()


def test_a_share_trend_gets_the_share_chart_by_default_and_says_why():
    trend = share_trend(wandering(5_000, months=36), 5_000).assign(measure="top_box")
    got = control_chart(trend)
    assert set(got["chart"]) == {"laney"}
    ratio = got["sigma_z"].iloc[0]
    assert ratio > 1.2
    assert got["chart_reason"].iloc[0] == f"sigma_z {ratio:.2f} above 1.2 (the default for a share)"
    assert (
        control_chart(trend, chart="share")["chart_reason"].iloc[0]
        == f"sigma_z {ratio:.2f} above 1.2"
    )
    rng = np.random.default_rng(3)
    binomial = share_trend(rng.binomial(900, 0.6, 36) / 900, 900).assign(measure="top_box")
    assert set(control_chart(binomial)["chart"]) == {"p"}
    # the explicit choices stay
    for kind in ("xmr", "p", "laney"):
        assert set(control_chart(trend, chart=kind)["chart"]) == {kind}
        assert set(control_chart(trend, chart=kind)["chart_reason"]) == {"asked for"}
    mean = trend.assign(measure="mean")
    got = control_chart(mean)
    assert set(got["chart"]) == {"xmr"} and set(got["chart_reason"]) == {"the default for a mean"}
    assert got["sigma_z"].isna().all()


def test_the_share_chart_summary_prints_the_dispersion_ratio():
    from toolkit.reports.satisfaction import control_summary

    trend = share_trend(wandering(5_000, months=36), 5_000).assign(measure="top_box")
    got = control_chart(trend)
    text = control_summary(got, measure="top_box").data
    ratio = got["sigma_z"].iloc[0]
    assert "Laney p′ chart sets limits from 36 periods" in text
    assert f"varies {ratio:.2f} times as much as sampling alone" in text
    assert "the default for a share" in text


def test_binomial_share_keeps_the_p_chart():
    rng = np.random.default_rng(3)
    trend = share_trend(rng.binomial(900, 0.6, 60) / 900, 900)
    got = control_chart(trend, chart="share")
    assert set(got["chart"]) == {"p"}
    assert (got["sigma_z"] <= 1.2).all()
    assert "at or below 1.2" in got["chart_reason"].iloc[0]
    with pytest.raises(DataValidationError, match="dispersion_limit"):
        control_chart(trend, chart="share", dispersion_limit=-1)


def mean_trend(values, t):
    trend = share_trend(np.asarray(values, float) / 10, 100, t)
    trend["mean"] = values
    return trend


def test_a_missing_period_breaks_moving_ranges_and_runs():
    values = [5, 4, 6, 4.5, 6.5, 6.5, 6.5, 6.5, 6.5, 6.5, 6.5, 3, 5]
    steady = control_chart(mean_trend(values, range(13)))
    assert steady["shift"].iloc[4:11].all()
    # Period 8 is missing: four above before it and three after it are not a run of 7, and
    # the first period after the gap has no moving range.
    t = [*range(8), *range(9, 14)]
    gapped = control_chart(mean_trend(values[:8] + values[8:], t))
    assert not gapped["shift"].any()
    assert np.isnan(gapped["moving_range"].iloc[8])
    assert gapped["moving_range"].iloc[9] == pytest.approx(0.0)
    # Suppressed periods are gaps too.
    trend = mean_trend(values, range(13))
    trend.loc[7, "suppressed"] = True
    assert not control_chart(trend)["shift"].any()


def test_a_missing_period_is_drawn_as_a_gap_in_the_line():
    t = [0, 1, 2, 4, 5]
    chart = control_chart(mean_trend([5, 4, 6, 4.5, 5.5], t))
    spec = control_chart_chart(chart).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [r["segment"] for r in rows] == ["0", "0", "0", "1", "1"]
    series = spec["layer"][0]
    assert series["mark"]["type"] == "line"
    assert series["encoding"]["detail"] == {"field": "segment"}
    whole = control_chart_chart(control_chart(mean_trend([5, 4, 6, 4.5, 5.5], range(5))))
    rows = next(iter(whole.to_dict()["datasets"].values()))
    assert {r["segment"] for r in rows} == {"0"}


# ----------------------------------------------------------------- the large university demo


def university_scores(changes):
    """The large university demo's 1,000,000 responses, carrying only ``changes``.

    The same seed and draws as ``init --demo university --size large``; with every change
    on this is the demo's responses table (less the id columns).
    """
    from toolkit.demo import university
    from toolkit.demo._shared import LARGE_ROWS
    from toolkit.demo.build import DEMOS

    seeds = np.random.SeedSequence([20240307, DEMOS.index("university")]).spawn(4)
    rng = np.random.default_rng(seeds[2])
    return university._university_responses(rng, LARGE_ROWS, with_ids=False, changes=changes)


# each built-in event: the touchpoint it was built into, its start, and the months it moves
DEMO_EVENTS = {
    "payroll": ("HR services", "2022-10-01", ("2022-10", "2022-11", "2022-12")),
    "portal": ("Student portal", "2023-01-09", ("2023-01", "2023-02", "2023-03")),
    "advising": ("Advising", "2023-08-21", ("2023-08", "2023-09", "2023-10", "2023-11", "2023-12")),
}
REPORT_CHARTS = (None, "share")  # the satisfaction report: the default chart and the share chart


@pytest.mark.slow
def test_large_university_demo_charts_rarely_flag_the_stable_months():
    """With the demo's built-in changes (trend, payroll, portal, advising) switched off and
    its month-of-year pattern kept, every month of every campus is outside a change: the
    report's charts, per campus and month (~900 answers a campus-month, ~300 a metric),
    flag 2.5% of them (per chart 0.5% to 5.8%; a stable 36-period series flags 4.3% on
    average, mostly by the 7-in-a-row rule)."""
    from toolkit.satisfaction import satisfaction_trend

    scores = university_scores(("season",))
    flags = []
    for metric in ("csat", "nps", "ces"):
        trend = satisfaction_trend(scores, metric=metric, period="month", by="campus")
        assert 250 <= trend["n"].median() <= 350
        for chart in REPORT_CHARTS:
            got = control_chart(trend, chart=chart, by="campus")
            assert len(got) == 30 * 36
            assert got["signal"].mean() <= 0.08, (metric, chart)
            flags.append(got["signal"].to_numpy())
    assert np.concatenate(flags).mean() <= 0.05


@pytest.mark.slow
@pytest.mark.parametrize("event", DEMO_EVENTS)
def test_large_university_demo_charts_flag_each_built_in_change(event):
    """On the demo as built, each event shows in every chart of the touchpoint it was built
    into (all campuses), with limits from the months before it: a month it moves signals."""
    from toolkit.satisfaction import satisfaction_trend

    touchpoint, start, months = DEMO_EVENTS[event]
    scores = university_scores(CHANGES)
    scores = scores[scores["touchpoint"] == touchpoint]
    for metric in ("csat", "nps", "ces"):
        trend = satisfaction_trend(scores, metric=metric, period="month")
        trend = trend[trend["period_start"] <= pd.Timestamp(months[-1] + "-01")]
        before = int((trend["period_start"] < pd.Timestamp(start)).sum())
        for chart in REPORT_CHARTS:
            got = control_chart(trend, chart=chart, baseline=before)
            inside = got[got["period"].astype(str).isin(months)]
            assert len(inside) == len(months)
            assert inside["signal"].any(), (event, metric, chart)


@pytest.mark.slow
def test_large_university_demo_charts_flag_the_slow_trend_at_almost_every_campus():
    """The slow upward trend alone (0.12 a year on the latent score) is flagged at every
    campus for CSAT and CES and at 29 of 30 for the NPS (its noisier 0–10 scale)."""
    from toolkit.satisfaction import satisfaction_trend

    scores = university_scores(("trend",))
    for metric in ("csat", "nps", "ces"):
        trend = satisfaction_trend(scores, metric=metric, period="month", by="campus")
        for chart in REPORT_CHARTS:
            got = control_chart(trend, chart=chart, by="campus")
            assert got.groupby("campus")["signal"].any().sum() >= 29, (metric, chart)
