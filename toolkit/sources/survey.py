"""A survey tool's export as questions and answers, and turning it into canonical rows.

Each tool's reader (``qualtrics``, ``surveymonkey``, ``google_forms``, ``ms_forms``,
``kobo``, ``plain``) returns a :class:`SurveyTable`: the answers as text with each
row's spreadsheet row number, the question text of every column, the rows the tool
marks as not real responses (previews, unfinished, rejected, test), the columns the
tool always has (its response id, submission time), its multi-select questions and
the columns it knows identify people.

:func:`survey_to_raw` applies an :class:`~toolkit.sources.maps.ImportMap` to it: it
finds each mapped column by name or question text (listing the closest ones when one
is missing), recodes answer labels to numbers, gives one ``responses`` row per metric
answered and one ``stated_needs`` row per chosen need, and returns a
:class:`~toolkit.sources.spreadsheet.RawTable` with canonical headers, ready for the
same checks as a filled template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from toolkit.errors import DataValidationError
from toolkit.schema.checks import Collector, Problem, strip_cells
from toolkit.schema.metrics import metric_choices
from toolkit.schema.personal import DIRECT, PersonalFlag, header_flag
from toolkit.schema.tables import Table, normalise_header
from toolkit.sources.answers import answer_key, recode_answers
from toolkit.sources.maps import ImportMap, MetricSpec, MultiSpec, closest
from toolkit.sources.registry import guess_metrics, survey_questions
from toolkit.sources.spreadsheet import RawTable

__all__ = ["Member", "SurveyTable", "Mapped", "survey_to_raw", "split_choices", "TRUTHY"]

#: Cells that mean "chosen" in a 0/1 multi-select column.
TRUTHY = frozenset({"1", "1.0", "true", "yes", "x", "selected", "checked"})


@dataclass(frozen=True)
class Member:
    """One column of a multi-select question exported one column per choice.

    ``kind`` is ``text`` (a filled cell is the answer: SurveyMonkey writes the choice's
    text, an "Other (please specify)" column the typed text) or ``flag`` (1/0: a 1
    chooses ``option``).
    """

    column: str
    option: str
    kind: str = "text"


@dataclass
class SurveyTable:
    """A survey export read by one tool's reader (see the module's docstring)."""

    frame: pd.DataFrame
    rows: np.ndarray
    header_row: int
    file: str
    format: str
    questions: dict[str, str] = field(default_factory=dict)
    excluded: dict[str, np.ndarray] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    groups: dict[str, list[Member]] = field(default_factory=dict)
    joined: dict[str, str] = field(default_factory=dict)
    other_text: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    joins: str = ""  # how the tool joins a multi-select's choices in one cell ("auto": ; or ,)
    personal: set[str] = field(default_factory=set)
    details: dict = field(default_factory=dict)

    where = RawTable.where

    def label(self, column: str) -> str:
        """How messages name a column: its question text when the tool has one."""
        question = self.questions.get(column)
        return question if question and question != column else column

    def find(self, source: str, *, role: str) -> str:
        """The column (or multi-select question) a map names by column name or question text.

        Raises
        ------
        DataValidationError
            No such column or question; the message lists the closest the file has.
        """
        columns = list(self.frame.columns)
        if source in self.groups or source in columns:
            return source
        by_question = [c for c, q in self.questions.items() if q == source]
        if len(by_question) == 1:
            return by_question[0]
        key = _loose(source)
        loose = [c for c in columns if _loose(c) == key] + [
            g for g in self.groups if _loose(g) == key
        ]
        loose += [c for c, q in self.questions.items() if _loose(q) == key and c not in loose]
        if len(by_question) > 1 or len(loose) > 1:
            found = by_question or loose
            raise DataValidationError(
                f'{self.file}: {role} "{source}" matches {len(found)} columns '
                f"({', '.join(found[:6])}). Name one of them by its column name instead."
            )
        if loose:
            return loose[0]
        names = columns + list(self.groups) + [q for q in self.questions.values() if q]
        near = closest(source, names, limit=5)
        listed = "; ".join(f'"{n}"' for n in near)
        raise DataValidationError(
            f'{self.file}: has no column or question "{source}" (named by {role}). '
            f"The closest it has: {listed}. Use the column name or the question text exactly "
            f"as the {self.format} export writes it."
        )


def _loose(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


@dataclass
class Mapped:
    """A survey turned into canonical rows: what :func:`survey_to_raw` returns."""

    raw: RawTable
    origin: dict[str, object]  # canonical field -> source label (str or per-row array)
    problems: Collector
    excluded: dict[str, int]
    personal: dict[str, PersonalFlag]  # attribute name -> why it is personal
    mapping: dict[str, str]  # what came from where, for the dry run
    imap: ImportMap  # the map as applied (defaults filled in), for --save-map

    def relabel(self, problems: list[Problem]) -> list[Problem]:
        """Name canonical columns in problems by the survey's column or question."""
        out = []
        for p in problems:
            label = self.origin.get(p.column)
            if isinstance(label, np.ndarray):
                label = label[p.position] if p.position is not None else None
            out.append(replace(p, column=label) if label else p)
        return out


