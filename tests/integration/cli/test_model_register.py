"""`thermowatch model register` / `train --transformer`: the trained model becomes the champion
that serve and monitor load, verified; registering again adds nothing."""

from __future__ import annotations

import shutil
import sys

import pytest

from tests.helpers.models import copy_model
from thermowatch.cli import app
from thermowatch.cli._errors import run_with_error_policy
from thermowatch.store import models
from thermowatch.store.engine import make_engine


@pytest.fixture(scope="module")
def model_dir(sample_model_dir, tmp_path_factory):
    return copy_model(sample_model_dir, tmp_path_factory.mktemp("model"))


def cli(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["thermowatch", *args])
    code = run_with_error_policy(app)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_register_makes_the_champion_once(model_dir, tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    code, out = cli(monkeypatch, capsys, "model", "register", str(model_dir), "-t", "TR-9",
                    "--database-url", url)  # fmt: skip
    assert code == 0 and "as champion" in out
    engine = make_engine(url)
    champion = models.champion(engine, "TR-9")
    assert champion is not None and champion.id == model_dir.name
    assert champion.artifact_path == str(model_dir.resolve())
    # What the lifecycle reads: both errors, the training window, input ranges (the store has
    # no readings of that window here, so they are empty and said to come from it).
    assert champion.metrics["test"]["rmse"] > 0 and champion.metrics["validation"]["rmse"] > 0
    assert set(champion.metrics["training_window"]) == {"start", "end"}
    assert champion.metrics["input_ranges_source"] == "stored readings"
    code, _ = cli(monkeypatch, capsys, "model", "register", str(model_dir), "-t", "TR-9",
                  "--database-url", url)  # fmt: skip
    assert code == 0 and len(models.list_models(engine, "TR-9")) == 1
    code, out = cli(monkeypatch, capsys, "model", "register", str(model_dir), "-t", "TR-7",
                    "--database-url", url)  # fmt: skip
    assert code == 2 and "already registered for transformer 'TR-9'" in out


def test_a_tampered_artifact_is_not_registered(model_dir, tmp_path, monkeypatch, capsys):
    copy = shutil.copytree(model_dir, tmp_path / model_dir.name)
    (copy / "model.json").write_text((copy / "model.json").read_text().replace("1", "2", 1))
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    code, out = cli(monkeypatch, capsys, "model", "register", str(copy), "-t", "TR-9",
                    "--database-url", url)  # fmt: skip
    assert code == 2 and "SHA-256" in out
    assert not (tmp_path / "tw.db").exists()  # refused before the store was touched


def test_an_artifact_without_a_validation_error_is_refused(model_dir, tmp_path, monkeypatch,
                                                           capsys):  # fmt: skip
    import json

    from thermowatch.learn.artifact import SUMS, _sha256

    copy = shutil.copytree(model_dir, tmp_path / model_dir.name)
    meta = json.loads((copy / "metadata.json").read_text())
    for block in meta["metrics"].values():
        if isinstance(block, dict):
            block.pop("validation", None)
    (copy / "metadata.json").write_text(json.dumps(meta))
    sums = [line for line in (copy / SUMS).read_text().splitlines()
            if not line.endswith("metadata.json")]  # fmt: skip
    sums.append(f"{_sha256(copy / 'metadata.json')}  metadata.json")
    (copy / SUMS).write_text("\n".join(sums) + "\n")
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    code, out = cli(monkeypatch, capsys, "model", "register", str(copy), "-t", "TR-9",
                    "--database-url", url)  # fmt: skip
    assert code == 2 and "has no validation error" in out and "Traceback" not in out
