"""Modbus TCP source (pymodbus): holding registers decoded by a register map.

Each period the hub reads, per transformer, the smallest block of holding registers that
covers its map (one request when it spans at most 125 registers), so that all the values of a
snapshot come from the same instant.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from thermowatch.ingest.config import Register
from thermowatch.ingest.sources.base import Hub, Sample

log = logging.getLogger("thermowatch.ingest")
MAX_BLOCK = 125  # registers per "read holding registers" request (Modbus spec limit)
_FORMATS = {"int16": "h", "uint16": "H", "int32": "i", "uint32": "I", "float32": "f"}


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

    async def _run_connected(self) -> None:
        from pymodbus.client import AsyncModbusTcpClient

        # Our own supervisor reconnects (with jitter): pymodbus' reconnect loop is disabled.
        client = AsyncModbusTcpClient(
            self.config.host, port=self.config.port, timeout=3, retries=1, reconnect_delay=0
        )
        if not await client.connect():
            raise ConnectionError("connect refused")
        self._client = client
        self._failed.clear()
        self.connected.set()
        self.backoff.reset()
        log.info("%s: connected", self.label)
        try:
            while not self._closing and not self._failed.is_set() and client.connected:
                await asyncio.sleep(0.5)
            raise ConnectionError("link lost")
        finally:
            self.connected.clear()
            self._client = None
            client.close()

    async def _read_transformer(self, client: Any, tid: str) -> dict[str, float]:
        source = self.transformers[tid].source
        regs = sorted(source.registers, key=lambda r: r.address)
        words: dict[int, int] = {}
        start = regs[0].address
        end = max(r.address + r.count for r in regs)
        blocks = (
            [(start, end - start)]
            if end - start <= MAX_BLOCK
            else [(r.address, r.count) for r in regs]
        )
        for address, count in blocks:
            resp = await client.read_holding_registers(
                address, count=count, device_id=source.unit_id
            )
            if resp.isError():
                raise ConnectionError(f"unit {source.unit_id} answered {resp}")
            words.update(zip(range(address, address + count), resp.registers, strict=True))
        return {
            r.variable: decode_register(
                [words[a] for a in range(r.address, r.address + r.count)], r
            )
            for r in regs
        }

    async def collect(self, ids: Sequence[str], now: datetime) -> dict[str, list[Sample]]:
        """Read each transformer's registers now; on any error the link is reset."""
        client = self._client
        if client is None or not self.connected.is_set():
            return {}
        out = {}
        for tid in ids:
            try:
                out[tid] = [Sample(now, await self._read_transformer(client, tid), self.label)]
            except Exception as exc:
                log.warning("%s: read of %s failed (%s)", self.label, tid, exc)
                self._failed.set()
                break
        return out
