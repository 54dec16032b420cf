"""The alerts page: filters, acknowledge with a comment, shelve with a reason and an expiry and
unshelve (operator; audited), delivery history, the deployment phase and the proposed actions
to approve or reject (phase 3)."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from thermowatch.alerts import actions as alert_actions
from thermowatch.alerts import lifecycle
from thermowatch.alerts.phases import recorded_phase
from thermowatch.dashboard.auth import PageError, Viewer, audit, check_csrf, check_role, viewer
from thermowatch.dashboard.render import page
from thermowatch.errors import InputError, NotFoundError
from thermowatch.learn.levels import RAISED
from thermowatch.store import alerts as store_alerts
from thermowatch.store.alert_comments import add_comment, comments_by_alert
from thermowatch.store.overview import STATES, alert_kinds, deliveries_by_alert, find_alerts

router = APIRouter(include_in_schema=False)
LEVELS = RAISED
ROW_ID_MAX = 2**63 - 1  # the largest id a SQLite INTEGER or a PostgreSQL BIGINT holds


def _existing_id(value: int, what: str) -> int:
    """``value`` if it can be a stored row's id; else the 404 page (the database driver would
    fail on an integer wider than 64 bits)."""
    if not 1 <= value <= ROW_ID_MAX:
        raise PageError(404, "ui.not_found", what=f"{what} {value}")
    return value


def _load(engine, state, level, kind, transformer):
    found = find_alerts(engine, state, level or None, kind or None, transformer or None)
    ids = [a.id for a in found]
    proposals = alert_actions.list_actions(engine, "proposed")
    return (found, deliveries_by_alert(engine, ids), comments_by_alert(engine, ids),
            alert_kinds(engine), recorded_phase(engine), proposals)  # fmt: skip


@router.get("/alerts")
async def alerts_page(
    request: Request,
    who: Annotated[Viewer, Depends(viewer)],
    state: str = "active",
    level: str = "",
    kind: str = "",
    transformer: str = "",
) -> Response:
    if state not in STATES:
        raise PageError(400, "ui.bad_input", why=f"state must be one of {', '.join(STATES)}.")
    if level and level not in LEVELS:
        raise PageError(400, "ui.bad_input", why=f"level must be one of {', '.join(LEVELS)}.")
    found, deliveries, comments, kinds, phase, proposals = await asyncio.to_thread(
        _load, request.app.state.engine, state, level, kind, transformer
    )
    return page(
        request, "alerts.html", who, nav="alerts", alerts=found, deliveries=deliveries,
        comments=comments, kinds=kinds, phase=phase, proposals=proposals, states=STATES,
        levels=LEVELS, f={"state": state, "level": level, "kind": kind, "transformer": transformer},
        can_act=who.can("operator"), done=request.query_params.get("done"),
        shelve_minutes=SHELVE_MINUTES,
    )  # fmt: skip


def _back(form: dict[str, str], done: str) -> str:
    keep = {k: form[k] for k in ("state", "level", "kind", "transformer") if form.get(k)}
    return "/alerts?" + urlencode(keep | {"done": done})


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(
    request: Request, alert_id: int, who: Annotated[Viewer, Depends(viewer)]
) -> Response:
    """Acknowledge in the name of the signed-in operator, with an optional comment."""
    form = await check_csrf(request, who)
    check_role(request, who, "operator")
    _existing_id(alert_id, "alert")
    engine = request.app.state.engine
    comment = form.get("comment", "").strip()

    def run() -> None:
        store_alerts.get_alert(engine, alert_id)
        store_alerts.acknowledge_alert(engine, alert_id, by=who.principal.actor)
        if comment:
            add_comment(engine, alert_id, who.principal.actor, comment)

    try:
        await asyncio.to_thread(run)
    except NotFoundError:
        raise PageError(404, "ui.not_found", what=f"alert {alert_id}") from None
    audit(request, who, "acknowledge_alert", "ok", target=str(alert_id),
          comment=bool(comment), via="dashboard")  # fmt: skip
    return RedirectResponse(_back(form, f"ack:{alert_id}"), status_code=303)


#: The shelving durations the alarm list offers [min] (the store allows up to 24 h).
SHELVE_MINUTES = (30, 60, 240, 480, 1440)


@router.post("/alerts/{alert_id}/{verb}")
async def shelve(
    request: Request, alert_id: int, verb: str, who: Annotated[Viewer, Depends(viewer)]
) -> Response:
    """Shelve an alarm for a chosen time with a reason, or bring it back, as the signed-in
    operator (audited by :mod:`thermowatch.alerts.lifecycle`, as from the CLI and the API)."""
    form = await check_csrf(request, who)
    check_role(request, who, "operator")
    if verb not in ("shelve", "unshelve"):
        raise PageError(404, "ui.not_found", what=verb)
    _existing_id(alert_id, "alert")
    p, engine = who.principal, request.app.state.engine
    where = {"source": p.address or "dashboard", "role": p.role}
    try:
        if verb == "shelve":
            minutes = float(form.get("minutes", "0") or 0)
            await asyncio.to_thread(lifecycle.shelve, engine, alert_id, p.actor, minutes,
                                    form.get("reason", ""), **where)  # fmt: skip
        else:
            await asyncio.to_thread(lifecycle.unshelve, engine, alert_id, p.actor, **where)
    except NotFoundError:
        raise PageError(404, "ui.not_found", what=f"alert {alert_id}") from None
    except (InputError, ValueError) as exc:
        raise PageError(400, "ui.bad_input", why=str(exc)) from None
    return RedirectResponse(_back(form, f"{verb}:{alert_id}"), status_code=303)


@router.post("/actions/{proposal_id}/{decision}")
async def decide(
    request: Request, proposal_id: int, decision: str, who: Annotated[Viewer, Depends(viewer)]
) -> Response:
    """Approve or reject a proposed action (phase 3), as the signed-in operator."""
    form = await check_csrf(request, who)
    check_role(request, who, "operator")
    if decision not in ("approve", "reject"):
        raise PageError(404, "ui.not_found", what=decision)
    _existing_id(proposal_id, "action")
    engine = request.app.state.engine
    fn = alert_actions.approve_action if decision == "approve" else alert_actions.reject_action
    try:
        await asyncio.to_thread(fn, engine, proposal_id, who.principal.actor, who.principal.address)
    except NotFoundError:
        raise PageError(404, "ui.not_found", what=f"action {proposal_id}") from None
    except InputError as exc:
        raise PageError(409, "ui.bad_input", why=str(exc)) from None
    audit(request, who, f"dashboard.action.{decision}", "ok", target=str(proposal_id))
    return RedirectResponse(_back(form, f"{decision}:{proposal_id}"), status_code=303)
