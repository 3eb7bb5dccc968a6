"""Trigger requests from the three directions: the API, an operator, the inbound postback URL."""

from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, ConfigDict, Field, WithJsonSchema, model_validator

from lead_events.models.common import Identifier, Model, storable_json
from lead_events.models.leads import ExternalId, Money

MAX_FIELDS = 50
MAX_FIELD_VALUE = 1000

FieldValue = str | int | float | bool | None


def _check_fields(fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
    if len(fields) > MAX_FIELDS:
        raise ValueError(f"at most {MAX_FIELDS} fields may accompany an event")
    for name, value in fields.items():
        if not name or len(name) > 64:
            raise ValueError(f"field names are 1 to 64 characters ('{name[:70]}')")
        if isinstance(value, str) and len(value) > MAX_FIELD_VALUE:
            raise ValueError(f"field '{name}' is longer than {MAX_FIELD_VALUE} characters")
        storable_json(value)
    return fields


# What _check_fields and storable_json accept, stated for the document (the validator words the errors).
_FIELD_VALUE_SCHEMA = {
    "anyOf": [
        {"type": "string", "maxLength": MAX_FIELD_VALUE},
        {"type": "number", "minimum": 1e-130, "exclusiveMaximum": 1e125},
        {"type": "number", "maximum": -1e-130, "exclusiveMinimum": -1e125},
        {"const": 0},
        {"type": "boolean"},
        {"type": "null"},
    ]
}
Fields = Annotated[
    dict[str, FieldValue],
    AfterValidator(_check_fields),
    WithJsonSchema(
        {
            "type": "object",
            "maxProperties": MAX_FIELDS,
            "propertyNames": {"minLength": 1, "maxLength": 64},
            "additionalProperties": _FIELD_VALUE_SCHEMA,
        }
    ),
    Field(
        description="Custom fields: name (1 to 64 characters) → text of up to 1,000 characters, number, "
        "boolean or null; at most 50."
    ),
]


class Source(StrEnum):
    API = "api"
    MANUAL = "manual"
    INBOUND_POSTBACK = "inbound_postback"


class ManualTrigger(Model):
    """`POST /leads/{lead_id}/events`: an operator records an offline conversion."""

    model_config = ConfigDict(extra="forbid")

    event: Identifier
    fields: Fields = Field(default_factory=dict)
    revenue: Money | None = None
    note: Annotated[str | None, Field(max_length=1000)] = None


class ApiTrigger(Model):
    """`POST /triggers`: a system reports an event by transaction id or lead id (exactly one of them)."""

    model_config = ConfigDict(
        extra="forbid",
        # _one_reference, for the document: one of the two is a string, the other absent or null.
        json_schema_extra={
            "oneOf": [
                {"required": ["transaction_id"], "properties": {"transaction_id": {"type": "string"}}},
                {"required": ["lead_id"], "properties": {"lead_id": {"type": "string"}}},
            ]
        },
    )

    event: Identifier
    transaction_id: ExternalId | None = None
    lead_id: ExternalId | None = None
    fields: Fields = Field(default_factory=dict)
    revenue: Money | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> Self:
        if (self.transaction_id is None) == (self.lead_id is None):
            raise ValueError("give exactly one of transaction_id or lead_id")
        return self


class TriggerAccepted(Model):
    status: str = "accepted"
    log_id: str
    event: str
    lead_id: str
    transaction_id: str
    deliveries: int = Field(description="How many postbacks were queued.")


def drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
