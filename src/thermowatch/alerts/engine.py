"""The alert engine: readings and predictions in, alert events (and outbox rows) out.

:meth:`AlertEngine.evaluate` is what the monitor and the service call for every new
prediction. Each (transformer, kind) signal has a :class:`~thermowatch.alerts.levels.LevelTracker`
whose state lives in the store (``alert_states``): an evaluation locks the transformer's
states, updates them and records any alert and its notifications in one transaction (the
transactional outbox). So N service workers and monitor processes evaluate one shared state in
turn — one owner at a time — and pending raise/clear timers survive a restart. Nothing is sent
here, so a channel that is down never blocks ingestion.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from thermowatch.alerts.actions import propose_actions
from thermowatch.alerts.config import AlertsConfig, Phase
from thermowatch.alerts.levels import Hysteresis, Level, LevelTracker, threshold_of
from thermowatch.alerts.messages import AlertFacts, render
from thermowatch.alerts.phases import audit_phase
from thermowatch.errors import InputError
from thermowatch.learn.result import Thresholds
from thermowatch.learn.thresholds import resolve_thresholds, target_kind
from thermowatch.store.alerts import (
    PENDING,
    AlertState,
    close_alert_in,
    insert_alert,
    insert_notifications,
    load_alert_states,
    lock_alert_states,
    open_alert_ids,
    open_levels,
    open_of_kind,
    save_alert_states,
)
from thermowatch.store.engine import write_transaction
from thermowatch.store.state import TransformerState, read_state, read_state_in, read_states_in
from thermowatch.store.transformers import get_transformer

# Kinds of alert (model degradation and residual drift come from the lifecycle jobs).
PREDICTED = "temperature_predicted"
MEASURED = "temperature_measured"
ANOMALY = "anomaly"
STALE = "stale_data"
MODEL_DEGRADATION = "model_degradation"
FORECAST_CROSSING = "forecast_crossing"
RESIDUAL_DRIFT = "residual_drift"
ACTION_FAILED = "action_failed"  # a field write (OPC UA, Modbus) of an action failed
CLOCK_JUMP = "clock_jump"  # a source's clock stepped back: data time was re-based on it
KINDS = (PREDICTED, MEASURED, ANOMALY, STALE, MODEL_DEGRADATION, FORECAST_CROSSING,
         RESIDUAL_DRIFT, ACTION_FAILED, CLOCK_JUMP)  # fmt: skip
#: The kinds a live reading raises: their texts quote the transformer's stored state.
STATE_KINDS = (PREDICTED, MEASURED, ANOMALY, FORECAST_CROSSING)
#: A reading older than the newest evaluated by more than this is a clock step back (the live
#: path's allowed future skew: within it, readings are merely out of order).
CLOCK_JUMP_AFTER = timedelta(minutes=5)

log = logging.getLogger("thermowatch.alerts")


@dataclass(frozen=True)
class AlertEvent:
    """Something that happened to an alert: ``raised``, ``resolved``, ``superseded`` (closed
    because the level changed and a new alert at the new level was raised) or ``escalated``.

    ``value`` is the signal that caused it ([°C] for temperatures, [K] for an anomaly's
    residual, [min] for stale data); ``notifications`` counts the outbox rows written.
    """

    event: str
    transformer_id: str
    kind: str
    level: str
    previous_level: str
    alert_id: int
    at: datetime
    value: float
    threshold_c: float | None
    notifications: int = 0


def thresholds_from_store(engine: Engine, transformer_id: str) -> Thresholds:
    """The transformer's thresholds in force, as its stored state holds them (resolved once by
    :func:`thermowatch.learn.thresholds.resolve_thresholds`); before its first reading, that
    function on what the store knows of it (its configured thresholds, its target's kind).

    Raises ``NotFoundError`` for an unknown transformer.
    """
    state = read_state(engine, transformer_id)
    if state is not None:
        return state.as_thresholds()
    row = get_transformer(engine, transformer_id)
    return resolve_thresholds(row.thresholds, None, target_kind(row.target_variable))


def trend_k_per_h(samples: deque[tuple[datetime, float]]) -> float | None:
    """Least-squares slope of the samples [K/h]; ``None`` when they span under a minute."""
    if len(samples) < 2 or samples[-1][0] - samples[0][0] < timedelta(minutes=1):
        return None
    t0 = samples[0][0]
    xs = [(ts - t0).total_seconds() / 3600 for ts, _ in samples]
    ys = [v for _, v in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


class AlertEngine:
    """Stateful alert decisions for a fleet, persisted in the store.

    Parameters
    ----------
    db : the store's engine (migrated).
    config : the validated ``[alerts]`` config.
    actor : who is running it, for the audit of phase changes.
    """

    def __init__(self, db: Engine, config: AlertsConfig, actor: str = "system") -> None:
        self.db = db
        self.config = config
        # Recent samples per signal, for the trend line of messages only (bounded by the
        # trend window); the levels themselves are decided from the store's state.
        self._samples: dict[tuple[str, str], deque[tuple[datetime, float]]] = {}
        self._forecast: Any = None  # the event being evaluated, for times to threshold
        self._known: set[str] = set()
        # Per transformer, the last reading older than the newest evaluated (one per transformer)
        self._behind: dict[str, datetime] = {}
        # Within one batch's transaction (:meth:`evaluate_events`): the open alerts of its
        # transformers and the stored states its raised alerts quote, read once for the batch.
        self._open: dict[str, dict[str, list[tuple[int, str]]]] | None = None
        self._state_cache: dict[str, TransformerState] | None = None
        audit_phase(db, config.phase, actor)

    # --- public API -------------------------------------------------------------------------
    def evaluate_event(self, event: Any) -> list[AlertEvent]:
        """Feed one :class:`~thermowatch.live.PredictionEvent` of the live pipeline: every rule
        (measured, predicted, anomaly, forecast crossing) at once."""
        if event.predicted_c is None and event.measured_c is None:
            return []
        return self.evaluate(
            event.transformer_id, event.ts, event.predicted_c, event.measured_c,
            event.thresholds, event.residual_sigma_k, forecast=event,
        )  # fmt: skip

    def evaluate(
        self,
        transformer_id: str,
        timestamp: datetime,
        predicted_c: float | None,
        measured_c: float | None = None,
        thresholds: Thresholds | None = None,
        residual_sigma_k: float | None = None,
        forecast: Any = None,
    ) -> list[AlertEvent]:
        """Feed one instant of one transformer; returns the alert events it caused.

        Parameters
        ----------
        timestamp : aware UTC time of the values.
        predicted_c : predicted temperature [°C] (``None``: no prediction at that instant).
        measured_c : measured temperature [°C], when there is one at that instant.
        thresholds : ALERTE / CRITIQUE thresholds [°C]; default: the transformer's in the store.
        residual_sigma_k : standard deviation of the normal-behaviour model's residual [K];
            with ``measured_c`` it enables the anomaly rule (measured above predicted by
            ``anomaly.k`` σ for ``anomaly.minutes``).
        forecast : the pipeline's event (``forecast``, ``crossing(level)``): enables the
            forecast-crossing rule, and times to threshold in messages come from it.
        """
        signals = self._signals_of(
            transformer_id, timestamp, predicted_c, measured_c, thresholds, residual_sigma_k,
            forecast,
        )  # fmt: skip
        self._forecast = forecast if forecast is not None and forecast.forecast else None
        try:
            return self._evaluate(transformer_id, timestamp, signals)
        finally:
            self._forecast = None

    def evaluate_events(self, events: list[Any]) -> list[AlertEvent]:
        """Feed many pipeline events (a monitor cycle) in one transaction, in their order."""
        out: list[AlertEvent] = []
        todo = [e for e in events if e.predicted_c is not None or e.measured_c is not None]
        todo.sort(key=lambda e: (e.transformer_id, e.ts))  # data time, per transformer
        if not todo:
            return out
        proposals: list[AlertEvent] = []
        with write_transaction(self.db) as conn:
            # Every transformer's states in a few statements, not a few per transformer: a
            # fleet's cycle is one transaction and its round trips were a third of the cycle.
            states, found, stored = self._states_of(conn, [e.transformer_id for e in todo])
            changed: dict[str, dict[str, AlertState]] = {}
            # The levels first, in memory (the trackers are pure); then the transitions'
            # records in the same order, with what they read fetched once for the batch.
            pending: list[tuple[Any, ...]] = []
            for e in todo:
                tid = e.transformer_id
                signals = self._signals_of(
                    tid, e.ts, e.predicted_c, e.measured_c, e.thresholds, e.residual_sigma_k, e
                )
                self._step(conn, tid, e.ts, signals, states[tid], changed.setdefault(tid, {}),
                           defer=(pending, e if e.forecast else None))  # fmt: skip
            out += self._record(conn, pending, found)
            save_alert_states(conn, changed, stored)
        proposals = [e for e in out if e.event == "raised"]
        if self.config.phase >= Phase.SUPERVISED:
            for e in proposals:
                propose_actions(self.db, self.config, e.alert_id, e.kind, Level[e.level], e.at)
        return out

    def _signals_of(
        self, transformer_id: str, timestamp: datetime, predicted_c: float | None,
        measured_c: float | None, thresholds: Thresholds | None,
        residual_sigma_k: float | None, forecast: Any,
    ) -> list[tuple[str, float, Thresholds, Hysteresis]]:  # fmt: skip
        """The signals one instant feeds: predicted, measured, anomaly, forecast crossing."""
        if timestamp.tzinfo is None:
            raise InputError("alert evaluation needs an aware (UTC) timestamp")
        for name, v in (("predicted", predicted_c), ("measured", measured_c)):
            if v is not None and not math.isfinite(v):
                raise InputError(f"{name} temperature must be a finite number, got {v}")
        thresholds = thresholds or thresholds_from_store(self.db, transformer_id)
        hyst = self.config.hysteresis
        signals: list[tuple[str, float, Thresholds, Hysteresis]] = []
        if predicted_c is not None:
            signals.append((PREDICTED, predicted_c, thresholds, hyst))
        if measured_c is not None:
            signals.append((MEASURED, measured_c, thresholds, hyst))
            if predicted_c is not None and residual_sigma_k is not None and residual_sigma_k > 0:
                limit = self.config.anomaly_k * residual_sigma_k
                after = self.config.anomaly_after
                # Cleared once back under k·σ - σ/2 for as long as it took to raise.
                signals.append((ANOMALY, measured_c - predicted_c,
                                Thresholds(limit, math.inf, "anomaly"),
                                Hysteresis(residual_sigma_k / 2, after, after)))  # fmt: skip
        future = [v for t, v in forecast.forecast if t > timestamp] if forecast is not None else []
        if future:
            # Raised as soon as the forecast crosses (it is already a look ahead); cleared
            # like any temperature once the forecast stays below for ``clear_after``. Only
            # points after the reading count: a crossing names a future time.
            peak = max(future)
            signals.append((FORECAST_CROSSING, peak, thresholds,
                            Hysteresis(0.0, timedelta(0), hyst.clear_after)))  # fmt: skip
        return signals

    def check_stale(
        self, transformer_id: str, last_reading_at: datetime | None, now: datetime
    ) -> list[AlertEvent]:
        """Raise ``stale_data`` (ALERTE) when the newest reading is older than ``stale.after``.

        ``last_reading_at`` ``None`` means the source never delivered (treated as down). The
        alert resolves at the first call that sees fresh data.
        """
        limit_min = self.config.stale_after.total_seconds() / 60
        age_min = 1e9 if last_reading_at is None else (now - last_reading_at).total_seconds() / 60
        stale = Thresholds(limit_min, math.inf, "stale")
        none = Hysteresis(0, timedelta(0), timedelta(0))
        return self._evaluate(transformer_id, now, [(STALE, age_min, stale, none)])

    def check_model(
        self, transformer_id: str, at: datetime, ratio: float, factor: float, degraded: bool
    ) -> list[AlertEvent]:
        """``model_degradation`` (ALERTE) while the live/validation error ratio has stayed above
        ``factor`` for the required number of checks (``degraded``, decided by
        :func:`thermowatch.learn.accuracy.degraded`); resolves at the first check that is not."""
        value = ratio if degraded and math.isfinite(ratio) else 0.0
        th = Thresholds(factor, math.inf, "live error / validation error")
        none = Hysteresis(0, timedelta(0), timedelta(0))
        return self._evaluate(transformer_id, at, [(MODEL_DEGRADATION, value, th, none)])

    def check_residual_drift(
        self, transformer_id: str, at: datetime, shift_k: float, alarm: bool, limit_k: float
    ) -> list[AlertEvent]:
        """``residual_drift`` (ALERTE): the transformer itself changed (residuals shifted with
        the inputs inside the trained range, Page–Hinkley alarm). A person must look; the
        lifecycle does not retrain on this period."""
        value = abs(shift_k) if alarm else 0.0
        th = Thresholds(limit_k, math.inf, "residual shift")
        none = Hysteresis(0, timedelta(0), timedelta(0))
        return self._evaluate(transformer_id, at, [(RESIDUAL_DRIFT, value, th, none)])

    def check_action(
        self, transformer_id: str, at: datetime, failed: bool, level: Level = Level.ALERTE
    ) -> list[AlertEvent]:
        """``action_failed`` at ``level`` (the level of the alert the action answered) when a
        field write failed: nothing reached the plant, the operator must act by hand. The next
        successful write on that transformer resolves it."""
        value = float(level) if failed else 0.0
        th = Thresholds(0.5, 1.5, "failed field write")
        none = Hysteresis(0, timedelta(0), timedelta(0))
        return self._evaluate(transformer_id, at, [(ACTION_FAILED, value, th, none)])

    def level(self, transformer_id: str, kind: str = PREDICTED) -> Level:
        """The current (hysteresis) level of one signal, as the store holds it."""
        with write_transaction(self.db) as conn:
            states = self._states(conn, transformer_id)
        state = states.get(kind)
        return Level[state.level] if state else Level.NORMAL

    # --- internals --------------------------------------------------------------------------
    def _record(
        self, conn: Connection, pending: list[tuple[Any, ...]],
        found: dict[str, dict[str, list[tuple[int, str]]]],
    ) -> list[AlertEvent]:  # fmt: skip
        """Record the transitions :meth:`_step` deferred, in their order: the open alerts are
        ``found`` (kept up to date as these close and raise) and the stored states quoted are
        read in one query (nothing here writes them)."""
        if not pending:
            return []
        quoted = {p[0] for p in pending if p[1] in STATE_KINDS}
        self._open, self._state_cache = found, read_states_in(conn, sorted(quoted))
        out: list[AlertEvent] = []
        try:
            for *args, forecast in pending:
                self._forecast = forecast
                out += self._transition(conn, *args)
        finally:
            self._open = self._state_cache = self._forecast = None
        return out

    def _step(
        self, conn: Connection, tid: str, ts: datetime,
        signals: list[tuple[str, float, Thresholds, Hysteresis]],
        states: dict[str, AlertState], changed: dict[str, AlertState],
        defer: tuple[list[tuple[Any, ...]], Any] | None = None,
    ) -> list[AlertEvent]:  # fmt: skip
        """Advance the signals' trackers by one instant; record the transitions (``defer``:
        append them, with the event to quote, to a list for :meth:`_record` instead).

        Data time: an instant older than the newest evaluated is still evaluated, its trackers
        re-based on it (durations kept, :func:`_rebase`) so that a reading stamped ahead or a
        clock stepping back never hides the readings after it; a step back beyond
        :data:`CLOCK_JUMP_AFTER` is logged and raises ``clock_jump``.
        """
        events: list[AlertEvent] = []
        # The data clock is the readings' own: the stale-data check runs on the wall clock and
        # the lifecycle checks on the job's, so neither may make replayed or lagging data look
        # like a clock stepping back (the monitor's "no data yet" check came first, at wall
        # time, and every later reading of a replay was a 'clock jump').
        reading = any(kind in STATE_KINDS for kind, *_ in signals)
        newest = max((st.last_ts for k, st in states.items() if k in STATE_KINDS and st.last_ts),
                     default=None) if reading else None  # fmt: skip
        behind = self._behind.pop(tid, None) if reading else None
        # A second older reading after an older one: the source's clock runs behind (re-base);
        # a single one (a late or re-sent message) is evaluated at the newest instant.
        rebase = newest is not None and ts < newest and behind is not None and behind < ts
        if newest is not None and ts < newest:
            self._behind[tid] = ts
        if reading:
            signals = signals + self._clock_signal(tid, ts, newest if rebase else None, states)
        for kind, value, th, h in signals:
            tracker = _tracker(states.get(kind) or AlertState(), h)
            at = ts
            if tracker._last_ts is not None and ts < tracker._last_ts:
                if rebase:
                    _rebase(tracker, ts)
                else:
                    at = tracker._last_ts
            samples = self._samples.setdefault((tid, kind), deque())
            samples.append((ts, value))
            while samples and ts - samples[0][0] > self.config.trend_window:
                samples.popleft()
            before = tracker.level
            after = tracker.update(at, value, th)
            states[kind] = changed[kind] = _state(tracker)
            if after != before:
                args = (tid, kind, before, after, ts, value, th, trend_k_per_h(samples))
                if defer is not None:
                    defer[0].append((*args, defer[1]))
                else:
                    events += self._transition(conn, *args)
        return events

    def _clock_signal(
        self, tid: str, ts: datetime, newest: datetime | None, states: dict[str, AlertState]
    ) -> list[tuple[str, float, Thresholds, Hysteresis]]:
        """The ``clock_jump`` signal [min stepped back] when the clock stepped back from
        ``newest`` (``None``: it did not) beyond :data:`CLOCK_JUMP_AFTER`, or while its alert
        is open (to clear it); else none."""
        back = newest - ts if newest is not None and ts < newest else timedelta(0)
        jump = states.get(CLOCK_JUMP)
        if back <= CLOCK_JUMP_AFTER and (jump is None or jump.level == Level.NORMAL.name):
            return []
        if back > CLOCK_JUMP_AFTER:
            log.warning("%s: clock stepped back %s (reading at %s after one at %s): data time "
                        "re-based, alarms still evaluated", tid, back, ts.isoformat(),
                        newest.isoformat())  # type: ignore[union-attr]  # fmt: skip
        limit = CLOCK_JUMP_AFTER / timedelta(minutes=1)
        return [(CLOCK_JUMP, back / timedelta(minutes=1), Thresholds(limit, math.inf, "clock"),
                 Hysteresis(0.0, timedelta(0), self.config.hysteresis.clear_after))]  # fmt: skip

    def _states(self, conn: Connection, tid: str) -> dict[str, AlertState]:
        """Lock and read one transformer's signal states (:meth:`_states_of`)."""
        return self._states_of(conn, [tid])[0][tid]

    def _states_of(
        self, conn: Connection, tids: list[str]
    ) -> tuple[
        dict[str, dict[str, AlertState]],
        dict[str, dict[str, list[tuple[int, str]]]],
        dict[str, dict[str, AlertState]],
    ]:
        """Lock and read the transformers' signal states; seed missing ones from open alerts
        (alerts raised before states were stored). Also returns those open alerts, and the
        states as stored (without the seeded ones: not rows yet)."""
        for tid in tids:
            if tid not in self._known:
                get_transformer(self.db, tid)  # NotFoundError, not a foreign-key crash later
                self._known.add(tid)
        lock_alert_states(conn, tids)
        states = load_alert_states(conn, tids)
        stored = {tid: dict(kinds) for tid, kinds in states.items()}
        found = open_alert_ids(conn, tids)
        for tid, levels in open_levels(conn, tids, found).items():
            for kind, level in levels.items():
                states[tid].setdefault(kind, AlertState(level))
        return states, found, stored

    def _evaluate(
        self, tid: str, ts: datetime, signals: list[tuple[str, float, Thresholds, Hysteresis]]
    ) -> list[AlertEvent]:
        if not signals:
            return []
        with write_transaction(self.db) as conn:
            states = self._states(conn, tid)
            changed: dict[str, AlertState] = {}
            events = self._step(conn, tid, ts, signals, states, changed)
            save_alert_states(conn, {tid: changed})
        if self.config.phase >= Phase.SUPERVISED:
            for e in events:
                if e.event == "raised":
                    propose_actions(self.db, self.config, e.alert_id, e.kind, Level[e.level], ts)
        return events

    def _facts(self, conn, alert_id, tid, kind, level, ts, value, th, trend) -> AlertFacts:
        eta = eta_level = eta_threshold = eta_at = eta_source = eta_model = eta_window = None
        # A forecast crossing tells when the level it announces starts; a temperature alert
        # when the next level starts. From the stored state's crossing (what every page shows)
        # when it is of that level, else the forecast's later crossing; else the trend.
        target = level if kind == FORECAST_CROSSING else (
            Level(level + 1) if level < Level.CRITIQUE else None)  # fmt: skip
        target_c = threshold_of(th, target) if target else None
        fc = getattr(self, "_forecast", None)
        stored = None
        if kind in STATE_KINDS:
            cache = self._state_cache
            stored = read_state_in(conn, tid) if cache is None else cache.get(tid)
        state = stored if stored is not None and stored.ts == ts else None  # this reading's
        if target is not None and target > Level.NORMAL and (fc is not None or state):
            if state is not None and state.crossing_level == target.name:
                eta_at = state.crossing_at
            elif fc is not None:  # beyond the state's earliest crossing (a higher level)
                eta_at = fc.crossing(target)
            if eta_at is not None:
                eta, eta_level, eta_threshold = eta_at - ts, target.name, target_c
                eta_source = (
                    state.forecast_source if state else getattr(fc, "forecast_source", None)
                )
                eta_model = getattr(fc, "forecast_model_id", None)
                window = getattr(fc, "crossing_window", None)
                eta_window = window(target) if window is not None else None
        if (
            eta is None
            and kind != FORECAST_CROSSING
            and trend
            and trend > 0
            and (target_c is not None and math.isfinite(target_c) and value < target_c)
        ):
            eta = timedelta(hours=(target_c - value) / trend)
            eta_level, eta_threshold = target.name, target_c  # type: ignore[union-attr]
        return AlertFacts(alert_id, tid, kind, level.name, value, threshold_of(th, level), ts,
                          trend, eta, eta_level, eta_threshold, eta_at, eta_source, eta_model,
                          eta_window, bool(state and state.extrapolating))  # fmt: skip

    def _transition(
        self, conn: Connection, tid: str, kind: str, old: Level, new: Level, ts: datetime,
        value: float, th: Thresholds, trend: float | None,
    ) -> list[AlertEvent]:  # fmt: skip
        events: list[AlertEvent] = []
        send = self.config.phase >= Phase.PREVENTIVE
        # A batch keeps its open alerts in memory (:meth:`_record`); else one query.
        held = open_of_kind(conn, tid, kind) if self._open is None else (
            self._open.setdefault(tid, {}).setdefault(kind, []))  # fmt: skip
        closing, held[:] = list(held), []
        for alert_id, level in closing:
            close_alert_in(conn, alert_id, ts)
            n = 0
            if new == Level.NORMAL and send and self.config.notify_resolved:
                facts = self._facts(conn, alert_id, tid, kind, Level[level], ts, value, th, trend)
                n = self._enqueue(conn, alert_id, facts, "resolved", step=0, at=ts)
            what = "resolved" if new == Level.NORMAL else "superseded"
            events.append(AlertEvent(what, tid, kind, new.name, level, alert_id, ts,
                                     value, threshold_of(th, Level[level]), n))  # fmt: skip
        if new > Level.NORMAL:
            facts = self._facts(conn, None, tid, kind, new, ts, value, th, trend)
            subject, _ = render(facts, "raised", self.config.lang)
            alert_id = insert_alert(conn, tid, kind, new.name, subject, ts)
            held.append((alert_id, new.name))
            # The same facts with their id: gathered once (each gathering reads the state).
            facts = replace(facts, alert_id=alert_id)
            n = self._enqueue(conn, alert_id, facts, "raised", step=0, at=ts) if send else 0
            events.append(AlertEvent("raised", tid, kind, new.name, old.name, alert_id, ts,
                                     value, facts.threshold_c, n))  # fmt: skip
        return events

    def _enqueue(
        self, conn: Connection, alert_id: int, facts: AlertFacts, event: str, step: int,
        at: datetime, **extra: Any,
    ) -> int:  # fmt: skip
        return enqueue_for_step(conn, self.config, alert_id, facts, event, step, at, **extra)


