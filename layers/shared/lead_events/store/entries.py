"""Event log entries and their delivery attempts, in the logs table (the listing: store/listing.py).

One `ENTRY` item per accepted trigger holds the deliveries (a map by delivery id: the rendered
request and its state); every attempt is an item of its own in the same partition, so an entry
never outgrows DynamoDB's item limit however often it is retried. Every delivery state change is a
conditional write, which is what makes the dispatcher safe under SQS's at-least-once delivery.

The entry is also the postback queue's outbox: a write that leaves deliveries to send (a new
entry, a retry, a redelivery) names them in its `outbox` attribute, in the same write, and every
other write to the entry removes it. The table's stream record of each write then carries exactly
the work that write created, and the outbox relay (logic/outbox.py) turns it into queue messages:
no caller hands its work to SQS itself, so none can crash between the two.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lead_events import clock
from lead_events.errors import Conflict, LogNotFound
from lead_events.store import keys
from lead_events.store.dynamo import from_item, is_condition_failure, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

# The listing index keys that contain the status, and so move when it changes.
_STATUS_INDEX_KEYS = {attribute for (_, _, by_status), (_, attribute) in keys.LOG_INDEXES.items() if by_status}

OUTBOX = "outbox"  # the template's stream filter matches this attribute: keep them together

# How often a write conditional on the entry's version is tried again after another delivery of
# the same entry changed it first (each failure means another write succeeded).
_VERSION_TRIES = 8


def entry_status(deliveries: dict[str, dict[str, Any]]) -> str:
    """The entry's status from its deliveries' (product.md §7)."""
    statuses = {d["status"] for d in deliveries.values()}
    if not statuses:
        return "no_postbacks"
    for status in ("failed", "retrying", "queued"):
        if status in statuses:
            return status
    return "delivered"


@dataclass(frozen=True)
class DueDelivery:
    """A delivery a write left to send: its next attempt, and when it is due (None: at once)."""

    org_id: str
    log_id: str
    delivery_id: str
    attempt: int
    not_before: float | None


def outbox_of(new_image: dict[str, Any]) -> list[DueDelivery]:
    """The deliveries an entry's stream record (its new image, in DynamoDB's wire format) names in its outbox.

    Raises KeyError, TypeError or ValueError for an image that is not an entry with an outbox.
    """
    entry = from_item(new_image)
    due = []
    for delivery_id in json.loads(entry[OUTBOX]):
        delivery = entry["deliveries"][delivery_id]
        retry_at = delivery.get("next_attempt_at") if delivery["status"] == "retrying" else None
        due.append(
            DueDelivery(
                org_id=str(entry["org_id"]),
                log_id=str(entry["log_id"]),
                delivery_id=str(delivery_id),
                attempt=int(delivery.get("attempts", 0)) + 1,
                not_before=clock.epoch(retry_at) if retry_at else None,
            )
        )
    return due


@dataclass
class AttemptRecord:
    """One attempt a dispatcher made, to be written with the delivery's new state."""

    org_id: str
    log_id: str
    delivery_id: str
    number: int
    attempt: dict[str, Any]  # at, status_code, elapsed_ms, response_body, error
    changes: dict[str, Any]  # the delivery's new status, last_status_code, error, next_attempt_at
    expires_at: int
    entry: dict[str, Any]  # the entry as the claim returned it


class EntryBusy(Exception):
    """The entry kept changing under a conditional write (not a client's doing: the message comes back)."""


