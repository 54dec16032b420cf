"""Real Celery workers with a real Redis broker on one PostgreSQL store: a fleet's lifecycle runs
complete exactly once even when a worker is killed in the middle of a run."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from lifecycle_helpers import NOW, populate
from sqlalchemy import select

from thermowatch.jobs.scheduler import run_loop
from thermowatch.store.engine import make_engine
from thermowatch.store.jobs import recent_checks, run_counts
from thermowatch.store.migrate import upgrade
from thermowatch.store.tables import job_runs, model_checks

REPO = Path(__file__).resolve().parents[3]
N_TRANSFORMERS = 50
LEASE_S = 10  # well above one run (0.1-0.5 s here), so only the killed run is taken over


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url():
    exe = shutil.which("redis-server")
    if exe is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true and redis-server is not installed (apt-get install redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


def _worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "thermowatch", "worker", "-c", "1"],
        env=env, cwd=REPO, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _running_claims(engine, prefix: str) -> list[int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(job_runs.c.id).where(
                job_runs.c.status == "running", job_runs.c.claimed_by.like(f"{prefix}%")
            )
        )
        return [r[0] for r in rows]


@pytest.mark.postgres
def test_fifty_transformers_two_workers_one_killed_every_run_completes_once(pg_cluster, redis_url):
    url = pg_cluster.create_database(f"t_{uuid.uuid4().hex[:12]}")
    engine = make_engine(url)
    upgrade(engine)
    for i in range(N_TRANSFORMERS):
        # No "heatwave": its drift verdict would queue retraining, which is not under test here.
        populate(engine, f"TR-{i:02d}", ("normal", "cooling")[i % 2], seed=i)

    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "THERMOWATCH_BROKER_URL": redis_url,
        "THERMOWATCH_DATABASE_URL": url,
        "THERMOWATCH_JOB_LEASE_S": str(LEASE_S),
    }
    from thermowatch.jobs.celery_app import dispatcher, make_app

    celery = make_app(redis_url)
    victim, survivor = _worker(env), _worker(env)
    stop = threading.Event()
    scheduler = threading.Thread(
        target=run_loop,
        args=(engine, dispatcher(celery), timedelta(seconds=0.5), stop),
        # periods={}: this scheduler only dispatches; the runs are enqueued below at NOW.
        kwargs={"redispatch_after": timedelta(seconds=LEASE_S), "periods": {}},
        daemon=True,
    )
    from thermowatch.jobs.scheduler import enqueue_due

    enqueue_due(engine, NOW, {"accuracy": timedelta(days=1), "drift": timedelta(days=1)})
    try:
        started = time.monotonic()
        scheduler.start()
        # Kill the victim (whole process group) while it holds a run.
        host = socket.gethostname()
        killed_run = None
        deadline = time.monotonic() + 240
        while killed_run is None and time.monotonic() < deadline:
            for run_id in _running_claims(engine, f"{host}:"):
                with engine.connect() as conn:
                    who = conn.execute(
                        select(job_runs.c.claimed_by).where(job_runs.c.id == run_id)
                    ).scalar_one()
                pid = int(who.rsplit(":", 1)[1])
                if os.getpgid(pid) == victim.pid:
                    os.killpg(victim.pid, signal.SIGKILL)
                    killed_run = run_id
                    break
            time.sleep(0.01)
        assert killed_run is not None, "the victim never picked up a run"
        victim.wait(10)

        while time.monotonic() < deadline:
            counts = run_counts(engine)
            if counts.get("done", 0) >= 2 * N_TRANSFORMERS:
                break
            time.sleep(0.2)
    finally:
        stop.set()
        for proc in (victim, survivor):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(20)

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
