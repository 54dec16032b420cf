"""OPC UA source (asyncua): one client session per endpoint, subscription or polling.

What the server says about a value decides what it is (:func:`judge`): a ``Good`` status is a
reading, ``Uncertain`` a SUSPECT one and ``Bad`` a REJECTED one, each with the status name as
its reason; the value is stamped with its ``SourceTimestamp`` (the server's when the device
gives none, flagged when it is stuck or behind the server's clock). A subscription hands over
what changed, each change once; polling reads every node each period but hands over a value
only when its source timestamp or status moved, so nothing is ever stored twice.

At connection, node ids written with a namespace URI (``nsu=``) are resolved to the server's
current index, and every node is read once: a node the server does not know is reported per
transformer and variable (:attr:`Hub.problems`) and left out. The server's certificate is
checked against the pinned one or the trust list before anything secure is sent
(:func:`check_server_certificate`); a refusal a person must fix (password, certificate) is a
:class:`~thermowatch.ingest.sources.base.FieldConfigError`, retried only after a long backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from thermowatch.ingest.sources.base import FieldConfigError, Hub, Sample, quiet_client_logs
from thermowatch.live.validate import REJECTED, SUSPECT

log = logging.getLogger("thermowatch.ingest")
READ_CHUNK = 1000  # nodes per Read request: stays well below servers' message size limits
#: A source timestamp further behind the server's than this is a wrong device clock.
MAX_SOURCE_LAG = timedelta(minutes=5)
#: Status codes of a refusal that only a person can fix (credentials, certificates, policy).
REFUSALS = (
    "BadUserAccessDenied", "BadIdentityToken", "BadCertificate", "BadSecurity",
    "BadApplicationSignatureInvalid", "BadNoValidCertificates",
)  # fmt: skip


def status_name(code: Any) -> str:
    """The symbolic name of an OPC UA status code (``BadSensorFailure``), info bits ignored."""
    from asyncua import ua

    value = int(getattr(code, "value", code))
    try:
        return str(ua.StatusCode(ua.UInt32(value & 0xFFFF0000)).name)
    except Exception:
        return f"0x{value:08X}"


def _der_certificates(path: str) -> set[bytes]:
    """The certificates (DER) of a file (PEM or DER) or of every file of a directory."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    p = Path(path)
    files = sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p]
    found: set[bytes] = set()
    for f in files:
        data = f.read_bytes()
        try:
            certs = (
                x509.load_pem_x509_certificates(data)
                if b"-----BEGIN" in data
                else [x509.load_der_x509_certificate(data)]
            )
        except ValueError:
            continue  # not a certificate (a README, a key): not trusted, not an error
        found.update(c.public_bytes(Encoding.DER) for c in certs)
    return found


def thumbprint(der: bytes) -> str:
    """SHA-256 fingerprint of a certificate, as ``ab:cd:...`` (the first 8 bytes)."""
    return ":".join(f"{b:02x}" for b in hashlib.sha256(der).digest()[:8])


async def check_server_certificate(c: Any, policy_uri: str, mode: Any) -> bytes:
    """The server's certificate (DER) for ``c``'s endpoint, once checked against the pinned
    ``server_certificate`` or the ``trusted_certificates``; with
    ``accept_any_server_certificate`` it is taken as is and said so in the log.

    Raises :class:`FieldConfigError` naming the certificate when it is not the expected one.
    """
    from asyncua import Client
    from asyncua.client.client import _first_cert_from_chain

    probe = Client(c.endpoint, timeout=5)
    endpoints = await probe.connect_and_get_server_endpoints()
    try:
        endpoint = Client.find_endpoint(endpoints, mode, policy_uri)
    except Exception:
        raise FieldConfigError(
            f"the server offers no endpoint with policy {c.security_policy} / {c.security_mode}"
        ) from None
    der = _first_cert_from_chain(endpoint.ServerCertificate)
    pinned = getattr(c, "server_certificate", None)
    trusted = getattr(c, "trusted_certificates", None)
    if pinned or trusted:
        allowed = _der_certificates(str(pinned or trusted))
        if der not in allowed:
            what = f"the pinned server_certificate {pinned}" if pinned else (
                f"the trust list {trusted}")  # fmt: skip
            raise FieldConfigError(
                f"the server's certificate (SHA-256 {thumbprint(der)}) is not {what}"
            )
    elif getattr(c, "accept_any_server_certificate", False):
        log.warning(
            "opcua:%s: accepting the server's certificate (SHA-256 %s) unchecked "
            "(accept_any_server_certificate = true)", c.endpoint, thumbprint(der),
        )  # fmt: skip
    else:
        raise FieldConfigError(
            "no server_certificate, trusted_certificates or accept_any_server_certificate "
            "to check the server's certificate with"
        )
    return bytes(der)


