"""``thermowatch db ...`` and ``thermowatch status`` as a user runs them (both databases)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from thermowatch.cli import db
from thermowatch.cli._errors import run_with_error_policy
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import head_revision
from thermowatch.store.readings import count_readings

# The root app registers the sub-app exactly as thermowatch/cli/__init__.py does.
root = typer.Typer()
root.add_typer(db.app, name="db")
root.command("status")(db.status)
runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(root, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def run_as_user(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                *args: str) -> tuple[int, str]:  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["thermowatch", *args])
    code = run_with_error_policy(root)
    return code, capsys.readouterr().err


def test_upgrade_backup_restore_status(db_url: str, tmp_path: Path) -> None:
    out = run("db", "upgrade", "--database-url", db_url)
    assert f"at revision {head_revision()}" in out
    assert f"at revision {head_revision()}" in run("db", "upgrade", "--database-url", db_url)
    status = json.loads(run("status", "--json", "--database-url", db_url))
    assert status == []
    assert "no transformer" in run("status", "--database-url", db_url)
    out = run("db", "backup", str(tmp_path / "b.bak"), "--database-url", db_url)
    assert "backup written" in out and (tmp_path / "b.bak").stat().st_size > 0
    assert "restored" in run(
        "db", "restore", str(tmp_path / "b.bak"), "--yes", "--database-url", db_url
    )
    out = run("db", "retention", "--raw-days", "30", "--database-url", db_url)
    assert "0 raw readings folded" in out


def test_env_var_selects_the_database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THERMOWATCH_DATABASE_URL", db_url)
    run("db", "upgrade")
    assert make_engine().url.get_backend_name() == make_engine(db_url).url.get_backend_name()
    assert json.loads(run("status", "--json")) == []


def test_errors_are_one_line_and_exit_2(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    code, err = run_as_user(monkeypatch, capsys, "status", "--database-url", db_url)
    assert code == 2 and "run `thermowatch db upgrade` first" in err
    assert "Traceback" not in err
    code, err = run_as_user(monkeypatch, capsys, "db", "upgrade", "--database-url", "mysql://x/y")
    assert code == 2 and "only sqlite" in err
    run("db", "upgrade", "--database-url", db_url)
    code, err = run_as_user(
        monkeypatch, capsys, "db", "restore", str(tmp_path / "nope.bak"), "--database-url", db_url
    )
    assert code == 2 and "nope.bak" in err and "Traceback" not in err


def _measurement_csv(path: Path) -> None:
    """Two days of 15-minute readings, in the shape of an ETT export (naive = UTC)."""
    lines = ["date,HUFL,HULL,MUFL,OT"]
    for i in range(192):
        hour = i / 4
        load = 5 + 2 * math.sin(2 * math.pi * hour / 24)
        lines.append(
            f"2026-03-{1 + i // 96:02d} {(i % 96) // 4:02d}:{(i % 4) * 15:02d}:00,"
            f"{load:.3f},{load / 3:.3f},{load * 0.8:.3f},{30 + 4 * load:.3f}"
        )
    path.write_text("\n".join(lines) + "\n")


def test_import_twice_keeps_the_same_rows(db_url: str, tmp_path: Path) -> None:
    data_pkg = pytest.importorskip(
        "thermowatch.data", reason="thermowatch.data (branch data) not merged yet"
    )
    data = tmp_path / "mesures.csv"
    _measurement_csv(data)
    measurements = data_pkg.load_measurements(data)
    expected = int(measurements.frame.notna().sum().sum())
    assert expected > 500  # the reader kept most of the 192 x 4 cells

    run("db", "upgrade", "--database-url", db_url)
    args = ["db", "import", str(data), "--transformer", "TR-09", "--database-url", db_url]
    first = run(*args)
    engine = make_engine(db_url)
    assert count_readings(engine, "TR-09") == expected
    assert f"{expected} readings stored" in first
    second = run(*args)
    assert "0 readings stored" in second and f"{expected} already present" in second
    assert count_readings(engine, "TR-09") == expected

    [status] = json.loads(run("status", "--json", "--database-url", db_url))
    last = measurements.frame.index[-1]
    assert status["transformer_id"] == "TR-09"
    assert status["measured_variable"] == measurements.target
    assert status["last_reading_at"] == last.isoformat()
    assert status["measured"] == pytest.approx(measurements.frame[measurements.target].iloc[-1])
