"""In-memory stand-ins for what the delivery logic talks to: the entries store, the queue, the postbacks, the receivers.

Each keeps the contract of the real one (store/entries.py, store/queue.py, store/postbacks.py)
without DynamoDB or SQS: the entries' versions and conditional writes, claims that hold until they
run out, a queue that can refuse a message. So the logic's rules are checked here alone, fast;
tests/integration checks the real stores keep the same contract.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from lead_events.errors import LogNotFound, PostbackNotFound
from lead_events.http.client import Outcome
from lead_events.models.entries import DeliveryAttempt, DeliveryState, Entry
from lead_events.models.targets import PostbackTarget
from lead_events.store.entries import EntryChanged

ORG = "org-1"


def delivery(url: str = "https://receiver.example/pb", **state: Any) -> DeliveryState:
    """A delivery as the trigger renders it (an event postback, GET), with `state` over it."""
    values: dict[str, Any] = {
        "kind": "event",
        "postback_id": "pb1",
        "event": "sale",
        "method": "GET",
        "url": url,
        "headers": {},
        "body": None,
        "success_match": None,
        "signed": False,
        "failing": False,
        "status": "queued",
        "attempts": 0,
    }
    return DeliveryState(**values | state)


def entry(log_id: str = "log-1", **deliveries: DeliveryState) -> Entry:
    """A new entry with these deliveries, as the trigger writes it (all of them in its outbox)."""
    return Entry(
        org_id=ORG,
        log_id=log_id,
        event="sale",
        lead_id="L1",
        transaction_id="T1",
        campaign_id="c1",
        source="api",
        created_at="2026-11-26T10:00:00.000Z",
        status="queued" if deliveries else "no_postbacks",
        conversion=True,
        fields={},
        deliveries=deliveries,
        version=0,
        outbox=tuple(sorted(deliveries)),
    )


class FakeEntries:
    """The entries store: one entry per (org, log id), each write conditional as the real one's."""

    def __init__(self, *entries: Entry) -> None:
        self.entries = {(e.org_id, e.log_id): e for e in entries}
        self.attempts: dict[tuple[str, str, str, int], DeliveryAttempt] = {}
        self.conflicts = 0  # conditional writes refused because the entry had changed
        self._meanwhile: list[Callable[[], None]] = []
        self._lock = threading.RLock()

    def meanwhile(self, action: Callable[[], None]) -> None:
        """Run `action` right before the next conditional write of a delivery state: another writer got there first."""
        self._meanwhile.append(action)

    def get_entry(self, org_id: str, log_id: str) -> Entry:
        with self._lock:
            if (org_id, log_id) not in self.entries:
                raise LogNotFound(log_id)
            return self.entries[org_id, log_id]

    def get_with_attempts(self, org_id: str, log_id: str) -> tuple[Entry, list[DeliveryAttempt]]:
        with self._lock:
            found = self.get_entry(org_id, log_id)
            attempts = [a for (o, log, _, _), a in sorted(self.attempts.items()) if (o, log) == (org_id, log_id)]
            return found, attempts

    def claim_deliveries(
        self, org_id: str, log_id: str, attempts: list[tuple[str, int]], now: float, until: float
    ) -> Entry | None:
        with self._lock:
            current = self.entries.get((org_id, log_id))
            if current is None:
                return None
            for key, attempt in attempts:
                state = current.deliveries.get(key)
                if (
                    state is None
                    or state.status not in ("queued", "retrying")
                    or state.attempts != attempt - 1
                    or (state.claim_until is not None and state.claim_until >= now)
                ):
                    return None
            deliveries = dict(current.deliveries)
            for key, _ in attempts:
                deliveries[key] = replace(deliveries[key], claim_until=round(until, 3))
            claimed = replace(current, deliveries=deliveries, version=current.version + 1, outbox=())
            self.entries[org_id, log_id] = claimed
            return claimed

    def put_attempts(self, org_id: str, log_id: str, attempts: list[DeliveryAttempt]) -> None:
        with self._lock:
            for a in attempts:
                self.attempts[org_id, log_id, a.delivery_id, a.number] = a

    def _current(self, seen: Entry) -> Entry:
        """The entry, if it is still at `seen`'s version; else what the real store raises."""
        actions, self._meanwhile = self._meanwhile, []
        for action in actions:
            action()
        current = self.entries.get((seen.org_id, seen.log_id))
        if current is None:
            raise LogNotFound(seen.log_id)
        if current.version != seen.version:
            self.conflicts += 1
            raise EntryChanged(current)
        return current

    def record_deliveries(self, seen: Entry, new: Entry) -> Entry:
        with self._lock:
            current = self._current(seen)
            written = replace(
                current,
                deliveries=new.deliveries,
                status=new.status,
                last_status_code=new.last_status_code,
                outbox=new.outbox,
                version=current.version + 1,
            )
            self.entries[seen.org_id, seen.log_id] = written
            return written

    def requeue_deliveries(self, seen: Entry, new: Entry) -> Entry:
        with self._lock:
            current = self._current(seen)
            deliveries = dict(current.deliveries)
            for key in new.outbox:  # only the statuses of the deliveries it names, as the real write
                deliveries[key] = replace(deliveries[key], status=new.deliveries[key].status)
            written = replace(
                current, deliveries=deliveries, status=new.status, outbox=new.outbox, version=current.version + 1
            )
            self.entries[seen.org_id, seen.log_id] = written
            return written


