"""What every source hands the monitor: timestamped samples per transformer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from thermowatch.ingest.backoff import Backoff
from thermowatch.ingest.config import SourceConfig, TransformerConfig

log = logging.getLogger("thermowatch.ingest")


@dataclass(frozen=True)
class Sample:
    """Values of one transformer at one instant (a consistent snapshot).

    ``ts`` is timezone-aware UTC; ``values`` maps variable names to numbers in their unit.
    ``source`` says where it came from (``"opcua:opc.tcp://..."``); ``quality`` is the source's
    own verdict on some values, ``variable -> (SUSPECT | REJECTED, reason)`` (IEC 104 quality
    bits), which the live pipeline applies before its own checks.
    """

    ts: datetime
    values: dict[str, float]
    source: str
    quality: dict[str, tuple[str, str]] = field(default_factory=dict)


class Hub(ABC):
    """One client connection serving one or more transformers.

    Push sources (MQTT, OPC UA subscriptions) queue every sample they receive and hand all of
    them over at the next :meth:`collect`, so that none is lost between two periods; polled
    sources (Modbus, OPC UA polling) read once per :meth:`collect`, stamped with ``now``.
    The hub reconnects by itself with :class:`~thermowatch.ingest.backoff.Backoff`.
    """

    def __init__(self, config: SourceConfig) -> None:
        self.config = config
        self.transformers: dict[str, TransformerConfig] = {}
        self.connected = asyncio.Event()
        self.backoff = Backoff()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.reconnects = 0
        #: Only a share of the transformers' messages comes here (an MQTT shared subscription):
        #: a period without data for one of them is no sign of silence.
        self.shared = False

    def add(self, transformer: TransformerConfig) -> None:
        """Register a transformer served by this connection (before :meth:`start`)."""
        self.transformers[transformer.id] = transformer

    async def start(self) -> None:
        """Start connecting in the background (returns at once)."""
        self._task = asyncio.create_task(self._supervise(), name=f"hub {self.label}")

    async def _supervise(self) -> None:
        while not self._closing:
            try:
                await self._run_connected()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any client error: drop the link and retry later
                log.warning("%s: connection lost or refused (%s)", self.label, exc)
            self.connected.clear()
            if self._closing:
                break
            delay = self.backoff.next_delay()
            self.reconnects += 1
            await asyncio.sleep(delay)

    @abstractmethod
    async def _run_connected(self) -> None:
        """Connect, set :attr:`connected`, serve until the link fails (raise) or closing."""

    @abstractmethod
    async def collect(self, ids: Sequence[str], now: datetime) -> dict[str, list[Sample]]:
        """Samples since the previous call for the transformers ``ids`` (missing: no data)."""

    async def settle(self) -> None:
        """The samples collected so far are durable (stored, spooled or quarantined): a
        source that can be told (MQTT) acknowledges them now. Nothing to do by default."""
        return

    async def close(self) -> None:
        """Disconnect (idempotent)."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self.connected.clear()

    @property
    def label(self) -> str:
        """Short description for logs."""
        c = self.config
        if c.protocol == "opcua":
            return f"opcua:{c.endpoint}"
        if c.protocol == "replay":
            return f"replay:{c.path}"
        return f"{c.protocol}:{c.host}:{c.port}"
