"""The satisfaction metrics: one registry, every rule a metric has in one entry.

:data:`METRICS` maps each metric's name to its :class:`Metric`: its default scale, its
direction, its title on charts, how report text names it, the words that give it away in
a survey question, and its default measure. Everything else reads it: the ``responses``
table's ``metric`` vocabulary, :data:`DEFAULT_SCALES`, the default ``scales`` in
engagement.toml, the analyses, chart titles, report wording, import maps and the
question guessing of ``import`` and the forms wizard.

A new metric is one :func:`register_metric` call (see docs/extending.md). It is known to
engagements created after it was registered: an existing engagement's database accepts
only the metrics it was created with.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from toolkit.errors import DataValidationError

__all__ = [
    "Metric",
    "METRICS",
    "DEFAULT_SCALES",
    "METRIC_TITLES",
    "METRIC_WORDS",
    "metric_named",
    "metric_choices",
    "register_metric",
    "unregister_metric",
]


@dataclass(frozen=True)
class Metric:
    """One satisfaction metric.

    Parameters
    ----------
    name : str
        The name rows and maps use (``csat``): lower case letters, digits and ``_``.
    scale : (float, float)
        The scale a score is on when its row does not say, ``(lowest, highest)``.
    title : str
        The metric on charts and report choices ("Satisfaction (CSAT)").
    words : str
        The metric in running text ("satisfaction (CSAT)").
    short : str
        The metric's short name ("CSAT"), as the forms wizard's "CSAT question".
    described : str
        The metric in the ``responses`` template's field help
        ("satisfaction", "likelihood to recommend, 0–10").
    question : str
        A regular expression (case ignored) matching question text that asks for it;
        ``import`` and the wizard guess metric columns with it.
    higher_is_better : bool
        True when a higher score is the better one.
    measure : str
        The default measure of its trend: ``mean``, ``top_box`` or ``nps``. (The top box
        is engagement.toml's ``top_box`` for every metric.)
    """

    name: str
    scale: tuple[float, float]
    title: str
    words: str
    short: str
    described: str
    question: str
    higher_is_better: bool = True
    measure: str = "mean"

    def asks_for(self, question: str) -> bool:
        """True when ``question`` reads like a question asking for this metric."""
        return re.search(self.question, str(question), re.IGNORECASE) is not None


_REGISTRY: dict[str, Metric] = {}


class RegistryView(Mapping):
    """A registry's entries by name, in registration order (a live view of ``registry``).

    Serves the metrics here and the survey tools (:data:`toolkit.sources.registry.TOOLS`).
    """

    def __init__(self, registry: dict):
        self._registry = registry

    def __getitem__(self, name: str):
        return self._registry[name]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._registry))

    def __len__(self) -> int:
        return len(self._registry)

    __hash__ = object.__hash__  # a Field's choices: fields are hashed

    def __repr__(self) -> str:
        return repr(tuple(self._registry))


class _Each(RegistryView):
    """One attribute of each registered metric, by name (a live view)."""

    def __init__(self, attribute: str):
        super().__init__(_REGISTRY)
        self._attribute = attribute

    def __getitem__(self, name: str):
        return getattr(_REGISTRY[name], self._attribute)

    def __repr__(self) -> str:
        return repr(dict(self))


#: Every metric by name (``"csat" in METRICS``, ``METRICS["nps"].scale``, ``list(METRICS)``).
METRICS: Mapping[str, Metric] = RegistryView(_REGISTRY)
#: The scale each metric is on when a row does not say (engagement.toml may override).
DEFAULT_SCALES: Mapping[str, tuple[float, float]] = _Each("scale")
#: Each metric's title on charts ("Satisfaction (CSAT)").
METRIC_TITLES: Mapping[str, str] = _Each("title")
#: Each metric in running text ("satisfaction (CSAT)").
METRIC_WORDS: Mapping[str, str] = _Each("words")


def metric_named(name: str) -> Metric:
    """The registered metric called ``name``.

    Raises
    ------
    DataValidationError
        No such metric; the message lists the metrics there are.
    """
    try:
        return _REGISTRY[str(name).strip().lower()]
    except KeyError:
        raise DataValidationError(
            f'"{name}" is not a metric. Use one of: ' + ", ".join(_REGISTRY) + "."
        ) from None


def metric_choices() -> str:
    """The metrics' names as a message offers them: "csat, nps or ces"."""
    names = list(_REGISTRY)
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


def register_metric(metric: Metric) -> Metric:
    """Add a satisfaction metric to the toolkit (see docs/extending.md).

    Its default scale also becomes engagement.toml's default ``scales`` entry. Register
    it before ``Engagement.init``: an engagement's database accepts the metrics known
    when it was created.

    Raises
    ------
    DataValidationError
        The name is taken or not a lower-case word, the scale does not run from a lower
        to a higher number, or the measure is not ``mean``, ``top_box`` or ``nps``.
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", metric.name):
        raise DataValidationError(
            f'metric name "{metric.name}": use lower-case letters, digits and "_", such as "csat".'
        )
    if metric.name in _REGISTRY:
        raise DataValidationError(
            f'metric "{metric.name}" is already registered; unregister it first or pick '
            "another name."
        )
    low, high = metric.scale
    if not float(low) < float(high):
        raise DataValidationError(
            f'metric "{metric.name}": its scale must run from a lower to a higher number '
            f"(got {low!r} to {high!r})."
        )
    if metric.measure not in ("mean", "top_box", "nps"):
        raise DataValidationError(
            f'metric "{metric.name}": measure {metric.measure!r} is not one of mean, top_box, nps.'
        )
    re.compile(metric.question)
    _REGISTRY[metric.name] = metric
    return metric


def unregister_metric(name: str) -> None:
    """Remove a metric :func:`register_metric` added (for tests and notebooks)."""
    _REGISTRY.pop(name, None)


for _metric in (
    Metric(
        "csat",
        (1, 5),
        title="Satisfaction (CSAT)",
        words="satisfaction (CSAT)",
        short="CSAT",
        described="satisfaction",
        question=r"satisf",
    ),
    Metric(
        "nps",
        (0, 10),
        title="Net Promoter Score",
        words="Net Promoter Score",
        short="NPS",
        described="likelihood to recommend, 0–10",
        question=r"recommend|likely",
        measure="nps",
    ),
    Metric(
        "ces",
        (1, 7),
        title="Effort (CES)",
        words="effort (CES)",
        short="CES",
        described="effort",
        question=r"\beas(y|e)\b|effort|difficult",
    ),
):
    register_metric(_metric)
del _metric