# ----------------------------------------------------------------------------- splitting


def split_choices(
    text: pd.Series, *, separator: str | None = None, options: tuple[str, ...] = ()
) -> pd.Series:
    """Split multi-select cells into lists of choices.

    Choices are taken from the start of a cell while they are known options; what is
    left is one answer, so an "Other" answer containing the separator stays whole.
    Without ``options``, a piece is an option when it appears in two or more cells.
    Without ``separator``, ";" when any cell has one, else ",".

    >>> cells = pd.Series(["Milk, Bread", "Milk, Rent help, or bills", "Bread", ""])
    >>> split_choices(cells).tolist()
    [['Milk', 'Bread'], ['Milk', 'Rent help, or bills'], ['Bread'], []]
    """
    text = text.astype(str).str.strip()
    if separator is None:
        separator = ";" if text.str.contains(";", regex=False).any() else ","
    sep = separator.strip() or " "
    codes, uniques = pd.factorize(text)
    pieces = [[p.strip() for p in u.split(sep)] if u else [] for u in uniques]
    if options:
        known = {o.strip().lower() for o in options}
    else:
        counts: dict[str, int] = {}
        per_cell = np.bincount(codes[codes >= 0], minlength=len(uniques))
        for parts, n in zip(pieces, per_cell, strict=True):
            for p in set(filter(None, parts)):
                counts[p.lower()] = counts.get(p.lower(), 0) + int(n)
        known = {p for p, n in counts.items() if n >= 2}
    joiner = separator if separator.strip() else " "
    if joiner == ",":
        joiner = ", "
    split = []
    for parts in pieces:
        parts = [p for p in parts if p] if sep == " " else parts
        chosen: list[str] = []
        for i, part in enumerate(parts):
            if part.lower() in known or sep == " ":
                if part:
                    chosen.append(part)
                continue
            rest = joiner.join(parts[i:]).strip().strip(sep).strip()
            if rest:
                chosen.append(rest)
            break
        split.append(chosen)
    lookup = np.empty(len(split) + 1, dtype=object)
    for i, chosen in enumerate(split):
        lookup[i] = chosen
    lookup[-1] = []
    return pd.Series(lookup[codes], index=text.index)


# ----------------------------------------------------------------------------- mapping


_SUBMITTED = {
    "responses": "submitted_on",
    "stated_needs": "collected_on",
    "assumed_needs": "collected_on",
}


