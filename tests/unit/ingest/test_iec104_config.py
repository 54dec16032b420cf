"""IEC 104 and shared-subscription config: the simulator's map loads, mistakes name their key,
quality bits map to verdicts with their names."""

from __future__ import annotations

import tomllib
from pathlib import Path

import c104
import pytest

from thermowatch.errors import InputError
from thermowatch.ingest.config import CURRENT, WINDING, parse_config
from thermowatch.ingest.simulator import sim_config
from thermowatch.ingest.sources import make_hub
from thermowatch.ingest.sources.iec104 import quality_verdict, source_time, to_number
from thermowatch.ingest.sources.mqtt import subscription


def _doc(**source: object) -> dict:
    source = {"protocol": "iec104", **source}
    return {"transformers": [{"id": "T1", "spec": {"preset": "ONAF"}, "source": source}]}


def test_simulator_map_gives_station_ioa_and_scale(tmp_path: Path) -> None:
    cfg = parse_config(tomllib.loads(sim_config("iec104", 3, period_s=5)), tmp_path)
    src = cfg.transformers[1].source
    assert (src.host, src.port, src.common_address) == ("127.0.0.1", 2404, 1)
    points = {p.variable: p for p in src.points}
    assert points[CURRENT].ioa == 201 and points[CURRENT].scale == pytest.approx(0.1)
    assert points[WINDING].ioa == 204 and points[WINDING].scale == 1.0
    assert len({t.source.connection_key for t in cfg.transformers}) == 1  # one link per RTU


POINT = {"variable": "a", "ioa": 5}


@pytest.mark.parametrize(
    ("source", "key", "words"),
    [
        ({}, "transformers[0].source.points", "non-empty array"),
        ({"points": [{"variable": "a"}]}, "points[0].ioa", "integer >= 1"),
        ({"points": [{"variable": "a", "ioa": 2**24}]}, "points[0].ioa", "16777215"),
        ({"points": [{"variable": "a", "ioa": 1.5}]}, "points[0].ioa", "integer"),
        ({"points": [{**POINT, "scale": "x"}]}, "points[0].scale", "number"),
        ({"points": [{**POINT, "typ": "float"}]}, "points[0].typ", "unknown key"),
        ({"points": [POINT, {"variable": "b", "ioa": 5}]}, "points[1].ioa", "already mapped"),
        ({"common_address": 0, "points": [POINT]}, "source.common_address", ">= 1"),
        ({"common_address": 65535, "points": [POINT]}, "source.common_address", "65534"),
        ({"port": "2404", "points": [POINT]}, "source.port", "integer"),
    ],
)
def test_bad_iec104_config_names_the_key(source: dict, key: str, words: str) -> None:
    with pytest.raises(InputError, match="config key") as exc:
        parse_config(_doc(**source))
    assert key in str(exc.value) and words in str(exc.value)
    assert "\n" not in str(exc.value)


def test_two_transformers_on_one_station_and_ioa_are_refused() -> None:
    doc = _doc(points=[POINT])
    doc["transformers"].append({**doc["transformers"][0], "id": "T2"})
    cfg = parse_config(doc)
    hub = make_hub(cfg.transformers[0].source)
    hub.add(cfg.transformers[0])
    with pytest.raises(InputError, match="'T1' and 'T2' both map station 1 IOA 5"):
        hub.add(cfg.transformers[1])


@pytest.mark.parametrize(
    ("bits", "expected"),
    [
        ((), None),
        (("Invalid",), ("REJECTED", "IEC 104 quality IV (invalid)")),
        (("Overflow",), ("REJECTED", "IEC 104 quality OV (overflow)")),
        (("NonTopical",), ("SUSPECT", "IEC 104 quality NT (not topical)")),
        (("Substituted",), ("SUSPECT", "IEC 104 quality SB (substituted)")),
        (("Blocked",), ("SUSPECT", "IEC 104 quality BL (blocked)")),
        (
            ("Blocked", "Invalid"),
            ("REJECTED", "IEC 104 quality IV (invalid), BL (blocked)"),
        ),
        (("ElapsedTimeInvalid",), None),  # protection events only: no bearing on a value
    ],
)
def test_quality_bits_map_to_verdicts(bits: tuple[str, ...], expected: object) -> None:
    quality = c104.Quality()
    for name in bits:
        quality = quality | getattr(c104.Quality, name)
    assert quality_verdict(quality) == expected


def test_values_and_time_tags_decode() -> None:
    assert to_number(c104.Int16(-123)) == -123.0
    assert to_number(c104.NormalizedFloat(0.5)) == 0.5
    assert to_number(True) is True  # a single point is not a measurement: refused downstream
    from datetime import UTC, datetime

    naive_local = datetime(2026, 1, 1, 12, 0)
    assert source_time(naive_local) == naive_local.astimezone(UTC)
    assert source_time(None).tzinfo is UTC


def test_shared_group_subscribes_to_the_share_topic() -> None:
    assert subscription("a/b", None) == "a/b"
    assert subscription("a/b", "monitors") == "$share/monitors/a/b"
    src = {"protocol": "mqtt", "topic": "t", "fields": {"a": "b"}}
    cfg = parse_config({"transformers": [{"id": "T", "source": {**src, "shared_group": "m1"}}]})
    assert cfg.transformers[0].source.shared_group == "m1"
    with pytest.raises(InputError, match=r"source\.shared_group"):
        parse_config({"transformers": [{"id": "T", "source": {**src, "shared_group": "a/b"}}]})


def test_a_shared_subscription_member_raises_no_data_alert(tmp_path: Path) -> None:
    """A member of a shared group sees a share of the messages: periods without any for a
    transformer are not silences (another monitor served it)."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from .fakes import config, fake_monitor

    src = {"protocol": "mqtt", "topic": "t", "fields": {"a": "b"}, "shared_group": "g"}
    assert make_hub(parse_config({"transformers": [{"id": "T", "source": src}]})
                    .transformers[0].source).shared  # fmt: skip

    async def scenario(shared: bool) -> list[str]:
        monitor, hub = fake_monitor(tmp_path / str(shared), config(tmp_path / str(shared)))
        hub.shared = shared
        await monitor.start()
        t0 = datetime(2026, 5, 1, tzinfo=UTC)
        for i in range(5):
            await monitor.run_cycle(["T1"], t0 + timedelta(minutes=i))
        await monitor.shutdown()
        return [a.kind for a in monitor.data_alerts]

    for shared in (False, True):
        (tmp_path / str(shared)).mkdir()
    assert asyncio.run(scenario(False)) == ["no_data"]
    assert asyncio.run(scenario(True)) == []
