"""Message texts (FR/EN), backoff, quiet hours, trend: pure functions."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, time, timedelta

import pytest

from thermowatch.alerts.config import Contact, Delivery
from thermowatch.alerts.engine import trend_k_per_h
from thermowatch.alerts.messages import TEXTS, AlertFacts, duration, render
from thermowatch.alerts.outbox import backoff, quiet_until

AT = datetime(2026, 7, 1, 14, 5, tzinfo=UTC)
FACTS = AlertFacts(7, "TR-01", "temperature_measured", "CRITIQUE", 106.25, 105.0, AT, 3.0,
                   None, None, None)  # fmt: skip


def test_every_text_exists_in_both_languages():
    assert all(set(v) == {"fr", "en"} for v in TEXTS.values())


def test_french_message_has_value_threshold_trend_action_and_ack():
    subject, body = render(FACTS, "raised", "fr")
    assert subject == "[thermowatch] CRITIQUE TR-01 : température mesurée 106,2 °C"
    assert body.splitlines() == [
        "Transformateur : TR-01",
        "Niveau : CRITIQUE",
        "Température mesurée : 106,2 °C",
        "Seuil CRITIQUE : 105 °C",
        "Tendance : +3 K/h",
        "Horodatage : 2026-07-01 14:05 UTC",
        "Action : réduire la charge sans attendre, mettre en service tout le refroidissement "
        "disponible et prévenir le responsable d'exploitation.",
        "Alerte n° 7 ; acquitter : thermowatch alerts ack 7 --by VOTRE_NOM",
    ]


@pytest.mark.parametrize(("lang", "line"), [
    ("fr", "Prédiction en extrapolation : hors du domaine appris par le modèle"),
    ("en", "Prediction extrapolating: outside the model's learned domain"),
])  # fmt: skip
def test_an_extrapolating_prediction_is_said_in_the_text(lang, line):
    from dataclasses import replace

    _, body = render(replace(FACTS, extrapolating=True), "raised", lang)
    assert sum(x.startswith(line) for x in body.splitlines()) == 1
    assert line not in render(FACTS, "raised", lang)[1]
    assert line not in render(replace(FACTS, extrapolating=True), "resolved", lang)[1]


def test_english_message_with_time_to_threshold():
    facts = AlertFacts(3, "TR-01", "temperature_predicted", "ALERTE", 92.0, 90.0, AT, 6.5,
                       timedelta(minutes=121), "CRITIQUE", 105.0)  # fmt: skip
    subject, body = render(facts, "raised", "en")
    assert subject == "[thermowatch] ALERTE TR-01: predicted temperature 92 °C"
    assert "CRITIQUE threshold (105 °C) reached in about 2 h 01 min at the current rate" in body
    assert "Action: watch the load, check the cooling" in body


def test_resolved_message_says_no_action():
    subject, body = render(FACTS, "resolved", "en")
    assert subject.startswith("[thermowatch] Cleared TR-01")
    assert "Action: back to normal, no action required." in body
    assert "acknowledge" not in body


@pytest.mark.parametrize(
    ("minutes", "text"), [(0.2, "1 min"), (59.5, "1 h 00 min"), (125, "2 h 05 min")]
)
def test_duration_rounds_up(minutes, text):
    assert duration(timedelta(minutes=minutes)) == text


def test_backoff_doubles_and_caps():
    policy = Delivery(timedelta(seconds=30), timedelta(minutes=10))
    assert [backoff(n, policy).total_seconds() for n in range(1, 8)] == [
        30, 60, 120, 240, 480, 600, 600,
    ]  # fmt: skip


def test_quiet_hours_across_midnight_in_local_time():
    c = Contact("chef", {"email": "x"}, quiet_hours=(time(22, 0), time(7, 0)))
    # 21:30 UTC is 23:30 in Paris (summer time): quiet until 07:00 Paris = 05:00 UTC.
    assert quiet_until(c, datetime(2026, 7, 1, 21, 30, tzinfo=UTC), "Europe/Paris") == datetime(
        2026, 7, 2, 5, 0, tzinfo=UTC
    )
    assert quiet_until(c, datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "Europe/Paris") is None
    assert quiet_until(Contact("a", {}), AT) is None


def test_trend_is_the_least_squares_slope_in_k_per_hour():
    t0 = AT
    samples = deque((t0 + timedelta(minutes=i), 80 + 0.1 * i) for i in range(10))
    assert trend_k_per_h(samples) == pytest.approx(6.0)
    assert trend_k_per_h(deque([(t0, 80.0)])) is None
