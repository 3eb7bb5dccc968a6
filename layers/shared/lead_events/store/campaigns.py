"""Event lists, their assignments to campaigns, and campaign event settings (configuration table)."""

from __future__ import annotations

from typing import Any

from lead_events.errors import EventListNotFound, EventNotFound, NotFound
from lead_events.store import keys
from lead_events.store.config import ConditionFailed, ConfigTable
from lead_events.store.dynamo import to_item
from lead_events.store.snapshot import ConfigSnapshot


class CampaignStore:
    def __init__(self, config: ConfigTable) -> None:
        self._config = config

    def snapshot(self, org_id: str) -> ConfigSnapshot:
        return self._config.snapshot(org_id)

    def _item_key(self, org_id: str, sk: str) -> dict[str, Any]:
        return to_item({"pk": keys.org_pk(org_id), "sk": sk})

    def _events_exist(self, org_id: str, events: list[str]) -> list[Any]:
        return [
            {
                "ConditionCheck": {
                    "TableName": self._config.table,
                    "Key": self._item_key(org_id, keys.event_sk(name)),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
            for name in events
        ]

    def put_list(self, org_id: str, values: dict[str, Any], *, must_exist: bool) -> None:
        """Write an event list, only while every event in it exists."""
        item = {"pk": keys.org_pk(org_id), "sk": keys.list_sk(values["id"]), "type": "event_list", **values}
        put: Any = {
            "Put": {
                "TableName": self._config.table,
                "Item": to_item(item),
                "ConditionExpression": "attribute_exists(pk)" if must_exist else "attribute_not_exists(pk)",
            }
        }
        checks = self._events_exist(org_id, values["events"])
        try:
            self._config.write(org_id, put, *checks)
        except ConditionFailed as exc:
            if exc.index == 0:
                raise EventListNotFound(values["id"]) from exc
            raise EventNotFound(values["events"][exc.index - 1]) from exc

    def delete_list(self, org_id: str, list_id: str, snapshot: ConfigSnapshot) -> None:
        """Delete the list, only while the configuration is as in `snapshot` (else ConfigChanged).

        The caller decided from `snapshot` that no campaign uses the list: one assigned since would
        be left with a list that no longer exists.
        """
        try:
            self._config.write(
                org_id,
                {
                    "Delete": {
                        "TableName": self._config.table,
                        "Key": self._item_key(org_id, keys.list_sk(list_id)),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                expected_version=snapshot.version,
            )
        except ConditionFailed as exc:
            raise EventListNotFound(list_id) from exc

    def assign(self, org_id: str, campaign_id: str, list_id: str, assigned_at: str) -> None:
        list_exists: Any = {
            "ConditionCheck": {
                "TableName": self._config.table,
                "Key": self._item_key(org_id, keys.list_sk(list_id)),
                "ConditionExpression": "attribute_exists(pk)",
            }
        }
        put: Any = {
            "Put": {
                "TableName": self._config.table,
                "Item": to_item(
                    {
                        "pk": keys.org_pk(org_id),
                        "sk": keys.assignment_sk(campaign_id, list_id),
                        "type": "list_assignment",
                        "campaign_id": campaign_id,
                        "list_id": list_id,
                        "assigned_at": assigned_at,
                    }
                ),
            }
        }
        try:
            self._config.write(org_id, list_exists, put)
        except ConditionFailed as exc:
            raise EventListNotFound(list_id) from exc

    def unassign(self, org_id: str, campaign_id: str, list_id: str) -> None:
        try:
            self._config.write(
                org_id,
                {
                    "Delete": {
                        "TableName": self._config.table,
                        "Key": self._item_key(org_id, keys.assignment_sk(campaign_id, list_id)),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            )
        except ConditionFailed as exc:
            raise NotFound(f"Event list '{list_id}' is not assigned to campaign '{campaign_id}'.") from exc

    def put_settings(
        self, org_id: str, campaign_id: str, event: str, custom_fields: list[dict[str, Any]], updated_at: str
    ) -> None:
        """Store a campaign's settings for an event, only while the event exists."""
        put: Any = {
            "Put": {
                "TableName": self._config.table,
                "Item": to_item(
                    {
                        "pk": keys.org_pk(org_id),
                        "sk": keys.campaign_event_sk(campaign_id, event),
                        "type": "campaign_event",
                        "campaign_id": campaign_id,
                        "event": event,
                        "custom_fields": custom_fields,
                        "updated_at": updated_at,
                    }
                ),
            }
        }
        try:
            self._config.write(org_id, self._events_exist(org_id, [event])[0], put)
        except ConditionFailed as exc:
            raise EventNotFound(event) from exc
