"""Hot reload (champion change, tampered artifacts refused), audit batching, readings push, batch."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests.integration.service.conftest import TRANSFORMER, make_settings, reading
from thermowatch.app import create_app
from thermowatch.learn.artifact import load_model
from thermowatch.live.champion import artifact_digest
from thermowatch.store.audit import entries
from thermowatch.store.models import ModelStatus, promote, register_model
from thermowatch.store.predictions import predictions_frame
from thermowatch.store.readings import count_readings


def wait_for(predicate, timeout=30.0):
    # Generous: how long a loaded 2-core runner takes to reach the state, not a speed bound.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def model_id_of(c, key):
    return c.post("/predict", json=reading(), headers={"X-API-Key": key}).json()["model_id"]


def test_tampered_artifact_is_refused_and_the_old_model_keeps_serving(client, keys, served_dir):
    first = model_id_of(client, keys["reader"])
    refused_line = lambda: next(  # noqa: E731
        line
        for line in client.get("/metrics", headers={"X-API-Key": keys["reader"]}).text.splitlines()
        if line.startswith("thermowatch_model_reload_refused_total ")
    )
    # Counted before the file changes: the reload poll (every 0.2 s) may refuse it before the
    # next line runs (it did on a loaded machine), and it refuses a given digest once.
    before = float(refused_line().split()[-1])
    doc = json.loads((served_dir / "model.json").read_text())
    doc["model"]["intercept"] += 50.0  # an attacker shifting every prediction
    (served_dir / "model.json").write_text(json.dumps(doc))
    assert wait_for(lambda: float(refused_line().split()[-1]) > before)
    assert model_id_of(client, keys["reader"]) == first
    assert "SHA-256" in client.app.state.models.last_error


def test_new_champion_is_picked_up_without_restart(engine, keys, model_dir, second_model_dir):
    register_model(
        engine,
        load_model(model_dir).model_id,
        TRANSFORMER,
        str(model_dir),
        artifact_digest(model_dir),
        status=ModelStatus.CHAMPION,
    )
    app = create_app(make_settings(), engine=engine)
    with TestClient(app) as c:
        first = load_model(model_dir).model_id
        assert model_id_of(c, keys["reader"]) == first
        second = load_model(second_model_dir).model_id
        # A champion whose registered digest does not match its files is refused.
        register_model(engine, second, TRANSFORMER, str(second_model_dir), "0" * 64)
        promote(engine, second)
        # The poll that meets the bad digest (every 0.2 s) says so; until then the first
        # model is served anyway, so wait for the refusal rather than a fixed time.
        assert wait_for(lambda: "registry" in (app.state.models.last_error or ""))
        assert model_id_of(c, keys["reader"]) == first
        # Promotion over HTTP (admin) of a correctly registered model is served on the next poll.
        from sqlalchemy import update

        from thermowatch.store.tables import model_versions

        with engine.begin() as conn:
            conn.execute(
                update(model_versions)
                .where(model_versions.c.id == second)
                .values(sha256=artifact_digest(second_model_dir))
            )
        assert wait_for(lambda: model_id_of(c, keys["reader"]) == second)
        models = c.get("/v1/models", headers={"X-API-Key": keys["reader"]}).json()
        assert models["served"][TRANSFORMER]["model_id"] == second


def test_ready_reports_model_and_database(client, keys, engine, tmp_path):
    r = client.get("/ready", headers={"X-API-Key": keys["reader"]})
    assert r.status_code == 200 and TRANSFORMER in r.json()["models"]
    app = create_app(make_settings(model_dir=str(tmp_path / "absent")), engine=engine)
    with TestClient(app) as c:
        r = c.get("/ready", headers={"X-API-Key": keys["reader"]})
        assert r.status_code == 503 and "model" in r.json()["erreur"]
        assert (
            c.post("/predict", json=reading(), headers={"X-API-Key": keys["reader"]}).status_code
            == 503
        )


def test_every_prediction_is_audited_and_none_lost_on_shutdown(engine, served_dir, keys):
    app = create_app(
        make_settings(model_dir=str(served_dir), audit_flush_s=60.0, audit_batch=10_000),
        engine=engine,
    )
    with TestClient(app) as c:
        for i in range(25):
            assert (
                c.post(
                    "/predict",
                    json=reading(**{"courant (A)": 500.0 + i}),
                    headers={"X-API-Key": keys["reader"]},
                ).status_code
                == 200
            )
        c.post(
            "/predict", json=reading(**{"courant (A)": -1.0}), headers={"X-API-Key": keys["reader"]}
        )
        assert app.state.audit.pending >= 26  # still queued: nothing written on the hot path
    rows = entries(engine, action="predict")
    assert len(rows) == 26
    ok = [r for r in rows if r.outcome == "ok"]
    detail = json.loads(ok[0].detail)
    assert ok[0].actor.startswith("key:") and ok[0].role == "reader" and ok[0].source_address
    assert {"inputs", "model", "latency_ms", "route"} <= set(detail)
    assert (
        len({json.loads(r.detail)["inputs"] for r in ok}) == 25
    )  # distinct inputs, distinct hashes
    assert [r for r in rows if r.outcome == "rejected"]


def test_audit_flushes_in_the_background(client, keys, engine):
    client.post("/predict", json=reading(), headers={"X-API-Key": keys["reader"]})
    assert wait_for(lambda: len(entries(engine, action="predict")) == 1)


def test_readings_push_stores_predicts_and_calls_the_hook(client, keys, engine):
    seen = []
    client.app.state.on_prediction = lambda e: seen.append((e.transformer_id, e.level))
    at = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    body = [
        {
            "transformer_id": TRANSFORMER,
            "timestamp": (at + timedelta(minutes=10 * i)).isoformat(),
            "values": reading(),
        }
        for i in range(3)
    ]
    r = client.post("/v1/readings", json=body, headers={"X-API-Key": keys["operator"]})
    assert r.status_code == 201, r.text
    assert count_readings(engine, TRANSFORMER) == 3 * 6
    preds = predictions_frame(engine, TRANSFORMER, at, at + timedelta(hours=1))
    assert len(preds) == 3
    assert [t for t, _ in seen] == [TRANSFORMER] * 3
    # The later readings had the earlier ones as history: no steady-state warning for them.
    assert "steady state at this reading" in r.json()[0]["avertissements"][0]
    assert not any("steady state at this reading" in w for w in r.json()[2]["avertissements"])
    # Idempotent re-send; the latest state and history read it back.
    client.post("/v1/readings", json=body, headers={"X-API-Key": keys["operator"]})
    assert count_readings(engine, TRANSFORMER) == 18
    state = client.get(
        f"/v1/transformers/{TRANSFORMER}", headers={"X-API-Key": keys["reader"]}
    ).json()
    assert state["latest_prediction"]["timestamp"].startswith("2026-01-05T08:20")
    hist = client.get(
        f"/v1/transformers/{TRANSFORMER}/history",
        params={"from": at.isoformat(), "to": (at + timedelta(hours=1)).isoformat()},
        headers={"X-API-Key": keys["reader"]},
    ).json()
    assert (
        len(hist["readings"]["timestamp"]) == 3
        and len(hist["predictions"]["temperature_predite"]) == 3
    )
    bad = client.post(
        "/v1/readings",
        json={"transformer_id": TRANSFORMER, "values": reading(**{"courant (A)": "x"})},
        headers={"X-API-Key": keys["operator"]},
    )
    assert bad.status_code == 422 and "courant (A)" in bad.json()["erreur"]


def test_batch_json_csv_parquet_agree(client, keys, served_dir):
    predictor = load_model(served_dir)
    rows = [
        reading(**{"courant (A)": 300.0 + 10 * i})
        | {"timestamp": f"2026-06-01T{i % 24:02d}:00:00Z"}
        for i in range(50)
    ]
    h = {"X-API-Key": keys["reader"]}
    by_json = client.post("/v1/predict/batch", json=rows, headers=h).json()
    frame = pd.DataFrame(rows)
    csv = client.post(
        "/v1/predict/batch",
        content=frame.to_csv(index=False).encode(),
        headers=h | {"Content-Type": "text/csv"},
    ).json()
    buf = io.BytesIO()
    frame.to_parquet(buf)
    parquet = client.post(
        "/v1/predict/batch",
        files={"file": ("x.parquet", buf.getvalue(), "application/octet-stream")},
        headers=h,
    ).json()
    assert by_json["rows"] == csv["rows"] == parquet["rows"] == 50
    assert by_json["temperature_predite"] == pytest.approx(csv["temperature_predite"])
    assert by_json["temperature_predite"] == pytest.approx(parquet["temperature_predite"])
    # Row by row the same as the model in steady state at each reading.
    one = frame.iloc[[7]].set_index(
        pd.DatetimeIndex(pd.to_datetime(frame["timestamp"].iloc[[7]], utc=True))
    )
    expected = predictor.predict_frame(one[list(predictor.variables)])["predicted"].iloc[0]
    assert by_json["temperature_predite"][7] == pytest.approx(expected, abs=1e-9)
    r = client.post("/v1/predict/batch", params={"series": "true"}, json=rows, headers=h)
    assert r.status_code == 422 and "increasing time" in r.json()["erreur"]
    ordered = [
        row | {"timestamp": f"2026-06-01T{i // 6:02d}:{i % 6}0:00Z"} for i, row in enumerate(rows)
    ]
    series = client.post(
        "/v1/predict/batch", params={"series": "true"}, json=ordered, headers=h
    ).json()
    assert series["rows"] == 50
    # With thermal inertia, a load ramp lags behind its steady state.
    assert series["temperature_predite"][-1] < by_json["temperature_predite"][-1]
    bad = client.post(
        "/v1/predict/batch",
        params={"all_or_nothing": "true"},
        json=[*rows[:3], reading(**{"courant (A)": float("-1")})],
        headers=h,
    )
    assert bad.status_code == 422 and "row 3" in bad.json()["erreur"]
    assert (
        client.post(
            "/v1/predict/batch", content=b"a;b\n1;2", headers=h | {"Content-Type": "text/csv"}
        ).status_code
        == 422
    )


def test_readings_push_raises_alerts_with_the_default_engine(client, keys, engine):
    """Without a custom hook, POST /v1/readings feeds the alert engine (phase 1: stored only)."""
    from thermowatch.store.alerts import open_alerts

    served = client.app.state.models.get(TRANSFORMER)
    assert type(client.app.state.on_prediction).__name__ == "AlertHook"
    at = datetime(2026, 1, 6, 8, 0, tzinfo=UTC)
    hot = reading(
        **{"courant (A)": 1400.0, "température ambiante (°C)": 38.0, "température huile (°C)": 95.0}
    )
    body = [
        {
            "transformer_id": TRANSFORMER,
            "timestamp": (at + timedelta(minutes=10 * i)).isoformat(),
            "values": hot,
        }
        for i in range(12)
    ]
    r = client.post("/v1/readings", json=body, headers={"X-API-Key": keys["operator"]})
    assert r.status_code == 201, r.text
    predicted = r.json()[-1]["temperature_predite"]
    assert predicted >= served.predictor.thresholds.alerte_c  # the scenario really is hot
    alerts = open_alerts(engine, TRANSFORMER)
    assert [a.kind for a in alerts] == ["temperature_predicted"]
    assert alerts[0].level == r.json()[-1]["niveau_alerte"]
