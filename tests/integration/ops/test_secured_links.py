"""Secured field link: MQTT over TLS with credentials, through a real Mosquitto configured by
deploy/mosquitto (TLS-only listener, anonymous refused, password file, per-user ACL; paths,
port and the ACL's topic prefix rewritten for loopback and the simulator's topics)."""

from __future__ import annotations

import asyncio
import getpass
import json
import shutil
import socket
import ssl
import subprocess
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiomqtt
import pytest

from tests.conftest import require
from tests.integration.ops.deploy_helpers import DEPLOY, free_port, stop
from thermowatch.ingest.config import parse_config
from thermowatch.ingest.monitor import Monitor
from thermowatch.ingest.simulator import FIELDS, sim_config, topic_of
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.readings import count_readings

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_pki(d: Path) -> None:
    """A CA and a server certificate for 127.0.0.1 signed by it."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-days", "2", "-subj", "/CN=test CA", "-keyout",
            str(d / "ca.key"), "-out", str(d / "ca.crt"))  # fmt: skip
    openssl("req", *ec, "-subj", "/CN=127.0.0.1", "-keyout", str(d / "server.key"),
            "-out", str(d / "server.csr"))  # fmt: skip
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", str(d / "server.csr"), "-CA", str(d / "ca.crt"), "-CAkey",
            str(d / "ca.key"), "-CAcreateserial", "-days", "2", "-extfile", str(d / "ext.cnf"),
            "-out", str(d / "server.crt"))  # fmt: skip


@pytest.fixture
def tls_broker(tmp_path: Path):  # type: ignore[no-untyped-def]
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    require(Path(binary).exists(), "mosquitto (apt-get install mosquitto)")
    make_pki(tmp_path)
    passwd = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwd), "thermowatch", "s3cret-mon"],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run(["mosquitto_passwd", "-b", str(passwd), "gateway", "s3cret-gw"], check=True,
                   capture_output=True)  # fmt: skip
    acl = tmp_path / "acl"
    acl.write_text((DEPLOY / "mosquitto" / "thermowatch.acl").read_text()
                   .replace("scada/#", "thermowatch/sim/#"))  # fmt: skip
    port = free_port()
    conf = (DEPLOY / "mosquitto" / "thermowatch.conf").read_text()
    for a, b in {
        "/etc/mosquitto/thermowatch.passwd": str(passwd),
        "/etc/mosquitto/thermowatch.acl": str(acl),
        "/etc/mosquitto/certs/thermowatch.crt": str(tmp_path / "server.crt"),
        "/etc/mosquitto/certs/thermowatch.key": str(tmp_path / "server.key"),
        "/etc/mosquitto/certs/ca.crt": str(tmp_path / "ca.crt"),
        "/var/lib/mosquitto/": f"{tmp_path}/",
        "listener 8883": f"listener {port} 127.0.0.1",
        "user mosquitto": f"user {getpass.getuser()}",
    }.items():
        assert a in conf, a
        conf = conf.replace(a, b)
    (tmp_path / "mosquitto.conf").write_text(conf)
    proc = subprocess.Popen([binary, "-c", str(tmp_path / "mosquitto.conf")],
                            stdout=(tmp_path / "broker.log").open("w"),
                            stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, (tmp_path / "broker.log").read_text()
            time.sleep(0.05)
    yield port, tmp_path / "ca.crt"
    stop(proc)


def client(port: int, ca: Path | None, user: str | None, password: str | None) -> aiomqtt.Client:
    tls = ssl.create_default_context(cafile=str(ca)) if ca else None
    return aiomqtt.Client("127.0.0.1", port, username=user, password=password,
                          tls_context=tls, identifier=f"t-{user}-{time.monotonic_ns()}",
                          timeout=3)  # fmt: skip


def test_monitor_reads_over_tls_with_credentials_and_strangers_are_refused(
    tls_broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    port, ca = tls_broker
    engine = make_engine(f"sqlite:///{tmp_path}/store.db")
    upgrade(engine)
    doc = tomllib.loads(sim_config("mqtt", 1, port=port, period_s=1))
    monkeypatch.setenv("TW_MQTT_PASSWORD", "s3cret-mon")
    doc["transformers"][0]["source"] |= {"tls": True, "ca_file": str(ca),
                                         "username": "thermowatch",
                                         "password_env": "TW_MQTT_PASSWORD"}  # fmt: skip
    monitor = Monitor(parse_config(doc, tmp_path), engine=engine)
    tid = "TR-0001"

    async def scenario() -> list[str]:
        refused = []
        for ca_used, user, pw, why in [(None, "gateway", "s3cret-gw", "no TLS"),
                                       (ca, None, None, "anonymous"),
                                       (ca, "gateway", "wrong", "bad password")]:  # fmt: skip
            try:
                async with client(port, ca_used, user, pw):
                    pass
            except aiomqtt.MqttError:
                refused.append(why)
        await monitor.start()
        await monitor.wait_connected(10)
        async with client(port, ca, "gateway", "s3cret-gw") as gw:
            for i in range(10):
                values = {k: 20.0 + j + i / 10 for j, k in enumerate(FIELDS.values())}
                msg = {"ts": (T0 + timedelta(seconds=i)).isoformat(), **values}
                await gw.publish(topic_of(tid), json.dumps(msg), qos=1)
        hub = monitor.hub_of[tid]
        deadline = time.monotonic() + 10
        while hub.received < 10:
            assert time.monotonic() < deadline, hub.received
            await asyncio.sleep(0.05)
        await monitor.run_cycle([tid], datetime.now(UTC))
        for h in monitor.hubs.values():
            await h.close()
        return refused

    refused = asyncio.run(scenario())
    assert refused == ["no TLS", "anonymous", "bad password"]
    assert count_readings(engine) == 10 * len(FIELDS)
    engine.dispose()


def test_opcua_basic256sha256_sign_and_encrypt(tmp_path: Path) -> None:
    """A real asyncua server offering only Basic256Sha256 / SignAndEncrypt: the monitor reads
    with its client certificate; a client without security finds no endpoint."""
    from asyncua import Server, ua
    from asyncua.crypto.cert_gen import setup_self_signed_certificate
    from cryptography.x509.oid import ExtendedKeyUsageOID

    from thermowatch.ingest.simulator import OPCUA_NAMESPACE

    port = free_port()
    engine = make_engine(f"sqlite:///{tmp_path}/store.db")
    upgrade(engine)
    tid = "TR-0001"

    def monitor(secure: bool) -> Monitor:
        doc = tomllib.loads(sim_config("opcua", 1, port=port, period_s=1))
        src = doc["transformers"][0]["source"]
        src["endpoint"] = f"opc.tcp://127.0.0.1:{port}/thermowatch/"
        if secure:
            src |= {"security_policy": "Basic256Sha256", "security_mode": "SignAndEncrypt",
                    "certificate": str(tmp_path / "client.der"),
                    "private_key": str(tmp_path / "client.pem"),
                    "server_certificate": str(tmp_path / "server.der")}  # fmt: skip
        return Monitor(parse_config(doc, tmp_path), engine=engine)

    async def scenario() -> tuple[int, bool]:
        for name, uri, use in [
            ("server", "urn:freeopcua:python:server", ExtendedKeyUsageOID.SERVER_AUTH),
            ("client", "urn:example.org:FreeOpcUa:opcua-asyncio", ExtendedKeyUsageOID.CLIENT_AUTH),
        ]:
            await setup_self_signed_certificate(tmp_path / f"{name}.pem", tmp_path / f"{name}.der",
                                                uri, "127.0.0.1", [use], {"commonName": name})  # fmt: skip
        server = Server()
        await server.init()
        server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/thermowatch/")
        server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
        await server.load_certificate(str(tmp_path / "server.der"))
        await server.load_private_key(str(tmp_path / "server.pem"))
        idx = await server.register_namespace(OPCUA_NAMESPACE)
        obj = await server.nodes.objects.add_object(ua.NodeId(tid, idx), tid)
        for j, key in enumerate(FIELDS.values()):
            await obj.add_variable(ua.NodeId(f"{tid}.{key}", idx), key, 30.0 + j)
        await server.start()
        try:
            insecure = monitor(secure=False)
            await insecure.start()
            try:
                await insecure.wait_connected(3)
                insecure_connected = True
            except TimeoutError:
                insecure_connected = False
            for h in insecure.hubs.values():
                await h.close()
            secure = monitor(secure=True)
            await secure.start()
            await secure.wait_connected(20)
            # The subscription's first notifications (one per node): waited for, not a fixed
            # 1.5 s, which a loaded runner may overrun (the deadline is not a speed bound).
            hub = secure.hub_of[tid]
            deadline = time.monotonic() + 30
            while len({c[0] for c in hub._changes}) < len(FIELDS) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            report = await secure.run_cycle([tid], datetime.now(UTC))
            for h in secure.hubs.values():
                await h.close()
            return report.readings, insecure_connected
        finally:
            await server.stop()

    readings, insecure_connected = asyncio.run(scenario())
    assert not insecure_connected
    assert readings == len(FIELDS) and count_readings(engine) == len(FIELDS)
    engine.dispose()
