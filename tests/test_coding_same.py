"""A faster coder codes as the coder before it did: the codes, kinds and scores stored in
tests/fixtures/coding/expected-codes.jsonl.gz.

The stored codes were made by the coder of issue 19's first rewrite (words numbered in
NumPy and Arrow), before any later change for speed, on a varied sample (:func:`sample`):
the labelled set, the demo engagements' stated and assumed needs, edge cases (blank and
punctuation-only text, "N/A" and other *not a need* answers, negations, accents,
apostrophes, several-word keywords, plurals, stems, misspellings, very long texts, Greek,
Cyrillic, Chinese and Arabic text, emoji, control characters), random noisy statements
made of keywords and filler words with swapped letters, random letter soup, and the
benchmark's synthetic statements (all different ones, and repeated ones) with its
codebook. A change that is meant to code differently rewrites the file
(``python -m tests.test_coding_same --write``) and shows the differences in its review.
"""

from __future__ import annotations

import random
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit import coding
from toolkit.coding import _Said, _words, code_needs

EXPECTED = Path(__file__).parent / "fixtures" / "coding" / "expected-codes.jsonl.gz"

EDGE = [
    *["", " ", "   ", "\t", "'", "''", "-", "...", "N/A", "n/a", "No", "none", "Nothing"],
    *["nothing really", "No bus on Sundays", "not a need", "I do not need milk"],
    *["Don't need a food bank, we need a bus", "Café LÉCHE por favor", "más despensa de comida"],
    *["Horário del autobús", "depresión y ansiedad", "intérprete para mi mamá", "ΣΑΣ milk"],
    *["Μου λείπει το γάλα", "молоко и хлеб", "需要更多的食物银行", "مساعدة في الطعام"],
    *["food bank 🍎🍞 please", "milk\u00a0and eggs", "don’t have a fridge"],
    *["it's the food-bank's hours", "we`d like a bus`stop", "FOOD BANK!!!", "food.bank"],
    *["foodbank", "food banks and food pantries", "mlik for kids", "fresh fod"],
    *["refrigerator broke", "Refrigerat", "the fod bnak", "finding funding"],
    *["open later on saturday mornings", "open on saturday mornings", "milk " * 300],
    ("we need help with the rent and a food bank and a bus " * 40).strip(),
    *["a" * 5000, "x" * 12 + " milk", "0123456789 milk 42", "milk12 bus9", "  Milk   ", "MILK"],
    *["Milk; eggs; cheese", "tutoring, tutoring, tutoring", "Tutoríng", "childcare"],
    *["child care", "after school", "after-school", "afterschool program", "mental health"],
    *["mental-health", "counseling", "counselling", "transport", "transportation", "bus pass"],
    *["buss pass", "rent help", "rental assistance", "job training", "jobs", "english classes"],
    *["ESL", "wifi", "wi-fi", "internet at home", "computer access", "laptop", "housing"],
    *["hosuing", "houses", "\x00milk", "milk\x00bus", "_milk_", "milk_bus"],
]


def _random_texts(seed: int, count: int, alphabet: str) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(count)]


