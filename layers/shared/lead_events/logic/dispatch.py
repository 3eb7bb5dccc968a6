"""Delivering a batch of queued postbacks: each entry's deliveries claimed, fired and recorded together.

The batch's entries go through at once, at most POOL_SIZE at a time, and their requests share the
pooled HTTP session, at most POOL_SIZE at a time: a slow receiver holds one slot, never the batch,
and an entry is recorded as soon as its own requests are answered. An entry's deliveries are
claimed in one conditional write and recorded in one transaction (store/logs.py
`record_attempts`); when that is cancelled (a duplicate or stale message, a concurrent change to
the entry) each is recorded on its own, where every write is conditional as well. So a duplicate
or stale SQS message never fires a delivery that has succeeded, and never repeats an attempt that
was recorded.

An entry is not started once too little of the invocation's time is left for a request and its
record: its messages go back to the queue (not counted as a failure) and the batch ends in time.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lead_events.errors import NotFound
from lead_events.http.client import CONNECT_TIMEOUT, POOL_SIZE, READ_TIMEOUT, Outcome, send
from lead_events.logic.retry import is_retryable, next_delay
from lead_events.logic.signing import signature_headers
from lead_events.observability import logger
from lead_events.store.logs import AttemptRecord, LogStore
from lead_events.store.postbacks import PostbackStore
from lead_events.store.queue import DeliveryQueue

# The threads live as long as the container, so a warm dispatcher starts none: one per pooled
# connection for the requests, and as many for the entries (claim, wait for the requests, record).
_pool = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="delivery")
_entries = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="entry")

# An entry starts only while this much of the invocation is left: its longest request, and its record.
RESERVE_SECONDS = CONNECT_TIMEOUT + READ_TIMEOUT + 2

# What was done (deferred, requeued, skipped, delivered, retrying, failed), or why it could not be.
Result = str | Exception


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _Work:
    """One message of the batch, as it goes through the steps."""

    message: dict[str, Any]
    org_id: str
    log_id: str
    delivery_id: str
    attempt: int
    now: float
    result: Result | None = None
    entry: dict[str, Any] | None = None  # as the claim returned it
    record: AttemptRecord | None = None
    delay: float | None = None

    @classmethod
    def of(cls, message: dict[str, Any]) -> _Work:
        """Raises KeyError, TypeError or ValueError for a message that does not name a delivery."""
        org_id, log_id, delivery_id = (str(message[k]) for k in ("org_id", "log_id", "delivery_id"))
        return cls(message, org_id, log_id, delivery_id, int(message.get("attempt", 1)), time.time())

    @property
    def delivery(self) -> dict[str, Any]:
        assert self.record is not None
        return dict(self.record.entry["deliveries"][self.delivery_id])


@dataclass
class Dispatcher:
    logs: LogStore
    postbacks: PostbackStore
    queue: DeliveryQueue
    schedule: tuple[float, ...]
    retention_days: int
    auto_disable_after: int = 0
    lease_seconds: float = 60

    def deliver_batch(self, messages: list[dict[str, Any]], seconds_left: float | None = None) -> list[Result]:
        """Handle a batch of queue messages; one result per message, in order.

        `seconds_left`: the invocation's remaining time. No entry starts after the later of the
        moment that leaves RESERVE_SECONDS and half of it; those messages are re-queued.
        """
        works: list[_Work | Exception] = []
        for message in messages:
            try:
                works.append(_Work.of(message))
            except (KeyError, TypeError, ValueError) as exc:
                works.append(ValueError(f"Not a delivery message ({type(exc).__name__}: {exc})."))
        live = [w for w in works if isinstance(w, _Work)]
        self._defer_early(live)
        due: dict[tuple[str, str], list[_Work]] = {}
        for w in live:
            if w.result is None:
                due.setdefault((w.org_id, w.log_id), []).append(w)
        deadline = None
        if seconds_left is not None:
            deadline = time.monotonic() + max(seconds_left - RESERVE_SECONDS, seconds_left / 2)
        wait([_entries.submit(self._deliver_entry, entry_works, deadline) for entry_works in due.values()])
        self._requeue_late([w for w in live if w.result == "late"])
        fired = [w for w in live if w.record is not None and not isinstance(w.result, Exception)]
        self._schedule_retries([w for w in fired if w.delay is not None])
        return [w if isinstance(w, Exception) else w.result or "skipped" for w in works]

    def _deliver_entry(self, works: list[_Work], deadline: float | None) -> None:
        """One entry's deliveries of the batch: claim, fire, record. Never raises: each work gets its result."""
        if deadline is not None and time.monotonic() > deadline:
            for w in works:
                w.result = "late"
            return
        try:
            self._claim(works)
            claimed = [w for w in works if w.entry is not None]
            wait([_pool.submit(self._fire_one, w) for w in claimed])
            self._record([w for w in claimed if w.result is None and w.record is not None])
        except Exception as exc:  # not expected: each step catches its own; these messages come back
            logger.exception("Could not deliver an entry", extra={"log_id": works[0].log_id})
            for w in works:
                if w.result is None:
                    w.result = exc

    def _requeue_late(self, works: list[_Work]) -> None:
        """Entries there was no time left for: their messages go back to the queue as they were."""
        if not works:
            return
        unqueued = self.queue.send_delayed([(w.message, 0) for w in works])
        for w in works:
            # SQS hands back a message that could not be re-queued; it comes back after its visibility timeout.
            late = w.message in unqueued
            w.result = RuntimeError("could not re-queue a delivery there was no time for") if late else "requeued"

    def _defer_early(self, works: list[_Work]) -> None:
        """SQS delays at most 15 minutes: wait out the rest of a longer backoff in further hops."""
        early = [w for w in works if float(w.message.get("not_before") or 0) - w.now > 1]
        if not early:
            return
        unqueued = self.queue.send_delayed([(w.message, float(w.message["not_before"]) - w.now) for w in early])
        for w in early:
            # SQS hands back a message that could not be re-queued; it is deferred again then.
            w.result = RuntimeError("could not re-queue a deferred delivery") if w.message in unqueued else "deferred"

    def _claim(self, works: list[_Work]) -> None:
        """Claim one entry's deliveries: together in one write when they all are due, else one by one."""
        first = works[0]
        if len(works) > 1 and len({w.delivery_id for w in works}) == len(works):
            try:
                entry = self.logs.claim_together(
                    first.org_id,
                    first.log_id,
                    [(w.delivery_id, w.attempt) for w in works],
                    first.now,
                    self.lease_seconds,
                )
            except Exception:
                entry = None  # each claim below fails or succeeds on its own
            if entry is not None:
                for w in works:
                    w.entry = entry
                return
        for w in works:
            try:
                w.entry = self.logs.claim(w.org_id, w.log_id, w.delivery_id, w.attempt, w.now, self.lease_seconds)
            except Exception as exc:  # this message fails alone; SQS hands it back
                logger.exception("Could not claim a delivery", extra={"log_id": w.log_id})
                w.result = exc
                continue
            if w.entry is None:
                w.result = "skipped"

    def _fire_one(self, work: _Work) -> None:
        entry = work.entry
        assert entry is not None
        try:
            delivery = entry["deliveries"][work.delivery_id]
            outcome = self._fire(work.org_id, work.log_id, work.delivery_id, delivery)
        except Exception as exc:  # this message fails alone; SQS hands it back
            logger.exception("Delivery failed", extra={"log_id": work.log_id, "delivery_id": work.delivery_id})
            work.result = exc
            return
        changes: dict[str, Any] = {"last_status_code": outcome.status_code, "error": outcome.error}
        if outcome.ok:
            changes["status"] = "delivered"
        elif outcome.final or not is_retryable(outcome.status_code):
            changes["status"] = "failed"
        else:
            work.delay = next_delay(self.schedule, work.attempt, outcome.retry_after)
            changes["status"] = "failed" if work.delay is None else "retrying"
        changes["next_attempt_at"] = _iso(work.now + work.delay) if work.delay is not None else None
        work.record = AttemptRecord(
            org_id=work.org_id,
            log_id=work.log_id,
            delivery_id=work.delivery_id,
            number=work.attempt,
            attempt={
                "at": _iso(work.now),
                "status_code": outcome.status_code,
                "elapsed_ms": outcome.elapsed_ms,
                "response_body": outcome.response_body,
                "error": outcome.error,
            },
            changes=changes,
            expires_at=int(work.now) + self.retention_days * 86400,
            entry=entry,
        )

    def _record(self, works: list[_Work]) -> None:
        if not works:
            return
        # One entry's works: one organization.
        resets = {
            (w.delivery["event"], w.delivery["postback_id"])
            for w in works
            if w.record and w.record.changes["status"] == "delivered" and self._ends_a_run(w)
        }
        try:
            together = self.logs.record_attempts(
                [w.record for w in works if w.record], self.postbacks.success_updates(works[0].org_id, sorted(resets))
            )
        except Exception:
            logger.warning(
                "Could not record the entry's attempts in one transaction; recording one by one", exc_info=True
            )
            together = False
        for w in works:
            assert w.record is not None
            try:
                if not together:
                    self.logs.record_attempt(w.record)
                self._track_postback(w, reset_done=together)
                w.result = str(w.record.changes["status"])
            except Exception as exc:
                logger.exception("Could not record a delivery", extra={"log_id": w.log_id})
                w.result = exc

    @staticmethod
    def _tracked(delivery: dict[str, Any]) -> bool:
        return delivery.get("kind") == "event" and bool(delivery.get("postback_id"))

    def _ends_a_run(self, work: _Work) -> bool:
        """Whether this delivery's success may end its postback's run of failures (and so must write it).

        A first attempt only if its postback was failing when the trigger rendered it: a run that
        began after that is ended by the next success of a delivery triggered since, or of any retry
        or redelivery (an entry rendered before this field existed counts as failing).
        """
        delivery = work.delivery
        return self._tracked(delivery) and (work.attempt > 1 or bool(delivery.get("failing", True)))

    def _track_postback(self, work: _Work, reset_done: bool) -> None:
        """Keep the event postback's run of failures; it disables itself after `auto_disable_after`."""
        delivery, status = work.delivery, work.record.changes["status"] if work.record else None
        if not self._tracked(delivery):
            return
        if status == "delivered" and not reset_done and self._ends_a_run(work):
            self.postbacks.note_success(work.org_id, delivery["event"], delivery["postback_id"])
        elif status == "failed":
            self.postbacks.note_final_failure(
                work.org_id, delivery["event"], delivery["postback_id"], self.auto_disable_after, _iso(time.time())
            )

    def _schedule_retries(self, works: list[_Work]) -> None:
        if not works:
            return
        retries = [
            (
                {
                    "org_id": w.org_id,
                    "log_id": w.log_id,
                    "delivery_id": w.delivery_id,
                    "attempt": w.attempt + 1,
                    "not_before": round(w.now + (w.delay or 0), 3),
                },
                w.delay or 0,
            )
            for w in works
        ]
        unqueued = self.queue.send_delayed(retries)
        for w, (retry, _) in zip(works, retries, strict=True):
            if retry in unqueued:
                self.logs.mark_unqueued(
                    w.org_id, w.log_id, [w.delivery_id], "The retry could not be queued; redeliver it."
                )

    def _fire(self, org_id: str, log_id: str, delivery_id: str, delivery: dict[str, Any]) -> Outcome:
        headers = dict(delivery.get("headers") or {})
        body = delivery.get("body")
        if delivery.get("signed") and delivery.get("method") == "POST":
            try:
                secret = self.postbacks.get_raw(org_id, delivery["event"], delivery["postback_id"])["signing_secret"]
            except (NotFound, KeyError):
                return Outcome(False, None, 0, None, "The postback was deleted or lost its signing secret.", final=True)
            headers |= signature_headers(secret, f"{log_id}_{delivery_id}", datetime.now(UTC), body or "")
        return send(
            delivery["method"],
            delivery["url"],
            headers,
            body,
            delivery.get("success_match"),
            delivery_id=f"{log_id}_{delivery_id}",
        )
