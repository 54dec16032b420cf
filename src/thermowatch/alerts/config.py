"""The ``[alerts]`` configuration: phase, hysteresis, channels, contacts, escalation, actions.

Read from a TOML file given by ``--config`` or ``$THERMOWATCH_ALERTS_CONFIG`` (see
``examples/alerts.toml``). Every mistake is an :class:`~thermowatch.errors.InputError` whose
one sentence names the key. Secrets are never in the file: a channel names the environment
variable that holds its password or token (``password_env``, ``token_env``).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from enum import IntEnum
from typing import Any

from thermowatch.alerts.levels import Hysteresis, Level
from thermowatch.config import read_toml
from thermowatch.errors import InputError
from thermowatch.settings import SettingsFile

ENV_VAR = "THERMOWATCH_ALERTS_CONFIG"
CHANNEL_TYPES = ("email", "webhook", "ntfy", "chat", "log")
HOOK_TYPES = ("webhook", "opcua", "modbus")
FIELD_HOOKS = ("opcua", "modbus")  # hooks that write to the plant
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,50}$")


class Phase(IntEnum):
    """Deployment phases: what the alerting is allowed to do."""

    OBSERVATION = 1  # alerts stored and shown, nothing sent
    PREVENTIVE = 2  # notifications sent
    SUPERVISED = 3  # actions proposed, run after an operator approves them
    AUTONOMOUS = 4  # actions marked ``auto`` run by themselves


@dataclass(frozen=True)
class ChannelConfig:
    """One delivery channel; ``options`` holds the type-specific keys as read."""

    name: str
    type: str
    options: dict[str, Any]


@dataclass(frozen=True)
class Contact:
    """A person or a duty role: where to reach them, in which language, how often at most.

    ``to`` maps a channel name to the address on that channel (e-mail address, phone
    number, ntfy topic, chat room). ``quiet_hours`` is a local-time ``(start, end)``
    window in ``alerts.timezone`` (default UTC) during which non-critical
    messages wait.
    """

    name: str
    to: dict[str, str]
    lang: str = "fr"
    max_per_hour: int = 20
    quiet_hours: tuple[time, time] | None = None


@dataclass(frozen=True)
class ActionConfig:
    """One ``[[alerts.actions]]`` entry: proposed at a level (phase 3, an operator approves it)
    or run by itself when ``auto`` (phase 4). Never anything in phases 1-2.

    Attributes
    ----------
    name : unique name of the action (audited with every proposal, decision and run).
    level : lowest level that proposes it, ``ALERTE`` or ``CRITIQUE``.
    kinds : alert kinds that propose it (default: predicted and measured temperature).
    hook : ``webhook`` (HTTP POST), ``opcua`` (write a node) or ``modbus`` (write a holding
        register).
    auto : in phase 4, run without an operator's approval (phase 3 always asks).
    transformer : only for alerts of this transformer (required by ``opcua`` and ``modbus``).
    phase : lowest deployment phase in which it is proposed, 3 (supervised) or 4.
    value : value written by ``opcua``/``modbus`` (e.g. 2 for cooling stage 2, 0.8 [pu]).
    min, max : bounds of the written value: a value outside them is refused, never written.
    cooldown_minutes : no second proposal of this action for this transformer within this
        time (one write per alert episode, no flapping) [min]; default 60 for field writes.
    options : the hook's own keys. webhook: ``url``, ``json``. opcua: ``endpoint``,
        ``node`` (``ns=2;s=TR-0001.cooling_stage``), ``username``, ``password_env``,
        ``security_policy``, ``security_mode``, ``certificate``, ``private_key``,
        ``server_certificate``. modbus: ``host``, ``port``, ``unit_id``, ``address``,
        ``type``, ``scale``, ``offset``, ``byte_order``, ``word_order``.
    """

    name: str
    level: Level
    kinds: tuple[str, ...]
    hook: str
    options: dict[str, Any]
    auto: bool = False
    transformer: str | None = None
    phase: int = 3
    value: float | None = None
    min: float | None = None
    max: float | None = None
    cooldown_minutes: float = 0.0

    @property
    def writes_field(self) -> bool:
        """Whether the action writes a value to the plant (OPC UA node, Modbus register)."""
        return self.hook in FIELD_HOOKS

    def check_value(self, value: float) -> float:
        """``value`` when inside ``[min, max]``; else ``InputError`` (nothing is written)."""
        if self.min is None or self.max is None or not self.min <= value <= self.max:
            raise InputError(
                f"action {self.name}: value {value:g} is outside its bounds "
                f"[{self.min}, {self.max}]; nothing written"
            )
        return value


@dataclass(frozen=True)
class Delivery:
    """Outbox retry policy: exponential backoff from ``initial`` doubling up to ``maximum``."""

    initial: timedelta = timedelta(seconds=30)
    maximum: timedelta = timedelta(hours=1)
    max_attempts: int = 50
    batch: int = 100


@dataclass(frozen=True)
class AlertsConfig:
    """The whole ``[alerts]`` table, validated."""

    phase: Phase = Phase.OBSERVATION
    lang: str = "fr"
    timezone: str = "UTC"
    hysteresis: Hysteresis = field(default_factory=Hysteresis)
    anomaly_k: float = 3.0
    anomaly_after: timedelta = timedelta(minutes=30)
    stale_after: timedelta = timedelta(minutes=15)
    trend_window: timedelta = timedelta(minutes=30)
    notify_resolved: bool = True
    channels: dict[str, ChannelConfig] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    escalation_after: timedelta = timedelta(minutes=15)
    escalation: tuple[tuple[str, ...], ...] = ()
    actions: tuple[ActionConfig, ...] = ()
    delivery: Delivery = field(default_factory=Delivery)

    def recipients(self, step: int) -> list[tuple[Contact, str, str]]:
        """``(contact, channel name, address)`` for escalation step ``step`` (0 = first list)."""
        if step >= len(self.escalation):
            return []
        out = []
        for name in self.escalation[step]:
            contact = self.contacts[name]
            out.extend((contact, ch, addr) for ch, addr in contact.to.items())
        return out

    def contact_for(self, channel: str, address: str) -> Contact | None:
        """The contact that owns ``address`` on ``channel`` (for rate limits, quiet hours)."""
        for contact in self.contacts.values():
            if contact.to.get(channel) == address:
                return contact
        return None


def _get(table: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...], default: Any):
    value = table.get(key, default)
    if value is default:
        return value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise InputError(f"alerts config: {where}.{key} must be a {names}, got {value!r}")
    return value


def _minutes(table: dict[str, Any], key: str, where: str, default: timedelta) -> timedelta:
    value = _get(table, key, where, float, None)
    if value is None:
        return default
    if value < 0:
        raise InputError(f"alerts config: {where}.{key} must be >= 0 minutes, got {value:g}")
    return timedelta(minutes=value)


def _lang(value: Any, where: str) -> str:
    if value not in ("fr", "en"):
        raise InputError(f'alerts config: {where} must be "fr" or "en", got {value!r}')
    return str(value)


def _clock(text: str, where: str) -> tuple[time, time]:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m[1]) > 23 or int(m[3]) > 23 or int(m[2]) > 59 or int(m[4]) > 59:
        raise InputError(f'alerts config: {where} must look like "22:00-06:30", got {text!r}')
    return time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))


def _channel(name: str, table: Any) -> ChannelConfig:
    where = f"alerts.channels.{name}"
    if not isinstance(table, dict):
        raise InputError(f"alerts config: {where} must be a table")
    kind = table.get("type")
    if kind not in CHANNEL_TYPES:
        raise InputError(f"alerts config: {where}.type must be one of {', '.join(CHANNEL_TYPES)}")
    if kind == "email":
        for key in ("host", "sender"):
            _get(table, key, where, str, None) or _missing(where, key)
        port = _get(table, "port", where, int, None)
        if port is None or not 0 < port < 65536:
            raise InputError(f"alerts config: {where}.port must be a TCP port (1-65535)")
        security = table.get("security", "starttls")
        if security not in ("starttls", "tls", "none"):
            raise InputError(f"alerts config: {where}.security must be starttls, tls or none")
        if "password" in table:
            raise InputError(
                f"alerts config: {where}.password is not allowed: put the password in an "
                "environment variable and name it with password_env"
            )
    elif kind in ("webhook", "ntfy", "chat"):
        url = _get(table, "url", where, str, None) or _missing(where, "url")
        if not url.startswith(("http://", "https://")):
            raise InputError(f"alerts config: {where}.url must start with http:// or https://")
        if kind == "webhook" and sum(k in table for k in ("json", "form", "text")) != 1:
            raise InputError(f"alerts config: {where} needs exactly one of json, form or text")
    return ChannelConfig(name, kind, dict(table))


def _zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"alerts config: alerts.timezone {name!r} is not a known time zone"
        ) from None
    return name


def _missing(where: str, key: str) -> Any:
    raise InputError(f"alerts config: {where}.{key} is required")


def _contact(name: str, table: Any, channels: dict[str, ChannelConfig]) -> Contact:
    where = f"alerts.contacts.{name}"
    if not isinstance(table, dict):
        raise InputError(f"alerts config: {where} must be a table")
    to = _get(table, "to", where, dict, None) or _missing(where, "to")
    for ch, addr in to.items():
        if ch not in channels:
            raise InputError(f"alerts config: {where}.to.{ch} names no channel in alerts.channels")
        if not isinstance(addr, str) or not addr:
            raise InputError(f"alerts config: {where}.to.{ch} must be a non-empty string")
    quiet = _get(table, "quiet_hours", where, str, None)
    max_per_hour = _get(table, "max_per_hour", where, int, 20)
    if max_per_hour < 1:
        raise InputError(f"alerts config: {where}.max_per_hour must be at least 1")
    return Contact(
        name=name,
        to=dict(to),
        lang=_lang(table.get("lang", "fr"), f"{where}.lang"),
        max_per_hour=max_per_hour,
        quiet_hours=_clock(quiet, f"{where}.quiet_hours") if quiet else None,
    )


def _action(i: int, table: Any) -> ActionConfig:
    where = f"alerts.actions[{i}]"
    if not isinstance(table, dict):
        raise InputError(f"alerts config: {where} must be a table")
    name = _get(table, "name", where, str, None) or _missing(where, "name")
    level = Level.parse(_get(table, "level", where, str, "CRITIQUE"))
    if level == Level.NORMAL:
        raise InputError(f"alerts config: {where}.level must be ALERTE or CRITIQUE")
    hook = _get(table, "hook", where, str, None) or _missing(where, "hook")
    if hook not in HOOK_TYPES:
        raise InputError(f"alerts config: {where}.hook must be one of {', '.join(HOOK_TYPES)}")
    kinds = tuple(
        _get(table, "kinds", where, list, ["temperature_predicted", "temperature_measured"])
    )
    phase = _get(table, "phase", where, int, 3)
    if phase not in (3, 4):
        raise InputError(f"alerts config: {where}.phase must be 3 or 4, got {phase}")
    transformer = _get(table, "transformer", where, str, None)
    common = dict(name=name, level=level, kinds=kinds, hook=hook,
                  auto=_get(table, "auto", where, bool, False), transformer=transformer,
                  phase=phase)  # fmt: skip
    if hook == "webhook":
        url = _get(table, "url", where, str, None) or _missing(where, "url")
        if not url.startswith(("http://", "https://")):
            raise InputError(f"alerts config: {where}.url must start with http:// or https://")
        cooldown = _get(table, "cooldown_minutes", where, float, 0.0)
        return ActionConfig(**common, options=dict(table), cooldown_minutes=cooldown)
    return _field_action(table, where, common)


def _field_action(table: dict[str, Any], where: str, common: dict[str, Any]) -> ActionConfig:
    """An ``opcua``/``modbus`` action: a bounded value written to one transformer's plant."""
    if not common["transformer"]:
        _missing(where, "transformer")
    value = _get(table, "value", where, float, None)
    lo, hi = _get(table, "min", where, float, None), _get(table, "max", where, float, None)
    if value is None or lo is None or hi is None:
        raise InputError(
            f"alerts config: {where} writes to the plant: value, min and max are required"
        )
    for key, number in (("value", value), ("min", lo), ("max", hi)):
        if not math.isfinite(number):
            raise InputError(f"alerts config: {where}.{key} must be a finite number, got {number}")
    if lo > hi:
        raise InputError(f"alerts config: {where}.min {lo:g} is above max {hi:g}")
    if not lo <= value <= hi:
        raise InputError(
            f"alerts config: {where}.value {value:g} is outside [min, max] = [{lo:g}, {hi:g}]"
        )
    cooldown = _get(table, "cooldown_minutes", where, float, 60.0)
    if cooldown < 0:
        raise InputError(f"alerts config: {where}.cooldown_minutes must be >= 0")
    options = dict(table)
    if common["hook"] == "opcua":
        endpoint = _get(table, "endpoint", where, str, None) or _missing(where, "endpoint")
        if not endpoint.startswith("opc.tcp://"):
            raise InputError(f"alerts config: {where}.endpoint must start with opc.tcp://")
        _get(table, "node", where, str, None) or _missing(where, "node")
        if table.get("security_policy") and not (
            table.get("certificate") and table.get("private_key")
        ):
            raise InputError(
                f"alerts config: {where}.security_policy needs certificate and private_key"
            )
    else:
        from thermowatch.ingest.config import parse_register

        _get(table, "host", where, str, None) or _missing(where, "host")
        port = _get(table, "port", where, int, 502)
        if not 0 < port < 65536:
            raise InputError(f"alerts config: {where}.port must be a TCP port (1-65535)")
        if not 0 <= _get(table, "unit_id", where, int, 1) <= 255:
            raise InputError(f"alerts config: {where}.unit_id must be 0-255")
        reg = {k: table[k] for k in ("address", "type", "scale", "offset", "byte_order",
                                     "word_order") if k in table}  # fmt: skip
        try:
            options["register"] = parse_register({"variable": common["name"], **reg}, where)
        except InputError as exc:
            raise InputError(f"alerts config: {exc}") from None
        _fits_register(options["register"], where, value, lo, hi)
    return ActionConfig(**common, options=options, value=value, min=lo, max=hi,
                        cooldown_minutes=cooldown)  # fmt: skip


