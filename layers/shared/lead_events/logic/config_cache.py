"""A warm container's copy of each organization's configuration.

The trigger path reads the organization's `config_version` in the same BatchGetItem that reads the
lead; only when it differs from the cached snapshot (or the snapshot is older than
CONFIG_CACHE_SECONDS, a backstop) is the configuration partition read again. So a configuration
change is seen by the very next trigger, and a warm trigger costs no extra round trip.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from lead_events.store.config import ConfigSnapshot, ConfigTable


@dataclass
class _Cached:
    snapshot: ConfigSnapshot
    loaded_at: float


class ConfigCache:
    def __init__(self, table: ConfigTable, max_age_seconds: float) -> None:
        self._table = table
        self._max_age = max_age_seconds
        self._cached: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def get(self, org_id: str, current_version: int | None) -> ConfigSnapshot:
        """The snapshot for `org_id`, reloaded unless the cached one has `current_version` and is fresh."""
        with self._lock:
            cached = self._cached.get(org_id)
        now = time.monotonic()
        if (
            cached is not None
            and current_version is not None
            and cached.snapshot.version == current_version
            and now - cached.loaded_at < self._max_age
        ):
            return cached.snapshot
        snapshot = self._table.snapshot(org_id)
        with self._lock:
            self._cached[org_id] = _Cached(snapshot, now)
        return snapshot
