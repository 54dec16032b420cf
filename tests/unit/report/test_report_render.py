"""The written report: files, languages, self-contained escaped HTML, metrics.json, figure speed."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest
from report_fixture import AMBIENT, make_result, measurements_from_frame

from thermowatch.report.figures import FILE_NAME, bin_means, plot_predictions
from thermowatch.report.render import json_safe, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def written(sample_measurements, tmp_path_factory):
    """The French and English reports of the fixture result, written once for this module."""
    out = tmp_path_factory.mktemp("reports")
    return tuple(
        write_report(make_result(sample_measurements, lang=lang), out / lang)
        for lang in ("fr", "en")
    )


def test_write_report_writes_the_four_files_with_the_original_figure_name(written):
    fr, _ = written
    assert set(fr) == {"figure", "metrics", "markdown", "html"}
    assert fr["figure"].name == FILE_NAME == "prediction_temperature_transformateur.png"
    assert fr["figure"].read_bytes().startswith(PNG_MAGIC)
    assert f"]({FILE_NAME})" in fr["markdown"].read_text(encoding="utf-8")


def test_french_and_english_reports_differ_and_carry_their_headings(written):
    fr, en = written
    fr_md, en_md = (paths["markdown"].read_text(encoding="utf-8") for paths in written)
    for heading in ("## Résumé", "## L'essentiel", "## Performances des modèles",
                    "## Validation croisée chronologique", "## Nettoyage des données",
                    "## Seuils d'alerte", "Erreur de test par saison"):  # fmt: skip
        assert heading in fr_md and heading not in en_md
    for heading in ("## Summary", "## At a glance", "## Model performance",
                    "## Chronological cross-validation", "## Data cleaning",
                    "## Alert thresholds", "Test error by load band"):  # fmt: skip
        assert heading in en_md and heading not in fr_md
    assert '<html lang="fr">' in fr["html"].read_text(encoding="utf-8")
    assert '<html lang="en">' in en["html"].read_text(encoding="utf-8")
    # A translated cleaning step, IEC limits beside the thresholds of a winding target.
    assert "Pics isolés" in fr_md and "Isolated spikes" in en_md
    assert "| IEC: normal cyclic loading | 120 | IEC 60076-7 |" in en_md
    assert "| IEC: long-time emergency loading | 140 |" in en_md
    assert "| IEC: reference ageing (rate 1) | 98 |" in en_md


def test_markdown_tables_hold_every_model_and_split(fr_result, written):
    md = written[0]["markdown"].read_text(encoding="utf-8")
    rmse = fr_result.models["baseline-linear"]["test"]["rmse"]
    assert f"| baseline-linear | test | {rmse:.2f}".replace(".", ",") in md
    assert "| thermal-linear ★ | validation |" in md
    assert md.count("| 2024-02-") >= 3  # cross-validation folds


def test_html_is_self_contained(written):
    page = written[0]["html"].read_text(encoding="utf-8")
    assert "data:image/png;base64," in page
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)=["'](?!data:)""", page)
    assert "<link" not in page and "<script" not in page
    assert "<style>" in page


def test_data_texts_are_escaped_in_html_and_markdown(tmp_path):
    meas = measurements_from_frame(rename={AMBIENT: "<b>x</b>"})
    meas = dataclasses.replace(meas, source="C:/exports/<script>alert(1)</script>&co.xlsx")
    result = make_result(meas, lang="en")
    result = dataclasses.replace(result, drivers=[("<b>x</b>", 0.5)])
    paths = write_report(result, tmp_path)
    page = paths["html"].read_text(encoding="utf-8")
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp;co.xlsx" in page
    md = paths["markdown"].read_text(encoding="utf-8")
    assert "<b>x</b>" not in md and "&lt;b&gt;x&lt;/b&gt;" in md


def test_metrics_json_parses_strictly_and_holds_the_models(fr_result, written):
    text = written[0]["metrics"].read_text(encoding="utf-8")
    data = json.loads(text, parse_constant=lambda name: pytest.fail(f"non-JSON constant {name}"))
    assert data["models"]["thermal-linear"]["test"]["rmse"] == pytest.approx(
        fr_result.models["thermal-linear"]["test"]["rmse"]
    )
    assert data["chosen_model"] == "thermal-linear"
    assert data["split"]["test"]["rows"] == fr_result.split["test"]["rows"]
    assert data["thresholds"] == {
        "alerte_c": 90.0, "critique_c": 105.0, "rule": "config",
        "explanation": "From the configuration file.",
    }  # fmt: skip
    assert data["error_by_load_band"]["0.5-0.8 pu"]["r2"] is None  # NaN -> null
    assert data["cleaning"]["rows_out"] == fr_result.measurements.cleaning.rows_out
    assert len(data["cross_validation"]) == 3
    assert {rec["key"] for rec in data["recommendations"]} >= {"evaluation", "ageing"}


def test_json_safe_replaces_nan_and_numpy_types():
    value = {"a": np.float64("nan"), "b": [np.int64(3), float("inf")], 4: np.array([1.5])}
    assert json_safe(value) == {"a": None, "b": [3, None], "4": [1.5]}


def test_bin_means_keeps_at_most_the_wanted_points():
    index = pd.date_range("2024-01-01", periods=525_600, freq="1min", tz="UTC")
    frame = pd.DataFrame({"x": np.arange(index.size, dtype=float)}, index=index)
    binned = bin_means(frame, 3_000)
    assert len(binned) <= 3_000
    assert binned["x"].iloc[0] == pytest.approx(np.arange(180).mean())  # 3 h bins
    assert bin_means(frame.iloc[:100], 3_000) is not None


def test_a_year_of_one_minute_predictions_is_plotted(fr_result, tmp_path):
    # How fast is a benchmark's business (benchmarks/), not a timed unit test's.
    index = pd.date_range("2024-01-01", periods=525_600, freq="1min", tz="UTC")
    rng = np.random.default_rng(1)
    measured = (
        70 + 15 * np.sin(np.arange(index.size) * 2 * np.pi / 1440) + rng.normal(0, 1, index.size)
    )
    predicted = measured + rng.normal(0, 0.8, index.size)
    split = np.repeat(["train", "validation", "test"], [367_920, 78_840, 78_840])
    predictions = pd.DataFrame(
        {"measured": measured, "predicted": predicted, "lower": predicted - 1.3,
         "upper": predicted + 1.3, "baseline": measured, "split": split},
        index=index,
    )  # fmt: skip
    result = dataclasses.replace(fr_result, predictions=predictions)
    path = plot_predictions(result, tmp_path)
    assert path == tmp_path / FILE_NAME and path.read_bytes().startswith(PNG_MAGIC)
    assert path.stat().st_size < 2_000_000  # drawn from a peak-keeping subset, not 525,600 points