#: What each Modbus register type can hold (raw, before scale and offset).
_RAW_RANGE = {
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "float32": (-3.4028234663852886e38, 3.4028234663852886e38),
}


def _fits_register(reg: Any, where: str, value: float, lo: float, hi: float) -> None:
    """Every value in ``[lo, hi]`` fits the register's type once scaled (raw = (v - offset) /
    scale), and ``value`` is a whole number of steps of an integer register: what is written
    is then exactly what the bounds allow, never a wrapped or rounded number."""
    if reg.scale == 0 or not (math.isfinite(reg.scale) and math.isfinite(reg.offset)):
        raise InputError(f"alerts config: {where}.scale must be finite and not 0")
    low, high = _RAW_RANGE[reg.type]
    for key, number in (("min", lo), ("max", hi)):
        raw = (number - reg.offset) / reg.scale
        if not low <= raw <= high:
            raise InputError(
                f"alerts config: {where}.{key} {number:g} does not fit a {reg.type} register "
                f"(raw {raw:g}, the register holds {low:g} to {high:g})"
            )
    raw = (value - reg.offset) / reg.scale
    if reg.type != "float32" and not math.isclose(raw, round(raw), rel_tol=1e-9, abs_tol=1e-6):
        raise InputError(
            f"alerts config: {where}.value {value:g} is not a whole number of {reg.type} "
            f"steps (raw {raw:g} with scale {reg.scale:g}, offset {reg.offset:g})"
        )


