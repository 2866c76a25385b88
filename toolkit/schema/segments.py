"""The segment crosswalk: which customer group each label rows carry belongs to.

An engagement keeps the labels its rows were imported with ("I live in Maple Hollow",
"Residnets") and a list of aliases, each mapping one label to a segment. Reading a
label through the crosswalk (:meth:`Crosswalk.resolve`) follows its aliases to the
group it counts in; a label with no alias is its own group. The *canonical* segments
are engagement.toml's ``[settings.segments] order``, the customer register's segments
and the targets of aliases, each read through the crosswalk; a label that is none of
these and has no alias is *unmapped*, and :meth:`Crosswalk.suggest` offers the
canonical segments it looks like (rapidfuzz's weighted ratio, 0–100).

Labels compare trimmed, with runs of spaces as one, ignoring case (:func:`label_key`).
The store keeps the aliases (``segment_aliases``) and reads every table through them;
this module holds the rules, so imports, forms and the ``segments`` command agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Crosswalk", "SUGGEST_SCORE", "label_key", "tidy_label"]

#: The lowest rapidfuzz score (0–100) at which a canonical segment is suggested.
SUGGEST_SCORE = 60


def tidy_label(value: object) -> str:
    """A label as it is kept: trimmed, runs of white space as one space."""
    return re.sub(r"\s+", " ", str(value)).strip()


def label_key(value: object) -> str:
    """What two labels share when they are the same label (tidied, case folded)."""
    return tidy_label(value).casefold()


@dataclass(frozen=True)
class Crosswalk:
    """An engagement's segments and aliases.

    Attributes
    ----------
    aliases : mapping of str to str
        ``label_key(label)`` -> the segment that label was mapped to (as written).
    alias_labels : mapping of str to str
        ``label_key(label)`` -> the label as written.
    declared : tuple of str
        Segments named by settings and the register, in order (before aliases).
    """

    aliases: Mapping[str, str] = field(default_factory=dict)
    alias_labels: Mapping[str, str] = field(default_factory=dict)
    declared: tuple[str, ...] = ()

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str]], declared: Iterable[str] = ()) -> Crosswalk:
        """A crosswalk from ``(label, segment)`` alias rows and the declared segments."""
        aliases, labels = {}, {}
        for label, segment in rows:
            aliases[label_key(label)] = tidy_label(segment)
            labels[label_key(label)] = tidy_label(label)
        return cls(aliases, labels, tuple(tidy_label(s) for s in declared if tidy_label(s)))

    def resolve(self, label: object) -> str | None:
        """The segment ``label`` counts in (itself when it has no alias); None for blank."""
        if label is None or (isinstance(label, float) and label != label):
            return None
        current = tidy_label(label)
        if not current:
            return None
        seen = set()
        while (key := label_key(current)) in self.aliases and key not in seen:
            seen.add(key)
            current = self.aliases[key]
        return current

    def resolve_all(self, labels: pd.Series) -> pd.Series:
        """Each label of ``labels`` as :meth:`resolve` reads it (blank as None)."""
        codes, uniques = pd.factorize(labels)  # a few distinct labels, however many rows
        lookup = np.array([*(self.resolve(u) for u in uniques), None], dtype=object)
        return pd.Series(lookup[codes], index=labels.index, dtype=object)

    def members(self, segment: str) -> list[str]:
        """The alias labels read as ``segment`` (directly or through other aliases)."""
        target = label_key(segment)
        return [
            self.alias_labels[k]
            for k in self.aliases
            if label_key(self.resolve(self.alias_labels[k]) or "") == target and k != target
        ]

    def canonical(self) -> list[str]:
        """The canonical segments, each once: declared ones, then alias targets, resolved."""
        out: dict[str, str] = {}
        for name in [*self.declared, *self.aliases.values()]:
            resolved = self.resolve(name)
            if resolved:
                out.setdefault(label_key(resolved), resolved)
        return list(out.values())

    def knows(self, label: object) -> bool:
        """Whether ``label`` is a canonical segment or has an alias."""
        key = label_key(label)
        return key in self.aliases or key in {label_key(s) for s in self.canonical()}

    def suggest(
        self, label: str, *, also: Iterable[str] = (), limit: int = 2
    ) -> list[tuple[str, int]]:
        """The segments ``label`` looks like, best first, with rapidfuzz scores.

        Compared with the canonical segments, alias labels (each counts for its segment:
        "Residnets" suggests "Residents" when "Residnet" is already mapped there) and the
        groups ``also`` names (other labels in use); a canonical segment comes first at
        equal score. Scores below :data:`SUGGEST_SCORE` are left out.

        >>> Crosswalk.build([], ["Residents", "Businesses"]).suggest("Residnets")
        [('Residents', 89)]
        """
        from rapidfuzz import fuzz, process, utils

        choices: dict[str, str] = {label_key(s): s for s in self.canonical()}
        canonical = set(choices)
        for key, written in [*self.alias_labels.items(), *((label_key(a), a) for a in also)]:
            choices.setdefault(key, tidy_label(written))
        found = process.extract(
            tidy_label(label),
            list(choices.values()),
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            score_cutoff=SUGGEST_SCORE,
            limit=None,
        )
        best: dict[str, int] = {}
        for choice, score, _ in found:
            segment = self.resolve(choice) or choice
            if label_key(segment) == label_key(label):
                continue
            best[segment] = max(best.get(segment, 0), round(score))
        ranked = sorted(best.items(), key=lambda i: (-i[1], label_key(i[0]) not in canonical))
        return ranked[:limit]
