"""Normal-behaviour prediction (nowcast) and physics forecast of each transformer, in process.

Two estimators share one interface (:meth:`step`):

* :class:`ModelEstimator` - the transformer's trained model (artifact or the store's
  champion), fed with an in-memory history (loaded from the store at start, then extended
  with each snapshot) so that its thermal-inertia filters see ``history_minutes`` of data
  without a database round trip every period;
* :class:`IecEstimator` - no trained model yet: the IEC 60076-7 model from the transformer's
  spec, advanced one step per snapshot from the previous step's state
  (:attr:`~thermowatch.thermal.ThermalResult.final_state`).

The residual (measured minus predicted) is what reveals a cooling failure first: the
measured temperature rises above what the load and the ambient explain.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.errors import InputError
from thermowatch.learn.thresholds import target_kind
from thermowatch.thermal import ThermalState, TransformerSpec, simulate


def is_oil(variable: str) -> bool:
    """True when the target is a top-oil temperature (else a winding / hot-spot one)."""
    return target_kind(variable) == "oil"


@dataclass(frozen=True)
class Estimate:
    """One prediction [°C] and what made it (``basis`` is ``"model"`` or ``"iec60076-7"``)."""

    predicted_c: float
    lower_c: float | None
    upper_c: float | None
    model_id: str
    basis: str
    assumed_steady: bool = False
    #: Outside the model's domain of validity (inputs or months its training never saw).
    extrapolating: bool = False


class ModelEstimator:
    """A trained model with its rolling history of readings (wide frame, UTC index)."""

    basis = "model"

    def __init__(self, predictor: Any, history: pd.DataFrame | None = None) -> None:
        self.predictor = predictor
        self.variables = list(predictor.variables)
        # The measured target is kept too: the learned forecast starts from it.
        target = getattr(predictor, "target", None)
        extra = [target] if target and target not in self.variables else []
        self.columns = self.variables + extra
        self.keep = pd.Timedelta(minutes=float(predictor.metadata.get("history_minutes", 1440)))
        frame = history if history is not None else pd.DataFrame()
        self.history = frame.reindex(columns=self.columns).astype(float)
        self.model_id = str(predictor.model_id)

    def step(self, ts: datetime, values: dict[str, float]) -> Estimate:
        """Add a snapshot to the history and predict the target at ``ts``.

        A snapshot older than the newest one (out of order) is placed by time: the prediction
        uses the history up to ``ts`` only.
        """
        at = pd.Timestamp(ts)
        row = pd.DataFrame(
            [[values.get(v, np.nan) for v in self.columns]],
            index=pd.DatetimeIndex([at], name="timestamp"),
            columns=self.columns,
        )
        hist = pd.concat([self.history, row]) if len(self.history) else row
        hist = hist[~hist.index.duplicated(keep="last")].sort_index()
        self.history = hist[hist.index > hist.index[-1] - self.keep]
        window = self.history.loc[:at]
        window = window[window.index > at - self.keep]
        if window.empty:  # older than the history kept (out of order): this snapshot alone
            window = row
        # A variable missing in this snapshot holds its last value (a gap, not a zero).
        filled = window[self.variables].ffill().bfill()
        if filled.iloc[-1].isna().any():
            missing = [v for v in self.variables if pd.isna(filled.iloc[-1][v])]
            raise InputError(f"model {self.model_id} needs {missing[0]!r}, never received")
        out = self.predictor.predict_frame(filled).iloc[-1]
        return Estimate(
            float(out["predicted"]),
            float(out["lower"]),
            float(out["upper"]),
            self.model_id,
            self.basis,
            assumed_steady=len(window) < 2,
            extrapolating=bool(out.get("extrapolating", False)),
        )


class IecEstimator:
    """IEC 60076-7 prediction from the spec, one step per snapshot."""

    basis = "iec60076-7"

    def __init__(self, spec: TransformerSpec, target: str, load: str, ambient: str) -> None:
        self.spec = spec
        self.oil = is_oil(target)
        self.load, self.ambient = load, ambient
        self.model_id = f"iec60076-7:{spec.cooling}"
        self.state: ThermalState | None = None
        self.last: tuple[pd.Timestamp, float, float] | None = None
        # (instant, load [pu], ambient [°C]) of the last 6 oil time constants, in time order:
        # the thermal history a late reading is predicted from.
        self.keep = pd.Timedelta(minutes=6.0 * spec.tau_oil_min)
        self.inputs: list[tuple[pd.Timestamp, float, float]] = []

    def _load_pu(self, current: float) -> float:
        rated = self.spec.rated_current_a
        return current / rated if rated else current  # no rated current: load given in pu

    def warm_up(self, history: pd.DataFrame) -> None:
        """Start from the store's history (steady state at its first row) instead of now."""
        cols = [self.load, self.ambient]
        if history.empty or not set(cols) <= set(history.columns):
            return
        frame = history[cols].ffill().dropna()
        if len(frame) < 2:
            return
        load = pd.Series(self._load_pu(1.0) * frame[self.load].to_numpy(), index=frame.index)
        try:
            result = simulate(self.spec, load, frame[self.ambient].to_numpy(), initial="steady")
        except InputError:  # a history the physics refuses: start at the next reading instead
            return
        self.state = result.final_state
        self.last = (frame.index[-1], float(load.iloc[-1]), float(frame[self.ambient].iloc[-1]))
        amb = frame[self.ambient].to_numpy(dtype=float)
        self.inputs = [
            (pd.Timestamp(t), float(x), float(a))
            for t, x, a in zip(frame.index, load.to_numpy(dtype=float), amb, strict=True)
            if t > frame.index[-1] - self.keep
        ]

    def step(self, ts: datetime, values: dict[str, float]) -> Estimate:
        """Advance the model to ``ts`` with the snapshot's load and ambient (one transformer
        of :func:`step_fleet`)."""
        result = step_fleet([(self, ts, values)])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def _inputs(self, ts: datetime, values: dict[str, float]) -> tuple[pd.Timestamp, float, float]:
        """``(instant, load [pu], ambient [°C])`` of a snapshot; a value it lacks holds the last
        one received."""
        prev = self.last
        load = values.get(self.load)
        ambient = values.get(self.ambient)
        load_pu = self._load_pu(load) if load is not None else (prev[1] if prev else None)
        ambient = ambient if ambient is not None else (prev[2] if prev else None)
        if load_pu is None or ambient is None:
            raise InputError(f"IEC model needs {self.load!r} and {self.ambient!r}")
        return pd.Timestamp(ts), load_pu, ambient

    def _steady(self, now: pd.Timestamp) -> bool:
        """No state to continue from (or no time elapsed): steady state at this reading."""
        return self.state is None or self.last is None or now <= self.last[0]

    def _advanced(
        self, now: pd.Timestamp, load_pu: float, ambient: float, result: Any, row: int
    ) -> Estimate:
        """Keep row ``row`` of a fleet step as this estimator's state; its estimate."""
        steady = self._steady(now)
        self.state = ThermalState(
            result.final_state.method, tuple(v[row : row + 1] for v in result.final_state.values)
        )
        self.last = (now, load_pu, ambient)
        self._remember(now, load_pu, ambient)
        temps = result.top_oil_c if self.oil else result.hot_spot_c
        return Estimate(float(temps[row, -1]), None, None, self.model_id, self.basis, steady)

    def _remember(self, at: pd.Timestamp, load_pu: float, ambient: float) -> None:
        """Keep an input in time order (a late one too), for ``keep`` before the newest."""
        i = bisect.bisect_left(self.inputs, at, key=lambda r: r[0])
        if i < len(self.inputs) and self.inputs[i][0] == at:
            self.inputs[i] = (at, load_pu, ambient)
        else:
            self.inputs.insert(i, (at, load_pu, ambient))
        horizon = self.inputs[-1][0] - self.keep
        while self.inputs and self.inputs[0][0] <= horizon:
            self.inputs.pop(0)

    def _late(self, at: pd.Timestamp, load_pu: float, ambient: float) -> Estimate:
        """A reading older than the newest one: predicted from the inputs before it (steady
        state at the first of them), whatever order they arrived in; the running state (the
        newest) is left as it is."""
        self._remember(at, load_pu, ambient)
        rows = [r for r in self.inputs if r[0] <= at]
        if not rows or rows[-1][0] != at:  # older than the history kept: itself alone
            rows = [(at, load_pu, ambient)]
        steps = np.array([0.0] + [(b[0] - a[0]).total_seconds() / 60.0
                                  for a, b in itertools.pairwise(rows)])  # fmt: skip
        result = simulate(
            self.spec, np.array([r[1] for r in rows]), np.array([r[2] for r in rows]), steps,
            initial="steady",
        )  # fmt: skip
        temps = np.asarray(result.top_oil_c if self.oil else result.hot_spot_c)
        return Estimate(
            float(temps[-1]), None, None, self.model_id, self.basis, assumed_steady=len(rows) < 2
        )


