"""Alert messages a person reads, in French (default) and English.

One table, :data:`TEXTS`; :func:`render` builds the subject and body of a notification from an
:class:`AlertFacts`: transformer, quantity, value, threshold, trend, time to the next threshold
when known, and the action to take at that level. French numbers get a decimal comma.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

LANGUAGES = ("fr", "en")

TEXTS: dict[str, dict[str, str]] = {
    "subject.raised": {
        "fr": "[thermowatch] {level} {transformer} : {quantity} {value}",
        "en": "[thermowatch] {level} {transformer}: {quantity} {value}",
    },
    "subject.raised.forecast": {
        "fr": "[thermowatch] {level} prévue {transformer} : {value} vers {time} UTC",
        "en": "[thermowatch] {level} forecast {transformer}: {value} about {time} UTC",
    },
    "subject.resolved": {
        "fr": "[thermowatch] Fin d'alerte {transformer} : {quantity} {value}",
        "en": "[thermowatch] Cleared {transformer}: {quantity} {value}",
    },
    "subject.escalated": {
        "fr": "[thermowatch] ESCALADE {level} {transformer} non acquittée depuis {minutes} min",
        "en": "[thermowatch] ESCALATION {level} {transformer} unacknowledged for {minutes} min",
    },
    "subject.test": {
        "fr": "[thermowatch] Message d'essai du canal {channel}",
        "en": "[thermowatch] Test message from channel {channel}",
    },
    "body.test": {
        "fr": "Ceci est un message d'essai envoyé par « thermowatch alerts test-channel ».",
        "en": "This is a test message sent by “thermowatch alerts test-channel”.",
    },
    "line.transformer": {"fr": "Transformateur : {v}", "en": "Transformer: {v}"},
    "line.level": {"fr": "Niveau : {v}", "en": "Level: {v}"},
    "line.threshold": {"fr": "Seuil {level} : {v}", "en": "{level} threshold: {v}"},
    "line.trend": {"fr": "Tendance : {v} K/h", "en": "Trend: {v} K/h"},
    "line.trend_unknown": {"fr": "Tendance : inconnue", "en": "Trend: unknown"},
    "line.eta": {
        "fr": "Seuil {level} ({threshold} °C) atteint dans environ {eta} au rythme actuel",
        "en": "{level} threshold ({threshold} °C) reached in about {eta} at the current rate",
    },
    "line.eta_forecast": {
        "fr": "Seuil {level} ({threshold} °C) atteint vers {time} UTC (dans environ {eta}) "
        "selon la prévision",
        "en": "{level} threshold ({threshold} °C) reached about {time} UTC (in about {eta}) "
        "according to the forecast",
    },
    "line.original": {"fr": "Alerte initiale : {v}", "en": "Original alert: {v}"},
    "line.time": {"fr": "Horodatage : {v} UTC", "en": "Time: {v} UTC"},
    "line.action": {"fr": "Action : {v}", "en": "Action: {v}"},
    "line.ack": {
        "fr": "Alerte n° {id} ; acquitter : thermowatch alerts ack {id} --by VOTRE_NOM",
        "en": "Alert #{id}; acknowledge: thermowatch alerts ack {id} --by YOUR_NAME",
    },
    "quantity.temperature_predicted": {"fr": "température prédite", "en": "predicted temperature"},
    "quantity.temperature_measured": {"fr": "température mesurée", "en": "measured temperature"},
    "quantity.anomaly": {
        "fr": "écart mesure - comportement normal",
        "en": "measured minus normal behaviour",
    },
    "quantity.forecast_crossing": {"fr": "température prévue", "en": "forecast temperature"},
    "quantity.stale_data": {
        "fr": "âge de la dernière mesure (min)",
        "en": "age of the latest reading (min)",
    },
    "quantity.model_degradation": {
        "fr": "erreur en service / erreur de validation du modèle",
        "en": "model error in service / validation error",
    },
    "quantity.residual_drift": {
        "fr": "décalage durable mesure - modèle (K)",
        "en": "lasting shift of measured minus model (K)",
    },
    # The action to take, per kind and level: what the operator on shift does next.
    "action.temperature.ALERTE": {
        "fr": "surveiller la charge, vérifier le refroidissement (ventilateurs, pompes) et "
        "préparer un délestage.",
        "en": "watch the load, check the cooling (fans, pumps) and prepare to shed load.",
    },
    "action.temperature.CRITIQUE": {
        "fr": "réduire la charge sans attendre, mettre en service tout le refroidissement "
        "disponible et prévenir le responsable d'exploitation.",
        "en": "reduce the load now, start all available cooling and inform the operations manager.",
    },
    "action.anomaly.ALERTE": {
        "fr": "la mesure dépasse le comportement normal : vérifier le refroidissement "
        "(ventilateurs, pompes, radiateurs) et le capteur de température.",
        "en": "the measurement exceeds normal behaviour: check the cooling (fans, pumps, "
        "radiators) and the temperature sensor.",
    },
    "action.stale_data.ALERTE": {
        "fr": "la surveillance est aveugle : vérifier la chaîne d'acquisition (capteur, "
        "automate, réseau, source SCADA).",
        "en": "monitoring is blind: check the acquisition chain (sensor, PLC, network, SCADA "
        "source).",
    },
    "action.model_degradation.ALERTE": {
        "fr": "les prédictions ne sont plus fiables : lancer un réentraînement "
        "(thermowatch jobs run) et comparer avant de promouvoir (thermowatch model list).",
        "en": "predictions are no longer reliable: retrain (thermowatch jobs run) and compare "
        "before promoting (thermowatch model list).",
    },
    "action.residual_drift.ALERTE": {
        "fr": "le transformateur chauffe plus qu'avant à charge égale : inspecter le "
        "refroidissement (ventilateurs, pompes, radiateurs) et les capteurs ; pas de "
        "réentraînement sur cette période.",
        "en": "the transformer runs hotter than before at the same load: inspect the cooling "
        "(fans, pumps, radiators) and the sensors; no retraining on this period.",
    },
    "action.resolved": {
        "fr": "retour à la normale, aucune action requise.",
        "en": "back to normal, no action required.",
    },
    "action.default": {
        "fr": "examiner la situation et suivre la consigne d'exploitation.",
        "en": "review the situation and follow the operating instructions.",
    },
}


def t(key: str, lang: str = "fr", **values: object) -> str:
    """The text ``key`` in ``lang`` with ``{placeholders}`` filled."""
    entry = TEXTS[key]
    return entry.get(lang, entry["fr"]).format(**values)


def number(value: float, lang: str = "fr", digits: int = 1) -> str:
    """A number for a reader: ``96,4`` in French, ``96.4`` in English; signed when asked."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def duration(d: timedelta, lang: str = "fr") -> str:
    """``1 h 20 min`` / ``1 h 20 min``; minutes are rounded up (a deadline, not a promise)."""
    minutes = max(1, int(-(-d.total_seconds() // 60)))
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


@dataclass(frozen=True)
class AlertFacts:
    """What a message says about an alert (temperatures [°C], trend [K/h]).

    ``eta`` is the time until ``eta_threshold_c`` (of ``eta_level``) at the current trend,
    when the trend points at it; ``eta_at`` the instant, when it comes from the forecast.
    """

    alert_id: int | None
    transformer_id: str
    kind: str
    level: str
    value: float
    threshold_c: float | None
    at: datetime
    trend_k_per_h: float | None = None
    eta: timedelta | None = None
    eta_level: str | None = None
    eta_threshold_c: float | None = None
    eta_at: datetime | None = None


def action_text(kind: str, level: str, lang: str = "fr") -> str:
    """The action to take for an alert of ``kind`` at ``level``."""
    family = "temperature" if kind.startswith(("temperature", "forecast")) else kind
    key = f"action.{family}.{level}"
    if key not in TEXTS and family == "temperature" and level == "NORMAL":
        key = "action.resolved"
    return t(key if key in TEXTS else "action.default", lang)


def render(
    facts: AlertFacts, event: str = "raised", lang: str = "fr", **extra: object
) -> tuple[str, str]:
    """``(subject, body)`` of the message for ``event`` (raised, resolved, escalated)."""
    qty = t(f"quantity.{facts.kind}", lang) if f"quantity.{facts.kind}" in TEXTS else facts.kind
    unit = {"anomaly": " K", "stale_data": " min", "residual_drift": " K",
            "model_degradation": ""}.get(facts.kind, " °C")  # fmt: skip
    value = number(facts.value, lang) + unit
    if event == "raised" and facts.kind == "forecast_crossing" and facts.eta_at is not None:
        subject = t("subject.raised.forecast", lang, level=facts.level, value=value,
                    transformer=facts.transformer_id, time=facts.eta_at.strftime("%H:%M"))  # fmt: skip
    else:
        subject = t(f"subject.{event}", lang, level=facts.level, transformer=facts.transformer_id,
                    quantity=qty, value=value, **extra)  # fmt: skip
    lines = [
        t("line.transformer", lang, v=facts.transformer_id),
        t("line.level", lang, v=facts.level if event != "resolved" else "NORMAL"),
    ]
    if math.isfinite(facts.value):
        sep = " : " if lang == "fr" else ": "
        lines.append(f"{qty[:1].upper()}{qty[1:]}{sep}{value}")
    if extra.get("original"):
        lines.append(t("line.original", lang, v=extra["original"]))
    if facts.threshold_c is not None:
        lines.append(
            t("line.threshold", lang, level=facts.level, v=number(facts.threshold_c, lang) + unit)
        )
    if facts.trend_k_per_h is None:
        lines.append(t("line.trend_unknown", lang))
    else:
        sign = "+" if facts.trend_k_per_h >= 0 else ""
        lines.append(t("line.trend", lang, v=sign + number(facts.trend_k_per_h, lang)))
    if facts.eta_at is not None and facts.eta is not None and event != "resolved":
        lines.append(t("line.eta_forecast", lang, level=facts.eta_level,
                       eta=duration(facts.eta, lang), time=facts.eta_at.strftime("%Y-%m-%d %H:%M"),
                       threshold=number(facts.eta_threshold_c or math.nan, lang)))  # fmt: skip
    elif facts.eta is not None and facts.eta_threshold_c is not None and event != "resolved":
        lines.append(t("line.eta", lang, level=facts.eta_level, eta=duration(facts.eta, lang),
                       threshold=number(facts.eta_threshold_c, lang)))  # fmt: skip
    lines.append(t("line.time", lang, v=facts.at.strftime("%Y-%m-%d %H:%M")))
    action = t("action.resolved", lang) if event == "resolved" else action_text(
        facts.kind, facts.level, lang)  # fmt: skip
    lines.append(t("line.action", lang, v=action))
    if facts.alert_id is not None and event != "resolved":
        lines.append(t("line.ack", lang, id=facts.alert_id))
    return subject, "\n".join(lines)