def _noisy(words: list[str], seed: int, count: int) -> list[str]:
    """Statements of 1–22 keywords and filler words, some with two letters swapped."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        picks = [rng.choice(words) for _ in range(rng.randint(1, 22))]
        j = rng.randrange(len(picks))
        w = picks[j]
        if len(w) > 4 and rng.random() < 0.4:
            i = rng.randrange(1, len(w) - 1)
            picks[j] = w[:i] + w[i + 1] + w[i] + w[i + 2 :] if i + 1 < len(w) else w
        text = rng.choice([" ", ", ", " - ", "  "]).join(picks)
        if rng.random() < 0.3:
            text = text.upper() if rng.random() < 0.5 else text.title()
        out.append(text)
    return out


@cache
def books() -> dict[str, pd.DataFrame]:
    from benchmarks.bench_coding import codebook
    from benchmarks.bench_needs import synthetic_codebook

    return {"both": codebook(), "synthetic": synthetic_codebook()}


def sample() -> list[tuple[str, list[str], str]]:
    """(name, texts, codebook) of each part of the sample."""
    from benchmarks.bench_coding import labelled
    from benchmarks.bench_needs import distinct_statements, synthetic_statements
    from toolkit.demo.build import build_demo

    book, synth = books()["both"], books()["synthetic"]
    keywords = [
        k.strip()
        for column in ("keywords", "keywords_es")
        for ks in book[column].dropna()
        for k in str(ks).split(";")
        if k.strip()
    ]
    filler = "the a we our more need help with for not no please better near open later"
    sets = [("labelled", labelled()["statement"].tolist(), "both")]
    for name in ("neighbourhood", "university"):
        demo = build_demo(name)
        texts = demo["stated_needs"]["need"].tolist() + demo["assumed_needs"]["need"].tolist()
        sets.append((f"demo-{name}", texts, "both"))
    sets += [
        ("edge", EDGE, "both"),
        ("noisy", _noisy(keywords + filler.split(), 5, 900), "both"),
        ("random", _random_texts(3, 300, "abcdeilmnopstu kf'`-.,ñé9"), "both"),
        (
            "synthetic-distinct",
            distinct_statements(synth, 900, seed=21)["need"].tolist(),
            "synthetic",
        ),
        (
            "synthetic-repeated",
            synthetic_statements(synth, 1200, 600, seed=22)["need"].drop_duplicates().tolist(),
            "synthetic",
        ),
    ]
    return sets


def _coded(texts: list[str], book: str, fuzzy: bool) -> pd.DataFrame:
    frame = pd.DataFrame({"need": pd.Series(texts, dtype=object)})
    return code_needs(frame, books()[book], fuzzy=fuzzy)


def write() -> None:
    """Rewrite the stored codes with this coder's (only for a change meant to code differently)."""
    frames = []
    for name, texts, book in sample():
        for fuzzy in (True, False) if name in ("edge", "labelled", "noisy") else (True,):
            coded = _coded(texts, book, fuzzy)
            frames.append(
                pd.DataFrame(
                    {
                        "set": name,
                        "book": book,
                        "fuzzy": fuzzy,
                        "need": texts,
                        "code": coded["code"],
                        "coded_by": coded["coded_by"],
                        "match_score": coded["match_score"],
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    out.to_json(EXPECTED, orient="records", lines=True, compression="gzip", force_ascii=False)


@cache
def expected() -> pd.DataFrame:
    return pd.read_json(EXPECTED, lines=True, dtype=False, compression="gzip")


def _parts() -> list[tuple[str, str, bool]]:
    keys = expected()[["set", "book", "fuzzy"]].drop_duplicates()
    return [tuple(row) for row in keys.itertuples(index=False)]


@pytest.mark.parametrize("split", [False, True], ids=["one thread", "two threads"])
@pytest.mark.parametrize(("part", "book", "fuzzy"), _parts())
def test_codes_as_the_coder_before(part, book, fuzzy, split, monkeypatch):
    if split:  # the halves on two threads, as with 20,000 statements or more
        monkeypatch.setattr(coding, "_SPLIT_FROM", 2)
        monkeypatch.setattr(coding.os, "cpu_count", lambda: 2)
    want = expected().loc[
        (expected()["set"] == part) & (expected()["book"] == book) & (expected()["fuzzy"] == fuzzy)
    ]
    texts = want["need"].tolist()
    assert texts, "the stored sample is empty"
    got = _coded(texts, book, bool(fuzzy))
    for column in ("code", "coded_by"):
        same = got[column].fillna("").to_numpy() == want[column].fillna("").to_numpy()
        assert same.all(), (
            f"{column} differs for {np.flatnonzero(~same).size} of {len(same)} statements, "
            f"first: {texts[np.flatnonzero(~same)[0]]!r}: "
            f"{want[column].iloc[np.flatnonzero(~same)[0]]!r} → "
            f"{got[column].iloc[np.flatnonzero(~same)[0]]!r}"
        )
    np.testing.assert_allclose(
        got["match_score"].to_numpy(dtype=float),
        want["match_score"].to_numpy(dtype=float),
        rtol=0,
        atol=1e-9,
    )


def test_the_sample_covers_every_kind_of_match():
    kinds = set(expected()["coded_by"].dropna())
    assert kinds == {"exact", "keyword", "fuzzy"}
    assert expected()["coded_by"].isna().any()  # and statements nothing matched


@pytest.mark.parametrize("seed", range(20))
def test_words_trimmed_once_per_distinct_word_read_the_same(seed):
    rng = random.Random(seed)
    texts = _random_texts(seed, 80, "aZ9 '`-.\x00_\t,!é") + rng.sample(EDGE, 20)
    before = _Said.of(_words(texts))
    after = _Said.of(_words(texts, trim=False), trimmed=False)
    words_before = np.array(before.distinct.to_pylist(), dtype=object)[before.ids]
    words_after = np.array(after.distinct.to_pylist(), dtype=object)[after.ids]
    assert words_after.tolist() == words_before.tolist()
    assert after.owner.tolist() == before.owner.tolist()
    assert len(set(after.distinct.to_pylist())) == len(after.distinct)  # each word once


def test_a_text_python_cannot_encode_is_still_coded():
    coded = _coded(["lone \ud800 surrogate milk", "milk"], "both", True)
    assert coded["code"].tolist() == ["perishable_food", "perishable_food"]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    write()
