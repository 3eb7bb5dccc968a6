"""Building blocks shared by the API models."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from lead_events.names import NAME_PATTERN, NAME_RULE


def _check_identifier(value: str) -> str:
    if not NAME_PATTERN.fullmatch(value):
        raise ValueError(f"must be {NAME_RULE} (pattern ^[a-z][a-z0-9_]{{0,63}}$), e.g. 'sale' or 'qualified_lead'")
    return value


# An identifier such as an event name. The pattern is also declared for the OpenAPI document;
# the validator runs first so that the error states the rule in words.
Identifier = Annotated[
    str,
    Field(max_length=64, json_schema_extra={"pattern": NAME_PATTERN.pattern}),
    AfterValidator(_check_identifier),
]

Description = Annotated[str, Field(max_length=1000, description="Free text for the team, up to 1,000 characters.")]


class Model(BaseModel):
    """Base of every model: its validator is built on first use, not at import (cold start)."""

    model_config = ConfigDict(defer_build=True)


class StrictModel(Model):
    """Input model: unknown fields and type coercions are refused, so a typo is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid", strict=True)


MAX_JSON_DEPTH = 16  # DynamoDB nests at most 32 levels; leave room for the item around it


def storable_json(value: object, depth: int = 0) -> object:
    """`value` if DynamoDB can store it as it is: finite numbers of at most 38 digits, named keys, bounded nesting."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"is nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("contains a number that is not finite")
        if value and not 1e-130 <= abs(value) < 1e125:  # DynamoDB's number range
            raise ValueError("contains a number too small or too large to store (1e-130 to 1e125)")
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) > 38:
        raise ValueError("contains a number with more than 38 digits")
    if isinstance(value, dict):
        for key, item in value.items():
            if not key:
                raise ValueError("contains an empty key")
            storable_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            storable_json(item, depth + 1)
    return value
