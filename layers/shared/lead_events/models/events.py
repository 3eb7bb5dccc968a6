"""Event definitions: the org-wide actions that can happen to a lead after it is submitted."""

from typing import Any

from pydantic import Field, model_validator

from lead_events.models.common import Description, Identifier, Model, StrictModel


class EventFlags(StrictModel):
    conversion: bool = Field(False, description="Counts toward conversions in reports.")
    affiliate_conversion: bool = Field(False, description="Also fires the lead's affiliate postback.")
    multi_trigger: bool = Field(False, description="May fire more than once for the same lead.")


class EventCreate(EventFlags):
    name: Identifier = Field(description="Unique identifier used in API calls and postback URLs, e.g. 'sale'.")
    description: Description = ""


class EventUpdate(StrictModel):
    """A partial update: only the fields present are changed. The name cannot change."""

    description: Description | None = None
    conversion: bool | None = None
    affiliate_conversion: bool | None = None
    multi_trigger: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(k for k, v in data.items() if v is None)
            if nulls:
                raise ValueError(f"{', '.join(nulls)} may not be null; leave a field out to keep its value")
        return data

    def changes(self) -> dict[str, object]:
        """The fields the client set."""
        return self.model_dump(exclude_unset=True)


class Event(Model):
    name: str
    description: str
    conversion: bool
    affiliate_conversion: bool
    multi_trigger: bool
    created_at: str
    updated_at: str


class EventPage(Model):
    items: list[Event]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")
