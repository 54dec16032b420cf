"""Promotion under the deployment phase's gate, approval and rollback, each audited."""

from __future__ import annotations

import json

import numpy as np
import pytest
from lifecycle_helpers import populate
from tests.helpers.store import migrated_sqlite

from thermowatch.errors import InputError
from thermowatch.jobs.promotion import PENDING, apply_decision, approve, reject, rollback
from thermowatch.learn.promotion import decide_promotion
from thermowatch.store.audit import entries
from thermowatch.store.models import champion, get_model, register_model


@pytest.fixture
def engine(tmp_path):
    eng = migrated_sqlite(tmp_path / "store.db")
    populate(eng, "T1")  # champion T1-m1
    register_model(eng, "T1-m2", "T1", "/models/T1-m2", "1" * 64)
    yield eng
    eng.dispose()


def _decision(better: bool):
    rng = np.random.default_rng(0)
    y = rng.normal(60, 5, 400)
    good, bad = y + rng.normal(0, 1, 400), y + rng.normal(0, 3, 400)
    champ, chall = (bad, good) if better else (good, bad)
    half = 1.645 * (1.0 if better else 3.0)
    return decide_promotion(y, champ, chall, chall - half, chall + half, plausible=True)


def _actions(engine):
    return [e.action for e in entries(engine)]


def test_phase_two_promotes_a_better_challenger_and_audits_the_numbers(engine):
    assert apply_decision(engine, "T1-m2", _decision(True), phase=2) == "promoted"
    assert champion(engine, "T1").id == "T1-m2"
    assert get_model(engine, "T1-m1").status == "retired"
    row = next(e for e in entries(engine) if e.action == "model.promoted")
    detail = json.loads(row.detail)
    assert detail["previous_champion"] == "T1-m1" and detail["challenger_rmse_k"] < 1.2


@pytest.mark.parametrize("phase", [1, 2, 3, 4])
def test_a_worse_challenger_is_never_promoted_whatever_the_phase(engine, phase):
    assert apply_decision(engine, "T1-m2", _decision(False), phase=phase) == "refused"
    assert champion(engine, "T1").id == "T1-m1"
    assert get_model(engine, "T1-m2").status == "retired"
    assert "model.promotion_refused" in _actions(engine)


def test_phase_three_waits_for_an_admin_and_the_approval_is_audited(engine):
    assert apply_decision(engine, "T1-m2", _decision(True), phase=3) == "pending"
    assert champion(engine, "T1").id == "T1-m1"
    assert get_model(engine, "T1-m2").status == PENDING
    approve(engine, "T1-m2", actor="admin:alice")
    assert champion(engine, "T1").id == "T1-m2"
    row = next(e for e in entries(engine) if e.action == "model.promotion_approved")
    assert row.actor == "admin:alice"
    with pytest.raises(InputError, match="not waiting for approval"):
        approve(engine, "T1-m2", actor="admin:alice")


def test_a_rejected_promotion_retires_the_challenger(engine):
    apply_decision(engine, "T1-m2", _decision(True), phase=3)
    reject(engine, "T1-m2", actor="admin:bob", reason="summer peak next week")
    assert champion(engine, "T1").id == "T1-m1"
    assert get_model(engine, "T1-m2").status == "retired"


def test_rollback_restores_the_previous_champion_in_one_command(engine):
    apply_decision(engine, "T1-m2", _decision(True), phase=2)
    assert rollback(engine, "T1", None, actor="admin:alice") == "T1-m1"
    assert champion(engine, "T1").id == "T1-m1"
    # Rolling back again goes back to m2 (the champion before the rollback).
    assert rollback(engine, "T1", None, actor="admin:alice") == "T1-m2"
    assert _actions(engine).count("model.rolled_back") == 2


def test_rollback_refuses_another_transformers_model(engine):
    populate(engine, "T2")
    with pytest.raises(InputError, match="belongs to T2"):
        rollback(engine, "T1", "T2-m1", actor="admin")
