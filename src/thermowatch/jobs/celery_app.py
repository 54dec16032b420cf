"""Lifecycle runs fanned out over Celery workers, Redis as broker.

Messages carry run ids only; the store decides (see :mod:`thermowatch.jobs.runner`). Settings
that make a killed worker harmless: ``acks_late`` + ``reject_on_worker_lost`` (the message is
redelivered), prefetch 1 (a worker never hoards runs), and the scheduler's lease-based
redispatch for the case the broker keeps the message invisible (Redis visibility timeout).

Environment: ``THERMOWATCH_BROKER_URL`` (default ``redis://127.0.0.1:6379/0``),
``THERMOWATCH_DATABASE_URL`` (the store), ``THERMOWATCH_JOB_LEASE_S`` (default 600),
``THERMOWATCH_MODELS_DIR``, the settings file's ``[alerts]`` or ``THERMOWATCH_ALERTS_CONFIG`` (the
phase): read once, by the
module's ``app`` (the entry point ``celery -A`` imports), into the
:class:`~thermowatch.jobs.job.JobSettings` its task runs with.
"""

from __future__ import annotations

from functools import cache

from celery import Celery
from celery.signals import worker_process_init
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from thermowatch.jobs.job import JobSettings
from thermowatch.jobs.runner import LeaseLost, execute, one_numeric_thread
from thermowatch.settings import environment, read_settings
from thermowatch.store.engine import make_engine

TASK = "thermowatch.run_job"


@cache
def _engine() -> Engine:
    # One engine (connection pool) per worker process, created after the fork.
    return make_engine()


def make_app(settings: JobSettings) -> Celery:
    """The Celery application with the one task, ``thermowatch.run_job(run_id)``, run with
    ``settings`` (broker, lease, models directory)."""
    app = Celery("thermowatch", broker=settings.broker_url)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )

    @app.task(name=TASK, bind=True, max_retries=5)
    def run_job(self, run_id: int) -> str:  # type: ignore[no-untyped-def]
        try:
            return execute(_engine(), int(run_id), settings)
        except LeaseLost:
            return "lost"  # another worker finished it: nothing to redo
        except OperationalError as exc:  # database unavailable: try again later
            raise self.retry(exc=exc, countdown=min(60, 2**self.request.retries)) from exc

    return app


@worker_process_init.connect
def _one_thread_per_process(**_: object) -> None:
    one_numeric_thread()  # each prefork child runs one job at a time: parallel by processes


def dispatcher(app: Celery):  # type: ignore[no-untyped-def]
    """A scheduler dispatcher that sends run ids to the workers."""

    def dispatch(run_ids) -> None:  # type: ignore[no-untyped-def]
        for run_id in run_ids:
            app.send_task(TASK, args=[run_id])

    return dispatch


#: ``celery -A thermowatch.jobs.celery_app worker`` finds it here: this module is an entry
#: point, so it resolves the settings (once, at import) and hands them to the app.
app = make_app(JobSettings.resolve(environment(), read_settings(None)))
