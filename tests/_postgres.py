"""The PostgreSQL server the tests of the PostgreSQL store use, when there is one.

``.ci/run`` starts a throwaway cluster (scripts/postgres-test-cluster.sh) and exports its
URL as ``SERVICE_TOOLKIT_TEST_POSTGRES`` (the password in ``PGPASSWORD``). Without it the
PostgreSQL tests skip with a message; under ``CI=true`` a missing server (or driver) is a
failure, so CI cannot pass without running them.
"""

from __future__ import annotations

import os
import uuid

import pytest

URL_ENV = "SERVICE_TOOLKIT_TEST_POSTGRES"


def postgres_url() -> str:
    """The test server's URL; skips the test without one (fails it under CI=true)."""
    url = os.environ.get(URL_ENV, "").strip()
    why = None
    if not url:
        why = (
            f"no PostgreSQL server for the tests ({URL_ENV} is not set). Start one with: "
            'eval "$(bash scripts/postgres-test-cluster.sh start)"'
        )
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            why = 'the PostgreSQL driver is not installed (pip install -e ".[test,team]")'
    if why is None:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true, and {why}", pytrace=False)
    pytest.skip(why)


def new_schema() -> str:
    """A schema name no other test uses."""
    return "t_" + uuid.uuid4().hex[:16]


def drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def make_engagement(request, backend: str, folder, **options):
    """A new engagement in ``folder`` on ``backend`` (``sqlite`` or ``postgresql``); a
    PostgreSQL one's schema is dropped when the test ends.
    """
    from toolkit.store import Engagement

    if backend == "sqlite":
        return Engagement.init(folder, **options)
    url, schema = postgres_url(), new_schema()
    request.addfinalizer(lambda: drop_schema(url, schema))
    return Engagement.init(folder, store=url, schema=schema, **options)
