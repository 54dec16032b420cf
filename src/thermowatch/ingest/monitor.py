"""The monitoring loop: collect every period, then the one live pipeline.

One asyncio process. Transformers sharing a source connection share one :class:`Hub`;
transformers with the same period share one periodic task. Each period (aligned on
multiples of the period, so that a restart stamps the same instants):

1. every hub hands over the samples of its transformers (polled now or queued since last);
2. :meth:`thermowatch.live.Pipeline.prepare` validates every value of every sample, predicts
   and levels them (the same code as ``POST /v1/readings``);
3. the batch of all transformers goes to the store in one transaction, or to the durable spool
   while the database is away (:mod:`.storage`);
4. one :class:`~thermowatch.live.PredictionEvent` per sample goes to the alert hook.

A transformer without data for ``missed_periods_alert`` periods raises the stored stale-data
alert through the hook (``source_down``); when data comes back the gap is logged and kept
in :attr:`TransformerState.gaps` (the latest few only: memory stays flat).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client import Counter
from sqlalchemy import Engine

from thermowatch.errors import InputError
from thermowatch.ingest.config import MonitorConfig, TransformerConfig
from thermowatch.ingest.sources import Hub, Sample, make_hub
from thermowatch.ingest.spool import Spool
from thermowatch.ingest.storage import Storage, database_unavailable
from thermowatch.learn.result import Thresholds
from thermowatch.live import LiveSettings, Pipeline, PredictionEvent, Profile, Snapshot
from thermowatch.live.pipeline import FAILED, ShadowHook

log = logging.getLogger("thermowatch.ingest")
data_alerts = logging.getLogger("thermowatch.ingest.data_alert")
KEEP_REPORTS = 1000  # cycle reports kept for status and benchmarks
KEEP_GAPS = 20  # gaps kept per transformer
KEEP_DATA_ALERTS = 1000
KEEP_UNEVALUATED = 100_000  # events held for the alert engine while the database is away
# Events per alert transaction: the engine locks each transformer's alarm states, and 10,000 in
# one transaction ran PostgreSQL out of lock slots ("out of shared memory": none evaluated;
# the slots, max_locks_per_transaction x max_connections = 6,400 by default, are shared).
ALERT_CHUNK = 500
# Events waiting for the alert task (:meth:`Monitor._alert_loop`) past which a cycle waits for
# it before taking more: the alarms may lag the readings by a few cycles, never by a backlog.
ALERT_BACKLOG = 20_000
MODELS_REFUSED = Counter(
    "thermowatch_monitor_models_refused_total",
    "Models refused at monitor start (integrity check failed); the transformer goes on without",
)

#: The alert hook the monitor feeds: ``hook(event)``; ``hook.source_down(tid, last, now)``
#: when it has one.
OnPrediction = Callable[[PredictionEvent], Any]


def no_alerts(event: PredictionEvent) -> str | None:
    """Hook when alerting is off (the store is away at start): the worse level only."""
    return event.worst[0]


@dataclass
class TransformerState:
    """What the monitor knows about one transformer (``status``: ``ok`` or ``no data``)."""

    config: TransformerConfig
    thresholds: Thresholds
    status: str = "starting"
    missed: int = 0
    last_data: datetime | None = None
    gaps: deque[tuple[datetime | None, datetime]] = field(
        default_factory=lambda: deque(maxlen=KEEP_GAPS)
    )
    last_event: PredictionEvent | None = None
    residual_k: float | None = None
    residual_flag: bool = False
    level: str | None = None
    flushed: bool = False  # had data in a flush between ticks since the last tick


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
    #: seconds per stage: collect, prepare, store, acknowledge (alerts: :meth:`Monitor._evaluate`)
    stages: dict[str, float] = field(default_factory=dict)
    #: age of the oldest reading when its batch was committed [s] (``None``: none)
    age_s: float | None = None


@dataclass(frozen=True)
class DataAlert:
    """A source went silent (``kind="no_data"``) or came back (``"data_back"``)."""

    transformer_id: str
    kind: str
    at: datetime
    message: str


class CycleChanges:
    """Transformers whose data went or came back in one cycle: logged as one INFO line (a
    fleet's rounds drifting against the tick made one line per transformer: 20,000 a cycle),
    the first few named; each one is logged at DEBUG where it happens."""

    NAMED = 5

    def __init__(self) -> None:
        self.count = 0
        self.named: list[str] = []

    def add(self, transformer_id: str) -> None:
        self.count += 1
        if len(self.named) < self.NAMED:
            self.named.append(transformer_id)

    def log(self, tick: datetime, what: str) -> None:
        """One INFO line, if any changed: ``cycle <tick>: <what> for N transformer(s) (...)``."""
        if self.count:
            more = ", ..." if self.count > len(self.named) else ""
            log.info("cycle %s: %s for %d transformer(s) (%s)", tick.isoformat(), what,
                     self.count, ", ".join(self.named) + more)  # fmt: skip


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
        The alert hook (:func:`thermowatch.alerts.hook.alert_hook`); default :func:`no_alerts`.
    lease
        A :class:`~thermowatch.store.leases.LeaderLease`: only its holder collects.
    shadow
        The trials' hook of the pipeline (:func:`thermowatch.jobs.trials.predict_in_shadow`).
    """

    def __init__(
        self,
        config: MonitorConfig,
        engine: Engine | None = None,
        on_prediction: OnPrediction = no_alerts,
        lease: Any = None,
        shadow: ShadowHook | None = None,
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
        self.profiles: dict[str, Profile] = {}
        self.pipeline = Pipeline(
            self.engine, self.profiles.get, None,
            LiveSettings(
                max_future_skew=timedelta(seconds=config.max_future_skew_s),
                stale_periods=config.stale_periods,
                frozen_after=timedelta(seconds=config.frozen_after_s),
            ),
            shadow=shadow,
        )  # fmt: skip
        self.reports: deque[CycleReport] = deque(maxlen=KEEP_REPORTS)
        self.data_alerts: deque[DataAlert] = deque(maxlen=KEEP_DATA_ALERTS)
        self.stop_event = asyncio.Event()
        self._store_lock = asyncio.Lock()
        self._cycle_lock = asyncio.Lock()
        self._share_lock = asyncio.Lock()
        self.lease = lease  # store.leases.LeaderLease: only its holder collects (HA pair)
        self._refusals: list[list[Any]] = []  # issue rows of models refused at start
        self._unevaluated: list[PredictionEvent] = []  # alerts held while the database is away
        # Running (:meth:`run`): each cycle's alerts go to one task, in cycle order, so that the
        # next batch of readings is stored meanwhile; ``None``: evaluated within the cycle.
        self._alert_task: asyncio.Task[None] | None = None
        self._alert_queue: deque[tuple[list[PredictionEvent], list[Any]]] = deque()
        self._alert_wake = asyncio.Event()
        self._alerts_closing = False
        self._flushes: list[CycleReport] = []  # the flush cycles since the last tick
        self._alerts_s = 0.0  # seconds spent evaluating alerts since the last tick
        self.shards: Any = None  # ingest.shards.ShardMember: this monitor collects its share
        self._started = False  # start() done: the transformers are registered in the store
        if config.shard_group:
            self._join_shards(config.shard_group, config.shard_member)

    # ---------------------------------------------------------------------------- set-up
    # A few queries for all the transformers being set up, not four each: a monitor starting
    # 10,000 transformers one query (and one commit) at a time took minutes.
    def _histories(self, minutes: dict[str, float]) -> dict[str, Any]:
        import pandas as pd

        from thermowatch.store import readings

        hours = {tid: m / 60.0 for tid, m in minutes.items() if m > 0}
        try:  # GOOD values only: a flagged value never reaches the physics or a model
            found = readings.recent_readings_many(self.engine, hours, good_only=True)
        except Exception as exc:  # database away at start: begin without history
            log.warning("%d transformer(s): no history from the store (%s)", len(hours), exc)
            found = {}
        return {tid: found.get(tid, pd.DataFrame()) for tid in minutes}

    def _store_thresholds(self, profiles: list[Any]) -> None:
        """Store the thresholds resolved for transformers now, before their first reading."""
        from thermowatch.store.state import save_thresholds_many

        rows = [(p.transformer_id, p.thresholds.alerte_c, p.thresholds.critique_c,
                 p.thresholds.rule) for p in profiles]  # fmt: skip
        try:
            save_thresholds_many(self.engine, rows)
        except Exception as exc:  # store away or transformers not registered yet: the first
            log.debug("thresholds not stored yet (%s)", exc)

    def _champions(self, configs: list[TransformerConfig]) -> dict[str, Any] | None:
        """The registry's champions of ``configs`` without a model file (``None``: store away)."""
        from thermowatch.store.models import champions

        try:
            return champions(self.engine, [t.id for t in configs if not t.model])
        except Exception as exc:  # the store is away: the IEC model until a restart
            log.warning("%d transformer(s): champions not looked up (%s)", len(configs), exc)
            return None

    def _predictor(self, t: TransformerConfig, champions: dict[str, Any] | None) -> Any:
        """The transformer's model, verified; ``None`` for the IEC model. A model failing its
        integrity check costs only this transformer its learned predictions: it is refused
        (logged, counted, stored as a FAILED issue at start) and its measured level still
        alarms with the thresholds of its config or nameplate."""
        from thermowatch.live.champion import load_verified

        try:
            if t.model:
                return load_verified(t.model, None)
            model = (champions or {}).get(t.id)
            return load_verified(model.artifact_path, model.sha256) if model else None
        except InputError as exc:
            reason = f"model refused: {exc}"
            MODELS_REFUSED.inc()
            log.error("%s: %s; measured-level alarms go on", t.id, reason)
            self._refusals.append([t.id, None, "*", t.model, FAILED, reason[:1000], "monitor",
                                   int(time.time() * 1e6)])  # fmt: skip
        return None

    def _make_states(self, configs: list[TransformerConfig]) -> list[Any]:
        """Load the models and histories of ``configs``, make their states; their profiles."""
        from thermowatch.live.profiles import make_profile

        champions = self._champions(configs)
        predictors: dict[str, Any] = {}
        minutes: dict[str, float] = {}
        for t in configs:
            refused = len(self._refusals)
            predictor = predictors[t.id] = self._predictor(t, champions)
            if predictor is None and t.spec is None and len(self._refusals) == refused:
                raise InputError(
                    f"transformer {t.id!r}: no trained model and no spec; give "
                    "spec = { preset = ... } or model = ... in its config table"
                )
            minutes[t.id] = float(predictor.metadata.get("history_minutes", 1440)) if predictor \
                else (2 * t.spec.tau_oil_min * 3 if t.spec else 0.0)  # fmt: skip
        histories = self._histories(minutes)
        profiles = []
        for t in configs:
            predictor = predictors[t.id]
            profile = make_profile(
                t.id, predictor=predictor, spec=t.spec, target=t.target, thresholds=t.thresholds,
                load=t.load, ambient=t.ambient, history=histories[t.id],
            )  # fmt: skip
            self.profiles[t.id] = profile
            self.pipeline.forget(t.id)
            if predictor is not None:
                log.info("%s: predicted by model %s", t.id, predictor.model_id)
            else:
                log.debug("%s: no trained model yet, predicted by the IEC 60076-7 model", t.id)
            self.states[t.id] = TransformerState(t, profile.thresholds)
            profiles.append(profile)
        log.info("%d transformer(s) set up", len(configs))
        return profiles

    async def start(self) -> None:
        """Load models and histories, replay the spool, connect the sources."""
        for i, t in enumerate(self.config.transformers):
            if t.source.protocol == "replay" and not Path(t.source.path).exists():
                raise InputError(
                    f"config key transformers[{i}].source.path: file {t.source.path!r} "
                    "does not exist"
                )
        if self.shards is None:
            await asyncio.to_thread(self._make_states, list(self.config.transformers))
        else:  # its share only: the states of the others are made if they come to it
            await self._take_share()
        if self.spool.pending():
            log.info("spool holds %d batches from a previous run; replaying", self.spool.pending())
        await asyncio.to_thread(self.storage.drain)  # registers the transformers too
        if self._refusals:  # refused models, stored (or spooled) like any refusal
            await asyncio.to_thread(self.storage.store, {"issues": self._refusals})
            self._refusals = []
        await asyncio.to_thread(self._store_thresholds, list(self.profiles.values()))
        self._started = True
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

        ``flush``: between periods (``flush_s``) or the final hand-over at shutdown; a
        transformer without queued data is not counted as a missed period.
        """
        async with self._cycle_lock:  # one at a time: a source's acks follow their own store
            return await self._cycle(ids, tick, flush)

    async def _cycle(self, ids: Sequence[str], tick: datetime, flush: bool) -> CycleReport:
        started = time.perf_counter()
        by_hub: dict[int, list[str]] = {}
        for tid in ids:
            by_hub.setdefault(id(self.hub_of[tid]), []).append(tid)
        hubs = {id(h): h for h in self.hub_of.values()}
        budget = self._collect_budget(ids)
        results = await asyncio.gather(
            *(self._collect(hubs[k], tids, tick, budget) for k, tids in by_hub.items())
        )
        samples: dict[str, list[Sample]] = {}
        for res in results:
            samples.update(res)
        collected = time.perf_counter()
        snapshots: list[Snapshot] = []
        silent: list[tuple[str, datetime | None, datetime]] = []
        went, back = CycleChanges(), CycleChanges()  # logged as one line each (a fleet)
        for tid in ids:
            state = self.states[tid]
            got = samples.get(tid, [])
            # Refusals (Bad status, Modbus exception) are stored with their reason, but a
            # transformer whose source refused every value has no data this period.
            snapshots.extend(Snapshot(tid, s.ts, s.values, s.source, s.quality) for s in got)
            if not any(s.usable for s in got):
                if self.hub_of[tid].unchanged(tid) and state.last_data is not None:
                    continue  # a live subscription with nothing new: not a silence
                if state.flushed and not flush:
                    state.flushed = False  # stored between ticks (flush_s): not a silence
                    continue
                # A shared subscription's member sees a share of the messages: a transformer
                # it got nothing for may be served by another monitor of the group.
                if not flush and not self.hub_of[tid].shared and self._no_data(state, tick, went):
                    silent.append((tid, state.last_data, tick))
                continue
            state.flushed = flush
            newest = max(s.ts for s in got if s.usable)
            if state.missed >= self.config.missed_periods_alert:
                silent.append((tid, newest, newest))  # back: the stale alert resolves
            self._data_back(state, newest, back)
        went.log(tick, "no data")
        back.log(tick, "data back after a gap")
        # In a thread: a cycle of thousands of transformers must not starve the event loop (an
        # MQTT client that cannot answer its keepalive is disconnected by the broker).
        batch, events = await asyncio.to_thread(self.pipeline.prepare, snapshots)
        prepared = time.perf_counter()
        async with self._store_lock:
            stored = await asyncio.to_thread(self.storage.store, batch)
        committed, at = time.perf_counter(), datetime.now(UTC)
        # Durable now (database, spool or quarantine): only now are MQTT messages acknowledged.
        for hub in hubs.values():
            await hub.settle()
        stages = {"collect": collected - started, "prepare": prepared - collected,
                  "store": committed - prepared, "acknowledge": time.perf_counter() - committed}  # fmt: skip
        oldest = min((s.ts for s in snapshots), default=None)
        for event in events:
            self._remember(event)
        if self._alert_task is None or self._alert_task.done():
            await self._evaluate(events, silent)
        else:
            self._alert_queue.append((events, silent))
            self._alert_wake.set()
            while self._alert_backlog() > ALERT_BACKLOG and not self._alert_task.done():
                await asyncio.sleep(0.05)
        report = CycleReport(
            tick, len(ids), sum(1 for t in ids if any(s.usable for s in samples.get(t, []))),
            len(batch["readings"]), len(batch["predictions"]), stored,
            time.perf_counter() - started, stages,
            (at - oldest).total_seconds() if oldest is not None else None,
        )  # fmt: skip
        self.reports.append(report)
        return report

    async def _evaluate(self, events: list[PredictionEvent], silent: list[Any]) -> None:
        """A cycle's alerts: its events (in chunks), then its silent transformers' stale-data
        rule (after the events: data back resolves it)."""
        began = time.perf_counter()
        try:
            await self._evaluate_now(events, silent)
        finally:
            self._alerts_s += time.perf_counter() - began

    async def _evaluate_now(self, events: list[PredictionEvent], silent: list[Any]) -> None:
        events = self._alert_now(events)
        for first in range(0, len(events), ALERT_CHUNK):
            await self._alert(events[first : first + ALERT_CHUNK])
        source_down = getattr(self.on_prediction, "source_down", None)
        if source_down is not None:
            for tid, last, now in silent:
                await self._call(source_down, tid, last, now)

    def _alert_backlog(self) -> int:
        return sum(len(events) for events, _silent in self._alert_queue)

    async def _alert_loop(self) -> None:
        """Evaluate the cycles' alerts in their order, off the readings' path: a fleet's cycle
        stores its readings, hands its events here and goes on with the next batch. Cycles
        queued meanwhile are evaluated as one batch (one transaction per chunk, not per cycle),
        up to the first with silent transformers (whose stale rule comes after its events)."""
        while True:
            await self._alert_wake.wait()
            self._alert_wake.clear()
            while self._alert_queue:
                events, silent = [], []
                while self._alert_queue and not silent:
                    more, silent = self._alert_queue.popleft()
                    events += more
                try:
                    await self._evaluate(events, silent)
                except Exception:  # an alerting bug must not stop the alerts that follow
                    log.exception("alerts of %d event(s) failed", len(events))
            if self._alerts_closing:
                return

    def _start_alerts(self) -> None:
        self._alerts_closing = False
        self._alert_task = asyncio.create_task(self._alert_loop())

    async def _stop_alerts(self) -> None:
        """Evaluate what is queued, then evaluate within the cycles again."""
        task, self._alert_task = self._alert_task, None
        if task is None:
            return
        self._alerts_closing = True
        self._alert_wake.set()
        with contextlib.suppress(Exception):
            await task
        if self._alert_queue:  # the task died: what it left, here
            queued, self._alert_queue = list(self._alert_queue), deque()
            for events, silent in queued:
                await self._evaluate(events, silent)

    async def _alert(self, events: list[PredictionEvent]) -> None:
        """Evaluate ``events`` in one transaction of the hook's ``many`` when it has one."""
        many = getattr(self.on_prediction, "many", None)
        if many is not None and len(events) > 1:
            try:
                await asyncio.to_thread(many, events)
                return
            except Exception as exc:  # one transformer's failure must not hide the others' alarms
                if database_unavailable(exc):  # one by one would fail alike: one line, no trace
                    log.warning("alerts not evaluated this cycle: database unavailable (%s)",
                                type(exc).__name__)  # fmt: skip
                    return
                log.exception("alert hook failed on a cycle of %d events; one by one",
                              len(events))  # fmt: skip
        for event in events:
            await self._call_hook(event)

    def _alert_now(self, events: list[PredictionEvent]) -> list[PredictionEvent]:
        """The events to evaluate this cycle: none while the database is away (the alarms live
        there; these wait, in data order, bounded), else those held back first, then these."""
        if not self.storage.db_up:
            self._unevaluated.extend(events)
            del self._unevaluated[:-KEEP_UNEVALUATED]
            return []
        held, self._unevaluated = self._unevaluated, []
        return held + events

    def _collect_budget(self, ids: Sequence[str]) -> float:
        """Seconds the sources may take in one cycle [s]: most of the shortest period of the
        group, so that a slow device costs its own transformers a period, never the others."""
        return 0.8 * min((self.states[t].config.period_s for t in ids), default=1.0)

    async def _collect(
        self, hub: Hub, ids: list[str], tick: datetime, budget: float
    ) -> dict[str, list[Sample]]:
        """One hub's samples, bounded by ``budget`` [s]; a failure or overrun costs only its
        own transformers this period."""
        try:
            return await asyncio.wait_for(hub.collect(ids, tick), budget)
        except TimeoutError:
            log.warning(
                "%s: no answer within %.1f s; %d transformer(s) without data this period",
                hub.label, budget, len(ids),
            )  # fmt: skip
        except Exception as exc:
            log.warning("%s: collect failed (%s)", hub.label, exc)
        return {}

    def _remember(self, event: PredictionEvent) -> None:
        state = self.states[event.transformer_id]
        state.last_event = event
        if event.predicted_c is None:
            return
        state.level = event.level
        state.residual_k = event.residual_k
        sigma = event.residual_sigma_k
        flag = state.residual_k is not None and (
            state.residual_k > self.config.residual_flag_k
            or (sigma is not None and state.residual_k > 3 * sigma)
        )
        if flag and not state.residual_flag:
            log.warning(
                "%s: measured %.1f °C is %.1f K above the normal-behaviour prediction "
                "(%s): possible cooling problem",
                event.transformer_id, event.measured_c, state.residual_k, event.basis,
            )  # fmt: skip
        state.residual_flag = flag

    async def _call_hook(self, event: PredictionEvent) -> None:
        await self._call(self.on_prediction, event)

    async def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            result = fn(*args)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # an alerting bug must not stop data collection
            who = getattr(args[0], "transformer_id", args[0])
            if database_unavailable(exc):
                log.warning("%s: alerts not evaluated: database unavailable (%s)", who,
                            type(exc).__name__)  # fmt: skip
            else:
                log.exception("alert hook failed for %s", who)

    def _no_data(self, state: TransformerState, tick: datetime, went: CycleChanges) -> bool:
        """Count a silent period; ``True`` once the silence is long enough to alert. A
        transformer that had data goes into ``went`` (one line per cycle), each at DEBUG."""
        state.missed += 1
        if state.status != "no data":  # not yet any at start: not counted
            log.debug("%s: no data at %s", state.config.id, tick.isoformat())
            if state.status == "ok":
                went.add(state.config.id)
        state.status = "no data"
        if state.missed == self.config.missed_periods_alert:
            msg = (
                f"{state.config.id}: no data for {state.missed} periods "
                f"(last at {state.last_data.isoformat() if state.last_data else 'never'})"
            )
            data_alerts.warning(msg)
            self.data_alerts.append(DataAlert(state.config.id, "no_data", tick, msg))
        return state.missed >= self.config.missed_periods_alert

    def _data_back(self, state: TransformerState, ts: datetime, back: CycleChanges) -> None:
        if state.missed and state.last_data is not None:
            state.gaps.append((state.last_data, ts))
            msg = f"{state.config.id}: data back at {ts.isoformat()}, gap since {state.last_data.isoformat()}"
            log.debug(msg)
            back.add(state.config.id)
            if state.missed >= self.config.missed_periods_alert:
                self.data_alerts.append(DataAlert(state.config.id, "data_back", ts, msg))
        state.missed = 0
        state.status = "ok"
        state.last_data = ts

    # ---------------------------------------------------------------------------- shards
    def _join_shards(self, group: str, member: str | None) -> None:
        from thermowatch.ingest.shards import ShardMember
        from thermowatch.store.leases import default_holder

        period = min(t.period_s for t in self.config.transformers)
        self.shards = ShardMember(self.engine, group, member or default_holder(), period)
        for hub in self.hubs.values():
            hub.member = self.shards.member  # its own broker session in the fleet

    async def _take_share(self, ids: Sequence[str] | None = None) -> list[str]:
        """Sharded: renew the lease, claim this monitor's share, subscribe or poll it only,
        adopt what a dead monitor's session held; the ids of ``ids`` to collect this period
        (owned, or with samples still queued). Not sharded: ``ids`` as given."""
        every = [t.id for t in self.config.transformers]
        ids = every if ids is None else list(ids)
        if self.shards is None:
            return ids
        async with self._share_lock:  # the tick and a membership change: one at a time
            return await self._claim_share(every, ids)

    async def _claim_share(self, every: list[str], ids: list[str]) -> list[str]:
        try:
            owned, taken = await asyncio.to_thread(self.shards.refresh, every)
        except Exception as exc:  # store away: keep the share held (nobody can take it)
            log.warning("shard %s: not refreshed (%s)", self.shards.group, exc)
            owned, taken = self.shards.owned, {}
        self.shards.start()
        for hub in self.hubs.values():
            await hub.rebalance({t for t in owned if t in hub.transformers})
        from thermowatch.ingest.shards import owner

        for member in sorted(set(taken.values()) - {self.shards.member}):
            # One adopter per dead session (two would take it from each other and lose what
            # it holds): the survivor of highest rendezvous weight for it, who stores it all.
            if owner(f"adopt:{member}", self.shards.members) != self.shards.member:
                continue
            for hub in self.hubs.values():
                await hub.adopt(member)
        queued = set().union(*(hub.queued_ids() for hub in self.hubs.values()))
        mine = [t for t in ids if t in owned or t in queued]
        fresh = set(mine) - self.states.keys()
        new = [t for t in self.config.transformers if t.id in fresh]
        if new:
            profiles = await asyncio.to_thread(self._make_states, new)
            if self._started:  # at start: stored once the transformers are registered
                await asyncio.to_thread(self._store_thresholds, profiles)
        return mine

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
            report = await self.run_cycle(await self._take_share(ids), tick)
            done += 1
            late = datetime.now(UTC) - tick
            if late.total_seconds() >= period_s:
                log.warning(
                    "cycle %s took %.1f s, longer than the %g s period: %d tick(s) skipped",
                    tick.isoformat(), late.total_seconds(), period_s,
                    int(late.total_seconds() // period_s),
                )  # fmt: skip
            log.info(
                "cycle %s: %d/%d with data, %d readings, %.3f s",
                tick.isoformat(), report.with_data, report.transformers, report.readings,
                report.duration_s,
            )  # fmt: skip
            self._log_flushes()

    async def _flush_loop(self, every_s: float) -> None:
        """Push sources (MQTT) between ticks: what arrived is stored every ``every_s`` [s]
        instead of at the next period, so publish -> stored takes seconds, not a period.
        Every ``every_s`` from the start of the previous flush: one that took longer (a burst
        of a fleet's messages) is followed at once by the next, with what arrived meanwhile."""
        started = time.monotonic()
        while not self.stop_event.is_set():
            wait = max(0.0, every_s - (time.monotonic() - started))
            try:
                await asyncio.wait_for(self.stop_event.wait(), wait)
                break
            except TimeoutError:
                pass
            started = time.monotonic()
            queued = set().union(*(hub.queued_ids() for hub in self.hubs.values()))
            ids = [t for t in queued if t in self.states]
            if ids:
                self._flushes.append(await self.run_cycle(ids, datetime.now(UTC), flush=True))
                del self._flushes[:-KEEP_REPORTS]

    def _log_flushes(self) -> None:
        """One INFO line a period on the flushes since the last tick (where a push fleet's
        latency goes): how many, the readings stored, the seconds spent per stage and on
        alerts, the longest, and the oldest reading's age when received and when stored."""
        done, self._flushes = self._flushes, []
        alerts, self._alerts_s = self._alerts_s, 0.0
        lags = [x for x in (h.pop_receive_lag() for h in self.hubs.values()) if x is not None]
        if not done:
            return
        spent = {k: sum(r.stages.get(k, 0.0) for r in done) for k in done[0].stages}
        ages = [r.age_s for r in done if r.age_s is not None]
        log.info(
            "flushes since the last tick: %d, %d readings; %s, alerts %.2f s; longest %.2f s; "
            "oldest reading received after %s s, stored after %s s",
            len(done), sum(r.readings for r in done),
            ", ".join(f"{k} {v:.2f} s" for k, v in spent.items()), alerts,
            max(r.duration_s for r in done), f"{max(lags):.1f}" if lags else "-",
            f"{max(ages):.1f}" if ages else "-",
        )  # fmt: skip

    async def _membership_loop(self) -> None:
        """Sharded: act on every membership change a heartbeat sees (:meth:`_members_changed`)
        as it happens, whatever the period or ``flush_s``."""
        assert self.shards is not None
        while not self.stop_event.is_set():
            waits = [
                asyncio.ensure_future(e.wait()) for e in (self.shards.changed, self.stop_event)
            ]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
            if self.stop_event.is_set():
                break
            try:
                await self._members_changed()
            except Exception:  # the next tick claims and collects anyway
                log.exception("shard %s: membership change not acted on", self.shards.group)

    async def _members_changed(self) -> None:
        """A member died, left or joined: claim this monitor's new share now, not at its next
        tick (up to a period later), and collect what it took over at once — a polled source
        holds only the current value, which the next publication would overwrite before the
        next tick reads it."""
        assert self.shards is not None
        self.shards.changed.clear()
        log.info("shard %s: members changed (%d alive): claiming the share now",
                 self.shards.group, len(self.shards.members))  # fmt: skip
        before = set(self.shards.owned)
        await self._take_share()
        taken = sorted(t for t in self.shards.owned - before if t in self.states)
        if taken:
            await self.run_cycle(taken, datetime.now(UTC), flush=True)

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
        delivery = self.start_delivery()
        self._start_alerts()
        try:
            loops = [self._period_loop(p, ids, cycles) for p, ids in groups.items()]
            if self.config.flush_s and cycles is None:
                loops.append(self._flush_loop(self.config.flush_s))
            if self.shards is not None and cycles is None:
                loops.append(self._membership_loop())
            await asyncio.gather(*loops)
        finally:
            await self._stop_alerts()
            if delivery is not None:
                await asyncio.to_thread(delivery.stop)
            await self.shutdown()

    def start_delivery(self) -> Any:
        """Send the outbox from here when the alert hook is the alert engine's (a
        :class:`~thermowatch.alerts.deliverer.Deliverer`, started; ``None`` otherwise)."""
        deliverer_of = getattr(self.on_prediction, "deliverer", None)
        deliverer = deliverer_of(self.engine) if deliverer_of is not None else None
        return deliverer.start() if deliverer is not None else None

    def stop(self) -> None:
        """Ask the loop to finish (signal-handler safe)."""
        self.stop_event.set()

    async def shutdown(self) -> None:
        """Flush what the sources queued, store it (or spool it) and disconnect."""
        ids = [
            t.id
            for t in self.config.transformers
            if t.source.protocol in ("mqtt", "iec104", "replay") and t.id in self.states
        ]
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
        if self.shards is not None:
            await self.shards.leave()
        log.info("monitor stopped")


async def run_monitor(
    config: MonitorConfig,
    on_prediction: OnPrediction = no_alerts,
    install_signals: bool = True,
    on_ready: Callable[[Monitor], None] | None = None,
    lease_name: str | None = None,
    shadow: ShadowHook | None = None,
) -> Monitor:
    """Run the daemon until SIGTERM/SIGINT; returns the stopped :class:`Monitor`.

    With ``lease_name``, only the holder of that leader lease collects; others stand by.
    """
    import signal

    if lease_name and config.shard_group:
        raise InputError(
            "monitor: --lease (one active monitor) and [monitor] shard_group (monitors sharing "
            "the fleet) exclude each other; remove THERMOWATCH_MONITOR_LEASE to shard."
        )
    monitor = Monitor(config, on_prediction=on_prediction, shadow=shadow)
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