def _actions(tables: list[Any]) -> tuple[ActionConfig, ...]:
    actions = tuple(_action(i, t) for i, t in enumerate(tables))
    names = [a.name for a in actions]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise InputError(f"alerts config: alerts.actions[{i}].name {name!r} is used twice")
    return actions


def parse_config(doc: dict[str, Any]) -> AlertsConfig:
    """Validate a parsed TOML document (its ``[alerts]`` table) into :class:`AlertsConfig`."""
    a = doc.get("alerts")
    if not isinstance(a, dict):
        raise InputError("alerts config: the file has no [alerts] table")
    phase = _get(a, "phase", "alerts", int, 1)
    if phase not in (1, 2, 3, 4):
        raise InputError(f"alerts config: alerts.phase must be 1, 2, 3 or 4, got {phase}")
    lv = _get(a, "levels", "alerts", dict, {})
    hyst = Hysteresis(
        deadband_k=_get(lv, "deadband_k", "alerts.levels", float, 2.0),
        raise_after=_minutes(lv, "raise_after_minutes", "alerts.levels", timedelta(minutes=5)),
        clear_after=_minutes(lv, "clear_after_minutes", "alerts.levels", timedelta(minutes=15)),
        raise_after_critique=_minutes(
            lv, "raise_after_critique_minutes", "alerts.levels", timedelta(seconds=10)
        ),
    )
    if hyst.deadband_k < 0:
        raise InputError("alerts config: alerts.levels.deadband_k must be >= 0")
    an = _get(a, "anomaly", "alerts", dict, {})
    anomaly_k = _get(an, "k", "alerts.anomaly", float, 3.0)
    if anomaly_k <= 0:
        raise InputError("alerts config: alerts.anomaly.k must be > 0")
    channels = {
        name: _channel(name, t) for name, t in _get(a, "channels", "alerts", dict, {}).items()
    }
    for name in channels:
        if not _NAME.match(name):
            raise InputError(f"alerts config: channel name {name!r} must be letters, digits, _ . -")
    contacts = {
        name: _contact(name, t, channels)
        for name, t in _get(a, "contacts", "alerts", dict, {}).items()
    }
    esc = _get(a, "escalation", "alerts", dict, {})
    steps = _get(esc, "steps", "alerts.escalation", list, [])
    for i, step in enumerate(steps):
        if not isinstance(step, list) or not step:
            raise InputError(
                f"alerts config: alerts.escalation.steps[{i}] must be a list of contacts"
            )
        for name in step:
            if name not in contacts:
                raise InputError(
                    f"alerts config: alerts.escalation.steps[{i}] names unknown contact {name!r}"
                )
    dl = _get(a, "delivery", "alerts", dict, {})
    delivery = Delivery(
        initial=timedelta(
            seconds=_get(dl, "backoff_initial_seconds", "alerts.delivery", float, 30.0)
        ),
        maximum=timedelta(
            seconds=_get(dl, "backoff_max_seconds", "alerts.delivery", float, 3600.0)
        ),
        max_attempts=_get(dl, "max_attempts", "alerts.delivery", int, 50),
    )
    if delivery.initial <= timedelta(0) or delivery.maximum < delivery.initial:
        raise InputError(
            "alerts config: alerts.delivery needs 0 < backoff_initial_seconds <= backoff_max_seconds"
        )
    if delivery.max_attempts < 1:
        raise InputError("alerts config: alerts.delivery.max_attempts must be at least 1")
    return AlertsConfig(
        phase=Phase(phase),
        lang=_lang(a.get("lang", "fr"), "alerts.lang"),
        timezone=_zone(_get(a, "timezone", "alerts", str, "UTC")),
        hysteresis=hyst,
        anomaly_k=anomaly_k,
        anomaly_after=_minutes(an, "minutes", "alerts.anomaly", timedelta(minutes=30)),
        stale_after=_minutes(
            _get(a, "stale", "alerts", dict, {}),
            "after_minutes",
            "alerts.stale",
            timedelta(minutes=15),
        ),
        trend_window=_minutes(lv, "trend_window_minutes", "alerts.levels", timedelta(minutes=30)),
        notify_resolved=_get(a, "notify_resolved", "alerts", bool, True),
        channels=channels,
        contacts=contacts,
        escalation_after=_minutes(esc, "after_minutes", "alerts.escalation", timedelta(minutes=15)),
        escalation=tuple(tuple(s) for s in steps),
        actions=_actions(_get(a, "actions", "alerts", list, [])),
        delivery=delivery,
    )


def load_config(path: str | os.PathLike[str] | None = None) -> AlertsConfig:
    """Read the alerts config from the file ``path`` (its ``[alerts]`` table).

    Without a path, the defaults: phase 1 (observation), no channel, nothing sent. The path
    comes from the caller's resolved settings (``--config``, ``THERMOWATCH_ALERTS_CONFIG``):
    this module reads no environment.
    """
    if not path:
        return AlertsConfig()
    return parse_config(read_toml(path, "alerts config file"))


def alerts_settings(
    file: SettingsFile, fallback: str | os.PathLike[str] | None = None
) -> AlertsConfig:
    """The ``[alerts]`` section of the settings file, else the alerts file ``fallback``
    (``--config`` / ``THERMOWATCH_ALERTS_CONFIG``), else the defaults (phase 1: stored, nothing
    sent). Every process resolves its alerts settings here, so the service, the monitor, the
    jobs and the alerts commands agree on the phase and the channels."""
    if file.has("alerts"):
        return parse_config(file.doc)
    return load_config(fallback)
