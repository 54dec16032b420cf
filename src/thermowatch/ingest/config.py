"""The monitor's configuration: one TOML file listing transformers and where to read them.

Layout (every key documented in ``docs/monitoring.md``, one example per protocol in
``examples/``)::

    [monitor]                      # optional, all keys have defaults
    database_url = "sqlite:///thermowatch.db"
    spool_dir = "spool"
    period_s = 60

    [[transformers]]
    id = "TR-0001"
    spec = { preset = "ONAF", rated_current_a = 1039.23 }
    [transformers.source]
    protocol = "opcua"             # opcua | modbus | mqtt | iec104 | replay
    ...

A bad value raises :class:`~thermowatch.errors.InputError` with one sentence naming the key
(``transformers[0].source.port``), which the CLI turns into exit code 2.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thermowatch.config import read_toml
from thermowatch.errors import InputError
from thermowatch.ingest.protocols import PROTOCOLS
from thermowatch.paths import default_spool_dir
from thermowatch.thermal import TransformerSpec

REGISTER_TYPES = {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2}
ORDERS = ("big", "little")
#: Modbus tables a register can be read from: holding (function 03) or input (function 04).
REGISTER_TABLES = ("holding", "input")
MODBUS_MAX_BLOCK = 125  # registers per read request (the Modbus specification's limit)

# Variable names of the bundled sample and simulator (the French SCADA export's columns).
CURRENT = "courant (A)"
AMBIENT = "température ambiante (°C)"
OIL = "température huile (°C)"
WINDING = "température enroulement (°C)"


@dataclass(frozen=True)
class Register:
    """One Modbus register (or pair) mapped to a variable.

    ``value = raw * scale + offset`` in the variable's unit; ``address`` is 0-based;
    ``table`` is ``holding`` (read with function 03) or ``input`` (function 04).
    """

    variable: str
    address: int
    type: str = "float32"
    scale: float = 1.0
    offset: float = 0.0
    byte_order: str = "big"
    word_order: str = "big"
    table: str = "holding"

    @property
    def count(self) -> int:
        """Number of 16-bit registers the value spans."""
        return REGISTER_TYPES[self.type]


@dataclass(frozen=True)
class InformationObject:
    """One IEC 60870-5-104 measured value mapped to a variable: ``value = raw * scale + offset``
    in the variable's unit; ``ioa`` is its information object address."""

    variable: str
    ioa: int
    scale: float = 1.0
    offset: float = 0.0


