"""OPC UA against an independent server (node-opcua on Node.js), as an integrator finds it.

Status codes decide the quality (Bad: REJECTED, Uncertain: SUSPECT, with the status name);
source timestamps are kept, checked (ahead, behind, stuck); unknown nodes and namespaces are
reported per transformer and variable at connection; ``nsu=`` ids and per-node scale; the
client's own application URI, the server certificate pinned or explicitly accepted, refusals
named and not retried blindly; a server restart under the monitor.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from thermowatch.errors import InputError
from thermowatch.ingest.config import AMBIENT, CURRENT, OIL, WINDING, parse_config
from thermowatch.ingest.monitor import Monitor
from thermowatch.store.readings import readings_long

from .conftest import free_port
from .helpers import now, wait_for
from .node_servers import NodeOpcUa, make_certificates

TID = "TR-1"
NSU = "nsu=urn:thermowatch:field-test"
MVAR = "puissance réactive (MVAr)"
SPEC = {"preset": "ONAF", "rated_current_a": 1039.23}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeOpcUa]:
    """One plain node-opcua server for the tests that only set values (it takes ~15 s)."""
    d = tmp_path_factory.mktemp("node-opcua")
    certs = asyncio.run(make_certificates(d / "certs", "urn:integrator:thermowatch"))
    srv = NodeOpcUa(free_port(), d / "pki", {"cert": str(certs["server_pem"]),
                                             "key": str(certs["server_key"])}).start()  # fmt: skip
    yield srv
    srv.stop()


def reset(srv: NodeOpcUa) -> None:
    for node, value in (("TR-1.current", 812.5), ("TR-1.ambient", 21.0),
                        ("TR-1.winding", 74.5), ("TR-1.oil", 66.5)):  # fmt: skip
        srv.set(node, value)


def make_monitor(tmp_path: Path, engine: Engine, source: dict[str, Any], **monitor: Any) -> Monitor:
    doc = {
        "monitor": {"spool_dir": str(tmp_path / "spool"), "period_s": 1, **monitor},
        "transformers": [{"id": TID, "spec": SPEC, "source": source}],
    }
    return Monitor(parse_config(doc, tmp_path), engine=engine)


def source(srv: NodeOpcUa, mode: str, **extra: Any) -> dict[str, Any]:
    return {
        "protocol": "opcua", "endpoint": srv.endpoint, "mode": mode,
        "nodes": {CURRENT: f"{NSU};s=TR-1.current", AMBIENT: f"{NSU};s=TR-1.ambient",
                  WINDING: f"{NSU};s=TR-1.winding", OIL: f"{NSU};i=1001"},
        **extra,
    }  # fmt: skip


def long(engine: Engine) -> Any:
    start = datetime(2000, 1, 1, tzinfo=UTC)
    return readings_long(engine, TID, start, now() + timedelta(days=1))


def issues(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT variable, verdict, reason FROM reading_issues ORDER BY id")
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def cycle(m: Monitor, wait: float = 1.2) -> Any:
    await asyncio.sleep(wait)  # a subscription publishes every 500 ms
    return await m.run_cycle([TID], now())


@pytest.mark.parametrize("mode", ["subscription", "polling"])
def test_status_codes_decide_the_quality(
    server: NodeOpcUa, tmp_path: Path, engine: Engine, mode: str
) -> None:
    reset(server)
    m = make_monitor(tmp_path, engine, source(server, mode))

    async def scenario() -> None:
        await m.start()
        await m.wait_connected(20)
        assert (await cycle(m)).with_data == 1
        server.set("TR-1.winding", 0.0, "BadSensorFailure")
        await cycle(m)
        event = m.states[TID].last_event
        assert event is not None and event.measured_c is None  # never a measurement
        server.set("TR-1.winding", 74.0, "UncertainLastUsableValue")
        await cycle(m)
        server.set("TR-1.winding", None, "BadCommunicationError")
        for _ in range(3):
            await cycle(m)
        # the whole device fails: every value Bad is no data (the data alert comes), though
        # nothing new is notified or polled after the first refusal
        for node in ("TR-1.current", "TR-1.ambient", "TR-1.oil"):
            server.set(node, None, "BadCommunicationError")
        reports = [await cycle(m) for _ in range(3)]
        assert [r.with_data for r in reports] == [0, 0, 0]
        assert [a.kind for a in m.data_alerts] == ["no_data"]
        await m.shutdown()

    asyncio.run(scenario())
    winding = long(engine)
    winding = winding[winding["variable"] == WINDING]
    # 74.5 (good), 74.0 (uncertain, SUSPECT); the Bad ones are refusals, nothing re-stored
    assert winding["value"].tolist() == [74.5, 74.0]
    assert winding["quality"].tolist() == [0, 1]
    assert issues(engine) == [
        (WINDING, "REJECTED", "OPC UA status BadSensorFailure"),
        (WINDING, "SUSPECT", "OPC UA status UncertainLastUsableValue"),
        (WINDING, "REJECTED", "OPC UA status BadCommunicationError"),
        *((v, "REJECTED", "OPC UA status BadCommunicationError") for v in (CURRENT, AMBIENT, OIL)),
    ]


@pytest.mark.parametrize("mode", ["subscription", "polling"])
def test_source_timestamps_are_kept_and_checked(
    server: NodeOpcUa, tmp_path: Path, engine: Engine, mode: str
) -> None:
    reset(server)
    m = make_monitor(tmp_path, engine, source(server, mode))
    stuck = (now() - timedelta(seconds=30)).isoformat()

    async def scenario() -> str:
        await m.start()
        await m.wait_connected(20)
        await cycle(m)
        good = server.set("TR-1.current", 805.0)
        await cycle(m)
        server.set("TR-1.current", 800.0, offset_s=600)  # device clock 10 min ahead
        await cycle(m)
        server.set("TR-1.current", 801.0, offset_s=-3600)  # an hour behind
        await cycle(m)
        server.set("TR-1.current", 802.0, source_ts=stuck)
        await cycle(m)
        server.set("TR-1.current", 803.0, source_ts=stuck)  # the clock no longer moves
        await cycle(m)
        await m.shutdown()
        return good

    good = datetime.fromisoformat(asyncio.run(scenario()).replace("Z", "+00:00"))
    frame = long(engine)
    current = frame[frame["variable"] == CURRENT]
    by_value = {v: (ts, q) for v, ts, q in zip(current["value"], current["timestamp"],
                                                current["quality"], strict=True)}  # fmt: skip
    assert by_value[805.0] == (pd_ts(good), 0)  # stored at its source timestamp, to the ms
    assert 800.0 not in by_value  # from the future: refused as on every other path
    assert by_value[801.0][1] == 1 and by_value[802.0][1] == 0 and by_value[803.0][1] == 1
    reasons = [r for v, verdict, r in issues(engine) if v in (CURRENT, "*")]
    assert any("ahead of the clock" in r for r in reasons)
    assert any(re.search(r"36\d\d s behind the server.s", r) for r in reasons)
    assert any("source timestamp stuck" in r for r in reasons)


def pd_ts(ts: datetime) -> Any:
    import pandas as pd

    return pd.Timestamp(ts)


def test_unknown_nodes_reported_nsu_and_scale(
    server: NodeOpcUa, tmp_path: Path, engine: Engine
) -> None:
    """``nsu=`` ids read the right namespace (a decoy namespace has the same string id and
    999.0), an Int16 in tenths is scaled, and what the server lacks is named at start."""
    reset(server)
    server.set("TR-1.mvar", 123)
    nodes = source(server, "polling")["nodes"] | {
        MVAR: {"id": f"{NSU};s=TR-1.mvar", "scale": 0.1},
        "tension (kV)": f"ns={server.info['field']};s=TR-1.voltage",  # not on the server
        "puissance active (MW)": "nsu=urn:nobody:here;s=TR-1.mw",  # unknown namespace
    }
    m = make_monitor(tmp_path, engine, source(server, "polling") | {"nodes": nodes})

    async def scenario() -> None:
        await m.start()
        await m.wait_connected(20)
        await cycle(m, 0.1)
        await m.shutdown()

    asyncio.run(scenario())
    frame = long(engine)
    got = dict(zip(frame["variable"], frame["value"], strict=True))
    assert got == {CURRENT: 812.5, AMBIENT: 21.0, WINDING: 74.5, OIL: 66.5,
                   MVAR: pytest.approx(12.3)}  # fmt: skip
    problems = m.hub_of[TID].problems
    assert "BadNodeIdUnknown" in problems[(TID, "tension (kV)")]
    assert "namespace URI 'urn:nobody:here'" in problems[(TID, "puissance active (MW)")]

    # thermowatch doctor says the same, per transformer and variable
    from thermowatch.cli.doctor import FAIL, Context, check_scada

    doc = {"transformers": [{"id": TID, "spec": SPEC, "source": source(server, "polling")
                             | {"nodes": nodes}}]}  # fmt: skip
    check = check_scada(Context(tmp_path / "thermowatch.toml", None, None, [], doc))
    assert check.verdict == FAIL
    [(_, values)] = [d for d in check.details if d[0] == "doctor.scada.problems"]
    assert "TR-1 / tension (kV): node" in values["problems"]
    assert "TR-1 / puissance active (MW): namespace URI" in values["problems"]


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NodeOpcUa, dict[str, Path]]]:
    """node-opcua offering only Basic256Sha256 / SignAndEncrypt, with a user and password."""
    d = tmp_path_factory.mktemp("node-opcua-secure")
    certs = asyncio.run(make_certificates(d / "certs", "urn:integrator:thermowatch"))
    srv = NodeOpcUa(free_port(), d / "pki", {
        "secure": True, "cert": str(certs["server_pem"]), "key": str(certs["server_key"]),
        "users": {"integrator": "s3cret"},
    }).start()  # fmt: skip
    yield srv, certs
    srv.stop()


def secure_source(srv: NodeOpcUa, certs: dict[str, Path], **extra: Any) -> dict[str, Any]:
    return source(srv, "subscription") | {
        "security_policy": "Basic256Sha256", "security_mode": "SignAndEncrypt",
        "certificate": str(certs["client_der"]), "private_key": str(certs["client_key"]),
        "username": "integrator", "password": "s3cret",
    } | extra  # fmt: skip


def test_own_application_uri_and_pinned_server_certificate(
    secure: tuple[NodeOpcUa, dict[str, Path]], tmp_path: Path, engine: Engine
) -> None:
    """The client certificate is issued for the integrator's URI: the session is accepted
    with that URI (asyncua's default one is refused with BadCertificateUriInvalid)."""
    srv, certs = secure
    src = secure_source(srv, certs, server_certificate=str(certs["server_der"]))
    m = make_monitor(tmp_path, engine, src)

    async def scenario() -> int:
        await m.start()
        await m.wait_connected(30)
        report = await cycle(m, 1.5)
        await m.shutdown()
        return report.with_data

    assert asyncio.run(scenario()) == 1
    assert len(long(engine)) == 4


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"server_certificate": "other_der"}, "is not the pinned server_certificate"),
        ({"password": "wrong"}, "wrong user name or password"),
        ({"application_uri": "urn:not:the:certificate"}, "BadCertificateUriInvalid"),
    ],
)
def test_refusals_are_named_and_not_retried_blindly(
    secure: tuple[NodeOpcUa, dict[str, Path]], tmp_path: Path, engine: Engine,
    change: dict[str, str], named: str, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    srv, certs = secure
    change = {k: str(certs[v]) if v in certs else v for k, v in change.items()}
    src = secure_source(srv, certs, server_certificate=str(certs["server_der"])) | change
    m = make_monitor(tmp_path, engine, src)
    hub = m.hub_of[TID]

    async def scenario() -> None:
        await m.start()
        await wait_for(lambda: hub.refusal is not None, 30)
        await asyncio.sleep(3)
        await m.shutdown()

    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario())
    assert hub.refusal is not None and named in hub.refusal, hub.refusal
    assert hub.reconnects == 1  # the next attempt waits a long backoff (60 s and more)
    assert not hub.connected.is_set()
    assert any("refused:" in r.getMessage() and named in r.getMessage() for r in caplog.records)


