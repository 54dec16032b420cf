"""What every source hands the monitor: timestamped samples per transformer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from thermowatch.ingest.backoff import Backoff
from thermowatch.ingest.config import SourceConfig, TransformerConfig

log = logging.getLogger("thermowatch.ingest")
DOWN_LOG_EVERY_S = 60.0  # while a source stays down, one log line a minute


@dataclass(frozen=True)
class Sample:
    """Values of one transformer at one instant (a consistent snapshot).

    ``ts`` is timezone-aware UTC; ``values`` maps variable names to numbers in their unit
    (``None`` when the source gave no value). ``source`` says where it came from
    (``"opcua:opc.tcp://..."``); ``quality`` is the source's own verdict on some values,
    ``variable -> (SUSPECT | REJECTED, reason)`` (an OPC UA status name, a Modbus exception,
    IEC 104 quality bits), which the live pipeline applies before its own checks.
    """

    ts: datetime
    values: dict[str, Any]  # numbers, None, or what the source sent (refused later)
    source: str
    quality: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        """Whether the source refused not every value (a sample of refusals is no data)."""
        return any(self.quality.get(v, ("",))[0] != "REJECTED" for v in self.values)


class FieldConfigError(Exception):
    """A refusal that retrying will not cure: wrong password, untrusted or mismatched
    certificate, unknown namespace URI. Named in the log and retried only after a long
    backoff (the operator must act), never as a transient "connection lost"."""


def quiet_client_logs(*names: str) -> None:
    """Silence the protocol libraries' own logs below CRITICAL (their tracebacks on a server's
    graceful stop, their hex dumps of frames): our hubs log what the operator needs (link lost,
    refused and why, back, a unit's exception) themselves, in one line."""
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL)


class Hub(ABC):
    """One client connection serving one or more transformers.

    Push sources (MQTT, OPC UA subscriptions) queue every sample they receive and hand all of
    them over at the next :meth:`collect`, so that none is lost between two periods; polled
    sources (Modbus, OPC UA polling) read once per :meth:`collect`.
    The hub reconnects by itself: at once, then with the short :attr:`backoff` while the link
    fails, or after the long :attr:`refused_backoff` when the server refused us for a reason
    only a person can fix (:class:`FieldConfigError`).
    """

    def __init__(self, config: SourceConfig) -> None:
        self.config = config
        self.transformers: dict[str, TransformerConfig] = {}
        self.connected = asyncio.Event()
        self.backoff = Backoff()
        self.refused_backoff = Backoff(base_s=60.0, cap_s=600.0)
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.reconnects = 0
        self.refusal: str | None = None  # why the server refused us, until it accepts
        self._down_since: float | None = None  # monotonic start of the current outage
        self._down_said = 0.0
        #: Configuration problems found at connection, one sentence per transformer and
        #: variable (unknown node, unreadable register); those values are left out.
        self.problems: dict[tuple[str, str], str] = {}
        #: Only a share of the transformers' messages comes here (an MQTT shared subscription):
        #: a period without data for one of them is no sign of silence.
        self.shared = False

    def add(self, transformer: TransformerConfig) -> None:
        """Register a transformer served by this connection (before :meth:`start`)."""
        self.transformers[transformer.id] = transformer

    async def start(self) -> None:
        """Start connecting in the background (returns at once).

        The reconnect backoff never waits more than half the shortest period of its
        transformers: a server back is read again within one period."""
        periods = [t.period_s for t in self.transformers.values()]
        if periods:
            self.backoff.cap_s = min(self.backoff.cap_s, max(0.2, 0.5 * min(periods)))
        self._task = asyncio.create_task(self._supervise(), name=f"hub {self.label}")

    async def _supervise(self) -> None:
        while not self._closing:
            try:
                await self._run_connected()
            except asyncio.CancelledError:
                raise
            except FieldConfigError as exc:
                self.connected.clear()
                delay = self.refused_backoff.next_delay()
                if self.refusal != str(exc):
                    log.error("%s: refused: %s (next attempt in %.0f s)", self.label, exc, delay)
                self.refusal = str(exc)
                self.reconnects += 1
                if not self._closing:
                    await asyncio.sleep(delay)
                continue
            except Exception as exc:  # any client error: drop the link and retry soon
                if not self._closing:
                    self._say_down(describe(exc))
            self.connected.clear()
            if self._closing:
                break
            delay = self.backoff.next_delay()
            self.reconnects += 1
            await asyncio.sleep(delay)

    def _say_down(self, why: str) -> None:
        """Log a failed attempt: the first of an outage, then one line a minute at most."""
        now = time.monotonic()
        if self._down_since is None:
            self._down_since, self._down_said = now, now
            log.warning("%s: connection lost or refused (%s)", self.label, why)
        elif now - self._down_said >= DOWN_LOG_EVERY_S:
            self._down_said = now
            log.warning(
                "%s: still unreachable after %.0f s (%s)", self.label, now - self._down_since, why
            )

    def _up(self) -> None:
        """The link is up: reset both backoffs, say so if we were refused or down."""
        if self.refusal is not None:
            log.warning("%s: accepted again after: %s", self.label, self.refusal)
        if self._down_since is not None:
            log.info(
                "%s: reconnected after %.1f s", self.label, time.monotonic() - self._down_since
            )
        self._down_since = None
        self.refusal = None
        self.backoff.reset()
        self.refused_backoff.reset()
        self.connected.set()

    def unchanged(self, tid: str) -> bool:
        """Whether a transformer without samples this period is known to be unchanged (an
        OPC UA subscription alive and silent: it reports changes only), not silent."""
        return False

    def problem(self, tid: str, variable: str, message: str) -> None:
        """Report a configuration problem of one transformer and variable once (ERROR log)."""
        if self.problems.get((tid, variable)) != message:
            log.error("%s: %s / %s: %s", self.label, tid, variable, message)
        self.problems[(tid, variable)] = message

    @abstractmethod
    async def _run_connected(self) -> None:
        """Connect, set :attr:`connected`, serve until the link fails (raise) or closing."""

    @abstractmethod
    async def collect(self, ids: Sequence[str], now: datetime) -> dict[str, list[Sample]]:
        """Samples since the previous call for the transformers ``ids`` (missing: no data)."""

    async def rebalance(self, owned: set[str]) -> None:
        """Monitors sharing a fleet: this monitor now collects only ``owned``. Polled sources
        read only the ids asked at :meth:`collect`: nothing to do by default."""
        return

    async def adopt(self, member: str) -> int:
        """Take what the source still holds for the monitor ``member`` that died (MQTT: its
        persistent session); how many messages. Nothing by default."""
        return 0

    def queued_ids(self) -> set[str]:
        """Transformers with samples received and not yet collected (push sources)."""
        return set()

    def pop_receive_lag(self) -> float | None:
        """The longest a sample took from its timestamp to its reception since the previous
        call [s] (push sources that know it; ``None`` otherwise), and start over."""
        return None

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


def describe(exc: BaseException) -> str:
    """An exception as a short clause for a log line (its type when it has no message)."""
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return text or type(exc).__name__
