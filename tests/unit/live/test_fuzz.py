"""Property-based fuzzing of every protocol's decoding into the one live pipeline (issue 22,
item 9): arbitrary messages never raise, every value ends GOOD, SUSPECT or REJECTED with a
reason, and the valid CRITIQUE readings among them still raise their alarm."""

from __future__ import annotations

import itertools
import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.helpers.store import migrated_sqlite
from tests.unit.ingest.fakes import SPEC
from thermowatch.alerts.config import parse_config
from thermowatch.alerts.engine import MEASURED, AlertEngine
from thermowatch.data.simulator import AMBIENT, CURRENT, WINDING
from thermowatch.ingest.config import Register
from thermowatch.ingest.simulator import FIELDS
from thermowatch.ingest.sources.modbus import decode_register
from thermowatch.ingest.sources.mqtt import parse_payload
from thermowatch.learn.result import Thresholds
from thermowatch.live import Pipeline, Profile, Snapshot
from thermowatch.live import validate as v
from thermowatch.live.pipeline import FAILED
from thermowatch.service.routes.readings import ReadingIn
from thermowatch.store.alerts import open_alerts
from thermowatch.store.transformers import ensure_transformer
from thermowatch.thermal import TransformerSpec

NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)
TH = Thresholds(93.0, 105.0, "config")
KEYS = {key: var for var, key in FIELDS.items()}
_ids = itertools.count()

weird = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.sampled_from([-500.0, -1e308, 1e308, 0.0, -0.0, 5e-324]),
    st.text(max_size=20),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
stamps = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.sampled_from([UTC, None])).map(lambda d: d.isoformat()),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.text(max_size=30),
    st.sampled_from([(NOW - timedelta(minutes=m)).isoformat() for m in (0, 1, 1, 10, 1440)]),
    st.none(),
)  # fmt: skip
docs = st.dictionaries(
    st.sampled_from([*KEYS, "ts", "junk"]),
    st.one_of(weird, stamps),
    max_size=len(KEYS) + 2,
)
messages = st.one_of(
    docs.map(lambda d: json.dumps(d, allow_nan=True, default=str).encode()),
    st.binary(max_size=60),
    st.sampled_from([b"[]", b"null", b"{", b'{"ts": 1e999}', b'{"current_a": NaN}']),
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, AlertEngine]:
    path: Path = tmp_path_factory.mktemp("fuzz")
    db = migrated_sqlite(path / "f.db")
    return db, AlertEngine(db, parse_config({"alerts": {}}))


def _pipeline(db: object, tid: str) -> Pipeline:
    spec = TransformerSpec.from_mapping(SPEC)
    profile = Profile(tid, WINDING, TH, spec=spec, load=CURRENT, ambient=AMBIENT)
    return Pipeline(db, {tid: profile}.get)


def _critique(tid: str, k: int) -> Snapshot:
    """A valid CRITIQUE reading (values vary: an unchanged value is a frozen sensor)."""
    values = {CURRENT: 900.0 + k, AMBIENT: 20.0 + k / 10, WINDING: 120.0 + k / 10}
    return Snapshot(tid, NOW - timedelta(seconds=60 - 10 * k), values, "valid")


def _every_value_has_a_verdict(snaps: list[Snapshot], batch: dict) -> None:
    stored = {(r[1], r[2]): r[4] for r in batch["readings"]}
    issues = {(r[1], r[2]): (r[4], r[5]) for r in batch["issues"]}
    refused_whole = {r[3] for r in batch["issues"] if r[2] == "*" and r[4] == v.REJECTED}
    for s in snaps:
        if s.ts.isoformat() in refused_whole:  # timestamp out of bounds: refused with reason
            continue
        us = int(v.to_utc(s.ts).timestamp() * 1_000_000)
        for var in s.values:
            if (us, var) in issues:
                verdict, reason = issues[(us, var)]
                assert verdict in (v.SUSPECT, v.REJECTED, FAILED) and reason
            else:
                assert stored[(us, var)] == v.QUALITY_CODE[v.GOOD]


@pytest.mark.slow  # 60 stores of a dozen readings through the whole pipeline: `make test` runs it
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(messages, max_size=12), st.randoms(use_true_random=False))
def test_mqtt_messages_never_escape_and_alarms_still_fire(store, raw, rnd: random.Random) -> None:
    db, alerts = store
    tid = f"F{next(_ids)}"
    ensure_transformer(db, tid)
    pipe = _pipeline(db, tid)
    snaps = []
    for payload in raw:
        decoded = parse_payload(payload, FIELDS, "ts", NOW)
        if decoded is not None:
            snaps.append(Snapshot(tid, decoded[0], decoded[1], "mqtt"))
    valid = [_critique(tid, k) for k in range(6)]
    mixed = snaps + valid
    rnd.shuffle(mixed)  # shuffled, with duplicate timestamps among the garbage
    events, _ = pipe.process(mixed, now=NOW)
    batch, _ = _pipeline(db, tid).prepare(mixed, now=NOW)
    _every_value_has_a_verdict(mixed, batch)
    assert all(e.predicted_c is None or math.isfinite(e.predicted_c) for e in events)
    alerts.evaluate_events(events)
    levels = {a.kind: a.level for a in open_alerts(db, tid)}
    assert levels.get(MEASURED) == "CRITIQUE", levels


bodies = st.dictionaries(
    st.sampled_from(["transformer_id", "timestamp", "values", "source", "x"]),
    st.one_of(weird, stamps, st.dictionaries(st.sampled_from([CURRENT, AMBIENT, WINDING, ""]),
                                             weird, max_size=3)),
)  # fmt: skip


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(bodies, max_size=6))
def test_http_bodies_are_refused_or_judged(store, raw) -> None:
    db, _ = store
    tid = f"H{next(_ids)}"
    ensure_transformer(db, tid)
    pipe = _pipeline(db, tid)
    snaps = []
    for body in raw:
        try:
            item = ReadingIn.model_validate({**body, "transformer_id": tid})
        except ValidationError:  # answered 422 with the field named
            continue
        snaps.append(Snapshot(tid, item.timestamp or NOW, item.values, "http"))
    batch, _events = pipe.prepare(snaps, now=NOW)
    _every_value_has_a_verdict(snaps, batch)
    pipe.store(batch)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, 0xFFFF), min_size=2, max_size=2),
    st.sampled_from(["int16", "uint16", "int32", "uint32", "float32"]),
    st.sampled_from(["big", "little"]), st.sampled_from(["big", "little"]),
    st.floats(-1e6, 1e6, allow_nan=False),
)  # fmt: skip
def test_modbus_words_end_good_suspect_or_rejected(words, kind, bo, wo, scale) -> None:
    reg = Register(CURRENT, 0, kind, scale, 0.0, bo, wo)
    value = decode_register(words[: 1 if kind in ("int16", "uint16") else 2], reg)
    verdict = v.check_value(CURRENT, value, v.quantity_of(CURRENT))
    assert verdict.verdict in (v.GOOD, v.SUSPECT, v.REJECTED)
    assert (verdict.verdict == v.GOOD) == (verdict.reason is None)
    if verdict.verdict == v.GOOD:
        assert math.isfinite(verdict.value) and verdict.value >= 0
