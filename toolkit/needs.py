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
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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
    "IMPORTANCE_PERFORMANCE_COLUMNS",
]

CLASSIFICATIONS = ("blind spot", "assumed only", "shared priority", "low priority")
QUADRANTS = ("Concentrate here", "Keep up the good work", "Low priority", "Possible overkill")
#: The columns :func:`importance_performance` returns, after the ``by`` column if any.
IMPORTANCE_PERFORMANCE_COLUMNS = (
    "code",
    "label",
    "n",
    "importance",
    "importance_ci_low",
    "importance_ci_high",
    "performance",
    "performance_ci_low",
    "performance_ci_high",
    "quadrant",
    "crosshair_importance",
    "crosshair_performance",
    "crosshair",
    "suppressed",
    "confidence",
)
_APOSTROPHES = "['’`]"
_NOT_WORD = r"[^\p{L}\p{N}]+"  # RE2 (pyarrow): neither a letter nor a digit
_ASCII_NOT_WORD = str.maketrans(  # the same for ASCII, NUL kept (it separates texts)
    {**{chr(c): " " for c in range(1, 128) if not chr(c).isalnum()}, "'": None, "`": None}
)
_STEM_MIN = 5  # a keyword this long also matches words it begins ("refrigerat" → "refrigerator")
_NO_CODE = -1


# ----------------------------------------------------------------------------- coding


def _words(texts: list[str]) -> pa.ListArray:
    """Each text's words: lower case, apostrophes dropped, split at whatever is neither a
    letter nor a digit ("Don't-stop!" → ["dont", "stop"]).

    The one normalisation for statements and codebook alike, for all texts at once: ASCII
    texts through one ``str.translate`` of them joined, others lower-cased by Python and
    split by pyarrow's RE2 (the two agree on ASCII).
    """
    joined = "\x00".join(texts)
    if joined.isascii() and joined.count("\x00") == len(texts) - 1:
        spaced = pa.array(joined.lower().translate(_ASCII_NOT_WORD).split("\x00"), pa.string())
    else:
        lower = [t.lower() for t in texts]  # Python's: a word-final Σ becomes ς
        try:
            lower = pa.array(lower, type=pa.string())
        except UnicodeEncodeError:  # lone surrogates (frames built in Python): not letters
            lower = pa.array([t.encode("utf-8", "replace").decode() for t in lower], pa.string())
        unquoted = pc.replace_substring_regex(lower, pattern=_APOSTROPHES, replacement="")
        spaced = pc.replace_substring_regex(unquoted, pattern=_NOT_WORD, replacement=" ")
    return pc.ascii_split_whitespace(pc.ascii_trim_whitespace(spaced))  # "" → [""]


def _codebook_rows(codebook: pd.DataFrame) -> tuple[tuple[str, str, str], ...]:
    """The codebook as (code, label, keywords) strings, in its order (blank for missing)."""
    columns = [
        codebook[c].tolist() if c in codebook else [None] * len(codebook)
        for c in ("code", "label", "keywords")
    ]
    return tuple(
        tuple("" if v is None or v is pd.NA or v != v else str(v) for v in row)  # v != v: NaN
        for row in zip(*columns, strict=True)
    )


def codebook_version(codebook: pd.DataFrame) -> str:
    """A short hash of the codebook's codes, labels and keywords.

    Recorded with every automatic code, so a result says which codebook made it.
    """
    require_columns(codebook, ["code"], name="codebook")
    return _version(_codebook_rows(codebook))


def _version(rows: tuple[tuple[str, str, str], ...]) -> str:
    digest = hashlib.sha256()
    for row in sorted(rows, key=lambda r: r[0]):
        digest.update("\x1f".join(row).encode() + b"\x1e")
    return digest.hexdigest()[:12]


def _lookup(values: pa.Array, keys: pa.Array) -> np.ndarray:
    """Position of each value in ``keys``, -1 where absent."""
    return pc.fill_null(pc.index_in(values, value_set=keys), _NO_CODE).to_numpy()


