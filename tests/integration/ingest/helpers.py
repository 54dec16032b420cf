"""Shared steps of the integration tests."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from thermowatch.ingest.backoff import Backoff
from thermowatch.ingest.config import MonitorConfig, parse_config
from thermowatch.ingest.monitor import Monitor
from thermowatch.ingest.simulator import FIELDS, sim_config
from thermowatch.store.readings import readings_long


def monitor_for(
    protocol: str, n: int, port: int, tmp_path: Path, engine: Engine, **kwargs: Any
) -> Monitor:
    cfg: MonitorConfig = parse_config(
        tomllib.loads(sim_config(protocol, n, port=port, period_s=1, **kwargs)), tmp_path
    )
    monitor = Monitor(cfg, engine=engine)
    for hub in monitor.hubs.values():  # tests need not wait for production-size backoffs
        hub.backoff = Backoff(base_s=0.1, cap_s=0.5)
    return monitor


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)


def stored_at(engine: Engine, tid: str, ts: datetime) -> dict[str, float]:
    """``{field key: value}`` stored for ``tid`` at ``ts``."""
    long = readings_long(engine, tid, ts, ts + timedelta(microseconds=1))
    return {FIELDS[v]: float(x) for v, x in zip(long["variable"], long["value"], strict=True)}


def newest_stored(engine: Engine, tid: str) -> dict[str, float]:
    """``{field key: value}`` of the newest stored reading of each variable of ``tid``."""
    long = readings_long(engine, tid, datetime(1990, 1, 1, tzinfo=UTC), now() + timedelta(hours=1))
    last = long.groupby("variable").tail(1)  # sorted by time
    return {FIELDS[v]: float(x) for v, x in zip(last["variable"], last["value"], strict=True)}


def now() -> datetime:
    return datetime.now(UTC)
