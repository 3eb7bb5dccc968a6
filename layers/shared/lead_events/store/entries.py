"""Event log entries and their delivery attempts, in the logs table: every request the entries take.

One `ENTRY` item per accepted trigger holds the deliveries (a map by delivery id: the rendered
request and its state); every attempt is an item of its own in the same partition, so an entry
never outgrows DynamoDB's item limit however often it is retried. Every delivery state change is a
conditional write, which is what makes the dispatcher safe under SQS's at-least-once delivery.
What a change is — the new states, the entry's status, the retries — is logic/delivery_state.py's
to say: a write here takes the entry as it was read and as it should become, and holds only while
the entry is still at the version read (EntryChanged hands back the entry as it is otherwise).

The entry is also the postback queue's outbox: a write that leaves deliveries to send (a new
entry, a retry, a redelivery) names them in its `outbox` attribute, in the same write, and every
other write to the entry removes it. The table's stream record of each write then carries exactly
the work that write created, and the outbox relay (logic/outbox.py) turns it into queue messages:
no caller hands its work to SQS itself, so none can crash between the two.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lead_events.errors import LogNotFound
from lead_events.models.entries import DeliveryAttempt, Entry, EntrySummary
from lead_events.store import entry_items, keys
from lead_events.store.dynamo import from_item, is_condition_failure, to_item
from lead_events.store.entry_items import LISTED, OUTBOX

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

# The listing index keys that contain the status, and so move when it changes.
_STATUS_INDEX_KEYS = {attribute for (_, _, by_status), (_, attribute) in keys.LOG_INDEXES.items() if by_status}

# How often attempt items DynamoDB hands back unwritten (throttled) are sent again.
_BATCH_TRIES = 8


class EntryChanged(Exception):
    """A write conditional on the entry's version found another version: `current` is the entry as it is."""

    def __init__(self, current: Entry) -> None:
        super().__init__(f"entry {current.log_id} is at version {current.version}")
        self.current = current


class EntryBusy(Exception):
    """The entry kept changing under a conditional write, or DynamoDB kept refusing (not a client's doing)."""


class EntryStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.db = client
        self.table = table

    def _entry_key(self, org_id: str, log_id: str) -> dict[str, Any]:
        return to_item({"pk": keys.log_pk(org_id, log_id), "sk": keys.LOG_ENTRY})

    def entry_put(self, org_id: str, entry: dict[str, Any]) -> TransactWriteItemTypeDef:
        """The transaction item that writes a new entry (with its index keys, and its deliveries in the outbox)."""
        item = {
            "pk": keys.log_pk(org_id, entry["log_id"]),
            "sk": keys.LOG_ENTRY,
            "type": "log",
            "lead_key": keys.log_lead_key(org_id, entry["lead_id"]),
            "created_key": keys.log_sort_key(entry["created_at"], entry["log_id"]),
            "version": 0,
            **keys.log_index_keys(
                org_id, entry["log_id"], entry["created_at"], entry["event"], entry["campaign_id"], entry["status"]
            ),
            **entry,
        }
        deliveries = entry.get("deliveries") or {}
        item[LISTED] = entry_items.listed_deliveries(
            {key: entry_items.delivery_state(value) for key, value in deliveries.items()}
        )
        if deliveries:
            item[OUTBOX] = json.dumps(sorted(deliveries))
        return {
            "Put": {"TableName": self.table, "Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}
        }

    def get_entry(self, org_id: str, log_id: str) -> Entry:
        """The entry item alone."""
        if len(log_id) > 64:
            raise LogNotFound(log_id)
        answer = self.db.get_item(TableName=self.table, Key=self._entry_key(org_id, log_id), ConsistentRead=True)
        if "Item" not in answer:
            raise LogNotFound(log_id)
        return entry_items.entry(from_item(answer["Item"]))

    def get_with_attempts(self, org_id: str, log_id: str) -> tuple[Entry, list[DeliveryAttempt]]:
        """The entry and all its attempts, by delivery and oldest first: one Query of the entry's partition."""
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
        attempts = [entry_items.attempt(item) for item in items if item["sk"].startswith(keys.ATTEMPT_PREFIX)]
        return entry_items.entry(entry), attempts

    def lead_timeline(self, org_id: str, lead_id: str, limit: int = 200) -> list[EntrySummary]:
        """The lead's entries, oldest first (the `by_lead` index)."""
        answer = self.db.query(
            TableName=self.table,
            IndexName="by_lead",
            KeyConditionExpression="lead_key = :lead",
            ExpressionAttributeValues=to_item({":lead": keys.log_lead_key(org_id, lead_id)}),
            Limit=limit,
        )
        return [entry_items.summary(from_item(item)) for item in answer.get("Items", [])]

    def claim_deliveries(
        self, org_id: str, log_id: str, attempts: Sequence[tuple[str, int]], now: float, until: float
    ) -> Entry | None:
        """Take deliveries of one entry (delivery id, attempt number) until `until` (epoch seconds): the entry, or None.

        All or none: None when any of them is not due — settled, its attempt made already (a duplicate
        or stale message), or held by another dispatcher's live claim; the caller then claims the
        others on their own. A claim adds to the entry's version, as every write to its deliveries
        does: a record writes the whole deliveries map from the entry it last saw, which is only
        right while the version is the one it saw.
        """
        names: dict[str, str] = {"#status": "status"}
        conditions, sets = [], []
        values: dict[str, Any] = {
            ":until": round(until, 3),
            ":now": round(now, 3),
            ":queued": "queued",
            ":retrying": "retrying",
            ":one": 1,
        }
        for i, (delivery_id, attempt) in enumerate(attempts):
            names[f"#d{i}"] = delivery_id
            values[f":previous{i}"] = attempt - 1
            sets.append(f"deliveries.#d{i}.claim_until = :until")
            conditions.append(
                f"deliveries.#d{i}.#status IN (:queued, :retrying) AND deliveries.#d{i}.attempts = :previous{i} AND "
                f"(attribute_not_exists(deliveries.#d{i}.claim_until) OR deliveries.#d{i}.claim_until < :now)"
            )
        try:
            answer = self.db.update_item(
                TableName=self.table,
                Key=self._entry_key(org_id, log_id),
                UpdateExpression=f"SET {', '.join(sets)} REMOVE {OUTBOX} ADD version :one",
                ConditionExpression=" AND ".join(f"({c})" for c in conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return entry_items.entry(from_item(answer["Attributes"]))

    def _attempt_item(self, org_id: str, log_id: str, attempt: DeliveryAttempt) -> dict[str, Any]:
        return to_item(
            {
                "pk": keys.log_pk(org_id, log_id),
                "sk": keys.attempt_sk(attempt.delivery_id, attempt.number),
                "type": "attempt",
                "delivery_id": attempt.delivery_id,
                "number": attempt.number,
                "expires_at": attempt.expires_at,
                "at": attempt.at,
                "status_code": attempt.status_code,
                "elapsed_ms": attempt.elapsed_ms,
                "response_body": attempt.response_body,
                "error": attempt.error,
                "error_detail": attempt.error_detail,
            }
        )

    def put_attempts(self, org_id: str, log_id: str, attempts: Sequence[DeliveryAttempt]) -> None:
        """The attempt items, in as few requests as DynamoDB takes (BatchWriteItem: 25 a request).

        An attempt made again (its message came back before it was recorded) overwrites its item.
        """
        if len(attempts) == 1:
            self.db.put_item(TableName=self.table, Item=self._attempt_item(org_id, log_id, attempts[0]))
            return
        for start in range(0, len(attempts), 25):
            requests: list[Any] = [
                {"PutRequest": {"Item": self._attempt_item(org_id, log_id, a)}} for a in attempts[start : start + 25]
            ]
            for retry in range(_BATCH_TRIES):
                answer = self.db.batch_write_item(RequestItems={self.table: requests})
                requests = list(answer.get("UnprocessedItems", {}).get(self.table, []))
                if not requests:
                    break
                time.sleep(0.01 * 2**retry)  # throttled: DynamoDB hands back what it did not write
            else:
                raise EntryBusy(f"{len(requests)} attempt items were not written")

    def record_deliveries(self, seen: Entry, new: Entry) -> Entry:
        """Write `new`'s deliveries, status, last status code and outbox, while the entry is at `seen`'s version.

        The whole deliveries map, written as `new` has it, and what listings show of it: right because
        the write holds only while the entry's version is `seen`'s (every write to a delivery adds to
        it), which is also why the entry it leaves is known without reading it back. An empty outbox
        removes the attribute.
        Returns that entry; raises EntryChanged (another write came first) or LogNotFound (gone).
        """
        names: dict[str, str] = {}
        values: dict[str, Any] = {
            ":version": seen.version,
            ":one": 1,
            ":deliveries": {key: entry_items.delivery_value(state) for key, state in new.deliveries.items()},
            ":last_status_code": new.last_status_code,
            ":listed": entry_items.listed_deliveries(new.deliveries),
        }
        sets = ["deliveries = :deliveries", "last_status_code = :last_status_code", f"{LISTED} = :listed"]
        if new.outbox:
            sets.append(f"{OUTBOX} = :outbox")
            values[":outbox"] = json.dumps(list(new.outbox))
        sets += self._status_sets(seen, new.status, names, values)
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": self._entry_key(seen.org_id, seen.log_id),
            "UpdateExpression": f"SET {', '.join(sets)}{'' if new.outbox else f' REMOVE {OUTBOX}'} ADD version :one",
            "ConditionExpression": "version = :version",
            "ExpressionAttributeValues": to_item(values),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if names:
            update["ExpressionAttributeNames"] = names
        try:
            self.db.update_item(**update)
        except ClientError as exc:
            _raise_if_changed(exc, seen)
            raise
        return replace(new, version=seen.version + 1)

    def requeue_deliveries(self, seen: Entry, new: Entry) -> Entry:
        """Write the statuses `new` gives the deliveries in its outbox, and the outbox, while at `seen`'s version.

        One write, so two redeliveries at once requeue each delivery once: the second finds the entry
        changed, and what it makes of the entry as it is has nothing to requeue. What listings show of
        the deliveries is written whole from `new`, right while at that version. Returns the entry as
        written; raises EntryChanged (another write came first) or LogNotFound (gone).
        """
        names: dict[str, str] = {"#status": "status"} | {f"#d{i}": key for i, key in enumerate(new.outbox)}
        statuses = {f":{new.deliveries[key].status}": new.deliveries[key].status for key in new.outbox}
        values: dict[str, Any] = statuses | {
            ":version": seen.version,
            ":one": 1,
            ":outbox": json.dumps(list(new.outbox)),
            ":listed": entry_items.listed_deliveries(new.deliveries),
        }
        sets = [f"deliveries.#d{i}.#status = :{new.deliveries[key].status}" for i, key in enumerate(new.outbox)]
        sets += [f"{OUTBOX} = :outbox", f"{LISTED} = :listed"]
        sets += self._status_sets(seen, new.status, names, values)
        try:
            self.db.update_item(
                TableName=self.table,
                Key=self._entry_key(seen.org_id, seen.log_id),
                UpdateExpression=f"SET {', '.join(sets)} ADD version :one",
                ConditionExpression="version = :version",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            _raise_if_changed(exc, seen)
            raise
        return replace(new, version=seen.version + 1)

    @staticmethod
    def _status_sets(entry: Entry, status: str, names: dict[str, str], values: dict[str, Any]) -> list[str]:
        """The SET clauses that move the entry to `status` (with its status-bearing index keys), if it changes."""
        if status == entry.status:
            return []
        index_keys = keys.log_index_keys(
            entry.org_id, entry.log_id, entry.created_at, entry.event, entry.campaign_id, status
        )
        changed = {"status": status} | {k: v for k, v in index_keys.items() if k in _STATUS_INDEX_KEYS}
        for field, value in changed.items():
            names[f"#entry_{field}"] = field
            values[f":entry_{field}"] = value
        return [f"#entry_{field} = :entry_{field}" for field in changed]


def _raise_if_changed(exc: ClientError, seen: Entry) -> None:
    """A version-conditioned write's failed condition as what it means: the entry changed, or is gone."""
    if not is_condition_failure(exc):
        return
    if "Item" not in exc.response:
        raise LogNotFound(seen.log_id) from exc
    raise EntryChanged(entry_items.entry(from_item(exc.response["Item"]))) from exc  # type: ignore[typeddict-item]
