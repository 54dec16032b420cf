"""Pure parts of the field protocols: Modbus read blocks, OPC UA data values judged, config."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from thermowatch.errors import InputError
from thermowatch.ingest.config import Register, parse_config
from thermowatch.ingest.sources.modbus import blocks
from thermowatch.ingest.sources.opcua import judge

T = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_blocks_respect_gaps_size_and_tables() -> None:
    regs = [
        Register("a", 0), Register("b", 2), Register("c", 10),  # float32: 0-3, 10-11
        Register("d", 100, "int16", table="input"), Register("e", 101, "int16", table="input"),
    ]  # fmt: skip
    spans = [(t, a, n) for t, a, n, _ in blocks(regs)]
    assert spans == [("holding", 0, 4), ("holding", 10, 2), ("input", 100, 2)]
    # a tolerant device: read across a gap of 6 registers in one request
    assert next((t, a, n) for t, a, n, _ in blocks(regs, max_gap=6)) == ("holding", 0, 12)
    # a device that takes at most 3 registers per request
    assert [(a, n) for _, a, n, _ in blocks(regs, max_block=3)][:2] == [(0, 2), (2, 2)]


def test_blocks_of_a_long_map_stay_within_the_modbus_limit() -> None:
    regs = [Register(f"v{i}", 2 * i) for i in range(100)]  # 200 contiguous registers
    spans = [(a, n) for _, a, n, _ in blocks(regs)]
    assert spans == [(0, 124), (124, 76)] and sum(len(m) for *_, m in blocks(regs)) == 100


def dv(value: Any, code: int = 0, source: datetime | None = T, server: datetime | None = T) -> Any:
    return SimpleNamespace(
        Value=SimpleNamespace(Value=value), StatusCode=SimpleNamespace(value=code),
        SourceTimestamp=source, ServerTimestamp=server,
    )  # fmt: skip


def test_status_codes_become_quality_with_their_name() -> None:
    good, _ = judge(dv(74.5), T, None, (1.0, 0.0))
    assert good is not None and (good.ts, good.value, good.quality) == (T, 74.5, None)
    bad, _ = judge(dv(0.0, 0x808C0000), T, None, (1.0, 0.0))  # BadSensorFailure
    assert bad is not None and bad.quality == ("REJECTED", "OPC UA status BadSensorFailure")
    unsure, _ = judge(dv(74.0, 0x40900000), T, None, (1.0, 0.0))  # UncertainLastUsableValue
    assert unsure is not None
    assert unsure.quality == ("SUSPECT", "OPC UA status UncertainLastUsableValue")


def test_the_same_value_is_handed_over_once_and_scaled() -> None:
    first, key = judge(dv(123), T, None, (0.1, 0.0))
    assert first is not None and first.value == pytest.approx(12.3)
    again, _ = judge(dv(123), T + timedelta(seconds=60), key, (0.1, 0.0))
    assert again is None  # a poll of an unchanged value: nothing re-stored


def test_missing_stuck_and_lagging_source_timestamps() -> None:
    later = T + timedelta(seconds=30)
    server_only, _ = judge(dv(1.0, source=None, server=later), later, None, (1.0, 0.0))
    assert server_only is not None and server_only.ts == later and server_only.quality is None
    assert server_only.note == "no SourceTimestamp: ServerTimestamp used"
    _, key = judge(dv(1.0), T, None, (1.0, 0.0))
    stuck, _ = judge(dv(2.0), later, key, (1.0, 0.0))
    assert stuck is not None and stuck.ts == later and stuck.quality is not None
    assert stuck.quality[0] == "SUSPECT" and "stuck" in stuck.quality[1]
    hour = T - timedelta(hours=1)
    behind, _ = judge(dv(3.0, source=hour), T, None, (1.0, 0.0))
    assert behind is not None and behind.ts == T and "3600 s behind" in behind.quality[1]
    ahead = T + timedelta(minutes=10)  # kept: the pipeline's skew rule refuses it
    future, _ = judge(dv(4.0, source=ahead, server=ahead), T, None, (1.0, 0.0))
    assert future is not None and future.ts == ahead and future.quality is None


def opcua(**source: Any) -> dict[str, Any]:
    return {"transformers": [{"id": "T", "spec": {"preset": "ONAF"}, "source": {
        "protocol": "opcua", "endpoint": "opc.tcp://h:4840", "nodes": {"x": "ns=2;i=1"},
        **source}}]}  # fmt: skip


def test_opcua_security_needs_a_server_certificate_check(tmp_path: Path) -> None:
    secure = {"security_policy": "Basic256Sha256", "certificate": "c.der", "private_key": "k.pem"}
    with pytest.raises(InputError, match=r"transformers\[0\].source.security_policy: needs a way"):
        parse_config(opcua(**secure), tmp_path)
    with pytest.raises(InputError, match="give only one of"):
        parse_config(opcua(**secure, server_certificate="s.der", trusted_certificates="pki"))
    cfg = parse_config(opcua(**secure, trusted_certificates="pki"), tmp_path)
    assert cfg.transformers[0].source.trusted_certificates == str(tmp_path / "pki")


def test_modbus_keys_are_checked() -> None:
    def modbus(**extra: Any) -> dict[str, Any]:
        return {"transformers": [{"id": "T", "spec": {"preset": "ONAF"}, "source": {
            "protocol": "modbus", "registers": [{"variable": "x", "address": 0}], **extra}}]}  # fmt: skip

    with pytest.raises(InputError, match="max_block: must be at most 125"):
        parse_config(modbus(max_block=200))
    with pytest.raises(InputError, match=r"registers\[0\].table: must be 'holding' or 'input'"):
        parse_config({"transformers": [{"id": "T", "spec": {"preset": "ONAF"}, "source": {
            "protocol": "modbus",
            "registers": [{"variable": "x", "address": 0, "table": "coil"}]}}]})  # fmt: skip
    src = parse_config(modbus(max_gap=4, timeout_s=0.5)).transformers[0].source
    assert (src.max_block, src.max_gap, src.timeout_s) == (125, 4, 0.5)
