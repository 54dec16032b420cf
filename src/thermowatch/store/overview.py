"""Read-only queries for the operator's screens: the fleet's stored state, alerts with their
delivery history, data quality counts.

:func:`fleet_overview` reads each transformer's state as the live pipeline stored it (two
queries for the whole fleet); nothing is levelled again here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import BigInteger, Engine, and_, cast, func, or_, select

from thermowatch.learn.levels import RAISED, UNKNOWN, rank
from thermowatch.store.alerts import Alert, alert_of
from thermowatch.store.state import ACKNOWLEDGED, UNACKNOWLEDGED, read_states
from thermowatch.store.tables import (
    alerts,
    delivery_attempts,
    forecasts,
    notifications,
    predictions,
    readings,
    readings_hourly,
    transformers,
)
from thermowatch.store.types import to_micros


@dataclass(frozen=True)
class FleetRow:
    """One transformer's stored state (:mod:`thermowatch.store.state`; temperatures [°C],
    times aware UTC). ``level`` is the worse of the measured and predicted levels (``UNKNOWN``
    before any reading), ``thresholds`` the ones in force."""

    id: str
    name: str
    site: str | None
    thresholds: dict | None
    target_variable: str | None
    last_reading_at: datetime | None
    measured: float | None
    predicted: float | None
    predicted_at: datetime | None
    predicted_level: str | None
    open_alerts: int
    worst_open_level: str | None
    level: str = UNKNOWN
    level_source: str = "none"
    measured_level: str | None = None
    crossing_level: str | None = None
    crossing_at: datetime | None = None
    extrapolating: bool = False  # the prediction is outside the model's domain of validity


def utc_of(engine: Engine):
    """``value -> aware UTC datetime`` for an instant read through a subquery: subqueries lose
    the UTC column type on SQLite (its stored integer comes back); other values pass as is."""
    process = transformers.c.created_at.type.result_processor(engine.dialect, None)

    def aware(value):
        return process(value) if isinstance(value, int) and process is not None else value

    return aware


def fleet_overview(engine: Engine) -> list[FleetRow]:
    """The stored state of every transformer, ordered by id, in two queries."""
    t = transformers.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.id, t.name, t.site, t.target_variable).order_by(t.id)).all()
    states = read_states(engine)
    out = []
    for row in rows:
        s = states.get(row.id)
        if s is None:
            out.append(FleetRow(row.id, row.name, row.site, None, row.target_variable, None,
                                None, None, None, None, 0, None))  # fmt: skip
            continue
        active = s.alarms.get(UNACKNOWLEDGED, 0) + s.alarms.get(ACKNOWLEDGED, 0)
        out.append(
            FleetRow(
                row.id, row.name, row.site, s.thresholds, row.target_variable, s.ts,
                s.measured_c, s.predicted_c, s.ts if s.predicted_c is not None else None,
                s.predicted_level, active, s.worst_alarm, s.level, s.level_source,
                s.measured_level, s.crossing_level, s.crossing_at, s.extrapolating,
            )
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class ForecastCrossing:
    """The first point of a transformer's latest stored forecast at a threshold level."""

    level: str  # ALERTE or CRITIQUE, as the live pipeline levelled that point
    at: datetime  # the instant forecast [UTC]
    issued_at: datetime  # the reading the forecast starts from [UTC]


def forecast_crossings(engine: Engine) -> dict[str, ForecastCrossing]:
    """First threshold crossing of each transformer's newest forecast, in one query.

    The forecasts are the ones the live pipeline stores with every reading (its horizon); a
    transformer is absent when its newest forecast stays NORMAL or it has none. Each column is
    a correlated subquery per transformer, an index seek on the primary key (transformer_id,
    issued_at, ts, ...): the cost grows with the fleet, not with the forecasts kept (a join
    would scan them all).
    """
    t, f = transformers.c, forecasts.c
    newest = (
        select(func.max(f.issued_at)).where(f.transformer_id == t.id).correlate(transformers)
    ).scalar_subquery()

    def first_at(levels: tuple[str, ...]):
        return (
            select(func.min(f.ts))
            .where(f.transformer_id == t.id, f.issued_at == newest, f.level.in_(levels))
            .correlate(transformers)
        ).scalar_subquery()

    q = select(
        t.id,
        newest.label("issued_at"),
        first_at(RAISED).label("first"),
        first_at(RAISED[-1:]).label("critical"),
    )
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    aware = utc_of(engine)
    return {
        tid: ForecastCrossing(
            RAISED[-1] if first == critical else RAISED[0], aware(first), aware(issued)
        )
        for tid, issued, first, critical in rows
        if first is not None
    }


# ------------------------------------------------------------------------------------- alerts
STATES = ("active", "open", "acknowledged", "returned", "shelved", "resolved", "all")