@dataclass(frozen=True)
class SourceConfig:
    """Where one transformer's readings come from (only the keys of its protocol matter).

    Attributes
    ----------
    protocol : ``opcua``, ``modbus``, ``mqtt`` or ``replay``.
    endpoint : OPC UA endpoint URL (``opc.tcp://host:port/path``).
    nodes : OPC UA: variable -> node id (``ns=2;s=TR-0001.current_a``, or
        ``nsu=urn:vendor:plant;s=TR-0001.current_a``: the namespace by its URI).
    node_scaling : OPC UA: variable -> ``(scale, offset)``, ``value = raw * scale + offset``.
    mode : OPC UA: ``subscription`` (data-change notifications) or ``polling``.
    security_policy, security_mode, certificate, private_key : OPC UA security
        (``Basic256Sha256``, ``SignAndEncrypt``, PEM/DER file paths).
    application_uri : OPC UA client application URI (default: the URI of ``certificate``).
    server_certificate, trusted_certificates, accept_any_server_certificate : how the
        server's certificate is checked: pinned (one file), a trust list (a directory or
        file of certificates), or -- only when said so -- any.
    username, password : OPC UA or MQTT credentials (``password_env`` names an env variable).
    host, port : Modbus TCP server or MQTT broker.
    unit_id, registers : Modbus unit and register map.
    max_block, max_gap : Modbus: most registers per read request, and most unmapped
        registers a request may span to join two mapped ones (0: never read unmapped ones).
    timeout_s : Modbus: seconds to wait for one answer.
    topic, fields, timestamp_field, qos, client_id, tls, ca_file : MQTT: topic of the JSON
        messages, variable -> JSON key, key of the ISO-8601 or epoch timestamp, QoS (1), the
        persistent session's client id, TLS and its CA file; ``shared_group``: subscribe as
        ``$share/<group>/<topic>`` (MQTT 5), so N monitors of one group split the messages.
    path, speed, loop : replay: measurement file, speed-up factor, restart at the end.
    common_address, points : IEC 104: the station's common address (ASDU address) and its
        information objects (:class:`InformationObject`); ``host``/``port`` the RTU.
    """

    protocol: str
    endpoint: str = ""
    nodes: dict[str, str] = field(default_factory=dict)
    node_scaling: dict[str, tuple[float, float]] = field(default_factory=dict)
    mode: str = "subscription"
    security_policy: str | None = None
    security_mode: str = "SignAndEncrypt"
    certificate: str | None = None
    private_key: str | None = None
    server_certificate: str | None = None
    trusted_certificates: str | None = None
    accept_any_server_certificate: bool = False
    application_uri: str | None = None
    username: str | None = None
    password: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    unit_id: int = 1
    registers: tuple[Register, ...] = ()
    max_block: int = MODBUS_MAX_BLOCK
    max_gap: int = 0
    timeout_s: float = 3.0
    topic: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    timestamp_field: str | None = "ts"
    qos: int = 1
    client_id: str | None = None
    tls: bool = False
    ca_file: str | None = None
    shared_group: str | None = None
    path: str = ""
    speed: float = 1.0
    loop: bool = False
    common_address: int = 1
    points: tuple[InformationObject, ...] = ()

    @property
    def connection_key(self) -> tuple[Any, ...]:
        """Transformers with the same key share one client connection."""
        if self.protocol == "opcua":
            return ("opcua", self.endpoint, self.mode, self.security_policy, self.username)
        if self.protocol == "modbus":
            return ("modbus", self.host, self.port)
        if self.protocol == "mqtt":
            return ("mqtt", self.host, self.port, self.client_id, self.username, self.tls,
                    self.shared_group)  # fmt: skip
        if self.protocol == "iec104":
            return ("iec104", self.host, self.port)
        return ("replay", self.path)


@dataclass(frozen=True)
class TransformerConfig:
    """One monitored transformer.

    Attributes
    ----------
    id : key in the store (created there if missing).
    period_s : monitoring period [s].
    spec : thermal spec for the IEC 60076-7 fallback model (used until a model is trained).
    model : directory of a model artifact; else the store's champion; else the IEC model.
    target : the measured temperature the prediction is compared with.
    load, ambient : variables giving the load current [A] and the ambient temperature [°C].
    thresholds : ``{"alerte_c": .., "critique_c": ..}`` [°C] (else the model's, else 90/105).
    """

    id: str
    source: SourceConfig
    name: str | None = None
    period_s: float = 60.0
    spec: TransformerSpec | None = None
    model: str | None = None
    target: str = WINDING
    load: str = CURRENT
    ambient: str = AMBIENT
    thresholds: dict[str, float] | None = None


