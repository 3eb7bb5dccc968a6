"""Wall-clock time for the rules that compare moments: claims, due retries, when an attempt was made.

One module, called through its name (`clock.now()`), so a test that needs time to pass — a claim
to expire, a retry to fall due — moves it for all of them at once.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> float:
    """Seconds since the epoch."""
    return time.time()


def iso(epoch: float) -> str:
    """`epoch` as stored with log entries: ISO 8601 UTC with milliseconds."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now() -> str:
    """The current time as stored: ISO 8601 UTC with milliseconds."""
    return iso(now())


def expiry(epoch: float, days: int) -> int:
    """When an item stored at `epoch` and kept `days` expires (the tables' TTL attribute: epoch seconds)."""
    return int(epoch) + days * 86400


def epoch(iso_timestamp: str) -> float:
    """The inverse of `iso`."""
    return datetime.fromisoformat(iso_timestamp.replace("Z", "+00:00")).timestamp()
