"""One settings file, ``thermowatch.toml``, read once and handed down section by section."""

from __future__ import annotations

from pathlib import Path

import pytest

from thermowatch.alerts.config import Phase, alerts_settings
from thermowatch.errors import InputError
from thermowatch.ingest.config import monitor_settings
from thermowatch.service.settings import load_settings
from thermowatch.settings import read_settings

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "thermowatch.toml"


def test_the_example_feeds_every_owner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THERMOWATCH_DATABASE_URL", raising=False)
    monkeypatch.delenv("THERMOWATCH_ALERTS_CONFIG", raising=False)
    file = read_settings(EXAMPLE)
    monitor = monitor_settings(file)
    assert monitor.database_url == "sqlite:///thermowatch.db"  # from [store]
    assert [t.id for t in monitor.transformers] == ["TR-REPLAY"]
    assert monitor.transformers[0].thresholds == {"alerte_c": 110.0, "critique_c": 120.0}
    alerts = alerts_settings(file)
    assert alerts.phase == Phase.OBSERVATION and alerts.hysteresis.deadband_k == 2.0
    service = load_settings(EXAMPLE, environ={"THERMOWATCH_ENV": "development"})
    assert service.database_url == "sqlite:///thermowatch.db"
    assert service.default_transformer == "TR-REPLAY" and service.max_future_skew_s == 300
    # the environment wins over the file for the store (secrets live there)
    assert monitor_settings(file, "sqlite:///other.db").database_url == "sqlite:///other.db"


def test_mistakes_name_the_section(tmp_path: Path) -> None:
    bad = tmp_path / "thermowatch.toml"
    bad.write_text("[servce]\nport = 1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"unknown section \[servce\]"):
        read_settings(bad)
    bad.write_text('[store]\nurl = "sqlite://"\npool = 3\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"\[store\] takes one key"):
        read_settings(bad)
    bad.write_text('[store]\nurl = "sqlite://"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"\[\[transformers\]\]"):
        monitor_settings(read_settings(bad))


def test_status_reports_the_monitor_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from thermowatch.cli import db
    from thermowatch.ingest.spool import Spool

    (tmp_path / "thermowatch.toml").write_text(
        '[monitor]\nspool_dir = "spool"\n[[transformers]]\nid = "T"\n'
        '[transformers.source]\nprotocol = "replay"\npath = "x.csv"\n',
        encoding="utf-8",
    )
    spool = Spool(tmp_path / "spool")
    spool.append({"readings": []})
    spool.quarantine(spool.append({"readings": [["NOPE"]]}), "transformer 'NOPE' does not exist")
    spool.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("THERMOWATCH_CONFIG", raising=False)
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import upgrade

    upgrade(make_engine(f"sqlite:///{tmp_path / 's.db'}"))
    app = typer.Typer()
    app.command("status")(db.status)
    app.command("x")(lambda: None)
    out = CliRunner().invoke(app, ["status", "--json", "--database-url",
                                   f"sqlite:///{tmp_path / 's.db'}"])  # fmt: skip
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["spool"]["waiting"] == 1 and doc["spool"]["quarantined"] == 1
