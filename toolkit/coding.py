"""Coding free-text needs against a codebook: which need each statement names.

:func:`code_needs` gives each statement the code whose keyword it mentions (longest
keyword first, then most mentions, then codebook order), allowing plurals, word stems and
small typos (never in a real word: see :func:`real_words`); :func:`uncoded_needs` lists what no keyword matched, most frequent first;
:func:`codebook_version` identifies a codebook. Reviewing: :func:`review_queue` lists the
automatic codes a person should confirm (fuzzy and low-scoring ones, see
:func:`needs_review`); :func:`coder_agreement` compares two coders (Cohen's kappa). All distinct texts are split into words
at once (ASCII ones byte by byte, :func:`_ascii_words`), each word is numbered once, and
keywords are found by NumPy table look-ups on those numbers (:class:`_RunTable`); the
matcher is cached per codebook.
The analyses of coded needs are in :mod:`toolkit.needs`.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import itertools
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from toolkit._validate import require_columns
from toolkit.schema.tables import NOT_A_NEED, keyword_columns

__all__ = [
    "code_needs",
    "codebook_version",
    "coder_agreement",
    "matched_spans",
    "needs_review",
    "real_words",
    "review_queue",
    "uncoded_needs",
]

_APOSTROPHES = "['’`]"
_NOT_WORD = r"[^\p{L}\p{N}]+"  # RE2 (pyarrow): neither a letter nor a digit
_STEM_MIN = 5  # a keyword this long also matches words it begins ("refrigerat" → "refrigerator")
_NO_CODE = -1
_PART = 2**21  # see _Matcher._best
_SPLIT_FROM = 20_000  # distinct texts coded in two threads from this many
_FEW_WORDS = 5_000  # see _Matcher.known
_WORD_LISTS = Path(__file__).resolve().parent / "wordlist"
_COGNATE_MIN = 8  # a Spanish word may be a keyword this long written the Spanish way
_NO_DIGITS = str.maketrans("", "", "0123456789")  # (ASCII digits: those a typo run counts)


def _words(texts: list[str] | pa.Array, *, trim: bool = True) -> pa.ListArray:
    """Each text's words: lower case, apostrophes dropped, split at whatever is neither a
    letter nor a digit ("Don't-stop!" → ["dont", "stop"]; a text without words → [""]).

    The one normalisation for statements and codebook alike, for all texts at once: ASCII
    texts byte by byte with NumPy (:func:`_ascii_words`), others lower-cased by Python and
    split by pyarrow's RE2 (:func:`_other_words`; the two agree on ASCII). ``trim=False``
    leaves an ASCII word the separators that follow it ("stop!"), for a caller that trims
    only its distinct words (:meth:`_Said.of`).
    """
    if not isinstance(texts, pa.Array):
        try:
            texts = pa.array(texts, type=pa.string())
        except UnicodeEncodeError:  # lone surrogates (frames built in Python): not letters
            return _other_words(texts)
    if texts.type != pa.string():
        try:
            texts = texts.cast(pa.string())
        except pa.ArrowInvalid:  # over 2 GB of text: in parts
            half = len(texts) // 2
            return pa.concat_arrays([_words(t, trim=trim) for t in (texts[:half], texts[half:])])
    offsets, data = _buffers(texts)
    if offsets[0] != 0:  # a slice: its own buffers (Arrow's kernels may mistake its offsets)
        data = data[offsets[0] : offsets[-1]]
        offsets = offsets - offsets[0]
        texts = pa.StringArray.from_buffers(len(texts), pa.py_buffer(offsets), pa.py_buffer(data))
    if not (data[: offsets[-1]] >= 128).any():
        return _ascii_words(texts, trim=trim)
    high = np.r_[0, np.cumsum(data >= 128)]  # bytes of non-ASCII characters so far
    other = high[offsets[1:]] > high[offsets[:-1]]
    ascii_ = np.flatnonzero(~other)
    parts = [_other_words(texts.filter(pa.array(other)).to_pylist())]
    if len(ascii_):
        parts.insert(0, _ascii_words(texts.take(ascii_), trim=trim))
    order = np.argsort(np.r_[ascii_, np.flatnonzero(other)], kind="stable")
    return pa.concat_arrays(parts).take(order)


def _buffers(texts: pa.StringArray) -> tuple[np.ndarray, np.ndarray]:
    """A string array's offsets and bytes, as NumPy arrays (no copy)."""
    at = texts.offset
    offsets = np.frombuffer(texts.buffers()[1], np.int32)[at : at + len(texts) + 1]
    return offsets, np.frombuffer(texts.buffers()[2] or b"", np.uint8)


#: The ASCII characters that are neither a letter nor a digit (apostrophes included).
_ASCII_NOT_WORD = "".join(chr(c) for c in range(128) if not chr(c).isalnum())


