"""Assumed vs stated needs: code free text, compare staff and customers, find blind spots.

Pure functions: DataFrames in, one tidy DataFrame out. The tables come from the store
(``assumed_needs``, ``stated_needs``, ``codebook``) but any frame with the named
columns works.

Definitions (DESIGN.md section 8): the staff share of a need is the staff members who
named it over the staff members who named any need (within the group when grouped);
the customer share likewise over respondents, a row without a respondent id counting as
one respondent. Shares are proportions in [0, 1].
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re

import numpy as np
import pandas as pd
from scipy import stats

from toolkit._stats import (
    correlation_interval,
    mean_interval,
    newcombe_difference,
    wilson,
)
from toolkit._validate import check_choice, check_fraction, check_positive_int, require_columns

__all__ = [
    "CLASSIFICATIONS",
    "QUADRANTS",
    "codebook_version",
    "code_needs",
    "uncoded_needs",
    "needs_gap",
    "rank_agreement",
    "common_ground",
    "importance_performance",
]

CLASSIFICATIONS = ("blind spot", "assumed only", "shared priority", "low priority")
QUADRANTS = ("Concentrate here", "Keep up the good work", "Low priority", "Possible overkill")
_WORD = re.compile(r"[^\W_]+")
_APOSTROPHE = re.compile(r"['’`]")
_STEM_MIN = 5  # a keyword this long also matches words it begins ("refrigerat" → "refrigerator")


# ----------------------------------------------------------------------------- coding


def _tokens(text: object) -> tuple[str, ...]:
    return tuple(_WORD.findall(_APOSTROPHE.sub("", str(text).lower())))


def codebook_version(codebook: pd.DataFrame) -> str:
    """A short hash of the codebook's codes, labels and keywords.

    Recorded with every automatic code, so a result says which codebook made it.
    """
    require_columns(codebook, ["code"], name="codebook")
    digest = hashlib.sha256()
    for row in codebook.sort_values("code").itertuples(index=False):
        parts = [getattr(row, c, "") for c in ("code", "label", "keywords")]
        digest.update("\x1f".join("" if pd.isna(p) else str(p) for p in parts).encode() + b"\x1e")
    return digest.hexdigest()[:12]


@functools.lru_cache(maxsize=8)
def _keyword_pattern(phrases: tuple[tuple[str, bool], ...]) -> re.Pattern:
    """One regex finding every keyword at every word start, built as a trie.

    A trie-shaped pattern branches on each character, so a scan costs about the same
    for 10 keywords or 1,000. Keywords end at a word end, optionally followed by "s" or
    "es"; stems (single words of five letters or more) may run on ("refrigerat" →
    "refrigerator"). Wrapped in a lookahead so matches starting inside another
    match are found too. Cached: a codebook compiles once per process.
    """
    trie: dict = {}
    for phrase, stem in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = node.get("", False) or stem

    def build(node: dict) -> str:
        alternatives = [re.escape(ch) + build(node[ch]) for ch in sorted(k for k in node if k)]
        if "" in node:  # a keyword ends here; longer ones above are tried first
            alternatives.append(r"[^ \n]*(?![^ \n])" if node[""] else r"(?:e?s)?(?![^ \n])")
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    return re.compile(r"(?<![^ \n])(?=(" + build(trie) + "))") if trie else re.compile(r"(?!x)x")


class _Matcher:
    """Codes statements: exact phrase, then keywords, then keywords with a typo."""

    def __init__(self, codebook: pd.DataFrame, fuzzy: bool):
        self.fuzzy = fuzzy
        self.exact: dict[str, str] = {}
        self.phrases: dict[str, list[tuple[str, int]]] = {}  # phrase → [(code, codebook order)]
        self.by_size: dict[int, list[tuple[str, str, int]]] = {}
        for order, row in enumerate(codebook.itertuples(index=False)):
            code = str(row.code)
            label = "" if pd.isna(getattr(row, "label", None)) else str(row.label)
            words = [] if pd.isna(getattr(row, "keywords", None)) else str(row.keywords).split(";")
            for phrase in (code.replace("_", " "), label):
                self.exact.setdefault(" ".join(_tokens(phrase)), code)
            for word in words:
                tokens = _tokens(word)
                if not tokens:
                    continue
                phrase = " ".join(tokens)
                self.exact.setdefault(phrase, code)
                self.phrases.setdefault(phrase, []).append((code, order))
                self.by_size.setdefault(len(tokens), []).append((phrase, code, order))
        self.exact.pop("", None)
        self.stems = {p for p in self.phrases if " " not in p and len(p) >= _STEM_MIN}
        self.pattern = _keyword_pattern(tuple(sorted((p, p in self.stems) for p in self.phrases)))

    def _resolve(self, matched: str) -> tuple[str, list[tuple[str, int]]] | None:
        """The keyword a matched string stands for: itself, its singular, or a stem."""
        for candidate in (matched, matched[:-1], matched[:-2]):
            if candidate in self.phrases:
                return candidate, self.phrases[candidate]
        for end in range(len(matched) - 1, _STEM_MIN - 1, -1):
            if matched[:end] in self.stems:
                return matched[:end], self.phrases[matched[:end]]
        return None

    def keywords(self, norms: list[str]) -> list[str | None]:
        """The best keyword code of each normalised text.

        The longest matched keyword wins, then the code with most keyword hits, then
        codebook order.
        """
        joined = "\n".join(norms)
        starts = np.cumsum([0] + [len(n) + 1 for n in norms[:-1]])
        best: list[dict[str, list[int]]] = [{} for _ in norms]
        matches = [(m.start(), m.group(1)) for m in self.pattern.finditer(joined)]
        owners = np.searchsorted(starts, [pos for pos, _ in matches], side="right") - 1
        for owner, (_, matched) in zip(owners, matches, strict=True):
            found = self._resolve(matched)
            if found is None:
                continue
            phrase, entries = found
            for code, order in entries:
                entry = best[owner].setdefault(code, [0, 0, order])
                entry[0] = max(entry[0], len(phrase))
                entry[1] += 1
        return [
            min(b, key=lambda c, b=b: (-b[c][0], -b[c][1], b[c][2])) if b else None for b in best
        ]

    def code(self, texts: list[str]) -> dict[str, tuple[object, object, float]]:
        """Code distinct texts; returns text → (code, coded_by, match_score)."""
        results: dict[str, tuple[object, object, float]] = {}
        pending = []
        for text in texts:
            norm = " ".join(_tokens(text))
            if norm in self.exact:
                results[text] = (self.exact[norm], "exact", 1.0)
            else:
                results[text] = (None, None, np.nan)
                if norm:
                    pending.append((text, norm))
        leftover = []
        if pending:
            for (text, norm), code in zip(
                pending, self.keywords([n for _, n in pending]), strict=True
            ):
                if code is not None:
                    results[text] = (code, "keyword", 1.0)
                else:
                    leftover.append((text, tuple(norm.split(" "))))
        if self.fuzzy and leftover:
            for text, (code, score) in self._typos(leftover).items():
                results[text] = (code, "fuzzy", score)
        return results

    def _typos(self, items: list[tuple[str, tuple[str, ...]]]) -> dict[str, tuple[str, float]]:
        """Keywords written with a typo: "mlik" for milk, "fresh fod" for fresh food.

        Every run of words as long as a keyword is compared with it by optimal string
        alignment distance (rapidfuzz, in C++): up to 1 edit for keywords of 6–9
        characters, 2 from 10, and for 4–5 characters only two swapped letters.
        """
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        best: dict[str, tuple[float, int, int, str]] = {}
        for size, entries in self.by_size.items():
            windows, owners = [], []
            for text, tokens in items:
                for i in range(len(tokens) - size + 1):
                    windows.append(" ".join(tokens[i : i + size]))
                    owners.append(text)
            if not windows:
                continue
            choices = [phrase for phrase, _, _ in entries]
            distance = process.cdist(
                windows, choices, scorer=OSA.distance, score_cutoff=2, dtype=np.int32, workers=-1
            )
            for q, c in zip(*np.nonzero(distance <= 2), strict=True):
                phrase, code, order = entries[c]
                d, window, length = int(distance[q, c]), windows[q], len(phrase)
                if length >= 10:
                    allowed = 2
                elif length >= 6:
                    allowed = 1
                else:  # 4–5 letters: only two letters swapped; shorter: never
                    allowed = 1 if length >= 4 and sorted(window) == sorted(phrase) else 0
                if d == 0 or d > allowed:
                    continue
                candidate = (1 - d / max(length, len(window)), length, -order, code)
                if owners[q] not in best or candidate > best[owners[q]]:
                    best[owners[q]] = candidate
        return {text: (code, round(score, 4)) for text, (score, _, _, code) in best.items()}


def code_needs(
    statements: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    text: str = "need",
    fuzzy: bool = True,
) -> pd.DataFrame:
    """Code free-text needs against the codebook.

    Each statement not coded by a person is matched, in order, by: **exact** (the text
    is a code, label or keyword), **keyword** (a keyword or phrase appears in it; the
    longest matching keyword wins, then the code with most keyword hits, then codebook
    order; keywords of five letters or more also match words they begin, so
    "refrigerat" matches "refrigerator"), **fuzzy** (a keyword written with a typo,
    found by rapidfuzz's optimal string alignment distance: one edit for keywords of 6–9
    characters, two from 10, a swapped pair of letters for 4–5). A code a person set (a
    ``code`` with ``coded_by`` "person" or blank) is never changed. Each distinct text
    is coded once, however often it repeats.

    Parameters
    ----------
    statements : DataFrame
        Rows with a free-text column and optional ``code``/``coded_by`` columns.
    codebook : DataFrame
        ``code``, ``label`` and ``keywords`` (separated by semicolons).
    text : str
        The free-text column.
    fuzzy : bool
        Also match keywords written with a typo.

    Returns
    -------
    DataFrame
        A copy of ``statements`` with ``code``, ``coded_by`` (person, exact, keyword,
        fuzzy, or empty when nothing matched), ``match_score`` (1 for exact and keyword
        matches; for fuzzy ones 1 − edits / length) and ``codebook_version``.

    Examples
    --------
    >>> book = pd.DataFrame({"code": ["perishable_food", "food_pantry"],
    ...                      "label": ["Milk and perishable food", "Food pantry"],
    ...                      "keywords": ["milk; fresh food; spoil", "pantry; food bank"]})
    >>> said = pd.DataFrame({"need": ["Milk for the kids", "another food pantry", "fresh fod"]})
    >>> code_needs(said, book)[["code", "coded_by"]].values.tolist()
    [['perishable_food', 'keyword'], ['food_pantry', 'keyword'], ['perishable_food', 'fuzzy']]
    """
    require_columns(statements, [text], name="statements")
    require_columns(codebook, ["code"], name="codebook")
    out = statements.copy()
    positions, distinct = pd.factorize(out[text])  # each distinct text is coded once
    distinct = [str(t) for t in distinct]
    matched = _Matcher(codebook, fuzzy).code(distinct) if distinct else {}
    found = [matched[t] for t in distinct] + [(None, None, np.nan)]  # position -1: no text
    auto_code = np.array([f[0] for f in found], dtype=object)[positions]
    auto_by = np.array([f[1] for f in found], dtype=object)[positions]
    auto_score = np.array([f[2] for f in found], dtype=float)[positions]
    code = (
        out["code"].to_numpy(dtype=object)
        if "code" in out
        else np.full(len(out), None, dtype=object)
    )
    coded_by = (
        out["coded_by"].to_numpy(dtype=object)
        if "coded_by" in out
        else np.full(len(out), None, dtype=object)
    )
    by_person = ~pd.isna(code) & (pd.isna(coded_by) | (coded_by == "person"))
    out["code"] = pd.Series(np.where(by_person, code, auto_code), index=out.index, dtype=object)
    out["coded_by"] = pd.Series(
        np.where(by_person, "person", auto_by), index=out.index, dtype=object
    )
    out["match_score"] = np.where(by_person, np.nan, auto_score)
    out["codebook_version"] = codebook_version(codebook)
    return out


def uncoded_needs(
    coded: pd.DataFrame, *, text: str = "need", by: str | None = None
) -> pd.DataFrame:
    """The statements no code matched, for a person to code: one row per distinct text.

    Returns ``[by], need (the text), statements`` (how many rows say it), sorted with the
    most frequent first, so coding the top of the list covers the most statements.
    """
    require_columns(coded, [text, "code", by], name="statements")
    rows = coded.loc[coded["code"].isna() & coded[text].notna()]
    keys = [by, text] if by else [text]
    counts = rows.groupby(keys, dropna=False, sort=False).size().reset_index(name="statements")
    return counts.sort_values(
        ["statements", text], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


# ----------------------------------------------------------------------------- shares


def _unit_codes(ids: pd.Series | None, size: int) -> np.ndarray:
    """Integer codes for people: equal ids share a code; a missing id is its own person."""
    if ids is None:
        return np.arange(size)
    codes, uniques = pd.factorize(ids)
    missing = codes < 0
    codes[missing] = len(uniques) + np.arange(int(missing.sum()))
    return codes


def _respondents(stated: pd.DataFrame) -> np.ndarray:
    """One code per respondent: by respondent id, else one respondent per row."""
    return _unit_codes(stated["respondent_id"] if "respondent_id" in stated else None, len(stated))


def _weights(stated: pd.DataFrame, weight: str | None) -> pd.Series | None:
    """Respondent weights (blank means 1); None when there are none.

    The default column "weight" may be absent; a column named on purpose must exist.
    """
    if weight is None or (weight == "weight" and weight not in stated):
        return None
    require_columns(stated, [weight], name="stated")
    return pd.to_numeric(stated[weight], errors="coerce").fillna(1.0)


def _group_keys(frame: pd.DataFrame, by: str | None) -> pd.Series:
    if by is None:
        return pd.Series("", index=frame.index)
    return frame[by].astype(object)


def _first_rows(keys: np.ndarray) -> np.ndarray:
    """Positions of the first row of each distinct key (hashing, no sort)."""
    return np.flatnonzero(~pd.Series(keys).duplicated().to_numpy())


def _shares(frame: pd.DataFrame, unit: np.ndarray, by: str | None, weights: pd.Series | None):
    """Per group and code: units naming it (and their weight), and per group the totals.

    A unit (staff member or respondent) counts once per group and once per need, with
    the weight of its first row. Done on integer codes with NumPy: this runs on every
    redraw of a notebook's panel and on 100,000-statement surveys.
    """
    if by is None:
        keep = np.ones(len(frame), dtype=bool)
        g, groups = np.zeros(len(frame), dtype=np.intp), pd.Index([""])
    else:
        g, groups = pd.factorize(frame[by])
        keep = g >= 0
        g = g[keep]
    u = unit[keep]
    c, codes = pd.factorize(frame["code"].to_numpy()[keep])
    w = np.ones(len(g)) if weights is None else weights.to_numpy(dtype=float)[keep]
    imp = (
        pd.to_numeric(frame["importance"], errors="coerce").to_numpy(dtype=float)[keep]
        if "importance" in frame
        else np.full(len(g), np.nan)
    )
    n_groups, n_units, n_codes = len(groups), int(u.max()) + 1 if len(u) else 1, max(len(codes), 1)
    # Each unit once per group: its first row's weight.
    first = _first_rows(g.astype(np.int64) * n_units + u)
    gw, ww = g[first], w[first]
    totals = pd.DataFrame(
        {
            "total": np.bincount(gw, minlength=n_groups),
            "weight": np.bincount(gw, weights=ww, minlength=n_groups),
            "weight_sq": np.bincount(gw, weights=ww**2, minlength=n_groups),
        },
        index=pd.Index(groups, name="group"),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        totals["effective_n"] = np.where(
            totals["weight_sq"] > 0, totals["weight"] ** 2 / totals["weight_sq"], 0.0
        )
    unit_weight = np.zeros(n_groups * n_units)
    unit_weight[gw.astype(np.int64) * n_units + u[first]] = ww
    coded = c >= 0
    gc = g[coded].astype(np.int64) * n_codes + c[coded]
    # Each unit once per need.
    first_named = _first_rows(gc * n_units + u[coded])
    cells = gc[first_named]
    named_weight = unit_weight[(g[coded].astype(np.int64) * n_units + u[coded])[first_named]]
    size = n_groups * n_codes
    n = np.bincount(cells, minlength=size)
    weight = np.bincount(cells, weights=named_weight, minlength=size)
    rated = np.isfinite(imp[coded])
    imp_sum = np.bincount(gc[rated], weights=imp[coded][rated], minlength=size)
    imp_count = np.bincount(gc[rated], minlength=size)
    present = np.flatnonzero(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        importance = np.where(imp_count[present] > 0, imp_sum[present] / imp_count[present], np.nan)
    index = pd.MultiIndex.from_arrays(
        [
            groups[present // n_codes] if len(groups) else [],
            codes[present % n_codes] if len(codes) else [],
        ],
        names=["group", "code"],
    )
    per_code = pd.DataFrame(
        {"n": n[present], "weight": weight[present], "importance": importance}, index=index
    )
    return per_code, totals.drop(columns="weight_sq")


def needs_gap(
    assumed: pd.DataFrame,
    stated: pd.DataFrame,
    *,
    codebook: pd.DataFrame | None = None,
    by: str | None = None,
    confidence: float = 0.95,
    min_n: int = 5,
    priority: float = 0.2,
    rare: float | None = None,
    weight: str | None = "weight",
) -> pd.DataFrame:
    """Compare how often staff and customers name each need.

    Parameters
    ----------
    assumed : DataFrame
        Coded staff-assumed needs: ``staff``, ``code``, optional ``importance``.
    stated : DataFrame
        Coded customer-stated needs: ``code``, optional ``respondent_id``,
        ``importance`` and the ``weight`` column.
    codebook : DataFrame, optional
        Gives each code its ``label`` and ``theme``.
    by : str, optional
        A column both tables have (``segment``): one comparison per value.
    confidence : float
        Level of every interval.
    min_n : int
        A group with fewer respondents is suppressed: its customer estimates and gap are
        empty and ``suppressed`` is true (counts are kept).
    priority, rare : float
        The classification thresholds (shares): a need is a priority for a list when at
        least ``priority`` of it names the need, and rare when fewer than ``rare`` do
        (default: the same as ``priority``, which makes the classes the four quadrants).
    weight : str or None
        Column of respondent weights in ``stated`` (blank means 1); shares are then
        weighted and intervals use Kish's effective sample size. None ignores weights.

    Returns
    -------
    DataFrame
        One row per need named by staff or customers (per group), sorted by group and then
        by gap, largest first:

        ``[by]``, ``code``, ``label``, ``theme``;
        ``staff_n`` staff naming it, ``staff_total`` staff naming any need, ``staff_share``
        with ``staff_ci_low``/``staff_ci_high`` (Wilson), ``staff_importance`` (mean);
        ``customer_n`` respondents naming it, ``customer_total`` respondents naming any
        need, ``customer_effective_n`` (Kish; equals the total without weights),
        ``customer_share`` with ``customer_ci_low``/``customer_ci_high`` (Wilson on the
        effective n), ``customer_importance``;
        ``gap`` = customer share − staff share with ``gap_ci_low``/``gap_ci_high``
        (Newcombe's hybrid score interval);
        ``classification``: *blind spot* (customers' priority, rare among staff — also
        when no staff member named any need for the group), *assumed only* (staff
        priority, rare among customers), *shared priority* (a priority for either list
        otherwise), *low priority*;
        ``suppressed``, ``confidence``, ``priority_threshold``, ``rare_threshold``.

    Notes
    -----
    Wilson (1927); Newcombe (1998), method 10; Kish (1965) effective sample size. A
    staff member or respondent naming a need twice counts once.

    Examples
    --------
    >>> assumed = pd.DataFrame({"staff": ["A", "B"], "code": ["pantry", "pantry"]})
    >>> stated = pd.DataFrame({"respondent_id": list("pqrstu"),
    ...                        "code": ["milk"] * 5 + ["pantry"]})
    >>> needs_gap(assumed, stated)[["code", "staff_share", "customer_share", "classification"]]
         code  staff_share  customer_share classification
    0    milk          0.0        0.833333     blind spot
    1  pantry          1.0        0.166667   assumed only
    """
    require_columns(assumed, ["staff", "code", by], name="assumed")
    require_columns(stated, ["code", by], name="stated")
    check_fraction(confidence, name="confidence", inclusive=False)
    check_positive_int(min_n, name="min_n")
    check_fraction(priority, name="priority")
    rare = priority if rare is None else check_fraction(rare, name="rare")
    weights = _weights(stated, weight)
    staff, staff_totals = _shares(
        assumed, _unit_codes(assumed["staff"].fillna("\x00unnamed"), len(assumed)), by, None
    )
    cust, cust_totals = _shares(stated, _respondents(stated), by, weights)
    index = staff.index.union(cust.index)
    out = pd.DataFrame(index=index).reset_index()
    out.columns = ["group", "code"]
    s = staff.reindex(index)
    c = cust.reindex(index)
    st = staff_totals.reindex(out["group"])
    ct = cust_totals.reindex(out["group"])
    out["staff_n"] = s["n"].fillna(0).astype(int).to_numpy()
    out["staff_total"] = st["total"].fillna(0).astype(int).to_numpy()
    out["customer_n"] = c["n"].fillna(0).astype(int).to_numpy()
    out["customer_total"] = ct["total"].fillna(0).astype(int).to_numpy()
    neff = ct["effective_n"].fillna(0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        cust_share = c["weight"].fillna(0).to_numpy() / ct["weight"].to_numpy()
    cust_success = cust_share * neff
    staff_n, staff_total = out["staff_n"].to_numpy(float), out["staff_total"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["staff_share"] = np.where(staff_total > 0, staff_n / staff_total, np.nan)
    out["staff_ci_low"], out["staff_ci_high"] = wilson(staff_n, staff_total, confidence)
    out["staff_importance"] = s["importance"].to_numpy()
    out["customer_effective_n"] = neff
    out["customer_share"] = np.where(neff > 0, cust_share, np.nan)
    out["customer_ci_low"], out["customer_ci_high"] = wilson(cust_success, neff, confidence)
    out["customer_importance"] = c["importance"].to_numpy()
    gap, low, high = newcombe_difference(cust_success, neff, staff_n, staff_total, confidence)
    out["gap"], out["gap_ci_low"], out["gap_ci_high"] = gap, low, high
    out["suppressed"] = out["customer_total"] < min_n
    hidden = [
        "customer_share",
        "customer_ci_low",
        "customer_ci_high",
        "customer_importance",
        "gap",
        "gap_ci_low",
        "gap_ci_high",
    ]
    out.loc[out["suppressed"], hidden] = np.nan
    out["classification"] = _classify(out, priority, rare)
    out["confidence"] = confidence
    out["priority_threshold"] = priority
    out["rare_threshold"] = rare
    out = _label(out, codebook)
    out = out.sort_values(
        ["group", "gap", "customer_share"],
        ascending=[True, False, False],
        na_position="last",
        kind="stable",
    )
    return _finish(out, by, ["code", "label", "theme", "staff_n", "staff_total", "staff_share", "staff_ci_low",
                             "staff_ci_high", "staff_importance", "customer_n", "customer_total",
                             "customer_effective_n", "customer_share", "customer_ci_low", "customer_ci_high",
                             "customer_importance", "gap", "gap_ci_low", "gap_ci_high", "classification",
                             "suppressed", "confidence", "priority_threshold", "rare_threshold"])  # fmt: skip


def _classify(out: pd.DataFrame, priority: float, rare: float) -> np.ndarray:
    staff = (
        out["staff_share"].fillna(0).to_numpy()
    )  # no staff list for the group: staff named nothing
    cust = out["customer_share"].to_numpy()
    with np.errstate(invalid="ignore"):
        cust_high, cust_rare = cust >= priority, cust < rare
    staff_high, staff_rare = staff >= priority, staff < rare
    labels = np.select(
        [cust_high & staff_rare, staff_high & cust_rare, cust_high | staff_high],
        ["blind spot", "assumed only", "shared priority"],
        default="low priority",
    ).astype(object)
    labels[out["suppressed"].to_numpy()] = None
    return labels


def _label(out: pd.DataFrame, codebook: pd.DataFrame | None) -> pd.DataFrame:
    if codebook is not None and len(codebook):
        info = codebook.drop_duplicates("code").set_index("code")
        out["label"] = out["code"].map(info["label"]) if "label" in info else None
        out["theme"] = out["code"].map(info["theme"]) if "theme" in info else None
    else:
        out["label"], out["theme"] = None, None
    out["label"] = out["label"].astype(object).where(out["label"].notna(), out["code"])
    return out


def _finish(out: pd.DataFrame, by: str | None, columns: list[str]) -> pd.DataFrame:
    out = out.reset_index(drop=True)
    if by is None:
        return out[columns]
    out = out.rename(columns={"group": by})
    return out[[by, *columns]]


# ----------------------------------------------------------------------------- agreement


def rank_agreement(
    gap: pd.DataFrame, *, by: str | None = None, confidence: float = 0.95, top_k: int = 5
) -> pd.DataFrame:
    """How far the staff's and the customers' priority orders agree.

    Parameters
    ----------
    gap : DataFrame
        The result of :func:`needs_gap` (with the same ``by``).
    by : str, optional
        The group column of ``gap``.
    confidence : float
        Level of the correlation intervals.
    top_k : int
        How many of each list's top needs to compare.

    Returns
    -------
    DataFrame
        One row (per group): ``[by]``, ``needs`` (named by either list), ``spearman`` with
        ``spearman_ci_low``/``spearman_ci_high`` and ``spearman_p``, ``kendall`` (tau-b) with
        ``kendall_ci_low``/``kendall_ci_high`` and ``kendall_p``, ``top_k``,
        ``top_k_overlap`` (needs in both lists' top k, ties included), ``top_k_shared``
        (their labels), ``customer_only`` (needs customers named and no staff member did)
        and ``customer_only_needs`` (their labels, most named first), ``suppressed``,
        ``confidence``.

    Notes
    -----
    The two orders rank needs by share within each list, ties at average rank. Intervals
    through Fisher's z: Spearman with the Bonett–Wright (2000) standard error, Kendall with
    Fieller, Hartley & Pearson's (1957).
    """
    require_columns(
        gap,
        [
            "code",
            "label",
            "staff_share",
            "customer_share",
            "staff_n",
            "customer_n",
            "suppressed",
            by,
        ],
        name="gap",
    )
    top_k = check_positive_int(top_k, name="top_k")
    groups = [("", gap)] if by is None else list(gap.groupby(by, sort=False, dropna=False))
    rows = []
    for key, g in groups:
        suppressed = bool(g["suppressed"].any())
        staff = g["staff_share"].fillna(0).to_numpy(float)
        cust = g["customer_share"].to_numpy(float)
        row = {"group": key, "needs": len(g), "suppressed": suppressed, "top_k": top_k}
        ok = not suppressed and len(g) >= 3 and np.ptp(staff) > 0 and np.ptp(cust) > 0
        for method, func in (("spearman", stats.spearmanr), ("kendall", stats.kendalltau)):
            if ok:
                result = func(staff, cust)
                r, p = float(result.statistic), float(result.pvalue)
                low, high = correlation_interval(r, len(g), confidence, method=method)
            else:
                r = p = low = high = np.nan
            row.update(
                {method: r, f"{method}_ci_low": low, f"{method}_ci_high": high, f"{method}_p": p}
            )
        if suppressed:
            row.update(
                top_k_overlap=np.nan,
                top_k_shared=None,
                customer_only=np.nan,
                customer_only_needs=None,
            )
        else:
            staff_rank = pd.Series(staff, index=g.index).rank(ascending=False, method="min")
            cust_rank = pd.Series(cust, index=g.index).rank(ascending=False, method="min")
            both = g.loc[
                (staff_rank <= top_k)
                & (cust_rank <= top_k)
                & (g["staff_n"] > 0)
                & (g["customer_n"] > 0)
            ]
            only = g.loc[(g["staff_n"] == 0) & (g["customer_n"] > 0)].sort_values(
                "customer_share", ascending=False
            )
            row.update(
                top_k_overlap=len(both),
                top_k_shared="; ".join(both["label"].astype(str)),
                customer_only=len(only),
                customer_only_needs="; ".join(only["label"].astype(str)),
            )
        row["confidence"] = confidence
        rows.append(row)
    out = pd.DataFrame(rows)
    columns = ["needs", "spearman", "spearman_ci_low", "spearman_ci_high", "spearman_p", "kendall",
               "kendall_ci_low", "kendall_ci_high", "kendall_p", "top_k", "top_k_overlap", "top_k_shared",
               "customer_only", "customer_only_needs", "suppressed", "confidence"]  # fmt: skip
    return _finish(out, by, columns)


# ----------------------------------------------------------------------------- segments


_COMMON_COLUMNS = (
    "segment_a", "segment_b", "code", "label", "n_a", "total_a", "share_a", "n_b", "total_b",
    "share_b", "difference", "difference_ci_low", "difference_ci_high", "importance_a",
    "importance_b", "relation", "in_every_segment", "suppressed", "confidence",
)  # fmt: skip


def common_ground(
    stated: pd.DataFrame,
    *,
    codebook: pd.DataFrame | None = None,
    segment: str = "segment",
    confidence: float = 0.95,
    min_n: int = 5,
    priority: float = 0.2,
    rare: float = 0.1,
    conflict: float = 2.0,
    weight: str | None = "weight",
) -> pd.DataFrame:
    """For every pair of segments: the needs they share, the ones only one names, conflicts.

    Parameters
    ----------
    stated : DataFrame
        Coded customer-stated needs with a segment column.
    segment : str
        The column that names the customer group.
    priority, rare : float
        A need is a priority for a segment when at least ``priority`` of it names the
        need, and rare when fewer than ``rare`` do: *only A* needs a priority in A that
        is rare in B (needs between the two are left out, not called one-sided).
    conflict : float
        Two segments pull in different directions on a need when both rated its
        importance and their mean ratings differ by at least this much (1–5 scale).

    Returns
    -------
    DataFrame
        One row per pair of segments and need with a relation:
        ``segment_a``, ``segment_b``, ``code``, ``label``, ``share_a``, ``share_b`` (with their
        ``n_a``/``n_b`` respondents naming it and ``total_a``/``total_b`` respondents),
        ``difference`` = share_a − share_b with ``difference_ci_low``/``difference_ci_high``
        (Newcombe), ``importance_a``, ``importance_b``, ``relation`` (*conflict*, *common
        ground*, *only A*, *only B*, naming the segment), ``in_every_segment`` (a priority in
        every segment that is not suppressed), ``suppressed`` (either segment below
        ``min_n``: estimates empty), ``confidence``.
        Pairs are in the order segments first appear; needs that are neither shared, one-
        sided nor in conflict are left out.
    """
    require_columns(stated, ["code", segment], name="stated")
    check_positive_int(min_n, name="min_n")
    check_fraction(priority, name="priority")
    check_fraction(rare, name="rare")
    weights = _weights(stated, weight)
    per_code, totals = _shares(stated, _respondents(stated), segment, weights)
    if per_code.empty:
        return pd.DataFrame(columns=list(_COMMON_COLUMNS))
    share = (
        per_code["weight"] / totals["weight"].reindex(per_code.index.get_level_values(0)).to_numpy()
    )
    table = per_code.assign(share=share.to_numpy())
    segments = [s for s in pd.unique(stated[segment].dropna())]
    small = {s for s in segments if totals["total"].get(s, 0) < min_n}
    everywhere = _priority_everywhere(table, [s for s in segments if s not in small], priority)
    rows = []
    for a, b in itertools.combinations(segments, 2):
        pair = pd.DataFrame(
            index=pd.Index(sorted(set(_codes(table, a)) | set(_codes(table, b))), name="code")
        )
        for side, seg in (("a", a), ("b", b)):
            part = (
                table.xs(seg, level=0)
                if seg in table.index.get_level_values(0)
                else table.iloc[0:0].droplevel(0)
            )
            pair[f"n_{side}"] = part["n"].reindex(pair.index).fillna(0).astype(int)
            pair[f"total_{side}"] = int(totals["total"].get(seg, 0))
            pair[f"share_{side}"] = part["share"].reindex(pair.index).fillna(0.0)
            pair[f"importance_{side}"] = part["importance"].reindex(pair.index)
            pair[f"neff_{side}"] = float(totals["effective_n"].get(seg, 0))
        d, low, high = newcombe_difference(
            pair["share_a"] * pair["neff_a"],
            pair["neff_a"],
            pair["share_b"] * pair["neff_b"],
            pair["neff_b"],
            confidence,
        )
        pair["difference"], pair["difference_ci_low"], pair["difference_ci_high"] = d, low, high
        imp_gap = (pair["importance_a"] - pair["importance_b"]).abs()
        relation = np.select(
            [
                imp_gap.ge(conflict).to_numpy(),
                (pair["share_a"].ge(priority) & pair["share_b"].ge(priority)).to_numpy(),
                (pair["share_a"].ge(priority) & pair["share_b"].lt(rare)).to_numpy(),
                (pair["share_b"].ge(priority) & pair["share_a"].lt(rare)).to_numpy(),
            ],
            ["conflict", "common ground", f"only {a}", f"only {b}"],
            default="",
        )
        pair["relation"] = relation
        pair["suppressed"] = a in small or b in small
        if pair["suppressed"].any():
            pair.loc[
                :,
                [
                    "share_a",
                    "share_b",
                    "difference",
                    "difference_ci_low",
                    "difference_ci_high",
                    "importance_a",
                    "importance_b",
                ],
            ] = np.nan
            pair["relation"] = ""
            pair = pair.iloc[0:0] if pair.empty else pair
        pair = pair[pair["relation"].ne("") | pair["suppressed"]]
        pair = pair.reset_index()
        pair.insert(0, "segment_b", b)
        pair.insert(0, "segment_a", a)
        rows.append(pair)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if out.empty:
        return pd.DataFrame(columns=list(_COMMON_COLUMNS))
    out["relation"] = out["relation"].where(out["relation"].ne(""), None)
    out["in_every_segment"] = out["code"].isin(everywhere)
    out["confidence"] = confidence
    out = _label(out, codebook)
    order = {"conflict": 0, "common ground": 1}
    out["_order"] = out["relation"].map(lambda r: order.get(r, 2))
    out = out.sort_values(
        ["segment_a", "segment_b", "_order", "code"], kind="stable", key=_first_seen(segments)
    )
    columns = list(_COMMON_COLUMNS)
    return out[columns].reset_index(drop=True)


def _codes(table: pd.DataFrame, seg) -> list:
    return list(table.xs(seg, level=0).index) if seg in table.index.get_level_values(0) else []


def _priority_everywhere(table: pd.DataFrame, segments: list, priority: float) -> set:
    if not segments:
        return set()
    sets = [
        {c for c, s in table.xs(seg, level=0)["share"].items() if s >= priority}
        if seg in table.index.get_level_values(0)
        else set()
        for seg in segments
    ]
    return set.intersection(*sets)


def _first_seen(segments: list):
    position = {s: i for i, s in enumerate(segments)}

    def key(column: pd.Series) -> pd.Series:
        if column.name in ("segment_a", "segment_b"):
            return column.map(position)
        return column

    return key


# ----------------------------------------------------------------------------- IPA


def importance_performance(
    stated: pd.DataFrame,
    *,
    codebook: pd.DataFrame | None = None,
    by: str | None = None,
    confidence: float = 0.95,
    min_n: int = 5,
    crosshair: str = "midpoint",
    scale: tuple[float, float] = (1, 5),
) -> pd.DataFrame:
    """Importance–performance analysis (Martilla & James 1977) of needs rated both ways.

    Parameters
    ----------
    stated : DataFrame
        Coded stated needs with ``importance`` and ``performance`` ratings; rows missing
        either rating are left out.
    crosshair : {"midpoint", "mean"}
        Where the quadrant lines sit: the scale's midpoint, or the grand means of the
        rated rows (within each group). Recorded in the output.
    scale : (low, high)
        The rating scale, for the midpoint.

    Returns
    -------
    DataFrame
        One row per need (per group): ``[by]``, ``code``, ``label``, ``n`` ratings,
        ``importance`` and ``performance`` (means) each with ``_ci_low``/``_ci_high``
        (t intervals), ``quadrant`` (*Concentrate here*: important, performing below the
        line; *Keep up the good work*; *Low priority*; *Possible overkill*; a mean exactly on
        a line counts as high), ``crosshair_importance``, ``crosshair_performance``,
        ``crosshair``, ``suppressed`` (fewer than ``min_n`` ratings: means empty),
        ``confidence``.
    """
    require_columns(stated, ["code", "importance", "performance", by], name="stated")
    check_choice(crosshair, ("midpoint", "mean"), name="crosshair")
    check_positive_int(min_n, name="min_n")
    data = stated.assign(
        importance=pd.to_numeric(stated["importance"], errors="coerce"),
        performance=pd.to_numeric(stated["performance"], errors="coerce"),
    )
    data = data[data["code"].notna() & data["importance"].notna() & data["performance"].notna()]
    data = data.assign(group=_group_keys(data, by))
    rows = []
    for key, g in data.groupby("group", sort=False):
        if crosshair == "midpoint":
            ci, cp = (scale[0] + scale[1]) / 2, (scale[0] + scale[1]) / 2
        else:
            ci, cp = float(g["importance"].mean()), float(g["performance"].mean())
        for code, h in g.groupby("code", sort=True):
            imp, imp_low, imp_high, n = mean_interval(h["importance"], confidence)
            perf, perf_low, perf_high, _ = mean_interval(h["performance"], confidence)
            rows.append(dict(group=key, code=code, n=n, importance=imp, importance_ci_low=imp_low,
                             importance_ci_high=imp_high, performance=perf, performance_ci_low=perf_low,
                             performance_ci_high=perf_high, crosshair_importance=ci,
                             crosshair_performance=cp))  # fmt: skip
    columns = ["code", "label", "n", "importance", "importance_ci_low", "importance_ci_high", "performance",
               "performance_ci_low", "performance_ci_high", "quadrant", "crosshair_importance",
               "crosshair_performance", "crosshair", "suppressed", "confidence"]  # fmt: skip
    out = pd.DataFrame(rows, columns=["group", "code", "n", "importance", "importance_ci_low", "importance_ci_high",
                                      "performance", "performance_ci_low", "performance_ci_high",
                                      "crosshair_importance", "crosshair_performance"])  # fmt: skip
    high_imp = out["importance"] >= out["crosshair_importance"]
    high_perf = out["performance"] >= out["crosshair_performance"]
    out["quadrant"] = np.select(
        [high_imp & ~high_perf, high_imp & high_perf, ~high_imp & ~high_perf],
        list(QUADRANTS[:3]),
        default=QUADRANTS[3],
    ).astype(object)
    out["suppressed"] = out["n"] < min_n
    means = [
        "importance",
        "importance_ci_low",
        "importance_ci_high",
        "performance",
        "performance_ci_low",
        "performance_ci_high",
    ]
    out.loc[out["suppressed"], means] = np.nan
    out.loc[out["suppressed"], "quadrant"] = None
    out["crosshair"] = crosshair
    out["confidence"] = confidence
    out = _label(out, codebook)
    return _finish(out, by, columns)
