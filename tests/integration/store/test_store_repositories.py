"""Predictions, alerts + outbox, model versions, audit log, status — on both databases."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from store_helpers import NOW, START

from thermowatch.errors import InputError, NotFoundError
from thermowatch.store import alerts, audit, models
from thermowatch.store.predictions import (
    Prediction,
    latest_prediction,
    recent_predictions,
    write_predictions,
)
from thermowatch.store.status import fleet_status
from thermowatch.store.tables import ModelStatus, model_versions
from thermowatch.store.transformers import Transformer, get_transformer, save_transformer


def test_transformer_round_trip(engine: Engine) -> None:
    t = Transformer(
        "T2", "Poste Sud", site="Lyon", preset="ONAN_630kVA",
        ratings={"power_kva": 630.0}, thresholds={"alert": 90, "critical": 105},
    )  # fmt: skip
    save_transformer(engine, t)
    got = get_transformer(engine, "T2")
    assert got.thresholds == {"alert": 90, "critical": 105} and got.site == "Lyon"
    assert got.created_at.utcoffset() == timedelta(0)
    with pytest.raises(NotFoundError, match="T9"):
        get_transformer(engine, "T9")


def test_predictions_idempotent_and_recent(engine: Engine) -> None:
    preds = [
        Prediction("T1", START + timedelta(minutes=i), "m1", 60.0 + i, 58.0 + i, 62.0 + i, "NORMAL")
        for i in range(120)
    ]
    assert write_predictions(engine, preds) == 120
    assert write_predictions(engine, preds[:10]) == 0
    with pytest.raises(NotFoundError, match="T404"):
        write_predictions(engine, [Prediction("T404", START, "m1", 1.0)])
    now = START + timedelta(minutes=119)
    recent = recent_predictions(engine, "T1", hours=1, now=now)
    assert len(recent) == 61
    assert recent["value"].iloc[-1] == 179.0 and recent["upper"].iloc[-1] == 181.0
    latest = latest_prediction(engine, "T1", now - timedelta(seconds=30))
    assert latest is not None and latest.value == 178.0 and latest.level == "NORMAL"


def test_alert_lifecycle_and_outbox(engine: Engine) -> None:
    request = alerts.NotificationRequest("email", "ops@example.org", "OT 96 °C", "TR T1")
    a1 = alerts.raise_alert(engine, "T1", "top_oil_high", "ALERTE", "OT 96 °C", at=NOW,
                            notify=[request])  # fmt: skip
    a2 = alerts.raise_alert(engine, "T1", "model_drift", "ALERTE", "drift", at=NOW)
    assert [a.id for a in alerts.open_alerts(engine, "T1")] == [a1, a2]
    alerts.acknowledge_alert(engine, a1, by="alice", at=NOW + timedelta(minutes=5))
    alerts.acknowledge_alert(engine, a1, by="bob")  # first acknowledgement wins
    alerts.resolve_alert(engine, a2, by="alice", at=NOW + timedelta(minutes=9))
    got = alerts.get_alert(engine, a1)
    assert got.acknowledged_by == "alice" and got.acknowledged_at == NOW + timedelta(minutes=5)
    assert [a.id for a in alerts.open_alerts(engine)] == [a1]
    with pytest.raises(NotFoundError):
        alerts.resolve_alert(engine, 987654, by="x")
    with pytest.raises(NotFoundError, match="T404"):
        alerts.raise_alert(engine, "T404", "top_oil_high", "ALERTE", "?", at=NOW)

    due = alerts.due_notifications(engine, now=NOW)
    assert len(due) == 1 and due[0].alert_id == a1 and due[0].status == "pending"
    n = due[0].id
    retry = NOW + timedelta(minutes=1)
    alerts.record_attempt(engine, n, ok=False, detail="SMTP 451", retry_at=retry, at=NOW)
    assert alerts.due_notifications(engine, now=NOW) == []
    assert len(alerts.due_notifications(engine, now=NOW + timedelta(minutes=1))) == 1
    alerts.record_attempt(engine, n, ok=True, at=NOW + timedelta(minutes=1))
    assert alerts.due_notifications(engine, now=NOW + timedelta(days=1)) == []
    history = alerts.delivery_history(engine, n)
    assert [(ok, detail) for _, ok, detail in history] == [(False, "SMTP 451"), (True, None)]


def test_one_champion_per_transformer(engine: Engine) -> None:
    sha = "ab" * 32
    models.register_model(engine, "m1", "T1", "/models/m1", sha, {"mae": 1.2},
                          status=ModelStatus.CHAMPION)  # fmt: skip
    models.register_model(engine, "m2", "T1", "/models/m2", sha.upper(), {"mae": 0.9})
    assert models.champion(engine, "T1").id == "m1"  # type: ignore[union-attr]
    assert models.get_model(engine, "m2").status == "challenger"
    models.promote(engine, "m2")
    assert models.champion(engine, "T1").id == "m2"  # type: ignore[union-attr]
    assert models.get_model(engine, "m1").status == "retired"
    assert models.get_model(engine, "m2").sha256 == sha
    # the database itself refuses a second champion
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            update(model_versions).where(model_versions.c.id == "m1").values(status="champion")
        )
    with pytest.raises(InputError, match="sha256"):
        models.register_model(engine, "m3", "T1", "/models/m3", "not-a-hash")
    assert [m.id for m in models.list_models(engine, "T1")] == ["m2", "m1"]


def test_audit_log(engine: Engine) -> None:
    entry = audit.AuditEntry(
        "alice", "alert.ack", "ok", role="operator", source_address="10.0.0.7",
        target="alert/1", at=NOW,
    )  # fmt: skip
    audit.record(engine, entry)
    audit.record(
        engine, audit.AuditEntry("mallory", "model.promote", "denied", at=NOW + timedelta(1))
    )
    got = audit.entries(engine)
    assert [(e.actor, e.outcome) for e in got] == [("mallory", "denied"), ("alice", "ok")]
    assert audit.entries(engine, actor="alice")[0].source_address == "10.0.0.7"
    assert audit.entries(engine, since=NOW + timedelta(hours=1))[0].actor == "mallory"


def test_audit_batches_store_their_detail_as_json(engine: Engine) -> None:
    """The service's audit queue writes through ``record_many`` (one transaction per batch)."""
    rows = [
        audit.AuditEntry("k1", "predict", "ok", source_address="10.0.0.8", detail={"rows": i},
                         at=NOW + timedelta(seconds=i))
        for i in range(300)
    ]  # fmt: skip
    audit.record_many(engine, [*rows, audit.AuditEntry("k2", "push_readings", "rejected")])
    audit.record_many(engine, [])
    got = audit.entries(engine, actor="k1", limit=1000)
    assert len(got) == 300 and json.loads(got[0].detail) == {"rows": 299}
    assert got[0].at == NOW + timedelta(seconds=299)
    assert audit.entries(engine, actor="k2")[0].at > NOW  # defaults to now


