"""The CLI as a user runs it: a real subprocess, exit codes, files written, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RATED = "1039.23"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "thermowatch", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def french_csv(workdir) -> Path:
    path = workdir / "export.csv"
    done = run("sample", "--out", str(path), "--days", "40", "--seed", "3", cwd=workdir)
    assert done.returncode == 0, done.stderr
    return path


def test_sample_is_a_french_export(french_csv):
    head = french_csv.read_text(encoding="utf-8").splitlines()[:2]
    assert head[0].startswith("horodatage;tension (kV);courant (A)")
    assert "température enroulement (°C)" in head[0]
    assert "," in head[1].split(";")[1]  # decimal comma


def test_sample_is_deterministic(workdir, french_csv):
    again = workdir / "again.csv"
    assert (
        run("sample", "--out", str(again), "--days", "40", "--seed", "3", cwd=workdir).returncode
        == 0
    )
    assert again.read_bytes() == french_csv.read_bytes()


def test_train_on_french_csv_writes_everything(workdir, french_csv):
    out = workdir / "out"
    done = run(
        "train",
        str(french_csv),
        "--out",
        str(out),
        "--rated-current",
        RATED,
        "--no-nonlinear",
        "--lang",
        "en",
        cwd=workdir,
    )
    assert done.returncode == 0, done.stderr
    for name in (
        "prediction_temperature_transformateur.png",
        "report.html",
        "report.md",
        "metrics.json",
    ):
        assert (out / name).stat().st_size > 500, name
    metrics = json.loads((out / "metrics.json").read_text())
    test = metrics["models"]
    assert test["thermal-monotone"]["test"]["rmse"] < test["baseline-linear"]["test"]["rmse"]
    assert test["thermal-monotone"]["test"]["rmse"] < 1.5
    assert metrics["roles"]["normal"]["chosen"] == metrics["chosen_model"]
    assert "rule" in metrics["roles"]["forecast"]
    assert "Actions, most urgent first" in (out / "report.md").read_text()
    model_dirs = list((out / "model").iterdir())
    assert len(model_dirs) == 1
    forecast = run(
        "forecast", str(french_csv), "--model", str(out / "model"), "--horizon", "6h",
        "--lang", "en", "--out", str(out / "forecast.csv"), cwd=workdir,
    )  # fmt: skip
    assert forecast.returncode == 0, forecast.stderr
    assert "ALERTE" in forecast.stdout and "CRITIQUE" in forecast.stdout
    assert len((out / "forecast.csv").read_text().splitlines()) == 1 + 36
    verified = run("model", "verify", str(model_dirs[0]), cwd=workdir)
    assert verified.returncode == 0 and "OK" in verified.stdout
    # A tampered artifact is refused with one sentence and exit code 2.
    model_json = model_dirs[0] / "model.json"
    model_json.write_text(model_json.read_text().replace('"intercept": ', '"intercept": 1'))
    refused = run("model", "verify", str(model_dirs[0]), cwd=workdir)
    assert (
        refused.returncode == 2
        and "SHA-256" in refused.stderr
        and "Traceback" not in refused.stderr
    )


def test_thermal_cli_on_profile(workdir, french_csv):
    out = workdir / "thermal" / "result.csv"
    done = run(
        "thermal",
        str(french_csv),
        "--spec",
        "ONAF",
        "--rated-current",
        RATED,
        "--hold-gaps",
        "--out",
        str(out),
        cwd=workdir,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(out.with_suffix(".json").read_text())
    assert 60 < summary["max_hot_spot_c"] < 160
    assert summary["loss_of_life_days"] > 0
    assert out.with_suffix(".png").stat().st_size > 10_000
    assert "max hot spot" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "missing.xlsx"], "missing.xlsx"),
        (["train", "{csv}", "--target", "nope"], "nope"),
        (["train", "{csv}", "--split-rows", "10,5"], "--split-rows"),
        (["train", "{csv}", "--alerte", "90", "--critique", "80"], "critique"),
        (["train", "{csv}", "--lang", "de"], "--lang"),
        (["train", "{csv}", "--split-dates", "2024-02-01,2024-01-01"], "--split-dates"),
        (["forecast"], "DATA"),
        (["forecast", "{csv}", "--model", "nowhere"], "nowhere"),
        (["thermal", "{csv}", "--spec", "XYZ"], "XYZ"),
        (["thermal", "{csv}", "--spec", "ONAF"], "--rated-current"),
        (["thermal", "{csv}", "--rated-current", RATED, "--no-hold-gaps"], "--hold-gaps"),
        (["sample", "--out", "x.txt", "--days", "3"], ".xlsx"),
        (["sample", "--days", "1"], "--days"),
        (["train", "--bogus"], "--bogus"),
        (
            ["db", "upgrade", "--database-url", "sqlite:////nonexistent/dir/x.db"],
            "cannot open the database",
        ),
        (
            ["status", "--database-url", "postgresql+psycopg://u@127.0.0.1:9/db"],
            "cannot open the database",
        ),
    ],
)
def test_bad_input_one_sentence_exit_2(workdir, french_csv, args, message):
    args = [a.replace("{csv}", str(french_csv)) for a in args]
    done = run(*args, cwd=workdir)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 3


def test_constant_target_and_no_numeric_column(workdir):
    flat = workdir / "flat.csv"
    rows = ["horodatage;courant (A);température enroulement (°C)"]
    rows += [f"2024-01-01 {h:02d}:{m:02d};{100 + h};55,0" for h in range(24) for m in (0, 30)]
    flat.write_text("\n".join(rows), encoding="utf-8")
    done = run("train", str(flat), cwd=workdir)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    text = workdir / "text.csv"
    text.write_text(
        "horodatage;remarque\n2024-01-01 00:00;ok\n2024-01-01 00:10;ok\n", encoding="utf-8"
    )
    done = run("train", str(text), cwd=workdir)
    assert done.returncode == 2 and "Traceback" not in done.stderr


ETT = Path(__file__).resolve().parents[3] / "shared" / "data" / "ett" / "ETTh1.csv"


@pytest.mark.skipif(not ETT.exists(), reason=f"real ETT data absent ({ETT})")
def test_standard_border_command_on_real_data(workdir):
    out = workdir / "ett"
    done = run(
        "train", str(ETT), "--target", "OT", "--split-rows", "8640,11520,14400",
        "--no-nonlinear", "--out", str(out), "--lang", "en", cwd=workdir,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert [metrics["split"][p]["rows"] for p in ("train", "validation", "test")] == [
        8640,
        2880,
        2880,
    ]
    assert metrics["split"]["test"]["start"].startswith("2017-10-24")
    assert metrics["cleaning"]["rows_out"] == metrics["cleaning"]["rows_in"]  # nothing removed
    report = (out / "report.md").read_text()
    assert "HUFL" in report and "--mapping" in report  # loads named as treated, not missing
