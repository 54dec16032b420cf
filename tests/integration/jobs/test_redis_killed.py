"""Redis (the Celery broker) SIGKILLed while workers run a fleet's lifecycle jobs on one
PostgreSQL store, then started again, empty (no persistence): the scheduler keeps ticking,
the worker reconnects, the runs whose messages died with Redis are dispatched again once their
lease expires, and every run completes exactly once.

Redis carries only the jobs: the service keeps its rate limits per machine (a shared file,
:mod:`thermowatch.service.ratelimit`) and its event stream in process, so a Redis outage
cannot stop it answering."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from celery_helpers import start_dispatcher, start_worker, stop_workers, wait_done, worker_env
from lifecycle_helpers import NOW, populate
from sqlalchemy import select

from thermowatch.jobs.scheduler import enqueue_due
from thermowatch.store.engine import make_engine
from thermowatch.store.jobs import run_counts
from thermowatch.store.migrate import upgrade
from thermowatch.store.tables import model_checks

N_TRANSFORMERS = 12
LEASE_S = 5  # a dispatched run not started within this is dispatched again
DOWN_S = 3.0

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.faults]


def test_redis_killed_every_run_completes_once(pg_cluster, redis_server):  # type: ignore[no-untyped-def]
    url = pg_cluster.create_database(f"t_{uuid.uuid4().hex[:12]}")
    engine = make_engine(url)
    upgrade(engine)
    for i in range(N_TRANSFORMERS):
        populate(engine, f"TR-{i:02d}", "normal", seed=i)
    runs = 2 * N_TRANSFORMERS
    worker = start_worker(worker_env(redis_server.url, url, LEASE_S))
    enqueue_due(engine, NOW, {"accuracy": timedelta(days=1), "drift": timedelta(days=1)})
    stop = start_dispatcher(engine, redis_server.url, LEASE_S)
    try:
        deadline = time.monotonic() + 240
        wait_done(engine, 3, deadline)
        done_at_kill = run_counts(engine).get("done", 0)
        redis_server.stop(kill=True)
        time.sleep(DOWN_S)
        redis_server.start()
        restarted = time.monotonic()
        done_at_restart = run_counts(engine).get("done", 0)
        wait_done(engine, runs, deadline)
        all_after = time.monotonic() - restarted
    finally:
        stop.set()
        stop_workers(worker)
    print(f"\nredis killed {DOWN_S:g} s after {done_at_kill}/{runs} runs done "
          f"({done_at_restart} at its restart): all done {all_after:.1f} s after the restart "
          f"(lease {LEASE_S} s)")  # fmt: skip
    assert done_at_restart < runs  # killed mid-run: runs were left to do after the restart
    assert run_counts(engine) == {"done": runs}
    with engine.connect() as conn:
        checks = conn.execute(select(model_checks.c.transformer_id, model_checks.c.kind)).all()
    assert len(checks) == len(set(checks)) == runs  # exactly once: one check per run
    # Messages lost with Redis are re-sent when their lease expires: done within a lease and
    # the remaining runs' own time (~0.2 s each on one worker) of Redis' return.
    assert all_after <= LEASE_S + 0.5 * runs, all_after
    engine.dispose()
