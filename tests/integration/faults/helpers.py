"""Shared steps of the fault tests: a QoS 1 publisher that outlives broker outages, the
monitor as a real process, and counts per (transformer, variable, timestamp)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiomqtt
from sqlalchemy import Engine, text

from thermowatch.ingest.simulator import FIELDS, topic_of
from thermowatch.store.readings import readings_long

SRC = Path(__file__).resolve().parents[3] / "src"
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
HOT_WINDING_C = 120.0  # above the simulator config's CRITIQUE (105 °C)


def payload(i: int, hot: bool) -> dict[str, object]:
    """Message ``i`` (data time ``T0 + i`` s); values move a little so no sensor looks frozen."""
    wobble = (i % 10) / 10
    return {
        "ts": (T0 + timedelta(seconds=i)).isoformat(),
        "current_a": 500.0 + wobble, "ambient_c": 20.0 + wobble, "oil_c": 60.0 + wobble,
        "winding_c": (HOT_WINDING_C if hot else 70.0) + wobble,
        "voltage_kv": 63.0 + wobble, "p_mw": 20.0 + wobble, "q_mvar": 5.0 + wobble,
    }  # fmt: skip


class Publisher(threading.Thread):
    """Publishes message ``i`` of every transformer, ``rate_hz`` rounds a second, QoS 1 with a
    persistent session; through a broker outage it reconnects and re-sends what was not
    acknowledged. ``acked`` holds the ``(transformer, i)`` the broker acknowledged (PUBACK)."""

    def __init__(self, port: int, ids: Iterable[str], hot: Iterable[str] = (), rate_hz: float = 5):
        super().__init__(daemon=True)
        self.port, self.ids, self.hot, self.rate_hz = port, list(ids), set(hot), rate_hz
        self.acked: set[tuple[str, int]] = set()
        self.reconnects = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        i = 0
        while not self.stop_event.is_set():
            try:
                async with aiomqtt.Client(
                    "127.0.0.1", self.port, identifier="fault-publisher", clean_session=False
                ) as client:
                    while not self.stop_event.is_set():
                        for tid in self.ids:
                            if (tid, i) not in self.acked:
                                body = json.dumps(payload(i, tid in self.hot))
                                await client.publish(topic_of(tid), body, qos=1, timeout=5)
                                self.acked.add((tid, i))
                        i += 1
                        await asyncio.sleep(1 / self.rate_hz)
            except aiomqtt.MqttError:
                self.reconnects += 1
                await asyncio.sleep(0.2)

    def finish(self) -> None:
        self.stop_event.set()
        self.join(30)


def monitor_process(
    cfg: Path, url: str, home: Path, log: Path, *extra: str
) -> subprocess.Popen[bytes]:
    """``thermowatch monitor`` from this tree, logging at INFO into ``log``."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "THERMOWATCH_DATABASE_URL": url,
           "THERMOWATCH_HOME": str(home)}  # fmt: skip
    code = "from thermowatch.cli import main; main()"
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", code, "monitor", "--config", str(cfg), *extra],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.1) -> float | None:
    """Seconds until ``predicate()`` held (errors count as not yet), ``None`` on timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        with contextlib.suppress(Exception):
            if predicate():
                return time.monotonic() - start
        time.sleep(step)
    return None


def lost_and_duplicated(engine: Engine, sent: set[tuple[str, int]]) -> tuple[int, int]:
    """Readings sent but not stored, and stored twice, per (transformer, variable, timestamp)."""
    lost = duplicated = 0
    for tid in sorted({t for t, _ in sent}):
        long = readings_long(engine, tid, T0, T0 + timedelta(days=10))
        keys = list(zip(long["variable"], long["timestamp"], strict=True))
        expected = {(v, T0 + timedelta(seconds=i)) for t, i in sent if t == tid for v in FIELDS}
        missing = expected - set(keys)
        if missing:
            print(f"{tid}: {len(missing)} lost, e.g. {sorted(missing, key=lambda k: k[1])[:8]}")
        lost += len(missing)
        duplicated += len(keys) - len(set(keys))
    return lost, duplicated


def alarms(engine: Engine) -> list[tuple[str, str, str, int]]:
    """``(transformer, kind, level, rows)`` of the stored alarms."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT transformer_id, kind, level, COUNT(*) FROM alerts "
            "GROUP BY transformer_id, kind, level ORDER BY transformer_id, kind, level"
        )).all()  # fmt: skip
    return [tuple(r) for r in rows]  # type: ignore[misc]


def duplicated_alarms(engine: Engine) -> list[tuple[str, str, str, int]]:
    """Alarms raised more than once for one condition while it never returned to normal."""
    return [a for a in alarms(engine) if a[3] > 1]
