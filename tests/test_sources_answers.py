"""Answer labels to numbers: standard English scales, numbered labels, a map's recodes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.sources.answers import STANDARD_SCALES, recode_answers


@pytest.mark.parametrize(
    ("answers", "expected", "scale"),
    [
        (
            ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
            [1, 2, 3, 4, 5],
            (1, 5),
        ),
        (
            [
                "Extremely dissatisfied",
                "Somewhat dissatisfied",
                "Neither satisfied nor dissatisfied",
                "Somewhat satisfied",
                "Extremely satisfied",
            ],
            [1, 2, 3, 4, 5],
            (1, 5),
        ),
        (
            [
                "Strongly disagree",
                "Disagree",
                "Neither agree nor disagree",
                "Agree",
                "Strongly agree",
            ],
            [1, 2, 3, 4, 5],
            (1, 5),
        ),
        (
            ["Strongly disagree", "Somewhat disagree", "Somewhat agree", "Agree", "Strongly agree"],
            [1, 3, 5, 6, 7],
            (1, 7),
        ),  # "Somewhat" beside plain "Agree": only the 7-point scale fits
        (["very_easy", "difficult", "NEITHER EASY NOR DIFFICULT"], [5, 2, 3], (1, 5)),
        (
            ["0 - Not at all likely", "5", "10 - Extremely likely", "Extremely likely 10"],
            [0, 5, 10, 10],
            None,
        ),
    ],
)
def test_standard_scales(answers, expected, scale):
    numbers, bad, found, _ = recode_answers(pd.Series(answers))
    assert numbers.tolist() == expected and not bad.any() and found == scale


def test_the_metrics_scale_size_breaks_a_tie():
    answers = pd.Series(["Agree", "Strongly agree", "Disagree"])
    assert recode_answers(answers)[2] == (1, 5)
    numbers, _, scale, _ = recode_answers(answers, size=7)
    assert scale == (1, 7) and numbers.tolist() == [6, 7, 2]


def test_the_maps_recodes_win_and_unknown_labels_are_bad():
    answers = pd.Series(["Over the moon", "Satisfied", "", "Meh"])
    numbers, bad, _, _ = recode_answers(answers, values={"over the moon": 5})
    assert numbers.tolist()[:2] == [5, 4] and bad.tolist() == [False, False, False, True]


@given(st.sampled_from(STANDARD_SCALES), st.data())
def test_every_scale_recodes_its_own_words_in_order(scale, data):
    words = [data.draw(st.sampled_from(w)) for _, w in scale.points]
    numbers, bad, found, _ = recode_answers(pd.Series(words), size=scale.high)
    assert not bad.any()
    assert np.array_equal(numbers.to_numpy(), np.arange(scale.low, scale.high + 1))
