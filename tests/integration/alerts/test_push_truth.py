"""Thirty minutes of readings pushed at once through ``POST /v1/readings`` with the measured
winding at 130 °C (thresholds 93 / 105 °C configured, phase 2, an e-mail channel): the state
says CRITIQUE from the measurement, the measured alarm is CRITIQUE (not pending), a forecast
crossing names a time after the reading it was made from, and the service itself delivers the
e-mail to a real SMTP server (issue 21, the push scenario). Each reading of the array is
evaluated as the monitor would evaluate it (one path, one fate), so a crossing raised at an
early reading of the array names a time that may precede the array's newest reading."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from thermowatch.alerts.hook import alert_hook
from thermowatch.app import create_app
from thermowatch.data.simulator import AMBIENT, CURRENT, SAMPLE_SPEC, WINDING
from thermowatch.service.apikeys import create_key
from thermowatch.service.settings import Settings
from thermowatch.store.alerts import open_alerts
from thermowatch.store.state import read_state
from thermowatch.store.status import fleet_status
from thermowatch.store.transformers import Transformer, save_transformer

from .helpers import make_config

TID = "TR-0002"


def test_thirty_minutes_pushed_at_130_c_are_critique_everywhere(db, smtp, http) -> None:
    save_transformer(db, Transformer(id=TID, name="Poste Sud", spec=SAMPLE_SPEC.to_dict(),
                                     thresholds={"alerte_c": 93.0, "critique_c": 105.0},
                                     target_variable=WINDING))  # fmt: skip
    _, key = create_key(db, "operator", "scada")
    cfg = make_config(smtp.port, http.url, phase=2)
    settings = Settings(env="production", jwt_secret="s" * 40, audit_flush_s=0.05).checked()
    app = create_app(settings, engine=db, on_prediction=alert_hook(db, cfg, actor="service"))
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    body = [
        {"transformer_id": TID, "timestamp": (end - timedelta(minutes=29 - i)).isoformat(),
         "values": {CURRENT: 900.0 + i, AMBIENT: 25.0, WINDING: 130.0 + 0.1 * i}}
        for i in range(30)
    ]  # fmt: skip
    with TestClient(app) as client:
        r = client.post("/v1/readings", json=body, headers={"X-API-Key": key})
        assert r.status_code == 201, r.text
        state = read_state(db, TID)
        assert (state.level, state.level_source, state.measured_level) == (
            "CRITIQUE", "measured", "CRITIQUE")  # fmt: skip
        assert (state.alerte_c, state.critique_c, state.thresholds_rule) == (93.0, 105.0, "config")
        [row] = [s for s in fleet_status(db) if s.transformer_id == TID]
        assert (row.level, row.measured_level) == ("CRITIQUE", "CRITIQUE")
        measured = [a for a in open_alerts(db, TID) if a.kind == "temperature_measured"]
        assert [a.level for a in measured] == ["CRITIQUE"]
        for a in open_alerts(db, TID):
            assert a.raised_at <= end
            if a.kind == "forecast_crossing":  # "... vers HH:MM UTC": after its own reading
                hh, mm = map(int, re.search(r"(\d\d):(\d\d)", a.message).groups())
                named = a.raised_at.replace(hour=hh, minute=mm)
                if named < a.raised_at - timedelta(hours=12):  # the next day
                    named += timedelta(days=1)
                assert named > a.raised_at, a.message
        deadline = time.monotonic() + 30
        # the measured CRITIQUE e-mail itself: the forecast's "CRITIQUE prévue" may come first
        while time.monotonic() < deadline and not any(
            f"CRITIQUE {TID} : température mesurée" in str(m["Subject"]) for _, m in smtp.messages
        ):
            time.sleep(0.2)
    subjects = [str(m["Subject"]) for _, m in smtp.messages]
    assert any(f"CRITIQUE {TID} : température mesurée" in s for s in subjects), subjects
    assert not any(s.startswith("[thermowatch] ALERTE") and "mesurée" in s for s in subjects)
