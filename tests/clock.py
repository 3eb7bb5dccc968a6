"""Setting the clock the code reads, so a test can run on any day of any month.

`lead_events.clock.now()` is where the code reads the time: listings and reports default their
range to it (`lead_events.logic.dates`), stores stamp what they write with it, and the dispatcher
decides what is due by it. A test sets it to an instant (it then stands still).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from time import sleep

import pytest

# The days of a month whose edges a date computation can get wrong, each a moment before midnight
# ends it or just after midnight begins it: a 1st, a 28th that ends February, a 31st that ends the year.
MONTH_EDGES = {
    "the 1st, just after midnight": datetime(2027, 3, 1, 0, 0, 30, tzinfo=UTC),
    "the 28th, last day of February": datetime(2027, 2, 28, 23, 59, 30, tzinfo=UTC),
    "the 31st, last day of the year": datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC),
}


def set_clock(monkeypatch: pytest.MonkeyPatch, instant: datetime) -> None:
    """From now on in this test, the code reads `instant` as the current time."""
    monkeypatch.setattr("lead_events.clock.now", instant.timestamp)


def month_start(instant: datetime) -> datetime:
    return instant.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def packed_before(instant: datetime, count: int) -> tuple[datetime, timedelta]:
    """The newest of `count` moments before `instant` in its month, and the step between them (a second
    at most, a millisecond at least, so the timestamps stored with millisecond precision stay distinct)."""
    newest = instant - timedelta(seconds=1)
    step = min(timedelta(seconds=1), (newest - month_start(instant)) / count)
    if step < timedelta(milliseconds=1):
        raise ValueError(f"{count} moments do not fit between {month_start(instant)} and {instant}")
    return newest, step


def wait_for_a_day_with(seconds: float) -> None:
    """Wait for the next UTC day when less than `seconds` are left of this one.

    For a test that writes through code reading the real clock and then expects everything on one
    day: run at 23:59:50, its writes would fall on two.
    """
    now = datetime.now(UTC)
    left = (datetime.combine(now.date() + timedelta(days=1), time.min, UTC) - now).total_seconds()
    if left < seconds:
        sleep(left + 0.1)
