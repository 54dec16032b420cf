"""A Modbus TCP gateway written by other people (pyModbusTCP's server, not pymodbus), serving
several unit ids as a substation gateway does: per unit, holding and input registers; a unit
can answer an exception, be slow, or refuse any read that spans a register it does not map."""

from __future__ import annotations

import struct
import threading
import time
from dataclasses import dataclass, field

from pyModbusTCP.constants import EXP_DATA_ADDRESS, EXP_NONE
from pyModbusTCP.server import DataHandler, ModbusServer


def float_words(value: float) -> list[int]:
    """A float32 as two big-endian 16-bit words (the usual order)."""
    hi, lo = struct.unpack(">HH", struct.pack(">f", value))
    return [hi, lo]


@dataclass
class Unit:
    """One device behind the gateway."""

    holding: dict[int, int] = field(default_factory=dict)
    input: dict[int, int] = field(default_factory=dict)
    exception: int | None = None  # answer this Modbus exception code to every read
    delay_s: float = 0.0  # answer this late


class _Handler(DataHandler):
    def __init__(self, gateway: Gateway) -> None:
        super().__init__()
        self.gateway = gateway

    def _read(self, table: str, address: int, count: int, srv_info: object) -> DataHandler.Return:
        unit_id = srv_info.recv_frame.mbap.unit_id  # type: ignore[attr-defined]
        self.gateway.requests.append((unit_id, table, address, count))
        unit = self.gateway.units.get(unit_id)
        if unit is None:
            return DataHandler.Return(0x0B)  # gateway target device failed to respond
        if unit.delay_s:
            time.sleep(unit.delay_s)
        if unit.exception is not None:
            return DataHandler.Return(unit.exception)
        regs = unit.holding if table == "holding" else unit.input
        if any(a not in regs for a in range(address, address + count)):
            return DataHandler.Return(EXP_DATA_ADDRESS)  # a strict device: no unmapped reads
        return DataHandler.Return(EXP_NONE, [regs[a] for a in range(address, address + count)])

    def read_h_regs(self, address: int, count: int, srv_info: object) -> DataHandler.Return:
        return self._read("holding", address, count, srv_info)

    def read_i_regs(self, address: int, count: int, srv_info: object) -> DataHandler.Return:
        return self._read("input", address, count, srv_info)


class Gateway:
    """pyModbusTCP server on a loopback port, in its own threads."""

    def __init__(self, port: int, units: dict[int, Unit]) -> None:
        self.port = port
        self.units = units
        self.requests: list[tuple[int, str, int, int]] = []
        self.server: ModbusServer | None = None
        self._lock = threading.Lock()

    def start(self) -> Gateway:
        self.server = ModbusServer("127.0.0.1", self.port, no_block=True, data_hdl=_Handler(self))
        self.server.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def main() -> None:
    """Serve units 3, 7 and 12 (float32 holding registers 0-3: 700 + unit, 20 + unit/10) on
    ``argv[1]`` until killed: a gateway process to stop and restart under the monitor."""
    import sys

    units = {
        u: Unit(holding=dict(enumerate(float_words(700.0 + u) + float_words(20.0 + u / 10))))
        for u in (3, 7, 12)
    }
    Gateway(int(sys.argv[1]), units).start()
    print("READY", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
