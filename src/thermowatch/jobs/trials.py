"""Shadow and A/B trials of a challenger.

* **Shadow**: the challenger predicts alongside the champion on the live path for N days; its
  predictions are stored apart (``shadow_predictions``) with its model id, compared live with
  the champion's on the same instants, and never raise an alert.
* **A/B**: a fraction of the fleet, chosen by a stable hash of the transformer id (never by
  request: a transformer's alerts come from one model at a time), is served by its challenger
  (arm B); the rest keep their champion and run the challenger in shadow (arm A). The report is
  the difference of live error between the arms with a Welch confidence interval.
"""

from __future__ import annotations

import hashlib
import logging
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.errors import InputError, NotFoundError
from thermowatch.jobs.promotion import _audit, promote_now
from thermowatch.learn.accuracy import (
    live_errors,
    paired_rmse_difference,
    welch_difference,
)
from thermowatch.store._sql import finite_json
from thermowatch.store.engine import write_transaction
from thermowatch.store.models import ModelVersion, champion, get_model
from thermowatch.store.tables import ModelStatus
from thermowatch.store.trials import AB, SHADOW, add_trial, shadow_frame, trials

log = logging.getLogger(__name__)

MAX_DAYS = 365
#: Least span of paired samples before a shadow or A/B verdict [days] (a week of 10-min SCADA
#: data covers every weekday and several weather days).
MIN_TRIAL_DAYS = 7.0
#: Least number of paired samples before a verdict (a week hourly; 10-min data has 1,008).
MIN_TRIAL_SAMPLES = 168


def _utc(at: datetime | None) -> datetime:
    return at or datetime.now(UTC)


def _check_days(days: float) -> None:
    if not 0 < days <= MAX_DAYS:
        raise InputError(f"--days {days:g} must be more than 0 and at most {MAX_DAYS}.")


def _trialable(model: ModelVersion) -> None:
    if model.status == ModelStatus.CHAMPION.value:
        raise InputError(f"model {model.id} is the champion of {model.transformer_id}: it "
                         "already serves; shadow and A/B try a challenger.")  # fmt: skip