def _ascii_words(texts: pa.StringArray, *, trim: bool = True) -> pa.ListArray:
    """:func:`_words` of ASCII texts, without a Python string per text or word.

    Arrow lower-cases the texts; NumPy deletes their apostrophes and finds where each
    word (a run of letters and digits within a text) begins; each word is taken from its
    first byte up to the next word's, and Arrow trims what follows it.
    """
    offsets, data = _buffers(pc.ascii_lower(texts))
    quotes = np.flatnonzero((data == 39) | (data == 96))  # ' and `
    if len(quotes):
        data = np.delete(data, quotes)
        offsets = offsets - np.searchsorted(quotes, offsets)
    word = (data - 97 < 26) | (data - 48 < 10)  # uint8 arithmetic wraps
    cut = np.zeros(len(data) + 1, dtype=bool)  # where a text begins: no word runs across
    cut[offsets] = True
    starts = np.flatnonzero(word & (cut[:-1] | ~np.r_[False, word[:-1]]))
    count = np.diff(np.searchsorted(starts, offsets))
    bounds = np.r_[starts, offsets[-1]]
    empty = np.flatnonzero(count == 0)  # a text without words holds one empty word
    if len(empty):
        at = np.cumsum(count)[empty] - count[empty]
        bounds = np.insert(bounds, at, bounds[at])
        count[empty] = 1
    flat = pa.StringArray.from_buffers(
        len(bounds) - 1, pa.py_buffer(bounds.astype(np.int32)), pa.py_buffer(data)
    )
    if trim:
        flat = pc.ascii_rtrim(flat, characters=_ASCII_NOT_WORD)
    return pa.ListArray.from_arrays(pa.array(np.r_[0, np.cumsum(count)], pa.int32()), flat)


def _trimmed(words: pa.ListArray) -> pa.ListArray:
    """Words of ``_words(..., trim=False)`` without the separators that follow them."""
    flat = pc.ascii_rtrim(pc.list_flatten(words), characters=_ASCII_NOT_WORD)
    return pa.ListArray.from_arrays(_list_offsets(words), flat)


def _list_offsets(words: pa.ListArray) -> pa.Array:
    """A list array's offsets, from 0 (a slice's own)."""
    return pa.array(np.r_[0, np.cumsum(pc.list_value_length(words).to_numpy())], pa.int32())


def _other_words(texts: list[str]) -> pa.ListArray:
    """:func:`_words` of texts with non-ASCII letters: Python lower-cases and folds them,
    pyarrow's RE2 splits them.
    """
    lower = _fold([t.lower() for t in texts])  # Python's: a word-final Σ becomes ς
    try:
        lower = pa.array(lower, type=pa.string())
    except UnicodeEncodeError:  # lone surrogates (frames built in Python): not letters
        lower = pa.array([t.encode("utf-8", "replace").decode() for t in lower], pa.string())
    unquoted = pc.replace_substring_regex(lower, pattern=_APOSTROPHES, replacement="")
    spaced = pc.replace_substring_regex(unquoted, pattern=_NOT_WORD, replacement=" ")
    return pc.ascii_split_whitespace(pc.ascii_trim_whitespace(spaced))  # "" → [""]


def _fold(texts: list[str]) -> list[str]:
    """Texts without accents ("léche" → "leche", "Horário" → "Horario"): each letter
    decomposed (NFD) and its combining marks dropped; ASCII texts are left as they are.
    """
    return [
        t
        if t.isascii()
        else "".join(ch for ch in unicodedata.normalize("NFD", t) if not unicodedata.combining(ch))
        for t in texts
    ]


