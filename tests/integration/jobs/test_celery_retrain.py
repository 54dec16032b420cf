"""50 transformers RETRAINED by 2 real Celery workers (real Redis, real PostgreSQL), one worker
killed with SIGKILL in the middle of a retrain: every run completes exactly once and no model
is half-registered (one challenger per transformer, registered with its verified artifact)."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from celery_helpers import (
    kill_while_running,
    start_dispatcher,
    start_worker,
    stop_workers,
    wait_decided,
    wait_done,
    worker_env,
)
from lifecycle_helpers import FLEET_AT, retrain_fleet
from sqlalchemy import select

from thermowatch.live.champion import load_verified
from thermowatch.store.engine import make_engine, write_transaction
from thermowatch.store.jobs import enqueue_runs, run_counts
from thermowatch.store.migrate import upgrade
from thermowatch.store.tables import job_runs, model_versions

N_TRANSFORMERS = 50
LEASE_S = 8  # well above one retrain here (about 0.5 s), so only the killed run is taken over


@pytest.mark.postgres
def test_fifty_transformers_retrained_by_two_workers_one_killed(pg_cluster, redis_url, tmp_path):
    url = pg_cluster.create_database(f"t_{uuid.uuid4().hex[:12]}")
    engine = make_engine(url)
    upgrade(engine)
    tids = retrain_fleet(engine, N_TRANSFORMERS, tmp_path / "champion")
    with write_transaction(engine) as conn:
        enqueue_runs(conn, "retrain", tids, FLEET_AT)

    challengers = tmp_path / "challengers"
    env = worker_env(redis_url, url, LEASE_S, THERMOWATCH_MODELS_DIR=str(challengers))
    env.pop("THERMOWATCH_ALERTS_CONFIG", None)  # phase 1: automatic promotion
    victim, survivor = start_worker(env), start_worker(env)
    stop = None
    try:
        started = time.monotonic()
        stop = start_dispatcher(engine, redis_url, LEASE_S)
        deadline = time.monotonic() + 240
        killed_run = kill_while_running(engine, victim, deadline)
        assert killed_run is not None, "the victim never picked up a retrain"
        wait_done(engine, N_TRANSFORMERS, deadline)
        wait_decided(engine, deadline)
    finally:
        if stop is not None:
            stop.set()
        stop_workers(victim, survivor)
    print(f"\n{N_TRANSFORMERS} retrains on 2 workers (one killed) in "
          f"{time.monotonic() - started:.1f} s")  # fmt: skip

    assert run_counts(engine) == {"done": N_TRANSFORMERS}
    with engine.connect() as conn:
        runs = conn.execute(select(job_runs)).all()
        versions = conn.execute(select(model_versions)).all()
    killed = next(r for r in runs if r.id == killed_run)
    assert killed.attempts == 2  # retried once, by the survivor
    assert all(r.attempts == 1 for r in runs if r.id != killed_run)
    assert all(r.result["verdict"] == "trained" for r in runs)

    # Exactly once: one new model per transformer, the one its run reported, nothing else.
    new = [v for v in versions if not v.id.endswith("-m1")]
    assert Counter(v.transformer_id for v in new) == Counter(tids)
    assert {v.id for v in new} == {r.result["challenger"] for r in runs}
    for v in new:  # registered = artifact complete and intact
        assert load_verified(v.artifact_path, v.sha256).model_id == v.id
    by_run = {r.transformer_id: r.result["decision"]["promote"] for r in runs}
    for v in new:
        assert v.status == ("champion" if by_run[v.transformer_id] else "retired")
    assert Counter(v.transformer_id for v in versions if v.status == "champion") == Counter(tids)
    # The killed attempt may have left an artifact directory, never a registered model.
    on_disk = {p.name for p in Path(challengers).glob("*/*") if p.is_dir()}
    assert on_disk >= {v.id for v in new} and len(on_disk) <= N_TRANSFORMERS + 1
    engine.dispose()
