"""Modbus TCP against an independent server (pyModbusTCP): one gateway, units 3, 7 and 12.

Each unit fails only itself: an exception from unit 3 (listed first) leaves 7 and 12 read and
the link up; input registers (function 04) and a map with gaps on a device that refuses
unmapped reads; a slow unit costs only its own transformers and the cycle stays within the
period.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from thermowatch.ingest.backoff import Backoff
from thermowatch.ingest.config import AMBIENT, CURRENT, OIL, WINDING, parse_config
from thermowatch.ingest.monitor import Monitor
from thermowatch.store.readings import readings_long

from .conftest import free_port
from .gateway import Gateway, Unit, float_words
from .helpers import now, wait_for

SPEC = {"preset": "ONAF", "rated_current_a": 1039.23}
VALUES = {3: (700.0, 18.0, 70.0), 7: (812.5, 21.0, 74.5), 12: (655.0, 19.5, 68.5)}


def unit(u: int) -> Unit:
    """Holding float32: current at 0, ambient at 2, (gap) winding at 10; input int16: oil in
    tenths of a degree at 100."""
    current, ambient, winding = VALUES[u]
    holding = dict(enumerate(float_words(current) + float_words(ambient)))
    holding |= dict(zip((10, 11), float_words(winding), strict=True))
    return Unit(holding=holding, input={100: round(10 * (winding - 8.0))})


def source(port: int, u: int, **extra: Any) -> dict[str, Any]:
    return {
        "protocol": "modbus", "host": "127.0.0.1", "port": port, "unit_id": u, "timeout_s": 1.0,
        "registers": [
            {"variable": CURRENT, "address": 0},
            {"variable": AMBIENT, "address": 2},
            {"variable": WINDING, "address": 10},
            {"variable": OIL, "address": 100, "type": "int16", "scale": 0.1, "table": "input"},
        ],
        **extra,
    }  # fmt: skip


def monitor(tmp_path: Path, engine: Engine, port: int, units: list[int], period_s: float = 1.0
            ) -> Monitor:  # fmt: skip
    doc = {
        "monitor": {"spool_dir": str(tmp_path / "spool"), "period_s": period_s},
        "transformers": [{"id": f"TR-{u}", "spec": SPEC, "source": source(port, u)} for u in units],
    }
    m = Monitor(parse_config(doc, tmp_path), engine=engine)
    for hub in m.hubs.values():
        hub.backoff = Backoff(base_s=0.1, cap_s=0.5)
    return m


def stored(engine: Engine, tid: str) -> dict[str, float]:
    long = readings_long(engine, tid, now() - timedelta(hours=1), now() + timedelta(hours=1))
    return dict(zip(long["variable"], long["value"], strict=True))


def expected(u: int) -> dict[str, float]:
    current, ambient, winding = VALUES[u]
    return {CURRENT: current, AMBIENT: ambient, WINDING: winding,
            OIL: pytest.approx(winding - 8.0)}  # fmt: skip


def issues(engine: Engine) -> list[tuple[str, str, str, str]]:
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT transformer_id, variable, verdict, reason FROM reading_issues")
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_an_exception_from_one_unit_affects_only_its_transformer(
    tmp_path: Path, engine: Engine
) -> None:
    port = free_port()
    units = {3: unit(3), 7: unit(7), 12: unit(12)}
    units[3].exception = 4  # server device failure
    gateway = Gateway(port, units).start()
    m = monitor(tmp_path, engine, port, [3, 7, 12])

    async def scenario() -> list[Any]:
        await m.start()
        await m.wait_connected(10)
        reports = []
        for _ in range(3):
            reports.append(await m.run_cycle(["TR-3", "TR-7", "TR-12"], now()))
            await asyncio.sleep(0.05)
        await m.shutdown()
        return reports

    try:
        reports = asyncio.run(scenario())
    finally:
        gateway.stop()
    assert [r.with_data for r in reports] == [2, 2, 2]
    assert stored(engine, "TR-7") == expected(7) and stored(engine, "TR-12") == expected(12)
    assert stored(engine, "TR-3") == {}  # refused values are no readings...
    refused = [i for i in issues(engine) if i[0] == "TR-3"]
    assert len(refused) == 3 * 4  # ...but each refusal is stored with its reason
    assert all(i[2] == "REJECTED" and "Modbus exception 4 (server device failure)" in i[3]
               for i in refused)  # fmt: skip
    assert m.hub_of["TR-7"].reconnects == 0  # the link was never reset
    assert [(a.transformer_id, a.kind) for a in m.data_alerts] == [("TR-3", "no_data")]


def test_input_registers_and_a_gapped_map_on_a_strict_device(
    tmp_path: Path, engine: Engine
) -> None:
    """Holding 0-3 and 10-11 with a gap, input 100: three requests, none over the gap."""
    port = free_port()
    gateway = Gateway(port, {7: unit(7)}).start()
    m = monitor(tmp_path, engine, port, [7])

    async def scenario() -> int:
        await m.start()
        await m.wait_connected(10)
        report = await m.run_cycle(["TR-7"], now())
        await m.shutdown()
        return report.with_data

    try:
        assert asyncio.run(scenario()) == 1
    finally:
        gateway.stop()
    assert stored(engine, "TR-7") == expected(7)
    assert sorted(gateway.requests) == [(7, "holding", 0, 4), (7, "holding", 10, 2),
                                        (7, "input", 100, 1)]  # fmt: skip
    assert issues(engine) == []


def test_a_slow_unit_costs_only_its_transformer_and_the_cycle_stays_within_the_period(
    tmp_path: Path, engine: Engine
) -> None:
    port = free_port()
    units = {7: unit(7), 12: unit(12)}
    units[12].delay_s = 1.5  # beyond its 1 s timeout
    gateway = Gateway(port, units).start()
    period = 3.0
    m = monitor(tmp_path, engine, port, [12, 7], period_s=period)

    async def scenario() -> list[Any]:
        await m.start()
        await m.wait_connected(10)
        reports = []
        for _ in range(4):
            started = time.monotonic()
            reports.append(await m.run_cycle(["TR-12", "TR-7"], now()))
            reports[-1].wall_s = time.monotonic() - started  # type: ignore[attr-defined]
            await asyncio.sleep(0.2)
        await m.shutdown()
        return reports

    try:
        reports = asyncio.run(scenario())
    finally:
        gateway.stop()
    assert all(r.wall_s < period for r in reports), [r.wall_s for r in reports]
    # From the second cycle on, the slow unit is read last: unit 7 is read every time.
    assert [r.with_data for r in reports[1:]] == [1, 1, 1]
    assert stored(engine, "TR-7") == expected(7)
    assert stored(engine, "TR-12") == {}


def test_gateway_restart_under_the_monitor(
    tmp_path: Path, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """The gateway process stops and comes back on the same port: with the production backoff
    the monitor reads again within one period of it being back, the gap is reported, the
    outage is one log line (no traceback, no hex dump) and nothing is stored twice."""
    import logging
    import subprocess
    import sys

    port, period = free_port(), 3.0

    def start_gateway() -> tuple[subprocess.Popen[str], float]:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("gateway.py")), str(port)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
        return proc, time.monotonic()

    doc = {
        "monitor": {"spool_dir": str(tmp_path / "spool"), "period_s": period},
        "transformers": [{"id": "TR-7", "spec": SPEC, "source": {
            "protocol": "modbus", "host": "127.0.0.1", "port": port, "unit_id": 7,
            "registers": [{"variable": CURRENT, "address": 0}, {"variable": AMBIENT, "address": 2}],
        }}],
    }  # fmt: skip
    m = Monitor(parse_config(doc, tmp_path), engine=engine)  # the production backoff
    hub = m.hub_of["TR-7"]
    figures: dict[str, float] = {}
    proc, _ = start_gateway()

    async def scenario() -> None:
        nonlocal proc
        await m.start()
        await m.wait_connected(10)
        assert (await m.run_cycle(["TR-7"], now())).with_data == 1
        proc.terminate()
        proc.wait(10)
        await wait_for(lambda: not hub.connected.is_set(), 10)
        for _ in range(3):
            assert (await m.run_cycle(["TR-7"], now())).with_data == 0
            await asyncio.sleep(0.3)
        proc, back_at = await asyncio.to_thread(start_gateway)
        await wait_for(hub.connected.is_set, 2 * period)
        figures["reconnect_s"] = time.monotonic() - back_at
        assert (await m.run_cycle(["TR-7"], now())).with_data == 1
        await m.shutdown()

    with caplog.at_level(logging.INFO):
        try:
            asyncio.run(scenario())
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"Modbus reconnect after the gateway was back: {figures['reconnect_s']:.2f} s")
    assert figures["reconnect_s"] < period
    assert [a.kind for a in m.data_alerts] == ["no_data", "data_back"]
    assert len(m.states["TR-7"].gaps) == 1
    frame = readings_long(engine, "TR-7", now() - timedelta(hours=1), now() + timedelta(hours=1))
    assert len(frame) == 4 and not frame.duplicated(["timestamp", "variable"]).any()
    assert sorted(frame["value"]) == pytest.approx([20.7, 20.7, 707.0, 707.0])
    lost = [r for r in caplog.records if "connection lost or refused" in r.getMessage()]
    assert len(lost) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert all(len(r.getMessage().splitlines()) == 1 for r in caplog.records)  # no hex dump
