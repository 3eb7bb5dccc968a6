"""Log listings and conversion reports."""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from pydantic import ConfigDict, Field

from lead_events.models.common import Model


class LogStatus(StrEnum):
    QUEUED = "queued"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"
    NO_POSTBACKS = "no_postbacks"


@dataclass(frozen=True)
class LogFilters:
    """What View Logs can narrow the entries to (each combination has its index)."""

    event: str | None = None
    campaign_id: str | None = None
    status: str | None = None
    lead_id: str | None = None


class ListedDelivery(Model):
    """One delivery of a listed entry: whose it is, where it stands, the latest status code it got."""

    id: str = Field(description="The delivery's id (its `webhook-id`), as `GET /logs/{log_id}` shows it.")
    kind: str = Field(description="`event` (the event's postback) or `affiliate` (the lead's affiliate).")
    postback_id: str | None = Field(description="The event postback's id (null for the affiliate's).")
    status: str = Field(description="queued, retrying, delivered or failed.")
    response_code: int | None = Field(description="The HTTP status code of its latest attempt (null: none yet).")


class LogListItem(Model):
    """One row of View Logs: the seed's columns, and how far each of the entry's deliveries got."""

    log_id: str
    created_at: str = Field(description="Timestamp: when the event was accepted.")
    event: str
    lead_id: str
    transaction_id: str
    campaign_id: str
    source: str
    status: LogStatus
    response_code: int | None = Field(description="The latest HTTP status code a delivery got (null: none yet).")
    revenue: Decimal | None = None
    delivery_count: int | None = Field(
        None, description="How many deliveries the entry has (null: an entry from before the listing counted them)."
    )
    delivered_count: int | None = Field(None, description="How many of them were delivered (null: as above).")
    deliveries: list[ListedDelivery] | None = Field(
        None, description="Each delivery's latest status and response code (null: as above)."
    )


class LogPage(Model):
    items: list[LogListItem]
    next_cursor: str | None


class GroupBy(StrEnum):
    DAY = "day"
    EVENT = "event"
    CAMPAIGN = "campaign"


class ReportFigures(Model):
    events: int = Field(description="Accepted triggers.")
    conversions: int = Field(description="Accepted triggers of conversion events.")
    revenue: Decimal = Field(description="Summed revenue, exact.")
    leads: int | None = Field(None, description="Leads registered (not for group_by=event).")
    converted_leads: int | None = Field(
        None,
        description="Of those leads, the ones with at least one accepted conversion event, counted once per lead "
        "in the day the lead was registered, whenever it converted (not for group_by=event). Counters written "
        "before converted leads were counted have none (read as 0): a lead whose only conversions came "
        "before is counted at its next one.",
    )
    conversion_rate: Decimal | None = Field(
        None,
        description="converted_leads / leads, between 0 and 1, when leads are known and > 0: the share of the "
        "leads registered in the row that have converted so far.",
    )


class ReportRow(ReportFigures):
    day: str | None = None
    event: str | None = None
    campaign_id: str | None = None


class ConversionReport(Model):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    group_by: GroupBy
    campaign_id: str | None
    rows: list[ReportRow] = Field(
        description="group_by=day: every day of the range (UTC), oldest first, days without activity included; "
        "group_by=event or campaign: the events or campaigns with activity in the range, by name."
    )
    totals: ReportFigures

    model_config = ConfigDict(populate_by_name=True)
