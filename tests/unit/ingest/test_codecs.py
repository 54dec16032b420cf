"""Modbus register decoding and MQTT payload parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from thermowatch.ingest.config import Register
from thermowatch.ingest.sources.modbus import decode_register, encode_register
from thermowatch.ingest.sources.mqtt import UNREADABLE, parse_payload, parse_timestamp


def test_float32_big_endian_known_vector() -> None:
    # 100.0 as IEEE 754 single is 0x42C80000
    assert decode_register([0x42C8, 0x0000], Register("x", 0, "float32")) == 100.0
    assert (
        decode_register([0x0000, 0x42C8], Register("x", 0, "float32", word_order="little")) == 100.0
    )
    assert (
        decode_register([0xC842, 0x0000], Register("x", 0, "float32", byte_order="little")) == 100.0
    )


def test_scaled_integers() -> None:
    assert decode_register([0xFFFF], Register("x", 0, "int16", scale=0.1)) == pytest.approx(-0.1)
    assert decode_register([0xFFFF], Register("x", 0, "uint16", scale=0.1)) == pytest.approx(6553.5)
    assert decode_register([0x0001, 0x0000], Register("x", 0, "int32", offset=-40)) == 65536 - 40
    assert decode_register([0xFFFF, 0xFFFE], Register("x", 0, "int32")) == -2


@pytest.mark.parametrize("reg_type", ["int16", "uint16", "int32", "uint32", "float32"])
@pytest.mark.parametrize("byte_order", ["big", "little"])
@pytest.mark.parametrize("word_order", ["big", "little"])
def test_round_trip(reg_type: str, byte_order: str, word_order: str) -> None:
    reg = Register("x", 0, reg_type, scale=0.01, offset=5.0, byte_order=byte_order,
                   word_order=word_order)  # fmt: skip
    words = encode_register(87.65, reg)
    assert len(words) == reg.count
    assert decode_register(words, reg) == pytest.approx(87.65, abs=0.006)


def test_payload_mapping_and_timestamps() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    fields = {"oil": "t.oil", "amb": "ambient", "missing": "nope"}
    ts, values = parse_payload(
        b'{"ts": "2026-03-01T10:00:00Z", "t": {"oil": 61.5}, "ambient": 12}', fields, "ts", now
    )
    assert ts == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert values == {"oil": 61.5, "amb": 12}
    ts, _ = parse_payload(b'{"ambient": 1}', fields, "ts", now)
    assert ts == now  # no timestamp: reception time
    assert parse_payload(b"not json", fields, "ts", now) is None
    assert parse_payload(b'{"other": 1}', fields, "ts", now) is None
    # values are passed on as sent: the live pipeline refuses and records what is no number
    assert parse_payload(b'{"ambient": "hot"}', fields, "ts", now) == (now, {"amb": "hot"})
    assert parse_timestamp(1e20) == parse_timestamp("yesterday") == UNREADABLE
    assert parse_timestamp(0) == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_timestamp("2026-03-01T10:00:00") == datetime(2026, 3, 1, 10, tzinfo=UTC)