def application_uri_of(certificate: str) -> str | None:
    """The URI in a certificate's subject alternative names (OPC UA's application URI)."""
    from cryptography import x509

    data = Path(certificate).read_bytes()
    cert = (
        x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data
        else x509.load_der_x509_certificate(data)
    )  # fmt: skip
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


async def make_client(c: Any) -> Any:
    """An asyncua client for ``c`` (a :class:`~thermowatch.ingest.config.SourceConfig`-like
    object: endpoint, username/password, security policy and certificates), not connected.

    The client's application URI is ``c.application_uri``, else the one its certificate was
    issued for (servers refuse a session whose URI differs: ``BadCertificateUriInvalid``).
    """
    from asyncua import Client, ua
    from asyncua.crypto import security_policies

    quiet_client_logs("asyncua")
    client = Client(c.endpoint, timeout=getattr(c, "timeout_s", 10.0) or 10.0)
    uri = getattr(c, "application_uri", None)
    if not uri and getattr(c, "certificate", None):
        uri = application_uri_of(c.certificate)
    if uri:
        client.application_uri = uri
    if c.username:
        client.set_user(c.username)
        client.set_password(c.password or "")
    if c.security_policy:
        policy = getattr(security_policies, f"SecurityPolicy{c.security_policy}", None)
        if policy is None:
            raise ValueError(f"unknown OPC UA security policy {c.security_policy!r}")
        mode = getattr(ua.MessageSecurityMode, c.security_mode)
        server_der = await check_server_certificate(c, policy.URI, mode)
        await client.set_security(
            policy, c.certificate, c.private_key, server_certificate=server_der, mode=mode
        )
    return client


def refusal(exc: BaseException) -> FieldConfigError | None:
    """A :class:`FieldConfigError` naming the status when ``exc`` is a refusal a person must
    fix (wrong password, certificate refused), else ``None`` (a transient failure)."""
    code = getattr(exc, "code", None)
    if code is None:
        return None
    name = status_name(code)
    if not name.startswith(REFUSALS):
        return None
    hint = {
        "BadUserAccessDenied": "wrong user name or password",
        "BadIdentityTokenInvalid": "wrong user name or password",
        "BadIdentityTokenRejected": "wrong user name or password",
        "BadCertificateUriInvalid": "the client certificate's URI is not application_uri",
        "BadCertificateUntrusted": "the server does not trust our client certificate",
    }.get(name, "security refused by the server")
    return FieldConfigError(f"{name} ({hint})")


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


def _aware(ts: datetime | None) -> datetime | None:
    return None if ts is None else (ts if ts.tzinfo else ts.replace(tzinfo=UTC))


@dataclass(frozen=True)
class Judged:
    """One node's value as the hub hands it over."""

    ts: datetime
    value: Any
    quality: tuple[str, str] | None  # (SUSPECT | REJECTED, reason), None when GOOD
    note: str | None = None  # a missing timestamp, reported once per node


