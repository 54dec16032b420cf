"""A simulated SCADA field on loopback: OPC UA server, Modbus TCP server, MQTT publisher or
IEC 60870-5-104 RTU.

``thermowatch simulate-scada`` serves ``N`` transformers (``TR-0001`` ...) whose temperatures
come from the IEC 60076-7 model (:func:`thermowatch.thermal.simulate`, the bundled sample's
36 MVA ONAF spec), advanced for the whole fleet at once every ``interval_s`` of wall time.
Simulated time runs ``speed`` times faster than the wall clock.

Scenarios (the fault starts ``fault_after_s`` wall seconds after the start):

* ``normal``: daily load cycle 0.45 - 0.95 pu, ambient 7 - 23 °C;
* ``overload``: the same plus 0.5 pu;
* ``cooling-failure``: the fans stop (ONAN rating: higher top-oil rise, slower oil);
* ``sensor-freeze``: the oil and winding sensors stick at their last value;
* ``link-drop``: the server goes away for ``drop_s`` seconds, then comes back.

Two writable points per transformer let field actions reach the simulated plant, and it
responds: ``cooling_stage`` (1 = fans, ONAF; 2 = oil pumps too, forced-oil: the IEC model's
cooling mode, exponents and oil time constant change, the temperature falls) and
``load_setpoint_pu`` (the load is capped at it: lower it and load and temperature fall).
OPC UA nodes ``ns=2;s=TR-0001.cooling_stage`` / ``.load_setpoint_pu``; Modbus holding registers
:data:`COMMAND_MAP` at the transformer's base address.

:func:`sim_config` writes the ``thermowatch monitor`` config that reads the simulator as is.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from thermowatch.data.simulator import (
    ACTIVE_POWER,
    AMBIENT,
    CURRENT,
    OIL,
    RATED_CURRENT_A,
    REACTIVE_POWER,
    SAMPLE_SPEC,
    VOLTAGE,
    WINDING,
)
from thermowatch.errors import InputError
from thermowatch.ingest.config import InformationObject, Register
from thermowatch.thermal import ThermalState, simulate

log = logging.getLogger("thermowatch.simulator")

SCENARIOS = ("normal", "overload", "cooling-failure", "sensor-freeze", "link-drop")
PROTOCOLS = ("opcua", "modbus", "mqtt", "iec104")
DEFAULT_PORTS = {"opcua": 4840, "modbus": 5020, "mqtt": 1883, "iec104": 2404}
PUBLISH_WINDOW = 200  # MQTT messages a simulated field has in flight at once
OPCUA_NAMESPACE = "urn:thermowatch:simulator"

#: Variable (French export name) -> short key used in node ids and JSON payloads.
FIELDS = {
    CURRENT: "current_a",
    AMBIENT: "ambient_c",
    OIL: "oil_c",
    WINDING: "winding_c",
    VOLTAGE: "voltage_kv",
    ACTIVE_POWER: "p_mw",
    REACTIVE_POWER: "q_mvar",
}
#: Modbus map of one transformer, at ``REGISTERS_PER_TRANSFORMER * index`` (unit id 1);
#: mixes types and orders on purpose, as real devices do.
MODBUS_MAP = (
    Register(CURRENT, 0, "uint16", scale=0.1),
    Register(AMBIENT, 1, "int16", scale=0.1),
    Register(OIL, 2, "float32"),
    Register(WINDING, 4, "float32"),
    Register(VOLTAGE, 6, "float32", word_order="little"),
    Register(ACTIVE_POWER, 8, "int32", scale=0.001),
    Register(REACTIVE_POWER, 10, "int32", scale=0.001),
)
#: Writable points (field actions): key -> Modbus register at the transformer's base address.
COMMAND_MAP = {
    "cooling_stage": Register("cooling_stage", 12, "uint16"),
    "load_setpoint_pu": Register("load_setpoint_pu", 13, "uint16", scale=0.001),
}
#: IEC 104 points of one transformer (station 1), IOA ``IOAS_PER_TRANSFORMER * (index + 1) + n``
#: -> (c104 type name, object): the current as a scaled value in tenths of an ampere, the
#: ambient as an untagged short float, the others as short floats with a CP56Time2a time tag.
IEC104_MAP = {
    "current_a": ("M_ME_NB_1", InformationObject(CURRENT, 1, scale=0.1)),
    "ambient_c": ("M_ME_NC_1", InformationObject(AMBIENT, 2)),
    **{
        FIELDS[var]: ("M_ME_TF_1", InformationObject(var, n))
        for n, var in enumerate((OIL, WINDING, VOLTAGE, ACTIVE_POWER, REACTIVE_POWER), start=3)
    },
}
IOAS_PER_TRANSFORMER = 100
#: Commands at start: stage 1 (fans) and a set-point that caps nothing [pu].
COMMAND_DEFAULTS = {"cooling_stage": 1.0, "load_setpoint_pu": 2.0}
#: What the simulated plant accepts; a write outside is clipped to it, as a PLC would.
COMMAND_RANGES = {"cooling_stage": (1.0, 2.0), "load_setpoint_pu": (0.1, 2.0)}
REGISTERS_PER_TRANSFORMER = 16
# Fans stopped: the ONAF transformer falls back to its ONAN rating (IEC 60076-7 Table 5
# orders of magnitude: higher top-oil rise, slower oil).
FAILED_COOLING_SPEC = SAMPLE_SPEC.with_(cooling="ONAN", top_oil_rise_k=75.0, tau_oil_min=210.0)
# Cooling stage 2 (oil pumps with the fans): forced-oil OF exponents and constants of
# IEC 60076-7 Table 5, a lower top-oil rise and a faster oil.
STAGE2_SPEC = SAMPLE_SPEC.with_(cooling="OF", top_oil_rise_k=36.0, oil_exponent=1.0, k11=1.0,
                                k21=1.3, k22=1.0, tau_oil_min=90.0)  # fmt: skip


def transformer_ids(n: int) -> list[str]:
    """``TR-0001`` ... ``TR-nnnn``."""
    return [f"TR-{i + 1:04d}" for i in range(n)]


class FieldModel:
    """The physics of the simulated fleet, advanced in simulated time (no I/O)."""

    def __init__(
        self,
        n: int,
        scenario: str = "normal",
        seed: int = 7,
        start: datetime | None = None,
        fault_at: datetime | None = None,
    ) -> None:
        if scenario not in SCENARIOS:
            raise InputError(f"scenario must be one of {', '.join(SCENARIOS)}, got {scenario!r}")
        self.ids = transformer_ids(n)
        self.scenario = scenario
        self.rng = np.random.default_rng(seed)
        self.phase_h = self.rng.uniform(-2.0, 2.0, n)
        self.base = self.rng.uniform(0.6, 0.75, n)
        self.ambient_offset = self.rng.uniform(-2.0, 2.0, n)
        self.t: datetime | None = None
        self.start = start
        self.fault_at = fault_at
        self.state: Any = None
        self.values: dict[str, np.ndarray] = {}
        self._prev: tuple[np.ndarray, np.ndarray] | None = None
        self._frozen: dict[str, np.ndarray] | None = None
        self.commands = {k: np.full(n, v) for k, v in COMMAND_DEFAULTS.items()}

    def command(self, i: int, key: str, value: float) -> float:
        """Apply a field write to transformer ``i``; returns the value the plant now holds."""
        lo, hi = COMMAND_RANGES[key]
        value = float(np.clip(value, lo, hi))
        if key == "cooling_stage":
            value = float(round(value))
        self.commands[key][i] = value
        return value

    def fault_active(self, t: datetime) -> bool:
        """Whether the scenario's fault is on at simulated time ``t``."""
        return self.scenario != "normal" and self.fault_at is not None and t >= self.fault_at

    def _drivers(self, t: datetime) -> tuple[np.ndarray, np.ndarray]:
        hour = t.hour + t.minute / 60 + t.second / 3600 + self.phase_h
        load = self.base + 0.25 * np.sin(2 * np.pi * (hour - 11.0) / 24.0)
        if self.scenario == "overload" and self.fault_active(t):
            load = load + 0.5
        load = np.minimum(load, self.commands["load_setpoint_pu"])
        ambient = 15.0 + 8.0 * np.sin(2 * np.pi * (hour - 9.0) / 24.0) + self.ambient_offset
        return load, ambient

    def _groups(self, t: datetime) -> list[tuple[Any, np.ndarray]]:
        """``(spec, rows)``: transformers simulated with the same thermal spec right now."""
        failed = self.scenario == "cooling-failure" and self.fault_active(t)
        stage2 = self.commands["cooling_stage"] >= 2
        groups = [(FAILED_COOLING_SPEC if failed else SAMPLE_SPEC, np.flatnonzero(~stage2)),
                  (STAGE2_SPEC, np.flatnonzero(stage2))]  # fmt: skip
        return [(spec, rows) for spec, rows in groups if rows.size]

    def step(self, t: datetime) -> dict[str, np.ndarray]:
        """Advance to simulated time ``t`` and return the measured values per field key."""
        load, ambient = self._drivers(t)
        top, hot = np.empty(len(self.ids)), np.empty(len(self.ids))
        values: list[np.ndarray] = []
        for spec, rows in self._groups(t):
            if self.state is None or self.t is None or self._prev is None:
                res = simulate(spec, load[rows, None], ambient[rows, None], 1.0, initial="steady")
            else:
                dt = max((t - self.t).total_seconds() / 60.0, 1e-6)
                state = ThermalState(self.state.method, tuple(v[rows] for v in self.state.values))
                res = simulate(
                    spec,
                    np.stack([self._prev[0][rows], load[rows]], axis=1),
                    np.stack([self._prev[1][rows], ambient[rows]], axis=1),
                    np.array([0.0, dt]),
                    initial=state,
                )
            top[rows], hot[rows] = res.top_oil_c[:, -1], res.hot_spot_c[:, -1]
            if not values:
                values = [np.empty(len(self.ids)) for _ in res.final_state.values]
                method = res.final_state.method
            for whole, part in zip(values, res.final_state.values, strict=True):
                whole[rows] = part
        state = ThermalState(method, tuple(values))
        self.state, self.t, self._prev = state, t, (load, ambient)
        noise = self.rng.normal(0.0, 1.0, (6, len(self.ids)))
        current = load * RATED_CURRENT_A + 2.0 * noise[0]
        voltage = 20.0 + 0.05 * noise[1]
        p_mw = np.sqrt(3) * voltage * current / 1000.0 * 0.95
        values = {
            "current_a": np.round(current, 1),
            "ambient_c": np.round(ambient + 0.1 * noise[2], 1),
            "oil_c": top + 0.1 * noise[3],
            "winding_c": hot + 0.1 * noise[4],
            "voltage_kv": voltage,
            "p_mw": np.round(p_mw, 3),
            "q_mvar": np.round(p_mw * 0.33, 3),
        }
        if self.scenario == "sensor-freeze" and self.fault_active(t):
            if self._frozen is None:
                self._frozen = {
                    k: self.values.get(k, values[k]).copy() for k in ("oil_c", "winding_c")
                }
            values.update(self._frozen)
        self.values = values
        return values

    def snapshot(self, i: int) -> dict[str, float]:
        """Current values of transformer ``i`` by field key."""
        return {k: float(v[i]) for k, v in self.values.items()}