def test_fleet_status(engine: Engine) -> None:
    """``status`` reads the state the live pipeline stored; a late (older) state never
    replaces a newer one."""
    from thermowatch.store.engine import write_transaction
    from thermowatch.store.state import upsert_states
    from thermowatch.store.types import to_micros

    last = START + timedelta(minutes=59)
    row = [
        "T1",
        to_micros(last),
        70.0,
        90.0,
        "config",
        64.0,
        "NORMAL",
        71.5,
        "ALERTE",
        "ALERTE",
        "predicted",
        "CRITIQUE",
        to_micros(last + timedelta(hours=2)),
        "physics",
        "m1",
        True,
    ]
    late = [
        "T1",
        to_micros(last - timedelta(minutes=5)),
        70.0,
        90.0,
        "config",
        95.0,
        "CRITIQUE",
        95.0,
        "CRITIQUE",
        "CRITIQUE",
        "measured",
        None,
        None,
        None,
        "m1",
        False,
    ]
    with write_transaction(engine) as conn:
        upsert_states(conn, [row])
    with write_transaction(engine) as conn:
        upsert_states(conn, [late])
    alerts.raise_alert(engine, "T1", "top_oil_high", "ALERTE", "hot", at=last)
    [st] = fleet_status(engine, now=last + timedelta(minutes=1))
    assert st.last_reading_at == last and st.predicted == 71.5 and st.level == "ALERTE"
    assert (st.level_source, st.measured, st.measured_level) == ("predicted", 64.0, "NORMAL")
    assert st.thresholds == {"alerte_c": 70.0, "critique_c": 90.0}
    assert st.crossing_level == "CRITIQUE" and st.crossing_at == last + timedelta(hours=2)
    assert st.measured_variable == "OT" and st.open_alerts == 1
    assert st.alarms == {"unacknowledged": 1}
    assert st.extrapolating is True  # the newer row's flag: the late one changed nothing
    assert st.to_json()["last_reading_at"] == last.isoformat()