def start_shadow(engine: Any, model_id: str, days: float, by: str,
                 at: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """Run ``model_id`` in shadow of its transformer's champion for ``days`` (audited)."""
    _check_days(days)
    model = get_model(engine, model_id)
    _trialable(model)
    start = _utc(at)
    ends = start + timedelta(days=days)
    with write_transaction(engine) as conn:
        trial_id = add_trial(conn, model.transformer_id, model_id, SHADOW, start, ends, by)
    _audit(engine, by, "model.shadow_started", model, "ok",
           {"trial": trial_id, "days": days, "ends_at": ends.isoformat()})  # fmt: skip
    return {"trial": trial_id, "model_id": model_id, "transformer_id": model.transformer_id,
            "started_at": start.isoformat(), "ends_at": ends.isoformat()}  # fmt: skip


def _evidence(duration: timedelta, n: int, min_days: float, min_samples: int) -> str | None:
    """Why a trial's numbers are not yet a verdict (None when they are enough)."""
    days = duration / timedelta(days=1)
    if days >= min_days and n >= min_samples:
        return None
    return (f"{n} paired samples over {days:.2f} days; a verdict needs at least {min_samples} "
            f"samples over at least {min_days:g} days")  # fmt: skip


def compare(engine: Any, model_id: str, days: float = 7, at: datetime | None = None,
            against: str | None = None, min_days: float = MIN_TRIAL_DAYS,
            min_samples: int = MIN_TRIAL_SAMPLES) -> dict[str, Any]:  # fmt: skip
    """A model's shadow predictions against the served ones (the champion's, or ``against``'s)
    on the same instants over the last ``days``: RMSE of each [K], the challenger − champion
    difference (the effect size [K], and relative to the champion's RMSE) with a 95 %
    moving-block bootstrap interval, and ``n``. ``verdict``: ``better`` / ``worse`` when the
    interval excludes 0, else ``undecided``; ``insufficient_data`` (with its reason) until the
    pairs span ``min_days`` and number ``min_samples``. No NaN: a number not computed is null."""
    from thermowatch.store.predictions import predictions_frame
    from thermowatch.store.readings import readings_frame
    from thermowatch.store.transformers import get_transformer

    _check_days(days)
    model = get_model(engine, model_id)
    tid = model.transformer_id
    reference = get_model(engine, against) if against else champion(engine, tid)
    if reference is None or reference.id == model_id:
        raise InputError(f"{tid}: no other model to compare {model_id} with; name one (--against).")
    target = get_transformer(engine, tid).target_variable
    if not target:
        raise InputError(f"{tid}: no target_variable (measured temperature) configured.")
    end = _utc(at)
    start = end - timedelta(days=days)
    measured = readings_frame(engine, tid, start, end, [target], good_only=True)
    served = predictions_frame(engine, tid, start, end, model_id=reference.id)["value"]
    shadow = shadow_frame(engine, tid, model_id, start, end)["value"]
    if target in measured.columns:
        both = pd.concat({"m": measured[target], "c": served, "s": shadow}, axis=1).dropna()
    else:
        both = pd.DataFrame(columns=["m", "c", "s"])
    stats = paired_rmse_difference(
        (both["m"] - both["c"]).to_numpy(), (both["m"] - both["s"]).to_numpy()
    )
    duration = (both.index[-1] - both.index[0]).to_pytimedelta() if len(both) else timedelta(0)
    reason = _evidence(duration, len(both), min_days, min_samples)
    if reason is not None:
        verdict = "insufficient_data"
    elif stats["ci_high_k"] < 0:
        verdict = "better"
    elif stats["ci_low_k"] > 0:
        verdict = "worse"
    else:
        verdict = "undecided"
    champ = stats["champion_rmse_k"]
    relative = stats["difference_k"] / champ if champ and np.isfinite(champ) else float("nan")
    return finite_json({
        "model_id": model_id, "against": reference.id, "transformer_id": tid,
        "from": start.isoformat(), "to": end.isoformat(), "verdict": verdict, "reason": reason,
        **stats, "n": len(both), "duration_days": duration / timedelta(days=1),
        "relative_difference": relative, "min_days": min_days, "min_samples": min_samples,
    })  # fmt: skip


def ab_arm(experiment: str, transformer_id: str, fraction: float) -> str:
    """``"b"`` (served by the challenger) for a stable ``fraction`` of transformers, else
    ``"a"``: a hash of experiment and transformer, the same on every machine and every call."""
    digest = hashlib.sha256(f"{experiment}\0{transformer_id}".encode()).digest()
    return "b" if int.from_bytes(digest[:8], "big") / 2**64 < fraction else "a"


def start_ab(engine: Any, experiment: str, model_ids: Sequence[str], fraction: float,
             days: float, by: str, at: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """Start an A/B experiment over challengers of different transformers (audited): arm B's
    challengers are promoted (they serve and alert), arm A's run in shadow."""
    _check_days(days)
    if not 0 < fraction < 1:
        raise InputError(f"--fraction {fraction:g} must be between 0 and 1 (exclusive).")
    if not experiment.strip() or len(experiment) > 100:
        raise InputError("--experiment must be a name of 1 to 100 characters.")
    if trials(engine, experiment=experiment):
        raise InputError(f"experiment {experiment!r} exists already; choose another name.")
    models = [get_model(engine, m) for m in model_ids]
    if len(models) < 2:
        raise InputError("an A/B experiment needs challengers of at least 2 transformers.")
    seen: set[str] = set()
    for m in models:
        _trialable(m)
        if m.transformer_id in seen:
            raise InputError(f"two challengers of {m.transformer_id}: one per transformer.")
        seen.add(m.transformer_id)
    start = _utc(at)
    ends = start + timedelta(days=days)
    arms = {m.transformer_id: ab_arm(experiment, m.transformer_id, fraction) for m in models}
    with write_transaction(engine) as conn:
        for m in models:
            add_trial(conn, m.transformer_id, m.id, AB, start, ends, by, experiment,
                      arms[m.transformer_id])  # fmt: skip
    for m in models:
        if arms[m.transformer_id] == "b":
            promote_now(engine, m, by, "model.ab_assigned",
                        {"experiment": experiment, "arm": "b", "fraction": fraction})  # fmt: skip
    return {"experiment": experiment, "fraction": fraction, "started_at": start.isoformat(),
            "ends_at": ends.isoformat(), "arms": arms}  # fmt: skip


def ab_report(engine: Any, experiment: str, at: datetime | None = None,
              min_days: float = MIN_TRIAL_DAYS, min_samples: int = MIN_TRIAL_SAMPLES
              ) -> dict[str, Any]:  # fmt: skip
    """Live RMSE [K] of the model serving each transformer since the experiment started (arm
    A: its champion, the challenger in shadow; arm B: the challenger), and mean(B) − mean(A)
    with a 95 % Welch interval (negative: the challengers do better) and the number of
    transformers per arm. A transformer counts once its pairs span ``min_days`` and number
    ``min_samples``; until both arms have 2 that do, the verdict is ``insufficient_data``."""
    from thermowatch.store.predictions import predictions_frame
    from thermowatch.store.readings import readings_frame
    from thermowatch.store.transformers import get_transformer

    found = trials(engine, experiment=experiment)
    if not found:
        raise NotFoundError(f"no A/B experiment named {experiment!r}.")
    end = min(_utc(at), max(t.ends_at for t in found))
    rows: dict[str, dict[str, Any]] = {}
    for t in found:
        target = get_transformer(engine, t.transformer_id).target_variable or ""
        measured = readings_frame(engine, t.transformer_id, t.started_at, end, [target] if target
                                  else None, good_only=True)  # fmt: skip
        served = predictions_frame(engine, t.transformer_id, t.started_at, end)
        # Arm B is served by the challenger; arm A by whatever else served (its champion). The
        # live path stores the artifact's id, which names the directory the registry points to.
        ids = {t.model_id, Path(get_model(engine, t.model_id).artifact_path).name}
        mine = served["model_id"].isin(ids)
        served = served[mine if t.arm == "b" else ~mine]
        serving = sorted(set(served["model_id"]))
        err: dict[str, float] = {"n": 0}
        span = timedelta(0)
        if target in measured.columns and end > t.started_at:
            err = live_errors(measured[target], served["value"], pd.Timestamp(end),
                              {"trial": pd.Timedelta(end - t.started_at)})["trial"]  # fmt: skip
            pairs = served.index[served.index.isin(measured[target].dropna().index)]
            span = (pairs.max() - pairs.min()).to_pytimedelta() if len(pairs) else span
        reason = _evidence(span, int(err.get("n", 0)), min_days, min_samples)
        rows[t.transformer_id] = {
            "arm": t.arm, "challenger_id": t.model_id,
            "serving_model_id": serving[0] if len(serving) == 1 else serving,
            "live_rmse_k": err.get("rmse") if reason is None else None,
            "n": int(err.get("n", 0)), "reason": reason,
        }  # fmt: skip
    scored = [r for r in rows.values() if r["live_rmse_k"] is not None]
    stats = welch_difference(
        [r["live_rmse_k"] for r in scored if r["arm"] == "a"],
        [r["live_rmse_k"] for r in scored if r["arm"] == "b"],
    )
    lo, hi = stats["ci_low"], stats["ci_high"]
    verdict = ("insufficient_data" if not np.isfinite(lo) else
               "b_better" if hi < 0 else "b_worse" if lo > 0 else "undecided")  # fmt: skip
    reason = None if verdict != "insufficient_data" else (
        f"{int(stats['n_a'])} transformer(s) in arm A and {int(stats['n_b'])} in arm B have "
        f"{min_samples} samples over {min_days:g} days; a verdict needs 2 in each")  # fmt: skip
    return finite_json({"experiment": experiment, "to": end.isoformat(), "verdict": verdict,
                        "reason": reason, "difference_rmse_k": stats, "transformers": rows,
                        "min_days": min_days, "min_samples": min_samples})  # fmt: skip


class ShadowRunner:
    """The live path's shadow predictions for one pipeline: which models are in shadow (asked
    of the store every :attr:`REFRESH`), a nowcaster per (transformer, model) with the history
    its filters need, and the rows written after each prepared batch. Never raises."""

    REFRESH = timedelta(seconds=60)

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._active: dict[str, list[str]] = {}
        self._checked: datetime | None = None
        self._states: dict[tuple[str, str], Any] = {}

    def _refresh(self, now: datetime) -> None:
        from thermowatch.store.trials import shadowed_transformers

        if self._checked is None or now - self._checked >= self.REFRESH:
            self._active, self._checked = shadowed_transformers(self.engine, now), now
            live = {(t, m) for t, ms in self._active.items() for m in ms}
            self._states = {k: v for k, v in self._states.items() if k in live}

    def _state(self, tid: str, model_id: str, ts: datetime) -> Any:
        from thermowatch.live.champion import load_verified, nowcaster
        from thermowatch.store.readings import readings_frame

        key = (tid, model_id)
        if key not in self._states:
            model = get_model(self.engine, model_id)
            predictor = load_verified(model.artifact_path, model.sha256)
            minutes = float(predictor.metadata.get("history_minutes", 1440.0) or 0)
            history = readings_frame(self.engine, tid, ts - timedelta(minutes=minutes), ts,
                                     good_only=True)  # fmt: skip
            self._states[key] = nowcaster(predictor, history)
        return self._states[key]

    def after_prepare(self, batch: dict[str, list[list[Any]]], now: datetime) -> int:
        """Predict every GOOD snapshot of ``batch`` of a transformer in shadow; return the
        number of shadow predictions stored."""
        from thermowatch.live.validate import GOOD, QUALITY_CODE
        from thermowatch.store.trials import write_shadow_predictions
        from thermowatch.store.types import from_micros

        try:
            self._refresh(now)
            if not self._active:
                return 0
            good: dict[tuple[str, int], dict[str, float]] = {}
            for tid, us, var, value, quality, _source in batch.get("readings", ()):
                if tid in self._active and quality == QUALITY_CODE[GOOD]:
                    good.setdefault((tid, us), {})[var] = float(value)
            rows = []
            for (tid, us), values in sorted(good.items(), key=lambda kv: kv[0][1]):
                ts = from_micros(us)
                for model_id in self._active[tid]:
                    try:
                        est = self._state(tid, model_id, ts).step(ts, values)
                    except InputError as exc:
                        log.debug("shadow %s/%s at %s: %s", tid, model_id, ts, exc)
                        continue
                    if np.isfinite(est.predicted_c):
                        rows.append({"transformer_id": tid, "ts": ts, "model_id": model_id,
                                     "value": est.predicted_c, "lower": est.lower_c,
                                     "upper": est.upper_c})  # fmt: skip
            write_shadow_predictions(self.engine, rows)
            return len(rows)
        except Exception:  # a shadow model must never cost the live path a reading or an alert
            log.exception("shadow predictions failed; the served predictions are unaffected")
            return 0


_RUNNERS: weakref.WeakKeyDictionary[Any, ShadowRunner] = weakref.WeakKeyDictionary()


def predict_in_shadow(pipeline: Any, batch: dict[str, list[list[Any]]], now: datetime) -> int:
    """The live pipeline's one call (end of ``prepare``): shadow predictions of its batch."""
    runner = _RUNNERS.get(pipeline)
    if runner is None:
        runner = _RUNNERS[pipeline] = ShadowRunner(pipeline.engine)
    return runner.after_prepare(batch, now)
