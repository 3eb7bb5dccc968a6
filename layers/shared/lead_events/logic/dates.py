"""Date ranges for listings and reports: ISO 8601 dates or date-times, in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from lead_events import clock
from lead_events.errors import Unprocessable

MAX_RANGE_DAYS = 1100


def _parse(value: str, label: str, end_of_day: bool) -> datetime:
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end_of_day else time.min, UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+", 1) if "T" in text else text)
    except ValueError as exc:
        raise Unprocessable(
            f"'{label}' must be an ISO 8601 date or date-time in UTC, e.g. 2026-11-26 or 2026-11-26T10:00:00Z; "
            f"got '{value[:40]}'."
        ) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """The timestamp format stored with log entries: milliseconds, Z."""
    return clock.iso(moment.timestamp())


def date_range(start: str | None, end: str | None, default_days: int) -> tuple[datetime, datetime]:
    """[from, to] in UTC. `to` given as a date includes that whole day; defaults: the last `default_days` days."""
    upper = _parse(end, "to", end_of_day=True) if end else datetime.fromtimestamp(clock.now(), UTC)
    lower = _parse(start, "from", end_of_day=False) if start else upper - timedelta(days=default_days)
    if lower > upper:
        raise Unprocessable("'from' is after 'to'.")
    if upper - lower > timedelta(days=MAX_RANGE_DAYS):
        raise Unprocessable(f"The range may span at most {MAX_RANGE_DAYS} days.")
    return lower, upper


def months_newest_first(lower: datetime, upper: datetime) -> list[str]:
    """Every `yyyy-mm` from upper's month back to lower's."""
    months = []
    year, month = upper.year, upper.month
    while (year, month) >= (lower.year, lower.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def days(lower: datetime, upper: datetime) -> list[str]:
    """Every `yyyy-mm-dd` from lower's day to upper's."""
    first, last = lower.date(), upper.date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
