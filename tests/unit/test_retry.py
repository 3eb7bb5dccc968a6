"""The retry schedule: which answers are retried, and when."""

import pytest

from lead_events.config import DEFAULT_RETRY_SCHEDULE, SettingsError, _retry_schedule
from lead_events.logic.retry import is_retryable, next_delay


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (None, True),
        (429, True),
        (500, True),
        (503, True),
        (404, False),
        (400, False),
        (410, False),
        (301, False),
        (302, False),
    ],
)
def test_connection_errors_429_and_5xx_are_retried_other_answers_are_final(status: int | None, retry: bool) -> None:
    assert is_retryable(status) is retry


def test_the_default_schedule_spans_about_a_day() -> None:
    total = sum(DEFAULT_RETRY_SCHEDULE)
    assert 20 * 3600 <= total <= 28 * 3600
    assert list(DEFAULT_RETRY_SCHEDULE) == sorted(DEFAULT_RETRY_SCHEDULE)


def test_each_delay_follows_the_schedule_within_the_jitter() -> None:
    schedule = (10, 100, 1000)
    for attempts, base in enumerate(schedule, start=1):
        delays = {next_delay(schedule, attempts) for _ in range(50)}
        assert all(d is not None and 0.8 * base <= d <= 1.2 * base for d in delays)
        assert len(delays) > 1  # jittered, not lock-step


def test_the_schedule_ends() -> None:
    assert next_delay((1, 2), 3) is None
    assert next_delay((), 1) is None


def test_retry_after_is_honoured_but_capped() -> None:
    assert next_delay((1,), 1, retry_after=120) == 120
    assert next_delay((1,), 1, retry_after=10**9) == 24 * 3600


def test_the_schedule_is_configurable_and_checked() -> None:
    assert _retry_schedule("0, 5,60") == (0.0, 5.0, 60.0)
    assert _retry_schedule("") == DEFAULT_RETRY_SCHEDULE
    with pytest.raises(SettingsError, match="comma-separated"):
        _retry_schedule("5s,10s")
    with pytest.raises(SettingsError, match="negative"):
        _retry_schedule("-1")


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from lead_events.http.client import _retry_after

    assert _retry_after("120") == 120
    assert _retry_after(None) is None
    assert _retry_after("soon") is None
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 <= (_retry_after(in_a_minute) or 0) <= 61
