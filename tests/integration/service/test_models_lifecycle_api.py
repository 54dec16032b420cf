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