@dataclass(frozen=True)
class MonitorConfig:
    """The whole configuration.

    Attributes
    ----------
    database_url : store URL (``None``: ``$THERMOWATCH_DATABASE_URL`` or the SQLite default).
    spool_dir : directory of the durable spool used while the database is unreachable
        (default: ``spool/`` in the data directory, see :mod:`thermowatch.paths`).
    stale_periods : fewest readings of an unchanged value before it can be frozen.
    frozen_after_s : a value unchanged beyond its channel's resolution this long while the
        transformer's other channels move is a frozen sensor (SUSPECT) [s].
    missed_periods_alert : periods without data before a data alert is logged.
    residual_flag_k : measured minus normal-behaviour prediction above which the residual
        flag rises [K].
    flush_s : push sources (MQTT) are stored every this many seconds between ticks instead
        of once a period, so a reading is stored seconds after it is published [s]; 0: once a
        period.
    shard_group : the fleet this monitor shares with the other monitors of that name: each
        collects its share only (:mod:`thermowatch.ingest.shards`); ``None``: the whole fleet.
    shard_member : this monitor's name in the group (default ``host:pid``); a stable name
        lets a restarted monitor resume its MQTT session.
    """

    transformers: tuple[TransformerConfig, ...]
    database_url: str | None = None
    spool_dir: str = "spool"
    stale_periods: int = 5
    frozen_after_s: float = 1800.0
    missed_periods_alert: int = 3
    residual_flag_k: float = 5.0
    max_future_skew_s: float = 300.0
    flush_s: float = 0.0
    shard_group: str | None = None
    shard_member: str | None = None


def _err(key: str, message: str) -> InputError:
    return InputError(f"config key {key}: {message}")


def _number(value: Any, key: str, *, low: float | None = None, integer: bool = False) -> Any:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if integer:
        ok = ok and float(value).is_integer()
    if not ok or (low is not None and value < low):
        kind = "an integer" if integer else "a number"
        bound = f" >= {low:g}" if low is not None else ""
        raise _err(key, f"must be {kind}{bound}, got {value!r}")
    return int(value) if integer else float(value)


