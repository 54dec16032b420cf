"""Migrated stores for the tests, without running the migrations for each test.

Running Alembic's migrations on an empty database costs 0.1-0.3 s of CPU on SQLite (loading
every revision, then some hundred DDL statements) and 0.33 CPU-s on PostgreSQL (client and
server, 1.4 s of wall under the suite's load); hundreds of tests start from a fresh store. Each
test process migrates one database once and gives every test its own copy of it: SQLite's
backup API (a consistent copy, ~1 ms), PostgreSQL's ``CREATE DATABASE ... TEMPLATE`` (0.10
CPU-s, 0.36 s). A copy gets its own store identity, as a fresh migration would (migration 0015
writes a random one). A test that checks the migrations themselves calls
``thermowatch.store.migrate.upgrade`` on an empty database instead.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, update

from thermowatch.store.engine import make_engine
from thermowatch.store.identity import store_identity
from thermowatch.store.migrate import upgrade
from thermowatch.store.partitions import month_start

if TYPE_CHECKING:
    from tests.pgtest import PostgresCluster


@cache
def _migrated_template() -> Path:
    """An SQLite file at the migrations' head, made once per process (removed at exit)."""
    folder = Path(tempfile.mkdtemp(prefix="tw-migrated-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "head.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _new_identity(engine: Engine) -> Engine:
    """Give a copied store the random id of its own that migration 0015 gives a new one."""
    with engine.begin() as conn:
        conn.execute(
            update(store_identity).values(id=str(uuid.uuid4()), created_at=datetime.now(UTC))
        )
    return engine


def migrated_sqlite(path: str | Path) -> Engine:
    """An engine on the SQLite store at ``path``, at the migrations' head (as ``upgrade``): a
    copy of the migrated file when ``path`` does not exist yet, else the store migrated."""
    path = Path(path)
    if path.exists():  # e.g. a second monitor on the same store: upgrade has nothing to do
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        return engine
    with sqlite3.connect(_migrated_template()) as source, sqlite3.connect(path) as target:
        source.backup(target)
    source.close()
    target.close()
    return _new_identity(make_engine(f"sqlite:///{path}"))


#: (cluster directory, month) -> the template database migrated for that month on that cluster.
_templates: dict[tuple[str, datetime], str] = {}


def _postgres_template(cluster: PostgresCluster, month: datetime) -> str:
    """A database of ``cluster`` migrated by ``upgrade(engine, now=month)`` (the readings
    partitions of that month and the months after it), made once; nobody stays connected to it
    (PostgreSQL copies only a template without sessions)."""
    key = (str(cluster.tmpdir), month)
    if key not in _templates:
        name = f"head_{month:%Y%m}"
        engine = make_engine(cluster.create_database(name))
        upgrade(engine, now=month)
        engine.dispose()
        _templates[key] = name
    return _templates[key]


def migrated_postgres(cluster: PostgresCluster, prefix: str, now: datetime | None = None) -> Engine:
    """An engine on a new database ``<prefix>_<random>`` of ``cluster``, as ``upgrade(engine,
    now=now)`` leaves an empty one (``now`` defaults to the present, as there)."""
    template = _postgres_template(cluster, month_start(now or datetime.now(UTC)))
    url = cluster.create_database(f"{prefix}_{uuid.uuid4().hex[:12]}", template=template)
    return _new_identity(make_engine(url))
