"""Promotion, approval and rollback of model versions, gated by the deployment phase, audited.

:func:`thermowatch.learn.promotion.decide_promotion` says whether a challenger *deserves* to
replace the champion; this module applies the deployment phase's gate to that decision
(automatic, an admin's approval, or forbidden) and records every step with its numbers in the
audit log. Rollback makes any retained version champion again: artifacts are immutable and
checked by SHA-256, so the old model gives the old predictions bit for bit.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine, select

from thermowatch.errors import InputError
from thermowatch.learn.promotion import PromotionDecision
from thermowatch.store.audit import AuditEntry, record
from thermowatch.store.models import (
    ModelVersion,
    champion,
    get_model,
    promote,
    retire,
    set_status,
)
from thermowatch.store.tables import ModelStatus, audit_log, model_versions

#: ``model_versions.status`` of a challenger that passed the rule and waits for an admin.
PENDING = "pending_approval"


class Gate(enum.StrEnum):
    """What a deployment phase allows a validated challenger to do."""

    AUTOMATIC = "automatic"
    APPROVAL = "approval"
    FORBIDDEN = "forbidden"


#: Default gate per deployment phase (1 observation … 4 autonomous). Phase 3 (actions run after
#: an operator approves them) also needs a person to approve a new model; configurable.
DEFAULT_GATES: dict[int, Gate] = {1: Gate.AUTOMATIC, 2: Gate.AUTOMATIC, 3: Gate.APPROVAL,
                                  4: Gate.AUTOMATIC}  # fmt: skip


def _audit(engine: Engine, actor: str, action: str, model: ModelVersion, outcome: str,
           detail: Mapping[str, object]) -> None:  # fmt: skip
    record(engine, AuditEntry(actor=actor, action=action, outcome=outcome,
                              target=f"model:{model.id}@{model.transformer_id}",
                              detail=json.dumps(detail, default=str)))  # fmt: skip


def apply_decision(
    engine: Engine,
    challenger_id: str,
    decision: PromotionDecision,
    phase: int,
    gates: Mapping[int, Gate] = DEFAULT_GATES,
    actor: str = "system",
) -> str:
    """Act on a promotion decision under the phase's gate; return what happened.

    ``"refused"`` (the rule said no: the challenger is retired), ``"forbidden"`` (the phase
    forbids promotions), ``"pending"`` (waits for :func:`approve`), or ``"promoted"``.
    """
    model = get_model(engine, challenger_id)
    numbers = decision.as_dict()
    if not decision.promote:
        retire(engine, challenger_id)
        _audit(engine, actor, "model.promotion_refused", model, "refused", numbers)
        return "refused"
    gate = gates.get(phase, Gate.APPROVAL)
    if gate is Gate.FORBIDDEN:
        _audit(engine, actor, "model.promotion_forbidden", model, "denied",
               {**numbers, "phase": phase})  # fmt: skip
        return "forbidden"
    if gate is Gate.APPROVAL:
        set_status(engine, challenger_id, PENDING)
        _audit(engine, actor, "model.promotion_pending", model, "pending",
               {**numbers, "phase": phase})  # fmt: skip
        return "pending"
    promote_now(engine, model, actor, "model.promoted", {**numbers, "phase": phase})
    return "promoted"


def promote_now(engine: Engine, model: ModelVersion, actor: str, action: str,
             detail: Mapping[str, object]) -> None:  # fmt: skip
    before = champion(engine, model.transformer_id)
    promote(engine, model.id)
    _audit(engine, actor, action, model, "ok",
           {**detail, "previous_champion": before.id if before else None})  # fmt: skip


def approve(engine: Engine, model_id: str, actor: str) -> None:
    """An admin approves a pending promotion: the model becomes champion (audited)."""
    model = get_model(engine, model_id)
    if model.status != PENDING:
        raise InputError(f"model {model_id} is {model.status}, not waiting for approval.")
    promote_now(engine, model, actor, "model.promotion_approved", {})


def reject(engine: Engine, model_id: str, actor: str, reason: str = "") -> None:
    """An admin rejects a pending promotion: the model is retired (audited)."""
    model = get_model(engine, model_id)
    if model.status != PENDING:
        raise InputError(f"model {model_id} is {model.status}, not waiting for approval.")
    retire(engine, model_id)
    _audit(engine, actor, "model.promotion_rejected", model, "ok", {"reason": reason})


def previous_champion(engine: Engine, transformer_id: str) -> str | None:
    """The model that was champion before the current one, from the audit trail."""
    current = champion(engine, transformer_id)
    c = audit_log.c
    q = (
        select(c.detail)
        .where(c.action.in_(["model.promoted", "model.promotion_approved", "model.rolled_back"]),
               c.target.like(f"%@{transformer_id}"), c.outcome == "ok")
        .order_by(c.at.desc(), c.id.desc())
    )  # fmt: skip
    with engine.connect() as conn:
        for (detail,) in conn.execute(q):
            prev = json.loads(detail or "{}").get("previous_champion")
            if prev and (current is None or prev != current.id):
                return str(prev)
    return None


def rollback(engine: Engine, transformer_id: str, to_model_id: str | None, actor: str) -> str:
    """Make ``to_model_id`` (default: the previous champion) the champion again; audited.

    Returns the id of the model now in service.
    """
    target = to_model_id or previous_champion(engine, transformer_id)
    if target is None:
        raise InputError(f"{transformer_id}: no earlier champion to roll back to; name one.")
    model = get_model(engine, target)
    if model.transformer_id != transformer_id:
        raise InputError(f"model {target} belongs to {model.transformer_id}, not {transformer_id}.")
    promote_now(engine, model, actor, "model.rolled_back", {})
    return target


#: Audit actions that mean a challenger's decision was applied.
DECIDED = ("model.promotion_refused", "model.promotion_forbidden", "model.promotion_pending",
           "model.promoted", "model.ab_assigned")  # fmt: skip


def settle_decisions(engine: Engine, finished_before: datetime, phase: int) -> int:
    """Apply, under ``phase``'s gate (the jobs' settings), the decision of retrain runs done
    before ``finished_before`` whose challenger has none in the audit log: a worker killed after finishing its run but before acting on the
    decision leaves the challenger registered and undecided; the scheduler settles it here.
    Returns how many were settled."""
    from thermowatch.store.tables import job_runs

    with engine.connect() as conn:
        waiting = {r.id: r.transformer_id for r in conn.execute(
            select(model_versions.c.id, model_versions.c.transformer_id)
            .where(model_versions.c.status == ModelStatus.CHALLENGER.value))}  # fmt: skip
        if not waiting:
            return 0
        runs = conn.execute(
            select(job_runs.c.result).where(
                job_runs.c.kind == "retrain", job_runs.c.status == "done",
                job_runs.c.finished_at < finished_before,
                job_runs.c.transformer_id.in_(sorted(set(waiting.values()))),
            )
        ).all()  # fmt: skip
        decided = {
            t.split("@")[0].removeprefix("model:")
            for (t,) in conn.execute(select(audit_log.c.target).where(
                audit_log.c.action.in_(DECIDED),
                audit_log.c.target.in_([f"model:{m}@{t}" for m, t in waiting.items()])))
        }  # fmt: skip
    settled = 0
    for (result,) in runs:
        model_id = (result or {}).get("challenger")
        if model_id not in waiting or model_id in decided or "decision" not in result:
            continue
        d = result["decision"]
        decision = PromotionDecision(
            bool(d["promote"]), float(d["champion_rmse_k"]), float(d["challenger_rmse_k"]),
            float(d["challenger_coverage"]), int(d["n"]), tuple(d.get("reasons", ())),
        )  # fmt: skip
        apply_decision(engine, model_id, decision, phase)
        decided.add(model_id)
        settled += 1
    return settled
