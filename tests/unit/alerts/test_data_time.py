"""Alerts in data time (issue 22, item 3): a reading stamped ahead or a clock stepping back
never suppresses the alarms of the readings after it; a step back raises ``clock_jump``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.store import migrated_sqlite
from thermowatch.alerts.config import parse_config
from thermowatch.alerts.engine import CLOCK_JUMP, MEASURED, AlertEngine
from thermowatch.learn.result import Thresholds
from thermowatch.store.alerts import open_alerts
from thermowatch.store.transformers import ensure_transformer

T0 = datetime(2026, 7, 1, 12, tzinfo=UTC)
TH = Thresholds(93.0, 105.0, "config")


@pytest.fixture
def alerts(tmp_path: Path) -> AlertEngine:
    db = migrated_sqlite(tmp_path / "a.db")
    ensure_transformer(db, "T")
    return AlertEngine(db, parse_config({"alerts": {}}))


def _open(engine: AlertEngine) -> dict[str, str]:
    return {a.kind: a.level for a in open_alerts(engine.db, "T")}


def _feed(engine: AlertEngine, at: datetime, value: float, many: bool) -> None:
    if many:
        from thermowatch.live import PredictionEvent

        engine.evaluate_events([PredictionEvent("T", at, TH, measured_c=value)])
    else:
        engine.evaluate("T", at, None, value, thresholds=TH)


@pytest.mark.parametrize("many", [False, True])
def test_a_reading_stamped_ahead_does_not_hide_the_critique_readings_after_it(
    alerts: AlertEngine, many: bool
) -> None:
    _feed(alerts, T0 + timedelta(minutes=4), 60.0, many)  # 4 min ahead, inside the skew
    for s in range(0, 60, 10):  # CRITIQUE every 10 s, stamped by a correct clock
        _feed(alerts, T0 + timedelta(seconds=s), 120.0, many)
    assert _open(alerts).get(MEASURED) == "CRITIQUE"  # raised within the CRITIQUE delay
    assert CLOCK_JUMP not in _open(alerts)  # out of order inside the skew: not a jump


def test_one_re_sent_old_message_is_not_a_clock_jump(alerts: AlertEngine) -> None:
    for m in range(20):
        alerts.evaluate("T", T0 + timedelta(minutes=m), None, 70.0, thresholds=TH)
    alerts.evaluate("T", T0, None, 70.0, thresholds=TH)  # redelivered (at-least-once)
    for m in range(20, 25):
        alerts.evaluate("T", T0 + timedelta(minutes=m), None, 70.0, thresholds=TH)
    assert _open(alerts) == {}


def test_a_clock_stepping_back_is_alerted_and_alarms_still_fire(
    alerts: AlertEngine, caplog: pytest.LogCaptureFixture
) -> None:
    for m in range(5):
        alerts.evaluate("T", T0 + timedelta(minutes=m), None, 70.0, thresholds=TH)
    back = T0 - timedelta(hours=1)  # the device's clock steps back one hour
    events = []
    with caplog.at_level(logging.WARNING, "thermowatch.alerts"):
        for s in range(0, 40, 10):  # CRITIQUE readings on the stepped-back clock
            events += alerts.evaluate("T", back + timedelta(seconds=s), None, 120.0,
                                      thresholds=TH)  # fmt: skip
    assert any(e.kind == CLOCK_JUMP and e.event == "raised" for e in events)
    assert "clock stepped back" in caplog.text
    assert _open(alerts) == {CLOCK_JUMP: "ALERTE", MEASURED: "CRITIQUE"}
    # the jump's alert clears once the clock has run forward for clear_after
    for m in range(1, 40):
        alerts.evaluate("T", back + timedelta(minutes=m), None, 120.0, thresholds=TH)
    assert _open(alerts) == {MEASURED: "CRITIQUE"}


def test_a_stale_check_at_wall_time_is_not_the_readings_clock(
    alerts: AlertEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """The monitor checks "no data yet" at wall time before the first reading of a replay
    (data months old): the readings after it are neither a clock jump nor re-based."""
    wall = T0 + timedelta(days=219)
    alerts.check_stale("T", None, wall)  # never delivered: stale_data at wall time
    with caplog.at_level(logging.WARNING, "thermowatch.alerts"):
        for s in range(0, 60, 10):
            alerts.evaluate("T", T0 + timedelta(seconds=s), None, 120.0, thresholds=TH)
    assert "clock stepped back" not in caplog.text
    assert _open(alerts) == {"stale_data": "ALERTE", MEASURED: "CRITIQUE"}
