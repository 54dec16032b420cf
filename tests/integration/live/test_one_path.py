"""The same 24 h of readings over ``POST /v1/readings`` and through the monitor: the stored
readings, predictions, forecasts, reading issues and alerts are identical (issue 11)."""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.helpers.models import copy_model
from tests.helpers.store import migrated_sqlite
from tests.integration.service.conftest import make_settings
from tests.unit.ingest.fakes import FakeHub
from thermowatch.alerts.hook import alert_hook
from thermowatch.app import create_app
from thermowatch.data.simulator import SAMPLE_SPEC, WINDING, simulate_sample
from thermowatch.ingest.config import parse_config
from thermowatch.ingest.monitor import Monitor
from thermowatch.ingest.sources.base import Sample
from thermowatch.live.champion import artifact_digest
from thermowatch.live.forecast import FORECAST_HORIZON
from thermowatch.service.apikeys import create_key
from thermowatch.store.models import register_model
from thermowatch.store.tables import (
    ModelStatus,
    alerts,
    forecasts,
    predictions,
    reading_issues,
    readings,
)
from thermowatch.store.transformers import ensure_transformer

TID = "TR-01"
SOURCE = "scada-1"
# Low enough that the day's load peaks cross them, measured and predicted.
THRESHOLDS = {"alerte_c": 60.0, "critique_c": 70.0}


@pytest.fixture(scope="module")
def champion(sample_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_model(sample_model_dir, tmp_path_factory.mktemp("champion"))


@pytest.fixture(scope="module")
def day() -> list[tuple[datetime, dict[str, float]]]:
    """24 h at 10 min of the simulated sample (its planted gaps and spike included), plus a
    physically impossible current at 03:00 (stored SUSPECT on both paths)."""
    frame = simulate_sample(days=2, step="10min", seed=5, start="2026-07-01").frame
    frame = frame.set_index(pd.DatetimeIndex(frame.pop("horodatage")).tz_localize(UTC))
    out = []
    for ts, row in frame.iloc[:144].iterrows():
        values = {k: float(v) for k, v in row.items() if not math.isnan(v)}
        if ts.hour == 3 and ts.minute == 0:
            values["courant (A)"] = 1e308
        if ts.hour == 5 and ts.minute == 0:  # implausible but possible: one verdict, GOOD
            values["température huile (°C)"] = 210.0
        out.append((ts.to_pydatetime(), values))
    return out


def _store(path: Path, champion: Path) -> Engine:
    engine = migrated_sqlite(path)
    # What the monitor registers from its config, made by hand on the HTTP side.
    ensure_transformer(engine, TID, TID, spec=SAMPLE_SPEC.to_dict(), thresholds=THRESHOLDS,
                       target_variable=WINDING)  # fmt: skip
    model_id = champion.name
    register_model(engine, model_id, TID, str(champion), artifact_digest(champion),
                   status=ModelStatus.CHAMPION)  # fmt: skip
    return engine


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    def q(table, cols, order):
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(*cols).order_by(*order))]

    r, p, f, i, a = readings.c, predictions.c, forecasts.c, reading_issues.c, alerts.c
    return {
        "readings": q(readings, [r.transformer_id, r.ts, r.variable, r.value, r.quality, r.source],
                      [r.ts, r.variable]),
        "predictions": q(predictions, [p.ts, p.model_id, p.value, p.lower, p.upper, p.level],
                         [p.ts]),
        "forecasts": q(forecasts, [f.issued_at, f.ts, f.model_id, f.value, f.level],
                       [f.issued_at, f.ts]),
        "issues": q(reading_issues, [i.ts, i.variable, i.raw, i.verdict, i.reason, i.source],
                    [i.ts, i.variable]),
        "alerts": q(alerts, [a.kind, a.level, a.message, a.raised_at, a.resolved_at],
                    [a.raised_at, a.kind, a.level]),
    }  # fmt: skip


def _over_http(engine: Engine, day: list[tuple[datetime, dict[str, float]]]) -> None:
    app = create_app(make_settings(default_transformer=TID), engine=engine)
    key = create_key(engine, "operator")[1]
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        for start in range(0, len(day), 12):  # two hours per request
            body = [
                {"transformer_id": TID, "timestamp": ts.isoformat(), "values": values,
                 "source": SOURCE}
                for ts, values in day[start : start + 12]
            ]  # fmt: skip
            r = client.post("/v1/readings", json=body, headers={"X-API-Key": key})
            assert r.status_code == 201, r.text
            for answer in r.json():
                # never null + NORMAL: a missing prediction always says why
                assert answer["temperature_predite"] is not None or answer["raison"]
                assert answer["niveau_source"] in ("measured", "predicted")