# ------------------------------------------------------------------------------------ servers
class OpcUaField:
    """An asyncua server with one object per transformer, one variable per field."""

    def __init__(self, field: FieldModel, host: str, port: int) -> None:
        self.field, self.host, self.port = field, host, port
        self.server: Any = None
        self._built: Any = None
        self.nodes: list[tuple[Any, str, int]] = []
        self.commands: list[tuple[Any, str, int]] = []

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://{self.host}:{self.port}/thermowatch/"

    async def start(self) -> None:
        """Serve (again): the address space is built once, a restart only reopens the port."""
        from asyncua import Server, ua

        if self._built is not None:
            self.server = self._built
            await self.server.start()
            return
        server = Server()
        await server.init()  # ~3 s: loads the standard address space
        server.set_endpoint(self.endpoint)
        server.set_server_name("thermowatch SCADA simulator")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        idx = await server.register_namespace(OPCUA_NAMESPACE)
        objects = server.nodes.objects
        self.nodes = []
        for i, tid in enumerate(self.field.ids):
            obj = await objects.add_object(ua.NodeId(tid, idx), tid)
            for key in FIELDS.values():
                value = float(self.field.values[key][i]) if self.field.values else 0.0
                node = await obj.add_variable(ua.NodeId(f"{tid}.{key}", idx), key, value)
                self.nodes.append((node.nodeid, key, i))
            for key in COMMAND_MAP:  # writable by clients: the field actions' targets
                value = float(self.field.commands[key][i])
                node = await obj.add_variable(ua.NodeId(f"{tid}.{key}", idx), key, value)
                await node.set_writable()
                self.commands.append((node.nodeid, key, i))
        await server.start()
        self.server = self._built = server
        await self.publish()  # the first values carry their timestamps too

    async def pull_commands(self) -> None:
        """Hand what clients wrote to the writable nodes to the field model."""
        if self.server is None:
            return
        for nodeid, key, i in self.commands:
            written = self.server.read_attribute_value(nodeid).Value.Value
            if isinstance(written, int | float) and written != self.field.commands[key][i]:
                self.field.command(i, key, float(written))
                log.info("%s: %s set to %g", self.field.ids[i], key, written)

    async def publish(self) -> None:
        from asyncua import ua

        if self.server is None:
            return
        # The device's sampling instant, as real servers give it: simulated time, so that at
        # --speed N the monitor sees the physics at its real pace (not N times too fast).
        stamp = self.field.t or datetime.now(UTC)
        for nodeid, key, i in self.nodes:
            dv = ua.DataValue(
                ua.Variant(float(self.field.values[key][i]), ua.VariantType.Double),
                SourceTimestamp=stamp, ServerTimestamp=stamp,
            )  # fmt: skip
            await self.server.write_attribute_value(nodeid, dv)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None


