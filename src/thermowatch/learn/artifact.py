"""Model artifacts: a directory with ``model.json`` (numbers only, never pickle), ``metadata.json``
and ``SHA256SUMS``, verified on every load. The one place that saves and loads a model."""

from __future__ import annotations

import hashlib
import json
import math
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.errors import InputError
from thermowatch.learn.features import FeatureSpec, build_features
from thermowatch.learn.linear import LinearModel
from thermowatch.learn.result import Thresholds, TrainingResult
from thermowatch.learn.train import FittedModel

FORMAT_VERSION = 1
FILES = ("model.json", "metadata.json")
SUMS = "SHA256SUMS"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def data_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of the cleaned training data (index and values), to trace a model to its data."""
    digest = hashlib.sha256()
    digest.update(frame.index.to_numpy(dtype="datetime64[ns]").view(np.int64).tobytes())
    digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(np.ascontiguousarray(frame.to_numpy(dtype=np.float64)).tobytes())
    return digest.hexdigest()


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def save_model(result: TrainingResult, fitted: FittedModel, out_dir: str | Path) -> Path:
    """Write the artifact under ``out_dir/<model_id>/`` and return that directory."""
    created = datetime.now(UTC)
    frame = result.measurements.frame
    digest = data_hash(frame)
    model_id = f"{created:%Y%m%dT%H%M%SZ}-{digest[:8]}"
    directory = Path(out_dir) / model_id
    directory.mkdir(parents=True, exist_ok=True)
    model_doc = {
        "format_version": FORMAT_VERSION,
        "feature_spec": fitted.feature_spec.to_dict(),
        "model": fitted.model.to_dict(),
        "interval": {"level": fitted.interval_level, "half_width_k": fitted.interval_half_width_k},
    }
    versions: dict[str, str | None] = {}
    for package in ("thermowatch", "numpy", "pandas", "scikit-learn", "scipy"):
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            versions[package] = None
    meta = {
        "model_id": model_id,
        "model_name": result.chosen_model,
        "created_at": created.isoformat(),
        "target": result.measurements.target,
        "target_kind": result.target_kind,
        "variables": list(fitted.feature_spec.inputs),
        "units": {c.name: c.unit for c in result.measurements.columns.values()},
        "quantities": {c.name: c.quantity for c in result.measurements.columns.values()},
        "thresholds": {
            "normal_below_c": result.thresholds.alerte_c,
            "alerte_c": result.thresholds.alerte_c,
            "critique_c": result.thresholds.critique_c,
            "rule": result.thresholds.rule,
            "explanation": result.thresholds.explanation,
        },
        "metrics": result.models,
        "split": result.split,
        "history_minutes": fitted.feature_spec.warmup_minutes,
        "sampling_step_minutes": result.measurements.step / pd.Timedelta("1min"),
        "training_data": {
            "source": result.measurements.source,
            "rows": len(frame),
            "sha256": digest,
        },
        "library_versions": versions,
        "python": platform.python_version(),
    }
    (directory / "model.json").write_text(json.dumps(_json_safe(model_doc), indent=1))
    (directory / "metadata.json").write_text(
        json.dumps(_json_safe(meta), indent=2, ensure_ascii=False)
    )
    sums = "".join(f"{_sha256(directory / name)}  {name}\n" for name in FILES)
    (directory / SUMS).write_text(sums)
    return directory


def verify_model(directory: str | Path) -> dict[str, Any]:
    """Check every file against ``SHA256SUMS``; return the metadata. Raises InputError if not."""
    directory = Path(directory)
    sums_path = directory / SUMS
    if not directory.is_dir():
        raise InputError(f"model directory {str(directory)!r} does not exist.")
    if not sums_path.exists():
        raise InputError(f"{directory}: no {SUMS} file, the artifact cannot be verified.")
    expected = {}
    for line in sums_path.read_text().splitlines():
        digest, _, name = line.partition("  ")
        expected[name.strip()] = digest.strip()
    for name in FILES:
        path = directory / name
        if not path.exists():
            raise InputError(f"{directory}: {name} is missing.")
        if expected.get(name) != _sha256(path):
            raise InputError(
                f"{directory}: {name} does not match its SHA-256 sum: the file was changed or corrupted."
            )
    try:
        return json.loads((directory / "metadata.json").read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{directory}: metadata.json is not valid JSON ({exc.msg}).") from None


@dataclass(frozen=True)
class Predictor:
    """A loaded, verified model: readings in, temperature and level out."""

    model_id: str
    metadata: dict[str, Any]
    feature_spec: FeatureSpec
    model: LinearModel
    half_width_k: float
    thresholds: Thresholds

    @property
    def variables(self) -> tuple[str, ...]:
        return self.feature_spec.inputs

    def predict_frame(self, readings: pd.DataFrame) -> pd.DataFrame:
        """Predictions [°C] for every row of a history of readings (UTC index, increasing).

        The history gives the filters their thermal inertia: pass at least
        ``metadata["history_minutes"]`` of readings before the rows that matter.
        """
        features = build_features(readings, self.feature_spec)
        x = features[list(self.model.features)].to_numpy(dtype=np.float64)
        predicted = self.model.predict(x)
        levels = self.thresholds.levels(predicted)
        return pd.DataFrame(
            {
                "predicted": predicted,
                "lower": predicted - self.half_width_k,
                "upper": predicted + self.half_width_k,
                "level": levels,
            },
            index=readings.index,
        )


def load_model(directory: str | Path) -> Predictor:
    """Verify then load an artifact written by :func:`save_model`."""
    meta = verify_model(directory)
    doc = json.loads((Path(directory) / "model.json").read_text())
    if doc.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"{directory}: model format {doc.get('format_version')!r} is not supported."
        )
    th = meta["thresholds"]
    return Predictor(
        model_id=meta["model_id"],
        metadata=meta,
        feature_spec=FeatureSpec.from_dict(doc["feature_spec"]),
        model=LinearModel.from_dict(doc["model"]),
        half_width_k=float(doc["interval"]["half_width_k"]),
        thresholds=Thresholds(
            th["alerte_c"], th["critique_c"], th["rule"], th.get("explanation", "")
        ),
    )
