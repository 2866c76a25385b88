"""Satisfaction charts, tested on their Vega-Lite specs (never on pixels)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from toolkit.charts.satisfaction import (
    before_after_chart,
    control_chart_chart,
    estimate_words,
    satisfaction_trend_chart,
)
from toolkit.satisfaction import before_after, control_chart, satisfaction_trend


def responses(n_per_quarter=30, quarters=8, seed=3, segments=("Residents", "Owners")):
    rng = np.random.default_rng(seed)
    parts = []
    for q in range(quarters):
        date = pd.Timestamp("2022-01-20") + pd.DateOffset(months=3 * q)
        for segment in segments:
            size = 3 if segment == "Owners" and q == 2 else n_per_quarter
            parts.append(
                pd.DataFrame(
                    {
                        "metric": "csat",
                        "score": rng.integers(1, 6, size),
                        "submitted_on": date,
                        "segment": segment,
                        "scale_min": 1,
                        "scale_max": 5,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


EVENTS = pd.DataFrame(
    {
        "starts_on": pd.to_datetime(["2023-01-01", "2030-01-01", "2022-06-01"]),
        "label": ["Launch", "Far future", "Owners only"],
        "segment": [None, None, "Owners"],
    }
)


def datasets(spec: dict) -> list[dict]:
    return [row for rows in spec["datasets"].values() for row in rows]


def test_trend_chart_draws_aggregates_with_intervals_n_and_events():
    trend = satisfaction_trend(responses())
    spec = satisfaction_trend_chart(trend, events=EVENTS).to_dict()
    rows = datasets(spec)
    points = [r for r in rows if r["layer"] == "point"]
    assert len(points) == 8  # one per quarter, never the 480 responses
    assert {"estimate", "ci_low", "ci_high", "n", "said"} <= set(points[0])
    events = [r for r in rows if r["layer"] == "event"]
    assert [e["event"] for e in events] == ["Owners only", "Launch"]  # the far future is out
    # Events are numbered in time order, each listed once under the title.
    assert spec["title"]["subtitle"][1:3] == [
        "1  Owners only (1 Jun 2022)",
        "2  Launch (1 Jan 2023)",
    ]
    text = json.dumps(spec)
    assert "n=60" in text  # n under each point with 16 periods or fewer
    assert spec["description"].startswith("Line chart of mean score over 8 periods")
    assert "with 95% intervals as a band and 2 events marked" in spec["description"]


def test_event_numbers_close_in_time_step_down_a_line_each():
    trend = satisfaction_trend(responses())
    close = pd.DataFrame(
        {
            "starts_on": pd.to_datetime(["2022-05-01", "2022-05-15", "2022-05-25", "2023-06-01"]),
            "label": ["Survey moved online", "New hours", "Roof repair", "Much later"],
        }
    )
    rows = datasets(satisfaction_trend_chart(trend, events=close).to_dict())
    ys = {r["event"]: r["label_y"] for r in rows if r["layer"] == "event"}
    # three events within four weeks: three lines; a year later the first line is free
    assert len({ys["Survey moved online"], ys["New hours"], ys["Roof repair"]}) == 3
    assert ys["Much later"] == ys["Survey moved online"]
    by = satisfaction_trend(responses(), by="segment")
    rows = datasets(satisfaction_trend_chart(by, events=close, by="segment").to_dict())
    owners = [r["label_y"] for r in rows if r["layer"] == "event" and r["group"] == "Owners"]
    assert len(set(owners[:3])) == 3  # each panel staggers its own numbers
    weekly = pd.DataFrame(
        {
            "starts_on": pd.date_range("2022-03-01", periods=40, freq="7D"),
            "label": [f"Week {i}" for i in range(40)],
        }
    )
    rows = datasets(satisfaction_trend_chart(trend, events=weekly).to_dict())
    assert max(r["label_y"] for r in rows if r["layer"] == "event") == 3 + 15 * 3


def test_trend_chart_by_segment_is_small_multiples_with_gaps_for_suppressed_periods():
    trend = satisfaction_trend(responses(), by="segment")
    spec = satisfaction_trend_chart(trend, events=EVENTS, by="segment").to_dict()
    assert spec["facet"]["field"] == "group"
    rows = datasets(spec)
    owners = [r for r in rows if r["layer"] == "point" and r["group"] == "Owners"]
    assert len(owners) == 8
    hidden = [r for r in owners if r["estimate"] is None or np.isnan(r["estimate"])]
    assert len(hidden) == 1  # the quarter with 3 answers breaks the line instead of joining it
    assert "1 period with too few responses is not shown." in spec["title"]["subtitle"]
    # The owners-only event is drawn in the owners' panel only.
    marks = [(r["group"], r["event"]) for r in rows if r["layer"] == "event"]
    assert ("Owners", "Owners only") in marks and ("Residents", "Owners only") not in marks


def test_nps_trend_axis_runs_minus_100_to_100():
    data = pd.DataFrame(
        {"metric": "nps", "score": [10, 9, 3, 7, 8] * 4, "submitted_on": pd.Timestamp("2024-03-03")}
    )
    spec = satisfaction_trend_chart(satisfaction_trend(data, metric="nps")).to_dict()
    y_scales = [
        layer["encoding"]["y"].get("scale")
        for layer in spec["layer"]
        if "y" in layer.get("encoding", {})
    ]
    assert {"domain": [-100, 100], "nice": False} in y_scales


def test_control_chart_marks_signals_better_and_worse():
    values = [50, 52, 49, 51, 50, 48, 51, 50, 58, 59, 57, 60, 58, 59, 61, 58]
    data = pd.DataFrame(
        {
            "metric": "csat",
            "score": values,
            "scale_min": 0,
            "scale_max": 100,
            "submitted_on": pd.date_range("2022-01-01", periods=16, freq="MS"),
        }
    )
    chart = control_chart(satisfaction_trend(data, period="month", min_n=1), baseline=8)
    spec = control_chart_chart(chart).to_dict()
    rows = datasets(spec)
    assert [r["status"] for r in rows].count("Better") == 8
    assert "8 points break a special-cause rule" in spec["title"]["subtitle"][0]
    lower = control_chart(
        satisfaction_trend(data, period="month", min_n=1), baseline=8, direction="lower"
    )
    rows = datasets(control_chart_chart(lower).to_dict())
    assert [r["status"] for r in rows].count("Worse") == 8


def test_before_after_chart_has_both_windows_per_event():
    data = responses(quarters=8, segments=("Residents",))
    ba = before_after(data, EVENTS.iloc[:1], metric="csat", min_n=1)
    spec = before_after_chart(ba).to_dict()
    rows = datasets(spec)
    assert sorted(r["side"] for r in rows) == ["After", "Before"]
    assert rows[0]["event"] == "Launch (Jan 2023)"
    assert "After − before" in json.dumps(spec, ensure_ascii=False)
    assert rows[0]["difference"].startswith(("+", "−"))


@pytest.mark.parametrize(
    ("value", "measure", "expected"),
    [
        (3.6, "mean", "3.60"),
        (0.584, "top_box", "58%"),
        (-8.95, "nps", "−9"),
        (0.2, "nps", "0"),
        (None, "mean", "–"),
    ],
)
def test_estimate_words(value, measure, expected):
    assert estimate_words(value, measure) == expected