def survey_to_raw(
    survey: SurveyTable,
    imap: ImportMap,
    table: Table,
    *,
    scales: dict[str, tuple[float, float]],
    id_prefix: str,
) -> Mapped:
    """Apply an import map to a survey export (see the module's docstring).

    Parameters
    ----------
    survey : SurveyTable
        The export, as a tool's reader returned it.
    imap : ImportMap
        What goes where; the tool's own columns (response id, submission time) fill
        in fields the map leaves out.
    table : Table
        The canonical table the rows are for.
    scales : dict
        Each metric's default scale (the engagement's settings).
    id_prefix : str
        Starts the ``response_id`` of rows whose response has no id of its own.

    Returns
    -------
    Mapped

    Raises
    ------
    DataValidationError
        The map names a column or question the file lacks, or leaves out what the
        table needs; the message says what to add.
    """
    where_columns = imap.where("columns")
    fields = set(table.field_names)
    resolved: dict[str, str] = {}  # field or attribute name -> survey column
    given: dict[str, str] = {}  # as the map wrote it, for --save-map
    submitted = _SUBMITTED.get(table.name)
    for key, column in survey.defaults.items():
        name = submitted if key == "submitted" else key
        if name in fields and column in survey.frame:
            resolved[name] = column
    for column in survey.frame.columns:
        name = normalise_header(column)
        if name in fields and name not in resolved and column not in resolved.values():
            resolved[name] = column
    for name, source in imap.columns.items():
        target = name if normalise_header(name) not in fields else normalise_header(name)
        resolved[target] = survey.find(source, role=f"{target} {where_columns}")
        given[target] = source
    for name in imap.constants:
        if normalise_header(name) not in fields:
            raise DataValidationError(
                f'{imap.name or "the map"}: [constants] has "{name}", which is not a field of '
                f"{table.cli_name} ({', '.join(table.field_names)})."
            )
    constants = {normalise_header(k): v.strip() for k, v in imap.constants.items()}
    if table.name == "stated_needs" and "method" not in resolved:
        constants.setdefault("method", "survey")
    if "respondent_id" in fields and "respondent_id" not in resolved and "source_id" in resolved:
        # One response is one respondent: their needs count once in a share.
        resolved["respondent_id"] = resolved["source_id"]
    metrics = [_resolve_metric(survey, spec, imap) for spec in imap.metrics]
    if metrics and table.name != "responses":
        raise DataValidationError(
            f"{imap.name or 'The import'}: metrics go into responses, not {table.cli_name}. "
            "Import into --table responses, or leave the metrics out."
        )
    if table.name == "responses":
        if not metrics:
            raise DataValidationError(_no_metrics(survey, imap))
        resolved.pop("score", None)
        resolved.pop("metric", None)
    for name in table.required:
        if name in ("score", "metric") and table.name == "responses":
            continue
        if name not in resolved and name not in constants:
            near = closest(name.replace("_", " "), [survey.label(c) for c in survey.frame.columns])
            raise DataValidationError(
                f"{survey.file}: nothing gives {table.cli_name}'s {name} field. Name its column "
                f'with --column {name}=COLUMN or {where_columns}, e.g. {name} = "{near[0] if near else "COLUMN"}".'
            )
    # Rows the tool marks as not real responses are left out and counted, never errors.
    keep = np.ones(len(survey.frame), dtype=bool)
    excluded: dict[str, int] = {}
    for reason, mask in survey.excluded.items():
        hit = mask & keep
        if hit.any():
            excluded[reason] = int(hit.sum())
            keep &= ~mask
    kept = np.flatnonzero(keep)
    frame = survey.frame.iloc[kept].reset_index(drop=True)
    rows = survey.rows[kept]
    consumed = set(resolved.values()) | {m.column for m in metrics}
    need_source = _need_source(survey, resolved, table)
    if need_source in survey.groups:
        consumed |= {m.column for m in survey.groups[need_source]}
    if need_source in survey.other_text:
        consumed.add(survey.other_text[need_source][1])
    for group, members in survey.groups.items():
        if group in consumed:
            consumed |= {m.column for m in members}
    base: dict[str, pd.Series] = {}
    origin: dict[str, object] = {}
    for name, column in resolved.items():
        if column in survey.groups:
            continue
        recodes = _values_for(imap, survey, column)
        base[name] = _recode_text(frame[column], recodes) if recodes else frame[column]
        origin[name] = survey.label(column)
    for name, value in constants.items():
        base[name] = pd.Series(value, index=frame.index, dtype=object)
    personal = {n: _tool_flag(survey, c, n) for n, c in resolved.items() if n not in fields}
    for column in [c for c in survey.frame.columns if c not in consumed]:
        # A column spelled like a field another column fills stays, renamed.
        name = f"{column} (survey)" if normalise_header(column) in fields else column
        base[name] = frame[column]
        personal[name] = _tool_flag(survey, column, name)
    personal = {n: flag for n, flag in personal.items() if flag is not None}
    base_frame = pd.DataFrame(base, index=frame.index)
    mapping = {n: survey.label(c) for n, c in resolved.items()}
    mapping.update({n: f"= {v}" for n, v in constants.items()})
    if table.name == "responses":
        body, positions, extra_origin, out = _melt_metrics(
            survey, frame, rows, base_frame, metrics, imap, scales, id_prefix
        )
        for i, m in enumerate(metrics):
            key = m.spec.metric + (f" ({m.spec.touchpoint})" if m.spec.touchpoint else "")
            mapping[key if key not in mapping else f"{key} #{i + 1}"] = m.label
    elif table.name == "stated_needs":
        body, positions = _explode_needs(survey, frame, base_frame, need_source, imap)
        extra_origin = {"need": survey.label(need_source)}
        out = Collector(_where_of(survey, rows, positions), len(body), survey.file)
    else:
        body, positions, extra_origin = base_frame, np.arange(len(frame)), {}
        out = Collector(_where_of(survey, rows, positions), len(body), survey.file)
    origin.update(extra_origin)
    raw = RawTable(
        frame=body.reset_index(drop=True).astype(object).fillna(""),
        rows=rows[positions],
        header_row=survey.header_row,
        file=survey.file,
        format=survey.format,
        details=dict(survey.details),
        trimmed=True,
    )
    applied = ImportMap(
        table=table.name,
        source=survey.format,
        columns={
            **{n: survey.label(c) for n, c in resolved.items() if n not in given and n != "need"},
            **given,
        },
        constants=dict(imap.constants),
        metrics=[m.spec for m in metrics],
        values=dict(imap.values),
        multi=dict(imap.multi),
        personal=dict(imap.personal),
        date_order=imap.date_order,
    )
    if need_source is not None and "need" not in given:
        applied.columns["need"] = need_source
    return Mapped(raw, origin, out, excluded, personal, mapping, applied)


