"""A multi-year quarterly tracker exported from Qualtrics, imported with the survey importer,
then trended: per-quarter n, means, NPS and intervals against what the file holds, and the
before/after effect of a known program launch."""

from __future__ import annotations

import csv
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit.satisfaction import before_after, period_changes, satisfaction_trend
from toolkit.store import Engagement

LABELS = [
    "Very dissatisfied",
    "Dissatisfied",
    "Neither satisfied nor dissatisfied",
    "Satisfied",
    "Very satisfied",
]
GROUPS = ["Resident", "Business owner"]


def write_tracker(path, seed=4):
    """Twelve quarters of a Qualtrics export (choice text), with previews and unfinished rows.

    Returns the real responses as a frame (quarter, csat 1–5, nps 0–10, segment).
    """
    rng = np.random.default_rng(seed)
    header = [
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "RecipientEmail",
        "Q1",
        "Q3",
        "Q4",
    ]
    texts = [
        "Start Date",
        "End Date",
        "Response Type",
        "IP Address",
        "Progress",
        "Finished",
        "Recorded Date",
        "Response ID",
        "Recipient Email",
        "Overall, how satisfied are you with our service?",
        "How likely is it that you would recommend us to a friend or colleague?",
        "Which of these describes you?",
    ]
    ids = [
        {"ImportId": k}
        for k in (
            "startDate",
            "endDate",
            "status",
            "ipAddress",
            "progress",
            "finished",
            "recordedDate",
            "_recordId",
            "recipientEmail",
            "QID1",
            "QID3",
            "QID4",
        )
    ]
    rows = [header, texts, [json.dumps(i, separators=(",", ":")) for i in ids]]
    real = []
    n = 0
    for q in range(12):
        quarter_start = dt.date(2022, 1, 1) + pd.DateOffset(months=3 * q)
        launched = q >= 6  # the program launched on 1 July 2023
        for _ in range(int(rng.integers(35, 60))):
            n += 1
            day = pd.Timestamp(quarter_start) + pd.Timedelta(
                days=int(rng.integers(5, 80)), hours=12
            )
            csat = int(np.clip(round(rng.normal(3.0 + (0.8 if launched else 0.0), 1.0)), 1, 5))
            nps = int(np.clip(round(rng.normal(6.0 + (1.5 if launched else 0.0), 2.2)), 0, 10))
            group = GROUPS[int(rng.integers(0, 2))]
            kind = rng.choice(["ok"] * 18 + ["preview", "unfinished"])
            stamp = day.strftime("%Y-%m-%d %H:%M:%S")
            rows.append(
                [
                    stamp,
                    stamp,
                    "Survey Preview" if kind == "preview" else "IP Address",
                    "203.0.113.7",
                    "100" if kind != "unfinished" else "40",
                    "False" if kind == "unfinished" else "True",
                    stamp,
                    f"R_{n:05d}",
                    f"person{n}@example.org",
                    LABELS[csat - 1],
                    str(nps),
                    group,
                ]
            )
            if kind == "ok":
                real.append(
                    {
                        "quarter": str(day.to_period("Q")).replace("Q", "-Q"),
                        "csat": csat,
                        "nps": nps,
                        "segment": group,
                        "when": day,
                    }
                )
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows(rows)
    return pd.DataFrame(real)


@pytest.fixture(scope="module")
def tracker(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tracker")
    path = folder / "quarterly-tracker.csv"
    truth = write_tracker(path)
    engagement = Engagement.init(folder / "eng", name="tracker")
    result = engagement.import_file(
        path, table="responses", metrics={"csat": "Q1", "nps": "Q3"}, columns={"segment": "Q4"}
    )
    return engagement, truth, result


def test_import_excludes_previews_and_unfinished_and_recodes_labels(tracker):
    engagement, truth, result = tracker
    assert result.source_format == "qualtrics"
    assert result.rows_added == 2 * len(truth)  # one row per metric
    responses = engagement.responses
    csat = responses[responses["metric"] == "csat"]
    assert set(csat["score"]) <= {1, 2, 3, 4, 5} and set(csat["scale_max"]) == {5}


def test_quarterly_trend_matches_the_file(tracker):
    engagement, truth, _ = tracker
    trend = satisfaction_trend(engagement.responses, metric="csat", period="quarter")
    expected = truth.groupby("quarter")["csat"].agg(["size", "mean", "std"])
    assert trend["period"].tolist() == expected.index.tolist()
    assert trend["n"].tolist() == expected["size"].tolist()
    assert trend["mean"].tolist() == pytest.approx(expected["mean"].tolist())
    half = stats.t.ppf(0.975, expected["size"] - 1) * expected["std"] / np.sqrt(expected["size"])
    assert (trend["mean"] - trend["mean_ci_low"]).tolist() == pytest.approx(half.tolist())


def test_quarterly_nps_matches_the_file(tracker):
    engagement, truth, _ = tracker
    trend = satisfaction_trend(engagement.responses, metric="nps", period="quarter", by="segment")
    for row in trend.itertuples(index=False):
        part = truth[(truth["quarter"] == row.period) & (truth["segment"] == row.segment)]
        promoters, detractors = (part["nps"] >= 9).mean(), (part["nps"] <= 6).mean()
        assert row.n == len(part)
        assert row.nps == pytest.approx(100 * (promoters - detractors))


def test_the_program_launch_shows_as_a_real_improvement(tracker):
    engagement, truth, _ = tracker
    events = pd.DataFrame(
        {
            "starts_on": [pd.Timestamp("2023-07-01")],
            "ends_on": [pd.NaT],
            "label": ["Program launched"],
            "segment": [None],
        }
    )
    row = before_after(engagement.responses, events, metric="csat", before=91, after=91).iloc[0]
    start = pd.Timestamp("2023-07-01")
    before = truth[(truth["when"] >= start - pd.Timedelta(days=91)) & (truth["when"] < start)]
    after = truth[(truth["when"] >= start) & (truth["when"] < start + pd.Timedelta(days=91))]
    assert row["n_before"] == len(before) and row["n_after"] == len(after)
    assert row["difference"] == pytest.approx(after["csat"].mean() - before["csat"].mean())
    assert row["change"] == "better" and row["its_level_change"] > 0.4
    changes = period_changes(satisfaction_trend(engagement.responses, metric="csat"))
    assert changes.set_index("period").loc["2023-Q3", "change"] == "better"
