"""Faults of the real parts: the servers come from the fixtures the other integration tests
already use (one launcher per server); each fault test owns the server it kills."""

from __future__ import annotations

import pytest

from tests.conftest import require
from tests.integration.ingest.conftest import broker  # noqa: F401  (fixture)
from tests.pgtest import PostgresCluster
from tests.security.conftest import trained_model  # noqa: F401  (fixture)


@pytest.fixture
def own_cluster():
    """A PostgreSQL cluster this test alone uses: it is killed and restarted mid-run.

    ``synchronous_commit`` stays on (the production default): a commit is answered once its
    WAL is written, so a crashed server keeps every transaction it confirmed (the test
    clusters' ``off`` loses the last ones, which the tests would count as lost readings).
    """
    try:
        cluster = PostgresCluster(settings={"synchronous_commit": "on"}).start()
    except Exception as exc:
        require(False, f"PostgreSQL could not be started: {exc}")
    yield cluster
    cluster.stop()
