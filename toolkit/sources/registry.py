"""The survey tools the toolkit reads: one registry, every rule a tool has in one entry.

:data:`TOOLS` maps each tool's name (what ``import --source`` and a map's ``source``
say) to its :class:`Tool`: the function that reads its export, the rule that recognises
its export from the first rows, the other spellings people use for it, and how the forms
wizard names it. ``import --source``'s choices, :func:`check_format`, detection
(:mod:`toolkit.sources.detect`), :func:`toolkit.sources.reader` and the forms wizard all
read it; :func:`guess_metrics` is the one rule, for ``import`` and the wizard alike, that
guesses which question holds which metric.

:func:`survey_questions` is the one rule telling an export's questions apart, for ``import``
and the wizard alike: a multi-select (Qualtrics ``Q5_1..Q5_n``, SurveyMonkey's column per
choice, Kobo's 0/1 columns or space list, Google's comma list, Qualtrics' "Selected
Choice") is one :class:`Question`; a derived or label column (``Q2_NPS_GROUP``,
``Q5_4_TEXT``, a "Group" column) is never proposed for a metric; each question is
labelled by its question, sub-question or choice and three sample answers
(:func:`question_labels`, unique).

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
    "Question",
    "survey_questions",
    "question_labels",
    "guess_need",
    "derived_column",
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


def guess_metrics(questions: Mapping[str, str] | Sequence[Question]) -> dict[str, str]:
    """Which column holds each metric, guessed from its question text (first match).

    The one guessing rule: the forms wizard preselects these, and ``import`` suggests
    them when no metric was named. Given an export's :func:`survey_questions`, only a
    single-answer question whose answers read as scores is proposed: never a
    multi-select, a derived column (``Q2_NPS_GROUP``) or one of labels.

    >>> guess_metrics({"Q1": "How satisfied were you?", "Q2": "How likely to recommend us?",
    ...                "Q3": "How easy was it?"})
    {'csat': 'Q1', 'nps': 'Q2', 'ces': 'Q3'}
    """
    if isinstance(questions, Mapping):
        pairs = list(questions.items())
    else:
        pairs = [(q.value, q.text) for q in questions if q.kind == "single" and q.scores]
    found: dict[str, str] = {}
    for column, question in pairs:
        metric = metric_asked(question)
        if metric is not None and metric not in found:
            found[metric] = column
    return found


# ----------------------------------------------------------------------------- questions

_DERIVED = (
    (
        re.compile(r".*_NPS_GROUP", re.I),
        "the NPS group (Detractor, Passive, Promoter), not a score",
    ),
    (re.compile(r".*_TEXT", re.I), "the text typed for a choice"),
    (re.compile(r".*[\s_/.-]label", re.I), "the answer's label, beside its value"),
    (re.compile(r"(.*[\s_/.-])?group", re.I), "a group label, not a score"),
)


def derived_column(column: str, question: str = "") -> str:
    """Why a column is derived from another or holds labels ("" when it is not).

    Such a column is never proposed for a numeric metric.

    >>> derived_column("Q2_NPS_GROUP")
    'the NPS group (Detractor, Passive, Promoter), not a score'
    >>> derived_column("Q7", "How likely are you to recommend us? - Group")
    'a group label, not a score'
    >>> derived_column("Q2", "How likely are you to recommend us?")
    ''
    """
    for text in (str(column).strip(), re.sub(r"\s+-\s+", " ", str(question).strip())):
        for pattern, why in _DERIVED:
            if pattern.fullmatch(text):
                return why
    return ""


@dataclass(frozen=True)
class Question:
    """One item a person picks for a field or metric: a question, a sub-question or a
    multi-select question taken whole.

    ``value`` is what a map names (the column, or the multi-select question);
    ``kind`` is ``single``, ``multi`` (its answers are choices: ``columns`` holds every
    choice column) or ``derived`` (``why`` says what it holds); ``scores`` says its answers
    read as scores; ``samples`` are up to three answers as the file holds them.
    """

    value: str
    question: str
    sub: str = ""
    kind: str = "single"
    columns: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()
    scores: bool = False
    why: str = ""

    @property
    def text(self) -> str:
        """The question text with its sub-question ("Rate each - Front desk")."""
        return f"{self.question} - {self.sub}" if self.sub else self.question


def survey_questions(survey) -> list[Question]:
    """An export's questions as a person picks them (see the module's docstring).

    ``survey`` is a :class:`~toolkit.sources.survey.SurveyTable`. A multi-select exported
    one column per choice is one item in the place of its first column; its choice
    columns are not listed on their own.
    """
    from toolkit.sources.answers import recode_answers
    from toolkit.sources.survey import looks_joined

    frame = survey.frame
    members = {m.column: g for g, ms in survey.groups.items() for m in ms}
    stems = _stems(survey, members)
    out: list[Question] = []
    placed: set[str] = set()
    for column in frame.columns:
        group = members.get(column, column if column in survey.groups else None)
        if group is not None:
            if group not in placed:
                placed.add(group)
                out.append(_multi(survey, group))
            continue
        question = str(survey.questions.get(column) or column)
        stem, sub = stems.get(column, (question, ""))
        cells = frame[column]
        samples = _samples(cells)
        why = derived_column(column, question)
        filled = int(cells.ne("").sum())
        bad = int(recode_answers(cells)[1].sum()) if filled and not why else filled
        scores = bool(filled) and bad <= 0.1 * filled
        told = survey.joined.get(column) not in (None, " ")  # the tool says it is a list
        joined = told or (not scores and _joined(survey, column, looks_joined))
        scores = scores and not joined
        out.append(
            Question(
                value=column,
                question=stem,
                sub=sub,
                kind="derived" if why else "multi" if joined else "single",
                columns=(column,),
                samples=samples,
                scores=scores,
                why=why,
            )
        )
    return out


def _joined(survey, column: str, looks_joined: Callable) -> bool:
    """Whether a column holds a multi-select's choices in one cell.

    A space-separated list (Kobo's) counts only when some answer with several pieces has
    a piece also answered alone ("milk fresh_food" beside "milk"), so that a label of
    several words ("Partner agencies") is not taken for a list.
    """
    cells = survey.frame[column]
    separator = survey.joined.get(column)
    if separator is None and survey.joins:
        separator = None if survey.joins == "auto" else survey.joins
        if not looks_joined(cells, separator):
            return False
    elif separator is None:
        return False
    if separator != " ":
        return True
    alone = set(cells[~cells.str.contains(" ", regex=False)])
    return any(any(piece in alone for piece in cell.split()) for cell in set(cells) if " " in cell)


def _stems(survey, members: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Question and sub-question of columns whose question texts share a stem (a matrix)."""
    split: dict[str, tuple[str, str]] = {}
    for column in survey.frame.columns:
        if column in members:
            continue
        text = str(survey.questions.get(column) or column)
        for sep in (" / ", " - "):
            if sep in text:
                stem, _, sub = text.rpartition(sep)
                split[column] = (stem.strip(), sub.strip())
                break
    counts: dict[str, int] = {}
    for stem, _ in split.values():
        counts[stem] = counts.get(stem, 0) + 1
    return {c: v for c, v in split.items() if counts[v[0]] >= 2 and v[0] and v[1]}


def _samples(cells, limit: int = 3) -> tuple[str, ...]:
    seen: list[str] = []
    for value in cells:
        value = str(value).strip()
        if value and value not in seen:
            seen.append(value)
            if len(seen) == limit:
                break
    return tuple(seen)


def _multi(survey, group: str) -> Question:
    """A multi-select exported one column per choice, taken whole."""
    from toolkit.sources.survey import TRUTHY

    frame = survey.frame
    members = survey.groups[group]
    picked = []
    for i in range(len(frame)):
        answers = []
        for m in members:
            cell = str(frame[m.column].iat[i]).strip()
            if m.kind == "flag":
                if cell.lower() in TRUTHY:
                    answers.append(m.option)
            elif cell:
                answers.append(cell)
        picked.append("; ".join(answers))
        if len({p for p in picked if p}) >= 3:
            break
    question = str(survey.questions.get(group) or group)
    return Question(
        value=group,
        question=question,
        kind="multi",
        columns=tuple(m.column for m in members),
        choices=tuple(dict.fromkeys(m.option for m in members)),
        samples=_samples(picked),
    )


def _cut(text: str, size: int) -> str:
    """Shorten ``text`` in its middle, keeping its start and end ("Which of … apply)")."""
    text = re.sub(r"\s+", " ", str(text)).strip()
    if len(text) <= size:
        return text
    tail = max(size // 3, 1)
    return text[: size - tail - 1].rstrip() + "…" + text[-tail:].lstrip()


def _question_label(q: Question) -> str:
    parts = [_cut(q.question, 70)]
    if q.sub:
        parts.append(_cut(q.sub, 40))
    label = " / ".join(parts)
    if q.kind == "multi" and q.choices:
        shown = ", ".join(_cut(c, 24) for c in q.choices[:3])
        more = ", …" if len(q.choices) > 3 else ""
        label += f" — choose all that apply: {len(q.choices)} choices ({shown}{more})"
    elif q.kind == "multi":
        label += " — choose all that apply, choices in one cell"
    plain = {q.question, q.text, f"{q.question} / {q.sub}"}
    if q.value not in plain and len(q.value) <= 24:
        label += f" [{q.value}]"
    if q.why:
        label += f" — {q.why}"
    if q.samples:
        size = 32 if q.kind == "multi" else 24
        label += " — e.g. " + ", ".join(f"“{_cut(s, size)}”" for s in q.samples)
    else:
        label += " — no answers"
    return label


def question_labels(questions: Sequence[Question]) -> list[str]:
    """How a person is shown each question: unique, never cut to the same text.

    Each label holds the question (cut in its middle when long), its sub-question,
    its choices for a multi-select, its column id when short and three sample answers;
    two labels that still read the same are told apart by the column's name.
    """
    labels = [_question_label(q) for q in questions]
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    out = []
    seen: set[str] = set()
    for q, label in zip(questions, labels, strict=True):
        if counts[label] > 1:
            label += f" [{_cut(q.value, 60)}]"
        while label in seen:
            label += "′"
        seen.add(label)
        out.append(label)
    return out


_NEED_WORDS = re.compile(r"\b(needs?|help|offer|services?|would like|most)\b", re.I)


def guess_need(questions: Sequence[Question]) -> str:
    """The question proposed as what customers need: a multi-select first, else "".

    A multi-select whose question speaks of needs, help or services, else the only
    multi-select of the file.
    """
    multi = [q for q in questions if q.kind == "multi"]
    asking = [q for q in multi if _NEED_WORDS.search(q.question)]
    if asking:
        return asking[0].value
    return multi[0].value if len(multi) == 1 else ""


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
