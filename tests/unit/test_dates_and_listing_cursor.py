"""Date ranges (ISO 8601, UTC, `to` as a date includes the day) and log listing cursors."""

import base64
import json
from datetime import UTC, datetime, time, timedelta

import pytest

from lead_events.errors import InvalidCursor, Unprocessable
from lead_events.logic.dates import date_range, days, iso, months_newest_first
from lead_events.store.listing import decode_listing_cursor, encode_listing_cursor
from tests.clock import MONTH_EDGES, set_clock


def test_dates_cover_whole_days_and_date_times_are_exact() -> None:
    lower, upper = date_range("2026-11-01", "2026-11-26", 30)
    assert iso(lower) == "2026-11-01T00:00:00.000Z"
    assert iso(upper) == "2026-11-26T23:59:59.999Z"
    lower, upper = date_range("2026-11-01T10:00:00Z", "2026-11-02T12:30:00+02:00", 30)
    assert iso(lower) == "2026-11-01T10:00:00.000Z"
    assert iso(upper) == "2026-11-02T10:30:00.000Z"


def test_naive_date_times_are_utc_and_a_plus_sign_lost_in_a_query_string_is_restored() -> None:
    assert iso(date_range("2026-11-01T10:00:00", "2026-11-30", 30)[0]) == "2026-11-01T10:00:00.000Z"
    assert iso(date_range("2026-11-01T10:00:00 01:00", "2026-11-30", 30)[0]) == "2026-11-01T09:00:00.000Z"


def test_missing_bounds_default_to_the_last_days() -> None:
    lower, upper = date_range(None, None, 30)
    assert abs((datetime.now(UTC) - upper).total_seconds()) < 5
    assert round((upper - lower).total_seconds() / 86400) == 30


@pytest.mark.parametrize("clock", MONTH_EDGES.values(), ids=MONTH_EDGES)
def test_on_the_edges_of_a_month_the_default_range_ends_now_in_its_month(
    monkeypatch: pytest.MonkeyPatch, clock: datetime
) -> None:
    set_clock(monkeypatch, clock)
    lower, upper = date_range(None, None, 30)
    assert upper == clock and lower == clock - timedelta(days=30)
    months = months_newest_first(lower, upper)
    assert (months[0], months[-1]) == (clock.strftime("%Y-%m"), lower.strftime("%Y-%m"))
    assert date_range(None, clock.date().isoformat(), 30)[1] == datetime.combine(clock.date(), time.max, UTC)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("yesterday", None, "'from' must be an ISO 8601"),
        (None, "2026-13-01", "'to' must be an ISO 8601"),
        ("2026-11-26", "2026-11-01", "'from' is after 'to'"),
        ("2000-01-01", "2026-01-01", "at most"),
    ],
)
def test_bad_ranges_are_refused_with_a_message(start: str | None, end: str | None, message: str) -> None:
    with pytest.raises(Unprocessable, match=message):
        date_range(start, end, 30)


def test_months_and_days_of_a_range() -> None:
    lower, upper = date_range("2025-11-30", "2026-02-01", 30)
    assert months_newest_first(lower, upper) == ["2026-02", "2026-01", "2025-12", "2025-11"]
    assert days(*date_range("2026-02-27", "2026-03-02", 30)) == ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]


def test_listing_cursors_round_trip_and_carry_no_tenant() -> None:
    cursor = encode_listing_cursor("2026-11", "2026-11-26T10:00:00.000Z#1a2b3c")
    assert decode_listing_cursor(cursor) == ("2026-11", "2026-11-26T10:00:00.000Z#1a2b3c")
    assert "ORG" not in base64.urlsafe_b64decode(cursor + "==").decode()


@pytest.mark.parametrize(
    ("cursor", "month"),
    [
        ("eyJtIjogIjIwMjYtMTEiLCAiayI6ICIyMDI2LTExLTI2VDEwOjAwOjAwLjAwMFojMWEyYjNjIn0", "2026-11"),
        ("eyJtIjogbnVsbCwgImsiOiAiMjAyNi0xMS0yNlQxMDowMDowMC4wMDBaIzFhMmIzYyJ9", None),  # a lead's listing
    ],
)
def test_listing_cursors_handed_out_before_are_still_read_the_same(cursor: str, month: str | None) -> None:
    assert encode_listing_cursor(month, "2026-11-26T10:00:00.000Z#1a2b3c") == cursor
    assert decode_listing_cursor(cursor) == (month, "2026-11-26T10:00:00.000Z#1a2b3c")


def _forge(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        _forge({"m": "2026-11"}),
        _forge({"m": "2026-11", "k": "ORG#org-other#LOG#x"}),
        _forge({"m": "../..", "k": "2026-11-26T10:00:00.000Z#1a"}),
        _forge({"m": 5, "k": "2026-11-26T10:00:00.000Z#1a"}),
        _forge(["2026-11", "k"]),
    ],
)
def test_tampered_listing_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_listing_cursor(cursor)
