"""Database URL resolution and engine creation: the one place that knows the dialects.

The default store is a SQLite file in the data directory (``$THERMOWATCH_HOME``); setting
``THERMOWATCH_DATABASE_URL=postgresql+psycopg://user@host/db`` switches to PostgreSQL with no
other change.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from thermowatch.errors import InputError
from thermowatch.settings import database_url

ENV_VAR = "THERMOWATCH_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def resolve_url(url: str | None = None) -> str:
    """Return the database URL: the argument, else ``$THERMOWATCH_DATABASE_URL``, else the
    SQLite file of the data directory (``$THERMOWATCH_HOME``, see :mod:`thermowatch.paths`).

    ``postgresql://`` and ``postgres://`` URLs are given the psycopg 3 driver
    (``postgresql+psycopg://``), the only PostgreSQL driver we install.

    Raises
    ------
    InputError
        When the URL is not SQLite or PostgreSQL, or cannot be parsed.
    """
    from thermowatch.paths import default_database_url

    raw = database_url(url) or default_database_url()
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw.removeprefix("postgres://")
    try:
        parsed = make_url(raw)
    except Exception as exc:
        raise InputError(f"database URL {raw!r} cannot be parsed: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise InputError(
            f"database URL {raw!r}: only sqlite:/// and postgresql+psycopg:// are supported"
        )
    return parsed.render_as_string(hide_password=False)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Autocommit at the driver level so that SQLAlchemy's "begin" event below decides how
    # a transaction starts (pysqlite's own implicit BEGIN cannot do BEGIN IMMEDIATE).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # WAL: readers never block the writer and vice versa; NORMAL sync is durable in WAL mode
    # against process crashes (only an OS crash may lose the last commits).
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # Writers start with BEGIN IMMEDIATE: they take the write lock up front and wait on
    # busy_timeout, instead of failing with "database is locked" when a deferred read
    # transaction tries to upgrade while another process writes.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create the engine for ``url`` (resolved by :func:`resolve_url`).

    SQLite gets WAL mode, foreign keys, a 30 s busy timeout and explicit transaction control;
    PostgreSQL uses psycopg 3 with every session in UTC. Extra ``kwargs`` go to
    :func:`sqlalchemy.create_engine`.
    """
    resolved = resolve_url(url)
    backend = make_url(resolved).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(resolved, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("options", "-c timezone=UTC")
        engine = create_engine(resolved, connect_args=connect_args, **kwargs)
    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction: commit on success, roll back on any exception.

    On SQLite it starts with ``BEGIN IMMEDIATE`` so concurrent writers queue on the busy
    timeout rather than fail.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            yield conn


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for one read-only statement.

    On PostgreSQL it runs in autocommit: a single SELECT is consistent by itself, and skipping
    BEGIN/ROLLBACK saves two round trips per query (they dominate a busy server's latency).
    """
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def probe_write(engine: Engine) -> None:
    """One write that changes nothing; raises what the database raises when it takes no writes.

    It rewrites, unchanged, the one row every migrated database has (``alembic_version``):
    that takes the write lock and touches the file (SQLite) without altering any data.
    """
    with write_transaction(engine) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
