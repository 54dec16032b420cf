"""``thermowatch jobs ...``, ``thermowatch worker`` and ``thermowatch scheduler``: the model
lifecycle jobs (live accuracy, drift), in process on one machine or on Celery for a fleet.

Imports happen inside the commands so that ``thermowatch --help`` stays fast.
"""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from thermowatch.cli.db import DatabaseUrl, _echo, _engine

if TYPE_CHECKING:
    from thermowatch.jobs.job import JobSettings


def job_settings() -> JobSettings:
    """The jobs' settings, resolved once by the command that runs them and passed down."""
    from thermowatch.jobs.job import JobSettings
    from thermowatch.settings import environment, read_settings

    return JobSettings.resolve(environment(), read_settings(None))


app = typer.Typer(help="Model lifecycle jobs: live accuracy, drift checks, retraining.",
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
    """Run every due job now, in this process (what the in-process scheduler does each tick).
    Exits 1 when a run failed (each failure is printed with its cause)."""
    from thermowatch.errors import InputError
    from thermowatch.jobs.scheduler import PERIODS, in_process, tick
    from thermowatch.store.jobs import get_run, run_counts

    unknown = sorted(set(kind or ()) - set(PERIODS))
    if unknown:
        raise InputError(f"--kind {unknown[0]!r} is not a job; known: {', '.join(PERIODS)}.")
    periods = {k: v for k, v in PERIODS.items() if not kind or k in kind}
    engine = _engine(database_url)
    settings = job_settings()
    sent = tick(engine, in_process(engine, settings), now=_utc(at), periods=periods,
                phase=settings.phase)  # fmt: skip
    counts = run_counts(engine)
    _echo(f"{len(sent)} run(s) executed; runs by status: {json.dumps(counts)}")
    failed = [r for r in (get_run(engine, i) for i in sent) if r and r.status != "done"]
    for r in failed:
        _echo(f"{r.kind} {r.transformer_id}: {r.status}: {r.error or '-'}")
    if failed:
        raise typer.Exit(1)


def job_status(engine) -> dict:  # type: ignore[no-untyped-def]
    """Runs per kind and status, and per transformer the latest run of every job kind in the
    registry: its logical time, status, verdict and reason (or error)."""
    from thermowatch.jobs.registry import JOBS
    from thermowatch.store.jobs import champion_transformers, latest_runs, run_counts

    latest = latest_runs(engine)
    out: dict = {"runs": {k: run_counts(engine, k) for k in JOBS}, "transformers": {}}
    for tid in sorted(set(champion_transformers(engine)) | set(latest)):
        runs = latest.get(tid, {})
        out["transformers"][tid] = {
            k: None if k not in runs else {
                "at": runs[k].scheduled_for.isoformat(), "status": runs[k].status,
                "verdict": (runs[k].result or {}).get("verdict"),
                "reason": (runs[k].result or {}).get("reason") or runs[k].error,
            }
            for k in JOBS
        }  # fmt: skip
    return out


@app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Runs by kind and status, and each transformer's latest run and verdict of every job."""
    out = job_status(_engine(database_url))
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    _echo(f"runs: {json.dumps(out['runs'])}")
    for tid, latest in out["transformers"].items():
        parts = [f"{k} " + ("-" if r is None else f"{r['verdict'] or r['status']} ({r['at'][:10]})")
                 for k, r in latest.items()]  # fmt: skip
        _echo(f"{tid}: " + ", ".join(parts))


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
    settings = job_settings()
    if celery:
        from thermowatch.jobs.celery_app import dispatcher, make_app

        dispatch = dispatcher(make_app(settings))
    else:
        dispatch = in_process(engine, settings)
    redispatch = settings.lease
    _echo(f"scheduler started ({'celery' if celery else 'in process'}, every {interval_s:g} s)")
    run_loop(engine, dispatch, timedelta(seconds=interval_s), _stop_on_signals(),
             redispatch_after=redispatch, phase=settings.phase)  # fmt: skip


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
