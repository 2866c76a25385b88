"""Customers: priority scores and ranks, power/interest, salience, the service chain, layout."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.catalog import ANALYSES, run_analysis
from toolkit.cli import main
from toolkit.customers import (
    chain_layout,
    customer_common_ground,
    customer_kinds,
    overlooked_customers,
    power_interest,
    prioritise_customers,
    salience,
    service_chain,
    service_cycles,
    service_dependencies,
)
from toolkit.demo.build import build_demo, init_demo
from toolkit.errors import DataValidationError
from toolkit.needs import common_ground
from toolkit.settings import PRIORITY_CRITERIA

CRITERIA = list(PRIORITY_CRITERIA)


def register(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """A customer register from (customer_id, kind, *values) rows; name = id.title()."""
    frame = pd.DataFrame(rows, columns=["customer_id", "kind", *columns])
    frame.insert(1, "name", frame["customer_id"].str.title())
    frame.insert(3, "segment", frame["customer_id"].str.upper())
    return frame


#                  mission clout resource history alternatives mandate
PRIORITY_ROWS = [
    ("a", "external", 5, 4, 3, 2, 1, "formal"),
    ("b", "internal", 3, 3, 3, 3, 5, "none"),
    ("c", "external", 4, 2, 5, 1, 3, "informal"),
    ("d", "internal", 2, None, 4, None, 2, "formal"),
    ("e", "external", None, None, None, None, None, None),
]


@pytest.fixture
def five():
    return register(PRIORITY_ROWS, CRITERIA)


# ----------------------------------------------------------------------------- priorities


def test_scores_ranks_and_tiers_match_a_hand_computation(five):
    out = prioritise_customers(five).set_index("customer_id")
    # Points: alternatives → 6 − rating; mandate none/informal/formal → 1/3/5.
    # a: 5 + 4 + 3 + 2 + (6−1=5) + formal 5           = 24 / 6 = 4.0
    # b: 3 + 3 + 3 + 3 + (6−5=1) + none 1             = 14 / 6 = 2.3333…
    # c: 4 + 2 + 5 + 1 + (6−3=3) + informal 3         = 18 / 6 = 3.0
    # d: 2 + 4 + (6−2=4) + formal 5, clout and history unrated = 15 / 4 = 3.75
    # e: nothing rated → no score, rank or tier
    assert out.loc["a", "score"] == pytest.approx(4.0)
    assert out.loc["b", "score"] == pytest.approx(14 / 6)
    assert out.loc["c", "score"] == pytest.approx(3.0)
    assert out.loc["d", "score"] == pytest.approx(3.75)
    assert np.isnan(out.loc["e", "score"])
    assert out.index.tolist() == ["a", "d", "c", "b", "e"], "sorted by rank, unscored last"
    assert out["rank"].tolist()[:4] == [1, 2, 3, 4] and pd.isna(out.loc["e", "rank"])
    # tiers: high ≥ 11/3 (a 4.0, d 3.75), medium ≥ 7/3 (c 3.0, b 2.333…), e none
    assert out["tier"].tolist() == ["high", "high", "medium", "medium", None]
    assert (out["tier_high"] == 11 / 3).all() and (out["tier_medium"] == 7 / 3).all()
    # the points columns are the converted points
    assert out.loc["a", ["alternatives", "mandate"]].tolist() == [5.0, 5.0]
    assert out.loc["b", ["alternatives", "mandate"]].tolist() == [1.0, 1.0]
    assert out.loc["c", ["alternatives", "mandate"]].tolist() == [3.0, 3.0]
    assert out.columns[:10].tolist() == ["name", "kind", "segment", *CRITERIA, "score"]


def test_missing_ratings_are_listed_not_zero(five):
    out = prioritise_customers(five).set_index("customer_id")
    assert out.loc["d", "criteria_rated"] == 4
    assert out.loc["d", "unrated"] == "clout, history"
    assert not out.loc["d", "complete"]
    assert out.loc["a", "unrated"] == "" and out.loc["a", "complete"]
    # counting the two unrated criteria as 0 would give 15 / 6 = 2.5, not 3.75
    assert out.loc["d", "score"] != pytest.approx(2.5)
    assert out.loc["e", "criteria_rated"] == 0
    assert out.loc["e", "unrated"] == ", ".join(CRITERIA)
    assert pd.isna(out.loc["e", "rank"]) and out.loc["e", "tier"] is None
    assert pd.isna(out.loc["e", "rank_best"]) and pd.isna(out.loc["e", "rank_stable"])


def test_weighted_score_by_hand_and_zero_weight_drops_a_criterion(five):
    weights = {"mission_alignment": 2, "clout": 0, "mandate": 3}  # the rest keep 1
    out = prioritise_customers(five, weights=weights).set_index("customer_id")
    # weights in use: mission 2, resource 1, history 1, alternatives 1, mandate 3 (sum 8)
    # a: 2·5 + 3 + 2 + 5 + 3·5 = 35 → 35 / 8 = 4.375
    # b: 2·3 + 3 + 3 + 1 + 3·1 = 16 → 2.0
    # c: 2·4 + 5 + 1 + 3 + 3·3 = 26 → 3.25
    # d: rated mission, resource, alternatives, mandate (weights 2+1+1+3 = 7):
    #    2·2 + 4 + 4 + 3·5 = 27 → 27 / 7
    assert out.loc["a", "score"] == pytest.approx(35 / 8)
    assert out.loc["b", "score"] == pytest.approx(2.0)
    assert out.loc["c", "score"] == pytest.approx(26 / 8)
    assert out.loc["d", "score"] == pytest.approx(27 / 7)
    assert out.loc["b", "tier"] == "low"
    # clout has weight 0: not counted as missing for d
    assert out.loc["d", "unrated"] == "history" and out.loc["d", "criteria_rated"] == 4
    assert "clout=0" in out.loc["a", "weights"] and "mandate=3" in out.loc["a", "weights"]


def test_weights_summing_to_anything_give_the_same_scores_and_ranks(five):
    base = prioritise_customers(five, weights={"clout": 2, "mandate": 0.5})
    for factor in (0.01, 1 / 6, 7, 1000):
        scaled = {c: factor for c in CRITERIA} | {"clout": 2 * factor, "mandate": 0.5 * factor}
        other = prioritise_customers(five, weights=scaled)
        assert other["customer_id"].tolist() == base["customer_id"].tolist()
        assert other["rank"].tolist() == base["rank"].tolist()
        np.testing.assert_allclose(other["score"], base["score"])


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"clout": -1}, "cannot be negative"),
        ({"influence": 2}, "mission_alignment, clout, resource_control, history, alternatives"),
        ({"clout": "lots"}, "must be a number"),
        ({"clout": float("nan")}, "must be a number"),
        (dict.fromkeys(CRITERIA, 0), "Every priority weight is 0"),
        ([1, 2], "must be a mapping"),
    ],
)
def test_bad_weights_are_refused(five, weights, message):
    with pytest.raises(DataValidationError, match=message):
        prioritise_customers(five, weights=weights)


def test_bad_ratings_tiers_and_ids_are_refused(five):
    with pytest.raises(DataValidationError, match=r'row 2 \(customer_id .b.\), column "clout": 7'):
        prioritise_customers(five.assign(clout=[4, 7, 2, None, None]))
    with pytest.raises(DataValidationError, match="none.*informal.*formal"):
        prioritise_customers(five.assign(mandate=["formal", "legal", None, None, None]))
    with pytest.raises(DataValidationError, match="not a rating"):
        prioritise_customers(five.assign(history=["high", 1, 1, 1, 1]))
    with pytest.raises(DataValidationError, match="appears more than once"):
        prioritise_customers(pd.concat([five, five.iloc[[0]]]))
    with pytest.raises(DataValidationError, match="high threshold"):
        prioritise_customers(five, tiers=(2, 3))
    with pytest.raises(DataValidationError, match="sensitivity"):
        prioritise_customers(five, sensitivity=2)


def test_blank_text_and_case_count_as_unrated_and_mandate_vocabulary():
    frame = register(
        [("x", "external", " ", "3", 3, 3, 3, " Formal "), ("y", "internal", 3, 3, 3, 3, 3, "")],
        CRITERIA,
    )
    out = prioritise_customers(frame).set_index("customer_id")
    assert out.loc["x", "unrated"] == "mission_alignment" and out.loc["x", "mandate"] == 5
    assert out.loc["y", "unrated"] == "mandate"


def test_ties_share_the_lowest_rank():
    frame = register(
        [
            ("p", "external", 4, 4, 4, 4, 2, "formal"),
            ("q", "external", 4, 4, 4, 4, 2, "formal"),
            ("r", "external", 1, 1, 1, 1, 5, "none"),
            ("s", "external", 5, 5, 5, 5, 1, "formal"),
        ],
        CRITERIA,
    )
    out = prioritise_customers(frame)
    assert dict(zip(out["customer_id"], out["rank"], strict=True)) == {
        "s": 1,
        "p": 2,
        "q": 2,
        "r": 4,
    }
    # equal in exact arithmetic, different in floating point: still tied
    noisy = register(
        [
            ("m", "external", 3, 3, None, None, None, None),
            ("n", "external", 5, 2, None, None, None, None),
        ],
        CRITERIA,
    )
    weights = {"mission_alignment": 0.1, "clout": 0.2} | dict.fromkeys(CRITERIA[2:], 0)
    out = prioritise_customers(noisy, weights=weights)
    assert out["rank"].tolist() == [1, 1]  # (0.1·3 + 0.2·3)/0.3 = (0.1·5 + 0.2·2)/0.3 = 3


def test_rank_stability_stable_and_flipping():
    only_two = {"mission_alignment": 1.1, "clout": 1} | dict.fromkeys(CRITERIA[2:], 0)
    frame = register(
        [
            ("p", "external", 5, 1, None, None, None, None),
            ("q", "external", 1, 5, None, None, None, None),
            ("z", "external", 1, 1, None, None, None, None),
        ],
        CRITERIA,
    )
    out = prioritise_customers(frame, weights=only_two).set_index("customer_id")
    # base: p = (1.1·5 + 1)/2.1 = 3.095, q = (1.1 + 5)/2.1 = 2.905 → p first
    # clout × 1.25: p = (5.5 + 1.25)/2.35 = 2.872, q = (1.1 + 6.25)/2.35 = 3.128 → q first
    # z = 1 in every scenario → always third
    assert out.loc["p", "score"] == pytest.approx(6.5 / 2.1)
    assert out.loc[["p", "q", "z"], "rank"].tolist() == [1, 2, 3]
    assert out.loc["p", ["rank_best", "rank_worst"]].tolist() == [1, 2]
    assert out.loc["q", ["rank_best", "rank_worst"]].tolist() == [1, 2]
    assert out.loc["z", ["rank_best", "rank_worst"]].tolist() == [3, 3]
    assert out["rank_stable"].tolist() == [False, False, True]
    # a 5% move cannot flip them: the weights stay ordered (mission 1.1 × 0.95 = 1.045 > 1,
    # 1.1 > clout 1 × 1.05), and p leads whenever mission weighs more than clout
    out = prioritise_customers(frame, weights=only_two, sensitivity=0.05)
    assert out["rank_stable"].all() and out["rank_worst"].tolist() == [1, 2, 3]
    # at 10%, mission × 0.9 = 0.99 < 1 puts q first, and clout × 1.1 = 1.1 ties them
    out = prioritise_customers(frame, weights=only_two, sensitivity=0.1).set_index("customer_id")
    assert out.loc["p", ["rank_best", "rank_worst"]].tolist() == [1, 2]
    assert out.loc["q", ["rank_best", "rank_worst"]].tolist() == [1, 2]
    # no move at all: everything stable
    out = prioritise_customers(frame, weights=only_two, sensitivity=0)
    assert out["rank_stable"].all()


def test_missing_criterion_column_warns_and_counts_as_unrated():
    frame = register([("x", "external", 5), ("y", "internal", 2)], ["mission_alignment"])
    with pytest.warns(UserWarning, match="counts as not rated"):
        out = prioritise_customers(frame)
    assert out["criteria_rated"].tolist() == [1, 1] and out["score"].tolist() == [5.0, 2.0]


ratings = st.one_of(st.none(), st.integers(1, 5))
mandates = st.sampled_from([None, "none", "informal", "formal"])
customer_rows = st.lists(
    st.tuples(ratings, ratings, ratings, ratings, ratings, mandates), min_size=1, max_size=8
)
weight_sets = st.lists(st.integers(0, 10), min_size=6, max_size=6).filter(lambda w: sum(w) > 0)


def _frame(rows):
    return register([(f"c{i}", "external", *row) for i, row in enumerate(rows)], CRITERIA)


@settings(max_examples=60, deadline=None)
@given(customer_rows, weight_sets)
def test_scores_stay_within_one_to_five_and_ranks_within_their_range(rows, weights):
    out = prioritise_customers(_frame(rows), weights=dict(zip(CRITERIA, weights, strict=True)))
    scored = out["score"].dropna()
    assert ((scored >= 1 - 1e-12) & (scored <= 5 + 1e-12)).all()
    ranked = out.dropna(subset=["rank"])
    assert (ranked["rank_best"] <= ranked["rank"]).all()
    assert (ranked["rank"] <= ranked["rank_worst"]).all()
    assert out["score"].isna().tolist() == (out["criteria_rated"] == 0).tolist()


@settings(max_examples=60, deadline=None)
@given(customer_rows, weight_sets, st.floats(0.01, 100))
def test_scaling_every_weight_leaves_ranks_unchanged(rows, weights, factor):
    frame = _frame(rows)
    base = prioritise_customers(frame, weights=dict(zip(CRITERIA, weights, strict=True)))
    scaled = prioritise_customers(
        frame, weights={c: w * factor for c, w in zip(CRITERIA, weights, strict=True)}
    )
    assert scaled["customer_id"].tolist() == base["customer_id"].tolist()
    assert scaled["rank"].tolist() == base["rank"].tolist()
    assert scaled["rank_worst"].tolist() == base["rank_worst"].tolist()


# ----------------------------------------------------------------------------- grids


def test_power_interest_every_quadrant_and_the_threshold_itself():
    # REFERENCE-NUMBERS.md, Classifications (Mendelow): high power + high interest = Manage
    # closely; high power + low interest = Keep satisfied; low + high = Keep informed;
    # low + low = Monitor. A rating exactly at the threshold is high.
    frame = register(
        [
            ("hh", "external", 5, 4),
            ("hl", "external", 4, 2),
            ("lh", "internal", 2, 5),
            ("ll", "internal", 1, 3),
            ("at", "external", 3.5, 3.5),  # exactly at the default threshold
            ("below", "external", 3.49, 3.5),
            ("nop", "external", None, 4),
            ("none", "external", None, None),
        ],
        ["power", "interest"],
    )
    out = power_interest(frame).set_index("customer_id")
    assert out["quadrant"].tolist() == [
        "Manage closely",
        "Keep satisfied",
        "Keep informed",
        "Monitor",
        "Manage closely",
        "Keep informed",
        None,
        None,
    ]
    assert out.loc["nop", "note"] == "power is not rated"
    assert out.loc["none", "note"] == "power and interest are not rated"
    assert out.loc["hh", "note"] == "" and out.loc["hh", "strategy"].startswith("Involve them")
    assert out["strategy"].iloc[:4].nunique() == 4 and out.loc["nop", "strategy"] is None
    assert (out["threshold"] == 3.5).all()
    at_four = power_interest(frame, threshold=4).set_index("customer_id")
    assert at_four.loc["hl", "quadrant"] == "Keep satisfied"  # power 4 at threshold 4: high
    assert at_four.loc["at", "quadrant"] == "Monitor"
    with pytest.raises(DataValidationError, match="threshold"):
        power_interest(frame, threshold=7)


@pytest.mark.parametrize(
    ("power", "legitimacy", "urgency", "expected", "count"),
    [
        (1, 1, 1, "not a stakeholder", 0),
        (5, 1, 1, "dormant", 1),
        (1, 5, 1, "discretionary", 1),
        (1, 1, 5, "demanding", 1),
        (4, 4, 2, "dominant", 2),
        (4, 2, 4, "dangerous", 2),
        (2, 4, 4, "dependent", 2),
        (5, 5, 5, "definitive", 3),
        (3.5, 3.5, 3.5, "definitive", 3),  # exactly at the threshold: present
        (3.4, 3.5, 3.5, "dependent", 2),
    ],
)
def test_salience_every_class(power, legitimacy, urgency, expected, count):
    # REFERENCE-NUMBERS.md, Classifications (Mitchell, Agle & Wood 1997).
    frame = register(
        [("x", "external", power, legitimacy, urgency)], ["power", "legitimacy", "urgency"]
    )
    row = salience(frame).iloc[0]
    assert row["salience"] == expected and row["attributes"] == count
    assert [row["has_power"], row["has_legitimacy"], row["has_urgency"]] == [
        power >= 3.5,
        legitimacy >= 3.5,
        urgency >= 3.5,
    ]
    assert row["note"] == ""


def test_salience_with_a_rating_missing_is_empty_with_a_note():
    frame = register(
        [("x", "external", 5, None, 4), ("y", "external", None, None, None)],
        ["power", "legitimacy", "urgency"],
    )
    out = salience(frame)
    assert out["salience"].isna().all() and out["attributes"].isna().all()
    assert out["note"].tolist() == [
        "legitimacy is not rated",
        "power, legitimacy and urgency are not rated",
    ]
    assert out["has_power"].tolist()[0] is True and pd.isna(out["has_legitimacy"].iloc[0])
    assert not salience(frame, threshold=5)["has_urgency"].iloc[0]  # 4 < 5


def test_customer_kinds_counts_and_lists():
    frame = build_demo("neighbourhood")["customers"]
    out = customer_kinds(frame)
    assert out["kind"].tolist()[:3] == ["internal"] * 3
    staff = out.set_index(["kind", "segment"]).loc[("internal", "Staff")]
    assert staff["customers"] == 3 and staff["names"] == "Intake team; Food program; Outreach team"
    assert out["customers"].sum() == len(frame)


# ----------------------------------------------------------------------------- chain

CHAIN_CUSTOMERS = pd.DataFrame(
    [
        ("it", "IT", "internal", "Units"),
        ("hr", "HR", "internal", "Units"),
        ("advising", "Advising", "internal", "Units"),
        ("faculty", "Faculty", "internal", "Faculty"),
        ("payroll", "Payroll", "internal", "Units"),
        ("students", "Students", "external", "Students"),
        ("employers", "Employers", "external", "Employers"),
        ("alumni", "Alumni", "external", "Alumni"),
    ],
    columns=["customer_id", "name", "kind", "segment"],
)
CHAIN_LINKS = pd.DataFrame(
    [
        ("hr", "it", "Hiring"),
        ("it", "hr", "HR system"),
        ("it", "advising", "Degree audit"),
        ("it", "students", "Portal"),
        ("advising", "students", "Advising"),
        ("advising", "advising", "Peer review"),
        ("hr", "faculty", "Benefits"),
        ("faculty", "students", "Teaching"),
        ("students", "employers", "Graduates"),
    ],
    columns=["provider_id", "customer_id", "service"],
)


def test_service_chain_against_a_hand_built_graph():
    out = service_chain(CHAIN_CUSTOMERS, CHAIN_LINKS)
    got = {(r.provider_id, r.customer_id, r.path) for r in out.itertuples()}
    assert got == {
        ("it", "students", "IT → Students"),
        ("it", "employers", "IT → Students → Employers"),
        ("hr", "students", "HR → IT → Students"),
        ("hr", "students", "HR → Faculty → Students"),
        ("hr", "employers", "HR → IT → Students → Employers"),
        ("hr", "employers", "HR → Faculty → Students → Employers"),
        ("advising", "students", "Advising → Students"),
        ("advising", "employers", "Advising → Students → Employers"),
        ("faculty", "students", "Faculty → Students"),
        ("faculty", "employers", "Faculty → Students → Employers"),
    }
    assert "payroll" not in set(out["provider_id"]), "serves no one: no row"
    assert "alumni" not in set(out["customer_id"]), "reached by no one"
    hr = out[out["provider_id"] == "hr"]
    assert hr["steps"].tolist() == [2, 2, 3, 3] and (hr["shortest_paths"] == 2).all()
    assert set(hr.loc[hr["customer_id"] == "students", "via"]) == {"IT", "Faculty"}
    direct = out[(out["provider_id"] == "it") & (out["customer_id"] == "students")].iloc[0]
    assert direct["via"] == "" and direct["steps"] == 1 and direct["provider"] == "IT"
    assert out["provider_id"].drop_duplicates().tolist() == ["it", "hr", "advising", "faculty"]
    capped = service_chain(CHAIN_CUSTOMERS, CHAIN_LINKS, max_paths=1)
    assert len(capped[capped["provider_id"] == "hr"]) == 2
    assert (capped.loc[capped["provider_id"] == "hr", "shortest_paths"] == 2).all()


def test_service_dependencies_single_providers_reach_and_cycles():
    out = service_dependencies(CHAIN_CUSTOMERS, CHAIN_LINKS).set_index("customer_id")
    assert out.loc["advising", "providers"] == 1, "its self-link is not a provider"
    assert out["single_provider"].to_dict() == {
        "it": True,
        "hr": True,
        "advising": True,
        "faculty": True,
        "payroll": False,
        "students": False,
        "employers": True,
        "alumni": False,
    }
    assert out.loc["students", "providers"] == 3
    assert out.loc["students", "provider_names"] == "IT; Advising; Faculty"
    assert out.loc["it", "serves"] == 3 and out.loc["advising", "serves"] == 1
    assert out["upstream_of_external"].to_dict() == {
        "it": 2,
        "hr": 2,
        "advising": 2,
        "faculty": 2,
        "payroll": 0,
        "students": 1,
        "employers": 0,
        "alumni": 0,
    }
    assert out.loc["hr", "external_names"] == "Students; Employers"
    assert out[out["in_cycle"]].index.tolist() == ["it", "hr", "advising"]


def test_service_cycles_self_links_and_loops():
    out = service_cycles(CHAIN_LINKS, customers=CHAIN_CUSTOMERS)
    assert out.to_dict("list") == {
        "cycle": [1, 2],
        "members": ["Advising → Advising", "IT → HR → IT"],
        "customer_ids": ["advising", "it; hr"],
        "length": [1, 2],
    }
    without_names = service_cycles(CHAIN_LINKS)
    assert without_names["members"].tolist() == ["advising → advising", "hr → it → hr"]
    three = pd.DataFrame({"provider_id": ["a", "b", "c"], "customer_id": ["b", "c", "a"]})
    assert service_cycles(three)["members"].tolist() == ["a → b → c → a"]
    assert service_cycles(CHAIN_LINKS.iloc[2:5]).empty
    dense = pd.DataFrame(
        list(itertools.permutations("abcde", 2)), columns=["provider_id", "customer_id"]
    )
    with pytest.warns(UserWarning, match="more than 10 cycles"):
        assert len(service_cycles(dense, max_cycles=10)) == 10


def test_links_to_unknown_customers_are_refused():
    bad = pd.concat(
        [CHAIN_LINKS, pd.DataFrame([("ghost", "students", "x")], columns=CHAIN_LINKS.columns)]
    )
    for func in (service_chain, service_dependencies, chain_layout):
        with pytest.raises(DataValidationError, match=r"row 10, provider_id 'ghost'"):
            func(CHAIN_CUSTOMERS, bad)
    with pytest.raises(DataValidationError, match="not in the customer register"):
        service_cycles(bad, customers=CHAIN_CUSTOMERS)
    with pytest.raises(DataValidationError, match="row 1 has no customer_id"):
        service_chain(CHAIN_CUSTOMERS, CHAIN_LINKS.assign(customer_id=None))
    with pytest.raises(DataValidationError, match='"kind"'):
        service_chain(CHAIN_CUSTOMERS.assign(kind="partner"), CHAIN_LINKS)


# ----------------------------------------------------------------------------- layout


def _segments_cross(p1, p2, q1, q2) -> bool:
    """Proper crossing of two segments, written independently of the layout code."""

    def side(a, b, c):
        value = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return (value > 1e-12) - (value < -1e-12)

    return side(p1, p2, q1) * side(p1, p2, q2) < 0 and side(q1, q2, p1) * side(q1, q2, p2) < 0


def _count_crossings(layout) -> int:
    nodes = layout["nodes"].set_index("customer_id")
    at = {n: (r.layer, r.y) for n, r in nodes.iterrows()}  # crossings in layer units
    edges = [
        (a, b)
        for a, b in zip(layout["edges"]["provider_id"], layout["edges"]["customer_id"], strict=True)
        if a != b
    ]
    count = 0
    for (a, b), (c, d) in itertools.combinations(edges, 2):
        if {a, b} & {c, d}:
            continue
        count += _segments_cross(at[a], at[b], at[c], at[d])
    return count


def test_layout_layers_cycles_and_backward_links():
    layout = chain_layout(CHAIN_CUSTOMERS, CHAIN_LINKS)
    nodes = layout["nodes"].set_index("customer_id")
    layer = nodes["layer"].to_dict()
    assert layer["it"] == layer["hr"] == 0, "a loop collapses into one layer"
    assert layer["advising"] == layer["faculty"] == 1 and layer["payroll"] == 0
    assert layer["students"] == 2 and layer["alumni"] == 2 and layer["employers"] == 3
    assert max(layer[n] for n in ("it", "hr", "advising", "faculty", "payroll")) < min(
        layer[n] for n in ("students", "employers", "alumni")
    ), "external customers after every internal unit"
    assert nodes[["x", "y"]].apply(lambda c: c.between(0, 1).all()).all()
    edges = layout["edges"].set_index(["provider_id", "customer_id"])
    assert len(edges) == len(CHAIN_LINKS)
    assert edges.loc[("it", "hr"), "backward"] and edges.loc[("advising", "advising"), "backward"]
    assert not edges.loc[("it", "students"), "backward"]
    assert (
        edges.loc[("it", "students"), ["x", "y"]].tolist() == nodes.loc["it", ["x", "y"]].tolist()
    )
    assert (
        edges.loc[("it", "students"), ["x2", "y2"]].tolist()
        == nodes.loc["students", ["x", "y"]].tolist()
    )
    # orders are 0..n-1 within each layer
    for _, group in layout["nodes"].groupby("layer"):
        assert sorted(group["order"]) == list(range(len(group)))


def test_layout_barycentre_removes_avoidable_crossings():
    # register order puts a1 above a2 and b1 above b2 but the links cross: a1→b2, a2→b1
    customers = pd.DataFrame(
        {
            "customer_id": ["a1", "a2", "a3", "b1", "b2", "b3"],
            "name": ["A1", "A2", "A3", "B1", "B2", "B3"],
            "kind": ["internal"] * 3 + ["external"] * 3,
            "segment": None,
        }
    )
    links = pd.DataFrame({"provider_id": ["a1", "a2", "a3"], "customer_id": ["b3", "b2", "b1"]})
    naive = {  # register order would cross every pair
        "nodes": customers.assign(layer=[0, 0, 0, 1, 1, 1], y=[1, 2, 3, 1, 2, 3]),
        "edges": links,
    }
    assert _count_crossings(naive) == 3
    assert _count_crossings(chain_layout(customers, links)) == 0


def _synthetic_chain(size: int = 60, seed: int = 7):
    rng = np.random.default_rng(seed)
    n_top, n_mid = 6, 24
    ids = [f"n{i:02d}" for i in range(size)]
    kind = ["internal"] * (n_top + n_mid) + ["external"] * (size - n_top - n_mid)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "name": [f"Unit {i}" for i in range(size)],
            "kind": kind,
            "segment": [f"S{i % 5}" for i in range(size)],
        }
    )
    links = set()
    for m in range(n_top, n_top + n_mid):
        links.add((ids[int(rng.integers(0, n_top))], ids[m]))
    for e in range(n_top + n_mid, size):
        for m in rng.choice(np.arange(n_top, n_top + n_mid), size=2, replace=False):
            links.add((ids[int(m)], ids[e]))
    links |= {(ids[6], ids[7]), (ids[7], ids[6]), (ids[8], ids[8]), (ids[40], ids[41])}
    frame = pd.DataFrame(sorted(links), columns=["provider_id", "customer_id"])
    return customers, frame


def test_layout_of_a_60_node_chain_is_readable():
    customers, links = _synthetic_chain()
    layout = chain_layout(customers, links)
    nodes = layout["nodes"]
    assert len(nodes) == 60 and set(nodes["customer_id"]) == set(customers["customer_id"])
    assert not nodes.duplicated(["x", "y"]).any(), "no two nodes at one position"
    assert nodes[["x", "y"]].stack().between(0, 1).all()
    internal = nodes.loc[nodes["kind"] == "internal", "layer"]
    external = nodes.loc[nodes["kind"] == "external", "layer"]
    assert internal.max() < external.min()
    # nodes sharing a column are at least a label's height apart (1/60 of the height)
    for _, group in nodes.groupby("x"):
        ys = np.sort(group["y"].to_numpy())
        assert len(ys) < 2 or np.diff(ys).min() >= 1 / 60 - 1e-12
    # barycentre ordering does better than register order
    naive = {
        "nodes": nodes.assign(y=nodes.groupby("layer")["customer_id"].rank(method="first")),
        "edges": layout["edges"],
    }
    assert _count_crossings(layout) < _count_crossings(naive)
    assert len(layout["edges"]) == len(links)


# ----------------------------------------------------------------------------- needs


def test_overlooked_customers_internal_and_unheard():
    customers = pd.DataFrame(
        {
            "customer_id": ["residents", "employers", "funders", "intake", "nobody"],
            "name": ["Residents", "Employers", "Funders", "Intake team", "Walk-ins"],
            "kind": ["external", "external", "external", "internal", "external"],
            "segment": ["Residents", "Employers", "Funders", "Staff", None],
        }
    )
    stated = pd.DataFrame({"segment": ["Residents", " residents", "Staff"]})
    assumed = pd.DataFrame({"segment": ["EMPLOYERS", "Employers", "Residents"]})
    out = overlooked_customers(customers, stated, assumed).set_index("customer_id")
    assert out.index.tolist() == ["employers", "funders", "nobody", "intake"]
    assert "residents" not in out.index, "heard: two statements"
    assert out.loc["employers", "reason"].startswith(
        'no stated needs recorded yet for segment "Employers"'
    )
    assert "staff assumed 2 needs" in out.loc["employers", "reason"]
    assert "no beliefs about it either" in out.loc["funders", "reason"]
    assert "no segment" in out.loc["nobody", "reason"]
    assert out.loc["intake", "reason"].startswith("internal customer")
    assert out.loc["intake", "stated_needs"] == 1 and out.loc["employers", "assumed_needs"] == 2
    no_assumed = overlooked_customers(customers, stated)
    assert no_assumed["assumed_needs"].isna().all()
    assert "staff" not in no_assumed.set_index("customer_id").loc["funders", "reason"]


def test_customer_common_ground_names_the_customers_of_each_segment():
    stated = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(20)],
            "segment": ["Residents"] * 10 + ["Business owners"] * 10,
            "code": ["transport"] * 8 + ["milk"] * 2 + ["transport"] * 6 + ["parking"] * 4,
        }
    )
    common = common_ground(stated)
    customers = build_demo("neighbourhood")["customers"]
    out = customer_common_ground(customers, common)
    assert out.columns.tolist()[:9] == [
        "customer_a",
        "customer_b",
        "segment_a",
        "segment_b",
        "code",
        "label",
        "share_a",
        "share_b",
        "relation",
    ]
    row = out.set_index("code").loc["transport"]
    assert row["relation"] == "common ground"
    assert (
        row["customer_a"] == "Residents of Riverside; Families with young children; Older residents"
    )
    assert row["customer_b"] == "Main Street business owners; Riverside Business Association"
    assert row["share_a"] == pytest.approx(0.8) and row["share_b"] == pytest.approx(0.6)
    assert out.set_index("code").loc["parking", "relation"] == "only Business owners"
    assert len(out) == len(common)
    unknown = customer_common_ground(customers.iloc[:0], common)
    assert (unknown["customer_a"] == "").all()


# ----------------------------------------------------------------------------- demos


def test_university_demo():
    tables = build_demo("university")
    customers, links = tables["customers"], tables["service_links"]
    ranked = prioritise_customers(customers)
    hr = ranked[ranked["customer_id"].str.startswith("hr_")]
    assert len(hr) == 30 and (hr["kind"] == "internal").all()
    # each HR office: 4 + 2 + 2 + 3 + (6 − 1) + formal 5 = 21 / 6 = 3.5, all tied
    assert (hr["score"] == 3.5).all() and hr["rank"].nunique() == 1
    assert ranked.iloc[0]["customer_id"] == "provost"  # 5+5+5+4+5+5 = 29/6
    legislators = ranked.set_index("customer_id").loc["legislators"]
    assert legislators["complete"], "urgency is not a priority criterion"
    chain = service_chain(customers, links)
    via_hr = chain[(chain["provider_id"] == "system_hr") & (chain["customer_id"] == "students")]
    assert (via_hr["shortest_paths"] == 30).all() and len(via_hr) == 10  # capped at max_paths
    assert (via_hr["steps"] == 3).all() and via_hr["via"].str.endswith("HR office → Faculty").all()
    it = chain[(chain["provider_id"] == "system_it") & (chain["customer_id"] == "students")]
    assert it["path"].tolist() == ["System IT → Campus IT departments → Students"]
    deps = service_dependencies(customers, links).set_index("customer_id")
    assert deps.loc[hr["customer_id"], "single_provider"].all()
    assert deps.loc["system_hr", "serves"] == 30
    assert deps.loc["students", "providers"] == 3 and not deps["in_cycle"].any()
    assert service_cycles(links, customers=customers).empty
    layout = chain_layout(customers, links)
    assert not layout["nodes"].duplicated(["x", "y"]).any()
    kinds = customer_kinds(customers).set_index(["kind", "segment"])
    assert kinds.loc[("internal", "Campus units"), "customers"] == 34
    overlooked = overlooked_customers(customers, tables["stated_needs"], tables["assumed_needs"])
    assert "campus_staff" in set(overlooked["customer_id"])  # segment "Staff": nothing stated
    assert (overlooked["kind"] == "internal").all()
    assert salience(customers).set_index("customer_id").loc["legislators", "note"] == (
        "urgency is not rated"
    )


def test_neighbourhood_demo():
    tables = build_demo("neighbourhood")
    customers, links = tables["customers"], tables["service_links"]
    ranked = prioritise_customers(customers).set_index("customer_id")
    # faith communities: clout unrated; 4 + 3 + 5 + (6 − 3) + informal 3 = 18 / 5 = 3.6
    assert ranked.loc["faith_communities", "score"] == pytest.approx(3.6)
    assert ranked.loc["faith_communities", "unrated"] == "clout"
    # residents 5+3+2+5+4+3 = 22 and the foundation 4+4+5+3+3+3 = 22: tied at 22/6
    assert ranked.loc["residents", "rank"] == ranked.loc["community_foundation", "rank"] == 6
    assert ranked.loc["faith_communities", "rank"] == 8
    grid = power_interest(customers).set_index("customer_id")
    assert grid.loc["board", "quadrant"] == "Manage closely"
    assert grid.loc["county_health", "quadrant"] == "Keep satisfied"
    assert grid.loc["residents", "quadrant"] == "Keep informed"
    sal = salience(customers).set_index("customer_id")
    assert pd.isna(sal.loc["community_foundation", "salience"])
    assert sal.loc["community_foundation", "note"] == "legitimacy is not rated"
    assert sal.loc["board", "salience"] == "dominant"
    chain = service_chain(customers, links)
    intake = chain[
        (chain["provider_id"] == "intake_team") & (chain["customer_id"] == "people_without_housing")
    ]
    assert set(intake["via"]) == {"Food program", "County health department"}
    deps = service_dependencies(customers, links).set_index("customer_id")
    assert deps.loc["families_with_children", "single_provider"]
    assert deps.loc["families_with_children", "provider_names"] == "Food program"
    assert deps.loc["volunteers", "upstream_of_external"] == 4


# ----------------------------------------------------------------------------- analyses and CLI


@pytest.fixture(scope="module")
def university(tmp_path_factory):
    return init_demo(tmp_path_factory.mktemp("customers") / "e", "university")


@pytest.fixture(scope="module")
def neighbourhood(tmp_path_factory):
    return init_demo(tmp_path_factory.mktemp("customers") / "e", "neighbourhood")


def _table(engagement, *args):
    runner = CliRunner()
    result = runner.invoke(main, ["table", str(engagement.path), *map(str, args)])
    return result


def _csv(result) -> pd.DataFrame:
    assert result.exit_code == 0, result.output
    return pd.read_csv(io.StringIO(result.stdout), keep_default_na=False, na_values=[""])


def test_cli_priorities_weights(university, tmp_path):
    default = _csv(_table(university, "priorities")).set_index("customer_id")
    assert len(default) == 47 and default["weights"].iloc[0].endswith("mandate=1")
    mandate2 = _csv(_table(university, "priorities", "-y", "{mandate: 2}")).set_index("customer_id")
    # system IT: 5 + 3 + 4 + 4 + (6−1) + 2·formal 5 = 31 over weights 7
    assert mandate2.loc["system_it", "score"] == pytest.approx(31 / 7)
    assert default.loc["system_it", "score"] == pytest.approx(26 / 6)
    assert mandate2["weights"].iloc[0].endswith("mandate=2")
    expected = prioritise_customers(university.customers, weights={"mandate": 2})
    assert mandate2["rank"].tolist() == expected["rank"].tolist()
    # mandate 0: faculty (informal) and community colleges climb past the 30 HR offices
    zero = _csv(_table(university, "priorities", "-p", "mandate", "0")).set_index("customer_id")
    assert default.loc["faculty", "rank"] == 43 and zero.loc["faculty", "rank"] == 11
    assert (zero["rank"] != default["rank"].reindex(zero.index)).sum() > 10
    # -f weights.yaml is the same as -y
    params = tmp_path / "weights.yaml"
    params.write_text("weights:\n  mandate: 0\n", encoding="utf-8")
    from_file = _csv(_table(university, "priorities", "-f", params)).set_index("customer_id")
    pd.testing.assert_series_equal(from_file["rank"], zero["rank"])


def test_cli_priorities_refuses_bad_weights(university):
    for args in (
        ("-p", "influence", "2"),
        ("-y", "{weights: {influence: 2}}"),
        ("-p", "mandate", "-1"),
        ("-p", "mandate", "lots"),
        ("-y", "{weights: 3}"),
    ):
        result = _table(university, "priorities", *args)
        assert result.exit_code == 1, (args, result.output)
        assert "Traceback" not in result.output
    unknown = _table(university, "priorities", "-p", "influence", "2")
    assert "mission_alignment" in unknown.output and "mandate" in unknown.output
    criterion = _table(university, "priorities", "-y", "{weights: {influence: 2}}")
    assert "The criteria are: mission_alignment, clout" in criterion.output


def test_cli_mandate_weight_changes_ranks_on_the_neighbourhood(neighbourhood):
    default = _csv(_table(neighbourhood, "priorities")).set_index("customer_id")
    doubled = _csv(_table(neighbourhood, "priorities", "-y", "{mandate: 2}")).set_index(
        "customer_id"
    )
    # outreach team: 5 + 2 + 1 + 3 + (6−1) + formal 5 = 21/6 = 3.5 → rank 9 by default;
    # mandate 2: (16 + 2·5)/7 = 26/7 = 3.714 → rank 6, ahead of the residents (25/7)
    assert default.loc["outreach_team", "rank"] == 9
    assert doubled.loc["outreach_team", "score"] == pytest.approx(26 / 7)
    assert doubled.loc["outreach_team", "rank"] == 6
    assert doubled.loc["residents", "rank"] == 7


def test_priorities_weights_precedence_and_by(university):
    tables = university.read_tables(["customers"])
    run = ANALYSES["priorities"].run
    engagement_weights = {"weights": dict.fromkeys(CRITERIA, 1.0) | {"mandate": 0.0}}
    out = run(tables, settings=engagement_weights)
    assert out["weights"].iloc[0].endswith("mandate=0")
    out = run(tables, settings=engagement_weights, weights={"mandate": 2, "clout": 3})
    assert (
        out["weights"]
        .iloc[0]
        .endswith("clout=3, resource_control=1, history=1, alternatives=1, mandate=2")
    )
    out = run(tables, settings=engagement_weights, weights={"mandate": 2}, mandate=4, clout=None)
    assert out["weights"].iloc[0] == (
        "mission_alignment=1, clout=1, resource_control=1, history=1, alternatives=1, mandate=4"
    )
    by_kind = run_analysis(university, "priorities", by="kind")
    assert by_kind["kind"].tolist() == sorted(by_kind["kind"], key=["internal", "external"].index)
    external = by_kind[by_kind["kind"] == "external"]
    assert external["rank"].min() == 1 and external["rank"].max() <= 6
    assert "priorities" in ANALYSES and set(ANALYSES["priorities"].parameters()) >= set(CRITERIA)


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("power-interest", ["quadrant", "strategy"]),
        ("salience", ["salience", "attributes"]),
        ("service-chain", ["provider", "customer", "path"]),
        ("service-dependencies", ["single_provider", "upstream_of_external"]),
        ("service-cycles", ["cycle", "members"]),
        ("overlooked-customers", ["reason"]),
        ("customer-kinds", ["customers", "names"]),
    ],
)
def test_cli_customer_analyses(university, name, columns):
    result = _table(university, name)
    frame = _csv(result)
    assert set(columns) <= set(frame.columns)
    if name == "service-chain":
        assert set(frame["provider_id"]) >= {"system_it", "system_hr"}
    refused = _table(university, name, "--by", "customer_id")
    assert refused.exit_code == 1 and "--by" in refused.output


def test_run_analysis_power_interest_threshold(university):
    at_three = run_analysis(university, "power-interest", params={"threshold": 3})
    default = run_analysis(university, "power-interest")
    assert (at_three["quadrant"] == "Manage closely").sum() > (
        default["quadrant"] == "Manage closely"
    ).sum()
    with pytest.raises(DataValidationError, match="threshold"):
        run_analysis(university, "salience", params={"threshold": 9})
