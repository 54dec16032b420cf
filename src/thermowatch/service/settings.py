"""Service settings: defaults < ``[store]`` and ``[service]`` of the settings file
(:mod:`thermowatch.settings`) < ``THERMOWATCH_*`` env vars.

Outside development (``THERMOWATCH_ENV=development``) the service refuses to start with the
default JWT secret: a forgeable token would be an admin credential for anyone.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from thermowatch.errors import InputError

DEFAULT_JWT_SECRET = "change-me-development-only"


@dataclass(frozen=True)
class Settings:
    """Everything the service reads at start-up.

    Attributes
    ----------
    env : ``"production"`` (default) or ``"development"`` (allows the default secret).
    database_url : SQLAlchemy URL of the store (``None``: ``$THERMOWATCH_DATABASE_URL`` or SQLite).
    model_dir : a model artifact to serve for ``default_transformer`` (``TR-01`` when unset)
        instead of the registry.
    default_transformer : transformer answered by ``POST /predict`` (``None``: the only served
        one, as the original single-model service did; with several, the request names none
        and gets a 404 that lists them).
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
    alerts_config : an alerts TOML file, read when the settings file has no ``[alerts]``
        section (``None``: phase 1 defaults: alerts stored, nothing sent).
    alerts : the resolved alerts settings (:func:`thermowatch.alerts.config.alerts_settings`
        of the settings file and ``alerts_config``), set by :func:`load_settings`; ``None`` on
        a ``Settings`` built by hand, which then reads ``alerts_config`` alone.
    forwarded_allow_ips : proxy addresses whose ``X-Forwarded-For`` / ``-Proto`` are believed
        (empty: none, the TCP peer is the client; ``*`` trusts everyone — never on a network).
    anonymous_rate_per_s, anonymous_burst : token bucket per client address for requests that
        fail authentication [requests/s], [requests]; beyond it they answer 429 unchecked.
    audit_spool_dir : directory where audit rows wait, as JSON lines, while the database refuses
        them and at shutdown when it is down (default ``audit-spool`` in the data directory,
        :func:`thermowatch.paths.data_home`); each database has its own sub-directory in it.
    audit_window_s : refused requests (401/403/413/429/5xx) are audited as one row per client
        address and window, with their count [s].
    retry_after_s : the ``Retry-After`` of a 503 answered while the database fails [s].
    model_key, model_key_file : HMAC-SHA256 key (or a file holding it, kept outside the model
        directory) that a ``model_dir`` artifact must be signed with (``SIGNATURE``).
    model_sha256 : digest of the ``model_dir`` artifact's ``SHA256SUMS`` to accept when no key
        is set (``thermowatch serve --model`` pins the one it verified at start).
    redis_url : ``redis://host:port/db`` shared by every API node: the rate and sign-in limits
        then hold for all nodes together (``None``: per node, as with one node).
    rate_dir : directory where the workers of one node share their token buckets (a file each
        maps; ``thermowatch serve --workers N`` and gunicorn set it); ``None``: per process.
    dashboard_session_hours : how long a dashboard sign-in lasts [h].
    metrics_dir : prometheus-client's multiprocess directory, from ``PROMETHEUS_MULTIPROC_DIR``
        (the library reads that variable itself, so it is not a ``[service]`` key):
        ``/metrics`` then sums every worker's samples; ``None``: this process's own.
    """

    env: str = "production"
    database_url: str | None = None
    model_dir: str | None = None
    default_transformer: str | None = None
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
    forwarded_allow_ips: tuple[str, ...] = ()
    anonymous_rate_per_s: float = 5.0
    anonymous_burst: float = 50.0
    audit_spool_dir: str | None = None
    retry_after_s: int = 5
    audit_window_s: int = 60
    model_key: str | None = field(default=None, repr=False)
    model_key_file: str | None = None
    model_sha256: str | None = None
    redis_url: str | None = field(default=None, repr=False)
    rate_dir: str | None = None
    dashboard_session_hours: float = 12.0
    metrics_dir: str | None = None
    networks: tuple[Any, ...] = field(default=(), repr=False)
    alerts: Any = field(default=None, repr=False)

    @property
    def development(self) -> bool:
        return self.env == "development"

    @property
    def spool_dir(self) -> Path:
        """Where audit rows wait while the database refuses them (see ``audit_spool_dir``)."""
        from thermowatch.paths import data_home

        return Path(self.audit_spool_dir) if self.audit_spool_dir else data_home() / "audit-spool"

    def signing_key(self) -> bytes | None:
        """The model-signing key (``model_key``, else the contents of ``model_key_file``)."""
        if self.model_key:
            return self.model_key.encode()
        if self.model_key_file:
            return Path(self.model_key_file).read_bytes().strip()
        return None

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
        if self.dashboard_session_hours <= 0:
            raise InputError("dashboard_session_hours must be > 0.")
        if self.rate_limit_per_s <= 0 or self.rate_burst < 1:
            raise InputError("rate_limit_per_s must be > 0 and rate_burst ≥ 1.")
        if self.anonymous_rate_per_s <= 0 or self.anonymous_burst < 1:
            raise InputError("anonymous_rate_per_s must be > 0 and anonymous_burst ≥ 1.")
        for proxy in self.forwarded_allow_ips:
            if proxy != "*":
                try:
                    ipaddress.ip_network(proxy, strict=False)
                except ValueError as exc:
                    raise InputError(f"forwarded_allow_ips: {exc}.") from None
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise InputError(
                f"redis_url must start with redis://, rediss:// or unix://, got {self.redis_url!r}."
            )
        if self.model_key_file and not Path(self.model_key_file).is_file():
            raise InputError(f"model_key_file {self.model_key_file!r} does not exist.")
        if self.rate_dir and not Path(self.rate_dir).is_dir():
            # Said at start, not as a 500 at the first request that spends a token.
            raise InputError(f"rate_dir {self.rate_dir!r} is not a directory: create it first.")
        return replace(self, networks=networks)


#: Fields that are not ``[service]`` keys: derived (``networks``, ``alerts``: the file's own
#: section) or set by the process (``metrics_dir``: ``PROMETHEUS_MULTIPROC_DIR``).
_NOT_KEYS = ("networks", "metrics_dir", "alerts")


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

    The service's one resolution: :func:`thermowatch.app.create_app` calls it once (or is given
    its result) and passes the values down; no module of the service reads the environment.

    Raises
    ------
    InputError
        On an unknown key, a value of the wrong type, or a default secret outside development.
    """
    from thermowatch.alerts.config import alerts_settings
    from thermowatch.settings import environment, prefixed, read_settings

    values: dict[str, Any] = {"metrics_dir": environment(environ).prometheus_multiproc_dir}
    names = {f.name: f for f in fields(Settings) if f.name not in _NOT_KEYS}
    file = read_settings(toml_path, environ)  # the one settings file, if there is one
    if file.store_url:
        values["database_url"] = file.store_url
    for key, value in file.section("service").items():
        if key not in names:
            raise InputError(f"settings file {file.path}: unknown [service] key {key!r}.")
        values[key] = value
    values.update(prefixed(names, environ))
    values.update({k: v for k, v in overrides.items() if v is not None})
    defaults = Settings()
    typed = {}
    for key, raw in values.items():
        try:
            typed[key] = _coerce(key, raw, getattr(defaults, key))
        except (TypeError, ValueError):
            raise InputError(f"setting {key}: {raw!r} is not a valid value.") from None
    settings = replace(defaults, **typed)
    alerts = alerts_settings(file, settings.alerts_config)  # the file is read once, here
    return replace(settings, alerts=alerts).checked()