class ModbusField:
    """A pymodbus TCP server; registers are refreshed from the field model on each request."""

    def __init__(self, field: FieldModel, host: str, port: int) -> None:
        self.field, self.host, self.port = field, host, port
        self.server: Any = None
        self._task: asyncio.Task[Any] | None = None
        self.words = [0] * (REGISTERS_PER_TRANSFORMER * len(field.ids))
        for i in range(len(field.ids)):
            self._encode_commands(i)

    def _encode_commands(self, i: int) -> None:
        from thermowatch.ingest.sources.modbus import encode_register

        base = i * REGISTERS_PER_TRANSFORMER
        for key, reg in COMMAND_MAP.items():
            words = encode_register(float(self.field.commands[key][i]), reg)
            self.words[base + reg.address : base + reg.address + reg.count] = words

    async def pull_commands(self) -> None:
        """Writes reach the field model as they arrive (see ``_action``)."""

    async def publish(self) -> None:
        from thermowatch.ingest.sources.modbus import encode_register

        words = self.words
        for i in range(len(self.field.ids)):
            base = i * REGISTERS_PER_TRANSFORMER
            snap = self.field.snapshot(i)
            for reg in MODBUS_MAP:
                encoded = encode_register(snap[FIELDS[reg.variable]], reg)
                words[base + reg.address : base + reg.address + reg.count] = encoded

    async def _action(
        self,
        func_code: int,
        start: int,
        address: int,
        count: int,
        registers: list[int],
        values: Any,
    ) -> Any:
        if values:  # a write: only the command registers are writable
            return self._write(address, values)
        # Copy the freshest words into the server's memory before it answers.
        lo = address - start
        registers[lo : lo + count] = self.words[address : address + count]
        return None

    def _write(self, address: int, values: list[Any]) -> Any:
        """Apply a write to a command register; any other address is refused."""
        from pymodbus.constants import ExcCodes

        from thermowatch.ingest.sources.modbus import decode_register

        i, offset = divmod(address, REGISTERS_PER_TRANSFORMER)
        for key, reg in COMMAND_MAP.items():
            if reg.address == offset and reg.count == len(values) and i < len(self.field.ids):
                value = self.field.command(i, key, decode_register(values, reg))
                self._encode_commands(i)
                values[:] = self.words[address : address + reg.count]  # what the plant holds
                log.info("%s: %s set to %g", self.field.ids[i], key, value)
                return None
        return ExcCodes.ILLEGAL_ADDRESS

    async def start(self) -> None:
        from pymodbus.server import ModbusTcpServer
        from pymodbus.simulator import DataType, SimData, SimDevice

        await self.publish()
        device = SimDevice(
            id=1,
            simdata=[SimData(0, count=len(self.words), values=0, datatype=DataType.REGISTERS)],
            action=self._action,
        )
        self.server = ModbusTcpServer(device, address=(self.host, self.port))
        await self.server.serve_forever(background=True)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.shutdown()
            self.server = None


