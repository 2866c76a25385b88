"""Import maps: a TOML file saying how one recurring survey's export becomes canonical rows.

A map is made once (by hand, by ``import --save-map`` or by the planner's import wizard)
and reused every wave::

    table = "responses"
    source = "qualtrics"            # auto qualtrics surveymonkey google-forms ms-forms kobo csv xlsx
    date_order = "mdy"              # optional: dmy mdy ymd

    [columns]                       # field = column name or question text
    submitted_on = "RecordedDate"
    segment = "Which of these best describes you?"
    campus = "Q7"                   # not a field: kept as the attribute "campus"

    [constants]                     # field = the same value on every row
    wave = "2024 Q1"

    [[metrics]]                     # one responses row per metric answered
    metric = "csat"
    column = "How satisfied were you with the front desk?"
    scale = [1, 5]                  # optional
    touchpoint = "Front desk"       # optional

    [values."How satisfied were you with the front desk?"]
    "Extremely happy" = 5           # label = number (or text, for a need)

    [multi."Which of these do you need?"]
    separator = ";"                 # how one cell's choices are joined
    options = ["Milk", "Fresh fruit"]  # optional: the choices, so an "Other" answer with a comma stays whole

    [personal]                      # attribute column = true, false or "quasi": overrides the automatic flag
    "Campus name" = false           # not a person's name: usable by --each, --by and exports
    "Q12" = true                    # identifies people: kept out unless --include-personal
    "Suburb" = "quasi"              # narrows people down: also usable by table --by (min_n applies)

This module reads, checks and writes maps; applying one to a file is
:mod:`toolkit.sources.survey`'s job.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from toolkit.errors import DataValidationError
from toolkit.schema.tables import METRICS, table_named
from toolkit.sources.registry import FORMATS, check_format

__all__ = [
    "ImportMap",
    "MetricSpec",
    "MultiSpec",
    "FORMATS",
    "check_format",
    "read_map",
    "saved_maps",
    "write_map",
    "render_map",
    "map_path",
    "parse_assignment",
    "closest",
]

DATE_ORDERS = ("dmy", "mdy", "ymd")
_TOP_KEYS = ("table", "source", "date_order", "sheet", "encoding", "delimiter")
_SECTIONS = ("columns", "constants", "metrics", "values", "multi", "personal")
_METRIC_KEYS = ("metric", "column", "scale", "touchpoint")
_MULTI_KEYS = ("separator", "options")


@dataclass
class MetricSpec:
    """One satisfaction question: which metric it measures, and where."""

    metric: str
    column: str
    scale: tuple[float, float] | None = None
    touchpoint: str | None = None


@dataclass
class MultiSpec:
    """How one multi-select answer splits into its choices."""

    separator: str | None = None
    options: tuple[str, ...] = ()


@dataclass
class ImportMap:
    """An import map: the content of a map file, or of the import command's flags.

    ``columns`` maps a canonical field (or an attribute's new name) to a source column
    or question text; ``constants`` gives a field one value for every row; ``values``
    recodes answer labels per source column; ``multi`` says how multi-select cells split;
    ``personal`` sets attribute columns personal (True) or not (False) whatever their
    header or values say (:mod:`toolkit.schema.personal`). A map with only ``personal``
    counts as empty: the file is still read as a filled template.
    """

    table: str | None = None
    source: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    metrics: list[MetricSpec] = field(default_factory=list)
    values: dict[str, dict[str, float | str]] = field(default_factory=dict)
    multi: dict[str, MultiSpec] = field(default_factory=dict)
    personal: dict[str, bool | str] = field(default_factory=dict)
    date_order: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    name: str | None = None  # the file it was read from, for messages

    @property
    def empty(self) -> bool:
        return not (self.columns or self.constants or self.metrics or self.values or self.multi)

    def where(self, section: str) -> str:
        """Word where a name came from or a fix goes: 'under [values] in maps/q3.toml'."""
        if self.name:
            return f"under [{section}] in {self.name}"
        if section in ("columns", "metrics"):
            return f"with --{section[:-1]}"
        return f"in a map's [{section}] (pass it with --map)"


def closest(name: str, choices, limit: int = 3) -> list[str]:
    """The ``limit`` choices most like ``name`` (rapidfuzz WRatio), best first."""
    choices = [c for c in dict.fromkeys(choices) if c]
    if not choices:
        return []
    found = process.extract(str(name), choices, limit=limit)
    return [c for c, score, _ in found if score >= 40] or [c for c, _, _ in found[:1]]


def _bad(name: str, message: str, fix: str) -> DataValidationError:
    return DataValidationError(f"{name}: {message}. {fix}.")


def _unknown_key(name, where, key, valid) -> DataValidationError:
    near = min(valid, key=lambda v: Levenshtein.distance(key, v))
    hint = f' (did you mean "{near}"?)' if Levenshtein.distance(key, near) <= 3 else ""
    return _bad(
        name,
        f'{where} has an unknown key "{key}"{hint}',
        "The keys it may have are: " + ", ".join(valid),
    )


def _text(name, where, value) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _bad(name, f"{where} is {value!r}", "Write it as text in double quotes")
    return str(value)


def map_path(name: str | Path, engagement_path: str | Path | None) -> Path:
    """Find a map: a path to a TOML file, or a name saved in the engagement's ``maps/``.

    Raises
    ------
    DataValidationError
        No such file; the message lists the maps the engagement has.
    """
    given = Path(name)
    candidates = [given]
    if engagement_path is not None and given.parent == Path("."):
        maps = Path(engagement_path) / "maps"
        stem = given.name if given.suffix == ".toml" else given.name + ".toml"
        candidates.append(maps / stem)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    saved = saved_maps(engagement_path) if engagement_path is not None else []
    listed = (
        "The engagement's saved maps are: " + ", ".join(saved)
        if saved
        else "The engagement has no saved maps yet (save one with --save-map NAME)"
    )
    raise DataValidationError(f"{name}: no such map file. {listed}.")


def saved_maps(engagement_path: str | Path) -> list[str]:
    """The names of the maps saved in an engagement's ``maps/`` folder, sorted."""
    folder = Path(engagement_path) / "maps"
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def read_map(path: str | Path) -> ImportMap:
    """Read and check an import map.

    Raises
    ------
    DataValidationError
        Not TOML, or a key, table, metric, scale or date order that is not allowed; the
        message names the place in the file and what is allowed.
    """
    path = Path(path)
    name = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as err:
        raise DataValidationError(f"{name}: cannot be read ({err.strerror}).") from err
    except tomllib.TOMLDecodeError as err:
        raise _bad(
            name, f"is not valid TOML ({err})", "Check the quotes and brackets on that line"
        ) from err
    result = parse_map(data, name=name)
    result.name = name
    return result


def parse_map(data: dict, *, name: str = "the map") -> ImportMap:
    """Check a map's content (as ``tomllib`` reads it) and return it as an ImportMap."""
    for key in data:
        if key not in _TOP_KEYS + _SECTIONS:
            raise _unknown_key(name, "the map", key, _TOP_KEYS + _SECTIONS)
    out = ImportMap()
    if "table" in data:
        try:
            out.table = table_named(_text(name, "table", data["table"])).name
        except DataValidationError as err:
            raise DataValidationError(f"{name}: {err}") from err
    if "source" in data:
        out.source = check_format(_text(name, "source", data["source"]), name)
    if "date_order" in data:
        order = _text(name, "date_order", data["date_order"]).lower()
        if order not in DATE_ORDERS:
            raise _bad(name, f'date_order is "{order}"', "Use one of: " + ", ".join(DATE_ORDERS))
        out.date_order = order
    for key in ("sheet", "encoding", "delimiter"):
        if key in data:
            setattr(out, key, _text(name, key, data[key]))
    for section in ("columns", "constants"):
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise _bad(
                name,
                f"{section} is not a table",
                f"Write it as [{section}] with lines field = value",
            )
        getattr(out, section).update(
            {str(k): _text(name, f"[{section}] {k}", v) for k, v in table.items()}
        )
    metrics = data.get("metrics", [])
    if not isinstance(metrics, list):
        raise _bad(name, "metrics is not a list of tables", "Write each one as [[metrics]]")
    for i, spec in enumerate(metrics, 1):
        out.metrics.append(_metric(spec, f"[[metrics]] number {i}", name))
    out.personal = _personal(data.get("personal", {}), name)
    values = data.get("values", {})
    if not isinstance(values, dict):
        raise _bad(
            name,
            "values is not a table",
            'Write it as [values."COLUMN"] with lines "label" = number',
        )
    for column, recodes in values.items():
        if not isinstance(recodes, dict):
            raise _bad(
                name,
                f'[values] "{column}" is not a table of recodes',
                f'Write it as [values."{column}"] with lines "label" = number',
            )
        checked = {}
        for label, number in recodes.items():
            if isinstance(number, bool) or not isinstance(number, int | float | str):
                raise _bad(
                    name,
                    f'[values."{column}"] "{label}" is {number!r}',
                    "Give a number (or text, to rename an answer)",
                )
            checked[str(label)] = number
        out.values[str(column)] = checked
    multi = data.get("multi", {})
    if not isinstance(multi, dict):
        raise _bad(
            name, "multi is not a table", 'Write it as [multi."COLUMN"] with separator = ";"'
        )
    for column, spec in multi.items():
        if not isinstance(spec, dict):
            raise _bad(
                name,
                f'[multi] "{column}" is not a table',
                'Write it as [multi."COLUMN"] with separator = ";"',
            )
        for key in spec:
            if key not in _MULTI_KEYS:
                raise _unknown_key(name, f'[multi."{column}"]', key, _MULTI_KEYS)
        options = spec.get("options", [])
        if not isinstance(options, list):
            raise _bad(
                name,
                f'[multi."{column}"] options is not a list',
                'Write it as options = ["Milk", "Fresh fruit"]',
            )
        separator = spec.get("separator")
        out.multi[str(column)] = MultiSpec(
            separator=None
            if separator is None
            else _text(name, f'[multi."{column}"] separator', separator),
            options=tuple(_text(name, f'[multi."{column}"] options', o) for o in options),
        )
    return out


def _personal(table, name: str) -> dict[str, bool | str]:
    """``[personal]``: attribute column = true, false or "quasi"."""
    fix = 'Write it as [personal] with lines "COLUMN" = true, false or "quasi"'
    if not isinstance(table, dict):
        raise _bad(name, "personal is not a table", fix)
    for column, value in table.items():
        if not isinstance(value, bool) and value != "quasi":
            raise _bad(name, f'[personal] "{column}" is {value!r}, not true, false or "quasi"', fix)
    return {str(k): v for k, v in table.items()}


def _metric(spec, where: str, name: str) -> MetricSpec:
    if not isinstance(spec, dict):
        raise _bad(
            name, f"{where} is not a table", "Write metric = ... and column = ... under [[metrics]]"
        )
    for key in spec:
        if key not in _METRIC_KEYS:
            raise _unknown_key(name, where, key, _METRIC_KEYS)
    for key in ("metric", "column"):
        if key not in spec:
            raise _bad(name, f"{where} has no {key}", f"Add {key} = ... to it")
    metric = _text(name, f"{where} metric", spec["metric"]).strip().lower()
    if metric not in METRICS:
        raise _bad(name, f'{where} has metric "{metric}"', "Use one of: " + ", ".join(METRICS))
    scale = spec.get("scale")
    if scale is not None:
        ok = (
            isinstance(scale, list)
            and len(scale) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in scale)
            and scale[0] < scale[1]
        )
        if not ok:
            raise _bad(
                name,
                f"{where} has scale {scale!r}",
                "Write it as [lowest, highest], such as [1, 5]",
            )
        scale = (float(scale[0]), float(scale[1]))
    touchpoint = spec.get("touchpoint")
    return MetricSpec(
        metric=metric,
        column=_text(name, f"{where} column", spec["column"]),
        scale=scale,
        touchpoint=None if touchpoint is None else _text(name, f"{where} touchpoint", touchpoint),
    )


