"""Plot of a thermal simulation: load, ambient, top-oil and hot-spot against the IEC limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def plot_thermal(
    index: Any,
    load_pu: Any,
    ambient_c: Any,
    top_oil_c: Any,
    hot_spot_c: Any,
    path: str | Path,
    title: str = "",
    hot_spot_limit_c: float = 120.0,
    top_oil_limit_c: float = 105.0,
) -> Path:
    """Two stacked panels sharing time: temperatures [°C] with limits, and load [pu]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (temp_ax, load_ax) = plt.subplots(
        2, 1, figsize=(12, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    temp_ax.plot(index, hot_spot_c, color="#c0392b", lw=0.9, label="hot spot / point chaud")
    temp_ax.plot(index, top_oil_c, color="#e67e22", lw=0.9, label="top oil / huile")
    temp_ax.plot(index, ambient_c, color="#2980b9", lw=0.6, alpha=0.8, label="ambient / ambiante")
    temp_ax.axhline(hot_spot_limit_c, color="#c0392b", ls="--", lw=0.8)
    temp_ax.axhline(top_oil_limit_c, color="#e67e22", ls="--", lw=0.8)
    temp_ax.text(
        index[0], hot_spot_limit_c + 1, f"IEC hot spot {hot_spot_limit_c:g} °C", fontsize=8
    )
    temp_ax.text(index[0], top_oil_limit_c + 1, f"IEC top oil {top_oil_limit_c:g} °C", fontsize=8)
    temp_ax.set_ylabel("°C")
    temp_ax.legend(loc="upper right", fontsize=8, ncol=3)
    temp_ax.grid(alpha=0.3)
    temp_ax.set_ylim(top=max(float(np.max(hot_spot_c)), hot_spot_limit_c) + 8)
    if title:
        temp_ax.set_title(title)
    load_ax.plot(index, load_pu, color="#2c3e50", lw=0.7)
    load_ax.axhline(1.0, color="grey", ls=":", lw=0.8)
    load_ax.set_ylabel("load [pu]")
    load_ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