class MqttField:
    """Publishes one JSON message per transformer and update, QoS 1, to a broker."""

    def __init__(
        self, field: FieldModel, host: str, port: int, username: str | None = None,
        password: str | None = None,
    ) -> None:  # fmt: skip
        self.field, self.host, self.port = field, host, port
        self.username, self.password = username, password
        self.client: Any = None
        self.published = 0
        self.online = True

    async def start(self) -> None:
        import aiomqtt

        if self.client is not None:  # back from a link drop: same connection
            self.online = True
            return
        self.client = aiomqtt.Client(
            self.host, self.port, username=self.username, password=self.password,
            identifier=f"thermowatch-sim-{self.port}", max_queued_outgoing_messages=0,
            max_inflight_messages=PUBLISH_WINDOW,
        )  # fmt: skip
        # aiomqtt warns of every publish beyond 10 awaiting their PUBACK: here that is a round
        self.client.pending_calls_threshold = PUBLISH_WINDOW
        await self.client.__aenter__()
        self.online = True

    async def pull_commands(self) -> None:
        """A publisher has no writable points (field actions use OPC UA or Modbus)."""

    async def publish(self) -> None:
        if self.client is None or not self.online or self.field.t is None:
            return
        ts = self.field.t.isoformat()

        async def one(i: int, tid: str) -> None:
            payload = {"ts": ts, **self.field.snapshot(i)}
            await self.client.publish(topic_of(tid), json.dumps(payload), qos=1)
            self.published += 1

        # Devices publish side by side, not each after the previous one's PUBACK: one at a
        # time, a round of 10,000 took seconds of round trips (its last reading left long
        # after the round's instant). Up to PUBLISH_WINDOW in flight.
        ids = list(enumerate(self.field.ids))
        for start in range(0, len(ids), PUBLISH_WINDOW):
            await asyncio.gather(*(one(i, tid) for i, tid in ids[start : start + PUBLISH_WINDOW]))

    async def stop(self) -> None:
        # A dropped link for a publisher: it stops sending (the broker itself stays up).
        self.online = False

    async def close(self) -> None:
        if self.client is not None:
            await self.client.__aexit__(None, None, None)
            self.client = None


