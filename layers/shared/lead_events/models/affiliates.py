"""Affiliates: traffic sources with a postback of their own for affiliate conversions."""

from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, StrictBool, field_validator, model_validator

from lead_events.models.common import Model, storable_json
from lead_events.models.postbacks import BodyFormat, Method


class AffiliatePut(Model):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    postback_url: Annotated[str | None, Field(min_length=8, max_length=2048)] = Field(
        None, description="Fired for affiliate-conversion events of this affiliate's leads; may use {macros}."
    )
    method: Method = Method.GET
    body: dict[str, Any] | None = Field(None, description="POST body template (JSON object; values may use {macros}).")
    body_format: BodyFormat = BodyFormat.JSON
    enabled: StrictBool = True

    @field_validator("body")
    @classmethod
    def _check_body(cls, body: dict[str, Any] | None) -> dict[str, Any] | None:
        storable_json(body)
        return body

    @model_validator(mode="after")
    def _body_needs_post(self) -> Self:
        if self.body is not None and self.method is Method.GET:
            raise ValueError("a body is sent only with method POST")
        return self


class Affiliate(AffiliatePut):
    affiliate_id: str
    created_at: str
    updated_at: str


class AffiliatePage(Model):
    items: list[Affiliate]
    next_cursor: str | None
