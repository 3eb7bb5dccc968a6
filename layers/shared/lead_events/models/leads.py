"""Leads: what the intake system registers so later events can be attributed to them."""

import json
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema

from lead_events.models.common import Model, StrictModel, storable_json

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
MAX_DATA_BYTES = 100_000  # well under DynamoDB's 400 KB item limit, with room for the rest

ExternalId = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        description="1 to 128 characters: letters, digits and . _ : @ - (starting with a letter or digit).",
    ),
]
# The document states what the validation accepts: a number, or a decimal string of at most 14 + 4 digits.
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=4, allow_inf_nan=False),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "exclusiveMaximum": 1e14, "multipleOf": 0.0001},
                {"type": "string", "pattern": r"^[0-9]{1,14}(\.[0-9]{1,4})?$"},
            ],
            "description": 'At least 0, with at most 4 decimal places, e.g. 12.50 or "12.50".',
        }
    ),
]
SubId = Annotated[str, Field(max_length=256)]


def _small_json(value: dict[str, Any]) -> dict[str, Any]:
    storable_json(value)
    size = len(json.dumps(value, default=str).encode())
    if size > MAX_DATA_BYTES:
        raise ValueError(f"is {size} bytes as JSON; at most {MAX_DATA_BYTES} bytes are kept")
    return value


class LeadCreate(StrictModel):
    lead_id: ExternalId | None = Field(None, description="Generated when absent.")
    transaction_id: ExternalId | None = Field(None, description="Generated when absent.")
    campaign_id: ExternalId
    affiliate_id: ExternalId | None = None
    sub1: SubId | None = None
    sub2: SubId | None = None
    sub3: SubId | None = None
    sub4: SubId | None = None
    sub5: SubId | None = None
    payout: Annotated[Money | None, Field(description="What the lead was bought or sold for.")] = None
    data: Annotated[dict[str, Any], AfterValidator(_small_json)] = Field(
        default_factory=dict, description="Free-form lead data, up to 100 KB as JSON."
    )

    model_config = StrictModel.model_config | {"strict": False}  # payout may come as "12.50" or 12.5


class Lead(Model):
    lead_id: str
    transaction_id: str
    campaign_id: str
    affiliate_id: str | None = None
    sub1: str | None = None
    sub2: str | None = None
    sub3: str | None = None
    sub4: str | None = None
    sub5: str | None = None
    payout: Decimal | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    created_at: str
    converted_at: str | None = Field(
        None,
        description="When the lead's first conversion event was accepted (null: none yet, or only before "
        "first conversions were recorded).",
    )


class TimelineEntry(Model):
    log_id: str
    event: str
    source: str
    status: str
    revenue: Decimal | None
    created_at: str


class LeadWithTimeline(Lead):
    events: list[TimelineEntry] = Field(description="The lead's accepted events, oldest first.")
