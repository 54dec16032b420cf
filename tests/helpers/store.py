"""Migrated SQLite stores for the tests, without running the migrations for each test.

Running Alembic's migrations on an empty SQLite file costs 0.1-0.3 s of CPU (loading every
revision, then some hundred DDL statements); hundreds of tests start from a fresh store. Each
test process migrates one file once, then gives every test its own copy of it (SQLite's backup
API: a consistent copy, ~1 ms). A test that checks the migrations themselves calls
``thermowatch.store.migrate.upgrade`` on an empty database instead.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from functools import cache
from pathlib import Path

from sqlalchemy import Engine

from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade


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
    return make_engine(f"sqlite:///{path}")