def judge(dv: Any, received: datetime, previous: tuple[Any, ...] | None,
          scaling: tuple[float, float]) -> tuple[Judged | None, tuple[Any, ...]]:  # fmt: skip
    """What one DataValue, received at ``received``, is: its time, value (scaled) and
    quality, or ``None`` when it is the value already handed over (same source timestamp,
    value and status).

    The time is the source timestamp; without one, the server's (reported once); when it is
    stuck (a new value with the previous one's timestamp) or further behind the server's or
    our clock than :data:`MAX_SOURCE_LAG`, the time of reception, and the value is SUSPECT.
    A source timestamp ahead of the clock is kept: the pipeline's skew rule refuses it, as
    on every other path. Returns the judgement and the key to pass as ``previous`` next time.
    """
    code_value = int(getattr(dv.StatusCode, "value", 0) or 0)
    raw = dv.Value.Value if dv.Value is not None else None
    source, server = _aware(dv.SourceTimestamp), _aware(dv.ServerTimestamp)
    key = (source, raw, code_value)
    if previous is not None and source is not None and previous == key:
        return None, key  # the same value again (a poll, or a re-sent initial notification)
    flags, note = [], None
    ts = source
    if source is None:
        ts = server or received
        note = "no SourceTimestamp: " + ("ServerTimestamp used" if server else "read time used")
    elif previous is not None and previous[0] == source:
        ts = received
        flags.append(f"source timestamp stuck at {source.isoformat()}: read time used")
    elif max(server or received, received) - source > MAX_SOURCE_LAG:
        lag = (max(server or received, received) - source).total_seconds()
        ts = received
        flags.append(f"source timestamp {lag:.0f} s behind the server's: read time used")
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = float(raw) * scaling[0] + scaling[1]
    severity = code_value & 0xC0000000
    quality: tuple[str, str] | None = None
    if severity in (0x80000000, 0xC0000000):
        quality = (REJECTED, f"OPC UA status {status_name(code_value)}")
    elif severity == 0x40000000:
        quality = (SUSPECT, f"OPC UA status {status_name(code_value)}")
    elif flags:
        quality = (SUSPECT, "; ".join(flags))
    return Judged(ts or received, raw, quality, note), key


async def read_with_timestamps(client: Any, nodes: Sequence[Any]) -> list[Any]:
    """The Value attribute of ``nodes`` with both source and server timestamps."""
    from asyncua import ua

    params = ua.ReadParameters()
    params.TimestampsToReturn = ua.TimestampsToReturn.Both
    for node in nodes:
        rv = ua.ReadValueId()
        rv.NodeId, rv.AttributeId = node.nodeid, ua.AttributeIds.Value
        params.NodesToRead.append(rv)
    return list(await client.uaclient.read(params))


