"""The job kinds: name → function ``job(engine, transformer_id, at, settings) -> JobOutput``
(``settings``: the :class:`~thermowatch.jobs.job.JobSettings` the runner was given).

Adding a job is one function (in :mod:`thermowatch.jobs.tasks`, or a module of its own) plus
one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from thermowatch.alerts.config import AlertsConfig
from thermowatch.jobs.job import JobOutput, JobSettings
from thermowatch.jobs.tasks import check_model_drift, score_accuracy

Job = Callable[[Engine, str, datetime, JobSettings], JobOutput]


def retrain_job(engine: Engine, transformer_id: str, at: datetime, settings: JobSettings
                ) -> JobOutput:  # fmt: skip
    """See :func:`thermowatch.jobs.retrain.retrain` (imported lazily: it pulls in training)."""
    from thermowatch.jobs.retrain import retrain

    return retrain(engine, transformer_id, at, settings)


def _alerting(job: Callable[[Engine, str, datetime, AlertsConfig], JobOutput]) -> Job:
    """A check that raises alarms: it takes only the alerts settings."""
    return lambda engine, transformer_id, at, settings: job(
        engine, transformer_id, at, settings.alerts
    )


JOBS: dict[str, Job] = {
    "accuracy": _alerting(score_accuracy),
    "drift": _alerting(check_model_drift),
    "retrain": retrain_job,
}