def _need_source(survey: SurveyTable, resolved: dict[str, str], table: Table) -> str | None:
    """The column (or multi-select question) stated needs come from; None for other tables.

    A choice column of a "select all that apply" question (SurveyMonkey's "Question /
    Milk", Qualtrics' ``Q5_1``) stands for its whole question: naming one would import
    that choice alone.
    """
    column = resolved.get("need")
    if table.name != "stated_needs" or column is None or column in survey.groups:
        return column if table.name == "stated_needs" else None
    for group, members in survey.groups.items():
        if any(m.column == column for m in members):
            resolved["need"] = group
            return group
    return column


def _tool_flag(survey: SurveyTable, column: str, name: str) -> PersonalFlag | None:
    """A column's flag by its header in the file, its name as an attribute, or the tool's word.

    Its values are classified later, with every attribute's (:func:`to_canonical`).
    """
    flag = header_flag(column) or header_flag(name)
    if flag is None and column in survey.personal:
        flag = PersonalFlag(
            DIRECT, f"the {survey.format} export marks it as personal", "survey tool"
        )
    return flag


def _where_of(survey: SurveyTable, rows: np.ndarray, positions: np.ndarray):
    def where(pos: int) -> str:
        row = int(rows[positions[pos]])
        return f"row {row - survey.header_row} (spreadsheet row {row})"

    return where


@dataclass
class _Metric:
    spec: MetricSpec
    column: str
    label: str


def _resolve_metric(survey: SurveyTable, spec: MetricSpec, imap: ImportMap) -> _Metric:
    column = survey.find(spec.column, role=f"the {spec.metric} metric {imap.where('metrics')}")
    if column in survey.groups:
        raise DataValidationError(
            f'{survey.file}: "{spec.column}" is a question with one column per choice; a '
            f"{spec.metric} score needs a single-answer question."
        )
    return _Metric(spec, column, survey.label(column))


def _no_metrics(survey: SurveyTable, imap: ImportMap) -> str:
    # The questions the wizard would propose (never a derived column such as Q2_NPS_GROUP).
    guessed = guess_metrics(survey_questions(survey))
    by_question = {c: q for c, q in survey.questions.items()}
    hints = []
    for metric, column in guessed.items():
        question = by_question.get(column, column)
        unique = [c for c, q in by_question.items() if q == question] == [column]
        hints.append(f'--metric "{metric}={question if unique else column}"')
    suggestion = f" Questions that look like metrics: {'; '.join(hints[:4])}." if hints else ""
    return (
        f"{survey.file}: say which questions are satisfaction metrics, with --metric METRIC=QUESTION "
        f"(METRIC is {metric_choices()}) or [[metrics]] in a map.{suggestion}"
    )


