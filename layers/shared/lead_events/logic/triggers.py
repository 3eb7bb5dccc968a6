"""Accepting an event for a lead: one piece of logic behind the API, manual and inbound paths.

Warm cost: one BatchGetItem (the lead + the organization's config version) and one
TransactWriteItems (the log entry + the once-per-lead marker + report counters). The entry names
its deliveries in its outbox (store/logs.py), so once the transaction commits they reach the
queue through the table's stream: nothing else is left for this request to do, and no crash after
the commit can lose them.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from lead_events import clock
from lead_events.errors import ConcurrentChange, EventAlreadyFired, EventNotFound, InvalidToken, LeadNotFound
from lead_events.logic.campaigns import check_event_allowed, custom_fields, validate_fields
from lead_events.logic.config_cache import ConfigCache
from lead_events.logic.credentials import TOKEN_PREFIX
from lead_events.logic.deliveries import (
    AFFILIATE_DELIVERY,
    affiliate_postback,
    delivery_id,
    macro_values,
    render_delivery,
)
from lead_events.models.triggers import FieldValue, Source, TriggerAccepted
from lead_events.store import keys
from lead_events.store.config import ConfigSnapshot, ConfigTable
from lead_events.store.dynamo import Cancelled, transact
from lead_events.store.leads import LeadStore
from lead_events.store.logs import LogStore
from lead_events.store.reports import ReportStore


@dataclass
class TriggerRequest:
    event: str
    source: Source
    lead_id: str | None = None
    transaction_id: str | None = None
    fields: dict[str, FieldValue] = field(default_factory=dict)
    revenue: Decimal | None = None
    note: str | None = None
    actor: str | None = None


@dataclass
class TriggerService:
    leads: LeadStore
    logs: LogStore
    config: ConfigTable
    cache: ConfigCache
    reports: ReportStore
    retention_days: int

    def trigger(self, org_id: str, request: TriggerRequest, inbound_token: str | None = None) -> TriggerAccepted:
        """Accept `request` for its lead or refuse it (nothing is written on refusal)."""
        lead, meta = self.leads.get_with_meta(
            org_id, self.config.table, lead_id=request.lead_id, transaction_id=request.transaction_id
        )
        snapshot = self.cache.get(org_id, int(meta.get("config_version", 0)) if meta else None)
        if inbound_token is not None:
            _check_inbound_token(snapshot, inbound_token)
        if lead is None:
            reference = (
                f"lead_id '{request.lead_id}'" if request.lead_id else f"transaction_id '{request.transaction_id}'"
            )
            raise LeadNotFound(reference)
        event = snapshot.items.get(keys.event_sk(request.event))
        if event is None:
            raise EventNotFound(request.event)
        check_event_allowed(snapshot, lead.campaign_id, request.event)
        fields = validate_fields(custom_fields(snapshot, lead.campaign_id, request.event), request.fields)

        now = datetime.fromtimestamp(clock.now(), UTC)
        created_at = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        log_id = f"{int(now.timestamp() * 1000):011x}{secrets.token_hex(5)}"
        values = macro_values(lead, request.event, fields, request.revenue, log_id, now)
        deliveries = {
            pb["id"]: render_delivery(pb, values | {"delivery_id": delivery_id(log_id, pb["id"])})
            for pb in snapshot.of_kind(keys.postback_sk(request.event, ""))
            if pb.get("enabled", True) and pb.get("campaign_id") in (None, lead.campaign_id)
        }
        affiliate = snapshot.items.get(keys.affiliate_sk(lead.affiliate_id or ""))
        if (
            event.get("affiliate_conversion")
            and affiliate
            and affiliate.get("enabled")
            and affiliate.get("postback_url")
        ):
            affiliate_values = values | {"delivery_id": delivery_id(log_id, AFFILIATE_DELIVERY)}
            deliveries[AFFILIATE_DELIVERY] = render_delivery(
                affiliate_postback(affiliate), affiliate_values, kind="affiliate"
            )
        entry = {
            "log_id": log_id,
            "org_id": org_id,
            "event": request.event,
            "lead_id": lead.lead_id,
            "transaction_id": lead.transaction_id,
            "campaign_id": lead.campaign_id,
            "affiliate_id": lead.affiliate_id,
            "source": request.source.value,
            "created_at": created_at,
            "status": "queued" if deliveries else "no_postbacks",
            "conversion": bool(event.get("conversion")),
            "fields": fields,
            "revenue": request.revenue,
            "note": request.note,
            "actor": request.actor,
            "deliveries": deliveries,
            "expires_at": int(now.timestamp()) + self.retention_days * 86400,
        }
        writes: list[Any] = [self.logs.entry_put(org_id, {k: v for k, v in entry.items() if v is not None})]
        if not event.get("multi_trigger"):
            writes.append(self.leads.fired_marker(org_id, lead.lead_id, request.event, log_id))

        def with_counters() -> list[Any]:  # each attempt draws its counters' copy anew (store/reports.py)
            return writes + self.reports.trigger_counters(
                org_id, created_at, request.event, lead.campaign_id, bool(event.get("conversion")), request.revenue
            )

        try:
            transact(self.leads.db, with_counters)
        except Cancelled as exc:
            if exc.first == 1:  # the once-per-lead marker: this event has fired for this lead
                raise EventAlreadyFired(request.event, lead.lead_id) from exc
            raise
        except ConcurrentChange:
            # Met other transactions every time: when they were triggers of this event for this lead,
            # one of them has fired it, and that is the answer.
            if not event.get("multi_trigger") and self.leads.has_fired(org_id, lead.lead_id, request.event):
                raise EventAlreadyFired(request.event, lead.lead_id) from None
            raise
        return TriggerAccepted(
            log_id=log_id,
            event=request.event,
            lead_id=lead.lead_id,
            transaction_id=lead.transaction_id,
            deliveries=len(deliveries),
        )


def _check_inbound_token(snapshot: ConfigSnapshot, token: str) -> None:
    stored = str(snapshot.items.get(keys.INBOUND_TOKEN, {}).get("token", ""))
    if not stored or not hmac.compare_digest(stored.encode(), token.encode()):
        raise InvalidToken()


def token_org(token: str) -> str:
    """The organization an inbound token names (`pbt_<org_id>_<secret>`), unverified."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or len(token) > 256:
        raise InvalidToken()
    return parts[1]
