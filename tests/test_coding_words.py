"""The coder's fast paths read statements exactly as its general ones do.

ASCII statements are split into words byte by byte (NumPy and Arrow), others through
Python and RE2; keywords of several words are found by table look-ups; many statements
are coded on two threads. Each must give what the general reading gives.
"""

from __future__ import annotations

import random

import pandas as pd
import pyarrow as pa
import pytest

from toolkit import coding
from toolkit.coding import _other_words, _words, code_needs


def _random_texts(seed: int, count: int, alphabet: str = "aZ9 '`-.\x00_\t,") -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9))) for _ in range(count)]


@pytest.mark.parametrize("seed", range(40))
def test_ascii_words_are_the_general_reading(seed):
    texts = _random_texts(seed, 60)
    assert _words(texts).to_pylist() == _other_words(texts).to_pylist()


@pytest.mark.parametrize("seed", range(10))
def test_mixed_texts_keep_their_order(seed):
    texts = _random_texts(seed, 40) + ["Café LÉCHE", "ΣΑΣ milk", "don’t stop"]
    random.Random(seed).shuffle(texts)
    assert _words(texts).to_pylist() == _other_words(texts).to_pylist()


def test_words_of_edge_cases():
    said = ["Don't-stop!", "", "  ", "'", "a ' b", "x`y Z9", "ab", "cd", "it's  ''  ok"]
    assert _words(said).to_pylist() == [
        ["dont", "stop"],
        [""],
        [""],
        [""],
        ["a", "b"],
        ["xy", "z9"],
        ["ab"],
        ["cd"],
        ["its", "ok"],
    ]


def test_a_slice_of_arrow_texts_reads_as_its_own():
    texts = pa.array(["Milk please", "FRESH food", "Bus", "Open later"], pa.large_string())
    assert _words(texts[2:]).to_pylist() == [["bus"], ["open", "later"]]
    assert _words(texts[1:3].cast(pa.string())).to_pylist() == [["fresh", "food"], ["bus"]]


def _book() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["perishable_food", "food_pantry", "late_hours", "transport"],
            "label": ["Milk and perishable food", "Food pantry", "Open later", "Transport"],
            "keywords": [
                "milk; fresh food; refrigerat",
                "pantry; food bank; food bank open on saturday",
                "open later; evening hours; open on saturday mornings",
                "bus; bus stop; ride to the clinic",
            ],
        }
    )


def test_keywords_of_several_words_longest_first():
    said = pd.DataFrame(
        {
            "need": [
                "the food bank open on saturday please",  # 6 words beat "food bank"
                "food banks near the bus stop",  # a plural, then two codes named once each
                "open on saturday mornings and a food bank",  # 4 words beat 2
                "a ride to the clinic",
                "ride to the",  # a keyword's beginning only
                "fresh fod and bus",  # a keyword is found before any typo is looked for
            ]
        }
    )
    coded = code_needs(said, _book())
    assert coded["code"].tolist() == [
        "food_pantry",
        "food_pantry",
        "late_hours",
        "transport",
        None,
        "transport",
    ]
    assert coded["match_score"].tolist()[:4] == [1.0, 0.5, 0.5, 1.0]


def test_many_statements_on_two_threads_code_as_one(monkeypatch):
    words = "milk bus pantry food bank open later clinic fresh fod the a we need more".split()
    rng = random.Random(7)
    said = pd.DataFrame(
        {
            "need": [
                " ".join(rng.choice(words) for _ in range(rng.randint(1, 8))) for _ in range(3000)
            ]
        }
    )
    together = code_needs(said, _book())
    monkeypatch.setattr(coding, "_SPLIT_FROM", 100)
    coding._matcher.cache_clear()
    halves = code_needs(said, _book())
    pd.testing.assert_frame_equal(together, halves)


def test_a_large_codebooks_sparse_tables_code_as_the_dense_ones(monkeypatch):
    said = pd.DataFrame(
        {
            "need": [
                "the food bank open on saturday please",
                "food banks near the bus stop",
                "open on saturday mornings and a food bank",
                "a ride to the clinic",
                "ride to the",
                "fresh fod",
            ]
        }
    )
    dense = code_needs(said, _book())
    monkeypatch.setattr(coding._Cells, "_DENSE_MOST", 0)
    coding._matcher.cache_clear()
    pd.testing.assert_frame_equal(code_needs(said, _book()), dense)
    assert not coding._matcher(coding._codebook_rows(_book())).runs.keyword[2].dense


def test_a_few_words_are_known_as_many_are(monkeypatch):
    """Up to a few thousand words are looked up in Python's sets, more by Arrow: the same
    answer (English words, the codebook's own words, and neither)."""
    book = pd.DataFrame({"code": ["milk"], "label": ["Milk"], "keywords": ["fresh milk; zzyzx"]})
    matcher = coding._matcher(coding._codebook_rows(book))
    words = pa.array(["milk", "zzyzx", "mlik", "house", "", "finding", "qwrtp", "fresh", "a"])
    few = matcher.known(words)
    monkeypatch.setattr(coding, "_FEW_WORDS", 0)
    assert few.tolist() == matcher.known(words).tolist()
    assert few.tolist() == [True, True, False, True, False, True, False, True, False]
