"""Lifecycle job runs and model checks: the store is the source of truth, the queue a courier.

A job run is keyed by (kind, transformer, logical time), so enqueueing it twice is a no-op. A
worker *claims* a run with a lease before working on it and *finishes* it in the same
transaction as the rows the job writes (a check, a model registration). A worker killed mid-job
leaves the run ``running`` with an expiring lease and nothing half-written; the reconciler
(:func:`runs_to_dispatch`) hands it out again. Exactly-once completion follows from the claim and
finish conditions, whatever the queue does (Celery redelivers, duplicates, or loses messages).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select, update

from thermowatch.store._sql import finite_json, insert_ignore
from thermowatch.store.engine import read_connection, write_transaction
from thermowatch.store.tables import JobStatus, ModelStatus, job_runs, model_checks, model_versions

#: Attempts before a failing run is left ``failed`` for a person to look at.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class JobRun:
    """One lifecycle job run."""

    id: int
    kind: str
    transformer_id: str
    scheduled_for: datetime
    status: str
    attempts: int
    claimed_by: str | None
    result: dict[str, Any] | None
    error: str | None


def _now(at: datetime | None) -> datetime:
    return at if at is not None else datetime.now(UTC)


def enqueue_runs(
    conn: Connection,
    kind: str,
    transformer_ids: Iterable[str],
    scheduled_for: datetime,
    at: datetime | None = None,
) -> list[int]:
    """Create the runs of ``kind`` for these transformers at one logical time (idempotent).

    Returns the ids of every run for that key, new or already there.
    """
    ids = list(transformer_ids)
    if not ids:
        return []
    now = _now(at)
    rows = [
        {"kind": kind, "transformer_id": t, "scheduled_for": scheduled_for,
         "status": JobStatus.QUEUED.value, "attempts": 0, "created_at": now}
        for t in ids
    ]  # fmt: skip
    conn.execute(insert_ignore(job_runs, conn), rows)
    found = conn.execute(
        select(job_runs.c.id).where(
            job_runs.c.kind == kind,
            job_runs.c.scheduled_for == scheduled_for,
            job_runs.c.transformer_id.in_(ids),
        )
    )
    return sorted(int(r[0]) for r in found)


def claim_run(
    conn: Connection, run_id: int, worker: str, lease: timedelta, at: datetime | None = None
) -> bool:
    """Take the run for ``worker`` until ``now + lease``; False when someone else holds it or it
    is finished (a duplicate delivery), or it has used up its attempts."""
    now = _now(at)
    claimable = or_(
        job_runs.c.status.in_([JobStatus.QUEUED.value, JobStatus.FAILED.value]),
        and_(job_runs.c.status == JobStatus.RUNNING.value, job_runs.c.lease_until < now),
    )
    res = conn.execute(
        update(job_runs)
        .where(job_runs.c.id == run_id, claimable, job_runs.c.attempts < MAX_ATTEMPTS)
        .values(
            status=JobStatus.RUNNING.value,
            claimed_by=worker,
            lease_until=now + lease,
            started_at=now,
            attempts=job_runs.c.attempts + 1,
            error=None,
        )
    )
    return res.rowcount == 1


def finish_run(
    conn: Connection,
    run_id: int,
    worker: str,
    result: Mapping[str, Any] | None = None,
    error: str | None = None,
    at: datetime | None = None,
) -> bool:
    """Mark the run done (or failed, with ``error``) if ``worker`` still holds it.

    Call it in the transaction that writes the job's output: when it returns False (the lease
    was lost to another worker), roll that transaction back so the output is written once.
    """
    status = JobStatus.FAILED if error is not None else JobStatus.DONE
    res = conn.execute(
        update(job_runs)
        .where(
            job_runs.c.id == run_id,
            job_runs.c.claimed_by == worker,
            job_runs.c.status == JobStatus.RUNNING.value,
        )
        .values(
            status=status.value,
            finished_at=_now(at),
            lease_until=None,
            result=finite_json(dict(result)) if result is not None else None,
            error=error,
        )
    )
    return res.rowcount == 1


def runs_to_dispatch(
    engine: Engine,
    redispatch_after: timedelta,
    at: datetime | None = None,
    limit: int = 10_000,
) -> list[int]:
    """Runs to (re)send to a worker, marked dispatched in the same transaction.

    Queued or failed runs with attempts left that were never sent, or sent more than
    ``redispatch_after`` ago (the message was lost); running runs whose lease expired (their
    worker died). Runs sent recently are not sent again, so a scheduler tick does not flood the
    queue with duplicates.
    """
    now = _now(at)
    stale = or_(
        job_runs.c.dispatched_at.is_(None), job_runs.c.dispatched_at < now - redispatch_after
    )
    cond = and_(
        job_runs.c.attempts < MAX_ATTEMPTS,
        or_(
            and_(job_runs.c.status.in_([JobStatus.QUEUED.value, JobStatus.FAILED.value]), stale),
            and_(job_runs.c.status == JobStatus.RUNNING.value, job_runs.c.lease_until < now),
        ),
    )
    abandoned = and_(
        job_runs.c.status == JobStatus.RUNNING.value,
        job_runs.c.lease_until < now,
        job_runs.c.attempts >= MAX_ATTEMPTS,
    )
    with write_transaction(engine) as conn:
        # A run whose last allowed attempt died with its worker is failed, not left "running".
        conn.execute(
            update(job_runs)
            .where(abandoned)
            .values(
                status=JobStatus.FAILED.value,
                finished_at=now,
                lease_until=None,
                error=f"abandoned: its lease expired {MAX_ATTEMPTS} times without an outcome "
                "(the worker holding it stopped or lost the database)",
            )
        )
        rows = conn.execute(select(job_runs.c.id).where(cond).order_by(job_runs.c.id).limit(limit))
        ids = [int(r[0]) for r in rows]
        if ids:
            conn.execute(update(job_runs).where(job_runs.c.id.in_(ids)).values(dispatched_at=now))
        return ids


def champion_transformers(engine: Engine) -> list[str]:
    """Transformers that have a champion model (the ones lifecycle jobs apply to)."""
    stmt = select(model_versions.c.transformer_id).where(
        model_versions.c.status == ModelStatus.CHAMPION.value
    )
    with read_connection(engine) as conn:
        return sorted(r[0] for r in conn.execute(stmt))


def get_run(engine: Engine | Connection, run_id: int) -> JobRun | None:
    """One run by id."""
    stmt = select(job_runs).where(job_runs.c.id == run_id)
    if isinstance(engine, Connection):
        row = engine.execute(stmt).first()
    else:
        with read_connection(engine) as conn:
            row = conn.execute(stmt).first()
    if row is None:
        return None
    m = row._mapping
    return JobRun(
        int(m["id"]), m["kind"], m["transformer_id"], m["scheduled_for"], m["status"],
        int(m["attempts"]), m["claimed_by"], m["result"], m["error"],
    )  # fmt: skip


def run_counts(engine: Engine, kind: str | None = None) -> dict[str, int]:
    """Number of runs per status (for ``status`` and metrics)."""
    stmt = select(job_runs.c.status, func.count()).group_by(job_runs.c.status)
    if kind is not None:
        stmt = stmt.where(job_runs.c.kind == kind)
    with read_connection(engine) as conn:
        return {s: int(n) for s, n in conn.execute(stmt)}


def record_check(
    conn: Connection,
    transformer_id: str,
    model_id: str,
    kind: str,
    at: datetime,
    verdict: str,
    values: Mapping[str, Any],
) -> None:
    """Store one accuracy/drift verdict with the numbers behind it."""
    conn.execute(
        model_checks.insert(),
        [{"transformer_id": transformer_id, "model_id": model_id, "kind": kind, "at": at,
          "verdict": verdict, "values": finite_json(dict(values))}],
    )  # fmt: skip


def recent_checks(
    engine: Engine, transformer_id: str, kind: str, limit: int = 10
) -> list[dict[str, Any]]:
    """The latest checks of one kind for a transformer, newest first."""
    stmt = (
        select(model_checks)
        .where(model_checks.c.transformer_id == transformer_id, model_checks.c.kind == kind)
        .order_by(model_checks.c.at.desc(), model_checks.c.id.desc())
        .limit(limit)
    )
    with read_connection(engine) as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def latest_runs(engine: Engine) -> dict[str, dict[str, JobRun]]:
    """``transformer_id -> kind -> its latest run`` (by logical time, then id)."""
    c = job_runs.c
    stmt = select(job_runs).order_by(c.scheduled_for, c.id)
    out: dict[str, dict[str, JobRun]] = {}
    with read_connection(engine) as conn:
        for row in conn.execute(stmt):
            m = row._mapping
            out.setdefault(m["transformer_id"], {})[m["kind"]] = JobRun(
                int(m["id"]), m["kind"], m["transformer_id"], m["scheduled_for"], m["status"],
                int(m["attempts"]), m["claimed_by"], m["result"], m["error"],
            )  # fmt: skip
    return out