def _values_for(imap: ImportMap, survey: SurveyTable, column: str) -> dict:
    """The map's [values] for a column, named by column name or question text."""
    recodes: dict = {}
    for source, table in imap.values.items():
        if source in (column, survey.questions.get(column)) or _loose(source) in (
            _loose(column),
            _loose(survey.questions.get(column, "")),
        ):
            recodes.update(table)
    return recodes


def _recode_text(cells: pd.Series, recodes: dict) -> pd.Series:
    """Apply a map's [values] to a column that is not a score ("2" → "Students")."""
    keyed = {answer_key(k): v for k, v in recodes.items()}

    def recode(value: str) -> str:
        new = keyed.get(answer_key(value))
        if new is None:
            return value
        return repr(new).removesuffix(".0") if isinstance(new, float) else str(new)

    codes, uniques = pd.factorize(cells)
    lookup = np.array([recode(u) for u in uniques] + [""], dtype=object)
    return pd.Series(lookup[codes], index=cells.index)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40].strip("-")


def _melt_metrics(survey, frame, rows, base, metrics, imap, scales, id_prefix):
    """One responses row per metric answered, each with its own response_id."""
    parts, positions, scores = [], [], []
    labels: list[np.ndarray] = []
    suffixes = _suffixes(metrics)
    source_ids = base["source_id"] if "source_id" in base else None
    for metric, suffix in zip(metrics, suffixes, strict=True):
        spec = metric.spec
        text = frame[metric.column].astype(str).str.strip()
        default = scales.get(spec.metric)
        scale = spec.scale or default
        size = int(scale[1] - scale[0] + 1) if scale else None
        numbers, bad, found, _ = recode_answers(
            text, values=_values_for(imap, survey, metric.column), size=size
        )
        answered = text.ne("").to_numpy()
        where = np.flatnonzero(answered)
        part = base.iloc[where].copy()
        part["metric"] = spec.metric
        codes, uniques = pd.factorize(numbers.iloc[where])  # a few scores, many rows
        spelled = [repr(float(v)).removesuffix(".0") for v in uniques]
        part["score"] = np.array([*spelled, ""], dtype=object)[codes]
        low, high = spec.scale or found or default or (None, None)
        if low is not None:
            part["scale_min"] = repr(float(low)).removesuffix(".0")
            part["scale_max"] = repr(float(high)).removesuffix(".0")
        if spec.touchpoint is not None:
            part["touchpoint"] = spec.touchpoint
        if "response_id" in base:
            ids = base["response_id"].iloc[where].astype(str)
        elif source_ids is not None:
            ids = source_ids.iloc[where].astype(str)
        else:
            ids = pd.Series([""] * len(where), index=part.index)
        missing = ids.str.strip().eq("").to_numpy()
        ids = ids.to_numpy(dtype=object)
        if missing.any():
            ids[missing] = np.char.add(f"{id_prefix}-", rows[where[missing]].astype(str)).astype(
                object
            )
        part["response_id"] = np.char.add(ids.astype(str), f"-{suffix}").astype(object)
        parts.append(part)
        positions.append(where)
        scores.append((bad[where], text.iloc[where].to_numpy(), metric))
        labels.append(np.full(len(where), metric.label, dtype=object))
    body = pd.concat(parts, ignore_index=True).fillna("") if parts else base.iloc[:0]
    position = np.concatenate(positions) if positions else np.zeros(0, dtype=int)
    origin = {
        "score": np.concatenate(labels) if labels else np.zeros(0, dtype=object),
        "metric": np.concatenate(labels) if labels else np.zeros(0, dtype=object),
    }
    out = Collector(_where_of(survey, rows, position), len(body), survey.file)
    offset = 0
    for bad, text, metric in scores:
        mask = np.zeros(len(body), dtype=bool)
        mask[offset : offset + len(bad)] = bad
        values = np.empty(len(body), dtype=object)
        values[offset : offset + len(bad)] = text
        column = metric.column
        out.rows(
            mask,
            metric.label,
            values,
            "is not a number, a numbered label or an answer on a standard scale",
            lambda v, c=column: (
                f'Add it {imap.where("values")}: [values."{c}"] "{v}" = NUMBER, or fix the cell'
            ),
        )
        offset += len(bad)
    return body, position, origin, out


