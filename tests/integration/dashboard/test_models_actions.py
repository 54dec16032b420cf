"""The models page's lifecycle actions: admin only, CSRF-checked, audited, and they do what the
CLI and the API do (approve/reject a pending promotion, put a retained version back)."""

from __future__ import annotations

from sqlalchemy import update

from thermowatch.jobs.promotion import PENDING
from thermowatch.store.audit import entries
from thermowatch.store.models import champion, get_model, promote, register_model
from thermowatch.store.tables import model_versions

from .conftest import csrf_of, sign_in

TR = "TR-0001"


def _models(engine) -> None:
    for mid, digit in (("m1", "1"), ("m2", "2"), ("m3", "3"), ("m4", "4")):
        register_model(engine, mid, TR, f"/m/{mid}", digit * 64)
    promote(engine, "m1")
    promote(engine, "m2")  # m1 retired: a retained version
    with engine.begin() as conn:
        conn.execute(update(model_versions).where(model_versions.c.id.in_(["m3", "m4"]))
                     .values(status=PENDING))  # fmt: skip


def test_admin_approves_rejects_and_rolls_back_from_the_models_page(client, engine):
    _models(engine)
    sign_in(client, "admin")
    page = client.get("/models")
    assert page.status_code == 200
    assert 'id="approve-m3"' in page.text and 'id="rollback-m1"' in page.text
    token = csrf_of(page.text)

    r = client.post("/models/m3/approve", data={"csrf": "wrong"}, follow_redirects=False)
    assert r.status_code == 403 and get_model(engine, "m3").status == PENDING
    r = client.post("/models/m3/approve", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and champion(engine, TR).id == "m3"
    r = client.post("/models/m4/reject", data={"csrf": token, "reason": "semaine de pointe"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and get_model(engine, "m4").status == "retired"
    r = client.post("/models/m1/rollback", data={"csrf": token}, follow_redirects=True)
    assert r.status_code == 200 and champion(engine, TR).id == "m1"
    assert "Retour arrière fait" in r.text
    again = client.post("/models/m4/approve", data={"csrf": token})
    assert again.status_code == 409 and get_model(engine, "m4").status == "retired"

    actions = [e.action for e in entries(engine)]
    for action in ("model.promotion_approved", "model.promotion_rejected", "model.rolled_back"):
        assert action in actions


def test_models_actions_need_an_admin(client, engine):
    _models(engine)
    sign_in(client, "operator")
    page = client.get("/models")
    assert 'id="approve-m3"' not in page.text and "rôle administrateur" in page.text
    r = client.post("/models/m3/approve", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 403 and get_model(engine, "m3").status == PENDING
