"""Monitors sharing a fleet: rendezvous assignment and the store's leases and claims."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from thermowatch.errors import InputError
from thermowatch.ingest.config import parse_config
from thermowatch.ingest.shards import owner, share
from thermowatch.store import shards as store
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade

FLEET = [f"TR-{i:05d}" for i in range(4000)]
TTL = timedelta(seconds=60)


def test_a_fourth_monitor_takes_about_a_quarter_and_only_from_the_others() -> None:
    three = ["a", "b", "c"]
    before = {t: owner(t, three) for t in FLEET}
    after = {t: owner(t, [*three, "d"]) for t in FLEET}
    moved = [t for t in FLEET if before[t] != after[t]]
    assert 0.22 < len(moved) / len(FLEET) < 0.28
    assert all(after[t] == "d" for t in moved)  # nothing moves between the old three


def test_a_monitor_gone_hands_only_its_own_share_over() -> None:
    three = ["a", "b", "c"]
    before = {t: owner(t, three) for t in FLEET}
    after = {t: owner(t, ["a", "c"]) for t in FLEET}
    assert {t for t in FLEET if before[t] != after[t]} == {t for t in FLEET if before[t] == "b"}
    shares = [len(share(FLEET, three, m)) for m in three]
    assert sum(shares) == len(FLEET)
    assert max(shares) / min(shares) < 1.15  # balanced within 15 %


@pytest.fixture
def engine(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


def test_a_claim_passes_only_once_released_or_its_holder_dead(engine) -> None:
    t0 = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    store.beat(engine, "fleet", "a", TTL, t0)
    owned, taken = store.claim(engine, "a", ["T1", "T2"], t0)
    assert owned == {"T1", "T2"} and taken == {}
    assert store.beat(engine, "fleet", "b", TTL, t0) == ["a", "b"]
    # b wants T2 while a still holds it and is alive: refused
    owned_b, _ = store.claim(engine, "b", ["T2"], t0)
    assert owned_b == set()
    # a gives T2 up (no longer in its share): b gets it at its next claim
    assert store.claim(engine, "a", ["T1"], t0)[0] == {"T1"}
    assert store.claim(engine, "b", ["T2"], t0) == ({"T2"}, {})
    # a dies: within its lease T1 stays a's; once expired b takes it and knows from whom
    assert store.claim(engine, "b", ["T1", "T2"], t0 + TTL / 2)[0] == {"T2"}
    later = t0 + TTL + timedelta(seconds=1)
    assert store.beat(engine, "fleet", "b", TTL, later) == ["b"]
    assert store.claim(engine, "b", ["T1", "T2"], later) == ({"T1", "T2"}, {"T1": "a"})
    assert store.claims(engine) == {"T1": "b", "T2": "b"}


def test_a_clean_stop_ends_the_lease_at_once_and_names_itself_to_the_taker(engine) -> None:
    t0 = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    store.beat(engine, "fleet", "a", TTL, t0)
    store.beat(engine, "fleet", "b", TTL, t0)
    store.claim(engine, "a", ["T1"], t0)
    store.leave(engine, "a")
    assert store.beat(engine, "fleet", "b", TTL, t0) == ["b"]
    assert store.claim(engine, "b", ["T1"], t0) == ({"T1"}, {"T1": "a"})


def test_shard_group_is_read_and_checked() -> None:
    doc = {
        "monitor": {"shard_group": "fleet", "shard_member": "host-1"},
        "transformers": [{"id": "T1", "spec": {"preset": "ONAN-distribution"},
                          "source": {"protocol": "replay", "path": "x.csv"}}],
    }  # fmt: skip
    cfg = parse_config(doc)
    assert (cfg.shard_group, cfg.shard_member) == ("fleet", "host-1")
    doc["monitor"]["shard_group"] = "a fleet"
    with pytest.raises(InputError, match=r"monitor\.shard_group"):
        parse_config(doc)


def test_two_sharded_monitors_split_then_one_takes_all_when_the_other_stops(tmp_path) -> None:
    import asyncio

    from .fakes import config, fake_monitor

    ids = [f"T{i}" for i in range(12)]

    async def scenario() -> None:
        one, _ = fake_monitor(tmp_path, config(tmp_path, ids, shard_group="f", shard_member="a"))
        two, _ = fake_monitor(tmp_path, config(tmp_path, ids, shard_group="f", shard_member="b"))
        await one.start()
        await two.start()
        await one._take_share()  # alone: a claims the whole fleet
        await two._take_share()  # b wants its share, still held by a
        mine_one = await one._take_share()  # a gives up what b wants, b takes it next
        mine_two = await two._take_share()
        assert set(mine_one).isdisjoint(mine_two) and set(mine_one) | set(mine_two) == set(ids)
        assert set(two.states) == set(mine_two)  # states only of its own share
        await one.shutdown()  # a clean stop ends its lease at once
        assert set(await two._take_share()) == set(ids)
        await two.shutdown()

    asyncio.run(scenario())


def test_a_flush_between_ticks_is_not_a_silent_period(tmp_path) -> None:
    import asyncio

    from thermowatch.data.simulator import AMBIENT, CURRENT, OIL, WINDING
    from thermowatch.ingest.sources.base import Sample

    from .fakes import config, fake_monitor

    t0 = datetime(2026, 7, 1, tzinfo=UTC)

    async def scenario() -> None:
        monitor, hub = fake_monitor(tmp_path, config(tmp_path, ["T1"], missed_periods_alert=1))
        await monitor.start()
        values = {CURRENT: 700.0, AMBIENT: 20.0, OIL: 55.5, WINDING: 66.25}
        for k in range(3):
            hub.pending = {"T1": [Sample(t0 + k * timedelta(minutes=1), values, "fake")]}
            await monitor.run_cycle(["T1"], t0 + k * timedelta(minutes=1), flush=True)
            await monitor.run_cycle(["T1"], t0 + (k + 1) * timedelta(minutes=1))  # the tick
            assert (monitor.states["T1"].missed, monitor.states["T1"].status) == (0, "ok")
        await monitor.run_cycle(["T1"], t0 + timedelta(minutes=5))  # nothing at all: silent
        assert monitor.states["T1"].missed == 1

    asyncio.run(scenario())


def test_a_leader_lease_and_a_shard_group_are_refused_together(tmp_path) -> None:
    import asyncio

    from thermowatch.ingest.monitor import run_monitor

    from .fakes import config

    cfg = config(tmp_path, ["T1"], shard_group="f")
    with pytest.raises(InputError, match="exclude each other"):
        asyncio.run(run_monitor(cfg, install_signals=False, lease_name="monitor"))


def test_a_heartbeat_that_sees_a_member_leave_flags_a_change(engine) -> None:
    import asyncio

    from thermowatch.ingest.shards import ShardMember

    async def run() -> tuple[bool, bool]:
        a = ShardMember(engine, "fleet", "a", period_s=2.0)  # heartbeat every 0.5 s
        b = ShardMember(engine, "fleet", "b", period_s=2.0)
        a.beat(), b.beat()
        a.start(), b.start()
        await asyncio.sleep(1.2)  # both beating: the same members at every beat
        a.changed.clear()
        await asyncio.sleep(1.2)
        steady = a.changed.is_set()
        await b.leave()  # a clean stop: its lease ends at once
        # a's next heartbeat (every 0.5 s) flags it: waited for, not a fixed 1.2 s (a loaded
        # runner may run that beat late). Only a heartbeat sets `changed`: no tick runs here.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(a.changed.wait(), 30)
        gone = a.changed.is_set()
        await a.leave()
        return steady, gone

    steady, gone = asyncio.run(run())
    assert not steady  # the same members: nothing to claim between ticks
    assert gone  # b left: a claims its new share at once, not at its next tick


def test_a_membership_change_claims_and_collects_the_share_taken_over_at_once(tmp_path) -> None:
    """A polled source holds only the current value: the share of a monitor gone is read when
    a survivor's heartbeat sees it go, not at the survivor's next tick (the next publication
    could overwrite it first)."""
    import asyncio

    from thermowatch.data.simulator import AMBIENT, CURRENT, OIL, WINDING
    from thermowatch.ingest.sources.base import Sample
    from thermowatch.store.readings import count_readings

    from .fakes import config, fake_monitor

    ids = [f"T{i}" for i in range(12)]
    t0 = datetime(2026, 7, 1, tzinfo=UTC)
    values = {CURRENT: 700.0, AMBIENT: 20.0, OIL: 55.5, WINDING: 66.25}

    async def scenario() -> tuple[set[str], dict[str, int]]:
        one, hub = fake_monitor(tmp_path, config(tmp_path, ids, shard_group="f", shard_member="a"))
        two, _ = fake_monitor(tmp_path, config(tmp_path, ids, shard_group="f", shard_member="b"))
        await one.start()
        await two.start()
        for _ in range(2):  # a gives up what b wants, b takes it
            await one._take_share()
            await two._take_share()
        theirs = set(two.shards.owned)
        await two.shutdown()  # b's lease ends: a's next heartbeat sees it
        hub.pending = {t: [Sample(t0, values, "fake")] for t in ids}  # the current values
        one.shards.beat()
        await one._members_changed()  # what the membership loop runs, no tick in between
        stored = {t: count_readings(one.engine, t) for t in theirs}
        await one.shutdown()
        return theirs, stored

    theirs, stored = asyncio.run(scenario())
    assert 0 < len(theirs) < len(ids)
    assert all(n == len(values) for n in stored.values()), stored
