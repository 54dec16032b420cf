"""The restore drill: scheduled backup -> wipe -> restore -> every row and every model artifact
back, checksums equal. Run with the command the backup timer runs (deploy/systemd)."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from thermowatch.cli import db
from thermowatch.cli._errors import run_with_error_policy
from thermowatch.learn.artifact import verify_model
from thermowatch.store import alerts, audit
from thermowatch.store.backup import (
    MANIFEST,
    file_checksums,
    list_sets,
    table_checksums,
    table_counts,
)
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.models import register_model
from thermowatch.store.readings import write_readings
from thermowatch.store.transformers import ensure_transformer

root = typer.Typer()
root.add_typer(db.app, name="db")
runner = CliRunner()
START = datetime(2026, 3, 1, tzinfo=UTC)


def run(*args: str) -> str:
    result = runner.invoke(root, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def make_artifact(models: Path, model_id: str, seed: int) -> Path:
    """A model artifact directory as learn.artifact writes it (files + SHA256SUMS)."""
    d = models / model_id
    d.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    (d / "model.json").write_text(json.dumps({"coef": rng.normal(size=8).tolist()}))
    (d / "metadata.json").write_text(json.dumps({"model_id": model_id, "target": "OT"}))
    sums = "".join(
        f"{hashlib.sha256((d / n).read_bytes()).hexdigest()}  {n}\n"
        for n in ("model.json", "metadata.json")
    )
    (d / "SHA256SUMS").write_text(sums)
    return d


def populate(url: str, models: Path) -> None:
    engine = make_engine(url)
    upgrade(engine, now=START)
    ensure_transformer(engine, "T1", "Poste Nord T1", target_variable="OT")
    ts = pd.date_range(START, periods=3000, freq="1min", tz="UTC")
    frame = pd.DataFrame(
        {"transformer_id": "T1", "ts": np.repeat(ts, 2), "variable": ["OT", "LOAD"] * len(ts),
         "value": np.linspace(20, 80, 2 * len(ts)), "quality": 0, "source": "drill"}
    )  # fmt: skip
    write_readings(engine, frame)
    a = alerts.raise_alert(engine, "T1", "top_oil_high", "ALERTE", "chaud",
                           notify=[alerts.NotificationRequest("log", "-", "chaud")])  # fmt: skip
    alerts.acknowledge_alert(engine, a, "alice")
    audit.record(engine, audit.AuditEntry("alice", "db.backup", "ok"))
    for i in range(2):
        d = make_artifact(models, f"m{i}", i)
        register_model(engine, f"m{i}", "T1", str(d), "0" * 64)
    engine.dispose()


def test_scheduled_backup_wipe_restore_gives_back_every_row_and_artifact(
    db_url: str, tmp_path: Path
) -> None:
    models, backups = tmp_path / "models", tmp_path / "backups"
    populate(db_url, models)
    engine = make_engine(db_url)
    counts, sums = table_counts(engine), table_checksums(engine)
    artifacts = file_checksums(models)
    assert counts["readings"] == 6000 and counts["model_versions"] == 2 and len(artifacts) == 6

    # What thermowatch-backup.service runs every night.
    out = run("db", "backup", "--rotate", str(backups), "--models", str(models), "--verify",
              "--database-url", db_url)  # fmt: skip
    assert "verified" in out and "6 model files" in out
    [s] = list_sets(backups)
    assert s.verified and s.manifest["rows"] == counts
    assert s.manifest["models"] == artifacts

    # Disaster: the tables are emptied and the artifacts deleted.
    with engine.begin() as conn:
        for table in ("delivery_attempts", "notifications", "alerts", "audit_log", "readings",
                      "model_versions", "predictions"):  # fmt: skip
            conn.execute(text(f"DELETE FROM {table}"))
    for p in sorted(models.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    assert table_counts(engine)["readings"] == 0

    out = run("db", "restore", str(s.path), "--models", str(models), "--database-url", db_url,
              "--yes")  # fmt: skip
    assert "6 model files" in out
    assert table_counts(engine) == counts
    assert table_checksums(engine) == sums
    assert file_checksums(models) == artifacts
    for i in range(2):
        verify_model(models / f"m{i}")
    engine.dispose()


def test_verify_refuses_a_corrupted_set_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/store.db"
    models, backups = tmp_path / "models", tmp_path / "backups"
    populate(url, models)
    run("db", "backup", "--rotate", str(backups), "--models", str(models), "--database-url", url)
    [s] = list_sets(backups)
    assert not s.verified
    tar = s.path / "models.tar"
    data = bytearray(tar.read_bytes())
    data[700] ^= 0xFF  # one flipped byte
    tar.write_bytes(bytes(data))
    monkeypatch.setattr(sys, "argv", ["thermowatch", "db", "verify-backup", str(s.path)])
    assert run_with_error_policy(root) == 2
    err = capsys.readouterr().err
    assert "models.tar does not match its SHA-256 sum" in err and "Traceback" not in err
    # ... and a restore from it is refused before anything is touched
    before = table_counts(make_engine(url))
    monkeypatch.setattr(sys, "argv", ["thermowatch", "db", "restore", str(s.path),
                                      "--database-url", url, "--yes"])  # fmt: skip
    assert run_with_error_policy(root) == 2
    assert table_counts(make_engine(url)) == before


def test_rotation_on_disk_keeps_the_newest_sets_and_drops_partial_ones(tmp_path: Path) -> None:
    from thermowatch.store.backup import rotate, write_set

    url = f"sqlite:///{tmp_path}/store.db"
    populate(url, tmp_path / "models")
    engine = make_engine(url)
    backups = tmp_path / "backups"
    end = datetime(2026, 11, 30, 2, 30, tzinfo=UTC)
    for d in range(40):
        write_set(engine, backups, now=end - timedelta(days=d), key=b"backup-key")
    (backups / ".partial-thermowatch-x").mkdir()
    removed = rotate(backups)
    kept = list_sets(backups)
    # 7 days + Sundays Nov 22, 15 + end of Oct (Oct 31); Nov 29 / Nov 30 overlap the daily ones
    assert len(kept) == 10 and len(removed) == 31
    assert kept[0].created_at == end
    assert all((k.path / MANIFEST).is_file() for k in kept)
    assert not any(backups.glob(".partial-*"))
    assert len(list(backups.iterdir())) == 10
