"""Event definitions in the configuration table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from lead_events.clock import utc_now
from lead_events.errors import EventAlreadyExists, EventNotFound
from lead_events.models.events import Event, EventCreate, EventPage, EventUpdate
from lead_events.names import NAME_PATTERN
from lead_events.store import keys
from lead_events.store.config import ConditionFailed, ConfigTable
from lead_events.store.dynamo import from_item, to_item
from lead_events.store.snapshot import ConfigSnapshot

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_EVENT_FIELDS = tuple(Event.model_fields)


def event_from_item(values: dict[str, Any]) -> Event:
    return Event(**{field: values[field] for field in _EVENT_FIELDS})


class EventStore:
    """Create, read, list, update and delete an organization's event definitions."""

    def __init__(self, config: ConfigTable) -> None:
        self._config = config

    def _key(self, org_id: str, name: str) -> dict[str, Any]:
        if not NAME_PATTERN.fullmatch(name):
            raise EventNotFound(name)  # such a name can never have been created
        return to_item({"pk": keys.org_pk(org_id), "sk": keys.event_sk(name)})

    def create(self, org_id: str, data: EventCreate) -> Event:
        now = utc_now()
        event = Event(**data.model_dump(), created_at=now, updated_at=now)
        item = {"pk": keys.org_pk(org_id), "sk": keys.event_sk(data.name), "type": "event", **event.model_dump()}
        try:
            self._config.write(
                org_id,
                {
                    "Put": {
                        "TableName": self._config.table,
                        "Item": to_item(item),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            )
        except ConditionFailed as exc:
            raise EventAlreadyExists(data.name) from exc
        return event

    def get(self, org_id: str, name: str) -> Event:
        answer = self._config.db.get_item(
            TableName=self._config.table, Key=self._key(org_id, name), ConsistentRead=True
        )
        if "Item" not in answer:
            raise EventNotFound(name)
        return event_from_item(from_item(answer["Item"]))

    def list(self, org_id: str, limit: int, cursor: str | None) -> EventPage:
        items, next_cursor = self._config.page(org_id, keys.EVENT_PREFIX, limit, cursor)
        return EventPage(items=[event_from_item(item) for item in items], next_cursor=next_cursor)

    def update(self, org_id: str, name: str, data: EventUpdate) -> Event:
        changes = data.changes()
        if not changes:
            return self.get(org_id, name)
        changes["updated_at"] = utc_now()
        try:
            self._config.write(
                org_id,
                {
                    "Update": {
                        "TableName": self._config.table,
                        "Key": self._key(org_id, name),
                        "UpdateExpression": "SET " + ", ".join(f"#{field} = :{field}" for field in changes),
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeNames": {f"#{field}": field for field in changes},
                        "ExpressionAttributeValues": to_item({f":{field}": value for field, value in changes.items()}),
                    }
                },
            )
        except ConditionFailed as exc:
            raise EventNotFound(name) from exc
        return self.get(org_id, name)

    def delete(self, org_id: str, name: str, snapshot: ConfigSnapshot) -> None:
        """Delete the event and the postbacks `snapshot` has of it (its log entries stay).

        Only while the configuration is still as in `snapshot` (else ConfigChanged): a postback
        added since would otherwise outlive its event, and come back with an event of the same name.
        """
        key = self._key(org_id, name)
        postbacks = [
            to_item({"pk": keys.org_pk(org_id), "sk": keys.postback_sk(name, str(pb.id))})
            for pb in snapshot.postbacks_of(name)
        ]
        try:
            self._config.write(
                org_id,
                {
                    "Delete": {
                        "TableName": self._config.table,
                        "Key": key,
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                *[
                    cast("TransactWriteItemTypeDef", {"Delete": {"TableName": self._config.table, "Key": pb}})
                    for pb in postbacks
                ],
                expected_version=snapshot.version,
            )
        except ConditionFailed as exc:
            raise EventNotFound(name) from exc
