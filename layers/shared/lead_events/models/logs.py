"""Event log entries as the API shows them."""

from decimal import Decimal
from typing import Any

from pydantic import Field

from lead_events.models.common import Model

ERROR = (
    "What went wrong, in a short sentence (null: it was delivered): `could not resolve host network.example`, "
    "`connection refused by 203.0.113.9:443`, `no answer within 15 s`, `TLS certificate not valid for host "
    "network.example`, `redirect to https://network.example/new not followed`, `the receiver answered 500`."
)
ERROR_DETAIL = "The technical text behind `error` (what the HTTP libraries said), for digging further."


class Attempt(Model):
    number: int
    at: str
    status_code: int | None = Field(description="null when no answer came (connection error, time-out, refused).")
    elapsed_ms: int
    response_body: str | None = Field(description="The first 2 KiB of the answer.")
    error: str | None = Field(description=ERROR)
    error_detail: str | None = Field(None, description=ERROR_DETAIL)


class Delivery(Model):
    id: str = Field(
        description="The delivery's id: every request of it carries it as the `webhook-id` header (and the "
        "`{delivery_id}` macro), the same on every retry and redelivery."
    )
    kind: str = Field(description="`event` (the event's postback) or `affiliate` (the lead's affiliate).")
    postback_id: str | None
    method: str
    url: str
    headers: dict[str, str]
    body: str | None
    status: str = Field(description="queued, retrying, delivered or failed.")
    attempts: list[Attempt]
    last_status_code: int | None = None
    next_attempt_at: str | None = None
    error: str | None = Field(None, description="The latest attempt's error. " + ERROR)
    error_detail: str | None = Field(None, description=ERROR_DETAIL)


class LogEntry(Model):
    log_id: str
    event: str
    lead_id: str
    transaction_id: str
    campaign_id: str
    affiliate_id: str | None = None
    source: str
    created_at: str
    status: str = Field(description="queued, delivered, retrying, failed or no_postbacks.")
    conversion: bool
    fields: dict[str, Any]
    revenue: Decimal | None = None
    note: str | None = None
    actor: str | None = Field(None, description="The API key id that triggered it (manual and API triggers).")
    deliveries: list[Delivery]


class Redelivery(Model):
    log_id: str
    requeued: list[str] = Field(description="The ids of the deliveries queued again.")
