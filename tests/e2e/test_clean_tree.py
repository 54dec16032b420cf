"""Nothing a run writes is committed: the CLI's commands, run with their defaults inside a clone
of the repository, leave ``git status`` clean and write no model or database into the clone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.prefix) / "bin" / "thermowatch"


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, text=True,
                          capture_output=True).stdout  # fmt: skip


@pytest.fixture
def clone(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a repository to clone")
    target = tmp_path / "clone"
    _git("clone", "--quiet", "--local", "--no-hardlinks", str(ROOT), str(target), cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("THERMOWATCH_")}
    env["THERMOWATCH_HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = str(ROOT / "src")
    return target, env


@pytest.mark.slow
def test_cli_commands_leave_the_clone_clean(clone):
    folder, env = clone
    commands = [
        ["sample", "--days", "21"],
        ["train", "DATASET_TRANSFO.xlsx", "--transformer", "TR-CLEAN"],
        ["status", "--json"],
        ["jobs", "run", "--kind", "retrain"],
        ["model", "list"],
    ]
    for args in commands:
        done = subprocess.run([str(BIN), *args], cwd=folder, env=env, text=True,
                              capture_output=True, timeout=600)  # fmt: skip
        assert done.returncode in (0, 2), f"thermowatch {' '.join(args)}: {done.stderr[-400:]}"
    assert _git("status", "--porcelain", cwd=folder) == ""
    assert not (folder / "models").exists(), "a run wrote models into the working directory"
    assert not list(folder.glob("*.db")), "a run wrote a database into the working directory"
    assert (Path(env["THERMOWATCH_HOME"]) / "thermowatch.db").exists()


def test_retrained_models_go_under_the_data_directory(monkeypatch, tmp_path):
    from thermowatch.jobs.job import JobSettings
    from thermowatch.settings import SettingsFile, environment

    def models_dir() -> Path:
        return JobSettings.resolve(environment(), SettingsFile(None, {})).models_dir

    monkeypatch.delenv("THERMOWATCH_MODELS_DIR", raising=False)
    monkeypatch.setenv("THERMOWATCH_HOME", str(tmp_path / "home"))
    assert models_dir() == tmp_path / "home" / "models"
    monkeypatch.setenv("THERMOWATCH_MODELS_DIR", str(tmp_path / "elsewhere"))
    assert models_dir() == tmp_path / "elsewhere"
