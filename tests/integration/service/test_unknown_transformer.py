"""An unknown transformer is a 404 naming it, even before any model is loaded (issue 22:
it was a 503 "no model is loaded yet", which sends a client to retry forever)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from thermowatch.app import create_app

from .conftest import TRANSFORMER, make_settings, reading


def test_unknown_transformer_is_a_404_naming_it_before_any_model(engine, keys):
    app = create_app(make_settings(), engine=engine)  # no model served at all
    reader = {"X-API-Key": keys["reader"]}
    with TestClient(app) as c:
        r = c.post("/v1/transformers/NOPE-9/predict", json=reading(), headers=reader)
        assert r.status_code == 404 and "'NOPE-9'" in r.json()["erreur"]
        # A transformer the store knows, while nothing is loaded yet: 503, retry later.
        r = c.post(f"/v1/transformers/{TRANSFORMER}/predict", json=reading(), headers=reader)
        assert r.status_code == 503
