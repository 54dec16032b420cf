"""Synthetic SCADA-like readings for the data tests (hourly, smooth, no anomaly).

A plain module (not conftest) with a unique name, importable from every test file here."""

from __future__ import annotations

import numpy as np
import pandas as pd

FRENCH_COLUMNS = [
    "horodatage",
    "tension (kV)",
    "courant (A)",
    "puissance active (MW)",
    "puissance réactive (MVAr)",
    "température ambiante (°C)",
    "température huile (°C)",
    "température enroulement (°C)",
]


def make_readings(n: int = 200, *, freq: str = "1h", seed: int = 0) -> pd.DataFrame:
    """French-named raw table: a timestamp column and seven smooth, noisy measurements."""
    rng = np.random.default_rng(seed)
    hours = np.arange(n) * pd.Timedelta(freq) / pd.Timedelta("1h")
    daily = np.sin(2 * np.pi * hours / 24.0)
    noise = rng.normal(0.0, 0.2, size=(n, 6))
    current = 400.0 + 150.0 * daily + 5 * noise[:, 0]
    return pd.DataFrame(
        {
            "horodatage": pd.date_range("2024-01-01", periods=n, freq=freq),
            "tension (kV)": 63.0 + noise[:, 1],
            "courant (A)": current,
            "puissance active (MW)": current * 63e-3 * 1.6 + noise[:, 2],
            "puissance réactive (MVAr)": 5.0 + 2.0 * daily + noise[:, 3],
            "température ambiante (°C)": 10.0
            + 5.0 * np.sin(2 * np.pi * (hours - 6) / 24.0)
            + noise[:, 4],
            "température huile (°C)": 45.0 + 10.0 * daily + noise[:, 5],
            "température enroulement (°C)": 60.0 + 15.0 * daily + noise[:, 5] * 1.5,
        }
    )
