"""A laptop works out of the box: a random JWT secret made on first start, kept private.

Production sets ``THERMOWATCH_JWT_SECRET`` (or ``jwt_secret`` in the ``[service]`` table, or an
RS256 public key); then nothing here happens and the settings still refuse a default or short
secret. Without any of them, ``thermowatch serve`` used to stop with "the default secret", even
for someone who only uses API keys.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from thermowatch.settings import Environment

SECRET_FILE = "jwt_secret"
SECRET_ENV = "THERMOWATCH_JWT_SECRET"


def _configured(config: Path | None, env: Environment) -> bool:
    """True when the environment or the settings file already chooses the JWT key."""
    from thermowatch.errors import InputError
    from thermowatch.settings import read_settings

    if env.jwt_secret or env.jwt_public_key:
        return True
    try:
        service = read_settings(config).section("service")
    except InputError:
        return False  # the settings loader reports the broken file in one sentence
    return bool(service.get("jwt_secret") or service.get("jwt_public_key"))


def laptop_secret_file(create: bool = True) -> Path:
    """``<data dir>/jwt_secret``: 256 random bits, readable by the owner only (0600)."""
    from thermowatch.paths import data_home

    path = data_home() / SECRET_FILE
    if create and not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path


def ensure_jwt_secret(config: Path | None, env: Environment) -> Path | None:
    """Put the laptop secret in the environment when neither ``env`` (the environment the
    command read at its start) nor the settings file ``config`` chooses a key; returns its file.

    The environment carries it to every uvicorn worker. A file others can read is refused
    (rewrite it with ``chmod 600``): a readable secret is a forgeable admin token.
    """
    if _configured(config, env):
        return None
    path = laptop_secret_file()
    if path.stat().st_mode & 0o077:
        from thermowatch.errors import InputError

        raise InputError(f"{path} is readable by other users: run `chmod 600 {path}`.")
    from thermowatch.settings import hand_to_workers

    hand_to_workers({SECRET_ENV: path.read_text(encoding="utf-8").strip()})
    return path


def prepare_store(url: str | None) -> str | None:
    """A SQLite store without thermowatch tables (the laptop default on first start) gets them;
    returns a line to print when it did. Anything else is left as it is (production stores
    are migrated by ``thermowatch db upgrade``), and costs no Alembic import at start-up."""
    from sqlalchemy import inspect

    from thermowatch.store.engine import make_engine

    engine = make_engine(url)
    try:
        if engine.dialect.name != "sqlite" or inspect(engine).has_table("alembic_version"):
            return None
        from thermowatch.store.migrate import upgrade

        upgrade(engine)
        return f"store: created {engine.url.render_as_string(hide_password=True)}"
    finally:
        engine.dispose()
