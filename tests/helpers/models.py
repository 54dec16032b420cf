"""Trained sample models for the tests: how they are trained, and how a test run trains each
only once (the fixtures in ``tests/conftest.py`` call :func:`once_per_run`).

Two sample trainings cover what the tests need:

- :func:`train_model` — the *served* sample: 20 simulated days (seed 7), no gradient boosting,
  saved as an artifact. The service, security, live, CLI and dashboard tests serve it.
- :func:`train_sample` — the *learning* sample: 45 simulated days (seed 5) with the sample's
  nameplate (IEC 60076-7 physics known), kept in memory with its measurements. The learning and
  report tests read its result and its fitted models.

A test that changes an artifact works on a copy (the ``model_copy`` fixture); a test that checks
training itself (options, data, failures) keeps training on its own.
"""

from __future__ import annotations

import fcntl
import json
import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from thermowatch.data import Measurements


def train_model(out: Path, days: int = 20, seed: int = 7) -> Path:
    """Train the sample model (simulated data, no gradient boosting) and save its artifact."""
    from thermowatch.data import load_measurements
    from thermowatch.data.simulator import RATED_CURRENT_A, simulate_sample, write_sample
    from thermowatch.learn.artifact import save_model
    from thermowatch.learn.train import TrainOptions, train

    out.mkdir(parents=True, exist_ok=True)
    data = out / f"sample-{seed}.csv"
    write_sample(simulate_sample(days=days, seed=seed), str(data))
    result, fitted = train(
        load_measurements(data), TrainOptions(rated_current_a=RATED_CURRENT_A, nonlinear=False)
    )
    return save_model(result, fitted, out / "model")


@dataclass(frozen=True)
class SampleTraining:
    """One training run on the learning sample: its measurements, result and fitted models.

    Shared by many tests: read it, never change it (copy what you change).
    """

    measurements: Measurements
    result: object  # thermowatch.learn.result.TrainingResult
    fitted: object  # thermowatch.learn.train.FittedModel


def train_sample(out: Path, days: int = 45, seed: int = 5) -> SampleTraining:
    """Train on the learning sample (nameplate known, no gradient boosting), in memory."""
    from thermowatch.data import load_measurements
    from thermowatch.data.simulator import (
        RATED_CURRENT_A,
        SAMPLE_SPEC,
        simulate_sample,
        write_sample,
    )
    from thermowatch.learn.train import TrainOptions, train

    out.mkdir(parents=True, exist_ok=True)
    path = out / f"sample-{days}d-{seed}.parquet"
    write_sample(simulate_sample(days=days, seed=seed), str(path))
    measurements = load_measurements(path)
    options = TrainOptions(
        rated_current_a=RATED_CURRENT_A, thermal_spec=SAMPLE_SPEC, nonlinear=False
    )
    result, fitted = train(measurements, options)
    return SampleTraining(measurements, result, fitted)


def save_training(out: Path) -> Path:
    """Train on the learning sample and keep the run in ``out`` for the other test workers.

    The test run's own pickle, written and read by the tests only (artifacts that the service
    loads are never pickles).
    """
    training = train_sample(out)
    (out / "training.pickle").write_bytes(pickle.dumps(training))
    return out


def load_training(folder: Path) -> SampleTraining:
    """What :func:`save_training` kept."""
    return pickle.loads((folder / "training.pickle").read_bytes())


def once_per_run(
    config: pytest.Config,
    factory: pytest.TempPathFactory,
    name: str,
    build: Callable[[Path], Path],
) -> Path:
    """The directory ``build(folder)`` returned, built once per test run.

    Without pytest-xdist a session fixture already runs once. With it, every worker runs the
    session fixtures: the first builds under the run's shared temporary root (the parent of the
    workers' own roots) while holding a lock; the others wait, then read what it wrote.
    """
    if not hasattr(config, "workerinput"):  # not a pytest-xdist worker
        return build(factory.mktemp(name))
    root = factory.getbasetemp().parent / f"shared-{name}"
    root.mkdir(exist_ok=True)
    done = root / "built.json"
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            built = build(root / "build")
            done.write_text(json.dumps({"path": str(built)}))
        return Path(json.loads(done.read_text())["path"])


def copy_model(model_dir: Path, into: Path) -> Path:
    """A private copy of an artifact, which a test may tamper with."""
    return Path(shutil.copytree(model_dir, into / model_dir.name))
