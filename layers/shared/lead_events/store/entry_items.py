"""The logs table's items as the entry types (models/entries.py), and the deliveries map back as an attribute.

A missing attribute reads as what the code always took it to mean (an entry written before that
attribute existed, or a stream record's image made by hand in a test): no attempts, not signed,
failing (so a first success may end a run), an empty request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lead_events.models.entries import DeliveryAttempt, DeliveryBrief, DeliveryState, Entry, EntrySummary
from lead_events.store.dynamo import from_item, plain_json

OUTBOX = "outbox"  # the template's stream filter matches this attribute: keep them together
# What a listing shows of the deliveries, kept beside them by every write of their statuses: the
# listing indexes project this attribute (template.yaml), the deliveries map is too big to project.
LISTED = "listed_deliveries"


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def delivery_state(value: Mapping[str, Any]) -> DeliveryState:
    claim_until = value.get("claim_until")
    return DeliveryState(
        kind=str(value.get("kind", "")),
        postback_id=value.get("postback_id"),
        event=value.get("event"),
        method=str(value.get("method", "GET")),
        url=str(value.get("url", "")),
        headers=dict(value.get("headers") or {}),
        body=value.get("body"),
        success_match=value.get("success_match"),
        signed=bool(value.get("signed")),
        failing=bool(value.get("failing", True)),
        status=str(value["status"]),
        attempts=int(value.get("attempts", 0)),
        last_status_code=_int(value.get("last_status_code")),
        error=value.get("error"),
        error_detail=value.get("error_detail"),
        next_attempt_at=value.get("next_attempt_at"),
        claim_until=None if claim_until is None else float(claim_until),
    )


def delivery_value(state: DeliveryState) -> dict[str, Any]:
    """A delivery as it is stored in the entry's deliveries map (the shape the trigger path renders).

    The outcome fields are there once an attempt was recorded (every record sets them), the claim
    while a dispatcher holds the delivery.
    """
    value: dict[str, Any] = {
        "kind": state.kind,
        "postback_id": state.postback_id,
        "event": state.event,
        "method": state.method,
        "url": state.url,
        "headers": dict(state.headers),
        "body": state.body,
        "success_match": state.success_match,
        "signed": state.signed,
        "failing": state.failing,
        "status": state.status,
        "attempts": state.attempts,
    }
    if state.attempts:
        value |= {
            "last_status_code": state.last_status_code,
            "error": state.error,
            "error_detail": state.error_detail,
            "next_attempt_at": state.next_attempt_at,
        }
    if state.claim_until is not None:
        value["claim_until"] = state.claim_until
    return value


def listed_deliveries(deliveries: Mapping[str, DeliveryState]) -> list[dict[str, Any]]:
    """The LISTED attribute of an entry with these deliveries: each one's key, kind, postback, status and code."""
    return [
        {
            "key": key,
            "kind": state.kind,
            "postback_id": state.postback_id,
            "status": state.status,
            "code": state.last_status_code,
        }
        for key, state in sorted(deliveries.items())
    ]


def _briefs(value: Any) -> tuple[DeliveryBrief, ...] | None:
    if value is None:
        return None
    return tuple(
        DeliveryBrief(
            key=str(d["key"]),
            kind=str(d.get("kind", "")),
            postback_id=d.get("postback_id"),
            status=str(d["status"]),
            status_code=_int(d.get("code")),
        )
        for d in value
    )


def entry(item: Mapping[str, Any]) -> Entry:
    """An entry item (deserialized) as an Entry."""
    return Entry(
        org_id=str(item["org_id"]),
        log_id=str(item["log_id"]),
        event=str(item.get("event", "")),
        lead_id=str(item.get("lead_id", "")),
        transaction_id=str(item.get("transaction_id", "")),
        campaign_id=str(item.get("campaign_id", "")),
        source=str(item.get("source", "")),
        created_at=str(item.get("created_at", "")),
        status=str(item.get("status", "")),
        conversion=bool(item.get("conversion")),
        fields=plain_json(item.get("fields") or {}),
        deliveries={str(key): delivery_state(value) for key, value in (item.get("deliveries") or {}).items()},
        version=int(item.get("version", 0)),
        affiliate_id=item.get("affiliate_id"),
        revenue=item.get("revenue"),
        note=item.get("note"),
        actor=item.get("actor"),
        last_status_code=_int(item.get("last_status_code")),
        outbox=tuple(str(key) for key in json.loads(item[OUTBOX])) if OUTBOX in item else (),
    )


def outbox_entry(new_image: Mapping[str, Any]) -> Entry:
    """The entry a stream record's new image (DynamoDB's wire format) shows, with the deliveries its write left to send.

    Raises KeyError, TypeError or ValueError for an image that is not an entry with an outbox.
    """
    item = from_item(new_image)
    if OUTBOX not in item:
        raise KeyError(OUTBOX)
    return entry(item)


def summary(item: Mapping[str, Any]) -> EntrySummary:
    """An entry item, or its projection in a listing index, as an EntrySummary."""
    return EntrySummary(
        log_id=str(item["log_id"]),
        created_at=str(item["created_at"]),
        event=str(item["event"]),
        lead_id=str(item["lead_id"]),
        transaction_id=str(item["transaction_id"]),
        campaign_id=str(item["campaign_id"]),
        source=str(item["source"]),
        status=str(item["status"]),
        last_status_code=_int(item.get("last_status_code")),
        revenue=item.get("revenue"),
        deliveries=_briefs(item.get(LISTED)),
    )


def attempt(item: Mapping[str, Any]) -> DeliveryAttempt:
    """An attempt item (deserialized) as a DeliveryAttempt."""
    return DeliveryAttempt(
        delivery_id=str(item["delivery_id"]),
        number=int(item["number"]),
        at=str(item["at"]),
        status_code=_int(item.get("status_code")),
        elapsed_ms=int(item["elapsed_ms"]),
        response_body=item.get("response_body"),
        error=item.get("error"),
        expires_at=int(item.get("expires_at", 0)),
        error_detail=item.get("error_detail"),
    )
