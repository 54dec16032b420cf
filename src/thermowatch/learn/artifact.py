"""Model artifacts: a directory with ``model.json`` (numbers only, never pickle), ``metadata.json``
and ``SHA256SUMS``, verified on every load. The one place that saves and loads a model."""

from __future__ import annotations

import hashlib
import json
import math
import platform
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.errors import InputError
from thermowatch.learn.features import FeatureSpec, build_features
from thermowatch.learn.forecasting import Forecast, horizon_in_steps, scenario_frame
from thermowatch.learn.intervals import AdaptiveConformal
from thermowatch.learn.linear import LinearModel
from thermowatch.learn.models import model_from_dict
from thermowatch.learn.result import Thresholds, TrainingResult
from thermowatch.learn.signing import check_confined
from thermowatch.learn.train import FittedModel

FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)  # version 1: one linear normal-behaviour model, fixed interval
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


def _new_model_directory(out_dir: Path, created: datetime, digest: str) -> tuple[str, Path]:
    """A model id and its new, empty directory: creation time, data hash and a random part.

    The random part keeps ids unique in the registry (its primary key is global): two
    transformers retrained on identical data in the same second must not share an id, and an
    existing artifact is never overwritten (the directory is created exclusively).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    while True:
        model_id = f"{created:%Y%m%dT%H%M%SZ}-{digest[:8]}-{secrets.token_hex(2)}"
        try:
            (out_dir / model_id).mkdir()
        except FileExistsError:
            continue
        return model_id, out_dir / model_id


def save_model(result: TrainingResult, fitted: FittedModel, out_dir: str | Path) -> Path:
    """Write the artifact under ``out_dir/<model_id>/`` and return that directory."""
    created = datetime.now(UTC)
    frame = result.measurements.frame
    digest = data_hash(frame)
    model_id, directory = _new_model_directory(Path(out_dir), created, digest)
    model_doc = {
        "format_version": FORMAT_VERSION,
        "feature_spec": fitted.feature_spec.to_dict(),
        "model": fitted.model.to_dict(),
        "interval": {"level": fitted.interval_level, "half_width_k": fitted.interval_half_width_k},
        "target": fitted.target,
        "step_minutes": fitted.step_minutes,
        "roles": fitted.roles,
        "nowcast": fitted.nowcast.to_dict() if fitted.nowcast is not None else None,
        "forecast": fitted.forecaster.to_dict() if fitted.forecaster is not None else None,
        "forecast_steps": fitted.forecast_steps,
        "intervals": {role: state.to_dict() for role, state in fitted.intervals.items()},
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
        "roles": result.roles,
        "selection_rule": result.selection_rule,
        "forecast_metrics": {k: v for k, v in result.forecast.items() if k not in ("models",)},
        "split": result.split,
        "history_minutes": fitted.feature_spec.warmup_minutes,
        "forecast_history_minutes": max(
            fitted.feature_spec.warmup_minutes,
            _forecast_lookback(fitted) * fitted.step_minutes,
        ),
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


def _forecast_lookback(fitted: FittedModel) -> int:
    return int(getattr(fitted.forecaster, "lookback", 0) or 0)


def verify_model(directory: str | Path) -> dict[str, Any]:
    """Check every file against ``SHA256SUMS``; return the metadata. Raises InputError if not."""
    directory = Path(directory)
    sums_path = directory / SUMS
    if not directory.is_dir():
        raise InputError(f"model directory {str(directory)!r} does not exist.")
    check_confined(directory, (*FILES, SUMS))  # no symlink to a file elsewhere
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


_NO_STEP = pd.Timedelta(0)


@dataclass(frozen=True)
class Predictor:
    """A loaded, verified model: readings in, temperatures, intervals and levels out.

    The model seam is documented in :mod:`thermowatch.learn.models`.
    """

    model_id: str
    metadata: dict[str, Any]
    feature_spec: FeatureSpec
    model: LinearModel
    half_width_k: float
    thresholds: Thresholds
    target: str = ""
    step: pd.Timedelta = _NO_STEP
    roles: dict[str, str] | None = None
    nowcaster: Any = None
    forecaster: Any = None
    intervals: dict[str, AdaptiveConformal] | None = None
    forecast_steps: tuple[int, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def variables(self) -> tuple[str, ...]:
        return self.feature_spec.inputs

    def _levels(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(self.thresholds.levels(values))  # the one home: learn/levels.py

    def _normal(self, readings: pd.DataFrame, features: pd.DataFrame | None = None) -> np.ndarray:
        if features is None:
            features = build_features(readings, self.feature_spec)
        return self.model.predict(features[list(self.model.features)].to_numpy(dtype=np.float64))

    def _half(self, role: str) -> float:
        state = (self.intervals or {}).get(role)
        if state is not None and state.recent and state.recent[0]:
            return float(state.half_width()[0])
        return self.half_width_k

    def predict_frame(self, readings: pd.DataFrame) -> pd.DataFrame:
        """Normal-behaviour predictions [°C] for every row of a history of readings (UTC index,
        increasing).

        The history gives the filters their thermal inertia: pass at least
        ``metadata["history_minutes"]`` of readings before the rows that matter.
        """
        predicted = self._normal(readings)
        half = self.half_width_k
        return pd.DataFrame(
            {
                "predicted": predicted,
                "lower": predicted - half,
                "upper": predicted + half,
                "level": self._levels(predicted),
            },
            index=readings.index,
        )

    def _require_target(self, history: pd.DataFrame, what: str) -> np.ndarray:
        if not self.target or self.target not in history.columns:
            raise InputError(f"the {what} needs the measured {self.target!r} in the history.")
        return history[self.target].to_numpy(dtype=np.float64)

    def nowcast_frame(self, history: pd.DataFrame) -> pd.DataFrame:
        """Nowcast [°C] of each row from the values measured before it (see the seam)."""
        if self.nowcaster is None:
            raise InputError(f"model {self.model_id} has no nowcast (trained before format 2).")
        y = self._require_target(history, "nowcast")
        normal = self._normal(history)
        predicted = self.nowcaster.predict(y, normal, history.index, self.step)
        half = self._half("nowcast")
        return pd.DataFrame(
            {
                "predicted": predicted,
                "lower": predicted - half,
                "upper": predicted + half,
                "level": self._levels(predicted),
            },
            index=history.index,
        )

    def forecast(
        self,
        history: pd.DataFrame,
        horizon: str | int | None = None,
        load_scenario: pd.DataFrame | None = None,
    ) -> Forecast:
        """Temperatures [°C] after the last row of ``history`` up to ``horizon`` (see the seam).

        ``history``: readings with the target, UTC index increasing, at least
        ``metadata["forecast_history_minutes"]`` (the forecaster's lookback and the filters'
        warm-up); holes are filled from their neighbours.
        """
        if self.forecaster is None:
            raise InputError(f"model {self.model_id} has no forecast (trained before format 2).")
        trained = int(self.forecaster.horizon)
        steps = horizon_in_steps(horizon, self.step, trained)
        if not history.index.is_monotonic_increasing:
            history = history.sort_index()
        y = self._require_target(history, "forecast")
        known = np.isfinite(y)
        if known.sum() < 2:
            raise InputError(f"the forecast needs measured values of {self.target!r}.")
        history = history.iloc[: np.flatnonzero(known)[-1] + 1]
        y = y[: len(history)]
        readings = history[list(self.variables)].ffill().bfill()
        features, normal = self._origin_state(readings)
        origin = np.array([len(history) - 1])
        path = self.forecaster.forecast(y, history.index, self.step, features, normal, origin)[0]
        future = history.index[-1] + self.step * np.arange(1, trained + 1)
        if load_scenario is not None:
            held, planned = scenario_frame(readings, future, list(self.variables), load_scenario)
            base = self._normal(pd.concat([readings, held]))[-trained:]
            moved = self._normal(pd.concat([readings, planned]))[-trained:]
            path = path + (moved - base)
        half = self._forecast_half(trained)
        frame = pd.DataFrame(
            {"predicted": path, "lower": path - half, "upper": path + half}, index=future
        ).iloc[:steps]
        frame.index.name = "timestamp"
        level = (
            self.intervals["forecast"].level
            if self.intervals and "forecast" in self.intervals
            else 0.9
        )
        name = (self.roles or {}).get("forecast", "forecast")
        return Forecast(frame, level, name, history.index[-1])

    def _origin_state(self, readings: pd.DataFrame) -> tuple[pd.DataFrame | None, np.ndarray]:
        """Features and normal-behaviour temperatures for a forecast from the last row.

        Forecasters read them at the origin only, so they are built on the filters' warm-up
        before it (the rows further back are NaN), and not at all for a forecaster that reads
        the past target alone.
        """
        members = getattr(self.forecaster, "members", [self.forecaster])
        normal = np.full(len(readings), np.nan)
        if not any(getattr(m, "exogenous", True) for m in members):
            return None, normal
        minutes = self.feature_spec.warmup_minutes
        rows = len(readings)
        if self.step > _NO_STEP:
            rows = min(rows, int(np.ceil(minutes / (self.step / pd.Timedelta("1min")))) + 2)
        tail = readings.iloc[-rows:]
        features = build_features(tail, self.feature_spec)
        normal[-rows:] = self._normal(tail, features)
        return features.reindex(readings.index), normal

    def _forecast_half(self, horizon: int) -> np.ndarray:
        """Half-width [K] per step 1…horizon, interpolated between the tracked horizons."""
        state = (self.intervals or {}).get("forecast")
        if state is None or not self.forecast_steps:
            return np.full(horizon, self.half_width_k)
        # The loaded state does not change: its quantiles are computed once per predictor.
        if "forecast_half" not in self._cache:
            self._cache["forecast_half"] = state.half_width()
        tracked = self._cache["forecast_half"]
        ok = np.isfinite(tracked)
        if not ok.any():
            return np.full(horizon, self.half_width_k)
        steps = np.asarray(self.forecast_steps, dtype=float)
        return np.interp(np.arange(1, horizon + 1), steps[ok], tracked[ok])


def load_model(directory: str | Path) -> Predictor:
    """Verify then load an artifact written by :func:`save_model`."""
    meta = verify_model(directory)
    try:
        doc = json.loads((Path(directory) / "model.json").read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{directory}: model.json is not valid JSON ({exc.msg}).") from None
    if not isinstance(doc, dict) or doc.get("format_version") not in READABLE_FORMATS:
        version = doc.get("format_version") if isinstance(doc, dict) else None
        raise InputError(f"{directory}: model format {version!r} is not supported.")
    th = meta["thresholds"]
    intervals = {
        role: AdaptiveConformal.from_dict(state)
        for role, state in (doc.get("intervals") or {}).items()
    }
    return Predictor(
        model_id=meta["model_id"],
        metadata=meta,
        feature_spec=FeatureSpec.from_dict(doc["feature_spec"]),
        model=LinearModel.from_dict(doc["model"]),
        half_width_k=float(doc["interval"]["half_width_k"]),
        thresholds=Thresholds(
            th["alerte_c"], th["critique_c"], th["rule"], th.get("explanation", "")
        ),
        target=str(doc.get("target") or meta.get("target") or ""),
        step=pd.Timedelta(
            minutes=float(doc.get("step_minutes") or meta.get("sampling_step_minutes") or 0.0)
        ),
        roles=doc.get("roles") or {"normal": meta.get("model_name", "")},
        nowcaster=model_from_dict(doc["nowcast"]) if doc.get("nowcast") else None,
        forecaster=model_from_dict(doc["forecast"]) if doc.get("forecast") else None,
        intervals=intervals,
        forecast_steps=tuple(int(v) for v in doc.get("forecast_steps") or ()),
    )
