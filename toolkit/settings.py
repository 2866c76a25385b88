"""engagement.toml: an engagement's name, organisation and settings.

A command-line or notebook parameter overrides the file for one run; the file
overrides the built-in defaults below.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from toolkit.errors import StoreError

__all__ = [
    "CADENCES",
    "DEFAULTS",
    "defaults",
    "load_settings",
    "render_toml",
    "PRIORITY_CRITERIA",
]

#: How often a metric can be asked (``[settings.evaluate_every]``), in months.
CADENCES = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}

PRIORITY_CRITERIA = (
    "mission_alignment",
    "clout",
    "resource_control",
    "history",
    "alternatives",
    "mandate",
)

#: Every setting with its default, in the order engagement.toml lists them.
DEFAULTS: dict = {
    "name": "",
    "organisation": "",
    "settings": {
        "confidence": 0.95,
        "min_n": 5,
        # The staff side's own small-group rule (needs gap): 5 keeps the demos' whole-
        # organisation comparisons (8 and 10 staff) and hides a 2-person Board list.
        "min_staff_n": 5,
        "top_box": 2,
        "fiscal_year_start": 1,
        "week": "iso",
        "timezone": "UTC",
        # One [lowest, highest] per metric. The metrics registry (toolkit.schema.metrics,
        # a layer above) owns each metric's default: the store passes them in as
        # ``scales=`` to load_settings and render_toml.
        "scales": {},
        "ces": {"scale_min": 1, "scale_max": 7, "direction": "higher is easier", "method": "mean"},
        "weights": {name: 1.0 for name in PRIORITY_CRITERIA},
        "segments": {"order": [], "colours": {}},
        # How much of a file an import reads (toolkit.sources.limits says what each
        # bounds); `import --limit NAME=N` raises one for one import.
        "limits": {"cells": 40_000_000, "columns": 16_384, "line_mb": 4, "text_ratio": 10},
    },
}

_COMMENTS = {
    "confidence": "confidence level of every interval",
    "min_n": "groups smaller than this are suppressed in reports",
    "min_staff_n": "staff shares from fewer staff than this are suppressed (counts stay)",
    "top_box": "top-box share counts the top this-many answers",
    "fiscal_year_start": "month the fiscal year starts (1 = January)",
    "week": "week numbering: iso",
    "timezone": "time zone dates are reported in",
    "scales": "default scale of each metric: [lowest, highest]",
    "ces": "customer effort score convention",
    "weights": "weights of the six priority criteria",
    "segments": "segment order and colours on charts",
    "limits": "how much of a file an import reads; raise one if a real file is refused",
}


def _merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def defaults(scales: Mapping[str, Sequence[float]] | None = None) -> dict:
    """Every setting at its default, with ``scales`` as the metrics' default scales.

    >>> defaults({"csat": (1, 5)})["settings"]["scales"]
    {'csat': [1, 5]}
    """
    base = copy.deepcopy(DEFAULTS)
    base["settings"]["scales"] = {m: list(scale) for m, scale in (scales or {}).items()}
    return base


def load_settings(path: Path, *, scales: Mapping[str, Sequence[float]] | None = None) -> dict:
    """Read an engagement.toml, filled in with defaults and checked.

    ``scales`` gives each metric's default scale (the metrics registry's); the file's
    ``[settings.scales]`` overrides them.

    Raises
    ------
    StoreError
        The file is missing, is not valid TOML, or holds a value of the wrong kind;
        the message names the file, the key, the value and what is expected.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise StoreError(
            f"{path.parent}: is not an engagement (no engagement.toml). "
            f"Create one with: service-toolkit init {path.parent}"
        ) from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise StoreError(f"{path}: is not valid TOML ({err}). Fix the file and try again.") from err
    merged = _merge(defaults(scales), data)
    _check(path, merged)
    return merged


