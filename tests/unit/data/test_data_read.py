"""Reading files: French CSV, xlsx, parquet, ETT."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from data_synthetic import make_readings

from thermowatch.data import load_measurements, read_table
from thermowatch.data.read import detect_encoding, sniff_csv

ETT_DIR = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "ett"


def _french_csv(frame: pd.DataFrame, path: Path, *, encoding: str = "cp1252") -> Path:
    text = frame.assign(horodatage=frame["horodatage"].dt.strftime("%d/%m/%Y %H:%M")).to_csv(
        sep=";", decimal=",", index=False
    )
    path.write_bytes(text.encode(encoding))
    return path


def test_french_csv_semicolon_decimal_comma_latin1(tmp_path: Path) -> None:
    raw = make_readings(72)
    path = _french_csv(raw, tmp_path / "export.csv", encoding="latin-1")
    assert b"temp\xe9rature" in path.read_bytes()  # really latin-1, not utf-8

    table = read_table(path)
    assert list(table.columns) == list(raw.columns)
    assert table["température huile (°C)"].dtype == "float64"
    np.testing.assert_allclose(table["température huile (°C)"], raw["température huile (°C)"])

    measurements = load_measurements(path)
    assert measurements.target == "température enroulement (°C)"
    assert measurements.step == pd.Timedelta("1h")
    assert len(measurements.frame) == 72
    # 13/01/2024 must be read day first (the 3rd row is 1 January 02:00, not 1 March).
    assert measurements.frame.index[2] == pd.Timestamp("2024-01-01 02:00", tz="UTC")
    assert measurements.frame.index[-1] == pd.Timestamp("2024-01-03 23:00", tz="UTC")


def test_utf8_csv_with_comma_delimiter_and_bom(tmp_path: Path) -> None:
    raw = make_readings(60)
    path = tmp_path / "export.csv"
    path.write_bytes(raw.to_csv(index=False).encode("utf-8-sig"))
    measurements = load_measurements(path)
    assert measurements.frame.index[0] == pd.Timestamp("2024-01-01", tz="UTC")
    assert "tension (kV)" in measurements.frame.columns
    assert len(measurements.frame) == 60


def test_tab_separated_with_preamble_lines(tmp_path: Path) -> None:
    raw = make_readings(60)
    path = tmp_path / "export.tsv"
    body = raw.to_csv(sep="\t", decimal=",", index=False)
    path.write_text("Export SCADA poste A\nle 01/02/2024\n\n" + body, encoding="utf-8")
    table = read_table(path)
    assert len(table) == 60
    assert table.columns[0] == "horodatage"
    assert table["tension (kV)"].dtype == "float64"


def test_sniff_csv_detects_delimiter_header_and_decimal() -> None:
    lines = ["titre", "date;a;b", "01/01/2024 00:00;1,5;2", "01/01/2024 01:00;1,75;3"]
    assert sniff_csv(lines) == (";", 1, ",")
    assert sniff_csv(["date,a", "2024-01-01,1.5"]) == (",", 0, ".")


def test_detect_encoding_falls_back_to_windows_1252_then_latin_1() -> None:
    assert detect_encoding("température".encode("cp1252")) == "cp1252"
    assert detect_encoding("\ufefftempérature".encode()) == "utf-8-sig"
    assert detect_encoding("température".encode("cp1252") + b"\x81") == "latin-1"


def test_xlsx_round_trip_first_and_named_sheet(tmp_path: Path) -> None:
    raw = make_readings(60)
    path = tmp_path / "DATASET_TRANSFO.xlsx"
    with pd.ExcelWriter(path) as writer:
        raw.head(50).to_excel(writer, sheet_name="Résumé", index=False)
        raw.to_excel(writer, sheet_name="Mesures", index=False)
    first = load_measurements(path)
    assert len(first.frame) == 50
    named = load_measurements(path, sheet="Mesures")
    assert len(named.frame) == 60
    np.testing.assert_allclose(named.frame["courant (A)"].to_numpy(), raw["courant (A)"].to_numpy())
    assert load_measurements(path, sheet=1).frame.shape == named.frame.shape


def test_xlsx_numbers_stored_as_text_with_decimal_comma(tmp_path: Path) -> None:
    raw = make_readings(60)
    as_text = raw.assign(
        **{"courant (A)": raw["courant (A)"].map(lambda v: f"{v:.2f}".replace(".", ","))}
    )
    as_text.loc[5, "courant (A)"] = "ERR"
    path = tmp_path / "texte.xlsx"
    as_text.to_excel(path, index=False)
    measurements = load_measurements(path)
    assert measurements.cleaning.count("non_numeric_value") == 1
    assert measurements.frame["courant (A)"].iloc[0] == pytest.approx(
        round(raw["courant (A)"].iloc[0], 2)
    )
    # The "ERR" value was set missing, then filled as a one-sample gap.
    assert measurements.cleaning.get("gap_interpolated").per_column == {"courant (A)": 1}


def test_parquet_with_datetime_index(tmp_path: Path) -> None:
    raw = make_readings(60).set_index("horodatage")
    path = tmp_path / "mesures.parquet"
    raw.to_parquet(path)
    measurements = load_measurements(path)
    assert measurements.frame.index.name == "timestamp"
    assert str(measurements.frame.index.tz) == "UTC"
    assert measurements.frame.shape == (60, 7)


def test_naive_timestamps_in_local_timezone(tmp_path: Path) -> None:
    from thermowatch.data import CleaningOptions

    raw = make_readings(60)
    path = tmp_path / "paris.parquet"
    raw.to_parquet(path)
    measurements = load_measurements(path, options=CleaningOptions(timezone="Europe/Paris"))
    # Winter: Paris is UTC+1.
    assert measurements.frame.index[0] == pd.Timestamp("2023-12-31 23:00", tz="UTC")


def test_ett_h1_reads_with_oil_target_and_hourly_step() -> None:
    path = ETT_DIR / "ETTh1.csv"
    if not path.is_file():
        pytest.skip(f"ETT data not found at {path.resolve()}")
    measurements = load_measurements(path)
    assert measurements.target == "OT"
    assert measurements.columns["OT"].quantity == "top_oil_temperature"
    assert measurements.step == pd.Timedelta("1h")
    assert measurements.cleaning.rows_in == 17420
    assert measurements.frame.index[0].year == 2016
    # Quantised loads repeat for hours: that is resolution, not a frozen sensor. Nothing valid
    # is removed (issue 10: at most 1 % of rows; here none).
    assert len(measurements.frame) == 17420
    assert measurements.frame.notna().all().all()
