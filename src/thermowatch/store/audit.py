"""The audit log: who did what, from where, with what outcome. Append-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, select

from thermowatch.store.engine import write_transaction
from thermowatch.store.tables import audit_log


@dataclass(frozen=True)
class AuditEntry:
    """One audited action; ``source_address`` is the client IP or ``"cli"``."""

    actor: str
    action: str
    outcome: str
    role: str | None = None
    source_address: str | None = None
    target: str | None = None
    detail: str | None = None
    at: datetime | None = None


def record_in(conn: Connection, entry: AuditEntry) -> None:
    """Append one entry inside the caller's transaction (with what it records)."""
    conn.execute(audit_log.insert(), vars(entry))


def record(engine: Engine, entry: AuditEntry) -> int:
    """Append an entry (``at`` defaults to now, UTC); returns its id."""
    values = vars(entry) | {"at": entry.at or datetime.now(UTC)}
    with write_transaction(engine) as conn:
        return int(conn.execute(audit_log.insert().returning(audit_log.c.id), values).scalar_one())


def entries(
    engine: Engine,
    since: datetime | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 1000,
) -> list[AuditEntry]:
    """Entries, newest first, optionally filtered."""
    c = audit_log.c
    q = select(audit_log).order_by(c.at.desc(), c.id.desc()).limit(limit)
    if since is not None:
        q = q.where(c.at >= since)
    if actor is not None:
        q = q.where(c.actor == actor)
    if action is not None:
        q = q.where(c.action == action)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [AuditEntry(**{k: v for k, v in r._asdict().items() if k != "id"}) for r in rows]
