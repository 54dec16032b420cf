"""Is the database taking writes? Fault detection, 503 + ``Retry-After``, and self-recovery.

A write that fails (disk full, files made read-only, PostgreSQL in recovery or read-only)
marks the database *down*: the failing request answers 503 with ``Retry-After``, ``/ready``
answers 503, and a watcher retries a no-op write every second until one succeeds.

Recovery needs fresh connections: SQLite opens a file it may not write *read-only*, silently,
and such a connection stays read-only after the file is writable again (which kept the old
service answering 503 until restarted). Every database error that says "cannot write" is
therefore treated like a lost connection (SQLAlchemy's ``handle_error`` hook sets
``is_disconnect``): the pool is invalidated and the next checkout opens a new connection.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import Engine, event

from thermowatch.service.metrics import DB_DOWN, DB_ERRORS
from thermowatch.store.engine import probe_write

log = logging.getLogger("thermowatch.service.database")

#: Driver messages (lower case) of a database that cannot take writes right now.
WRITE_FAULTS = (
    "disk i/o error",
    "readonly database",
    "read-only transaction",
    "database or disk is full",
    "unable to open database",
    "no space left",
    "database is locked",
    "server closed the connection",
    "connection refused",
    "terminating connection",
    "could not connect",
)


def is_write_fault(exc: BaseException | None) -> bool:
    """True when ``exc`` (or its cause) says the database cannot take writes now."""
    seen = 0
    while exc is not None and seen < 5:
        if any(f in str(exc).lower() for f in WRITE_FAULTS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class DatabaseHealth:
    """Shared state of one worker: is the database writable (see the module docstring)?"""

    def __init__(self, engine: Engine, retry_after_s: int = 5, probe_every_s: float = 1.0) -> None:
        self.engine = engine
        self.retry_after_s = retry_after_s
        self.probe_every_s = probe_every_s
        self.healthy = True
        self.since = time.monotonic()
        self._last_probe = 0.0
        self._lock = threading.Lock()
        event.listen(engine, "handle_error", self._on_error)

    def close(self) -> None:
        """Stop watching the engine's errors (the app that owned this state shut down)."""
        if event.contains(self.engine, "handle_error", self._on_error):
            event.remove(self.engine, "handle_error", self._on_error)

    def _on_error(self, context: Any) -> None:
        if is_write_fault(context.original_exception):
            context.is_disconnect = True  # drop the pool: no read-only connection survives
            self.failed("statement", context.original_exception)

    def failed(self, where: str, exc: BaseException | None = None) -> None:
        """Record a write fault seen by ``where`` (a request, the audit, the probe)."""
        DB_ERRORS.labels(where).inc()
        with self._lock:
            if not self.healthy:
                return
            self.healthy = False
            self.since = time.monotonic()
        DB_DOWN.set(1)
        reason = str(getattr(exc, "orig", exc) or "").strip().splitlines()
        log.error(
            "the database refuses writes (%s): answering 503 until it recovers",
            reason[0] if reason else where,
        )

    def recovered(self) -> None:
        with self._lock:
            if self.healthy:
                return
            down_s = time.monotonic() - self.since
            self.healthy = True
            self.since = time.monotonic()
        self.engine.dispose()  # no connection opened during the fault (maybe read-only) is reused
        DB_DOWN.set(0)
        log.warning("the database takes writes again (down %.1f s)", down_s)

    def probe(self) -> bool:
        """One no-op write (blocking; call it from a thread); updates and returns the state."""
        self._last_probe = time.monotonic()
        try:
            probe_write(self.engine)
        except Exception as exc:
            self.failed("probe", exc)
            return False
        self.recovered()
        return True

    def probe_due(self) -> bool:
        return time.monotonic() - self._last_probe >= self.probe_every_s

    @property
    def retry_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}
