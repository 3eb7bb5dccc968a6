"""Event log entries and their delivery attempts, in the logs table.

One `ENTRY` item per accepted trigger holds the deliveries (a map by delivery id: the rendered
request and its state); every attempt is an item of its own in the same partition, so an entry
never outgrows DynamoDB's item limit however often it is retried. Every delivery state change is a
conditional write, which is what makes the dispatcher safe under SQS's at-least-once delivery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lead_events.errors import LogNotFound
from lead_events.store import keys
from lead_events.store.dynamo import from_item, is_condition_failure, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

PENDING = ("queued", "retrying")


def entry_status(deliveries: dict[str, dict[str, Any]]) -> str:
    """The entry's status from its deliveries' (product.md §7)."""
    statuses = {d["status"] for d in deliveries.values()}
    if not statuses:
        return "no_postbacks"
    for status in ("failed", "retrying", "queued"):
        if status in statuses:
            return status
    return "delivered"


class LogStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.db = client
        self.table = table

    def _entry_key(self, org_id: str, log_id: str) -> dict[str, Any]:
        return to_item({"pk": keys.log_pk(org_id, log_id), "sk": keys.LOG_ENTRY})

    def entry_put(self, org_id: str, entry: dict[str, Any]) -> TransactWriteItemTypeDef:
        """The transaction item that writes a new entry (with its index keys)."""
        item = {
            "pk": keys.log_pk(org_id, entry["log_id"]),
            "sk": keys.LOG_ENTRY,
            "type": "log",
            "lead_key": keys.log_lead_key(org_id, entry["lead_id"]),
            "created_key": keys.log_sort_key(entry["created_at"], entry["log_id"]),
            "version": 0,
            **entry,
        }
        return {
            "Put": {"TableName": self.table, "Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}
        }

    def get_entry(self, org_id: str, log_id: str) -> dict[str, Any]:
        """The entry item alone."""
        if len(log_id) > 64:
            raise LogNotFound(log_id)
        answer = self.db.get_item(TableName=self.table, Key=self._entry_key(org_id, log_id), ConsistentRead=True)
        if "Item" not in answer:
            raise LogNotFound(log_id)
        return from_item(answer["Item"])

    def get_with_attempts(self, org_id: str, log_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The entry and all its attempts, oldest first: one Query of the entry's partition."""
        if len(log_id) > 64:
            raise LogNotFound(log_id)
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.log_pk(org_id, log_id)}),
            "ConsistentRead": True,
        }
        while True:
            answer = self.db.query(**query)
            items += [from_item(item) for item in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                break
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        entry = next((item for item in items if item["sk"] == keys.LOG_ENTRY), None)
        if entry is None:
            raise LogNotFound(log_id)
        return entry, [item for item in items if item["sk"].startswith(keys.ATTEMPT_PREFIX)]

    def lead_timeline(self, org_id: str, lead_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """The lead's entries, oldest first (the `by_lead` index)."""
        answer = self.db.query(
            TableName=self.table,
            IndexName="by_lead",
            KeyConditionExpression="lead_key = :lead",
            ExpressionAttributeValues=to_item({":lead": keys.log_lead_key(org_id, lead_id)}),
            Limit=limit,
        )
        return [from_item(item) for item in answer.get("Items", [])]

    def claim(
        self, org_id: str, log_id: str, delivery_id: str, attempt: int, now: float, lease_seconds: float
    ) -> dict[str, Any] | None:
        """Take the delivery for attempt number `attempt`.

        None when that attempt is not due: the delivery is settled, the attempt was made already (a
        duplicate or stale message), or another dispatcher holds the claim.
        """
        try:
            answer = self.db.update_item(
                TableName=self.table,
                Key=self._entry_key(org_id, log_id),
                UpdateExpression="SET deliveries.#d.claim_until = :until",
                ConditionExpression=(
                    "deliveries.#d.#status IN (:queued, :retrying) AND deliveries.#d.attempts = :previous AND "
                    "(attribute_not_exists(deliveries.#d.claim_until) OR deliveries.#d.claim_until < :now)"
                ),
                ExpressionAttributeNames={"#d": delivery_id, "#status": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":until": round(now + lease_seconds, 3),
                        ":now": round(now, 3),
                        ":queued": "queued",
                        ":retrying": "retrying",
                        ":previous": attempt - 1,
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return from_item(answer["Attributes"])

    def record_attempt(
        self,
        org_id: str,
        log_id: str,
        delivery_id: str,
        number: int,
        attempt: dict[str, Any],
        delivery_changes: dict[str, Any],
        expires_at: int,
    ) -> None:
        """Store attempt `number` and the delivery's new state; then the entry's status.

        Both writes are conditional, so a repeated call (a duplicate message) changes nothing; one
        that follows a crash between the two writes completes the second.
        """
        try:
            self.db.put_item(
                TableName=self.table,
                Item=to_item(
                    {
                        "pk": keys.log_pk(org_id, log_id),
                        "sk": keys.attempt_sk(delivery_id, number),
                        "type": "attempt",
                        "delivery_id": delivery_id,
                        "number": number,
                        "expires_at": expires_at,
                        **attempt,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
        changes = {**delivery_changes, "attempts": number}
        names = {"#d": delivery_id, **{f"#{k}": k for k in changes}}
        values = {f":{k}": v for k, v in changes.items()} | {":previous": number - 1, ":one": 1}
        try:
            answer = self.db.update_item(
                TableName=self.table,
                Key=self._entry_key(org_id, log_id),
                UpdateExpression="SET "
                + ", ".join(f"deliveries.#d.#{k} = :{k}" for k in changes)
                + " REMOVE deliveries.#d.claim_until ADD version :one",
                ConditionExpression="deliveries.#d.attempts = :previous",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return  # recorded already
            raise
        self._settle_status(org_id, from_item(answer["Attributes"]))

    def requeue(self, org_id: str, log_id: str, delivery_ids: list[str]) -> None:
        """Put failed deliveries back to `queued` (conditional on their still being failed)."""
        names = {f"#d{i}": d for i, d in enumerate(delivery_ids)} | {"#status": "status"}
        answer = self.db.update_item(
            TableName=self.table,
            Key=self._entry_key(org_id, log_id),
            UpdateExpression="SET "
            + ", ".join(f"deliveries.#d{i}.#status = :queued" for i in range(len(delivery_ids)))
            + " ADD version :one",
            ConditionExpression=" AND ".join(f"deliveries.#d{i}.#status = :failed" for i in range(len(delivery_ids))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item({":queued": "queued", ":failed": "failed", ":one": 1}),
            ReturnValues="ALL_NEW",
        )
        self._settle_status(org_id, from_item(answer["Attributes"]))

    def mark_unqueued(self, org_id: str, log_id: str, delivery_ids: list[str], error: str) -> None:
        """Deliveries whose queue message could not be sent: failed, visibly, and redeliverable."""
        names = {f"#d{i}": d for i, d in enumerate(delivery_ids)} | {"#status": "status", "#error": "error"}
        answer = self.db.update_item(
            TableName=self.table,
            Key=self._entry_key(org_id, log_id),
            UpdateExpression="SET "
            + ", ".join(
                f"deliveries.#d{i}.#status = :failed, deliveries.#d{i}.#error = :error"
                for i in range(len(delivery_ids))
            )
            + " ADD version :one",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item({":failed": "failed", ":error": error, ":one": 1}),
            ReturnValues="ALL_NEW",
        )
        self._settle_status(org_id, from_item(answer["Attributes"]))

    def _settle_status(self, org_id: str, entry: dict[str, Any]) -> None:
        """Write the entry status its deliveries imply, unless a later change got there first."""
        status = entry_status(entry.get("deliveries", {}))
        if status == entry.get("status"):
            return
        try:
            self.db.update_item(
                TableName=self.table,
                Key=self._entry_key(org_id, entry["log_id"]),
                UpdateExpression="SET #status = :status",
                ConditionExpression="version = :version",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item({":status": status, ":version": entry["version"]}),
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise  # otherwise a later change wrote its own, newer status
