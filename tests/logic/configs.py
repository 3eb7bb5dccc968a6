"""In-memory configuration and trigger store for the logic tests: no DynamoDB, no moto.

`Config` builds a real ConfigSnapshot (the store's reading of the configuration partition is pure)
from events, postbacks, lists, assignments, settings and affiliates; `Triggers` is the trigger
path's store as a dict: what it holds is what a test asserts on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lead_events.errors import EventAlreadyFired
from lead_events.models.leads import Lead
from lead_events.store import keys
from lead_events.store.snapshot import ConfigSnapshot

ORG = "org-a"
STAMP = "2026-01-01T00:00:00.000Z"


@dataclass
class Config:
    """One organization's configuration, put together by a test; `version` moves with every change."""

    version: int = 1
    items: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _put(self, sk: str, item: dict[str, Any]) -> Config:
        self.items[sk] = item
        self.version += 1
        return self

    def event(self, name: str, **flags: bool) -> Config:
        values = {"conversion": False, "affiliate_conversion": False, "multi_trigger": False} | flags
        return self._put(
            keys.event_sk(name),
            {"name": name, "description": "", "created_at": STAMP, "updated_at": STAMP, **values},
        )

    def postback(self, event: str, postback_id: str, url: str, **values: Any) -> Config:
        item = {"id": postback_id, "event": event, "url": url, "method": "GET", "enabled": True, **values}
        return self._put(keys.postback_sk(event, postback_id), item)

    def event_list(self, list_id: str, events: list[str]) -> Config:
        item = {"id": list_id, "name": list_id, "description": "", "events": events}
        return self._put(keys.list_sk(list_id), item | {"created_at": STAMP, "updated_at": STAMP})

    def assign(self, campaign_id: str, list_id: str) -> Config:
        item = {"campaign_id": campaign_id, "list_id": list_id, "assigned_at": STAMP}
        return self._put(keys.assignment_sk(campaign_id, list_id), item)

    def fields(self, campaign_id: str, event: str, *custom_fields: dict[str, Any]) -> Config:
        item = {"campaign_id": campaign_id, "event": event, "custom_fields": list(custom_fields)}
        return self._put(keys.campaign_event_sk(campaign_id, event), item)

    def affiliate(self, affiliate_id: str, postback_url: str | None, enabled: bool = True) -> Config:
        item = {"affiliate_id": affiliate_id, "name": affiliate_id, "postback_url": postback_url, "enabled": enabled}
        return self._put(keys.affiliate_sk(affiliate_id), item | {"created_at": STAMP, "updated_at": STAMP})

    def inbound_token(self, token: str) -> Config:
        return self._put(keys.INBOUND_TOKEN, {"token": token})

    def snapshot(self) -> ConfigSnapshot:
        return ConfigSnapshot(ORG, self.version, {sk: dict(item) for sk, item in self.items.items()})


class ConfigReads:
    """The trigger's configuration source: counts how often the partition is read."""

    def __init__(self, config: Config) -> None:
        self.config, self.reads = config, 0

    def get(self, org_id: str, current_version: int | None) -> ConfigSnapshot:
        self.reads += 1
        return self.config.snapshot()


@dataclass
class Triggers:
    """The trigger path's store: leads by id and transaction id, accepted entries, once-per-lead markers,
    and the leads counted as converted."""

    config: Config
    leads: dict[str, Lead] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    fired: set[tuple[str, str]] = field(default_factory=set)
    counted: list[tuple[str, bool, Decimal | None]] = field(default_factory=list)
    converted: list[tuple[str, str]] = field(default_factory=list)  # first conversions: (lead, its created_at)

    def add_lead(self, lead_id: str, campaign_id: str = "c1", **values: Any) -> Lead:
        lead = Lead(
            lead_id=lead_id, transaction_id=f"txn-{lead_id}", campaign_id=campaign_id, created_at=STAMP, **values
        )
        self.leads[lead_id] = lead
        return lead

    def lead_and_config_version(
        self, org_id: str, *, lead_id: str | None = None, transaction_id: str | None = None
    ) -> tuple[Lead | None, int | None]:
        found = self.leads.get(lead_id or "") or next(
            (lead for lead in self.leads.values() if lead.transaction_id == transaction_id), None
        )
        return found, self.config.version

    def accept_trigger(
        self,
        org_id: str,
        entry: dict[str, Any],
        *,
        once_per_lead: bool,
        conversion: bool,
        revenue: Decimal | None,
        first_conversion_of: Lead | None = None,
    ) -> None:
        marker = (entry["lead_id"], entry["event"])
        if once_per_lead and marker in self.fired:
            raise EventAlreadyFired(entry["event"], entry["lead_id"])
        if once_per_lead:
            self.fired.add(marker)
        self.entries.append(entry)
        self.counted.append((entry["event"], conversion, revenue))
        if first_conversion_of is not None:
            self.converted.append((first_conversion_of.lead_id, first_conversion_of.created_at))
            lead = self.leads[first_conversion_of.lead_id]
            self.leads[lead.lead_id] = lead.model_copy(update={"converted_at": entry["created_at"]})