@pytest.fixture(scope="module")
def over_http(
    tmp_path_factory: pytest.TempPathFactory, champion: Path, day: list
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows the day posted over HTTP leaves in a new store, made once per module: the
    monitor's and the MQTT path's comparisons both read them (the HTTP run is the same)."""
    engine = _store(tmp_path_factory.mktemp("http") / "http.db", champion)
    _over_http(engine, day)
    rows = _rows(engine)
    engine.dispose()
    return rows


def _config(tmp_path: Path, source: dict[str, Any]) -> Any:
    (tmp_path / "unused.csv").touch()
    return parse_config(
        {"monitor": {"spool_dir": str(tmp_path / "spool"), "period_s": 600},
         "transformers": [{"id": TID, "spec": SAMPLE_SPEC.to_dict(), "thresholds": THRESHOLDS,
                           "source": source}]},
        tmp_path,
    )  # fmt: skip


def _through_monitor(tmp_path: Path, engine: Engine, day: list[tuple[datetime, dict]]) -> None:
    cfg = _config(tmp_path, {"protocol": "replay", "path": "unused.csv"})

    async def run() -> None:
        monitor = Monitor(cfg, engine=engine, on_prediction=alert_hook(engine, None, "monitor"))
        hub = FakeHub(cfg.transformers[0].source)
        hub.add(cfg.transformers[0])
        monitor.hub_of[TID] = hub
        monitor.hubs = {("fake",): hub}
        await monitor.start()
        assert monitor.pipeline.state(TID).nowcaster.basis == "model"
        for start in range(0, len(day), 6):  # an hour of samples per period: all used
            chunk = day[start : start + 6]
            hub.pending = {TID: [Sample(ts, values, SOURCE) for ts, values in chunk]}
            report = await monitor.run_cycle([TID], chunk[-1][0])
            assert report.stored and report.predictions == len(chunk)
        await monitor.shutdown()

    asyncio.run(run())


def test_http_and_monitor_store_identical_rows_and_alerts(
    tmp_path: Path, champion: Path, day: list[tuple[datetime, dict[str, float]]], over_http: dict
) -> None:
    monitor_db = _store(tmp_path / "monitor.db", champion)
    _through_monitor(tmp_path, monitor_db, day)
    got_http, got_monitor = over_http, _rows(monitor_db)
    for table in got_http:
        assert got_http[table] == got_monitor[table], table
    # The comparison means something: every kind of row is there.
    assert len(got_http["readings"]) == sum(len(v) for _, v in day)
    assert len(got_http["predictions"]) == 144
    # A forecast up to 24 h ahead (the pages' horizon), stored once per 15 min of data time
    # (or when its source changes): the champion's learned one (its model id stored with it),
    # or the IEC physics (its own id) where the champion could not.
    fc = got_http["forecasts"]
    issued = {f[0] for f in fc}
    assert issued < {p[0] for p in got_http["predictions"]} and len(issued) >= 144 // 2 - 1
    assert all(timedelta(0) < f[1] - f[0] <= FORECAST_HORIZON for f in fc)
    assert max(f[1] - f[0] for f in fc) == FORECAST_HORIZON
    champion_id = got_http["predictions"][-1][1]
    by_model = Counter(f[2] for f in fc)
    assert set(by_model) <= {champion_id, "iec60076-7:ONAF"}
    print("forecast points by model:", dict(by_model))
    assert by_model[champion_id] > by_model["iec60076-7:ONAF"]
    oil_210 = [r for r in got_http["readings"] if r[3] == 210.0]
    assert len(oil_210) == 1 and oil_210[0][4] == 0
    suspect = [i for i in got_http["issues"] if i[1] == "courant (A)"]
    assert suspect and suspect[0][3] == "SUSPECT" and "physical range" in suspect[0][4]
    kinds = {a[0] for a in got_http["alerts"]}
    assert {"temperature_measured", "temperature_predicted", "forecast_crossing"} <= kinds
    crossing = next(a for a in got_http["alerts"] if a[0] == "forecast_crossing")
    assert "UTC" in crossing[2]


def _over_mqtt(tmp_path: Path, engine: Engine, day: list[tuple[datetime, dict]], port: int):
    """The day published to a real Mosquitto (QoS 1, one JSON message per period)."""
    import aiomqtt

    names = sorted({k for _, values in day for k in values})
    keys = {name: f"v{i}" for i, name in enumerate(names)}
    cfg = _config(
        tmp_path,
        {
            "protocol": "mqtt",
            "host": "127.0.0.1",
            "port": port,
            "topic": "field/TR-01",
            "fields": keys,
            "client_id": "tw-live",
        },
    )

    async def run() -> None:
        monitor = Monitor(cfg, engine=engine, on_prediction=alert_hook(engine, None, "monitor"))
        hub = monitor.hub_of[TID]
        await monitor.start()
        await monitor.wait_connected(15)
        async with aiomqtt.Client("127.0.0.1", port, identifier="tw-field") as field:
            for i, (ts, values) in enumerate(day):
                doc = {"ts": ts.isoformat(), **{keys[k]: v for k, v in values.items()}}
                await field.publish("field/TR-01", json.dumps(doc), qos=1)
                deadline = asyncio.get_running_loop().time() + 10
                while hub.received < i + 1 and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.01)
                await monitor.run_cycle([TID], ts)
        await monitor.shutdown()

    asyncio.run(run())


def test_http_and_mqtt_store_identical_rows_and_alerts(
    tmp_path: Path,
    champion: Path,
    day: list[tuple[datetime, dict[str, float]]],
    broker: Any,
    over_http: dict,
) -> None:
    mqtt_db = _store(tmp_path / "mqtt.db", champion)
    _over_mqtt(tmp_path, mqtt_db, day, broker.port)
    got_http, got_mqtt = over_http, _rows(mqtt_db)
    by_source = lambda rows: [r[:5] for r in rows]  # noqa: E731  (the source names differ)
    assert by_source(got_http["readings"]) == by_source(got_mqtt["readings"])
    for table in ("predictions", "forecasts", "alerts"):
        assert got_http[table] == got_mqtt[table], table
    assert [i[:5] for i in got_http["issues"]] == [i[:5] for i in got_mqtt["issues"]]
    assert len(got_mqtt["predictions"]) == 144 and got_mqtt["alerts"]
