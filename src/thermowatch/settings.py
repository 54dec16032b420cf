"""One settings tree: ``thermowatch.toml``, read once, each section handed to its owner.

::

    [store]            url = "postgresql+psycopg://thermowatch@db/thermowatch"
    [service]          the prediction service (:class:`thermowatch.service.settings.Settings`)
    [monitor]          the monitoring daemon (:class:`thermowatch.ingest.config.MonitorConfig`)
    [[transformers]]   what the monitor watches, and where it reads it
    [alerts]           phases, levels, channels, contacts (:mod:`thermowatch.alerts.config`)
    [site]             timezone = "Europe/Paris"  (IANA zone: the report's local times)

The file is ``--config``, else ``$THERMOWATCH_CONFIG``, else ``./thermowatch.toml`` when it
exists; every section is optional. Secrets are never in the file: environment variables
(``THERMOWATCH_JWT_SECRET``, ``THERMOWATCH_DATABASE_URL``, a channel's ``password_env``) win
over it. A section this page does not list is refused (one sentence naming it), so a typo is
not silently ignored. Each area validates its own section; this module only reads the file
(:func:`thermowatch.config.read_toml`, the one reader) and hands the sections down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thermowatch.config import read_toml
from thermowatch.errors import InputError

SECTIONS = ("store", "service", "monitor", "transformers", "alerts", "site")
#: The site's time zone when ``[site] timezone`` names none (the first users are in France).
DEFAULT_SITE_TIMEZONE = "Europe/Paris"
ENV_FILE = "THERMOWATCH_CONFIG"
DEFAULT_FILE = "thermowatch.toml"


@dataclass(frozen=True)
class SettingsFile:
    """The parsed settings file (``path`` ``None``: no file, every section at its defaults)."""

    path: Path | None
    doc: dict[str, Any]

    def section(self, name: str) -> Any:
        """One section as read (``{}`` / ``[]`` when absent)."""
        return self.doc.get(name, [] if name == "transformers" else {})

    def has(self, name: str) -> bool:
        return name in self.doc

    @property
    def store_url(self) -> str | None:
        """``[store] url`` (the environment's ``THERMOWATCH_DATABASE_URL`` wins over it)."""
        url = self.section("store").get("url")
        return str(url) if url else None

    @property
    def site_timezone(self) -> str:
        """``[site] timezone``: the IANA zone local times are shown in (default
        :data:`DEFAULT_SITE_TIMEZONE`)."""
        return str(self.section("site").get("timezone") or DEFAULT_SITE_TIMEZONE)

    @property
    def base_dir(self) -> Path:
        """Directory relative paths of the file are taken from."""
        return self.path.parent if self.path is not None else Path()


def settings_path(path: str | os.PathLike[str] | None = None,
                  environ: Mapping[str, str] | None = None) -> Path | None:  # fmt: skip
    """The settings file to read: ``path``, ``$THERMOWATCH_CONFIG``, ``./thermowatch.toml``."""
    env = os.environ if environ is None else environ
    if path:
        return Path(path)
    if env.get(ENV_FILE):
        return Path(env[ENV_FILE])
    default = Path(DEFAULT_FILE)
    return default if default.is_file() else None


def read_settings(path: str | os.PathLike[str] | None = None,
                  environ: Mapping[str, str] | None = None) -> SettingsFile:  # fmt: skip
    """Read the settings file once; ``InputError`` for a missing, malformed or unknown part."""
    file = settings_path(path, environ)
    if file is None:
        return SettingsFile(None, {})
    doc = read_toml(file, "settings file")
    unknown = sorted(set(doc) - set(SECTIONS))
    if unknown:
        raise InputError(
            f"settings file {str(file)!r}: unknown section [{unknown[0]}] "
            f"(known: {', '.join(SECTIONS)})."
        )
    store = doc.get("store", {})
    if not isinstance(store, dict) or set(store) - {"url"}:
        raise InputError(f"settings file {str(file)!r}: [store] takes one key, url.")
    site = doc.get("site", {})
    if not isinstance(site, dict) or set(site) - {"timezone"}:
        raise InputError(f"settings file {str(file)!r}: [site] takes one key, timezone.")
    if "timezone" in site:
        check_timezone(site["timezone"], f"settings file {str(file)!r}: [site] timezone")
    return SettingsFile(file, doc)


def check_timezone(name: Any, where: str) -> str:
    """``name`` when it is a known IANA zone; otherwise ``InputError`` naming ``where``."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"{where}: the time zone {name!r} is unknown; use an IANA name such as"
            " 'Europe/Paris' or 'UTC'."
        ) from None
    return str(name)


def alerts_settings(file: SettingsFile, fallback: str | os.PathLike[str] | None = None) -> Any:
    """The ``[alerts]`` section of the file, else the alerts file ``fallback`` (or
    ``$THERMOWATCH_ALERTS_CONFIG``), else the defaults (phase 1: stored, nothing sent)."""
    from thermowatch.alerts.config import load_config, parse_config

    if file.has("alerts"):
        return parse_config(file.doc)
    return load_config(fallback)


def monitor_settings(file: SettingsFile, database_url: str | None = None) -> Any:
    """The monitor's configuration (``[monitor]`` and ``[[transformers]]``); the store URL is
    ``database_url``, else ``$THERMOWATCH_DATABASE_URL`` (read later), else ``[store] url``,
    else ``[monitor] database_url``."""
    import dataclasses

    from thermowatch.ingest.config import parse_config

    if not file.has("transformers"):
        where = f"settings file {str(file.path)!r}" if file.path else "no settings file given"
        raise InputError(f"{where}: list the transformers to watch in [[transformers]] tables.")
    cfg = parse_config(file.doc, file.base_dir)
    url = database_url or (None if os.environ.get("THERMOWATCH_DATABASE_URL") else file.store_url)
    return dataclasses.replace(cfg, database_url=url or cfg.database_url)
