"""One settings tree: ``thermowatch.toml``, read once, each section handed to its owner.

::

    [store]            url = "postgresql+psycopg://thermowatch@db/thermowatch"
    [service]          the prediction service (:class:`thermowatch.service.settings.Settings`)
    [monitor]          the monitoring daemon (:func:`thermowatch.ingest.config.monitor_settings`)
    [[transformers]]   what the monitor watches, and where it reads it
    [alerts]           phases, levels, channels (:func:`thermowatch.alerts.config.alerts_settings`)

The file is ``--config``, else ``$THERMOWATCH_CONFIG``, else ``./thermowatch.toml`` when it
exists; every section is optional. Secrets are never in the file: environment variables
(``THERMOWATCH_JWT_SECRET``, ``THERMOWATCH_DATABASE_URL``, a channel's ``password_env``) win
over it. A section this page does not list is refused (one sentence naming it), so a typo is
not silently ignored. Each area validates its own section (it owns the function that turns
:meth:`SettingsFile.section` into its typed config); this module imports no package of ours
but the leaves, and reads the file (:func:`thermowatch.config.read_toml`, the one reader).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thermowatch.config import read_toml
from thermowatch.errors import InputError

SECTIONS = ("store", "service", "monitor", "transformers", "alerts")
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
    return SettingsFile(file, doc)
