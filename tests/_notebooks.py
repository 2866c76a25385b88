"""Helpers the notebook tests share: running notebooks, reading outputs, pointing a
notebook at an engagement."""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
from collections.abc import Callable, Iterator, Mapping
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


def execute(notebook: Path, folder: str, out: str, parameters: dict) -> dict:
    """Run a notebook with papermill (``interactive`` false unless given).

    Returns ``{"path": out}``, or ``{"error": (ename, evalue, cell_index)}`` when a cell
    failed. A module-level function, so a process pool can run it.
    """
    import papermill as pm

    parameters = {"interactive": False, **parameters}
    try:
        pm.execute_notebook(
            str(notebook),
            out,
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=folder,
            execution_timeout=300,
        )
    except pm.PapermillExecutionError as err:
        return {"error": (err.ename, err.evalue, err.cell_index)}
    return {"path": out}


@contextlib.contextmanager
def parallel_runs(
    notebook: Path, folder: Path, plans: Mapping[str, dict], *, workers: int = 2
) -> Iterator[Callable[[str], object]]:
    """Start every planned run at once, two at a time, in separate processes.

    Yields ``result(name)``: the executed notebook, or the ``(ename, evalue, cell)`` of a
    failed cell; it waits for that run only.
    """
    pool = concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn")
    )
    futures = {
        name: pool.submit(execute, notebook, str(folder), str(folder / f"{name}.ipynb"), params)
        for name, params in plans.items()
    }

    def result(name: str):
        done = futures[name].result(timeout=600)
        if "error" in done:
            return done["error"]
        return nbformat.read(done["path"], as_version=4)

    try:
        yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def toolkit_metadata(output: dict) -> dict:
    """An output's ``service_toolkit`` metadata, at the top or under its mimetype."""
    meta = output.get("metadata", {}) or {}
    if "service_toolkit" in meta:
        return meta["service_toolkit"]
    for value in meta.values():
        if isinstance(value, dict) and "service_toolkit" in value:
            return value["service_toolkit"]
    return {}


def opening(nb: nbformat.NotebookNode) -> tuple[str, list[dict], str]:
    """The report's context line, its findings (as data) and its *About* table.

    Checks the order a report notebook opens in: the context line is the first output,
    the findings the second (their metadata at the top level, as the exports read it),
    and the *About this report* table the last.
    """
    shown = outputs(nb)
    first, second, last = shown[0], shown[1], shown[-1]
    assert "header" in toolkit_metadata(first), first
    assert "findings" in second.get("metadata", {}).get("service_toolkit", {}), second
    assert "about" in toolkit_metadata(last), last
    return (
        first["data"]["text/markdown"],
        second["metadata"]["service_toolkit"]["findings"],
        last["data"]["text/markdown"],
    )
