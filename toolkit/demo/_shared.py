"""What both demo stories use: wording of needs, random helpers, table builders.

The phrases people say, by code, are data: ``data/phrases.toml`` and ``data/codes.csv``.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.schema import table_named
from toolkit.store import load_starter_codebook

_DATA_DIR = Path(__file__).parent / "data"

_CUSTOMERS = table_named("customers")
"""The register's columns, in the order the demos' customer files give them."""


def read_toml(name: str) -> dict:
    """Read the data file ``toolkit/demo/data/<name>``."""
    with (_DATA_DIR / name).open("rb") as file:
        return tomllib.load(file)


def read_csv(name: str) -> list[list[str]]:
    """Read the rows (header left out) of the data file ``toolkit/demo/data/<name>``."""
    with (_DATA_DIR / name).open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))[1:]


def read_customers(name: str) -> list[tuple]:
    """Read a customer register (the customers table's columns, in order) from the data folder.

    Ratings become whole numbers; a blank rating is None.
    """
    ratings = {i for i, f in enumerate(_CUSTOMERS.fields) if f.kind == "integer"}
    return [
        tuple((int(cell) if cell else None) if i in ratings else cell for i, cell in enumerate(row))
        for row in read_csv(name)
    ]


_PHRASES = read_toml("phrases.toml")


#: Rows in the ``responses`` table of ``build_demo("university", size="large")``.
LARGE_ROWS = 1_000_000

_SAY: dict[str, list[str]] = _PHRASES["say"]

_SAY_IN: dict[tuple[str, str], list[str]] = {
    (row["segment"], row["code"]): row["say"] for row in _PHRASES["say_in"]
}

_UNMATCHED: dict[str, list[str]] = _PHRASES["unmatched"]

_ODD: list[str] = _PHRASES["odd"]

_STAFF_SAY: dict[str, list[str]] = _PHRASES["staff_say"]

_DEMO_CODES: dict[str, list[tuple[str, ...]]] = {}
for _row in read_csv("codes.csv"):
    _DEMO_CODES.setdefault(_row[0], []).append(tuple(_row[1:]))


def _codebook(name: str) -> pd.DataFrame:
    extra = pd.DataFrame(
        _DEMO_CODES[name], columns=["code", "label", "theme", "keywords", "label_es"]
    )
    book = pd.concat([load_starter_codebook(name), extra], ignore_index=True)
    book = book.fillna("").astype("str")
    # Spanish labels (label_es) where the demo has them (the you-said-we-did page in Spanish).
    return book if book["label_es"].ne("").any() else book.drop(columns="label_es")


def _one(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _vary(rng: np.random.Generator, text: str) -> str:
    """Vary capitalisation and punctuation the way people type."""
    roll = rng.random()
    if roll < 0.15:
        text = text.lower()
    elif roll < 0.25:
        text = text[0].lower() + text[1:]
    if rng.random() < 0.2:
        text += "."
    return text


def _pick(rng: np.random.Generator, weights: dict[str, float], k: int) -> list[str]:
    codes = list(weights)
    p = np.array([weights[c] for c in codes], dtype=float)
    k = min(k, len(codes))
    chosen = rng.choice(len(codes), size=k, replace=False, p=p / p.sum())
    return [codes[i] for i in chosen]


def _rating(rng: np.random.Generator, mean: float, spread: float = 0.8) -> int:
    return int(np.clip(np.rint(rng.normal(mean, spread)), 1, 5))


def _stated_needs(
    rng: np.random.Generator,
    respondents: list[dict],
    profiles: dict[str, dict[str, float]],
    *,
    importance: dict[str, float],
    performance: dict[str, float],
    conflicts: dict[tuple[str, str], tuple[float, str]],
) -> tuple[pd.DataFrame, pd.Series]:
    """One row per statement: each respondent names ``k`` needs from their profile."""
    rows, truth = [], []
    for person in respondents:
        segment, method = person["segment"], person["method"]
        codes = _pick(rng, profiles[person["profile"]], person["k"])
        for code in codes:
            true_code: str | None = code
            roll = rng.random()
            if roll < 0.05:
                text, true_code = _one(rng, _ODD), None
            elif roll < 0.10 and code in _UNMATCHED:
                text = _one(rng, _UNMATCHED[code])
            else:
                text = _vary(rng, _one(rng, _SAY_IN.get((segment, code), _SAY[code])))
            imp_mean, note = conflicts.get((segment, code), (importance.get(code, 3.6), None))
            imp = None if method == "listening session" else _rating(rng, imp_mean)
            perf = _rating(rng, performance.get(code, 3.0)) if method == "survey" else None
            if note is None and person.get("language", "English") not in ("English", None):
                if method != "survey" and rng.random() < 0.7:
                    note = f"Interpreted from {person['language']}"
            by_person = true_code is not None and rng.random() < 0.10
            row = {
                "source_id": person.get("source_id"),
                "respondent_id": person["respondent_id"],
                "segment": segment,
                "method": method,
                "need": text,
                "code": true_code if by_person else None,
                "coded_by": "person" if by_person else None,
                "importance": imp,
                "performance": perf,
                "notes": note,
                "collected_on": person["collected_on"],
            }
            row.update({k: person[k] for k in person.get("attributes", ())})
            rows.append(row)
            truth.append(true_code)
    frame = pd.DataFrame(rows)
    frame[["importance", "performance"]] = frame[["importance", "performance"]].astype("Int64")
    return frame, pd.Series(truth, index=frame.index, name="true_code", dtype="object")


def _assumed_needs(
    rng: np.random.Generator,
    plan: list[tuple[str, str, str, float]],
    dates: Sequence[str],
) -> tuple[pd.DataFrame, pd.Series]:
    """Rows from ``(staff, segment, code, importance mean)``, worded in staff voice."""
    rows, truth = [], []
    for staff, segment, code, imp_mean in plan:
        by_person = rng.random() < 0.10
        rows.append(
            {
                "staff": staff,
                "segment": segment,
                "need": _vary(rng, _one(rng, _STAFF_SAY[code])),
                "code": code if by_person else None,
                "coded_by": "person" if by_person else None,
                "importance": _rating(rng, imp_mean, 0.6),
                "collected_on": _one(rng, dates),
            }
        )
        truth.append(code)
    frame = pd.DataFrame(rows).astype({"importance": "Int64"})
    return frame, pd.Series(truth, index=frame.index, name="true_code", dtype="object")


def _staff_plan(
    rng: np.random.Generator,
    staff: Sequence[str],
    segments: dict[str, tuple[dict[str, float], tuple[int, int]]],
    importance: dict[str, float],
) -> list[tuple[str, str, str, float]]:
    """Each staff member names a few needs per segment from that segment's staff beliefs."""
    plan = []
    for person in staff:
        for segment, (beliefs, (low, high)) in segments.items():
            k = int(rng.integers(low, high + 1))
            for code in _pick(rng, beliefs, k) if k else []:
                plan.append((person, segment, code, importance.get(code, 3.5)))
    return plan


def _days(rng: np.random.Generator, start: str, end: str, n: int) -> list[str]:
    """``n`` weekday dates between ``start`` and ``end`` as ISO strings."""
    days = pd.bdate_range(start, end)
    return [d.strftime("%Y-%m-%d") for d in days[rng.integers(0, len(days), n)]]


def _source_ids(rng: np.random.Generator, n: int, prefix: str = "R_") -> list[str]:
    """Survey-tool style response ids, unique."""
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    seen: set[str] = set()
    out = []
    while len(out) < n:
        token = prefix + "".join(alphabet[rng.integers(0, 62, 12)])
        if token not in seen:
            seen.add(token)
            out.append(token)
    return out


def _customers(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(_CUSTOMERS.field_names))
    ratings = [f.name for f in _CUSTOMERS.fields if f.kind == "integer"]
    frame[ratings] = frame[ratings].astype("Int64")
    return frame


def _events(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["starts_on", "ends_on", "label", "segment"])


def _choose(rng: np.random.Generator, shares: dict[str, float]) -> str:
    keys = list(shares)
    p = np.array([shares[k] for k in keys])
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _ordinal(latent: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    """1 + how many cut points the latent value passes."""
    return 1 + np.searchsorted(np.asarray(cuts), latent).astype(np.int64)


def _scores(rng: np.random.Generator, latent: np.ndarray) -> dict[str, np.ndarray]:
    """CSAT 1–5, NPS 0–10 and CES 1–7 (7 = easy) from one latent value per response."""
    n = latent.shape[0]
    csat = _ordinal(latent + rng.normal(0, 0.5, n), (-1.5, -0.6, 0.25, 1.1))
    nps = np.clip(np.rint(6.6 + 1.9 * (latent + rng.normal(0, 0.6, n))), 0, 10)
    ces = np.clip(np.rint(4.7 + 1.2 * (latent + rng.normal(0, 0.7, n))), 1, 7)
    return {"csat": csat.astype(np.int64), "nps": nps.astype(np.int64), "ces": ces.astype(np.int64)}


_ACTION_COLUMNS = [
    "action_id",
    "code",
    "segment",
    "action",
    "owner",
    "status",
    "decided_on",
    "starts_on",
    "due_on",
    "done_on",
    "event",
    "notes",
]
_OUTREACH_COLUMNS = ["held_on", "channel", "segment", "invited", "responses", "language", "wave"]


def _blank_cells(rows: list[list], columns: list[str]) -> pd.DataFrame:
    """Rows of a data file as a frame, with "" and -1 read as blank."""
    frame = pd.DataFrame(rows, columns=columns).astype(object)
    return frame.where(~frame.isin(["", -1]), None)


def loop_tables(data: dict) -> dict[str, pd.DataFrame]:
    """A demo's ``actions`` and ``outreach`` from its data file's ``actions`` and
    ``outreach`` lists (columns in the order of ``_ACTION_COLUMNS`` and
    ``_OUTREACH_COLUMNS``).
    """
    outreach = _blank_cells(data["outreach"], _OUTREACH_COLUMNS)
    outreach[["invited", "responses"]] = outreach[["invited", "responses"]].astype("Int64")
    return {"actions": _blank_cells(data["actions"], _ACTION_COLUMNS), "outreach": outreach}
