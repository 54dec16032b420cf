"""Run the Alembic migrations from code (the package's ``migrations`` directory)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: Months of readings partitions created ahead of the current one on PostgreSQL.
PARTITIONS_AHEAD = 3


def alembic_config() -> Config:
    """An Alembic ``Config`` pointing at the package's migrations (no ini file needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """The newest migration revision shipped with this version of thermowatch."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, ``None`` for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head", now: datetime | None = None) -> str | None:
    """Migrate the database to ``revision`` and return the revision it ends at.

    On PostgreSQL it then creates the readings partitions of the current month and
    :data:`PARTITIONS_AHEAD` months ahead (the write path adds others on demand).
    """
    from thermowatch.store.partitions import ensure_partitions_ahead

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    ensure_partitions_ahead(engine, now or datetime.now(UTC), PARTITIONS_AHEAD)
    return current_revision(engine)
