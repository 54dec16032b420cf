"""Checks on every live value and timestamp before anything is predicted or stored.

Each value of each snapshot gets a :class:`Verdict`:

* ``GOOD``: a finite number inside the physical range of its quantity
  (:func:`thermowatch.data.quantities.out_of_range`, the one table) and not frozen;
* ``SUSPECT``: a number outside that range, or frozen (:class:`StaleTracker`: unchanged beyond
  the channel's resolution for a duration while the transformer's other channels move), or
  flagged by the source itself (an OPC UA ``Uncertain`` status): stored with its reason (what
  the field said is kept), never predicted on;
* ``REJECTED``: not a number at all (``"abc"``, ``true``, NaN, ``null``), or refused by the
  source (an OPC UA ``Bad`` status, a Modbus exception): it cannot be a reading, so only the
  refusal and its reason are stored.

A timestamp further in the future than ``max_future_skew``, before ``EARLIEST``, or beyond the
calendar once converted to UTC is refused as a whole (:func:`check_time`, the one time bound of
the live path): HTTP answers 422, the monitor stores it REJECTED. :func:`to_utc` is the one
conversion of a received instant to UTC.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from thermowatch.data import quantities as q
from thermowatch.data.columns import classify_quantity

GOOD, SUSPECT, REJECTED = "GOOD", "SUSPECT", "REJECTED"
QUALITY_CODE = {GOOD: 0, SUSPECT: 1}  # the readings table's Quality codes
#: No transformer measurement predates this (sanity bound for clocks reset to 0 or 0001).
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
DEFAULT_MAX_FUTURE_SKEW = timedelta(minutes=5)
MAX_VARIABLE_NAME = 200  # the readings table's column width


@dataclass(frozen=True)
class Verdict:
    """What validation made of one value: ``value`` is the float stored (``None`` if rejected)."""

    variable: str
    raw: Any
    value: float | None
    verdict: str
    reason: str | None = None


def quantity_of(variable: str, quantities: Mapping[str, str] | None = None) -> str:
    """The quantity of a variable: the model's metadata when it says, else from its name."""
    if quantities and variable in quantities:
        return quantities[variable]
    return _classified(variable)


@functools.lru_cache(maxsize=4096)  # a fleet has few distinct names; the regexes cost 50 µs
def _classified(variable: str) -> str:
    return classify_quantity(variable)


def to_utc(ts: datetime) -> datetime | None:
    """``ts`` as an aware UTC instant (naive means UTC); ``None`` when its offset moves it out of
    the calendar (``9999-12-31T23:30-05:00``, ``0001-01-01T00:00+14:00``)."""
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    try:
        return ts.astimezone(UTC)
    except OverflowError:
        return None


def check_time(ts: datetime, now: datetime, max_future_skew: timedelta) -> str | None:
    """Why an instant cannot be a measurement time (one clause naming the timestamp), ``None``
    when it can. Naive means UTC; ``now`` is aware."""
    utc = to_utc(ts)
    if utc is None:
        return f"timestamp {ts.isoformat()} is beyond the calendar once converted to UTC"
    if utc.replace(tzinfo=None) == datetime.min:
        return "timestamp unreadable (not a date, beyond the calendar, or 0001-01-01)"
    if utc < EARLIEST:
        return f"timestamp {ts.isoformat()} is before {EARLIEST.date().isoformat()}"
    if utc > now + max_future_skew:
        minutes = max_future_skew.total_seconds() / 60
        return (
            f"timestamp {ts.isoformat()} is more than {minutes:g} min ahead of the clock "
            f"({now.isoformat(timespec='seconds')})"
        )
    return None


