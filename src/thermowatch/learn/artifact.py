"""Model artifacts: a directory with ``model.json`` (numbers only, never pickle), ``metadata.json``
and ``SHA256SUMS``, verified on every load. The one place that saves and loads a model."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import platform
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.errors import InputError
from thermowatch.learn.domain import Domain
from thermowatch.learn.features import (
    DRIFT_PREFIX,
    IEC_HOT_SPOT,
    IEC_TOP_OIL,
    FeatureSpec,
    build_features,
    drift_values,
    feature_arrays,
    minutes_between,
    nanoseconds,
    require_columns,
    with_drift,
)
from thermowatch.learn.forecasting import Forecast, horizon_in_steps, scenario_frame
from thermowatch.learn.intervals import AdaptiveConformal
from thermowatch.learn.linear import LinearModel
from thermowatch.learn.models import model_from_dict
from thermowatch.learn.models.forecast import grid_positions, on_grid
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
    """SHA-256 of the cleaned training data (index and values), to trace a model to its data.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned training data.

    Returns
    -------
    str
        Hexadecimal SHA-256.
    """
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
    """Write the artifact under ``out_dir/<model_id>/`` and return that directory.

    Parameters
    ----------
    result : TrainingResult
        What training measured (metrics, thresholds, split) for ``metadata.json``.
    fitted : FittedModel
        The served models of every role (``model.json``, JSON only).
    out_dir : str or pathlib.Path
        Parent directory of the artifact.

    Returns
    -------
    pathlib.Path
        The artifact directory, with ``SHA256SUMS`` of its files.
    """
    created = datetime.now(UTC)
    digest = data_hash(result.measurements.frame)
    model_id, directory = _new_model_directory(Path(out_dir), created, digest)
    (directory / "model.json").write_text(json.dumps(_json_safe(_model_doc(fitted)), indent=1))
    meta = _metadata(result, fitted, model_id, created, digest)
    (directory / "metadata.json").write_text(
        json.dumps(_json_safe(meta), indent=2, ensure_ascii=False)
    )
    sums = "".join(f"{_sha256(directory / name)}  {name}\n" for name in FILES)
    (directory / SUMS).write_text(sums)
    return directory


def _model_doc(fitted: FittedModel) -> dict[str, Any]:
    """``model.json``: the served models of every role, JSON numbers only."""
    return {
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


def _library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for package in ("thermowatch", "numpy", "pandas", "scikit-learn", "scipy"):
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _metadata(
    result: TrainingResult, fitted: FittedModel, model_id: str, created: datetime, digest: str
) -> dict[str, Any]:
    """``metadata.json``: variables, target, thresholds, metrics, data hash, versions."""
    measurements = result.measurements
    return {
        "model_id": model_id,
        "model_name": result.chosen_model,
        "created_at": created.isoformat(),
        "target": measurements.target,
        "target_kind": result.target_kind,
        "variables": list(fitted.feature_spec.inputs),
        "units": {c.name: c.unit for c in measurements.columns.values()},
        "quantities": {c.name: c.quantity for c in measurements.columns.values()},
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
        "sampling_step_minutes": measurements.step / pd.Timedelta("1min"),
        "training_data": {
            "source": measurements.source,
            "rows": len(measurements.frame),
            "sha256": digest,
        },
        "domain": fitted.domain.to_dict() if fitted.domain is not None else None,
        "library_versions": _library_versions(),
        "python": platform.python_version(),
    }


def _forecast_lookback(fitted: FittedModel) -> int:
    return int(getattr(fitted.forecaster, "lookback", 0) or 0)


def verify_model(directory: str | Path) -> dict[str, Any]:
    """Check every file against ``SHA256SUMS``; return the metadata. Raises InputError if not.

    Parameters
    ----------
    directory : str or pathlib.Path
        An artifact directory.

    Returns
    -------
    dict
        Its ``metadata.json``.
    """
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
_FORECAST_COLUMNS = pd.Index(["predicted", "lower", "upper"])


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
    domain: Domain | None = None  # where it was trained (None: trained before issue 23)
    _cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def variables(self) -> tuple[str, ...]:
        return self.feature_spec.inputs

    def _levels(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(self.thresholds.levels(values))  # the one home: learn/levels.py

    def _normal(
        self,
        readings: pd.DataFrame,
        features: pd.DataFrame | None = None,
        model: LinearModel | None = None,
    ) -> np.ndarray:
        """The served normal-behaviour model's predictions [°C] (``model``: another one of the
        same feature recipe, such as the one a nowcast reads)."""
        model = model or self.model
        if features is None:
            features = build_features(readings, self.feature_spec)
        names = list(model.features)
        return model.predict(with_drift(features, names)[names].to_numpy(dtype=np.float64))

    def _half(self, role: str) -> float:
        state = (self.intervals or {}).get(role)
        if state is not None and state.recent and state.recent[0]:
            return float(state.half_width()[0])
        return self.half_width_k

    def predict_frame(self, readings: pd.DataFrame) -> pd.DataFrame:
        """Normal-behaviour predictions [°C] for every row of a history of readings (UTC index,
        increasing), and whether each is an extrapolation.

        The history gives the filters their thermal inertia: pass at least
        ``metadata["history_minutes"]`` of readings before the rows that matter. A row outside
        the model's domain of validity (:class:`~thermowatch.learn.domain.Domain`) is flagged
        ``extrapolating``, its interval widened by the distance outside, and the most robust
        answer for it leads (:meth:`_robust_led`): with a known rating, the model at the nearest
        trained conditions plus the IEC 60076-7 rise from there; without, the model without the
        terms its training never saw.

        Parameters
        ----------
        readings : pandas.DataFrame
            Wide readings: UTC DatetimeIndex, increasing; the columns ``variables`` (loads [A] or
            [pu], ambient [°C], ... as in training).

        Returns
        -------
        pandas.DataFrame
            ``predicted``, ``lower``, ``upper`` [°C], ``level`` and ``extrapolating`` per row.
        """
        predicted = self._normal(readings)
        half = np.full(len(predicted), self.half_width_k)
        outside = np.zeros(len(predicted), dtype=bool)
        if self.domain is not None and len(readings):
            distance = self.domain.distance(readings)
            outside = distance > 0
            if outside.any():
                half = half * (1.0 + distance)
                predicted = self._robust_led(readings, predicted, outside)
        return pd.DataFrame(
            {
                "predicted": predicted,
                "lower": predicted - half,
                "upper": predicted + half,
                "level": self._levels(predicted),
                "extrapolating": outside,
            },
            index=readings.index,
        )

    def extrapolating(self, readings: pd.DataFrame) -> np.ndarray:
        """Per row, True when it lies outside the model's domain of validity.

        Parameters
        ----------
        readings : pandas.DataFrame
            Wide readings (UTC index, the model's variables).

        Returns
        -------
        numpy.ndarray
            Boolean per row.
        """
        if self.domain is None:
            return np.zeros(len(readings), dtype=bool)
        return self.domain.distance(readings) > 0

    def _robust_led(
        self, readings: pd.DataFrame, predicted: np.ndarray, outside: np.ndarray
    ) -> np.ndarray:
        """On the rows ``outside`` the domain, the most robust answer for each [°C].

        With a known rating: the model at the inputs held inside their trained ranges plus the
        IEC 60076-7 difference between the real and the held inputs — the physics, not the
        fitted weights, carries the excess. Without: the model without the terms its training
        never saw — every input that is neither a load nor the ambient (a voltage, a tap
        position: a weight free in sign, fitted on its trained range only) is held at the edge
        of that range, while the responses to load² and ambient, monotone by construction and
        growing with the losses as the physics does, carry the excess (those to load² slower
        than any oil time constant are held by the model itself: ``LinearModel.held``,
        :func:`~thermowatch.learn.models.normal.slow_load_responses`). The seasonal terms need
        no holding: day-of-year terms exist only when every month was seen, drift ramps hold
        their end values, and the fixed-phase season is bounded (``learn/models``). A model
        without any calendar term (``thermal-monotone-plain``) is no fallback: on the ETT
        short-history windows it was 1.5–4 × the served model's error on the rows outside the
        domain."""
        spec = self.feature_spec
        if self.domain is None:
            return predicted
        if not spec.iec:
            free = [
                name
                for name in spec.inputs
                if name not in spec.load_inputs and name not in spec.ambient_inputs
            ]
            if not free:
                return predicted
            return np.where(outside, self._normal(self.domain.clip(readings, free)), predicted)
        column = IEC_HOT_SPOT if self.metadata.get("target_kind") == "winding" else IEC_TOP_OIL
        held = self.domain.clip(readings)
        real = build_features(readings, spec)
        inside = build_features(held, spec)
        anchored = self._normal(held, inside) + (real[column] - inside[column]).to_numpy()
        return np.where(outside, anchored, predicted)

    def _require_target(self, history: pd.DataFrame, what: str) -> np.ndarray:
        self._check_target(history.columns, what)
        return history[self.target].to_numpy(dtype=np.float64)

    def _check_target(self, columns: Any, what: str) -> None:
        if not self.target or self.target not in columns:
            raise InputError(f"the {what} needs the measured {self.target!r} in the history.")

    def _require_forecaster(self) -> Any:
        if self.forecaster is None:
            raise InputError(f"model {self.model_id} has no forecast (trained before format 2).")
        return self.forecaster

    def nowcast_frame(self, history: pd.DataFrame) -> pd.DataFrame:
        """Nowcast [°C] of each row from the values measured before it (see the seam).

        Parameters
        ----------
        history : pandas.DataFrame
            Readings with the target column, UTC index increasing.

        Returns
        -------
        pandas.DataFrame
            ``predicted``, ``lower``, ``upper`` [°C] and ``level`` per row.
        """
        if self.nowcaster is None:
            raise InputError(f"model {self.model_id} has no nowcast (trained before format 2).")
        y = self._require_target(history, "nowcast")
        normal = self._normal(history, model=getattr(self.nowcaster, "normal", None))
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

        Parameters
        ----------
        history : pandas.DataFrame
            Readings with the target [°C], UTC index increasing.
        horizon : str or int or None
            Steps, or a duration such as ``"24h"``; None: the trained horizon (at most it).
        load_scenario : pandas.DataFrame or None
            Future loads indexed by future times (load columns; missing ones hold their last
            value): the forecast adds the monotone normal-behaviour response to the change.

        Returns
        -------
        Forecast
            Times, ``predicted``, ``lower`` and ``upper`` [°C] per step after the last row.
        """
        steps = self._forecast_steps(horizon)
        made = self._forecast_paths([history])[0]
        if isinstance(made, InputError):
            raise made
        path, origin = made
        if load_scenario is not None:
            trained = len(path)
            history = history if history.index.is_monotonic_increasing else history.sort_index()
            history = history.loc[:origin]
            readings = history[list(self.variables)].ffill().bfill()
            future = origin + self.step * np.arange(1, trained + 1)
            held, planned = scenario_frame(readings, future, list(self.variables), load_scenario)
            base = self._normal(pd.concat([readings, held]))[-trained:]
            moved = self._normal(pd.concat([readings, planned]))[-trained:]
            path = path + (moved - base)
        return self._forecast_result(path, origin, steps)

    # ----------------------------------------------- fleet: many histories at once (issue 10)
    def forecast_many(
        self, histories: Sequence[pd.DataFrame], horizon: str | int | None = None
    ) -> list[Forecast | InputError]:
        """:meth:`forecast` (without a load scenario) of many transformers served by this model,
        in one pass: the same numbers, for a fraction of the time (see :func:`forecast_fleet`).

        Parameters
        ----------
        histories : sequence of pandas.DataFrame
            One history per transformer (as for :meth:`forecast`).
        horizon : str or int or None
            As for :meth:`forecast`.

        Returns
        -------
        list of Forecast or InputError
            In the order of ``histories``.
        """
        self._forecast_steps(horizon)  # a bad horizon is the caller's error, not a history's
        return forecast_fleet([(self, h) for h in histories], horizon)

    def _forecast_steps(self, horizon: str | int | None) -> int:
        return horizon_in_steps(horizon, self.step, int(self._require_forecaster().horizon))

    def _forecast_paths(
        self, histories: Sequence[pd.DataFrame]
    ) -> list[tuple[np.ndarray, pd.Timestamp] | InputError]:
        """``(temperatures [°C] at the trained steps, origin)`` per history, or its error."""
        return _fleet_paths([(self, h) for h in histories])

    def _fleet_recipe(self) -> tuple[Any, ...]:
        """What models must share for their transformers' filters to run together: the
        feature recipe, all but the per-model load scales and rated current (per row)."""
        recipe = self._cache.get("fleet_recipe")
        if recipe is None:
            spec = self.feature_spec
            iec = None
            if spec.iec:
                thermal = {k: v for k, v in spec.iec["spec"].items() if k != "rated_current_a"}
                iec = (
                    json.dumps(thermal, sort_keys=True),
                    spec.iec["current"],
                    spec.iec["ambient"],
                )
            recipe = self._cache["fleet_recipe"] = (
                spec.inputs, spec.load_inputs, spec.ambient_inputs, spec.time_constants_min,
                spec.calendar, spec.seasonal, iec, self.step,
            )  # fmt: skip
        return recipe

    def _feature_layout(self, names: tuple[str, ...]) -> tuple[pd.Index, np.ndarray]:
        """The feature names as an index, and where the normal-behaviour model's inputs are
        among them (found once: label look-ups cost more than the arithmetic here)."""
        layout = self._cache.get(("feature_layout", names))
        if layout is None:
            used = np.array([names.index(f) for f in self.model.features])
            layout = self._cache[("feature_layout", names)] = (pd.Index(names, dtype=object), used)
        return layout

    def _forecast_result(self, path: np.ndarray, origin: pd.Timestamp, steps: int) -> Forecast:
        trained = len(path)
        half = self._forecast_half(trained)[:steps]
        path = path[:steps]
        ahead = self._cache.get(("forecast_ahead", steps))  # the offsets, made once
        if ahead is None:
            ahead = self._cache[("forecast_ahead", steps)] = pd.TimedeltaIndex(
                self.step * np.arange(1, steps + 1)
            )
        future = origin + ahead
        future.name = "timestamp"
        values = np.column_stack([path, path - half, path + half])
        frame = pd.DataFrame(values, index=future, columns=_FORECAST_COLUMNS)
        level = (
            self.intervals["forecast"].level
            if self.intervals and "forecast" in self.intervals
            else 0.9
        )
        name = (self.roles or {}).get("forecast", "forecast")
        return Forecast(frame, level, name, origin)

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


def forecast_fleet(
    fleet: Sequence[tuple[Predictor, pd.DataFrame]], horizon: str | int | None = None
) -> list[Forecast | InputError]:
    """:meth:`Predictor.forecast` (without a load scenario) of each ``(predictor, history)``
    of a fleet, in its order: that transformer's forecast, or the :class:`InputError` its
    forecast raised (one bad history or model does not hold the others back).

    The filters of transformers read at the same time steps (a regular grid of the same
    length: the usual fleet) run together over 2-D arrays, across models too when they share
    the feature recipe (each row keeps its model's load scales and rated current); each model
    then makes one product for all its transformers. The numbers are those of one forecast at
    a time (within 1e-9 K).

    Parameters
    ----------
    fleet : sequence of (Predictor, pandas.DataFrame)
        Each transformer's served model and history.
    horizon : str or int or None
        As for :meth:`Predictor.forecast`.

    Returns
    -------
    list of Forecast or InputError
        In the order of ``fleet``.
    """
    out: list[Forecast | InputError] = []
    paths = _fleet_paths(fleet)
    for (predictor, _), made in zip(fleet, paths, strict=True):
        if isinstance(made, InputError):
            out.append(made)
            continue
        try:
            out.append(predictor._forecast_result(*made, predictor._forecast_steps(horizon)))
        except InputError as exc:
            out.append(exc)
    return out


def _fleet_paths(
    fleet: Sequence[tuple[Predictor, pd.DataFrame]],
) -> list[tuple[np.ndarray, pd.Timestamp] | InputError]:
    """``(temperatures [°C] at the trained steps, origin)`` per transformer, or its error."""
    out: list[Any] = []
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, (predictor, history) in enumerate(fleet):
        try:
            forecaster = predictor._require_forecaster()
            members = getattr(forecaster, "members", [forecaster])
            exogenous = any(getattr(m, "exogenous", True) for m in members)
            lookback = max(int(getattr(m, "lookback", 1)) for m in members)
            origin = _ForecastOrigin.of(predictor, history, lookback, exogenous)
        except InputError as exc:
            out.append(exc)
            continue
        out.append(origin)
        # Histories of one recipe and the same time steps share the filters; a forecaster of
        # the past target alone needs none (its model's rows go together).
        recipe = predictor._fleet_recipe() if exogenous else ("past only", id(predictor))
        key = (recipe, str(origin.time.tz), origin.dt.tobytes())
        groups.setdefault(key, []).append(i)
    for rows in groups.values():
        paths = _fleet_group([fleet[i][0] for i in rows], [out[i] for i in rows])
        for i, path in zip(rows, paths, strict=True):
            out[i] = (path, out[i].time)
    return out


def _fleet_group(predictors: list[Predictor], origins: list[_ForecastOrigin]) -> list[np.ndarray]:
    """The forecasts [°C] of transformers whose filter windows share their time steps and
    whose models share the feature recipe.

    Forecasters read the features and the normal-behaviour temperature at the origin only, so
    the filters run over their warm-up before it (not at all for a forecaster that reads the
    past target alone), for the whole group at once.
    """
    first = predictors[0]
    out: list[np.ndarray] = [np.empty(0)] * len(origins)
    by_model: dict[int, list[int]] = {}
    for j, predictor in enumerate(predictors):
        by_model.setdefault(id(predictor), []).append(j)
    exogenous = bool(origins[0].readings.size)
    matrix = np.empty((0, 0))
    names: tuple[str, ...] = ()
    if exogenous:
        stacked = np.stack([o.readings for o in origins])  # (N, rows, variables)
        values = {name: stacked[:, :, j] for j, name in enumerate(first.variables)}
        spec = first.feature_spec
        scales = {
            name: np.array([[p.feature_spec.scales.get(name, 1.0)] for p in predictors])
            for name in spec.load_inputs
        }
        rated = None
        if spec.iec:  # the same recipe: every model of the group has its IEC estimate
            ratings = [(p.feature_spec.iec or {})["spec"]["rated_current_a"] for p in predictors]
            rated = np.array(ratings, dtype=np.float64)[:, None]
        index = origins[0].index
        every = index.append([o.index for o in origins[1:]]) if len(origins) > 1 else index
        columns = feature_arrays(values, origins[0].dt, every, spec, scales, rated)
        # Drift ramps of the models (bounded levels over their training) at each origin.
        drifts = {n for p in predictors for n in p.model.features if n.startswith(DRIFT_PREFIX)}
        at_ns = nanoseconds(pd.DatetimeIndex([o.time for o in origins]))
        columns.update({n: drift_values(n, at_ns)[:, None] for n in sorted(drifts)})
        matrix = np.column_stack([v[:, -1] for v in columns.values()])  # (N, features)
        names = tuple(columns)
    for rows in by_model.values():
        predictor = predictors[rows[0]]
        past = np.vstack([origins[j].past for j in rows])
        if not exogenous:
            made = predictor.forecaster.forecast_windows(past, None, np.full(len(rows), np.nan))
        else:
            labels, used = predictor._feature_layout(names)
            part = matrix[rows]
            normal = predictor.model.predict(part[:, used])
            times = pd.DatetimeIndex([origins[j].time for j in rows])
            at_origin = pd.DataFrame(part, index=times, columns=labels)
            made = predictor.forecaster.forecast_windows(past, at_origin, normal)
        for j, path in zip(rows, made, strict=True):
            out[j] = path
    return out


@dataclass(frozen=True)
class _ForecastOrigin:
    """What a forecast needs from one history, as arrays: the target on the time grid before
    the origin (last measured value) and the readings over the filters' warm-up."""

    time: pd.Timestamp  # the origin: the last row with a measured target
    past: np.ndarray  # (lookback,) target [°C] on the grid, holes filled, NaN before the start
    readings: np.ndarray  # (rows, variables) over the warm-up, held forward then back
    index: pd.DatetimeIndex  # the times of those rows
    dt: np.ndarray  # (rows,) minutes between them

    @classmethod
    def of(
        cls, predictor: Predictor, history: pd.DataFrame, lookback: int, exogenous: bool
    ) -> _ForecastOrigin:
        if not history.index.is_monotonic_increasing:
            history = history.sort_index()
        table = _columns(predictor, history, exogenous)  # (rows, target + variables)
        y = table[:, 0]
        known = np.flatnonzero(np.isfinite(y))
        if known.size < 2:
            raise InputError(f"the forecast needs measured values of {predictor.target!r}.")
        n = int(known[-1]) + 1  # rows after the last measured value are not history yet
        index = history.index[:n]
        positions = grid_positions(index, predictor.step)
        grid = on_grid(y[:n], positions)
        holes = np.isnan(grid)
        if holes.any():  # filled from the nearest known values, as the forecaster does
            where = np.flatnonzero(~holes)
            grid = np.interp(np.arange(grid.size), where, grid[where])
        past = grid[-lookback:]
        if past.size < lookback:
            past = np.r_[np.full(lookback - past.size, np.nan), past]
        if not exogenous:
            return cls(index[-1], past, np.empty((0, 0)), index[:0], np.empty(0))
        rows = n
        if predictor.step > _NO_STEP:
            minutes = predictor.feature_spec.warmup_minutes
            rows = min(n, int(np.ceil(minutes / (predictor.step / pd.Timedelta("1min")))) + 2)
        readings = _held(table[:n, 1:])[-rows:]
        tail = index[-rows:]
        return cls(index[-1], past, readings, tail, minutes_between(tail))


def _columns(predictor: Predictor, history: pd.DataFrame, readings: bool) -> np.ndarray:
    """``(rows, 1 + variables)`` floats: the target, then (``readings``) the model's variables.

    A fleet's histories come with the same columns: where they are is found once per layout.
    """
    names = [predictor.target, *(predictor.variables if readings else ())]
    layouts = predictor._cache.setdefault("forecast_layouts", {})
    layout = tuple(history.columns)
    where = layouts.get((layout, readings))
    if where is None:
        predictor._check_target(layout, "forecast")
        require_columns(layout, names)
        if len(set(layout)) == len(layout):  # else ask pandas, column by column
            where = layouts[(layout, readings)] = np.array([layout.index(c) for c in names])
    if where is not None:
        with contextlib.suppress(TypeError, ValueError):  # a text column: one at a time
            return history.to_numpy(dtype=np.float64)[:, where]
    return np.column_stack([history[c].to_numpy(dtype=np.float64) for c in names])


def _held(values: np.ndarray) -> np.ndarray:
    """Each column's NaN replaced by its previous value, then leading ones by the next
    (``DataFrame.ffill().bfill()`` on a 2-D array)."""
    if not np.isnan(values).any():
        return values
    rows = np.arange(len(values))[:, None]
    last = np.maximum.accumulate(np.where(np.isnan(values), 0, rows), axis=0)
    values = np.take_along_axis(values, last, axis=0)
    back = np.where(np.isnan(values), len(values) - 1, rows)
    nxt = np.minimum.accumulate(back[::-1], axis=0)[::-1]
    return np.take_along_axis(values, nxt, axis=0)


def load_model(directory: str | Path) -> Predictor:
    """Verify then load an artifact written by :func:`save_model`.

    Parameters
    ----------
    directory : str or pathlib.Path
        An artifact directory.

    Returns
    -------
    Predictor
        The served models; a file whose SHA-256 does not match raises
        :class:`~thermowatch.errors.InputError`.
    """
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
        domain=Domain.from_dict(meta.get("domain")),
    )
