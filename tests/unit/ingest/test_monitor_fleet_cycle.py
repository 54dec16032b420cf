"""A fleet's cycle: one log line per cycle for silences and returns, alerts off the readings'
path (in cycle order, drained at stop)."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from thermowatch.data.simulator import AMBIENT, CURRENT, WINDING
from thermowatch.ingest.sources.base import Sample
from thermowatch.store.readings import count_readings

from .fakes import config, fake_monitor

T0 = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)
IDS = [f"T{i:02d}" for i in range(12)]
VALUES = {CURRENT: 700.0, AMBIENT: 20.0, WINDING: 60.0}


def _round(ids: list[str], tick: datetime) -> dict[str, list[Sample]]:
    return {tid: [Sample(tick, dict(VALUES), "fake")] for tid in ids}


def test_a_fleet_going_silent_and_back_logs_one_line_per_cycle(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        monitor, hub = fake_monitor(tmp_path, config(tmp_path, IDS, missed_periods_alert=3))
        await monitor.start()
        hub.pending = _round(IDS, T0)
        await monitor.run_cycle(IDS, T0)
        with caplog.at_level(logging.DEBUG, logger="thermowatch.ingest"):
            await monitor.run_cycle(IDS, T0 + timedelta(minutes=1))  # all silent
            hub.pending = _round(IDS, T0 + timedelta(minutes=2))
            await monitor.run_cycle(IDS, T0 + timedelta(minutes=2))  # all back
        await monitor.shutdown()

    asyncio.run(scenario())
    ours = [r for r in caplog.records if r.name == "thermowatch.ingest"]
    info = [r.getMessage() for r in ours if r.levelno >= logging.INFO]
    silent = [m for m in info if "no data" in m]
    back = [m for m in info if "data back" in m]
    assert silent == ["cycle 2026-07-01T00:01:00+00:00: no data for 12 transformer(s) "
                      "(T00, T01, T02, T03, T04, ...)"]  # fmt: skip
    assert back == ["cycle 2026-07-01T00:02:00+00:00: data back after a gap for 12 "
                    "transformer(s) (T00, T01, T02, T03, T04, ...)"]  # fmt: skip
    debug = [r.getMessage() for r in ours if r.levelno == logging.DEBUG]
    assert sum(": no data at " in m for m in debug) == len(IDS)  # the detail stays, at DEBUG
    assert sum(": data back at " in m for m in debug) == len(IDS)


class SlowHook:
    """An alert hook whose batch evaluation takes until the test opens ``gate`` (a busy store):
    a gate, not a fixed 0.2 s a batch, which a loaded runner's four cycles could outlast."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, datetime]] = []
        self.lock = threading.Lock()
        self.gate = threading.Event()

    def __call__(self, event):
        self.many([event])
        return event.worst[0]

    def many(self, events):
        self.gate.wait(60)
        with self.lock:
            self.seen += [(e.transformer_id, e.ts) for e in events]


def test_alerts_follow_the_cycles_in_order_without_holding_up_the_readings(
    tmp_path: Path,
) -> None:
    hook = SlowHook()
    got: dict[str, object] = {}

    async def scenario() -> None:
        monitor, hub = fake_monitor(tmp_path, config(tmp_path, IDS), on_prediction=hook)
        await monitor.start()
        monitor._start_alerts()
        ticks = [T0 + timedelta(minutes=i) for i in range(4)]
        for tick in ticks:
            hub.pending = _round(IDS, tick)
            await monitor.run_cycle(IDS, tick)
        # the four cycles stored while their alerts were still being evaluated
        got["stored_first"] = count_readings(monitor.engine)
        got["evaluated_first"] = len(hook.seen)
        hook.gate.set()
        await monitor._stop_alerts()
        got["evaluated"] = list(hook.seen)
        await monitor.shutdown()

    asyncio.run(scenario())
    assert got["stored_first"] == 4 * len(IDS) * len(VALUES)
    assert got["evaluated_first"] < 4 * len(IDS)
    evaluated = got["evaluated"]
    assert len(evaluated) == 4 * len(IDS)  # every event, once, by the stop
    for tid in IDS:  # in data order per transformer
        mine = [ts for t, ts in evaluated if t == tid]
        assert mine == sorted(mine) and len(set(mine)) == 4


def test_the_flushes_between_two_ticks_are_summed_up_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        monitor, hub = fake_monitor(tmp_path, config(tmp_path, IDS))
        await monitor.start()
        for i, half in enumerate((IDS[:5], IDS[5:])):
            hub.pending = _round(half, T0)
            report = await monitor.run_cycle(half, T0 + timedelta(seconds=i + 3), flush=True)
            assert set(report.stages) == {"collect", "prepare", "store", "acknowledge"}
            monitor._flushes.append(report)
        with caplog.at_level(logging.INFO, logger="thermowatch.ingest"):
            monitor._log_flushes()
            monitor._log_flushes()  # nothing since: no line
        assert monitor._flushes == []
        await monitor.shutdown()

    asyncio.run(scenario())
    lines = [r.getMessage() for r in caplog.records if "flushes since" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].startswith(f"flushes since the last tick: 2, {len(IDS) * len(VALUES)} readings")
    assert "prepare" in lines[0] and "alerts" in lines[0]
