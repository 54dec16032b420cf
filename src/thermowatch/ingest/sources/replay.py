"""Replay source: a measurement file played back at real or accelerated speed.

Sample ``i`` (file time ``t_i``) becomes due ``(t_i - t_0) / speed`` seconds after the start;
each :meth:`collect` hands over every sample that became due, with its original timestamp.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from thermowatch.ingest.sources.base import Hub, Sample

log = logging.getLogger("thermowatch.ingest")


class ReplayHub(Hub):
    """One measurement file, served to the transformers that name it."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._frame: Any = None
        self._next = 0
        self._t0 = 0.0
        self.finished = False

    async def _run_connected(self) -> None:
        from thermowatch.data import read_readings

        if self._frame is None:
            frame = read_readings(self.config.path).frame
            self._frame = frame
            self._offsets = (
                frame.index - frame.index[0]
            ).total_seconds().to_numpy() / self.config.speed
            self._t0 = time.monotonic()
            log.info("%s: %d rows at speed x%g", self.label, len(frame), self.config.speed)
        self.connected.set()
        while not self._closing:
            import asyncio

            await asyncio.sleep(3600)

    async def collect(self, ids: Sequence[str], now: datetime) -> dict[str, list[Sample]]:
        """Rows of the file due by now (original timestamps), for every transformer asked."""
        if self._frame is None:
            return {}
        elapsed = time.monotonic() - self._t0
        end = int(np.searchsorted(self._offsets, elapsed, side="right"))
        if end >= len(self._frame) and self.config.loop:
            self._next, self._t0, end = 0, time.monotonic(), 1
        rows = self._frame.iloc[self._next : end]
        self._next = max(self._next, end)
        self.finished = self._next >= len(self._frame)
        samples = []
        for ts, row in zip(rows.index, rows.to_numpy(dtype=float), strict=True):
            values = {
                str(c): float(v) for c, v in zip(rows.columns, row, strict=True) if np.isfinite(v)
            }
            if values:
                samples.append(Sample(ts.to_pydatetime(), values, self.label))
        return {tid: list(samples) for tid in ids} if samples else {}
