"""One live batch — readings, predictions, forecasts and reading issues — in one transaction.

The live pipeline (:mod:`thermowatch.live`) hands over a :data:`batch <LiveBatch>`, a plain
JSON-ready dict so that the monitor's spool can keep it as is::

    {"readings":    [[transformer_id, ts_us, variable, value, quality, source], ...],
     "predictions": [[transformer_id, ts_us, model_id, value, lower, upper, level,
                      measured, measured_level], ...],
     "forecasts":   [[transformer_id, issued_us, ts_us, model_id, value, level], ...],
     "issues":      [[transformer_id, ts_us | None, variable, raw, verdict, reason, source,
                      received_us], ...],
     "states":      [[...STATE_COLUMNS of thermowatch.store.state], ...]}

``*_us`` are microseconds since 1970-01-01 UTC. Readings, predictions and forecasts are
written with ``INSERT ... ON CONFLICT DO NOTHING`` on their keys, so a batch sent twice (a
replayed spool) is stored once; an issue is a log line of the refusal and is kept each time; a
state replaces the stored one unless that one is newer (data time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from thermowatch.store._sql import insert_ignore, unknown_transformer_is_not_found
from thermowatch.store.engine import write_transaction
from thermowatch.store.partitions import ensure_partitions, with_partition_retry
from thermowatch.store.predictions import insert_predictions
from thermowatch.store.readings import CopyLayout, copy_rows, insert_columns
from thermowatch.store.state import upsert_states
from thermowatch.store.tables import forecasts, reading_issues
from thermowatch.store.types import from_micros

LiveBatch = dict[str, list[list[Any]]]


def batch_size(batch: LiveBatch) -> int:
    """Number of rows of every kind in a batch."""
    return sum(len(batch.get(k, ())) for k in ("readings", "predictions", "forecasts", "issues"))


def write_live_batch(engine: Engine, batch: LiveBatch) -> dict[str, int]:
    """Store a live batch in one transaction; returns the rows newly stored per table.

    Raises
    ------
    NotFoundError
        A transformer of the batch does not exist in the store (nothing is written).
    sqlalchemy.exc.OperationalError, psycopg.OperationalError
        The database is unavailable (nothing is written; the caller may retry or spool).
    """
    rows = sorted(batch.get("readings", []), key=lambda r: (r[0], r[1], r[2]))
    times = [r[1] for r in rows]
    if engine.dialect.name == "postgresql" and times:
        ensure_partitions(engine, from_micros(min(times)), from_micros(max(times)))
    ids = sorted({r[0] for k in ("readings", "predictions", "forecasts", "states")
                  for r in batch.get(k, [])})  # fmt: skip

    def write() -> dict[str, int]:
        with unknown_transformer_is_not_found(", ".join(ids)):
            return _write(engine, batch, rows)

    if not times:  # no readings: no partition can be missing, a deadlock is still replayed
        now = datetime.now(UTC)
        return with_partition_retry(engine, write, now, now)
    return with_partition_retry(engine, write, from_micros(min(times)), from_micros(max(times)))


def _write(engine: Engine, batch: LiveBatch, rows: list[list[Any]]) -> dict[str, int]:
    cols = ("transformer_id", "ts", "model_id", "value", "lower", "upper", "level", "measured",
            "measured_level")  # fmt: skip
    preds = [dict(zip(cols, row, strict=False)) for row in batch.get("predictions", [])]
    for p in preds:
        p["ts"] = from_micros(p["ts"])
        p.setdefault("measured", None)  # batches spooled before the column existed
        p.setdefault("measured_level", None)
    fcs = batch.get("forecasts", [])
    issues = [
        {"transformer_id": t, "ts": None if us is None else from_micros(us), "variable": v,
         "raw": raw, "verdict": verdict, "reason": reason, "source": src,
         "received_at": from_micros(received)}
        for t, us, v, raw, verdict, reason, src, received in batch.get("issues", [])
    ]  # fmt: skip
    out = {"readings": 0, "predictions": 0, "forecasts": 0, "issues": 0}
    with write_transaction(engine) as conn:
        if rows:
            cols = tuple(list(c) for c in zip(*rows, strict=True))
            out["readings"] = insert_columns(conn, cols)  # type: ignore[arg-type]
        out["predictions"] = insert_predictions(conn, preds)
        if fcs:
            out["forecasts"] = _insert_forecasts(conn, fcs)
        if issues:
            conn.execute(reading_issues.insert(), issues)
            out["issues"] = len(issues)
        out["states"] = upsert_states(conn, batch.get("states", []))
    return out


FORECASTS_COPY = CopyLayout(
    "forecasts", ("transformer_id", "issued_at", "ts", "model_id", "value", "level"),
    ("text", "int8", "int8", "text", "float8", "text"), (1, 2),
)  # fmt: skip


def _insert_forecasts(conn: Connection, rows: list[list[Any]]) -> int:
    """Forecast rows (``[transformer_id, issued_us, ts_us, model_id, value, level]``), a
    (transformer, issue, instant, model) already stored kept; the rows newly stored. COPY on
    PostgreSQL: a fleet issues ~100 points per transformer at once (10,000 transformers: a
    million rows, minutes as one INSERT per row)."""
    if conn.dialect.name == "postgresql":
        return copy_rows(conn, FORECASTS_COPY, [tuple(r) for r in rows])
    params = [{"transformer_id": t, "issued_at": from_micros(issued), "ts": from_micros(us),
               "model_id": m, "value": x, "level": lvl}
              for t, issued, us, m, x, lvl in rows]  # fmt: skip
    stmt = insert_ignore(forecasts, conn).returning(forecasts.c.ts)
    return len(conn.execute(stmt, params).all())
