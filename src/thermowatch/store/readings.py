"""Readings: the idempotent bulk write path and the read paths (recent, period, latest).

Layout is narrow (one row per transformer, timestamp, variable): see :mod:`.tables` for why.
A batch is one transaction whatever its size: a crash mid-batch leaves none of it, and
re-sending it stores each reading exactly once (``ON CONFLICT DO NOTHING`` on the key
(transformer_id, ts, variable)).

Write path per dialect:

* SQLite: ``executemany`` of plain tuples (timestamps already integer microseconds), inside
  ``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing;
* PostgreSQL: binary ``COPY`` into a temporary staging table, then one
  ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` per chunk (``COPY`` alone cannot skip
  duplicates). Monthly partitions the batch needs are created first.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    cast,
    func,
    select,
    type_coerce,
)

from thermowatch.errors import InputError, NotFoundError
from thermowatch.store.engine import read_connection, write_transaction
from thermowatch.store.partitions import ensure_partitions, with_partition_retry
from thermowatch.store.tables import Quality, readings, transformers
from thermowatch.store.types import to_micros

COLUMNS = ["transformer_id", "ts", "variable", "value", "quality", "source"]
DEFAULT_CHUNK = 50_000


@dataclass(frozen=True)
class Reading:
    """One measured value.

    Attributes
    ----------
    transformer_id : the transformer's id.
    ts : instant of the measurement, timezone-aware (stored as UTC).
    variable : measurement name as the source or file calls it (e.g. ``"OT"``).
    value : the value, in the variable's unit (temperatures in [°C]).
    quality : :class:`~thermowatch.store.tables.Quality` flag.
    source : where it came from, e.g. ``"opcua:ns=2;s=TR1.OT"`` or ``"import:data.csv"``.
    """

    transformer_id: str
    ts: datetime
    variable: str
    value: float
    quality: int = Quality.GOOD
    source: str | None = None


# --------------------------------------------------------------------------------------------
# write path
# --------------------------------------------------------------------------------------------
def to_frame(rows: Iterable[Reading] | pd.DataFrame) -> pd.DataFrame:
    """Normalise readings to the narrow frame the writer takes (validated, ``ts`` in UTC).

    Raises
    ------
    InputError
        On naive timestamps, missing columns or non-finite values (naming the first bad row).
    """
    if isinstance(rows, pd.DataFrame):
        frame = rows.reset_index(drop=True).copy()
    else:
        frame = pd.DataFrame([vars(r) for r in rows], columns=COLUMNS)
    missing = {"transformer_id", "ts", "variable", "value"} - set(frame.columns)
    if missing:
        raise InputError(f"readings are missing the column(s) {sorted(missing)}")
    if "quality" not in frame:
        frame["quality"] = int(Quality.GOOD)
    if "source" not in frame:
        frame["source"] = None
    ts = frame["ts"]
    if len(frame) and not isinstance(ts.dtype, pd.DatetimeTZDtype):
        # Python datetimes with different offsets land here as objects: each must be aware.
        naive = [i for i, t in enumerate(ts) if not isinstance(t, datetime) or t.tzinfo is None]
        if naive:
            raise InputError(
                f"reading {naive[0]} has timestamp {ts.iloc[naive[0]]!r}: timestamps must be "
                "timezone-aware datetimes (UTC)"
            )
        ts = pd.to_datetime(ts, utc=True)
    frame["ts"] = pd.to_datetime(ts, utc=True) if len(frame) else ts
    values = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    bad = ~np.isfinite(values.to_numpy())
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"reading {i} ({frame['variable'].iloc[i]} at {frame['ts'].iloc[i]}) has no "
            f"finite value: {frame['value'].iloc[i]!r}"
        )
    frame["value"] = values
    frame["quality"] = frame["quality"].fillna(0).astype("int64")
    return frame[COLUMNS]


def wide_to_frame(
    wide: pd.DataFrame, transformer_id: str, source: str | None = None
) -> tuple[pd.DataFrame, int]:
    """Turn a wide frame (UTC index, one column per variable) into narrow readings.

    Missing values (NaN) are not readings: they are left out and counted.

    Returns
    -------
    (frame, skipped) : the narrow frame and the number of NaN cells left out.
    """
    index = pd.DatetimeIndex(wide.index)
    if index.tz is None:
        raise InputError("the measurement index must be timezone-aware (UTC)")
    long = wide.set_axis(index.tz_convert(UTC).rename("ts"), axis=0).melt(
        ignore_index=False, var_name="variable", value_name="value"
    )
    total = len(long)
    long = long[np.isfinite(pd.to_numeric(long["value"], errors="coerce").to_numpy(float))]
    long = long.reset_index()
    long["transformer_id"] = transformer_id
    long["quality"] = int(Quality.GOOD)
    long["source"] = source
    return long[COLUMNS], total - len(long)


def _check_transformers(conn: Connection, ids: Sequence[str]) -> None:
    known = set(conn.scalars(select(transformers.c.id).where(transformers.c.id.in_(ids))))
    unknown = sorted(set(ids) - known)
    if unknown:
        raise NotFoundError(f"transformer {unknown[0]!r} does not exist in the store")


def write_readings(
    engine: Engine,
    rows: Iterable[Reading] | pd.DataFrame,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Store a batch of readings in one transaction; duplicates are skipped.

    Parameters
    ----------
    engine
        From :func:`thermowatch.store.engine.make_engine`.
    rows
        :class:`Reading` objects or a narrow frame with the columns of :data:`COLUMNS`
        (``quality`` and ``source`` optional; ``ts`` timezone-aware).
    chunk_size
        Rows sent per round trip; the transaction still spans the whole batch.
    on_progress
        Called with the number of rows sent so far after each chunk, inside the transaction.

    Returns
    -------
    int
        Readings newly stored (those already present are not counted).

    Raises
    ------
    InputError, NotFoundError
        Bad values or an unknown transformer; nothing is written.
    """
    frame = to_frame(rows)
    if frame.empty:
        return 0
    ts_us = frame["ts"].dt.as_unit("us").astype("int64").to_numpy()
    # Key order: every writer then takes row locks in the same order, so concurrent
    # overlapping batches queue behind each other on PostgreSQL instead of deadlocking
    # (and B-tree inserts are appends on both databases).
    order = np.lexsort(
        (
            pd.factorize(frame["variable"], sort=True)[0],
            ts_us,
            pd.factorize(frame["transformer_id"], sort=True)[0],
        )
    )
    if (np.diff(order) < 0).any():
        frame, ts_us = frame.take(order), ts_us[order]
    lo, hi = frame["ts"].min(), frame["ts"].max()
    if engine.dialect.name == "postgresql":
        ensure_partitions(engine, lo.to_pydatetime(), hi.to_pydatetime())
    cols = (
        frame["transformer_id"].astype(str).tolist(),
        ts_us.tolist(),
        frame["variable"].astype(str).tolist(),
        frame["value"].tolist(),
        frame["quality"].tolist(),
        frame["source"].astype(object).where(frame["source"].notna(), None).tolist(),
    )
    return with_partition_retry(
        engine,
        lambda: _write_batch(engine, cols, len(frame), chunk_size, on_progress),
        lo.to_pydatetime(),
        hi.to_pydatetime(),
    )


