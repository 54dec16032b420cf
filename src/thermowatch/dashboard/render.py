"""Jinja2 templates and the small formatting helpers every page uses (language-aware)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from thermowatch.dashboard import texts as _texts  # noqa: F401  (registers the ui.* texts)
from thermowatch.learn.levels import LEVEL_NAMES
from thermowatch.report.i18n import number, t

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
    return t("ui.age.d", lang, n=int(s // 86400))


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


def page(request: Request, template: str, who, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` for the signed-in ``who`` (``None`` on the sign-in page)."""
    lang = who.lang if who is not None else request.cookies.get("tw_lang", "fr")
    lang = lang if lang in ("fr", "en") else "fr"

    def tr(key: str, **values: Any) -> str:
        return t(key, lang, **values)

    def num(value: float | None, digits: int = 1) -> str:
        return number(value, lang, digits)

    now = datetime.now(UTC)  # once per page: 1,000 rows' ages from one clock reading
    banner = _banner_count(request, now) if who is not None else 0

    return templates.TemplateResponse(
        request,
        template,
        {"t": tr, "num": num, "lang": lang, "who": who, "age": lambda at: age_text(at, lang, now),
         "when": lambda at: when(at, lang), "critical_unack": banner, "level_names": LEVEL_NAMES, **context},
        status_code=status,
        headers=SECURITY_HEADERS,
    )  # fmt: skip
