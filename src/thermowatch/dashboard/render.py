"""Jinja2 templates and the small formatting helpers every page uses (language-aware)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import HTMLResponse

from thermowatch.dashboard import texts as _texts  # noqa: F401  (registers the ui.* texts)
from thermowatch.learn.levels import LEVEL_NAMES
from thermowatch.report.i18n import TEXTS, number, t

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
#: A transformer whose newest reading is older than this is shown as stale [s].
STALE_AFTER_S = 600.0
#: Pages run only our own scripts (no inline script, no other origin) and are never framed
#: (a framed acknowledge button could be clicked through another site: clickjacking).
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
#: The time zone charts show when a transformer's ratings name none (``timezone = "..."``):
#: the first users' control rooms are in France.
SITE_TIMEZONE = "Europe/Paris"
#: ``20261207T001039Z-fc6fe494-6287``: a model id starts with its creation instant (UTC).
_MODEL_ID = re.compile(r"^(\d{8}T\d{6}Z)-(.+)$")


def age_text(at: datetime | None, lang: str, now: datetime | None = None) -> str:
    """``il y a 3 min`` / ``3 min ago``; ``jamais`` / ``never`` for None."""
    if at is None:
        return t("ui.age.never", lang)
    s = max(0.0, ((now or datetime.now(UTC)) - at).total_seconds())
    if s < 120:
        return t("ui.age.s", lang, n=int(s))
    if s < 7200:
        return t("ui.age.min", lang, n=int(s // 60))
    if s < 172800:
        return t("ui.age.h", lang, n=int(s // 3600))
    if s < 90 * 86400:
        return t("ui.age.d", lang, n=int(s // 86400))
    if s < 730 * 86400:
        return t("ui.age.mo", lang, n=int(s // (30.44 * 86400)))
    return t("ui.age.y", lang, n=int(s // (365.25 * 86400)))


def when(at: datetime | None, lang: str) -> str:
    """A UTC instant for people: ``30/11/2026 10:05 UTC`` (fr) or ``2026-11-30 10:05 UTC``."""
    if at is None:
        return "—"
    at = at.astimezone(UTC)
    return at.strftime("%d/%m/%Y %H:%M UTC" if lang == "fr" else "%Y-%m-%d %H:%M UTC")


def _banner_count(request: Request, now: datetime) -> int:
    """Unacknowledged CRITIQUE alarms for the banner every page shows (0 without a store)."""
    engine = getattr(request.app.state, "engine", None)
    if engine is None:
        return 0
    from thermowatch.store.state import unacknowledged_critical

    try:
        return unacknowledged_critical(engine, now)
    except Exception:  # a page must render even if the count cannot be read
        return 0


ICONS = "/static/vendor/icons-lucide-1.87.0.svg"


def icon(name: str) -> Markup:
    """A vendored icon (decorative: the word next to it says the same) for a level or a mark."""
    name = name if name in (*LEVEL_NAMES, "STALE", "comment") else "UNKNOWN"
    return Markup(
        f'<svg class="icon" aria-hidden="true" focusable="false"><use href="{ICONS}#i-{name}">'
        "</use></svg>"
    )


def site_timezone(transformer) -> str:
    """The IANA time zone of a transformer's site (its ratings' ``timezone``, else
    :data:`SITE_TIMEZONE`): the chart's hover and axis read local time."""
    name = (getattr(transformer, "ratings", None) or {}).get("timezone") or SITE_TIMEZONE
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return SITE_TIMEZONE
    return str(name)


def model_label(model_id: str | None, lang: str) -> str:
    """A served model for people: its creation date (``07/12/2026 00:10 UTC``); the raw id
    (hash included) goes in the hover title."""
    if not model_id:
        return "—"
    m = _MODEL_ID.match(model_id)
    if m is None:
        return model_id
    created = datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return t("ui.model.version", lang, at=when(created, lang))


def display_name(transformer) -> str | None:
    """The transformer's name when it says more than its code (None otherwise)."""
    name = getattr(transformer, "name", None)
    return name if name and name != transformer.id else None


def page(request: Request, template: str, who, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` for the signed-in ``who`` (``None`` on the sign-in page)."""
    lang = who.lang if who is not None else request.cookies.get("tw_lang", "fr")
    lang = lang if lang in ("fr", "en") else "fr"

    def tr(key: str, **values: Any) -> str:
        return t(key, lang, **values)

    def named(prefix: str, value: str) -> str:
        """The catalogue's words for an identifier (an alert kind), else the identifier."""
        key = f"{prefix}.{value}"
        return t(key, lang) if key in TEXTS else value

    def num(value: float | None, digits: int = 1) -> str:
        return number(value, lang, digits)

    now = datetime.now(UTC)  # once per page: 1,000 rows' ages from one clock reading
    banner = _banner_count(request, now) if who is not None else 0

    return templates.TemplateResponse(
        request,
        template,
        {"t": tr, "num": num, "lang": lang, "who": who, "age": lambda at: age_text(at, lang, now),
         "when": lambda at: when(at, lang), "model_label": lambda m: model_label(m, lang),
         "display_name": display_name, "icon": icon, "named": named,
         "critical_unack": banner, "level_names": LEVEL_NAMES, **context},
        status_code=status,
        headers=SECURITY_HEADERS,
    )  # fmt: skip
