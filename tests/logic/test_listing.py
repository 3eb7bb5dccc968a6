"""A listing's rows from what the listing read: how many of each entry's deliveries got through, and their codes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lead_events.logic.listing import list_logs
from lead_events.models.entries import DeliveryBrief, EntrySummary
from lead_events.models.listing import LogFilters


class FakeListing:
    """The log listing: hands back the summaries it was given, as one page, and notes what it was asked."""

    def __init__(self, *summaries: EntrySummary) -> None:
        self.summaries = list(summaries)
        self.asked: list[dict[str, Any]] = []

    def page(self, org_id: str, filters: LogFilters, **bounds: Any) -> tuple[list[EntrySummary], str | None]:
        self.asked.append({"org_id": org_id, "filters": filters} | bounds)
        return self.summaries, None


def _summary(log_id: str, status: str, deliveries: tuple[DeliveryBrief, ...] | None) -> EntrySummary:
    return EntrySummary(
        log_id=log_id,
        created_at="2026-11-26T10:00:00.000Z",
        event="sale",
        lead_id="L1",
        transaction_id="T1",
        campaign_id="c1",
        source="inbound",
        status=status,
        last_status_code=500,
        revenue=Decimal("12.50"),
        deliveries=deliveries,
    )


def test_each_row_counts_its_delivered_deliveries_and_lists_each_ones_status_and_code() -> None:
    listing = FakeListing(
        _summary(
            "log-1",
            "retrying",
            (
                DeliveryBrief("affiliate", "affiliate", None, "delivered", 204),
                DeliveryBrief("pb1", "event", "pb1", "delivered", 200),
                DeliveryBrief("pb2", "event", "pb2", "retrying", 500),
            ),
        ),
        _summary("log-2", "no_postbacks", ()),
        _summary("log-3", "failed", None),  # written before the entries kept their deliveries for listings
    )

    page = list_logs(listing, "org-1", LogFilters(), start=None, end=None, limit=50, cursor=None, retention_days=30)

    retrying, none, older = page.items
    assert (retrying.status, retrying.delivery_count, retrying.delivered_count) == ("retrying", 3, 2)
    assert [(d.id, d.kind, d.postback_id, d.status, d.response_code) for d in retrying.deliveries or []] == [
        ("log-1_affiliate", "affiliate", None, "delivered", 204),
        ("log-1_pb1", "event", "pb1", "delivered", 200),
        ("log-1_pb2", "event", "pb2", "retrying", 500),
    ]
    assert (retrying.source, retrying.revenue, retrying.response_code) == ("inbound", Decimal("12.50"), 500)
    assert (none.delivery_count, none.delivered_count, none.deliveries) == (0, 0, [])
    assert (older.delivery_count, older.delivered_count, older.deliveries) == (None, None, None)
