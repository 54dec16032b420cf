"""Fixtures of the operations tests: an empty database of each kind (not migrated)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(f"ops_{uuid.uuid4().hex[:12]}")
