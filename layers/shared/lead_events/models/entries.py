"""Log entries as the stores hand them to the logic: an entry, its deliveries' states, their attempts.

Not the API's shapes (models/logs.py and models/listing.py make the JSON of those): these are what
the entries store reads and writes (store/entries.py). They are frozen, so a change of state is a
new value — logic/delivery_state.py makes it, the store writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class DeliveryState:
    """One delivery of an entry: the request rendered when the event was accepted, and where it stands."""

    kind: str  # event (the event's postback) or affiliate (the lead's affiliate)
    postback_id: str | None
    event: str | None
    method: str
    url: str
    headers: Mapping[str, str]
    body: str | None
    success_match: str | None
    signed: bool
    # Whether its postback was in a run of failures when the trigger rendered it (logic/dispatch.py).
    failing: bool
    status: str  # queued, retrying, delivered or failed
    attempts: int  # how many were made
    # The latest attempt's answer, and when the retry is due: set by every record of an attempt.
    last_status_code: int | None = None
    error: str | None = None
    error_detail: str | None = None
    next_attempt_at: str | None = None
    claim_until: float | None = None  # a dispatcher holds it until then (epoch seconds)


@dataclass(frozen=True)
class Entry:
    """One accepted trigger and its deliveries, at one version of the entry."""

    org_id: str
    log_id: str
    event: str
    lead_id: str
    transaction_id: str
    campaign_id: str
    source: str
    created_at: str
    status: str  # queued, delivered, retrying, failed or no_postbacks: what its deliveries' statuses make
    conversion: bool
    fields: Mapping[str, Any]
    deliveries: Mapping[str, DeliveryState]  # by the delivery's key within the entry
    version: int  # every write of its deliveries adds one
    affiliate_id: str | None = None
    revenue: Decimal | None = None
    note: str | None = None
    actor: str | None = None
    last_status_code: int | None = None
    outbox: tuple[str, ...] = ()  # the deliveries the write that made this version left to send


@dataclass(frozen=True)
class DeliveryBrief:
    """A delivery as a listing shows it: whose it is, where it stands, the latest status code it got."""

    key: str  # the delivery's key within its entry
    kind: str
    postback_id: str | None
    status: str
    status_code: int | None


@dataclass(frozen=True)
class EntrySummary:
    """An entry as a listing or a lead's timeline shows it (what the listing indexes project)."""

    log_id: str
    created_at: str
    event: str
    lead_id: str
    transaction_id: str
    campaign_id: str
    source: str
    status: str
    last_status_code: int | None
    revenue: Decimal | None
    # Its deliveries, by key; None for an entry written before the entries kept them for listings.
    deliveries: tuple[DeliveryBrief, ...] | None = None


@dataclass(frozen=True)
class DeliveryAttempt:
    """One request of a delivery and what came of it."""

    delivery_id: str  # the delivery's key within its entry
    number: int  # 1 for the first attempt; retries and redeliveries count on
    at: str
    status_code: int | None  # None: no answer came
    elapsed_ms: int
    response_body: str | None
    error: str | None  # a short sentence a person can act on (http/failures.py)
    expires_at: int  # when the table lets it go (epoch seconds)
    error_detail: str | None = None  # the technical text behind the error (none for attempts before it was kept)