Stepped = tuple[IecEstimator, datetime, dict[str, float]]


def step_fleet(items: Sequence[Stepped]) -> list[Estimate | InputError]:
    """Advance many IEC estimators by one snapshot each, as one fleet array.

    The IEC 60076-7 model of every transformer is stepped by one
    :func:`~thermowatch.thermal.simulate` call on ``(m, 2)`` arrays (each row from its own
    state over its own time step) instead of one call per transformer and reading, which was
    most of a monitor's round; those without a state yet start in one steady-state call. Each
    estimator appears at most once. A late reading (older than its newest) is predicted alone
    from its history (:meth:`IecEstimator._late`).

    Parameters
    ----------
    items : sequence of (estimator, instant, GOOD values of the snapshot)

    Returns
    -------
    list
        Per item, its :class:`Estimate`, or the :class:`~thermowatch.errors.InputError` that
        refused it (a missing load or ambient, a value the physics refuses): one transformer's
        refusal is its own.
    """
    out: list[Estimate | InputError | None] = [None] * len(items)
    steady: list[tuple[int, pd.Timestamp, float, float]] = []
    moving: list[tuple[int, pd.Timestamp, float, float]] = []
    for i, (iec, ts, values) in enumerate(items):
        try:
            now, load_pu, ambient = iec._inputs(ts, values)
            if iec.last is not None and now < iec.last[0]:
                out[i] = iec._late(now, load_pu, ambient)
                continue
        except InputError as exc:
            out[i] = exc
            continue
        (steady if iec._steady(now) else moving).append((i, now, load_pu, ambient))
    for rows, start in ((steady, True), (moving, False)):
        _step_rows(items, rows, start, out)
    return out  # type: ignore[return-value]


