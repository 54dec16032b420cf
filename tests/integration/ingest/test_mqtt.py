"""MQTT through a real Mosquitto broker: every QoS 1 message stored, across a broker restart
and a monitor restart (persistent session)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiomqtt
from sqlalchemy import Engine

from thermowatch.ingest.backoff import Backoff
from thermowatch.ingest.simulator import FIELDS, topic_of
from thermowatch.store.readings import count_readings, readings_long

from .conftest import Broker
from .helpers import monitor_for, wait_for

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
KEYS = list(FIELDS.values())


def payload(i: int) -> dict[str, object]:
    """Message ``i``: distinct numbers so that every stored value can be checked."""
    values = {k: round(10.0 + j + i / 100, 3) for j, k in enumerate(KEYS)}
    values["current_a"] = 500.0 + i
    return {"ts": (T0 + timedelta(seconds=i)).isoformat(), **values}


async def publish(port: int, tid: str, indices: range) -> None:
    async with aiomqtt.Client("127.0.0.1", port, identifier=f"pub-{tid}") as client:
        for i in indices:
            await client.publish(topic_of(tid), json.dumps(payload(i)), qos=1)


def test_every_message_stored_across_broker_and_monitor_restarts(
    tmp_path: Path, engine: Engine, broker: Broker
) -> None:
    tid = "TR-0001"

    async def run_cycle(monitor) -> None:
        await monitor.run_cycle([tid], datetime.now(UTC))

    async def scenario() -> None:
        monitor = monitor_for("mqtt", 1, broker.port, tmp_path, engine)
        hub = monitor.hub_of[tid]
        await monitor.start()
        await monitor.wait_connected(10)
        await publish(broker.port, tid, range(0, 20))
        await wait_for(lambda: hub.received == 20)
        await run_cycle(monitor)
        # the broker restarts (persistence on); messages published while the monitor is
        # still reconnecting are kept for its persistent session
        hub.backoff = Backoff(base_s=2.0, cap_s=2.0)  # the publisher is surely back first
        broker.stop()
        await wait_for(lambda: not hub.connected.is_set())
        broker.start()
        await publish(broker.port, tid, range(20, 40))
        assert not hub.connected.is_set()
        await monitor.wait_connected(15)
        # at least once: what the broker had not seen acknowledged when it stopped comes again
        await wait_for(lambda: hub.received >= 40, 15)
        await run_cycle(monitor)
        # the monitor stops (SIGTERM path); messages meanwhile wait at the broker
        await monitor.shutdown()
        await publish(broker.port, tid, range(40, 60))
        again = monitor_for("mqtt", 1, broker.port, tmp_path, engine)
        await again.start()
        await again.wait_connected(10)
        await wait_for(lambda: again.hub_of[tid].received >= 20, 15)
        await again.shutdown()  # the final flush stores what was queued

    asyncio.run(scenario())
    assert count_readings(engine, tid) == 60 * len(KEYS)  # every message, stored once
    long = readings_long(engine, tid, T0, T0 + timedelta(minutes=5))
    current = long[long["variable"] == "courant (A)"]
    assert current["value"].tolist() == [500.0 + i for i in range(60)]
    assert current["timestamp"].tolist() == [T0 + timedelta(seconds=i) for i in range(60)]
