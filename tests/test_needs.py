"""Needs: coding free text, the gap table, rank agreement, segments, importance–performance."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from toolkit._stats import mean_interval, mean_intervals, newcombe_difference, wilson
from toolkit.coding import _words
from toolkit.demo.build import build_demo
from toolkit.errors import DataValidationError
from toolkit.needs import (
    CLASSIFICATIONS,
    all_staff_compared,
    all_staff_note,
    code_needs,
    codebook_version,
    common_ground,
    importance_performance,
    needs_gap,
    rank_agreement,
    uncoded_needs,
)

BOOK = pd.DataFrame(
    {
        "code": ["perishable_food", "food_pantry", "transport", "shelter"],
        "label": ["Milk and perishable food", "Food pantry", "Transport", "Emergency shelter"],
        "theme": ["Food", "Food", "Getting there", "Housing"],
        "keywords": [
            "milk; fresh food; refrigerat; only have cans",
            "pantry; food bank; another food pantry",
            "bus pass; bus; rides to",
            "shelter; place to sleep; bed for the night",
        ],
    }
)


# ----------------------------------------------------------------------------- coding


def test_coding_exact_keyword_stem_plural_and_typo():
    said = pd.DataFrame(
        {
            "need": [
                "Food pantry",  # the label itself
                "Milk for the kids",  # keyword
                "a refrigerator at the shelter",  # stem "refrigerat" (longer than "shelter")
                "More buses on Sunday",  # plural of "bus"
                "mlik every week",  # two letters swapped
                "The mural is lovely",  # nothing
                "  ",
            ]
        }
    )
    coded = code_needs(said, BOOK)
    assert coded["code"].tolist() == [
        "food_pantry",
        "perishable_food",
        "perishable_food",
        "transport",
        "perishable_food",
        None,
        None,
    ]
    assert coded["coded_by"].tolist() == [
        "exact",
        "keyword",
        "keyword",
        "keyword",
        "fuzzy",
        None,
        None,
    ]
    assert coded["match_score"].iloc[4] == pytest.approx(0.75)
    assert coded["codebook_version"].nunique() == 1


def test_the_longest_keyword_wins():
    said = pd.DataFrame({"need": ["another food pantry with milk"]})
    # "another food pantry" (19 characters) beats "milk" (4).
    assert code_needs(said, BOOK)["code"].iloc[0] == "food_pantry"


def test_a_code_set_by_a_person_is_never_overwritten():
    said = pd.DataFrame(
        {
            "need": ["milk please", "milk please", "milk please"],
            "code": ["transport", "transport", None],
            "coded_by": ["person", None, "keyword"],
        }
    )
    coded = code_needs(said, BOOK)
    assert coded["code"].tolist() == ["transport", "transport", "perishable_food"]
    assert coded["coded_by"].tolist() == ["person", "person", "keyword"]


def test_a_keyword_counts_once_per_mention_however_often_the_codebook_lists_it():
    book = pd.DataFrame(
        {"code": ["soap", "dairy"], "label": ["Soap", "Dairy"], "keywords": ["soap", "milk; milk"]}
    )
    # Equal length, one mention each: codebook order decides, the duplicate does not count.
    assert code_needs(pd.DataFrame({"need": ["milk and soap"]}), book)["code"].iloc[0] == "soap"
    # Two mentions of milk: more hits wins.
    assert code_needs(pd.DataFrame({"need": ["milk, soap, milk"]}), book)["code"].iloc[0] == "dairy"


def test_accents_punctuation_and_case_are_read_the_same_in_any_company():
    book = pd.concat(
        [
            BOOK,
            pd.DataFrame(
                {"code": ["childcare"], "label": ["Childcare"], "keywords": ["crèche; day care"]}
            ),
        ],
        ignore_index=True,
    )
    said = ["CRÈCHE places", "day-care", "Milk—please", "milk\x00please", "Don't_know"]
    coded = code_needs(pd.DataFrame({"need": said}), book)
    assert coded["code"].tolist() == [
        "childcare",
        "childcare",
        "perishable_food",
        "perishable_food",
        None,
    ]
    # ASCII texts split the same whether or not a non-ASCII or NUL-holding text is beside them.
    plain = ["Don't-stop!", "fresh_food  BANK", "12 3rd", "  "]
    expected = [["dont", "stop"], ["fresh", "food", "bank"], ["12", "3rd"], [""]]
    assert _words(plain).to_pylist() == expected
    assert _words([*plain, "Café"]).to_pylist()[:-1] == expected
    assert _words([*plain, "a\x00b"]).to_pylist() == [*expected, ["a", "b"]]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="latin-1"), max_size=30), max_size=8))
def test_words_read_as_a_plain_python_regex_reads_them(texts):
    # The reference the coder used to be built on; the fast ASCII path (texts alone) and the
    # RE2 path (a non-ASCII text beside them) must both agree with it. Latin-1 only: for
    # scripts newer than Python's Unicode tables the two may differ, which is harmless here
    # (statements and codebook go through the same reader).
    def reference(text):
        # Accents dropped, as the coder does ("léche" reads as "leche").
        text = "".join(
            c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c)
        )
        return re.findall(r"[^\W_]+", re.sub(r"['’`]", "", text)) or [""]

    assert _words([*texts, "é"]).to_pylist()[:-1] == [reference(t) for t in texts]
    plain = [t for t in texts if t.isascii()]
    assert _words(plain).to_pylist() == [reference(t) for t in plain]


def test_codebooks_of_any_keyword_lengths_code_and_odd_text_is_read():
    # Keywords of one and three words but none of two; found in review (it raised KeyError).
    book = pd.DataFrame({"code": ["dairy", "rent"], "keywords": ["milk", "help with rent"]})
    said = pd.DataFrame({"need": ["milk please", "some help with rent", "help"]})
    assert code_needs(said, book)["code"].tolist() == ["dairy", "rent", None]
    # Python's lower case (a word-final sigma is ς), as before.
    greek = pd.DataFrame({"code": ["road"], "keywords": ["ΟΔΟΣ"]})
    said = pd.DataFrame({"need": ["η οδος μας", "ΟΔΟΣ"]})
    assert code_needs(said, greek)["code"].tolist() == ["road", "road"]
    # A lone surrogate (pandas' str dtype refuses it; object columns hold it) is no letter.
    said = pd.DataFrame({"need": pd.Series(["rent \udcff milk"], dtype=object)})
    assert code_needs(said, book)["code"].tolist() == ["dairy"]


def test_short_words_are_not_fuzzy_matched_loosely():
    said = pd.DataFrame({"need": ["my dog barks", "bud", "shelfs"]})
    assert code_needs(said, BOOK)["code"].isna().all()


def test_empty_codebook_codes_nothing_and_input_is_not_mutated():
    said = pd.DataFrame({"need": ["milk"]})
    before = said.copy()
    coded = code_needs(said, BOOK.iloc[0:0])
    assert coded["code"].isna().all()
    pd.testing.assert_frame_equal(said, before)


def test_codebook_version_follows_the_codebook():
    changed = BOOK.assign(keywords=BOOK["keywords"].str.replace("milk", "dairy"))
    assert codebook_version(BOOK) == codebook_version(BOOK.iloc[::-1])
    assert codebook_version(BOOK) != codebook_version(changed)


def test_uncoded_lists_distinct_texts_most_frequent_first():
    coded = code_needs(pd.DataFrame({"need": ["pigeons", "mural", "pigeons", "milk"]}), BOOK)
    listed = uncoded_needs(coded)
    assert listed.to_dict("records") == [
        {"need": "pigeons", "statements": 2},
        {"need": "mural", "statements": 1},
    ]


# ----------------------------------------------------------------------------- gap


def _story():
    """4 staff, 10 respondents: staff assume a pantry; customers need milk."""
    assumed = pd.DataFrame(
        {
            "staff": ["A", "B", "C", "D", "D", "A"],
            "code": [
                "food_pantry",
                "food_pantry",
                "food_pantry",
                "transport",
                "food_pantry",
                "food_pantry",
            ],
            "importance": [5, 5, 4, 3, 5, 5],
        }
    )
    stated = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(10)] + ["r0", "r1"],
            "code": ["perishable_food"] * 6
            + ["transport"] * 3
            + [None]
            + ["perishable_food", "food_pantry"],
            "importance": [5, 5, 4, 5, 5, 4, 3, 3, 4, np.nan, 5, 2],
        }
    )
    return assumed, stated


def test_gap_table_against_an_independent_computation():
    assumed, stated = _story()
    gap = needs_gap(assumed, stated, codebook=BOOK, min_staff_n=1).set_index("code")
    # Staff: 4 staff named any need; pantry by A, B, C, D (D twice, A twice: once each).
    assert gap.loc["food_pantry", ["staff_n", "staff_total"]].tolist() == [4, 4]
    # Customers: 10 respondents (r9 named only an uncoded need); milk by r0–r5 (r0 twice).
    assert gap.loc["perishable_food", ["customer_n", "customer_total"]].tolist() == [6, 10]
    assert gap.loc["perishable_food", "customer_share"] == pytest.approx(0.6)
    low, high = wilson(6, 10)
    assert gap.loc[
        "perishable_food", ["customer_ci_low", "customer_ci_high"]
    ].tolist() == pytest.approx([float(low), float(high)])
    d, dl, dh = newcombe_difference(6, 10, 0, 4)
    assert gap.loc[
        "perishable_food", ["gap", "gap_ci_low", "gap_ci_high"]
    ].tolist() == pytest.approx([float(d), float(dl), float(dh)])
    assert gap.loc["perishable_food", "classification"] == "blind spot"
    assert gap.loc["food_pantry", "classification"] == "assumed only"
    assert gap.loc["transport", "classification"] == "shared priority"
    assert gap.loc["food_pantry", "staff_importance"] == pytest.approx(4.8)
    assert gap.loc["perishable_food", "customer_importance"] == pytest.approx(
        (5 + 5 + 4 + 5 + 5 + 4 + 5) / 7
    )
    assert gap.loc["perishable_food", "label"] == "Milk and perishable food"
    assert list(gap.index) == ["perishable_food", "transport", "food_pantry"], (
        "sorted by gap, largest first"
    )
    assert set(gap["priority_threshold"]) == {0.2} and set(gap["confidence"]) == {0.95}


def test_rows_without_a_respondent_id_count_as_one_respondent_each():
    stated = pd.DataFrame({"respondent_id": [None, None, "x", "x"], "code": ["a", "a", "a", "b"]})
    gap = needs_gap(pd.DataFrame({"staff": ["S"], "code": ["a"]}), stated, min_n=1).set_index(
        "code"
    )
    assert gap.loc["a", ["customer_n", "customer_total"]].tolist() == [3, 3]


def test_weights_use_the_effective_sample_size():
    stated = pd.DataFrame(
        {"respondent_id": list("abcd"), "code": ["m", "m", "x", "x"], "weight": [3, 1, 1, 1]}
    )
    gap = needs_gap(pd.DataFrame({"staff": ["S"], "code": ["x"]}), stated, min_n=1).set_index(
        "code"
    )
    assert gap.loc["m", "customer_share"] == pytest.approx(4 / 6)
    assert gap.loc["m", "customer_effective_n"] == pytest.approx(36 / 12)
    low, high = wilson(4 / 6 * 3, 3)
    assert gap.loc["m", "customer_ci_low"] == pytest.approx(float(low))
    unweighted = needs_gap(
        pd.DataFrame({"staff": ["S"], "code": ["x"]}), stated, min_n=1, weight=None
    )
    assert unweighted.set_index("code").loc["m", "customer_share"] == pytest.approx(0.5)


def test_small_groups_are_suppressed_but_keep_their_counts():
    assumed, stated = _story()
    gap = needs_gap(assumed, stated, min_n=11)
    assert gap["suppressed"].all()
    assert gap[["customer_share", "gap", "gap_ci_low"]].isna().all().all()
    assert gap["classification"].isna().all()
    assert gap["customer_total"].eq(10).all()


def test_by_segment_and_a_segment_staff_never_considered():
    assumed = pd.DataFrame(
        {"staff": ["A", "B"], "segment": ["Residents", "Residents"], "code": ["food_pantry"] * 2}
    )
    stated = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(12)],
            "segment": ["Residents"] * 6 + ["Businesses"] * 6,
            "code": ["perishable_food"] * 6 + ["transport"] * 6,
        }
    )
    gap = needs_gap(assumed, stated, by="segment")
    assert list(gap.columns[:2]) == ["segment", "code"]
    businesses = gap[gap["segment"] == "Businesses"].set_index("code")
    assert businesses.loc["transport", "staff_total"] == 0
    assert np.isnan(businesses.loc["transport", "staff_share"])
    assert businesses.loc["transport", "classification"] == "blind spot"


def test_one_staff_member_and_all_statements_uncoded():
    one = needs_gap(
        pd.DataFrame({"staff": ["A"], "code": ["food_pantry"]}), _story()[1], min_staff_n=1
    )
    assert one.set_index("code").loc["food_pantry", "staff_share"] == 1.0
    uncoded = pd.DataFrame({"respondent_id": list("abcdef"), "code": [None] * 6})
    gap = needs_gap(pd.DataFrame({"staff": ["A"], "code": ["food_pantry"]}), uncoded)
    assert gap["code"].tolist() == ["food_pantry"]
    assert gap["customer_n"].tolist() == [0] and gap["customer_total"].tolist() == [6]
    # No staff list yet: the customers' needs are still rows, with no staff share.
    nobody = needs_gap(pd.DataFrame({"staff": [], "code": []}), _story()[1])
    assert len(nobody) > 0 and (nobody["staff_total"] == 0).all()
    assert nobody["staff_share"].isna().all() and nobody["customer_share"].notna().all()


def test_by_a_column_only_customers_have_compares_each_group_with_all_staff():
    assumed, stated = _story()
    stated = stated.assign(language=["Somali"] * 5 + ["English"] * 5 + ["Somali", "English"])
    gap = needs_gap(assumed, stated, by="language", min_n=1, min_staff_n=1)
    assert all_staff_compared(assumed, "language")
    assert set(gap["language"]) == {"Somali", "English"}
    # Every group is compared with the same 4 staff, their shares as without groups.
    whole = needs_gap(assumed, stated, min_staff_n=1).set_index("code")["staff_share"]
    assert (gap["staff_total"] == 4).all()
    for _, row in gap.iterrows():
        assert row["staff_share"] == whole[row["code"]]
    somali = gap[gap["language"] == "Somali"].set_index("code")
    assert somali.loc["perishable_food", "customer_total"] == 5
    assert "each language group's customers are compared with all staff (4 staff members)" in (
        all_staff_note("language", 4)
    )
    with pytest.raises(DataValidationError, match="stated has no column 'campus'"):
        needs_gap(assumed, stated, by="campus")


def test_needs_named_by_nobody_are_not_rows():
    assumed, stated = _story()
    gap = needs_gap(assumed, stated, codebook=BOOK)
    assert "shelter" not in set(gap["code"])


def test_bad_arguments_are_explained():
    assumed, stated = _story()
    with pytest.raises(DataValidationError, match="has no column 'segment'"):
        needs_gap(assumed, stated, by="segment")
    with pytest.raises(DataValidationError, match="confidence must be a number between 0 and 1"):
        needs_gap(assumed, stated, confidence=95)
    with pytest.raises(DataValidationError, match="min_n must be a whole number"):
        needs_gap(assumed, stated, min_n=0)


@settings(max_examples=40, deadline=None)
@given(
    staff_codes=st.lists(st.sampled_from("abcd"), min_size=1, max_size=20),
    customer_codes=st.lists(st.sampled_from("abcde"), min_size=1, max_size=60),
    confidence=st.floats(0.6, 0.98),
)
def test_gap_properties(staff_codes, customer_codes, confidence):
    assumed = pd.DataFrame(
        {"staff": [f"s{i % 5}" for i in range(len(staff_codes))], "code": staff_codes}
    )
    stated = pd.DataFrame(
        {
            "respondent_id": [f"r{i % 17}" for i in range(len(customer_codes))],
            "code": customer_codes,
        }
    )
    gap = needs_gap(assumed, stated, confidence=confidence, min_n=1, min_staff_n=1)
    wider = needs_gap(assumed, stated, confidence=0.99, min_n=1, min_staff_n=1)
    for side in ("staff", "customer"):
        share, low, high = gap[f"{side}_share"], gap[f"{side}_ci_low"], gap[f"{side}_ci_high"]
        assert share.between(0, 1).all()
        assert (low <= share + 1e-12).all() and (share <= high + 1e-12).all()
        assert (wider[f"{side}_ci_low"] <= low + 1e-12).all() and (
            wider[f"{side}_ci_high"] >= high - 1e-12
        ).all()
    assert (gap["gap_ci_low"] <= gap["gap"] + 1e-12).all() and (
        gap["gap"] <= gap["gap_ci_high"] + 1e-12
    ).all()
    assert gap["classification"].isin(CLASSIFICATIONS).all()


def test_importance_means_carry_their_ratings_and_a_t_interval():
    assumed, stated = _story()
    gap = needs_gap(assumed, stated, codebook=BOOK, min_staff_n=1).set_index("code")
    # Staff rate the pantry 5, 5, 4, 5, 5 (A rates it twice: both ratings count).
    m, low, high, n = mean_interval([5, 5, 4, 5, 5])
    high = min(high, 5.0)  # kept on the 1–5 scale (the t interval runs to 5.36)
    assert gap.loc[
        "food_pantry",
        [
            "staff_importance",
            "staff_importance_n",
            "staff_importance_ci_low",
            "staff_importance_ci_high",
        ],
    ].tolist() == pytest.approx([m, n, low, high])
    m, low, high, n = mean_interval([5, 5, 4, 5, 5, 4, 5])
    high = min(high, 5.0)
    assert gap.loc[
        "perishable_food",
        [
            "customer_importance",
            "customer_importance_n",
            "customer_importance_ci_low",
            "customer_importance_ci_high",
        ],
    ].tolist() == pytest.approx([m, n, low, high])
    # One staff rating (transport, 3): a mean with no interval; unrated: n 0.
    assert gap.loc["transport", "staff_importance_n"] == 1
    assert np.isnan(gap.loc["transport", "staff_importance_ci_low"])
    assert gap.loc["perishable_food", "staff_importance_n"] == 0
    # Suppressed: the count of ratings stays, the mean and interval go.
    small = needs_gap(assumed, stated, min_n=11).set_index("code")
    assert small.loc["perishable_food", "customer_importance_n"] == 7
    assert small[["customer_importance", "customer_importance_ci_low"]].isna().all().all()


def test_mean_intervals_agree_with_mean_interval():
    values = [4, 5, 3, 4, 4]
    m, low, high, n = mean_interval(values, 0.9)
    lows, highs = mean_intervals([m], [np.var(values, ddof=1)], [n], 0.9)
    assert [lows[0], highs[0]] == pytest.approx([low, high])
    assert np.isnan(mean_intervals([3.0], [np.nan], [1])[0][0])


def _one_need(staff_total, staff_n, customers, named, code="milk"):
    """``staff_n`` of ``staff_total`` staff and ``named`` of ``customers`` name ``code``."""
    assumed = pd.DataFrame(
        {
            "staff": [f"s{i}" for i in range(staff_total)],
            "code": [code] * staff_n + ["other"] * (staff_total - staff_n),
        }
    )
    stated = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(customers)],
            "code": [code] * named + ["else"] * (customers - named),
        }
    )
    return needs_gap(assumed, stated, min_staff_n=1).set_index("code").loc[code]


def test_a_blind_spot_or_assumed_only_need_needs_its_gap_interval_to_agree():
    # 0 of 2 staff, 2 of 5 customers: the point estimates say blind spot (40% vs 0%), but
    # the gap's interval (Newcombe) runs below zero: not shown to differ.
    row = _one_need(2, 0, 5, 2)
    assert row["classification_point"] == "blind spot"
    assert row["gap_ci_low"] < 0
    assert row["classification"] == "possible blind spot"
    # The same shares at 20 staff and 200 customers: the interval is above zero.
    row = _one_need(20, 0, 200, 80)
    assert row["gap_ci_low"] > 0
    assert row["classification"] == row["classification_point"] == "blind spot"
    # Assumed only: 1 of 2 staff, 0 of 5 customers, against 10 of 20 and 0 of 200.
    row = _one_need(2, 1, 5, 0)
    assert row["classification_point"] == "assumed only" and row["gap_ci_high"] > 0
    assert row["classification"] == "possibly assumed only"
    row = _one_need(20, 10, 200, 0)
    assert row["classification"] == row["classification_point"] == "assumed only"


def test_a_group_no_staff_member_considered_keeps_its_blind_spot():
    assumed = pd.DataFrame({"staff": ["A"], "code": ["x"], "segment": ["Other"]})
    stated = pd.DataFrame(
        {"respondent_id": list("abcde"), "code": ["milk"] * 2 + ["y"] * 3, "segment": "R"}
    )
    row = needs_gap(assumed, stated, by="segment").set_index(["segment", "code"])
    row = row.loc[("R", "milk")]
    assert row["staff_total"] == 0 and np.isnan(row["gap_ci_low"])
    assert row["classification"] == row["classification_point"] == "blind spot"


# ----------------------------------------------------------------------------- agreement


def test_rank_agreement_matches_scipy_and_lists_customer_only_needs():
    assumed, stated = _story()
    gap = needs_gap(assumed, stated, codebook=BOOK, min_staff_n=1)
    result = rank_agreement(gap, top_k=1).iloc[0]
    rho = sps.spearmanr(gap["staff_share"], gap["customer_share"]).statistic
    tau = sps.kendalltau(gap["staff_share"], gap["customer_share"]).statistic
    assert result["spearman"] == pytest.approx(rho)
    assert result["kendall"] == pytest.approx(tau)
    assert result["needs"] == 3
    assert (
        result["customer_only"] == 1 and result["customer_only_needs"] == "Milk and perishable food"
    )
    assert result["top_k_overlap"] == 0
    assert result["spearman_ci_low"] <= result["spearman"] <= result["spearman_ci_high"]


def test_rank_agreement_per_group_and_suppressed():
    assumed, stated = _story()
    gap = needs_gap(assumed.assign(segment="R"), stated.assign(segment="R"), by="segment", min_n=20)
    result = rank_agreement(gap, by="segment")
    assert result["segment"].tolist() == ["R"] and bool(result["suppressed"].iloc[0])
    assert np.isnan(result["spearman"].iloc[0])


# ----------------------------------------------------------------------------- segments


def test_common_ground_conflict_and_one_sided_needs():
    rows = []
    for i in range(10):
        rows += [("Residents", f"r{i}", "perishable_food", 5), ("Residents", f"r{i}", "drop_in", 5)]
        rows += [
            ("Businesses", f"b{i}", "perishable_food", 4),
            ("Businesses", f"b{i}", "drop_in", 1),
        ]
        rows += [("Businesses", f"b{i}", "parking", 4)]
    stated = pd.DataFrame(rows, columns=["segment", "respondent_id", "code", "importance"])
    cg = common_ground(stated).set_index("code")
    assert cg.loc["drop_in", "relation"] == "conflict"
    assert cg.loc["perishable_food", "relation"] == "common ground"
    assert cg.loc["parking", "relation"] == "only Businesses"
    assert cg.loc["perishable_food", "in_every_segment"]
    assert (cg["segment_a"] == "Residents").all() and (cg["segment_b"] == "Businesses").all()


def _rated(ratings: dict) -> pd.DataFrame:
    """Each segment's respondents all name drop_in, rating it as listed."""
    rows = [
        (seg, f"{seg}{i}", "drop_in", rating)
        for seg, values in ratings.items()
        for i, rating in enumerate(values)
    ]
    return pd.DataFrame(rows, columns=["segment", "respondent_id", "code", "importance"])


