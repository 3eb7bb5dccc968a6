"""Typed deployment settings, read from the environment once per container.

The resources (the tables and the queue) have no default: a function without its variable would use
whichever deployment the default named. Each is checked where it is first used, so a process needs
only the resources it uses (`make org`: the configuration table). The tunables have safe defaults and
are all checked when the settings are first read, before any work is done. A variable that is missing
or cannot be used is a SettingsError that names it.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlsplit

# About a day in total (23.7 h) over 9 retries: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 8 h.
DEFAULT_RETRY_SCHEDULE = (30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800)
# The longest one postback request may take, however slowly its receiver answers (http/client.py).
DEFAULT_REQUEST_TIMEOUT = 15.0
DEFAULT_CONFIG_CACHE_SECONDS = 60.0
DEFAULT_LOG_RETENTION_DAYS = 400
DEFAULT_AUTO_DISABLE_AFTER = 20

# What each resource variable holds (template.yaml's Globals give every function all of them).
RESOURCES = {
    "CONFIG_TABLE": "the name of the configuration DynamoDB table (the stack's ConfigTable, output ConfigTableName)",
    "LEADS_TABLE": "the name of the leads DynamoDB table (the stack's LeadsTable)",
    "LOGS_TABLE": "the name of the event log DynamoDB table (the stack's LogsTable)",
    "POSTBACK_QUEUE_URL": "the URL of the postback SQS queue (the stack's PostbackQueue)",
}
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")  # DynamoDB's rule

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(Exception):
    """A deployment variable is missing or has a value that cannot be used; the message names it.

    Not a ValueError: a mistake of the deployment's must not be taken for bad input where one is caught.
    """


@dataclass(frozen=True)
class Settings:
    public_api_url: str | None
    config_cache_seconds: float
    retry_schedule: tuple[float, ...]
    allowed_networks: tuple[Network, ...]
    log_retention_days: int
    auto_disable_after: int
    request_timeout: float
    # RESOURCES' variables as the environment had them (None: not set), checked on use.
    resources: Mapping[str, str | None] = field(default_factory=dict, repr=False, hash=False)

    @classmethod
    def read(cls, environ: Mapping[str, str]) -> Settings:
        """The settings `environ` gives; SettingsError for a tunable that cannot be used."""
        env = environ.get
        return cls(
            public_api_url=_public_api_url(env("PUBLIC_API_URL")),
            config_cache_seconds=_seconds(
                "CONFIG_CACHE_SECONDS", env("CONFIG_CACHE_SECONDS"), DEFAULT_CONFIG_CACHE_SECONDS, positive=False
            ),
            retry_schedule=_retry_schedule(env("POSTBACK_RETRY_SCHEDULE")),
            allowed_networks=_networks(env("POSTBACK_ALLOWED_NETWORKS")),
            log_retention_days=_count(
                "LOG_RETENTION_DAYS", env("LOG_RETENTION_DAYS"), DEFAULT_LOG_RETENTION_DAYS, "days", minimum=1
            ),
            auto_disable_after=_count(
                "POSTBACK_AUTO_DISABLE_AFTER",
                env("POSTBACK_AUTO_DISABLE_AFTER"),
                DEFAULT_AUTO_DISABLE_AFTER,
                "failures",
                minimum=0,
            ),
            request_timeout=_seconds(
                "POSTBACK_REQUEST_TIMEOUT", env("POSTBACK_REQUEST_TIMEOUT"), DEFAULT_REQUEST_TIMEOUT, positive=True
            ),
            resources={name: env(name) for name in RESOURCES},
        )

    @property
    def config_table(self) -> str:
        return _table("CONFIG_TABLE", self.resources.get("CONFIG_TABLE"))

    @property
    def leads_table(self) -> str:
        return _table("LEADS_TABLE", self.resources.get("LEADS_TABLE"))

    @property
    def logs_table(self) -> str:
        return _table("LOGS_TABLE", self.resources.get("LOGS_TABLE"))

    @property
    def postback_queue_url(self) -> str:
        raw = _required("POSTBACK_QUEUE_URL", self.resources.get("POSTBACK_QUEUE_URL"))
        if not _is_http_url(raw):
            raise SettingsError(f"POSTBACK_QUEUE_URL must hold {RESOURCES['POSTBACK_QUEUE_URL']}, got {raw!r}")
        return raw


def _required(name: str, raw: str | None) -> str:
    if raw is None or not raw.strip():
        state = "not set" if raw is None else "empty"
        raise SettingsError(f"{name} is {state}: it must hold {RESOURCES[name]}")
    return raw


def _table(name: str, raw: str | None) -> str:
    table = _required(name, raw)
    if not _TABLE_NAME.fullmatch(table):
        raise SettingsError(f"{name} must hold {RESOURCES[name]} (3 to 255 of A-Z a-z 0-9 _ . -), got {table!r}")
    return table


def _is_http_url(raw: str) -> bool:
    try:
        parts = urlsplit(raw)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and raw == raw.strip()


def _public_api_url(raw: str | None) -> str | None:
    if not raw:
        return None  # the host each request came to (api/context.py)
    if not _is_http_url(raw):
        raise SettingsError(f"PUBLIC_API_URL must be the API's base URL (https://host[/path]), got {raw!r}")
    return raw


def _seconds(name: str, raw: str | None, default: float, *, positive: bool) -> float:
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and (seconds > 0 if positive else seconds >= 0)):
        kind = "positive" if positive else "non-negative"
        raise SettingsError(f"{name} must be a {kind} number of seconds, got {raw!r}")
    return seconds


def _count(name: str, raw: str | None, default: int, unit: str, *, minimum: int) -> int:
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise SettingsError(f"{name} must be a whole number of {unit}, at least {minimum}, got {raw!r}")
    return value


def _retry_schedule(raw: str | None) -> tuple[float, ...]:
    if not raw:
        return DEFAULT_RETRY_SCHEDULE
    try:
        schedule = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        schedule = (math.nan,)
    if not all(math.isfinite(delay) and delay >= 0 for delay in schedule):
        raise SettingsError(f"POSTBACK_RETRY_SCHEDULE must be comma-separated non-negative seconds, got {raw!r}")
    return schedule


def _networks(raw: str | None) -> tuple[Network, ...]:
    try:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False) for part in (raw or "").split(",") if part.strip()
        )
    except ValueError as exc:
        raise SettingsError(f"POSTBACK_ALLOWED_NETWORKS must be comma-separated CIDRs, got {raw!r}: {exc}") from exc


@cache
def settings() -> Settings:
    """The settings of this container; tests that change the environment call `settings.cache_clear()`."""
    return Settings.read(os.environ)