def _suffixes(metrics: list[_Metric]) -> list[str]:
    """What tells one response's rows apart: the metric, and its touchpoint if repeated."""
    names = [m.spec.metric for m in metrics]
    out = []
    for m in metrics:
        suffix = m.spec.metric
        if names.count(m.spec.metric) > 1:
            suffix += "-" + _slug(m.spec.touchpoint or m.column)
        out.append(suffix)
    if len(set(out)) < len(out):
        out = [f"{s}-{i + 1}" for i, s in enumerate(out)]
    return out


def _explode_needs(survey, frame, base, need_source, imap):
    """One stated_needs row per chosen need (or per free-text answer)."""
    n = len(frame)
    recode = {}
    if need_source in survey.groups:
        members = survey.groups[need_source]
        picks = []
        for member in members:
            cells = frame[member.column].astype(str).str.strip()
            if member.kind == "flag":
                hit = cells.str.lower().isin(TRUTHY).to_numpy()
                answers = np.full(n, member.option, dtype=object)
            else:
                hit = cells.ne("").to_numpy()
                answers = cells.to_numpy(dtype=object)
            picks.append((member, hit.copy(), answers))
            recode.update(_values_for(imap, survey, member.column))
        # "Other" ticked and "Other" typed (Qualtrics Q5_4 and Q5_4_TEXT) is one need: the text.
        for member, hit, answers in picks:
            typed = np.zeros(n, dtype=bool)
            for other, other_hit, other_answers in picks:
                if other is not member and other.option.lower() == member.option.lower():
                    typed |= other_hit & (other_answers != other.option)
            hit &= ~(typed & (answers == member.option))
        chosen_lists = [[] for _ in range(n)]
        for _, hit, answers in picks:
            for i in np.flatnonzero(hit):
                chosen_lists[i].append(answers[i])
        recode.update({k: v for k, v in imap.values.get(need_source, {}).items()})
        chosen = pd.Series(chosen_lists, index=frame.index, dtype=object)
    else:
        cells = frame[need_source].astype(str).str.strip()
        recode = _values_for(imap, survey, need_source)
        spec = _multi_for(imap, survey, need_source)
        if spec is not None:
            chosen = split_choices(cells, separator=spec.separator, options=spec.options)
        else:
            chosen = cells.map(lambda c: [c] if c else [])
        if need_source in survey.other_text:
            # "Other" among the choices stands for what was typed in its text column.
            options, text_column = survey.other_text[need_source]
            other = {o.lower() for o in options}
            typed = frame[text_column].astype(str).str.strip().to_numpy()
            chosen = pd.Series(
                [
                    [typed[i] if a.lower() in other and typed[i] else a for a in answers]
                    for i, answers in enumerate(chosen)
                ],
                index=frame.index,
                dtype=object,
            )
    lengths = chosen.map(len).to_numpy(dtype=np.int64)
    positions = np.repeat(np.arange(n), lengths)
    body = base.iloc[positions].reset_index(drop=True)
    needs = [answer for answers in chosen for answer in answers]
    if recode:
        keyed = {answer_key(k): str(v) for k, v in recode.items()}
        needs = [keyed.get(answer_key(a), a) for a in needs]
    body["need"] = pd.Series(needs, dtype=object) if needs else pd.Series([], dtype=object)
    return body, positions


def _multi_for(imap: ImportMap, survey: SurveyTable, column: str) -> MultiSpec | None:
    """How a joined multi-select column splits: the map's [multi], else the tool's habit."""
    for source, spec in imap.multi.items():
        if source in (column, survey.questions.get(column)) or _loose(source) in (
            _loose(column),
            _loose(survey.questions.get(column, "")),
        ):
            separator = spec.separator or survey.joined.get(column)
            return MultiSpec(separator=separator, options=spec.options)
    if column in survey.joined:
        return MultiSpec(separator=survey.joined[column] or None)
    if survey.joins:
        separator = None if survey.joins == "auto" else survey.joins
        if looks_joined(survey.frame[column], separator):
            return MultiSpec(separator=separator)
    return None


# ----------------------------------------------------------------------------- readers' helpers


