"""Speed of the history store on SQLite and PostgreSQL.

Measures, per database:

* write throughput [readings/s] of ``write_readings`` (the bulk path) into an empty store,
  batches of 10,000 minutes x 6 variables, and of re-sending the same batches (all duplicates);
* sustained throughput while filling a store of 10 transformers x one year of 1-minute readings
  of 6 variables (31.5 M rows) through the same API, month by month, transformers interleaved;
* the last-24-hours query (``recent_readings``, wide frame) for one transformer in that store
  [ms, median and 95th percentile of 30 runs after 3 warm-ups], and ``fleet_status``.

PostgreSQL is a throwaway cluster (:class:`tests.pgtest.PostgresCluster`) with
``fsync`` on and production-like memory settings (see ``PG_SETTINGS``). Goals on this machine:
>= 50,000 readings/s on SQLite, >= 100,000 on PostgreSQL, query < 50 ms on both.

usage: python benchmarks/store_speed.py [--quick] [--no-postgres] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.pgtest

from tests.pgtest import PostgresCluster

from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.readings import (
    count_readings,
    recent_readings,
    wide_to_frame,
    write_readings,
)
from thermowatch.store.status import fleet_status
from thermowatch.store.transformers import ensure_transformer

RESULTS = Path(__file__).parent / "results" / "store_speed.json"
VARIABLES = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "OT"]
START = datetime(2025, 1, 1, tzinfo=UTC)
PG_SETTINGS = {"shared_buffers": "2GB", "max_wal_size": "8GB", "work_mem": "32MB"}
GOALS = {"sqlite": 50_000, "postgresql": 100_000}


def batch(transformer: str, first_minute: int, n_minutes: int, seed: int) -> pd.DataFrame:
    """Narrow readings of 6 variables for ``n_minutes`` minutes (realistic-looking values)."""
    rng = np.random.default_rng(seed)
    minutes = np.arange(first_minute, first_minute + n_minutes)
    index = pd.DatetimeIndex(pd.Timestamp(START) + pd.to_timedelta(minutes, unit="min"))
    daily = np.sin(2 * np.pi * minutes / 1440.0)
    wide = pd.DataFrame(
        {v: np.round(10 + 5 * daily + rng.normal(0, 0.5, len(minutes)) + i, 3)
         for i, v in enumerate(VARIABLES)},
        index=index,
    )  # fmt: skip
    frame, _ = wide_to_frame(wide, transformer, source="bench")
    return frame


def write_speed(url: str, n_batches: int) -> dict[str, float]:
    engine = make_engine(url)
    upgrade(engine)
    ensure_transformer(engine, "W1")
    frames = [batch("W1", k * 10_000, 10_000, k) for k in range(n_batches)]
    n = sum(len(f) for f in frames)
    t0 = time.perf_counter()
    stored = sum(write_readings(engine, f) for f in frames)
    t1 = time.perf_counter()
    again = sum(write_readings(engine, f) for f in frames)
    t2 = time.perf_counter()
    assert stored == n and again == 0 and count_readings(engine, "W1") == n
    engine.dispose()
    return {"readings": n, "new_per_s": n / (t1 - t0), "duplicates_per_s": n / (t2 - t1)}


def fill_and_query(url: str, n_transformers: int, days: int, settle: Any = None) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    ids = [f"T{i:02d}" for i in range(1, n_transformers + 1)]
    for tid in ids:
        ensure_transformer(engine, tid, target_variable="OT")
    minutes_total = days * 1440
    step = 30 * 1440  # a month-sized batch per transformer: live ingestion advances in time
    t0 = time.perf_counter()
    written, writing = 0, 0.0
    for first in range(0, minutes_total, step):
        for k, tid in enumerate(ids):
            frame = batch(tid, first, min(step, minutes_total - first), first + k)
            w0 = time.perf_counter()
            written += write_readings(engine, frame)
            writing += time.perf_counter() - w0
        done = min(first + step, minutes_total) // 1440
        print(f"  filled {done}/{days} days ({written:,} readings)", flush=True)
    fill_s = time.perf_counter() - t0
    if settle is not None:
        settle(engine)
    end = START + timedelta(minutes=minutes_total - 1)
    probe = ids[len(ids) // 2]
    for _ in range(3):
        recent_readings(engine, probe, 24, now=end)
    times = []
    for _ in range(30):
        q0 = time.perf_counter()
        wide = recent_readings(engine, probe, 24, now=end)
        times.append((time.perf_counter() - q0) * 1000)
    assert wide.shape == (24 * 60 + 1, 6), wide.shape
    s0 = time.perf_counter()
    status = fleet_status(engine, now=end)
    status_ms = (time.perf_counter() - s0) * 1000
    assert len(status) == n_transformers and status[0].last_reading_at == end
    total = count_readings(engine)
    engine.dispose()
    return {
        "store_readings": total,
        "fill_s": fill_s,
        "fill_per_s": written / writing,
        "query_24h_median_ms": statistics.median(times),
        "query_24h_p95_ms": float(np.percentile(times, 95)),
        "query_24h_rows": int(wide.notna().sum().sum()),
        "fleet_status_ms": status_ms,
    }


def pg_settle(engine: Any) -> None:
    # What autovacuum and the checkpointer do after a bulk load anyway; measured queries then
    # see the steady state, not the flush of gigabytes of freshly written pages.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE readings")
        conn.exec_driver_sql("CHECKPOINT")


def sqlite_settle(engine: Any) -> None:
    # Fold the WAL back into the database file, as SQLite's auto-checkpoint eventually does.
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="30-day store instead of one year")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    args = ap.parse_args()
    days = 30 if args.quick else 365
    n_batches = 5 if args.quick else 20
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count(),
                    "platform": platform.platform()},
        "store": {"transformers": 10, "days": days, "variables": 6, "period": "1 min"},
        "postgresql_settings": PG_SETTINGS | {"fsync": "on", "synchronous_commit": "on"},
        "sqlite_settings": {"journal_mode": "WAL", "synchronous": "NORMAL"},
        "goals": {"sqlite_per_s": 50_000, "postgresql_per_s": 100_000, "query_ms": 50},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="tw-bench-") as tmp:
        if not args.no_sqlite:
            print("SQLite: write speed", flush=True)
            w = write_speed(f"sqlite:///{tmp}/write.db", n_batches)
            print("SQLite: filling the query store", flush=True)
            q = fill_and_query(f"sqlite:///{tmp}/query.db", 10, days, sqlite_settle)
            results["sqlite"] = w | q
        if not args.no_postgres:
            with PostgresCluster(durable=True, settings=PG_SETTINGS) as cluster:
                print("PostgreSQL: write speed", flush=True)
                w = write_speed(cluster.create_database("write"), n_batches)
                print("PostgreSQL: filling the query store", flush=True)
                q = fill_and_query(cluster.create_database("query"), 10, days, pg_settle)
                results["postgresql"] = w | q
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    report(results)


def report(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"thermowatch store speed ({results['store']['days']}-day query store)")
    table.add_column("")
    dbs = [db for db in ("sqlite", "postgresql") if db in results]
    for db in dbs:
        table.add_column(db, justify="right")
    rows = [
        ("write, new [readings/s]", "new_per_s", "{:,.0f}"),
        ("write, duplicates [readings/s]", "duplicates_per_s", "{:,.0f}"),
        ("fill 10 transformers [readings/s]", "fill_per_s", "{:,.0f}"),
        ("store size [readings]", "store_readings", "{:,}"),
        ("last 24 h, median [ms]", "query_24h_median_ms", "{:.1f}"),
        ("last 24 h, p95 [ms]", "query_24h_p95_ms", "{:.1f}"),
        ("fleet status [ms]", "fleet_status_ms", "{:.1f}"),
    ]
    for label, key, fmt in rows:
        table.add_row(label, *(fmt.format(results[db][key]) for db in dbs))
    goal_row = []
    for db in dbs:
        ok_w = results[db]["new_per_s"] >= GOALS[db]
        ok_q = results[db]["query_24h_median_ms"] < 50
        goal_row.append(("write ok" if ok_w else "write MISSED") + ", "
                        + ("query ok" if ok_q else "query MISSED"))  # fmt: skip
    table.add_row("goals (>=50k/100k per s, <50 ms)", *goal_row)
    Console().print(table)
    print(f"results written to {RESULTS}")


if __name__ == "__main__":
    main()
