"""What a job is to its runners: the output it returns, and how long its run is leased."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from thermowatch.settings import Environment

#: How long a worker may hold a run before another may take it over. Longer than any job.
LEASE = timedelta(minutes=10)
#: Celery's broker when ``THERMOWATCH_BROKER_URL`` names none.
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class JobSettings:
    """What the jobs and their runners take from the settings tree, resolved once by their
    entry point (a ``thermowatch`` command, the Celery worker module) and passed down.

    Attributes
    ----------
    models_dir : where retrained artifacts are written (one directory per transformer).
    broker_url : Celery's broker (Redis).
    lease : how long a worker holds a run before another may take it over.
    phase : the deployment phase (the alerts settings' ``phase``, 1-4) whose gate a retrained
        model's promotion passes.
    """

    models_dir: Path
    broker_url: str = DEFAULT_BROKER
    lease: timedelta = LEASE
    phase: int = 1

    @classmethod
    def from_environment(cls, env: Environment) -> JobSettings:
        """``THERMOWATCH_MODELS_DIR`` (else ``models/`` in the data directory: never the working
        directory, a run must not write into a repository), ``THERMOWATCH_BROKER_URL``,
        ``THERMOWATCH_JOB_LEASE_S`` [s], the phase of ``THERMOWATCH_ALERTS_CONFIG`` (else 1)."""
        from thermowatch.alerts.config import load_config
        from thermowatch.paths import default_models_dir

        return cls(
            Path(env.models_dir) if env.models_dir else default_models_dir(),
            env.broker_url or DEFAULT_BROKER,
            LEASE if env.job_lease_s is None else timedelta(seconds=env.job_lease_s),
            int(load_config(env.alerts_config).phase),
        )


@dataclass
class JobOutput:
    """What a job concluded: a JSON-ready result and the rows to write with it."""

    result: dict[str, Any]
    writes: list[Callable[[Connection], None]] = field(default_factory=list)
    #: Run after the run's transaction committed (alerts: the engine owns its transaction and
    #: is idempotent on the same value, so a retried run does not raise twice).
    after: list[Callable[[], object]] = field(default_factory=list)
    #: Run when the output could not be stored (a retrained artifact nobody registered).
    discard: list[Callable[[], object]] = field(default_factory=list)

    def write(self, conn: Connection) -> None:
        for w in self.writes:
            w(conn)
