"""``thermowatch alerts ...`` as a user runs it, against a real SMTP server on loopback."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from thermowatch.alerts.config import load_config
from thermowatch.alerts.engine import AlertEngine
from thermowatch.cli import alerts as alerts_cli
from thermowatch.cli._errors import run_with_error_policy
from thermowatch.store.audit import entries

from .conftest import NOW

# Registered exactly as thermowatch/cli/__init__.py is to do it.
root = typer.Typer()
root.add_typer(alerts_cli.app, name="alerts")
runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "alerts.toml"


def run(*args: str) -> str:
    result = runner.invoke(root, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def run_as_user(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["thermowatch", *args])
    code = run_with_error_policy(root)
    return code, capsys.readouterr().err


def local_config(tmp_path: Path, smtp_port: int, phase: int = 2) -> Path:
    """The example config with the e-mail channel pointed at the loopback server."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('host = "smtp.example.org"\nport = 587\nsecurity = "starttls"',
                        f'host = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"')  # fmt: skip
    text = text.replace('username = "thermowatch@example.org"\n', "")
    text = text.replace("phase = 1", f"phase = {phase}")
    path = tmp_path / "alerts.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_is_valid_and_complete():
    cfg = load_config(EXAMPLE)
    assert {c.type for c in cfg.channels.values()} == {"email", "webhook", "ntfy", "chat", "log"}
    assert cfg.channels["email"].options["host"] == "smtp.example.org"
    assert cfg.channels["email"].options["port"] == 587
    assert len(cfg.escalation) == 3 and cfg.phase == 1 and len(cfg.actions) == 4
    assert [a.hook for a in cfg.actions] == ["webhook", "webhook", "opcua", "modbus"]


def test_list_ack_and_deliver(db, smtp, tmp_path, monkeypatch):
    url = db.url.render_as_string(hide_password=False)
    cfg_path = local_config(tmp_path, smtp.port)
    cfg = load_config(cfg_path)
    engine = AlertEngine(db, cfg)
    for i in range(6):
        engine.evaluate("T1", NOW + timedelta(minutes=i), 95.0)
    rows = json.loads(run("alerts", "list", "--json", "--database-url", url))
    assert [(r["transformer_id"], r["level"], r["acknowledged_by"]) for r in rows] == [
        ("T1", "ALERTE", None)
    ]
    alert_id = rows[0]["id"]
    out = run("alerts", "ack", str(alert_id), "--by", "Alice", "--database-url", url)
    assert f"alert {alert_id} (T1 ALERTE) acknowledged by Alice" in out
    assert "Alice" in run("alerts", "list", "--database-url", url)
    assert entries(db, action="alerts.acknowledge")[0].source_address == "cli"

    # Only the e-mail reaches a real server; the SMS/push/chat hosts do not resolve here.
    monkeypatch.setenv("THERMOWATCH_SMS_TOKEN", "x")
    out = run("alerts", "deliver", "--config", str(cfg_path), "--database-url", url)
    assert "1 sent" in out  # astreinte's e-mail
    assert [m["To"] for _, m in smtp.messages] == ["astreinte@example.org"]


def test_shelve_and_unshelve_from_the_cli(db, smtp, tmp_path, monkeypatch, capsys):
    url = db.url.render_as_string(hide_password=False)
    engine = AlertEngine(db, load_config(local_config(tmp_path, smtp.port)))
    for i in range(6):
        engine.evaluate("T1", NOW + timedelta(minutes=i), 95.0)
    (row,) = json.loads(run("alerts", "list", "--json", "--database-url", url))
    out = run("alerts", "shelve", str(row["id"]), "--minutes", "30", "--reason", "sensor work",
              "--by", "Bob", "--database-url", url)  # fmt: skip
    assert f"alert {row['id']} (T1 ALERTE) shelved by Bob until" in out
    (shelved,) = json.loads(run("alerts", "list", "--json", "--database-url", url))
    assert shelved["state"] == "shelved" and shelved["shelved_until"] is not None
    (audit,) = entries(db, action="alerts.shelve")
    assert audit.actor == "Bob" and audit.source_address == "cli" and "sensor work" in audit.detail
    run("alerts", "unshelve", str(row["id"]), "--by", "Bob", "--database-url", url)
    (back,) = json.loads(run("alerts", "list", "--json", "--database-url", url))
    assert back["state"] == "unacknowledged" and back["shelved_until"] is None
    # Expiry is mandatory and bounded: a day at most, one clear line, exit 2.
    code, err = run_as_user(monkeypatch, capsys, "alerts", "shelve", str(row["id"]),
                            "--minutes", "2000", "--reason", "x", "--by", "Bob",
                            "--database-url", url)  # fmt: skip
    assert code == 2 and "shelve duration must be between 0 and" in err


def test_test_channel_sends_through_smtp(db, smtp, tmp_path):
    cfg_path = local_config(tmp_path, smtp.port)
    out = run("alerts", "test-channel", "email", "--config", str(cfg_path), "--lang", "en")
    assert "test message sent through email to astreinte@example.org" in out
    ((_, msg),) = smtp.messages
    assert msg["Subject"] == "[thermowatch] Test message from channel email"


def test_user_errors_are_one_line_and_exit_2(db, tmp_path, monkeypatch, capsys):
    url = db.url.render_as_string(hide_password=False)
    code, err = run_as_user(monkeypatch, capsys, "alerts", "ack", "42", "--by", "A",
                            "--database-url", url)  # fmt: skip
    assert code == 2 and "alert 42 does not exist" in err
    bad = tmp_path / "bad.toml"
    bad.write_text("[alerts]\nphase = 7\n", encoding="utf-8")
    code, err = run_as_user(monkeypatch, capsys, "alerts", "test-channel", "email",
                            "--config", str(bad))  # fmt: skip
    assert code == 2 and "alerts.phase must be 1, 2, 3 or 4" in err
    code, err = run_as_user(monkeypatch, capsys, "alerts", "test-channel", "fax",
                            "--config", str(EXAMPLE))  # fmt: skip
    assert code == 2 and "unknown channel 'fax'" in err


def test_channel_down_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    from .conftest import free_port

    cfg_path = local_config(tmp_path, free_port())
    code, err = run_as_user(monkeypatch, capsys, "alerts", "test-channel", "email",
                            "--config", str(cfg_path))  # fmt: skip
    assert code == 2 and "channel email failed" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("[alerts.channels.x]\ntype = 'email'\nhost = 'h'\nsender = 's'\n",
         "alerts.channels.x.port must be a TCP port"),
        ("[alerts.channels.x]\ntype = 'email'\nhost = 'h'\nport = 25\nsender = 's'\npassword = 'p'\n",
         "alerts.channels.x.password is not allowed"),
        ("[alerts.contacts.a]\nto = { nowhere = 'x' }\n", "alerts.contacts.a.to.nowhere names no channel"),
        ("[alerts.escalation]\nsteps = [['ghost']]\n", "names unknown contact 'ghost'"),
        ("[[alerts.actions]]\nname = 'n'\nhook = 'modbus'\ntransformer = 'T1'\n",
         "value, min and max are required"),
        ("[alerts.levels]\ndeadband_k = 'two'\n", "alerts.levels.deadband_k must be a float"),
    ],
)  # fmt: skip
def test_config_errors_name_the_key(tmp_path, snippet, message):
    from thermowatch.errors import InputError

    path = tmp_path / "c.toml"
    path.write_text("[alerts]\nphase = 2\n" + snippet, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_config(path)