def _codebook_rows(codebook: pd.DataFrame) -> tuple[tuple[str, str, str], ...]:
    """The codebook as (code, label, keywords) strings, in its order (blank for missing).

    The keywords are those of every language (``keywords`` and the ``keywords_xx``
    columns, :func:`toolkit.schema.tables.keyword_columns`) joined. The built-in *not a
    need* code is added when the codebook lacks it.
    """
    columns = [
        codebook[c].tolist() if c in codebook else [None] * len(codebook)
        for c in ("code", "label", *(keyword_columns(codebook.columns) or ["keywords"]))
    ]
    rows = [
        tuple("" if v is None or v is pd.NA or v != v else str(v) for v in row)  # v != v: NaN
        for row in zip(*columns, strict=True)
    ]
    rows = [(code, label, ";".join(k for k in words if k)) for code, label, *words in rows]
    if NOT_A_NEED["code"] not in {row[0] for row in rows}:
        words = [NOT_A_NEED[c] for c in keyword_columns(NOT_A_NEED)]
        rows.append((NOT_A_NEED["code"], NOT_A_NEED["label"], ";".join(words)))
    return tuple(rows)


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
        phrases = _whole_statements_only(phrases, first_row.get(NOT_A_NEED["code"]))
        self.exact_keys = pa.array(list(exact), type=pa.string())
        self.exact_codes = np.array(list(exact.values()), dtype=np.int64)
        self.exact_words = max([1, *(key.count(" ") + 1 for key in exact)])
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
        self.prefixes = _prefixes(self.phrases)
        self.runs = _RunTable(
            {n: forms for n, forms in by_words.items() if n > 1},
            {n: p.to_pylist() for n, p in self.prefixes.items()},
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

    def code(
        self, texts: list[str] | pa.Array, fuzzy: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Code distinct texts: per text the code's index (-1: none), how, and the score.

        Many texts are coded in two halves at once, one per thread (NumPy, Arrow and
        rapidfuzz do their work without Python's lock), when the machine has two cores.
        """
        if len(texts) < _SPLIT_FROM or (os.cpu_count() or 1) < 2:
            return self._code(texts, fuzzy)
        half = len(texts) // 2
        with ThreadPoolExecutor(2) as pool:
            parts = list(pool.map(lambda t: self._code(t, fuzzy), (texts[:half], texts[half:])))
        return tuple(np.concatenate(p) for p in zip(*parts, strict=True))

    def _code(
        self, texts: list[str] | pa.Array, fuzzy: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        words = _words(texts, trim=False)
        # Only a text of no more words than some exact phrase may be one (or blank).
        short = np.flatnonzero(pc.list_value_length(words).to_numpy() <= self.exact_words)
        normal = pc.binary_join(_trimmed(words.take(short)), " ")
        hit = _lookup(normal, self.exact_keys)
        code = np.full(len(words), _NO_CODE)
        code[short[hit >= 0]] = self.exact_codes[hit[hit >= 0]]
        how = np.where(code >= 0, "exact", None).astype(object)
        score = np.where(code >= 0, 1.0, np.nan)
        blank = np.zeros(len(words), dtype=bool)
        blank[short] = pc.equal(normal, "").to_numpy(zero_copy_only=False)
        pending = np.flatnonzero((code < 0) & ~blank)
        said = _Said.of(words, trimmed=False) if len(pending) else None
        if len(pending) and self.phrases:
            found, share = self._keywords(said)  # (texts coded already are ignored)
            found, share = found[pending], share[pending]
            code[pending] = found
            how[pending[found >= 0]] = "keyword"
            score[pending[found >= 0]] = share[found >= 0]
            pending = pending[found < 0]
        if fuzzy and len(pending) and self.typo_choices:
            for t, (c, s) in self._typos(said.only(pending)).items():
                code[t], how[t], score[t] = c, "fuzzy", s
        return code, how, score

    def _keywords(self, said: _Said) -> tuple[np.ndarray, np.ndarray]:
        """The best keyword code of each text (-1: none), and its share of the codes'
        keyword hits in the text (see :meth:`_best`).

        The longest matched keyword wins, then the code with most keyword hits, then
        codebook order. Keywords of several words are found first (each word start holds
        the longest found there, :meth:`_RunTable.hits`), then single words and stems.
        """
        keyword = np.full(len(said.ids), _NO_CODE, dtype=np.int32)  # the keyword at each word start
        for at, found in reversed(self.runs.hits(said)):  # longest first
            free = keyword[at] < 0
            keyword[at[free]] = found[free]
        single = self._single(said.distinct).astype(np.int32)
        keyword = np.where(keyword < 0, single[said.ids], keyword)
        at = np.flatnonzero(keyword >= 0)
        return self._best(said.owner[at], keyword[at], said.size)

    def _single(self, distinct: pa.Array) -> np.ndarray:
        """Per distinct word, the one-word keyword it is (or its plural), else the
        keyword of five letters or more it begins with (the longest), else -1.
        """
        single = np.full(len(distinct), _NO_CODE)
        if 1 in self.forms:
            hit = _lookup(distinct, self.forms[1][0])
            single[hit >= 0] = self.forms[1][1][hit[hit >= 0]]
        if self.stems:
            length = pc.utf8_length(distinct).to_numpy()
            for n, (stems, phrase) in self.stems.items():  # longest first
                open_ = np.flatnonzero((single < 0) & (length > n))
                if len(open_) == 0:
                    continue
                hit = _lookup(pc.utf8_slice_codeunits(distinct.take(open_), 0, n), stems)
                single[open_[hit >= 0]] = phrase[hit[hit >= 0]]
        return single

    def _best(
        self, text: np.ndarray, keyword: np.ndarray, size: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per text, the code of its longest keyword, then most hits, then codebook order;
        and the score: the winner's keyword hits over all codes' hits in the text (1 when
        the text names one code only; "food banks open later" names two, so 0.5).
        """
        best = np.full(size, _NO_CODE)
        share = np.full(size, np.nan)
        if len(text) == 0:
            return best, share
        counts = self.phrase_count[keyword]  # a keyword of several codes counts for each
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        code = self.phrase_code[np.repeat(self.phrase_first[keyword], counts) + within]
        text, length = np.repeat(text, counts), np.repeat(self.phrase_length[keyword], counts)
        codes = len(self.codes)
        pair = text * codes + code
        pair, length = _sorted_by(pair, length)
        first = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
        hits = np.diff(np.r_[first, len(pair)])
        longest = np.maximum.reduceat(length, first)
        text, code = pair[first] // codes, pair[first] % codes
        # Per text the largest of (longest keyword, hits, earliest code), packed in one
        # number (each part under 2**21).
        rank = (longest << 42) | (np.minimum(hits, _PART - 1) << 21) | (codes - 1 - code)
        starts = np.flatnonzero(np.r_[True, text[1:] != text[:-1]])
        top = np.maximum.reduceat(rank, starts)
        said = text[starts]
        best[said] = codes - 1 - (top & (_PART - 1))
        share[said] = np.round(((top >> 21) & (_PART - 1)) / np.add.reduceat(hits, starts), 4)
        return best, share

    def _typos(self, said: _Said) -> dict[int, tuple[int, float]]:
        """Keywords written with a typo: "mlik" for milk, "fresh fod" for fresh food.

        Every run of words as long as a keyword is compared with it by optimal string
        alignment distance (rapidfuzz, in C++): up to 1 edit for keywords of 6–9
        characters, 2 from 10, and for 4–5 characters only two swapped letters. Each
        distinct run is compared once, with the keywords of about its length (runs of
        other lengths are never spelled out). Returns text → (code, score).
        """
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        ids, owner, words = said.ids, said.owner, said.distinct
        best: dict[int, tuple[float, int, int, int]] = {}
        for n, at in self._typo_runs(said):
            run = words.take(ids[at])
            for k in range(1, n):
                run = pc.binary_join_element_wise(run, words.take(ids[at + k]), " ")
            encoded = pc.dictionary_encode(run)
            distinct = encoded.dictionary.to_pylist()
            # The texts holding each distinct run: run_owner[bounds[r] : bounds[r + 1]].
            index = encoded.indices.to_numpy()
            by_run = np.argsort(index, kind="stable")
            run_owner = owner[at][by_run]
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
                    if d > allowed or not self._may_be_typo(distinct[r], phrase):
                        continue
                    score = 1 - d / max(len(phrase), int(length))
                    for code in self.phrase_codes[keywords[k]]:
                        candidate = (score, len(phrase), -code, code)
                        for t in run_owner[bounds[r] : bounds[r + 1]].tolist():
                            if t not in best or candidate > best[t]:
                                best[t] = candidate
        return {t: (code, round(score, 4)) for t, (score, _, _, code) in best.items()}

    def _may_be_typo(self, run: str, phrase: str) -> bool:
        """Whether ``run`` may be ``phrase`` mistyped: each of its words that differs from
        the keyword's word is no English word nor a word of the codebook (see
        :func:`real_words`), so a real word is never read as another ("finding" is not
        "funding", "hours" not "house"). A Spanish word may differ from a keyword word of
        eight letters or more: "depresión" is "depression", "intérprete" "interpreter".
        """
        english, own = real_words("en"), self.own_word_set
        return all(
            said == meant
            or said not in english
            and said not in own
            and (len(meant) >= _COGNATE_MIN or said not in real_words("es"))
            for said, meant in zip(run.split(" "), phrase.split(" "), strict=True)
        )

    def known(self, words: pa.Array) -> np.ndarray:
        """Which ``words`` are English words or the codebook's own, all at once (up to a
        few thousand by Python's sets: for fewer, Arrow building its own set of the
        43,000 English words costs more than the look-ups).
        """
        if len(words) <= _FEW_WORDS:
            english, own = real_words("en"), self.own_word_set
            return np.array([w in english or w in own for w in words.to_pylist()], dtype=bool)
        known = pc.is_in(words, value_set=_real_words_array("en")).to_numpy(zero_copy_only=False)
        return known | pc.is_in(words, value_set=self.own_words).to_numpy(zero_copy_only=False)

    @functools.cached_property
    def own_words(self) -> pa.Array:
        """The codebook's own words (those of its keywords)."""
        return pa.array(
            sorted({w for phrase in self.phrases for w in phrase.split(" ")}), pa.string()
        )

    @functools.cached_property
    def own_word_set(self) -> frozenset[str]:
        """:attr:`own_words` as a set. With the English words (:func:`real_words`), the
        words no typo is read into; the two are looked up apart, not joined in one set
        (joining copies the 43,000 English words for every codebook).
        """
        return frozenset(self.own_words.to_pylist())

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

    def _typo_runs(self, said: _Said):
        """Per word count n, the positions of the runs of n words worth comparing with
        the keywords of n words: inside one text, of a length some keyword allows, with a
        word that is no real word (a run of real words only is never a typo, see
        :meth:`_may_be_typo`), each real word one such a keyword has at its place, and
        about as many digits as such a keyword (each edit changes one character).
        """
        ids, owner, words = said.ids, said.owner, said.distinct
        known = self.known(words)
        unknown = np.flatnonzero(~known[ids])
        keyword_word = _lookup(words, self.own_words)  # -1: none (the places' last entry)
        letters = pc.utf8_length(words).to_numpy()
        offsets, data = _buffers(words)
        digit = np.r_[0, np.cumsum(data - 48 < 10)]
        digits = digit[offsets[1:]] - digit[offsets[:-1]]
        for n in range(1, max(n for n, _ in self.typo_choices) + 1):
            if n > len(ids):
                break
            holds = np.zeros(len(ids) + n, dtype=bool)  # runs holding an unknown word
            for j in range(n):
                holds[unknown - j + n] = True  # (shifted by n: no negative positions)
            at = np.flatnonzero(holds[n : len(ids) + 1])
            at = at[owner[at] == owner[at + n - 1]]
            length = sum(letters[ids[at + j]] for j in range(n)) + n - 1
            fits = self._typo_facts[n][0]
            at = at[fits[np.minimum(length, len(fits) - 1)]]
            low, high = self._typo_facts[n][2]
            said = sum(digits[ids[at + j]] for j in range(n))
            at = at[(said >= low - 2) & (said <= high + 2)]
            for j, place in enumerate(self._typo_facts[n][1] if n > 1 else []):
                at = at[~known[ids[at + j]] | place[keyword_word[ids[at + j]]]]
            if len(at):
                yield n, at

    @functools.cached_property
    def _typo_facts(self) -> dict[int, tuple[np.ndarray, list[np.ndarray], tuple[int, int]]]:
        """Per word count: :meth:`_typo_lengths`, :meth:`_typo_places`, :meth:`_typo_digits`
        (kept with the matcher, so they go when it goes).
        """
        counts = range(1, max((n for n, _ in self.typo_choices), default=0) + 1)
        return {
            n: (self._typo_lengths(n), self._typo_places(n), self._typo_digits(n)) for n in counts
        }

    def _typo_places(self, words: int) -> list[np.ndarray]:
        """Per place, which of :attr:`own_words` the keywords of ``words`` words that
        allow a typo have there (an extra last entry, false, for no keyword word).
        """
        phrases = [
            self.phrases[i] for (n, _), c in self.typo_choices.items() if n == words for i in c
        ]
        own = {w: i for i, w in enumerate(self.own_words.to_pylist())}
        places = []
        for j in range(words):
            place = np.zeros(len(own) + 1, dtype=bool)
            place[[own[p.split(" ")[j]] for p in phrases]] = True
            places.append(place)
        return places

    def _typo_digits(self, words: int) -> tuple[int, int]:
        """The fewest and most digits of the keywords of ``words`` words that allow a typo."""
        counts = [
            len(self.phrases[i]) - len(self.phrases[i].translate(_NO_DIGITS))
            for (n, _), c in self.typo_choices.items()
            if n == words
            for i in c
        ]
        return (min(counts), max(counts)) if counts else (0, -3)

    def _typo_lengths(self, words: int) -> np.ndarray:
        """Per length, whether a run of ``words`` words that long is compared at all
        (the last entry answers for every longer run).
        """
        longest = max((length for _, length in self.typo_choices), default=0)
        return np.array(
            [n > 0 and bool(self._near_choices(words, n)[0]) for n in range(longest + 4)]
        )


@dataclass
class _Said:
    """The words of the texts being coded: each word's position among the distinct
    words, the text it is in, the distinct words, and how many texts there are.
    """

    ids: np.ndarray
    owner: np.ndarray
    distinct: pa.Array
    size: int

    @classmethod
    def of(cls, words: pa.ListArray, *, trimmed: bool = True) -> _Said:
        """The words of :func:`_words`; ``trimmed=False``: each distinct word is trimmed
        here (far fewer than all words), then numbered again.
        """
        encoded = pc.dictionary_encode(pc.list_flatten(words))
        ids, distinct = encoded.indices.to_numpy(), encoded.dictionary
        if not trimmed:
            again = pc.dictionary_encode(pc.ascii_rtrim(distinct, characters=_ASCII_NOT_WORD))
            ids, distinct = again.indices.to_numpy()[ids], again.dictionary
        owner = pc.list_parent_indices(words).to_numpy()
        return cls(ids, owner, distinct, len(words))

    def only(self, texts: np.ndarray) -> _Said:
        """The words of ``texts`` alone (text numbers stay those of all texts), with only
        the distinct words they use (what is done per distinct word is done for those).
        """
        keep = np.zeros(self.size, dtype=bool)
        keep[texts] = True
        keep = keep[self.owner]
        ids = self.ids[keep]
        used = np.zeros(len(self.distinct), dtype=bool)
        used[ids] = True
        used = np.flatnonzero(used)
        number = np.zeros(len(self.distinct), dtype=np.int64)
        number[used] = np.arange(len(used))
        return _Said(number[ids], self.owner[keep], self.distinct.take(used), self.size)


class _RunTable:
    """Keywords of several words, found by table look-ups on word numbers, not text.

    A run of words that begins a keyword is in a *state*: which keyword beginning of its
    length it is. Per length n, one table gives, for a state of n − 1 words and the word
    at place n, the keyword of n words the run now is (or -1), another the state of n
    words (or -1 when no longer keyword begins so). Words are numbered by place: the
    words some keyword (or its plural) has at place n. Built once per codebook.
    """

    def __init__(self, forms: dict[int, dict[str, int]], prefixes: dict[int, list[str]]):
        split = {n: [s.split(" ") for s in f] for n, f in forms.items()}  # (split once)
        words = sorted({w for f in split.values() for s in f for w in s})
        self.words = pa.array(words, type=pa.string())
        number = {w: i for i, w in enumerate(words)}
        longest = max(forms, default=1)
        state = {
            n: {p: i for i, p in enumerate(sorted(prefixes.get(n, [])))} for n in range(1, longest)
        }
        # Per place, each word's number there (-1: none); the last entry answers -1.
        self.place: list[np.ndarray] = []
        for n in range(1, longest + 1):
            said = sorted({s[n - 1] for m, f in split.items() if m >= n for s in f})
            place = np.full(len(words) + 1, -1, dtype=np.int64)
            place[[number[w] for w in said]] = np.arange(len(said))
            self.place.append(place)
        self.first = np.full(len(words) + 1, -1, dtype=np.int64)
        for p, i in state.get(1, {}).items():
            self.first[number[p]] = i
        self.keyword: dict[int, _Cells] = {}  # (state of n − 1 words) × word → keyword
        self.grown: dict[int, _Cells] = {}  # (state of n − 1 words) × word → state
        self.width: dict[int, int] = {}  # words at place n
        for n in range(2, longest + 1):
            width = self.width[n] = int(self.place[n - 1].max()) + 1
            heads, at = state[n - 1], self.place[n - 1].tolist()

            def cell(words: list[str], heads=heads, at=at, width: int = width) -> int:
                return heads[" ".join(words[:-1])] * width + at[number[words[-1]]]

            size = len(state[n - 1]) * width
            found = forms.get(n, {})
            self.keyword[n] = _Cells(
                size, [cell(s) for s in split.get(n, [])], list(found.values())
            )
            if n < longest:
                grown = [cell(p.split(" ")) for p in state[n]]
                self.grown[n] = _Cells(size, grown, list(state[n].values()))

    def hits(self, said: _Said) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per keyword length (2 words, 3, ...): the word positions where a keyword of
        that length begins, and the keyword. A run grows by a word only while it still
        begins some longer keyword.
        """
        if not self.keyword:
            return []
        number = _lookup(said.distinct, self.words)  # per distinct word; -1: the last entry
        first = self.first[number].astype(np.int32)
        place = [p[number].astype(np.int32) for p in self.place]  # per place, per distinct word
        ids, owner = said.ids, said.owner
        # Runs of two words: a keyword's first word, then a word keywords have second.
        live = np.flatnonzero((first >= 0)[ids[:-1]] & (place[1] >= 0)[ids[1:]])
        live = live[owner[live] == owner[live + 1]]
        state = first[ids[live]].astype(np.int64)  # (cell numbers may pass 2**31)
        found = []
        for n in range(2, max(self.keyword) + 1):
            end = live + n - 1
            if n > 2:
                inside = end < len(ids)
                inside[inside] = owner[end[inside]] == owner[live[inside]]
                inside[inside] = place[n - 1][ids[end[inside]]] >= 0
                live, state, end = live[inside], state[inside], end[inside]
            cell = state * self.width[n] + place[n - 1][ids[end]]
            keyword = self.keyword[n].get(cell)
            found.append((live[keyword >= 0], keyword[keyword >= 0]))
            if n not in self.grown:
                break
            state = self.grown[n].get(cell).astype(np.int64)  # (cell numbers may pass 2**31)
            live, state = live[state >= 0], state[state >= 0]
            if len(live) == 0:
                break
        return found


class _Cells:
    """A table of whole numbers by cell number, -1 where none: one array when the table
    is small, else its filled cells sorted (a codebook of thousands of keywords).
    """

    _DENSE_MOST = 4_000_000

    def __init__(self, size: int, cells: list[int], values: list[int]):
        cells_, values_ = np.array(cells, dtype=np.int64), np.array(values, dtype=np.int64)
        self.dense = size <= self._DENSE_MOST
        if self.dense:
            self.table = np.full(size, -1, dtype=np.int32)  # (values: keywords, states)
            self.table[cells_] = values_
        else:
            self.cells, self.values = _sorted_by(cells_, values_)

    def get(self, cells: np.ndarray) -> np.ndarray:
        if self.dense:
            return self.table[cells]
        if len(self.cells) == 0:
            return np.full(len(cells), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.cells, cells), len(self.cells) - 1)
        return np.where(self.cells[at] == cells, self.values[at], -1)


def _sorted_by(key: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``key`` sorted, and ``other`` in the same order."""
    order = np.argsort(key, kind="stable")
    return key[order], other[order]


def _prefixes(phrases: list[str]) -> dict[int, pa.Array]:
    """Per n, the first n words of the keywords longer than n words."""
    prefixes: dict[int, set[str]] = {}
    for phrase in phrases:
        words = phrase.split(" ")
        for n in range(1, len(words)):
            prefixes.setdefault(n, set()).add(" ".join(words[:n]))
    return {n: pa.array(sorted(p), type=pa.string()) for n, p in prefixes.items()}


def _whole_statements_only(phrases: dict[str, list[int]], code: int | None) -> dict[str, list[int]]:
    """The keywords without those of ``code`` (the built-in *not a need*): its keywords
    match a whole statement ("No", "N/A"), never a word inside one ("No bus on Sundays").
    """
    if code is None:
        return phrases
    kept = {phrase: [c for c in codes if c != code] for phrase, codes in phrases.items()}
    return {phrase: codes for phrase, codes in kept.items() if codes}


@functools.cache
def real_words(language: str) -> frozenset[str]:
    """Words of four letters or more, normalised as statements are (lower case, no
    apostrophes, accented words also without accents): ``"en"`` English, ``"es"`` the
    Spanish words that are not English ones (toolkit/wordlist/README.md).
    """
    with gzip.open(_WORD_LISTS / f"words-{language}.txt.gz", "rt", encoding="utf-8") as lines:
        return frozenset(lines.read().split())


@functools.cache
def _real_words_array(language: str) -> pa.Array:
    """:func:`real_words` as an Arrow array, to look many words up at once."""
    return pa.array(sorted(real_words(language)), type=pa.string())


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
    characters, two from 10, a swapped pair of letters for 4–5; never where the word is
    itself a real word, so "finding" is not read as "funding"). A code a person set (a
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
        fuzzy, or empty when nothing matched), ``match_score`` (1 for exact matches; for
        keyword ones the chosen code's share of the keyword hits of every code the text
        names, 1 when it names one; for fuzzy ones 1 − edits / length) and ``codebook_version``.

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
    found, how, score = matcher.code(_texts(distinct), fuzzy)
    # Position -1 (no text) takes the appended blank.
    auto_code = np.array([*matcher.codes, None], dtype=object)[
        np.append(found, _NO_CODE)[positions]
    ]
    auto_by = np.append(how, None)[positions]
    auto_score = np.append(score, np.nan)[positions]
    if "code" in out:  # codes a person set stay
        code = out["code"].to_numpy(dtype=object)
        coded_by = (
            out["coded_by"].to_numpy(dtype=object)
            if "coded_by" in out
            else np.full(len(out), None, dtype=object)
        )
        by_person = ~pd.isna(code) & (pd.isna(coded_by) | (coded_by == "person"))
        auto_code = np.where(by_person, code, auto_code)
        auto_by = np.where(by_person, "person", auto_by)
        auto_score = np.where(by_person, np.nan, auto_score)
    out["code"] = pd.Series(auto_code, index=out.index, dtype=object)
    out["coded_by"] = pd.Series(auto_by, index=out.index, dtype=object)
    out["match_score"] = auto_score
    out["codebook_version"] = matcher.version
    return out


def _texts(distinct: pd.Index) -> list[str] | pa.Array:
    """Distinct statements as :meth:`_Matcher.code` takes them: Arrow strings as they
    are (a column read by pandas holds them already), anything else as Python text.
    """
    if isinstance(distinct.dtype, pd.StringDtype) and hasattr(distinct.array, "__arrow_array__"):
        texts = pa.array(distinct.array)
        if texts.null_count == 0:
            return texts
    return [str(t) for t in distinct.tolist()]


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


# ----------------------------------------------------------------------------- review

#: Automatic matches scoring below this wait for a person (fuzzy ones always do).
REVIEW_BELOW = 0.9
_AUTOMATIC = ("exact", "keyword", "fuzzy")


def needs_review(coded: pd.DataFrame, *, below: float = REVIEW_BELOW) -> pd.Series:
    """Which coded statements wait for a person: fuzzy matches, and automatic matches
    scoring below ``below``. A person's code never waits.
    """
    require_columns(coded, ["coded_by", "match_score"], name="coded statements")
    automatic = coded["coded_by"].isin(_AUTOMATIC)
    return automatic & (coded["coded_by"].eq("fuzzy") | (coded["match_score"] < below))


def review_queue(
    coded: pd.DataFrame, *, text: str = "need", below: float = REVIEW_BELOW
) -> pd.DataFrame:
    """The automatic codes a person should confirm or change: one row per distinct text.

    ``coded`` is :func:`code_needs` output with an ``id`` column (a statement's id, as
    ``service-toolkit code --confirm`` takes it) and optionally ``segment``. Returns
    ``id`` (the first statement saying it; confirming it files every statement with
    the same words), ``statement``, ``group`` (the segments saying it), ``proposed_code``,
    ``kind``, ``score`` and ``statements`` (how many say it), most frequent first.
    """
    require_columns(coded, ["id", text, "code"], name="coded statements")
    waiting = coded.loc[needs_review(coded, below=below)]
    columns = ["id", "statement", "group", "proposed_code", "kind", "score", "statements"]
    if waiting.empty:
        return pd.DataFrame(columns=columns)
    key = waiting["id"].str[0] + "\x1f" + waiting[text].astype(str)
    segment = waiting["segment"] if "segment" in waiting else pd.Series("", index=waiting.index)
    grouped = waiting.assign(_key=key, _segment=segment.fillna("").astype(str)).groupby(
        "_key", sort=False
    )
    queue = pd.DataFrame(
        {
            "id": grouped["id"].first(),
            "statement": grouped[text].first(),
            "group": grouped["_segment"].agg(lambda s: ", ".join(sorted(set(s) - {""}))),
            "proposed_code": grouped["code"].first(),
            "kind": grouped["coded_by"].first(),
            "score": grouped["match_score"].first(),
            "statements": grouped.size(),
        }
    )
    return queue.sort_values(
        ["statements", "score", "statement"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)[columns]


def coder_agreement(
    coded: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    first: str = "primary",
    second: str | None = None,
    text: str = "need",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """How far two coders agree: Cohen's kappa with its interval, then the disagreements.

    ``coded`` is :func:`code_needs` output with an ``id`` column; ``codings`` holds the
    second coders' codes (``id, coder, code``). ``first`` is a coder's name or
    ``"primary"`` (the code the analyses use: a person's, else the automatic one);
    ``second`` defaults to the one coder recorded. The statements both coded are
    compared (no code counts as a category of its own). The first row (``row``
    "agreement") gives ``n``, the share agreeing, kappa and its interval
    (:func:`toolkit._stats.cohens_kappa`); each further row (``row`` "disagreement") a
    statement they coded differently.
    """
    from toolkit._stats import cohens_kappa
    from toolkit.errors import DataValidationError

    require_columns(codings, ["id", "coder", "code"], name="codings")
    named = sorted(codings["coder"].dropna().unique().tolist())
    if second is None:
        others = [c for c in named if c != first]
        if len(others) != 1:
            raise DataValidationError(
                "No second coder has coded any statement yet: record one with "
                "code PATH --coder NAME --set ID=CODE."
                if not others
                else f"Several coders have coded statements ({', '.join(others)}): choose "
                "two with -p first NAME -p second NAME."
            )
        second = others[0]
    sides = {}
    for name in (first, second):
        if name == "primary":
            sides[name] = coded.set_index("id")["code"]
        elif name in named:
            sides[name] = codings.loc[codings["coder"] == name].set_index("id")["code"]
        else:
            raise DataValidationError(
                f"No codes by {name!r}. The coders are: primary (the code the analyses "
                f"use){''.join(', ' + n for n in named)}."
            )
    both = sides[first].index.intersection(sides[second].index)
    a = sides[first].reindex(both).fillna("(no code)").astype(str)
    b = sides[second].reindex(both).fillna("(no code)").astype(str)
    categories = sorted(set(a) | set(b))
    table = pd.crosstab(
        pd.Categorical(a, categories), pd.Categorical(b, categories), dropna=False
    ).to_numpy()
    k = cohens_kappa(table, confidence)
    summary = {
        "row": "agreement",
        "id": "",
        "statement": f"{k['n']} statements coded by {first} and {second}",
        first: "",
        second: "",
        "n": k["n"],
        "agreement": k["agreement"],
        "kappa": k["kappa"],
        "low": k["low"],
        "high": k["high"],
    }
    said = coded.set_index("id")[text]
    differ = both[(a != b).to_numpy()]
    rows = [
        {"row": "disagreement", "id": i, "statement": said.get(i), first: a[i], second: b[i]}
        for i in differ
    ]
    out = pd.DataFrame([summary, *rows])
    out["n"] = out["n"].astype("Int64")
    return out


# ----------------------------------------------------------------------------- showing a match

_TOKEN = re.compile(r"[^\W_]+(?:['’`][^\W_]+)*")


def matched_spans(text: str, code: str, codebook: pd.DataFrame) -> list[tuple[int, int]]:
    """Where ``text`` says ``code``: the character spans of its keywords (or label), to
    highlight for the person checking the code.

    The same reading as :func:`code_needs`: lower case, accents and apostrophes ignored,
    plurals with "s" or "es", keywords of five letters or more matching words they begin,
    and, when nothing matches as written, a keyword written with a typo (the edits
    :func:`code_needs` allows). Empty when nothing of the code is found.

    Examples
    --------
    >>> book = pd.DataFrame({"code": ["perishable_food"], "label": ["Milk and fresh food"],
    ...                      "keywords": ["milk; fresh food; refrigerat"]})
    >>> text = "Fresh foods and mlik, a Refrigerator"
    >>> [text[a:b] for a, b in matched_spans(text, "perishable_food", book)]
    ['Fresh foods', 'Refrigerator']
    >>> typo = "mlik please"
    >>> [typo[a:b] for a, b in matched_spans(typo, "perishable_food", book)]
    ['mlik']
    """
    rows = [row for row in _codebook_rows(codebook) if row[0] == code]
    phrases = [code.replace("_", " ")]
    for _, label, words in rows:
        phrases += [label, *words.split(";")]
    wanted = [p for p in pc.binary_join(_words(phrases), " ").to_pylist() if p]
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(str(text))]
    if not tokens or not wanted:
        return []
    said = pc.binary_join(_words([t for _, _, t in tokens]), "").to_pylist()
    spans = _spans(tokens, said, wanted, _said_as_written) or _spans(
        tokens, said, wanted, _said_with_typo
    )
    return _merged(spans)


def _said_as_written(run: list[str], phrase: list[str]) -> bool:
    *head, last = phrase
    *run_head, run_last = run
    if run_head != head:
        return False
    if run_last in (last, last + "s", last + "es"):
        return True
    return len(phrase) == 1 and len(last) >= _STEM_MIN and run_last.startswith(last)


def _said_with_typo(run: list[str], phrase: list[str]) -> bool:
    from rapidfuzz.distance import OSA

    written, meant = " ".join(run), " ".join(phrase)
    allowed = _edits_allowed(len(meant))
    if len(meant) < 6:
        allowed = allowed if sorted(written) == sorted(meant) else 0
    return 0 < OSA.distance(written, meant) <= allowed


def _spans(tokens, said: list[str], wanted: list[str], test) -> list[tuple[int, int]]:
    spans = []
    for phrase in {p: p.split(" ") for p in wanted}.values():
        n = len(phrase)
        for i in range(len(said) - n + 1):
            if test(said[i : i + n], phrase):
                spans.append((tokens[i][0], tokens[i + n - 1][1]))
    return spans


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out
