"""The report's figure: prediction over the test period, predicted vs measured, residuals.

Drawn with matplotlib (Agg) from aggregated data: a year of 1-minute readings is 525,600
rows, far more than a 1,200-pixel-wide panel can show, so lines are drawn from bin means
(at most :data:`MAX_LINE_POINTS` bins) and the scatter from an evenly spaced subsample.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from thermowatch.learn.result import TrainingResult
from thermowatch.report.i18n import number, t

FILE_NAME = "prediction_temperature_transformateur.png"  # the original tool's name: keep it
MAX_LINE_POINTS = 3_000
MAX_SCATTER_POINTS = 20_000
NICE_BINS = tuple(
    pd.Timedelta(w) for w in ("1min", "5min", "10min", "30min", "1h", "2h", "3h", "6h", "12h", "1D")
)
COLORS = {
    "measured": "#1f3a93",  # dark blue, solid: what the sensor said
    "predicted": "#e67e00",  # orange, dashed: what the model expected
    "band": "#f5a623",
    "normal": "#27ae60",
    "alerte": "#e67e22",
    "critique": "#c0392b",
    "residual": "#7f8c8d",
    "rolling": "#8e44ad",
}


def bin_means(frame: pd.DataFrame, max_points: int = MAX_LINE_POINTS) -> pd.DataFrame:
    """Means over equal time bins so that at most ``max_points`` rows remain.

    Bins have a width a reader recognises (10 min, 1 h, 6 h…), aligned on the first timestamp; empty bins are
    dropped (holes stay holes instead of being drawn as lines across them).
    """
    if len(frame) <= max_points:
        return frame
    span = frame.index[-1] - frame.index[0]
    wanted = span / max_points
    width = next((w for w in NICE_BINS if w >= wanted), wanted.ceil("1D"))
    return frame.resample(width, origin="start").mean().dropna(how="all")


def _bin_label(width: pd.Timedelta, lang: str) -> str:
    minutes = width / pd.Timedelta("1min")
    return f"{number(minutes / 60, lang)} h" if minutes >= 60 else f"{number(minutes, lang)} min"


def plot_predictions(result: TrainingResult, path: str | Path, name: str | None = None) -> Path:
    """Write the three-panel figure and return its path.

    Parameters
    ----------
    result
        The training run; ``predictions`` holds ``measured``, ``predicted``, ``lower``,
        ``upper`` [°C] and ``split``.
    path
        A directory (the figure is written there as :data:`FILE_NAME`) or a ``.png`` file.
    name
        The transformer's name, for the title (default: the data file's name).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(path)
    if out.suffix.lower() != ".png":
        out = out / FILE_NAME
    out.parent.mkdir(parents=True, exist_ok=True)

    fig = plt.figure(figsize=(13, 10.5))
    grid = fig.add_gridspec(2, 3, height_ratios=[1.15, 1.0])
    _draw_test_period(result, fig.add_subplot(grid[0, :]), name)
    _draw_scatter(result, fig.add_subplot(grid[1, 0]))
    _draw_residuals(result, fig.add_subplot(grid[1, 1:]))
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out


def _test_rows(result: TrainingResult) -> pd.DataFrame:
    pred = result.predictions
    test = pred[pred["split"].to_numpy() == "test"]
    return test if len(test) else pred  # a run without a test split still gets a figure


