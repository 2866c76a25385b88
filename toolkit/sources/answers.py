"""Turn survey answers into numbers: standard English answer scales and numbered labels.

A survey tool exports a satisfaction answer as a number ("4"), as its label
("Satisfied"), as a numbered label ("4 - Satisfied", "0 - Not at all likely") or as
an XML value ("very_satisfied"). :func:`recode_answers` turns a column of such answers
into numbers: first the map's own recodes, then numbers, then numbered labels, then
the standard scales below. A label found on no scale is reported, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Scale", "STANDARD_SCALES", "recode_answers", "answer_key", "to_number"]


@dataclass(frozen=True)
class Scale:
    """A standard answer scale: each point's number and the words that mean it."""

    name: str
    points: tuple[tuple[int, tuple[str, ...]], ...]

    @property
    def low(self) -> int:
        return min(n for n, _ in self.points)

    @property
    def high(self) -> int:
        return max(n for n, _ in self.points)

    def lookup(self) -> dict[str, int]:
        return {answer_key(word): n for n, words in self.points for word in words}


def _bipolar(name: str, bad: str, good: str, middle: tuple[str, ...], size: int) -> Scale:
    """A satisfied/dissatisfied style scale of 5 or 7 points, with the usual wordings."""
    strong = ("very", "extremely", "completely", "highly", "totally", "strongly")
    mids = (*middle, "neutral", "neither")
    if size == 5:
        points = (
            (1, tuple(f"{s} {bad}" for s in strong)),
            (2, (bad, f"somewhat {bad}", f"slightly {bad}", f"mostly {bad}", f"fairly {bad}")),
            (3, mids),
            (4, (good, f"somewhat {good}", f"slightly {good}", f"mostly {good}", f"fairly {good}")),
            (5, tuple(f"{s} {good}" for s in strong)),
        )
    else:
        points = (
            (1, tuple(f"{s} {bad}" for s in strong)),
            (2, (bad, f"moderately {bad}", f"mostly {bad}")),
            (3, (f"somewhat {bad}", f"slightly {bad}")),
            (4, mids),
            (5, (f"somewhat {good}", f"slightly {good}")),
            (6, (good, f"moderately {good}", f"mostly {good}")),
            (7, tuple(f"{s} {good}" for s in strong)),
        )
    return Scale(f"{name} ({size} points)", points)


#: The answer scales recoded without a map, smallest first.
STANDARD_SCALES: tuple[Scale, ...] = tuple(
    _bipolar(name, bad, good, middle, size)
    for size in (5, 7)
    for name, bad, good, middle in (
        (
            "satisfaction",
            "dissatisfied",
            "satisfied",
            ("neither satisfied nor dissatisfied", "neither dissatisfied nor satisfied"),
        ),
        (
            "agreement",
            "disagree",
            "agree",
            ("neither agree nor disagree", "neither disagree nor agree"),
        ),
        ("ease", "difficult", "easy", ("neither easy nor difficult", "neither difficult nor easy")),
        ("likelihood", "unlikely", "likely", ("neither likely nor unlikely",)),
    )
)

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)?|[.,]\d+)$")
_LEADING = re.compile(r"^\s*(\d{1,2})\s*(?:[-–—=:.)]\s*|\s+)\D.*$")
_TRAILING = re.compile(r"^\D*?[\s(\[]\(?(\d{1,2})\)?\]?\s*$")


def answer_key(text: object) -> str:
    r"""Spell an answer label for comparison: lower case, single spaces, no punctuation.

    >>> answer_key("  Very_Satisfied! "), answer_key("Neither satisfied nor\ndissatisfied")
    ('very satisfied', 'neither satisfied nor dissatisfied')
    """
    lowered = str(text).lower().replace("_", " ").replace("-", " ")
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", "", lowered)).strip()


def to_number(text: str) -> float | None:
    """Read a number written with a decimal point or a decimal comma ("4,5" → 4.5)."""
    text = text.strip()
    if not _NUMBER.match(text):
        return None
    return float(text.replace(",", "."))


