"""``POST /predict`` names no transformer (the original contract): it answers for the configured
default, else for the only served transformer, and says which ones exist when it cannot tell."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.service.conftest import make_settings, reading
from thermowatch.app import create_app
from thermowatch.learn.artifact import load_model
from thermowatch.live.champion import artifact_digest
from thermowatch.store.models import ModelStatus, register_model
from thermowatch.store.transformers import ensure_transformer


def _champion(engine, transformer_id, directory):
    ensure_transformer(engine, transformer_id)
    register_model(engine, load_model(directory).model_id, transformer_id, str(directory),
                   artifact_digest(directory), status=ModelStatus.CHAMPION)  # fmt: skip


def _predict(c, key, path="/predict"):
    return c.post(path, json=reading(), headers={"X-API-Key": key})


def test_the_only_served_transformer_answers_predict(engine, keys, model_dir):
    """The first hour registers TR-0001: a SCADA client posting to /predict must get it."""
    _champion(engine, "TR-0001", model_dir)
    with TestClient(create_app(make_settings(), engine=engine)) as c:
        r = _predict(c, keys["reader"])
        assert r.status_code == 200, r.text
        assert r.json()["transformer_id"] == "TR-0001"
        assert isinstance(r.json()["temperature_predite"], float)


def test_several_transformers_and_no_default_is_a_404_that_lists_them(
    engine, keys, model_dir, second_model_dir
):
    _champion(engine, "TR-A", model_dir)
    _champion(engine, "TR-B", second_model_dir)
    with TestClient(create_app(make_settings(), engine=engine)) as c:
        r = _predict(c, keys["reader"])
        assert r.status_code == 404
        assert "TR-A, TR-B" in r.json()["erreur"] and "default_transformer" in r.json()["erreur"]
        assert _predict(c, keys["reader"], "/v1/transformers/TR-B/predict").status_code == 200
    with TestClient(create_app(make_settings(default_transformer="TR-B"), engine=engine)) as c:
        r = _predict(c, keys["reader"])
        assert r.status_code == 200 and r.json()["transformer_id"] == "TR-B"
    with TestClient(create_app(make_settings(default_transformer="TR-Z"), engine=engine)) as c:
        r = _predict(c, keys["reader"])
        assert r.status_code == 404 and "TR-Z" in r.json()["erreur"]
