"""Sign-in, sign-out and the language switch.

The sign-in form is protected against login CSRF by a token the server issued and signed
(:func:`~thermowatch.dashboard.auth.issue_prelogin`), kept in an ``HttpOnly; SameSite=Strict``
cookie that the form must repeat: a value the client chose is refused. Once signed in, the
session's own token protects every form. Failed sign-ins — never successful ones — spend the
client address's bucket; once it is empty, a *failed* attempt answers 429, but a right password
still signs in: others' guesses from the same address never lock a user out. Each account has
its own limit too (locked after repeated failures, in the store). Every attempt is audited.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from thermowatch.dashboard.auth import (
    COOKIE,
    LANG_COOKIE,
    Viewer,
    audit,
    check_csrf,
    client_address,
    is_tls,
    issue_prelogin,
    login_limiter,
    valid_prelogin,
    viewer,
)
from thermowatch.dashboard.render import page
from thermowatch.report.i18n import t
from thermowatch.service.metrics import AUTH_FAILURES
from thermowatch.store.users import close_session, open_session, set_language, verify_password

router = APIRouter(include_in_schema=False)
PRELOGIN = "tw_prelogin"


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would let a phishing link borrow our sign-in page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(request: Request, status: int = 200, message: str | None = None, **ctx):
    token = request.cookies.get(PRELOGIN)
    if not valid_prelogin(request, token):
        token = issue_prelogin(request)
    response = page(
        request, "login.html", None, status=status, csrf=token, message=message,
        next=_safe_next(ctx.pop("next", None) or request.query_params.get("next")), **ctx,
    )  # fmt: skip
    response.set_cookie(
        PRELOGIN, token, httponly=True, samesite="strict", secure=is_tls(request), path="/"
    )
    return response


def _same_signed_token(request: Request, sent: object, expected: str | None) -> bool:
    """The form repeats the cookie's token, and that token is one we issued to this address."""
    if not (isinstance(sent, str) and expected and secrets.compare_digest(sent, expected)):
        return False
    return valid_prelogin(request, expected)


@router.get("/login")
async def login_form(request: Request) -> Response:
    lang = request.cookies.get(LANG_COOKIE, "fr")
    message = t("ui.login.expired", lang) if request.query_params.get("expired") else None
    return _login_page(request, message=message)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    address = client_address(request)
    lang = request.cookies.get(LANG_COOKIE, "fr")
    sent, expected = form.get("csrf"), request.cookies.get(PRELOGIN)
    queue = getattr(request.app.state, "audit", None)
    name = str(form.get("name") or "")[:64]
    next_path = _safe_next(str(form.get("next") or "/"))

    def refuse(reason: str, key: str, status: int):
        AUTH_FAILURES.labels(f"dashboard_{reason}").inc()
        if queue is not None:
            queue.add("anonymous", "dashboard.login", "denied", address=address,
                      target=f"user:{name}", reason=reason)  # fmt: skip
        return _login_page(request, status, t(key, lang), name=name, next=next_path)

    if not _same_signed_token(request, sent, expected):
        return refuse("csrf", "ui.csrf", 403)
    password = str(form.get("password") or "")
    engine = request.app.state.engine
    user, reason = await asyncio.to_thread(verify_password, engine, name, password)
    if user is None:
        if not login_limiter(request.app).allow(address):  # failures only spend the bucket
            return refuse("rate_limited", "ui.login.locked", 429)
        key = "ui.login.locked" if reason == "locked" else "ui.login.failed"
        return refuse(reason, key, 429 if reason == "locked" else 401)
    hours = request.app.state.dashboard_session_hours  # resolved once, by the app's composition
    token, _ = await asyncio.to_thread(open_session, engine, user, hours, address)
    if queue is not None:
        queue.add(f"user:{user.name}", "dashboard.login", "ok", role=user.role, address=address)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        COOKIE, token, max_age=int(hours * 3600), httponly=True, samesite="strict",
        secure=is_tls(request), path="/",
    )  # fmt: skip
    response.delete_cookie(PRELOGIN, path="/")
    return response


@router.post("/login/lang")
async def login_language(request: Request) -> Response:
    """The sign-in page's language, before anyone is known (a cookie; CSRF-checked too)."""
    form = await request.form()
    if not _same_signed_token(request, form.get("csrf"), request.cookies.get(PRELOGIN)):
        return _login_page(request, 403, t("ui.csrf", request.cookies.get(LANG_COOKIE, "fr")))
    lang = "en" if form.get("lang") == "en" else "fr"
    response = RedirectResponse(
        "/login?next=" + _safe_next(str(form.get("next") or "/")), status_code=303
    )
    response.set_cookie(LANG_COOKIE, lang, samesite="strict", secure=is_tls(request), path="/")
    return response


@router.post("/logout")
async def logout(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    await check_csrf(request, who)
    await asyncio.to_thread(close_session, request.app.state.engine, request.cookies[COOKIE])
    audit(request, who, "dashboard.logout", "ok")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/lang")
async def switch_language(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    """Switch between French and English; remembered with the user's account."""
    form = await check_csrf(request, who)
    lang = "en" if form.get("lang") == "en" else "fr"
    await asyncio.to_thread(set_language, request.app.state.engine, who.session.user.id, lang)
    back = request.headers.get("referer", "/")
    path = "/" + back.split("://", 1)[-1].split("/", 1)[-1] if "://" in back else "/"
    response = RedirectResponse(_safe_next(path), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, samesite="strict", secure=is_tls(request), path="/")
    return response
