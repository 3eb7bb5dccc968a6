"""Event log entries and their delivery attempts, in the logs table.

One `ENTRY` item per accepted trigger holds the deliveries (a map by delivery id: the rendered
request and its state); every attempt is an item of its own in the same partition, so an entry
never outgrows DynamoDB's item limit however often it is retried. Every delivery state change is a
conditional write, which is what makes the dispatcher safe under SQS's at-least-once delivery.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lead_events.errors import InvalidCursor, LogNotFound
from lead_events.store import keys
from lead_events.store.dynamo import from_item, is_condition_failure, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from lead_events.models.listing import LogFilters

# The listing index keys that contain the status, and so move when it changes.
_STATUS_INDEX_KEYS = {attribute for (_, _, by_status), (_, attribute) in keys.LOG_INDEXES.items() if by_status}


def entry_status(deliveries: dict[str, dict[str, Any]]) -> str:
    """The entry's status from its deliveries' (product.md §7)."""
    statuses = {d["status"] for d in deliveries.values()}
    if not statuses:
        return "no_postbacks"
    for status in ("failed", "retrying", "queued"):
        if status in statuses:
            return status
    return "delivered"


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


def _delivery_changes(record: AttemptRecord) -> dict[str, Any]:
    changes = {**record.changes, "attempts": record.number}
    changes.setdefault("last_status_code", None)
    return changes


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
            **keys.log_index_keys(org_id, entry["created_at"], entry["event"], entry["campaign_id"], entry["status"]),
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
        return self.claim_together(org_id, log_id, [(delivery_id, attempt)], now, lease_seconds)

    def claim_together(
        self, org_id: str, log_id: str, attempts: list[tuple[str, int]], now: float, lease_seconds: float
    ) -> dict[str, Any] | None:
        """Take several deliveries of one entry at once (delivery id, attempt number): the entry, or None.

        All or none: None when any of them is not due (see `claim`); the caller then claims them one by one.
        A claim adds to the entry's version, like every write to its deliveries: the version the claim
        returns is the one `record_attempts` expects.
        """
        names: dict[str, str] = {"#status": "status"}
        conditions, sets = [], []
        values: dict[str, Any] = {
            ":until": round(now + lease_seconds, 3),
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
                UpdateExpression="SET " + ", ".join(sets) + " ADD version :one",
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

    def record_attempt(self, record: AttemptRecord) -> None:
        """Store the attempt and the delivery's new state; then the entry's status.

        Both writes are conditional, so a repeated call (a duplicate message) changes nothing; one
        that follows a crash between the two writes completes the second.
        """
        try:
            self.db.put_item(
                TableName=self.table, Item=self._attempt_item(record), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
        changes = _delivery_changes(record)
        names = {"#d": record.delivery_id, **{f"#{k}": k for k in changes}}
        values = {f":{k}": v for k, v in changes.items()} | {":previous": record.number - 1, ":one": 1}
        try:
            answer = self.db.update_item(
                TableName=self.table,
                Key=self._entry_key(record.org_id, record.log_id),
                UpdateExpression="SET "
                + ", ".join(f"deliveries.#d.#{k} = :{k}" for k in changes)
                + ", last_status_code = :last_status_code"
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
        self._settle_status(record.org_id, from_item(answer["Attributes"]))

    def record_attempts(self, records: list[AttemptRecord], also: list[TransactWriteItemTypeDef]) -> bool:
        """A batch's attempts, their deliveries' new states and their entries' statuses in one transaction.

        One update per entry, conditional on the entry's version (the one its claim returned), so
        each delivery's attempt is the one claimed and the status written is the one all the
        entry's deliveries imply. `also` joins the same
        transaction. False when it was cancelled (a duplicate, a stale claim, a concurrent change):
        nothing was written, and `record_attempt` one by one settles each case.
        """
        groups: dict[tuple[str, str], list[AttemptRecord]] = {}
        for record in records:
            groups.setdefault((record.org_id, record.log_id), []).append(record)
        items: list[TransactWriteItemTypeDef] = [
            {"Put": {"TableName": self.table, "Item": self._attempt_item(record)}} for record in records
        ]
        items += [self._entry_update(group) for group in groups.values()]
        try:
            self.db.transact_write_items(TransactItems=items + also)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "TransactionCanceledException",
                "TransactionConflictException",
            ):
                return False
            raise
        return True

    def _entry_update(self, group: list[AttemptRecord]) -> TransactWriteItemTypeDef:
        entry = max((record.entry for record in group), key=lambda e: e["version"])
        deliveries = {d: dict(state) for d, state in entry["deliveries"].items()}
        for record in group:
            delivery = deliveries[record.delivery_id]
            delivery.update(_delivery_changes(record))
            delivery.pop("claim_until", None)
        values: dict[str, Any] = {
            ":version": entry["version"],
            ":one": 1,
            ":deliveries": deliveries,
            ":last_status_code": group[-1].changes.get("last_status_code"),
        }
        sets = ["deliveries = :deliveries", "last_status_code = :last_status_code"]
        names: dict[str, str] = {}
        status = entry_status(deliveries)
        if status != entry.get("status"):
            index_keys = keys.log_index_keys(
                group[0].org_id, entry["created_at"], entry["event"], entry["campaign_id"], status
            )
            changed = {"status": status} | {k: v for k, v in index_keys.items() if k in _STATUS_INDEX_KEYS}
            for field, value in changed.items():
                names[f"#{field}"] = field
                values[f":entry_{field}"] = value
                sets.append(f"#{field} = :entry_{field}")
        update: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self.table,
                "Key": self._entry_key(group[0].org_id, group[0].log_id),
                "UpdateExpression": f"SET {', '.join(sets)} ADD version :one",
                # Every write to the deliveries (claims included) adds to the version: unchanged, it means
                # the entry is as the claim returned it, so the whole map can be written from it, with
                # each delivery's attempt the one claimed (and any other delivery's claim kept).
                "ConditionExpression": "version = :version",
                "ExpressionAttributeValues": to_item(values),
            }
        }
        if names:
            update["Update"]["ExpressionAttributeNames"] = names
        return update

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
        index_keys = keys.log_index_keys(org_id, entry["created_at"], entry["event"], entry["campaign_id"], status)
        changes = {"status": status} | {k: v for k, v in index_keys.items() if k in _STATUS_INDEX_KEYS}
        try:
            self.db.update_item(
                TableName=self.table,
                Key=self._entry_key(org_id, entry["log_id"]),
                UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in changes),
                ConditionExpression="version = :version",
                ExpressionAttributeNames={f"#{k}": k for k in changes},
                ExpressionAttributeValues=to_item(
                    {f":{k}": v for k, v in changes.items()} | {":version": entry["version"]}
                ),
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise  # otherwise a later change wrote its own, newer status


_CREATED_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}T[0-9:.]+Z#[0-9a-f]{1,40}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
LISTED = [
    "log_id",
    "created_at",
    "event",
    "lead_id",
    "transaction_id",
    "campaign_id",
    "source",
    "status",
    "last_status_code",
    "revenue",
]


def encode_listing_cursor(month: str | None, created_key: str) -> str:
    payload = json.dumps({"m": month, "k": created_key}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_listing_cursor(cursor: str) -> tuple[str | None, str]:
    """(month, created_key) of a listing cursor; InvalidCursor when it is not one of ours."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        month, created_key = value["m"], value["k"]
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidCursor() from exc
    if not isinstance(created_key, str) or not _CREATED_KEY.fullmatch(created_key):
        raise InvalidCursor()
    if month is not None and (not isinstance(month, str) or not _MONTH.fullmatch(month)):
        raise InvalidCursor()
    return month, created_key


