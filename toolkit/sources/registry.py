"""The survey tools the toolkit reads: one registry, every rule a tool has in one entry.

:data:`TOOLS` maps each tool's name (what ``import --source`` and a map's ``source``
say) to its :class:`Tool`: the function that reads its export, the rule that recognises
its export from the first rows, the other spellings people use for it, and how the forms
wizard names it. ``import --source``'s choices, :func:`check_format`, detection
(:mod:`toolkit.sources.detect`), :func:`toolkit.sources.reader` and the forms wizard all
read it; :func:`guess_metrics` is the one rule, for ``import`` and the wizard alike, that
guesses which question holds which metric.

Readers and detection rules are named as ``"module:function"`` text and imported only
when used, so that importing this module (and ``service-toolkit --help``) stays quick.
A new tool is one :func:`register_tool` call plus its reader's module (see
docs/extending.md).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from toolkit.errors import DataValidationError
from toolkit.schema.metrics import METRICS, RegistryView

__all__ = [
    "Tool",
    "TOOLS",
    "FORMATS",
    "register_tool",
    "unregister_tool",
    "tool_named",
    "check_format",
    "resolve",
    "metric_asked",
    "guess_metrics",
]


@dataclass(frozen=True)
class Tool:
    """One survey tool (or plain spreadsheet) the toolkit reads.

    Parameters
    ----------
    name : str
        The name ``--source`` and maps use (``qualtrics``): lower case, ``-`` between words.
    reader : str or callable
        The function reading a file into a :class:`~toolkit.sources.survey.SurveyTable`,
        called as ``reader(path, sheet=, encoding=, delimiter=, date_order=)``; or its
        ``"module:function"`` name, imported when first used.
    detect : str, callable or None
        The rule recognising the tool's export: called with the file's first rows (lists
        of trimmed text), it returns ``(variant, reason)`` when they are the tool's, such
        as ``("", "Timestamp as the first column")``, else None. None: never detected,
        only named with ``--source``.
    aliases : tuple of str
        Other spellings ``--source`` and maps accept ("kobotoolbox", "odk").
    label : str
        How the forms wizard names a file of this tool; blank: the name.
    priority : int
        Detection order: lower runs first (a rule that looks only at the first header,
        as Google Forms', runs late).
    """

    name: str
    reader: str | Callable
    detect: str | Callable | None = None
    aliases: tuple[str, ...] = ()
    label: str = ""
    priority: int = 50


_REGISTRY: dict[str, Tool] = {}


class _Formats(Sequence):
    """``auto`` then every registered tool's name (a live view, for ``--source``)."""

    def _names(self) -> list[str]:
        return ["auto", *_REGISTRY]

    def __getitem__(self, index):
        return self._names()[index]

    def __len__(self) -> int:
        return len(_REGISTRY) + 1

    def __repr__(self) -> str:
        return repr(tuple(self._names()))


#: Every survey tool by name (``"kobo" in TOOLS``, ``TOOLS["kobo"].aliases``).
TOOLS: Mapping[str, Tool] = RegistryView(_REGISTRY)
#: What ``--source`` and a map's ``source`` accept: ``auto`` and every tool.
FORMATS: Sequence[str] = _Formats()


def resolve(name: str | Callable) -> Callable:
    """The function a ``"module:function"`` name names (a callable is given back)."""
    if callable(name):
        return name
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def tool_named(name: str) -> Tool:
    """The registered tool ``name`` (any spelling :func:`check_format` accepts)."""
    return _REGISTRY[check_format(name)]


def check_format(value: str, name: str = "--source") -> str:
    """Spell a source format as :data:`FORMATS` does ("Google Forms" → "google-forms").

    Raises
    ------
    DataValidationError
        Not ``auto``, a tool or a tool's alias; the message lists the formats.
    """
    key = re.sub(r"[\s_]+", "-", str(value).strip().lower())
    if key == "auto" or key in _REGISTRY:
        return key
    for tool in _REGISTRY.values():
        if key in tool.aliases:
            return tool.name
    raise DataValidationError(
        f'{name}: source is "{value}", which is not a format the toolkit reads. '
        "Use one of: " + ", ".join(FORMATS) + "."
    )


def register_tool(tool: Tool) -> Tool:
    """Add a survey tool to the toolkit (see docs/extending.md).

    ``import --source``, detection, maps and the forms wizard know it from then on.

    Raises
    ------
    DataValidationError
        The name is not lower-case words joined by ``-``, or it or an alias is taken.
    """
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", tool.name) or tool.name == "auto":
        raise DataValidationError(
            f'tool name "{tool.name}": use lower-case words joined by "-", such as "google-forms".'
        )
    taken = {"auto", *_REGISTRY, *(a for t in _REGISTRY.values() for a in t.aliases)}
    clash = [n for n in (tool.name, *tool.aliases) if n in taken]
    if clash:
        raise DataValidationError(
            f'survey tool "{tool.name}": {", ".join(clash)} is already a format name; '
            "unregister that tool first or pick another name."
        )
    _REGISTRY[tool.name] = tool
    return tool


def unregister_tool(name: str) -> None:
    """Remove a tool :func:`register_tool` added (for tests and notebooks)."""
    _REGISTRY.pop(name, None)


def detection_rules() -> list[tuple[str, Callable]]:
    """Each detectable tool's name and rule, in the order detection tries them."""
    tools = sorted((t for t in _REGISTRY.values() if t.detect), key=lambda t: t.priority)
    return [(t.name, resolve(t.detect)) for t in tools]


def metric_asked(question: str) -> str | None:
    """The first metric whose question words (``Metric.question``) match, else None.

    >>> metric_asked("How easy was it to book?"), metric_asked("Your postcode")
    ('ces', None)
    """
    return next((m.name for m in METRICS.values() if m.asks_for(question)), None)


def guess_metrics(questions: Mapping[str, str]) -> dict[str, str]:
    """Which column holds each metric, guessed from its question text (first match).

    The one guessing rule: the forms wizard preselects these, and ``import`` suggests
    them when no metric was named.

    >>> guess_metrics({"Q1": "How satisfied were you?", "Q2": "How likely to recommend us?",
    ...                "Q3": "How easy was it?"})
    {'csat': 'Q1', 'nps': 'Q2', 'ces': 'Q3'}
    """
    found: dict[str, str] = {}
    for column, question in questions.items():
        metric = metric_asked(question)
        if metric is not None and metric not in found:
            found[metric] = column
    return found


_SOURCES = "toolkit.sources."


def _survey_tool(name: str, priority: int, *aliases: str) -> Tool:
    """One of the toolkit's own survey tools, its reader and rule named after it.

    The reader is ``read_<module>`` in ``toolkit.sources.<module>`` and the detection
    rule ``<module>`` in ``toolkit.sources.detect``: the tool's name with "_" for "-".
    """
    module = name.replace("-", "_")
    reader = f"{_SOURCES}{module}:read_{module}"
    return Tool(name, reader, f"{_SOURCES}detect:{module}", aliases, priority=priority)


for _tool in (
    _survey_tool("qualtrics", 10),
    _survey_tool("surveymonkey", 20, "survey-monkey"),
    _survey_tool("google-forms", 90, "googleforms"),
    _survey_tool("ms-forms", 30, "msforms", "microsoft-forms"),
    _survey_tool("kobo", 40, "kobotoolbox", "odk"),
    Tool("csv", _SOURCES + "plain:read_plain", label="a spreadsheet (CSV)"),
    Tool("xlsx", _SOURCES + "plain:read_plain", label="a spreadsheet (XLSX)"),
):
    register_tool(_tool)
del _tool
