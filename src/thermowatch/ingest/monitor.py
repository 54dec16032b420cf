"""The monitoring loop: collect, validate, predict, store, hand over to alerting, every period.

One asyncio process. Transformers sharing a source connection share one :class:`Hub`;
transformers with the same period share one periodic task. Each period (aligned on
multiples of the period, so that a restart stamps the same instants):

1. every hub hands over the samples of its transformers (polled now or queued since last);
2. per transformer: validate (:mod:`.validate`), predict the snapshot in process
   (:mod:`.predict`), compute the residual measured - predicted and its flag;
3. the readings and predictions of all transformers go to the store in one transaction,
   or to the durable spool while the database is away (:mod:`.storage`);
4. ``on_prediction`` is called per transformer (:mod:`.hooks`).

A transformer without data for a period is "no data"; after ``missed_periods_alert``
periods a data-alert event is logged (not a temperature alert), and when data comes back
the gap is logged and kept in :attr:`TransformerState.gaps`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from thermowatch.errors import InputError
from thermowatch.ingest.config import MonitorConfig, TransformerConfig
from thermowatch.ingest.hooks import OnPrediction, level_only
from thermowatch.ingest.predict import (
    Estimate,
    IecEstimator,
    ModelEstimator,
    default_thresholds,
)
from thermowatch.ingest.sources import Hub, Sample, make_hub
from thermowatch.ingest.spool import Spool
from thermowatch.ingest.storage import Storage
from thermowatch.ingest.validate import SnapshotValidator
from thermowatch.learn.result import Thresholds
from thermowatch.store.tables import Quality
from thermowatch.store.types import to_micros

log = logging.getLogger("thermowatch.ingest")
data_alerts = logging.getLogger("thermowatch.ingest.data_alert")


@dataclass
class TransformerState:
    """What the monitor knows about one transformer (``status``: ``ok`` or ``no data``)."""

    config: TransformerConfig
    estimator: Any
    thresholds: Thresholds
    validator: SnapshotValidator
    status: str = "starting"
    missed: int = 0
    last_data: datetime | None = None
    gaps: list[tuple[datetime | None, datetime]] = field(default_factory=list)
    last_estimate: Estimate | None = None
    residual_k: float | None = None
    residual_flag: bool = False
    level: str | None = None


@dataclass
class CycleReport:
    """One period of one group: what was done and how long it took (for logs and benchmarks)."""

    tick: datetime
    transformers: int
    with_data: int
    readings: int
    predictions: int
    stored: bool
    duration_s: float


@dataclass(frozen=True)
class DataAlert:
    """A source went silent (``kind="no_data"``) or came back (``"data_back"``)."""

    transformer_id: str
    kind: str
    at: datetime
    message: str


def align(now: datetime, period_s: float) -> datetime:
    """The latest multiple of ``period_s`` since the epoch not after ``now`` (UTC)."""
    epoch = now.timestamp()
    return datetime.fromtimestamp(math.floor(epoch / period_s) * period_s, UTC)


class Monitor:
    """The ``thermowatch monitor`` daemon.

    Parameters
    ----------
    config
        From :func:`thermowatch.ingest.config.load_config`.
    engine
        The store (default: ``make_engine(config.database_url)``); migrated beforehand.
    on_prediction
        Alerting hook (:mod:`thermowatch.ingest.hooks`); default :func:`level_only`.
    """

    def __init__(
        self,
        config: MonitorConfig,
        engine: Engine | None = None,
        on_prediction: OnPrediction = level_only,
        lease: Any = None,
    ) -> None:
        from thermowatch.store.engine import make_engine

        self.config = config
        self.engine = engine or make_engine(config.database_url)
        self.on_prediction = on_prediction
        self.spool = Spool(config.spool_dir)
        self.storage = Storage(self.engine, self.spool, config.transformers)
        self.hubs: dict[tuple[Any, ...], Hub] = {}
        self.hub_of: dict[str, Hub] = {}
        for t in config.transformers:
            key = t.source.connection_key
            if key not in self.hubs:
                self.hubs[key] = make_hub(t.source)
            self.hubs[key].add(t)
            self.hub_of[t.id] = self.hubs[key]
        self.states: dict[str, TransformerState] = {}
        self.reports: list[CycleReport] = []
        self.data_alerts: list[DataAlert] = []
        self.stop_event = asyncio.Event()
        self._store_lock = asyncio.Lock()
        self.lease = lease  # store.leases.LeaderLease: only its holder collects (HA pair)

    # ---------------------------------------------------------------------------- set-up
    def _history(self, t: TransformerConfig, minutes: float) -> pd.DataFrame:
        from thermowatch.store.readings import recent_readings

        try:
            return recent_readings(self.engine, t.id, hours=minutes / 60.0)
        except Exception as exc:  # database away at start: begin without history
            log.warning("%s: no history from the store (%s)", t.id, exc)
            return pd.DataFrame()

    def _champion_dir(self, tid: str) -> str | None:
        from thermowatch.store.models import champion

        try:
            model = champion(self.engine, tid)
        except Exception:
            return None
        return model.artifact_path if model else None

    def _make_state(self, t: TransformerConfig) -> TransformerState:
        from thermowatch.learn.artifact import load_model

        model_dir = t.model or self._champion_dir(t.id)
        if model_dir:
            predictor = load_model(model_dir)
            history = self._history(t, float(predictor.metadata.get("history_minutes", 1440)))
            estimator: Any = ModelEstimator(predictor, history)
            thresholds = predictor.thresholds
            log.info("%s: predicted by model %s", t.id, predictor.model_id)
        else:
            if t.spec is None:
                raise InputError(
                    f"transformer {t.id!r}: no trained model and no spec; give "
                    "spec = { preset = ... } or model = ... in its config table"
                )
            estimator = IecEstimator(t.spec, t.target, t.load, t.ambient)
            estimator.warm_up(self._history(t, 2 * t.spec.tau_oil_min * 3))
            thresholds = default_thresholds(t.target)
            log.info("%s: no trained model yet, predicted by the IEC 60076-7 model", t.id)
        if t.thresholds:
            thresholds = Thresholds(t.thresholds["alerte_c"], t.thresholds["critique_c"], "config")
        return TransformerState(
            t, estimator, thresholds, SnapshotValidator(self.config.stale_periods)
        )

    async def start(self) -> None:
        """Load models and histories, replay the spool, connect the sources."""
        for i, t in enumerate(self.config.transformers):
            if t.source.protocol == "replay" and not Path(t.source.path).exists():
                raise InputError(
                    f"config key transformers[{i}].source.path: file {t.source.path!r} "
                    "does not exist"
                )
        for t in self.config.transformers:
            self.states[t.id] = await asyncio.to_thread(self._make_state, t)
        if self.spool.pending():
            log.info("spool holds %d batches from a previous run; replaying", self.spool.pending())
            await asyncio.to_thread(self.storage.drain)
        for hub in self.hubs.values():
            await hub.start()

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Wait until every hub is connected (tests, benchmarks)."""
        await asyncio.wait_for(
            asyncio.gather(*(h.connected.wait() for h in self.hubs.values())), timeout
        )

    # ----------------------------------------------------------------------------- cycle
    async def run_cycle(
        self, ids: Sequence[str], tick: datetime, *, flush: bool = False
    ) -> CycleReport:
        """One period for the transformers ``ids``, stamped ``tick``.

        ``flush``: the final hand-over at shutdown; a transformer without queued data is not
        counted as a missed period.
        """
        started = time.perf_counter()
        by_hub: dict[int, list[str]] = {}
        for tid in ids:
            by_hub.setdefault(id(self.hub_of[tid]), []).append(tid)
        hubs = {id(h): h for h in self.hub_of.values()}
        results = await asyncio.gather(
            *(hubs[k].collect(tids, tick) for k, tids in by_hub.items()), return_exceptions=True
        )
        samples: dict[str, list[Sample]] = {}
        for res in results:
            if isinstance(res, BaseException):
                log.warning("collect failed: %s", res)
            else:
                samples.update(res)
        readings: list[list[Any]] = []
        predictions: list[list[Any]] = []
        calls = []
        for tid in ids:
            state = self.states[tid]
            got = samples.get(tid)
            if not got:
                if not flush:
                    self._no_data(state, tick)
                continue
            self._data_back(state, got[-1].ts)
            call = self._process(state, got, readings, predictions)
            if call is not None:
                calls.append(call)
        batch = {"readings": readings, "predictions": predictions}
        async with self._store_lock:
            stored = await asyncio.to_thread(self.storage.store, batch)
        for call in calls:
            await self._call_hook(*call)
        report = CycleReport(
            tick, len(ids), len(ids) - sum(1 for t in ids if not samples.get(t)),
            len(readings), len(predictions), stored, time.perf_counter() - started,
        )  # fmt: skip
        self.reports.append(report)
        return report

    def _process(
        self,
        state: TransformerState,
        got: list[Sample],
        readings: list[list[Any]],
        predictions: list[list[Any]],
    ) -> tuple[Any, ...] | None:
        t = state.config
        estimate = None
        for i, sample in enumerate(got):
            last = i == len(got) - 1
            # Staleness is judged once per period, on the snapshot the prediction uses.
            quality = (
                state.validator.check(sample.values)
                if last
                else {v: int(Quality.GOOD) for v in sample.values}
            )
            us = to_micros(sample.ts)
            for var, value in sample.values.items():
                if math.isfinite(value):
                    readings.append([t.id, us, var, value, quality[var], sample.source])
            good = {v: x for v, x in sample.values.items() if quality[v] == Quality.GOOD}
            try:
                estimate = state.estimator.step(sample.ts, good)
            except InputError as exc:
                log.warning("%s: no prediction at %s (%s)", t.id, sample.ts, exc)
                estimate = None
                continue
        if estimate is None:
            return None
        sample = got[-1]
        measured = sample.values.get(t.target)
        if measured is not None and quality.get(t.target) != Quality.GOOD:
            measured = None
        level = state.thresholds.level(estimate.predicted_c)
        predictions.append(
            [t.id, to_micros(sample.ts), estimate.model_id, estimate.predicted_c,
             estimate.lower_c, estimate.upper_c, level]
        )  # fmt: skip
        state.last_estimate = estimate
        state.residual_k = None if measured is None else measured - estimate.predicted_c
        flag = state.residual_k is not None and state.residual_k > self.config.residual_flag_k
        if flag and not state.residual_flag:
            log.warning(
                "%s: measured %.1f °C is %.1f K above the normal-behaviour prediction "
                "(%s): possible cooling problem",
                t.id, measured, state.residual_k, estimate.basis,
            )  # fmt: skip
        state.residual_flag = flag
        state.level = level
        return (t.id, sample.ts, estimate.predicted_c, measured, state.thresholds)

    async def _call_hook(self, *args: Any) -> None:
        try:
            result = self.on_prediction(*args)
            if inspect.isawaitable(result):
                result = await result
        except Exception:  # an alerting bug must not stop data collection
            log.exception("on_prediction hook failed for %s", args[0])

    def _no_data(self, state: TransformerState, tick: datetime) -> None:
        state.missed += 1
        if state.status != "no data":
            log.info("%s: no data at %s", state.config.id, tick.isoformat())
        state.status = "no data"
        if state.missed == self.config.missed_periods_alert:
            msg = (
                f"{state.config.id}: no data for {state.missed} periods "
                f"(last at {state.last_data.isoformat() if state.last_data else 'never'})"
            )
            data_alerts.warning(msg)
            self.data_alerts.append(DataAlert(state.config.id, "no_data", tick, msg))

    def _data_back(self, state: TransformerState, ts: datetime) -> None:
        if state.missed and state.last_data is not None:
            state.gaps.append((state.last_data, ts))
            msg = f"{state.config.id}: data back at {ts.isoformat()}, gap since {state.last_data.isoformat()}"
            log.warning(msg)
            if state.missed >= self.config.missed_periods_alert:
                self.data_alerts.append(DataAlert(state.config.id, "data_back", ts, msg))
        state.missed = 0
        state.status = "ok"
        state.last_data = ts

    # ------------------------------------------------------------------------------ loop
    async def _period_loop(self, period_s: float, ids: list[str], cycles: int | None) -> None:
        done = 0
        while not self.stop_event.is_set() and (cycles is None or done < cycles):
            now = datetime.now(UTC)
            tick = align(now, period_s) + timedelta(seconds=period_s)
            try:
                await asyncio.wait_for(
                    self.stop_event.wait(), (tick - datetime.now(UTC)).total_seconds()
                )
                break  # stopping: the final flush happens in run()
            except TimeoutError:
                pass
            if self.lease is not None and not await asyncio.to_thread(self.lease.still_held):
                log.error("leader lease lost to another monitor: stopping")
                self.stop()
                break
            report = await self.run_cycle(ids, tick)
            done += 1
            log.info(
                "cycle %s: %d/%d with data, %d readings, %.3f s",
                tick.isoformat(), report.with_data, report.transformers, report.readings,
                report.duration_s,
            )  # fmt: skip

    async def run(self, cycles: int | None = None) -> None:
        """Run until :meth:`stop` (SIGTERM in the CLI) or ``cycles`` periods per group."""
        if self.lease is not None:
            from thermowatch.store.leases import wait_for_lease

            if not await wait_for_lease(self.lease, self.stop_event):
                return
        await self.start()
        groups: dict[float, list[str]] = {}
        for t in self.config.transformers:
            groups.setdefault(t.period_s, []).append(t.id)
        try:
            await asyncio.gather(*(self._period_loop(p, ids, cycles) for p, ids in groups.items()))
        finally:
            await self.shutdown()

    def stop(self) -> None:
        """Ask the loop to finish (signal-handler safe)."""
        self.stop_event.set()

    async def shutdown(self) -> None:
        """Flush what the sources queued, store it (or spool it) and disconnect."""
        ids = [t.id for t in self.config.transformers if t.source.protocol in ("mqtt", "replay")]
        if ids:
            try:
                await self.run_cycle(ids, datetime.now(UTC), flush=True)
            except Exception:
                log.exception("final flush failed")
        for hub in self.hubs.values():
            await hub.close()
        self.spool.close()
        if self.lease is not None:
            self.lease.release()
        log.info("monitor stopped")


async def run_monitor(
    config: MonitorConfig,
    on_prediction: OnPrediction = level_only,
    install_signals: bool = True,
    on_ready: Callable[[Monitor], None] | None = None,
    lease_name: str | None = None,
) -> Monitor:
    """Run the daemon until SIGTERM/SIGINT; returns the stopped :class:`Monitor`.

    With ``lease_name``, only the holder of that leader lease collects; others stand by.
    """
    import signal

    monitor = Monitor(config, on_prediction=on_prediction)
    if lease_name:
        from thermowatch.store.leases import LeaderLease

        monitor.lease = LeaderLease(monitor.engine, lease_name)
    if install_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, monitor.stop)
    if on_ready is not None:
        on_ready(monitor)
    await monitor.run()
    return monitor
