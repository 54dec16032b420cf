"""Hysteresis on alert levels.

A raw level comes from :func:`thermowatch.learn.levels.level_of` (``>= alerte`` is ALERTE,
``>= critique`` is CRITIQUE; :class:`Level` lives there too). :class:`LevelTracker` adds the two things that keep an
alert system switched on:

* **a minimum duration before raising**, in data time: the value must stay at or above the
  ALERTE threshold for ``raise_after`` (the CRITIQUE threshold for the shorter
  ``raise_after_critique``) before the level goes up (noise spikes do not page anyone); an
  ALERTE held escalates to CRITIQUE at the first reading past the CRITIQUE threshold;
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
    """Hysteresis settings (durations are data time: the readings' own timestamps).

    Attributes
    ----------
    deadband_k : the value must fall below ``threshold - deadband_k`` to count as cleared [K].
    raise_after : time the value must stay at or above the ALERTE threshold before ALERTE.
    clear_after : time the value must stay below ``threshold - deadband_k`` before it goes down.
    raise_after_critique : time the value must stay at or above the CRITIQUE threshold before
        CRITIQUE is entered from NORMAL (never longer than ``raise_after``); from ALERTE the
        first reading past the CRITIQUE threshold escalates.
    """

    deadband_k: float = 2.0
    raise_after: timedelta = timedelta(minutes=5)
    clear_after: timedelta = timedelta(minutes=15)
    raise_after_critique: timedelta = timedelta(seconds=10)

    def __post_init__(self) -> None:
        if not self.deadband_k >= 0:
            raise InputError(f"deadband must be >= 0 K, got {self.deadband_k}")
        if min(self.raise_after, self.clear_after, self.raise_after_critique) < timedelta(0):
            raise InputError("raise and clear durations must not be negative")

    @property
    def critique_after(self) -> timedelta:
        """The CRITIQUE raise delay in force: never longer than ALERTE's."""
        return min(self.raise_after_critique, self.raise_after)


def raw_level(thresholds: Thresholds, value_c: float) -> Level:
    """The level of one value without hysteresis (same semantics as ``Thresholds.level``)."""
    return Level[thresholds.level(value_c)]


def threshold_of(thresholds: Thresholds, level: Level) -> float | None:
    """The threshold [°C] at which ``level`` starts (``None`` for NORMAL)."""
    return {Level.ALERTE: thresholds.alerte_c, Level.CRITIQUE: thresholds.critique_c}.get(level)


@dataclass
class LevelTracker:
    """Stateful level of one signal (e.g. the predicted temperature of one transformer).

    Going up, the level is always the level of the value that made it go up (an alarm's
    severity is the severity of the value it quotes): a value past the CRITIQUE threshold
    never raises ALERTE, it waits for CRITIQUE's own (shorter) delay, or escalates an ALERTE
    already held at once. ``_up_since`` / ``_crit_since`` are since when the value has stayed
    at or above the ALERTE / CRITIQUE threshold. All timers are stored with the level, so they
    survive a restart.
    """

    hysteresis: Hysteresis = field(default_factory=Hysteresis)
    level: Level = Level.NORMAL
    _up_since: datetime | None = None
    _up_target: Level = Level.NORMAL
    _down_since: datetime | None = None
    _down_target: Level = Level.NORMAL
    _last_ts: datetime | None = None
    _crit_since: datetime | None = None

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
        self._up_since = (self._up_since or ts) if up >= Level.ALERTE else None
        self._crit_since = (self._crit_since or ts) if up >= Level.CRITIQUE else None
        self._up_target = up if up > self.level else Level.NORMAL
        if up == Level.CRITIQUE and self.level < up:
            waited = ts - self._crit_since  # type: ignore[operator]
            if self.level == Level.ALERTE or waited >= h.critique_after:
                self._set(Level.CRITIQUE)
        elif up == Level.ALERTE and self.level < up and ts - self._up_since >= h.raise_after:  # type: ignore[operator]
            self._set(Level.ALERTE)
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
        self._down_since = None
        self._up_target = Level.NORMAL
