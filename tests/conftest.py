"""Shared test fixtures: where the real data lives, and how to skip (or fail, in CI) without it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
ETT_DIR = SHARED_DATA / "ett"
# Benchmarks hold the reference helpers that tests share (e.g. transformer-thermal-model).
sys.path.insert(0, str(REPO / "benchmarks"))

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, why: str) -> None:
    """Skip a test when something it needs is absent; in CI a missing service is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {why}")
    pytest.skip(why)


@pytest.fixture(scope="session", autouse=True)
def _private_data_home(tmp_path_factory):
    """Runtime files (default store, spool, laptop secret) go to a throwaway data directory,
    never to the user's ~/.local/share/thermowatch (subprocesses inherit it)."""
    os.environ["THERMOWATCH_HOME"] = str(tmp_path_factory.mktemp("thermowatch-home"))


@pytest.fixture(scope="session")
def ett_dir() -> Path:
    if not (ETT_DIR / "ETTh1.csv").exists():
        pytest.skip(f"real ETT data absent: {ETT_DIR} (read-only shared data)")
    return ETT_DIR


@pytest.fixture(scope="session")
def pg_cluster():
    """One throwaway PostgreSQL cluster on loopback for the whole session (store, alerts…).

    Each test creates its own database in it. Without PostgreSQL the PostgreSQL variants are
    skipped with a message, except with ``CI=true``, where it is a failure.
    """
    from tests.pgtest import PostgresCluster

    try:
        cluster = PostgresCluster().start()
    except Exception as exc:
        require(False, f"PostgreSQL could not be started: {exc}")
    yield cluster
    cluster.stop()


# --- trained sample models, built once per test run (see tests/helpers/models.py) -------------


@pytest.fixture(scope="session")
def sample_model_dir(request, tmp_path_factory) -> Path:
    """The served sample's artifact (20 simulated days), trained once per run: read only."""
    from tests.helpers.models import once_per_run, train_model

    return once_per_run(request.config, tmp_path_factory, "sample-model", train_model)


@pytest.fixture
def model_copy(sample_model_dir, tmp_path) -> Path:
    """A private copy of the served sample's artifact, which a test may change."""
    from tests.helpers.models import copy_model

    return copy_model(sample_model_dir, tmp_path)


@pytest.fixture(scope="session")
def sample_training(request, tmp_path_factory):
    """The learning sample's training (45 simulated days, nameplate known), once per run:
    measurements, result and fitted models, in memory. Read only."""
    from tests.helpers.models import load_training, once_per_run, save_training

    folder = once_per_run(request.config, tmp_path_factory, "sample-training", save_training)
    return load_training(folder)


@pytest.fixture(scope="session")
def sample_training_dir(sample_training, tmp_path_factory) -> Path:
    """The learning sample's artifact, saved once per worker: read only."""
    from thermowatch.learn.artifact import save_model

    folder = tmp_path_factory.mktemp("sample-training-model")
    return save_model(sample_training.result, sample_training.fitted, folder)
