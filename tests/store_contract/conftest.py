"""The ``store`` fixture, run once per backend.

A backend registers itself in :data:`BACKENDS`: a name and a function making a new,
empty store (with the starter codebook) in a folder, plus one reopening it by its path
(the concurrency tests reopen the store in other processes). SQLite, and PostgreSQL
(:mod:`toolkit.store_pg`) against the server ``.ci/run`` starts: without one the
PostgreSQL runs skip, and under ``CI=true`` they fail (tests/_postgres.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests._postgres import drop_schema, new_schema, postgres_url
from toolkit.store import Engagement


def _sqlite_new(folder: Path):
    return Engagement.init(folder, name="Riverside")


def _sqlite_open(folder: Path):
    return Engagement.open(folder)


_SCHEMAS: list[str] = []


def _postgres_new(folder: Path):
    _SCHEMAS.append(new_schema())
    return Engagement.init(folder, name="Riverside", store=postgres_url(), schema=_SCHEMAS[-1])


#: name -> (make a new store in a folder, reopen a store by its folder)
BACKENDS: dict[str, tuple[Callable[[Path], object], Callable[[Path], object]]] = {
    "sqlite": (_sqlite_new, _sqlite_open),
    "postgresql": (_postgres_new, _sqlite_open),  # opening reads the folder's [store]
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request) -> str:
    if request.param == "postgresql":
        url = postgres_url()  # skips (or, under CI=true, fails) without a server
        yield request.param
        while _SCHEMAS:
            drop_schema(url, _SCHEMAS.pop())
        return
    yield request.param


@pytest.fixture
def store(backend, tmp_path):
    """A new, empty store of each backend (the starter codebook in it)."""
    return BACKENDS[backend][0](tmp_path / "store")


@pytest.fixture
def new_store(backend, tmp_path):
    """Make further stores of the same backend: ``new_store("other")``."""
    return lambda name: BACKENDS[backend][0](tmp_path / name)


@pytest.fixture
def reopen(backend):
    """Open a store of the same backend by its folder (what another process does)."""
    return BACKENDS[backend][1]
