"""What the lifecycle needs of every registered model, however it was registered.

Accuracy needs the validation error, drift needs the training-data window (its reference period)
and the input ranges, the 90-day clock needs the end of the training data. ``train
--transformer``, ``model register``, a retrained challenger and a restored backup all go through
:func:`registered_metrics` (at registration) or :func:`lifecycle_facts` (a row registered by an
older version, completed from its artifact the first time a job needs it): one home.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from thermowatch.errors import InputError
from thermowatch.store.models import ModelVersion, update_metrics

#: Keys of the registered metrics the lifecycle reads.
REQUIRED = ("validation", "test", "training_window")


@dataclass(frozen=True)
class LifecycleFacts:
    """A registered model's numbers the lifecycle jobs read."""

    validation_rmse: float  # [K]
    validation_bias: float  # [K]
    train_start: datetime
    train_end: datetime  # last row of the data the model was built from (UTC)
    input_ranges: dict[str, dict[str, float]]  # variable -> {"min", "max", "n"}


def _finite_block(block: Any) -> dict[str, float] | None:
    if not isinstance(block, Mapping):
        return None
    rmse = block.get("rmse")
    if not isinstance(rmse, int | float) or not np.isfinite(rmse):
        return None
    return {k: float(v) for k, v in block.items()
            if isinstance(v, int | float) and np.isfinite(v)}  # fmt: skip


def input_ranges(frame: pd.DataFrame, target: str | None) -> dict[str, dict[str, float]]:
    """Min, max [variable's unit] and count of every input column of ``frame`` (not the target)."""
    out = {}
    for name in frame.columns:
        if name == target or not pd.api.types.is_numeric_dtype(frame[name]):
            continue
        values = frame[name].to_numpy(dtype=np.float64)
        values = values[np.isfinite(values)]
        if values.size:
            out[str(name)] = {"min": float(values.min()), "max": float(values.max()),
                              "n": float(values.size)}  # fmt: skip
    return out


def registered_metrics(meta: Mapping[str, Any], frame: pd.DataFrame | None = None
                       ) -> dict[str, Any]:  # fmt: skip
    """The metrics a model is registered with, from its artifact's ``metadata.json``.

    Validation and test errors of the chosen model, the training-data window (``split`` of the
    metadata) and the input ranges (the artifact's own ``domain`` when it has one, else those of
    ``frame``, the training data, when the caller has it).

    Raises
    ------
    InputError
        When the artifact lacks the validation or test error or the training-data window: one
        sentence naming the model and what is missing.
    """
    model_id = meta.get("model_id", "?")
    chosen = meta.get("model_name")
    block = (meta.get("metrics") or {}).get(chosen) or {}
    validation, test = _finite_block(block.get("validation")), _finite_block(block.get("test"))
    split = meta.get("split") or {}
    start = (split.get("train") or {}).get("start")
    ends = [(split.get(p) or {}).get("end") for p in ("test", "validation", "train")]
    end = next((e for e in ends if e), None)
    missing = [name for name, value in (("validation error", validation), ("test error", test),
                                        ("training-data window", start and end)) if not value]  # fmt: skip
    if missing:
        raise InputError(
            f"model {model_id}: its metadata.json has no {' and no '.join(missing)} of the "
            f"chosen model {chosen!r}; retrain it with `thermowatch train` so that accuracy and "
            "drift checks can run."
        )
    out: dict[str, Any] = {
        "model_name": chosen, "validation": validation, "test": test,
        "training_window": {"start": start, "end": end},
    }  # fmt: skip
    ranges = _artifact_ranges(meta)
    if ranges:
        out["input_ranges"], out["input_ranges_source"] = ranges, "artifact"
    elif frame is not None:
        out["input_ranges"] = input_ranges(frame, meta.get("target"))
        out["input_ranges_source"] = "training data"
    return out


def _artifact_ranges(meta: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Input ranges of the artifact's domain of validity, when the training wrote one."""
    domain = meta.get("domain") or meta.get("input_ranges") or {}
    inputs = domain.get("inputs", domain) if isinstance(domain, Mapping) else {}
    out = {}
    for name, r in (inputs or {}).items():
        if isinstance(r, Mapping) and {"min", "max"} <= set(r):
            lo, hi = r["min"], r["max"]
            if isinstance(lo, int | float) and isinstance(hi, int | float):
                out[str(name)] = {"min": float(lo), "max": float(hi), "n": float(r.get("n", 0))}
    return out


def _read_metadata(model: ModelVersion) -> dict[str, Any]:
    """The artifact's metadata, checked against its SHA-256 sums first."""
    from thermowatch.learn.artifact import verify_model

    try:
        return verify_model(model.artifact_path)
    except InputError as exc:
        raise InputError(
            f"model {model.id}: registered without a validation error or training-data window, "
            f"and its artifact cannot complete them ({exc})"
        ) from exc


def _timestamp(text: Any) -> datetime:
    ts = pd.Timestamp(text)
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).to_pydatetime()


def training_window(metrics: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """(first, last) instant of a model's training data, UTC, from its registered metrics."""
    window = metrics["training_window"]
    return _timestamp(window["start"]), _timestamp(window["end"])


def lifecycle_facts(engine: Engine, model: ModelVersion) -> LifecycleFacts:
    """The lifecycle's numbers of a registered model; a row registered without them (an older
    version, a restored backup) is completed from its artifact and updated in the store.

    Raises
    ------
    InputError
        When neither the registered metrics nor the artifact have them (the job turns it into
        an ``insufficient_data`` verdict with this sentence as its reason).
    """
    metrics = dict(model.metrics or {})
    if not all(metrics.get(k) for k in REQUIRED):
        completed = registered_metrics(_read_metadata(model))
        metrics = {**completed, **{k: v for k, v in metrics.items() if v}}
        for key in REQUIRED:  # the artifact's numbers win where the row had none
            metrics[key] = metrics.get(key) or completed[key]
        update_metrics(engine, model.id, metrics)
    validation = metrics["validation"]
    return LifecycleFacts(
        float(validation["rmse"]), float(validation.get("bias", 0.0) or 0.0),
        *training_window(metrics), dict(metrics.get("input_ranges") or {}),
    )  # fmt: skip


def ranges_from_store(engine: Engine, transformer_id: str, start: datetime, end: datetime,
                      target: str | None) -> dict[str, dict[str, float]]:  # fmt: skip
    """Input ranges of the GOOD readings stored for the training-data window (a model
    registered after its history was imported)."""
    from thermowatch.store.readings import readings_frame

    frame = readings_frame(engine, transformer_id, start, end + timedelta(microseconds=1),
                           good_only=True)  # fmt: skip
    return input_ranges(frame, target)
