"""``POST /predict`` keeps the original contract; fleet predictions; bad inputs are 4xx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pandas as pd
import pytest

from tests.integration.service.conftest import TRANSFORMER, reading
from thermowatch.learn.artifact import load_model
from thermowatch.store.readings import wide_to_frame, write_readings


def test_original_client_code_works_unchanged(client, keys, served_dir):
    # What the SCADA integrator's code does: post a flat JSON object, read two keys.
    r = client.post("/predict", json=reading(), headers={"X-API-Key": keys["reader"]})
    assert r.status_code == 200
    answer = r.json()
    temperature, level = answer["temperature_predite"], answer["niveau_alerte"]
    assert isinstance(temperature, float) and level in ("NORMAL", "ALERTE", "CRITIQUE")
    datetime.fromisoformat(answer["timestamp"])
    assert answer["transformer_id"] == TRANSFORMER
    low, high = answer["intervalle"]
    assert low < temperature < high
    assert any("steady state" in w for w in answer["avertissements"])
    # Same number as the model's own predict_frame on a 1-row frame (steady state).
    predictor = load_model(served_dir)
    at = pd.Timestamp(answer["timestamp"])
    frame = pd.DataFrame([reading()], index=pd.DatetimeIndex([at]))[list(predictor.variables)]
    assert temperature == pytest.approx(
        predictor.predict_frame(frame)["predicted"].iloc[0], abs=1e-3
    )


def test_level_follows_thresholds(client, keys, served_dir):
    predictor = load_model(served_dir)
    hot = reading(
        **{
            "courant (A)": 2000.0,
            "température ambiante (°C)": 45.0,
            "température huile (°C)": 110.0,
        }
    )
    answer = client.post("/predict", json=hot, headers={"X-API-Key": keys["reader"]}).json()
    assert answer["niveau_alerte"] == predictor.thresholds.level(answer["temperature_predite"])
    assert answer["niveau_alerte"] != "NORMAL"


def test_outside_the_trained_loads_the_answer_says_extrapolating(client, keys, served_dir):
    """Issue 23: a load beyond any seen in training is flagged and its interval widened; the
    original keys keep their meaning."""
    predictor = load_model(served_dir)
    middle = {name: (low + high) / 2 for name, (low, high) in predictor.domain.ranges.items()}
    high = predictor.domain.ranges["courant (A)"][1]
    at = {"timestamp": predictor.metadata["split"]["train"]["end"]}  # a month it has seen
    usual = client.post("/predict", json=middle | at, headers={"X-API-Key": keys["reader"]})
    far = middle | {"courant (A)": 1.3 * high} | at
    answer = client.post("/predict", json=far, headers={"X-API-Key": keys["reader"]}).json()
    assert usual.json()["extrapolating"] is False and answer["extrapolating"] is True
    assert answer["niveau_alerte"] in ("NORMAL", "ALERTE", "CRITIQUE")
    width = answer["intervalle"][1] - answer["intervalle"][0]
    assert width > 1.25 * (usual.json()["intervalle"][1] - usual.json()["intervalle"][0])
    assert any("domain of validity" in w for w in answer["avertissements"])


def test_history_from_the_store_replaces_steady_state(client, keys, engine, served_dir):
    predictor = load_model(served_dir)
    now = datetime.now(UTC).replace(microsecond=0)
    index = pd.date_range(
        now - timedelta(hours=30), now - timedelta(minutes=10), freq="10min", tz="UTC"
    )
    wide = pd.DataFrame([reading(**{"courant (A)": 400.0})] * len(index), index=index)
    write_readings(engine, wide_to_frame(wide, TRANSFORMER)[0])
    body = reading(**{"courant (A)": 1200.0}) | {"timestamp": now.isoformat()}
    answer = client.post("/predict", json=body, headers={"X-API-Key": keys["reader"]}).json()
    assert not any("steady state at this reading" in w for w in answer["avertissements"])
    # A sudden step of load after a cool day predicts a lower temperature than steady state at 1200 A.
    steady = predictor.predict_frame(
        pd.DataFrame([reading(**{"courant (A)": 1200.0})], index=pd.DatetimeIndex([now]))[
            list(predictor.variables)
        ]
    )["predicted"].iloc[0]
    assert answer["temperature_predite"] < steady - 0.5


def test_fleet_predict_one_and_many(client, keys):
    h = {"X-API-Key": keys["reader"]}
    one = client.post(f"/v1/transformers/{TRANSFORMER}/predict", json=reading(), headers=h)
    assert one.status_code == 200 and "temperature_predite" in one.json()
    many = client.post(
        f"/v1/transformers/{TRANSFORMER}/predict",
        json=[reading(), reading(**{"courant (A)": 300.0})],
        headers=h,
    )
    assert many.status_code == 200
    a, b = many.json()
    assert a["temperature_predite"] > b["temperature_predite"]
    unknown = client.post("/v1/transformers/TR-99/predict", json=reading(), headers=h)
    assert unknown.status_code == 404 and "TR-99" in unknown.json()["erreur"]


BAD = [
    ("missing", lambda r: {k: v for k, v in r.items() if k != "courant (A)"}, 422, "courant (A)"),
    ("unknown", lambda r: r | {"vitesse du vent": 3.0}, 422, "vitesse du vent"),
    ("string", lambda r: r | {"courant (A)": "850"}, 422, "courant (A)"),
    ("bool", lambda r: r | {"courant (A)": True}, 422, "courant (A)"),
    ("null", lambda r: r | {"courant (A)": None}, 422, "courant (A)"),
    ("negative current", lambda r: r | {"courant (A)": -5.0}, 422, "courant (A)"),
    ("impossible oil", lambda r: r | {"température huile (°C)": 900.0}, 422, "température huile"),
    ("zero voltage", lambda r: r | {"tension (kV)": 0.0}, 422, "tension (kV)"),
    ("array", lambda r: [r], 422, "object"),
    ("bad timestamp", lambda r: r | {"timestamp": "yesterday"}, 422, "timestamp"),
]


@pytest.mark.parametrize(("label", "mutate", "status", "named"), BAD, ids=[b[0] for b in BAD])
def test_bad_inputs_are_4xx_naming_the_field(client, keys, label, mutate, status, named):
    r = client.post("/predict", json=mutate(reading()), headers={"X-API-Key": keys["reader"]})
    assert r.status_code == status, r.text
    assert named in r.json()["erreur"]


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        (b'{"courant (A)": NaN}', "application/json", 400),
        (b'{"courant (A)": Infinity}', "application/json", 400),
        (b'{"courant (A)": 1e999}', "application/json", 400),
        (b"{not json", "application/json", 400),
        (b"courant=5", "application/x-www-form-urlencoded", 415),
        (b"{}", "text/plain", 415),
        (b'{"a": "' + b"x" * 70_000 + b'"}', "application/json", 413),
    ],
    ids=["nan", "inf", "overflow", "malformed", "form", "text", "too-large"],
)
def test_bad_bodies_are_4xx(client, keys, raw, content_type, status):
    r = client.post(
        "/predict", content=raw, headers={"X-API-Key": keys["reader"], "Content-Type": content_type}
    )
    assert r.status_code == status, r.text
    assert r.json()["erreur"]


def test_unknown_route_and_method_answer_erreur(client, keys):
    h = {"X-API-Key": keys["reader"]}
    assert client.get("/nope", headers=h).json()["erreur"]
    r = client.get("/predict", headers=h)
    assert r.status_code == 405 and r.json()["erreur"]
    r = client.get("/v1/transformers/TR-01/history?from=notadate", headers=h)
    assert r.status_code == 422 and "from" in r.json()["erreur"]


def test_httpx_client_against_asgi(client, keys):
    transport = httpx.ASGITransport(app=client.app)

    async def go():
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.post("/predict", json=reading(), headers={"X-API-Key": keys["reader"]})

    import asyncio

    r = asyncio.run(go())
    assert r.status_code == 200 and r.json()["niveau_alerte"] in ("NORMAL", "ALERTE", "CRITIQUE")
