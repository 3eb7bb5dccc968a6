"""What a postback sends: the macro values of a trigger and the request rendered from them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lead_events.logic.macros import render_body, render_headers, render_url
from lead_events.models.targets import PostbackTarget

if TYPE_CHECKING:
    from lead_events.models.affiliates import Affiliate
    from lead_events.models.leads import Lead


AFFILIATE_DELIVERY = "affiliate"


def delivery_id(log_id: str, key: str) -> str:
    """A delivery's id: its `webhook-id` header and `{delivery_id}` macro, the same on every attempt.

    `key` names the delivery within its entry (the postback's id, or AFFILIATE_DELIVERY).
    """
    return f"{log_id}_{key}"


def affiliate_postback(affiliate: Affiliate) -> PostbackTarget:
    """The affiliate's postback in the shape of an event postback, for rendering."""
    return PostbackTarget(
        url=str(affiliate.postback_url),
        method=affiliate.method.value,
        body=affiliate.body,
        body_format=affiliate.body_format.value,
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def macro_values(
    lead: Lead, event: str, fields: dict[str, Any], revenue: Decimal | None, log_id: str, now: datetime
) -> dict[str, str]:
    """Every macro's value for this trigger; built-in macros win over custom fields of the same name."""
    builtin = {
        "transaction_id": lead.transaction_id,
        "lead_id": lead.lead_id,
        "event_name": event,
        "campaign_id": lead.campaign_id,
        "affiliate_id": lead.affiliate_id,
        "sub1": lead.sub1,
        "sub2": lead.sub2,
        "sub3": lead.sub3,
        "sub4": lead.sub4,
        "sub5": lead.sub5,
        "revenue": revenue,
        "payout": lead.payout,
        "log_id": log_id,
        "timestamp": int(now.timestamp()),
        "iso_timestamp": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    return {name: _text(value) for name, value in fields.items()} | {k: _text(v) for k, v in builtin.items()}


def render_delivery(postback: PostbackTarget, values: dict[str, str], kind: str = "event") -> dict[str, Any]:
    """The request a postback makes for these macro values, and the delivery's initial state."""
    headers = render_headers(postback.headers, values)
    body = None
    if postback.method == "POST" and postback.body is not None:
        body, content_type = render_body(postback.body, postback.body_format, values)
        headers.setdefault("Content-Type", content_type)
    return {
        "kind": kind,
        "postback_id": postback.id,
        "event": postback.event,
        "method": postback.method,
        "url": render_url(postback.url, values),
        "headers": headers,
        "body": body,
        "success_match": postback.success_match,
        "signed": bool(postback.signing_secret),
        # Whether the postback was in a run of failures when this was rendered: only then does the
        # first attempt's success have a run to end (logic/dispatch.py), so a success does not write
        # the postback's item every time.
        "failing": postback.consecutive_failures > 0,
        "status": "queued",
        "attempts": 0,
    }
