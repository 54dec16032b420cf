"""Writing a cycle's batch: one transaction, or the spool while the database is unavailable.

A batch is what :meth:`thermowatch.live.Pipeline.prepare` returns (see
:mod:`thermowatch.store.live` for its layout), JSON-ready so that the spool keeps it as is.

Faults are told apart (:func:`database_unavailable`): only a database that cannot be reached
or written (connection refused or lost, server shutting down, SQLite file unopenable, locked
or read-only, disk full) sends a batch to the spool, to be retried in order. A batch that fails
for any other reason (an unknown transformer, a value the database refuses) would fail forever:
it is quarantined — kept on disk with its error, counted in ``status`` and the metrics — and
never blocks the batches behind it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from thermowatch.ingest.config import TransformerConfig
from thermowatch.ingest.spool import Spool
from thermowatch.store.live import batch_size, write_live_batch
from thermowatch.store.transformers import Transformer, ensure_transformers

log = logging.getLogger("thermowatch.ingest")

# SQLite reports unavailability as OperationalError with these messages; any other
# OperationalError (e.g. a missing table) is the batch's or the schema's fault.
_SQLITE_UNAVAILABLE = (
    "unable to open", "database is locked", "disk i/o", "readonly", "read-only",
    "database or disk is full", "disk is full", "no such file",
)  # fmt: skip


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached or written right now."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    err = getattr(exc, "orig", None) or exc
    if isinstance(err, psycopg.OperationalError | psycopg.errors.AdminShutdown):
        return True
    if isinstance(err, psycopg.errors.InsufficientResources | psycopg.errors.CannotConnectNow):
        return True
    if isinstance(err, psycopg.InterfaceError):
        return True
    if isinstance(err, sqlite3.OperationalError):
        text = str(err).lower()
        return any(m in text for m in _SQLITE_UNAVAILABLE)
    return isinstance(exc, sa_exc.InterfaceError | sa_exc.TimeoutError | ConnectionError | OSError)


@dataclass
class StoreStats:
    """Counters of the storage path (for logs, status, tests and the benchmark)."""

    batches_written: int = 0
    batches_spooled: int = 0
    batches_replayed: int = 0
    batches_quarantined: int = 0
    failures: int = 0


class Storage:
    """The monitor's write path: store, or spool durably and replay later in order.

    Blocking (SQLAlchemy); the monitor calls it from a worker thread. Order is kept: while the
    spool holds batches, a new batch goes behind them, never around them.
    """

    def __init__(
        self, engine: Engine, spool: Spool, transformers: Iterable[TransformerConfig] = ()
    ) -> None:
        self.engine = engine
        self.spool = spool
        self.stats = StoreStats()
        self._to_register = {t.id: t for t in transformers}
        self.db_up = True

    def _register(self) -> None:
        # Transformers are created in the store the first time it is reachable (one transaction).
        if not self._to_register:
            return
        ensure_transformers(self.engine, [
            Transformer(id=tid, name=t.name or tid, spec=t.spec.to_dict() if t.spec else None,
                        thresholds=t.thresholds, target_variable=t.target)
            for tid, t in self._to_register.items()
        ])  # fmt: skip
        self._to_register.clear()

    def drain(self) -> bool:
        """Replay spooled batches oldest first; ``True`` when the spool is empty after."""
        try:
            self._register()
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            self._down(exc)
            return False
        for seq, batch in self.spool:
            try:
                write_live_batch(self.engine, batch)
            except Exception as exc:
                if database_unavailable(exc):
                    self._down(exc)
                    return False
                self.spool.quarantine(seq, str(exc))
                self._quarantined(exc)
                continue
            self.spool.remove(seq)
            self.stats.batches_replayed += 1
        if not self.db_up:
            log.warning("database reachable again; spool replayed")
        self.db_up = True
        return True

    def store(self, batch: dict[str, Any]) -> bool:
        """Write ``batch`` (after any spooled ones); spool it when the database is unavailable.

        Returns ``True`` when it reached the database, ``False`` when it was spooled or
        quarantined. Either way it is durable when this returns.
        """
        if not batch_size(batch):
            return True
        if self.spool.pending() and not self.drain():
            self._spool(batch)
            return False
        try:
            self._register()
            write_live_batch(self.engine, batch)
        except Exception as exc:
            if not database_unavailable(exc):
                self.spool.quarantine(self.spool.append(batch), str(exc))
                self._quarantined(exc)
                return False
            self._down(exc)
            self._spool(batch)
            return False
        self.db_up = True
        self.stats.batches_written += 1
        return True

    def _spool(self, batch: dict[str, Any]) -> None:
        self.spool.append(batch)
        self.stats.batches_spooled += 1

    def _quarantined(self, exc: Exception) -> None:
        self.stats.batches_quarantined += 1
        log.error("batch quarantined (kept in the spool's quarantine, not retried): %s", exc)

    def _down(self, exc: Exception) -> None:
        self.stats.failures += 1
        if self.db_up:
            log.error("database unreachable, spooling readings locally: %s", exc)
        self.db_up = False
