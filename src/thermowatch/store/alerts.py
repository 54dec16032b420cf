"""Alerts and the notification outbox (with its delivery attempts).

The alerting engine decides *when* to raise; this module only records. Notifications go
through an outbox: the row is written in the same transaction as the alert, and a sender
delivers it later, recording each attempt, so a crash between "alert raised" and "e-mail
sent" loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, text, update

from thermowatch.errors import NotFoundError
from thermowatch.store._sql import id_chunks, unknown_transformer_is_not_found, upsert
from thermowatch.store.engine import write_transaction
from thermowatch.store.tables import alert_states, alerts, delivery_attempts, notifications

PENDING, SENT, FAILED = "pending", "sent", "failed"


@dataclass(frozen=True)
class Alert:
    """An alert as stored; times are aware UTC, ``*_by`` name a user or ``"system"``.

    ``kind``: temperature_measured, temperature_predicted, anomaly, forecast_crossing,
    stale_data; ``message`` is the subject people read (with the crossing time for a forecast
    crossing). Also the answer of ``GET /v1/alerts``.
    """

    id: int
    transformer_id: str
    kind: str
    level: str
    message: str
    raised_at: datetime
    raised_by: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    shelved_until: datetime | None = None
    shelved_by: str | None = None
    shelve_reason: str | None = None
    state: str = ""  # ISA-18.2 state when read (thermowatch.store.state.alarm_state)


def alert_of(row: Any, now: datetime | None = None) -> Alert:
    """An :class:`Alert` from a row of ``alerts``, with its ISA-18.2 state at ``now``."""
    from thermowatch.store.state import alarm_state

    values = row._asdict()
    return Alert(**values, state=alarm_state(row, now))


@dataclass(frozen=True)
class NotificationRequest:
    """A message to send about an alert: ``channel`` (email, sms, webhook, log), recipient."""

    channel: str
    recipient: str
    body: str
    subject: str | None = None


@dataclass(frozen=True)
class Notification:
    """An outbox row."""

    id: int
    alert_id: int | None
    channel: str
    recipient: str
    subject: str | None
    body: str
    status: str
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None


def _now(at: datetime | None) -> datetime:
    return at or datetime.now(UTC)


def raise_alert(
    engine: Engine,
    transformer_id: str,
    kind: str,
    level: str,
    message: str,
    *,
    at: datetime | None = None,
    by: str = "system",
    notify: list[NotificationRequest] | None = None,
) -> int:
    """Record a new alert (and its notifications, same transaction); returns its id."""
    at = _now(at)
    with unknown_transformer_is_not_found(transformer_id), write_transaction(engine) as conn:
        alert_id = conn.execute(
            alerts.insert().returning(alerts.c.id),
            {
                "transformer_id": transformer_id,
                "kind": kind,
                "level": level,
                "message": message,
                "raised_at": at,
                "raised_by": by,
            },
        ).scalar_one()
        for n in notify or []:
            conn.execute(
                notifications.insert(),
                {**vars(n), "alert_id": alert_id, "status": PENDING, "created_at": at,
                 "next_attempt_at": at},
            )  # fmt: skip
    return int(alert_id)


def _close(engine: Engine, alert_id: int, column: str, by: str, at: datetime | None) -> None:
    c = alerts.c
    with write_transaction(engine) as conn:
        if conn.scalar(select(c.id).where(c.id == alert_id)) is None:
            raise NotFoundError(f"alert {alert_id} does not exist")
        conn.execute(
            update(alerts)
            .where(c.id == alert_id, c[f"{column}_at"].is_(None))
            .values({f"{column}_at": _now(at), f"{column}_by": by})
        )


def acknowledge_alert(engine: Engine, alert_id: int, by: str, at: datetime | None = None) -> None:
    """Mark an alert acknowledged by ``by`` (first acknowledgement wins).

    Raises ``NotFoundError`` for an unknown id.
    """
    _close(engine, alert_id, "acknowledged", by, at)


def resolve_alert(engine: Engine, alert_id: int, by: str, at: datetime | None = None) -> None:
    """Mark an alert resolved (no longer open). Raises ``NotFoundError`` for an unknown id."""
    _close(engine, alert_id, "resolved", by, at)


def get_alert(engine: Engine, alert_id: int) -> Alert:
    """One alert by id; ``NotFoundError`` when there is none."""
    with engine.connect() as conn:
        row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
    if row is None:
        raise NotFoundError(f"alert {alert_id} does not exist")
    return alert_of(row)


def open_alerts(engine: Engine, transformer_id: str | None = None) -> list[Alert]:
    """Alerts not resolved yet (acknowledged or not), oldest first."""
    q = select(alerts).where(alerts.c.resolved_at.is_(None)).order_by(alerts.c.raised_at)
    if transformer_id is not None:
        q = q.where(alerts.c.transformer_id == transformer_id)
    with engine.connect() as conn:
        return [alert_of(r) for r in conn.execute(q)]


def alarm_list(
    engine: Engine, transformer_id: str | None = None, now: datetime | None = None
) -> list[Alert]:
    """The control room's list: active alarms (acknowledged or not, shelved included) and those
    returned to normal before anyone acknowledged them; most severe first, then newest first."""
    from thermowatch.learn.levels import rank

    c = alerts.c
    q = select(alerts).where((c.resolved_at.is_(None)) | (c.acknowledged_at.is_(None)))
    if transformer_id is not None:
        q = q.where(c.transformer_id == transformer_id)
    with engine.connect() as conn:
        found = [alert_of(r, now) for r in conn.execute(q)]
    found.sort(key=lambda a: (-rank(a.level), -a.raised_at.timestamp(), -a.id))
    return found


def shelve_alert(
    engine: Engine, alert_id: int, by: str, until: datetime | None, reason: str | None = None
) -> None:
    """Shelve an alarm until ``until`` (``None``: unshelve). ``NotFoundError`` for an unknown id."""
    c = alerts.c
    with write_transaction(engine) as conn:
        if conn.scalar(select(c.id).where(c.id == alert_id)) is None:
            raise NotFoundError(f"alert {alert_id} does not exist")
        values = {"shelved_until": until, "shelved_by": by if until else None,
                  "shelve_reason": reason if until else None}  # fmt: skip
        conn.execute(update(alerts).where(c.id == alert_id).values(values))


def due_notifications(
    engine: Engine, now: datetime | None = None, limit: int = 100
) -> list[Notification]:
    """Pending notifications whose next attempt time has come, oldest first."""
    c = notifications.c
    q = (
        select(notifications)
        .where(c.status == PENDING, c.next_attempt_at <= _now(now))
        .order_by(c.next_attempt_at, c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [Notification(**r._asdict()) for r in conn.execute(q)]


def record_attempt(
    engine: Engine,
    notification_id: int,
    ok: bool,
    detail: str | None = None,
    *,
    retry_at: datetime | None = None,
    at: datetime | None = None,
) -> None:
    """Record one delivery attempt and move the notification on.

    ``ok`` → status ``sent``; failed with ``retry_at`` → stays ``pending`` until then;
    failed without ``retry_at`` → ``failed`` for good.
    """
    at = _now(at)
    if ok:
        values = {"status": SENT, "sent_at": at, "next_attempt_at": None}
    elif retry_at is not None:
        values = {"status": PENDING, "next_attempt_at": retry_at}
    else:
        values = {"status": FAILED, "next_attempt_at": None}
    with write_transaction(engine) as conn:
        changed = conn.execute(
            update(notifications).where(notifications.c.id == notification_id).values(values)
        ).rowcount
        if not changed:
            raise NotFoundError(f"notification {notification_id} does not exist")
        conn.execute(
            delivery_attempts.insert(),
            {"notification_id": notification_id, "attempted_at": at, "ok": int(ok),
             "detail": detail},
        )  # fmt: skip


def delivery_history(engine: Engine, notification_id: int) -> list[tuple[datetime, bool, str]]:
    """Attempts of one notification, oldest first: ``(attempted_at, ok, detail)``."""
    c = delivery_attempts.c
    q = (
        select(c.attempted_at, c.ok, c.detail)
        .where(c.notification_id == notification_id)
        .order_by(c.attempted_at, c.id)
    )
    with engine.connect() as conn:
        return [(r.attempted_at, bool(r.ok), r.detail) for r in conn.execute(q)]


# --------------------------------------------------------------------------------------------
# The alert engine's writes, inside the caller's transaction (the engine decides, this records)
# --------------------------------------------------------------------------------------------
@dataclass
class AlertState:
    """The hysteresis state of one alert signal (levels by name, times aware UTC)."""

    level: str = "NORMAL"
    up_since: datetime | None = None
    up_target: str | None = None
    down_since: datetime | None = None
    down_target: str | None = None
    last_ts: datetime | None = None
    critique_since: datetime | None = None


def lock_alert_states(conn: Connection, transformer_ids: Sequence[str]) -> None:
    """Make the caller the only one evaluating these transformers' alerts until it commits.

    PostgreSQL: transaction-scoped advisory locks on the transformers (they work before their
    state rows exist), taken in one statement per chunk and in id order, so two evaluators of
    overlapping fleets cannot deadlock. SQLite: the write transaction (``BEGIN IMMEDIATE``)
    already serialises writers.
    """
    if conn.dialect.name != "postgresql":
        return
    lock = text(
        "SELECT pg_advisory_xact_lock(hashtext('thermowatch.alerts:' || u.t)) "
        "FROM unnest(CAST(:ids AS text[])) WITH ORDINALITY AS u(t, i) ORDER BY u.i"
    )
    for chunk in id_chunks(transformer_ids):
        conn.execute(lock, {"ids": chunk})


def load_alert_states(
    conn: Connection, transformer_ids: Sequence[str]
) -> dict[str, dict[str, AlertState]]:
    """Every stored signal state of each transformer, by kind (one query per chunk: a monitor
    cycle of a fleet reads them all at once)."""
    c = alert_states.c
    out: dict[str, dict[str, AlertState]] = {t: {} for t in transformer_ids}
    for chunk in id_chunks(transformer_ids):
        for r in conn.execute(select(alert_states).where(c.transformer_id.in_(chunk))):
            out[r.transformer_id][r.kind] = AlertState(
                r.level, r.up_since, r.up_target, r.down_since, r.down_target, r.last_ts,
                r.critique_since,
            )  # fmt: skip
    return out


def save_alert_states(
    conn: Connection,
    states: dict[str, dict[str, AlertState]],
    stored: dict[str, dict[str, AlertState]] | None = None,
) -> None:
    """Insert or update signal states (by transformer, by kind).

    ``stored``: the states as loaded in this transaction. A state equal to its stored one is
    not written; one that differs only by its newest sample (``last_ts``, the common case: a
    reading of a signal at rest) is written by :func:`touch_alert_states`; the others (new,
    level or timers changed) by one upsert. The rows end the same either way.
    """
    stored = stored or {}
    full, touched = [], []
    for tid in sorted(states):
        before = stored.get(tid, {})
        for kind, s in states[tid].items():
            old = before.get(kind)
            if old == s:
                continue
            if old is not None and replace(old, last_ts=s.last_ts) == s:
                touched.append((tid, kind, s.last_ts))
            else:
                full.append({"transformer_id": tid, "kind": kind, **vars(s)})
    if full:
        conn.execute(upsert(alert_states, conn, ["transformer_id", "kind"]), full)
    touch_alert_states(conn, touched)


def touch_alert_states(conn: Connection, rows: Sequence[tuple[str, str, datetime | None]]) -> None:
    """Set the newest sample (``last_ts``) of stored states, ``(transformer, kind, last_ts)``:
    PostgreSQL in one statement over three arrays (a fleet's round: 40,000 rows, no per-row
    parameters to bind), SQLite as one executemany."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        tids, kinds, stamps = (list(x) for x in zip(*rows, strict=True))
        conn.execute(
            text(
                "UPDATE alert_states AS s SET last_ts = u.ts FROM unnest(CAST(:t AS text[]), "
                "CAST(:k AS text[]), CAST(:ts AS timestamptz[])) AS u(t, k, ts) "
                "WHERE s.transformer_id = u.t AND s.kind = u.k"
            ),
            {"t": tids, "k": kinds, "ts": stamps},
        )
        return
    c = alert_states.c
    q = (
        update(alert_states)
        .where(c.transformer_id == bindparam("t"), c.kind == bindparam("k"))
        .values(last_ts=bindparam("ts", type_=c.last_ts.type))
    )
    conn.execute(q, [{"t": t, "k": k, "ts": ts} for t, k, ts in rows])


