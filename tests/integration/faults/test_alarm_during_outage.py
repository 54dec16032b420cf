"""A CRITIQUE that begins and ends while PostgreSQL is down still raises its alarm once the
database is back: the monitor spools the readings and holds their events for the alert engine
(the alarms live in the database), then evaluates them in data order. Before, those events
went to a hook that could not write, and the overheating was never alarmed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.unit.ingest.fakes import FakeHub, config
from thermowatch.cli.monitor import alert_hook
from thermowatch.data.simulator import AMBIENT, CURRENT, OIL, WINDING
from thermowatch.ingest.monitor import Monitor
from thermowatch.ingest.sources.base import Sample
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.readings import count_readings
from thermowatch.store.tables import alerts

pytestmark = [pytest.mark.postgres, pytest.mark.faults]
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def test_a_critique_during_the_outage_is_alarmed_when_the_database_returns(
    tmp_path: Path, own_cluster
) -> None:  # type: ignore[no-untyped-def]
    url = own_cluster.create_database(f"outage_{uuid.uuid4().hex[:8]}")
    engine = make_engine(url)
    upgrade(engine, now=T0)
    cfg = config(tmp_path)
    monitor = Monitor(cfg, engine=engine, on_prediction=alert_hook(url, None))
    hub = FakeHub(cfg.transformers[0].source)
    hub.add(cfg.transformers[0])
    monitor.hub_of["T1"], monitor.hubs = hub, {("fake",): hub}

    def pg_ctl(*args: str) -> None:
        data, log = own_cluster.tmpdir / "data", own_cluster.tmpdir / "server.log"
        own_cluster._run(own_cluster.bindir / "pg_ctl", "-D", str(data), "-l", str(log), "-w",
                         *args)  # fmt: skip

    async def scenario() -> list[bool]:
        await monitor.start()
        stored = []
        for i in range(8):
            if i == 2:
                pg_ctl("-m", "immediate", "stop")
            if i == 6:
                pg_ctl("start")
            tick = T0 + timedelta(minutes=i)
            hot = 2 <= i <= 4  # only while the database is down
            values = {CURRENT: 600.0 + i, AMBIENT: 20.0, OIL: 60.0 + i,
                      WINDING: (130.0 if hot else 70.0) + i / 10}  # fmt: skip
            hub.pending = {"T1": [Sample(tick, values, "fake")]}
            stored.append((await monitor.run_cycle(["T1"], tick)).stored)
        await monitor.shutdown()
        return stored

    assert asyncio.run(scenario()) == [True, True, False, False, False, False, True, True]
    assert count_readings(engine, "T1") == 8 * 4
    with engine.connect() as conn:
        rows = conn.execute(
            select(alerts.c.kind, alerts.c.level, alerts.c.raised_at, alerts.c.resolved_at)
        ).all()
    critique = [r for r in rows if (r.kind, r.level) == ("temperature_measured", "CRITIQUE")]
    assert len(critique) == 1, rows
    # raised in data time, at the readings of the outage
    assert T0 + timedelta(minutes=2) <= critique[0].raised_at <= T0 + timedelta(minutes=4)
    engine.dispose()
