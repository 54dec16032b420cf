"""What a job is to its runners: the output it returns, and how long its run is leased."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

#: How long a worker may hold a run before another may take it over. Longer than any job.
LEASE = timedelta(minutes=10)


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
