"""Level decisions with hysteresis: agreement with Thresholds.level and property tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thermowatch.alerts.levels import Hysteresis, Level, LevelTracker
from thermowatch.errors import InputError
from thermowatch.learn.result import Thresholds

TH = Thresholds(90.0, 105.0, "test")
T0 = datetime(2026, 7, 1, tzinfo=UTC)
STEP = timedelta(minutes=1)


def run(values, h: Hysteresis) -> list[Level]:
    tracker = LevelTracker(h)
    return [tracker.update(T0 + i * STEP, v, TH) for i, v in enumerate(values)]


def raises(levels: list[Level]) -> int:
    """Number of upward transitions (each one is a raised alert)."""
    prev, n = Level.NORMAL, 0
    for lv in levels:
        n += lv > prev
        prev = lv
    return n


@given(st.lists(st.floats(0, 150), min_size=1, max_size=200))
def test_without_hysteresis_it_is_exactly_thresholds_level(values):
    levels = run(values, Hysteresis(0, timedelta(0), timedelta(0)))
    assert [lv.name for lv in levels] == [TH.level(v) for v in values]


def test_threshold_semantics_at_the_boundary():
    assert run([89.999, 90.0, 104.99, 105.0], Hysteresis(0, timedelta(0), timedelta(0))) == [
        Level.NORMAL, Level.ALERTE, Level.ALERTE, Level.CRITIQUE,
    ]  # fmt: skip


def test_clean_crossing_raised_exactly_after_the_minimum_duration():
    h = Hysteresis(2.0, timedelta(minutes=5), timedelta(minutes=10))
    levels = run([80] * 10 + [95] * 20, h)
    first = levels.index(Level.ALERTE)
    assert first == 10 + 5  # 5 one-minute steps after the first sample above 90 °C
    assert set(levels[first:]) == {Level.ALERTE}


def test_clear_needs_deadband_and_duration():
    h = Hysteresis(2.0, timedelta(0), timedelta(minutes=10))
    # 89 °C is under the threshold but inside the deadband: never clears.
    assert run([95] + [89] * 30, h)[-1] == Level.ALERTE
    levels = run([95] + [87] * 30, h)
    assert levels.index(Level.NORMAL) == 1 + 10


def test_goes_up_only_as_far_as_the_value_stayed():
    h = Hysteresis(2.0, timedelta(minutes=3), timedelta(minutes=10))
    levels = run([80, 110, 95, 110, 95, 95], h)  # above 105 only in spikes
    assert max(levels) == Level.ALERTE


def test_critique_then_back_to_alerte_then_normal():
    h = Hysteresis(2.0, timedelta(0), timedelta(minutes=2))
    levels = run([110, 110, 100, 100, 100, 80, 80, 80], h)
    assert levels == [Level.CRITIQUE, Level.CRITIQUE, Level.CRITIQUE, Level.CRITIQUE,
                      Level.ALERTE, Level.ALERTE, Level.ALERTE, Level.NORMAL]  # fmt: skip


def test_older_samples_are_ignored():
    tracker = LevelTracker(Hysteresis(0, timedelta(0), timedelta(0)))
    tracker.update(T0, 95, TH)
    assert tracker.update(T0 - STEP, 50, TH) == Level.ALERTE


def test_bad_hysteresis_is_refused():
    with pytest.raises(InputError, match="deadband"):
        Hysteresis(-1)


DEADBAND = 2.0


@settings(max_examples=200, deadline=None)
@given(
    episodes=st.lists(
        st.tuples(
            st.lists(st.floats(-0.9 * DEADBAND, 0.9 * DEADBAND), min_size=1, max_size=60),
            st.integers(16, 40),
        ),
        min_size=1,
        max_size=6,
    ),
    raise_after=st.integers(0, 10),
)
def test_noisy_hover_raises_at_most_once_per_crossing_episode(episodes, raise_after):
    """Noise smaller than the deadband around 90 °C: at most one raise per hovering episode.

    Episodes are separated by a clean quiet period (well below the threshold minus the
    deadband, longer than the clear duration), which is what ends an episode.
    """
    h = Hysteresis(DEADBAND, timedelta(minutes=raise_after), timedelta(minutes=15))
    values: list[float] = []
    for noise, quiet in episodes:
        values += [TH.alerte_c + n for n in noise]
        values += [TH.alerte_c - DEADBAND - 5] * quiet
    assert raises(run(values, h)) <= len(episodes)


@settings(max_examples=200, deadline=None)
@given(
    before=st.integers(1, 30),
    level_c=st.floats(90, 104.9),
    raise_after=st.integers(0, 20),
    noise=st.lists(st.floats(0, 10), min_size=40, max_size=40),
)
def test_clean_crossing_is_raised_within_the_minimum_duration(before, level_c, raise_after, noise):
    """A signal that crosses and stays above the threshold is ALERTE after raise_after."""
    h = Hysteresis(DEADBAND, timedelta(minutes=raise_after), timedelta(minutes=15))
    # Stays in [level_c, 104.9]: ALERTE band only, never CRITIQUE.
    above = [min(level_c + n, 104.9) for n in noise]
    levels = run([70.0] * before + above, h)
    assert levels[before + raise_after] == Level.ALERTE
    assert all(lv == Level.NORMAL for lv in levels[: before + raise_after])


def test_an_alerte_held_escalates_at_the_first_reading_past_critique():
    h = Hysteresis(2.0, timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=3))
    levels = run([95] * 6 + [110] + [110] * 3, h)
    assert levels[5] == Level.ALERTE and levels[6] == Level.CRITIQUE


def test_critique_from_normal_waits_its_own_shorter_delay():
    h = Hysteresis(2.0, timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=2))
    levels = run([80] * 3 + [110] * 8, h)
    assert levels.index(Level.CRITIQUE) == 3 + 2  # 2 min after the first reading past 105 °C
    assert Level.ALERTE not in levels  # never an ALERTE that quotes a CRITIQUE value


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.floats(60, 130), min_size=1, max_size=80),
    raise_min=st.integers(0, 8),
    critique_min=st.integers(0, 8),
)
def test_a_level_goes_up_only_to_the_level_of_the_value_that_raised_it(values, raise_min,
                                                                        critique_min):  # fmt: skip
    """ISA-18.2: the severity of an alarm is the severity of the value it quotes."""
    h = Hysteresis(DEADBAND, timedelta(minutes=raise_min), timedelta(minutes=15),
                   timedelta(minutes=critique_min))  # fmt: skip
    levels = run(values, h)
    prev = Level.NORMAL
    for value, level in zip(values, levels, strict=True):
        if level > prev:
            assert level.name == TH.level(value)
        prev = level
