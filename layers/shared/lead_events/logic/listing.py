"""Listing log entries: one page of an organization's entries, newest first, by filters and dates."""

from __future__ import annotations

from lead_events.logic.dates import date_range, iso, months_newest_first
from lead_events.logic.deliveries import delivery_id
from lead_events.models.entries import EntrySummary
from lead_events.models.listing import ListedDelivery, LogFilters, LogListItem, LogPage
from lead_events.store.listing import LogListing


def list_logs(
    listing: LogListing,
    org_id: str,
    filters: LogFilters,
    *,
    start: str | None,
    end: str | None,
    limit: int,
    cursor: str | None,
    retention_days: int,
) -> LogPage:
    """One page of entries, newest first (default range: the whole retention period)."""
    lower, upper = date_range(start, end, retention_days)
    items, next_cursor = listing.page(
        org_id,
        filters,
        months=months_newest_first(lower, upper),
        lower=iso(lower),
        upper=iso(upper),
        limit=limit,
        cursor=cursor,
    )
    return LogPage(items=[list_item(item) for item in items], next_cursor=next_cursor)


def list_item(item: EntrySummary) -> LogListItem:
    """A listing's row: the entry, and how many of its deliveries got through (from what the listing read)."""
    deliveries = None
    if item.deliveries is not None:
        deliveries = [
            ListedDelivery(
                id=delivery_id(item.log_id, d.key),
                kind=d.kind,
                postback_id=d.postback_id,
                status=d.status,
                response_code=d.status_code,
            )
            for d in item.deliveries
        ]
    return LogListItem(
        log_id=item.log_id,
        created_at=item.created_at,
        event=item.event,
        lead_id=item.lead_id,
        transaction_id=item.transaction_id,
        campaign_id=item.campaign_id,
        source=item.source,
        status=item.status,
        response_code=item.last_status_code,
        revenue=item.revenue,
        delivery_count=None if deliveries is None else len(deliveries),
        delivered_count=None if deliveries is None else sum(d.status == "delivered" for d in deliveries),
        deliveries=deliveries,
    )