def find_alerts(
    engine: Engine,
    state: str = "open",
    level: str | None = None,
    kind: str | None = None,
    transformer_id: str | None = None,
    limit: int = 500,
) -> list[Alert]:
    """Alerts, most severe first then newest first (the alarm list's order). ``state``:
    ``active`` (the control room's list: active ones, acknowledged or not, and those returned
    to normal unacknowledged; shelved ones apart), ``open`` (active, not acknowledged), ``acknowledged`` (active, acknowledged: it stays
    listed while active), ``returned`` (returned to normal, not acknowledged), ``shelved``,
    ``resolved`` or ``all``."""
    a = alerts.c
    now = datetime.now(UTC)
    q = select(alerts).order_by(a.raised_at.desc(), a.id.desc()).limit(limit)
    active = a.resolved_at.is_(None)
    not_shelved = or_(a.shelved_until.is_(None), a.shelved_until <= now)
    if state == "active":
        q = q.where(not_shelved, or_(active, a.acknowledged_at.is_(None)))
    elif state == "open":
        q = q.where(active, a.acknowledged_at.is_(None), not_shelved)
    elif state == "acknowledged":
        q = q.where(active, a.acknowledged_at.is_not(None), not_shelved)
    elif state == "returned":
        q = q.where(a.resolved_at.is_not(None), a.acknowledged_at.is_(None))
    elif state == "shelved":
        q = q.where(active, a.shelved_until > now)
    elif state == "resolved":
        q = q.where(a.resolved_at.is_not(None))
    if level:
        q = q.where(a.level == level)
    if kind:
        q = q.where(a.kind == kind)
    if transformer_id:
        q = q.where(a.transformer_id == transformer_id)
    with engine.connect() as conn:
        found = [alert_of(r, now) for r in conn.execute(q)]
    found.sort(key=lambda x: -rank(x.level))  # stable: newest first within a level
    return found


def alerts_after(engine: Engine, after_id: int, limit: int = 200) -> list[Alert]:
    """Alerts with an id above ``after_id`` (newly raised), oldest first."""
    q = select(alerts).where(alerts.c.id > after_id).order_by(alerts.c.id).limit(limit)
    with engine.connect() as conn:
        return [alert_of(r) for r in conn.execute(q)]


def last_alert_id(engine: Engine) -> int:
    """The highest alert id (0 when there is none)."""
    with engine.connect() as conn:
        return int(conn.scalar(select(func.max(alerts.c.id))) or 0)


def alert_kinds(engine: Engine) -> list[str]:
    """Every alert kind stored, sorted (for the filter)."""
    with engine.connect() as conn:
        return sorted(conn.scalars(select(alerts.c.kind).distinct()))


@dataclass(frozen=True)
class Delivery:
    """One notification of an alert and its attempts ``(attempted_at, ok, detail)``."""

    alert_id: int
    channel: str
    recipient: str
    status: str
    attempts: list[tuple[datetime, bool, str | None]]


def deliveries_by_alert(engine: Engine, alert_ids: list[int]) -> dict[int, list[Delivery]]:
    """Notifications of several alerts with their delivery attempts, in two queries."""
    if not alert_ids:
        return {}
    n, d = notifications.c, delivery_attempts.c
    with engine.connect() as conn:
        notes = conn.execute(
            select(n.id, n.alert_id, n.channel, n.recipient, n.status)
            .where(n.alert_id.in_(alert_ids))
            .order_by(n.id)
        ).all()
        ids = [x.id for x in notes]
        tries = (
            conn.execute(
                select(d.notification_id, d.attempted_at, d.ok, d.detail)
                .where(d.notification_id.in_(ids))
                .order_by(d.attempted_at, d.id)
            ).all()
            if ids
            else []
        )
    by_note: dict[int, list] = {}
    for x in tries:
        by_note.setdefault(x.notification_id, []).append((x.attempted_at, bool(x.ok), x.detail))
    out: dict[int, list[Delivery]] = {}
    for x in notes:
        out.setdefault(int(x.alert_id), []).append(
            Delivery(int(x.alert_id), x.channel, x.recipient, x.status, by_note.get(x.id, []))
        )
    return out


# ------------------------------------------------------------------------------- data quality
def quality_counts(
    engine: Engine, transformer_id: str, start: datetime, end: datetime
) -> dict[int, int]:
    """Readings of ``[start, end)`` per quality code (0 good, 1 suspect, 2 bad)."""
    r = readings.c
    q = (
        select(r.quality, func.count())
        .where(r.transformer_id == transformer_id, r.ts >= start, r.ts < end)
        .group_by(r.quality)
    )
    with engine.connect() as conn:
        return {int(k): int(v) for k, v in conn.execute(q)}


def readings_since(
    engine: Engine, transformer_id: str, after: datetime, variables: list[str]
) -> list[tuple[datetime, str, float]]:
    """Readings of ``variables`` strictly after ``after``, oldest first (the live feed)."""
    r = readings.c
    q = (
        select(r.ts, r.variable, r.value)
        .where(
            r.transformer_id == transformer_id,
            r.ts > after,
            or_(*[r.variable == v for v in variables]) if variables else and_(False),
        )
        .order_by(r.ts)
        .limit(5000)
    )
    with engine.connect() as conn:
        return [(x.ts, x.variable, float(x.value)) for x in conn.execute(q)]


