"""The stores of this container, built on first use from the settings and the shared client."""

from __future__ import annotations

from functools import cache

from lead_events import aws
from lead_events.config import settings
from lead_events.store.events import EventStore
from lead_events.store.orgs import OrgStore


@cache
def event_store() -> EventStore:
    return EventStore(aws.dynamodb(), settings().config_table)


@cache
def org_store() -> OrgStore:
    return OrgStore(aws.dynamodb(), settings().config_table)


def reset_stores() -> None:
    """Forget cached stores, clients and settings (tests that change the environment)."""
    event_store.cache_clear()
    org_store.cache_clear()
    aws.reset_clients()
    settings.cache_clear()
