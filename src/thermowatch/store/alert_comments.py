"""Comments people leave on an alert (the acknowledgement note), oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, Engine, MetaData, String, Table, Text, select

from thermowatch.store.engine import write_transaction
from thermowatch.store.tables import BigId
from thermowatch.store.types import UTCDateTime

_meta = MetaData()
# Created by migration 0005. The foreign key is declared there (alerts lives in another
# MetaData); here the column is plain so this table needs no reflection of alerts.
alert_comments = Table(
    "alert_comments",
    _meta,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("alert_id", BigId, nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("by", String(200), nullable=False),
    Column("text", Text, nullable=False),
)
MAX_COMMENT = 2000


@dataclass(frozen=True)
class AlertComment:
    """One note on an alert: who wrote it, when (UTC), what."""

    alert_id: int
    at: datetime
    by: str
    text: str


def add_comment(engine: Engine, alert_id: int, by: str, text: str) -> AlertComment:
    """Store a comment (trimmed to :data:`MAX_COMMENT` characters) and return it."""
    note = AlertComment(alert_id, datetime.now(UTC), by, text.strip()[:MAX_COMMENT])
    with write_transaction(engine) as conn:
        conn.execute(alert_comments.insert(), [vars(note)])
    return note


def comments_by_alert(engine: Engine, alert_ids: list[int]) -> dict[int, list[AlertComment]]:
    """Comments of several alerts at once: ``{alert_id: [comment, ...]}`` oldest first."""
    if not alert_ids:
        return {}
    c = alert_comments.c
    q = select(c.alert_id, c.at, c.by, c.text).where(c.alert_id.in_(alert_ids)).order_by(c.at, c.id)
    out: dict[int, list[AlertComment]] = {}
    with engine.connect() as conn:
        for r in conn.execute(q):
            out.setdefault(int(r.alert_id), []).append(AlertComment(**r._asdict()))
    return out
