"""Where thermowatch keeps its runtime files on this machine: never inside a repository.

The data directory is ``$THERMOWATCH_HOME``, else ``$XDG_DATA_HOME/thermowatch``, else
``~/.local/share/thermowatch`` (the XDG base directory default). It holds the default SQLite
store, the monitor's spool and the laptop JWT secret; production sets
``THERMOWATCH_DATABASE_URL`` and its own paths instead. Dependency-free leaf: any layer may
import it.
"""

from __future__ import annotations

from pathlib import Path

from thermowatch.settings import environment

HOME_ENV = "THERMOWATCH_HOME"


def data_home(create: bool = True) -> Path:
    """The data directory (created, private to the user, when ``create``)."""
    env = environment()
    if env.home:
        path = Path(env.home).expanduser()
    else:
        xdg = env.xdg_data_home
        base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
        path = base / "thermowatch"
    if create:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def default_database_url() -> str:
    """``sqlite:///<data dir>/thermowatch.db``: the store when no URL is configured."""
    return f"sqlite:///{data_home() / 'thermowatch.db'}"


def default_models_dir() -> Path:
    """Where retrained model artifacts go when ``THERMOWATCH_MODELS_DIR`` names no place."""
    return data_home() / "models"


def default_spool_dir() -> Path:
    """The monitor's spool directory when its configuration names none."""
    return data_home() / "spool"
