"""Accepting an event for a lead: one piece of logic behind the API, manual and inbound paths.

Warm cost: one BatchGetItem (the lead + the organization's config version) and one
TransactWriteItems (the log entry + the once-per-lead marker + report counters, and on a lead's
first conversion its converted mark). The entry names its deliveries in its outbox
(store/entries.py), so once the transaction commits they reach the queue through the table's
stream: nothing else is left for this request to do, and no crash after the commit can lose them.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from lead_events import clock
from lead_events.errors import EventNotFound, InvalidToken, LeadNotFound
from lead_events.logic.campaigns import check_event_allowed, validate_fields
from lead_events.logic.credentials import TOKEN_PREFIX
from lead_events.logic.deliveries import (
    AFFILIATE_DELIVERY,
    affiliate_postback,
    delivery_id,
    macro_values,
    render_delivery,
)
from lead_events.models.triggers import ApiTrigger, FieldValue, ManualTrigger, Source, TriggerAccepted
from lead_events.store.snapshot import ConfigSnapshot

if TYPE_CHECKING:
    from lead_events.models.leads import Lead


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

    @classmethod
    def of(
        cls, trigger: ApiTrigger | ManualTrigger, source: Source, actor: str | None, lead_id: str | None = None
    ) -> TriggerRequest:
        """The request an API body makes (a manual trigger names its lead in the path: `lead_id`)."""
        if isinstance(trigger, ManualTrigger):
            return cls(trigger.event, source, lead_id, None, trigger.fields, trigger.revenue, trigger.note, actor)
        return cls(
            trigger.event, source, trigger.lead_id, trigger.transaction_id, trigger.fields, trigger.revenue, None, actor
        )


class TriggerStorage(Protocol):
    """What the trigger needs of the store (store/triggers.py)."""

    def lead_and_config_version(
        self, org_id: str, *, lead_id: str | None = None, transaction_id: str | None = None
    ) -> tuple[Lead | None, int | None]: ...

    def accept_trigger(
        self,
        org_id: str,
        entry: dict[str, Any],
        *,
        once_per_lead: bool,
        conversion: bool,
        revenue: Decimal | None,
        first_conversion_of: Lead | None = None,
    ) -> None: ...


class ConfigSource(Protocol):
    """The organization's configuration at its current version (logic/config_cache.py)."""

    def get(self, org_id: str, current_version: int | None) -> ConfigSnapshot: ...


@dataclass
class TriggerService:
    store: TriggerStorage
    config: ConfigSource
    retention_days: int

    def trigger(self, org_id: str, request: TriggerRequest, inbound_token: str | None = None) -> TriggerAccepted:
        """Accept `request` for its lead or refuse it (nothing is written on refusal)."""
        lead, config_version = self.store.lead_and_config_version(
            org_id, lead_id=request.lead_id, transaction_id=request.transaction_id
        )
        snapshot = self.config.get(org_id, config_version)
        if inbound_token is not None:
            _check_inbound_token(snapshot, inbound_token)
        if lead is None:
            reference = (
                f"lead_id '{request.lead_id}'" if request.lead_id else f"transaction_id '{request.transaction_id}'"
            )
            raise LeadNotFound(reference)
        event = snapshot.event(request.event)
        if event is None:
            raise EventNotFound(request.event)
        check_event_allowed(snapshot, lead.campaign_id, request.event)
        fields = validate_fields(snapshot.custom_fields(lead.campaign_id, request.event), request.fields)

        accepted_at = clock.now()
        log_id = new_log_id(accepted_at)
        now = datetime.fromtimestamp(accepted_at, UTC)
        values = macro_values(lead, request.event, fields, request.revenue, log_id, now)
        deliveries = {
            pb.id: render_delivery(pb, values | {"delivery_id": delivery_id(log_id, pb.id)})
            for pb in snapshot.postbacks_for(request.event, lead.campaign_id)
            if pb.id is not None
        }
        affiliate = snapshot.affiliate(lead.affiliate_id)
        if event.affiliate_conversion and affiliate and affiliate.enabled and affiliate.postback_url:
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
            "created_at": clock.iso(accepted_at),
            "status": "queued" if deliveries else "no_postbacks",
            "conversion": event.conversion,
            "fields": fields,
            "revenue": request.revenue,
            "note": request.note,
            "actor": request.actor,
            "deliveries": deliveries,
            "expires_at": clock.expiry(accepted_at, self.retention_days),
        }
        self.store.accept_trigger(
            org_id,
            {k: v for k, v in entry.items() if v is not None},
            once_per_lead=not event.multi_trigger,
            conversion=event.conversion,
            revenue=request.revenue,
            # A lead counts as converted once, in the reports of the day it was registered.
            first_conversion_of=lead if event.conversion and lead.converted_at is None else None,
        )
        return TriggerAccepted(
            log_id=log_id,
            event=request.event,
            lead_id=lead.lead_id,
            transaction_id=lead.transaction_id,
            deliveries=len(deliveries),
        )


def new_log_id(accepted_at: float) -> str:
    """A log entry's id: the moment in milliseconds (hex, so ids sort by time), then randomness."""
    return f"{int(accepted_at * 1000):011x}{secrets.token_hex(5)}"


def _check_inbound_token(snapshot: ConfigSnapshot, token: str) -> None:
    stored = snapshot.inbound_token()
    if not stored or not hmac.compare_digest(stored.encode(), token.encode()):
        raise InvalidToken()


def token_org(token: str) -> str:
    """The organization an inbound token names (`pbt_<org_id>_<secret>`), unverified."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or len(token) > 256:
        raise InvalidToken()
    return parts[1]
