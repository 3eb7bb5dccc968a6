"""One organization's whole configuration as read at one version, with typed accessors.

The trigger path and the campaign rules read configuration only through these: the sort keys
the items live under are the store's business. A snapshot is kept by warm containers and read by
many requests, so each accessor builds its objects once.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from lead_events.store import keys
from lead_events.store.dynamo import plain_json

if TYPE_CHECKING:
    from lead_events.models.affiliates import Affiliate
    from lead_events.models.campaigns import CustomField, EventList
    from lead_events.models.events import Event
    from lead_events.models.targets import PostbackTarget


class ConfigSnapshot:
    """Every configuration item of one organization, as read at `version`."""

    def __init__(self, org_id: str, version: int, items: dict[str, dict[str, Any]]) -> None:
        self.org_id = org_id
        self.version = version
        self._items = items  # by sort key

    @cached_property
    def _in_order(self) -> list[tuple[str, dict[str, Any]]]:
        return sorted(self._items.items())

    def _of_kind(self, prefix: str) -> list[dict[str, Any]]:
        return [item for sk, item in self._in_order if sk.startswith(prefix)]

    # Events and their postbacks

    @cached_property
    def _events(self) -> dict[str, Event]:
        from lead_events.models.events import Event

        return {
            item["name"]: Event(**{field: item[field] for field in Event.model_fields})
            for item in self._of_kind(keys.EVENT_PREFIX)
        }

    def event(self, name: str) -> Event | None:
        return self._events.get(name)

    def events(self) -> list[Event]:
        """Every event, by name."""
        return list(self._events.values())

    @cached_property
    def _postbacks(self) -> dict[str, list[PostbackTarget]]:
        from lead_events.models.targets import PostbackTarget

        by_event: dict[str, list[PostbackTarget]] = {}
        for item in self._of_kind(keys.POSTBACK_PREFIX):
            by_event.setdefault(item["event"], []).append(
                PostbackTarget.of(item | {"body": plain_json(item.get("body"))})
            )
        return by_event

    def postbacks_of(self, event: str) -> list[PostbackTarget]:
        """Every postback of `event`, enabled or not, by id."""
        return list(self._postbacks.get(event, []))

    def postbacks_for(self, event: str, campaign_id: str) -> list[PostbackTarget]:
        """The postbacks `event` fires for a lead of `campaign_id`."""
        return [pb for pb in self._postbacks.get(event, []) if pb.applies_to(campaign_id)]

    # Affiliates and the inbound token

    @cached_property
    def _affiliates(self) -> dict[str, Affiliate]:
        from lead_events.models.affiliates import Affiliate

        found = {}
        for item in self._of_kind(keys.AFFILIATE_PREFIX):
            values = item | {"body": plain_json(item.get("body"))}
            found[item["affiliate_id"]] = Affiliate(
                **{field: values[field] for field in Affiliate.model_fields if field in values}
            )
        return found

    def affiliate(self, affiliate_id: str | None) -> Affiliate | None:
        return self._affiliates.get(affiliate_id) if affiliate_id else None

    def inbound_token(self) -> str:
        """The organization's inbound postback token ("" when it has none)."""
        return str(self._items.get(keys.INBOUND_TOKEN, {}).get("token", ""))

    # Event lists, their assignments, campaign settings

    @cached_property
    def _campaigns_by_list(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for item in self._of_kind(keys.CAMPAIGN_PREFIX):
            if "list_id" in item:
                found.setdefault(item["list_id"], []).append(item["campaign_id"])
        return found

    def _list(self, item: dict[str, Any]) -> EventList:
        from lead_events.models.campaigns import EventList

        campaigns = sorted(self._campaigns_by_list.get(item["id"], []))
        return EventList(
            **{k: item[k] for k in ("id", "name", "description", "created_at", "updated_at")},
            events=list(item.get("events", [])),
            campaigns=campaigns,
        )

    def event_list(self, list_id: str) -> EventList | None:
        item = self._items.get(keys.list_sk(list_id))
        return None if item is None else self._list(item)

    def event_lists(self) -> list[EventList]:
        """Every event list, by id."""
        return [self._list(item) for item in self._of_kind(keys.LIST_PREFIX)]

    def lists_naming(self, event: str) -> list[str]:
        """The names of the event lists that include `event`."""
        return [item["name"] for item in self._of_kind(keys.LIST_PREFIX) if event in item.get("events", [])]

    def assigned_lists(self, campaign_id: str) -> list[str]:
        """The ids of the event lists assigned to the campaign."""
        return [item["list_id"] for item in self._of_kind(keys.assignment_sk(campaign_id, ""))]

    def effective_events(self, campaign_id: str) -> dict[str, list[str]] | None:
        """The campaign's effective events, each with the lists it comes from; None means every event.

        A campaign with no list accepts every event of the organization; with lists, the union of them.
        """
        list_ids = self.assigned_lists(campaign_id)
        if not list_ids:
            return None
        events: dict[str, list[str]] = {}
        for list_id in list_ids:
            for name in self._items.get(keys.list_sk(list_id), {}).get("events", []):
                events.setdefault(name, []).append(list_id)
        return events

    @cached_property
    def _fields(self) -> dict[tuple[str, str], list[CustomField]]:
        from lead_events.models.campaigns import CustomField

        return {
            (item["campaign_id"], item["event"]): [CustomField(**f) for f in item.get("custom_fields", [])]
            for item in self._of_kind(keys.CAMPAIGN_PREFIX)
            if "event" in item
        }

    def custom_fields(self, campaign_id: str, event: str) -> list[CustomField]:
        """The custom fields the campaign's settings declare for `event`."""
        return list(self._fields.get((campaign_id, event), []))

    def campaigns(self) -> list[str]:
        """Every campaign with an event list assigned or event settings, by id."""
        return sorted({item["campaign_id"] for item in self._of_kind(keys.CAMPAIGN_PREFIX)})

    def campaign_settings(self, campaign_id: str) -> dict[str, list[CustomField]]:
        """The campaign's settings: the custom fields it declares, by event (events without settings left out)."""
        return {event: list(fields) for (campaign, event), fields in self._fields.items() if campaign == campaign_id}

    def declared_field_names(self, event: str) -> set[str]:
        """Every custom field any campaign declares for `event`: the custom macros its postbacks may use."""
        return {f.name for (_, name), fields in self._fields.items() if name == event for f in fields}