class _Matcher:
    """Codes statements: exact phrase, then keywords, then keywords with a typo.

    Built once per codebook (see :func:`_matcher`). Keyword matching works on the words
    of all distinct texts at once: each run of n words that begins like an n-word keyword
    is looked up among them (also with "s" or "es" added), longest keywords first, then
    single words, so each word start holds at most one keyword, the longest found there;
    a word no keyword matched is then tried against the stems (keywords of five letters
    or more begin it).
    """

    def __init__(self, rows: tuple[tuple[str, str, str], ...]):
        self.version = _version(rows)
        self.codes: list[str] = []
        first_row: dict[str, int] = {}
        for code, _, _ in rows:
            if code not in first_row:
                first_row[code] = len(self.codes)
                self.codes.append(code)
        names = [code.replace("_", " ") for code, _, _ in rows]
        labels = [label for _, label, _ in rows]
        keywords = [words.split(";") for _, _, words in rows]
        flat = list(itertools.chain.from_iterable(keywords))
        normal = pc.binary_join(_words(names + labels + flat), " ").to_pylist()
        names, labels, flat = (
            normal[: len(rows)],
            normal[len(rows) : 2 * len(rows)],
            normal[2 * len(rows) :],
        )
        exact: dict[str, int] = {}
        phrases: dict[str, list[int]] = {}  # keyword → codes, in codebook order
        at = 0
        for r, (code, _, _) in enumerate(rows):
            c = first_row[code]
            exact.setdefault(names[r], c)
            exact.setdefault(labels[r], c)
            for phrase in flat[at : at + len(keywords[r])]:
                if phrase:
                    exact.setdefault(phrase, c)
                    if c not in phrases.setdefault(phrase, []):
                        phrases[phrase].append(c)
            at += len(keywords[r])
        exact.pop("", None)
        self.exact_keys = pa.array(list(exact), type=pa.string())
        self.exact_codes = np.array(list(exact.values()), dtype=np.int64)
        self.phrases = list(phrases)
        self.phrase_codes = list(phrases.values())
        counts = np.array([len(c) for c in self.phrase_codes], dtype=np.int64)
        self.phrase_first = np.cumsum(counts) - counts  # phrase_codes flattened: where each starts
        self.phrase_count = counts
        self.phrase_code = np.array(list(itertools.chain(*self.phrase_codes)), dtype=np.int64)
        self.phrase_length = np.array([len(p) for p in self.phrases], dtype=np.int64)
        # Per word count: each keyword, and its plurals unless they are keywords themselves.
        self.forms: dict[int, tuple[pa.Array, np.ndarray]] = {}
        by_words: dict[int, dict[str, int]] = {}
        for suffix in ("es", "s", ""):
            for i, phrase in enumerate(self.phrases):
                by_words.setdefault(phrase.count(" ") + 1, {})[phrase + suffix] = i
        for words, forms in by_words.items():
            self.forms[words] = (
                pa.array(list(forms), type=pa.string()),
                np.array(list(forms.values())),
            )
        self.heads = pa.array(  # first words of keywords of several words
            sorted({p.split(" ")[0] for p in self.phrases if " " in p}), type=pa.string()
        )
        stems: dict[int, dict[str, int]] = {}
        for i, phrase in enumerate(self.phrases):
            if " " not in phrase and len(phrase) >= _STEM_MIN:
                stems.setdefault(len(phrase), {})[phrase] = i
        self.stems = {
            n: (pa.array(list(s), type=pa.string()), np.array(list(s.values())))
            for n, s in sorted(stems.items(), reverse=True)
        }
        # Typo candidates by word count and length (keywords under 4 letters never match).
        self.typo_choices: dict[tuple[int, int], list[int]] = {}  # (words, length) → keywords
        for i, phrase in enumerate(self.phrases):
            if _edits_allowed(len(phrase)):
                self.typo_choices.setdefault((phrase.count(" ") + 1, len(phrase)), []).append(i)
        self._near: dict[tuple[int, int], tuple[list[str], list[int], int]] = {}

    def code(self, texts: list[str], fuzzy: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Code distinct texts: per text the code's index (-1: none), how, and the score."""
        words = _words(texts)
        normal = pc.binary_join(words, " ")
        hit = _lookup(normal, self.exact_keys)
        code = np.full(len(texts), _NO_CODE)
        code[hit >= 0] = self.exact_codes[hit[hit >= 0]]
        how = np.where(code >= 0, "exact", None).astype(object)
        score = np.where(code >= 0, 1.0, np.nan)
        blank = pc.equal(normal, "").to_numpy(zero_copy_only=False)
        pending = np.flatnonzero((code < 0) & ~blank)
        if len(pending) and self.phrases:
            found = self._keywords(words.take(pending))
            code[pending] = found
            how[pending[found >= 0]] = "keyword"
            score[pending[found >= 0]] = 1.0
            pending = pending[found < 0]
        if fuzzy and len(pending) and self.typo_choices:
            for i, (c, s) in self._typos(words.take(pending)).items():
                code[pending[i]], how[pending[i]], score[pending[i]] = c, "fuzzy", s
        return code, how, score

    def _keywords(self, words: pa.ListArray) -> np.ndarray:
        """The best keyword code of each text, given as its words (-1: none).

        The longest matched keyword wins, then the code with most keyword hits, then
        codebook order.
        """
        flat = pc.list_flatten(words)
        owner = pc.list_parent_indices(words).to_numpy()
        keyword = np.full(len(flat), _NO_CODE)  # the keyword found at each word start
        # Keywords of several words, longest first, from the words that begin one.
        starts = np.flatnonzero(_lookup(flat, self.heads) >= 0)
        run = flat.take(starts)
        runs = {}
        for n in range(2, max(self.forms) + 1):
            end = np.minimum(starts + n - 1, len(flat) - 1)
            run = pc.binary_join_element_wise(run, flat.take(end), " ")
            runs[n] = run, (starts + n - 1 < len(flat)) & (owner[end] == owner[starts])
        for n, (run, inside) in sorted(runs.items(), reverse=True):
            if n not in self.forms:  # no keyword of this many words (one of 3 but none of 2)
                continue
            hit = _lookup(run, self.forms[n][0])
            found = inside & (hit >= 0) & (keyword[starts] < 0)
            keyword[starts[found]] = self.forms[n][1][hit[found]]
        if 1 in self.forms:  # then single words
            hit = _lookup(flat, self.forms[1][0])
            found = (hit >= 0) & (keyword < 0)
            keyword[found] = self.forms[1][1][hit[found]]
        if self.stems:
            length = pc.utf8_length(flat).to_numpy()
            for n, (stems, phrase) in self.stems.items():  # longest first
                open_ = np.flatnonzero((keyword < 0) & (length > n))
                if len(open_) == 0:
                    continue
                hit = _lookup(pc.utf8_slice_codeunits(flat.take(open_), 0, n), stems)
                keyword[open_[hit >= 0]] = phrase[hit[hit >= 0]]
        at = np.flatnonzero(keyword >= 0)
        return self._best(owner[at], keyword[at], len(words))

    def _best(self, text: np.ndarray, keyword: np.ndarray, size: int) -> np.ndarray:
        """Per text, the code of its longest keyword, then most hits, then codebook order."""
        best = np.full(size, _NO_CODE)
        if len(text) == 0:
            return best
        counts = self.phrase_count[keyword]  # a keyword of several codes counts for each
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        code = self.phrase_code[np.repeat(self.phrase_first[keyword], counts) + within]
        text, length = np.repeat(text, counts), np.repeat(self.phrase_length[keyword], counts)
        pair = text * len(self.codes) + code
        by_pair = np.lexsort((-length, pair))  # each pair's longest keyword first
        pair, length = pair[by_pair], length[by_pair]
        first = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
        hits = np.diff(np.r_[first, len(pair)])
        text, code, length = (
            pair[first] // len(self.codes),
            pair[first] % len(self.codes),
            length[first],
        )
        rank = np.lexsort((code, -hits, -length, text))  # code indices follow codebook order
        text, code = text[rank], code[rank]
        winner = np.r_[True, text[1:] != text[:-1]]
        best[text[winner]] = code[winner]
        return best

    def _typos(self, words: pa.ListArray) -> dict[int, tuple[int, float]]:
        """Keywords written with a typo: "mlik" for milk, "fresh fod" for fresh food.

        Every run of words as long as a keyword is compared with it by optimal string
        alignment distance (rapidfuzz, in C++): up to 1 edit for keywords of 6–9
        characters, 2 from 10, and for 4–5 characters only two swapped letters. Each
        distinct run is compared once, with the keywords of about its length. Returns
        text position → (code, score).
        """
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        flat = pc.list_flatten(words)
        owner = pc.list_parent_indices(words).to_numpy()
        best: dict[int, tuple[float, int, int, int]] = {}
        run = flat
        for n in range(1, max(n for n, _ in self.typo_choices) + 1):
            if n > 1:
                run = pc.binary_join_element_wise(run[:-1], flat[n - 1 :], " ")
            within = owner[: len(run)] == owner[n - 1 :]  # runs inside one text
            encoded = pc.dictionary_encode(run.filter(within))
            distinct = encoded.dictionary.to_pylist()
            # The texts holding each distinct run: run_owner[bounds[r] : bounds[r + 1]].
            index = encoded.indices.to_numpy()
            by_run = np.argsort(index, kind="stable")
            run_owner = owner[: len(run)][within][by_run]
            bounds = np.searchsorted(index[by_run], np.arange(len(distinct) + 1))
            lengths = pc.utf8_length(encoded.dictionary).to_numpy()
            for length in np.unique(lengths):
                phrases, keywords, most = self._near_choices(n, int(length))
                if not phrases:
                    continue
                windows = np.flatnonzero(lengths == length)
                distance = process.cdist(
                    [distinct[w] for w in windows],
                    phrases,
                    scorer=OSA.distance,
                    score_cutoff=most,  # a tighter cutoff lets rapidfuzz stop sooner
                    dtype=np.int32,
                )
                for q, k in zip(*np.nonzero((distance > 0) & (distance <= most)), strict=True):
                    phrase, d, r = phrases[k], int(distance[q, k]), windows[q]
                    allowed = _edits_allowed(len(phrase))
                    if len(phrase) < 6 and sorted(distinct[r]) != sorted(phrase):
                        allowed = 0  # 4–5 letters: only two letters swapped
                    if d > allowed:
                        continue
                    score = 1 - d / max(len(phrase), int(length))
                    for code in self.phrase_codes[keywords[k]]:
                        candidate = (score, len(phrase), -code, code)
                        for t in run_owner[bounds[r] : bounds[r + 1]].tolist():
                            if t not in best or candidate > best[t]:
                                best[t] = candidate
        return {t: (code, round(score, 4)) for t, (score, _, _, code) in best.items()}

    def _near_choices(self, words: int, length: int) -> tuple[list[str], list[int], int]:
        """Keywords of ``words`` words that a run of ``length`` characters may be a typo
        of, and the most edits any of them allows.

        A keyword of 4–5 letters allows only a swap, so only runs of its own length.
        """
        key = (words, length)
        if key not in self._near:
            near = [
                other
                for other in range(length - 2, length + 3)
                if (_edits_allowed(other) if other >= 6 else 0) >= abs(other - length)
            ]
            near = [other for other in near if (words, other) in self.typo_choices]
            keywords = [i for other in near for i in self.typo_choices[(words, other)]]
            most = max((_edits_allowed(other) for other in near), default=0)
            self._near[key] = ([self.phrases[i] for i in keywords], keywords, most)
        return self._near[key]


def _edits_allowed(length: int) -> int:
    """Typos a keyword of ``length`` characters may carry: 2 from 10, 1 from 4, else none."""
    return 2 if length >= 10 else 1 if length >= 4 else 0


@functools.lru_cache(maxsize=8)
def _matcher(rows: tuple[tuple[str, str, str], ...]) -> _Matcher:
    """The matcher of a codebook, built once per process (notebook panels recode often)."""
    return _Matcher(rows)


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
    out = statements.copy(deep=False)  # copy-on-write: the input is never changed
    matcher = _matcher(_codebook_rows(codebook))
    positions, distinct = pd.factorize(out[text])  # each distinct text is coded once
    found, how, score = matcher.code([str(t) for t in distinct.tolist()], fuzzy)
    # Position -1 (no text) takes the appended blank.
    auto_code = np.array([*matcher.codes, None], dtype=object)[
        np.append(found, _NO_CODE)[positions]
    ]
    auto_by = np.append(how, None)[positions]
    auto_score = np.append(score, np.nan)[positions]
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
    out["codebook_version"] = matcher.version
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


class _Tally(NamedTuple):
    """One list's counts: per group and code (groups × codes arrays) and per group."""

    n: np.ndarray  # units naming the code
    weight: np.ndarray  # their weight
    importance: np.ndarray  # mean importance of the rows naming it (NaN: none rated)
    total: np.ndarray  # per group: units naming any need
    total_weight: np.ndarray
    effective_n: np.ndarray  # per group: Kish's effective sample size


def _labels(frame: pd.DataFrame, column: str | None) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of a column's values (-1: blank) and the values; one "" group for None."""
    if column is None:
        return np.zeros(len(frame), dtype=np.intp), pd.Index([""])
    codes, values = pd.factorize(frame[column].to_numpy() if column == "code" else frame[column])
    return codes, pd.Index(values)


def _shared(codes: np.ndarray, own: pd.Index, shared: pd.Index) -> np.ndarray:
    """``codes`` into ``own`` re-expressed as positions in ``shared`` (-1 stays -1)."""
    return np.append(shared.get_indexer(own), -1)[codes]


def _sorted_union(a: pd.Index, b: pd.Index) -> pd.Index:
    union = a.union(b, sort=False)
    try:
        return union.sort_values()
    except TypeError:  # values that do not compare: first seen first
        return union


def _importance(frame: pd.DataFrame) -> np.ndarray:
    if "importance" not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame["importance"], errors="coerce").to_numpy(dtype=float)


