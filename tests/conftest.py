"""Shared fixtures: a seeded RNG, an engagement in a temporary folder, file writers."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from toolkit.store import Engagement


@pytest.fixture
def rng():
    return np.random.default_rng(20240307)


@pytest.fixture
def engagement(tmp_path) -> Engagement:
    """A new engagement with the starter codebook, in a temporary folder."""
    return Engagement.init(tmp_path / "riverside", name="Riverside")


@pytest.fixture
def write_csv(tmp_path):
    """Write rows (the first is the header) to a CSV file and return its path."""

    def write(name: str, rows: list[list[object]], *, encoding="utf-8", delimiter=",") -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding=encoding) as fh:
            csv.writer(fh, delimiter=delimiter).writerows(rows)
        return path

    return write


CUSTOMERS = [
    ["customer_id", "name", "kind", "segment", "mission_alignment", "clout", "mandate", "campus"],
    ["residents", "Residents", "external", "Residents", "5", "3", "formal", "North"],
    ["agencies", "Partner agencies", "external", "Partner agencies", "4", "4", "informal", "South"],
    ["intake", "Intake team", "internal", "Staff", "3", "", "none", "North"],
]


@pytest.fixture
def customers_csv(write_csv) -> Path:
    return write_csv("customers.csv", CUSTOMERS)


@pytest.fixture
def run():
    """Invoke the CLI in-process: ``run("status", path)``; a traceback fails the test."""
    from click.testing import CliRunner

    from toolkit.cli import main

    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert "Traceback" not in result.output + result.stderr
        return result

    return invoke


@pytest.fixture
def no_kernels(monkeypatch):
    """Fail the test if anything tries to start a kernel or run papermill."""
    import papermill

    from toolkit.reports import kernels as report_kernels

    def boom(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(report_kernels.KernelForkServer, "start", boom)
    monkeypatch.setattr(papermill, "execute_notebook", boom)
