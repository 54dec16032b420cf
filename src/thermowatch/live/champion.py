"""The one way to find and load a transformer's champion model, with its integrity checks.

Used by the service (:mod:`thermowatch.service.serving`) and the monitor alike. A registered
model is loaded only when the SHA-256 of its ``SHA256SUMS`` file equals the registry's
``sha256`` (so rewriting the sums next to an edited file is caught), then every file is checked
against ``SHA256SUMS`` by :func:`thermowatch.learn.artifact.load_model`.

Until the learning core's Model protocol lands, :func:`nowcaster` is the single adapter the
live pipeline calls to turn a loaded champion into something that predicts a snapshot.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from thermowatch.errors import InputError
from thermowatch.learn.artifact import SUMS, Predictor, load_model


def artifact_digest(directory: str | Path) -> str:
    """SHA-256 of an artifact's ``SHA256SUMS`` file: the value to register as ``sha256``."""
    return hashlib.sha256((Path(directory) / SUMS).read_bytes()).hexdigest()


def load_verified(directory: str | Path, expected_sha256: str | None) -> Predictor:
    """Load an artifact, first checking its digest against the registry's when one is given.

    Raises
    ------
    InputError
        The artifact was changed (digest or file sums), or cannot be read.
    """
    if expected_sha256 is not None and artifact_digest(directory) != expected_sha256:
        raise InputError(
            f"{directory}: SHA256SUMS does not match the expected sha256 (the registry's, or the "
            "artifact the service started with): the artifact was changed; sign it "
            "(thermowatch model sign) to serve a new version."
        )
    return load_model(directory)


def load_champion(engine: Any, transformer_id: str) -> Predictor | None:
    """The transformer's champion from the registry, verified; ``None`` when it has none."""
    from thermowatch.store.models import champion

    model = champion(engine, transformer_id)
    if model is None:
        return None
    return load_verified(model.artifact_path, model.sha256)


def nowcaster(predictor: Predictor, history: Any = None) -> Any:
    """The live pipeline's adapter to the champion: a stepping nowcaster with its history."""
    from thermowatch.live.nowcast import ModelEstimator

    return ModelEstimator(predictor, history)


__all__ = ["InputError", "artifact_digest", "load_champion", "load_verified", "nowcaster"]