def _step_rows(
    items: Sequence[Stepped],
    rows: list[tuple[int, pd.Timestamp, float, float]],
    start: bool,
    out: list[Any],
) -> None:
    """One simulate call for ``rows`` (steady start, or one step from their states); a row the
    physics refuses is retried alone so that only it fails, with its own message."""
    if not rows:
        return
    iecs = [items[i][0] for i, *_ in rows]
    load = np.array([r[2] for r in rows])
    ambient = np.array([r[3] for r in rows])
    try:
        if start:
            result = simulate([e.spec for e in iecs], load[:, None], ambient[:, None], 1.0)
        else:
            prev = np.array([e.last[1:] for e in iecs])  # type: ignore[index]
            dt = np.zeros((len(rows), 2))
            dt[:, 1] = [(now - e.last[0]).total_seconds() / 60.0  # type: ignore[index]
                        for e, (_, now, *_r) in zip(iecs, rows, strict=True)]  # fmt: skip
            values = [e.state.values for e in iecs]  # type: ignore[union-attr]
            state = ThermalState(
                iecs[0].state.method,  # type: ignore[union-attr]
                tuple(np.concatenate([v[k] for v in values]) for k in range(len(values[0]))),
            )
            result = simulate(
                [e.spec for e in iecs], np.column_stack([prev[:, 0], load]),
                np.column_stack([prev[:, 1], ambient]), dt, initial=state,
            )  # fmt: skip
    except InputError as exc:
        if len(rows) == 1:
            out[rows[0][0]] = exc
            return
        for row in rows:
            _step_rows(items, [row], start, out)
        return
    for j, (i, now, load_pu, amb) in enumerate(rows):
        out[i] = iecs[j]._advanced(now, load_pu, amb, result, j)


def physics_forecast(
    iec: IecEstimator, anchor_c: float, horizon_min: float, step_min: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """Forecast of the target [°C] every ``step_min`` up to ``horizon_min`` [min] ahead.

    The IEC 60076-7 model continues from the estimator's current thermal state with the
    latest load and ambient held; the forecast is ``anchor_c`` (the champion's value now, or
    the measured one) plus the physics' rise from now, so the learned offset between the
    champion and the physics is carried over the horizon. More load or a hotter ambient
    never gives a cooler forecast. ``None`` before the estimator has a state.

    Returns
    -------
    (minutes ahead, forecast [°C]) : two arrays of the same length (first point: one step).
    """
    return physics_forecasts([(iec, anchor_c)], horizon_min, step_min)[0]


def physics_forecasts(
    items: Sequence[tuple[IecEstimator, float]], horizon_min: float, step_min: float
) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """:func:`physics_forecast` of many estimators as one fleet array (one
    :func:`~thermowatch.thermal.simulate` call of ``(m, horizon / step + 1)``).

    Parameters
    ----------
    items : sequence of (estimator, anchor [°C])
    horizon_min, step_min : horizon and step of the forecast [min]

    Returns
    -------
    list
        Per item, (minutes ahead, forecast [°C]), or ``None`` before its estimator has a state.
    """
    out: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(items)
    ready = [i for i, (iec, _) in enumerate(items) if iec.state is not None and iec.last]
    if not ready:
        return out
    iecs = [items[i][0] for i in ready]
    n = max(1, int(horizon_min // step_min))
    held = np.array([e.last[1:] for e in iecs])  # type: ignore[index]
    values = [e.state.values for e in iecs]  # type: ignore[union-attr]
    state = ThermalState(
        iecs[0].state.method,  # type: ignore[union-attr]
        tuple(np.concatenate([v[k] for v in values]) for k in range(len(values[0]))),
    )
    result = simulate(
        [e.spec for e in iecs], np.repeat(held[:, :1], n + 1, axis=1),
        np.repeat(held[:, 1:], n + 1, axis=1), step_min, initial=state,
    )  # fmt: skip
    oil = np.array([e.oil for e in iecs])[:, None]
    temps = np.where(oil, result.top_oil_c, result.hot_spot_c)
    anchors = np.array([items[i][1] for i in ready])[:, None]
    rises = anchors + (temps[:, 1:] - temps[:, :1])
    ahead = step_min * np.arange(1, n + 1, dtype=np.float64)
    for j, i in enumerate(ready):
        out[i] = ahead, rises[j]
    return out
