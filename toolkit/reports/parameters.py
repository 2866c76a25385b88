"""A report notebook's parameters: read from its ``parameters`` cell, checked before any kernel.

Each notebook declares ``name: type = default  # help`` (:func:`notebook_parameters`
reads it without a kernel); values are checked and typed against those declarations
before a kernel starts (:func:`toolkit.reports.runner.run_reports`).
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import DataValidationError

RUNNER_PARAMETERS = ("engagement", "interactive")
"""Parameters the runner sets itself; a user value for them is refused."""

REQUIRED_PARAMETERS = ("engagement", "subset", "interactive")
"""Every report notebook declares these (DESIGN §8)."""


def _read_json(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise DataValidationError(f"{path}: not a readable notebook ({err}).") from err


def _source(cell: Mapping) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


_TYPES = {
    "str": "text",
    "int": "whole number",
    "float": "number",
    "bool": "true or false",
    "dict": "mapping",
    "list": "list",
}


@dataclass(frozen=True)
class Parameter:
    """One parameter as a notebook's parameters cell declares it.

    Attributes
    ----------
    name : str
    type : str or None
        The annotation (``str``, ``int``, ``float``, ``bool``, ``dict``, ``list``);
        None when the line has none (any value is accepted).
    default : Any
        The default value (``ast.literal_eval`` of the source); the source text when it
        is not a literal.
    default_text : str
        The default as written in the notebook.
    help : str
        The line's trailing comment.
    """

    name: str
    type: str | None
    default: Any
    default_text: str
    help: str

    def check(self, value: Any) -> Any:
        """Return ``value`` typed for this parameter, or raise ``ValueError`` saying why."""
        kind = self.type
        if kind is None:
            return value
        if kind == "bool":
            if isinstance(value, bool):
                return value
        elif kind == "int":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
        elif kind == "float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
        elif kind == "str":
            if isinstance(value, str):
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
        elif kind == "dict":
            if isinstance(value, Mapping):
                return dict(value)
        elif kind == "list":
            if isinstance(value, list | tuple):
                return list(value)
        else:
            return value
        raise ValueError(f"expected {_TYPES.get(kind, kind)} ({kind}), got {value!r}")

    def describe(self) -> str:
        kind = f": {self.type}" if self.type else ""
        return f"{self.name}{kind} = {self.default_text}" + (
            f"  ({self.help})" if self.help else ""
        )


def notebook_parameters(notebook: str | os.PathLike) -> dict[str, Parameter]:
    """Read the parameters a notebook declares, without starting a kernel.

    Parameters
    ----------
    notebook : str or path-like
        A ``.ipynb`` file whose cell tagged ``parameters`` holds lines written
        ``name: type = default  # help``.

    Returns
    -------
    dict of str to Parameter
        In the order declared; empty when no cell is tagged ``parameters``.

    Raises
    ------
    DataValidationError
        The notebook cannot be read, or its parameters cell is not valid Python.

    Examples
    --------
    >>> from toolkit._resources import resource_dir
    >>> p = notebook_parameters(resource_dir("notebooks") / "needs_gap.ipynb")["top_k"]
    >>> p.type, p.default, p.help
    ('int', 5, "how many of each side's top needs to compare")
    """
    nb = _read_json(Path(notebook))
    cells = [
        c for c in nb.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    if not cells:
        return {}
    source = _source(cells[0])
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise DataValidationError(
            f"{Path(notebook).name}: the parameters cell is not valid Python (line {err.lineno}: "
            f"{err.msg})."
        ) from err
    comments = {}
    with contextlib.suppress(tokenize.TokenError, IndentationError):
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string.lstrip("#").strip()
    found: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, annotation, value = node.target.id, node.annotation, node.value
            kind = annotation.id if isinstance(annotation, ast.Name) else ast.unparse(annotation)
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            target, kind, value = node.targets[0].id, None, node.value
        else:
            continue
        text = ast.get_source_segment(source, value) if value is not None else "None"
        try:
            default = ast.literal_eval(value) if value is not None else None
        except ValueError:
            default = text
        found[target] = Parameter(target, kind, default, text or "", comments.get(node.lineno, ""))
    return found


def _check_parameters(
    given: Mapping[str, Any], declared: Mapping[str, Mapping[str, Parameter]]
) -> dict[str, dict[str, Any]]:
    """Type ``given`` for each report; raise listing the valid parameters on a problem."""
    problems = []
    for name in given:
        if name in RUNNER_PARAMETERS:
            why = (
                "is the PATH argument"
                if name == "engagement"
                else "is always false for report runs (the runner sets it)"
            )
            problems.append(f"{name}: {why}; leave it out.")
        elif not any(name in params for params in declared.values()):
            close = _close_names(name, {p for params in declared.values() for p in params})
            hint = f" Did you mean {close}?" if close else ""
            problems.append(f"{name}: no report of this run has this parameter.{hint}")
    typed: dict[str, dict[str, Any]] = {report: {} for report in declared}
    for report, params in declared.items():
        for name, value in given.items():
            if name in RUNNER_PARAMETERS or name not in params:
                continue
            try:
                typed[report][name] = params[name].check(value)
            except ValueError as err:
                problems.append(f"{name} ({report}): {err}.")
    if problems:
        listing = "\n".join(
            f"  {report}: "
            + ", ".join(
                f"{p.name} ({p.type or 'any'})"
                for p in params.values()
                if p.name not in RUNNER_PARAMETERS
            )
            for report, params in declared.items()
        )
        raise DataValidationError(
            "Bad report parameters; no report was run.\n  "
            + "\n  ".join(dict.fromkeys(problems))
            + f"\nValid parameters:\n{listing}\n(service-toolkit params NAME explains each.)"
        )
    return typed


def _close_names(name: str, names: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(names), n=2, cutoff=0.6)
    return " or ".join(close)
