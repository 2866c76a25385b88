"""Needs benchmark: coding 100,000 free-text statements and building the gap table."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.bench_foundation import result

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


def coding_speed(quick: bool = False) -> list[dict]:
    """Read + code + gap table against reading alone, interleaved, best of five each.

    Every timed run builds the codebook's matcher afresh (the per-process cache is
    cleared), so the measure holds for a codebook seen for the first time; only the
    one-off import of rapidfuzz falls outside it (the first run pays it, later ones
    show the steady cost).
    """
    from toolkit import coding as coder
    from toolkit import needs

    rows = 20_000 if quick else 100_000
    book = synthetic_codebook()
    stated = synthetic_statements(book, rows, 5_000 if not quick else 1_000)
    assumed = synthetic_statements(book, 500, 200, seed=13).rename(
        columns={"respondent_id": "staff"}
    )

    def coding(path: Path):
        coder._matcher.cache_clear()
        frame = pd.read_csv(path)
        coded = needs.code_needs(frame, book)
        gap = needs.needs_gap(needs.code_needs(assumed, book), coded, codebook=book, by="segment")
        return coded, gap

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stated.csv"
        stated.to_csv(path, index=False)
        reads, codings = [], []
        for _ in range(5):  # interleaved, so a busy moment hurts both
            start = time.perf_counter()
            pd.read_csv(path)
            reads.append(time.perf_counter() - start)
            start = time.perf_counter()
            coded, gap = coding(path)
            codings.append(time.perf_counter() - start)
    coded_share = coded["code"].notna().mean()
    assert len(gap) > 0
    return [
        result(
            f"read + code {rows:,} statements ({coded_share:.0%} coded) + gap table",
            min(codings),
            min(reads),
            "pandas.read_csv of the statements",
            10.0,
        )
    ]
