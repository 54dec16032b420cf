"""A CLI that feels finished: version, help text kept whole, an example per command, quiet
start, a confirmation before restore, the laptop secret, the data directory."""

from __future__ import annotations

import logging
import os
import stat
import sys

import pytest
from typer.testing import CliRunner

import thermowatch
from thermowatch.cli import app
from thermowatch.cli._errors import run_with_error_policy
from thermowatch.cli.examples import EXAMPLES, add_examples

runner = CliRunner()


def run_as_user(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["thermowatch", *args])
    code = run_with_error_policy(app)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_version(monkeypatch, capsys):
    code, out, _ = run_as_user(monkeypatch, capsys, "--version")
    assert code == 0 and out.strip() == f"thermowatch {thermowatch.__version__}"


@pytest.mark.parametrize(
    ("command", "text"),
    [
        (["serve"], "The settings file: [service], [store], [alerts]"),
        (["alerts", "test-channel"], "Channel name from [alerts.channels]."),
        (["sample"], "Length of the export [days]."),
        (["alerts", "list"], "Only this transformer's alerts."),
    ],
)
def test_bracketed_help_text_is_kept(command, text):
    result = runner.invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert text in " ".join(result.output.split())


def test_every_command_has_an_example():
    assert add_examples(app) == []
    result = runner.invoke(app, ["db", "restore", "--help"], terminal_width=200)
    assert f"Example: {EXAMPLES['db restore']}" in result.output


def test_quiet_start_and_verbose(monkeypatch, capsys):
    logging.getLogger("alembic").setLevel(logging.NOTSET)
    run_as_user(monkeypatch, capsys, "status", "--json")
    assert logging.getLogger("alembic").level == logging.WARNING
    run_as_user(monkeypatch, capsys, "--verbose", "status", "--json")
    assert logging.getLogger("alembic").level == logging.DEBUG


def test_restore_without_a_terminal_needs_yes(monkeypatch, capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    assert run_as_user(monkeypatch, capsys, "db", "upgrade", "--database-url", url)[0] == 0
    backup = tmp_path / "b.bak"
    assert (
        run_as_user(monkeypatch, capsys, "db", "backup", str(backup), "--database-url", url)[0] == 0
    )
    code, _, err = run_as_user(
        monkeypatch, capsys, "db", "restore", str(backup), "--database-url", url
    )
    assert code == 2 and "--yes" in err
    code, out, _ = run_as_user(
        monkeypatch, capsys, "db", "restore", str(backup), "--yes", "--database-url", url
    )
    assert code == 0 and "restored" in out


def test_data_home_follows_thermowatch_home_then_xdg(monkeypatch, tmp_path):
    from thermowatch.paths import data_home, default_spool_dir
    from thermowatch.store.engine import resolve_url

    monkeypatch.delenv("THERMOWATCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("THERMOWATCH_HOME", str(tmp_path / "tw"))
    assert (
        data_home() == tmp_path / "tw" and stat.S_IMODE((tmp_path / "tw").stat().st_mode) == 0o700
    )
    assert resolve_url() == f"sqlite:///{tmp_path}/tw/thermowatch.db"
    assert default_spool_dir() == tmp_path / "tw" / "spool"
    monkeypatch.delenv("THERMOWATCH_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_home() == tmp_path / "xdg" / "thermowatch"


class TestLaptopSecret:
    @pytest.fixture(autouse=True)
    def _home(self, monkeypatch, tmp_path):
        monkeypatch.setenv("THERMOWATCH_HOME", str(tmp_path))
        for name in ("THERMOWATCH_JWT_SECRET", "THERMOWATCH_JWT_PUBLIC_KEY", "THERMOWATCH_CONFIG"):
            monkeypatch.setenv(name, "")  # remembers the original state, restored after
            monkeypatch.delenv(name)

    def test_made_once_private_and_accepted_by_production(self, tmp_path):
        from thermowatch.cli.laptop import ensure_jwt_secret
        from thermowatch.service.settings import load_settings
        from thermowatch.settings import environment

        path = ensure_jwt_secret(None, environment())
        assert path == tmp_path / "jwt_secret"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        first = os.environ["THERMOWATCH_JWT_SECRET"]
        assert len(first) >= 40
        assert load_settings().env == "production"  # strong enough: no refusal
        del os.environ["THERMOWATCH_JWT_SECRET"]
        ensure_jwt_secret(None, environment())
        assert os.environ["THERMOWATCH_JWT_SECRET"] == first  # kept across starts

    def test_a_configured_secret_is_left_alone_and_still_checked(self, monkeypatch, tmp_path):
        from thermowatch.cli.laptop import ensure_jwt_secret
        from thermowatch.errors import InputError
        from thermowatch.service.settings import load_settings
        from thermowatch.settings import environment

        monkeypatch.setenv("THERMOWATCH_JWT_SECRET", "short")
        assert (
            ensure_jwt_secret(None, environment()) is None
            and not (tmp_path / "jwt_secret").exists()
        )
        with pytest.raises(InputError, match="at least 32"):
            load_settings()
        monkeypatch.delenv("THERMOWATCH_JWT_SECRET")
        config = tmp_path / "tw.toml"
        config.write_text('[service]\njwt_secret = "' + "x" * 40 + '"\n')
        assert ensure_jwt_secret(config, environment()) is None

    def test_a_readable_secret_file_is_refused(self, tmp_path):
        from thermowatch.cli.laptop import ensure_jwt_secret
        from thermowatch.errors import InputError
        from thermowatch.settings import environment

        (tmp_path / "jwt_secret").write_text("y" * 43)
        (tmp_path / "jwt_secret").chmod(0o644)
        with pytest.raises(InputError, match="chmod 600"):
            ensure_jwt_secret(None, environment())


def test_serve_gives_a_new_laptop_store_its_tables(tmp_path):
    from thermowatch.cli.laptop import prepare_store
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import current_revision, head_revision

    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert prepare_store(url) == f"store: created {url}"
    assert current_revision(make_engine(url)) == head_revision()
    assert prepare_store(url) is None  # already there: nothing to say, nothing done
