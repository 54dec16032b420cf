"""The service, the jobs and the alerts commands resolve the alerts settings one way: the
settings file's ``[alerts]``, else the alerts file ``THERMOWATCH_ALERTS_CONFIG`` names, else
phase 1. Before, the jobs read only the variable: with the phase in ``thermowatch.toml`` the
service gated alarms in phase 3 while a retrained model was promoted under phase 1's gate."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from thermowatch.cli import app as cli
from thermowatch.errors import InputError
from thermowatch.jobs.job import JobSettings
from thermowatch.service.settings import load_settings
from thermowatch.settings import environment, read_settings


def _phases(settings_file: Path, environ: dict[str, str]) -> tuple[int, int]:
    env = {"THERMOWATCH_ENV": "development", **environ}
    jobs = JobSettings.resolve(environment(env), read_settings(settings_file, env))
    service = load_settings(settings_file, env)
    return jobs.phase, int(service.alerts.phase)


def test_the_settings_file_section_gives_the_phase_to_jobs_and_service(tmp_path: Path):
    toml = tmp_path / "thermowatch.toml"
    toml.write_text("[alerts]\nphase = 3\n", encoding="utf-8")
    alerts_file = tmp_path / "alerts.toml"
    alerts_file.write_text("[alerts]\nphase = 2\n", encoding="utf-8")
    assert _phases(toml, {}) == (3, 3)
    # The section wins over the fallback file, for both.
    assert _phases(toml, {"THERMOWATCH_ALERTS_CONFIG": str(alerts_file)}) == (3, 3)


def test_without_a_section_both_read_the_alerts_file(tmp_path: Path):
    toml = tmp_path / "thermowatch.toml"
    toml.write_text('[store]\nurl = "sqlite://"\n', encoding="utf-8")
    alerts_file = tmp_path / "alerts.toml"
    alerts_file.write_text("[alerts]\nphase = 2\n", encoding="utf-8")
    assert _phases(toml, {"THERMOWATCH_ALERTS_CONFIG": str(alerts_file)}) == (2, 2)
    assert _phases(toml, {}) == (1, 1)


def test_a_bad_alerts_section_stops_the_service_at_start(tmp_path: Path):
    toml = tmp_path / "thermowatch.toml"
    toml.write_text("[alerts]\nphase = 7\n", encoding="utf-8")
    with pytest.raises(InputError, match="phase"):
        load_settings(toml, {"THERMOWATCH_ENV": "development"})


def test_a_missing_rate_dir_is_named_at_start(tmp_path: Path):
    missing = tmp_path / "no-such-dir"
    with pytest.raises(InputError, match=r"rate_dir .*no-such-dir.* is not a directory"):
        load_settings(
            None, {"THERMOWATCH_ENV": "development", "THERMOWATCH_RATE_DIR": str(missing)}
        )
    missing.mkdir()
    assert load_settings(None, {"THERMOWATCH_ENV": "development",
                                "THERMOWATCH_RATE_DIR": str(missing)}).rate_dir == str(missing)  # fmt: skip


def test_the_alerts_commands_read_the_settings_file_section(tmp_path: Path, monkeypatch):
    """``alerts test-channel`` knows the channel declared in thermowatch.toml's [alerts] (before, it read
    only --config and answered that the channel does not exist)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("THERMOWATCH_ALERTS_CONFIG", raising=False)
    monkeypatch.delenv("THERMOWATCH_CONFIG", raising=False)
    Path("thermowatch.toml").write_text(
        '[alerts]\nphase = 2\n[alerts.channels.mail]\ntype = "email"\nhost = "127.0.0.1"\n'
        'port = 9\nsender = "tw@example.org"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["alerts", "test-channel", "mail", "--to", "ops@example.org"])
    # The channel was found (before: "unknown channel"); its server on port 9 refused.
    assert isinstance(result.exception, InputError)
    assert str(result.exception).startswith("channel mail failed: SMTP 127.0.0.1:9")