class FakeQueue:
    """The postback queue: what was sent, with its delay; `refuse` decides which messages SQS turns down."""

    def __init__(self, refuse: Callable[[dict[str, Any]], bool] = lambda _: False) -> None:
        self.refuse = refuse
        self.sent: list[tuple[dict[str, Any], float]] = []

    def send(self, messages: list[tuple[dict[str, Any], float]]) -> list[bool]:
        queued = []
        for message, delay in messages:
            ok = not self.refuse(message)
            if ok:
                self.sent.append((message, delay))
            queued.append(ok)
        return queued


@dataclass
class FakePostbacks:
    """The postbacks' runs of failures, as calls; signing secrets by postback id."""

    secrets: dict[str, str] = field(default_factory=dict)
    successes: list[str] = field(default_factory=list)
    final_failures: list[str] = field(default_factory=list)

    def get(self, org_id: str, event: str, postback_id: str) -> PostbackTarget:
        if postback_id not in self.secrets:
            raise PostbackNotFound(event, postback_id)
        return PostbackTarget(url="https://receiver.example/", id=postback_id, signing_secret=self.secrets[postback_id])

    def note_success(self, org_id: str, event: str, postback_id: str) -> None:
        self.successes.append(postback_id)

    def note_final_failure(self, org_id: str, event: str, postback_id: str, threshold: int, now: str) -> bool:
        self.final_failures.append(postback_id)
        return False


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: str | None
    delivery_id: str  # the webhook-id the HTTP client sends


@dataclass
class Receivers:
    """The receivers' answers by URL (200 unless set), and every request made, as the dispatcher's `send`."""

    answers: dict[str, Outcome] = field(default_factory=dict)
    slow: dict[str, float] = field(default_factory=dict)  # seconds a receiver takes to answer, by URL
    requests: list[Request] = field(default_factory=list)

    def answer(self, url: str, status_code: int | None, error: str | None = None, **extra: Any) -> None:
        ok = status_code is not None and status_code < 300
        self.answers[url] = Outcome(ok, status_code, 12, "" if status_code else None, error, **extra)

    def send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: str | None,
        success_match: str | None,
        *,
        delivery_id: str,
    ) -> Outcome:
        self.requests.append(Request(method, url, headers, body, delivery_id))
        time.sleep(self.slow.get(url, 0))
        return self.answers.get(url, Outcome(True, 200, 12, "ok", None))
