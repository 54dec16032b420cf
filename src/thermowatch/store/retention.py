"""Retention and downsampling: raw readings kept N days, hourly min/mean/max kept for good;
stored forecasts kept a few days.

:func:`apply_retention` folds every raw reading older than the cutoff into
``readings_hourly`` and deletes it, in one transaction. Folding *merges* with an hour already
aggregated (counts add, means are weighted, min/max combine), so late readings of an old hour
(e.g. an import of an old file after retention ran) are not lost nor double counted.

The live pipeline stores a whole forecast trajectory with every reading (about 11 M rows a day
for 1,000 transformers read every minute). Only the newest trajectory is read (dashboard, alert
texts) and the accuracy jobs score the stored predictions, not old trajectories: forecasts
issued more than ``forecast_days`` ago (default 7, for looking back at last week's warnings)
are deleted in the same run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, bindparam, delete, select, text

from thermowatch.errors import InputError
from thermowatch.store.engine import write_transaction
from thermowatch.store.partitions import drop_partitions_before
from thermowatch.store.tables import forecasts, readings_hourly
from thermowatch.store.types import UTCDateTime

DEFAULT_RAW_DAYS = 90
DEFAULT_FORECAST_DAYS = 7
_HOUR_US = 3_600_000_000

_FOLD = """
INSERT INTO readings_hourly AS h (transformer_id, hour, variable, n, min, mean, max)
SELECT transformer_id, {bucket} AS b, variable, count(*), min(value), avg(value), max(value)
FROM readings WHERE ts < :cutoff
GROUP BY transformer_id, b, variable
ON CONFLICT (transformer_id, hour, variable) DO UPDATE SET
  n = h.n + excluded.n,
  mean = (h.mean * h.n + excluded.mean * excluded.n) / (h.n + excluded.n),
  min = {least}(h.min, excluded.min),
  max = {greatest}(h.max, excluded.max)
"""


@dataclass
class RetentionResult:
    """What :func:`apply_retention` did."""

    cutoff: datetime
    hours_aggregated: int = 0
    readings_deleted: int = 0
    partitions_dropped: list[str] = field(default_factory=list)
    forecasts_deleted: int = 0


def hour_floor(ts: datetime) -> datetime:
    """Start of the UTC hour holding ``ts``."""
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def apply_retention(
    engine: Engine,
    raw_days: float = DEFAULT_RAW_DAYS,
    now: datetime | None = None,
    forecast_days: float = DEFAULT_FORECAST_DAYS,
) -> RetentionResult:
    """Aggregate then delete the raw readings older than ``raw_days`` days (whole hours), and
    delete the forecasts issued more than ``forecast_days`` days ago.

    The cutoff is ``now - raw_days`` rounded down to the hour, so no hour is split between
    raw and aggregated rows by this run.

    Raises
    ------
    InputError
        When ``raw_days`` or ``forecast_days`` is not positive.
    """
    for name, days in (("raw_days", raw_days), ("forecast_days", forecast_days)):
        if not days > 0:
            raise InputError(f"retention: {name} must be positive, got {days}")
    now = now or datetime.now(UTC)
    cutoff = hour_floor(now - timedelta(days=raw_days))
    result = RetentionResult(cutoff)
    pg = engine.dialect.name == "postgresql"
    sql = _FOLD.format(
        bucket="date_trunc('hour', ts, 'UTC')" if pg else f"(ts / {_HOUR_US}) * {_HOUR_US}",
        least="LEAST" if pg else "min",
        greatest="GREATEST" if pg else "max",
    )
    cut = bindparam("cutoff", cutoff, type_=UTCDateTime())
    with write_transaction(engine) as conn:
        result.hours_aggregated = int(
            conn.execute(text(sql).bindparams(cut)).rowcount  # hour rows inserted or merged
        )
        # Whole months first: dropping a partition is instant where DELETE rewrites.
        if pg:
            counted = conn.execute(
                text("SELECT count(*) FROM readings WHERE ts < :cutoff").bindparams(cut)
            ).scalar_one()
            result.partitions_dropped = drop_partitions_before(conn, cutoff)
            conn.execute(text("DELETE FROM readings WHERE ts < :cutoff").bindparams(cut))
            result.readings_deleted = int(counted)
        else:
            result.readings_deleted = int(
                conn.execute(
                    text("DELETE FROM readings WHERE ts < :cutoff").bindparams(cut)
                ).rowcount
            )
        issued = now - timedelta(days=forecast_days)
        result.forecasts_deleted = int(
            conn.execute(delete(forecasts).where(forecasts.c.issued_at < issued)).rowcount
        )
    return result


def hourly_frame(
    engine: Engine,
    transformer_id: str,
    start: datetime,
    end: datetime,
    variables: list[str] | None = None,
) -> pd.DataFrame:
    """Hourly aggregates of one transformer for hours starting in ``[start, end)``.

    Returns
    -------
    DataFrame
        Columns ``hour`` (UTC), ``variable``, ``n``, ``min``, ``mean``, ``max`` (the variable's
        unit), sorted by hour then variable.
    """
    c = readings_hourly.c
    q = (
        select(c.hour, c.variable, c.n, c.min, c.mean, c.max)
        .where(c.transformer_id == transformer_id, c.hour >= start, c.hour < end)
        .order_by(c.hour, c.variable)
    )
    if variables is not None:
        q = q.where(c.variable.in_(variables))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(q)]
    frame = pd.DataFrame(rows, columns=["hour", "variable", "n", "min", "mean", "max"])
    frame["hour"] = pd.to_datetime(frame["hour"], utc=True)
    return frame