def parse_assignment(text: str, flag: str) -> tuple[str, str]:
    """Split a ``FIELD=SOURCE`` flag value; SOURCE may itself contain "=".

    >>> parse_assignment("segment=Which best describes you?", "--column")
    ('segment', 'Which best describes you?')
    """
    name, sep, source = str(text).partition("=")
    if not sep or not name.strip() or not source.strip():
        raise DataValidationError(
            f'{flag} "{text}": write it as {flag} FIELD=SOURCE, where SOURCE is the column name '
            'or the question text, such as --metric "csat=How satisfied were you?".'
        )
    return name.strip(), source.strip()


# ----------------------------------------------------------------------------- writing


def _quote(text: object) -> str:
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def _key(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else _quote(text)


def _value(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return _quote(value)


def render_map(m: ImportMap, *, comment: str = "") -> str:
    """Write a map as TOML text that :func:`read_map` reads back to the same map."""
    lines = [f"# {line}" for line in comment.splitlines()]
    for key in _TOP_KEYS:
        value = getattr(m, key)
        if value is not None:
            if key == "table":
                value = table_named(value).cli_name
            lines.append(f"{key} = {_value(value)}")
    for section in ("columns", "constants"):
        entries = getattr(m, section)
        if entries:
            lines += ["", f"[{section}]"] + [f"{_key(k)} = {_value(v)}" for k, v in entries.items()]
    for spec in m.metrics:
        lines += [
            "",
            "[[metrics]]",
            f"metric = {_value(spec.metric)}",
            f"column = {_value(spec.column)}",
        ]
        if spec.scale is not None:
            lines.append(f"scale = {_value(list(spec.scale))}")
        if spec.touchpoint is not None:
            lines.append(f"touchpoint = {_value(spec.touchpoint)}")
    for column, recodes in m.values.items():
        lines += ["", f"[values.{_quote(column)}]"] + [
            f"{_quote(k)} = {_value(v)}" for k, v in recodes.items()
        ]
    for column, spec in m.multi.items():
        lines += ["", f"[multi.{_quote(column)}]"]
        if spec.separator is not None:
            lines.append(f"separator = {_value(spec.separator)}")
        if spec.options:
            lines.append(f"options = {_value(list(spec.options))}")
    lines += _personal_lines(m.personal)
    return "\n".join(lines).lstrip("\n") + "\n"


def _personal_lines(personal: dict[str, bool | str]) -> list[str]:
    lines = [
        f"{_key(k)} = {_value(v) if isinstance(v, str) else str(v).lower()}"
        for k, v in personal.items()
    ]
    return ["", "[personal]", *lines] if lines else []


def write_map(m: ImportMap, path: str | Path, *, comment: str = "") -> Path:
    """Write a map file (replacing one of the same name) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_map(m, comment=comment)
    parse_map(tomllib.loads(text), name=str(path))  # what is written must read back
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
