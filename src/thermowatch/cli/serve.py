"""``thermowatch serve``: the prediction service under uvicorn."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from thermowatch.settings import ENV_FILE, ENV_PREFIX, environment, hand_to_workers


def _check_database(url: str | None, development: bool) -> None:
    """Outside development the database must exist and be migrated to this version's head.

    One clear line (exit 2) instead of a worker traceback, and no empty SQLite file left
    behind: SQLite creates a missing file on connect, so its path is checked first.
    """
    from sqlalchemy.engine import make_url

    from thermowatch.errors import InputError
    from thermowatch.store.engine import make_engine, resolve_url
    from thermowatch.store.migrate import current_revision, head_revision

    if development:
        return  # the service migrates a development database itself
    resolved = resolve_url(url)
    parsed = make_url(resolved)
    database = parsed.database or ""
    on_disk = parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if on_disk and not Path(database).is_file():
        raise InputError(
            f"the database {database} does not exist; create it with "
            "`thermowatch db upgrade` (or set THERMOWATCH_ENV=development on a laptop)."
        )
    engine = make_engine(resolved)
    try:
        current, head = current_revision(engine), head_revision()
    finally:
        engine.dispose()
    if current != head:
        state = "not migrated" if current is None else f"at revision {current}, not {head}"
        raise InputError(
            f"the database is {state}; run `thermowatch db upgrade` first "
            "(or set THERMOWATCH_ENV=development on a laptop)."
        )


def _metrics_directory(workers: int, given: str | None) -> Path | None:
    """With several workers, /metrics must sum them all: prometheus-client multiprocess mode,
    in a fresh directory (stale samples of a previous run would be summed in); none when the
    settings already name one (``given``: ``PROMETHEUS_MULTIPROC_DIR``)."""
    if workers < 2 or given:
        return None
    directory = Path(tempfile.gettempdir()) / f"thermowatch-metrics-{os.getpid()}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    # The rate limits too hold across the workers: buckets in a file they all map.
    from thermowatch.service.ratelimit import RATE_DIR_ENV

    hand_to_workers({"PROMETHEUS_MULTIPROC_DIR": str(directory), RATE_DIR_ENV: str(directory)})
    return directory


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    model: Annotated[
        Path | None,
        typer.Option(
            help="Model artifact to serve for the default transformer (default: the registry's champions)."
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="THERMOWATCH_DATABASE_URL",
            show_default=False,
            help="SQLAlchemy URL of the store.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="The settings file: [service], [store], [alerts] (default: $THERMOWATCH_CONFIG, "
            "else ./thermowatch.toml)."
        ),
    ] = None,
    ssl_certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve /predict, the fleet and batch endpoints, /health, /ready and /metrics."""
    import uvicorn

    from thermowatch.errors import InputError
    from thermowatch.service.server import PROTOCOL as HTTP_PROTOCOL
    from thermowatch.service.settings import load_settings

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise InputError("give both --ssl-certfile and --ssl-keyfile, or neither.")
    from thermowatch.cli.laptop import ensure_jwt_secret

    secret_file = ensure_jwt_secret(config, environment())  # a laptop works out of the box
    if secret_file is not None:
        print(f"JWT secret: {secret_file} (made on first start, 0600; production sets "
              "THERMOWATCH_JWT_SECRET)", flush=True)  # fmt: skip
    # Settings are checked here (one clear line on a bad secret), then handed to the workers
    # through the environment, which every uvicorn worker process reads.
    overrides = {"model_dir": str(model.resolve()) if model else None, "database_url": database_url}
    settings = load_settings(config, **overrides)
    if model is not None:
        from thermowatch.learn.artifact import verify_model
        from thermowatch.learn.signing import verify_signature
        from thermowatch.live.champion import artifact_digest

        verify_model(model)  # refuse a tampered artifact before binding the port
        signing_key = settings.signing_key()
        if signing_key is not None:
            verify_signature(model, signing_key)
        elif not settings.model_sha256:
            # No key: the workers serve exactly this artifact (a later edit is refused).
            overrides["model_sha256"] = artifact_digest(model)
    if settings.database_url is None and not settings.development:
        # The laptop default (the data directory's SQLite file): created on first start.
        from thermowatch.cli.laptop import prepare_store

        created = prepare_store(None)
        if created:
            print(created, flush=True)
    else:  # a database the operator named must exist and be migrated: one line, no file made
        _check_database(settings.database_url, settings.development)
    metrics_dir = _metrics_directory(workers, settings.metrics_dir)
    hand_to_workers(
        {ENV_FILE: str(config.resolve()) if config is not None else None}
        | {ENV_PREFIX + key.upper(): value for key, value in overrides.items()}
    )
    try:
        uvicorn.run(
            "thermowatch.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
            ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
            log_level=log_level,
            # X-Forwarded-For is believed only from the configured proxies (default: nobody), or any
            # local process could claim an allowed address.
            proxy_headers=bool(settings.forwarded_allow_ips),
            forwarded_allow_ips=list(settings.forwarded_allow_ips) or None,
            access_log=False,  # the audit log and /metrics record requests; access lines cost ~10 %
            http=HTTP_PROTOCOL,  # httptools, one write per response (service.server)
            loop="uvloop",
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