def open_of_kind(conn: Connection, transformer_id: str, kind: str) -> list[tuple[int, str]]:
    """``(id, level)`` of the open alerts of one kind of one transformer."""
    c = alerts.c
    q = select(c.id, c.level).where(
        c.transformer_id == transformer_id, c.kind == kind, c.resolved_at.is_(None)
    )
    return [(int(r.id), r.level) for r in conn.execute(q)]


def open_alert_ids(
    conn: Connection, transformer_ids: Sequence[str]
) -> dict[str, dict[str, list[tuple[int, str]]]]:
    """``(id, level)`` of the open alerts of each transformer, by kind, oldest first (one
    query per chunk: what :func:`open_of_kind` gives, for a fleet's cycle at once)."""
    out: dict[str, dict[str, list[tuple[int, str]]]] = {t: {} for t in transformer_ids}
    c = alerts.c
    for chunk in id_chunks(transformer_ids):
        q = (
            select(c.transformer_id, c.kind, c.id, c.level)
            .where(c.transformer_id.in_(chunk), c.resolved_at.is_(None))
            .order_by(c.id)
        )
        for tid, kind, alert_id, level in conn.execute(q):
            out[tid].setdefault(kind, []).append((int(alert_id), level))
    return out


def open_levels(
    conn: Connection,
    transformer_ids: Sequence[str],
    found: dict[str, dict[str, list[tuple[int, str]]]] | None = None,
) -> dict[str, dict[str, str]]:
    """The worst open level per kind of each transformer (to seed states after an upgrade);
    ``found``: :func:`open_alert_ids` of them, already read."""
    from thermowatch.learn.levels import worse

    found = open_alert_ids(conn, transformer_ids) if found is None else found
    out: dict[str, dict[str, str]] = {t: {} for t in transformer_ids}
    for tid, kinds in found.items():
        for kind, held in kinds.items():
            for _id, level in held:
                out[tid][kind] = worse(out[tid].get(kind), level)  # type: ignore[assignment]
    return out


