"""When to try a failed delivery again: the schedule, with jitter, honouring Retry-After."""

from __future__ import annotations

import random
from collections.abc import Sequence

MAX_RETRY_AFTER = 24 * 3600


def is_retryable(status_code: int | None) -> bool:
    """Connection errors and time-outs (no status), 429 and 5xx are retried; other answers are final."""
    return status_code is None or status_code == 429 or status_code >= 500


def next_delay(
    schedule: Sequence[float], attempts_made: int, retry_after: float | None = None, jitter: float = 0.2
) -> float | None:
    """Seconds until the next attempt after `attempts_made` attempts, or None when the schedule is spent.

    Each step is the schedule's delay spread by ±`jitter` (so a burst of failures does not retry in
    lock-step), and never sooner than the receiver's Retry-After (capped at a day).
    """
    if attempts_made < 1 or attempts_made > len(schedule):
        return None
    base = float(schedule[attempts_made - 1])
    delay = base * random.uniform(1 - jitter, 1 + jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay
