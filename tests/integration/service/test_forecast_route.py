"""POST /v1/transformers/{id}/forecast on a real app, store and trained model."""

from __future__ import annotations

import pandas as pd

from thermowatch.learn.artifact import load_model
from thermowatch.store.readings import write_readings

from .conftest import TRANSFORMER


def _store_history(engine, model_dir, hours: float = 30.0) -> pd.DataFrame:
    """Write the last ``hours`` of the model's training data as readings of TRANSFORMER."""
    from thermowatch.data import load_measurements

    predictor = load_model(model_dir)
    source = predictor.metadata["training_data"]["source"]
    frame = load_measurements(source).frame
    frame = frame[frame.index > frame.index[-1] - pd.Timedelta(hours=hours)]
    narrow = frame.reset_index().melt(id_vars="timestamp", var_name="variable")
    narrow = narrow.rename(columns={"timestamp": "ts"})
    narrow["transformer_id"] = TRANSFORMER
    write_readings(engine, narrow[["transformer_id", "ts", "variable", "value"]])
    return frame


def test_forecast_route_answers_every_step_with_intervals_and_crossings(
    client, engine, served_dir, keys
):
    frame = _store_history(engine, served_dir)
    headers = {"X-API-Key": keys["reader"]}
    done = client.post(
        f"/v1/transformers/{TRANSFORMER}/forecast", json={"horizon": "6h"}, headers=headers
    )
    assert done.status_code == 200, done.text
    body = done.json()
    steps = body["forecast"]
    assert len(steps) == 36  # 6 h of 10-minute steps
    assert pd.Timestamp(steps[0]["timestamp"]) == frame.index[-1] + pd.Timedelta("10min")
    assert all(s["lower"] <= s["temperature_predite"] <= s["upper"] for s in steps)
    assert set(body["crossings"]) == {"ALERTE", "CRITIQUE"}
    # A heavier load scenario never gives a cooler forecast.
    current = "courant (A)"
    heavy = [{"timestamp": steps[0]["timestamp"], current: 2.0 * float(frame[current].max())}]
    hot = client.post(
        f"/v1/transformers/{TRANSFORMER}/forecast",
        json={"horizon": "6h", "load_scenario": heavy},
        headers=headers,
    ).json()["forecast"]
    assert all(
        h["temperature_predite"] >= s["temperature_predite"] - 1e-6
        for h, s in zip(hot, steps, strict=True)
    )
    assert hot[-1]["temperature_predite"] > steps[-1]["temperature_predite"] + 1.0


def test_forecast_route_refuses_bad_input_in_one_sentence(client, engine, served_dir, keys):
    headers = {"X-API-Key": keys["reader"]}
    url = f"/v1/transformers/{TRANSFORMER}/forecast"
    empty = client.post(url, json={}, headers=headers)
    assert empty.status_code == 422 and "no reading" in empty.json()["erreur"]
    _store_history(engine, served_dir, hours=3)
    too_far = client.post(url, json={"horizon": "30d"}, headers=headers)
    assert too_far.status_code == 422 and "horizon" in too_far.json()["erreur"]
    bad = client.post(
        url, json={"load_scenario": [{"timestamp": "x", "courant (A)": 1}]}, headers=headers
    )
    assert bad.status_code == 422 and "timestamp" in bad.json()["erreur"]
    unknown = client.post(
        url,
        json={"load_scenario": [{"timestamp": "2030-01-01T00:00Z", "bogus": 1}]},
        headers=headers,
    )
    assert unknown.status_code == 422 and "bogus" in unknown.json()["erreur"]
    assert (
        client.post("/v1/transformers/NOPE/forecast", json={}, headers=headers).status_code == 404
    )
