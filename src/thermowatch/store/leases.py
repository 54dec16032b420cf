"""Leader leases: of several processes doing the same job (two monitors), one is active.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a connection of
its own. The server releases it the moment that connection ends, so a leader killed with
SIGKILL (or whose host dies: TCP keepalives) frees the lease at once, with no clock involved.
The holder is visible to anyone in ``pg_stat_activity.application_name``.

SQLite (one host by nature): an exclusive ``flock`` on a file next to the database, which the
kernel releases when the holding process dies. The holder writes its name in the file.

A lease whose store cannot be reached is kept: the leader goes on collecting (the monitor
spools while the database is away) and confirms or gives up the lease once it is back.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import socket
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

log = logging.getLogger("thermowatch.store.leases")
APP_PREFIX = "thermowatch-lease:"


def lock_key(name: str) -> int:
    """The 64-bit advisory-lock key of a lease name (stable across processes and versions)."""
    return int.from_bytes(hashlib.sha256(f"thermowatch:{name}".encode()).digest()[:8], "big",
                          signed=True)  # fmt: skip


def default_holder() -> str:
    """``host:pid``: who holds a lease, as shown by ``thermowatch doctor``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class LeaderLease:
    """The lease ``name`` in the store of ``engine``, for the holder ``holder``.

    Use :meth:`try_acquire` until it returns ``True``, :meth:`still_held` once per period, and
    :meth:`release` at shutdown. ``log_level``: how taking and giving up the lease is logged
    (INFO for a long-held leadership such as the monitor's, DEBUG for a short per-run lock).
    """

    def __init__(
        self, engine: Engine, name: str, holder: str | None = None, log_level: int = logging.INFO
    ) -> None:
        self.engine = engine
        self.log_level = log_level
        self.name = name
        self.holder = holder or default_holder()
        self.held = False
        self._conn: Any = None  # PostgreSQL: the psycopg connection that holds the lock
        self._file: Any = None  # SQLite: the open lock file

    # ------------------------------------------------------------------------------ public
    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; ``True`` when this holder has it."""
        if self.held:
            return True
        try:
            self.held = self._acquire_pg() if self._postgres else self._acquire_file()
        except Exception as exc:  # store away: not the leader until it answers
            log.warning("lease %s: store not reachable (%s)", self.name, exc)
            self._close()
            self.held = False
        if self.held:
            log.log(self.log_level, "lease %s: acquired by %s", self.name, self.holder)
        return self.held

    def still_held(self) -> bool:
        """Confirm the lease. ``False`` only when another holder has taken it."""
        if not self.held:
            return False
        if not self._postgres:
            return True  # the flock lives as long as this process
        try:
            self._conn.execute("SELECT 1")
            return True
        except Exception:
            self._close()
        # The connection broke: the server dropped the lock with it. Take it back if free.
        try:
            self.held = self._acquire_pg()
        except Exception as exc:  # store away: nobody else can take it either
            log.warning("lease %s: store not reachable, keeping the lead (%s)", self.name, exc)
            return True
        if not self.held:
            log.warning("lease %s: taken over by another holder while the store was away",
                        self.name)  # fmt: skip
        return self.held

    def release(self) -> None:
        """Give the lease up (also done by the server / kernel when the process dies)."""
        if self.held:
            log.log(self.log_level, "lease %s: released by %s", self.name, self.holder)
            if self._conn is not None:
                # Unlock before closing: the server ends a closed session asynchronously, so
                # without this a standby could still find the lock held just after release().
                with contextlib.suppress(Exception):
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(self.name),))
        self.held = False
        self._close()

    def __enter__(self) -> LeaderLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # ---------------------------------------------------------------------------- backends
    @property
    def _postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def _acquire_pg(self) -> bool:
        import psycopg

        url = make_url(self.engine.url.render_as_string(hide_password=False))
        conn = psycopg.connect(
            host=url.host, port=url.port, user=url.username, password=url.password,
            dbname=url.database, autocommit=True, connect_timeout=5,
            application_name=f"{APP_PREFIX}{self.name}:{self.holder}"[:63],
            keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3,
        )  # fmt: skip
        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(self.name),)).fetchone()
        if got and got[0]:
            self._conn = conn
            return True
        conn.close()
        return False

    def _lock_path(self) -> Path:
        return lock_path(self.engine, self.name)

    def _acquire_file(self) -> bool:
        f = self._lock_path().open("a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            return False
        f.truncate(0)
        f.write(self.holder + "\n")
        f.flush()
        self._file = f
        return True

    def _close(self) -> None:
        for res in (self._conn, self._file):
            if res is not None:
                with contextlib.suppress(Exception):
                    res.close()
        self._conn = self._file = None


def lock_path(engine: Engine, name: str) -> Path:
    """SQLite: the lock file of lease ``name`` (``<database>.<name>.lease``)."""
    database = engine.url.database or "thermowatch.db"
    return Path(f"{database}.{name}.lease")


def lease_holder(engine: Engine, name: str) -> str | None:
    """Who holds the lease ``name`` now (``host:pid``), ``None`` when nobody does."""
    if engine.dialect.name == "postgresql":
        key = lock_key(name)
        q = text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.objsubid = 1 AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"
        )
        with engine.connect() as conn:
            app = conn.execute(q, {"key": key}).scalar()
        if app is None:
            return None
        return str(app).removeprefix(f"{APP_PREFIX}{name}:")
    path = lock_path(engine, name)
    if not path.exists():
        return None
    with path.open("a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            return f.read().strip() or "unknown"
        fcntl.flock(f, fcntl.LOCK_UN)
        return None


async def wait_for_lease(lease: LeaderLease, stop: Any, poll_s: float = 0.5) -> bool:
    """Stand by until ``lease`` is acquired (``True``) or the event ``stop`` is set (``False``)."""
    import asyncio

    logged = False
    while not stop.is_set():
        if await asyncio.to_thread(lease.try_acquire):
            return True
        if not logged:
            log.info("lease %s: held by %s; standing by", lease.name,
                     await asyncio.to_thread(lease_holder, lease.engine, lease.name))  # fmt: skip
            logged = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll_s)
    return False
