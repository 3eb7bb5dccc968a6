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


class LogListItem(Model):
    """One row of View Logs: the seed's columns."""

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
