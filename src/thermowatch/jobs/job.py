"""What a job is to its runners: the output it returns, and how long its run is leased."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from thermowatch.alerts.config import AlertsConfig, alerts_settings
from thermowatch.settings import Environment, SettingsFile

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
    alerts : the alerts settings (resolved like the service's and the monitor's: the
        ``[alerts]`` section of the settings file, else the alerts file): the checks' alarms and
        the deployment phase whose gate a retrained model's promotion passes.
    """

    models_dir: Path
    broker_url: str = DEFAULT_BROKER
    lease: timedelta = LEASE
    alerts: AlertsConfig = field(default_factory=AlertsConfig)

    @property
    def phase(self) -> int:
        """The deployment phase (1-4) of :attr:`alerts`."""
        return int(self.alerts.phase)

    @classmethod
    def resolve(cls, env: Environment, file: SettingsFile) -> JobSettings:
        """``THERMOWATCH_MODELS_DIR`` (else ``models/`` in the data directory: never the working
        directory, a run must not write into a repository), ``THERMOWATCH_BROKER_URL``,
        ``THERMOWATCH_JOB_LEASE_S`` [s], and the alerts settings of ``file`` (its ``[alerts]``,
        else ``THERMOWATCH_ALERTS_CONFIG``, else phase 1)."""
        from thermowatch.paths import default_models_dir

        return cls(
            Path(env.models_dir) if env.models_dir else default_models_dir(),
            env.broker_url or DEFAULT_BROKER,
            LEASE if env.job_lease_s is None else timedelta(seconds=env.job_lease_s),
            alerts_settings(file, env.alerts_config),
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