class Iec104Field:
    """A c104 server: one station (common address 1), the points of :data:`IEC104_MAP` per
    transformer, each sent spontaneously at every update (and answered on interrogation)."""

    def __init__(self, field: FieldModel, host: str, port: int) -> None:
        self.field, self.host, self.port = field, host, port
        self.server: Any = None
        self.points: dict[tuple[int, str], Any] = {}

    async def start(self) -> None:
        import c104

        if self.server is None:
            self.server = c104.Server(ip=self.host, port=self.port, tick_rate_ms=50)
            station = self.server.add_station(common_address=1)
            for i in range(len(self.field.ids)):
                for key, (type_name, obj) in IEC104_MAP.items():
                    ioa = IOAS_PER_TRANSFORMER * (i + 1) + obj.ioa
                    self.points[(i, key)] = station.add_point(
                        io_address=ioa, type=getattr(c104.Type, type_name)
                    )
        self._write()  # a restarted RTU serves the field as it is now
        await asyncio.to_thread(self.server.start)

    def _write(self) -> None:
        import c104

        # c104 reads a naive time tag as local time (and so does the IEC 104 hub).
        t = (self.field.t or datetime.now(UTC)).astimezone().replace(tzinfo=None)
        for (i, key), point in self.points.items():
            value = float(self.field.values[key][i])
            type_name, obj = IEC104_MAP[key]
            raw = (value - obj.offset) / obj.scale
            if type_name == "M_ME_NB_1":
                point.info = c104.ScaledInfo(c104.Int16(round(raw)), point.quality)
            else:
                tagged = type_name == "M_ME_TF_1"
                point.info = c104.ShortInfo(raw, point.quality, t if tagged else None)

    async def pull_commands(self) -> None:
        """No writable points over IEC 104 here (field actions use OPC UA or Modbus)."""

    async def publish(self) -> None:
        import c104

        if self.server is None or not self.server.is_running:
            return
        self._write()
        for point in self.points.values():
            point.transmit(cause=c104.Cot.SPONTANEOUS)

    async def stop(self) -> None:
        if self.server is not None and self.server.is_running:
            await asyncio.to_thread(self.server.stop)


