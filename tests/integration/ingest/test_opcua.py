"""OPC UA: values served by a real asyncua server end up stored with the right numbers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from thermowatch.ingest.simulator import FieldModel, OpcUaField
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.predictions import predictions_frame

from .conftest import free_port
from .helpers import monitor_for, newest_stored, now, wait_for

IDS = ["TR-0001", "TR-0002"]
MODES = ("polling", "subscription")


def test_server_values_become_reading_and_prediction_rows(tmp_path: Path) -> None:
    """One server, two monitors: polling and subscription, each with its own store."""

    async def scenario() -> None:
        field = FieldModel(2, "normal")
        field.step(now())
        server = OpcUaField(field, "127.0.0.1", free_port())
        await server.start()
        stores = {m: make_engine(f"sqlite:///{tmp_path}/{m}.db") for m in MODES}
        monitors = {}
        for mode, engine in stores.items():
            upgrade(engine)
            monitors[mode] = monitor_for(
                "opcua", 2, server.port, tmp_path / mode, engine, mode=mode
            )
        try:
            for monitor in monitors.values():
                await monitor.start()
                await monitor.wait_connected(15)
            hub = monitors["subscription"].hub_of["TR-0001"]
            oil = ("TR-0002", "température huile (°C)")
            for _ in range(2):
                field.step(now())
                await server.publish()
                await wait_for(  # data-change notifications come every 500 ms
                    lambda: any(
                        k == oil and dv.Value.Value == field.snapshot(1)["oil_c"]
                        for k, dv, _ in hub._changes  # type: ignore[attr-defined]
                    )
                )
                for mode, monitor in monitors.items():
                    tick = now()
                    report = await monitor.run_cycle(IDS, tick)
                    assert report.with_data == 2 and report.predictions >= 2, mode
                    for i, tid in enumerate(IDS):
                        # stamped with the server's source timestamp, not the tick
                        assert newest_stored(stores[mode], tid) == field.snapshot(i), mode
                        estimate = monitor.states[tid].last_event
                        pred = predictions_frame(
                            stores[mode], tid, estimate.ts, estimate.ts + timedelta(microseconds=1)
                        )
                        assert estimate.ts <= tick
                        assert pred["value"].iloc[0] == pytest.approx(estimate.predicted_c)
                        assert 30.0 < pred["value"].iloc[0] < 120.0
        finally:
            for monitor in monitors.values():
                await monitor.shutdown()
            await server.stop()

    asyncio.run(scenario())


def test_server_restart_reconnects_and_marks_the_gap(tmp_path: Path, engine: Engine) -> None:
    async def scenario() -> None:
        field = FieldModel(1, "normal")
        field.step(now())
        port = free_port()
        server = OpcUaField(field, "127.0.0.1", port)
        await server.start()
        monitor = monitor_for("opcua", 1, port, tmp_path, engine, mode="polling")
        hub = monitor.hub_of["TR-0001"]
        try:
            await monitor.start()
            await monitor.wait_connected(15)
            first = now()
            assert (await monitor.run_cycle(["TR-0001"], first)).with_data == 1
            await server.stop()
            await wait_for(lambda: not hub.connected.is_set(), 10)
            for _ in range(3):  # three silent periods: a data alert
                assert (await monitor.run_cycle(["TR-0001"], now())).with_data == 0
            assert monitor.states["TR-0001"].status == "no data"
            assert [a.kind for a in monitor.data_alerts] == ["no_data"]
            await server.start()  # same port, new server process state
            field.step(now())
            await server.publish()  # the device has sampled again since
            await monitor.wait_connected(20)
            back = now()
            assert (await monitor.run_cycle(["TR-0001"], back)).with_data == 1
            [(gap_from, gap_to)] = list(monitor.states["TR-0001"].gaps)
            assert gap_from <= first and first < gap_to <= back  # source timestamps
            assert [a.kind for a in monitor.data_alerts] == ["no_data", "data_back"]
            assert hub.reconnects >= 1
            assert newest_stored(engine, "TR-0001") == field.snapshot(0)
        finally:
            await monitor.shutdown()
            await server.stop()

    asyncio.run(scenario())


def test_simulated_field_stamps_its_values_at_simulated_time() -> None:
    """At --speed N the field runs ahead of the wall clock: its values carry the simulated
    instant (what the physics followed), never the wall-clock time of the publication."""
    from asyncua import Client

    async def scenario() -> None:
        field = FieldModel(1, "normal")
        simulated = now() + timedelta(hours=3)
        field.step(simulated)
        server = OpcUaField(field, "127.0.0.1", free_port())
        await server.start()
        try:
            await server.publish()
            async with Client(f"opc.tcp://127.0.0.1:{server.port}/thermowatch/") as client:
                nodeid = next(n for n, key, _ in server.nodes if key == "oil_c")
                dv = await client.get_node(nodeid).read_data_value()
            stamp = dv.SourceTimestamp.replace(tzinfo=simulated.tzinfo)
            assert abs((stamp - simulated).total_seconds()) < 1e-3
            assert dv.Value.Value == field.snapshot(0)["oil_c"]
        finally:
            await server.stop()

    asyncio.run(scenario())