class LogListing:
    """Log listings: each filter combination is a Query on the index made for it (keys.LOG_INDEXES)."""

    def __init__(self, store: LogStore) -> None:
        self.db = store.db
        self.table = store.table

    def page(
        self,
        org_id: str,
        filters: LogFilters,
        *,
        months: list[str],
        lower: str,
        upper: str,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Entries newest first between `lower` and `upper` (ISO timestamps), one page, and the next cursor."""
        after = decode_listing_cursor(cursor) if cursor else None
        if filters.lead_id is not None:
            return self._by_lead(org_id, filters, lower, upper, limit, after)
        event, campaign_id, status = filters.event, filters.campaign_id, filters.status
        index, attribute = keys.LOG_INDEXES[(event is not None, campaign_id is not None, status is not None)]
        if after is not None:
            if after[0] not in months:
                raise InvalidCursor()
            months = months[months.index(after[0]) :]
        items: list[dict[str, Any]] = []
        for month in months:
            start = after[1] if after is not None and after[0] == month else None
            wanted = limit - len(items)
            query: dict[str, Any] = {
                "TableName": self.table,
                "IndexName": index,
                "KeyConditionExpression": "#k = :k AND created_key BETWEEN :lower AND :upper",
                "ExpressionAttributeNames": {"#k": attribute},
                "ExpressionAttributeValues": to_item(
                    {
                        ":k": keys.log_index_key(org_id, month, event, campaign_id, status),
                        ":lower": lower,
                        ":upper": upper + "~",
                    }
                ),
                "ScanIndexForward": False,
                "Limit": wanted + 1,  # one look-ahead item tells whether the page has a successor
            }
            if start is not None:
                query["ExclusiveStartKey"] = to_item(
                    {
                        attribute: keys.log_index_key(org_id, month, event, campaign_id, status),
                        "created_key": start,
                        "pk": keys.log_pk(org_id, start.rsplit("#", 1)[1]),
                        "sk": keys.LOG_ENTRY,
                    }
                )
            found = [from_item(item) for item in self.db.query(**query).get("Items", [])]
            items += found[:wanted]
            if len(items) >= limit:
                more = len(found) > wanted or month != months[-1]
                return items, encode_listing_cursor(month, items[-1]["created_key"]) if more else None
        return items, None

    def _by_lead(
        self,
        org_id: str,
        log_filters: LogFilters,
        lower: str,
        upper: str,
        limit: int,
        after: tuple[str | None, str] | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        # A lead has a handful of entries: the other filters are applied to that partition alone.
        lead_id = str(log_filters.lead_id)
        filters = {
            name: value
            for name, value in (
                ("event", log_filters.event),
                ("campaign_id", log_filters.campaign_id),
                ("status", log_filters.status),
            )
            if value is not None
        }
        query: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "by_lead",
            "KeyConditionExpression": "lead_key = :lead AND created_key BETWEEN :lower AND :upper",
            "ExpressionAttributeValues": to_item(
                {":lead": keys.log_lead_key(org_id, lead_id), ":lower": lower, ":upper": upper + "~"}
                | {f":{name}": value for name, value in filters.items()}
            ),
            "ScanIndexForward": False,
        }
        if filters:
            query["FilterExpression"] = " AND ".join(f"#{name} = :{name}" for name in filters)
            query["ExpressionAttributeNames"] = {f"#{name}": name for name in filters}
        if after is not None:
            query["ExclusiveStartKey"] = to_item(
                {
                    "lead_key": keys.log_lead_key(org_id, lead_id),
                    "created_key": after[1],
                    "pk": keys.log_pk(org_id, after[1].rsplit("#", 1)[1]),
                    "sk": keys.LOG_ENTRY,
                }
            )
        items: list[dict[str, Any]] = []
        while True:
            answer = self.db.query(**query)
            items += [from_item(item) for item in answer.get("Items", [])]
            if len(items) > limit or "LastEvaluatedKey" not in answer:
                break
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        page = items[:limit]
        more = len(items) > limit or (len(page) == limit and "LastEvaluatedKey" in answer)
        return page, encode_listing_cursor(None, page[-1]["created_key"]) if more and page else None
