"""`thermowatch doctor` on a healthy installation (exit 0) and on a broken one (exit 1, the
failing checks named), plus the Prometheus textfile it writes for deploy/prometheus."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.integration.ops.deploy_helpers import DEPLOY
from thermowatch.cli.doctor import TEXTFILE_METRICS, doctor
from thermowatch.store.backup import verify_set, write_set
from thermowatch.store.engine import make_engine
from thermowatch.store.leases import LeaderLease
from thermowatch.store.migrate import upgrade
from thermowatch.store.readings import write_readings
from thermowatch.store.transformers import ensure_transformer

app = typer.Typer()
app.command()(doctor)
runner = CliRunner()


def cert(tmp: Path, days: int) -> Path:
    out = tmp / f"cert-{days}.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", str(days), "-subj", "/CN=t", "-keyout", str(tmp / "k.pem"),
         "-out", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out


def config(tmp: Path, port: int, phase: int = 1) -> Path:
    path = tmp / "thermowatch.toml"
    text = (DEPLOY / "thermowatch.toml.template").read_text()
    text = text.replace("phase = 1", f"phase = {phase}")
    text = text.replace('spool_dir = "/var/lib/thermowatch/spool"', 'spool_dir = "spool"')
    text += f"""
[[transformers]]
id = "TR-01"
spec = {{ preset = "ONAF", rated_current_a = 1039.23 }}
[transformers.source]
protocol = "modbus"
host = "127.0.0.1"
port = {port}
[[transformers.source.registers]]
variable = "courant (A)"
address = 0
"""
    path.write_text(text)
    return path


def invoke(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, [*args, "--json", "--lang", "en"])
    return result.exit_code, json.loads(result.output)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("THERMOWATCH_JWT_SECRET", "x" * 40)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    ensure_transformer(engine, "TR-01")
    import pandas as pd

    now = pd.Timestamp.now(tz="UTC").floor("s")
    write_readings(engine, pd.DataFrame({"transformer_id": ["TR-01"], "ts": [now],
                   "variable": ["courant (A)"], "value": [500.0], "quality": [0],
                   "source": ["t"]}))  # fmt: skip
    field = socket.socket()  # a SCADA server that accepts connections
    field.bind(("127.0.0.1", 0))
    field.listen(8)
    yield tmp_path, url, engine, field.getsockname()[1]
    field.close()
    engine.dispose()


def test_healthy_installation_is_green_and_writes_metrics(site) -> None:  # type: ignore[no-untyped-def]
    tmp, url, engine, port = site
    backups = tmp / "backups"
    verify_set(write_set(engine, backups, key=b"backup-key"), b"backup-key")
    good_cert = cert(tmp, 400)
    with LeaderLease(engine, "monitor", "host-a:1") as lease:
        assert lease.try_acquire()
        code, doc = invoke("--config", str(config(tmp, port)), "--database-url", url,
                           "--backup-dir", str(backups), "--cert", str(good_cert),
                           "--textfile", str(tmp / "tw.prom"))  # fmt: skip
    verdicts = {c["check"]: c["verdict"] for c in doc["checks"]}
    assert code == 0 and not doc["failed"], doc
    # The disk is this machine's: its verdict follows its real free share.
    usage = shutil.disk_usage(tmp)
    pct = 100 * usage.free / usage.total
    assert verdicts.pop("disk") == ("ok" if pct >= 20 else "warn" if pct >= 10 else "fail")
    assert verdicts == dict.fromkeys(
        ["config", "database", "scada", "channels", "certificates", "backup", "leader",
         "jobs", "outbox", "spool", "stale"], "ok")  # fmt: skip
    details = {c["check"]: " ".join(c["details"]) for c in doc["checks"]}
    assert "held by host-a:1" in details["leader"]
    assert f"modbus://127.0.0.1:{port}" in details["scada"]
    prom = (tmp / "tw.prom").read_text()
    for name in TEXTFILE_METRICS:
        assert f"\n{name}" in prom or prom.startswith(f"# HELP {name}"), name
    values = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in prom.splitlines() if line and not line.startswith("#")
    }  # fmt: skip
    assert values["thermowatch_monitor_leader_present"] == 1
    assert abs(values["thermowatch_backup_last_success_timestamp_seconds"] - time.time()) < 120
    expiry = values[f'thermowatch_tls_certificate_expiry_timestamp_seconds{{path="{good_cert}"}}']
    assert 399 < (expiry - time.time()) / 86400 < 401
    assert abs(values['thermowatch_transformer_last_reading_timestamp_seconds{transformer="TR-01"}']
               - time.time()) < 120  # fmt: skip


def test_broken_installation_fails_naming_each_problem(site) -> None:  # type: ignore[no-untyped-def]
    tmp, url, engine, _port = site
    backups = tmp / "backups"
    write_set(engine, backups, now=datetime.now(UTC) - timedelta(days=2), key=b"backup-key")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_port = closed.getsockname()[1]
    closed.close()  # nobody listens there any more
    code, doc = invoke("--config", str(config(tmp, dead_port, phase=2)), "--database-url", url,
                       "--backup-dir", str(backups), "--cert", str(cert(tmp, 3)))  # fmt: skip
    verdicts = {c["check"]: c["verdict"] for c in doc["checks"]}
    details = {c["check"]: " ".join(c["details"]) for c in doc["checks"]}
    assert code == 1 and doc["failed"]
    assert verdicts["scada"] == "fail" and "not reachable" in details["scada"]
    assert verdicts["channels"] == "fail" and "phase 2 but no channel" in details["channels"]
    assert verdicts["backup"] == "fail" and "last backup 48." in details["backup"]
    assert verdicts["certificates"] == "fail" and "expires in 2 days" in details["certificates"]
    assert verdicts["leader"] == "warn"

    # The database is down: one clear line, the checks that need it are not run.
    code, doc = invoke("--database-url", "postgresql://tw@127.0.0.1:9/tw")
    db = next(c for c in doc["checks"] if c["check"] == "database")
    assert code == 1 and db["verdict"] == "fail" and "not reachable" in db["details"][0]
    assert "outbox" not in {c["check"] for c in doc["checks"]}


def test_french_is_the_default(site) -> None:  # type: ignore[no-untyped-def]
    _tmp, url, _engine, _port = site
    result = runner.invoke(app, ["--database-url", url])
    assert "Base de données" in result.output and "Vérification" in result.output


def test_readings_without_a_lease_are_unknown_not_ok(site) -> None:  # type: ignore[no-untyped-def]
    """No lease held but readings stored a minute ago (a monitor without --lease): the leader
    check says so, as unknown; without a settings file the SCADA check is unknown, not OK."""
    from thermowatch.store.engine import write_transaction
    from thermowatch.store.state import upsert_states
    from thermowatch.store.types import to_micros

    _tmp, url, engine, _port = site
    row = [
        "TR-01",
        to_micros(datetime.now(UTC) - timedelta(minutes=1)),
        93.0,
        105.0,
        "config",
        70.0,
        "NORMAL",
        69.0,
        "NORMAL",
        "NORMAL",
        "measured",
        None,
        None,
        None,
        "m",
        False,
    ]
    with write_transaction(engine) as conn:
        upsert_states(conn, [row])
    _code, doc = invoke("--database-url", url)
    verdicts = {c["check"]: c["verdict"] for c in doc["checks"]}
    details = {c["check"]: " ".join(c["details"]) for c in doc["checks"]}
    assert verdicts["leader"] == "unknown" and "readings arrive" in details["leader"]
    assert verdicts["scada"] == "unknown" and "no settings file" in details["scada"]
