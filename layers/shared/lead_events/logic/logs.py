"""Reading a log entry in full, and queueing its failed deliveries again."""

from __future__ import annotations

from typing import Any

from lead_events.errors import Conflict
from lead_events.models.logs import Attempt, Delivery, LogEntry, Redelivery
from lead_events.store.dynamo import plain_json
from lead_events.store.logs import LogStore
from lead_events.store.queue import DeliveryQueue


def entry_view(entry: dict[str, Any], attempts: list[dict[str, Any]]) -> LogEntry:
    by_delivery: dict[str, list[Attempt]] = {}
    for item in sorted(attempts, key=lambda a: a["sk"]):
        by_delivery.setdefault(item["delivery_id"], []).append(
            Attempt(**{field: item.get(field) for field in Attempt.model_fields})
        )
    deliveries = [
        Delivery(
            id=delivery_id,
            kind=d["kind"],
            postback_id=d.get("postback_id"),
            method=d["method"],
            url=d["url"],
            headers=d.get("headers") or {},
            body=d.get("body"),
            status=d["status"],
            attempts=by_delivery.get(delivery_id, []),
            last_status_code=d.get("last_status_code"),
            next_attempt_at=d.get("next_attempt_at") if d["status"] == "retrying" else None,
            error=d.get("error"),
        )
        for delivery_id, d in sorted((entry.get("deliveries") or {}).items())
    ]
    fields = {field: entry.get(field) for field in LogEntry.model_fields if field != "deliveries"}
    return LogEntry(**fields | {"fields": plain_json(entry.get("fields") or {})}, deliveries=deliveries)


def get_log(logs: LogStore, org_id: str, log_id: str) -> LogEntry:
    entry, attempts = logs.get_with_attempts(org_id, log_id)
    return entry_view(entry, attempts)


def redeliver(logs: LogStore, queue: DeliveryQueue, org_id: str, log_id: str) -> Redelivery:
    """Queue the entry's failed deliveries again; each continues its attempt numbering."""
    entry = logs.get_entry(org_id, log_id)
    failed = {k: d for k, d in (entry.get("deliveries") or {}).items() if d["status"] == "failed"}
    if not failed:
        raise Conflict("This entry has no failed deliveries to redeliver.")
    logs.requeue(org_id, log_id, sorted(failed))
    messages = [
        {"org_id": org_id, "log_id": log_id, "delivery_id": k, "attempt": int(d.get("attempts", 0)) + 1}
        for k, d in sorted(failed.items())
    ]
    unqueued = queue.send(messages)
    if unqueued:
        logs.mark_unqueued(org_id, log_id, [m["delivery_id"] for m in unqueued], "Could not be queued; try again.")
    return Redelivery(log_id=log_id, requeued=sorted(failed))
