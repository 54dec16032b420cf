"""MQTT messages are acknowledged only once durable (issue 12): a monitor killed between
receiving messages and storing them loses none — the broker sends them again to its
persistent session — and they are stored once."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from thermowatch.store.engine import make_engine
from thermowatch.store.readings import count_readings

from .conftest import Broker
from .helpers import monitor_for, wait_for
from .test_mqtt import KEYS, publish

TID = "TR-0001"
N = 50  # more than the broker's default cap of 20 unacknowledged messages


def _receive_then_hang(port: int, tmp: str, url: str, flag: str) -> None:
    """A monitor that receives messages and dies before any cycle stores them."""

    async def run() -> None:
        monitor = monitor_for("mqtt", 1, port, Path(tmp), make_engine(url))
        await monitor.start()
        await monitor.wait_connected(10)
        Path(flag + ".connected").touch()
        await wait_for(lambda: monitor.hub_of[TID].received == N, 15)
        Path(flag).touch()
        await asyncio.sleep(3600)  # killed here: received, not stored

    asyncio.run(run())


def test_a_monitor_killed_before_storing_loses_no_message(
    tmp_path: Path, engine: Engine, broker: Broker
) -> None:
    flag = str(tmp_path / "received")
    url = str(engine.url)
    child = mp.get_context("spawn").Process(
        target=_receive_then_hang, args=(broker.port, str(tmp_path), url, flag)
    )
    child.start()

    async def scenario() -> tuple[int, int]:
        await wait_for(lambda: Path(flag + ".connected").exists(), 60)
        await publish(broker.port, TID, range(N))
        await wait_for(lambda: Path(flag).exists(), 15)
        os.kill(child.pid, signal.SIGKILL)  # between receipt and write
        child.join(10)
        assert count_readings(engine, TID) == 0
        # the restarted monitor (same client id, persistent session) gets them again
        again = monitor_for("mqtt", 1, broker.port, tmp_path, engine)
        await again.start()
        await again.wait_connected(10)
        await wait_for(lambda: again.hub_of[TID].received == N, 15)
        await again.run_cycle([TID], datetime.now(UTC))
        await asyncio.sleep(0.5)  # the acknowledgements reach the broker
        await again.shutdown()
        # stored and acknowledged: a third start receives nothing more
        third = monitor_for("mqtt", 1, broker.port, tmp_path, engine)
        await third.start()
        await third.wait_connected(10)
        await asyncio.sleep(2.0)
        received = third.hub_of[TID].received
        await third.shutdown()
        return again.hub_of[TID].received, received

    redelivered, after = asyncio.run(scenario())
    assert redelivered == N and after == 0
    assert count_readings(engine, TID) == N * len(KEYS)  # every message, once
