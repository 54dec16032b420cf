"""Service settings: defaults < ``[service]`` table of a TOML file < ``THERMOWATCH_*`` env vars.

Outside development (``THERMOWATCH_ENV=development``) the service refuses to start with the
default JWT secret: a forgeable token would be an admin credential for anyone.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from thermowatch.errors import InputError

DEFAULT_JWT_SECRET = "change-me-development-only"
ENV_PREFIX = "THERMOWATCH_"


@dataclass(frozen=True)
class Settings:
    """Everything the service reads at start-up.

    Attributes
    ----------
    env : ``"production"`` (default) or ``"development"`` (allows the default secret).
    database_url : SQLAlchemy URL of the store (``None``: ``$THERMOWATCH_DATABASE_URL`` or SQLite).
    model_dir : a model artifact to serve for ``default_transformer`` instead of the registry.
    default_transformer : transformer answered by ``POST /predict``.
    jwt_secret : HS256 secret; ``jwt_public_key`` (PEM) switches to RS256.
    jwt_issuer : the ``iss`` every token must carry.
    rate_limit_per_s, rate_burst : token bucket per credential [requests/s], [requests].
    allow_cidrs : client networks allowed (empty: all).
    max_body_bytes : largest JSON body [bytes]; ``max_upload_bytes`` for batch uploads.
    reload_interval_s : how often the model registry / artifact is polled [s].
    audit_flush_s, audit_batch : audit queue flush period [s] and size [rows].
    key_cache_s : how long a verified API key is trusted before the store is asked again [s]
        (so a revocation takes effect within this delay).
    max_future_skew_s : a pushed reading further ahead of the clock is refused (422) [s].
    alerts_config : the ``[alerts]`` TOML (``None``: ``$THERMOWATCH_ALERTS_CONFIG``, else
        phase 1 defaults: alerts stored, nothing sent).
    """

    env: str = "production"
    database_url: str | None = None
    model_dir: str | None = None
    default_transformer: str = "TR-01"
    jwt_secret: str = DEFAULT_JWT_SECRET
    jwt_public_key: str | None = None
    jwt_algorithm: str = "HS256"
    jwt_issuer: str = "thermowatch"
    rate_limit_per_s: float = 1000.0
    rate_burst: float = 2000.0
    allow_cidrs: tuple[str, ...] = ()
    max_body_bytes: int = 64 * 1024
    max_upload_bytes: int = 200 * 1024 * 1024
    reload_interval_s: float = 5.0
    audit_flush_s: float = 1.0
    audit_batch: int = 250
    key_cache_s: float = 5.0
    history_check_s: float = 2.0
    max_future_skew_s: float = 300.0
    alerts_config: str | None = None
    networks: tuple[Any, ...] = field(default=(), repr=False)

    @property
    def development(self) -> bool:
        return self.env == "development"

    def checked(self) -> Settings:
        """Validate and return a copy with parsed networks; raises InputError."""
        if self.env not in ("development", "production", "test"):
            raise InputError(
                f"THERMOWATCH_ENV must be development or production, got {self.env!r}."
            )
        if self.jwt_algorithm not in ("HS256", "RS256"):
            raise InputError(f"jwt_algorithm must be HS256 or RS256, got {self.jwt_algorithm!r}.")
        if self.jwt_algorithm == "HS256" and not self.development:
            if self.jwt_secret == DEFAULT_JWT_SECRET:
                raise InputError(
                    "THERMOWATCH_JWT_SECRET is the default secret: set your own "
                    "(or THERMOWATCH_ENV=development on a laptop)."
                )
            if len(self.jwt_secret) < 32:
                raise InputError("THERMOWATCH_JWT_SECRET must be at least 32 characters long.")
        if self.jwt_algorithm == "RS256" and not self.jwt_public_key:
            raise InputError("jwt_algorithm RS256 needs THERMOWATCH_JWT_PUBLIC_KEY (PEM).")
        try:
            networks = tuple(ipaddress.ip_network(c, strict=False) for c in self.allow_cidrs)
        except ValueError as exc:
            raise InputError(f"allow_cidrs: {exc}.") from None
        if self.rate_limit_per_s <= 0 or self.rate_burst < 1:
            raise InputError("rate_limit_per_s must be > 0 and rate_burst ≥ 1.")
        return replace(self, networks=networks)


def _coerce(name: str, raw: Any, default: Any) -> Any:
    if isinstance(default, tuple):
        if isinstance(raw, str):
            return tuple(p.strip() for p in raw.split(",") if p.strip())
        return tuple(raw)
    if isinstance(default, bool):
        return str(raw).lower() in ("1", "true", "yes")
    if isinstance(default, int) and not isinstance(default, bool):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return None if raw in (None, "") else str(raw)


def load_settings(
    toml_path: str | Path | None = None, environ: dict[str, str] | None = None, **overrides: Any
) -> Settings:
    """Settings from defaults, the ``[service]`` table of ``toml_path``, env vars, then overrides.

    Raises
    ------
    InputError
        On an unknown key, a value of the wrong type, or a default secret outside development.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    names = {f.name: f for f in fields(Settings) if f.name != "networks"}
    path = toml_path or env.get(ENV_PREFIX + "CONFIG")
    if path:
        try:
            doc = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"configuration {path}: {exc}") from None
        for key, value in doc.get("service", {}).items():
            if key not in names:
                raise InputError(f"configuration {path}: unknown [service] key {key!r}.")
            values[key] = value
    for key in names:
        if ENV_PREFIX + key.upper() in env:
            values[key] = env[ENV_PREFIX + key.upper()]
    values.update({k: v for k, v in overrides.items() if v is not None})
    defaults = Settings()
    typed = {}
    for key, raw in values.items():
        try:
            typed[key] = _coerce(key, raw, getattr(defaults, key))
        except (TypeError, ValueError):
            raise InputError(f"setting {key}: {raw!r} is not a valid value.") from None
    return replace(defaults, **typed).checked()
