"""MQTT source (aiomqtt): JSON messages, QoS 1, persistent session, TLS and credentials.

The monitor connects with a fixed client id and ``clean_session = False`` and subscribes with
QoS 1: while it is away (restart, broker restart, network cut) the broker keeps the messages
for it and delivers them on reconnection. Every message received is queued until the next
period, where all of them are stored (not only the newest), so no reading is lost between
two periods.

With ``shared_group`` the monitor subscribes as ``$share/<group>/<topic>`` (Mosquitto 2, any
MQTT 5 broker): the broker balances the messages over the monitors of the group, each with its
own ``client_id``; a message is still acknowledged only once durable.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from thermowatch.ingest.sources.base import Hub, Sample
from thermowatch.live.validate import to_utc

log = logging.getLogger("thermowatch.ingest")
SUBSCRIBE_CHUNK = 100  # topics per SUBSCRIBE packet


_MISSING = object()


def _lookup(doc: Any, dotted: str, missing: Any = None) -> Any:
    for part in dotted.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return missing
        doc = doc[part]
    return doc


#: Stands for a timestamp that was sent but cannot be read (out of any calendar, not a date):
#: the live pipeline refuses it and records the refusal, rather than re-stamping the values.
UNREADABLE = datetime.min.replace(tzinfo=UTC)


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO-8601 string (``Z`` or offset; naive means UTC) or epoch seconds -> aware UTC.

    ``None`` when there is no timestamp; :data:`UNREADABLE` when one was sent that is not a
    date or is beyond the calendar (``1e20``).
    """
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return UNREADABLE
    if isinstance(value, str):
        try:
            ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return UNREADABLE
        return to_utc(ts) or ts  # beyond the calendar in UTC: refused by the pipeline
    return UNREADABLE


def parse_payload(
    payload: bytes, fields: dict[str, str], timestamp_field: str | None, received: datetime
) -> tuple[datetime, dict[str, float]] | None:
    """Decode one JSON message with the ``variable -> JSON key`` mapping (dotted keys allowed).

    Returns ``(ts, values)``, or ``None`` for a message that is not a JSON object or holds none
    of the mapped keys. Values are passed on as sent (a string, ``true`` or ``null`` too): the
    live pipeline validates every one and records the refusals. Without a timestamp the
    reception time is used.
    """
    try:
        doc = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict):
        return None
    values = {}
    for variable, key in fields.items():
        v = _lookup(doc, key, missing=_MISSING)
        if v is not _MISSING:
            values[variable] = v
    if not values:
        return None
    ts = parse_timestamp(_lookup(doc, timestamp_field)) if timestamp_field else None
    return ts or received, values


def subscription(topic: str, shared_group: str | None) -> str:
    """The topic filter to subscribe: ``$share/<group>/<topic>`` for a shared subscription (the
    broker hands each message to one member of the group: N monitors split the fleet)."""
    return f"$share/{shared_group}/{topic}" if shared_group else topic


class MqttHub(Hub):
    """Transformers whose readings are published to one broker."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._queues: dict[str, list[Sample]] = defaultdict(list)
        # (mid, qos) of the messages received, per transformer, then once collected: each is
        # acknowledged only when the monitor has made it durable (:meth:`settle`), so a crash
        # before that leaves it with the broker, which sends it again to the persistent session.
        self._unacked: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._collected: list[tuple[int, int]] = []
        self._paho: Any = None
        self.received = 0
        self.shared = bool(config.shared_group)

    def _client(self) -> Any:
        import aiomqtt

        c = self.config
        tls = None
        if c.tls:
            tls = ssl.create_default_context(cafile=c.ca_file)
        return aiomqtt.Client(
            c.host,
            c.port,
            username=c.username,
            password=c.password,
            identifier=c.client_id or f"thermowatch-monitor-{c.host}-{c.port}",
            clean_session=False,  # persistent session: the broker queues QoS 1 while we are away
            tls_context=tls,
            keepalive=15,
            max_queued_incoming_messages=0,
        )

    def _manual_ack(self, client: Any) -> None:
        # aiomqtt has no switch for it: paho's, on the client it wraps (paho-mqtt >= 2.0).
        self._paho = client._client
        self._paho.manual_ack_set(True)
        self._unacked.clear()  # a new session: the broker sends the unacknowledged again
        self._collected.clear()

    async def _run_connected(self) -> None:
        topic_of = {t.source.topic: tid for tid, t in self.transformers.items()}
        client = self._client()
        self._manual_ack(client)
        async with client:
            topics = [
                (subscription(topic, self.config.shared_group), self.transformers[tid].source.qos)
                for topic, tid in topic_of.items()
            ]
            for start in range(0, len(topics), SUBSCRIBE_CHUNK):
                await client.subscribe(topics[start : start + SUBSCRIBE_CHUNK])
            self._up()
            log.info("%s: connected, %d topics", self.label, len(topics))
            async for message in client.messages:
                tid = topic_of.get(str(message.topic))
                if tid is None:
                    continue
                source = self.transformers[tid].source
                parsed = parse_payload(
                    bytes(message.payload),  # type: ignore[arg-type]
                    source.fields,
                    source.timestamp_field,
                    datetime.now(UTC),
                )
                token = (message.mid, message.qos)
                if parsed is None:
                    log.warning("%s: unreadable message on %s", self.label, message.topic)
                    self._ack([token])  # nothing to keep: never sent again
                    continue
                self.received += 1
                self._queues[tid].append(Sample(parsed[0], parsed[1], self.label))
                self._unacked[tid].append(token)
                if self._closing:
                    break

    async def settle(self) -> None:
        """Acknowledge every collected message (the monitor made them durable), and see the
        acknowledgements written to the socket (≤ 1 s): one lost would have the broker send
        a stored message again (stored once, but wasted)."""
        tokens, self._collected = self._collected, []
        self._ack(tokens)
        await self._flush()

    async def _flush(self) -> None:
        deadline = asyncio.get_running_loop().time() + 1.0
        while (
            self._paho is not None
            and self.connected.is_set()
            and getattr(self._paho, "_out_packet", None)
            and asyncio.get_running_loop().time() < deadline
        ):
            await asyncio.sleep(0.005)

    async def close(self) -> None:
        """Disconnect once the acknowledgements queued are sent."""
        await self._flush()
        await super().close()

    def _ack(self, tokens: list[tuple[int, int]]) -> None:
        if self._paho is None:
            return
        for mid, qos in tokens:
            if qos > 0:
                self._paho.ack(mid, qos)

    async def collect(self, ids: Sequence[str], now: datetime) -> dict[str, list[Sample]]:
        """Every message received since the previous call, per transformer, oldest first."""
        out = {}
        for tid in ids:
            queued = self._queues.pop(tid, None)
            self._collected.extend(self._unacked.pop(tid, ()))
            if queued:
                out[tid] = sorted(queued, key=lambda s: s.ts)
        await asyncio.sleep(0)
        return out
