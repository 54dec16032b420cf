"""``GET /v1/models`` (registry and what is served), one model with its live checks, and the
lifecycle actions of an admin: promote, approve or reject a pending promotion, roll back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

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


class ModelDetail(BaseModel):
    """A registered model version and its latest live checks (accuracy, drift)."""

    id: str
    transformer_id: str
    status: str
    created_at: str
    sha256: str
    metrics: dict[str, Any] | None
    checks: dict[str, list[dict[str, Any]]]


class Decision(BaseModel):
    reason: str = Field("", max_length=500, description="Why (kept in the audit log).")


class Rollback(BaseModel):
    transformer_id: str = Field(min_length=1, max_length=64)
    to: str | None = Field(None, max_length=100, description="Default: the previous champion.")


@router.get("/{model_id}", response_model=ModelDetail)
def show(model_id: str, _: Reader, engine: EngineDep) -> dict:
    """One model version with its five latest accuracy and drift checks."""
    from thermowatch.store.jobs import recent_checks

    m = store_models.get_model(engine, model_id)
    checks = {
        kind: [
            {"at": c["at"].isoformat(), "verdict": c["verdict"], **c["values"]}
            for c in recent_checks(engine, m.transformer_id, kind, 5)
            if c["model_id"] == m.id
        ]
        for kind in ("accuracy", "drift")
    }
    return {"id": m.id, "transformer_id": m.transformer_id, "status": m.status,
            "created_at": m.created_at.isoformat(), "sha256": m.sha256, "metrics": m.metrics,
            "checks": checks}  # fmt: skip


@router.post("/{model_id}/approve")
def approve(model_id: str, principal: Admin, engine: EngineDep) -> dict:
    """Approve a promotion waiting for an admin (deployment phase 3); audited."""
    from thermowatch.jobs.promotion import approve as run_approve

    run_approve(engine, model_id, principal.actor)
    return {"promoted": model_id}


@router.post("/{model_id}/reject")
def reject(model_id: str, body: Decision, principal: Admin, engine: EngineDep) -> dict:
    """Reject a promotion waiting for an admin: the challenger is retired; audited."""
    from thermowatch.jobs.promotion import reject as run_reject

    run_reject(engine, model_id, principal.actor, body.reason)
    return {"rejected": model_id}


@router.post("/rollback")
def rollback(body: Rollback, principal: Admin, engine: EngineDep) -> dict:
    """Put the previous (or a named) model back in service; workers load it on their next
    poll, after verifying its SHA-256. Audited."""
    from thermowatch.jobs.promotion import rollback as run_rollback

    return {"champion": run_rollback(engine, body.transformer_id, body.to, principal.actor)}
