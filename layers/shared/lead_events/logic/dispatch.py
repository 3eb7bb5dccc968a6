"""Delivering one queued postback: claim it, fire it, record the attempt, schedule what comes next.

Every state change is conditional (see store/logs.py), so a duplicate or stale SQS message never
fires a delivery that has succeeded, and never repeats an attempt that was recorded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lead_events.errors import NotFound
from lead_events.http.client import Outcome, send
from lead_events.logic.retry import is_retryable, next_delay
from lead_events.logic.signing import signature_headers
from lead_events.store.logs import LogStore
from lead_events.store.postbacks import PostbackStore
from lead_events.store.queue import MAX_SQS_DELAY, DeliveryQueue


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Dispatcher:
    logs: LogStore
    postbacks: PostbackStore
    queue: DeliveryQueue
    schedule: tuple[float, ...]
    retention_days: int
    auto_disable_after: int = 0
    lease_seconds: float = 60

    def deliver(self, message: dict[str, Any]) -> str:
        """Handle one queue message; returns what was done (deferred, skipped, delivered, retrying, failed)."""
        org_id, log_id, delivery_id = message["org_id"], message["log_id"], message["delivery_id"]
        attempt = int(message.get("attempt", 1))
        now = time.time()
        not_before = float(message.get("not_before") or 0)
        if not_before - now > 1:
            # SQS delays at most 15 minutes: wait out the rest of a longer backoff in further hops.
            self._enqueue(message, not_before - now)
            return "deferred"

        entry = self.logs.claim(org_id, log_id, delivery_id, attempt, now, self.lease_seconds)
        if entry is None:
            return "skipped"
        delivery = entry["deliveries"][delivery_id]
        outcome = self._fire(org_id, log_id, delivery_id, delivery)

        changes: dict[str, Any] = {"last_status_code": outcome.status_code, "error": outcome.error}
        delay = None
        if outcome.ok:
            changes["status"] = "delivered"
        elif outcome.final or not is_retryable(outcome.status_code):
            changes["status"] = "failed"
        else:
            delay = next_delay(self.schedule, attempt, outcome.retry_after)
            changes["status"] = "failed" if delay is None else "retrying"
        changes["next_attempt_at"] = _iso(now + delay) if delay is not None else None
        record = {
            "at": _iso(now),
            "status_code": outcome.status_code,
            "elapsed_ms": outcome.elapsed_ms,
            "response_body": outcome.response_body,
            "error": outcome.error,
        }
        expires_at = int(now) + self.retention_days * 86400
        self.logs.record_attempt(org_id, log_id, delivery_id, attempt, record, changes, expires_at)
        self._track_postback(org_id, delivery, changes["status"])
        if delay is not None:
            retry = {
                "org_id": org_id,
                "log_id": log_id,
                "delivery_id": delivery_id,
                "attempt": attempt + 1,
                "not_before": round(now + delay, 3),
            }
            if self.queue.send([retry], delay_seconds=int(min(delay, MAX_SQS_DELAY))):
                self.logs.mark_unqueued(org_id, log_id, [delivery_id], "The retry could not be queued; redeliver it.")
        return str(changes["status"])

    def _track_postback(self, org_id: str, delivery: dict[str, Any], status: str) -> None:
        """Keep the event postback's run of failures; it disables itself after `auto_disable_after`."""
        if delivery.get("kind") != "event" or not delivery.get("postback_id"):
            return
        if status == "delivered":
            self.postbacks.note_success(org_id, delivery["event"], delivery["postback_id"])
        elif status == "failed":
            self.postbacks.note_final_failure(
                org_id, delivery["event"], delivery["postback_id"], self.auto_disable_after, _iso(time.time())
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
        return send(delivery["method"], delivery["url"], headers, body, delivery.get("success_match"))

    def _enqueue(self, message: dict[str, Any], delay: float) -> None:
        if self.queue.send([message], delay_seconds=int(min(delay, MAX_SQS_DELAY))):
            raise RuntimeError("could not re-queue a deferred delivery")  # SQS will hand the message back
