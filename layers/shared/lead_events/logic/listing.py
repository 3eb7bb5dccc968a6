"""Listing log entries: one page of an organization's entries, newest first, by filters and dates."""

from __future__ import annotations

from lead_events.logic.dates import date_range, iso, months_newest_first
from lead_events.models.listing import LogFilters, LogListItem, LogPage
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
    rows = [
        LogListItem(
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
        )
        for item in items
    ]
    return LogPage(items=rows, next_cursor=next_cursor)
