"""Campaigns: effective events (resolved when read, never copied), custom fields, event lists."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lead_events.clock import utc_now
from lead_events.errors import (
    ConcurrentChange,
    Conflict,
    EventListNotFound,
    EventNotFound,
    InvalidCursor,
    Unprocessable,
)
from lead_events.models.campaigns import (
    Assignment,
    CampaignEvents,
    CampaignEventSettings,
    CampaignEventSettingsView,
    CustomField,
    EffectiveEvent,
    EventList,
    EventListCreate,
    EventListPage,
    EventListUpdate,
    FieldType,
)
from lead_events.models.common import NAME_PATTERN
from lead_events.models.leads import ID_PATTERN
from lead_events.store.campaigns import CampaignStore
from lead_events.store.config import ConfigChanged
from lead_events.store.events import EventStore
from lead_events.store.snapshot import ConfigSnapshot

# How many snapshots a decision is taken on before the answer is "changing concurrently, try again".
SNAPSHOT_ATTEMPTS = 3


def _check_campaign_id(campaign_id: str) -> str:
    if not re.fullmatch(ID_PATTERN, campaign_id):
        raise Unprocessable(
            f"'{campaign_id[:128]}' is not a campaign id: 1 to 128 letters, digits and . _ : @ - characters."
        )
    return campaign_id


def custom_macros(store: CampaignStore, org_id: str, event: str) -> set[str]:
    """The custom macros postbacks of `event` may use: every custom field a campaign declares for it."""
    return store.snapshot(org_id).declared_field_names(event)


def _typed(field: CustomField, value: Any) -> tuple[Any, str | None]:
    if field.type is FieldType.NUMBER:
        if isinstance(value, bool):
            return None, "must be a number"
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None, f"must be a number, got '{str(value)[:40]}'"
        if not number.is_finite():
            return None, "must be a finite number"
        return number, None
    if field.type is FieldType.DATE:
        text = str(value).strip()
        for parse in (date.fromisoformat, datetime.fromisoformat):
            try:
                return parse(text.replace("Z", "+00:00")).isoformat(), None
            except ValueError:
                continue
        return None, f"must be an ISO 8601 date such as 2026-11-26, got '{text[:40]}'"
    return (value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)), None


def validate_fields(fields_spec: list[CustomField], fields: dict[str, Any]) -> dict[str, Any]:
    """The fields, typed by the campaign's settings; every problem is named in one 422.

    Required fields must be present and non-empty; numbers must parse as decimals; dates as ISO
    8601. Fields the settings do not mention are kept as they came.
    """
    typed = dict(fields)
    problems = []
    for field in fields_spec:
        value = fields.get(field.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if field.required:
                problems.append(f"'{field.name}' is required")
            continue
        converted, problem = _typed(field, value)
        if problem:
            problems.append(f"'{field.name}' {problem}")
        else:
            typed[field.name] = converted
    if problems:
        raise Unprocessable("Invalid custom fields: " + "; ".join(problems) + ".")
    return typed


def check_event_allowed(snapshot: ConfigSnapshot, campaign_id: str, event: str) -> None:
    allowed = snapshot.effective_events(campaign_id)
    if allowed is not None and event not in allowed:
        lists = ", ".join(snapshot.assigned_lists(campaign_id))
        raise Unprocessable(
            f"Event '{event}' is not one of campaign '{campaign_id}''s events (its event lists: {lists}); "
            "add it to one of those lists or assign a list that has it."
        )


# Event lists


def create_list(store: CampaignStore, org_id: str, data: EventListCreate) -> EventList:
    now = utc_now()
    values = {"id": f"lst_{secrets.token_hex(6)}", **data.model_dump(), "created_at": now, "updated_at": now}
    store.put_list(org_id, values, must_exist=False)
    return EventList(**values, campaigns=[])


def get_list(store: CampaignStore, org_id: str, list_id: str) -> EventList:
    found = store.snapshot(org_id).event_list(list_id)
    if found is None:
        raise EventListNotFound(list_id)
    return found


def list_lists(store: CampaignStore, org_id: str, limit: int, cursor: str | None) -> EventListPage:
    lists = store.snapshot(org_id).event_lists()
    start = 0
    if cursor:
        ids = [found.id for found in lists]
        if cursor not in ids:
            raise InvalidCursor()
        start = ids.index(cursor) + 1
    page = lists[start : start + limit]
    next_cursor = page[-1].id if start + limit < len(lists) else None
    return EventListPage(items=page, next_cursor=next_cursor)


def update_list(store: CampaignStore, org_id: str, list_id: str, data: EventListUpdate) -> EventList:
    current = get_list(store, org_id, list_id)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    values = current.model_dump(exclude={"campaigns"}) | changes | {"updated_at": utc_now()}
    store.put_list(org_id, values, must_exist=True)
    return EventList(**values, campaigns=current.campaigns)


def delete_list(store: CampaignStore, org_id: str, list_id: str) -> None:
    """Delete a list no campaign uses (decided on a snapshot, and decided again if it changed meanwhile)."""
    for _ in range(SNAPSHOT_ATTEMPTS):
        snapshot = store.snapshot(org_id)
        current = snapshot.event_list(list_id)
        if current is None:
            raise EventListNotFound(list_id)
        if current.campaigns:
            raise Conflict(
                f"Event list '{current.name}' is assigned to campaign(s) {', '.join(current.campaigns)}; unassign "
                "it first (DELETE /campaigns/{campaign_id}/event-lists/{list_id}) so no campaign silently widens."
            )
        try:
            store.delete_list(org_id, list_id, snapshot)
        except ConfigChanged:
            continue
        return
    raise ConcurrentChange()


def assign_list(store: CampaignStore, org_id: str, campaign_id: str, list_id: str) -> Assignment:
    assignment = Assignment(campaign_id=_check_campaign_id(campaign_id), list_id=list_id, assigned_at=utc_now())
    store.assign(org_id, campaign_id, list_id, assignment.assigned_at)
    return assignment


def unassign_list(store: CampaignStore, org_id: str, campaign_id: str, list_id: str) -> None:
    store.unassign(org_id, _check_campaign_id(campaign_id), list_id)


# Campaign events and settings


def campaign_events(store: CampaignStore, org_id: str, campaign_id: str) -> CampaignEvents:
    snapshot = store.snapshot(org_id)
    _check_campaign_id(campaign_id)
    effective = snapshot.effective_events(campaign_id)
    events = {event.name: event for event in snapshot.events()}
    names = sorted(events) if effective is None else sorted(n for n in effective if n in events)
    items = [
        EffectiveEvent(
            **events[n].model_dump(
                include={"name", "description", "conversion", "affiliate_conversion", "multi_trigger"}
            ),
            lists=[] if effective is None else effective[n],
            custom_fields=snapshot.custom_fields(campaign_id, n),
        )
        for n in names
    ]
    return CampaignEvents(
        campaign_id=campaign_id, all_events=effective is None, lists=snapshot.assigned_lists(campaign_id), items=items
    )


def put_event_settings(
    store: CampaignStore, org_id: str, campaign_id: str, event: str, settings: CampaignEventSettings
) -> CampaignEventSettingsView:
    _check_campaign_id(campaign_id)
    if not NAME_PATTERN.fullmatch(event):
        raise EventNotFound(event)
    fields = [f.model_dump(mode="json") for f in settings.custom_fields]
    store.put_settings(org_id, campaign_id, event, fields, utc_now())
    return CampaignEventSettingsView(campaign_id=campaign_id, event=event, custom_fields=settings.custom_fields)


def get_event_settings(store: CampaignStore, org_id: str, campaign_id: str, event: str) -> CampaignEventSettingsView:
    snapshot = store.snapshot(org_id)
    if snapshot.event(event) is None:
        raise EventNotFound(event)
    return CampaignEventSettingsView(
        campaign_id=campaign_id, event=event, custom_fields=snapshot.custom_fields(campaign_id, event)
    )


def _refuse_if_listed(snapshot: ConfigSnapshot, event: str) -> None:
    """Deleting an event that lists still name is refused: it would silently narrow their campaigns."""
    names = snapshot.lists_naming(event)
    if names:
        raise Conflict(
            f"Event '{event}' is in the event list(s) {', '.join(repr(n) for n in names)}; "
            "remove it from them (PATCH /event-lists/{id}) before deleting it."
        )


def delete_event(events: EventStore, store: CampaignStore, org_id: str, name: str) -> None:
    """Delete an event (and its postbacks) unless an event list still names it.

    Decided on a snapshot, and decided again if the configuration changed before the delete landed
    (a list naming the event, or a postback of it, may have been added meanwhile).
    """
    for _ in range(SNAPSHOT_ATTEMPTS):
        snapshot = store.snapshot(org_id)
        _refuse_if_listed(snapshot, name)
        try:
            events.delete(org_id, name, snapshot)
        except ConfigChanged:
            continue
        return
    raise ConcurrentChange()
