"""Fatal input problems raise InputError with one sentence naming the file and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from data_synthetic import make_readings

from thermowatch.data import CleaningOptions, load_measurements
from thermowatch.errors import InputError


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, sep=";", decimal=",", index=False)
    return path


def _one_sentence(error: pytest.ExceptionInfo[InputError]) -> str:
    message = str(error.value)
    assert "\n" not in message
    assert message.endswith(".")
    return message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as error:
        load_measurements(tmp_path / "absent.csv")
    assert "absent.csv" in _one_sentence(error)


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "mesures.json"
    path.write_text("{}")
    with pytest.raises(InputError) as error:
        load_measurements(path)
    message = _one_sentence(error)
    assert "mesures.json" in message and "'.json'" in message and ".xlsx" in message


def test_unreadable_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "corrompu.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(InputError, match=r"corrompu\.xlsx.*could not be read"):
        load_measurements(path)


def test_unknown_sheet_lists_sheets(tmp_path: Path) -> None:
    path = tmp_path / "classeur.xlsx"
    make_readings(60).to_excel(path, sheet_name="Mesures", index=False)
    with pytest.raises(InputError, match=r"'Feuil2'.*classeur\.xlsx.*'Mesures'"):
        load_measurements(path, sheet="Feuil2")


def test_no_timestamp_column(tmp_path: Path) -> None:
    path = _csv(make_readings(60).drop(columns="horodatage"), tmp_path / "sans_date.csv")
    with pytest.raises(InputError) as error:
        load_measurements(path)
    message = _one_sentence(error)
    assert "No timestamp column" in message and "sans_date.csv" in message


def test_no_numeric_column(tmp_path: Path) -> None:
    frame = make_readings(60)[["horodatage"]].assign(etat="OK")
    path = _csv(frame, tmp_path / "texte.csv")
    with pytest.raises(InputError) as error:
        load_measurements(path)
    message = _one_sentence(error)
    assert "No numeric measurement column" in message and "'etat'" in message


def test_explicit_target_not_found_lists_candidates(tmp_path: Path) -> None:
    path = _csv(make_readings(60), tmp_path / "mesures.csv")
    with pytest.raises(InputError) as error:
        load_measurements(path, target="point chaud")
    message = _one_sentence(error)
    assert "'point chaud'" in message and "mesures.csv" in message
    assert "'courant (A)'" in message and "'température huile (°C)'" in message


def test_no_temperature_to_predict_lists_candidates(tmp_path: Path) -> None:
    frame = make_readings(60)[["horodatage", "tension (kV)", "courant (A)"]]
    path = _csv(frame, tmp_path / "electrique.csv")
    with pytest.raises(InputError) as error:
        load_measurements(path)
    message = _one_sentence(error)
    assert "electrique.csv" in message and "'tension (kV)', 'courant (A)'" in message


def test_too_few_rows(tmp_path: Path) -> None:
    path = _csv(make_readings(30), tmp_path / "court.csv")
    with pytest.raises(InputError) as error:
        load_measurements(path)
    message = _one_sentence(error)
    assert "Only 30 usable rows" in message and "48" in message and "court.csv" in message
    assert len(load_measurements(path, options=CleaningOptions(min_rows=20)).frame) == 30


def test_constant_target(tmp_path: Path) -> None:
    frame = make_readings(60).assign(**{"température enroulement (°C)": 42.0})
    path = _csv(frame, tmp_path / "fige.csv")
    with pytest.raises(InputError) as error:
        load_measurements(path)
    message = _one_sentence(error)
    assert "'température enroulement (°C)'" in message and "42" in message
    assert "fige.csv" in message


def test_text_target(tmp_path: Path) -> None:
    frame = make_readings(60).assign(statut="OK")
    path = _csv(frame, tmp_path / "statut.csv")
    with pytest.raises(InputError, match=r"'statut'.*holds no numbers"):
        load_measurements(path, target="statut")


def test_unknown_timezone() -> None:
    with pytest.raises(InputError, match="'Mars/Olympus'"):
        CleaningOptions(timezone="Mars/Olympus")
