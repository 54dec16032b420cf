"""The grandfather-father-son rotation of backup sets (7 daily, 4 weekly, 12 monthly)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from thermowatch.store.backup import sets_to_keep


def test_a_year_of_nightly_backups_keeps_7_days_4_weeks_12_months() -> None:
    end = datetime(2026, 11, 30, 2, 30, tzinfo=UTC)  # a Monday
    times = [end - timedelta(days=d) for d in range(400)]
    kept = sets_to_keep(times)
    daily = {end - timedelta(days=d) for d in range(7)}
    assert daily <= kept
    # weekly: the newest of each of the last 4 ISO weeks (this Monday, then 3 Sundays)
    weekly = {end, *(datetime(2026, 11, d, 2, 30, tzinfo=UTC) for d in (29, 22, 15))}
    assert weekly <= kept
    # monthly: the last day of each of the last 12 months (this month: today)
    monthly = {end} | {
        datetime(y, m, 1, 2, 30, tzinfo=UTC) - timedelta(days=1)
        for y, m in [(2026, 11), (2026, 10), (2026, 9), (2026, 8), (2026, 7), (2026, 6),
                     (2026, 5), (2026, 4), (2026, 3), (2026, 2), (2026, 1)]
    }  # fmt: skip
    assert monthly <= kept
    assert kept == daily | weekly | monthly
    assert len(kept) == 7 + 3 + 11 - 1  # Nov 29 is both a daily and a weekly one


def test_several_backups_a_day_keep_the_newest_of_each_day() -> None:
    day = datetime(2026, 11, 30, tzinfo=UTC)
    times = [day + timedelta(hours=h) for h in range(0, 24, 6)]
    assert sets_to_keep(times, {"daily": 7}) == {day + timedelta(hours=18)}


def test_gaps_do_not_shorten_the_history() -> None:
    # backups only every third day: 7 daily sets reach back 18 days, not 7
    end = datetime(2026, 11, 30, tzinfo=UTC)
    times = [end - timedelta(days=3 * i) for i in range(20)]
    assert sets_to_keep(times, {"daily": 7}) == set(times[:7])
    assert sets_to_keep([], None) == set()
