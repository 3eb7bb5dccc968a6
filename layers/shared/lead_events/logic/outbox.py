"""The outbox relay: the logs table's stream records of writes that left deliveries to send, as queue messages.

Lambda hands the relay, in order, the stream records its filter lets through (an `outbox` in the
new image; store/entries.py). Each delivery named there becomes one message `{org_id, log_id,
delivery_id, attempt, not_before?}`, delayed until its attempt is due (SQS delays at most 15
minutes; the dispatcher hops the rest). The batch's messages go out ten at a time whatever record
they come from; a record whose messages were not all accepted is reported failed, and Lambda hands
it (and the records after it) over again. A message sent twice is harmless: the dispatcher's claim
lets one attempt through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lead_events import clock
from lead_events.models.entries import Entry
from lead_events.observability import logger
from lead_events.store.entry_items import outbox_entry
from lead_events.store.queue import DeliveryQueue


@dataclass(frozen=True)
class DueDelivery:
    """A delivery a write left to send: its next attempt, and when it is due (None: at once)."""

    org_id: str
    log_id: str
    delivery_id: str
    attempt: int
    not_before: float | None


def outbox_of(entry: Entry) -> list[DueDelivery]:
    """The deliveries the write that made this version of the entry named in its outbox.

    A delivery's next attempt continues its numbering (a redelivery's too); a retry is due at its
    `next_attempt_at`, anything else at once. KeyError for a delivery the entry does not have.
    """
    due = []
    for key in entry.outbox:
        delivery = entry.deliveries[key]
        retry_at = delivery.next_attempt_at if delivery.status == "retrying" else None
        due.append(
            DueDelivery(
                org_id=entry.org_id,
                log_id=entry.log_id,
                delivery_id=key,
                attempt=delivery.attempts + 1,
                not_before=clock.epoch(retry_at) if retry_at else None,
            )
        )
    return due


def message(due: DueDelivery) -> dict[str, Any]:
    """The queue message for a due delivery (the dispatcher's input)."""
    body: dict[str, Any] = {
        "org_id": due.org_id,
        "log_id": due.log_id,
        "delivery_id": due.delivery_id,
        "attempt": due.attempt,
    }
    if due.not_before is not None:
        body["not_before"] = round(due.not_before, 3)
    return body


def relay(records: list[dict[str, Any]], queue: DeliveryQueue) -> list[str]:
    """Queue the deliveries the records name; the sequence numbers of the records that must be retried."""
    now = clock.now()
    pending: list[tuple[str, dict[str, Any], float]] = []
    for record in records:
        sequence = str((record.get("dynamodb") or {}).get("SequenceNumber", ""))
        try:
            due = outbox_of(outbox_entry(record["dynamodb"]["NewImage"]))
        except (KeyError, TypeError, ValueError, AttributeError):
            # Not an entry with an outbox: nothing to relay, and retrying it cannot change that.
            logger.error("A stream record that names no deliveries was handed over", extra={"sequence": sequence})
            continue
        pending += [(sequence, message(d), max((d.not_before or now) - now, 0.0)) for d in due]
    queued = queue.send([(body, delay) for _, body, delay in pending])
    failed = list(dict.fromkeys(sequence for (sequence, _, _), ok in zip(pending, queued, strict=True) if not ok))
    if failed:
        logger.warning("Some deliveries could not be queued; Lambda retries their records", extra={"records": failed})
    return failed
