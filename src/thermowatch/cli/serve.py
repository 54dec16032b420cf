"""``thermowatch serve``: the prediction service under uvicorn."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer


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
    config: Annotated[Path | None, typer.Option(help="TOML file with a [service] table.")] = None,
    ssl_certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve /predict, the fleet and batch endpoints, /health, /ready and /metrics."""
    import uvicorn

    from thermowatch.errors import InputError
    from thermowatch.service.settings import load_settings

    if model is not None:
        from thermowatch.learn.artifact import verify_model

        verify_model(model)  # refuse a tampered artifact before binding the port
    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise InputError("give both --ssl-certfile and --ssl-keyfile, or neither.")
    from thermowatch.cli.laptop import ensure_jwt_secret

    secret_file = ensure_jwt_secret(config)  # a laptop works out of the box
    if secret_file is not None:
        print(f"JWT secret: {secret_file} (made on first start, 0600; production sets "
              "THERMOWATCH_JWT_SECRET)", flush=True)  # fmt: skip
    # Settings are checked here (one clear line on a bad secret), then handed to the workers
    # through the environment, which every uvicorn worker process reads.
    overrides = {"model_dir": str(model.resolve()) if model else None, "database_url": database_url}
    settings = load_settings(config, **overrides)
    if not settings.development:  # development migrates at start-up by itself
        from thermowatch.cli.laptop import prepare_store

        created = prepare_store(settings.database_url)
        if created:
            print(created, flush=True)
    if config is not None:
        os.environ["THERMOWATCH_CONFIG"] = str(config.resolve())
    for key, value in overrides.items():
        if value is not None:
            os.environ[f"THERMOWATCH_{key.upper()}"] = value
    uvicorn.run(
        "thermowatch.service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        log_level=log_level,
        access_log=False,  # the audit log and /metrics record requests; access lines cost ~10 %
        http="httptools",
        loop="uvloop",
    )
