"""`thermowatch phase status|set|judge`: evidence from the store, criteria, audited changes."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from thermowatch.cli import phase
from thermowatch.cli._errors import run_with_error_policy
from thermowatch.store import alerts
from thermowatch.store.audit import entries
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.predictions import Prediction, write_predictions
from thermowatch.store.readings import write_readings
from thermowatch.store.transformers import ensure_transformer

root = typer.Typer()
root.add_typer(phase.app, name="phase")
runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(root, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def site(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Five weeks of hourly readings, predictions 1 K off, two alerts."""
    monkeypatch.setenv("THERMOWATCH_DATABASE_URL", db_url)
    engine = make_engine(db_url)
    upgrade(engine)
    ensure_transformer(engine, "TR-01", target_variable="OT")
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    ts = pd.date_range(now - timedelta(weeks=5), now, freq="1h", tz="UTC")
    measured = 60 + 10 * np.sin(np.arange(len(ts)) / 24)
    write_readings(engine, pd.DataFrame({"transformer_id": "TR-01", "ts": ts, "variable": "OT",
                                         "value": measured, "quality": 0, "source": "t"}))  # fmt: skip
    write_predictions(engine, [Prediction("TR-01", t.to_pydatetime(), "m1", v + 1.0)
                               for t, v in zip(ts, measured, strict=True)])  # fmt: skip
    ids = [alerts.raise_alert(engine, "TR-01", "temperature_predicted", "ALERTE", "chaud")
           for _ in range(2)]  # fmt: skip
    alerts.acknowledge_alert(engine, ids[0], "bob")
    cfg = tmp_path / "thermowatch.toml"
    cfg.write_text("[service]\ndefault_transformer = 'TR-01'\n\n[alerts]\n# start here\nphase = 1\n"
                   "lang = 'fr'\n")  # fmt: skip
    yield engine, cfg, ids
    engine.dispose()


def test_evidence_and_criteria_then_audited_changes(site, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    engine, cfg, ids = site
    run("phase", "judge", str(ids[0]), "--by", "bob", "--real")
    run("phase", "judge", str(ids[1]), "--by", "bob", "--false")
    doc = json.loads(run("phase", "status", "--config", str(cfg), "--json"))
    ev = doc["evidence"]
    assert doc["phase"] == 1 and doc["next"] == 2 and doc["unmet"] == []
    assert 4.9 < ev["weeks_observed"] < 5.1
    assert ev["mae_k"] == pytest.approx(1.0, abs=1e-9) and ev["compared_points"] > 600
    assert (ev["alerts_raised"], ev["alerts_acknowledged"]) == (2, 1)
    assert (ev["judged_real"], ev["judged_false"], ev["false_share"]) == (1, 1, 0.5)

    # Phase 3 asks for 12 weeks and 5 judged alerts: refused, config untouched, exit 2.
    monkeypatch.setattr(sys, "argv", ["thermowatch", "phase", "set", "3", "--by", "alice",
                                      "--config", str(cfg)])  # fmt: skip
    assert run_with_error_policy(root) == 2
    err = capsys.readouterr().err
    assert "phase 3 refused" in err and "5.0 weeks observed, 12 needed" in err
    assert phase.configured_phase(cfg) == 1

    out = run("phase", "set", "2", "--by", "alice", "--config", str(cfg))
    assert "phase 1 -> 2" in out and phase.configured_phase(cfg) == 2
    assert "# start here" in cfg.read_text()  # the rest of the file is kept
    audited = entries(engine, action="alerts.phase")
    assert audited[0].actor == "alice" and audited[0].target == "phase:2"

    run("phase", "set", "4", "--by", "carol", "--config", str(cfg), "--force", "drill")
    assert phase.configured_phase(cfg) == 4
    forced = entries(engine, action="alerts.phase.forced")[0]
    assert forced.actor == "carol" and forced.detail.startswith("drill; unmet:")
    # Going down is always allowed.
    run("phase", "set", "1", "--by", "dave", "--config", str(cfg))
    assert phase.configured_phase(cfg) == 1
    assert [e.target for e in entries(engine, action="alerts.phase")][:3] == [
        "phase:1", "phase:4", "phase:2"]  # fmt: skip


def test_judging_an_unknown_alert_is_refused(site, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "argv", ["thermowatch", "phase", "judge", "999", "--by", "x",
                                      "--real"])  # fmt: skip
    assert run_with_error_policy(root) == 2
    assert "999" in capsys.readouterr().err
