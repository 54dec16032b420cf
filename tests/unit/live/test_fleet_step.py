"""The live pipeline steps the IEC 60076-7 model of a whole batch as one array: the result is
the one transformer at a time gives, the one a plain :func:`thermowatch.thermal.simulate` over
each transformer's own series gives, and more load never predicts a cooler transformer."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers.store import migrated_sqlite
from thermowatch.data.simulator import AMBIENT, CURRENT, OIL, WINDING
from thermowatch.learn.result import Thresholds
from thermowatch.live import Pipeline, Profile, Snapshot
from thermowatch.thermal import TransformerSpec, simulate

T0 = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
N, ROUNDS, RATED_A = 24, 12, 1000.0


def _specs(rng: np.random.Generator) -> list[TransformerSpec]:
    """Different transformers: ONAN and ONAF, their rises and time constants drawn apart."""
    return [
        dataclasses.replace(
            TransformerSpec.preset("ONAN" if i % 2 else "ONAF"),
            top_oil_rise_k=float(rng.uniform(40, 60)),
            hot_spot_gradient_k=float(rng.uniform(15, 28)),
            tau_oil_min=float(rng.uniform(80, 240)),
            rated_current_a=RATED_A,
        )
        for i in range(N)
    ]


def _fleet(tmp_path: Path, name: str, specs: list[TransformerSpec]) -> Pipeline:
    engine = migrated_sqlite(f"{tmp_path}/{name}.db")
    profiles = {
        f"T{i}": Profile(f"T{i}", OIL if i % 3 == 0 else WINDING,
                         Thresholds(93.0, 105.0, "config"), spec=s, load=CURRENT, ambient=AMBIENT)
        for i, s in enumerate(specs)
    }  # fmt: skip
    return Pipeline(engine, profiles.get)


def _rounds(rng: np.random.Generator, scale: float = 1.0) -> list[list[Snapshot]]:
    """Each transformer its own instants (irregular, so the rows of a step differ in their
    time step), some without an ambient this time (it holds), one reading late."""
    rounds = []
    clock = [T0 + timedelta(seconds=float(s)) for s in rng.uniform(0, 50, N)]
    for r in range(ROUNDS):
        snaps = []
        for i in range(N):
            clock[i] += timedelta(minutes=float(rng.uniform(0.5, 20.0)))
            values = {CURRENT: scale * float(rng.uniform(200, 1300))}
            if r == 0 or rng.random() > 0.2:
                values[AMBIENT] = float(rng.uniform(-5, 35))
            snaps.append(Snapshot(f"T{i}", clock[i], values, "t"))
        rounds.append(snaps)
    late = rounds[5][3]  # T3's reading of round 5 arrives again, later, with round 7
    rounds[7].append(dataclasses.replace(late, ts=late.ts - timedelta(minutes=1)))
    return rounds


def _run(pipeline: Pipeline, rounds: list[list[Snapshot]], one_by_one: bool) -> list:
    now = T0 + timedelta(days=2)
    events = []
    for snaps in rounds:
        if one_by_one:  # in the order a batch takes them: time, then transformer
            for snap in sorted(snaps, key=lambda s: (s.ts, s.transformer_id)):
                events.extend(pipeline.prepare([snap], now=now)[1])
        else:
            events.extend(pipeline.prepare(snaps, now=now)[1])
    return sorted(events, key=lambda e: (e.transformer_id, e.ts))


def test_the_fleet_array_equals_one_transformer_at_a_time(tmp_path: Path) -> None:
    specs = _specs(np.random.default_rng(1))
    rounds = _rounds(np.random.default_rng(2))
    batched = _run(_fleet(tmp_path, "a", specs), rounds, one_by_one=False)
    single = _run(_fleet(tmp_path, "b", specs), rounds, one_by_one=True)
    assert len(batched) == len(single) == N * ROUNDS + 1
    assert all(e.predicted_c is not None for e in batched)
    for a, b in zip(batched, single, strict=True):
        assert (a.transformer_id, a.ts, a.warnings) == (b.transformer_id, b.ts, b.warnings)
        assert a.predicted_c == pytest.approx(b.predicted_c, abs=1e-9, rel=0)
        assert len(a.forecast) == len(b.forecast) == 96
        assert [t for t, _ in a.forecast] == [t for t, _ in b.forecast]
        got = np.array([v for _, v in a.forecast])
        want = np.array([v for _, v in b.forecast])
        assert np.abs(got - want).max() < 1e-9


def test_the_fleet_array_equals_simulate_over_each_series(tmp_path: Path) -> None:
    """The reference: each transformer's readings as one series (steady state at its first,
    irregular steps, a missing ambient held) through the thermal package itself."""
    specs = _specs(np.random.default_rng(3))
    rounds = _rounds(np.random.default_rng(4))
    rounds[7].pop()  # no late reading here: the series is the readings in order
    events = _run(_fleet(tmp_path, "a", specs), rounds, one_by_one=False)
    for i, spec in enumerate(specs):
        mine = [s for snaps in rounds for s in snaps if s.transformer_id == f"T{i}"]
        index = pd.DatetimeIndex([s.ts for s in mine])
        load = pd.Series([s.values[CURRENT] / RATED_A for s in mine], index=index)
        ambient = pd.Series([s.values.get(AMBIENT, np.nan) for s in mine]).ffill().to_numpy()
        ref = simulate(spec, load, ambient)
        temps = ref.top_oil_c if i % 3 == 0 else ref.hot_spot_c
        got = [e.predicted_c for e in events if e.transformer_id == f"T{i}"]
        assert np.abs(np.array(got) - temps.to_numpy()).max() < 1e-9


def test_more_load_is_never_cooler_in_the_fleet_array(tmp_path: Path) -> None:
    specs = _specs(np.random.default_rng(5))
    base = _run(_fleet(tmp_path, "a", specs), _rounds(np.random.default_rng(6)), False)
    more = _run(_fleet(tmp_path, "b", specs), _rounds(np.random.default_rng(6), 1.1), False)
    for a, b in zip(base, more, strict=True):
        assert b.predicted_c > a.predicted_c
        assert all(vb >= va for (_, va), (_, vb) in zip(a.forecast, b.forecast, strict=True))


def test_one_refused_transformer_fails_alone_in_the_array(tmp_path: Path) -> None:
    """A load the physics refuses (beyond its per-unit bound) costs its own prediction only."""
    specs = _specs(np.random.default_rng(7))
    pipeline = _fleet(tmp_path, "a", specs)
    rounds = _rounds(np.random.default_rng(8))
    _run(pipeline, rounds[:2], False)
    snaps = list(rounds[2])
    snaps[4] = dataclasses.replace(snaps[4], values={CURRENT: 11.0 * RATED_A, AMBIENT: 20.0})
    events = {e.transformer_id: e for e in pipeline.prepare(snaps, now=T0 + timedelta(days=2))[1]}
    assert events["T4"].predicted_c is None and "load_pu" in (events["T4"].reason or "")
    assert all(events[f"T{i}"].predicted_c is not None for i in range(N) if i != 4)
