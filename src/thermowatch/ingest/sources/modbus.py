"""Modbus TCP source (pymodbus): holding or input registers decoded by a register map.

One hub per TCP server (a gateway often serves several unit ids). Each period every unit is
read on its own, the previously slow ones last, within the period's budget: a unit that
answers a Modbus exception makes only its own values REJECTED (with the exception's name), a
unit that does not answer costs only its own transformers the period, and the link is reset
only when the TCP connection itself is gone. Each transformer's map is read in the blocks a
device accepts (:func:`blocks`): at most ``max_block`` registers per request, joining two
mapped registers only across at most ``max_gap`` unmapped ones.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from thermowatch.ingest.config import MODBUS_MAX_BLOCK, Register
from thermowatch.ingest.sources.base import Hub, Sample, quiet_client_logs
from thermowatch.live.validate import REJECTED

log = logging.getLogger("thermowatch.ingest")
MAX_BLOCK = MODBUS_MAX_BLOCK
BUDGET_SHARE = 0.7  # share of the period the reads of one cycle may take
_FORMATS = {"int16": "h", "uint16": "H", "int32": "i", "uint32": "I", "float32": "f"}
#: Modbus exception codes (Modbus Application Protocol V1.1b3, 7).
EXCEPTIONS = {
    1: "illegal function", 2: "illegal data address", 3: "illegal data value",
    4: "server device failure", 5: "acknowledge", 6: "server device busy",
    8: "memory parity error", 10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}  # fmt: skip


def blocks(
    registers: Sequence[Register], max_block: int = MAX_BLOCK, max_gap: int = 0
) -> list[tuple[str, int, int, list[Register]]]:
    """The read requests covering a register map: ``(table, address, count, registers)``.

    Registers of one table are joined in address order while the request stays within
    ``max_block`` registers and the unmapped registers between two mapped ones are at most
    ``max_gap`` (many devices refuse a read that spans an address they do not map).
    """
    out: list[tuple[str, int, int, list[Register]]] = []
    for table in ("holding", "input"):
        regs = sorted((r for r in registers if r.table == table), key=lambda r: r.address)
        for reg in regs:
            if out and out[-1][0] == table:
                _, start, count, members = out[-1]
                end = start + count
                new_end = max(end, reg.address + reg.count)
                if reg.address - end <= max_gap and new_end - start <= max_block:
                    out[-1] = (table, start, new_end - start, [*members, reg])
                    continue
            out.append((table, reg.address, reg.count, [reg]))
    return out


def decode_register(words: Sequence[int], reg: Register) -> float:
    """Decode the 16-bit ``words`` of one register map entry into the variable's value.

    ``word_order`` says which 16-bit word holds the most significant half of a 32-bit value;
    ``byte_order`` which byte of each word is the most significant. The result is
    ``raw * scale + offset`` in the variable's unit.
    """
    words = list(words)
    if reg.word_order == "little":
        words.reverse()
    raw_bytes = b"".join(
        w.to_bytes(2, "big" if reg.byte_order == "big" else "little") for w in words
    )
    (raw,) = struct.unpack(">" + _FORMATS[reg.type], raw_bytes)
    return float(raw) * reg.scale + reg.offset


def encode_register(value: float, reg: Register) -> list[int]:
    """The 16-bit words that :func:`decode_register` turns back into ``value`` (simulator)."""
    raw = (value - reg.offset) / reg.scale
    fmt = _FORMATS[reg.type]
    data = struct.pack(">" + fmt, raw if fmt == "f" else round(raw))
    words = [
        int.from_bytes(data[i : i + 2], "big" if reg.byte_order == "big" else "little")
        for i in range(0, len(data), 2)
    ]
    if reg.word_order == "little":
        words.reverse()
    return words


async def write_register(host: str, port: int, unit_id: int, reg: Register, value: float) -> float:
    """Write ``value`` to the holding register(s) of ``reg`` (encoded with its type, scale and
    orders) and return the value read back from the server."""
    from pymodbus.client import AsyncModbusTcpClient

    client = AsyncModbusTcpClient(host, port=port, timeout=3, retries=1, reconnect_delay=0)
    if not await client.connect():
        raise ConnectionError(f"Modbus server {host}:{port} refused the connection")
    try:
        words = encode_register(value, reg)
        resp = await client.write_registers(reg.address, words, device_id=unit_id)
        if resp.isError():
            raise ConnectionError(f"unit {unit_id} refused the write at {reg.address}: {resp}")
        back = await client.read_holding_registers(reg.address, count=reg.count, device_id=unit_id)
        if back.isError():
            raise ConnectionError(f"unit {unit_id} refused the read-back at {reg.address}: {back}")
        return decode_register(back.registers, reg)
    finally:
        client.close()


class ModbusHub(Hub):
    """Transformers read from one Modbus TCP server (each with its unit id and map)."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._client: Any = None
        self._failed = asyncio.Event()
        self._slow: dict[int, float] = {}  # unit -> monotonic time it last timed out
        self._now: datetime | None = None
        self._refusing: dict[int, int] = {}  # unit -> the exception code it last answered
        self._deadline = 0.0

    async def _run_connected(self) -> None:
        from pymodbus.client import AsyncModbusTcpClient

        quiet_client_logs("pymodbus")
        # Our own supervisor reconnects (with jitter): pymodbus' reconnect loop is disabled.
        client = AsyncModbusTcpClient(
            self.config.host, port=self.config.port, timeout=self.config.timeout_s, retries=0,
            reconnect_delay=0,
        )  # fmt: skip
        if not await client.connect():
            raise ConnectionError("connect refused")
        self._client = client
        self._failed.clear()
        self._up()
        log.info("%s: connected", self.label)
        try:
            while not self._closing and not self._failed.is_set() and client.connected:
                await asyncio.sleep(0.2)
            raise ConnectionError("link lost")
        finally:
            self.connected.clear()
            self._client = None
            client.close()

    async def _read_transformer(self, client: Any, tid: str) -> Sample:
        """One transformer's map, block by block; a block the unit refuses (a Modbus
        exception) makes its values REJECTED with the exception's name."""
        source = self.transformers[tid].source
        values: dict[str, float | None] = {}
        quality: dict[str, tuple[str, str]] = {}
        for table, address, count, regs in blocks(
            source.registers, source.max_block, source.max_gap
        ):
            read = (
                client.read_input_registers if table == "input" else client.read_holding_registers
            )
            wait = min(source.timeout_s, self._deadline - time.monotonic())
            if wait <= 0:
                raise TimeoutError("no time left in this period")
            resp = await asyncio.wait_for(
                read(address, count=count, device_id=source.unit_id), wait
            )
            if resp.isError():
                code = getattr(resp, "exception_code", 0)
                reason = (
                    f"Modbus exception {code} ({EXCEPTIONS.get(code, 'unknown')}) from unit "
                    f"{source.unit_id}, {table} registers {address}-{address + count - 1}"
                )
                if self._refusing.get(source.unit_id) != code:  # once, not every period
                    log.warning("%s: %s: %s", self.label, tid, reason)
                self._refusing[source.unit_id] = code
                for r in regs:
                    values[r.variable], quality[r.variable] = None, (REJECTED, reason)
                if code == 2:  # the map names registers the device does not have
                    for r in regs:
                        self.problem(tid, r.variable, reason)
                continue
            self._refusing.pop(source.unit_id, None)
            words = dict(zip(range(address, address + count), resp.registers, strict=True))
            for r in regs:
                values[r.variable] = decode_register(
                    [words[a] for a in range(r.address, r.address + r.count)], r
                )
        assert self._now is not None
        return Sample(self._now, values, self.label, quality)

    async def collect(self, ids: Sequence[str], now: datetime) -> dict[str, list[Sample]]:
        """Read every unit of ``ids`` now, each on its own (the slow ones last)."""
        client = self._client
        if client is None or not self.connected.is_set():
            return {}
        self._now = now
        # Leave the period's end to storing: a slow unit is cut short, the others still read.
        periods = [self.transformers[t].period_s for t in ids]
        self._deadline = time.monotonic() + BUDGET_SHARE * min(periods, default=1.0)
        by_unit: dict[int, list[str]] = {}
        for tid in ids:
            by_unit.setdefault(self.transformers[tid].source.unit_id, []).append(tid)
        out: dict[str, list[Sample]] = {}
        for unit in sorted(by_unit, key=lambda u: self._slow.get(u, 0.0)):
            for tid in by_unit[unit]:
                try:
                    out[tid] = [await self._read_transformer(client, tid)]
                except Exception as exc:
                    if not client.connected:
                        log.warning("%s: link lost while reading unit %d", self.label, unit)
                        self._failed.set()
                        return out
                    self._slow[unit] = time.monotonic()
                    log.warning(
                        "%s: unit %d did not answer (%s); its %d transformer(s) have no data "
                        "this period", self.label, unit, type(exc).__name__, len(by_unit[unit]),
                    )  # fmt: skip
                    break  # the next transformers of this unit would wait as long
            else:
                self._slow.pop(unit, None)
        return out
