"""Fixtures: every store test runs against SQLite and against a real PostgreSQL server.

The PostgreSQL cluster is initdb'd once per session on a free loopback port
(:class:`tests.pgtest.PostgresCluster`) and each test gets its own database.
Without PostgreSQL binaries the PostgreSQL variants are skipped with a message, except when
``CI=true``: then it is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from store_helpers import NOW
from tests.pgtest import PostgresCluster

from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """URL of an empty database (not migrated)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated store with one transformer ``T1`` (target variable ``OT``)."""
    from thermowatch.store.transformers import ensure_transformer

    eng = make_engine(db_url)
    upgrade(eng, now=NOW)
    ensure_transformer(eng, "T1", "Poste Nord T1", target_variable="OT")
    yield eng
    eng.dispose()


@pytest.fixture
def pg_engine(pg_cluster: PostgresCluster) -> Iterator[Engine]:
    """Like ``engine``, PostgreSQL only (for partition behaviour)."""
    from thermowatch.store.transformers import ensure_transformer

    eng = make_engine(pg_cluster.create_database(f"t_{uuid.uuid4().hex[:12]}"))
    upgrade(eng, now=NOW)
    ensure_transformer(eng, "T1", "Poste Nord T1", target_variable="OT")
    yield eng
    eng.dispose()
