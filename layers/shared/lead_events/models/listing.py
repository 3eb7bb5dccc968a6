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
    conversion_rate: Decimal | None = Field(None, description="conversions / leads, when leads are known and > 0.")


class ReportRow(ReportFigures):
    day: str | None = None
    event: str | None = None
    campaign_id: str | None = None


class ConversionReport(Model):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    group_by: GroupBy
    campaign_id: str | None
    rows: list[ReportRow]
    totals: ReportFigures

    model_config = ConfigDict(populate_by_name=True)
