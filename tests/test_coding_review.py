"""Coding you can review (issue 16): fuzzy matching never reads one real word as another,
the accuracy targets on the labelled set, the review queue and two coders."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.bench_coding import (
    BEFORE,
    TARGET_FUZZY_PRECISION,
    TARGET_PRECISION,
    accuracy,
    labelled,
)
from toolkit.coding import code_needs, real_words

BOOK = pd.DataFrame(
    {
        "code": ["budget_clarity", "HOUSING", "HOURS", "perishable_food", "language_access"],
        "label": ["Budget and funding clarity", "Housing", "Opening hours", "Milk", "Language"],
        "keywords": ["budget; funding", "house; housing", "hours; evening", "milk", "interpreter"],
    }
)


def _coded(*texts: str) -> pd.DataFrame:
    return code_needs(pd.DataFrame({"need": list(texts)}), BOOK)


def test_a_real_word_is_never_read_as_another():
    coded = _coded("Help finding work", "hours on weekdays", "my house", "founding members")
    assert coded["code"].tolist() == [None, "HOURS", "HOUSING", None]
    assert coded["coded_by"].tolist() == [None, "keyword", "keyword", None]


def test_typos_that_are_no_word_still_match():
    coded = _coded("fundnig cuts", "mlik for the kids", "evenning")
    assert coded["code"].tolist() == ["budget_clarity", "perishable_food", "HOURS"]
    assert set(coded["coded_by"]) == {"fuzzy"}
    assert coded["match_score"].between(0.7, 0.99).all()


def test_a_spanish_word_may_be_a_long_keyword_written_the_spanish_way():
    # "interprete" is Spanish (not English): it may be "interpreter" (11 letters) …
    assert _coded("un intérprete")["code"].tolist() == ["language_access"]
    # … but a Spanish word is no typo of a short keyword: "mili" is not "milk".
    assert "mili" in real_words("es") | real_words("en")
    assert _coded("la mili")["code"].isna().all()


def test_the_codebook_own_words_are_real_words():
    # "hotspot" is in no word list, but the codebook uses it: it is no typo of "hotshot".
    assert "hotspot" not in real_words("en") | real_words("es")
    book = pd.DataFrame({"code": ["LOAN", "SPORT"], "keywords": ["hotspot lending", "hotshot"]})
    said = pd.DataFrame({"need": ["a hotspot", "hotshat team", "hotspot lending please"]})
    coded = code_needs(said, book)
    assert coded["code"].tolist() == [None, "SPORT", "LOAN"]
    assert coded["coded_by"].tolist() == [None, "fuzzy", "keyword"]


@pytest.fixture(scope="module")
def holdout() -> pd.DataFrame:
    data = labelled()
    assert len(data) >= 500 and (data["split"] == "holdout").mean() == pytest.approx(0.2, abs=0.05)
    return accuracy(data.loc[data["split"] == "holdout"].reset_index(drop=True)).set_index("kind")


def test_automatic_coding_meets_the_targets_on_the_holdout(holdout):
    assert holdout.loc["all", "precision"] >= TARGET_PRECISION
    assert holdout.loc["fuzzy", "precision"] >= TARGET_FUZZY_PRECISION
    assert holdout.loc["all", "recall"] >= BEFORE["holdout"]["all"][1] - 1e-9


def test_no_finding_funding_misfile_in_the_labelled_set():
    data = labelled()
    coded = code_needs(data.rename(columns={"statement": "need"}), BOOK)
    finding = data["statement"].str.contains("finding", case=False)
    assert finding.sum() >= 5
    assert not coded.loc[finding, "code"].eq("budget_clarity").any()
