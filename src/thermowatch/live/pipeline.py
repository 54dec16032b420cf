"""The one live pipeline: validate -> predict -> level -> store (one transaction) -> alert hook.

``POST /v1/readings`` and the ``monitor`` daemon both hand their snapshots to
:meth:`Pipeline.process` (the monitor splits it into :meth:`~Pipeline.prepare`, its
spool-aware store and :meth:`~Pipeline.emit`), so a reading meets the same fate whichever way
it came:

1. **validate** every value of every snapshot (:mod:`.validate`): GOOD, SUSPECT (stored with
   its reason, never predicted on) or REJECTED (only the refusal is stored); a timestamp out of
   bounds refuses the whole snapshot;
2. **predict** with the transformer's champion through one adapter
   (:func:`thermowatch.live.champion.nowcaster`), or the IEC 60076-7 model from its spec when
   it has no champion yet; the nowcaster keeps the history its thermal-inertia filters need;
   then a **forecast** over the horizon (:func:`thermowatch.live.nowcast.physics_forecast`);
   a prediction is a finite number inside the target's physical range or the event says why
   there is none;
3. **level** of the measured, predicted and forecast temperatures
   (:mod:`thermowatch.learn.levels`) and the transformer's **state** (thresholds in force, the
   worse level and which, the earliest future forecast crossing: :meth:`PredictionEvent.state_row`);
4. **store** readings, predictions, forecasts, reading issues and states in one transaction
   (:func:`thermowatch.store.live.write_live_batch`);
5. one :class:`PredictionEvent` per snapshot, in time order, to the one alert hook.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from prometheus_client import Counter

from thermowatch.data import quantities as q
from thermowatch.errors import InputError
from thermowatch.learn.levels import Level, level_of, rank, worst_of
from thermowatch.learn.result import Thresholds
from thermowatch.live import validate as v
from thermowatch.live.forecast import (
    FORECAST_HORIZON,
    LEARNED,
    PHYSICS,
    TemperatureForecast,
    forecast_temperature,
)
from thermowatch.live.nowcast import (
    IecEstimator,
    is_oil,
    physics_forecast,
    physics_forecasts,
    step_fleet,
)
from thermowatch.store.types import to_micros
from thermowatch.thermal import TransformerSpec

log = logging.getLogger("thermowatch.live")
_EPS = timedelta(microseconds=1)
#: Verdict of a snapshot whose predict/forecast step failed (its readings are kept as validated).
FAILED = "FAILED"
#: Warning of a snapshot older than the newest one this pipeline fed (predicted from the
#: readings before it; it never replaces the newer state).
LATE = "late reading: predicted from the readings before it"
FAILURES = Counter(
    "thermowatch_live_failures_total",
    "Snapshots whose prediction failed; caught at their transformer, stored as a FAILED issue",
)
ISSUES = Counter("thermowatch_live_values_total", "Live values by verdict", ["verdict"])

#: The alert hook: one call per event; what it returns is the caller's business.
AlertHook = Callable[["PredictionEvent"], Any]


@dataclass(frozen=True)
class Snapshot:
    """Values of one transformer at one instant, as a source delivered them (not yet checked).

    ``values`` maps variable names to what was received (numbers, or garbage to refuse);
    ``quality`` the source's own verdict on some of them, ``variable -> (SUSPECT | REJECTED,
    reason)`` (an OPC UA status, a Modbus exception), applied before our own checks.
    """

    transformer_id: str
    ts: datetime
    values: Mapping[str, Any]
    source: str
    quality: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    """What the pipeline needs to know about one transformer.

    Attributes
    ----------
    target : the measured temperature variable (``None``: none measured).
    thresholds : ALERTE / CRITIQUE [°C] of the target.
    predictor : the loaded champion (``None``: predicted by the IEC model from ``spec``).
    spec : IEC 60076-7 spec; with ``load`` and ``ambient`` it enables the physics forecast.
    residual_sigma_k : σ of the normal-behaviour residual [K] for the anomaly rule.
    """

    transformer_id: str
    target: str | None
    thresholds: Thresholds
    predictor: Any = None
    spec: TransformerSpec | None = None
    load: str | None = None
    ambient: str | None = None
    residual_sigma_k: float | None = None
    history: Any = None  # wide frame of stored readings to start the nowcaster from


#: ``shadow(pipeline, batch, now)``: the trials' hook at the end of :meth:`Pipeline.prepare`.
ShadowHook = Callable[[Any, dict[str, list[list[Any]]], datetime], Any]
#: The columns of a forecast frame, in the order the pipeline reads them.
FORECAST_COLUMNS = ("predicted", "lower", "upper")


@dataclass(frozen=True)
class LiveSettings:
    """Knobs of the pipeline (``[monitor]`` and ``[service]`` settings feed them)."""

    max_future_skew: timedelta = v.DEFAULT_MAX_FUTURE_SKEW
    stale_periods: int = 5
    frozen_after: timedelta = timedelta(minutes=30)  # data time a frozen sensor must last
    forecast_horizon_min: float = FORECAST_HORIZON / timedelta(minutes=1)  # the pages' 24 h
    forecast_step_min: float = 15.0
    physics_sigma_k: float = 2.0  # σ of the IEC model's residual when no model says [K]
    learned_forecast: bool = True  # the champion's forecast when it has one (else physics)


@dataclass
class PredictionEvent:
    """One snapshot after the pipeline: what the alert hook, the API and ``status`` see.

    Temperatures in [°C]; ``forecast`` is ``((instant, value), ...)``; ``reason`` says why there
    is no prediction when ``predicted_c`` is ``None``.
    """

    transformer_id: str
    ts: datetime
    thresholds: Thresholds
    predicted_c: float | None = None
    lower_c: float | None = None
    upper_c: float | None = None
    model_id: str | None = None
    basis: str | None = None
    measured_c: float | None = None
    residual_sigma_k: float | None = None
    forecast: tuple[tuple[datetime, float], ...] = ()
    forecast_bounds: tuple[tuple[float, float], ...] = ()  # (lower, upper) of each point
    forecast_source: str | None = None  # "learned" (the champion's) or "physics"
    forecast_model_id: str | None = None
    forecast_note: str | None = None  # why the physics stood in for the champion's forecast
    extrapolating: bool = False  # the prediction is outside the model's domain of validity
    warnings: list[str] = field(default_factory=list)
    reason: str | None = None
    issues: list[v.Verdict] = field(default_factory=list)

    @property
    def level(self) -> str | None:
        """Level of the prediction (``None`` without one)."""
        return None if self.predicted_c is None else self._level(self.predicted_c).name

    @property
    def measured_level(self) -> str | None:
        return None if self.measured_c is None else self._level(self.measured_c).name

    @property
    def residual_k(self) -> float | None:
        """Measured minus predicted [K]: a cooling problem shows here first."""
        if self.measured_c is None or self.predicted_c is None:
            return None
        return self.measured_c - self.predicted_c

    @property
    def forecast_peak(self) -> tuple[datetime, float] | None:
        """The hottest forecast point."""
        return max(self.forecast, key=lambda p: p[1]) if self.forecast else None

    def crossing(self, level: Level) -> datetime | None:
        """First instant after ``ts`` the forecast reaches ``level`` (linear between points),
        else ``None``: a crossing always names a future time."""
        limit = self.thresholds.alerte_c if level == Level.ALERTE else self.thresholds.critique_c
        prev_t, prev_v = self.ts, self.predicted_c if self.predicted_c is not None else -math.inf
        for t, value in self.forecast:
            if t <= self.ts:  # a point of a cached forecast made before this reading
                continue
            if value >= limit:
                if not math.isfinite(prev_v) or prev_v >= limit or value == prev_v:
                    return t
                return prev_t + (t - prev_t) * ((limit - prev_v) / (value - prev_v))
            prev_t, prev_v = t, value
        return None

    def crossing_window(self, level: Level) -> tuple[datetime | None, datetime | None]:
        """``(earliest, latest)``: first forecast instants whose upper / lower bound reaches
        ``level`` (``None``: not within the horizon)."""
        limit = self.thresholds.alerte_c if level == Level.ALERTE else self.thresholds.critique_c
        first = lambda k: next(  # noqa: E731
            (t for (t, _), b in zip(self.forecast, self.forecast_bounds, strict=True)
             if b[k] >= limit), None,
        )  # fmt: skip
        return first(1), first(0)

    @property
    def worst(self) -> tuple[str, str]:
        """``(level, which)``: the worse of the measured and predicted levels and which it is
        (:func:`~thermowatch.learn.levels.worst_of`)."""
        return worst_of(self.measured_level, self.level)

    def next_crossing(self) -> tuple[str, datetime] | None:
        """``(level, instant)``: the earliest future instant the forecast enters a level above
        the one the transformer is at now (``None``: none within the horizon)."""
        now = self.worst[0]
        ahead = [(lv, self.crossing(lv)) for lv in Level if lv > Level.NORMAL and rank(now) < lv]
        found = [(at, -int(lv), lv.name) for lv, at in ahead if at is not None]
        if not found:
            return None
        at, _, name = min(found)
        return name, at

    def state_row(self) -> list[Any]:
        """The transformer's state after this event, a row of
        :data:`thermowatch.store.state.STATE_COLUMNS` (times as microseconds)."""
        level, source = self.worst
        crossing = self.next_crossing()
        th = self.thresholds
        return [
            self.transformer_id, to_micros(self.ts), th.alerte_c, th.critique_c, th.rule,
            self.measured_c, self.measured_level, self.predicted_c, self.level, level, source,
            crossing[0] if crossing else None, to_micros(crossing[1]) if crossing else None,
            self.forecast_source, self.model_id, self.extrapolating,
        ]  # fmt: skip

    def _level(self, value_c: float) -> Level:
        return level_of(value_c, self.thresholds.alerte_c, self.thresholds.critique_c)


@dataclass
class _State:
    profile: Profile
    nowcaster: Any
    physics: IecEstimator | None
    stale: v.StaleTracker
    fed_until: datetime | None = None  # newest instant this process fed the nowcaster
    learned: TemperatureForecast | None = None  # the last learned forecast, until refreshed
    learned_at: pd.Timestamp | None = None  # the instant it was made from
    target_kind: str = q.WINDING_TEMPERATURE  # the quantity the prediction must be
    forecast_stored_at: datetime | None = None  # the instant of the last forecast stored
    forecast_stored_key: tuple[str | None, str | None] = (None, None)  # its source, model


def _rows() -> dict[str, list[list[Any]]]:
    """An empty batch: rows per table."""
    return {"readings": [], "predictions": [], "forecasts": [], "issues": [], "states": []}


@dataclass
class _Work:
    """One snapshot on its way through :meth:`Pipeline.prepare`; its rows kept apart, so that
    a failure at any stage drops only its own."""

    snap: Snapshot
    rows: dict[str, list[list[Any]]] = field(default_factory=_rows)
    st: _State | None = None
    event: PredictionEvent | None = None
    good: dict[str, float] = field(default_factory=dict)
    physics: Any = None  # this snapshot's IEC step (an Estimate, or the error that refused it)
    physics_forecast: bool = False  # its forecast is the physics', made for the whole wave
    failed: bool = False


def _waves(works: list[_Work]) -> list[list[_Work]]:
    """The k-th snapshot of every transformer in wave k: each wave holds a transformer once,
    so its physics steps as one array, and a transformer's snapshots keep their order."""
    waves: list[list[_Work]] = []
    seen: dict[str, int] = {}
    for w in works:
        k = seen[w.snap.transformer_id] = seen.get(w.snap.transformer_id, -1) + 1
        if k == len(waves):
            waves.append([])
        waves[k].append(w)
    return waves


