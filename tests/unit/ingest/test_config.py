"""Config parsing: every protocol's simulator config loads; mistakes name the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from thermowatch.errors import InputError
from thermowatch.ingest.config import WINDING, load_config, parse_config
from thermowatch.ingest.simulator import MODBUS_MAP, sim_config

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize("protocol", ["opcua", "modbus", "mqtt", "iec104"])
def test_simulator_config_parses(protocol: str, tmp_path: Path) -> None:
    cfg = parse_config(tomllib.loads(sim_config(protocol, 3, period_s=5)), tmp_path)
    assert [t.id for t in cfg.transformers] == ["TR-0001", "TR-0002", "TR-0003"]
    t = cfg.transformers[1]
    assert t.period_s == 5.0
    assert t.target == WINDING
    assert t.spec is not None and t.spec.rated_current_a == pytest.approx(1039.23, abs=0.01)
    assert t.thresholds == {"alerte_c": 93.0, "critique_c": 105.0}
    # all transformers of one endpoint share one connection
    assert len({x.source.connection_key for x in cfg.transformers}) == 1
    if protocol == "modbus":
        assert len(t.source.registers) == len(MODBUS_MAP)
        assert t.source.registers[0].address == 16  # second transformer's block
    if protocol == "opcua":
        assert t.source.nodes[WINDING] == "ns=2;s=TR-0002.winding_c"


MONITOR_EXAMPLES = [
    EXAMPLES / f"{name}.toml" for name in ("opcua", "modbus", "mqtt", "iec104", "replay")
]


@pytest.mark.parametrize("path", MONITOR_EXAMPLES, ids=lambda p: p.name)
def test_examples_parse(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MQTT_PASSWORD", "x")
    cfg = load_config(path)
    assert cfg.transformers


def _doc(**source: object) -> dict:
    return {"transformers": [{"id": "T1", "spec": {"preset": "ONAF"}, "source": source}]}


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        ({"transformers": []}, "config key transformers"),
        (_doc(protocol="bacnet"), "transformers[0].source.protocol"),
        (_doc(protocol="opcua", endpoint="http://x", nodes={"a": "b"}), "source.endpoint"),
        (_doc(protocol="opcua", endpoint="opc.tcp://x:1"), "transformers[0].source.nodes"),
        (_doc(protocol="modbus", port="x", registers=[]), "transformers[0].source.port"),
        (
            _doc(protocol="modbus", registers=[{"variable": "a", "address": 0, "type": "int8"}]),
            "transformers[0].source.registers[0].type",
        ),
        (_doc(protocol="mqtt", topic="t", fields={"a": "b"}, qos=3), "source.qos"),
        (_doc(protocol="mqtt", topic="t", fields={"a": "b"}, colour=1), "source.colour"),
        (_doc(protocol="replay", speed=0), "transformers[0].source.path"),
        (
            {"monitor": {"period_s": 0}, "transformers": _doc(protocol="replay")["transformers"]},
            "monitor.period_s",
        ),
    ],
)
def test_bad_config_names_the_key(doc: dict, key: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="config key") as exc:
        parse_config(doc, tmp_path)
    assert key in str(exc.value)


def test_bad_spec_and_thresholds(tmp_path: Path) -> None:
    src = {"protocol": "mqtt", "topic": "t", "fields": {"a": "b"}}
    with pytest.raises(InputError, match=r"transformers\[0\]\.spec"):
        parse_config({"transformers": [{"id": "T", "spec": {"preset": "XX"}, "source": src}]})
    bad = {"alerte_c": 100, "critique_c": 90}
    with pytest.raises(InputError, match="critique_c must be above"):
        parse_config({"transformers": [{"id": "T", "thresholds": bad, "source": src}]})
    twice = [{"id": "T", "source": src}, {"id": "T", "source": src}]
    with pytest.raises(InputError, match="listed twice"):
        parse_config({"transformers": twice})


def test_password_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    src = {"protocol": "mqtt", "topic": "t", "fields": {"a": "b"}, "password_env": "TW_PW"}
    with pytest.raises(InputError, match="TW_PW"):
        parse_config({"transformers": [{"id": "T", "source": src}]})
    monkeypatch.setenv("TW_PW", "s3cret")
    cfg = parse_config({"transformers": [{"id": "T", "source": src}]})
    assert cfg.transformers[0].source.password == "s3cret"


def test_protocol_registry_resolves_every_name_and_refuses_others(tmp_path: Path) -> None:
    from thermowatch.ingest.protocols import PROTOCOLS, hub_class
    from thermowatch.ingest.sources.base import Hub

    assert set(PROTOCOLS) == {"opcua", "modbus", "mqtt", "iec104", "replay"}
    assert all(issubclass(hub_class(p), Hub) for p in PROTOCOLS)
    doc = {"transformers": [{"id": "T", "source": {"protocol": "profibus"}}]}
    with pytest.raises(InputError, match="must be one of opcua, modbus, mqtt, iec104, replay"):
        parse_config(doc, tmp_path)
