"""Delivering a batch of queued postbacks: each delivery fired and recorded on its own, as soon as it can be.

The batch's messages are taken by entry (an entry's deliveries usually come together: a trigger
with several postbacks), and every entry goes through at once:

1. claim: one conditional write takes the entry's deliveries of the batch for their attempts until
   the invocation ends, only if each is due (pending, exactly `attempt - 1` attempts made) and
   nobody else holds it; if any is not, each is claimed on its own;
2. the requests, at most POOL_SIZE at a time on the pooled HTTP session, each bounded in
   wall-clock time (http/client.py): a slow receiver holds one slot and nothing else;
3. the record of each delivery, the moment its answer is in, by the entry's own thread, so the
   request's slot is free for the next request at once: its attempt item, then its new state
   (logic/delivery_state.py `record`) in the entry with its retry named in the entry's outbox in
   that same write, so the retry's message follows from the record whatever happens next. The
   entry's status depends on all its deliveries, so its records are conditional on its version
   (computed again from the entry as it is when another write came first): one write of the
   entry at a time, and the answers that come in meanwhile go together in the next (as do those
   that come in within COALESCE_SECONDS of each other while more are out). A record waits at most
   for a sibling's write, never for its request.

So a duplicate or stale SQS message never fires a delivery that has succeeded and never repeats an
attempt that was recorded; a crash at any point leaves the deliveries claimed until the
invocation's end at most, and their messages come back after the visibility timeout to finish.

A request starts only while enough of the invocation is left to finish it and record it. A message
there is no time left for goes back to the queue with no attempt used: as it was, when it was not
claimed; delayed until its claim has run out, when it was.

(Just over 300 lines on purpose: the steps above share the batch's deadline and its threads; what
an answer does to a delivery is logic/delivery_state.py's.)
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, wait
from contextvars import copy_context
from dataclasses import dataclass
from datetime import UTC, datetime
from queue import Empty, SimpleQueue
from typing import Any

from lead_events import clock
from lead_events.errors import LogNotFound, NotFound
from lead_events.http.client import POOL_SIZE, Outcome, request_bound, send
from lead_events.logic.deliveries import delivery_id
from lead_events.logic.delivery_state import Answer, answer_of, record, write_from
from lead_events.logic.signing import signature_headers
from lead_events.models.entries import DeliveryAttempt, DeliveryState, Entry
from lead_events.observability import logger
from lead_events.store.entries import EntryStore
from lead_events.store.postbacks import PostbackStore
from lead_events.store.queue import DeliveryQueue

MAX_BATCH = 100  # the most messages an invocation is handed (template.yaml: BatchSize)

# The threads live as long as the container, so a warm dispatcher starts none: one per pooled
# connection for the requests, and one per message of a batch (the template's BatchSize) for the
# entries, which mostly wait for their requests' answers and write their records.
_pool = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="delivery")
_entries = ThreadPoolExecutor(max_workers=MAX_BATCH, thread_name_prefix="entry")

# What a delivery's record takes after its request, at most (its DynamoDB writes, with their retries).
RECORD_SECONDS = 3
# How long a claim lasts when the invocation's remaining time is not known (tests, tools).
DEFAULT_LEASE_SECONDS = 60
# How long an entry's record waits for its siblings' answers still out, to go in one write with them.
COALESCE_SECONDS = 0.01

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
    entry: Entry | None = None  # as its claim returned it
    delay: float = 0  # for a message handed back: until its claim has run out

    @classmethod
    def of(cls, message: dict[str, Any]) -> _Work:
        """Raises KeyError, TypeError or ValueError for a message that does not name a delivery."""
        org_id, log_id, key = (str(message[k]) for k in ("org_id", "log_id", "delivery_id"))
        return cls(message, org_id, log_id, key, int(message.get("attempt", 1)))


@dataclass
class Dispatcher:
    logs: EntryStore
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
        groups: dict[tuple[str, str], list[_Work]] = {}
        for w in live:
            if w.result is None:
                groups.setdefault((w.org_id, w.log_id), []).append(w)
        # Each in a copy of the invocation's context, so what it logs carries the invocation's keys where
        # those are per context (the local stack runs invocations side by side: local/lambdas.py).
        wait(
            [
                _entries.submit(copy_context().run, self._deliver_entry, group, claim_until, start_by)
                for group in groups.values()
            ]
        )
        self._hand_back([w for w in live if w.result == "late"])
        return [w if isinstance(w, Exception) else w.result or "skipped" for w in works]

    def _deliver_entry(self, works: list[_Work], claim_until: float, start_by: float | None) -> None:
        """Claim one entry's deliveries of the batch, start their requests, record their answers.

        Never raises: each work gets its result.
        """
        if start_by is not None and time.monotonic() > start_by:
            for w in works:
                w.result = "late"
            return
        self._claim(works, claim_until)
        claimed = [w for w in works if w.entry is not None]
        answers: SimpleQueue[tuple[_Work, Answer | None]] = SimpleQueue()
        for w in claimed:
            _pool.submit(copy_context().run, self._fire_one, w, answers, claim_until, start_by)
        latest: Entry | None = None  # the entry as this batch's last record of it left it
        out = len(claimed)
        while out:
            group = [answers.get()]
            until = time.monotonic() + COALESCE_SECONDS
            while len(group) < out:
                try:
                    group.append(answers.get(timeout=max(until - time.monotonic(), 0)))
                except Empty:
                    break
            out -= len(group)
            answered = [(w, answer) for w, answer in group if answer is not None]
            if answered:
                latest = self._record(answered, latest) or latest

    def _record(self, answered: list[tuple[_Work, Answer]], latest: Entry | None) -> Entry | None:
        """Write answered deliveries of one entry; their results. The entry as written, if it was."""
        first = answered[0][0]
        answers = [answer for _, answer in answered]
        # A claim's entry, or a previous record's when that is newer.
        seen = [w.entry for w, _ in answered if w.entry is not None] + ([latest] if latest else [])
        newest = max(seen, key=lambda e: e.version)
        try:
            written = self._write_record(first.org_id, first.log_id, newest, answers)
        except Exception as exc:  # these messages fail; SQS hands them back
            logger.exception("Could not record deliveries", extra={"log_id": first.log_id})
            for w, _ in answered:
                w.result = exc
            return None
        for w, answer in answered:
            w.result = answer.status
            assert w.entry is not None  # only claimed deliveries are answered
            try:
                self._track_postback(w, w.entry.deliveries[w.key], answer.status)
            except Exception:  # the delivery is recorded: its postback's run of failures is only bookkeeping
                logger.exception("Could not update the postback's failures", extra={"log_id": w.log_id})
        return written

    def _write_record(self, org_id: str, log_id: str, entry: Entry, answers: list[Answer]) -> Entry | None:
        """The attempt items, then the deliveries' new states; the entry as written (None: nothing was).

        The attempt items first: a crash before the second write leaves the deliveries claimed but
        unrecorded, so their messages, back after the visibility timeout, make the attempts again
        (with the same webhook-ids) and overwrite the attempt items with what those requests got.
        A repeated record, finding the attempts counted in the entry, changes nothing.
        """
        self.logs.put_attempts(org_id, log_id, [a.attempt for a in answers])
        try:
            return write_from(entry, lambda seen: record(seen, answers), self.logs.record_deliveries)
        except LogNotFound:
            return None  # the entry is gone (expired): nothing to record into

    def _claim(self, works: list[_Work], claim_until: float) -> None:
        """Claim the works together when they can all be, else each on its own."""
        now = clock.now()
        first = works[0]
        if len(works) > 1 and len({w.key for w in works}) == len(works):
            try:
                entry = self.logs.claim_deliveries(
                    first.org_id, first.log_id, [(w.key, w.attempt) for w in works], now, claim_until
                )
            except Exception:
                entry = None  # each claim below fails or succeeds on its own
            if entry is not None:
                for w in works:
                    w.entry = entry
                return
        for w in works:
            try:
                w.entry = self.logs.claim_deliveries(w.org_id, w.log_id, [(w.key, w.attempt)], now, claim_until)
            except Exception as exc:  # this message fails alone; SQS hands it back
                logger.exception("Could not claim a delivery", extra={"log_id": w.log_id, "delivery_id": w.key})
                w.result = exc
                continue
            if w.entry is None:
                w.result = "skipped"

    def _fire_one(
        self,
        work: _Work,
        answers: SimpleQueue[tuple[_Work, Answer | None]],
        claim_until: float,
        start_by: float | None,
    ) -> None:
        """Fire one claimed delivery and hand its answer to its entry (None when there is none). Never raises."""
        answer = None
        try:
            if start_by is not None and time.monotonic() > start_by:
                work.result, work.delay = "late", max(claim_until - clock.now(), 0) + 1
            else:
                assert work.entry is not None
                started = clock.now()
                outcome = self._fire(work, work.entry.deliveries[work.key])
                answer = self._answer(work, started, outcome)
        except Exception as exc:  # this message fails alone; SQS hands it back
            logger.exception("Delivery failed", extra={"log_id": work.log_id, "delivery_id": work.key})
            work.result = exc
        finally:
            answers.put((work, answer))

    def _answer(self, work: _Work, started: float, outcome: Outcome) -> Answer:
        """The attempt made at `started`, and the status its outcome leaves the delivery in."""
        attempt = DeliveryAttempt(
            delivery_id=work.key,
            number=work.attempt,
            at=clock.iso(started),
            status_code=outcome.status_code,
            elapsed_ms=outcome.elapsed_ms,
            response_body=outcome.response_body,
            error=outcome.error,
            expires_at=clock.expiry(started, self.retention_days),
            error_detail=outcome.error_detail,
        )
        return answer_of(attempt, outcome, self.schedule, started)

    def _send_back(self, works: list[_Work], delays: list[float], done: str, failure: str) -> None:
        """Send the works' messages to the queue again (no attempt used): each result `done`, or the failure.

        SQS hands back a message that could not be sent again, after its visibility timeout.
        """
        queued = self.queue.send([(w.message, delay) for w, delay in zip(works, delays, strict=True)])
        for w, ok in zip(works, queued, strict=True):
            w.result = done if ok else RuntimeError(failure)

    def _hand_back(self, works: list[_Work]) -> None:
        """Messages there was no time left for go back to the queue (no attempt used)."""
        if works:
            self._send_back(
                works, [w.delay for w in works], "requeued", "could not re-queue a delivery there was no time for"
            )

    def _defer_early(self, works: list[_Work]) -> None:
        """SQS delays at most 15 minutes: wait out the rest of a longer backoff in further hops."""
        now = clock.now()
        early = [w for w in works if float(w.message.get("not_before") or 0) - now > 1]
        if early:  # one not sent on is deferred again when SQS hands it back
            delays = [float(w.message["not_before"]) - now for w in early]
            self._send_back(early, delays, "deferred", "could not re-queue a deferred delivery")

    @staticmethod
    def _tracked(delivery: DeliveryState) -> bool:
        return delivery.kind == "event" and bool(delivery.postback_id)

    def _track_postback(self, work: _Work, delivery: DeliveryState, status: str) -> None:
        """Keep the event postback's run of failures; it disables itself after `auto_disable_after`.

        A success writes the postback only when it may end a run: a retry or redelivery, or a first
        attempt whose postback was failing when the trigger rendered it (a run that began after
        that is ended by the next success of a delivery triggered since).
        """
        if not self._tracked(delivery):
            return
        event, postback_id = delivery.event or "", delivery.postback_id or ""
        if status == "delivered" and (work.attempt > 1 or delivery.failing):
            self.postbacks.note_success(work.org_id, event, postback_id)
        elif status == "failed":
            self.postbacks.note_final_failure(
                work.org_id, event, postback_id, self.auto_disable_after, clock.iso(clock.now())
            )

    def _fire(self, work: _Work, delivery: DeliveryState) -> Outcome:
        webhook_id = delivery_id(work.log_id, work.key)
        headers = dict(delivery.headers)
        body = delivery.body
        if delivery.signed and delivery.method == "POST":
            try:
                secret = self.postbacks.get(
                    work.org_id, delivery.event or "", delivery.postback_id or ""
                ).signing_secret
            except NotFound:
                secret = None
            if not secret:
                return Outcome(False, None, 0, None, "the postback was deleted or lost its signing secret", final=True)
            headers |= signature_headers(secret, webhook_id, datetime.now(UTC), body or "")
        return send(delivery.method, delivery.url, headers, body, delivery.success_match, delivery_id=webhook_id)
