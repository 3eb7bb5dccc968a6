"""Event definitions in the configuration table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lead_events.errors import EventAlreadyExists, EventNotFound
from lead_events.models.common import NAME_PATTERN, utc_now
from lead_events.models.events import Event, EventCreate, EventPage, EventUpdate
from lead_events.store import keys
from lead_events.store.dynamo import decode_cursor, encode_cursor, from_item, is_condition_failure, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_EVENT_FIELDS = (
    "name",
    "description",
    "conversion",
    "affiliate_conversion",
    "multi_trigger",
    "created_at",
    "updated_at",
)


def _to_event(item: dict[str, Any]) -> Event:
    values = from_item(item)
    return Event(**{field: values[field] for field in _EVENT_FIELDS})


class EventStore:
    """Create, read, list, update and delete an organization's event definitions."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def _key(self, org_id: str, name: str) -> dict[str, Any]:
        if not NAME_PATTERN.fullmatch(name):
            raise EventNotFound(name)  # such a name can never have been created
        return to_item({"pk": keys.org_pk(org_id), "sk": keys.event_sk(name)})

    def create(self, org_id: str, data: EventCreate) -> Event:
        now = utc_now()
        event = Event(**data.model_dump(), created_at=now, updated_at=now)
        item = {"pk": keys.org_pk(org_id), "sk": keys.event_sk(data.name), "type": "event", **event.model_dump()}
        try:
            self._db.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                raise EventAlreadyExists(data.name) from exc
            raise
        return event

    def get(self, org_id: str, name: str) -> Event:
        answer = self._db.get_item(TableName=self._table, Key=self._key(org_id, name), ConsistentRead=True)
        if "Item" not in answer:
            raise EventNotFound(name)
        return _to_event(answer["Item"])

    def list(self, org_id: str, limit: int, cursor: str | None) -> EventPage:
        pk = keys.org_pk(org_id)
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": pk, ":prefix": keys.EVENT_PREFIX}),
            "Limit": limit,
        }
        start = decode_cursor(cursor, pk, keys.EVENT_PREFIX)
        if start:
            query["ExclusiveStartKey"] = start
        answer = self._db.query(**query)
        return EventPage(
            items=[_to_event(item) for item in answer.get("Items", [])],
            next_cursor=encode_cursor(answer.get("LastEvaluatedKey")),
        )

    def update(self, org_id: str, name: str, data: EventUpdate) -> Event:
        changes = data.changes()
        if not changes:
            return self.get(org_id, name)
        changes["updated_at"] = utc_now()
        names = {f"#{field}": field for field in changes}
        values = to_item({f":{field}": value for field, value in changes.items()})
        try:
            answer = self._db.update_item(
                TableName=self._table,
                Key=self._key(org_id, name),
                UpdateExpression="SET " + ", ".join(f"#{field} = :{field}" for field in changes),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                raise EventNotFound(name) from exc
            raise
        return _to_event(answer["Attributes"])

    def delete(self, org_id: str, name: str) -> None:
        try:
            self._db.delete_item(
                TableName=self._table,
                Key=self._key(org_id, name),
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                raise EventNotFound(name) from exc
            raise