def looks_joined(cells: pd.Series, separator: str | None = None) -> bool:
    """Say whether a column's cells look like multi-select choices joined by ``separator``.

    True when some cell holds two or more pieces and most filled cells are made of
    pieces that recur across cells (choices do; free text rarely does).

    >>> looks_joined(pd.Series(["Milk;Bread;", "Bread;", "Milk;Rent;", "Rent;"]), ";")
    True
    >>> looks_joined(pd.Series(["I need milk, and bread", "Rent help", "More hours, please"]))
    False
    """
    text = cells.astype(str).str.strip()
    filled = text[text.ne("")]
    if len(filled) < 2:
        return False
    distinct = filled.value_counts()
    if separator is None:
        separator = ";" if filled.str.contains(";", regex=False).any() else ","
    sep = separator.strip() or " "
    counts: dict[str, int] = {}
    split = {}
    for cell, n in distinct.items():
        parts = [p.strip().lower() for p in cell.split(sep) if p.strip()]
        split[cell] = parts
        for p in set(parts):
            counts[p] = counts.get(p, 0) + int(n)
    several = [(split[cell], int(n)) for cell, n in distinct.items() if len(split[cell]) >= 2]
    if not any(all(counts[x] >= 2 for x in parts) for parts, _ in several):
        return False
    # Choices come first; only the last piece may be an "Other" answer of one's own.
    regular = sum(n for parts, n in several if all(counts[x] >= 2 for x in parts[:-1]))
    return regular >= 0.6 * sum(n for _, n in several)


def unique_names(names: list[str]) -> list[str]:
    """Make column names unique by numbering repeats: "Other", "Other (2)"."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def body_of(grid, *, header_rows: int, columns: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The data rows under a file's header rows, named, with their spreadsheet rows.

    Rows with no value are dropped; columns with no header and no value too.
    """
    cells = grid.cells.iloc[header_rows:, : len(columns)]
    rows = np.arange(header_rows, len(grid.cells)) + grid.first_row
    stripped = {i: strip_cells(cells[c].astype(str)) for i, c in enumerate(cells.columns)}
    filled = np.zeros(len(cells), dtype=bool)
    keep_columns = []
    for i, text in stripped.items():
        has = text.ne("").to_numpy()
        filled |= has
        if columns[i] or has.any():
            keep_columns.append(i)
    frame = pd.DataFrame(
        {columns[i] or f"(column {i + 1})": stripped[i].to_numpy()[filled] for i in keep_columns}
    )
    return frame, rows[filled]


def survey_of(
    grid, tool: str, headers: list[str], *, header_rows: int = 1, questions=None, **details
) -> SurveyTable:
    """A tool's export read from its grid: the rows under its header rows, named.

    The columns are named by ``headers`` (repeats numbered, see :func:`unique_names`);
    ``questions`` gives each its question text (default: its name; columns the file
    does not keep are dropped) and ``details`` are added to the file's.
    """
    columns = unique_names(headers)
    frame, rows = body_of(grid, header_rows=header_rows, columns=columns)
    asked = {c: c for c in frame.columns} if questions is None else questions
    return SurveyTable(
        frame=frame,
        rows=rows,
        header_row=grid.first_row + header_rows - 1,
        file=grid.file,
        format=tool,
        questions={c: q for c, q in asked.items() if c in frame},
        details={**grid.details, **details},
    )


def wrong_format(file: str, head: list[list[str]], container: str, *, tried: str, expected: str):
    """The error for a file that is not the named (or detected) tool's export."""
    from toolkit.sources.detect import describe_head, detect_head

    found = detect_head(head, container)
    if found.format != tried and found.format in (
        "qualtrics",
        "surveymonkey",
        "google-forms",
        "ms-forms",
        "kobo",
    ):
        hint = (
            f"It looks like a {found.format} export ({found.reason}): use --source "
            f"{found.format}, or leave --source out to detect it."
        )
    else:
        hint = (
            "Check you chose the right file and that it is the tool's own export, unedited; "
            "or read it as a plain spreadsheet with --source csv (or xlsx)."
        )
    return DataValidationError(
        f"{file}: could not be read as a {tried} export. Expected {expected}; found "
        f"{describe_head(head)}. {hint}"
    )


def grid_head(grid, rows: int = 4) -> list[list[str]]:
    """A grid's first rows as lists of trimmed text (for detection and messages)."""
    top = grid.cells.iloc[:rows]
    return [[str(c).strip() for c in row] for row in top.itertuples(index=False)]
