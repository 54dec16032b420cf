"""OPC UA source (asyncua): one client session per endpoint, subscription or polling.

Subscription mode keeps the latest value of every node from data-change notifications and
hands a snapshot of them at each period; polling mode reads all the nodes of the requested
transformers in batched ``Read`` requests at each period. Either way the session is watched
(``check_connection``) and re-established with backoff when the server goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from thermowatch.ingest.sources.base import Hub, Sample

log = logging.getLogger("thermowatch.ingest")
READ_CHUNK = 1000  # nodes per Read request: stays well below servers' message size limits


async def make_client(c: Any) -> Any:
    """An asyncua client for ``c`` (a :class:`~thermowatch.ingest.config.SourceConfig`-like
    object: endpoint, username/password, security policy and certificates), not connected."""
    from asyncua import Client, ua
    from asyncua.crypto import security_policies

    client = Client(c.endpoint, timeout=10)
    if c.username:
        client.set_user(c.username)
        client.set_password(c.password or "")
    if c.security_policy:
        policy = getattr(security_policies, f"SecurityPolicy{c.security_policy}", None)
        if policy is None:
            raise ValueError(f"unknown OPC UA security policy {c.security_policy!r}")
        await client.set_security(
            policy,
            c.certificate,
            c.private_key,
            server_certificate=c.server_certificate,
            mode=getattr(ua.MessageSecurityMode, c.security_mode),
        )
    return client


async def write_node(c: Any, node_id: str, value: float) -> float:
    """Write ``value`` to node ``node_id`` of the server of ``c`` and return the value read
    back from the server (what the plant now holds).

    The value is sent with the node's own data type (a Double, an Int16...), as servers refuse
    a write whose variant type differs from the variable's.
    """
    from asyncua import ua

    client = await make_client(c)
    await client.connect()
    try:
        node = client.get_node(node_id)
        vtype = await node.read_data_type_as_variant_type()
        if vtype in (ua.VariantType.Float, ua.VariantType.Double):
            raw: Any = float(value)
        elif vtype == ua.VariantType.Boolean:
            raw = bool(value)
        else:
            raw = round(value)
        await node.write_value(ua.DataValue(ua.Variant(raw, vtype)))
        return float(await node.read_value())
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.disconnect(), 2)


class OpcUaHub(Hub):
    """Transformers read from one OPC UA endpoint."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._client: Any = None
        self._latest: dict[tuple[str, str], float] = {}
        self._node_of: dict[Any, tuple[str, str]] = {}
        self._failed = asyncio.Event()

    async def _run_connected(self) -> None:
        client = await make_client(self.config)
        await client.connect()
        try:
            nodes = {
                (tid, var): client.get_node(node_id)
                for tid, t in self.transformers.items()
                for var, node_id in t.source.nodes.items()
            }
            self._node_of = {node.nodeid: key for key, node in nodes.items()}
            self._nodes = nodes
            if self.config.mode == "subscription":
                sub = await client.create_subscription(500, self)
                items = list(nodes.values())
                for start in range(0, len(items), READ_CHUNK):
                    await sub.subscribe_data_change(items[start : start + READ_CHUNK])
            self._client = client
            self._failed.clear()
            self.connected.set()
            self.backoff.reset()
            log.info("%s: connected (%d nodes)", self.label, len(nodes))
            while not self._closing and not self._failed.is_set():
                await asyncio.sleep(1.0)
                await client.check_connection()
            if self._failed.is_set():
                raise ConnectionError("a read failed")
        finally:
            self.connected.clear()
            self._client = None
            self._latest.clear()  # old values must not pass for fresh ones after a reconnect
            with contextlib.suppress(Exception):  # the server may already be gone
                await asyncio.wait_for(client.disconnect(), 2)

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        """asyncua subscription callback: remember the newest value of the node."""
        key = self._node_of.get(node.nodeid)
        if key is not None and isinstance(val, int | float) and not isinstance(val, bool):
            self._latest[key] = float(val)

    def status_change_notification(self, status: Any) -> None:
        """asyncua callback: the subscription died; reconnect."""
        self._failed.set()

    async def collect(self, ids: Sequence[str], now: datetime) -> dict[str, list[Sample]]:
        """One snapshot per connected transformer, stamped ``now``."""
        client = self._client
        if client is None or not self.connected.is_set():
            return {}
        if self.config.mode == "subscription":
            values = self._latest
        else:
            keys = [(tid, var) for tid in ids for var in self.transformers[tid].source.nodes]
            values = {}
            try:
                for start in range(0, len(keys), READ_CHUNK):
                    chunk = keys[start : start + READ_CHUNK]
                    read = await client.read_values([self._nodes[k] for k in chunk])
                    values.update(zip(chunk, read, strict=True))
            except Exception as exc:
                log.warning("%s: read failed (%s)", self.label, exc)
                self._failed.set()
                return {}
        out = {}
        for tid in ids:
            snap = {
                var: float(values[(tid, var)])
                for var in self.transformers[tid].source.nodes
                if isinstance(values.get((tid, var)), int | float)
            }
            if snap:
                out[tid] = [Sample(now, snap, self.label)]
        return out