def test_a_conflict_needs_the_welch_interval_of_the_difference_to_exclude_zero():
    few = {"A": [5, 1, 5, 1, 5, 5], "B": [1, 1, 5, 1, 1, 1]}  # means 3.67 and 1.67
    row = common_ground(_rated(few)).iloc[0]
    result = sps.ttest_ind(few["A"], few["B"], equal_var=False).confidence_interval()
    assert row[
        ["importance_difference", "importance_difference_ci_low", "importance_difference_ci_high"]
    ].tolist() == pytest.approx([2.0, result.low, result.high])
    assert row["importance_difference_ci_low"] < 0
    # Two points apart, but the interval includes zero: both groups name it, so it is
    # common ground; the means alone would call it a conflict.
    assert row["relation_point"] == "conflict"
    assert row["relation"] == "common ground"
    assert row["importance_n_a"] == 6 and row["importance_n_b"] == 6
    m, low, high, _ = mean_interval(few["A"])
    assert row[["importance_a", "importance_ci_low_a", "importance_ci_high_a"]].tolist() == (
        pytest.approx([m, low, high])
    )
    # The same ratings from ten times as many people: the interval excludes zero.
    many = {seg: values * 10 for seg, values in few.items()}
    row = common_ground(_rated(many)).iloc[0]
    assert row["importance_difference_ci_low"] > 0
    assert row["relation"] == row["relation_point"] == "conflict"
    # A single rating on one side: no interval, no conflict.
    one = {"A": [5, 5, 5, 5, 5, 5], "B": [1, None, None, None, None, None]}
    row = common_ground(_rated(one)).iloc[0]
    assert row["importance_n_b"] == 1 and np.isnan(row["importance_difference_ci_low"])
    assert row["relation_point"] == "conflict" and row["relation"] == "common ground"


