"""What attempts and redeliveries do to an entry's deliveries: the delivery state machine.

    queued ── claim, attempt ──> delivered | retrying | failed
    retrying ── claim, attempt ──> delivered | retrying | failed
    failed ── redeliver ──> queued (its attempts count on)

Each function takes the entry as it was read and returns the entry as the write should leave it:
the deliveries' new states, the entry's status they make, and the deliveries the write leaves to
send (its outbox). They read nothing and write nothing; the entries store writes the change,
conditional on the version read (store/entries.py), and `write_from` computes it again from the
entry as it is when another write of its deliveries got there first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from lead_events import clock
from lead_events.logic.retry import is_retryable, next_delay
from lead_events.models.entries import DeliveryAttempt, DeliveryState, Entry
from lead_events.store.entries import EntryBusy, EntryChanged

if TYPE_CHECKING:  # the HTTP client stays out of the functions that only read entries (cold start)
    from lead_events.http.client import Outcome

# How often a change is computed again after another write of the same entry changed it first
# (each time means another write succeeded).
VERSION_TRIES = 8


def entry_status(deliveries: Mapping[str, DeliveryState]) -> str:
    """The entry's status from its deliveries': the first of failed, retrying, queued that one has."""
    statuses = {d.status for d in deliveries.values()}
    if not statuses:
        return "no_postbacks"
    for status in ("failed", "retrying", "queued"):
        if status in statuses:
            return status
    return "delivered"


@dataclass(frozen=True)
class Answer:
    """An attempt made at a delivery, and the status it leaves the delivery in."""

    attempt: DeliveryAttempt
    status: str  # delivered, retrying or failed
    next_attempt_at: str | None = None  # when the retry is due (retrying only)


def answer_of(attempt: DeliveryAttempt, outcome: Outcome, schedule: Sequence[float], started: float) -> Answer:
    """What an attempt made at `started` (epoch seconds) leaves its delivery in.

    Delivered on success. Retrying on an answer worth another try (no answer, 429, 5xx) while the
    schedule lasts, due after its next step and never before the receiver's Retry-After. Failed
    otherwise, and on a refused destination.
    """
    delay = None
    if outcome.ok:
        status = "delivered"
    elif outcome.final or not is_retryable(outcome.status_code):
        status = "failed"
    else:
        delay = next_delay(schedule, attempt.number, outcome.retry_after)
        status = "failed" if delay is None else "retrying"
    return Answer(attempt, status, clock.iso(started + delay) if delay is not None else None)


def record(entry: Entry, answers: Sequence[Answer]) -> Entry | None:
    """The entry with these attempts recorded; None when there is nothing to record.

    An attempt is recorded once: one whose delivery has counted it already (a message that came
    back after its record), or that the entry does not have, changes nothing. Each recorded
    delivery takes its attempt's answer and number and lets go of its claim; its retry goes in the
    outbox.
    """
    due = [
        a
        for a in answers
        if a.attempt.delivery_id in entry.deliveries
        and entry.deliveries[a.attempt.delivery_id].attempts < a.attempt.number
    ]
    if not due:
        return None
    deliveries = dict(entry.deliveries)
    for answer in due:
        key = answer.attempt.delivery_id
        deliveries[key] = replace(
            deliveries[key],
            status=answer.status,
            attempts=answer.attempt.number,
            last_status_code=answer.attempt.status_code,
            error=answer.attempt.error,
            error_detail=answer.attempt.error_detail,
            next_attempt_at=answer.next_attempt_at,
            claim_until=None,
        )
    return replace(
        entry,
        deliveries=deliveries,
        status=entry_status(deliveries),
        last_status_code=due[-1].attempt.status_code,
        outbox=tuple(a.attempt.delivery_id for a in due if a.status == "retrying"),
    )


def requeue(entry: Entry) -> Entry | None:
    """The entry with its failed deliveries queued again, in its outbox; None when none has failed."""
    failed = sorted(key for key, state in entry.deliveries.items() if state.status == "failed")
    if not failed:
        return None
    deliveries = {
        key: replace(state, status="queued") if key in failed else state for key, state in entry.deliveries.items()
    }
    return replace(entry, deliveries=deliveries, status=entry_status(deliveries), outbox=tuple(failed))


def write_from(
    entry: Entry, change: Callable[[Entry], Entry | None], write: Callable[[Entry, Entry], Entry]
) -> Entry | None:
    """Write what `change` makes of `entry` (`write(seen, new)`); the entry as written, None when there was nothing to.

    When another write changed the entry first (EntryChanged), the change is made again of the
    entry as that write left it. EntryBusy when it kept changing.
    """
    for _ in range(VERSION_TRIES):
        new = change(entry)
        if new is None:
            return None
        try:
            return write(entry, new)
        except EntryChanged as exc:
            entry = exc.current
    raise EntryBusy(f"entry {entry.log_id} kept changing while its deliveries were written")
