"""``GET /v1/models`` (registry and what is served), one model with its live checks, and the
lifecycle actions of an admin: promote, approve or reject a pending promotion, roll back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
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
                  "thresholds": {"alerte_c": s.thresholds.alerte_c,
                                 "critique_c": s.thresholds.critique_c}}
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


class RetrainRequest(BaseModel):
    transformer_id: str = Field(min_length=1, max_length=64)


class ShadowRequest(BaseModel):
    days: float = Field(14, gt=0, le=365, description="How long the challenger runs in shadow.")


class AbRequest(BaseModel):
    experiment: str = Field(min_length=1, max_length=100)
    model_ids: list[str] = Field(min_length=2, max_length=10_000)
    fraction: float = Field(0.5, gt=0, lt=1, description="Share of the transformers served by B.")
    days: float = Field(14, gt=0, le=365)


@router.post("/retrain", status_code=202)
def retrain(body: RetrainRequest, principal: Admin, engine: EngineDep) -> dict:
    """Queue a retrain of one transformer's model now; a worker (or the in-process scheduler)
    runs it: ``GET /v1/models?…`` and ``thermowatch jobs status`` show the outcome."""
    from datetime import UTC, datetime

    from thermowatch.store.engine import write_transaction
    from thermowatch.store.jobs import enqueue_runs
    from thermowatch.store.transformers import get_transformer

    get_transformer(engine, body.transformer_id)  # unknown: 404
    with write_transaction(engine) as conn:
        ids = enqueue_runs(conn, "retrain", [body.transformer_id], datetime.now(UTC))
    return {"queued": ids, "transformer_id": body.transformer_id, "by": principal.actor}


@router.get("/ab/{experiment}")
def ab_report(experiment: str, _: Reader, engine: EngineDep) -> dict:
    """An A/B experiment's live RMSE by arm and the B − A difference with a 95 % interval."""
    from thermowatch.jobs.trials import ab_report as report

    return report(engine, experiment)


@router.post("/ab")
def start_ab(body: AbRequest, principal: Admin, engine: EngineDep) -> dict:
    """Start an A/B experiment: a stable fraction of the transformers (by hash) is served by
    its challenger, the others run it in shadow; audited."""
    from thermowatch.jobs.trials import start_ab as run_start

    return run_start(engine, body.experiment, body.model_ids, body.fraction, body.days,
                     principal.actor)  # fmt: skip


@router.get("/{model_id}/compare")
def compare(
    model_id: str, _: Reader, engine: EngineDep,
    days: float = Query(7, gt=0, le=365), against: str | None = Query(None, max_length=100),
) -> dict:  # fmt: skip
    """A model in shadow against the champion on the same instants: RMSE of each [K] and the
    difference with a 95 % moving-block bootstrap interval."""
    from thermowatch.jobs.trials import compare as run_compare

    return run_compare(engine, model_id, days, against=against)


@router.post("/{model_id}/shadow")
def shadow(model_id: str, body: ShadowRequest, principal: Admin, engine: EngineDep) -> dict:
    """Run a challenger in shadow: it predicts alongside the champion, stored, compared, never
    alerting; audited."""
    from thermowatch.jobs.trials import start_shadow

    return start_shadow(engine, model_id, body.days, principal.actor)