def _tally(
    unit: np.ndarray,
    g: np.ndarray,
    c: np.ndarray,
    shape: tuple[int, int],
    weights: pd.Series | None,
    importance: np.ndarray,
) -> _Tally:
    """Count one list on integer codes: ``g`` group (-1: none, left out), ``c`` code (-1: uncoded).

    A unit (staff member or respondent) counts once per group and once per need, with
    the weight of its first row. NumPy throughout: this runs on every redraw of a
    notebook's panel and on 100,000-statement surveys.
    """
    n_groups, n_codes = shape
    keep = g >= 0
    g, u, c, imp = g[keep].astype(np.int64), unit[keep], c[keep], importance[keep]
    w = np.ones(len(g)) if weights is None else weights.to_numpy(dtype=float)[keep]
    n_units = int(u.max()) + 1 if len(u) else 1
    # Each unit once per group: its first row's weight. factorize numbers the (group, unit)
    # pairs in order of first appearance, so a pair's first row is where the numbering
    # climbs, and first[k] is the first row of pair k.
    pair, _ = pd.factorize(g * n_units + u)
    climbs = np.ones(len(pair), dtype=bool)
    climbs[1:] = pair[1:] > np.maximum.accumulate(pair)[:-1]
    first = np.flatnonzero(climbs)
    gw, ww = g[first], w[first]
    total = np.bincount(gw, minlength=n_groups)
    total_weight = np.bincount(gw, weights=ww, minlength=n_groups)
    weight_sq = np.bincount(gw, weights=ww**2, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        effective_n = np.where(weight_sq > 0, total_weight**2 / weight_sq, 0.0)
    coded = c >= 0
    cell = g[coded] * n_codes + c[coded]
    # Each unit once per need.
    first_named = _first_rows(cell * n_units + u[coded])
    size = n_groups * n_codes
    n = np.bincount(cell[first_named], minlength=size)
    weight = np.bincount(cell[first_named], weights=ww[pair[coded][first_named]], minlength=size)
    rated = np.isfinite(imp[coded])
    imp_sum = np.bincount(cell[rated], weights=imp[coded][rated], minlength=size)
    imp_count = np.bincount(cell[rated], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_importance = np.where(imp_count > 0, imp_sum / imp_count, np.nan)
    return _Tally(
        n.reshape(shape),
        weight.reshape(shape),
        mean_importance.reshape(shape),
        total,
        total_weight,
        effective_n,
    )


def _shares(frame: pd.DataFrame, unit: np.ndarray, by: str | None, weights: pd.Series | None):
    """One list's tally as frames: per (group, code) named, and per group the totals."""
    g, groups = _labels(frame, by)
    c, codes = _labels(frame, "code")
    tally = _tally(unit, g, c, (len(groups), len(codes)), weights, _importance(frame))
    present = np.flatnonzero(tally.n)
    index = pd.MultiIndex.from_arrays(
        [groups.take(present // max(len(codes), 1)), codes.take(present % max(len(codes), 1))],
        names=["group", "code"],
    )
    per_code = pd.DataFrame(
        {
            "n": tally.n.ravel()[present],
            "weight": tally.weight.ravel()[present],
            "importance": tally.importance.ravel()[present],
        },
        index=index,
    )
    totals = pd.DataFrame(
        {"total": tally.total, "weight": tally.total_weight, "effective_n": tally.effective_n},
        index=groups.rename("group"),
    )
    return per_code, totals


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
    staff_g, staff_groups = _labels(assumed, by)
    cust_g, cust_groups = _labels(stated, by)
    staff_c, staff_codes = _labels(assumed, "code")
    cust_c, cust_codes = _labels(stated, "code")
    groups = _sorted_union(staff_groups, cust_groups)
    codes = _sorted_union(staff_codes, cust_codes)
    shape = (len(groups), len(codes))
    staff = _tally(
        _unit_codes(assumed["staff"].fillna("\x00unnamed"), len(assumed)),
        _shared(staff_g, staff_groups, groups),
        _shared(staff_c, staff_codes, codes),
        shape,
        None,
        _importance(assumed),
    )
    cust = _tally(
        _respondents(stated),
        _shared(cust_g, cust_groups, groups),
        _shared(cust_c, cust_codes, codes),
        shape,
        weights,
        _importance(stated),
    )
    # One row per need named by either list, in each group.
    cells = np.flatnonzero((staff.n + cust.n).ravel())
    group, code = np.divmod(cells, max(len(codes), 1))
    staff_n, customer_n = staff.n.ravel()[cells], cust.n.ravel()[cells]
    staff_total, customer_total = staff.total[group], cust.total[group]
    neff = cust.effective_n[group]
    with np.errstate(invalid="ignore", divide="ignore"):
        cust_share = cust.weight.ravel()[cells] / cust.total_weight[group]
        staff_share = np.where(staff_total > 0, staff_n / staff_total, np.nan)
    cust_success = cust_share * neff
    staff_low, staff_high = wilson(staff_n, staff_total, confidence)
    customer_share = np.where(neff > 0, cust_share, np.nan)
    cust_low, cust_high = wilson(cust_success, neff, confidence)
    customer_importance = cust.importance.ravel()[cells]
    gap, gap_low, gap_high = newcombe_difference(
        cust_success, neff, staff_n, staff_total, confidence
    )
    suppressed = customer_total < min_n
    for values in (
        customer_share,
        cust_low,
        cust_high,
        customer_importance,
        gap,
        gap_low,
        gap_high,
    ):
        values[suppressed] = np.nan  # counts are kept, estimates are not
    classification = _classify(staff_share, customer_share, suppressed, priority, rare)
    # By group, then largest gap and customer share first; empty ones last.
    order = np.lexsort((-customer_share, -gap, group))
    code_values = codes.take(code[order])
    label, theme = _label_theme(code_values.tolist(), codebook)
    columns = {
        **({by: groups.take(group[order])} if by is not None else {}),
        "code": code_values,
        "label": label,
        "theme": theme,
        "staff_n": staff_n[order],
        "staff_total": staff_total[order],
        "staff_share": staff_share[order],
        "staff_ci_low": staff_low[order],
        "staff_ci_high": staff_high[order],
        "staff_importance": staff.importance.ravel()[cells][order],
        "customer_n": customer_n[order],
        "customer_total": customer_total[order],
        "customer_effective_n": neff[order],
        "customer_share": customer_share[order],
        "customer_ci_low": cust_low[order],
        "customer_ci_high": cust_high[order],
        "customer_importance": customer_importance[order],
        "gap": gap[order],
        "gap_ci_low": gap_low[order],
        "gap_ci_high": gap_high[order],
        "classification": classification[order],
        "suppressed": suppressed[order],
        "confidence": np.full(len(cells), float(confidence)),
        "priority_threshold": np.full(len(cells), float(priority)),
        "rare_threshold": np.full(len(cells), float(rare)),
    }
    return pd.DataFrame({name: np.asarray(values) for name, values in columns.items()})


def _classify(
    staff: np.ndarray, cust: np.ndarray, suppressed: np.ndarray, priority: float, rare: float
) -> np.ndarray:
    staff = np.nan_to_num(staff, nan=0.0)  # no staff list for the group: staff named nothing
    with np.errstate(invalid="ignore"):
        cust_high, cust_rare = cust >= priority, cust < rare
    staff_high, staff_rare = staff >= priority, staff < rare
    labels = np.select(
        [cust_high & staff_rare, staff_high & cust_rare, cust_high | staff_high],
        ["blind spot", "assumed only", "shared priority"],
        default="low priority",
    ).astype(object)
    labels[suppressed] = None
    return labels


def _label_theme(codes: list, codebook: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Each code's label (the code itself when it has none) and theme, from the codebook.

    ``codes`` is a plain list: iterating an Arrow-backed index is slow.
    """
    labels: dict = {}
    themes: dict = {}
    if codebook is not None and len(codebook):
        book = codebook.iloc[::-1]  # the first row of a code wins
        code = book["code"].tolist()
        if "label" in book:
            labels = dict(zip(code, book["label"].tolist(), strict=True))
        if "theme" in book:
            themes = dict(zip(code, book["theme"].tolist(), strict=True))
    label = [labels.get(c) for c in codes]
    label = [c if pd.isna(v) else v for c, v in zip(codes, label, strict=True)]
    return np.array(label, dtype=object), np.array([themes.get(c) for c in codes], dtype=object)


def _label(out: pd.DataFrame, codebook: pd.DataFrame | None) -> pd.DataFrame:
    out["label"], out["theme"] = _label_theme(out["code"].tolist(), codebook)
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
    columns = [
        "needs",
        "spearman",
        "spearman_ci_low",
        "spearman_ci_high",
        "spearman_p",
        "kendall",
        "kendall_ci_low",
        "kendall_ci_high",
        "kendall_p",
        "top_k",
        "top_k_overlap",
        "top_k_shared",
        "customer_only",
        "customer_only_needs",
        "suppressed",
        "confidence",
    ]
    return _finish(out, by, columns)


# ----------------------------------------------------------------------------- segments


_COMMON_COLUMNS = (
    "segment_a",
    "segment_b",
    "code",
    "label",
    "n_a",
    "total_a",
    "share_a",
    "n_b",
    "total_b",
    "share_b",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "importance_a",
    "importance_b",
    "relation",
    "in_every_segment",
    "suppressed",
    "confidence",
)


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
            rows.append(
                dict(
                    group=key,
                    code=code,
                    n=n,
                    importance=imp,
                    importance_ci_low=imp_low,
                    importance_ci_high=imp_high,
                    performance=perf,
                    performance_ci_low=perf_low,
                    performance_ci_high=perf_high,
                    crosshair_importance=ci,
                    crosshair_performance=cp,
                )
            )
    means = [
        c for c in IMPORTANCE_PERFORMANCE_COLUMNS if c.startswith(("importance", "performance"))
    ]
    columns = list(IMPORTANCE_PERFORMANCE_COLUMNS)
    out = pd.DataFrame(
        rows,
        columns=["group", "code", "n", *means, "crosshair_importance", "crosshair_performance"],
    )
    high_imp = out["importance"] >= out["crosshair_importance"]
    high_perf = out["performance"] >= out["crosshair_performance"]
    out["quadrant"] = np.select(
        [high_imp & ~high_perf, high_imp & high_perf, ~high_imp & ~high_perf],
        list(QUADRANTS[:3]),
        default=QUADRANTS[3],
    ).astype(object)
    out["suppressed"] = out["n"] < min_n
    out.loc[out["suppressed"], means] = np.nan
    out.loc[out["suppressed"], "quadrant"] = None
    out["crosshair"] = crosshair
    out["confidence"] = confidence
    out = _label(out, codebook)
    return _finish(out, by, columns)
