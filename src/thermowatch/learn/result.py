"""What a training run produces: the contract between ``learn`` (fits) and ``report`` (explains)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from thermowatch.data import Measurements
from thermowatch.learn.levels import level_of, levels

TargetKind = Literal["winding", "oil", "other"]
Metrics = dict[
    str, float
]  # rmse, mae, r2, max_error, bias [K or -]; coverage [0..1] if an interval


@dataclass(frozen=True)
class Thresholds:
    """Alert thresholds on the target [°C]: below ``alerte`` is NORMAL, from ``critique`` CRITIQUE.

    ``rule`` says where they come from (``"config"``, ``"cli"`` or ``"data"``) and ``explanation``
    how they were derived, for the report.
    """

    alerte_c: float
    critique_c: float
    rule: str
    explanation: str = ""

    def level(self, value_c: float) -> str:
        """NORMAL, ALERTE or CRITIQUE for a temperature [°C] (:func:`.levels.level_of`).

        Parameters
        ----------
        value_c : float
            A temperature [°C].

        Returns
        -------
        str
        """
        return level_of(value_c, self.alerte_c, self.critique_c).name

    def levels(self, values_c: Any) -> Any:
        """Level names of an array of temperatures [°C] (:func:`.levels.levels`).

        Parameters
        ----------
        values_c : array_like
            Temperatures [°C].

        Returns
        -------
        numpy.ndarray
        """
        return levels(values_c, self.alerte_c, self.critique_c)


@dataclass
class TrainingResult:
    """Everything the report needs about one training run.

    Attributes
    ----------
    measurements
        The cleaned data (frame, target, column roles, cleaning report, source, step).
    target_kind
        ``"winding"`` (winding / hot-spot temperature), ``"oil"`` (top-oil) or ``"other"``.
    split
        Chronological split: ``{"train": {"start", "end", "rows"}, "validation": {...},
        "test": {...}}`` with ISO timestamps and row counts.
    models
        Per model name (``baseline-linear``, ``thermal-monotone``, ``nowcast-ridge``,
        ``persistence``, ``gradient-boosting``), per split (``validation``, ``test``):
        :data:`Metrics`. Exactly what ``metrics.json`` holds under ``"models"``.
    chosen_model
        Name of the model saved in the artifact (the normal-behaviour model).
    predictions
        Over every cleaned row, index = timestamps (UTC): ``measured``, ``predicted`` (chosen
        model), ``lower``, ``upper`` (prediction interval), ``baseline`` (baseline-linear),
        ``split`` ("train" / "validation" / "test").
    interval
        ``{"level": 0.9, "half_width_k": float, "coverage_test": float}``.
    coefficients
        Standardised coefficients of the chosen linear model, largest magnitude first:
        ``[(feature_label, coefficient_k_per_std), ...]`` (K per standard deviation).
    drivers
        Human labels of the main measured drivers, derived from ``coefficients``:
        ``[(column name or physical feature label, share of explained variance 0..1), ...]``.
    error_by_season, error_by_load_band
        Test-period metrics per season (``winter``…) and per load band (``<0.5 pu``…).
    cross_validation
        Rolling-origin folds of the chosen model: ``[{"fold": i, "train_end": iso, "test_end":
        iso, "rmse", "mae", "r2", "max_error", "bias", "n", "baseline_rmse"}]``.
    thresholds
        The alert thresholds used.
    load_pu
        Load [per unit] per row when a current (with a rating) or load column exists, else None.
    rated_current_a
        The rating used for ``load_pu`` [A] (given or estimated), else None.
    hot_spot_c
        Hot-spot estimate per row [°C] for ageing (the measured winding temperature when the
        target is a winding/hot-spot sensor; else the IEC 60076-7 estimate when possible), or None.
    artifact_dir
        Where the model artifact was written, once it is.
    timings
        Seconds per step, for the report's footer.
    lang
        ``"fr"`` or ``"en"``.
    roles
        Per role (``normal``, ``nowcast``, ``forecast``): the chosen model, the runner-up,
        the validation scores and the reason, as :class:`thermowatch.learn.selection.Choice`
        writes them.
    selection_rule
        The written rule (``{"fr": ..., "en": ...}``).
    importances_k
        Grouped permutation importance of the normal-behaviour model on validation: RMSE
        increase [K] when one input's features are shuffled, largest first.
    treated_as_load
        Columns the features treat as loads (their square drives the losses), named or not.
    forecast
        Forecast scores: ``horizon_steps``, ``step_minutes``, ``spread_k`` (training standard
        deviation), ``models`` → name → ``validation``/``test`` → ``mse`` (standardised, over
        every horizon), ``mse_by_step``, ``rmse_k_by_step``; ``chosen``; ``interval_steps`` and
        ``coverage_test_by_step`` of the served forecast's intervals.
    """

    measurements: Measurements
    target_kind: TargetKind
    split: dict[str, dict[str, Any]]
    models: dict[str, dict[str, Metrics]]
    chosen_model: str
    predictions: pd.DataFrame
    interval: dict[str, Any]
    coefficients: list[tuple[str, float]]
    drivers: list[tuple[str, float]]
    error_by_season: dict[str, Metrics]
    error_by_load_band: dict[str, Metrics]
    cross_validation: list[dict[str, Any]]
    thresholds: Thresholds
    load_pu: pd.Series | None = None
    rated_current_a: float | None = None
    hot_spot_c: pd.Series | None = None
    artifact_dir: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    lang: str = "fr"
    #: IANA zone of the site: the report quotes times in it as well as in UTC.
    site_zone: str = "Europe/Paris"
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    selection_rule: dict[str, str] = field(default_factory=dict)
    importances_k: list[tuple[str, float]] = field(default_factory=list)
    treated_as_load: list[str] = field(default_factory=list)
    forecast: dict[str, Any] = field(default_factory=dict)
