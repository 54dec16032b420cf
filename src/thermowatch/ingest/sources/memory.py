"""A source fed in the same process: whoever produces the samples puts them in
:attr:`MemoryHub.pending` and the monitor collects them at its next period, with no network.

Used where the field model runs beside the monitor (benchmarks of the monitor at fleet scale,
the scenario tests) so that they exercise the real monitor cycle, not a copy of it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from thermowatch.ingest.sources.base import Hub, Sample


class MemoryHub(Hub):
    """Hands over, per transformer asked for, the samples waiting in :attr:`pending`."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.pending: dict[str, list[Sample]] = {}

    async def _run_connected(self) -> None:
        self.connected.set()
        await asyncio.Event().wait()  # nothing to connect to: stay up until cancelled

    async def collect(self, ids: Sequence[str], now: datetime) -> dict[str, list[Sample]]:
        return {t: self.pending.pop(t) for t in ids if t in self.pending}
