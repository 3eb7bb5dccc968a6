"""Delivering a batch of queued postbacks: each delivery claimed, fired and recorded on its own.

Every message of the batch goes through at once, at most POOL_SIZE at a time on the pooled HTTP
session, in three steps that wait for nothing but themselves:

1. claim: a conditional write takes the delivery for this attempt until the invocation ends, only
   if it is due (pending, exactly `attempt - 1` attempts made) and nobody else holds it;
2. the request, bounded in wall-clock time (http/client.py);
3. the record, the moment its answer is in (store/logs.py `record_attempt`): the attempt, and the
   delivery's new state in the entry, with its retry named in the entry's outbox in that same
   write, so the retry's message follows from the record whatever happens next.

The record of a delivery is conditional on its entry's version (the entry's status depends on all
its deliveries), so the deliveries of one entry in the batch — a trigger with many postbacks —
write their records one after the other, each from the entry as the previous one left it: a
record waits at most for a sibling's write, never for its request, and does not lose a race to it.

So a duplicate or stale SQS message never fires a delivery that has succeeded and never repeats an
attempt that was recorded; a crash at any point leaves the delivery claimed until the invocation's
end at most, and its message comes back after the visibility timeout to finish the work.

A request starts only while enough of the invocation is left to finish it and record it; a
message there is no time left for goes back to the queue as it was, with no attempt used.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lead_events import clock
from lead_events.errors import NotFound
from lead_events.http.client import POOL_SIZE, Outcome, request_bound, send
from lead_events.logic.deliveries import delivery_id
from lead_events.logic.retry import is_retryable, next_delay
from lead_events.logic.signing import signature_headers
from lead_events.observability import logger
from lead_events.store.logs import AttemptRecord, LogStore
from lead_events.store.postbacks import PostbackStore
from lead_events.store.queue import DeliveryQueue

# The threads live as long as the container, so a warm dispatcher starts none.
_pool = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="delivery")

# What a delivery's record takes after its request, at most (its DynamoDB writes, with their retries).
RECORD_SECONDS = 3
# How long a claim lasts when the invocation's remaining time is not known (tests, tools).
DEFAULT_LEASE_SECONDS = 60

# What was done (deferred, requeued, late, skipped, delivered, retrying, failed), or why it could not be.
Result = str | Exception


@dataclass
class _Work:
    """One message of the batch, as it goes through the steps."""

    message: dict[str, Any]
    org_id: str
    log_id: str
    key: str  # the delivery within its entry
    attempt: int
    result: Result | None = None

    @classmethod
    def of(cls, message: dict[str, Any]) -> _Work:
        """Raises KeyError, TypeError or ValueError for a message that does not name a delivery."""
        org_id, log_id, key = (str(message[k]) for k in ("org_id", "log_id", "delivery_id"))
        return cls(message, org_id, log_id, key, int(message.get("attempt", 1)))


@dataclass
class _Entry:
    """The batch's records of one entry: written one at a time, each from the newest entry seen."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latest: dict[str, Any] | None = None  # the entry as the batch's last record of it left it

    def newest(self, claimed: dict[str, Any]) -> dict[str, Any]:
        """The claim's entry, or the one a sibling's record left if that is newer (claims add no version)."""
        if self.latest is not None and self.latest["version"] > claimed["version"]:
            return self.latest
        return claimed


