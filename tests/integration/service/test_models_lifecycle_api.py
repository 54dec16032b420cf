"""The lifecycle actions over the API: one model with its checks, approve/reject a pending
promotion and roll back — admin only, audited."""

from __future__ import annotations

from thermowatch.jobs.promotion import PENDING
from thermowatch.store.audit import entries
from thermowatch.store.models import champion, get_model, register_model

from .conftest import TRANSFORMER


def _register(engine, model_id: str, digit: str, status: str = "challenger"):
    register_model(engine, model_id, TRANSFORMER, f"/m/{model_id}", digit * 64)
    if status != "challenger":
        from sqlalchemy import update

        from thermowatch.store.tables import model_versions

        with engine.begin() as conn:
            conn.execute(update(model_versions).where(model_versions.c.id == model_id)
                         .values(status=status))  # fmt: skip


def test_approve_reject_and_rollback_need_an_admin_and_are_audited(client, engine, keys):
    from thermowatch.store.models import promote

    _register(engine, "m1", "1")
    promote(engine, "m1")
    _register(engine, "m2", "2", PENDING)
    _register(engine, "m3", "3", PENDING)
    admin, reader = {"X-API-Key": keys["admin"]}, {"X-API-Key": keys["reader"]}

    assert client.post("/v1/models/m2/approve", headers=reader).status_code == 403
    assert get_model(engine, "m2").status == PENDING
    r = client.post("/v1/models/m2/approve", headers=admin)
    assert r.status_code == 200 and champion(engine, TRANSFORMER).id == "m2"
    r = client.post("/v1/models/m3/reject", json={"reason": "peak week"}, headers=admin)
    assert r.status_code == 200 and get_model(engine, "m3").status == "retired"
    again = client.post("/v1/models/m3/approve", headers=admin)
    assert again.status_code == 422 and "not waiting for approval" in again.json()["erreur"]

    r = client.post("/v1/models/rollback", json={"transformer_id": TRANSFORMER}, headers=admin)
    assert r.status_code == 200 and r.json() == {"champion": "m1"}
    assert champion(engine, TRANSFORMER).id == "m1"
    shown = client.get("/v1/models/m1", headers=reader).json()
    assert shown["status"] == "champion" and shown["checks"] == {"accuracy": [], "drift": []}
    actions = [e.action for e in entries(engine)]
    for action in ("model.promotion_approved", "model.promotion_rejected", "model.rolled_back"):
        assert action in actions
    assert client.get("/v1/models/nope", headers=reader).status_code == 404


def test_retrain_shadow_compare_and_ab_routes_admin_only(client, engine, keys):
    from sqlalchemy import select

    from thermowatch.store.models import promote
    from thermowatch.store.tables import job_runs
    from thermowatch.store.trials import trials

    _register(engine, "c1", "1")
    promote(engine, "c1")
    _register(engine, "s1", "2")
    admin, reader = {"X-API-Key": keys["admin"]}, {"X-API-Key": keys["reader"]}

    assert client.post("/v1/models/s1/shadow", json={"days": 7}, headers=reader).status_code == 403
    r = client.post("/v1/models/s1/shadow", json={"days": 7}, headers=admin)
    assert r.status_code == 200 and r.json()["transformer_id"] == TRANSFORMER
    assert [t.model_id for t in trials(engine, model_id="s1")] == ["s1"]
    r = client.post("/v1/models/c1/shadow", json={"days": 7}, headers=admin)
    assert r.status_code == 422 and "already serves" in r.json()["erreur"]
    assert client.post("/v1/models/s1/shadow", json={"days": 0}, headers=admin).status_code == 422

    r = client.get("/v1/models/s1/compare?days=7", headers=reader)  # the numbers: tests/jobs
    assert r.status_code == 422 and "target_variable" in r.json()["erreur"]
    assert client.get("/v1/models/s1/compare?days=-1", headers=reader).status_code == 422

    assert client.post("/v1/models/retrain", json={"transformer_id": TRANSFORMER},
                       headers=reader).status_code == 403  # fmt: skip
    r = client.post("/v1/models/retrain", json={"transformer_id": TRANSFORMER}, headers=admin)
    assert r.status_code == 202
    with engine.connect() as conn:
        queued = conn.execute(select(job_runs.c.kind, job_runs.c.status)).all()
    assert [tuple(q) for q in queued] == [("retrain", "queued")]
    r = client.post("/v1/models/retrain", json={"transformer_id": "NOPE"}, headers=admin)
    assert r.status_code == 404

    r = client.post("/v1/models/ab", json={"experiment": "x", "model_ids": ["s1"]}, headers=admin)
    assert r.status_code == 422  # an A/B needs 2+ transformers
    assert client.get("/v1/models/ab/nope", headers=reader).status_code == 404
    actions = [e.action for e in entries(engine)]
    assert "model.shadow_started" in actions
