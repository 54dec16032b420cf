"""The monitoring cycle with a fake source: storage, hook, no-data events, cooling failure."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from thermowatch.data.simulator import AMBIENT, CURRENT, OIL, WINDING
from thermowatch.ingest.simulator import FIELDS, FieldModel
from thermowatch.ingest.sources.base import Sample
from thermowatch.live.nowcast import IecEstimator
from thermowatch.store.predictions import predictions_frame
from thermowatch.store.readings import count_readings, readings_long
from thermowatch.thermal import TransformerSpec, simulate

from .fakes import SPEC, config, fake_monitor

T0 = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)


def test_iec_estimator_steps_match_one_simulation() -> None:
    spec = TransformerSpec.from_mapping(SPEC)
    est = IecEstimator(spec, WINDING, CURRENT, AMBIENT)
    loads = np.linspace(0.5, 1.1, 30)
    amb = np.linspace(10, 25, 30)
    got = [
        est.step(T0 + timedelta(minutes=10 * i), {CURRENT: loads[i] * 1039.23, AMBIENT: amb[i]})
        for i in range(30)
    ]
    ref = simulate(spec, loads, amb, 10.0).hot_spot_c
    assert got[0].assumed_steady and not got[1].assumed_steady
    np.testing.assert_allclose([g.predicted_c for g in got], ref, rtol=1e-9)


def _sample(ts: datetime, values: dict[str, float]) -> Sample:
    return Sample(ts, values, "fake")


def test_cycle_stores_readings_prediction_and_calls_hook(tmp_path: Path) -> None:
    calls = []

    async def hook(event):  # coroutine hooks are awaited
        calls.append(
            (event.transformer_id, event.ts, event.predicted_c, event.measured_c,
             event.thresholds.alerte_c)
        )  # fmt: skip

    async def scenario() -> None:
        monitor, hub = fake_monitor(tmp_path, config(tmp_path, ["T1", "T2"]), on_prediction=hook)
        await monitor.start()
        values = {CURRENT: 700.0, AMBIENT: 20.0, OIL: 55.5, WINDING: 66.25}
        hub.pending = {"T1": [_sample(T0, values)]}
        report = await monitor.run_cycle(["T1", "T2"], T0)
        assert (report.with_data, report.readings, report.predictions) == (1, 4, 1)
        # the same batch again (e.g. a re-sent spool) is stored once
        hub.pending = {"T1": [_sample(T0, values)]}
        await monitor.run_cycle(["T1", "T2"], T0)
        assert monitor.states["T2"].status == "no data"
        await monitor.shutdown()
        long = readings_long(monitor.engine, "T1", T0, T0 + timedelta(seconds=1))
        assert dict(zip(long["variable"], long["value"], strict=True)) == values
        assert count_readings(monitor.engine) == 4
        pred = predictions_frame(monitor.engine, "T1", T0, T0 + timedelta(seconds=1))
        expected = simulate(TransformerSpec.from_mapping(SPEC), [700 / 1039.23], 20.0, 1.0)
        assert pred["value"].iloc[0] == pytest.approx(float(expected.hot_spot_c[0]))
        assert pred["model_id"].iloc[0] == "iec60076-7:ONAF"
        assert pred["level"].iloc[0] == "NORMAL"
        assert calls[0][:2] == ("T1", T0) and calls[0][3] == 66.25 and calls[0][4] == 93.0
        assert monitor.states["T1"].residual_k == pytest.approx(66.25 - calls[0][2])

    asyncio.run(scenario())


def test_silent_source_raises_one_data_alert_and_marks_the_gap(tmp_path: Path) -> None:
    async def scenario() -> None:
        cfg = config(tmp_path, missed_periods_alert=3)
        monitor, hub = fake_monitor(tmp_path, cfg)
        await monitor.start()
        values = {CURRENT: 700.0, AMBIENT: 20.0, WINDING: 60.0}
        for i in range(8):
            tick = T0 + timedelta(minutes=i)
            if i in (0, 6, 7):
                hub.pending = {"T1": [_sample(tick, {**values, WINDING: 60.0 + i})]}
            await monitor.run_cycle(["T1"], tick)
        await monitor.shutdown()
        kinds = [(a.kind, a.at) for a in monitor.data_alerts]
        assert kinds == [
            ("no_data", T0 + timedelta(minutes=3)),
            ("data_back", T0 + timedelta(minutes=6)),
        ]
        assert list(monitor.states["T1"].gaps) == [(T0, T0 + timedelta(minutes=6))]
        assert monitor.states["T1"].status == "ok"

    asyncio.run(scenario())


def test_stale_sensor_is_flagged_and_not_used(tmp_path: Path) -> None:
    async def scenario() -> None:
        cfg = config(tmp_path, stale_periods=3, frozen_after_s=120)
        monitor, hub = fake_monitor(tmp_path, cfg)
        await monitor.start()
        for i in range(5):
            tick = T0 + timedelta(minutes=i)
            ambient = 20.0 + 0.1 * (i % 2)  # moves: only the winding is stuck
            hub.pending = {
                "T1": [_sample(tick, {CURRENT: 700.0 + i, AMBIENT: ambient, WINDING: 61.0})]
            }
            await monitor.run_cycle(["T1"], tick)
        await monitor.shutdown()
        long = readings_long(monitor.engine, "T1", T0, T0 + timedelta(hours=1))
        winding = long[long["variable"] == WINDING]
        # frozen from 2 minutes (frozen_after_s) and 3 readings on: stored, flagged suspect
        assert winding["quality"].tolist() == [0, 0, 1, 1, 1]
        assert long[long["variable"] == AMBIENT]["quality"].tolist() == [0] * 5
        assert monitor.states["T1"].residual_k is None  # a frozen value is no measurement

    asyncio.run(scenario())


def test_cooling_failure_residual_flag_rises_before_alerte(tmp_path: Path) -> None:
    """Fans stop at 08:00: the residual flag must rise before the winding crosses ALERTE."""
    field = FieldModel(1, "cooling-failure", start=T0, fault_at=T0 + timedelta(hours=8))

    async def scenario() -> tuple[datetime | None, datetime | None, bool]:
        monitor, hub = fake_monitor(tmp_path, config(tmp_path))
        await monitor.start()
        flag_at = alerte_at = None
        flagged_before_fault = False
        for i in range(6 * 24):  # one day at a 10-minute period
            tick = T0 + timedelta(minutes=10 * i)
            snap = {var: float(field.step(tick)[key][0]) for var, key in FIELDS.items()}
            hub.pending = {"T1": [_sample(tick, snap)]}
            await monitor.run_cycle(["T1"], tick)
            state = monitor.states["T1"]
            if state.residual_flag and tick < field.fault_at:
                flagged_before_fault = True
            if state.residual_flag and flag_at is None and tick >= field.fault_at:
                flag_at = tick
            if snap[WINDING] >= state.thresholds.alerte_c and alerte_at is None:
                alerte_at = tick
        await monitor.shutdown()
        return flag_at, alerte_at, flagged_before_fault

    flag_at, alerte_at, false_alarm = asyncio.run(scenario())
    assert not false_alarm
    assert alerte_at is not None, "the scenario must reach ALERTE for the test to mean something"
    assert flag_at is not None and flag_at < alerte_at


def test_a_silent_source_raises_a_stored_stale_alert_that_clears(tmp_path: Path) -> None:
    from thermowatch.alerts.hook import alert_hook
    from thermowatch.store.alerts import open_alerts
    from thermowatch.store.engine import read_connection
    from thermowatch.store.tables import alerts

    async def scenario():
        monitor, hub = fake_monitor(tmp_path, config(tmp_path, missed_periods_alert=3))
        monitor.on_prediction = alert_hook(monitor.engine, None, "monitor")
        await monitor.start()
        values = {CURRENT: 700.0, AMBIENT: 20.0, WINDING: 60.0}
        opened = None
        for i in range(30):  # data at 0 and from 25 min on; silent in between
            tick = T0 + timedelta(minutes=i)
            if i == 0 or i >= 25:
                hub.pending = {"T1": [_sample(tick, {**values, WINDING: 60.0 + i / 10})]}
            await monitor.run_cycle(["T1"], tick)
            if opened is None and open_alerts(monitor.engine, "T1"):
                opened = tick
        await monitor.shutdown()
        with read_connection(monitor.engine) as conn:
            rows = conn.execute(alerts.select()).all()
        return opened, rows

    opened, rows = asyncio.run(scenario())
    [stale] = rows
    assert stale.kind == "stale_data" and stale.level == "ALERTE"
    # raised once the newest reading is older than alerts.stale.after (15 min by default)
    assert opened == T0 + timedelta(minutes=15) == stale.raised_at
    assert stale.resolved_at == T0 + timedelta(minutes=25)  # data back: cleared
