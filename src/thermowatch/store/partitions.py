"""Monthly range partitions of ``readings`` on PostgreSQL (no-ops on SQLite).

Partitions are named ``readings_yYYYYmMM`` and hold ``[first of month, first of next month)``
in UTC. ``thermowatch db upgrade`` creates the current month and a few ahead; the write path
calls :func:`ensure_partitions` for the months a batch touches, so an import of old data or a
server that was never upgraded for months still finds its partitions. There is deliberately no
DEFAULT partition: a row landing there would block creating its month's partition later.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine, text

_NAME = re.compile(r"^readings_y(\d{4})m(\d{2})$")
# Per engine: the month starts known to have a partition (saves a catalog query per batch).
_known: weakref.WeakKeyDictionary[Engine, set[datetime]] = weakref.WeakKeyDictionary()
_LOCK_KEY = 0x7468_6572_6D6F  # pg_advisory lock id: serialises concurrent creators


def month_start(ts: datetime) -> datetime:
    """First instant (UTC) of the month holding the aware datetime ``ts``."""
    ts = ts.astimezone(UTC)
    return datetime(ts.year, ts.month, 1, tzinfo=UTC)


def add_months(start: datetime, n: int) -> datetime:
    """The first of the month ``n`` months after the month start ``start``."""
    index = start.year * 12 + start.month - 1 + n
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def months_covering(first: datetime, last: datetime) -> list[datetime]:
    """Month starts of every month from ``first``'s to ``last``'s, inclusive."""
    months, m, end = [], month_start(first), month_start(last)
    while m <= end:
        months.append(m)
        m = add_months(m, 1)
    return months


def partition_name(month: datetime) -> str:
    """Name of the partition holding ``month`` (e.g. ``readings_y2026m01``)."""
    return f"readings_y{month.year:04d}m{month.month:02d}"


def partition_month(name: str) -> datetime | None:
    """Inverse of :func:`partition_name`; ``None`` for other table names."""
    m = _NAME.match(name)
    return datetime(int(m[1]), int(m[2]), 1, tzinfo=UTC) if m else None


def list_partitions(bind: Engine | Connection) -> list[str]:
    """Names of the existing readings partitions, oldest first ([] on SQLite)."""
    if bind.dialect.name != "postgresql":
        return []
    sql = text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'readings'::regclass ORDER BY c.relname"
    )
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return list(conn.scalars(sql))
    return list(bind.scalars(sql))


def ensure_partitions(engine: Engine, first: datetime, last: datetime) -> list[str]:
    """Create the missing monthly partitions for ``[first, last]``; returns those created.

    Runs in its own short transaction (not the caller's batch) under an advisory lock, so two
    writers racing for a new month do not fail and no batch holds the parent table's lock.
    """
    if engine.dialect.name != "postgresql":
        return []
    known = _known.setdefault(engine, set())
    wanted = [m for m in months_covering(first, last) if m not in known]
    if not wanted:
        return []
    created: list[str] = []
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        existing = set(list_partitions(conn))
        for month in wanted:
            name = partition_name(month)
            if name not in existing:
                lo, hi = month.isoformat(), add_months(month, 1).isoformat()
                conn.exec_driver_sql(
                    f"CREATE TABLE {name} PARTITION OF readings "
                    f"FOR VALUES FROM ('{lo}') TO ('{hi}')"
                )
                created.append(name)
    known.update(wanted)
    return created


def forget_partitions(engine: Engine) -> None:
    """Drop the cached list of partitions (after a restore or another process's retention)."""
    _known.pop(engine, None)


_T = TypeVar("_T")
#: Attempts of a partitioned write before its error is raised.
WRITE_ATTEMPTS = 3


def with_partition_retry(
    engine: Engine, write: Callable[[], _T], first: datetime, last: datetime
) -> _T:
    """Run an atomic, idempotent write of readings in ``[first, last]``, replaying it after a
    deadlock or after another process (retention, restore) dropped a partition we had cached.

    The one home of this rule: the bulk path (:func:`thermowatch.store.readings.write_readings`)
    and the live path (:func:`thermowatch.store.live.write_live_batch`) both use it.
    """
    import psycopg
    from sqlalchemy.exc import DBAPIError

    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return write()
        except (psycopg.Error, DBAPIError) as exc:
            err = getattr(exc, "orig", exc)
            missing_partition = isinstance(err, psycopg.errors.CheckViolation)
            deadlock = isinstance(err, psycopg.errors.DeadlockDetected)
            if not (deadlock or missing_partition) or attempt == WRITE_ATTEMPTS:
                raise
            if missing_partition:
                forget_partitions(engine)
                ensure_partitions(engine, first, last)
    raise AssertionError("unreachable")


def ensure_partitions_ahead(engine: Engine, now: datetime, months_ahead: int) -> list[str]:
    """Create the partitions of ``now``'s month and ``months_ahead`` months after it."""
    start = month_start(now)
    return ensure_partitions(engine, start, add_months(start, months_ahead))


def drop_partitions_before(conn: Connection, cutoff: datetime) -> list[str]:
    """Drop the partitions whose whole month lies before ``cutoff``; returns their names.

    The caller has already aggregated (and so may lose) every row before ``cutoff``.
    """
    if conn.dialect.name != "postgresql":
        return []
    dropped = []
    for name in list_partitions(conn):
        month = partition_month(name)
        if month is not None and add_months(month, 1) <= cutoff:
            conn.exec_driver_sql(f"DROP TABLE {name}")
            dropped.append(name)
    if dropped:
        for known in _known.values():
            known.difference_update({partition_month(n) for n in dropped})
    return dropped
