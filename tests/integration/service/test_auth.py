"""Every route × role × credential: none, invalid, expired and revoked are refused."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.helpers.models import copy_model
from tests.helpers.store import migrated_sqlite
from tests.integration.service.conftest import (
    SECRET,
    TRANSFORMER,
    make_keys,
    make_settings,
    reading,
    token,
)
from thermowatch.app import create_app
from thermowatch.service.auth import RANK
from thermowatch.store.audit import entries
from thermowatch.store.transformers import ensure_transformer

# (method, path, json body, lowest role allowed)
ROUTES = [
    ("GET", "/ready", None, "reader"),
    ("GET", "/metrics", None, "reader"),
    ("POST", "/predict", reading(), "reader"),
    ("POST", f"/v1/transformers/{TRANSFORMER}/predict", reading(), "reader"),
    ("POST", "/v1/predict/batch", [reading()], "reader"),
    ("POST", "/v1/readings", {"transformer_id": TRANSFORMER, "values": reading()}, "operator"),
    ("GET", "/v1/transformers", None, "reader"),
    ("GET", f"/v1/transformers/{TRANSFORMER}", None, "reader"),
    ("GET", f"/v1/transformers/{TRANSFORMER}/history", None, "reader"),
    ("GET", "/v1/models", None, "reader"),
    ("GET", "/v1/alerts", None, "reader"),
    ("POST", "/v1/alerts/999/acknowledge", None, "operator"),
    ("POST", "/v1/models/unknown-model/promote", None, "admin"),
    ("GET", "/v1/keys", None, "admin"),
    ("POST", "/v1/keys", {"role": "reader"}, "admin"),
    ("DELETE", "/v1/keys/unknown", None, "admin"),
]
IDS = [f"{m} {p}" for m, p, _, _ in ROUTES]


def call(client, method, path, body, headers):
    return client.request(method, path, json=body, headers=headers)


@pytest.fixture(scope="module")
def shared(sample_model_dir, tmp_path_factory):
    """One service (store, keys, model copy) for the 208 route × credential checks below, which
    only read an answer's status: built once per module, not once per check (~0.25 s each).

    All their refusals come from one client address, so its anonymous bucket gets a burst
    above their number; the bucket itself is checked by the rate-limit tests."""
    folder = tmp_path_factory.mktemp("auth-shared")
    engine = migrated_sqlite(folder / "tw.db")
    ensure_transformer(engine, TRANSFORMER)
    keys = make_keys(engine)
    model = copy_model(sample_model_dir, folder)
    settings = make_settings(model_dir=str(model), anonymous_burst=1000.0)
    with TestClient(create_app(settings, engine=engine), client=("127.0.0.1", 50000)) as client:
        yield client, keys
    engine.dispose()


@pytest.mark.parametrize(("method", "path", "body", "needed"), ROUTES, ids=IDS)
@pytest.mark.parametrize(
    "bad",
    [
        "none",
        "invalid-key",
        "expired-token",
        "revoked-key",
        "wrong-issuer",
        "wrong-secret",
        "not-bearer",
    ],
)
def test_bad_credentials_are_401(shared, method, path, body, needed, bad):
    client, keys = shared
    headers = {
        "none": {},
        "invalid-key": {"X-API-Key": "tw_nope_" + "x" * 40},
        "expired-token": {"Authorization": f"Bearer {token('admin', minutes=-1)}"},
        "revoked-key": {"X-API-Key": keys["revoked"]},
        "wrong-issuer": {"Authorization": f"Bearer {token('admin', issuer='someone-else')}"},
        "wrong-secret": {"Authorization": f"Bearer {token('admin', secret='t' * 40)}"},
        "not-bearer": {"Authorization": f"Basic {token('admin')}"},
    }[bad]
    r = call(client, method, path, body, headers)
    assert r.status_code == 401, r.text
    assert r.json()["erreur"]


@pytest.mark.parametrize(("method", "path", "body", "needed"), ROUTES, ids=IDS)
@pytest.mark.parametrize("role", ["reader", "operator", "admin"])
@pytest.mark.parametrize("kind", ["key", "jwt"])
def test_roles(shared, method, path, body, needed, role, kind):
    client, keys = shared
    headers = (
        {"X-API-Key": keys[role]} if kind == "key" else {"Authorization": f"Bearer {token(role)}"}
    )
    r = call(client, method, path, body, headers)
    if RANK[role] < RANK[needed]:
        assert r.status_code == 403, r.text
        assert needed in r.json()["erreur"]
    else:
        assert r.status_code not in (401, 403), r.text
        assert r.status_code < 500, r.text


def test_health_is_open(client):
    assert client.get("/health").json() == {"status": "ok"}


def test_failed_authentications_are_audited_and_counted(client, keys, engine):
    for _ in range(3):
        client.get("/v1/models", headers={"X-API-Key": "tw_bad_key"})
    client.portal.call(client.app.state.audit.flush, True)  # final: the minute in progress too
    denied = [e for e in entries(engine, action="refused_requests") if e.outcome == "denied"]
    # Aggregated: one row for this source and minute, with the count and the reason.
    assert len(denied) == 1 and denied[0].source_address == "127.0.0.1"
    detail = json.loads(denied[0].detail)
    assert detail["count"] == 3 and detail["reasons"] == {"invalid_key": 3}
    metrics = client.get("/metrics", headers={"X-API-Key": keys["reader"]}).text
    line = next(
        x
        for x in metrics.splitlines()
        if x.startswith('thermowatch_auth_failures_total{reason="invalid_key"}')
    )
    assert float(line.split()[-1]) >= 1


def test_rate_limit_per_key(engine, served_dir, keys):
    app = create_app(
        make_settings(model_dir=str(served_dir), rate_limit_per_s=0.001, rate_burst=3),
        engine=engine,
    )
    with TestClient(app) as c:
        codes = [
            c.get("/v1/models", headers={"X-API-Key": keys["reader"]}).status_code for _ in range(5)
        ]
        assert codes == [200, 200, 200, 429, 429]
        # Another key has its own bucket.
        assert c.get("/v1/models", headers={"X-API-Key": keys["admin"]}).status_code == 200


def test_ip_allow_list(engine, served_dir, keys):
    app = create_app(
        make_settings(model_dir=str(served_dir), allow_cidrs=("10.0.0.0/8",)), engine=engine
    )
    with TestClient(app, client=("127.0.0.1", 5000)) as c:
        r = c.get("/v1/models", headers={"X-API-Key": keys["reader"]})
        assert r.status_code == 403 and "address" in r.json()["erreur"]
    app = create_app(
        make_settings(model_dir=str(served_dir), allow_cidrs=("127.0.0.0/8",)), engine=engine
    )
    with TestClient(app, client=("127.0.0.1", 5000)) as c:
        assert c.get("/v1/models", headers={"X-API-Key": keys["reader"]}).status_code == 200


def test_key_lifecycle_over_http(client, keys):
    admin = {"X-API-Key": keys["admin"]}
    created = client.post("/v1/keys", json={"role": "reader", "name": "scada"}, headers=admin)
    assert created.status_code == 201
    new = created.json()
    assert client.get("/v1/models", headers={"X-API-Key": new["key"]}).status_code == 200
    listed = client.get("/v1/keys", headers=admin).json()
    assert all("key" not in k and "key_sha256" not in k for k in listed)
    assert client.delete(f"/v1/keys/{new['id']}", headers=admin).status_code == 200
    assert client.get("/v1/models", headers={"X-API-Key": new["key"]}).status_code == 401
    assert client.post("/v1/keys", json={"role": "god"}, headers=admin).status_code == 422


def test_secret_is_never_stored(engine):
    from sqlalchemy import text

    from thermowatch.service.apikeys import create_key, hash_key

    _, key = create_key(engine, "reader")
    with engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM api_keys")) for v in row)
    assert key not in dump and hash_key(key) in dump and SECRET not in dump


def test_metrics_count_predict_by_route_status_and_level(client, keys):
    h = {"X-API-Key": keys["reader"]}
    client.post("/predict", json=reading(), headers=h)
    client.post("/predict", json={"x": 1}, headers=h)
    text = client.get("/metrics", headers=h).text
    assert 'thermowatch_http_requests_total{route="/predict",status="200"}' in text
    assert 'thermowatch_http_requests_total{route="/predict",status="422"}' in text
    assert 'thermowatch_predictions_total{level="NORMAL"}' in text
    assert (
        "thermowatch_model_loaded{" in text
        and 'thermowatch_http_request_seconds_bucket{le="0.01",route="/predict"}' in text
    )


def test_metrics_sum_the_workers_of_the_directory_the_settings_give(
    engine, served_dir, keys, tmp_path, monkeypatch
):
    """``Settings.metrics_dir`` (resolved once, from PROMETHEUS_MULTIPROC_DIR, by
    load_settings) decides: an empty multiprocess directory holds no worker's samples, so
    /metrics shows none of this process's; the variable alone changes nothing."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "ignored"))
    h = {"X-API-Key": keys["reader"]}
    (tmp_path / "workers").mkdir()
    for directory, seen in ((None, True), (str(tmp_path / "workers"), False)):
        settings = make_settings(model_dir=str(served_dir), metrics_dir=directory)
        with TestClient(create_app(settings, engine=engine), client=("127.0.0.1", 50000)) as c:
            c.post("/predict", json=reading(), headers=h)
            text = c.get("/metrics", headers=h).text
        assert ('thermowatch_http_requests_total{route="/predict",status="200"}' in text) is seen