def test_one_sided_needs_need_the_interval_of_the_share_difference_to_exclude_zero():
    def stated(named_by_a: int) -> pd.DataFrame:
        rows = [(seg, f"{seg}{i}", "base") for seg in "AB" for i in range(10)]
        rows += [("A", f"A{i}", "x") for i in range(named_by_a)]
        return pd.DataFrame(rows, columns=["segment", "respondent_id", "code"])

    # 3 of 10 against 0 of 10: a priority in A, rare in B, but Newcombe's interval of the
    # difference is −0.038 to 0.603, so the two are not shown to differ.
    row = common_ground(stated(3)).set_index("code").loc["x"]
    assert (row["difference_ci_low"], row["difference_ci_high"]) == pytest.approx(
        (-0.038, 0.603), abs=5e-4
    )
    assert row["relation_point"] == "only A" and pd.isna(row["relation"])
    # 4 of 10: the interval (0.038 to 0.687) leaves out zero.
    row = common_ground(stated(4)).set_index("code").loc["x"]
    assert row["difference_ci_low"] > 0
    assert row["relation"] == row["relation_point"] == "only A"


def test_common_ground_suppresses_small_segments():
    stated = pd.DataFrame(
        {"segment": ["A"] * 6 + ["B"] * 2, "respondent_id": list("abcdefgh"), "code": ["x"] * 8}
    )
    cg = common_ground(stated)
    assert cg["suppressed"].all() and cg["share_a"].isna().all()


