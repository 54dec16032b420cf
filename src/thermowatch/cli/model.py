"""``thermowatch model register|verify``: a trained artifact becomes what serve and monitor use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from thermowatch.cli.db import DatabaseUrl
from thermowatch.errors import InputError, NotFoundError

if TYPE_CHECKING:
    import pandas as pd

    from thermowatch.store.models import ModelVersion

app = typer.Typer(help="Model artifacts: verify them, register them for a transformer.",
                  no_args_is_help=True)  # fmt: skip


def register_artifact(
    directory: Path,
    transformer_id: str,
    database_url: str | None = None,
    champion: bool = True,
    training_frame: pd.DataFrame | None = None,
    spec: dict | None = None,
) -> ModelVersion:
    """Verify an artifact, create the transformer if new, register the model (champion by
    default: ``serve`` and ``monitor`` then use it). Migrates a new store first. ``spec``: the
    nameplate read at training, stored with a transformer that has none yet.

    The registration carries what the lifecycle needs (validation and test errors, the
    training-data window, the input ranges: :func:`~thermowatch.jobs.model_facts.registered_metrics`);
    an artifact without them is refused with one sentence. Input ranges come from the artifact,
    else from ``training_frame`` (``train --transformer``), else from the readings stored for the
    training window."""
    from thermowatch.jobs.model_facts import (
        ranges_from_store,
        registered_metrics,
        training_window,
    )
    from thermowatch.learn.artifact import verify_model
    from thermowatch.service.serving import artifact_digest
    from thermowatch.store import models
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import upgrade
    from thermowatch.store.tables import ModelStatus
    from thermowatch.store.transformers import ensure_transformer

    meta = verify_model(directory)  # refuse a tampered artifact before touching the store
    metrics = registered_metrics(meta, training_frame)  # refuse one the lifecycle cannot check
    engine = make_engine(database_url)
    try:
        upgrade(engine)  # idempotent: creates the tables of a new store
        ensure_transformer(engine, transformer_id, target_variable=meta.get("target"), spec=spec)
        status = ModelStatus.CHAMPION if champion else ModelStatus.CHALLENGER
        try:
            existing = models.get_model(engine, meta["model_id"])
        except NotFoundError:
            existing = None
        if existing is not None:  # registering again promotes, nothing is duplicated
            if existing.transformer_id != transformer_id:
                raise InputError(
                    f"model {meta['model_id']} is already registered for transformer "
                    f"{existing.transformer_id!r}, not {transformer_id!r}."
                )
            if champion:
                models.promote(engine, existing.id)
            return models.get_model(engine, existing.id)
        if "input_ranges" not in metrics:
            metrics["input_ranges"] = ranges_from_store(
                engine, transformer_id, *training_window(metrics), meta.get("target")
            )
            metrics["input_ranges_source"] = "stored readings"
        return models.register_model(
            engine, meta["model_id"], transformer_id, str(directory.resolve()),
            artifact_digest(directory), metrics=metrics, status=status,
        )  # fmt: skip
    finally:
        engine.dispose()


@app.command("register")
def register(
    directory: Annotated[Path, typer.Argument(help="Model artifact directory (model/<id>/).")],
    transformer: Annotated[
        str, typer.Option("--transformer", "-t", help="Transformer id; created if new.")
    ],
    champion: Annotated[
        bool, typer.Option(help="Make it the transformer's champion (what serve/monitor use).")
    ] = True,
    database_url: DatabaseUrl = None,
) -> None:
    """Register a trained model for a transformer, so that serve and monitor use it."""
    from rich.console import Console

    version = register_artifact(directory, transformer, database_url, champion)
    Console(highlight=False, soft_wrap=True).print(
        f"model {version.id} registered for {version.transformer_id} as {version.status}"
    )


@app.command("verify")
def verify(
    directory: Annotated[Path, typer.Argument(help="Model artifact directory.")],
) -> None:
    """Check a model artifact's SHA-256 sums and metadata."""
    from rich.console import Console

    from thermowatch.learn.artifact import load_model

    predictor = load_model(directory)
    th = predictor.thresholds
    Console().print(
        f"OK {predictor.model_id}: target {predictor.metadata['target']!r}, "
        f"{len(predictor.variables)} variables, thresholds alerte {th.alerte_c:g} °C / "
        f"critique {th.critique_c:g} °C"
    )
