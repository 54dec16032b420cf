"""Execute one job run with exactly-once completion, whatever delivers it.

The queue (in-process loop or Celery) hands over a run id; :func:`execute` claims it with a
lease, runs the job, and finishes it in the same transaction as the job's output. A duplicate
delivery finds the run claimed or done and does nothing; a worker killed mid-job leaves the run
``running`` with an expiring lease, which :func:`thermowatch.store.jobs.runs_to_dispatch` hands
out again.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from thermowatch.jobs.job import JobOutput, JobSettings
from thermowatch.jobs.registry import JOBS
from thermowatch.store.engine import write_transaction
from thermowatch.store.jobs import claim_run, finish_run, get_run

log = logging.getLogger(__name__)


class LeaseLost(RuntimeError):
    """The run was taken over by another worker before this one finished (output discarded)."""


def one_numeric_thread() -> None:
    """Limit BLAS and OpenMP to one thread in this worker process.

    A fleet is parallel across workers (one transformer per run). Left alone, OpenBLAS and
    OpenMP start a thread per core in every worker and the workers fight for the cores: the
    retrain benchmark measured no speed-up from 1 to 2 workers on 2 cores before this.
    """
    # threadpoolctl limits the libraries loaded when it is called: load those the jobs use.
    import scipy.linalg  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def worker_name() -> str:
    """This process's identity in the ``claimed_by`` column."""
    return f"{socket.gethostname()}:{os.getpid()}"


def execute(
    engine: Engine, run_id: int, settings: JobSettings, worker: str | None = None,
    now: datetime | None = None,
) -> str:  # fmt: skip
    """Run one job run with ``settings`` (its lease, what the job needs); return ``"done"``,
    ``"failed"`` or ``"skipped"`` (not claimable)."""
    worker = worker or worker_name()
    with write_transaction(engine) as conn:
        if not claim_run(conn, run_id, worker, settings.lease, at=now):
            return "skipped"
        run = get_run(conn, run_id)
    assert run is not None  # claimed above
    job = JOBS.get(run.kind)
    try:
        if job is None:
            raise ValueError(f"unknown job kind {run.kind!r} (known: {', '.join(sorted(JOBS))})")
        output = job(engine, run.transformer_id, run.scheduled_for, settings)
    except Exception as exc:  # a failed job is recorded and retried, never crashes the worker
        log.warning("job %s %s/%s failed: %s", run_id, run.kind, run.transformer_id, exc)
        with write_transaction(engine) as conn:
            finish_run(conn, run_id, worker, error=f"{type(exc).__name__}: {exc}"[:2000])
        return "failed"
    try:
        with write_transaction(engine) as conn:
            if not finish_run(conn, run_id, worker, output.result, at=datetime.now(UTC)):
                raise LeaseLost(f"run {run_id} was taken over before {worker} finished it")
            output.write(conn)
    except (LeaseLost, OperationalError):
        # Lost lease: the other worker's output counts. Database gone: the lease expires and
        # the run is handed out again. Either way nothing of this attempt was stored.
        _discard(output)
        raise
    except Exception as exc:  # the database refused the output: that is this run's failure
        _discard(output)
        log.warning("job %s %s/%s: output not stored: %s", run_id, run.kind, run.transformer_id,
                    exc)  # fmt: skip
        with write_transaction(engine) as conn:
            finish_run(conn, run_id, worker,
                       error=f"storing the output failed: {type(exc).__name__}: {exc}"[:2000])  # fmt: skip
        return "failed"
    for after in output.after:
        try:
            after()
        except Exception as exc:  # the check is stored; the alert is re-evaluated next run
            log.warning("job %s %s/%s: alert step failed: %s", run_id, run.kind,
                        run.transformer_id, exc)  # fmt: skip
    return "done"


def _discard(output: JobOutput) -> None:
    for step in output.discard:
        try:
            step()
        except Exception as exc:  # cleaning up must not hide why the output was not stored
            log.warning("discarding a job's output failed: %s", exc)
