"""Real Celery workers with a real Redis broker on one PostgreSQL store: a fleet's lifecycle runs
complete exactly once even when a worker is killed in the middle of a run."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from celery_helpers import (
    kill_while_running,
    start_dispatcher,
    start_worker,
    stop_workers,
    wait_done,
    worker_env,
)
from lifecycle_helpers import NOW, populate
from sqlalchemy import select

from thermowatch.jobs.scheduler import enqueue_due
from thermowatch.store.engine import make_engine
from thermowatch.store.jobs import recent_checks, run_counts
from thermowatch.store.migrate import upgrade
from thermowatch.store.tables import job_runs, model_checks

N_TRANSFORMERS = 50
LEASE_S = 10  # well above one run (0.1-0.5 s here), so only the killed run is taken over


@pytest.mark.postgres
def test_fifty_transformers_two_workers_one_killed_every_run_completes_once(pg_cluster, redis_url):
    url = pg_cluster.create_database(f"t_{uuid.uuid4().hex[:12]}")
    engine = make_engine(url)
    upgrade(engine)
    for i in range(N_TRANSFORMERS):
        # No "heatwave": its drift verdict would queue retraining, which is not under test here.
        populate(engine, f"TR-{i:02d}", ("normal", "cooling")[i % 2], seed=i)

    env = worker_env(redis_url, url, LEASE_S)
    victim, survivor = start_worker(env), start_worker(env)
    enqueue_due(engine, NOW, {"accuracy": timedelta(days=1), "drift": timedelta(days=1)})
    stop = None
    try:
        started = time.monotonic()
        stop = start_dispatcher(engine, redis_url, LEASE_S)
        deadline = time.monotonic() + 240
        killed_run = kill_while_running(engine, victim, deadline)
        assert killed_run is not None, "the victim never picked up a run"
        wait_done(engine, 2 * N_TRANSFORMERS, deadline)
    finally:
        if stop is not None:
            stop.set()
        stop_workers(victim, survivor)

    elapsed = time.monotonic() - started
    print(f"\n{2 * N_TRANSFORMERS} runs on 2 workers (one killed) in {elapsed:.1f} s")
    assert run_counts(engine) == {"done": 2 * N_TRANSFORMERS}
    with engine.connect() as conn:
        checks = conn.execute(select(model_checks.c.transformer_id, model_checks.c.kind)).all()
        taken_over = conn.execute(
            select(job_runs.c.attempts, job_runs.c.claimed_by).where(job_runs.c.id == killed_run)
        ).one()
    assert len(checks) == 2 * N_TRANSFORMERS  # exactly once: one check per run
    assert len(set(checks)) == 2 * N_TRANSFORMERS
    assert taken_over.attempts == 2  # the killed run was retried by the survivor
    assert int(taken_over.claimed_by.rsplit(":", 1)[1]) != killed_run
    assert recent_checks(engine, "TR-00", "drift")[0]["verdict"] == "stable"
    assert recent_checks(engine, "TR-01", "drift")[0]["verdict"] == "transformer_changed"
    engine.dispose()
