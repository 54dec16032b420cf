"""Lifecycle on a real store: raise, de-duplicate, resume after restart, resolve,
acknowledge, escalate, anomaly, stale data, phases and actions."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from thermowatch.alerts.action_runner import run_approved
from thermowatch.alerts.actions import approve_action, list_actions, reject_action
from thermowatch.alerts.channels import build_channels
from thermowatch.alerts.engine import ANOMALY, MEASURED, PREDICTED, STALE, AlertEngine
from thermowatch.alerts.escalation import escalate_due
from thermowatch.alerts.levels import Level
from thermowatch.alerts.lifecycle import acknowledge
from thermowatch.alerts.outbox import deliver_due
from thermowatch.alerts.phases import recorded_phase
from thermowatch.errors import InputError, NotFoundError
from thermowatch.learn.result import Thresholds
from thermowatch.store.alerts import get_alert, open_alerts
from thermowatch.store.audit import entries
from thermowatch.store.tables import notifications

from .conftest import NOW
from .helpers import make_config

MIN = timedelta(minutes=1)


def feed(engine, values, start=NOW, **kw):
    out = []
    for i, v in enumerate(values):
        out += engine.evaluate("T1", start + i * MIN, v, **kw)
    return out


def n_notifications(db, recipient=None):
    q = select(func.count()).select_from(notifications)
    if recipient:
        q = q.where(notifications.c.recipient == recipient)
    with db.connect() as conn:
        return conn.scalar(q)


@pytest.fixture
def cfg(http):
    return make_config(2525, http.url)


def test_phase_1_stores_alerts_and_sends_nothing(db, http):
    engine = AlertEngine(db, make_config(2525, http.url, phase=1))
    (e,) = feed(engine, [95] * 6)
    assert (e.event, e.level, e.notifications) == ("raised", "ALERTE", 0)
    assert [a.id for a in open_alerts(db)] == [e.alert_id]
    assert n_notifications(db) == 0
    assert recorded_phase(db).value == 1


def test_phase_change_is_audited_once(db, http):
    AlertEngine(db, make_config(2525, http.url, phase=1))
    AlertEngine(db, make_config(2525, http.url, phase=1))
    AlertEngine(db, make_config(2525, http.url, phase=2), actor="alice")
    changes = entries(db, action="alerts.phase")
    assert [(c.actor, c.detail) for c in changes] == [
        ("alice", "OBSERVATION -> PREVENTIVE"),
        ("system", "none -> OBSERVATION"),
    ]


def test_one_alert_per_episode_then_resolved_after_deadband_and_duration(db, cfg):
    engine = AlertEngine(db, cfg)
    # A clean crossing, then hovering 89..91 °C: one alert, never resolved (inside the 2 K
    # deadband). Hovering alone never raises: it never stays above 90 °C for 5 minutes.
    events = feed(engine, [95] * 6 + [91, 89] * 27)
    assert [e.event for e in events] == ["raised"]
    # 87.9 °C is below 90 - 2: resolved after the 10-minute clear duration.
    events = feed(engine, [87.9] * 12, start=NOW + 60 * MIN)
    assert [(e.event, e.at - NOW) for e in events] == [("resolved", 70 * MIN)]
    alert = get_alert(db, events[0].alert_id)
    assert alert.resolved_by == "system" and alert.resolved_at == NOW + 70 * MIN
    # astreinte was told twice (raised + resolved) on each of its 4 channels.
    assert n_notifications(db) == 8


def test_restart_resumes_from_open_alerts_without_duplicates(db, cfg):
    feed(AlertEngine(db, cfg), [95] * 6)
    restarted = AlertEngine(db, cfg)
    assert restarted.level("T1") == Level.ALERTE
    assert feed(restarted, [95] * 30, start=NOW + 6 * MIN) == []
    assert len(open_alerts(db)) == 1


def test_critique_supersedes_alerte(db, cfg):
    engine = AlertEngine(db, cfg)
    events = feed(engine, [95] * 6 + [110] * 6)
    assert [(e.event, e.level) for e in events] == [
        ("raised", "ALERTE"), ("superseded", "CRITIQUE"), ("raised", "CRITIQUE"),
    ]  # fmt: skip
    (a,) = open_alerts(db)
    assert a.level == "CRITIQUE"


def test_measured_and_predicted_are_separate_kinds(db, cfg):
    engine = AlertEngine(db, cfg)
    feed(engine, [80] * 6, measured_c=95)
    assert {a.kind for a in open_alerts(db)} == {MEASURED}
    assert engine.level("T1", PREDICTED) == Level.NORMAL


def test_thresholds_default_to_the_store_and_explicit_ones_win(db, cfg):
    engine = AlertEngine(db, cfg)
    assert feed(engine, [85] * 6, thresholds=Thresholds(80, 100, "x"))[0].threshold_c == 80
    with pytest.raises(InputError, match="aware"):
        engine.evaluate("T1", NOW.replace(tzinfo=None), 50)
    with pytest.raises(NotFoundError, match="'T9' does not exist"):
        engine.evaluate("T9", NOW, 50, thresholds=Thresholds(80, 100, "x"))


def test_acknowledge_is_audited_and_stops_escalation(db, cfg):
    engine = AlertEngine(db, cfg)
    (crit,) = [e for e in feed(engine, [110] * 6) if e.event == "raised"]
    assert n_notifications(db, "chef@poste-nord.example") == 0
    # raised at +1 min (CRITIQUE's own, shorter raise delay): due at +16
    assert escalate_due(db, cfg, NOW + 15 * MIN) == []
    (esc,) = escalate_due(db, cfg, NOW + 17 * MIN)
    assert (esc.event, esc.alert_id, esc.notifications) == ("escalated", crit.alert_id, 1)
    assert escalate_due(db, cfg, NOW + 40 * MIN) == []  # never twice (and no step 2)
    assert n_notifications(db, "chef@poste-nord.example") == 1
    with db.connect() as conn:
        subject, body = conn.execute(
            select(notifications.c.subject, notifications.c.body).where(
                notifications.c.recipient == "chef@poste-nord.example")).one()  # fmt: skip
    assert subject == "[thermowatch] ESCALATION CRITIQUE T1 unacknowledged for 16 min"
    assert "Original alert:" in body and "reduce the load now" in body

    a = acknowledge(db, crit.alert_id, "Alice", source="127.0.0.1")
    assert a.acknowledged_by == "Alice"
    acknowledge(db, crit.alert_id, "Bob")
    assert get_alert(db, crit.alert_id).acknowledged_by == "Alice"
    audit = entries(db, action="alerts.acknowledge")
    assert [(x.actor, x.outcome) for x in audit] == [("Bob", "already"), ("Alice", "ok")]
    with pytest.raises(NotFoundError):
        acknowledge(db, 999, "Alice")


def test_acknowledged_critique_is_not_escalated(db, cfg):
    (crit,) = [e for e in feed(AlertEngine(db, cfg), [110] * 6) if e.event == "raised"]
    acknowledge(db, crit.alert_id, "Alice")
    assert escalate_due(db, cfg, NOW + 2 * 60 * MIN) == []


def test_anomaly_needs_k_sigma_for_m_minutes(db, cfg):
    engine = AlertEngine(db, cfg)  # k = 3, 30 minutes
    # Residual 4 K with sigma 1 K: above 3 sigma; raised after 30 minutes, not before.
    events = feed(engine, [70] * 40, measured_c=74, residual_sigma_k=1.0)
    raised = [e for e in events if e.kind == ANOMALY]
    assert [(e.event, e.at - NOW, e.value) for e in raised] == [("raised", 30 * MIN, 4.0)]
    # Residual 2.9 K: below 3 sigma but within the sigma/2 deadband: stays.
    assert feed(engine, [70] * 40, start=NOW + 40 * MIN, measured_c=72.9, residual_sigma_k=1) == []


def test_stale_data_raises_and_clears(db, cfg):
    engine = AlertEngine(db, cfg)  # stale after 15 minutes (default)
    assert engine.check_stale("T1", NOW, NOW + 10 * MIN) == []
    (e,) = engine.check_stale("T1", NOW, NOW + 16 * MIN)
    assert (e.kind, e.event, e.level) == (STALE, "raised", "ALERTE")
    assert engine.check_stale("T1", NOW, NOW + 30 * MIN) == []
    (r,) = engine.check_stale("T1", NOW + 31 * MIN, NOW + 31 * MIN)
    assert r.event == "resolved"


ACTIONS = """
[[alerts.actions]]
name = "reduce_load"
level = "CRITIQUE"
hook = "webhook"
url = "{url}/actions/reduce"
json = {{ setpoint_pu = 0.8 }}
auto = {auto}
"""


def test_phase_3_proposes_and_waits_for_approval(db, http):
    cfg = make_config(2525, http.url, phase=3, extra=ACTIONS.format(url=http.url, auto="true"))
    feed(AlertEngine(db, cfg), [110] * 6)
    (p,) = list_actions(db)
    assert (p.name, p.status) == ("reduce_load", "proposed")
    assert run_approved(db, cfg) == []  # phase 3: even an `auto` action waits
    assert http.requests == []
    approve_action(db, p.id, "Alice", source="10.0.0.5")
    with pytest.raises(InputError, match="already approved"):
        reject_action(db, p.id, "Bob")
    ((pid, ok, _),) = run_approved(db, cfg)
    assert (pid, ok) == (p.id, True)
    body = json.loads(http.requests[0]["body"])
    assert body["action"] == "reduce_load" and body["setpoint_pu"] == 0.8
    assert body["level"] == "CRITIQUE" and body["transformer_id"] == "T1"
    assert run_approved(db, cfg) == []  # ran once
    assert list_actions(db)[0].status == "done"
    assert [e.action for e in entries(db) if e.action.startswith("alerts.action")] == [
        "alerts.action.run", "alerts.action.approved", "alerts.action.proposed",
    ]  # fmt: skip


def test_phase_4_runs_auto_actions_by_itself(db, http):
    cfg = make_config(2525, http.url, phase=4, extra=ACTIONS.format(url=http.url, auto="true"))
    feed(AlertEngine(db, cfg), [110] * 6)
    assert list_actions(db)[0].status == "approved"
    assert [ok for _, ok, _ in run_approved(db, cfg)] == [True]
    assert http.requests[0]["path"] == "/actions/reduce"


def test_phase_4_non_auto_action_still_waits(db, http):
    cfg = make_config(2525, http.url, phase=4, extra=ACTIONS.format(url=http.url, auto="false"))
    feed(AlertEngine(db, cfg), [110] * 6)
    assert list_actions(db)[0].status == "proposed"
    assert run_approved(db, cfg) == []


def test_rate_limit_defers_non_critical_but_never_critical(db, http, smtp):
    cfg = make_config(smtp.port, http.url)
    astreinte = replace(
        cfg.contacts["astreinte"], max_per_hour=2, to={"email": "astreinte@poste-nord.example"}
    )
    cfg = replace(cfg, contacts={**cfg.contacts, "astreinte": astreinte})
    engine = AlertEngine(db, cfg)
    # Three ALERTE episodes on the measured temperature, 20 minutes apart.
    for k in range(3):
        t0 = NOW + k * 20 * MIN
        feed(engine, [80] * 6, start=t0, measured_c=95)
        feed(engine, [80] * 11, start=t0 + 6 * MIN, measured_c=80)
    channels = {"email": build_channels(cfg)["email"]}
    t = NOW + 60 * MIN
    r = deliver_due(db, channels, t, cfg)
    assert len(r.sent) == 2  # per hour
    assert len(r.deferred) >= 1
    # A CRITIQUE goes through despite the spent budget.
    feed(engine, [110] * 6, start=t)
    r = deliver_due(db, channels, t + 6 * MIN, cfg)
    assert len(r.sent) == 1 and "CRITIQUE" in smtp.messages[-1][1]["Subject"]


def test_pending_raise_and_clear_timers_survive_a_restart(db, cfg):
    """The raise (5 min) and clear (10 min) delays run on across a restart of the process:
    the timers live in the store's alert_states, not in memory."""
    assert feed(AlertEngine(db, cfg), [95] * 3) == []  # above ALERTE since NOW, pending
    events = feed(AlertEngine(db, cfg), [95] * 4, start=NOW + 3 * MIN)
    assert [(e.event, e.at) for e in events] == [("raised", NOW + 5 * MIN)]  # not NOW + 8 min
    assert feed(AlertEngine(db, cfg), [50] * 6, start=NOW + 7 * MIN) == []  # clear pending
    events = feed(AlertEngine(db, cfg), [50] * 6, start=NOW + 13 * MIN)
    assert [(e.event, e.at) for e in events] == [("resolved", NOW + 17 * MIN)]  # 10 min below
