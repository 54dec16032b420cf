"""The forecast figure: test error against the horizon for each forecaster, persistence included."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thermowatch.learn.result import TrainingResult
from thermowatch.report.i18n import t

FILE_NAME = "forecast_error_by_horizon.png"


def plot_forecast_error(result: TrainingResult, path: str | Path) -> Path | None:
    """RMSE [K] by horizon [h] on the test period for each forecaster; ``None`` without one."""
    forecast = result.forecast
    if not forecast or not forecast.get("models"):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lang = result.lang
    hours = np.arange(1, forecast["horizon_steps"] + 1) * forecast["step_minutes"] / 60.0
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
    for name, parts in forecast["models"].items():
        rmse = np.asarray(parts["test"]["rmse_k_by_step"], dtype=float)
        served = name == forecast.get("chosen")
        ax.plot(
            hours,
            rmse,
            label=f"{name} ★" if served else name,
            linewidth=2.2 if served else 1.2,
            linestyle="--" if name == "persistence" else "-",
        )
    ax.set_xlabel(t("fig.horizon_hours", lang))
    ax.set_ylabel(t("fig.rmse_k", lang))
    ax.set_title(t("fig.forecast_error", lang))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
