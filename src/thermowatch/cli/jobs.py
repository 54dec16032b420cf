"""``thermowatch jobs ...``, ``thermowatch worker`` and ``thermowatch scheduler``: the model
lifecycle jobs (live accuracy, drift), in process on one machine or on Celery for a fleet.

Imports happen inside the commands so that ``thermowatch --help`` stays fast.
"""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from thermowatch.cli.db import DatabaseUrl, _echo, _engine

app = typer.Typer(help="Model lifecycle jobs: live accuracy and drift checks.",
                  no_args_is_help=True)  # fmt: skip

At = Annotated[
    datetime | None,
    typer.Option("--at", help="Logical time of the runs (UTC); default now.", show_default=False),
]


def _utc(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@app.command("run")
def run(
    at: At = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind", "-k", help="Only these jobs (accuracy, drift, retrain); repeatable."
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Run every due job now, in this process (what the in-process scheduler does each tick)."""
    from thermowatch.errors import InputError
    from thermowatch.jobs.scheduler import PERIODS, in_process, tick
    from thermowatch.store.jobs import run_counts

    unknown = sorted(set(kind or ()) - set(PERIODS))
    if unknown:
        raise InputError(f"--kind {unknown[0]!r} is not a job; known: {', '.join(PERIODS)}.")
    periods = {k: v for k, v in PERIODS.items() if not kind or k in kind}
    engine = _engine(database_url)
    sent = tick(engine, in_process(engine), now=_utc(at), periods=periods)
    counts = run_counts(engine)
    _echo(f"{len(sent)} run(s) executed; runs by status: {json.dumps(counts)}")


@app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Runs by kind and status, and each transformer's latest accuracy and drift verdicts."""
    from thermowatch.store.jobs import champion_transformers, recent_checks, run_counts

    engine = _engine(database_url)
    out = {
        "runs": {k: run_counts(engine, k) for k in ("accuracy", "drift")},
        "transformers": {},
    }
    for tid in champion_transformers(engine):
        latest = {}
        for kind in ("accuracy", "drift"):
            rows = recent_checks(engine, tid, kind, limit=1)
            latest[kind] = rows[0]["verdict"] if rows else None
        out["transformers"][tid] = latest
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    _echo(f"runs: {json.dumps(out['runs'])}")
    for tid, latest in out["transformers"].items():
        _echo(f"{tid}: accuracy {latest['accuracy'] or '-'}, drift {latest['drift'] or '-'}")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def scheduler(
    celery: Annotated[
        bool, typer.Option("--celery", help="Send runs to Celery workers instead of running them.")
    ] = False,
    interval_s: Annotated[float, typer.Option("--interval", help="Seconds between ticks.")] = 60,
    database_url: DatabaseUrl = None,
) -> None:
    """Enqueue the lifecycle jobs when due and dispatch them (in process, or to Celery)."""
    from thermowatch.jobs.scheduler import in_process, run_loop

    engine = _engine(database_url)
    if celery:
        from thermowatch.jobs.celery_app import app as celery_app
        from thermowatch.jobs.celery_app import dispatcher, lease

        dispatch, redispatch = dispatcher(celery_app), lease()
    else:
        from thermowatch.jobs.runner import LEASE

        dispatch, redispatch = in_process(engine), LEASE
    _echo(f"scheduler started ({'celery' if celery else 'in process'}, every {interval_s:g} s)")
    run_loop(engine, dispatch, timedelta(seconds=interval_s), _stop_on_signals(),
             redispatch_after=redispatch)  # fmt: skip


def worker(
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1)] = 1,
    queues: Annotated[str, typer.Option("--queues", "-Q")] = "celery",
) -> None:
    """A Celery worker for lifecycle jobs (broker: THERMOWATCH_BROKER_URL, Redis)."""
    from thermowatch.jobs.celery_app import app as celery_app

    celery_app.worker_main(
        ["worker", f"--concurrency={concurrency}", f"--queues={queues}", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--pool=prefork"]
    )  # fmt: skip