def check_value(variable: str, raw: Any, quantity: str) -> Verdict:
    """The verdict on one raw value (no memory: see :class:`StaleTracker` for frozen values)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        kind = "null" if raw is None else type(raw).__name__
        return Verdict(variable, _printable(raw), None, REJECTED, f"not a number ({kind})")
    try:
        value = float(raw)
    except OverflowError:  # an int beyond float range
        return Verdict(variable, _printable(raw), None, REJECTED, "not a finite number")
    if not math.isfinite(value):
        return Verdict(variable, _printable(raw), None, REJECTED, "not a finite number")
    reason = q.out_of_range(quantity, value)
    if reason is not None:
        return Verdict(variable, raw, value, SUSPECT, reason)
    return Verdict(variable, raw, value, GOOD)


def value_refusal(variable: str, raw: Any) -> str | None:
    """Why ``raw`` cannot be a reading of ``variable`` (the REJECTED reason every protocol
    stores), ``None`` when it is a number: HTTP names the field with these same words."""
    verdict = check_value(variable, raw, quantity_of(variable))
    return verdict.reason if verdict.verdict == REJECTED else None


def _printable(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 100 else text[:97] + "..."


def with_source_quality(verdict: Verdict, source: tuple[str, str] | None) -> Verdict:
    """``verdict`` after the source's own quality (``(SUSPECT | REJECTED, reason)``, e.g. an OPC
    UA status name): the worse of the two wins, the source's reason first."""
    if source is None:
        return verdict
    quality, reason = source
    if quality == REJECTED:
        return Verdict(verdict.variable, _printable(verdict.raw), None, REJECTED, reason)
    if quality == SUSPECT and verdict.verdict == GOOD:
        return Verdict(verdict.variable, verdict.raw, verdict.value, SUSPECT, reason)
    return verdict


@dataclass
class _Run:
    """The current run of one variable: where it started and the finest step seen."""

    anchor: float
    since: datetime
    count: int = 1
    resolution: float = 0.0  # smallest non-zero step seen [unit]; 0: not known yet
    moved_at: datetime | None = None  # last time it moved beyond its resolution


@dataclass
class StaleTracker:
    """Per transformer: a frozen sensor's readings become SUSPECT.

    A value is frozen when it has stayed within its channel's resolution (the smallest non-zero
    step seen, so a sensor in whole degrees is not frozen for repeating a degree) for at least
    ``frozen_after`` of data time and ``stale_periods`` readings, while at least one other
    channel of the transformer moved beyond its own resolution during that time (when every
    channel is still, the transformer is quiet, not its sensor broken) -- the live form of
    :func:`thermowatch.data.clean.flag_frozen`. The first reading of a run is never flagged.

    Holds one run per variable of the transformer: bounded by its number of variables.
    """

    stale_periods: int = 5
    frozen_after: timedelta = timedelta(minutes=30)
    _runs: dict[str, _Run] = field(default_factory=dict)
    _frozen: set[str] = field(default_factory=set)

    def check(self, verdict: Verdict, ts: datetime) -> Verdict:
        """Turn a GOOD verdict at ``ts`` SUSPECT when its value has been frozen too long."""
        if verdict.verdict != GOOD or verdict.value is None:
            return verdict
        var, value = verdict.variable, verdict.value
        run = self._runs.get(var)
        if run is None or ts < run.since:  # first reading, or an out-of-order one: restart
            self._runs[var] = _Run(value, ts)
            self._frozen.discard(var)
            return verdict
        step = abs(value - run.anchor)
        if step > 0 and (run.resolution == 0.0 or step < run.resolution):
            run.resolution = step
        if step > 0.5 * run.resolution if run.resolution else step > 0:
            run.anchor, run.since, run.count, run.moved_at = value, ts, 1, ts
            self._frozen.discard(var)
            return verdict
        run.count += 1
        drivers_moved = any(
            r.moved_at is not None and r.moved_at > run.since
            for other, r in self._runs.items()
            if other != var
        )
        if (
            run.count >= self.stale_periods
            and ts - run.since >= self.frozen_after
            and drivers_moved
        ):
            self._frozen.add(var)
            minutes = (ts - run.since).total_seconds() / 60.0
            return Verdict(
                var, verdict.raw, value, SUSPECT,
                f"unchanged for {minutes:.0f} min ({run.count} readings) while other channels "
                "moved (frozen sensor)",
            )  # fmt: skip
        return verdict

    def stale(self) -> list[str]:
        """Variables currently frozen."""
        return sorted(self._frozen)
