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
from tests.helpers.store import migrated_postgres, migrated_sqlite
from tests.pgtest import PostgresCluster


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which database a store test runs on: each runs on both."""
    return request.param


@pytest.fixture
def db_url(store_kind: str, request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """URL of an empty database (not migrated)."""
    if store_kind == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(f"t_{uuid.uuid4().hex[:12]}")


def _with_t1(eng: Engine) -> Engine:
    from thermowatch.store.transformers import ensure_transformer

    ensure_transformer(eng, "T1", "Poste Nord T1", target_variable="OT")
    return eng


@pytest.fixture
def engine(
    store_kind: str, request: pytest.FixtureRequest, tmp_path: os.PathLike[str]
) -> Iterator[Engine]:
    """A migrated store (``upgrade(engine, now=NOW)``, copied: tests/helpers/store.py) with one
    transformer ``T1`` (target variable ``OT``)."""
    if store_kind == "sqlite":
        eng = _with_t1(migrated_sqlite(tmp_path / "store.db"))
    else:
        eng = _with_t1(migrated_postgres(request.getfixturevalue("pg_cluster"), "t", now=NOW))
    yield eng
    eng.dispose()


@pytest.fixture
def pg_engine(pg_cluster: PostgresCluster) -> Iterator[Engine]:
    """Like ``engine``, PostgreSQL only (for partition behaviour)."""
    eng = _with_t1(migrated_postgres(pg_cluster, "t", now=NOW))
    yield eng
    eng.dispose()
