"""The audit log: who did what, from where, with what outcome. Append-only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from thermowatch.store.engine import write_transaction
from thermowatch.store.identity import identity_in
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
    detail: str | dict[str, Any] | None = None  # a dict is stored as JSON
    at: datetime | None = None


_SQLITE_INSERT = (
    "INSERT INTO audit_log (at, actor, role, source_address, action, target, outcome, detail) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def record_in(conn: Connection, entry: AuditEntry) -> None:
    """Append one entry inside the caller's transaction (with what it records)."""
    conn.execute(audit_log.insert(), vars(entry))


def record(engine: Engine, entry: AuditEntry) -> int:
    """Append an entry (``at`` defaults to now, UTC); returns its id."""
    values = vars(entry) | {"at": entry.at or datetime.now(UTC)}
    with write_transaction(engine) as conn:
        return int(conn.execute(audit_log.insert().returning(audit_log.c.id), values).scalar_one())


def record_many_in(conn: Connection, rows: Sequence[AuditEntry]) -> None:
    """Append ``rows`` inside the caller's transaction (``at`` defaults to now, UTC).

    The service's audit queue writes its batches here, holding the GIL while requests wait:
    on SQLite the rows go to the driver as plain tuples (~5x faster than an executemany).
    """
    if not rows:
        return
    now = datetime.now(UTC)
    params = []
    for r in rows:
        values = vars(r) | {"at": r.at or now}
        if isinstance(values["detail"], dict | list):
            values["detail"] = orjson.dumps(values["detail"], default=str).decode()
        params.append(values)
    if conn.dialect.name == "sqlite":
        bind = audit_log.c.at.type.bind_processor(conn.dialect)
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.executemany(_SQLITE_INSERT, [
            (bind(p["at"]) if bind else p["at"], p["actor"], p["role"], p["source_address"],
             p["action"], p["target"], p["outcome"], p["detail"])
            for p in params
        ])  # fmt: skip
    else:
        conn.execute(audit_log.insert(), params)


def record_many(engine: Engine, rows: Sequence[AuditEntry], identity: str | None = None) -> None:
    """Append ``rows`` in one transaction of their own.

    With ``identity``, only into the database of that id (:mod:`thermowatch.store.identity`),
    checked in the same transaction; :class:`OtherDatabase` otherwise, and nothing is written.
    """
    with write_transaction(engine) as conn:
        if identity is not None:
            found = identity_in(conn)
            if found != identity:
                raise OtherDatabase(identity, found)
        record_many_in(conn, rows)


class OtherDatabase(Exception):
    """Rows meant for the database ``expected`` met another one (``found``) at the same URL."""

    def __init__(self, expected: str, found: str | None) -> None:
        super().__init__(f"rows for database {expected} met database {found}")
        self.expected = expected
        self.found = found


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
