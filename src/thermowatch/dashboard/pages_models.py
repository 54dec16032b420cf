"""The models page (read-only until the lifecycle issue adds actions): versions per
transformer, the champion, the validation error recorded at training and the live error."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from thermowatch.dashboard.auth import Viewer, viewer
from thermowatch.dashboard.panels import recent_error
from thermowatch.dashboard.render import page
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
                live=live, errors=error_metrics)  # fmt: skip