def _each(fleet: Callable[[list[Any]], list[Any]], items: list[Any]) -> list[Any]:
    """``fleet(items)``: one result per item, computed as one array; when the array fails,
    item by item, so that a failure is only its own transformer's (the exception in its
    place)."""
    try:
        return fleet(items)
    except Exception as exc:
        if len(items) < 2:
            return [exc] * len(items)
    made: list[Any] = []
    for item in items:
        try:
            made.extend(fleet([item]))
        except Exception as exc:
            made.append(exc)
    return made


@functools.cache
def _offsets(step_min: float, n: int) -> tuple[timedelta, ...]:
    """The instants of a forecast after its start (built once, not per reading)."""
    return tuple(timedelta(minutes=step_min * (i + 1)) for i in range(n))


class Pipeline:
    """The live pipeline of a set of transformers (one per process; thread-safe per call).

    Parameters
    ----------
    engine : the store (migrated).
    profile_of : ``transformer_id -> Profile`` (``None``: unknown transformer); asked once per
        transformer, again after :meth:`forget`.
    hook : the alert hook, given the events of each stored batch in time order.
    shadow : ``shadow(pipeline, batch, now)`` at the end of :meth:`prepare`: challengers'
        predictions, stored apart and never alerting
        (:func:`thermowatch.jobs.trials.predict_in_shadow`; ``None``: no trials run here).
    settings : :class:`LiveSettings`.
    shared_store : other processes write the same transformers' readings (service workers):
        before a batch, a transformer whose newest stored reading is not the newest this
        process fed restarts its nowcaster from the store's history, so every worker predicts
        from the same history. The monitor owns its transformers and skips the check.
    """

    def __init__(
        self,
        engine: Any,
        profile_of: Callable[[str], Profile | None],
        hook: AlertHook | None = None,
        settings: LiveSettings | None = None,
        shared_store: bool = False,
        shadow: ShadowHook | None = None,
    ) -> None:
        self.engine = engine
        self.shadow = shadow
        self.profile_of = profile_of
        self.hook = hook
        self.settings = settings or LiveSettings()
        self.shared_store = shared_store
        self._states: dict[str, _State] = {}

    # ------------------------------------------------------------------ state per transformer
    def forget(self, transformer_id: str) -> None:
        """Drop what is known of a transformer (its champion changed): rebuilt on next use."""
        self._states.pop(transformer_id, None)

    def follow_champion(self, transformer_id: str, predictor: Any) -> None:
        """Start over from ``predictor`` when it is not the one this pipeline predicts with
        (a new champion was promoted or hot-reloaded)."""
        st = self._states.get(transformer_id)
        if st is not None and predictor is not None and st.profile.predictor is not predictor:
            self.forget(transformer_id)

    def state(self, transformer_id: str) -> _State:
        st = self._states.get(transformer_id)
        if st is None:
            profile = self.profile_of(transformer_id)
            if profile is None:
                raise InputError(f"transformer {transformer_id!r} is unknown to the live pipeline")
            st = self._states[transformer_id] = self._new_state(profile)
        return st

    def _new_state(self, p: Profile, history: Any = None) -> _State:
        from thermowatch.live.champion import nowcaster

        history = p.history if history is None else history
        physics = None
        if p.spec is not None and p.load and p.ambient:
            physics = IecEstimator(p.spec, p.target or "", p.load, p.ambient)
            if history is not None and len(history):
                physics.warm_up(history)
        if p.predictor is not None:
            now = nowcaster(p.predictor, history)
        elif physics is not None:
            now = physics  # the physics is the nowcaster: one state, stepped once
        else:
            raise InputError(
                f"transformer {p.transformer_id!r}: no champion model and no thermal spec to "
                "predict with"
            )
        kind = q.TOP_OIL_TEMPERATURE if is_oil(p.target or "") else q.WINDING_TEMPERATURE
        return _State(
            p,
            now,
            physics,
            v.StaleTracker(self.settings.stale_periods, self.settings.frozen_after),
            None,
            kind,
        )

    def history_minutes(self, p: Profile) -> float:
        """How much history the nowcaster needs [min]."""
        if p.predictor is not None:
            return float(p.predictor.metadata.get("history_minutes", 1440.0))
        return 6.0 * p.spec.tau_oil_min if p.spec is not None else 0.0

    def _catch_up(self, transformer_id: str) -> None:
        """Restart a transformer's nowcaster from the store when another process wrote newer
        readings than this one fed (``shared_store``)."""
        from thermowatch.store.readings import latest_reading_time, readings_frame

        st = self.state(transformer_id)
        latest = latest_reading_time(self.engine, transformer_id)
        if latest is None or latest == st.fed_until:
            return
        minutes = self.history_minutes(st.profile)
        history = readings_frame(
            self.engine, transformer_id, latest - timedelta(minutes=minutes), latest + _EPS,
            good_only=True,
        )  # fmt: skip
        fresh = self._new_state(st.profile, history)
        fresh.stale, fresh.fed_until = st.stale, latest
        self._states[transformer_id] = fresh

    # -------------------------------------------------------------------------- the stages
    def check_times(self, snapshots: Iterable[Snapshot], now: datetime | None = None) -> None:
        """Raise ``InputError`` naming the first snapshot whose timestamp is out of bounds
        (HTTP refuses the whole request with 422 before anything is stored)."""
        now = now or datetime.now(UTC)
        for i, s in enumerate(snapshots):
            reason = v.check_time(s.ts, now, self.settings.max_future_skew)
            if reason is not None:
                raise InputError(f"reading {i} of {s.transformer_id}, field 'timestamp': {reason}.")

    def prepare(
        self, snapshots: Sequence[Snapshot], now: datetime | None = None
    ) -> tuple[dict[str, list[list[Any]]], list[PredictionEvent]]:
        """Validate, predict and level ``snapshots``: ``(batch, events)``, nothing stored yet.

        Snapshots are taken in time order per transformer (out-of-order ones are placed by
        time by the nowcaster). A snapshot with an out-of-bounds timestamp is recorded as one
        REJECTED issue and produces no event.
        """
        now = now or datetime.now(UTC)
        received = to_micros(now)
        batch = _rows()
        events: list[PredictionEvent] = []
        if self.shared_store:
            for tid in sorted({s.transformer_id for s in snapshots}):
                try:
                    self._catch_up(tid)
                except Exception as exc:  # its snapshots fail on their own below
                    log.warning("%s: history not caught up (%s)", tid, exc)
        accepted = []
        for snap in snapshots:
            reason = v.check_time(snap.ts, now, self.settings.max_future_skew)
            if reason is not None:
                batch["issues"].append(
                    [snap.transformer_id, None, "*", snap.ts.isoformat(), v.REJECTED, reason,
                     snap.source, received]
                )  # fmt: skip
                log.warning("%s: snapshot refused: %s", snap.transformer_id, reason)
                continue
            accepted.append(dataclasses.replace(snap, ts=v.to_utc(snap.ts)))
        works = [_Work(snap) for snap in sorted(accepted, key=lambda s: (s.ts, s.transformer_id))]
        for wave in _waves(works):
            self._wave(wave, received)
        for w in works:  # in time order, as if one by one
            for k, rows in w.rows.items():
                batch[k].extend(rows)
            if w.event is not None:
                events.append(w.event)
        if self.shadow is not None:  # challengers: stored, never alert
            self.shadow(self, batch, now)
        return batch, events

    def _validated(
        self,
        snap: Snapshot,
        batch: dict[str, list[list[Any]]],
        received: int,
        event: PredictionEvent,
        stale: v.StaleTracker | None,
        quantities: Mapping[str, str],
    ) -> dict[str, float]:
        """Validate every value of ``snap`` (:func:`~.validate.check_value`, the one check of
        every protocol and HTTP), add its readings and issues to ``batch``: its GOOD values."""
        tid, us = snap.transformer_id, to_micros(snap.ts)
        good: dict[str, float] = {}
        for var, raw in snap.values.items():
            verdict = v.with_source_quality(
                v.check_value(str(var), raw, v.quantity_of(str(var), quantities)),
                snap.quality.get(var),
            )
            verdict = stale.check(verdict, snap.ts) if stale is not None else verdict
            ISSUES.labels(verdict.verdict).inc()
            if verdict.verdict != v.REJECTED:
                quality = v.QUALITY_CODE[verdict.verdict]
                batch["readings"].append([tid, us, var, verdict.value, quality, snap.source])
            if verdict.verdict == v.GOOD:
                good[var] = float(verdict.value)  # type: ignore[arg-type]
            else:
                event.issues.append(verdict)
                batch["issues"].append(
                    [tid, us, var, str(verdict.raw), verdict.verdict, verdict.reason, snap.source,
                     received]
                )  # fmt: skip
        return good

    def _failed(
        self, snap: Snapshot, batch: dict[str, list[list[Any]]], received: int, exc: Exception
    ) -> PredictionEvent | None:
        """What is kept of a snapshot whose prediction failed: its validated readings, a
        ``FAILED`` issue naming the cause, and an event with the measured value only (its
        alarms still fire); ``None`` when even its thresholds are unknown."""
        reason = f"not predicted: {type(exc).__name__}: {exc}"[:1000]
        log.warning("%s at %s: %s", snap.transformer_id, snap.ts.isoformat(), reason)
        FAILURES.inc()
        st = self._states.get(snap.transformer_id)
        profile = st.profile if st is not None else None
        if profile is None:
            with contextlib.suppress(Exception):
                profile = self.profile_of(snap.transformer_id)
        batch["issues"].append(
            [snap.transformer_id, to_micros(snap.ts), "*", None, FAILED, reason, snap.source,
             received]
        )  # fmt: skip
        if profile is None:  # an unknown transformer: only the refusal is stored
            return None
        event = PredictionEvent(snap.transformer_id, snap.ts, profile.thresholds, reason=reason)
        good = self._validated(snap, batch, received, event, None, {})
        if profile.target is not None:
            event.measured_c = good.get(profile.target)
        return event

    def _wave(self, wave: list[_Work], received: int) -> None:
        """Predict one snapshot per transformer: validated one by one, the IEC 60076-7 model
        of all of them stepped as one array, then their physics forecasts as one array
        (:func:`~thermowatch.live.nowcast.step_fleet`, :func:`~.nowcast.physics_forecasts`).
        A snapshot that fails at any stage keeps only what :meth:`_failed` stores."""
        live = [w for w in wave if self._guard(w, received, self._begin, w, received)]
        stepping = [w for w in live if w.st.physics is not None]  # type: ignore[union-attr]
        items = [(w.st.physics, w.snap.ts, w.good) for w in stepping]  # type: ignore[union-attr]
        for w, est in zip(stepping, _each(step_fleet, items), strict=True):
            w.physics = est
        live = [w for w in live if self._guard(w, received, self._predict, w)]
        fc = [w for w in live if w.physics_forecast and self._anchor(w.st, w.event) is not None]  # type: ignore[arg-type]
        made = self._physics_forecasts(fc)
        for w, m in zip(fc, made, strict=True):
            self._guard(w, received, self._physics_forecast, w, m)
        for w in live:
            if not w.failed:
                self._guard(w, received, self._close, w)

    def _guard(self, w: _Work, received: int, stage: Callable[..., Any], *args: Any) -> bool:
        """Run one stage of ``w``; a failure is its own: only :meth:`_failed`'s rows stay."""
        if w.failed:
            return False
        try:
            stage(*args)
            return True
        except Exception as exc:  # one transformer's failure is its own: the rest go on
            w.failed = True
            w.rows = _rows()
            w.event = self._failed(w.snap, w.rows, received, exc)
            return False

    def _begin(self, w: _Work, received: int) -> None:
        st = w.st = self.state(w.snap.transformer_id)
        p = st.profile
        quantities = p.predictor.metadata.get("quantities", {}) if p.predictor is not None else {}
        event = w.event = PredictionEvent(
            p.transformer_id, w.snap.ts, p.thresholds, residual_sigma_k=p.residual_sigma_k
        )
        w.good = self._validated(w.snap, w.rows, received, event, st.stale, quantities)
        if p.target is not None:
            event.measured_c = w.good.get(p.target)

    def _close(self, w: _Work) -> None:
        """The snapshot's state, prediction and (when due) forecast rows."""
        st, event, snap = w.st, w.event, w.snap
        assert st is not None and event is not None
        tid, us = st.profile.transformer_id, to_micros(snap.ts)
        late = st.fed_until is not None and snap.ts < st.fed_until
        if late:  # stored with its prediction; never the newest state nor a forecast issue
            event.warnings.append(LATE)
        else:
            st.fed_until = snap.ts
        w.rows["states"].append(event.state_row())
        if event.predicted_c is not None:
            w.rows["predictions"].append(
                [tid, us, event.model_id, event.predicted_c, event.lower_c, event.upper_c,
                 event.level, event.measured_c, event.measured_level]
            )  # fmt: skip
            due = not late and self._forecast_due(st, snap.ts, event)
            model_id = event.forecast_model_id or event.model_id
            for t, value in event.forecast if due else ():
                w.rows["forecasts"].append(
                    [tid, us, to_micros(t), model_id, value, event._level(value).name]
                )

    def _predict(self, w: _Work) -> None:
        """The nowcast (the champion's, or the IEC step made for the wave), its bounds, and the
        learned forecast; a physics forecast is left to the wave (``w.physics_forecast``)."""
        st, snap, good, event = w.st, w.snap, w.good, w.event
        assert st is not None and event is not None
        # The physics beside a champion (for its forecast): a refusal (no load or ambient
        # yet) only means no physics forecast yet; another error fails the snapshot.
        if isinstance(w.physics, Exception) and not isinstance(w.physics, InputError):
            raise w.physics
        if st.nowcaster is st.physics:
            est = w.physics
            if isinstance(est, InputError):
                event.reason = f"no prediction: {est}"
                return
        else:
            try:
                est = st.nowcaster.step(snap.ts, good)
            except InputError as exc:
                event.reason = f"no prediction: {exc}"
                return
        assert est is not None
        predicted, note = q.bounded_prediction(st.target_kind, est.predicted_c)
        if predicted is None:
            event.reason = note
            return
        event.predicted_c, event.model_id, event.basis = predicted, est.model_id, est.basis
        event.lower_c, event.upper_c = est.lower_c, est.upper_c
        event.extrapolating = est.extrapolating
        if note is not None:  # hotter than physics allows: at the bound, hence CRITIQUE
            event.lower_c = event.upper_c = predicted
            event.warnings.append(note)
        if est.assumed_steady:
            event.warnings.append("no history: steady state at this reading assumed.")
        predictor = st.profile.predictor if self.settings.learned_forecast else None
        if predictor is None:  # the physics alone: made for the whole wave, from its arrays
            st.learned, st.learned_at = None, None
            w.physics_forecast = True
            return
        fc = self._forecast(st, snap.ts, event)
        if fc is not None:
            # Column by column: a list selection copies the frame (a third of a fleet's cycle).
            values = np.column_stack(
                [fc.frame[c].to_numpy(dtype=np.float64) for c in FORECAST_COLUMNS]
            )
            finite = np.isfinite(values[:, 0])
            values = values[finite].tolist()  # plain floats, in one call
            times = fc.frame.index[finite].to_pydatetime()
            event.forecast = tuple((t, v[0]) for t, v in zip(times, values, strict=True))
            event.forecast_bounds = tuple((v[1], v[2]) for v in values)
            event.forecast_source, event.forecast_model_id = fc.source, fc.model_id
            event.forecast_note = fc.note

    def _forecast_due(self, st: _State, ts: datetime, event: PredictionEvent) -> bool:
        """Whether this event's forecast is stored: once per forecast step of data time (the
        learned forecast's refresh cadence; each stored issue spans the whole horizon, so the
        fleet page's newest issue is at most one step old), and whenever its source changes.
        Every event still carries its forecast to the alert rules."""
        if not event.forecast:
            return False
        key = (event.forecast_source, event.forecast_model_id)
        step = timedelta(minutes=self.settings.forecast_step_min)
        last = st.forecast_stored_at
        if last is not None and key == st.forecast_stored_key and last <= ts < last + step:
            return False
        st.forecast_stored_at, st.forecast_stored_key = ts, key
        return True

    def _forecast(
        self, st: _State, ts: datetime, event: PredictionEvent
    ) -> TemperatureForecast | None:
        """The champion's learned forecast (refreshed once per forecast step of data time, as
        it costs tens of ms), else the IEC physics anchored on the value now."""
        s = self.settings
        at = pd.Timestamp(ts)
        cached = st.learned
        if cached is not None and st.learned_at is not None:
            fresh = st.learned_at <= at < st.learned_at + pd.Timedelta(minutes=s.forecast_step_min)
            rest = cached.after(at) if fresh else None
            if rest is not None and len(rest.frame):
                return rest

        def physics() -> tuple[pd.DataFrame, str] | None:
            made = self._physics_points(st, event)
            if made is None:
                return None
            ahead, values, half = made
            # The instants from integer nanoseconds: pd.to_timedelta on floats costs ~1 ms, per
            # reading and transformer (it showed in a 1,000-transformer cycle).
            offsets = (ahead * 60e9).astype("timedelta64[ns]")
            index = pd.DatetimeIndex(at.tz_convert(None).to_datetime64() + offsets, tz="UTC")
            frame = pd.DataFrame(
                {"predicted": values, "lower": values - half, "upper": values + half}, index=index
            )
            return frame, st.physics.model_id

        predictor = st.profile.predictor if s.learned_forecast else None
        history = getattr(st.nowcaster, "history", None)
        if history is not None and len(history) and history.index[-1] > at:
            history = history.loc[:at]  # an out-of-order snapshot: forecast from its time
        fc = forecast_temperature(
            predictor, history, physics, pd.Timedelta(minutes=s.forecast_horizon_min)
        )
        learned = fc is not None and fc.source == LEARNED
        st.learned, st.learned_at = (fc, at) if learned else (None, None)
        return fc

    @staticmethod
    def _anchor(st: _State | None, event: PredictionEvent | None) -> float | None:
        """What the physics forecast starts from: the measured value now, else the
        prediction (``None``: no physics, or nothing predicted)."""
        if st is None or event is None or st.physics is None or event.predicted_c is None:
            return None
        return event.measured_c if event.measured_c is not None else event.predicted_c

    def _half_width(self, event: PredictionEvent) -> float:
        """Half-width of the physics forecast's interval [K]: the prediction's, else 2 σ."""
        if event.upper_c is not None and event.predicted_c is not None:
            return event.upper_c - event.predicted_c
        return 2.0 * self.settings.physics_sigma_k

    def _physics_points(
        self, st: _State, event: PredictionEvent
    ) -> tuple[np.ndarray, np.ndarray, float] | None:
        """The IEC physics forecast anchored on the value now: (minutes ahead, values [°C],
        half-width of its interval [K]); ``None`` before the physics has a state."""
        s = self.settings
        anchor = self._anchor(st, event)
        if anchor is None:
            return None
        made = physics_forecast(st.physics, anchor, s.forecast_horizon_min, s.forecast_step_min)  # type: ignore[arg-type]
        return None if made is None else (*made, self._half_width(event))

    def _physics_forecasts(self, works: list[_Work]) -> list[Any]:
        """The physics forecasts of ``works`` as one array (:func:`_each`)."""
        s = self.settings
        items = [(w.st.physics, self._anchor(w.st, w.event)) for w in works]  # type: ignore[union-attr]
        return _each(
            lambda part: physics_forecasts(part, s.forecast_horizon_min, s.forecast_step_min),
            items,
        )

    def _physics_forecast(self, w: _Work, made: Any) -> None:
        """Without a champion: the physics forecast onto the event from its arrays (a frame
        per reading and transformer cost more than the physics itself)."""
        if isinstance(made, Exception):
            raise made
        if made is None:
            return
        st, event = w.st, w.event
        assert st is not None and event is not None and st.physics is not None
        ahead, values = made
        half = self._half_width(event)
        base = w.snap.ts.astimezone(UTC)
        offsets = _offsets(float(ahead[0]), len(ahead))
        points = values.tolist()
        if np.isfinite(values).all():
            event.forecast = tuple(zip([base + d for d in offsets], points, strict=True))
        else:
            event.forecast = tuple((base + d, v) for d, v in zip(offsets, points, strict=True)
                                   if math.isfinite(v))  # fmt: skip
        event.forecast_bounds = tuple((v - half, v + half) for _, v in event.forecast)
        event.forecast_source, event.forecast_model_id = PHYSICS, st.physics.model_id
        event.forecast_note = None

    def store(self, batch: dict[str, list[list[Any]]]) -> dict[str, int]:
        """Write a prepared batch in one transaction (:func:`~thermowatch.store.live.write_live_batch`)."""
        from thermowatch.store.live import write_live_batch

        return write_live_batch(self.engine, batch)

    def emit(self, events: Iterable[PredictionEvent]) -> None:
        """Hand each event to the alert hook; a failing hook never loses stored readings."""
        if self.hook is None:
            return
        events = list(events)
        many = getattr(self.hook, "many", None)
        if many is not None and len(events) > 1:
            try:
                many(events)
                return
            except Exception:  # fall back to one at a time: a bad event must not hide others
                log.exception("alert hook failed on a batch of %d events; one by one", len(events))
        for event in events:
            try:
                self.hook(event)
            except Exception:
                log.exception("alert hook failed for %s at %s", event.transformer_id, event.ts)

    def process(
        self, snapshots: Sequence[Snapshot], now: datetime | None = None
    ) -> tuple[list[PredictionEvent], dict[str, int]]:
        """Prepare, store in one transaction, then emit: the HTTP path's whole job."""
        batch, events = self.prepare(snapshots, now)
        stored = self.store(batch)
        self.emit(events)
        return events, stored
