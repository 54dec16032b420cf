"""The job kinds: name → function ``job(engine, transformer_id, at) -> JobOutput``.

Adding a job is one function (in :mod:`thermowatch.jobs.tasks`, or a module of its own) plus
one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from thermowatch.jobs.job import JobOutput
from thermowatch.jobs.tasks import check_model_drift, score_accuracy


def retrain_job(engine: Engine, transformer_id: str, at: datetime) -> JobOutput:
    """See :func:`thermowatch.jobs.retrain.retrain` (imported lazily: it pulls in training)."""
    from thermowatch.jobs.retrain import retrain

    return retrain(engine, transformer_id, at)


JOBS: dict[str, Callable[[Engine, str, datetime], JobOutput]] = {
    "accuracy": score_accuracy,
    "drift": check_model_drift,
    "retrain": retrain_job,
}