@dataclass
class Dispatcher:
    logs: LogStore
    postbacks: PostbackStore
    queue: DeliveryQueue
    schedule: tuple[float, ...]
    retention_days: int
    auto_disable_after: int = 0

    def deliver_batch(self, messages: list[dict[str, Any]], seconds_left: float | None = None) -> list[Result]:
        """Handle a batch of queue messages; one result per message, in order.

        `seconds_left`: the invocation's remaining time. Claims last until it ends; no request
        starts once less than a request's bound and its record are left.
        """
        works: list[_Work | Exception] = []
        for message in messages:
            try:
                works.append(_Work.of(message))
            except (KeyError, TypeError, ValueError) as exc:
                works.append(ValueError(f"Not a delivery message ({type(exc).__name__}: {exc})."))
        live = [w for w in works if isinstance(w, _Work)]
        self._defer_early(live)
        lease = seconds_left if seconds_left is not None else DEFAULT_LEASE_SECONDS
        claim_until = clock.now() + lease
        start_by = None if seconds_left is None else time.monotonic() + seconds_left - request_bound() - RECORD_SECONDS
        entries: dict[tuple[str, str], _Entry] = {}
        for w in live:
            entries.setdefault((w.org_id, w.log_id), _Entry())
        wait(
            [
                _pool.submit(self._deliver, w, entries[w.org_id, w.log_id], claim_until, start_by)
                for w in live
                if w.result is None
            ]
        )
        self._requeue_late([w for w in live if w.result == "late"])
        return [w if isinstance(w, Exception) else w.result or "skipped" for w in works]

    def _deliver(self, work: _Work, entry_records: _Entry, claim_until: float, start_by: float | None) -> None:
        """Claim, fire and record one delivery. Never raises: the work gets its result."""
        if start_by is not None and time.monotonic() > start_by:
            work.result = "late"
            return
        try:
            now = clock.now()
            entry = self.logs.claim(work.org_id, work.log_id, work.key, work.attempt, now, claim_until)
            if entry is None:
                work.result = "skipped"
                return
            delivery = entry["deliveries"][work.key]
            outcome = self._fire(work, delivery)
            record = self._attempt_record(work, entry, now, outcome)
            with entry_records.lock:
                record.entry = entry_records.newest(entry)
                entry_records.latest = self.logs.record_attempt(record) or entry_records.latest
            self._track_postback(work, delivery, record)
            work.result = str(record.changes["status"])
        except Exception as exc:  # this message fails alone; SQS hands it back
            logger.exception("Could not deliver", extra={"log_id": work.log_id, "delivery_id": work.key})
            work.result = exc

    def _attempt_record(self, work: _Work, entry: dict[str, Any], started: float, outcome: Outcome) -> AttemptRecord:
        changes: dict[str, Any] = {"last_status_code": outcome.status_code, "error": outcome.error}
        delay = None
        if outcome.ok:
            changes["status"] = "delivered"
        elif outcome.final or not is_retryable(outcome.status_code):
            changes["status"] = "failed"
        else:
            delay = next_delay(self.schedule, work.attempt, outcome.retry_after)
            changes["status"] = "failed" if delay is None else "retrying"
        changes["next_attempt_at"] = clock.iso(started + delay) if delay is not None else None
        return AttemptRecord(
            org_id=work.org_id,
            log_id=work.log_id,
            delivery_id=work.key,
            number=work.attempt,
            attempt={
                "at": clock.iso(started),
                "status_code": outcome.status_code,
                "elapsed_ms": outcome.elapsed_ms,
                "response_body": outcome.response_body,
                "error": outcome.error,
            },
            changes=changes,
            expires_at=int(started) + self.retention_days * 86400,
            entry=entry,
        )

    def _requeue_late(self, works: list[_Work]) -> None:
        """Messages there was no time left for go back to the queue as they were (no attempt used)."""
        if not works:
            return
        unqueued = self.queue.send_delayed([(w.message, 0) for w in works])
        for w in works:
            # SQS hands back a message that could not be re-queued; it comes back after its visibility timeout.
            late = w.message in unqueued
            w.result = RuntimeError("could not re-queue a delivery there was no time for") if late else "requeued"

    def _defer_early(self, works: list[_Work]) -> None:
        """SQS delays at most 15 minutes: wait out the rest of a longer backoff in further hops."""
        now = clock.now()
        early = [w for w in works if float(w.message.get("not_before") or 0) - now > 1]
        if not early:
            return
        unqueued = self.queue.send_delayed([(w.message, float(w.message["not_before"]) - now) for w in early])
        for w in early:
            # SQS hands back a message that could not be re-queued; it is deferred again then.
            w.result = RuntimeError("could not re-queue a deferred delivery") if w.message in unqueued else "deferred"

    @staticmethod
    def _tracked(delivery: dict[str, Any]) -> bool:
        return delivery.get("kind") == "event" and bool(delivery.get("postback_id"))

    def _track_postback(self, work: _Work, delivery: dict[str, Any], record: AttemptRecord) -> None:
        """Keep the event postback's run of failures; it disables itself after `auto_disable_after`.

        A success writes the postback only when it may end a run: a retry or redelivery, or a first
        attempt whose postback was failing when the trigger rendered it (a run that began after
        that is ended by the next success of a delivery triggered since).
        """
        if not self._tracked(delivery):
            return
        status = record.changes["status"]
        if status == "delivered" and (work.attempt > 1 or bool(delivery.get("failing", True))):
            self.postbacks.note_success(work.org_id, delivery["event"], delivery["postback_id"])
        elif status == "failed":
            self.postbacks.note_final_failure(
                work.org_id, delivery["event"], delivery["postback_id"], self.auto_disable_after, clock.iso(clock.now())
            )

    def _fire(self, work: _Work, delivery: dict[str, Any]) -> Outcome:
        webhook_id = delivery_id(work.log_id, work.key)
        headers = dict(delivery.get("headers") or {})
        body = delivery.get("body")
        if delivery.get("signed") and delivery.get("method") == "POST":
            try:
                secret = self.postbacks.get_raw(work.org_id, delivery["event"], delivery["postback_id"])[
                    "signing_secret"
                ]
            except (NotFound, KeyError):
                return Outcome(False, None, 0, None, "The postback was deleted or lost its signing secret.", final=True)
            headers |= signature_headers(secret, webhook_id, datetime.now(UTC), body or "")
        return send(
            delivery["method"], delivery["url"], headers, body, delivery.get("success_match"), delivery_id=webhook_id
        )