def reading_arrays(
    engine: Engine, transformer_id: str, variable: str, start: datetime, end: datetime
) -> tuple[np.ndarray, np.ndarray]:
    """One variable's readings of ``[start, end)`` for a chart: ``(ts_us, value)`` arrays
    (int64 microseconds since the epoch UTC, increasing; float64). See :func:`prediction_arrays`."""
    r = readings.c
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            rows = cur.execute(
                "SELECT ts, value FROM readings WHERE transformer_id = ? AND ts >= ? AND ts < ? "
                "AND variable = ? ORDER BY ts",
                (transformer_id, to_micros(start), to_micros(end), variable),
            ).fetchall()
        else:
            ts = cast(func.date_part("epoch", r.ts) * 1_000_000, BigInteger)
            rows = conn.execute(
                select(ts, r.value)
                .where(r.transformer_id == transformer_id, r.ts >= start, r.ts < end)
                .where(r.variable == variable)
                .order_by(r.ts)
            ).all()
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if n else [(), ()]
    return np.fromiter(cols[0], dtype=np.int64, count=n), np.array(cols[1], dtype=np.float64)


def hourly_arrays(
    engine: Engine, transformer_id: str, variable: str, start: datetime, end: datetime
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hourly aggregates of one variable (what retention keeps once raw readings are folded):
    ``(hour_us, min, mean, max)`` for the hours starting in ``[start, end)``, oldest first."""
    h = readings_hourly.c
    q = (
        select(h.hour, h.min, h.mean, h.max)
        .where(h.transformer_id == transformer_id, h.variable == variable)
        .where(h.hour >= start, h.hour < end)
        .order_by(h.hour)
    )
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    hours = np.array([to_micros(r.hour) for r in rows], dtype=np.int64)
    values = np.array([(r.min, r.mean, r.max) for r in rows], dtype=np.float64).reshape(-1, 3)
    return hours, values[:, 0], values[:, 1], values[:, 2]


def latest_variables(engine: Engine, transformer_id: str) -> list[str]:
    """The variables a transformer reported in its newest day of readings (or ever, hourly)."""
    r, h = readings.c, readings_hourly.c
    with engine.connect() as conn:
        last = conn.scalar(select(func.max(r.ts)).where(r.transformer_id == transformer_id))
        names = set()
        if last is not None:
            names |= set(conn.scalars(
                select(r.variable).distinct()
                .where(r.transformer_id == transformer_id, r.ts > last - timedelta(days=1))
            ))  # fmt: skip
        names |= set(
            conn.scalars(select(h.variable).distinct().where(h.transformer_id == transformer_id))
        )
    return sorted(names)


def prediction_arrays(
    engine: Engine, transformer_id: str, start: datetime, end: datetime
) -> dict[str, np.ndarray]:
    """Predictions of ``[start, end)`` as arrays, for charts: ``ts_us`` (int64 microseconds
    since the epoch, UTC, increasing) and ``value``, ``lower``, ``upper`` [°C] (NaN when absent).

    Several times faster than :func:`thermowatch.store.predictions.predictions_frame` on a
    month of minute data: the times come back as integers and are never turned into Python
    datetimes one by one. Several models at one instant: the last one listed wins.
    """
    p = predictions.c
    q = (
        select(p.ts, p.value, p.lower, p.upper)
        .where(p.transformer_id == transformer_id, p.ts >= start, p.ts < end)
        .order_by(p.ts)
    )
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # Straight through the driver: SQLAlchemy's per-row result machinery costs several
            # times the query on 10^4-10^5 rows (times are stored as integer microseconds).
            cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            rows = cur.execute(
                "SELECT ts, value, lower, upper FROM predictions "
                "WHERE transformer_id = ? AND ts >= ? AND ts < ? ORDER BY ts",
                (transformer_id, to_micros(start), to_micros(end)),
            ).fetchall()
        else:  # see readings._ts_micros: float8 epoch, exact to the microsecond
            ts = cast(func.date_part("epoch", p.ts) * 1_000_000, BigInteger)
            rows = conn.execute(q.with_only_columns(ts, p.value, p.lower, p.upper)).all()
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if n else [(), (), (), ()]
    # None (no interval) becomes NaN in the float conversion.
    floats = [np.array(c, dtype=np.float64) for c in cols[1:]]
    out = {"ts_us": np.fromiter(cols[0], dtype=np.int64, count=n)}
    out.update(zip(("value", "lower", "upper"), floats, strict=True))
    if n > 1 and (np.diff(out["ts_us"]) == 0).any():
        keep = np.r_[np.diff(out["ts_us"]) != 0, True]
        out = {k: v[keep] for k, v in out.items()}
    return out


def predictions_since(
    engine: Engine, transformer_id: str, after: datetime
) -> list[tuple[datetime, float, float | None, float | None, str | None]]:
    """Predictions strictly after ``after``: ``(ts, value, lower, upper, level)``, oldest first."""
    p = predictions.c
    q = (
        select(p.ts, p.value, p.lower, p.upper, p.level)
        .where(p.transformer_id == transformer_id, p.ts > after)
        .order_by(p.ts)
        .limit(5000)
    )
    with engine.connect() as conn:
        return [tuple(x) for x in conn.execute(q)]
