"""Closing the loop in the reports (issue #21): the action behind each blind spot, needs over
time, when to ask again, and the university demo's participation and weights."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest

from toolkit import _stats
from toolkit.catalog import make_weighting, run_analysis
from toolkit.loop import NO_ACTION, actions_for, needs_since_first, needs_trend
from toolkit.reports.findings import needs_findings
from toolkit.store import apply_subset


@pytest.fixture(scope="module")
def riverside(tmp_path_factory):
    from toolkit.demo.build import init_demo

    return init_demo(tmp_path_factory.mktemp("demo") / "riverside")


@pytest.fixture(scope="module")
def university(tmp_path_factory):
    from toolkit.demo.build import init_demo

    return init_demo(tmp_path_factory.mktemp("demo") / "university", "university")


@pytest.fixture(scope="module")
def needs_report(riverside):
    from toolkit.reports.needs import open_needs_report

    return open_needs_report(riverside.path, interactive=False)


def _text(markdown) -> str:
    return markdown.data


# ------------------------------------------------------------------ what we did about it

ACTIONS = pd.DataFrame(
    {
        "code": ["milk", "milk", "bus", None],
        "segment": [None, "Parents", "Seniors", "Parents"],
        "action": ["Milk at the pantry", "Milk on the van", "A bus pass", "A parents' evening"],
        "owner": ["Ana", "Ben", "Cy", "Di"],
        "status": ["done", "under way", "dropped", "planned"],
    }
)


def test_every_group_finds_each_live_action_naming_the_need_whoever_it_is_for():
    found = actions_for(ACTIONS, "milk", every_group=True)
    assert found["action"].tolist() == ["Milk at the pantry", "Milk on the van"]
    # a dropped action never counts; one about a group as a whole is not about the need
    assert actions_for(ACTIONS, "bus", every_group=True).empty
    assert actions_for(ACTIONS, "childcare", "Parents", every_group=True).empty
    # without it, one group's view is unchanged: the whole-group action stands in
    assert actions_for(ACTIONS, "childcare", "Parents")["action"].tolist() == ["A parents' evening"]


def test_a_subset_keeps_the_actions_for_everyone():
    kept = apply_subset({"actions": ACTIONS}, {"segment": "Seniors"})["actions"]
    assert kept["action"].tolist() == ["Milk at the pantry", "A bus pass"]


def test_the_needs_report_lists_the_action_behind_each_blind_spot(needs_report):
    from toolkit.needs import importance_performance, needs_gap
    from toolkit.reports.loop import actions_taken

    ctx = needs_report
    gap = needs_gap(ctx.assumed, ctx.stated, codebook=ctx.codebook, min_n=ctx.min_n)
    ip = importance_performance(ctx.stated, codebook=ctx.codebook, min_n=ctx.min_n)
    summary, table = actions_taken(ctx, gap, ip)
    rows = table.frame
    milk = rows[rows["Need"] == "Milk and perishable food"]
    # the demo's two milk actions: for everyone (done) and on the outreach van
    assert milk["Action"].tolist() == [
        "Fresh milk and produce at the pantry every Tuesday and Friday",
        "Milk and fruit on the outreach van",
    ]
    assert milk["Status"].tolist() == ["done", "under way"]
    assert milk["Owner"].tolist() == ["Food program lead", "Outreach worker"]
    assert milk["When"].tolist() == ["done 1 Jul 2023", "since 15 Apr 2024"]
    assert milk["For"].tolist() == ["everyone", "People without housing"]
    assert "blind spot" in milk["Why it is here"].iloc[0]
    # a flagged need nobody acted on says so, and the sentence counts them
    waiting = rows[rows["Action"] == NO_ACTION]
    assert len(waiting) and (waiting["Status"] == "").all()
    assert f"{waiting['Need'].nunique()} have no action yet" in _text(summary)
    # the dropped second pantry is nowhere
    assert not rows["Action"].str.contains("second food pantry").any()


def test_a_blind_spot_without_an_action_is_a_finding():
    gap = pd.DataFrame(
        {
            "code": ["milk", "bus", "pantry"],
            "label": ["Milk", "Bus", "Pantry"],
            "staff_n": [0, 0, 10],
            "staff_total": [10, 10, 10],
            "staff_share": [0.0, 0.0, 1.0],
            "customer_n": [80, 40, 10],
            "customer_total": [200, 200, 200],
            "customer_share": [0.4, 0.2, 0.05],
            "customer_ci_low": [0.33, 0.15, 0.03],
            "customer_ci_high": [0.47, 0.26, 0.09],
            "classification": ["blind spot", "possible blind spot", "assumed only"],
            "suppressed": [False] * 3,
        }
    )
    texts = [f.text for f in needs_findings(gap, actions=ACTIONS)]
    assert "No action is recorded yet for Bus (20% of customers), a possible blind spot." in texts
    # no actions table given: no such finding; every blind spot acted on: none either
    assert not [t for t in (f.text for f in needs_findings(gap)) if "No action" in t]
    acted = pd.concat([ACTIONS, ACTIONS.iloc[[0]].assign(code="bus")], ignore_index=True)
    assert not [t for t in (f.text for f in needs_findings(gap, actions=acted)) if "No action" in t]


def test_what_to_act_on_next_is_the_decision_matrix_in_words(needs_report, riverside):
    from toolkit.reports.loop import act_next

    summary, table = act_next(needs_report, top=3)
    matrix = run_analysis(riverside, "decision-matrix")
    assert table.frame["Why"].tolist() == matrix["reason"].head(3).tolist()
    assert f"first 3 of {len(matrix)} open needs" in _text(summary)


# ------------------------------------------------------------------ needs over time


def test_the_change_since_the_first_period_is_tested_as_the_period_changes_are():
    stated = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(120)],
            "code": ["milk"] * 30 + ["bus"] * 20 + ["park"] * 30 + ["milk"] * 10 + ["bus"] * 30,
            "collected_on": pd.to_datetime(["2024-01-15"] * 80 + ["2024-04-15"] * 40),
        }
    )
    codebook = pd.DataFrame({"code": ["milk", "bus", "park"], "label": ["Milk", "Bus", "Park"]})
    since = needs_since_first(needs_trend(stated, codebook=codebook)).set_index("code")
    milk = since.loc["milk"]
    # 30 of 80 in Q1, 10 of 40 in Q2: Newcombe's interval for 10/40 − 30/80
    diff, low, high = _stats.newcombe_difference(10, 40, 30, 80, 0.95)
    assert milk["difference"] == pytest.approx(10 / 40 - 30 / 80)
    assert (milk["ci_low"], milk["ci_high"]) == pytest.approx((low, high))
    assert milk["change"] == ("down" if high < 0 else "no clear change")
    assert since.loc["bus", "change"] == "up"  # 20/80 → 30/40: +50 points
    assert since.loc["park", "change"] == "down"  # 30/80 → 0/40
    assert since.loc["bus", "first_period"] == "2024-Q1" and milk["latest_total"] == 40
    # one period: nothing to compare
    one = needs_trend(stated.iloc[:80], codebook=codebook)
    assert needs_since_first(one).empty


def test_the_needs_report_shows_milk_falling_and_after_school_rising(needs_report):
    from toolkit.reports.loop import needs_over_time

    words, chart, table = needs_over_time(needs_report)
    text = _text(words)
    assert text.startswith("## Needs over time")
    assert (
        "**The most-named need changed in 2024 autumn**: **Programs for young people** "
        "(38% of 52) took the place of **Milk and perishable food** (38%) in 2024 spring."
    ) in text
    assert "clearly up: **Programs for young people** (4% → 56%" in text
    assert "clearly down: **Milk and perishable food** (38% → 21%, −17 points" in text
    # the later rounds asked two groups only, and the report says so
    assert (
        "2024 autumn and 2025 spring heard only from People without housing and Residents" in text
    )
    rows = table.frame.set_index("Need")
    assert list(rows.columns) == ["2024 spring", "2024 autumn", "2025 spring", "Since 2024 spring"]
    assert rows.loc["Programs for young people", "2024 autumn"].endswith("▲")
    assert rows.loc["Milk and perishable food", "Since 2024 spring"] == "−17 points, a clear fall"
    spec = json.dumps(chart.to_dict(), ensure_ascii=False)
    assert "▼ −17 points since 2024 spring" in spec and "▲ +52 points since 2024 spring" in spec
    assert chart.to_dict()["vconcat" if "vconcat" in chart.to_dict() else "concat"][0]


def test_needs_over_time_counts_days_in_the_engagements_time_zone():
    # Reader 7: the report grouped statements by UTC day while `table needs-trend` used
    # the engagement's time zone, so the two could disagree on the periods.
    from toolkit.reports.loop import needs_over_time
    from toolkit.settings import DEFAULTS

    settings = {**DEFAULTS["settings"], "timezone": "Pacific/Auckland"}
    when = ["2024-01-15 12:00"] * 20 + ["2024-03-31 12:00"] * 20 + ["2024-07-15 12:00"] * 20
    stated = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(60)],
            "code": ["milk"] * 30 + ["bus"] * 30,
            "collected_on": pd.to_datetime(when),
        }
    )
    codebook = pd.DataFrame({"code": ["milk", "bus"], "label": ["Milk", "Bus"]})
    ctx = SimpleNamespace(
        engagement=SimpleNamespace(settings=settings),
        stated=stated,
        codebook=codebook,
        confidence=0.95,
        min_n=5,
        shell_path=lambda: "riverside",
    )
    words, _, _ = needs_over_time(ctx)
    # 31 March 12:00 UTC is 1 April in Auckland: three quarters, as the table has them
    table = needs_trend(stated, codebook=codebook, timezone="Pacific/Auckland")
    assert list(table["period"].unique()) == ["2024-Q1", "2024-Q2", "2024-Q3"]
    assert "2024-Q2 (20 people)" in _text(words), _text(words)


def test_one_period_shows_no_needs_over_time(university):
    from toolkit.reports.loop import needs_over_time
    from toolkit.reports.needs import open_needs_report

    assert needs_over_time(open_needs_report(university.path, interactive=False)) is None


# ------------------------------------------------------------------ when to ask again


def test_the_satisfaction_report_says_the_next_wave_is_overdue_and_whom_to_ask(riverside):
    from toolkit.reports.loop import next_wave

    responses = riverside.read_tables(["responses"])["responses"]
    responses = responses[responses["metric"] == "csat"]
    last = responses["wave"] == "2024 Q4"
    few = responses[last & (responses["segment"] == "Partner agencies")].head(3)
    kept = pd.concat([responses[~last | (responses["segment"] != "Partner agencies")], few])
    ctx = SimpleNamespace(
        engagement=riverside, tables={"responses": kept}, metric="csat", min_n=5, subset={}
    )
    text = _text(next_wave(ctx))
    assert "Satisfaction (CSAT) is asked every quarter. The last wave, 2024 Q4, ended" in text
    assert "**the next wave is overdue**: it was due" in text
    people = few["respondent_id"].nunique()
    # the population's groups nobody answered (Board, Volunteers) are named too
    assert f"Fewer than 5 answered in Board \\(0\\); Partner agencies \\({people}\\);" in text
    # a metric not on the schedule: how to put it there
    ctx.metric = "ces"
    assert '`ces = "quarter"`' in _text(next_wave(ctx))


def test_the_next_wave_names_a_group_nobody_answered_last_time(riverside):
    # Reader 7: a group absent from the last wave was never named to ask again.
    from toolkit.reports.loop import next_wave

    responses = riverside.read_tables(["responses"])["responses"]
    responses = responses[responses["metric"] == "csat"]
    gone = (responses["wave"] == "2024 Q4") & (responses["segment"] == "Partner agencies")
    ctx = SimpleNamespace(
        engagement=riverside,
        tables={"responses": responses[~gone]},
        metric="csat",
        min_n=5,
        subset={},
    )
    assert "Partner agencies \\(0\\)" in _text(next_wave(ctx))
    # a report on one group names no other
    ctx.subset = {"segment": "Residents"}
    ctx.tables = {"responses": responses[responses["segment"] == "Residents"]}
    assert "Fewer than 5 answered" not in _text(next_wave(ctx))


# ------------------------------------------------------------------ the university demo

#: The university demo's outreach (toolkit/demo/data/university_loop.toml), by hand.
UNIVERSITY_OUTREACH = {
    ("Students", "survey link"): (30, 600),
    ("Students", "focus group"): (10, 16),
    ("Faculty", "interview"): (8, 12),
    ("Staff", "survey link"): (0, 250),
    ("Campus units", "listening session"): (20, 30),
    ("Campus units", "interview"): (18, 24),
    ("Employers", "interview"): (8, 15),
    ("Policy makers", "interview"): (5, 8),
    ("Education partners", "interview"): (6, 10),
}
#: Its respondents per group (university_plan.csv) and population ([settings.population]).
UNIVERSITY_HEARD = {
    "Students": 40,
    "Faculty": 8,
    "Campus units": 38,
    "Employers": 8,
    "Policy makers": 5,
    "Education partners": 6,
}
UNIVERSITY_POPULATION = {
    "Students": 2400,
    "Faculty": 600,
    "Campus units": 900,
    "Employers": 300,
    "Policy makers": 60,
    "Education partners": 240,
}


def test_the_university_participation_rates_match_a_hand_count(university):
    out = run_analysis(university, "participation")
    rates = out[out["part"] == "response rate"].set_index(["segment", "channel"])
    for (group, channel), (answered, invited) in UNIVERSITY_OUTREACH.items():
        row = rates.loc[(group, channel)]
        assert (row["responses"], row["invited"]) == (answered, invited)
        assert row["rate"] == pytest.approx(answered / invited)
        low, high = _stats.wilson(answered, invited, 0.95)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    # students over both channels: (30 + 10) / (600 + 16)
    everyone = rates.xs("(all channels)", level="channel")
    assert everyone.loc["Students", "rate"] == pytest.approx(40 / 616)
    assert everyone.loc["Staff", "rate"] == 0
    mix = out[out["part"] == "mix"].set_index("segment")
    total_heard, total_people = sum(UNIVERSITY_HEARD.values()), sum(UNIVERSITY_POPULATION.values())
    for group, heard in UNIVERSITY_HEARD.items():
        assert mix.loc[group, "population_share"] == pytest.approx(
            UNIVERSITY_POPULATION[group] / total_people
        )
        assert mix.loc[group, "respondents"] == heard
        assert mix.loc[group, "respondent_share"] == pytest.approx(heard / total_heard)
    assert mix.loc["Campus units", "verdict"] == "over-represented"  # 36% heard, 20% served


def test_the_university_post_stratification_weights_match_a_hand_computation(university):
    scheme, cells = make_weighting(university, "by-segment", method="post-stratify", by=["segment"])
    cells = cells.set_index("segment")
    n, population = sum(UNIVERSITY_HEARD.values()), sum(UNIVERSITY_POPULATION.values())
    hand = {
        group: (UNIVERSITY_POPULATION[group] / population) / (heard / n)
        for group, heard in UNIVERSITY_HEARD.items()
    }
    assert cells["weight"].to_dict() == pytest.approx(hand)
    assert cells["respondents"].to_dict() == UNIVERSITY_HEARD
    # Kish: n Σw² / (Σw)² over the respondents
    w = [hand[g] for g, k in UNIVERSITY_HEARD.items() for _ in range(k)]
    assert scheme["design_effect"] == pytest.approx(n * sum(x * x for x in w) / sum(w) ** 2)
    assert scheme["design_effect"] > 1.1  # the mix is off enough to cost precision
    university.remove_weighting("by-segment")


def test_the_university_actions_launched_become_events(university):
    events = university.read_tables(["events"])["events"].set_index("label")
    assert str(events.loc["Drop-in advising hours began", "starts_on"])[:10] == "2024-09-03"
    assert str(events.loc["Payroll help line opened", "starts_on"])[:10] == "2024-04-01"


def test_with_no_actions_recorded_the_report_says_how_to_record_them(needs_report):
    from toolkit.needs import needs_gap
    from toolkit.reports.loop import actions_taken

    ctx = needs_report
    gap = needs_gap(ctx.assumed, ctx.stated, codebook=ctx.codebook, min_n=ctx.min_n)
    bare = SimpleNamespace(tables={"actions": ctx.tables["actions"][:0]}, shell_path=ctx.shell_path)
    summary, table = actions_taken(bare, gap)
    assert "No action is recorded yet for any of the" in _text(summary)
    assert "--table actions" in _text(summary)
    assert (table.frame["Action"] == NO_ACTION).all()
    # the finding names the blind spots, none being acted on
    texts = [f.text for f in needs_findings(gap, actions=ctx.tables["actions"][:0])]
    assert any(t.startswith("No action is recorded yet for") for t in texts)