def close_alert_in(conn: Connection, alert_id: int, at: datetime, by: str = "system") -> None:
    """Resolve an open alert (a no-op when it already is)."""
    conn.execute(
        update(alerts)
        .where(alerts.c.id == alert_id, alerts.c.resolved_at.is_(None))
        .values(resolved_at=at, resolved_by=by)
    )


def insert_alert(
    conn: Connection, transformer_id: str, kind: str, level: str, message: str, at: datetime,
    by: str = "system",
) -> int:  # fmt: skip
    """Record a raised alert; returns its id."""
    return int(
        conn.execute(
            alerts.insert().returning(alerts.c.id),
            {"transformer_id": transformer_id, "kind": kind, "level": level, "message": message,
             "raised_at": at, "raised_by": by},
        ).scalar_one()
    )  # fmt: skip


def insert_notifications(conn: Connection, rows: list[dict]) -> int:
    """Put outbox rows (dicts of the table's columns) in the caller's transaction."""
    if rows:
        conn.execute(notifications.insert(), rows)
    return len(rows)


def postpone_notification(engine: Engine, notification_id: int, until: datetime) -> None:
    """Put a pending notification off until ``until`` (quiet hours, rate limit)."""
    c = notifications.c
    with write_transaction(engine) as conn:
        conn.execute(
            update(notifications)
            .where(c.id == notification_id, c.status == PENDING)
            .values(next_attempt_at=until)
        )


def claim_notification(
    engine: Engine, notification_id: int, due_at: datetime | None, lease_until: datetime
) -> bool:
    """Take a pending notification for delivery until ``lease_until``; ``False`` when another
    sender took it first (its ``next_attempt_at`` moved)."""
    c = notifications.c
    with write_transaction(engine) as conn:
        return (
            conn.execute(
                update(notifications)
                .where(c.id == notification_id, c.status == PENDING, c.next_attempt_at == due_at)
                .values(next_attempt_at=lease_until)
            ).rowcount
            == 1
        )
