"""Closing the loop (issue #21): the decision matrix and needs over time."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit import _stats
from toolkit.catalog import run_analysis
from toolkit.loop import NO_ACTION, actions_for, decision_matrix, needs_trend

# ------------------------------------------------------------------ decision matrix

GAP = pd.DataFrame(
    {
        "segment": ["Parents", "Parents", "Parents", "Seniors", "Seniors"],
        "code": ["milk", "after_school", "pantry", "transport", "milk"],
        "label": ["Milk", "After school", "Pantry", "Transport", "Milk"],
        "classification": [
            "blind spot",
            "shared priority",
            "assumed only",
            "blind spot",
            "low priority",
        ],
        "customer_n": [12, 8, 1, 9, 2],
        "customer_total": [20, 20, 20, 15, 15],
        "customer_share": [0.6, 0.4, 0.05, 0.6, 0.13],
        "customer_ci_low": [0.39, 0.22, 0.01, 0.36, 0.04],
        "customer_ci_high": [0.78, 0.61, 0.24, 0.80, 0.38],
        "suppressed": [False] * 5,
    }
)
PRIORITIES = pd.DataFrame(
    {"segment": ["Parents", "parents ", "Seniors"], "tier": ["medium", "high", "low"]}
)
QUADRANTS = pd.DataFrame(
    {
        "segment": ["Parents", "Seniors", "Seniors"],
        "code": ["after_school", "transport", "milk"],
        "quadrant": ["Concentrate here", "Keep up the good work", "Concentrate here"],
    }
)
ACTIONS = pd.DataFrame(
    {
        "code": ["milk", "milk", None, "after_school"],
        "segment": [None, "Seniors", "Seniors", "Parents"],
        "action": ["Milk on Tuesdays", "Milk delivered", "Monthly coffee morning", "Club"],
        "status": ["under way", "done", "planned", "dropped"],
        "owner": ["Ana", "Bo", "Cy", "Di"],
    }
)


def test_the_matrix_ranks_open_needs_with_reasons_and_actions():
    out = decision_matrix(GAP, PRIORITIES, QUADRANTS, ACTIONS)
    # Parents are high priority (their best customer). Evidence first (a blind spot or
    # concentrate here), then the tier, then the share.
    assert list(zip(out["segment"], out["code"], strict=True)) == [
        ("Parents", "milk"),  # blind spot, high tier
        ("Parents", "after_school"),  # concentrate here, high tier
        ("Seniors", "transport"),  # blind spot, low tier
    ]
    assert out["rank"].tolist() == [1, 2, 3]
    first = out.iloc[0]
    assert (first["segment"], first["code"], first["tier"]) == ("Parents", "milk", "high")
    assert first["action"] == "Milk on Tuesdays" and first["action_status"] == "under way"
    assert first["reason"] == (
        "Parents, a high-priority group: a blind spot (60% of them named it, staff rarely did)."
    )
    assert out.iloc[2][["segment", "code", "tier"]].tolist() == ["Seniors", "transport", "low"]
    # a group-wide action counts for a need of the group no action names
    assert out.iloc[2]["action"] == "Monthly coffee morning (for the whole group)"
    # a dropped action is no action
    after = out.set_index("code").loc["after_school"]
    assert after["action"] == NO_ACTION and after["quadrant"] == "Concentrate here"
    assert "rated important but poorly met (concentrate here)" in after["reason"]
    # the Seniors' milk is done: off the matrix unless asked for; assumed only is never on it
    assert ("Seniors", "milk") not in set(zip(out["segment"], out["code"], strict=True))
    assert "pantry" not in set(out["code"])
    both = decision_matrix(GAP, PRIORITIES, QUADRANTS, ACTIONS, include_done=True)
    done = both[(both["segment"] == "Seniors") & (both["code"] == "milk")].iloc[0]
    assert done["action_status"] == "done" and not done["open"]


def test_a_possible_blind_spot_is_on_the_matrix_and_says_it_is_uncertain():
    gap = GAP.copy()
    gap.loc[3, "classification"] = "possible blind spot"
    out = decision_matrix(gap, PRIORITIES, QUADRANTS, ACTIONS)
    row = out[(out["segment"] == "Seniors") & (out["code"] == "transport")].iloc[0]
    assert row["reason"] == (
        "Seniors, a low-priority group: a possible blind spot (60% of them named it, staff "
        "rarely did, but too few answers to be sure)."
    )
    # weaker evidence than a blind spot: ranked after the Parents' milk and after-school
    assert row["rank"] == 3


def test_actions_for_prefers_the_need_then_the_group():
    found = actions_for(ACTIONS, "milk", "Seniors")
    assert found["action"].tolist() == ["Milk delivered", "Milk on Tuesdays"]
    assert actions_for(ACTIONS, "housing", "seniors")["action"].tolist() == [
        "Monthly coffee morning"
    ]
    assert actions_for(ACTIONS, "housing", "Parents").empty


# ------------------------------------------------------------------ needs over time


def _statements(counts: dict[str, tuple[int, int]], date: str, prefix: str) -> list[dict]:
    """``counts``: code -> (respondents naming it, respondents in all)."""
    rows = []
    total = max(t for _, t in counts.values())
    for i in range(total):
        said = [code for code, (n, _) in counts.items() if i < n] or ["not_a_need"]
        rows += [
            {"respondent_id": f"{prefix}{i}", "code": c, "collected_on": pd.Timestamp(date)}
            for c in said
        ]
    return rows


def test_needs_trend_shares_and_changes_by_hand():
    stated = pd.DataFrame(
        _statements({"milk": (40, 100), "club": (10, 100)}, "2024-02-01", "a")
        + _statements({"milk": (15, 100), "club": (35, 100)}, "2024-11-01", "b")
    )
    out = needs_trend(stated, period="quarter").set_index(["period", "code"])
    assert out.loc[("2024-Q1", "milk"), "customer_share"] == pytest.approx(0.40)
    assert out.loc[("2024-Q4", "club"), "customer_share"] == pytest.approx(0.35)
    low, high = _stats.wilson(35, 100, 0.95)
    assert out.loc[("2024-Q4", "club"), ["customer_ci_low", "customer_ci_high"]].tolist() == (
        pytest.approx([float(low), float(high)])
    )
    club = out.loc[("2024-Q4", "club")]
    _, d_low, d_high = _stats.newcombe_difference(35, 100, 10, 100, 0.95)
    assert club["difference"] == pytest.approx(0.25)
    assert (club["ci_low"], club["ci_high"]) == pytest.approx((float(d_low), float(d_high)))
    assert club["p_value"] == pytest.approx(float(_stats.newcombe_p_value(35, 100, 10, 100)))
    assert club["change"] == "up" and out.loc[("2024-Q4", "milk"), "change"] == "down"
    assert club["top"] and club["top_changed"] and club["previous_period"] == "2024-Q1"
    assert not out.loc[("2024-Q1", "milk"), "top_changed"]
    assert out.loc[("2024-Q1", "milk"), "change"] == "not tested"


def test_needs_trend_uses_waves_when_statements_have_them():
    stated = pd.DataFrame(
        _statements({"milk": (6, 10)}, "2024-02-01", "a")
        + _statements({"milk": (5, 10)}, "2024-02-02", "b")
    )
    stated["wave"] = ["first"] * 10 + ["second"] * 10
    out = needs_trend(stated)
    assert out["period"].unique().tolist() == ["first", "second"]
    assert (out["period_rule"] == "wave").all()


def test_a_period_under_min_n_is_suppressed_and_compared_with_nothing():
    stated = pd.DataFrame(
        _statements({"milk": (2, 3)}, "2024-02-01", "a")
        + _statements({"milk": (5, 10)}, "2024-05-01", "b")
    )
    out = needs_trend(stated, period="quarter", min_n=5).set_index("period")
    assert out.loc["2024-Q1", "suppressed"] and pd.isna(out.loc["2024-Q1", "customer_share"])
    assert out.loc["2024-Q2", "change"] == "not tested"


# ------------------------------------------------------------------ the demo


@pytest.fixture(scope="module")
def riverside(tmp_path_factory):
    from toolkit.demo.build import init_demo

    return init_demo(tmp_path_factory.mktemp("demo") / "riverside")


def test_needs_trend_flags_the_demo_shift_from_milk_to_after_school(riverside):
    out = run_analysis(riverside, "needs-trend")
    assert out["period"].unique().tolist() == ["2024 spring", "2024 autumn", "2025 spring"]
    tops = out[out["top"]].set_index("period")["code"]
    assert tops["2024 spring"] == "perishable_food"
    assert tops["2025 spring"] == "youth_programs"
    shift = out[out["top_changed"]]
    assert shift["code"].tolist() == ["youth_programs"]
    assert shift["period"].tolist() == ["2024 autumn"]
    after_school = out[out["code"] == "youth_programs"].set_index("period")
    assert after_school.loc["2024 autumn", "change"] == "up"
    milk = out[out["code"] == "perishable_food"].set_index("period")
    assert milk.loc["2025 spring", "customer_share"] < milk.loc["2024 spring", "customer_share"]


def test_the_demo_decision_matrix_shows_actions_and_gaps(riverside):
    out = run_analysis(riverside, "decision-matrix")
    assert out["open"].all() and out["rank"].tolist() == list(range(1, len(out) + 1))
    rows = out.set_index(["segment", "code"])
    # milk for everyone is done (A1): off the open matrix; the planned Saturday opening shows
    assert ("Residents", "perishable_food") not in rows.index
    assert rows.loc[("Residents", "opening_hours"), "action_status"] == "planned"
    assert (out["action"] == NO_ACTION).sum() > 0
    assert out.iloc[0]["classification"] == "blind spot"
    # the action under way made its event, which before-after can now mark; the two that
    # name events already recorded use them
    events = riverside.events.set_index("label")
    assert events.loc["Business association meetings began", "segment"] == "Business owners"
    assert len(events) == 5


# ------------------------------------------------------------------ regular evaluation


def _answers(when: str, wave: str, segments: dict[str, int], metric="csat") -> list[dict]:
    return [
        {
            "metric": metric,
            "submitted_on": pd.Timestamp(when),
            "wave": wave,
            "segment": segment,
            "respondent_id": f"{wave}-{segment}-{i}",
        }
        for segment, n in segments.items()
        for i in range(n)
    ]


def test_the_schedule_says_when_each_metric_is_due_and_whom_to_ask_again():
    from toolkit.loop import evaluation_schedule

    responses = pd.DataFrame(
        _answers("2024-01-15", "2024 Q1", {"Residents": 30, "Owners": 8})
        + _answers("2024-04-10", "2024 Q2", {"Residents": 25, "Owners": 3, "Youth": 1})
        + _answers("2024-02-01", "2024 H1", {"Residents": 9}, metric="nps")
    )
    stated = pd.DataFrame({"collected_on": pd.to_datetime([]), "segment": [], "respondent_id": []})
    out = evaluation_schedule(
        responses,
        stated,
        every={"csat": "quarter", "nps": "year", "needs": "half-year"},
        min_n=5,
        today="2024-07-20",
    ).set_index("metric")
    csat = out.loc["csat"]
    assert csat["last_wave"] == "2024 Q2" and csat["respondents"] == 29
    assert csat["next_due"] == pd.Timestamp("2024-07-10") and csat["status"] == "overdue"
    assert csat["days"] == -10
    assert csat["ask_again"] == "Owners (3); Youth (1)"
    nps = out.loc["nps"]
    assert nps["status"] == "not yet" and nps["next_due"] == pd.Timestamp("2025-02-01")
    assert nps["ask_again"] == ""
    assert out.loc["needs", "status"] == "never asked"


def test_a_group_nobody_answered_last_wave_is_asked_again():
    # Reader 7: a group heard in an earlier wave, or counted in the population, and by
    # nobody in the last wave was left out of ask_again (it had no row to count).
    from toolkit.loop import evaluation_schedule

    stated = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(16)],
            "segment": ["Residents"] * 6 + ["Board"] * 6 + ["Residents"] * 4,
            "collected_on": ["2024-03-01"] * 12 + ["2024-09-01"] * 4,
            "wave": ["spring"] * 12 + ["autumn"] * 4,
            "code": "milk",
        }
    )
    responses = pd.DataFrame(columns=["metric", "submitted_on", "segment", "respondent_id"])
    out = evaluation_schedule(
        responses,
        stated,
        every={"needs": "half-year"},
        min_n=5,
        today="2024-10-01",
        groups=["Volunteers", "Residents"],
    )
    assert out.loc[0, "ask_again"] == "Board (0); Residents (4); Volunteers (0)"


def test_the_schedule_refuses_an_unknown_metric():
    from toolkit.errors import DataValidationError
    from toolkit.loop import evaluation_schedule

    with pytest.raises(DataValidationError, match="'satisfaction', which is not a metric"):
        evaluation_schedule(
            pd.DataFrame(columns=["metric"]), pd.DataFrame(), every={"satisfaction": "year"}
        )


def test_status_says_what_is_due(riverside, run):
    toml = riverside.path / "engagement.toml"
    text = toml.read_text(encoding="utf-8")
    assert 'needs = "half-year"' in text  # the demo asks on a schedule
    try:
        result = run("status", riverside.path)
        assert result.exit_code == 0
        assert "needs  every half-year: last wave 2025 spring (57 respondents); overdue" in (
            result.output
        )
        # the listening groups of earlier rounds nobody from was heard in the last one
        assert "ask them specifically: Board (0); Business owners (0);" in result.output
        toml.write_text(text.replace('needs = "half-year"', 'needs = "fortnight"'), "utf-8")
        bad = run("status", riverside.path)
        assert bad.exit_code == 1 and "evaluate_every.needs" in bad.output + bad.stderr
    finally:
        toml.write_text(text, encoding="utf-8")


def test_a_need_nobody_names_any_more_falls_to_zero_and_is_tested():
    """A need named in one period and by nobody in the next gets a 0% row with its Wilson
    interval and a "down" change, as a new need gets "up"."""
    stated = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(80)],
            "code": ["milk"] * 30 + ["bus"] * 10 + ["bus"] * 40,
            "collected_on": pd.to_datetime(["2024-01-15"] * 40 + ["2024-04-15"] * 40),
        }
    )
    codebook = pd.DataFrame({"code": ["milk", "bus"], "label": ["Milk", "Bus"]})
    out = needs_trend(stated, codebook=codebook).set_index(["period", "code"])
    gone = out.loc[("2024-Q2", "milk")]
    assert gone["customer_n"] == 0 and gone["customer_total"] == 40
    assert gone["customer_share"] == 0.0
    low, high = _stats.wilson(0, 40, 0.95)
    assert gone["customer_ci_low"] == pytest.approx(low) and gone[
        "customer_ci_high"
    ] == pytest.approx(high)
    assert gone["change"] == "down"
    assert out.loc[("2024-Q2", "bus"), "change"] == "up"


def test_needs_trend_on_an_engagement_with_no_statements_is_an_empty_table(engagement):
    # an empty engagement gave "a parameter has the wrong kind of value"
    out = run_analysis(engagement, "needs-trend")
    assert out.empty
    assert {"period", "period_start", "code", "customer_share", "change"} <= set(out.columns)
    assert run_analysis(engagement, "needs-trend", params={"period": "month"}).empty