def _tracker(state: AlertState, h: Hysteresis) -> LevelTracker:
    t = LevelTracker(h, Level[state.level])
    t._up_since, t._down_since, t._last_ts = state.up_since, state.down_since, state.last_ts
    t._crit_since = state.critique_since
    t._up_target = Level[state.up_target] if state.up_target else Level.NORMAL
    t._down_target = Level[state.down_target] if state.down_target else Level.NORMAL
    return t


def _rebase(t: LevelTracker, ts: datetime) -> None:
    """Move a tracker's data time back to ``ts`` (a reading older than its newest), keeping how
    long each condition has lasted: the reading is then evaluated, not ignored."""
    shift = ts - t._last_ts  # type: ignore[operator]
    t._last_ts = ts
    t._up_since = t._up_since + shift if t._up_since else None
    t._down_since = t._down_since + shift if t._down_since else None
    t._crit_since = t._crit_since + shift if t._crit_since else None


def _state(t: LevelTracker) -> AlertState:
    return AlertState(
        t.level.name, t._up_since, t._up_target.name if t._up_since else None,
        t._down_since, t._down_target.name if t._down_since else None, t._last_ts,
        t._crit_since,
    )  # fmt: skip


def enqueue_for_step(
    conn: Connection, config: AlertsConfig, alert_id: int, facts: AlertFacts, event: str,
    step: int, at: datetime, **extra: Any,
) -> int:  # fmt: skip
    """Write one outbox row per (contact, channel) of escalation ``step``; returns how many.

    Each contact gets the message in its own language. Runs inside the caller's transaction.
    The outbox runs on the wall clock: a message raised at a data time ahead of it (a source
    clock running ahead, a simulated field) is due now, not when that clock says so.
    """
    rows = []
    due = min(at, datetime.now(UTC))
    for contact, channel, address in config.recipients(step):
        subject, body = render(facts, event, contact.lang, **extra)
        rows.append({"alert_id": alert_id, "channel": channel, "recipient": address,
                     "subject": subject, "body": body, "status": PENDING, "created_at": due,
                     "next_attempt_at": due})  # fmt: skip
    return insert_notifications(conn, rows)
