"""Helpers the notebook tests share: reading outputs, pointing a notebook at an engagement."""

from __future__ import annotations

from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def texts(nb: nbformat.NotebookNode, mime: str) -> list[str]:
    return [o["data"][mime] for o in outputs(nb) if mime in o.get("data", {})]


def narrative(nb: nbformat.NotebookNode) -> str:
    return "\n\n".join(texts(nb, "text/markdown"))


def with_engagement(name: str, folder: Path) -> nbformat.NotebookNode:
    """The notebook ``notebooks/NAME`` with its ``engagement`` parameter set to ``folder``."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    (parameters,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert 'engagement: str = ""' in parameters.source
    parameters.source = parameters.source.replace(
        'engagement: str = ""', f"engagement: str = {str(folder)!r}"
    )
    return nb
