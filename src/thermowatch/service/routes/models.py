"""``GET /v1/models`` (registry and what is served) and ``POST /v1/models/{id}/promote`` (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from thermowatch.service.auth import Admin, Reader
from thermowatch.service.deps import EngineDep
from thermowatch.store import models as store_models

router = APIRouter(prefix="/v1/models", tags=["models"])


@router.get("")
def list_models(_: Reader, engine: EngineDep, request: Request) -> dict:
    """Registered model versions (newest first) and the model each transformer is served."""
    served = request.app.state.models.all()
    return {
        "served": {
            tid: {"model_id": s.model_id, "artifact": s.artifact_path,
                  "variables": list(s.predictor.variables),
                  "thresholds": {"alerte_c": s.predictor.thresholds.alerte_c,
                                 "critique_c": s.predictor.thresholds.critique_c}}
            for tid, s in served.items()
        },
        "registry": [
            {"id": m.id, "transformer_id": m.transformer_id, "status": m.status,
             "created_at": m.created_at.isoformat(), "sha256": m.sha256}
            for m in store_models.list_models(engine)
        ],
    }  # fmt: skip


@router.post("/{model_id}/promote")
def promote(model_id: str, principal: Admin, engine: EngineDep, request: Request) -> dict:
    """Make a registered model its transformer's champion; workers pick it up on their next
    poll, after verifying its SHA-256."""
    store_models.promote(engine, model_id)
    request.app.state.audit.add(
        principal.actor,
        "promote_model",
        "ok",
        role=principal.role,
        address=principal.address,
        target=model_id,
    )
    return {"promoted": model_id}
