"""Phase 3/4 actions reach the field: a real `thermowatch simulate-scada` (OPC UA and Modbus on
loopback) in an overload, the alert engine raises, the action writes the simulated plant's
cooling stage or load set-point, the value is read back from the server, and the simulated
temperature falls."""

from __future__ import annotations

import asyncio
import subprocess
import time
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers.store import migrated_sqlite
from tests.integration.ops.deploy_helpers import free_port, thermowatch_bin, wait_for_log
from thermowatch.alerts.action_runner import run_approved
from thermowatch.alerts.actions import approve_action, list_actions
from thermowatch.alerts.config import parse_config
from thermowatch.alerts.engine import AlertEngine
from thermowatch.data.simulator import RATED_CURRENT_A
from thermowatch.ingest.simulator import COMMAND_MAP, MODBUS_MAP, REGISTERS_PER_TRANSFORMER
from thermowatch.learn.result import Thresholds
from thermowatch.store.audit import entries
from thermowatch.store.transformers import ensure_transformer

pytestmark = pytest.mark.slow
TH = Thresholds(93.0, 105.0, "test")
REG = {r.variable: r for r in MODBUS_MAP}


class Field:
    """Reads a point of the simulated plant the way any SCADA client would."""

    def __init__(self, protocol: str, port: int) -> None:
        self.protocol, self.port = protocol, port

    def read(self, key: str, i: int = 0) -> float:
        return asyncio.run(self._read(key, i))

    async def _read(self, key: str, i: int) -> float:
        tid = f"TR-{i + 1:04d}"
        if self.protocol == "opcua":
            from asyncua import Client

            async with Client(f"opc.tcp://127.0.0.1:{self.port}/thermowatch/") as c:
                return float(await c.get_node(f"ns=2;s={tid}.{key}").read_value())
        from pymodbus.client import AsyncModbusTcpClient

        from thermowatch.data.simulator import CURRENT, WINDING
        from thermowatch.ingest.sources.modbus import decode_register

        reg = COMMAND_MAP.get(key) or REG[{"winding_c": WINDING, "current_a": CURRENT}[key]]
        client = AsyncModbusTcpClient("127.0.0.1", port=self.port, timeout=3)
        await client.connect()
        try:
            address = i * REGISTERS_PER_TRANSFORMER + reg.address
            r = await client.read_holding_registers(address, count=reg.count, device_id=1)
            return decode_register(r.registers, reg)
        finally:
            client.close()


@pytest.fixture
def store(tmp_path: Path):
    db = migrated_sqlite(tmp_path / "store.db")
    for tid in ("TR-0001", "TR-0002"):
        ensure_transformer(db, tid, tid, thresholds={"alert": 93, "critical": 105})
    yield db
    db.dispose()


def start_simulator(protocol: str, tmp_path: Path) -> Iterator[Field]:
    log = tmp_path / "sim.log"
    for attempt in range(3):
        # A free port can be taken by another process before the simulator binds it (seen with
        # three test workers and other runs on the machine): then another port.
        port = free_port()
        sim = subprocess.Popen(
            [thermowatch_bin(), "simulate-scada", "--protocol", protocol, "--transformers", "2",
             "--scenario", "overload", "--fault-after", "0", "--speed", "600", "--interval", "0.3",
             # the afternoon peak of the daily load cycle, whatever the hour the test runs at
             "--start", "2026-07-01T14:00:00",
             "--port", str(port)],
            stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for_log(log, "simulating 2 transformers", 60, sim)
            break
        except AssertionError:
            sim.kill()
            sim.wait(10)
            if attempt == 2 or "address already in use" not in log.read_text(errors="replace"):
                raise
    try:
        yield Field(protocol, port)
    finally:
        sim.terminate()
        sim.wait(10)


@pytest.fixture
def opcua_field(tmp_path: Path) -> Iterator[Field]:
    yield from start_simulator("opcua", tmp_path)


@pytest.fixture
def modbus_field(tmp_path: Path) -> Iterator[Field]:
    yield from start_simulator("modbus", tmp_path)


def config(phase: int, action: str):
    doc = f"[alerts]\nphase = {phase}\n[alerts.levels]\nraise_after_minutes = 0\n{action}"
    return parse_config(tomllib.loads(doc))


def watch(engine: AlertEngine, field: Field, seconds: float) -> list[float]:
    """Feed the measured hot spot of TR-0001 to the alert engine for ``seconds``."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        w = field.read("winding_c")
        engine.evaluate("TR-0001", datetime.now(UTC), None, w, thresholds=TH)
        seen.append(w)
        time.sleep(0.3)
    return seen


def test_opcua_cooling_stage_2_after_an_operator_approves_it(store, opcua_field) -> None:
    f = opcua_field
    cfg = config(3, f"""
[[alerts.actions]]
name = "cooling-stage-2-TR-0001"
level = "ALERTE"
hook = "opcua"
transformer = "TR-0001"
endpoint = "opc.tcp://127.0.0.1:{f.port}/thermowatch/"
node = "ns=2;s=TR-0001.cooling_stage"
value = 2
min = 1
max = 2
""")  # fmt: skip
    engine = AlertEngine(store, cfg)
    hot = watch(engine, f, 1.0)
    assert max(hot) > TH.critique_c  # the overload is real
    (p,) = list_actions(store)
    assert p.status == "proposed"
    assert run_approved(store, cfg) == []  # phase 3: nothing is written before approval
    assert f.read("cooling_stage") == 1.0
    approve_action(store, p.id, "Alice")
    before = f.read("winding_c")
    ((pid, ok, detail),) = run_approved(store, cfg)
    assert (pid, ok) == (p.id, True) and "read back 2" in detail
    assert f.read("cooling_stage") == 2.0  # read back from the server by another client
    after = watch(engine, f, 3.0)
    # forced oil: the hot spot drops within minutes (simulated) of the write
    assert min(after) < before - 8.0, (before, after)
    assert f.read("cooling_stage", 1) == 1.0  # the other transformer is untouched
    assert len(list_actions(store)) == 1  # one write per alert episode
    runs = [e for e in entries(store) if e.action == "alerts.action.run"]
    assert [r.outcome for r in runs] == ["ok"]


def test_modbus_load_setpoint_lowered_by_itself_in_phase_4(store, modbus_field) -> None:
    f = modbus_field
    cfg = config(4, f"""
[[alerts.actions]]
name = "load-setpoint-TR-0001"
level = "ALERTE"
hook = "modbus"
transformer = "TR-0001"
auto = true
host = "127.0.0.1"
port = {f.port}
unit_id = 1
address = {COMMAND_MAP["load_setpoint_pu"].address}
type = "uint16"
scale = 0.001
value = 0.6
min = 0.5
max = 1.2
""")  # fmt: skip
    engine = AlertEngine(store, cfg)
    watch(engine, f, 1.0)
    (p,) = list_actions(store)
    assert p.status == "approved"  # autonomous: no operator needed
    before_c, before_a = f.read("winding_c"), f.read("current_a")
    assert before_a > 1.1 * RATED_CURRENT_A  # overloaded
    ((_, ok, detail),) = run_approved(store, cfg)
    assert ok and "read back 0.6" in detail
    assert f.read("load_setpoint_pu") == pytest.approx(0.6)
    after = watch(engine, f, 3.0)
    assert f.read("current_a") < 0.65 * RATED_CURRENT_A  # the load follows the set-point
    assert min(after) < before_c - 20.0, (before_c, after)
    assert f.read("load_setpoint_pu", 1) == pytest.approx(2.0)  # TR-0002 untouched
    assert len(list_actions(store)) == 1