def _string(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise _err(key, f"must be a non-empty string, got {value!r}")
    return value


def _known(table: dict[str, Any], allowed: set[str], key: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _err(
            f"{key}.{unknown[0]}", f"unknown key; expected one of {', '.join(sorted(allowed))}"
        )


def _str_map(value: Any, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise _err(key, "must be a non-empty table of variable = name")
    return {str(k): _string(v, f"{key}.{k}") for k, v in value.items()}


def _register(raw: Any, key: str) -> Register:
    if not isinstance(raw, dict):
        raise _err(key, "must be a table")
    _known(raw, {f for f in Register.__dataclass_fields__}, key)
    reg_type = raw.get("type", "float32")
    if reg_type not in REGISTER_TYPES:
        raise _err(f"{key}.type", f"must be one of {', '.join(REGISTER_TYPES)}, got {reg_type!r}")
    for order in ("byte_order", "word_order"):
        if raw.get(order, "big") not in ORDERS:
            raise _err(f"{key}.{order}", f"must be 'big' or 'little', got {raw[order]!r}")
    if raw.get("table", "holding") not in REGISTER_TABLES:
        raise _err(f"{key}.table", f"must be 'holding' or 'input', got {raw['table']!r}")
    return Register(
        variable=_string(raw.get("variable"), f"{key}.variable"),
        address=_number(raw.get("address"), f"{key}.address", low=0, integer=True),
        type=reg_type,
        scale=_number(raw.get("scale", 1.0), f"{key}.scale"),
        offset=_number(raw.get("offset", 0.0), f"{key}.offset"),
        byte_order=raw.get("byte_order", "big"),
        word_order=raw.get("word_order", "big"),
        table=raw.get("table", "holding"),
    )


def _nodes(raw: Any, key: str) -> tuple[dict[str, str], dict[str, tuple[float, float]]]:
    """OPC UA ``nodes``: ``variable = "node id"`` or ``variable = { id = .., scale = ..,
    offset = .. }`` -> (node ids, scalings of the nodes that have one)."""
    if not isinstance(raw, dict) or not raw:
        raise _err(key, "must be a non-empty table of variable = node id")
    ids, scaling = {}, {}
    for var, node in raw.items():
        where = f"{key}.{var}"
        if isinstance(node, dict):
            _known(node, {"id", "scale", "offset"}, where)
            ids[str(var)] = _node_id(node.get("id"), f"{where}.id")
            scaling[str(var)] = (
                _number(node.get("scale", 1.0), f"{where}.scale"),
                _number(node.get("offset", 0.0), f"{where}.offset"),
            )
        else:
            ids[str(var)] = _node_id(node, where)
    return ids, scaling


def _node_id(value: Any, key: str) -> str:
    text = _string(value, key)
    if text.startswith("nsu=") and ";" not in text:
        raise _err(key, f"a namespace URI needs an identifier after ';', got {text!r}")
    return text


def _information_object(raw: Any, key: str) -> InformationObject:
    if not isinstance(raw, dict):
        raise _err(key, "must be a table { variable = .., ioa = .. }")
    _known(raw, set(InformationObject.__dataclass_fields__), key)
    ioa = _number(raw.get("ioa"), f"{key}.ioa", low=1, integer=True)
    if ioa > 0xFFFFFF:
        raise _err(f"{key}.ioa", f"must be at most 16777215 (3 octets), got {ioa}")
    return InformationObject(
        variable=_string(raw.get("variable"), f"{key}.variable"),
        ioa=ioa,
        scale=_number(raw.get("scale", 1.0), f"{key}.scale"),
        offset=_number(raw.get("offset", 0.0), f"{key}.offset"),
    )


def _iec104(raw: dict[str, Any], key: str) -> None:
    raw["port"] = _number(raw.get("port", 2404), f"{key}.port", low=1, integer=True)
    ca = _number(raw.get("common_address", 1), f"{key}.common_address", low=1, integer=True)
    if ca > 65534:
        raise _err(f"{key}.common_address", f"must be between 1 and 65534, got {ca}")
    raw["common_address"] = ca
    points = raw.get("points")
    if not isinstance(points, list) or not points:
        raise _err(f"{key}.points", "must be a non-empty array of { variable, ioa } tables")
    raw["points"] = tuple(
        _information_object(p, f"{key}.points[{i}]") for i, p in enumerate(points)
    )
    seen: dict[int, str] = {}
    for i, p in enumerate(raw["points"]):
        if p.ioa in seen:
            raise _err(f"{key}.points[{i}].ioa", f"{p.ioa} is already mapped to {seen[p.ioa]!r}")
        seen[p.ioa] = p.variable


def _source(raw: Any, key: str, base_dir: Path) -> SourceConfig:
    if not isinstance(raw, dict):
        raise _err(key, "must be a table with at least a protocol")
    raw = dict(raw)
    allowed = set(SourceConfig.__dataclass_fields__) | {"password_env"}
    _known(raw, allowed, key)
    protocol = raw.get("protocol")
    if protocol not in PROTOCOLS:
        raise _err(f"{key}.protocol", f"must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    env = raw.pop("password_env", None)
    if env is not None:
        if env not in os.environ:
            raise _err(f"{key}.password_env", f"environment variable {env!r} is not set")
        raw["password"] = os.environ[env]
    if protocol == "opcua":
        endpoint = _string(raw.get("endpoint"), f"{key}.endpoint")
        if not endpoint.startswith("opc.tcp://"):
            raise _err(f"{key}.endpoint", f"must start with opc.tcp://, got {endpoint!r}")
        raw["nodes"], raw["node_scaling"] = _nodes(raw.get("nodes"), f"{key}.nodes")
        if raw.get("mode", "subscription") not in ("subscription", "polling"):
            raise _err(f"{key}.mode", f"must be 'subscription' or 'polling', got {raw['mode']!r}")
        for path_key in (
            "certificate",
            "private_key",
            "server_certificate",
            "trusted_certificates",
        ):
            if raw.get(path_key):
                raw[path_key] = str(base_dir / raw[path_key])
        if raw.get("security_policy") and not (raw.get("certificate") and raw.get("private_key")):
            raise _err(f"{key}.security_policy", "needs certificate and private_key")
        if "accept_any_server_certificate" in raw and not isinstance(
            raw["accept_any_server_certificate"], bool
        ):
            raise _err(f"{key}.accept_any_server_certificate", "must be true or false")
        checks = [k for k in ("server_certificate", "trusted_certificates") if raw.get(k)]
        if raw.get("accept_any_server_certificate"):
            checks.append("accept_any_server_certificate")
        if raw.get("security_policy") and not checks:
            raise _err(
                f"{key}.security_policy",
                "needs a way to check the server's certificate: server_certificate (pinned), "
                "trusted_certificates (a trust list), or accept_any_server_certificate = true",
            )
        if len(checks) > 1:
            raise _err(f"{key}.{checks[1]}", f"give only one of {', '.join(checks)}")
    elif protocol == "modbus":
        raw["port"] = _number(raw.get("port", 502), f"{key}.port", low=1, integer=True)
        raw["unit_id"] = _number(raw.get("unit_id", 1), f"{key}.unit_id", low=0, integer=True)
        regs = raw.get("registers")
        if not isinstance(regs, list) or not regs:
            raise _err(f"{key}.registers", "must be a non-empty array of tables")
        raw["registers"] = tuple(_register(r, f"{key}.registers[{i}]") for i, r in enumerate(regs))
        raw["max_block"] = _number(
            raw.get("max_block", MODBUS_MAX_BLOCK), f"{key}.max_block", low=2, integer=True
        )
        if raw["max_block"] > MODBUS_MAX_BLOCK:
            raise _err(f"{key}.max_block", f"must be at most {MODBUS_MAX_BLOCK} (the Modbus limit)")
        raw["max_gap"] = _number(raw.get("max_gap", 0), f"{key}.max_gap", low=0, integer=True)
        raw["timeout_s"] = _number(raw.get("timeout_s", 3.0), f"{key}.timeout_s", low=0.01)
    elif protocol == "mqtt":
        raw["port"] = _number(raw.get("port", 1883), f"{key}.port", low=1, integer=True)
        _string(raw.get("topic"), f"{key}.topic")
        raw["fields"] = _str_map(raw.get("fields"), f"{key}.fields")
        group = raw.get("shared_group")
        if group is not None and (not isinstance(group, str) or not group.isidentifier()):
            raise _err(
                f"{key}.shared_group", f"must be a name of letters, digits and _, got {group!r}"
            )
        if raw.get("qos", 1) not in (0, 1, 2):
            raise _err(f"{key}.qos", f"must be 0, 1 or 2, got {raw['qos']!r}")
        if raw.get("ca_file"):
            raw["ca_file"] = str(base_dir / raw["ca_file"])
    elif protocol == "iec104":
        _iec104(raw, key)
    else:
        # Existence is checked when the monitor starts (the file may be written later).
        raw["path"] = str(base_dir / _string(raw.get("path"), f"{key}.path"))
        raw["speed"] = _number(raw.get("speed", 1.0), f"{key}.speed", low=1e-6)
    return SourceConfig(**raw)


def _transformer(raw: Any, i: int, default_period: float, base_dir: Path) -> TransformerConfig:
    key = f"transformers[{i}]"
    if not isinstance(raw, dict):
        raise _err(key, "must be a table")
    allowed = set(TransformerConfig.__dataclass_fields__)
    _known(raw, allowed, key)
    tid = _string(raw.get("id"), f"{key}.id")
    spec = None
    if "spec" in raw:
        if not isinstance(raw["spec"], dict):
            raise _err(f"{key}.spec", "must be a table (e.g. { preset = 'ONAF' })")
        try:
            spec = TransformerSpec.from_mapping(raw["spec"])
        except InputError as exc:
            raise _err(f"{key}.spec", str(exc)) from None
    thresholds = raw.get("thresholds")
    if thresholds is not None:
        if not isinstance(thresholds, dict) or set(thresholds) != {"alerte_c", "critique_c"}:
            raise _err(f"{key}.thresholds", "must be { alerte_c = .., critique_c = .. }")
        thresholds = {k: _number(v, f"{key}.thresholds.{k}") for k, v in thresholds.items()}
        if thresholds["critique_c"] <= thresholds["alerte_c"]:
            raise _err(f"{key}.thresholds", "critique_c must be above alerte_c")
    model = raw.get("model")
    if model is not None:
        model = str(base_dir / _string(model, f"{key}.model"))
    return TransformerConfig(
        id=tid,
        name=raw.get("name"),
        source=_source(raw.get("source"), f"{key}.source", base_dir),
        period_s=_number(raw.get("period_s", default_period), f"{key}.period_s", low=0.01),
        spec=spec,
        model=model,
        target=raw.get("target", WINDING),
        load=raw.get("load", CURRENT),
        ambient=raw.get("ambient", AMBIENT),
        thresholds=thresholds,
    )


def parse_config(doc: dict[str, Any], base_dir: str | Path = ".") -> MonitorConfig:
    """Build and validate a :class:`MonitorConfig` from a parsed TOML document.

    Relative paths (spool, models, replay files, certificates) are taken from ``base_dir``.
    """
    base = Path(base_dir)
    # The other sections of the one settings file belong to other areas.
    _known(doc, {"monitor", "transformers", "store", "service", "alerts"}, "(top level)")
    monitor = doc.get("monitor", {})
    _known(
        monitor,
        {"database_url", "spool_dir", "period_s", "stale_periods", "missed_periods_alert",
         "residual_flag_k", "max_future_skew_s", "frozen_after_s", "flush_s",
         "shard_group", "shard_member"},
        "monitor",
    )  # fmt: skip
    period = _number(monitor.get("period_s", 60.0), "monitor.period_s", low=0.01)
    raws = doc.get("transformers")
    if not isinstance(raws, list) or not raws:
        raise _err("transformers", "list at least one [[transformers]] table")
    items = tuple(_transformer(r, i, period, base) for i, r in enumerate(raws))
    ids = [t.id for t in items]
    dup = next((t for t in ids if ids.count(t) > 1), None)
    if dup:
        raise _err("transformers", f"id {dup!r} is listed twice")
    return MonitorConfig(
        transformers=items,
        database_url=monitor.get("database_url"),
        spool_dir=str(
            base / monitor["spool_dir"] if "spool_dir" in monitor else default_spool_dir()
        ),
        stale_periods=_number(
            monitor.get("stale_periods", 5), "monitor.stale_periods", low=2, integer=True
        ),
        frozen_after_s=_number(
            monitor.get("frozen_after_s", 1800.0), "monitor.frozen_after_s", low=0
        ),
        missed_periods_alert=_number(
            monitor.get("missed_periods_alert", 3),
            "monitor.missed_periods_alert",
            low=1,
            integer=True,
        ),
        max_future_skew_s=_number(
            monitor.get("max_future_skew_s", 300.0), "monitor.max_future_skew_s", low=0
        ),
        residual_flag_k=_number(
            monitor.get("residual_flag_k", 5.0), "monitor.residual_flag_k", low=0
        ),
        flush_s=_number(monitor.get("flush_s", 0.0), "monitor.flush_s", low=0),
        shard_group=_name(monitor.get("shard_group"), "monitor.shard_group"),
        shard_member=_name(monitor.get("shard_member"), "monitor.shard_member"),
    )


def _name(value: Any, key: str) -> str | None:
    """An optional name of letters, digits, ``_``, ``-``, ``.`` and ``:`` (1-64 characters)."""
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", value):
        raise _err(key, f"must be a name of letters, digits, _ - . :, got {value!r}")
    return value


def load_config(path: str | Path) -> MonitorConfig:
    """Read and validate a TOML config file (relative paths are relative to the file)."""
    path = Path(path)
    return parse_config(read_toml(path, "config file"), path.parent)