def _check(path: Path, data: dict) -> None:
    s = data["settings"]

    def bad(key: str, expected: str):
        value = key.split(".")
        node = s
        for part in value:
            node = node.get(part) if isinstance(node, dict) else None
        return StoreError(
            f"{path}: settings.{key} = {node!r} is not valid: expected {expected}. "
            "Fix the value or delete the line to use the default."
        )

    if not isinstance(s["confidence"], float | int) or not 0 < s["confidence"] < 1:
        raise bad("confidence", "a number between 0 and 1, such as 0.95")
    for key in ("min_n", "min_staff_n", "top_box"):
        if not isinstance(s[key], int) or s[key] < 1:
            raise bad(key, "a whole number of at least 1")
    if not isinstance(s["fiscal_year_start"], int) or not 1 <= s["fiscal_year_start"] <= 12:
        raise bad("fiscal_year_start", "a month number from 1 to 12")
    for metric, scale in s["scales"].items():
        ok = (
            isinstance(scale, list)
            and len(scale) == 2
            and all(isinstance(v, int | float) for v in scale)
        )
        if not ok or scale[0] >= scale[1]:
            raise bad(f"scales.{metric}", "[lowest, highest], such as [1, 5]")
    for name, weight in s["weights"].items():
        if name not in PRIORITY_CRITERIA:
            raise bad(f"weights.{name}", "one of the criteria " + ", ".join(PRIORITY_CRITERIA))
        if not isinstance(weight, int | float) or weight < 0:
            raise bad(f"weights.{name}", "a number of 0 or more")
    _check_limits(s["limits"], bad)
    _check_population(s.get("population", {}), bad)
    _check_evaluate_every(s.get("evaluate_every", {}), bad)
    order = s["segments"].get("order", [])
    if not isinstance(order, list) or not all(isinstance(v, str) for v in order):
        raise bad("segments.order", 'a list of segment names, such as ["Residents", "Businesses"]')


def _check_population(population, bad) -> None:
    """``[settings.population.VARIABLE]``: each group's size, for participation and weights."""
    if not isinstance(population, dict):
        raise bad("population", "tables such as [settings.population.segment]")
    for variable, groups in population.items():
        if not isinstance(groups, dict):
            raise bad(
                f"population.{variable}",
                f"a table [settings.population.{variable}] of group = size lines",
            )
        for group, size in groups.items():
            if isinstance(size, bool) or not isinstance(size, int | float) or size < 0:
                raise bad(f"population.{variable}.{group}", "a number of people, 0 or more")


def _check_evaluate_every(every, bad) -> None:
    """``[settings.evaluate_every]``: metric = how often it is asked (a key of CADENCES)."""
    if not isinstance(every, dict):
        raise bad("evaluate_every", "a table [settings.evaluate_every] of metric = how often")
    for metric, cadence in every.items():
        if cadence not in CADENCES:
            raise bad(f"evaluate_every.{metric}", "one of " + ", ".join(f'"{c}"' for c in CADENCES))


def _check_limits(limits: dict, bad) -> None:
    for name, value in limits.items():
        if name not in DEFAULTS["settings"]["limits"]:
            raise bad(f"limits.{name}", "one of " + ", ".join(DEFAULTS["settings"]["limits"]))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise bad(f"limits.{name}", "a whole number of at least 1")


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    raise TypeError(f"cannot write {value!r} to TOML")


def _toml_key(key: str) -> str:
    return (
        key
        if key.replace("_", "").replace("-", "").isalnum() and key.isascii()
        else _toml_value(key)
    )


def render_toml(data: dict, *, scales: Mapping[str, Sequence[float]] | None = None) -> str:
    """Write engagement settings as a commented engagement.toml.

    ``scales`` as for :func:`load_settings`: each metric's default, written out so the
    file shows every scale in force.

    >>> import tomllib
    >>> tomllib.loads(render_toml(DEFAULTS)) == DEFAULTS
    True
    """
    data = _merge(defaults(scales), data)
    lines = [
        "# Service Strategy Toolkit engagement. Edit the settings below; delete a line to",
        "# go back to its default. A command-line or notebook parameter overrides them for one run.",
    ]
    for key, value in data.items():
        if key != "settings":
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    lines += ["", "[settings]"]
    settings = data["settings"]
    tables = {k: v for k, v in settings.items() if isinstance(v, dict)}
    for key, value in settings.items():
        if key not in tables:
            comment = f"  # {_COMMENTS[key]}" if key in _COMMENTS else ""
            lines.append(f"{key} = {_toml_value(value)}{comment}")
    for key, table in tables.items():
        lines += ["", f"[settings.{key}]" + (f"  # {_COMMENTS[key]}" if key in _COMMENTS else "")]
        for sub, value in table.items():
            lines.append(f"{_toml_key(sub)} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"
