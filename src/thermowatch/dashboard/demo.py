"""A simulated fleet in a store, for the dashboard's browser tests, benchmark and screenshots.

The temperatures come from the simulated SCADA field (:class:`thermowatch.ingest.simulator.
FieldModel`: IEC 60076-7 physics of the bundled sample's 36 MVA ONAF transformer with daily
load and ambient cycles); ``hot`` transformers run the ``overload`` scenario (+0.5 pu from the
start), so they really run hotter. Each transformer is stored with that spec and thresholds on
its top oil; alerts are raised for those whose last top-oil reading is at or above a threshold,
as the alert engine would. Nothing here is a hard-coded result: the colours the dashboard shows
follow from the simulated temperatures.

The simulated load follows the hour of the day, so at night even an overloaded transformer may
stay under :data:`THRESHOLDS`: the thresholds are then placed between the normal and the
overloaded transformers' last readings (:func:`demo_thresholds`), and a fleet seeded at any
hour shows the same picture (overloaded ones in alert or critical, the others normal).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from thermowatch.data.simulator import OIL, SAMPLE_SPEC
from thermowatch.ingest.simulator import FIELDS, FieldModel, transformer_ids
from thermowatch.learn.levels import RAISED
from thermowatch.live.pipeline import Pipeline, Snapshot
from thermowatch.live.profiles import store_profile
from thermowatch.report.i18n import number
from thermowatch.store.alerts import raise_alert
from thermowatch.store.state import read_states
from thermowatch.store.transformers import Transformer, save_transformer

#: Top-oil thresholds [°C] of the simulated fleet: the normal daily cycle (peaks ~67 °C) stays
#: below ALERTE, the overloaded transformers (+0.5 pu) cross it, the hottest reach CRITIQUE.
THRESHOLDS = {"alert": 72.0, "critical": 85.0}
SITES = ("Lyon-Est", "Grenoble-Nord", "Valence", "Chambéry", "Annecy")


def demo_thresholds(normal_last: list[float], hot_last: list[float]) -> dict[str, float]:
    """Top-oil thresholds [°C]: :data:`THRESHOLDS` when they separate the overloaded
    transformers' last readings (``hot_last``) from the others' (``normal_last``), else an alert
    level half-way between the two groups and a critical one that the hottest reaches."""
    if not hot_last or not normal_last:
        return dict(THRESHOLDS)
    low, high = max(normal_last), min(hot_last)
    if low < THRESHOLDS["alert"] <= high:
        return dict(THRESHOLDS)
    alert = round((low + high) / 2, 1)
    critical = round(max(hot_last) - 0.25 * (max(hot_last) - alert), 1)
    return {"alert": alert, "critical": max(critical, alert + 0.5)}


def seed_fleet(
    engine,
    n: int,
    hours: float = 6.0,
    step_min: float = 5.0,
    hot: int = 2,
    end: datetime | None = None,
    seed: int = 7,
    stale: int = 1,
    targets: dict[str, str] | None = None,
) -> list[str]:
    """Store ``n`` simulated transformers with ``hours`` of readings every ``step_min`` up to
    ``end`` (default now). The first ``hot`` ones are overloaded; the last ``stale`` ones stop
    reporting an hour before ``end``. ``targets`` names the temperature watched per
    transformer when it is not the top oil (e.g. a served model's target), so that it is
    predicted and forecast from the start. Returns the ids (``TR-0001`` ...)."""
    end = (end or datetime.now(UTC)).replace(microsecond=0)
    steps = int(hours * 60 / step_min) + 1
    times = [end - timedelta(minutes=step_min * (steps - 1 - k)) for k in range(steps)]
    ids = transformer_ids(n)
    hot = min(hot, n)
    fields = [(FieldModel(n - hot, "normal", seed=seed), ids[hot:])]
    if hot:
        fields.append((FieldModel(hot, "overload", seed=seed + 1, fault_at=times[0]), ids[:hot]))
    names = {key: var for var, key in FIELDS.items()}
    stale_ids = set(ids[n - stale :]) if stale else set()
    # The field first (it does not depend on the store), then the thresholds that fit it.
    steps_snapshots: list[list[Snapshot]] = []
    last_oil: dict[str, float] = {}
    for ts in times:
        snapshots = []
        for field, fleet_ids in fields:
            if not fleet_ids:
                continue
            field.ids = fleet_ids
            values = field.step(ts)
            for i, tid in enumerate(fleet_ids):
                if tid in stale_ids and ts > end - timedelta(hours=1):
                    continue
                snapshots.append(Snapshot(
                    tid, ts, {names[k]: float(arr[i]) for k, arr in values.items()}, "simulator"
                ))  # fmt: skip
                last_oil[tid] = float(values["oil_c"][i])
        steps_snapshots.append(snapshots)
    thresholds = demo_thresholds([v for k, v in last_oil.items() if k not in ids[:hot]],
                                 [v for k, v in last_oil.items() if k in ids[:hot]])  # fmt: skip
    for i, tid in enumerate(ids):
        save_transformer(engine, Transformer(
            id=tid, name=f"Poste {tid[3:]}", site=SITES[i % len(SITES)],
            spec=SAMPLE_SPEC.to_dict(), thresholds=thresholds,
            target_variable=(targets or {}).get(tid, OIL),
        ))  # fmt: skip
    # The live pipeline stores them, as POST /v1/readings would: validated readings, the IEC
    # model's predictions and forecasts with their levels (what the fleet page reads).
    pipeline = Pipeline(engine, lambda tid: store_profile(engine, tid))
    for snapshots in steps_snapshots:
        pipeline.process(snapshots, now=end)
    states = read_states(engine)  # the level each transformer's last reading got, stored
    for tid in sorted(last_oil):
        s = states.get(tid)
        if s is not None and s.measured_level in RAISED:
            raise_alert(engine, tid, "top_oil_high", s.measured_level,
                        f"{tid} : {number(s.measured_c)} °C ≥ seuil {s.measured_level.lower()}",
                        at=end)  # fmt: skip
    return ids
