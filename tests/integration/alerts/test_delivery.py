"""End to end: evaluate -> outbox -> real SMTP server and HTTP receivers on loopback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from thermowatch.alerts.channels import build_channels
from thermowatch.alerts.engine import AlertEngine
from thermowatch.alerts.outbox import deliver_due
from thermowatch.store.alerts import delivery_history, get_alert
from thermowatch.store.tables import notifications

from .conftest import NOW, SmtpSink, free_port
from .helpers import make_config

MIN = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _sms_token(monkeypatch):
    monkeypatch.setenv("TW_TEST_SMS_TOKEN", "s3cret")


def ramp(engine: AlertEngine, values, start=NOW):
    events = []
    for i, v in enumerate(values):
        events += engine.evaluate("T1", start + i * MIN, v)
    return events


def test_email_sms_push_and_chat_arrive_with_the_right_content(db, smtp, http):
    cfg = make_config(smtp.port, http.url)
    engine = AlertEngine(db, cfg)
    # Rising 1 K/min (60 K/h) from 85 °C: above 90 °C from minute 5, raised at minute 10.
    events = ramp(engine, [85 + i for i in range(11)])
    assert [(e.event, e.level, e.at - NOW) for e in events] == [("raised", "ALERTE", 10 * MIN)]
    assert events[0].notifications == 4  # astreinte: e-mail, SMS, push, chat
    report = deliver_due(db, build_channels(cfg), NOW + 11 * MIN, cfg)
    assert len(report.sent) == 4 and not report.retrying

    (rcpt, msg), = smtp.messages  # fmt: skip
    assert rcpt == ["astreinte@poste-nord.example"]
    assert msg["Subject"] == "[thermowatch] ALERTE T1 : température prédite 95 °C"
    body = msg.get_content()
    assert "Seuil ALERTE : 90 °C" in body
    assert "Tendance : +60 K/h" in body
    # 10 K to the CRITIQUE threshold at 60 K/h: 10 minutes.
    assert "Seuil CRITIQUE (105 °C) atteint dans environ 10 min" in body
    assert "préparer un délestage" in body
    assert f"thermowatch alerts ack {events[0].alert_id}" in body
    assert msg["Message-ID"].startswith("<thermowatch-notification-")

    by_path = {r["path"]: r for r in http.requests}
    assert set(by_path) == {"/sms/send", "/ntfy", "/chat/hook"}
    sms = http.json(http.requests.index(by_path["/sms/send"]))
    assert sms["to"] == "+33600000001"
    assert sms["message"].startswith("[thermowatch] ALERTE T1")
    assert by_path["/sms/send"]["headers"]["Authorization"] == "Bearer s3cret"
    push = http.json(http.requests.index(by_path["/ntfy"]))
    assert (push["topic"], push["priority"]) == ("tw-nord", 4)
    chat = http.json(http.requests.index(by_path["/chat/hook"]))
    assert chat["text"].startswith("**[thermowatch] ALERTE T1")

    # A second pass sends nothing more.
    assert deliver_due(db, build_channels(cfg), NOW + 20 * MIN, cfg).sent == []
    assert len(smtp.messages) == 1 and len(http.requests) == 3


def test_smtp_down_then_back_every_message_arrives_exactly_once(db, http):
    port = free_port()
    cfg = make_config(port, http.url)
    engine = AlertEngine(db, cfg)
    # Three distinct alerts (predicted ALERTE, then CRITIQUE which supersedes it, measured).
    ramp(engine, [95] * 6 + [110] * 6)
    engine.evaluate("T1", NOW + 20 * MIN, 110, measured_c=96)
    engine.evaluate("T1", NOW + 26 * MIN, 110, measured_c=96)
    with db.connect() as conn:
        emails = conn.scalar(select(func.count()).where(notifications.c.channel == "email"))
    assert emails == 3
    channels = build_channels(cfg)
    t = NOW + 30 * MIN
    # SMTP down: each pass fails, records the attempt and backs off 30 s, 60 s, 120 s.
    for i, wait in enumerate([30, 60, 120]):
        report = deliver_due(db, channels, t, cfg)
        assert len(report.retrying) == 3, f"pass {i}"
        assert deliver_due(db, channels, t + timedelta(seconds=wait - 1), cfg).retrying == []
        t += timedelta(seconds=wait)
    sink = SmtpSink(port=port).start()
    try:
        report = deliver_due(db, channels, t, cfg)
        assert len(report.sent) == 3
        for _ in range(3):  # more passes, later: nothing sent twice
            t += timedelta(hours=1)
            deliver_due(db, channels, t, cfg)
        subjects = sorted(m["Subject"] for _, m in sink.messages)
    finally:
        sink.stop()
    assert len(subjects) == 3
    assert len(set(subjects)) == 3
    assert any("CRITIQUE" in s for s in subjects)
    with db.connect() as conn:
        ids = conn.scalars(select(notifications.c.id).where(notifications.c.channel == "email"))
        histories = [delivery_history(db, i) for i in ids]
    assert all([ok for _, ok, _ in h] == [False, False, False, True] for h in histories)
    assert "ConnectionRefusedError" in histories[0][0][2]


def test_gives_up_after_max_attempts_and_says_so(db, http):
    cfg = make_config(free_port(), http.url, extra="")
    engine = AlertEngine(db, cfg)
    ramp(engine, [95] * 6)
    channels = {"email": build_channels(cfg)["email"]}  # others unconfigured: they fail too
    t = NOW + 10 * MIN
    for _ in range(10):
        deliver_due(db, channels, t, cfg)
        t += timedelta(hours=1)
    with db.connect() as conn:
        statuses = set(conn.scalars(select(notifications.c.status)))
    assert statuses == {"failed"}


def test_http_error_is_retried_until_the_gateway_recovers(db, smtp, http):
    cfg = make_config(smtp.port, http.url)
    ramp(AlertEngine(db, cfg), [95] * 6)
    http.status = 503
    r1 = deliver_due(db, build_channels(cfg), NOW + 10 * MIN, cfg)
    assert len(r1.sent) == 1 and len(r1.retrying) == 3  # e-mail ok, 3 webhooks failed
    http.status = 200
    r2 = deliver_due(db, build_channels(cfg), NOW + 10 * MIN + timedelta(seconds=30), cfg)
    assert sorted(r2.sent) == sorted(r1.retrying)
    assert len(smtp.messages) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_authentication(db, http, monkeypatch):
    sink = SmtpSink(auth=("tw", "pw")).start()
    try:
        cfg = make_config(sink.port, http.url)
        cfg.channels["email"].options.update(username="tw", password_env="TW_TEST_SMTP_PW")
        ramp(AlertEngine(db, cfg), [95] * 6)
        email = {"email": build_channels(cfg)["email"]}
        monkeypatch.setenv("TW_TEST_SMTP_PW", "wrong")
        r = deliver_due(db, email, NOW + 10 * MIN, cfg)
        assert (
            r.sent == [] and len(r.retrying) == 4 and sink.messages == []
        )  # SMS etc. unconfigured
        monkeypatch.setenv("TW_TEST_SMTP_PW", "pw")
        r = deliver_due(db, email, NOW + 11 * MIN, cfg)
        assert len(r.sent) == 1 and len(sink.messages) == 1
    finally:
        sink.stop()


def test_alert_message_survives_in_store(db, smtp, http):
    cfg = make_config(smtp.port, http.url)
    (e,) = ramp(AlertEngine(db, cfg), [95] * 6)
    assert get_alert(db, e.alert_id).message.startswith("[thermowatch] ALERTE T1")
