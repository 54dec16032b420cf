"""A synthetic TrainingResult built from the sample simulator, with known numbers.

A plain module (not conftest) with a unique name, importable from every test file here.
Predictions are the measurements plus noise, so every metric and every planted pattern is
known exactly.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
import pandas as pd

from thermowatch.data import Measurements, clean_measurements, load_measurements
from thermowatch.data.simulator import RATED_CURRENT_A, simulate_sample, write_sample
from thermowatch.learn.result import Thresholds, TrainingResult

CURRENT = "courant (A)"
AMBIENT = "température ambiante (°C)"
OIL = "température huile (°C)"
WINDING = "température enroulement (°C)"


@lru_cache(maxsize=4)
def sample_frame(days: int = 60) -> pd.DataFrame:
    """The simulator's export (raw, with its planted defects)."""
    return simulate_sample(days=days, step="10min", seed=3).frame


def measurements_from_file(tmp_path, days: int = 60) -> Measurements:
    """The real path: write the sample as a French csv and read it back."""
    path = tmp_path / "sample.csv"
    write_sample(simulate_sample(days=days, step="10min", seed=3), str(path))
    return load_measurements(path)


def measurements_from_frame(
    days: int = 60, drop: tuple[str, ...] = (), rename: dict[str, str] | None = None
) -> Measurements:
    """The same cleaning without the file, with columns dropped or renamed."""
    frame = sample_frame(days).drop(columns=list(drop)).rename(columns=rename or {})
    return clean_measurements(frame, source="sample")


def _metrics(measured: np.ndarray, predicted: np.ndarray, lower=None, upper=None) -> dict:
    error = predicted - measured
    out = {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
        "r2": float(1 - np.sum(error**2) / np.sum((measured - measured.mean()) ** 2)),
        "max_error": float(np.max(np.abs(error))),
        "bias": float(np.mean(error)),
    }
    if lower is not None:
        out["coverage"] = float(np.mean((measured >= lower) & (measured <= upper)))
    return out


def make_result(
    meas: Measurements,
    *,
    lang: str = "fr",
    noise_k: float = 0.8,
    seed: int = 0,
    alerte_c: float = 90.0,
    critique_c: float = 105.0,
) -> TrainingResult:
    """A result whose predictions are ``measured + N(0, noise_k)``; baseline noisier."""
    rng = np.random.default_rng(seed)
    frame = meas.frame
    measured = frame[meas.target].to_numpy()
    n = len(measured)
    predicted = measured + rng.normal(0, noise_k, n)
    half = 1.645 * noise_k
    baseline = measured + rng.normal(0, 3 * noise_k, n)
    cut1, cut2 = int(n * 0.7), int(n * 0.85)
    split = np.array(["train"] * cut1 + ["validation"] * (cut2 - cut1) + ["test"] * (n - cut2))
    predictions = pd.DataFrame(
        {
            "measured": measured,
            "predicted": predicted,
            "lower": predicted - half,
            "upper": predicted + half,
            "baseline": baseline,
            "split": split,
        },
        index=frame.index,
    )
    models: dict = {}
    for name, values in (("thermal-linear", predicted), ("baseline-linear", baseline)):
        models[name] = {}
        for part in ("validation", "test"):
            rows = split == part
            bounds = (values[rows] - half, values[rows] + half)
            models[name][part] = _metrics(measured[rows], values[rows], *bounds)
    test = split == "test"
    split_info = {
        part: {
            "start": frame.index[split == part][0].isoformat(),
            "end": frame.index[split == part][-1].isoformat(),
            "rows": int((split == part).sum()),
        }
        for part in ("train", "validation", "test")
    }
    current = meas.column_for("current")
    load_pu = frame[current] / RATED_CURRENT_A if current else None
    kind = "winding" if meas.columns[meas.target].quantity == "winding_temperature" else "oil"
    return TrainingResult(
        measurements=meas,
        target_kind=kind,
        split=split_info,
        models=models,
        chosen_model="thermal-linear",
        predictions=predictions,
        interval={"level": 0.9, "half_width_k": half, "coverage_test": 0.9},
        coefficients=[("courant² (A²)", 7.5), ("température ambiante (°C)", 4.1)],
        drivers=[("courant (A)", 0.62), ("température ambiante (°C)", 0.31)],
        error_by_season={"winter": _metrics(measured[test], predicted[test])},
        error_by_load_band={
            "<0.5 pu": _metrics(measured[test][:50], predicted[test][:50]),
            "0.5-0.8 pu": {**_metrics(measured[test][50:], predicted[test][50:]), "r2": np.nan},
        },
        cross_validation=[
            {
                "fold": i,
                "train_end": split_info["train"]["end"],
                "test_end": split_info["test"]["end"],
                "rmse": noise_k + 0.01 * i,
                "baseline_rmse": 3 * noise_k,
            }
            for i in range(3)
        ],
        thresholds=Thresholds(alerte_c, critique_c, "config", "From the configuration file."),
        load_pu=load_pu,
        rated_current_a=RATED_CURRENT_A if current else None,
        hot_spot_c=frame[meas.target] if kind == "winding" else None,
        timings={"read": 0.5, "train": 2.0},
        lang=lang,
    )


def with_predictions(result: TrainingResult, **columns) -> TrainingResult:
    """A copy with some prediction columns replaced."""
    return dataclasses.replace(result, predictions=result.predictions.assign(**columns))
