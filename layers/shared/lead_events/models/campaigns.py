"""Event lists, their assignment to campaigns, and per-campaign custom fields."""

from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StrictBool, field_validator

from lead_events.models.common import Description, Identifier, Model
from lead_events.models.macros import BUILTIN_MACROS

MAX_LIST_EVENTS = 90  # one transaction checks each event exists (DynamoDB allows 100 items)
MAX_CUSTOM_FIELDS = 50

ListName = Annotated[str, Field(min_length=1, max_length=100)]


def _unique(names: list[str]) -> list[str]:
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"each name may appear once; repeated: {', '.join(duplicates)}")
    return names


class EventListCreate(Model):
    model_config = ConfigDict(extra="forbid")

    name: ListName
    description: Description = ""
    events: list[Identifier] = Field(default_factory=list, max_length=MAX_LIST_EVENTS)

    _check_unique = field_validator("events")(_unique)


class EventListUpdate(Model):
    model_config = ConfigDict(extra="forbid")

    name: ListName | None = None
    description: Description | None = None
    events: list[Identifier] | None = Field(None, max_length=MAX_LIST_EVENTS)

    @field_validator("events")
    @classmethod
    def _check_unique(cls, events: list[str] | None) -> list[str] | None:
        return None if events is None else _unique(events)


class EventList(Model):
    id: str
    name: str
    description: str
    events: list[str]
    campaigns: list[str] = Field(description="The campaigns the list is assigned to.")
    created_at: str
    updated_at: str


class EventListPage(Model):
    items: list[EventList]
    next_cursor: str | None


class Assignment(Model):
    campaign_id: str
    list_id: str
    assigned_at: str


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"


class CustomField(Model):
    model_config = ConfigDict(extra="forbid")

    name: Identifier
    type: FieldType = FieldType.TEXT
    required: StrictBool = False

    @field_validator("name")
    @classmethod
    def _not_a_builtin(cls, name: str) -> str:
        if name in BUILTIN_MACROS or name in ("event", "event_id", "tid", "click_id", "clickid", "amount"):
            raise ValueError(f"'{name}' is a built-in name (a macro or an inbound parameter); choose another")
        return name


class CampaignEventSettings(Model):
    model_config = ConfigDict(extra="forbid")

    custom_fields: list[CustomField] = Field(max_length=MAX_CUSTOM_FIELDS)

    @field_validator("custom_fields")
    @classmethod
    def _unique_names(cls, fields: list[CustomField]) -> list[CustomField]:
        _unique([f.name for f in fields])
        return fields


class CampaignEventSettingsView(CampaignEventSettings):
    campaign_id: str
    event: str


class EffectiveEvent(Model):
    name: str
    description: str
    conversion: bool
    affiliate_conversion: bool
    multi_trigger: bool
    lists: list[str] = Field(description="The ids of the campaign's lists that include it (empty: no list assigned).")
    custom_fields: list[CustomField]


class CampaignEvents(Model):
    campaign_id: str
    all_events: bool = Field(description="True when no list is assigned: the campaign accepts every event.")
    lists: list[str] = Field(description="The ids of the event lists assigned to the campaign.")
    items: list[EffectiveEvent]


class CampaignSummary(Model):
    campaign_id: str
    leads: int = Field(description="Leads registered with the campaign, all time.")
    converted_leads: int = Field(
        description="Of those, the leads with at least one accepted conversion event (each counted once)."
    )
    event_lists: int = Field(description="Event lists assigned to it (0: it accepts every event).")
    custom_fields: int = Field(description="Custom fields its event settings declare, over all its events.")


class CampaignPage(Model):
    items: list[CampaignSummary] = Field(description="By campaign id.")
    next_cursor: str | None