def _numbered(text: str) -> float | None:
    """The number in a numbered label: "0 - Not at all likely" → 0, "Very likely (5)" → 5."""
    for pattern in (_LEADING, _TRAILING):
        match = pattern.match(text)
        if match:
            return float(match.group(1))
    return None


def recode_answers(
    text: pd.Series,
    *,
    values: dict[str, float] | None = None,
    size: int | None = None,
) -> tuple[pd.Series, np.ndarray, tuple[int, int] | None, str | None]:
    """Turn a column of answers into numbers.

    Parameters
    ----------
    text : Series of str
        The answers as exported ("" for no answer).
    values : dict, optional
        The map's recodes for this column (label → number); they win over everything.
    size : int, optional
        How many points the metric's scale has (5 for 1–5), to choose between a 5- and
        a 7-point standard scale when the answers fit both.

    Returns
    -------
    numbers : Series of float
        NaN for blank answers and for answers that could not be recoded.
    bad : ndarray of bool
        Answers that are filled in but could not be recoded.
    scale : (int, int) or None
        The standard scale's lowest and highest number when labels were recoded with one.
    scale_name : str or None
        The standard scale's name, for the dry run.

    Examples
    --------
    >>> numbers, bad, scale, name = recode_answers(
    ...     pd.Series(["Very satisfied", "Dissatisfied", "", "Neither satisfied nor dissatisfied"])
    ... )
    >>> numbers.tolist()[:2], bad.tolist(), scale, name
    ([5.0, 2.0], [False, False, False, False], (1, 5), 'satisfaction (5 points)')
    >>> recode_answers(pd.Series(["0 - Not at all likely", "10 - Extremely likely", "7"]))[0].tolist()
    [0.0, 10.0, 7.0]
    """
    codes, uniques = pd.factorize(text.astype(str).str.strip())
    own = {answer_key(k): float(v) for k, v in (values or {}).items()}
    result: list[float | None] = []
    labels: dict[int, str] = {}
    for i, answer in enumerate(uniques):
        key = answer_key(answer)
        if answer == "":
            result.append(None)
        elif key in own:
            result.append(own[key])
        elif (number := to_number(answer)) is not None:
            result.append(number)
        elif (number := _numbered(answer)) is not None:
            result.append(number)
        else:
            result.append(None)
            labels[i] = key
    scale = name = None
    if labels:
        chosen = _choose_scale(set(labels.values()), size)
        if chosen is not None:
            lookup = chosen.lookup()
            for i, key in labels.items():
                if key in lookup:
                    result[i] = float(lookup[key])
            scale, name = (chosen.low, chosen.high), chosen.name
    decoded = np.array([np.nan if v is None else v for v in result] + [np.nan], dtype=float)
    numbers = pd.Series(decoded[codes], index=text.index)
    filled = np.array([u != "" for u in uniques] + [False], dtype=bool)[codes]
    bad = filled & np.isnan(numbers.to_numpy())
    return numbers, bad, scale, name


def _choose_scale(keys: set[str], size: int | None) -> Scale | None:
    """The standard scale holding the most labels, each on its own point.

    Labels on no scale are left for the caller to report. When several scales hold as
    many ("Satisfied" is on the 5- and the 7-point scale), the one with the metric's
    number of points wins, else the smallest.
    """
    best: list[tuple[int, Scale]] = []
    for scale in STANDARD_SCALES:
        lookup = scale.lookup()
        known = keys & lookup.keys()
        if not known or len({lookup[k] for k in known}) < len(known):
            continue  # none of the labels, or two labels on one point: not this scale
        best.append((len(known), scale))
    if not best:
        return None
    most = max(n for n, _ in best)
    fitting = [s for n, s in best if n == most]
    sized = [s for s in fitting if size is not None and s.high - s.low + 1 == size]
    return (sized or fitting)[0]
