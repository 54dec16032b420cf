"""Safety of the actions that write to the plant: bounded values, never in phases 1-2, one
write per alert episode, a failed write audited and raised as an alert of its own."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.store import migrated_postgres, migrated_sqlite
from tests.integration.ops.deploy_helpers import free_port
from thermowatch.alerts.action_runner import run_approved
from thermowatch.alerts.actions import approve_action, list_actions
from thermowatch.alerts.config import parse_config
from thermowatch.alerts.engine import ACTION_FAILED, AlertEngine
from thermowatch.alerts.field_writes import ModbusWriteHook
from thermowatch.alerts.messages import action_text
from thermowatch.errors import InputError
from thermowatch.learn.result import Thresholds
from thermowatch.store.alerts import get_alert, open_alerts
from thermowatch.store.audit import entries
from thermowatch.store.transformers import ensure_transformer

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
TH = Thresholds(90.0, 105.0, "test")


def action(port: int, **over: object) -> str:
    keys = {"name": "'setpoint-T1'", "level": "'ALERTE'", "hook": "'modbus'",
            "transformer": "'T1'", "auto": "true", "host": "'127.0.0.1'", "port": port,
            "address": 13, "type": "'uint16'", "scale": 0.001, "value": 0.8, "min": 0.5,
            "max": 1.2} | over  # fmt: skip
    body = "".join(f"{k} = {v}\n" for k, v in keys.items() if v is not None)
    return "[[alerts.actions]]\n" + body


def config(phase: int, *actions: str):
    doc = f"[alerts]\nphase = {phase}\n[alerts.levels]\nraise_after_minutes = 0\n"
    doc += "clear_after_minutes = 0\n" + "".join(actions)
    return parse_config(tomllib.loads(doc))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        eng = migrated_sqlite(tmp_path / "store.db")
    else:
        eng = migrated_postgres(request.getfixturevalue("pg_cluster"), "fa", now=T0)
    for tid in ("T1", "T2"):
        ensure_transformer(eng, tid, tid, thresholds={"alert": 90, "critical": 105})
    yield eng
    eng.dispose()


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"value": 1.5}, r"value 1.5 is outside \[min, max\] = \[0.5, 1.2\]"),
        ({"min": None}, "value, min and max are required"),
        ({"transformer": None}, r"alerts.actions\[0\].transformer is required"),
        ({"phase": 2}, "phase must be 3 or 4"),
        ({"type": "'float64'"}, "type"),
        ({"unit_id": "'one'"}, "unit_id must be a int"),
        ({"hook": "'opcua'"}, "endpoint is required"),
    ],
)
def test_config_refuses_unsafe_field_actions(over, message) -> None:
    with pytest.raises(InputError, match=message):
        config(4, action(502, **over))


def test_two_actions_with_one_name_are_refused() -> None:
    with pytest.raises(InputError, match="name 'setpoint-T1' is used twice"):
        config(4, action(502), action(503))


def test_a_value_outside_its_bounds_is_never_written(db) -> None:
    cfg = config(4, action(free_port()))
    bad = dataclasses.replace(cfg.actions[0], value=5.0)
    with pytest.raises(InputError, match="outside its bounds"):
        ModbusWriteHook().run(bad, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("phase", [1, 2])
def test_phases_1_and_2_never_propose_nor_write(db, phase) -> None:
    cfg = config(phase, action(free_port()))
    engine = AlertEngine(db, cfg)
    (e,) = engine.evaluate("T1", T0, None, 110.0, thresholds=TH)
    assert e.event == "raised"
    assert list_actions(db) == [] and run_approved(db, cfg) == []


def test_one_proposal_per_episode_however_the_level_flaps(db) -> None:
    cfg = config(3, action(free_port(), cooldown_minutes=60))
    engine = AlertEngine(db, cfg)
    raised = []
    for i, v in enumerate([95, 110, 95, 80, 96, 80, 97]):  # ALERTE, CRITIQUE, ..., NORMAL, ...
        events = engine.evaluate("T1", T0 + timedelta(minutes=5 * i), None, v, thresholds=TH)
        raised += [e for e in events if e.event == "raised"]
    assert len(raised) >= 4  # the level did flap
    assert len(list_actions(db)) == 1
    # after the cool-down, a new episode is proposed again
    engine.evaluate("T1", T0 + timedelta(minutes=120), None, 110.0, thresholds=TH)
    assert len(list_actions(db)) == 2


def test_an_action_for_another_transformer_is_not_proposed(db) -> None:
    cfg = config(3, action(free_port()))
    AlertEngine(db, cfg).evaluate("T2", T0, None, 110.0, thresholds=TH)
    assert list_actions(db) == []


def test_a_failed_write_is_audited_and_raises_an_alert(db) -> None:
    cfg = config(3, action(free_port()))  # nothing listens there
    engine = AlertEngine(db, cfg)
    engine.evaluate("T1", T0, None, 110.0, thresholds=TH)
    (p,) = list_actions(db)
    approve_action(db, p.id, "Alice")
    ((pid, ok, detail),) = run_approved(db, cfg, now=T0 + timedelta(minutes=1))
    assert (pid, ok) == (p.id, False) and "ConnectionError" in detail
    assert list_actions(db)[0].status == "error"
    (run,) = [e for e in entries(db) if e.action == "alerts.action.run"]
    assert run.outcome == "error" and "refused the connection" in run.detail
    failed = [a for a in open_alerts(db, "T1") if a.kind == ACTION_FAILED]
    assert [a.level for a in failed] == ["CRITIQUE"]  # the alert it answered was critical
    assert "échec d'une action" in get_alert(db, failed[0].id).message
    assert "by hand" in action_text(ACTION_FAILED, "CRITIQUE", "en")
    assert run_approved(db, cfg) == []  # not retried blindly


def test_two_runners_never_write_the_same_action(db) -> None:
    from thermowatch.alerts.action_runner import ACTIONS_LEASE
    from thermowatch.store.leases import LeaderLease

    cfg = config(4, action(free_port()))
    AlertEngine(db, cfg).evaluate("T1", T0, None, 110.0, thresholds=TH)
    assert list_actions(db)[0].status == "approved"
    with LeaderLease(db, ACTIONS_LEASE, "other-runner") as other:
        assert other.try_acquire()
        assert run_approved(db, cfg) == []  # the other runner has it in hand
        assert list_actions(db)[0].status == "approved"
    assert [ok for _, ok, _ in run_approved(db, cfg)] == [False]  # ran (and failed) once
    assert run_approved(db, cfg) == []
