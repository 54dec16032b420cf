"""PostgreSQL stopped during ingestion, then started again: every reading stored exactly once."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.pgtest import PostgresCluster
from tests.unit.ingest.fakes import FakeHub, config
from thermowatch.data.simulator import AMBIENT, CURRENT, OIL, WINDING
from thermowatch.ingest.monitor import Monitor
from thermowatch.ingest.sources.base import Sample
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.readings import count_readings
from thermowatch.store.tables import predictions

T0 = datetime(2026, 6, 1, tzinfo=UTC)
pytestmark = pytest.mark.postgres


def _pg_ctl(cluster: PostgresCluster, *args: str) -> None:
    data = cluster.tmpdir / "data"  # type: ignore[operator]
    log = cluster.tmpdir / "server.log"  # type: ignore[operator]
    cluster._run(cluster.bindir / "pg_ctl", "-D", str(data), "-l", str(log), "-w", *args)


def test_postgres_stop_and_start_during_ingestion(tmp_path: Path) -> None:
    try:
        cluster = PostgresCluster().start()
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and PostgreSQL could not be started: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        engine = make_engine(cluster.create_database("ingest"))
        upgrade(engine, now=T0)
        cfg = config(tmp_path)
        monitor = Monitor(cfg, engine=engine)
        hub = FakeHub(cfg.transformers[0].source)
        hub.add(cfg.transformers[0])
        monitor.hub_of["T1"], monitor.hubs = hub, {("fake",): hub}

        async def scenario() -> list[bool]:
            await monitor.start()
            stored = []
            for i in range(7):
                if i == 2:
                    _pg_ctl(cluster, "-m", "fast", "stop")
                if i == 5:
                    _pg_ctl(cluster, "start")
                tick = T0 + timedelta(minutes=i)
                values = {CURRENT: 600.0 + i, AMBIENT: 20.0, OIL: 50.0 + i, WINDING: 60.0 + i}
                hub.pending = {"T1": [Sample(tick, values, "fake")]}
                stored.append((await monitor.run_cycle(["T1"], tick)).stored)
            await monitor.shutdown()
            return stored

        assert asyncio.run(scenario()) == [True, True, False, False, False, True, True]
        assert count_readings(engine, "T1") == 7 * 4
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(predictions)) == 7
        engine.dispose()
    finally:
        cluster.stop()
