"""Issue 23: the site's time zone from ``[site] timezone`` or ``train --timezone``."""

from __future__ import annotations

import pytest

from thermowatch.errors import InputError
from thermowatch.settings import DEFAULT_SITE_TIMEZONE, check_timezone, read_settings


def test_site_timezone_from_the_settings_file(tmp_path):
    path = tmp_path / "thermowatch.toml"
    path.write_text('[site]\ntimezone = "America/Montreal"\n')
    assert read_settings(path).site_timezone == "America/Montreal"
    assert read_settings(None, environ={}).site_timezone in (
        DEFAULT_SITE_TIMEZONE,
        "America/Montreal",
    )


def test_an_unknown_zone_is_refused_with_one_sentence(tmp_path):
    path = tmp_path / "thermowatch.toml"
    path.write_text('[site]\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(InputError, match=r"\[site\] timezone: the time zone 'Mars/Olympus'"):
        read_settings(path)
    path.write_text('[site]\nzone = "UTC"\n')
    with pytest.raises(InputError, match=r"\[site\] takes one key, timezone"):
        read_settings(path)
    with pytest.raises(InputError, match="--timezone"):
        check_timezone("Nowhere/Town", "--timezone")
    assert check_timezone("Europe/Paris", "--timezone") == "Europe/Paris"


def test_train_refuses_an_unknown_timezone_before_any_work(monkeypatch, capsys, tmp_path):
    import sys

    from thermowatch.cli import app
    from thermowatch.cli._errors import run_with_error_policy

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["thermowatch", "train", "--timezone", "Mars/Olympus"])
    code = run_with_error_policy(app)
    err = capsys.readouterr().err
    assert code == 2
    assert "--timezone: the time zone 'Mars/Olympus' is unknown" in err
    assert "Traceback" not in err and not (tmp_path / "resultats").exists()