def test_server_certificate_must_be_checked_or_accepted_explicitly(
    secure: tuple[NodeOpcUa, dict[str, Path]], tmp_path: Path, engine: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    srv, certs = secure
    with pytest.raises(InputError, match="needs a way to check the server's certificate"):
        make_monitor(tmp_path, engine, secure_source(srv, certs))
    m = make_monitor(
        tmp_path, engine, secure_source(srv, certs, accept_any_server_certificate=True)
    )

    async def scenario() -> None:
        await m.start()
        await m.wait_connected(30)
        await m.shutdown()

    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario())
    assert any("unchecked (accept_any_server_certificate = true)" in r.getMessage()
               for r in caplog.records)  # fmt: skip


def test_restart_under_the_monitor(
    tmp_path: Path, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Graceful stop and restart of the server with the production backoff: data again within
    one period of it being back, the gap reported, one log line for the outage, no
    traceback."""
    d = tmp_path / "srv"
    certs = asyncio.run(make_certificates(d / "certs", "urn:integrator:thermowatch"))
    srv = NodeOpcUa(free_port(), d / "pki", {"cert": str(certs["server_pem"]),
                                             "key": str(certs["server_key"])}).start()  # fmt: skip
    period = 5.0
    m = make_monitor(tmp_path, engine, source(srv, "subscription"), period_s=period)
    hub = m.hub_of[TID]
    figures: dict[str, float] = {}

    async def scenario() -> None:
        await m.start()
        await m.wait_connected(20)
        assert (await cycle(m)).with_data == 1
        srv.stop()
        await wait_for(lambda: not hub.connected.is_set(), 15)
        for _ in range(3):
            assert (await cycle(m, 0.5)).with_data == 0
        await asyncio.to_thread(srv.start)
        await wait_for(hub.connected.is_set, 30)
        figures["reconnect_s"] = time.monotonic() - srv.ready_at
        assert (await cycle(m)).with_data == 1
        await m.shutdown()

    with caplog.at_level(logging.INFO):
        try:
            asyncio.run(scenario())
        finally:
            srv.stop()
    print(f"reconnect after the server was back: {figures['reconnect_s']:.2f} s")
    assert figures["reconnect_s"] < period  # within one period
    assert [a.kind for a in m.data_alerts] == ["no_data", "data_back"]
    assert len(m.states[TID].gaps) == 1
    frame = long(engine)
    assert not frame.duplicated(["timestamp", "variable"]).any()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    lost = [r for r in caplog.records if "connection lost or refused" in r.getMessage()]
    assert len(lost) == 1  # not one per attempt


def test_toml_example_parses() -> None:
    """The documented OPC UA table (docs/monitoring.md) is accepted as written."""
    doc = tomllib.loads(
        '[[transformers]]\nid = "TR-1"\nspec = { preset = "ONAF" }\n'
        '[transformers.source]\nprotocol = "opcua"\nendpoint = "opc.tcp://10.0.0.5:4840"\n'
        'application_uri = "urn:acme:thermowatch"\n'
        f'nodes = {{ "{MVAR}" = {{ id = "{NSU};s=Q", scale = 0.1, offset = 0.0 }} }}\n'
    )
    cfg = parse_config(doc)
    src = cfg.transformers[0].source
    assert src.node_scaling == {MVAR: (0.1, 0.0)} and src.nodes == {MVAR: f"{NSU};s=Q"}
