"""IEC 60870-5-104 source (c104): measured values of RTUs, with their quality bits and times.

One client connection per RTU (host, port); each transformer names its station (common address)
and the information object address (IOA) of each variable. On every connection the client sends
a general interrogation (``Init.INTERROGATION``: the RTU answers every point), then keeps the
spontaneous and periodic updates the RTU sends. Whatever type the RTU uses for a point (short
float, scaled, normalized, with or without a CP56Time2a time tag) is accepted: points are
registered as they first arrive, so the config needs no ASDU type.

Each period the hub hands over, per transformer, one sample with the newest value of every
variable that was updated since the previous period (a value not sent again is not stored
again), stamped with the newest time tag among them (the reception time for untagged types).
Quality descriptor bits decide the verdict before our own checks (:func:`quality_verdict`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from thermowatch.errors import InputError
from thermowatch.ingest.config import InformationObject
from thermowatch.ingest.sources.base import Hub, Sample
from thermowatch.live.validate import REJECTED, SUSPECT

log = logging.getLogger("thermowatch.ingest")
CONNECT_TIMEOUT_S = 5.0
WATCH_S = 0.2  # how often the link state is looked at [s]
UNMUTE_AFTER_S = 1.0  # a link still muted after this is started by us [s]

#: Quality descriptor bits (IEC 60870-5-101 §7.2.6.3) -> (verdict, meaning). Invalid and
#: overflow values are not measurements; not topical (not refreshed), substituted (entered by
#: an operator) and blocked (frozen for transmission) ones are kept but never predicted on.
QUALITY_BITS = {
    "Invalid": ("IV", REJECTED, "invalid"),
    "Overflow": ("OV", REJECTED, "overflow"),
    "NonTopical": ("NT", SUSPECT, "not topical"),
    "Substituted": ("SB", SUSPECT, "substituted"),
    "Blocked": ("BL", SUSPECT, "blocked"),
}


def quality_verdict(quality: Any) -> tuple[str, str] | None:
    """The verdict of a c104 ``Quality`` (``None``: good): REJECTED when IV or OV is set, else
    SUSPECT when NT, SB or BL is, with a reason naming every bit set."""
    import c104

    if quality is None or quality.is_good():
        return None
    bits = [
        entry
        for name, entry in QUALITY_BITS.items()
        if (quality & getattr(c104.Quality, name)).is_any()
    ]
    if not bits:
        return None
    verdict = REJECTED if any(v == REJECTED for _, v, _ in bits) else SUSPECT
    return verdict, "IEC 104 quality " + ", ".join(f"{code} ({text})" for code, _, text in bits)


def to_number(value: Any) -> Any:
    """A c104 value (float, ``Int16``, ``NormalizedFloat``) as a Python float; anything else
    (a single or double point, a step) as it is, for the pipeline to refuse."""
    if isinstance(value, bool) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def source_time(recorded_at: datetime | None) -> datetime:
    """The CP56Time2a time tag as UTC (c104 gives it naive, in the host's local time), or the
    reception time for a type without one."""
    if recorded_at is None:
        return datetime.now(UTC)
    return recorded_at.astimezone(UTC)


@dataclass(frozen=True)
class Update:
    """The newest value of one variable within a period, with its verdict from the source."""

    ts: datetime
    value: Any
    quality: tuple[str, str] | None


class Iec104Hub(Hub):
    """Transformers whose measured values one RTU (or gateway) serves over IEC 104."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._lock = threading.Lock()  # c104 calls back from its own thread
        self._pending: dict[str, dict[str, Update]] = {}
        self._point_of: dict[tuple[int, int], tuple[str, InformationObject]] = {}
        self.received = 0

    def add(self, transformer: Any) -> None:
        """Register a transformer; two variables may not share one station and IOA."""
        super().add(transformer)
        ca = transformer.source.common_address
        for p in transformer.source.points:
            other = self._point_of.get((ca, p.ioa))
            if other is not None:
                raise InputError(
                    f"transformers {other[0]!r} and {transformer.id!r} both map station {ca} "
                    f"IOA {p.ioa} of {self.label}; give each variable its own IOA"
                )
            self._point_of[(ca, p.ioa)] = (transformer.id, p)

    def _client(self) -> tuple[Any, Any]:
        import c104

        client = c104.Client(tick_rate_ms=50, command_timeout_ms=3000)
        conn = client.add_connection(
            ip=self.config.host, port=self.config.port, init=c104.Init.INTERROGATION
        )
        for ca in sorted({t.source.common_address for t in self.transformers.values()}):
            conn.add_station(common_address=ca)

        def on_new_point(
            client: c104.Client, station: c104.Station, io_address: int, point_type: c104.Type
        ) -> None:
            if (station.common_address, io_address) in self._point_of:
                point = station.add_point(io_address=io_address, type=point_type)
                if point is not None:
                    point.on_receive(callable=on_receive)

        def on_receive(
            point: c104.Point, previous_info: c104.Information, message: c104.IncomingMessage
        ) -> c104.ResponseState:
            self._receive(point)
            return c104.ResponseState.NONE

        # c104 checks a callback's annotations as objects; this module's are strings.
        on_new_point.__annotations__ = {
            "client": c104.Client, "station": c104.Station, "io_address": int,
            "point_type": c104.Type, "return": None,
        }  # fmt: skip
        on_receive.__annotations__ = {
            "point": c104.Point, "previous_info": c104.Information,
            "message": c104.IncomingMessage, "return": c104.ResponseState,
        }  # fmt: skip
        client.on_new_point(callable=on_new_point)
        return client, conn

    def _receive(self, point: Any) -> None:
        station = point.station
        key = (station.common_address if station is not None else 0, point.io_address)
        found = self._point_of.get(key)
        if found is None:
            return
        tid, obj = found
        value = to_number(point.value)
        if isinstance(value, float):
            value = value * obj.scale + obj.offset
        update = Update(source_time(point.recorded_at), value, quality_verdict(point.quality))
        with self._lock:
            self._pending.setdefault(tid, {})[obj.variable] = update
            self.received += 1

    async def _run_connected(self) -> None:
        client, conn = self._client()
        client.start()
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + CONNECT_TIMEOUT_S
            while not conn.is_connected:
                if loop.time() > deadline:
                    raise ConnectionError("no answer from the RTU")
                await asyncio.sleep(WATCH_S)
            await self._activate(conn)
            self.connected.set()
            self.backoff.reset()
            log.info("%s: connected, general interrogation sent", self.label)
            while not self._closing and conn.is_connected:
                await asyncio.sleep(WATCH_S)
            if not self._closing:
                raise ConnectionError("link lost")
        finally:
            self.connected.clear()
            with contextlib.suppress(Exception):  # our own supervisor reconnects, not c104's
                await asyncio.to_thread(client.stop)

    async def _activate(self, conn: Any) -> None:
        """Make sure the link carries data: c104 2.2.1 sometimes leaves a fresh link muted (its
        STARTDT never sent, so neither the interrogation); then start it and interrogate
        every station ourselves."""
        import c104

        loop = asyncio.get_running_loop()
        deadline = loop.time() + UNMUTE_AFTER_S
        while conn.state != c104.ConnectionState.OPEN and loop.time() < deadline:
            await asyncio.sleep(WATCH_S / 4)
        if conn.state == c104.ConnectionState.OPEN_MUTED:
            log.info("%s: link left muted; starting data transfer", self.label)
            await asyncio.to_thread(conn.unmute)
            for ca in sorted({t.source.common_address for t in self.transformers.values()}):
                await asyncio.to_thread(conn.interrogation, common_address=ca,
                                        wait_for_response=False)  # fmt: skip

    async def collect(self, ids: Sequence[str], now: datetime) -> dict[str, list[Sample]]:
        """Per transformer, the newest value of each variable updated since the last call."""
        with self._lock:
            taken = {tid: self._pending.pop(tid) for tid in ids if tid in self._pending}
        out = {}
        for tid, updates in taken.items():
            quality = {var: u.quality for var, u in updates.items() if u.quality is not None}
            values = {var: u.value for var, u in updates.items()}
            ts = max(u.ts for u in updates.values())
            out[tid] = [Sample(ts, values, self.label, quality)]
        return out