class OpcUaHub(Hub):
    """Transformers read from one OPC UA endpoint."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._client: Any = None
        self._nodes: dict[tuple[str, str], Any] = {}
        self._node_of: dict[Any, tuple[str, str]] = {}
        self._changes: list[tuple[tuple[str, str], Any, datetime]] = []
        self._previous: dict[tuple[str, str], tuple[Any, ...]] = {}  # survives reconnects
        self._quiet: set[str] = set()
        self._noted: set[tuple[str, str]] = set()
        self._refused: dict[tuple[str, str], bool] = {}  # the latest value of a node was Bad
        self._failed = asyncio.Event()

    async def _resolve(self, client: Any) -> dict[tuple[str, str], Any]:
        """The nodes of every transformer, ``nsu=`` resolved; unknown ones reported, left out."""
        from asyncua import ua

        wanted = {
            (tid, var): node_id
            for tid, t in self.transformers.items()
            for var, node_id in t.source.nodes.items()
        }
        namespaces: list[str] | None = None
        nodes = {}
        for key, node_id in wanted.items():
            if node_id.startswith("nsu="):
                if namespaces is None:
                    namespaces = list(await client.get_namespace_array())
                uri, _, rest = node_id[4:].partition(";")
                if uri not in namespaces:
                    self.problem(*key, f"namespace URI {uri!r} is not on the server")
                    continue
                node_id = f"ns={namespaces.index(uri)};{rest}"
            try:
                nodes[key] = client.get_node(node_id)
            except Exception:
                self.problem(*key, f"node id {node_id!r} cannot be parsed")
        keys = list(nodes)
        for start in range(0, len(keys), READ_CHUNK):
            chunk = keys[start : start + READ_CHUNK]
            read = await client.read_attributes([nodes[k] for k in chunk], ua.AttributeIds.Value)
            for k, dv in zip(chunk, read, strict=True):
                name = status_name(dv.StatusCode)
                if name in ("BadNodeIdUnknown", "BadNodeIdInvalid", "BadAttributeIdInvalid"):
                    self.problem(*k, f"node {wanted[k]!r} is not a variable of the server ({name})")
                    del nodes[k]
                else:
                    self.problems.pop(k, None)
        return nodes

    async def _run_connected(self) -> None:
        client = await make_client(self.config)
        try:
            await client.connect()
        except Exception as exc:
            named = refusal(exc)
            if named is not None:
                raise named from None
            raise
        try:
            nodes = await self._resolve(client)
            self._node_of = {node.nodeid: key for key, node in nodes.items()}
            self._nodes = nodes
            if self.config.mode == "subscription":
                sub = await client.create_subscription(500, self)
                items = list(nodes.values())
                for start in range(0, len(items), READ_CHUNK):
                    await sub.subscribe_data_change(items[start : start + READ_CHUNK])
            self._client = client
            self._failed.clear()
            self._up()
            log.info("%s: connected (%d nodes)", self.label, len(nodes))
            while not self._closing and not self._failed.is_set():
                await asyncio.sleep(0.5)
                await client.check_connection()
            if self._failed.is_set():
                raise ConnectionError("the session stopped answering")
        finally:
            self.connected.clear()
            self._client = None
            self._quiet.clear()
            with contextlib.suppress(Exception):  # the server may already be gone
                await asyncio.wait_for(client.disconnect(), 2)

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        """asyncua subscription callback: queue the change (value, status and timestamps)."""
        key = self._node_of.get(node.nodeid)
        if key is not None:
            self._changes.append((key, data.monitored_item.Value, datetime.now(UTC)))

    def status_change_notification(self, status: Any) -> None:
        """asyncua callback: the subscription died; reconnect."""
        self._failed.set()

    def unchanged(self, tid: str) -> bool:
        """A live subscription reports changes only; a poll that found nothing new. A
        transformer whose every value is refused (still ``Bad``) is without data, not
        unchanged."""
        if self._client is None or not self.connected.is_set():
            return False
        if all(self._refused.get((tid, var), False) for var in self.transformers[tid].source.nodes):
            return False
        return self.config.mode == "subscription" or tid in self._quiet

    async def collect(self, ids: Sequence[str], now: datetime) -> dict[str, list[Sample]]:
        """The changes since the last call, one sample per transformer and instant."""
        client = self._client
        wanted = set(ids)
        if self.config.mode == "subscription":
            changes = [c for c in self._changes if c[0][0] in wanted]
            self._changes = [c for c in self._changes if c[0][0] not in wanted]
        elif client is None or not self.connected.is_set():
            return {}
        else:
            keys = [(tid, var) for tid in ids for var in self.transformers[tid].source.nodes
                    if (tid, var) in self._nodes]  # fmt: skip
            changes = []
            try:
                for start in range(0, len(keys), READ_CHUNK):
                    chunk = keys[start : start + READ_CHUNK]
                    read = await read_with_timestamps(client, [self._nodes[k] for k in chunk])
                    changes.extend((k, dv, now) for k, dv in zip(chunk, read, strict=True))
            except Exception as exc:
                log.warning("%s: read failed (%s)", self.label, exc)
                self._failed.set()
                return {}
            self._quiet = set(ids)
        by_instant: dict[tuple[str, datetime], Sample] = {}
        for key, dv, at in changes:
            tid, var = key
            scaling = self.transformers[tid].source.node_scaling.get(var, (1.0, 0.0))
            judged, self._previous[key] = judge(dv, at, self._previous.get(key), scaling)
            if judged is None:
                continue
            if judged.note is not None and key not in self._noted:
                self._noted.add(key)
                log.warning("%s: %s / %s: %s", self.label, tid, var, judged.note)
            self._quiet.discard(tid)
            self._refused[key] = judged.quality is not None and judged.quality[0] == REJECTED
            sample = by_instant.setdefault((tid, judged.ts), Sample(judged.ts, {}, self.label, {}))
            sample.values[var] = judged.value
            if judged.quality is not None:
                sample.quality[var] = judged.quality
        out: dict[str, list[Sample]] = {}
        for (tid, _), sample in sorted(by_instant.items(), key=lambda kv: kv[0][1]):
            out.setdefault(tid, []).append(sample)
        return out
