"""Which lifecycle runs are due, and the loop that hands them to a runner.

One machine: :func:`run_loop` with the in-process dispatcher executes runs itself (no extra
service). A fleet: the same loop with the Celery dispatcher only sends run ids to the workers
(``thermowatch scheduler --celery``); several schedulers may run, enqueueing is idempotent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from thermowatch.errors import InputError
from thermowatch.jobs.job import LEASE, JobSettings
from thermowatch.jobs.model_facts import lifecycle_facts
from thermowatch.jobs.promotion import settle_decisions
from thermowatch.jobs.runner import execute
from thermowatch.jobs.tasks import transformer_changed_since
from thermowatch.store.engine import write_transaction
from thermowatch.store.jobs import champion_transformers, enqueue_runs, runs_to_dispatch
from thermowatch.store.models import champion

log = logging.getLogger(__name__)

#: Default period of each job kind.
PERIODS: dict[str, timedelta] = {
    "accuracy": timedelta(days=1),
    "drift": timedelta(days=1),
    # The original design's cadence, counted from the end of the champion's training data;
    # drift triggers it sooner.
    "retrain": timedelta(days=90),
}

Dispatcher = Callable[[Iterable[int]], None]


def logical_time(now: datetime, period: timedelta) -> datetime:
    """Start of the period containing ``now`` (UTC epoch-aligned), the run's key."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + ((now - epoch) // period) * period


def enqueue_due(
    engine: Engine, now: datetime, periods: Mapping[str, timedelta] = PERIODS
) -> dict[str, int]:
    """Create this period's runs of every kind for every transformer with a champion; a
    retraining run only when it is due (:func:`retrain_due`)."""
    fleet = champion_transformers(engine)
    due = retrain_due(engine, fleet, now, periods["retrain"]) if "retrain" in periods else {}
    counts = {}
    with write_transaction(engine) as conn:
        for kind, period in periods.items():
            if kind == "retrain":
                counts[kind] = sum(len(enqueue_runs(conn, kind, [tid], when, at=now))
                                   for tid, when in due.items())  # fmt: skip
            else:
                key = logical_time(now, period)
                counts[kind] = len(enqueue_runs(conn, kind, fleet, key, at=now))
    return counts


def retrain_due(
    engine: Engine, fleet: Iterable[str], now: datetime, period: timedelta
) -> dict[str, datetime]:
    """Transformer → the retraining mark passed last: its champion's training-data end plus a
    whole number (≥ 1) of ``period``. A transformer with a "transformer changed" alarm open is
    not retrained (a person must look first), nor one whose model lacks its training window
    (the accuracy and drift checks say why)."""
    out = {}
    for tid in fleet:
        model = champion(engine, tid)
        if model is None:
            continue
        try:
            end = lifecycle_facts(engine, model).train_end
        except InputError as exc:
            log.info("retrain of %s not scheduled: %s", tid, exc)
            continue
        marks = (now - end) // period
        if marks >= 1 and transformer_changed_since(engine, tid, now) is None:
            out[tid] = end + marks * period
    return out


def in_process(engine: Engine, settings: JobSettings) -> Dispatcher:
    """A dispatcher that executes runs right here, one after the other, with ``settings``."""

    def dispatch(run_ids: Iterable[int]) -> None:
        for run_id in run_ids:
            try:
                execute(engine, run_id, settings)
            except Exception as exc:  # one run cannot stop the others of the tick
                log.warning("run %s could not complete: %s", run_id, exc)

    return dispatch


def tick(
    engine: Engine,
    dispatch: Dispatcher,
    now: datetime | None = None,
    periods: Mapping[str, timedelta] = PERIODS,
    redispatch_after: timedelta = LEASE,
    phase: int = 1,
) -> list[int]:
    """One scheduler step: enqueue what is due, send what needs sending; return the ids sent.
    ``phase``: the deployment phase (the jobs' settings) that gates a decision left undone."""
    now = now or datetime.now(UTC)
    settle_decisions(engine, now - redispatch_after, phase)  # what a killed worker left undone
    enqueue_due(engine, now, periods)
    ids = runs_to_dispatch(engine, redispatch_after, at=now)
    if ids:
        dispatch(ids)
    return ids


def run_loop(
    engine: Engine,
    dispatch: Dispatcher,
    interval: timedelta,
    stop: threading.Event,
    periods: Mapping[str, timedelta] = PERIODS,
    redispatch_after: timedelta = LEASE,
    phase: int = 1,
) -> None:
    """Call :func:`tick` every ``interval`` until ``stop`` is set; a failing tick is logged and
    retried at the next one (the database may be down for a while)."""
    while not stop.is_set():
        try:
            sent = tick(engine, dispatch, periods=periods, redispatch_after=redispatch_after,
                        phase=phase)  # fmt: skip
            if sent:
                log.info("scheduler: %d run(s) dispatched", len(sent))
        except Exception as exc:  # keep scheduling through a database outage
            log.warning("scheduler tick failed: %s", exc)
        stop.wait(interval.total_seconds())
