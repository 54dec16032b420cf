"""One validation for every protocol and HTTP: a value that is not a number in a measurement
field gets the same words over MQTT (a real Mosquitto and the monitor: stored REJECTED with its
reason) and over ``POST /v1/readings`` (422 naming the field). Before, HTTP answered pydantic's
"Input should be a valid number" where MQTT stored "not a number (str)"."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiomqtt
import pytest
from sqlalchemy import select

from tests.integration.ingest.conftest import Broker, broker  # noqa: F401  (fixture)
from tests.integration.ingest.helpers import monitor_for, wait_for
from thermowatch.data.simulator import CURRENT
from thermowatch.ingest.simulator import FIELDS, topic_of
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.tables import reading_issues

from .conftest import TRANSFORMER, reading

RAWS = ["abc", "12.5", None, True, [1.0], {"v": 1}]


def mqtt_reasons(tmp_path: Path, port: int) -> list[str]:
    """The reason the monitor stores for each raw current of :data:`RAWS`, in order."""
    engine = make_engine(f"sqlite:///{tmp_path}/mqtt.db")
    upgrade(engine)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

    async def scenario() -> None:
        monitor = monitor_for("mqtt", 1, port, tmp_path, engine)
        hub = monitor.hub_of["TR-0001"]
        await monitor.start()
        await monitor.wait_connected(10)
        async with aiomqtt.Client("127.0.0.1", port) as client:
            for i, raw in enumerate(RAWS):
                body = {"ts": (t0 + timedelta(minutes=i)).isoformat(), "current_a": raw,
                        "winding_c": 70.0}  # fmt: skip
                await client.publish(topic_of("TR-0001"), json.dumps(body), qos=1)
        await wait_for(lambda: hub.received == len(RAWS))
        await monitor.run_cycle(["TR-0001"], datetime.now(UTC))
        await monitor.shutdown()

    asyncio.run(scenario())
    with engine.connect() as conn:
        rows = conn.execute(
            select(reading_issues.c.ts, reading_issues.c.verdict, reading_issues.c.reason)
            .where(reading_issues.c.variable == CURRENT)
            .order_by(reading_issues.c.ts)
        ).all()
    engine.dispose()
    assert [r.verdict for r in rows] == ["REJECTED"] * len(RAWS), rows
    return [r.reason for r in rows]


def test_a_text_value_has_the_same_reason_over_mqtt_and_http(
    client,
    keys,
    tmp_path: Path,
    broker: Broker,  # noqa: F811
) -> None:
    assert CURRENT in FIELDS
    stored = mqtt_reasons(tmp_path, broker.port)
    for raw, reason in zip(RAWS, stored, strict=True):
        body = {"transformer_id": TRANSFORMER, "values": reading() | {CURRENT: raw}}
        r = client.post("/v1/readings", json=body, headers={"X-API-Key": keys["operator"]})
        assert r.status_code == 422, r.text
        assert r.json()["erreur"] == f"the field 'values.{CURRENT}': {reason}.", (raw, r.text)
    assert stored[:4] == ["not a number (str)", "not a number (str)", "not a number (null)",
                          "not a number (bool)"]  # fmt: skip


@pytest.mark.parametrize("raw", ["abc", None])
def test_a_batch_names_the_reading_and_the_field(client, keys, raw) -> None:
    good = {"transformer_id": TRANSFORMER, "values": reading()}
    bad = {"transformer_id": TRANSFORMER, "values": reading() | {CURRENT: raw}}
    r = client.post("/v1/readings", json=[good, bad], headers={"X-API-Key": keys["operator"]})
    assert r.status_code == 422, r.text
    assert r.json()["erreur"].startswith(f"reading 1: the field 'values.{CURRENT}': not a number")
