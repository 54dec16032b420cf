"""The field scenarios of ``simulate-scada`` through the monitor and the one alert hook, in
simulated time: every rule raises a stored alert, early enough to act (issue 11).

* overload: the measured CRITIQUE alert comes within the raise delay of the crossing, at
  CRITIQUE (not an ALERTE that says 147 °C);
* cooling failure (fans stop): a stored anomaly alert before the winding reaches ALERTE, and a
  stored forecast-crossing alert before the measured crossing; lead times are printed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.unit.ingest.fakes import config, fake_monitor
from thermowatch.alerts.hook import alert_hook
from thermowatch.data.simulator import WINDING
from thermowatch.ingest.simulator import FIELDS, FieldModel
from thermowatch.ingest.sources.base import Sample
from thermowatch.store.alerts import Alert
from thermowatch.store.engine import read_connection
from thermowatch.store.tables import alerts

T0 = datetime(2026, 7, 1, tzinfo=UTC)
ALERTE_C, CRITIQUE_C = 93.0, 105.0  # the fake monitor's thresholds
RAISE_AFTER = timedelta(minutes=5)  # the default hysteresis


def _run(tmp_path: Path, scenario: str, fault_h: float, hours: float, period_min: float):
    field = FieldModel(1, scenario, start=T0, fault_at=T0 + timedelta(hours=fault_h))
    measured: list[tuple[datetime, float]] = []

    async def go() -> list[Alert]:
        monitor, hub = fake_monitor(tmp_path, config(tmp_path))
        monitor.on_prediction = alert_hook(monitor.engine, None, "monitor")
        await monitor.start()
        for i in range(int(hours * 60 / period_min)):
            tick = T0 + timedelta(minutes=period_min * i)
            snap = {var: float(field.step(tick)[key][0]) for var, key in FIELDS.items()}
            measured.append((tick, snap[WINDING]))
            hub.pending = {"T1": [Sample(tick, snap, "sim")]}
            await monitor.run_cycle(["T1"], tick)
        await monitor.shutdown()
        with read_connection(monitor.engine) as conn:
            rows = conn.execute(alerts.select().order_by(alerts.c.raised_at)).all()
        return [Alert(**r._asdict()) for r in rows]

    return asyncio.run(go()), measured, field.fault_at


def _first(alerts_: list[Alert], kind: str, level: str | None = None) -> Alert | None:
    return next(
        (a for a in alerts_ if a.kind == kind and (level is None or a.level == level)), None
    )


def test_overload_raises_measured_critique_within_the_raise_delay(tmp_path: Path) -> None:
    got, measured, _ = _run(tmp_path, "overload", fault_h=8, hours=14, period_min=1)
    crossing = next(t for t, v in measured if v >= CRITIQUE_C)
    critique = _first(got, "temperature_measured", "CRITIQUE")
    assert critique is not None
    delay = critique.raised_at - crossing
    print(f"\noverload: winding crossed CRITIQUE at {crossing:%H:%M}, alert at "
          f"{critique.raised_at:%H:%M} ({delay.total_seconds() / 60:.0f} min)")  # fmt: skip
    assert timedelta(0) <= delay <= RAISE_AFTER + timedelta(minutes=1)
    # the level says what the text says: no ALERTE alert whose value is above CRITIQUE
    for a in got:
        if a.kind == "temperature_measured" and a.level == "ALERTE":
            value = float(a.message.split(": ")[-1].split(" ")[-2].replace(",", "."))
            assert value < CRITIQUE_C, a.message


def test_cooling_failure_anomaly_and_forecast_alerts_come_first(tmp_path: Path) -> None:
    got, measured, fault_at = _run(tmp_path, "cooling-failure", fault_h=8, hours=24,
                                   period_min=10)  # fmt: skip
    crossing = next(t for t, v in measured if v >= ALERTE_C)
    anomaly = _first(got, "anomaly")
    forecast = _first(got, "forecast_crossing")
    assert anomaly is not None and forecast is not None
    assert not any(a.raised_at < fault_at for a in got if a.kind == "anomaly")  # no false alarm
    lead_anomaly = crossing - anomaly.raised_at
    lead_forecast = crossing - forecast.raised_at
    print(f"\ncooling failure at {fault_at:%H:%M}; winding crossed ALERTE at {crossing:%H:%M}; "
          f"anomaly alert {lead_anomaly.total_seconds() / 60:.0f} min before, forecast-crossing "
          f"alert {lead_forecast.total_seconds() / 60:.0f} min before")  # fmt: skip
    assert lead_anomaly > timedelta(0)
    assert lead_forecast > timedelta(0)
