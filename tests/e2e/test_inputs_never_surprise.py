"""Inputs that never surprise: one sentence and exit 2, never a substitution or late refusal."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time

import pytest

from thermowatch.cli._errors import run_with_error_policy


def run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "thermowatch", *args], cwd=cwd, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def sample_csv(tmp_path_factory):
    """A 20-day French-style export and its nameplate, as `thermowatch sample` writes them."""
    folder = tmp_path_factory.mktemp("sample")
    done = run("sample", "--out", "export.csv", "--days", "20", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder / "export.csv"


def test_sample_writes_its_nameplate(sample_csv):
    text = sample_csv.with_name("export.spec.toml").read_text()
    assert 'name = "TR-01"' in text and "rated_current_a = 1039.2" in text


def test_all_nan_target_is_refused_not_substituted(sample_csv, tmp_path):
    rows = list(csv.reader(sample_csv.open(encoding="utf-8"), delimiter=";"))
    column = rows[0].index("température enroulement (°C)")
    for row in rows[1:]:
        row[column] = ""
    empty = tmp_path / "no_winding.csv"
    with empty.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    done = run("train", str(empty), "--out", "out", "--no-nonlinear", cwd=tmp_path)
    assert done.returncode == 2, done.stdout
    assert "température enroulement (°C)" in done.stderr and "--target" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "model").exists()  # nothing trained on the oil instead


def test_conflicting_thresholds_refused_before_any_work(sample_csv, tmp_path, monkeypatch):
    from thermowatch.cli import app

    monkeypatch.chdir(tmp_path)
    argv = ["train", str(sample_csv), "--out", "out", "--alerte", "120", "--critique", "100"]
    monkeypatch.setattr(sys, "argv", ["thermowatch", *argv])
    start = time.perf_counter()
    code = run_with_error_policy(app)
    elapsed = time.perf_counter() - start
    assert code == 2
    assert elapsed < 1.0  # the data (4 MB) is not even read
    assert not (tmp_path / "out").exists()


def test_thermal_on_the_sample_as_is(sample_csv, tmp_path):
    done = run("thermal", str(sample_csv), "--out", "t.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "export.spec.toml" in done.stdout and "held the last value over" in done.stdout
    summary = json.loads((tmp_path / "t.json").read_text())
    assert 60 < summary["max_hot_spot_c"] < 160


def test_train_reads_the_nameplate(sample_csv, tmp_path):
    done = run("train", str(sample_csv), "--out", "out", "--no-nonlinear", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["rated_current_a"] == pytest.approx(1039.23, abs=0.01)
    assert metrics["thresholds"]["rule"] == "iec"
    assert (metrics["thresholds"]["alerte_c"], metrics["thresholds"]["critique_c"]) == (104, 120)


def test_missing_rating_is_hinted(sample_csv, tmp_path):
    bare = tmp_path / "bare.csv"
    bare.write_bytes(sample_csv.read_bytes())  # no nameplate next to it
    done = run("train", str(bare), "--out", "out", "--no-nonlinear", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "--rated-current" in done.stderr and "overload" in done.stderr
