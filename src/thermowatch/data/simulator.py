"""A realistic simulated SCADA export of one transformer, with a known thermal truth.

The bundled sample of ``thermowatch train`` and the test bed of everything downstream: load
with daily, weekly and seasonal shape, ambient with season, day/night and weather, electrical
quantities consistent with the load, and oil and winding temperatures from the IEC 60076-7
model (ONAF) plus sensor noise. A few defects are planted so that
data cleaning is exercised: missing values, one sensor spike and one frozen-sensor stretch.
Deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from thermowatch.data.timestamps import as_duration
from thermowatch.errors import InputError
from thermowatch.thermal import TransformerSpec, simulate

# French column names with units, as a utility's SCADA export has them.
TIMESTAMP = "horodatage"
VOLTAGE = "tension (kV)"
CURRENT = "courant (A)"
ACTIVE_POWER = "puissance active (MW)"
REACTIVE_POWER = "puissance réactive (MVAr)"
AMBIENT = "température ambiante (°C)"
OIL = "température huile (°C)"
WINDING = "température enroulement (°C)"
COLUMNS = (VOLTAGE, CURRENT, ACTIVE_POWER, REACTIVE_POWER, AMBIENT, OIL, WINDING)

RATED_POWER_MVA = 36.0
RATED_VOLTAGE_KV = 20.0
RATED_CURRENT_A = RATED_POWER_MVA * 1e3 / (np.sqrt(3) * RATED_VOLTAGE_KV)  # ~1039 A

# A 36 MVA ONAF substation transformer, fans running (the export has no fan status column, so
# the sample does not switch them: thermostat switching is FanControl's job in thermal/).
SAMPLE_SPEC = TransformerSpec.preset(
    "ONAF",
    top_oil_rise_k=50.0,
    hot_spot_gradient_k=20.0,
    hot_spot_factor=1.3,
    loss_ratio=6.0,
    rated_current_a=RATED_CURRENT_A,
)


@dataclass(frozen=True)
class SampleData:
    """A simulated export and what produced it.

    Attributes
    ----------
    frame
        The export: a ``horodatage`` column then the measurement columns, defects included.
    truth
        Noise-free top-oil and hot-spot temperatures [°C] at the export's timestamps.
    spec
        The thermal model that produced the temperatures.
    defects
        Where the planted defects are: ``missing`` cells, ``spike`` and ``frozen`` positions.
    """

    frame: pd.DataFrame
    truth: pd.DataFrame
    spec: TransformerSpec = SAMPLE_SPEC
    defects: dict = field(default_factory=dict)


def _smooth_noise(rng: np.random.Generator, n: int, steps: float, std: float) -> np.ndarray:
    """AR(1) noise with correlation time ``steps`` [samples] and stationary std ``std``."""
    from scipy.signal import lfilter

    phi = np.exp(-1.0 / steps)
    innovations = rng.normal(0.0, std * np.sqrt(1 - phi**2), n)
    return lfilter([1.0], [1.0, -phi], innovations)


def _load_profile(times: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """Load [pu]: winter-peaking, two daily peaks, lower weekends, random variation."""
    hours = times.hour.to_numpy() + times.minute.to_numpy() / 60.0
    day_of_year = times.day_of_year.to_numpy()
    weekend = times.day_of_week.to_numpy() >= 5
    daily = (
        0.62
        + 0.20 * np.exp(-0.5 * ((hours - 11.0) / 2.5) ** 2)
        + 0.30 * np.exp(-0.5 * ((hours - 19.0) / 1.8) ** 2)
        - 0.12 * np.exp(-0.5 * ((hours - 4.0) / 2.5) ** 2)
    )
    seasonal = 1.0 + 0.22 * np.cos(2 * np.pi * (day_of_year - 15) / 365.25)
    weekly = np.where(weekend, 0.82, 1.0)
    minutes = times.size
    variation = (
        1.0
        + _smooth_noise(rng, minutes, 3 * 1440, 0.06)
        + _smooth_noise(rng, minutes, 120, 0.06)
        + _smooth_noise(rng, minutes, 20, 0.05)
    )
    heat_wave = 1.0 + 0.12 * _heat_wave(times)  # air conditioning during the heat wave
    return np.clip(daily * seasonal * weekly * variation * heat_wave * 0.98, 0.05, 1.6)


def _heat_wave(times: pd.DatetimeIndex) -> np.ndarray:
    """0..1 bump over ten days of late July: the summer stress case of the sample."""
    day = times.day_of_year.to_numpy() + times.hour.to_numpy() / 24.0
    return np.clip(1.0 - np.abs(day - 205.0) / 5.0, 0.0, 1.0) ** 0.5


def _ambient_profile(times: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """Ambient [°C]: season (coldest mid-January), day/night, multi-day weather."""
    hours = times.hour.to_numpy() + times.minute.to_numpy() / 60.0
    day_of_year = times.day_of_year.to_numpy()
    season = 12.5 - 9.5 * np.cos(2 * np.pi * (day_of_year - 20) / 365.25)
    diurnal = 4.5 * np.sin(2 * np.pi * (hours - 9.0) / 24.0)
    weather = _smooth_noise(rng, times.size, 4 * 1440, 3.5) + _smooth_noise(
        rng, times.size, 60, 0.4
    )
    return season + diurnal + weather + 8.0 * _heat_wave(times)


def parse_step(step: str) -> pd.Timedelta:
    """A sampling step such as ``10min`` or ``1h``, between 1 minute and 1 day.

    Parameters
    ----------
    step : str
        A pandas offset such as ``10min``.

    Returns
    -------
    pandas.Timedelta
    """
    try:
        delta = as_duration(step)
    except (TypeError, ValueError):
        raise InputError(f"--step {step!r} is not a duration such as 10min or 1h.") from None
    if not pd.Timedelta("1min") <= delta <= pd.Timedelta("1D") or delta % pd.Timedelta("1min"):
        raise InputError(f"--step {step!r} must be a whole number of minutes between 1min and 1D.")
    return delta


def simulate_sample(
    days: int = 365, step: str = "10min", seed: int = 7, start: str = "2024-01-01"
) -> SampleData:
    """Simulate one transformer's SCADA export.

    Parameters
    ----------
    days
        Length of the export [days], 2 to 3660.
    step
        Sampling step of the export (the physics runs at 1 minute underneath).
    seed
        Random seed: the same seed gives the same export.
    start
        First timestamp (local time of the export, written without timezone).
    """
    if not 2 <= days <= 3660:
        raise InputError(f"--days must be between 2 and 3660, got {days}.")
    every = int(parse_step(step) / pd.Timedelta("1min"))
    rng = np.random.default_rng(seed)
    minutes = pd.date_range(start, periods=days * 1440, freq="1min")
    load = _load_profile(minutes, rng)
    ambient = _ambient_profile(minutes, rng)
    thermal = simulate(SAMPLE_SPEC, load, ambient, 1.0)

    keep = slice(0, None, every)
    times = minutes[keep]
    n = times.size
    k, amb = load[keep], ambient[keep]
    voltage = RATED_VOLTAGE_KV * (1.015 - 0.03 * k) + rng.normal(0, 0.04, n)
    current = k * RATED_CURRENT_A * (1 + rng.normal(0, 0.004, n))
    cos_phi = np.clip(0.95 - 0.03 * (k - 0.7) + rng.normal(0, 0.005, n), 0.85, 0.99)
    apparent = np.sqrt(3) * voltage * current / 1e3  # MVA
    active = apparent * cos_phi
    reactive = apparent * np.sqrt(1 - cos_phi**2)
    top_oil = thermal.top_oil_c[keep]
    hot_spot = thermal.hot_spot_c[keep]

    frame = pd.DataFrame(
        {
            TIMESTAMP: times,
            VOLTAGE: voltage.round(2),
            CURRENT: current.round(1),
            ACTIVE_POWER: active.round(2),
            REACTIVE_POWER: reactive.round(2),
            AMBIENT: (amb + rng.normal(0, 0.2, n)).round(1),
            OIL: (top_oil + rng.normal(0, 0.3, n)).round(1),
            WINDING: (hot_spot + rng.normal(0, 0.5, n)).round(1),
        }
    )
    defects = _plant_defects(frame, rng)
    truth = pd.DataFrame({"top_oil_c": top_oil, "hot_spot_c": hot_spot}, index=times)
    return SampleData(frame=frame, truth=truth, defects=defects)


def _plant_defects(frame: pd.DataFrame, rng: np.random.Generator) -> dict:
    """Missing cells, one spike on the winding sensor, one frozen oil sensor (in place)."""
    n = len(frame)
    missing: dict[str, list[int]] = {}
    for column in COLUMNS:
        rows = np.sort(rng.choice(np.arange(10, n - 10), size=max(2, n // 4000), replace=False))
        frame.loc[rows, column] = np.nan
        missing[column] = rows.tolist()
    spike = int(n * 0.41)
    frame.loc[spike, WINDING] = frame.loc[spike, WINDING] + 38.0
    frozen_len = max(6, n // 1000)
    frozen_start = int(n * 0.63)
    frozen = slice(frozen_start, frozen_start + frozen_len - 1)  # .loc slices are inclusive
    frame.loc[frozen, OIL] = frame.loc[frozen_start, OIL]
    return {
        "missing": missing,
        "spike": {"column": WINDING, "row": spike},
        "frozen": {"column": OIL, "rows": [frozen_start, frozen_start + frozen_len - 1]},
    }


def write_sample(sample: SampleData, path: str) -> None:
    """Write the export as xlsx, csv (French style: ``;`` and decimal comma) or parquet.

    Parameters
    ----------
    sample : SampleData
        A simulated export.
    path : str
        Output file; its suffix chooses the format.
    """
    suffix = str(path).lower().rsplit(".", 1)[-1]
    if suffix == "xlsx":
        _write_xlsx(sample.frame, path)
    elif suffix == "csv":
        sample.frame.to_csv(
            path,
            sep=";",
            decimal=",",
            index=False,
            date_format="%d/%m/%Y %H:%M",
            encoding="utf-8",
        )
    elif suffix == "parquet":
        sample.frame.to_parquet(path, index=False)
    else:
        raise InputError(f"--out {path!r}: choose a .xlsx, .csv or .parquet file name.")


def _write_xlsx(frame: pd.DataFrame, path: str) -> None:
    """Column-wise xlsxwriter: pandas' to_excel styles every cell and is ~5x slower here."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet("mesures")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    header = workbook.add_format({"bold": True})
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, len(frame.columns) - 1, 14)
    sheet.write_row(0, 0, list(frame.columns), header)
    # constant_memory writes row by row: build rows once, dates as Excel serial days.
    serial = (frame[TIMESTAMP] - pd.Timestamp("1899-12-30")) / pd.Timedelta("1D")
    values = frame.drop(columns=[TIMESTAMP]).astype(object)
    values = values.where(frame.drop(columns=[TIMESTAMP]).notna(), None)
    for i, (when, row) in enumerate(
        zip(serial.to_numpy(), values.itertuples(index=False), strict=False), start=1
    ):
        sheet.write_number(i, 0, when, date_format)
        for j, value in enumerate(row, start=1):
            if value is not None:
                sheet.write_number(i, j, value)
    workbook.close()
