"""Typed deployment settings, read lazily from the environment once per container."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Settings:
    config_table: str
    public_api_url: str | None
    config_cache_seconds: float


@cache
def settings() -> Settings:
    """The settings of this container; tests that change the environment call `settings.cache_clear()`."""
    return Settings(
        config_table=os.environ.get("CONFIG_TABLE", "lead-events-dev-config"),
        public_api_url=os.environ.get("PUBLIC_API_URL") or None,
        config_cache_seconds=float(os.environ.get("CONFIG_CACHE_SECONDS", "5")),
    )