class NothingToRedeliver(Conflict):
    def __init__(self) -> None:
        super().__init__("This entry has no failed deliveries to redeliver.")


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
        if entry.get("deliveries"):
            item[OUTBOX] = json.dumps(sorted(entry["deliveries"]))
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
        self, org_id: str, log_id: str, attempts: list[tuple[str, int]], now: float, until: float
    ) -> dict[str, Any] | None:
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
        return from_item(answer["Attributes"])

    def _attempt_item(self, record: AttemptRecord) -> dict[str, Any]:
        return to_item(
            {
                "pk": keys.log_pk(record.org_id, record.log_id),
                "sk": keys.attempt_sk(record.delivery_id, record.number),
                "type": "attempt",
                "delivery_id": record.delivery_id,
                "number": record.number,
                "expires_at": record.expires_at,
                **record.attempt,
            }
        )

    def _put_attempts(self, records: list[AttemptRecord]) -> None:
        """The attempt items, in as few requests as DynamoDB takes (BatchWriteItem: 25 a request)."""
        if len(records) == 1:
            self.db.put_item(TableName=self.table, Item=self._attempt_item(records[0]))
            return
        for start in range(0, len(records), 25):
            requests: list[Any] = [{"PutRequest": {"Item": self._attempt_item(r)}} for r in records[start : start + 25]]
            for retry in range(_VERSION_TRIES):
                answer = self.db.batch_write_item(RequestItems={self.table: requests})
                requests = list(answer.get("UnprocessedItems", {}).get(self.table, []))
                if not requests:
                    break
                time.sleep(0.01 * 2**retry)  # throttled: DynamoDB hands back what it did not write
            else:
                raise EntryBusy(f"{len(requests)} attempt items were not written")

    def record_attempts(self, records: list[AttemptRecord], entry: dict[str, Any]) -> dict[str, Any] | None:
        """Store attempts of one entry's deliveries, then their new states with the entry's status and outbox.

        `entry` is the newest image of the entry at hand (a claim's or a previous record's). Returns
        the entry as this write left it (None when there was nothing to write: each recorded already,
        or the entry gone), for the next record of the entry.

        The attempt items first: a crash before the second write leaves the deliveries claimed but
        unrecorded, so their messages, back after the visibility timeout, make the attempts again
        (with the same webhook-ids) and overwrite the attempt items with what those requests got.
        The second write is one update of the entry's deliveries, conditional on its version (so the
        map and the status written are the ones the entry now implies, and a repeated call, finding
        the attempts recorded, changes nothing); when another write of its deliveries got there
        first, it is written again from the entry as that write left it. A retry is named in the
        entry's outbox in that write.
        """
        self._put_attempts(records)
        for _ in range(_VERSION_TRIES):
            due = [
                r
                for r in records
                if r.delivery_id in entry.get("deliveries", {})
                and int(entry["deliveries"][r.delivery_id].get("attempts", 0)) < r.number
            ]
            if not due:
                return None  # recorded already
            update, written = self._record_update(entry, due)
            try:
                self.db.update_item(**update)
            except ClientError as exc:
                if not is_condition_failure(exc):
                    raise
                if "Item" not in exc.response:
                    return None  # the entry is gone (expired): nothing to record into
                entry = from_item(exc.response["Item"])  # type: ignore[typeddict-item]
            else:
                return written
        raise EntryBusy(f"entry {records[0].log_id} kept changing while its deliveries were recorded")

    def _record_update(
        self, entry: dict[str, Any], records: list[AttemptRecord]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The update that records `records` into `entry`, and the entry as it leaves it.

        The whole deliveries map, written from `entry` with these records' states: right because the
        write holds only while the entry's version is `entry`'s (every write to a delivery adds to it),
        which is also why the entry it leaves is known without reading it back.
        """
        deliveries = {d: dict(state) for d, state in entry["deliveries"].items()}
        for record in records:
            delivery = deliveries[record.delivery_id]
            delivery.update({"last_status_code": None, **record.changes, "attempts": record.number})
            delivery.pop("claim_until", None)
        retries = [r.delivery_id for r in records if r.changes["status"] == "retrying"]
        names: dict[str, str] = {}
        values: dict[str, Any] = {
            ":version": entry["version"],
            ":one": 1,
            ":deliveries": deliveries,
            ":last_status_code": records[-1].changes.get("last_status_code"),
        }
        sets = ["deliveries = :deliveries", "last_status_code = :last_status_code"]
        if retries:
            sets.append(f"{OUTBOX} = :outbox")
            values[":outbox"] = json.dumps(retries)
        status = entry_status(deliveries)
        sets += self._status_sets(records[0].org_id, entry, status, names, values)
        written = {k: v for k, v in entry.items() if k != OUTBOX} | {
            "deliveries": deliveries,
            "status": status,
            "last_status_code": values[":last_status_code"],
            "version": entry["version"] + 1,
        }
        if retries:
            written[OUTBOX] = values[":outbox"]
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": self._entry_key(records[0].org_id, records[0].log_id),
            "UpdateExpression": f"SET {', '.join(sets)}{'' if retries else f' REMOVE {OUTBOX}'} ADD version :one",
            "ConditionExpression": "version = :version",
            "ExpressionAttributeValues": to_item(values),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if names:
            update["ExpressionAttributeNames"] = names
        return update, written

    @staticmethod
    def _status_sets(
        org_id: str, entry: dict[str, Any], status: str, names: dict[str, str], values: dict[str, Any]
    ) -> list[str]:
        """The SET clauses that move the entry to `status` (with its status-bearing index keys), if it changes."""
        if status == entry.get("status"):
            return []
        index_keys = keys.log_index_keys(
            org_id, entry["log_id"], entry["created_at"], entry["event"], entry["campaign_id"], status
        )
        changed = {"status": status} | {k: v for k, v in index_keys.items() if k in _STATUS_INDEX_KEYS}
        for field, value in changed.items():
            names[f"#entry_{field}"] = field
            values[f":entry_{field}"] = value
        return [f"#entry_{field} = :entry_{field}" for field in changed]

    def requeue_failed(self, org_id: str, log_id: str) -> list[str]:
        """Put every failed delivery of the entry back to `queued`, in its outbox; the ids requeued.

        One write conditional on the entry's version, so two redeliveries at once requeue each
        delivery once: the second finds nothing failed (NothingToRedeliver).
        """
        entry = self.get_entry(org_id, log_id)
        for _ in range(_VERSION_TRIES):
            failed = sorted(k for k, d in (entry.get("deliveries") or {}).items() if d["status"] == "failed")
            if not failed:
                raise NothingToRedeliver()
            deliveries = {
                d: {**state, "status": "queued"} if d in failed else state for d, state in entry["deliveries"].items()
            }
            names: dict[str, str] = {"#status": "status"} | {f"#d{i}": d for i, d in enumerate(failed)}
            values: dict[str, Any] = {":queued": "queued", ":version": entry["version"], ":one": 1}
            values[":outbox"] = json.dumps(failed)
            sets = [f"deliveries.#d{i}.#status = :queued" for i in range(len(failed))] + [f"{OUTBOX} = :outbox"]
            sets += self._status_sets(org_id, entry, entry_status(deliveries), names, values)
            try:
                self.db.update_item(
                    TableName=self.table,
                    Key=self._entry_key(org_id, log_id),
                    UpdateExpression=f"SET {', '.join(sets)} ADD version :one",
                    ConditionExpression="version = :version",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=to_item(values),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as exc:
                if not is_condition_failure(exc):
                    raise
                if "Item" not in exc.response:
                    raise LogNotFound(log_id) from exc
                entry = from_item(exc.response["Item"])  # type: ignore[typeddict-item]
            else:
                return failed
        raise Conflict("The entry is changing right now (its deliveries are being recorded); try again.")
