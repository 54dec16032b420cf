"""At-least-once MQTT with real processes: the ``monitor`` command is SIGKILLed mid-period while
messages keep coming through a real Mosquitto; once restarted, every published (transformer,
variable, timestamp) is stored, and stored once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from tests.logged import spawn, stderr_of
from thermowatch.ingest.simulator import FIELDS, sim_config
from thermowatch.store.engine import make_engine
from thermowatch.store.readings import count_readings, readings_long

from .conftest import Broker
from .test_cli import APP, SRC
from .test_mqtt import T0, publish

IDS = ["TR-0001", "TR-0002", "TR-0003"]
N = 120  # messages per transformer, one per simulated second


def _start(cfg: Path, url: str, home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "THERMOWATCH_DATABASE_URL": url,
           "THERMOWATCH_HOME": str(home)}  # fmt: skip
    return spawn(
        [sys.executable, "-c", APP, "monitor", "--config", str(cfg), "--log-level", "WARNING"],
        home / "monitor.log", env=env,
    )  # fmt: skip


def _wait(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # tables not created yet
            if predicate():
                return True
        time.sleep(0.2)
    return False


def _publish_slowly(port: int) -> None:
    """Messages 1..N-1 of every transformer, ~25 a second each: several periods long."""

    async def one(tid: str) -> None:
        for i in range(1, N):
            await publish(port, tid, range(i, i + 1))
            await asyncio.sleep(0.02)

    async def run() -> None:
        await asyncio.gather(*(one(tid) for tid in IDS))

    asyncio.run(run())


def test_monitor_killed_mid_period_loses_and_duplicates_nothing(
    tmp_path: Path, broker: Broker
) -> None:
    cfg = tmp_path / "mqtt.toml"
    cfg.write_text(sim_config("mqtt", len(IDS), port=broker.port, period_s=1), encoding="utf-8")
    url = f"sqlite:///{tmp_path}/store.db"
    engine = make_engine(url)
    monitor = _start(cfg, url, tmp_path / "home")

    # The persistent session exists once the monitor has stored message 0 of each transformer.
    def first_stored() -> bool:
        asyncio.run(publish_first())
        return all(count_readings(engine, tid) >= len(FIELDS) for tid in IDS)

    async def publish_first() -> None:
        for tid in IDS:
            await publish(broker.port, tid, range(0, 1))

    assert _wait(first_stored, 120), "the monitor never stored message 0"
    publisher = threading.Thread(target=_publish_slowly, args=(broker.port,))
    publisher.start()
    time.sleep(2.3)  # a few periods in, at no particular point of a period
    killed_with = count_readings(engine)
    monitor.send_signal(signal.SIGKILL)
    monitor.wait(30)
    publisher.join(120)
    expected = len(IDS) * N * len(FIELDS)
    assert len(FIELDS) * len(IDS) < killed_with < expected  # killed mid-run

    again = _start(cfg, url, tmp_path / "home")
    try:
        _wait(lambda: count_readings(engine) >= expected, 120)
        time.sleep(2.0)  # a few more periods: a redelivery must not add a row
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=60)
    assert again.returncode == 0, stderr_of(again)

    lost = duplicated = 0
    for tid in IDS:
        long = readings_long(engine, tid, T0, T0 + timedelta(seconds=N))
        keys = list(zip(long["variable"], long["timestamp"], strict=True))
        published = {(var, T0 + timedelta(seconds=i)) for var in FIELDS for i in range(N)}
        lost += len(published - set(keys))
        duplicated += len(keys) - len(set(keys))
    assert (lost, duplicated) == (0, 0)
    assert count_readings(engine) == expected
