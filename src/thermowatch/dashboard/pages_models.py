"""The models page: versions per transformer, the champion, the validation error recorded at
training and the live error; for an admin, the lifecycle actions (approve or reject a pending
promotion, put a retained version back in service), CSRF-checked and audited."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from thermowatch.dashboard.auth import PageError, Viewer, audit, check_csrf, check_role, viewer
from thermowatch.dashboard.panels import recent_error
from thermowatch.dashboard.render import page
from thermowatch.errors import InputError, NotFoundError
from thermowatch.store.models import list_models
from thermowatch.store.transformers import get_transformer

router = APIRouter(include_in_schema=False)


def error_metrics(metrics: Any, prefix: str = "") -> list[tuple[str, float]]:
    """Every number whose key names an error (rmse, mae) in a metrics dict, nested keys joined."""
    out: list[tuple[str, float]] = []
    if not isinstance(metrics, dict):
        return out
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += error_metrics(value, name + ".")
        elif isinstance(value, int | float) and any(w in name.lower() for w in ("rmse", "mae")):
            out.append((name, float(value)))
    return out[:6]


def _load(engine) -> tuple[list, dict[str, tuple[float | None, int]]]:
    versions = list_models(engine)
    live: dict[str, tuple[float | None, int]] = {}
    now = datetime.now(UTC)
    for tid in sorted({m.transformer_id for m in versions}):
        live[tid] = recent_error(
            engine, get_transformer(engine, tid), now - timedelta(hours=24), now
        )
    return versions, live


@router.get("/models")
async def models_page(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    versions, live = await asyncio.to_thread(_load, request.app.state.engine)
    holder = getattr(request.app.state, "models", None)
    served = {tid: s.model_id for tid, s in (holder.all() if holder else {}).items()}
    by_tr: dict[str, list] = {}
    for m in versions:
        by_tr.setdefault(m.transformer_id, []).append(m)
    return page(request, "models.html", who, nav="models", by_tr=by_tr, served=served,
                live=live, errors=error_metrics, can_act=who.can("admin"),
                done=request.query_params.get("done", ""))  # fmt: skip


ACTIONS = ("approve", "reject", "rollback")


@router.post("/models/{model_id}/{action}")
async def model_action(
    request: Request, model_id: str, action: str, who: Annotated[Viewer, Depends(viewer)]
) -> Response:
    """Approve or reject a pending promotion, or put a retained version back in service
    (rollback to it), in the name of the signed-in admin; audited like the CLI and the API."""
    from thermowatch.jobs import promotion
    from thermowatch.store.models import get_model

    form = await check_csrf(request, who)
    check_role(request, who, "admin")
    if action not in ACTIONS:
        raise PageError(404, "ui.not_found", what=action)
    engine, actor = request.app.state.engine, who.principal.actor

    def run() -> None:
        if action == "approve":
            promotion.approve(engine, model_id, actor)
        elif action == "reject":
            promotion.reject(engine, model_id, actor, form.get("reason", "").strip()[:500])
        else:
            promotion.rollback(engine, get_model(engine, model_id).transformer_id, model_id, actor)

    try:
        await asyncio.to_thread(run)
    except NotFoundError:
        raise PageError(404, "ui.not_found", what=f"model {model_id}") from None
    except InputError as exc:
        raise PageError(409, "ui.bad_input", why=str(exc)) from None
    audit(request, who, f"dashboard.model.{action}", "ok", target=model_id)
    return RedirectResponse(f"/models?done={action}", status_code=303)
