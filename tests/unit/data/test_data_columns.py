"""Units, quantities, target detection and mapping files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from data_synthetic import make_readings

from thermowatch.data import classify_quantity, clean_measurements, load_mapping, split_unit
from thermowatch.data.columns import describe_columns, find_target, to_numeric_column
from thermowatch.errors import InputError


@pytest.mark.parametrize(
    ("name", "label", "unit"),
    [
        ("tension (kV)", "tension", "kV"),
        ("courant [A]", "courant", "A"),
        ("température huile (°C)", "température huile", "°C"),
        ("Temp oil [degC]", "Temp oil", "°C"),
        ("puissance réactive (MVAr)", "puissance réactive", "Mvar"),
        ("S ( MVA )", "S", "MVA"),
        ("charge (p.u.)", "charge", "pu"),
        ("OT", "OT", None),
        ("weird (furlongs)", "weird", "furlongs"),
    ],
)
def test_split_unit(name: str, label: str, unit: str | None) -> None:
    assert split_unit(name) == (label, unit)


@pytest.mark.parametrize(
    ("name", "quantity"),
    [
        ("tension (kV)", "voltage"),
        ("U", "voltage"),
        ("courant (A)", "current"),
        ("Intensité phase 1", "current"),
        ("courant de charge (A)", "current"),
        ("puissance active (MW)", "active_power"),
        ("puissance réactive (MVAr)", "reactive_power"),
        ("Reactive power", "reactive_power"),
        ("puissance apparente (MVA)", "apparent_power"),
        ("taux de charge (%)", "load_pu"),
        ("Load factor", "load_pu"),
        ("température ambiante (°C)", "ambient_temperature"),
        ("AMBIENT TEMP", "ambient_temperature"),
        ("température huile (°C)", "top_oil_temperature"),
        ("Top oil temperature", "top_oil_temperature"),
        ("OT", "top_oil_temperature"),
        ("température enroulement (°C)", "winding_temperature"),
        ("TEMPERATURE ENROULEMENT", "winding_temperature"),
        ("Hot-spot temperature", "winding_temperature"),
        ("Temp. point chaud", "winding_temperature"),
        ("WTI HV", "winding_temperature"),
        ("HUFL", "other"),
        ("fréquence (Hz)", "other"),
    ],
)
def test_classify_quantity_french_and_english(name: str, quantity: str) -> None:
    assert classify_quantity(name) == quantity


def test_target_prefers_winding_over_oil() -> None:
    both = describe_columns(["température huile (°C)", "WTI", "courant (A)"])
    assert find_target(both) == "WTI"
    oil_only = describe_columns(["courant (A)", "Top oil (°C)"])
    assert find_target(oil_only) == "Top oil (°C)"


def test_explicit_target_matches_case_and_accents() -> None:
    columns = describe_columns(["température huile (°C)", "température enroulement (°C)"])
    assert find_target(columns, explicit="TEMPERATURE HUILE") == "température huile (°C)"
    assert find_target(columns, explicit="temperature huile (°C)") == "température huile (°C)"


def test_explicit_target_in_load_overrides_detection() -> None:
    measurements = clean_measurements(make_readings(60), target="Température Huile")
    assert measurements.target == "température huile (°C)"
    assert "température enroulement (°C)" in measurements.feature_columns
    assert measurements.column_for("current") == "courant (A)"
    assert measurements.column_for("ambient_temperature") == "température ambiante (°C)"
    assert measurements.column_for("load_pu") is None
    assert measurements.columns["tension (kV)"].unit == "kV"


def test_numbers_as_text_with_decimal_comma_and_spaces() -> None:
    values = pd.Series(["12,5", "1 234,5", " -0,25 ", "", "n/a", "ERR", None], dtype="str")
    numbers, n_invalid = to_numeric_column(values)
    assert numbers.iloc[:3].tolist() == [12.5, 1234.5, -0.25]
    assert numbers.iloc[3:].isna().all()
    assert n_invalid == 1  # only "ERR": blanks and "n/a" are ordinary missing values


def test_mapping_file_sets_quantity_unit_target_and_timestamp(tmp_path: Path) -> None:
    raw = make_readings(60).rename(
        columns={"horodatage": "Quand", "température enroulement (°C)": "Capteur 7"}
    )
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        'timestamp = "Quand"\ntarget = "capteur 7"\n'
        '[columns]\n"Capteur 7" = "winding_temperature"\n[units]\n"Capteur 7" = "degC"\n',
        encoding="utf-8",
    )
    measurements = clean_measurements(raw, mapping=mapping)
    assert measurements.target == "Capteur 7"
    assert measurements.columns["Capteur 7"].quantity == "winding_temperature"
    assert measurements.columns["Capteur 7"].unit == "°C"
    assert measurements.frame.index[0] == pd.Timestamp("2024-01-01", tz="UTC")


def test_mapping_rejects_unknown_quantity() -> None:
    with pytest.raises(InputError, match=r"'Capteur 7'.*unknown"):
        load_mapping({"columns": {"Capteur 7": "hotness"}})


def test_temperature_in_kelvin_converted_to_celsius() -> None:
    raw = make_readings(60)
    raw["température huile (K)"] = raw.pop("température huile (°C)") + 273.15
    measurements = clean_measurements(raw)
    assert measurements.columns["température huile (K)"].unit == "°C"
    assert measurements.frame["température huile (K)"].iloc[0] == pytest.approx(
        make_readings(60)["température huile (°C)"].iloc[0]
    )
    assert measurements.cleaning.count("unit_converted") == 60
