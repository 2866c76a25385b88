"""Interval maths against published worked examples, and their properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from toolkit._stats import (
    correlation_interval,
    effective_n,
    mean_interval,
    newcombe_difference,
    wilson,
)
from toolkit.errors import DataValidationError


# REFERENCE-NUMBERS.md, "Wilson score interval for a proportion (z = 1.96)".
@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        (10, 100, 0.0552285, 0.1743673),
        (25, 100, 0.1754509, 0.3430465),
        (1, 11, 0.0162318, 0.3773646),
        (0, 1, 0.0, 0.7934567),
    ],
)
def test_wilson_reproduces_the_reference_table_with_z_196(x, n, low, high):
    got_low, got_high = wilson(x, n, z=1.96)
    assert got_low == pytest.approx(low, abs=5e-8)
    assert got_high == pytest.approx(high, abs=5e-8)


def test_wilson_with_the_exact_quantile():
    # REFERENCE-NUMBERS.md: with z = 1.959964, 10/100 → 0.0552291 – 0.1743657.
    low, high = wilson(10, 100, 0.95)
    assert (float(low), float(high)) == pytest.approx((0.0552291, 0.1743657), abs=5e-7)


def test_wilson_of_nothing_is_empty():
    low, high = wilson([0], [0])
    assert np.isnan(low[0]) and np.isnan(high[0])


# Newcombe (1998), Statistics in Medicine 17:873–890, Table II, method 10.
@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    [
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (0, 10, 0, 10, -0.2775, 0.2775),
        (10, 10, 0, 20, 0.6791, 1.0000),
    ],
)
def test_newcombe_reproduces_the_published_examples(x1, n1, x2, n2, low, high):
    d, got_low, got_high = newcombe_difference(x1, n1, x2, n2)
    assert float(d) == pytest.approx(x1 / n1 - x2 / n2)
    assert float(got_low) == pytest.approx(low, abs=6e-5)
    assert float(got_high) == pytest.approx(high, abs=6e-5)


def test_mean_interval_is_the_t_interval():
    values = [3, 4, 5, 5, 2, 4, 4]
    mean, low, high, n = mean_interval(values, 0.9)
    expected = sps.t.interval(0.9, len(values) - 1, loc=np.mean(values), scale=sps.sem(values))
    assert (low, high) == pytest.approx(expected)
    assert n == 7 and mean == pytest.approx(np.mean(values))


def test_mean_interval_edge_cases():
    assert mean_interval([])[3] == 0 and np.isnan(mean_interval([])[0])
    mean, low, high, n = mean_interval([4])
    assert mean == 4 and np.isnan(low) and n == 1
    mean, low, high, n = mean_interval([3, 3, 3])
    assert low == high == 3


def test_effective_n_is_kish():
    # REFERENCE-NUMBERS.md: effective n = (Σw)² / Σw².
    assert effective_n([2, 2, 2]) == pytest.approx(3)
    assert effective_n([1, 1, 4]) == pytest.approx(36 / 18)


def test_correlation_interval_brackets_and_handles_edges():
    low, high = correlation_interval(0.3, 20, method="kendall")
    assert low < 0.3 < high
    assert correlation_interval(1.0, 10, method="spearman") == (1.0, 1.0)
    assert all(np.isnan(correlation_interval(0.2, 3, method="spearman")))
    with pytest.raises(ValueError):
        correlation_interval(0.2, 30, method="pearson")


def test_confidence_outside_0_1_is_a_clear_error():
    with pytest.raises(DataValidationError, match="between 0 and 1"):
        wilson(1, 2, 95)


@given(
    x=st.integers(0, 500),
    extra=st.integers(0, 500),
    confidence=st.floats(0.5, 0.995),
)
def test_wilson_brackets_the_share_and_widens_with_confidence(x, extra, confidence):
    n = x + extra
    if n == 0:
        return
    low, high = wilson(x, n, confidence)
    wider_low, wider_high = wilson(x, n, min(confidence + 0.004, 0.999))
    p = x / n
    assert 0 <= low <= p <= high <= 1
    assert wider_low <= low + 1e-12 and wider_high >= high - 1e-12


@given(x1=st.integers(0, 60), n1=st.integers(1, 60), x2=st.integers(0, 60), n2=st.integers(1, 60))
def test_newcombe_brackets_the_difference(x1, n1, x2, n2):
    x1, x2 = min(x1, n1), min(x2, n2)
    d, low, high = newcombe_difference(x1, n1, x2, n2)
    assert -1 - 1e-12 <= low <= d <= high <= 1 + 1e-12


def test_cohens_kappa_worked_examples():
    from toolkit._stats import cohens_kappa

    # SAS/STAT PROC FREQ "Agreement Study" (two dermatologists, 88 patients): kappa
    # 0.3449, ASE 0.0724, 95% limits 0.2030 and 0.4868.
    skin = [[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]]
    k = cohens_kappa(skin)
    assert (round(k["kappa"], 4), round(k["se"], 4)) == (0.3449, 0.0724)
    assert (round(k["low"], 4), round(k["high"], 4)) == (0.2030, 0.4868)
    assert k["n"] == 88
    # Wikipedia's 50 grant proposals (20 yes/yes, 5, 10, 15 no/no): kappa 0.4.
    assert cohens_kappa([[20, 5], [10, 15]])["kappa"] == pytest.approx(0.4)
    # a wider confidence, a wider interval
    assert cohens_kappa(skin, 0.99)["low"] < k["low"]


def test_cohens_kappa_edges():
    from toolkit._stats import cohens_kappa

    perfect = cohens_kappa([[5, 0], [0, 7]])
    assert perfect["kappa"] == pytest.approx(1) and perfect["se"] == pytest.approx(0)
    one_category = cohens_kappa([[9]])  # chance agreement 1: kappa undefined
    assert np.isnan(one_category["kappa"]) and one_category["agreement"] == 1
    assert np.isnan(cohens_kappa([[0, 0], [0, 0]])["kappa"])
    with pytest.raises(DataValidationError, match="square table"):
        cohens_kappa([[1, 2, 3]])
