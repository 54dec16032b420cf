"""Shared test fixtures: where the real data lives, and how to skip (or fail, in CI) without it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
ETT_DIR = SHARED_DATA / "ett"
# Benchmarks hold the reference helpers that tests share (e.g. transformer-thermal-model).
sys.path.insert(0, str(REPO / "benchmarks"))

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# One BLAS/OpenMP thread in the test process and in every process it starts (they inherit the
# environment): the suite is already parallel (3 xdist workers on 2 cores, servers, CLI
# subprocesses), and a thread per core in each of them makes OpenBLAS and OpenMP spin waiting
# for peers that are not scheduled: a 90-day `thermowatch train` measured 22.6-29.1 CPU-s with
# the default two threads under the suite's load against 8.1-9.1 with one, the same models
# chosen and figures equal to ~1e-14 (the order of a few sums). Jobs do the same per worker process
# (thermowatch.jobs.runner.one_numeric_thread), for the same reason.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")


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


@dataclass
class RedisServer:
    """``redis-server`` without persistence on a loopback ``port``; restartable on that port."""

    binary: str
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        return self

    def stop(self, kill: bool = False) -> None:
        """SIGTERM (or SIGKILL: a crash) and wait."""
        if self.proc is not None:
            self.proc.kill() if kill else self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def redis_server():
    """A real ``redis-server`` on a free loopback port (Celery tests, shared API limits)."""
    exe = shutil.which("redis-server")
    require(exe is not None, "redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = RedisServer(exe, port).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url


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


# --- the order of the files for the xdist workers (see tests/helpers/schedule.py) ------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-durations", metavar="FILE", default=None,
        help="write the seconds each test file took (JSON) to FILE, e.g. tests/durations.json",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--record-durations")
    if path and not hasattr(config, "workerinput"):  # the controller sees every report
        from tests.helpers.schedule import DurationRecorder

        config.pluginmanager.register(DurationRecorder(Path(path)), "thermowatch-durations")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest files first, so that the last files a worker takes are short ones."""
    from tests.helpers.schedule import longest_first, read_table

    items[:] = longest_first(items, read_table())
