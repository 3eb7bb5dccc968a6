"""The organization's whole configuration partition, read in one Query, and its change counter.

Every configuration write bumps `config_version` on the organization's item in the same
transaction, so a warm container can tell in the trigger's first round trip whether its cached
snapshot is still current.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lead_events.store import keys
from lead_events.store.dynamo import Cancelled, decode_cursor, encode_cursor, from_item, to_item, transact
from lead_events.store.snapshot import ConfigSnapshot

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


class ConditionFailed(Exception):
    """The condition of one operation of a configuration write did not hold; `index` says which."""

    def __init__(self, index: int) -> None:
        super().__init__(f"condition of operation {index} failed")
        self.index = index


class ConfigChanged(Exception):
    """The configuration changed since the snapshot a write was decided on (its version moved)."""


class ConfigTable:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.db = client
        self.table = table

    def version_bump(self, org_id: str, expected: int | None = None) -> TransactWriteItemTypeDef:
        """The update that adds one to `config_version`; with `expected`, only while it is still that."""
        bump: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self.table,
                "Key": to_item({"pk": keys.org_pk(org_id), "sk": keys.ORG_META}),
                "UpdateExpression": "ADD config_version :one",
                "ExpressionAttributeValues": to_item({":one": 1}),
            }
        }
        if expected is not None:
            bump["Update"]["ConditionExpression"] = (
                "config_version = :seen" if expected else "attribute_not_exists(config_version)"
            )
            if expected:
                bump["Update"]["ExpressionAttributeValues"] = to_item({":one": 1, ":seen": expected})
        return bump

    def write(
        self,
        org_id: str,
        operation: TransactWriteItemTypeDef,
        *more: TransactWriteItemTypeDef,
        expected_version: int | None = None,
    ) -> None:
        """Apply a conditional Put/Update/Delete (and `more`) with the version bump, all or nothing.

        A failed condition of one of the operations raises ConditionFailed with its index. With
        `expected_version` (a snapshot's), the write also needs the configuration unchanged since
        that snapshot, else ConfigChanged: decisions read from the snapshot (is this list assigned?
        which postbacks does this event have?) then still hold when the write lands.
        """
        items = [operation, *more, self.version_bump(org_id, expected_version)]
        try:
            transact(self.db, items)
        except Cancelled as exc:
            if exc.first == len(items) - 1:
                raise ConfigChanged() from exc
            raise ConditionFailed(exc.first) from exc

    def snapshot(self, org_id: str) -> ConfigSnapshot:
        """The whole configuration partition (paged through), strongly consistent."""
        items: dict[str, dict[str, Any]] = {}
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.org_pk(org_id)}),
            "ConsistentRead": True,
        }
        while True:
            answer = self.db.query(**query)
            for raw in answer.get("Items", []):
                item = from_item(raw)
                items[item["sk"]] = item
            if "LastEvaluatedKey" not in answer:
                break
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        version = int(items.get(keys.ORG_META, {}).get("config_version", 0))
        return ConfigSnapshot(org_id=org_id, version=version, items=items)

    def page(self, org_id: str, prefix: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the organization's items whose sort key starts with `prefix`, and the next cursor."""
        pk = keys.org_pk(org_id)
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": pk, ":prefix": prefix}),
            "Limit": limit,
        }
        start = decode_cursor(cursor, pk, prefix)
        if start:
            query["ExclusiveStartKey"] = start
        answer = self.db.query(**query)
        return [from_item(item) for item in answer.get("Items", [])], encode_cursor(answer.get("LastEvaluatedKey"))
