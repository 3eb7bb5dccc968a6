"""Outbound postbacks: requests that fire when an event is accepted."""

from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, StrictBool, field_validator, model_validator
from pydantic.json_schema import JsonDict

from lead_events.models.common import Model, storable_json
from lead_events.models.leads import ExternalId
from lead_events.models.macros import BUILTIN_MACROS
from lead_events.models.targets import PostbackTarget


class Method(StrEnum):
    GET = "GET"
    POST = "POST"


class BodyFormat(StrEnum):
    JSON = "json"
    FORM = "form"


MAX_HEADERS = 20
FORBIDDEN_HEADERS = {
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
}

# What the checks after pydantic accept (logic/postbacks.py, logic/signing.py, the validators below),
# stated for the OpenAPI document as patterns only: the checks still run, and word the errors.
_MACRO = "\\{(?:" + "|".join(sorted(BUILTIN_MACROS)) + ")\\}"
URL_PATTERN = f"^https?://[A-Za-z0-9.-]+(?::[0-9]{{1,4}})?(?:[/?#](?:[^\\s{{}}]|{_MACRO})*)?$"
_B64 = "[A-Za-z0-9+/]"  # a Standard Webhooks secret is the base64 of 24 to 64 bytes
SECRET_PATTERN = (
    f"^(?:generate"
    f"|whsec_(?:{_B64}{{4}}){{8,20}}(?:{_B64}{{2}}==|{_B64}{{3}}=)?"
    f"|whsec_(?:{_B64}{{4}}){{21}}(?:{_B64}{{2}}==)?)$"
)
_HEADERS_SCHEMA: JsonDict = {
    "type": "object",
    "maxProperties": MAX_HEADERS,
    "propertyNames": {
        "pattern": "^[A-Za-z0-9_-]{1,100}$",
        "not": {"enum": [name for name in sorted(FORBIDDEN_HEADERS)]},
    },
    "additionalProperties": {"type": "string", "maxLength": 1000, "pattern": "^[^\\x00-\\x1f\\x7f]*$"},
}
# A body and signing are for POST postbacks: with GET (the default) both are absent or null.
_POST_ONLY: JsonDict = {
    "anyOf": [
        {"required": ["method"], "properties": {"method": {"const": "POST"}}},
        {"properties": {"body": {"type": "null"}, "signing_secret": {"type": "null"}}},
    ]
}

HeaderValue = Annotated[str, Field(max_length=1000)]


class PostbackFields(Model):
    # Lax, so enum fields accept their JSON strings; unknown fields are still refused.
    model_config = ConfigDict(extra="forbid")

    url: Annotated[
        str,
        Field(
            min_length=8,
            max_length=2048,
            description="http(s) URL of a public address; may use {macros}: the built-in ones, and the custom "
            "fields campaigns declare for the event.",
            json_schema_extra={"pattern": URL_PATTERN},
        ),
    ]
    method: Method = Method.GET
    body: dict[str, Any] | None = Field(
        None, description="POST body template: a JSON object whose string values may use {macros}."
    )
    body_format: BodyFormat = Field(BodyFormat.JSON, description="Send the body as JSON or as form fields.")
    headers: dict[str, HeaderValue] = Field(
        default_factory=dict,
        description="Extra headers (at most 20; not ones lead-events sets itself); values may use {macros}.",
        json_schema_extra=_HEADERS_SCHEMA,
    )
    enabled: StrictBool = True
    campaign_id: ExternalId | None = Field(None, description="Fire only for leads of this campaign.")
    success_match: Annotated[str | None, Field(max_length=200)] = Field(
        None, description="Text the response body must contain for the delivery to count as a success."
    )

    @field_validator("body")
    @classmethod
    def _check_body(cls, body: dict[str, Any] | None) -> dict[str, Any] | None:
        storable_json(body)
        return body

    @field_validator("headers")
    @classmethod
    def _check_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        if len(headers) > MAX_HEADERS:
            raise ValueError(f"at most {MAX_HEADERS} headers")
        for name, value in headers.items():
            if not name or not all(c.isalnum() or c in "-_" for c in name) or len(name) > 100:
                raise ValueError(f"'{name[:100]}' is not a valid header name (letters, digits, - and _)")
            if name.lower() in FORBIDDEN_HEADERS:
                raise ValueError(f"the '{name}' header is set by lead-events itself")
            if any(ord(c) < 32 or ord(c) == 127 for c in value):
                raise ValueError(f"the value of '{name}' contains control characters")
        return headers


class PostbackCreate(PostbackFields):
    model_config = ConfigDict(json_schema_extra=_POST_ONLY)

    signing_secret: Annotated[str | None, Field(max_length=200, json_schema_extra={"pattern": SECRET_PATTERN})] = Field(
        None,
        description="Standard Webhooks secret (`whsec_<base64>`), or `generate` for a new one (shown once). "
        "POST postbacks then carry webhook-id, webhook-timestamp and webhook-signature headers.",
    )

    @model_validator(mode="after")
    def _body_needs_post(self) -> Self:
        if self.body is not None and self.method is Method.GET:
            raise ValueError("a body is sent only with method POST")
        if self.signing_secret is not None and self.method is Method.GET:
            raise ValueError("signing applies to POST postbacks")
        return self


class PostbackUpdate(Model):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str | None, Field(min_length=8, max_length=2048)] = None
    method: Method | None = None
    body: dict[str, Any] | None = None
    body_format: BodyFormat | None = None
    headers: dict[str, HeaderValue] | None = None
    enabled: StrictBool | None = None
    campaign_id: ExternalId | None = None
    success_match: Annotated[str | None, Field(max_length=200)] = None
    signing_secret: Annotated[str | None, Field(max_length=200)] = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class Postback(Model):
    id: str
    event: str
    url: str
    method: Method
    body: dict[str, Any] | None
    body_format: BodyFormat
    headers: dict[str, str]
    enabled: bool
    campaign_id: str | None
    success_match: str | None
    signed: bool = Field(description="Whether requests carry Standard Webhooks signature headers.")
    consecutive_failures: int = Field(0, description="Deliveries in a row that failed for good.")
    disabled_reason: str | None = Field(None, description="Why it was disabled automatically; PATCH enabled=true.")
    disabled_at: str | None = None

    @classmethod
    def of(cls, target: PostbackTarget) -> Self:
        """The API's view of a stored postback: whether it signs, never its secret."""
        values = vars(target)
        return cls(**{f: values[f] for f in cls.model_fields if f != "signed"}, signed=bool(target.signing_secret))

    created_at: str
    updated_at: str


class PostbackCreated(Postback):
    signing_secret: str | None = Field(None, description="Shown only here, when it was generated.")


class PostbackPage(Model):
    items: list[Postback]
    next_cursor: str | None


class Macro(Model):
    name: str
    description: str


class MacroList(Model):
    items: list[Macro]
