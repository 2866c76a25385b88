"""Label placement for scatter charts: one greedy placer shared by every chart.

Vega cannot move a label out of another's way, so the charts choose, in Python, a side
of each point for its label (right, left, the diagonals, above, below) so that labels
stay inside the plot and clear of points, earlier labels and boxes to avoid (corner
titles, interval bars). This is layout only: the points never move.

The importance–performance chart (:mod:`toolkit.charts.needs`) uses fixed offsets and
points of one size (:data:`FIXED_SPOTS`); the customer maps (:mod:`toolkit.charts.customers`)
use points of different sizes, labels set :data:`GAP` pixels off each point's edge
(:data:`SPOTS`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["FIXED_SPOTS", "GAP", "SPOTS", "overlaps", "place_labels", "text_width"]

# (name, align, x direction, y direction): beside the point first, then diagonals, then
# above and below. The offset scales with the point's radius (see place_labels).
SPOTS = (
    ("right", "left", 1, 0),
    ("left", "right", -1, 0),
    ("right-up", "left", 1, -1),
    ("right-down", "left", 1, 1),
    ("left-up", "right", -1, -1),
    ("left-down", "right", -1, 1),
    ("above", "center", 0, -1),
    ("below", "center", 0, 1),
)
# (name, align, dx, dy) in pixels from the point: right of the point and a little up
# first, then the other sides.
FIXED_SPOTS = (
    ("right-up", "left", 9, -9),
    ("right-down", "left", 9, 9),
    ("left-up", "right", -9, -9),
    ("left-down", "right", -9, 9),
    ("above", "center", 0, -15),
    ("below", "center", 0, 15),
)
GAP = 4.0  # pixels between a point's edge and its label


def text_width(text: str, font_size: float) -> float:
    """Estimated width in pixels of ``text`` in a sans-serif font (no font metrics here).

    Examples
    --------
    >>> round(text_width("Milk", 12), 2), round(text_width("milk", 12), 2)
    (28.32, 28.32)
    """
    wide = sum(1 for ch in text if ch.isupper() or ch in "mwMW")
    return font_size * (0.56 * len(text) + 0.12 * wide)


def overlaps(box: tuple, boxes: np.ndarray) -> float:
    """Total area where ``box`` overlaps the rows of ``boxes`` (left, top, right, bottom).

    Examples
    --------
    >>> overlaps((0, 0, 10, 10), np.array([(5, 5, 20, 20), (30, 30, 40, 40)]))
    25.0
    """
    if not len(boxes):
        return 0.0
    width = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    height = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    return float(np.sum(np.clip(width, 0, None) * np.clip(height, 0, None)))


def place_labels(
    x: Sequence[float],
    y: Sequence[float],
    radius: Sequence[float],
    texts: Sequence[str],
    *,
    width: float,
    height: float,
    font_size: float = 12,
    avoid: Sequence[tuple] = (),
    cross: Sequence[tuple] = (),
    order: Sequence[int] | None = None,
    shorten_to: int | None = None,
    spill_right: float = 0.0,
    spots: Sequence[tuple] = SPOTS,
    fixed: bool = False,
    half_height: float | None = None,
    measure: Callable[[str, float], float] = text_width,
    numbered: bool = False,
    number_spots: Sequence[tuple] | None = None,
) -> list[dict]:
    """Choose a side for each point's label so labels do not overlap (greedy, in pixels).

    Each label, in ``order``, takes the first of ``spots`` that stays inside the plot
    and clear of every point, earlier labels and ``avoid``. When no spot is clear and
    ``shorten_to`` is given, the label is tried again cut to that many characters and
    "…" (the tooltip keeps the full text); failing that, with ``numbered``, the point is
    labelled with a number instead (1, 2, … in ``order``) for a key beside the chart to
    name; failing that, the spot that overlaps least.
    Labels may run up to ``spill_right`` pixels past the right edge of the plot (into
    the chart's padding), never past the other edges, where the axes and the title are.

    Parameters
    ----------
    x, y : sequence of float
        Point centres in pixels from the top-left corner of the plot.
    radius : sequence of float
        Each point's radius in pixels (its box is the square around it).
    texts : sequence of str
        The labels.
    width, height : float
        The plot's size in pixels.
    font_size : float
        The labels' font size; sets the label height (unless ``half_height``) and width.
    avoid : sequence of (left, top, right, bottom)
        Boxes no label should cover.
    cross : sequence of (left, top, right, bottom)
        Boxes a label may cover, though less is better (thin lines such as intervals).
    order : sequence of int, optional
        Which labels choose first (default input order).
    shorten_to : int, optional
        Characters kept when a label is shortened to find a clear spot.
    spill_right : float
        Pixels a label may run past the right edge.
    spots : sequence of (name, align, dx, dy)
        The spots to try, in turn. By default (:data:`SPOTS`) ``dx``, ``dy`` are
        directions and the label sits :data:`GAP` pixels off the point's edge; with
        ``fixed=True`` (:data:`FIXED_SPOTS`) they are pixel offsets from the centre.
    fixed : bool
        Read ``spots`` as pixel offsets.
    half_height : float, optional
        Half a label's height in pixels (default ``0.62 * font_size``).
    measure : callable
        ``measure(text, font_size)`` estimates a label's width (default :func:`text_width`).
    numbered : bool
        Number the labels that find no clear spot (see above).
    number_spots : sequence of (name, align, dx, dy), optional
        The spots a number may take (default ``spots``).

    Returns
    -------
    list of dict
        Per point, in input order: ``spot`` (its name in ``spots``), ``align``, ``dx``,
        ``dy`` (pixels from the point's centre to the label's anchor), ``text`` (perhaps
        shortened, or the number), ``number`` (None unless numbered) and ``box`` (its
        estimated extent, left, top, right, bottom).

    Examples
    --------
    >>> [p["spot"] for p in place_labels([10, 20], [50, 50], [5, 5], ["A", "B"],
    ...                                  width=100, height=100)]
    ['above', 'right']
    """
    half = font_size * 0.62 if half_height is None else half_height
    nodes = np.array(
        [(px - r, py - r, px + r, py + r) for px, py, r in zip(x, y, radius, strict=True)],
        dtype=float,
    ).reshape(-1, 4)
    placer = _Placer(
        x, y, radius, nodes, half, font_size, width, height, spill_right, fixed, measure
    )
    placer.taken = [tuple(map(float, box)) for box in avoid]
    placer.crossed = np.array(cross, dtype=float).reshape(-1, 4) if len(cross) else None
    placed: list[dict | None] = [None] * len(texts)
    numbers = 0
    for i in order if order is not None else range(len(texts)):
        text = str(texts[i])
        versions = [text]
        if shorten_to is not None and len(text) > shorten_to + 1:
            versions.append(text[:shorten_to].rstrip() + "…")
        cost, best = placer.best_of(i, versions, spots)
        best["number"] = None
        if cost >= _CLEAR and numbered:  # crowded: a number instead, for a key to name
            numbers += 1
            best = placer.best_of(i, [str(numbers)], number_spots or spots)[1]
            best["number"] = numbers
        placer.taken.append(best["box"])
        placed[i] = best
    return placed


#: A spot costing less than this is clear: it crosses, at most, lines labels may cross.
_CLEAR = 1e-2


@dataclass
class _Placer:
    """What :func:`place_labels` weighs each spot against; ``taken`` grows as labels land."""

    x: Sequence[float]
    y: Sequence[float]
    radius: Sequence[float]
    nodes: np.ndarray
    half: float
    font_size: float
    width: float
    height: float
    spill_right: float
    fixed: bool
    measure: Callable[[str, float], float]
    taken: list = field(default_factory=list)
    crossed: np.ndarray | None = None

    def offset(self, i: int, ux: float, uy: float) -> tuple[float, float]:
        r = float(self.radius[i])
        if self.fixed:
            return float(ux), float(uy)
        if ux:
            return ux * (r + GAP), uy * (self.half + 1)
        return 0.0, uy * (r + GAP + self.half)

    def candidate(self, i: int, text: str, spot: tuple) -> tuple[float, dict]:
        name, align, ux, uy = spot
        dx, dy = self.offset(i, ux, uy)
        w = self.measure(text, self.font_size)
        left = self.x[i] + dx - {"left": 0.0, "right": w, "center": w / 2}[align]
        box = (left, self.y[i] + dy - self.half, left + w, self.y[i] + dy + self.half)
        outside = max(0.0, -box[0]) + max(0.0, box[2] - self.width - self.spill_right)
        outside += max(0.0, -box[1]) + max(0.0, box[3] - self.height)
        cost = outside * 100 + overlaps(box, np.delete(self.nodes, i, axis=0))
        if self.taken:
            cost += overlaps(box, np.array(self.taken))
        if self.crossed is not None:  # a fraction: never worse than touching a label
            cost += overlaps(box, self.crossed) * 1e-6
        return cost, {"spot": name, "align": align, "dx": dx, "dy": dy, "text": text, "box": box}

    def best_of(self, i: int, versions: list[str], spots) -> tuple[float, dict]:
        best_cost, best = math.inf, None
        for version in versions:
            for spot in spots:
                cost, found = self.candidate(i, version, spot)
                if cost < best_cost - 1e-9:
                    best_cost, best = cost, found
                if cost == 0:
                    return cost, best
        return best_cost, best
