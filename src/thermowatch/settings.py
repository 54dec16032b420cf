"""One settings tree: ``thermowatch.toml``, read once, each section handed to its owner.

::

    [store]            url = "postgresql+psycopg://thermowatch@db/thermowatch"
    [service]          the prediction service (:class:`thermowatch.service.settings.Settings`)
    [monitor]          the monitoring daemon (:func:`thermowatch.ingest.config.monitor_settings`)
    [[transformers]]   what the monitor watches, and where it reads it
    [alerts]           phases, levels, channels (:func:`thermowatch.alerts.config.alerts_settings`)
    [site]             timezone = "Europe/Paris"  (IANA zone: the report's local times)

The file is ``--config``, else ``$THERMOWATCH_CONFIG``, else ``./thermowatch.toml`` when it
exists; every section is optional. The environment is read here and nowhere else:
:class:`Environment` declares, typed, every variable thermowatch reads (:func:`environment`),
:func:`prefixed` reads a section's ``THERMOWATCH_<KEY>`` overrides, :func:`secret` a variable
the file names (a channel's ``password_env``), and :func:`database_url` decides the store
(command line > ``THERMOWATCH_DATABASE_URL`` > ``[store] url`` > the data directory's SQLite).
Secrets are never in the file: environment variables
(``THERMOWATCH_JWT_SECRET``, ``THERMOWATCH_DATABASE_URL``, a channel's ``password_env``) win
over it. A section this page does not list is refused (one sentence naming it), so a typo is
not silently ignored. Each area validates its own section (it owns the function that turns
:meth:`SettingsFile.section` into its typed config); this module imports no package of ours
but the leaves, and reads the file (:func:`thermowatch.config.read_toml`, the one reader).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from thermowatch.config import read_toml
from thermowatch.errors import InputError

SECTIONS = ("store", "service", "monitor", "transformers", "alerts", "site")
#: The site's time zone when ``[site] timezone`` names none (the first users are in France).
DEFAULT_SITE_TIMEZONE = "Europe/Paris"
ENV_PREFIX = "THERMOWATCH_"
ENV_FILE = "THERMOWATCH_CONFIG"
DEFAULT_FILE = "thermowatch.toml"
#: Variables of the process (not ours) that :class:`Environment` reads too, without the prefix.
PROCESS_VARIABLES = ("XDG_DATA_HOME", "PROMETHEUS_MULTIPROC_DIR")


class Environment(BaseModel):
    """Every environment variable thermowatch reads, typed: ``THERMOWATCH_<FIELD>`` (upper
    case), and the process variables of :data:`PROCESS_VARIABLES` under their own names.

    The ``[service]`` keys (:class:`thermowatch.service.settings.Settings`) are read as that
    section's overrides by :func:`prefixed`; secrets named by the file by :func:`secret`.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    home: str | None = None  # the data directory (thermowatch.paths)
    config: str | None = None  # the settings file
    database_url: str | None = None  # wins over [store] url
    alerts_config: str | None = None  # an alerts file when the settings have no [alerts]
    models_dir: str | None = None  # where retrained artifacts go
    broker_url: str | None = None  # Celery's broker (Redis)
    job_lease_s: float | None = None  # how long a worker holds a job run [s]
    scheduler_args: str = ""  # the arguments `thermowatch scheduler` runs with (doctor)
    model_key: str | None = None  # the key that signs model artifacts
    backup_key: str | None = None  # the key of backup sets
    jwt_secret: str | None = None  # the service's HS256 key (also a [service] key)
    jwt_public_key: str | None = None  # the service's RS256 public key (also [service])
    debug: bool = False  # tracebacks on the command line
    xdg_data_home: str | None = None
    prometheus_multiproc_dir: str | None = None


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def environment(environ: Mapping[str, str] | None = None) -> Environment:
    """The environment, typed (``environ``: a mapping instead of the process's); an
    ``InputError`` naming the variable when a value has the wrong type."""
    env = _env(environ)
    raw: dict[str, str] = {}
    for name in Environment.model_fields:
        key = name.upper() if name.upper() in PROCESS_VARIABLES else ENV_PREFIX + name.upper()
        if env.get(key):
            raw[name] = env[key]
    try:
        return Environment(**raw)
    except ValidationError as exc:
        name = str(exc.errors()[0]["loc"][0])
        key = name.upper() if name.upper() in PROCESS_VARIABLES else ENV_PREFIX + name.upper()
        raise InputError(f"environment variable {key}={raw[name]!r} is not valid.") from None


def prefixed(keys: Iterable[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A section's overrides: ``THERMOWATCH_<KEY>`` of each of its ``keys`` that is set."""
    env = _env(environ)
    return {key: env[ENV_PREFIX + key.upper()] for key in keys if ENV_PREFIX + key.upper() in env}


def secret(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of the environment variable ``name`` that the settings file names for a
    secret (``password_env``, ``token_env``): secrets never live in the file."""
    return _env(environ).get(name)


def hand_to_workers(values: Mapping[str, str | None]) -> None:
    """Put resolved settings in this process's environment: the one channel to the worker
    processes uvicorn (or gunicorn) starts, and the only writer of it.

    A worker re-imports ``thermowatch.app:create_app`` and calls it without arguments, so the
    process environment is the only hand-over both servers offer. The path is: ``serve``
    resolves the settings, writes what its command line and the laptop added here
    (``THERMOWATCH_JWT_SECRET``, ``THERMOWATCH_CONFIG``, ``PROMETHEUS_MULTIPROC_DIR``,
    ``THERMOWATCH_RATE_DIR``, ...); each worker's ``create_app()`` reads them back once through
    :func:`thermowatch.service.settings.load_settings` (this module's :func:`environment` and
    :func:`prefixed`) and passes the resolved object down. ``None``: left out."""
    for key, value in values.items():
        if value is not None:
            os.environ[key] = value


def child_environment() -> dict[str, str]:
    """A copy of this process's environment, for a tool it runs (``pg_dump``)."""
    return dict(os.environ)


def database_url(
    explicit: str | None = None,
    file: SettingsFile | None = None,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """The store: ``explicit`` (the command line), else ``THERMOWATCH_DATABASE_URL``, else the
    file's ``[store] url``; ``None`` leaves the caller's default (the data directory's SQLite
    file, :func:`thermowatch.paths.default_database_url`). The one place that decides it."""
    return explicit or environment(environ).database_url or (file.store_url if file else None)


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
    env = _env(environ)
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
