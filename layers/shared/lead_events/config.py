"""Typed deployment settings, read lazily from the environment once per container."""

from __future__ import annotations

import ipaddress
import math
import os
from dataclasses import dataclass
from functools import cache

# About a day in total (23.7 h) over 9 retries: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 8 h.
DEFAULT_RETRY_SCHEDULE = (30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800)
# The longest one postback request may take, however slowly its receiver answers (http/client.py).
DEFAULT_REQUEST_TIMEOUT = 15.0

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(ValueError):
    """A deployment variable has a value that cannot be used."""


@dataclass(frozen=True)
class Settings:
    config_table: str
    leads_table: str
    logs_table: str
    postback_queue_url: str
    public_api_url: str | None
    config_cache_seconds: float
    retry_schedule: tuple[float, ...]
    allowed_networks: tuple[Network, ...]
    log_retention_days: int
    auto_disable_after: int
    request_timeout: float


def _retry_schedule(raw: str | None) -> tuple[float, ...]:
    if not raw:
        return DEFAULT_RETRY_SCHEDULE
    try:
        schedule = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(f"POSTBACK_RETRY_SCHEDULE must be comma-separated seconds, got {raw!r}") from exc
    if any(delay < 0 for delay in schedule):
        raise SettingsError("POSTBACK_RETRY_SCHEDULE delays cannot be negative")
    return schedule


def _request_timeout(raw: str | None) -> float:
    if not raw:
        return DEFAULT_REQUEST_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise SettingsError(f"POSTBACK_REQUEST_TIMEOUT must be a positive number of seconds, got {raw!r}")
    return seconds


def _networks(raw: str | None) -> tuple[Network, ...]:
    try:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False) for part in (raw or "").split(",") if part.strip()
        )
    except ValueError as exc:
        raise SettingsError(f"POSTBACK_ALLOWED_NETWORKS must be comma-separated CIDRs: {exc}") from exc


@cache
def settings() -> Settings:
    """The settings of this container; tests that change the environment call `settings.cache_clear()`."""
    env = os.environ.get
    return Settings(
        config_table=env("CONFIG_TABLE", "lead-events-dev-config"),
        leads_table=env("LEADS_TABLE", "lead-events-dev-leads"),
        logs_table=env("LOGS_TABLE", "lead-events-dev-logs"),
        postback_queue_url=env("POSTBACK_QUEUE_URL", ""),
        public_api_url=env("PUBLIC_API_URL") or None,
        config_cache_seconds=float(env("CONFIG_CACHE_SECONDS", "60")),
        retry_schedule=_retry_schedule(env("POSTBACK_RETRY_SCHEDULE")),
        allowed_networks=_networks(env("POSTBACK_ALLOWED_NETWORKS")),
        log_retention_days=int(env("LOG_RETENTION_DAYS", "400")),
        auto_disable_after=int(env("POSTBACK_AUTO_DISABLE_AFTER", "20")),
        request_timeout=_request_timeout(env("POSTBACK_REQUEST_TIMEOUT")),
    )
