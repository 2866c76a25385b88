"""Needs benchmark: coding 100,000 free-text statements and building the gap table.

Goal: reading the statements, coding them and the gap table within 10× of reading them
alone, both for statements that repeat (5,000 distinct texts) and for 100,000 different
statements of survey-comment length (8–20 words), where the coder works on every one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.timing import SHORT_RUNS, figure, pairs

_WORDS = (
    "access advice benefits care clinic community computer counselling court debt dental "
    "disability driving energy english family forms furniture garden grants hearing heating "
    "homework immigration insurance kitchen legal library literacy loans meals medicine mentor "
    "mobility money nursing pension pharmacy phone playground police recycling repairs school "
    "seniors sports study taxes tenancy therapy tutoring uniforms vaccines vision water winter"
).split()


def synthetic_codebook(codes: int = 200, seed: int = 11) -> pd.DataFrame:
    """The starter codebook topped up to ``codes`` codes with three keywords each."""
    from toolkit.store import load_starter_codebook

    rng = np.random.default_rng(seed)
    book = load_starter_codebook()
    extra = []
    for i in range(codes - len(book)):
        a, b, c = rng.choice(_WORDS, 3, replace=False)
        extra.append(
            {
                "code": f"need_{i:03d}",
                "label": f"{a.title()} {b} {i}",
                "theme": "Other",
                "keywords": f"{a} {b} {i}; {b} {c} {i}; {c} {a} {i}",
            }
        )
    return pd.concat([book, pd.DataFrame(extra)], ignore_index=True)


def synthetic_statements(
    book: pd.DataFrame, rows: int, distinct: int, seed: int = 12
) -> pd.DataFrame:
    """``rows`` statements repeating ``distinct`` texts: keyword phrases, typos and noise."""
    rng = np.random.default_rng(seed)
    keywords = [k.strip() for ks in book["keywords"] for k in str(ks).split(";") if k.strip()]
    texts = set()
    while len(texts) < distinct:
        kind = rng.random()
        kw = keywords[rng.integers(len(keywords))]
        if kind < 0.8:
            texts.add(
                f"{rng.choice(['We need', 'More', 'Please help with', 'Better'])} {kw} {rng.integers(1000)}"
            )
        elif kind < 0.85 and len(kw) > 6:
            i = rng.integers(1, len(kw) - 2)
            texts.add(f"{kw[:i]}{kw[i + 1]}{kw[i]}{kw[i + 2 :]} please {rng.integers(1000)}")
        else:
            texts.add(" ".join(rng.choice(_WORDS, 4)) + f" nothing {rng.integers(100000)}")
    pool = np.array(sorted(texts), dtype=object)
    picks = pool[rng.zipf(1.3, rows) % len(pool)]
    return pd.DataFrame(
        {
            "respondent_id": np.char.add("r", (np.arange(rows) // 3).astype(str)),
            "segment": rng.choice(
                np.array(["Residents", "Businesses", "Agencies", "Students"]), rows
            ),
            "method": "survey",
            "need": picks,
            "importance": rng.integers(1, 6, rows),
        }
    )


#: Words around the keywords in a survey comment.
_FILLER = (
    "the a we our more need help with for at in on and to of please better service staff "
    "time hours open day week month people family children kids work home center office "
    "would really like some there is not enough it takes too long when"
).split()


def distinct_statements(book: pd.DataFrame, rows: int, seed: int = 14) -> pd.DataFrame:
    """``rows`` different statements of survey-comment length (8–20 words): filler words
    and topic words, seven in ten with a keyword of the codebook somewhere in them."""
    rng = np.random.default_rng(seed)
    keywords = [k.strip() for ks in book["keywords"] for k in str(ks).split(";") if k.strip()]
    vocabulary = np.array(_FILLER + _WORDS)
    texts: set[str] = set()
    while len(texts) < rows:
        n = int(rng.integers(7, 19))
        words = list(rng.choice(vocabulary, n))
        if rng.random() < 0.7:
            words.insert(int(rng.integers(0, n)), keywords[rng.integers(len(keywords))])
        words.append(str(rng.integers(1_000_000)))
        texts.add(" ".join(words).capitalize())
    pool = sorted(texts)
    return pd.DataFrame(
        {
            "respondent_id": np.char.add("r", np.arange(rows).astype(str)),
            "segment": rng.choice(
                np.array(["Residents", "Businesses", "Agencies", "Students"]), rows
            ),
            "method": "survey",
            "need": rng.permutation(np.array(pool, dtype=object)),
            "importance": rng.integers(1, 6, rows),
        }
    )


def coding_speed(quick: bool = False) -> list[dict]:
    """Read + code + gap table against ``pandas.read_csv`` of the same file, interleaved.

    Two files of the same length: statements repeating a few thousand texts (as a
    closed-question "other" box does), and all different (free comments). Every timed
    run builds the codebook's matcher afresh (the per-process cache is cleared), so the
    figure holds for a codebook seen for the first time.
    """
    from toolkit import coding as coder
    from toolkit import needs

    rows = 20_000 if quick else 100_000
    runs = 3 if quick else SHORT_RUNS
    book = synthetic_codebook()
    assumed = synthetic_statements(book, 500, 200, seed=13).rename(
        columns={"respondent_id": "staff"}
    )
    files = {
        "repeated": synthetic_statements(book, rows, 1_000 if quick else 5_000),
        "distinct": distinct_statements(book, rows),
    }
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, stated in files.items():
            path = Path(tmp) / f"{kind}.csv"
            stated.to_csv(path, index=False)
            distinct = stated["need"].nunique()

            def coding(path=path):
                coder._matcher.cache_clear()
                coded = needs.code_needs(pd.read_csv(path), book)
                gap = needs.needs_gap(
                    needs.code_needs(assumed, book), coded, codebook=book, by="segment"
                )
                return coded, gap

            pair = pairs(coding, lambda path=path: pd.read_csv(path), runs=runs)
            coded, gap = pair.last["action"]
            assert len(gap) > 0
            share = coded["code"].notna().mean()
            out.append(
                figure(
                    f"read + code {rows:,} statements ({distinct:,} distinct, {share:.0%} "
                    "coded) + gap table",
                    pair,
                    "pandas.read_csv of the statements",
                    10.0,
                )
            )
    return out
