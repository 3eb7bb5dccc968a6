"""Reading a log entry in full, and queueing its failed deliveries again."""

from __future__ import annotations

from typing import Any

from lead_events.logic.deliveries import delivery_id
from lead_events.models.logs import Attempt, Delivery, LogEntry, Redelivery
from lead_events.store.dynamo import plain_json
from lead_events.store.entries import EntryStore


def entry_view(entry: dict[str, Any], attempts: list[dict[str, Any]]) -> LogEntry:
    by_delivery: dict[str, list[Attempt]] = {}
    for item in sorted(attempts, key=lambda a: a["sk"]):
        by_delivery.setdefault(item["delivery_id"], []).append(
            Attempt(**{field: item.get(field) for field in Attempt.model_fields})
        )
    deliveries = [
        Delivery(
            id=delivery_id(entry["log_id"], key),
            kind=d["kind"],
            postback_id=d.get("postback_id"),
            method=d["method"],
            url=d["url"],
            headers=d.get("headers") or {},
            body=d.get("body"),
            status=d["status"],
            attempts=by_delivery.get(key, []),
            last_status_code=d.get("last_status_code"),
            next_attempt_at=d.get("next_attempt_at") if d["status"] == "retrying" else None,
            error=d.get("error"),
        )
        for key, d in sorted((entry.get("deliveries") or {}).items())
    ]
    fields = {field: entry.get(field) for field in LogEntry.model_fields if field != "deliveries"}
    return LogEntry(**fields | {"fields": plain_json(entry.get("fields") or {})}, deliveries=deliveries)


def get_log(logs: EntryStore, org_id: str, log_id: str) -> LogEntry:
    entry, attempts = logs.get_with_attempts(org_id, log_id)
    return entry_view(entry, attempts)


def redeliver(logs: EntryStore, org_id: str, log_id: str) -> Redelivery:
    """Queue the entry's failed deliveries again; each continues its attempt numbering.

    The requeue is one write that names the deliveries in the entry's outbox: the queue messages
    follow from it, so an accepted redelivery is never lost, and two at once requeue each delivery once.
    """
    requeued = logs.requeue_failed(org_id, log_id)
    return Redelivery(log_id=log_id, requeued=[delivery_id(log_id, key) for key in requeued])
