"""IEC 60870-5-104: a real c104 server (the simulated RTU) on loopback, read by the monitor.

The same cases as the other protocols: values decoded and stored with the right numbers,
quality bits from the RTU, reconnection after the RTU goes away, and the spool while the
database is away.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from thermowatch.ingest.config import OIL, WINDING
from thermowatch.ingest.simulator import FieldModel, Iec104Field
from thermowatch.ingest.sources.iec104 import Iec104Hub
from thermowatch.store.engine import make_engine
from thermowatch.store.predictions import predictions_frame
from thermowatch.store.readings import count_readings, readings_long
from thermowatch.store.tables import reading_issues

from .conftest import free_port
from .helpers import monitor_for, now, stored_at, wait_for

IDS = ["TR-0001", "TR-0002"]
import c104  # noqa: E402


def _served(field: FieldModel, i: int) -> dict[str, float]:
    """What the RTU's points can carry: the current in tenths of an ampere (scaled Int16),
    the others as IEEE 754 single floats."""
    import numpy as np

    snap = field.snapshot(i)
    out = {k: float(np.float32(v)) for k, v in snap.items()}
    out["current_a"] = round(snap["current_a"] * 10) * 0.1
    return out


async def _rtu(n: int) -> tuple[FieldModel, Iec104Field]:
    field = FieldModel(n, "normal")
    field.step(now())
    server = Iec104Field(field, "127.0.0.1", free_port())
    await server.start()
    return field, server


async def _updated(hub: Iec104Hub, before: int, count: int) -> None:
    """``count`` more updates have come, and then none for 1 s (a slow link may have had the
    general interrogation answered twice: by c104's and by the hub's)."""
    await wait_for(lambda: hub.received >= before + count, 30)
    last, since = hub.received, asyncio.get_running_loop().time()
    while asyncio.get_running_loop().time() - since < 1.0:
        await asyncio.sleep(0.1)
        if hub.received != last:
            last, since = hub.received, asyncio.get_running_loop().time()


def test_points_become_readings_and_predictions(tmp_path: Path, engine: Engine) -> None:
    async def scenario() -> None:
        field, server = await _rtu(2)
        monitor = monitor_for("iec104", 2, server.port, tmp_path, engine)
        hub = monitor.hub_of["TR-0001"]
        assert isinstance(hub, Iec104Hub)
        try:
            await monitor.start()
            await monitor.wait_connected(10)
            await _updated(hub, 0, 14)  # the general interrogation's answer: every point
            for _ in range(2):
                report = await monitor.run_cycle(IDS, now())
                assert (report.with_data, report.readings, report.predictions) == (2, 14, 2)
                for i, tid in enumerate(IDS):
                    event = monitor.states[tid].last_event
                    stored = stored_at(engine, tid, event.ts)
                    assert stored == pytest.approx(_served(field, i), rel=1e-9, abs=1e-9)
                    pred = predictions_frame(
                        engine, tid, event.ts, event.ts + timedelta(microseconds=1)
                    )
                    assert pred["value"].iloc[0] == pytest.approx(event.predicted_c)
                    assert 20.0 < pred["value"].iloc[0] < 120.0
                # spontaneous updates: the RTU sends a new value of every point
                before = hub.received
                field.step(now())
                await server.publish()
                await _updated(hub, before, 14)
            await monitor.run_cycle(IDS, now())
            # nothing sent since: nothing stored again (no old value re-stamped as new)
            count = count_readings(engine)
            assert (await monitor.run_cycle(IDS, now())).with_data == 0
            assert count_readings(engine) == count == 3 * 14
        finally:
            await monitor.shutdown()
            await server.stop()

    asyncio.run(scenario())


def test_quality_bits_decide_the_verdict(tmp_path: Path, engine: Engine) -> None:
    """IV: refused with its reason, never a reading; NT: stored as suspect, never predicted
    on; good points of the same transformer are stored as good."""

    async def scenario() -> None:
        field, server = await _rtu(1)
        monitor = monitor_for("iec104", 1, server.port, tmp_path, engine)
        hub = monitor.hub_of["TR-0001"]
        try:
            await monitor.start()
            await monitor.wait_connected(10)
            await _updated(hub, 0, 7)
            await monitor.run_cycle(["TR-0001"], now())
            server.points[(0, "winding_c")].quality = c104.Quality.Invalid
            server.points[(0, "oil_c")].quality = c104.Quality.NonTopical | c104.Quality.Blocked
            before = hub.received
            field.step(now())
            await server.publish()
            await _updated(hub, before, 7)
            await monitor.run_cycle(["TR-0001"], now())
            event = monitor.states["TR-0001"].last_event
            assert event.measured_c is None  # the winding was invalid: no measured level
            long = readings_long(engine, "TR-0001", event.ts, event.ts + timedelta(seconds=1))
            quality = dict(zip(long["variable"], long["quality"], strict=True))
            assert WINDING not in quality
            assert quality[OIL] == 1  # SUSPECT
            assert sorted(set(quality.values())) == [0, 1] and len(quality) == 6
            with engine.connect() as conn:
                rows = conn.execute(
                    select(reading_issues.c.variable, reading_issues.c.verdict,
                           reading_issues.c.reason)
                ).all()  # fmt: skip
            issues = {r.variable: (r.verdict, r.reason) for r in rows}
            assert issues[WINDING] == ("REJECTED", "IEC 104 quality IV (invalid)")
            assert issues[OIL] == (
                "SUSPECT",
                "IEC 104 quality NT (not topical), BL (blocked)",
            )
        finally:
            await monitor.shutdown()
            await server.stop()

    asyncio.run(scenario())


def test_rtu_restart_reconnects_interrogates_and_marks_the_gap(
    tmp_path: Path, engine: Engine
) -> None:
    async def scenario() -> None:
        field, server = await _rtu(1)
        monitor = monitor_for("iec104", 1, server.port, tmp_path, engine)
        hub = monitor.hub_of["TR-0001"]
        try:
            await monitor.start()
            await monitor.wait_connected(10)
            await _updated(hub, 0, 7)
            assert (await monitor.run_cycle(["TR-0001"], now())).with_data == 1
            first = monitor.states["TR-0001"].last_data
            await server.stop()
            await wait_for(lambda: not hub.connected.is_set(), 10)
            for _ in range(3):  # three silent periods: a data alert
                assert (await monitor.run_cycle(["TR-0001"], now())).with_data == 0
            assert [a.kind for a in monitor.data_alerts] == ["no_data"]
            field.step(now())
            await server.start()  # same port: the hub reconnects and interrogates again
            before = hub.received
            await monitor.wait_connected(60)
            await _updated(hub, before, 7)
            assert (await monitor.run_cycle(["TR-0001"], now())).with_data == 1
            back = monitor.states["TR-0001"].last_data
            assert list(monitor.states["TR-0001"].gaps) == [(first, back)]
            assert [a.kind for a in monitor.data_alerts] == ["no_data", "data_back"]
            assert hub.reconnects >= 1
            assert stored_at(engine, "TR-0001", back) == pytest.approx(_served(field, 0))
        finally:
            await monitor.shutdown()
            await server.stop()

    asyncio.run(scenario())


def test_database_outage_spools_then_stores_each_reading_once(
    tmp_path: Path, engine: Engine
) -> None:
    broken = make_engine(f"sqlite:///{tmp_path}/no/such/dir/store.db")  # cannot even open

    async def scenario() -> list[bool]:
        field, server = await _rtu(2)
        monitor = monitor_for("iec104", 2, server.port, tmp_path, engine)
        hub = monitor.hub_of["TR-0001"]
        stored = []
        try:
            await monitor.start()
            await monitor.wait_connected(10)
            await _updated(hub, 0, 14)
            for cycle in range(5):
                if cycle:
                    before = hub.received
                    field.step(now())
                    await server.publish()
                    await _updated(hub, before, 14)
                monitor.storage.engine = broken if cycle in (1, 2) else engine  # away: 1-2
                stored.append((await monitor.run_cycle(IDS, now())).stored)
                if cycle == 2:
                    assert monitor.spool.pending() == 2
        finally:
            await monitor.shutdown()
            await server.stop()
        assert monitor.storage.stats.batches_replayed == 2
        return stored

    assert asyncio.run(scenario()) == [True, False, False, True, True]
    assert count_readings(engine) == 5 * 2 * 7  # cycles x transformers x variables
    start = datetime.now(UTC) - timedelta(hours=1)
    for tid in IDS:
        long = readings_long(engine, tid, start, start + timedelta(hours=2))
        assert long.groupby("variable").size().tolist() == [5] * 7
