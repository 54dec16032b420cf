"""Modbus TCP: registers of a real pymodbus server decoded and stored with the right numbers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine

from thermowatch.ingest.simulator import FIELDS, MODBUS_MAP, FieldModel, ModbusField
from thermowatch.ingest.sources.modbus import decode_register, encode_register

from .conftest import free_port
from .helpers import monitor_for, now, stored_at, wait_for

IDS = ["TR-0001", "TR-0002", "TR-0003"]


def test_registers_become_readings_and_predictions(tmp_path: Path, engine: Engine) -> None:
    async def scenario() -> None:
        field = FieldModel(3, "normal")
        field.step(now())
        server = ModbusField(field, "127.0.0.1", free_port())
        await server.start()
        monitor = monitor_for("modbus", 3, server.port, tmp_path, engine)
        hub = monitor.hub_of["TR-0001"]
        try:
            await monitor.start()
            await monitor.wait_connected(10)
            for _ in range(2):
                field.step(now())
                await server.publish()
                tick = now()
                report = await monitor.run_cycle(IDS, tick)
                assert (report.with_data, report.readings, report.predictions) == (3, 21, 3)
                for i, tid in enumerate(IDS):
                    snap = field.snapshot(i)
                    # what the registers can carry: scaled integers, float32
                    expected = {
                        FIELDS[r.variable]: decode_register(
                            encode_register(snap[FIELDS[r.variable]], r), r
                        )
                        for r in MODBUS_MAP
                    }
                    stored = stored_at(engine, tid, tick)
                    assert stored == expected
                    assert stored["current_a"] == pytest.approx(snap["current_a"], abs=0.051)
                    assert stored["oil_c"] == pytest.approx(snap["oil_c"], rel=1e-6)
            # server gone -> no data, reconnect when it is back
            await server.stop()
            assert (await monitor.run_cycle(IDS, now())).with_data == 0
            await wait_for(lambda: not hub.connected.is_set())
            await server.start()
            await monitor.wait_connected(20)
            assert (await monitor.run_cycle(IDS, now())).with_data == 3
        finally:
            await monitor.shutdown()
            await server.stop()

    asyncio.run(scenario())
