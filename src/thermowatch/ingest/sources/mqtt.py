"""MQTT source (aiomqtt): JSON messages, QoS 1, persistent session, TLS and credentials.

The monitor connects with a fixed client id and ``clean_session = False`` and subscribes with
QoS 1: while it is away (restart, broker restart, network cut) the broker keeps the messages
for it and delivers them on reconnection. Every message received is queued until the next
period, where all of them are stored (not only the newest), so no reading is lost between
two periods.

With ``shared_group`` the monitor subscribes as ``$share/<group>/<topic>`` (Mosquitto 2, any
MQTT 5 broker): the broker balances the messages over the monitors of the group, each with its
own ``client_id``; a message is still acknowledged only once durable.

As one of the monitors sharing a fleet (:mod:`thermowatch.ingest.shards`) the hub subscribes
only the topics of the transformers its monitor owns (:meth:`MqttHub.rebalance`), each as a
shared subscription of its own: during a hand-over both monitors are members and the broker
gives each message to one of them (no gap, no copy). Mosquitto keeps handing messages to a
member that died (its persistent session queues them), so the monitor that takes over its
transformers first adopts that session (:meth:`MqttHub.adopt`): it resumes it, stores what it
held, then lets it end.
"""

from __future__ import annotations

import asyncio
import contextlib
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
SHARD_GROUP = "thermowatch"  # the shared-subscription group of a sharded fleet's topics
ADOPT_QUIET_PERIODS = 1.0  # an adopted session ends once quiet this many periods, all acked


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
        self._lag_s: float | None = None  # longest timestamp -> reception [s] (pop_receive_lag)
        self.shared = bool(config.shared_group)
        #: Sharded: the transformers whose topics are subscribed (``None``: all of them), and
        #: the member name that makes this monitor's client id unique in the fleet.
        self.owned: set[str] | None = None
        self.member: str | None = None
        self._client_obj: Any = None
        self._subscribed: set[str] = set()
        # Adopted sessions: their clients, and their messages' (client, mid, qos) per
        # transformer then once collected, acknowledged on that client once durable.
        self._adopters: list[Any] = []
        self._adopt_unacked: dict[str, list[tuple[Any, int, int]]] = defaultdict(list)
        self._adopt_collected: list[tuple[Any, int, int]] = []

    def client_id(self, member: str | None = None) -> str:
        """The persistent session's client id (with the member's name when sharded)."""
        c = self.config
        base = c.client_id or f"thermowatch-monitor-{c.host}-{c.port}"
        member = member or self.member
        return f"{base}-{member}" if member else base

    def _filter(self, tid: str) -> tuple[str, int]:
        source = self.transformers[tid].source
        group = self.config.shared_group or (SHARD_GROUP if self.member else None)
        return subscription(source.topic, group), source.qos

    def _client(self, adopt: str | None = None) -> Any:
        """The client of this hub's session, or (``adopt``) of a dead member's: MQTT 5,
        resuming that session with an expiry of 0, so that it ends when we disconnect."""
        import aiomqtt

        c = self.config
        tls = None
        if c.tls:
            tls = ssl.create_default_context(cafile=c.ca_file)
        extra: dict[str, Any] = {"clean_session": False}  # the broker queues QoS 1 meanwhile
        if adopt is not None:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 0
            extra = {"protocol": aiomqtt.ProtocolVersion.V5, "clean_start": False,
                     "properties": props}  # fmt: skip
        return aiomqtt.Client(
            c.host,
            c.port,
            username=c.username,
            password=c.password,
            identifier=self.client_id(adopt),
            tls_context=tls,
            keepalive=15,
            max_queued_incoming_messages=0,
            **extra,
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
            wanted = set(self.transformers) if self.owned is None else set(self.owned)
            if self.owned is not None:  # a resumed session may hold what was given up since
                await self._unsubscribe(client, set(self.transformers) - wanted)
            await self._subscribe(client, wanted)
            self._client_obj, self._subscribed = client, wanted
            self._up()
            log.info("%s: connected, %d topics", self.label, len(wanted))
            try:
                await self._receive(client, topic_of)
            finally:
                self._client_obj = None

    async def _subscribe(self, client: Any, tids: set[str]) -> None:
        topics = [self._filter(t) for t in sorted(tids)]
        for start in range(0, len(topics), SUBSCRIBE_CHUNK):
            await client.subscribe(topics[start : start + SUBSCRIBE_CHUNK])

    async def _unsubscribe(self, client: Any, tids: set[str]) -> None:
        topics = [self._filter(t)[0] for t in sorted(tids)]
        for start in range(0, len(topics), SUBSCRIBE_CHUNK):
            await client.unsubscribe(topics[start : start + SUBSCRIBE_CHUNK])

    async def rebalance(self, owned: set[str]) -> None:
        """Subscribe the topics of ``owned`` only (sharded monitors); what was received for a
        transformer given up stays queued until collected."""
        self.owned = set(owned) & set(self.transformers)
        client = self._client_obj
        if client is None:
            return  # subscribed at the next connection
        add, drop = self.owned - self._subscribed, self._subscribed - self.owned
        if add:
            await self._subscribe(client, add)
        if drop:
            await self._unsubscribe(client, drop)
        self._subscribed = set(self.owned)

    async def adopt(self, member: str) -> int:
        """Resume the broker session of ``member`` (a monitor that died or stopped) and queue
        what it holds as it comes; the session ends once it has been quiet a whole period and
        all it gave is durable (:meth:`settle`). Returns at once (0: counted as they come)."""
        import aiomqtt

        topic_of = {t.source.topic: tid for tid, t in self.transformers.items()}
        client = self._client(adopt=member)
        try:
            await client.__aenter__()
            client._client.manual_ack_set(True)
            await self._unsubscribe(client, set(self.transformers))  # nothing new goes there
        except aiomqtt.MqttError as exc:
            log.warning("%s: session of %s not adopted (%s)", self.label, member, exc)
            return 0
        client.last_message = asyncio.get_running_loop().time()
        client.drain = asyncio.create_task(self._drain(client, member, topic_of))
        self._adopters.append(client)
        return 0

    async def _drain(self, client: Any, member: str, topic_of: dict[str, str]) -> None:
        """Queue every message the adopted session of ``member`` delivers."""
        import aiomqtt

        held = 0
        try:
            async for message in client.messages:
                client.last_message = asyncio.get_running_loop().time()
                held += 1
                got = self._parse(message, topic_of)
                if got is None:
                    _ack_on(client, message.mid, message.qos)
                    continue
                self._queues[got[0]].append(got[1])
                self._adopt_unacked[got[0]].append((client, message.mid, message.qos))
        except aiomqtt.MqttError as exc:  # taken over by another adopter: it has the rest
            log.info("%s: session of %s left (%s)", self.label, member, exc)
        finally:
            log.info("%s: adopted the session of %s: %d messages", self.label, member, held)

    def _parse(self, message: Any, topic_of: dict[str, str]) -> tuple[str, Sample] | None:
        """One message as ``(transformer, sample)``; ``None`` for a topic not ours or an
        unreadable message (nothing to keep: acknowledged, never sent again)."""
        tid = topic_of.get(str(message.topic))
        if tid is None:
            return None
        source = self.transformers[tid].source
        received = datetime.now(UTC)
        parsed = parse_payload(
            bytes(message.payload),  # type: ignore[arg-type]
            source.fields,
            source.timestamp_field,
            received,
        )
        if parsed is None:
            log.warning("%s: unreadable message on %s", self.label, message.topic)
            return None
        self.received += 1
        lag = (received - parsed[0]).total_seconds()
        self._lag_s = lag if self._lag_s is None else max(self._lag_s, lag)
        return tid, Sample(parsed[0], parsed[1], self.label)

    def pop_receive_lag(self) -> float | None:
        lag, self._lag_s = self._lag_s, None
        return lag

    def queued_ids(self) -> set[str]:
        """Transformers with messages received and not yet collected."""
        return {tid for tid, q in self._queues.items() if q}

    async def _receive(self, client: Any, topic_of: dict[str, str]) -> None:
        async for message in client.messages:
            token = (message.mid, message.qos)
            got = self._parse(message, topic_of)
            if got is None:
                self._ack([token])
                continue
            self._queues[got[0]].append(got[1])
            self._unacked[got[0]].append(token)
            if self._closing:
                break

    async def settle(self) -> None:
        """Acknowledge every collected message (the monitor made them durable), and see the
        acknowledgements written to the socket (≤ 1 s): one lost would have the broker send
        a stored message again (stored once, but wasted)."""
        tokens, self._collected = self._collected, []
        self._ack(tokens)
        await self._flush()
        adopted, self._adopt_collected = self._adopt_collected, []
        for client, mid, qos in adopted:
            _ack_on(client, mid, qos)
        pending = {id(c) for held in self._adopt_unacked.values() for c, _m, _q in held}
        periods = [t.period_s for t in self.transformers.values()] or [60.0]
        quiet_since = asyncio.get_running_loop().time() - ADOPT_QUIET_PERIODS * min(periods)
        for client in list(self._adopters):
            if id(client) in pending or client.last_message > quiet_since:
                continue  # messages not yet durable, or the session may still hold some
            self._adopters.remove(client)  # all acknowledged: the dead member's session ends
            client.drain.cancel()
            with contextlib.suppress(BaseException):
                await client.drain
            with contextlib.suppress(Exception):
                await client.__aexit__(None, None, None)

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
        """Disconnect once the acknowledgements queued are sent. Known limit: an adopted
        session ends with this connection (expiry 0); what it delivered after the final flush
        and was not acknowledged is lost with it (a monitor stopped within a period of a
        take-over)."""
        await self._flush()
        for client in self._adopters:
            client.drain.cancel()
            with contextlib.suppress(BaseException):
                await client.drain
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
            self._adopt_collected.extend(self._adopt_unacked.pop(tid, ()))
            if queued:
                out[tid] = sorted(queued, key=lambda s: s.ts)
        await asyncio.sleep(0)
        return out


def _ack_on(client: Any, mid: int, qos: int) -> None:
    """Acknowledge one message on an adopted session's client (gone: the broker resends it)."""
    if qos > 0:
        with contextlib.suppress(Exception):
            client._client.ack(mid, qos)