# ----------------------------------------------------------------------------- IPA


def test_importance_performance_quadrants_midpoint_and_mean():
    ratings = {
        "concentrate": (5, 1),
        "keep_up": (5, 5),
        "low": (1, 1),
        "overkill": (1, 5),
        "on_the_line": (3, 3),
    }
    rows = [(code, imp, perf) for code, (imp, perf) in ratings.items() for _ in range(5)]
    stated = pd.DataFrame(rows, columns=["code", "importance", "performance"])
    ip = importance_performance(stated).set_index("code")
    assert ip["quadrant"].to_dict() == {
        "concentrate": "Concentrate here",
        "keep_up": "Keep up the good work",
        "low": "Low priority",
        "overkill": "Possible overkill",
        "on_the_line": "Keep up the good work",
    }
    assert set(ip["crosshair"]) == {"midpoint"} and set(ip["crosshair_importance"]) == {3.0}
    by_mean = importance_performance(stated, crosshair="mean")
    assert by_mean["crosshair_importance"].iloc[0] == pytest.approx(stated["importance"].mean())
    few = importance_performance(stated.iloc[:3])
    assert few["suppressed"].all() and few["quadrant"].isna().all()
    with pytest.raises(DataValidationError, match="crosshair must be one of"):
        importance_performance(stated, crosshair="median")


# ----------------------------------------------------------------------------- the demo


def test_the_food_pantry_story_comes_out_of_the_demo():
    demo = build_demo("neighbourhood")
    book = demo["codebook"]
    assumed, stated = (
        code_needs(demo["assumed_needs"], book),
        code_needs(demo["stated_needs"], book),
    )
    gap = needs_gap(assumed, stated, codebook=book).set_index("code")
    assert gap["gap"].idxmax() == "perishable_food"
    assert gap.loc["perishable_food", "classification"] == "blind spot"
    assert gap.loc["perishable_food", "staff_n"] == 0
    assert gap.loc["food_pantry", "classification"] == "assumed only"
    by_segment = needs_gap(assumed, stated, codebook=book, by="segment")
    residents = by_segment[by_segment["segment"] == "Residents"].set_index("code")
    assert residents["customer_share"].idxmax() == "perishable_food"
