"""The monitor hands every prediction to the alert engine (issue 6 × issue 7 call site)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from thermowatch.cli.monitor import alert_hook
from thermowatch.learn.result import Thresholds
from thermowatch.live import PredictionEvent
from thermowatch.store.alerts import open_alerts
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.transformers import ensure_transformer


def test_monitor_hook_raises_a_stored_alert(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    ensure_transformer(engine, "TR-1")
    hook = alert_hook(url, None)
    assert type(hook).__name__ == "AlertHook"
    thresholds = Thresholds(alerte_c=90.0, critique_c=105.0, rule="cli")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for minute in range(0, 60):
        hook(
            PredictionEvent(
                "TR-1", start + timedelta(minutes=minute), thresholds, predicted_c=95.0,
                measured_c=95.5,
            )
        )  # fmt: skip
    alerts = open_alerts(engine, "TR-1")
    # One alert per kind (predicted and measured both above ALERTE), not one per minute.
    assert sorted(a.kind for a in alerts) == ["temperature_measured", "temperature_predicted"]
    assert {a.level for a in alerts} == {"ALERTE"}


def test_store_down_means_levels_only(tmp_path: Path) -> None:
    hook = alert_hook("postgresql+psycopg://nobody@127.0.0.1:9/none", None)
    assert hook.__name__ == "no_alerts"