def topic_of(tid: str) -> str:
    """MQTT topic of a simulated transformer."""
    return f"thermowatch/sim/{tid}/measurements"


def make_field_server(protocol: str, field: FieldModel, host: str, port: int) -> Any:
    """The server (or publisher) for ``protocol``."""
    if protocol == "opcua":
        return OpcUaField(field, host, port)
    if protocol == "modbus":
        return ModbusField(field, host, port)
    if protocol == "mqtt":
        return MqttField(field, host, port)
    if protocol == "iec104":
        return Iec104Field(field, host, port)
    raise InputError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")


@dataclass
class SimulatorRun:
    """A running simulator (see :func:`run_simulator`)."""

    field: FieldModel
    server: Any
    updates: int = 0


async def run_simulator(
    protocol: str,
    n: int,
    *,
    speed: float = 1.0,
    scenario: str = "normal",
    host: str = "127.0.0.1",
    port: int | None = None,
    interval_s: float = 1.0,
    fault_after_s: float = 30.0,
    drop_s: float = 15.0,
    stop: asyncio.Event | None = None,
    on_ready: Any = None,
    start: datetime | None = None,
) -> SimulatorRun:
    """Serve the simulated field until ``stop`` is set.

    Simulated time starts at ``start`` (default: the wall-clock time) and runs ``speed`` times
    faster; the field is advanced and published every ``interval_s`` wall seconds. OPC UA and
    MQTT carry the simulated instant; Modbus has no timestamps (the monitor stamps reception).
    """
    if speed <= 0:
        raise InputError(f"--speed must be positive, got {speed}")
    port = port or DEFAULT_PORTS[protocol]
    stop = stop or asyncio.Event()
    t0_wall, t0 = time.monotonic(), (start or datetime.now(UTC))
    fault_at = t0 + timedelta(seconds=fault_after_s * speed)
    field = FieldModel(n, scenario, start=t0, fault_at=fault_at)
    field.step(t0)
    server = make_field_server(protocol, field, host, port)
    await server.start()
    run = SimulatorRun(field, server)
    if on_ready is not None:
        on_ready(run)
    log.info("simulating %d transformers over %s on %s:%d (%s)", n, protocol, host, port, scenario)
    dropped_until: float | None = None
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
                break
            except TimeoutError:
                pass
            elapsed = time.monotonic() - t0_wall
            await server.pull_commands()
            field.step(t0 + timedelta(seconds=elapsed * speed))
            if scenario == "link-drop" and field.fault_active(field.t):  # type: ignore[arg-type]
                if dropped_until is None:
                    log.info("link drop for %.0f s", drop_s)
                    await server.stop()
                    dropped_until = time.monotonic() + drop_s
                elif dropped_until > 0 and time.monotonic() >= dropped_until:
                    await server.start()
                    dropped_until = 0.0
                    log.info("link back")
            await server.publish()
            run.updates += 1
    finally:
        await server.stop()
        if hasattr(server, "close"):
            await server.close()
    return run


