"""The stores and services of this container, built on first use from the settings and shared clients.

Each factory imports what it builds, so a handler imports only the stores and services it uses
(the dispatcher's HTTP client, for one, stays out of every other function's cold start).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from lead_events import aws
from lead_events.config import settings

if TYPE_CHECKING:
    from lead_events.logic.dispatch import Dispatcher
    from lead_events.logic.triggers import TriggerService
    from lead_events.store.affiliates import AffiliateStore
    from lead_events.store.campaigns import CampaignStore
    from lead_events.store.config import ConfigTable
    from lead_events.store.entries import EntryStore
    from lead_events.store.events import EventStore
    from lead_events.store.leads import LeadStore
    from lead_events.store.listing import LogListing
    from lead_events.store.orgs import OrgStore
    from lead_events.store.postbacks import PostbackStore
    from lead_events.store.queue import DeliveryQueue
    from lead_events.store.reports import ReportStore


@cache
def config_table() -> ConfigTable:
    from lead_events.store.config import ConfigTable

    return ConfigTable(aws.dynamodb(), settings().config_table)


@cache
def event_store() -> EventStore:
    from lead_events.store.events import EventStore

    return EventStore(config_table())


@cache
def postback_store() -> PostbackStore:
    from lead_events.store.postbacks import PostbackStore

    return PostbackStore(config_table())


@cache
def campaign_store() -> CampaignStore:
    from lead_events.store.campaigns import CampaignStore

    return CampaignStore(config_table())


@cache
def org_store() -> OrgStore:
    from lead_events.store.orgs import OrgStore

    return OrgStore(config_table())


@cache
def lead_store() -> LeadStore:
    from lead_events.store.leads import LeadStore

    return LeadStore(aws.dynamodb(), settings().leads_table, report_store())


@cache
def log_store() -> EntryStore:
    from lead_events.store.entries import EntryStore

    return EntryStore(aws.dynamodb(), settings().logs_table)


@cache
def report_store() -> ReportStore:
    from lead_events.store.reports import ReportStore

    return ReportStore(aws.dynamodb(), settings().logs_table)


@cache
def log_listing() -> LogListing:
    from lead_events.store.listing import LogListing

    return LogListing(log_store())


@cache
def affiliate_store() -> AffiliateStore:
    from lead_events.store.affiliates import AffiliateStore

    return AffiliateStore(config_table())


@cache
def delivery_queue() -> DeliveryQueue:
    from lead_events.store.queue import DeliveryQueue

    return DeliveryQueue(aws.sqs(), settings().postback_queue_url)


@cache
def trigger_service() -> TriggerService:
    from lead_events.logic.config_cache import ConfigCache
    from lead_events.logic.triggers import TriggerService
    from lead_events.store.triggers import TriggerStore

    return TriggerService(
        store=TriggerStore(lead_store(), log_store(), report_store(), settings().config_table),
        config=ConfigCache(config_table(), settings().config_cache_seconds),
        retention_days=settings().log_retention_days,
    )


@cache
def dispatcher() -> Dispatcher:
    from lead_events.logic.dispatch import Dispatcher

    return Dispatcher(
        logs=log_store(),
        postbacks=postback_store(),
        queue=delivery_queue(),
        schedule=settings().retry_schedule,
        retention_days=settings().log_retention_days,
        auto_disable_after=settings().auto_disable_after,
    )


_FACTORIES = (
    config_table,
    event_store,
    postback_store,
    campaign_store,
    report_store,
    log_listing,
    affiliate_store,
    org_store,
    lead_store,
    log_store,
    delivery_queue,
    trigger_service,
    dispatcher,
)


def reset_stores() -> None:
    """Forget cached stores, clients and settings (tests that change the environment)."""
    for factory in _FACTORIES:
        factory.cache_clear()
    aws.reset_clients()
    settings.cache_clear()