def _draw_test_period(result: TrainingResult, ax, name: str | None = None) -> None:
    """Measured (solid) and predicted (dashed, another colour) over the test period, the
    interval band, and the level zones that fall near the data (a threshold far above the
    measured range is named in the margin instead of squashing the curves)."""
    lang, th = result.lang, result.thresholds
    test = bin_means(_test_rows(result)[["measured", "predicted", "lower", "upper"]])
    index = test.index
    level = number(100 * float(result.interval.get("level", 0.9)), lang, 0)
    ax.fill_between(
        index,
        test["lower"].to_numpy(),
        test["upper"].to_numpy(),
        color=COLORS["band"],
        alpha=0.35,
        lw=0,
        label=t("fig.interval", lang, level=level),
    )
    ax.plot(
        index, test["measured"], color=COLORS["measured"], lw=1.4, label=t("fig.measured", lang)
    )
    ax.plot(
        index,
        test["predicted"],
        color=COLORS["predicted"],
        lw=1.3,
        ls=(0, (4, 2)),
        label=t("fig.predicted", lang, model=result.chosen_model),
    )
    low = float(np.nanmin(test[["measured", "lower"]].to_numpy()))
    high = float(np.nanmax(test[["measured", "upper"]].to_numpy()))
    near = high + max(10.0, 0.25 * (high - low))  # thresholds beyond this are only named
    bottom = min(low, th.alerte_c) - 3
    top = max([high + 3] + [v + 3 for v in (th.alerte_c, th.critique_c) if v <= near])
    for start, end, key in (
        (bottom, th.alerte_c, "normal"),
        (th.alerte_c, th.critique_c, "alerte"),
        (th.critique_c, max(top, th.critique_c + 1), "critique"),
    ):
        ax.axhspan(start, end, color=COLORS[key], alpha=0.10, lw=0)
        if start >= top:
            continue
        ax.text(
            1.002,
            (max(start, bottom) + min(end, top)) / 2,
            t(f"level.{key}", lang),
            transform=ax.get_yaxis_transform(),
            color=COLORS[key],
            fontsize=8,
            va="center",
        )
    for value, key in ((th.alerte_c, "alerte"), (th.critique_c, "critique")):
        if value <= top:
            ax.axhline(value, color=COLORS[key], lw=0.8, ls=":")
        else:
            ax.annotate(
                f"{t(f'level.{key}', lang)} {number(value, lang)} °C ↑",
                xy=(1.002, 1.0 if key == "critique" else 0.94),
                xycoords="axes fraction",
                color=COLORS[key],
                fontsize=8,
                va="top",
            )
    ax.set_ylim(bottom, top)
    quantity = t(f"kind.{result.target_kind}", lang)
    title = name or Path(str(result.measurements.source)).name
    ax.set_title(t("fig.title", lang, name=title, quantity=quantity), fontsize=12)
    ax.set_ylabel(t("fig.temperature_axis", lang))
    # Outside the data, below the axes: the legend never hides a curve.
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.07), fontsize=9, ncol=3, frameon=False)
    ax.grid(alpha=0.3)


def _draw_scatter(result: TrainingResult, ax) -> None:
    lang = result.lang
    test = _test_rows(result)
    every = max(1, len(test) // MAX_SCATTER_POINTS)
    measured = test["measured"].to_numpy()[::every]
    predicted = test["predicted"].to_numpy()[::every]
    ax.scatter(measured, predicted, s=3, alpha=0.25, color=COLORS["predicted"], lw=0)
    low = float(np.nanmin([measured.min(), predicted.min()]))
    high = float(np.nanmax([measured.max(), predicted.max()]))
    ax.plot(
        [low, high], [low, high], color=COLORS["measured"], lw=1, label=t("fig.one_to_one", lang)
    )
    scores = result.models.get(result.chosen_model, {}).get("test", {})
    ax.text(
        0.04,
        0.96,
        t(
            "fig.scores",
            lang,
            r2=number(scores.get("r2"), lang, 3),
            rmse=number(scores.get("rmse"), lang, 2),
        ),
        transform=ax.transAxes,
        va="top",
        fontsize=9,
        bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85},
    )
    ax.set_title(t("fig.scatter_title", lang))
    ax.set_xlabel(t("fig.measured_axis", lang))
    ax.set_ylabel(t("fig.predicted_axis", lang))
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)


def _draw_residuals(result: TrainingResult, ax) -> None:
    lang = result.lang
    pred = result.predictions
    residual = (pred["measured"] - pred["predicted"]).rename("residual").to_frame()
    binned = bin_means(residual)
    width = (
        binned.index.to_series().diff().median() if len(binned) > 1 else result.measurements.step
    )
    ax.plot(
        binned.index,
        binned["residual"],
        color=COLORS["residual"],
        lw=0.5,
        alpha=0.8,
        label=t("fig.residual_points", lang, bin=_bin_label(width, lang)),
    )
    rolling = residual["residual"].rolling("7D", min_periods=1).mean()
    rolling = bin_means(rolling.to_frame())["residual"]
    ax.plot(
        rolling.index, rolling, color=COLORS["rolling"], lw=1.6, label=t("fig.rolling_mean", lang)
    )
    ax.axhline(0.0, color=COLORS["measured"], lw=0.8)
    # Split boundaries: the first timestamp of each split after the first.
    labels = pred["split"].to_numpy()
    changes = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    for position in changes:
        ax.axvline(pred.index[position], color="black", ls=":", lw=1)
        ax.text(
            pred.index[position],
            1.0,
            " " + t(f"split.{labels[position]}", lang),
            transform=ax.get_xaxis_transform(),
            fontsize=8,
            va="top",
        )
    ax.set_title(t("fig.residual_title", lang))
    ax.set_ylabel(t("fig.residual_axis", lang))
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    ax.tick_params(axis="x", labelrotation=20)