# ------------------------------------------------------------------------------------ configs
def sim_config(
    protocol: str,
    n: int,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    period_s: float = 10.0,
    database_url: str | None = None,
    spool_dir: str | None = "spool",
    mode: str = "subscription",
    comments: bool = True,
    speed: float = 1.0,
) -> str:
    """TOML config of ``thermowatch monitor`` for a simulator serving ``n`` transformers.

    At ``speed`` > 1 the simulated clock runs ahead of the wall clock, so the config lets
    timestamps be up to a year ahead (else the live pipeline refuses them).
    """
    port = port or DEFAULT_PORTS[protocol]
    c = (lambda text: text) if comments else (lambda text: "")
    lines = [
        c("# thermowatch monitor - generated for `thermowatch simulate-scada "
          f"--protocol {protocol} --transformers {n}`\n"),
        "[monitor]\n",
        c("# Store: omit to use $THERMOWATCH_DATABASE_URL or the data directory's SQLite\n"),
        f'database_url = "{database_url}"\n' if database_url else "",
        c("# Readings wait here (fsync'd) while the database is unreachable; default: spool/\n"
          "# in the data directory ($THERMOWATCH_HOME).\n"),
        f'spool_dir = "{spool_dir}"\n' if spool_dir else "",
        c("# Default period of every transformer [s].\n"),
        f"period_s = {period_s:g}\n",
        c("# A value unchanged beyond its resolution for this long [s] and this many readings,\n"
          "# while other channels move, is a frozen sensor (a real field: 1800 s; the\n"
          "# simulator's clock runs fast, so five periods here).\n"),
        "stale_periods = 5\n",
        f"frozen_after_s = {5 * period_s:g}\n",
        c("# Periods without data before a data alert (not a temperature alert) is logged.\n"),
        "missed_periods_alert = 3\n",
        c("# Measured minus normal-behaviour prediction that raises the residual flag [K].\n"),
        "residual_flag_k = 5.0\n",
        *((c("# Simulated time runs ahead of the clock: accept it (a real field: 300 s).\n"),
           "max_future_skew_s = 31536000\n") if speed > 1 else ()),
    ]  # fmt: skip
    for i, tid in enumerate(transformer_ids(n)):
        lines += [
            "\n[[transformers]]\n",
            f'id = "{tid}"\n',
            c("# No trained model yet: IEC 60076-7 model from this spec (36 MVA ONAF).\n"),
            f'spec = {{ preset = "ONAF", top_oil_rise_k = 50.0, hot_spot_gradient_k = 20.0, '
            f"rated_current_a = {RATED_CURRENT_A:.2f} }}\n",
            c("# The measured temperature the prediction is compared with.\n"),
            f'target = "{WINDING}"\n',
            "thresholds = { alerte_c = 93.0, critique_c = 105.0 }\n",
            "[transformers.source]\n",
            f'protocol = "{protocol}"\n',
        ]
        if protocol == "opcua":
            lines += [
                f'endpoint = "opc.tcp://{host}:{port}/thermowatch/"\n',
                c("# subscription (data-change notifications) or polling (Read each period)\n"),
                f'mode = "{mode}"\n',
                c(
                    '# security_policy = "Basic256Sha256"  (with certificate, private_key and\n'
                    "#   server_certificate, trusted_certificates or accept_any_server_certificate)\n"
                ),
                c('# username = "monitor"  password_env = "OPCUA_PASSWORD"\n'),
                "[transformers.source.nodes]\n",
            ]
            lines += [f'"{var}" = "ns=2;s={tid}.{key}"\n' for var, key in FIELDS.items()]
        elif protocol == "modbus":
            base = i * REGISTERS_PER_TRANSFORMER
            lines += [f'host = "{host}"\n', f"port = {port}\n", "unit_id = 1\n"]
            for reg in MODBUS_MAP:
                lines += [
                    "[[transformers.source.registers]]\n",
                    f'variable = "{reg.variable}"\naddress = {base + reg.address}\n'
                    f'type = "{reg.type}"\nscale = {reg.scale:g}\n'
                    f'byte_order = "{reg.byte_order}"\nword_order = "{reg.word_order}"\n',
                ]
        elif protocol == "iec104":
            lines += [f'host = "{host}"\n', f"port = {port}\n", "common_address = 1\n"]
            for _type, obj in IEC104_MAP.values():
                lines += [
                    "[[transformers.source.points]]\n",
                    f'variable = "{obj.variable}"\n'
                    f"ioa = {IOAS_PER_TRANSFORMER * (i + 1) + obj.ioa}\nscale = {obj.scale:g}\n",
                ]
        else:
            lines += [
                f'host = "{host}"\n',
                f"port = {port}\n",
                f'topic = "{topic_of(tid)}"\n',
                c("# QoS 1 + a fixed client id: the broker keeps messages while we are away.\n"),
                "qos = 1\n",
                'client_id = "thermowatch-monitor"\n',
                c('# tls = true  ca_file = "ca.pem"  username = ".."  password_env = ".."\n'),
                c("# JSON key of the timestamp (ISO-8601 or epoch seconds).\n"),
                'timestamp_field = "ts"\n',
                "[transformers.source.fields]\n",
            ]
            lines += [f'"{var}" = "{key}"\n' for var, key in FIELDS.items()]
    return "".join(lines)
