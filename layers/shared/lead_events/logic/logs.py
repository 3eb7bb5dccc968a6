"""Reading a log entry in full, and queueing its failed deliveries again."""

from __future__ import annotations

from lead_events.errors import Conflict, NothingToRedeliver
from lead_events.logic.deliveries import delivery_id
from lead_events.logic.delivery_state import requeue, write_from
from lead_events.models.entries import DeliveryAttempt, Entry
from lead_events.models.logs import Attempt, Delivery, LogEntry, Redelivery
from lead_events.store.entries import EntryBusy, EntryStore


def entry_view(entry: Entry, attempts: list[DeliveryAttempt]) -> LogEntry:
    by_delivery: dict[str, list[Attempt]] = {}
    for a in sorted(attempts, key=lambda a: (a.delivery_id, a.number)):
        by_delivery.setdefault(a.delivery_id, []).append(
            Attempt(
                number=a.number,
                at=a.at,
                status_code=a.status_code,
                elapsed_ms=a.elapsed_ms,
                response_body=a.response_body,
                error=a.error,
                error_detail=a.error_detail,
            )
        )
    deliveries = [
        Delivery(
            id=delivery_id(entry.log_id, key),
            kind=d.kind,
            postback_id=d.postback_id,
            method=d.method,
            url=d.url,
            headers=dict(d.headers),
            body=d.body,
            status=d.status,
            attempts=by_delivery.get(key, []),
            last_status_code=d.last_status_code,
            next_attempt_at=d.next_attempt_at if d.status == "retrying" else None,
            error=d.error,
            error_detail=d.error_detail,
        )
        for key, d in sorted(entry.deliveries.items())
    ]
    return LogEntry(
        log_id=entry.log_id,
        event=entry.event,
        lead_id=entry.lead_id,
        transaction_id=entry.transaction_id,
        campaign_id=entry.campaign_id,
        affiliate_id=entry.affiliate_id,
        source=entry.source,
        created_at=entry.created_at,
        status=entry.status,
        conversion=entry.conversion,
        fields=dict(entry.fields),
        revenue=entry.revenue,
        note=entry.note,
        actor=entry.actor,
        deliveries=deliveries,
    )


def get_log(logs: EntryStore, org_id: str, log_id: str) -> LogEntry:
    entry, attempts = logs.get_with_attempts(org_id, log_id)
    return entry_view(entry, attempts)


def redeliver(logs: EntryStore, org_id: str, log_id: str) -> Redelivery:
    """Queue the entry's failed deliveries again; each continues its attempt numbering.

    The requeue is one write that names the deliveries in the entry's outbox: the queue messages
    follow from it, so an accepted redelivery is never lost, and two at once requeue each delivery
    once (the second, computed again from the entry the first left, finds nothing failed: 409).
    """
    entry = logs.get_entry(org_id, log_id)
    try:
        written = write_from(entry, requeue, logs.requeue_deliveries)
    except EntryBusy as exc:
        raise Conflict("The entry is changing right now (its deliveries are being recorded); try again.") from exc
    if written is None:
        raise NothingToRedeliver()
    return Redelivery(log_id=log_id, requeued=[delivery_id(log_id, key) for key in written.outbox])
