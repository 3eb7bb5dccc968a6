"""Registering leads and reading a lead with its event timeline."""

from __future__ import annotations

import secrets

from lead_events.clock import utc_now
from lead_events.models.leads import Lead, LeadCreate, LeadWithTimeline, TimelineEntry
from lead_events.store.entries import EntryStore
from lead_events.store.leads import LeadStore


def register_lead(store: LeadStore, org_id: str, data: LeadCreate) -> Lead:
    """Store a new lead; ids are generated when absent and both must be unused in the organization."""
    values = data.model_dump()
    values["lead_id"] = data.lead_id or f"lead_{secrets.token_hex(8)}"
    values["transaction_id"] = data.transaction_id or f"txn_{secrets.token_hex(10)}"
    lead = Lead(**values, created_at=utc_now())
    store.create(org_id, lead)
    return lead


def lead_with_timeline(
    leads: LeadStore, logs: EntryStore, org_id: str, lead_id: str | None = None, transaction_id: str | None = None
) -> LeadWithTimeline:
    """The lead, found by its id or its transaction id, with its accepted events oldest first."""
    lead = leads.get(org_id, lead_id=lead_id, transaction_id=transaction_id)
    entries = logs.lead_timeline(org_id, lead.lead_id)
    timeline = [
        TimelineEntry(
            log_id=e.log_id, event=e.event, source=e.source, status=e.status, revenue=e.revenue, created_at=e.created_at
        )
        for e in entries
    ]
    return LeadWithTimeline(**lead.model_dump(), events=timeline)
