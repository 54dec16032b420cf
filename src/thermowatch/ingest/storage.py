"""Writing a cycle's readings and predictions: one transaction, or the spool when it fails.

A *batch* is a plain dict, JSON-ready so that the spool can keep it as is::

    {"readings": [[transformer_id, ts_us, variable, value, quality, source], ...],
     "predictions": [[transformer_id, ts_us, model_id, value, lower, upper, level], ...]}

``ts_us`` are microseconds since 1970-01-01 UTC. Both tables are written with
``INSERT ... ON CONFLICT DO NOTHING`` on their keys, so a batch sent twice is stored once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from thermowatch.ingest.config import TransformerConfig
from thermowatch.ingest.spool import Spool
from thermowatch.store._sql import insert_ignore
from thermowatch.store.engine import write_transaction
from thermowatch.store.partitions import ensure_partitions
from thermowatch.store.tables import predictions, readings
from thermowatch.store.transformers import ensure_transformer
from thermowatch.store.types import from_micros

log = logging.getLogger("thermowatch.ingest")


def write_batch(engine: Engine, batch: dict[str, Any]) -> tuple[int, int]:
    """Store a batch's readings and predictions in one transaction.

    Returns
    -------
    (readings, predictions) : rows sent (already stored ones are skipped by the database).
    """
    rows = [
        {"transformer_id": t, "ts": from_micros(us), "variable": v, "value": x, "quality": q,
         "source": s}
        for t, us, v, x, q, s in batch.get("readings", [])
    ]  # fmt: skip
    preds = [
        {"transformer_id": t, "ts": from_micros(us), "model_id": m, "value": x, "lower": lo,
         "upper": hi, "level": lvl}
        for t, us, m, x, lo, hi, lvl in batch.get("predictions", [])
    ]  # fmt: skip
    if engine.dialect.name == "postgresql" and rows:
        times = [r["ts"] for r in rows]
        ensure_partitions(engine, min(times), max(times))
    with write_transaction(engine) as conn:
        if rows:
            conn.execute(insert_ignore(readings, conn), rows)
        if preds:
            conn.execute(insert_ignore(predictions, conn), preds)
    return len(rows), len(preds)


@dataclass
class StoreStats:
    """Counters of the storage path (for logs, tests and the benchmark)."""

    batches_written: int = 0
    batches_spooled: int = 0
    batches_replayed: int = 0
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
        # Transformers are created in the store the first time it is reachable.
        for tid, t in list(self._to_register.items()):
            ensure_transformer(
                self.engine,
                tid,
                t.name,
                spec=t.spec.to_dict() if t.spec else None,
                thresholds=t.thresholds,
                target_variable=t.target,
            )
            del self._to_register[tid]

    def drain(self) -> bool:
        """Replay spooled batches oldest first; ``True`` when the spool is empty after."""
        try:
            self._register()
            for seq, batch in self.spool:
                write_batch(self.engine, batch)
                self.spool.remove(seq)
                self.stats.batches_replayed += 1
        except Exception as exc:  # the database is still away
            self._down(exc)
            return False
        if not self.db_up:
            log.warning("database reachable again; spool replayed")
        self.db_up = True
        return True

    def store(self, batch: dict[str, Any]) -> bool:
        """Write ``batch`` (after any spooled ones); spool it when the database fails.

        Returns ``True`` when it reached the database, ``False`` when it was spooled. Either
        way it is durable when this returns.
        """
        if not batch.get("readings") and not batch.get("predictions"):
            return True
        if self.spool.pending() and not self.drain():
            self._spool(batch)
            return False
        try:
            self._register()
            write_batch(self.engine, batch)
        except Exception as exc:
            self._down(exc)
            self._spool(batch)
            return False
        self.db_up = True
        self.stats.batches_written += 1
        return True

    def _spool(self, batch: dict[str, Any]) -> None:
        self.spool.append(batch)
        self.stats.batches_spooled += 1

    def _down(self, exc: Exception) -> None:
        self.stats.failures += 1
        if self.db_up:
            log.error("database unreachable, spooling readings locally: %s", exc)
        self.db_up = False
