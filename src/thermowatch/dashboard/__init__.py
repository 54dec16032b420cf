"""The operator dashboard: server-rendered pages over the store, served by the service at ``/``.

:func:`mount` adds the pages, the live-update stream and the vendored static files (no CDN)
to the FastAPI app. Pages need a dashboard session (``thermowatch user create``); the API keeps
its own credentials. Roles are the API's: reader < operator < admin.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse

from thermowatch.dashboard.auth import LoginRequired, PageError

STATIC = Path(__file__).parent / "static"


def mount(app: FastAPI, session_hours: float) -> None:
    """Add the dashboard to ``app`` (routes, static files, error pages); a sign-in lasts
    ``session_hours`` [h] (the settings' ``dashboard_session_hours``, resolved by the caller)."""
    from thermowatch.dashboard import (
        events,
        pages_alerts,
        pages_auth,
        pages_fleet,
        pages_models,
        pages_transformer,
    )
    from thermowatch.dashboard.render import page

    app.state.dashboard_session_hours = session_hours
    for module in (pages_auth, pages_fleet, pages_transformer, pages_alerts, pages_models, events):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    async def login_required(request: Request, exc: LoginRequired):
        query = f"?next={exc.next_path}" + ("&expired=1" if exc.expired else "")
        if request.headers.get("accept", "").startswith("text/event-stream"):
            return RedirectResponse("/login", status_code=303)
        return RedirectResponse("/login" + query, status_code=303)

    async def page_error(request: Request, exc: PageError):
        from thermowatch.dashboard.auth import viewer
        from thermowatch.report.i18n import t

        try:
            who = await viewer(request)
        except LoginRequired:
            who = None
        lang = who.lang if who else "fr"
        return page(request, "error.html", who, status=exc.status,
                    message=t(exc.key, lang, **exc.values))  # fmt: skip

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(PageError, page_error)