def _write_batch(
    engine: Engine,
    cols: tuple[list[Any], ...],
    n: int,
    chunk_size: int,
    on_progress: Callable[[int], None] | None,
) -> int:
    with write_transaction(engine) as conn:
        return insert_columns(conn, cols, chunk_size, on_progress)


def insert_columns(
    conn: Connection,
    cols: tuple[list[Any], ...],
    chunk_size: int = DEFAULT_CHUNK,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Insert readings given as columns (ids, ts [µs since 1970, UTC], variables, values,
    qualities, sources) inside the caller's transaction; duplicates are skipped.

    On PostgreSQL the monthly partitions must exist (:func:`ensure_partitions`). Returns the
    readings newly stored; ``NotFoundError`` for an unknown transformer.
    """
    n = len(cols[0])
    if n == 0:
        return 0
    stored = 0
    _check_transformers(conn, sorted(set(cols[0])))
    write = (
        _PgWriter(conn) if conn.dialect.name == "postgresql" else partial(_write_chunk_sqlite, conn)
    )
    for start in range(0, n, chunk_size):
        chunk = list(zip(*(c[start : start + chunk_size] for c in cols), strict=True))
        stored += write(chunk)
        if on_progress is not None:
            on_progress(min(start + chunk_size, n))
    return stored


_SQLITE_INSERT = (
    "INSERT INTO readings (transformer_id, ts, variable, value, quality, source) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


def _write_chunk_sqlite(conn: Connection, chunk: list[tuple[object, ...]]) -> int:
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    before = cur.connection.total_changes
    cur.executemany(_SQLITE_INSERT, chunk)
    return int(cur.connection.total_changes - before)


@dataclass(frozen=True)
class CopyLayout:
    """A table written by binary COPY: its columns, their COPY types, which are timestamps.

    Binary COPY of timestamptz is an int64 of microseconds since 2000-01-01 UTC: sending that
    integer directly spares building a Python datetime per row (the slowest part otherwise).
    """

    table: str
    columns: tuple[str, ...]
    types: tuple[str, ...]  # int8 for a timestamp given as µs since 1970
    timestamps: tuple[int, ...]  # positions of the timestamp columns

    @property
    def names(self) -> str:
        return ", ".join(self.columns)


READINGS_COPY = CopyLayout(
    "readings", ("transformer_id", "ts", "variable", "value", "quality", "source"),
    ("text", "int8", "text", "float8", "int2", "text"), (1,),
)  # fmt: skip
_PG_EPOCH_US = 946_684_800_000_000


def _copy(cur: Any, layout: CopyLayout, table: str, chunk: list[tuple[object, ...]]) -> None:
    with cur.copy(f"COPY {table} ({layout.names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(layout.types))
        for row in chunk:
            copy.write_row(row)


class _PgWriter:
    """Per batch: COPY straight into the table; on a duplicate, stage and skip them.

    The direct COPY is about twice as fast as staging + ``INSERT ... ON CONFLICT``, and new
    data is the common case. A chunk that meets an existing key is rolled back to its
    savepoint and re-sent through the staging table; once that happens the rest of the batch
    (likely a re-delivery) goes through staging directly.
    """

    def __init__(self, conn: Connection, layout: CopyLayout = READINGS_COPY) -> None:
        self.cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        self.layout = layout
        self.stage = f"{layout.table}_stage"
        self.conflicts = False
        self.staged = False

    def __call__(self, chunk: list[tuple[object, ...]]) -> int:
        at = self.layout.timestamps
        chunk = [tuple(v - _PG_EPOCH_US if i in at else v for i, v in enumerate(row))  # type: ignore[operator]
                 for row in chunk]  # fmt: skip
        if not self.conflicts:
            self.cur.execute("SAVEPOINT tw_chunk")
            try:
                _copy(self.cur, self.layout, self.layout.table, chunk)
            except psycopg.errors.UniqueViolation:
                self.cur.execute("ROLLBACK TO SAVEPOINT tw_chunk")
                self.conflicts = True
            else:
                self.cur.execute("RELEASE SAVEPOINT tw_chunk")
                return len(chunk)
        names = self.layout.names
        if not self.staged:
            self.cur.execute(
                f"CREATE TEMPORARY TABLE {self.stage} ON COMMIT DROP AS SELECT {names} "
                f"FROM {self.layout.table} WITH NO DATA"
            )
            self.staged = True
        _copy(self.cur, self.layout, self.stage, chunk)
        self.cur.execute(
            f"INSERT INTO {self.layout.table} ({names}) SELECT {names} FROM {self.stage} "
            f"ORDER BY {names} ON CONFLICT DO NOTHING"
        )
        stored = int(self.cur.rowcount)
        self.cur.execute(f"TRUNCATE {self.stage}")
        return stored


def copy_rows(conn: Connection, layout: CopyLayout, rows: list[tuple[object, ...]]) -> int:
    """Insert ``rows`` (timestamps as µs since 1970, UTC) into a PostgreSQL table inside the
    caller's transaction by binary COPY; duplicates are skipped. Returns the rows stored."""
    write = _PgWriter(conn, layout)
    return sum(write(rows[i : i + DEFAULT_CHUNK]) for i in range(0, len(rows), DEFAULT_CHUNK))


# --------------------------------------------------------------------------------------------
# read paths
# --------------------------------------------------------------------------------------------
@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while materialising many rows.

    Fetching a day of readings allocates ~10^4 row tuples (no reference cycles), which
    triggers dozens of collections; in a process with a large heap (a service, a notebook)
    those cost several times the query itself. Same trick as ``gc.freeze`` users, scoped.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _ts_micros(conn: Connection) -> ColumnElement[int]:
    # Timestamps come back as integer microseconds on both dialects and are converted by
    # numpy in one go: building a Python datetime per row costs more than the query itself.
    if conn.dialect.name == "sqlite":
        return type_coerce(readings.c.ts, BigInteger())
    # date_part() is float8 (extract() is numeric, slower); 2^53 us covers +-285 years, so
    # rounding the product gives back the exact microsecond.
    return cast(func.date_part("epoch", readings.c.ts) * 1_000_000, BigInteger)


def readings_long(
    engine: Engine,
    transformer_id: str,
    start: datetime,
    end: datetime,
    variables: Sequence[str] | None = None,
    min_quality: int | None = None,
) -> pd.DataFrame:
    """Readings of one transformer in ``[start, end)`` as a narrow frame.

    Returns
    -------
    DataFrame
        Columns ``timestamp`` (UTC), ``variable``, ``value``, ``quality``, ``source``, sorted
        by time then variable.
    """
    q = (
        select(
            readings.c.ts,
            readings.c.variable,
            readings.c.value,
            readings.c.quality,
            readings.c.source,
        )
        .where(readings.c.transformer_id == transformer_id)
        .where(readings.c.ts >= start, readings.c.ts < end)
        .order_by(readings.c.ts, readings.c.variable)
    )
    if variables is not None:
        q = q.where(readings.c.variable.in_(list(variables)))
    if min_quality is not None:  # quality codes grow worse: keep those at most this bad
        q = q.where(readings.c.quality <= min_quality)
    with read_connection(engine) as conn, _gc_paused():
        q = q.with_only_columns(_ts_micros(conn), *q.selected_columns[1:])
        rows = conn.execute(q).all()
        return _long_frame(rows)


def _long_frame(rows: Sequence[Any]) -> pd.DataFrame:
    cols = ["timestamp", "variable", "value", "quality", "source"]
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
    micros = np.fromiter(columns[0], dtype="int64", count=len(rows))
    return pd.DataFrame(
        {
            "timestamp": pd.to_datetime(micros, unit="us", utc=True),
            "variable": pd.Series(columns[1], dtype=object),
            "value": np.fromiter(columns[2], dtype="float64", count=len(rows)),
            "quality": np.fromiter(columns[3], dtype="int64", count=len(rows)),
            "source": pd.Series(columns[4], dtype=object),
        },
        columns=cols,
    )


def readings_frame(
    engine: Engine,
    transformer_id: str,
    start: datetime,
    end: datetime,
    variables: Sequence[str] | None = None,
    good_only: bool = False,
) -> pd.DataFrame:
    """Readings of one transformer in ``[start, end)`` as the wide frame models use.

    Returns
    -------
    DataFrame
        Indexed by a UTC ``DatetimeIndex`` named ``"timestamp"``, one float column per variable
        (original names, sorted unless ``variables`` gives the order); NaN where a variable has
        no reading at that instant.
    """
    c = readings.c
    q = select(c.ts, c.variable, c.value).where(
        c.transformer_id == transformer_id, c.ts >= start, c.ts < end
    )
    if variables is not None:
        q = q.where(c.variable.in_(list(variables)))
    if good_only:
        q = q.where(c.quality == int(Quality.GOOD))
    with read_connection(engine) as conn, _gc_paused():
        q = q.with_only_columns(_ts_micros(conn), c.variable, c.value)
        rows = conn.execute(q).all()
        return _pivot(rows, variables)


def _pivot(rows: Sequence[Any], variables: Sequence[str] | None) -> pd.DataFrame:
    # Pivot in numpy (several times faster than DataFrame.pivot on the ~10^4 rows of a day);
    # no ORDER BY either: np.unique sorts the times faster than the server's sort step.
    n = len(rows)
    ts_col, var_col, val_col = zip(*rows, strict=True) if n else ((), (), ())
    micros = np.fromiter(ts_col, dtype="int64", count=n)
    names = list(variables) if variables is not None else sorted(set(var_col))
    code_of = {name: i for i, name in enumerate(names)}
    var_codes = np.fromiter((code_of[v] for v in var_col), dtype="int64", count=n)
    times, row_codes = np.unique(micros, return_inverse=True)
    grid = np.full((len(times), len(names)), np.nan)
    grid[row_codes, var_codes] = np.fromiter(val_col, dtype="float64", count=n)
    index = pd.DatetimeIndex(pd.to_datetime(times, unit="us", utc=True), name="timestamp")
    return pd.DataFrame(grid, index=index, columns=names)


def recent_readings(
    engine: Engine,
    transformer_id: str,
    hours: float = 24,
    now: datetime | None = None,
    good_only: bool = False,
) -> pd.DataFrame:
    """The last ``hours`` hours of one transformer's readings (wide, see :func:`readings_frame`;
    ``good_only``: flagged values left out)."""
    end = now or datetime.now(UTC)
    return readings_frame(
        engine, transformer_id, end - timedelta(hours=hours), end + _EPS, good_only=good_only
    )


def recent_readings_many(
    engine: Engine,
    hours: Mapping[str, float],
    now: datetime | None = None,
    good_only: bool = False,
) -> dict[str, pd.DataFrame]:
    """:func:`recent_readings` of many transformers, ``{transformer_id: hours}``, a few hundred
    per query (a monitor starting 10,000 transformers spent minutes on one query each)."""
    end = now or datetime.now(UTC)
    c = readings.c
    ids = list(hours)
    out: dict[str, pd.DataFrame] = {}
    with read_connection(engine) as conn, _gc_paused():
        for first in range(0, len(ids), 200):
            part = ids[first : first + 200]
            start = end - timedelta(hours=max(hours[t] for t in part))
            q = select(c.transformer_id, _ts_micros(conn), c.variable, c.value).where(
                c.transformer_id.in_(part), c.ts >= start, c.ts < end + _EPS
            )
            if good_only:
                q = q.where(c.quality == int(Quality.GOOD))
            rows: dict[str, list[Any]] = {t: [] for t in part}
            for tid, *row in conn.execute(q):
                rows[tid].append(row)
            for tid in part:  # each its own window within the widest of the chunk
                since = to_micros(end - timedelta(hours=hours[tid]))
                out[tid] = _pivot([r for r in rows[tid] if r[0] >= since], None)
    return out


_EPS = timedelta(microseconds=1)  # make "up to now" inclusive in half-open ranges


def latest_reading_time(engine: Engine, transformer_id: str) -> datetime | None:
    """Instant (UTC) of the newest reading of a transformer, ``None`` when it has none."""
    with engine.connect() as conn:
        return conn.scalar(
            select(func.max(readings.c.ts)).where(readings.c.transformer_id == transformer_id)
        )


def latest_value(
    engine: Engine, transformer_id: str, variable: str
) -> tuple[datetime, float] | None:
    """Newest ``(ts, value)`` of one variable of a transformer, ``None`` when it has none."""
    c = readings.c
    q = (
        select(c.ts, c.value)
        .where(c.transformer_id == transformer_id, c.variable == variable)
        .order_by(c.ts.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(q).first()
    return (row.ts, float(row.value)) if row else None


def latest_values(engine: Engine, transformer_id: str) -> dict[str, tuple[datetime, float]]:
    """Newest value of each variable of a transformer: ``{variable: (ts, value)}``.

    Looks back from the newest reading only one day, so it stays an index range scan.
    """
    last = latest_reading_time(engine, transformer_id)
    if last is None:
        return {}
    long = readings_long(engine, transformer_id, last - timedelta(days=1), last + _EPS)
    newest = long.groupby("variable").tail(1)
    return {
        str(r.variable): (r.timestamp.to_pydatetime(), float(r.value)) for r in newest.itertuples()
    }


def count_readings(engine: Engine, transformer_id: str | None = None) -> int:
    """Number of raw readings stored (for one transformer or all)."""
    q = select(func.count()).select_from(readings)
    if transformer_id is not None:
        q = q.where(readings.c.transformer_id == transformer_id)
    with engine.connect() as conn:
        return int(conn.scalar(q) or 0)
