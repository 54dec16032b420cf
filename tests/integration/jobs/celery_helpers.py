"""Real Celery workers for the tests: start one, find the run it holds, kill it mid-run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from thermowatch.jobs.scheduler import run_loop
from thermowatch.store.jobs import run_counts
from thermowatch.store.tables import job_runs, model_versions

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_env(redis_url: str, database_url: str, lease_s: float, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "THERMOWATCH_BROKER_URL": redis_url,
        "THERMOWATCH_DATABASE_URL": database_url,
        "THERMOWATCH_JOB_LEASE_S": str(lease_s),
        **extra,
    }


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    """``thermowatch worker -c 1`` in its own process group (killed as a whole)."""
    return subprocess.Popen(
        [sys.executable, "-m", "thermowatch", "worker", "-c", "1"],
        env=env, cwd=REPO, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def start_dispatcher(engine: Engine, redis_url: str, lease_s: float) -> threading.Event:
    """A scheduler thread that only dispatches queued (and lease-expired) runs to Celery."""
    from dataclasses import replace

    from lifecycle_helpers import CHECKS_ONLY

    from thermowatch.jobs.celery_app import dispatcher, make_app

    stop = threading.Event()
    threading.Thread(
        target=run_loop,
        args=(
            engine,
            dispatcher(make_app(replace(CHECKS_ONLY, broker_url=redis_url))),
            timedelta(seconds=0.5),
            stop,
        ),
        kwargs={"redispatch_after": timedelta(seconds=lease_s), "periods": {}},
        daemon=True,
    ).start()
    return stop


def kill_while_running(engine: Engine, victim: subprocess.Popen, deadline: float) -> int | None:
    """SIGKILL the victim's process group as soon as one of its processes holds a run; return
    that run's id (``None`` if it never held one before ``deadline``)."""
    host = socket.gethostname()
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            held = conn.execute(
                select(job_runs.c.id, job_runs.c.claimed_by).where(
                    job_runs.c.status == "running", job_runs.c.claimed_by.like(f"{host}:%")
                )
            ).all()
        for run_id, who in held:
            try:
                group = os.getpgid(int(who.rsplit(":", 1)[1]))
            except ProcessLookupError:
                continue
            if group == victim.pid:
                os.killpg(victim.pid, signal.SIGKILL)
                victim.wait(10)
                return int(run_id)
        time.sleep(0.01)
    return None


def wait_done(engine: Engine, n: int, deadline: float) -> None:
    while time.monotonic() < deadline and run_counts(engine).get("done", 0) < n:
        time.sleep(0.2)


def wait_decided(engine: Engine, deadline: float) -> None:
    """A retrain's promotion decision is applied just after its run is stored as done: wait
    until no challenger is left undecided, so stopping the workers does not cut that step."""
    undecided = select(func.count()).select_from(model_versions).where(
        model_versions.c.status == "challenger")  # fmt: skip
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(undecided).scalar_one() == 0:
                return
        time.sleep(0.2)


def stop_workers(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
