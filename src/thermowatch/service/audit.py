"""The audit trail of the service, batched off the hot path.

A request appends an :class:`~thermowatch.store.audit.AuditEntry` to an in-memory list (no I/O);
a background task writes the list to ``audit_log`` every ``flush_s`` seconds or as soon as it
holds ``batch`` rows, in one transaction on a worker thread. Shutdown flushes what is left, so
a graceful stop loses nothing. If the database is down the rows are kept and retried (bounded
by ``max_pending``; beyond that the oldest are dropped and counted in the metrics).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine

from thermowatch.service.metrics import AUDIT_DROPPED, DB_ERRORS
from thermowatch.store.audit import AuditEntry
from thermowatch.store.engine import write_transaction
from thermowatch.store.tables import audit_log

log = logging.getLogger("thermowatch.service.audit")


def inputs_hash(payload: Any) -> str:
    """SHA-256 (first 16 hex digits) of a request's inputs: traceable, without storing them."""
    raw = (
        payload
        if isinstance(payload, bytes)
        else orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    )
    return hashlib.sha256(raw).hexdigest()[:16]


class AuditQueue:
    """In-memory queue of audit entries flushed in batches by a background task."""

    def __init__(
        self, engine: Engine, flush_s: float = 1.0, batch: int = 500, max_pending: int = 100_000
    ) -> None:
        self.engine = engine
        self.flush_s = flush_s
        self.batch = batch
        self.max_pending = max_pending
        self._pending: list[AuditEntry] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        self.written = 0

    def add(
        self,
        actor: str,
        action: str,
        outcome: str,
        *,
        role: str | None = None,
        address: str | None = None,
        target: str | None = None,
        **detail: Any,
    ) -> None:
        """Queue one entry; ``detail`` (inputs hash, model id, latency [ms]…) is stored as JSON."""
        text = json.dumps(detail, default=str, ensure_ascii=False) if detail else None
        self._pending.append(
            AuditEntry(actor, action, outcome, role, address, target, text, datetime.now(UTC))
        )
        if len(self._pending) >= self.batch:
            self._wake.set()
        if len(self._pending) > self.max_pending:
            dropped = len(self._pending) - self.max_pending
            del self._pending[:dropped]
            AUDIT_DROPPED.inc(dropped)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="audit-flush")

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.flush_s)
            self._wake.clear()
            await self.flush()

    async def flush(self) -> int:
        """Write every pending entry now (one transaction, on a thread); returns rows written."""
        async with self._lock:
            rows, self._pending = self._pending, []
            if not rows:
                return 0
            try:
                await asyncio.to_thread(self._write, rows)
            except Exception:
                DB_ERRORS.labels("audit").inc()
                log.exception("audit flush of %d rows failed; will retry", len(rows))
                self._pending[:0] = rows
                return 0
            self.written += len(rows)
            return len(rows)

    def _write(self, rows: list[AuditEntry]) -> None:
        with write_transaction(self.engine) as conn:
            conn.execute(audit_log.insert(), [vars(replace(r)) for r in rows])

    async def stop(self) -> None:
        """Cancel the background task and flush what is left (called at shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        await self.flush()
