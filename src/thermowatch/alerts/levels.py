"""Hysteresis on alert levels.

A raw level comes from :func:`thermowatch.learn.levels.level_of` (``>= alerte`` is ALERTE,
``>= critique`` is CRITIQUE; :class:`Level` lives there too). :class:`LevelTracker` adds the two things that keep an
alert system switched on:

* **a minimum duration before raising**: the value must stay at or above a higher level for
  ``raise_after`` before the level goes up (noise spikes do not page anyone);
* **a deadband and a minimum duration before clearing**: the level goes down only once the
  value has stayed below ``threshold - deadband`` for ``clear_after``, so a value hovering
  at the threshold raises once per crossing episode, not forty times.

With zero durations and a zero deadband the tracker gives exactly ``Thresholds.level`` on
every sample. The tracker is pure (no clock, no I/O): the caller passes timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from thermowatch.errors import InputError
from thermowatch.learn.levels import Level
from thermowatch.learn.result import Thresholds

__all__ = ["Hysteresis", "Level", "LevelTracker", "raw_level", "threshold_of"]


@dataclass(frozen=True)
class Hysteresis:
    """Hysteresis settings.

    Attributes
    ----------
    deadband_k : the value must fall below ``threshold - deadband_k`` to count as cleared [K].
    raise_after : time the value must stay at a higher level before the level goes up.
    clear_after : time the value must stay below ``threshold - deadband_k`` before it goes down.
    """

    deadband_k: float = 2.0
    raise_after: timedelta = timedelta(minutes=5)
    clear_after: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if not self.deadband_k >= 0:
            raise InputError(f"deadband must be >= 0 K, got {self.deadband_k}")
        if self.raise_after < timedelta(0) or self.clear_after < timedelta(0):
            raise InputError("raise and clear durations must not be negative")


def raw_level(thresholds: Thresholds, value_c: float) -> Level:
    """The level of one value without hysteresis (same semantics as ``Thresholds.level``)."""
    return Level[thresholds.level(value_c)]


def threshold_of(thresholds: Thresholds, level: Level) -> float | None:
    """The threshold [°C] at which ``level`` starts (``None`` for NORMAL)."""
    return {Level.ALERTE: thresholds.alerte_c, Level.CRITIQUE: thresholds.critique_c}.get(level)


@dataclass
class LevelTracker:
    """Stateful level of one signal (e.g. the predicted temperature of one transformer).

    ``level`` may be seeded from an open alert after a restart; pending raise/clear timers
    are not persisted (after a restart a change needs a fresh minimum duration: the safe
    side, since the open alert stays open meanwhile).
    """

    hysteresis: Hysteresis = field(default_factory=Hysteresis)
    level: Level = Level.NORMAL
    _up_since: datetime | None = None
    _up_target: Level = Level.NORMAL
    _down_since: datetime | None = None
    _down_target: Level = Level.NORMAL
    _last_ts: datetime | None = None

    def update(self, ts: datetime, value_c: float, thresholds: Thresholds) -> Level:
        """Feed one sample (time, value [°C]); returns the level after it.

        Samples older than the previous one are ignored (the level is unchanged).
        """
        if self._last_ts is not None and ts < self._last_ts:
            return self.level
        self._last_ts = ts
        h = self.hysteresis
        up = raw_level(thresholds, value_c)
        # The level a value "still holds" once the deadband is taken into account.
        held = raw_level(thresholds, value_c + h.deadband_k)
        if up > self.level:
            if self._up_since is None:
                self._up_since, self._up_target = ts, up
            else:  # go up only as far as the value stayed during the whole wait
                self._up_target = min(self._up_target, up)
            if ts - self._up_since >= h.raise_after:
                self._set(self._up_target)
        else:
            self._up_since = None
        if held < self.level:
            if self._down_since is None:
                self._down_since, self._down_target = ts, held
            else:  # go down only as far as the value stayed during the whole wait
                self._down_target = max(self._down_target, held)
            if ts - self._down_since >= h.clear_after:
                self._set(self._down_target)
        else:
            self._down_since = None
        return self.level

    def _set(self, level: Level) -> None:
        self.level = level
        self._up_since = self._down_since = None
