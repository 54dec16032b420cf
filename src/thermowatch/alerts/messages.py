"""Alert messages a person reads, in French (default) and English.

The texts are the alerts catalogue of the one i18n module (:mod:`thermowatch.report.i18n`,
which also formats numbers and durations); :func:`render` builds the subject and body of a
notification from an :class:`AlertFacts`: transformer, quantity, value, threshold, trend, time
to the next threshold (from the forecast when there is one), and the action to take.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from thermowatch.report.i18n import LANGUAGES, TEXTS, duration, number, t

__all__ = ["LANGUAGES", "TEXTS", "AlertFacts", "action_text", "duration", "number", "render", "t"]


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
    eta_source: str | None = None  # the forecast's: "learned" (the champion's) or "physics"
    eta_model: str | None = None
    eta_window: tuple[datetime | None, datetime | None] | None = None  # by the upper / lower bound
    #: the prediction of this reading is outside the model's domain of validity
    extrapolating: bool = False


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
    unit = {"anomaly": " K", "stale_data": " min", "clock_jump": " min", "residual_drift": " K",
            "model_degradation": "", "action_failed": ""}.get(facts.kind, " °C")  # fmt: skip
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
        if facts.eta_source is not None:
            lines.append(t(f"line.forecast.{facts.eta_source}", lang, model=facts.eta_model))
        if facts.eta_window is not None and facts.eta_window[0] is not None:
            hhmm = lambda d: d.strftime("%H:%M UTC") if d else t("forecast.beyond", lang)  # noqa: E731
            lines.append(t("line.forecast.window", lang, earliest=hhmm(facts.eta_window[0]),
                           latest=hhmm(facts.eta_window[1])))  # fmt: skip
    elif facts.eta is not None and facts.eta_threshold_c is not None and event != "resolved":
        lines.append(t("line.eta", lang, level=facts.eta_level, eta=duration(facts.eta, lang),
                       threshold=number(facts.eta_threshold_c, lang)))  # fmt: skip
    if facts.extrapolating and event != "resolved":
        lines.append(t("line.extrapolating", lang))
    lines.append(t("line.time", lang, v=facts.at.strftime("%Y-%m-%d %H:%M")))
    action = t("action.resolved", lang) if event == "resolved" else action_text(
        facts.kind, facts.level, lang)  # fmt: skip
    lines.append(t("line.action", lang, v=action))
    if facts.alert_id is not None and event != "resolved":
        lines.append(t("line.ack", lang, id=facts.alert_id))
    return subject, "\n".join(lines)
