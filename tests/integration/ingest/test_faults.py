"""Database outages: readings spooled durably, replayed in order, each stored exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import Engine, func, select

from thermowatch.ingest.simulator import FieldModel, ModbusField
from thermowatch.store.engine import make_engine
from thermowatch.store.readings import count_readings, readings_long
from thermowatch.store.tables import predictions

from .conftest import free_port
from .helpers import monitor_for, now

IDS = ["TR-0001", "TR-0002"]


def test_database_outage_during_ingestion_loses_and_duplicates_nothing(
    tmp_path: Path, engine: Engine
) -> None:
    broken = make_engine(f"sqlite:///{tmp_path}/no/such/dir/store.db")  # cannot even open

    async def scenario() -> list[bool]:
        field = FieldModel(2, "normal")
        field.step(now())
        server = ModbusField(field, "127.0.0.1", free_port())
        await server.start()
        monitor = monitor_for("modbus", 2, server.port, tmp_path, engine)
        stored = []
        try:
            await monitor.start()
            await monitor.wait_connected(10)
            for cycle in range(7):
                # the database is away for cycles 2-4
                monitor.storage.engine = broken if cycle in (2, 3, 4) else engine
                field.step(now())
                await server.publish()
                stored.append((await monitor.run_cycle(IDS, now())).stored)
                if cycle == 4:
                    assert monitor.spool.pending() == 3
        finally:
            await monitor.shutdown()
            await server.stop()
        assert monitor.storage.stats.batches_replayed == 3
        return stored

    assert asyncio.run(scenario()) == [True, True, False, False, False, True, True]
    assert count_readings(engine) == 7 * 2 * 7  # cycles x transformers x variables
    for tid in IDS:
        long = readings_long(engine, tid, *_span(engine))
        assert long.groupby("variable").size().tolist() == [7] * 7
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(predictions)) == 7 * 2


def _span(engine: Engine):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    start = datetime.now(UTC) - timedelta(hours=1)
    return start, start + timedelta(hours=2)
