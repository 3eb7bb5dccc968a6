"""The delivery state machine on its own: what an attempt's answer and a redelivery make of an entry.

Pure functions over entries (logic/delivery_state.py), checked without any store; the version
conflict is the fake store's (tests/logic/fakes.py), which refuses a write as DynamoDB would.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from lead_events import clock
from lead_events.http.client import Outcome
from lead_events.logic.delivery_state import (
    VERSION_TRIES,
    Answer,
    answer_of,
    entry_status,
    record,
    requeue,
    write_from,
)
from lead_events.models.entries import DeliveryAttempt, Entry
from lead_events.store.entries import EntryBusy
from tests.logic.fakes import FakeEntries, delivery, entry


def _answer(key: str, number: int, status: str, code: int | None, next_attempt_at: str | None = None) -> Answer:
    attempt = DeliveryAttempt(
        delivery_id=key,
        number=number,
        at="2026-11-26T10:00:01.000Z",
        status_code=code,
        elapsed_ms=12,
        response_body="",
        error=None if code and code < 300 else "HTTP error",
        expires_at=0,
    )
    return Answer(attempt, status, next_attempt_at)


def _claimed(e: Entry) -> Entry:
    """The entry as a dispatcher's claim of all its deliveries leaves it."""
    return replace(
        e,
        deliveries={k: replace(d, claim_until=1.0e9) for k, d in e.deliveries.items()},
        version=e.version + 1,
        outbox=(),
    )


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "no_postbacks"),
        (["delivered"], "delivered"),
        (["delivered", "delivered"], "delivered"),
        (["queued", "delivered"], "queued"),
        (["retrying", "queued"], "retrying"),
        (["failed", "delivered"], "failed"),
        (["failed", "retrying"], "failed"),
    ],
)
def test_an_entrys_status_is_its_worst_deliverys(statuses: list[str], expected: str) -> None:
    assert entry_status({str(i): delivery(status=s) for i, s in enumerate(statuses)}) == expected


STARTED = 1_795_000_000.0
SCHEDULE = (60.0, 300.0)


@pytest.mark.parametrize(
    ("outcome", "number", "status", "due_in"),
    [
        (Outcome(True, 200, 5, "ok", None), 1, "delivered", None),
        (Outcome(False, 400, 5, "", "HTTP 400"), 1, "failed", None),  # the receiver refused it: final
        (Outcome(False, 503, 5, "", "HTTP 503"), 1, "retrying", (48, 72)),  # the schedule's first step, ±20 %
        (Outcome(False, None, 5, None, "timed out"), 2, "retrying", (240, 360)),
        (Outcome(False, 429, 5, "", "HTTP 429", retry_after=3600), 1, "retrying", (3600, 3600)),  # never sooner
        (Outcome(False, 503, 5, "", "HTTP 503"), 3, "failed", None),  # the schedule is spent
        (Outcome(False, None, 0, None, "refused destination", final=True), 1, "failed", None),
    ],
)
def test_what_an_attempts_outcome_leaves_its_delivery_in(
    outcome: Outcome, number: int, status: str, due_in: tuple[float, float] | None
) -> None:
    answer = answer_of(_answer("a", number, "?", outcome.status_code).attempt, outcome, SCHEDULE, STARTED)

    assert answer.status == status
    if due_in is None:
        assert answer.next_attempt_at is None
    else:
        assert answer.next_attempt_at is not None
        assert due_in[0] <= clock.epoch(answer.next_attempt_at) - STARTED <= due_in[1] + 0.001


def test_a_success_delivers_the_delivery_lets_go_of_its_claim_and_leaves_nothing_to_send() -> None:
    claimed = _claimed(entry(a=delivery()))

    new = record(claimed, [_answer("a", 1, "delivered", 200)])

    assert new is not None
    assert (new.status, new.last_status_code, new.outbox) == ("delivered", 200, ())
    a = new.deliveries["a"]
    assert (a.status, a.attempts, a.last_status_code, a.error, a.claim_until) == ("delivered", 1, 200, None, None)
    assert new.version == claimed.version  # the store adds to it when it writes


def test_a_retry_is_named_in_the_outbox_with_when_it_is_due() -> None:
    claimed = _claimed(entry(a=delivery(), b=delivery()))

    new = record(claimed, [_answer("a", 1, "retrying", 503, "2026-11-26T10:01:01.000Z")])

    assert new is not None
    assert (new.status, new.outbox) == ("retrying", ("a",))
    assert (new.deliveries["a"].status, new.deliveries["a"].next_attempt_at) == ("retrying", "2026-11-26T10:01:01.000Z")
    assert new.deliveries["b"] == claimed.deliveries["b"]  # a sibling not answered yet keeps its state and claim


def test_a_final_failure_fails_the_entry_whatever_its_other_deliveries_did() -> None:
    claimed = _claimed(entry(a=delivery(), b=delivery()))

    new = record(claimed, [_answer("a", 1, "delivered", 200), _answer("b", 1, "failed", 400)])

    assert new is not None
    assert (new.status, new.outbox, new.last_status_code) == ("failed", (), 400)
    assert [d.status for _, d in sorted(new.deliveries.items())] == ["delivered", "failed"]


def test_an_attempt_counted_already_or_of_a_delivery_the_entry_lacks_changes_nothing() -> None:
    recorded = record(_claimed(entry(a=delivery())), [_answer("a", 1, "delivered", 200)])
    assert recorded is not None

    assert record(recorded, [_answer("a", 1, "failed", 500)]) is None  # its message came back after the record
    assert record(recorded, [_answer("x", 1, "delivered", 200)]) is None


def test_a_redelivery_queues_the_failed_deliveries_again_and_names_them_in_the_outbox() -> None:
    failed = replace(
        entry(
            a=delivery(status="failed", attempts=3, last_status_code=500),
            b=delivery(status="delivered", attempts=1),
            c=delivery(status="failed", attempts=1, last_status_code=404),
        ),
        status="failed",
        outbox=(),
    )

    new = requeue(failed)

    assert new is not None
    assert (new.status, new.outbox) == ("queued", ("a", "c"))
    assert {k: (d.status, d.attempts) for k, d in new.deliveries.items()} == {
        "a": ("queued", 3),  # its next attempt is its 4th
        "b": ("delivered", 1),
        "c": ("queued", 1),
    }
    assert requeue(replace(new, outbox=())) is None  # nothing failed: nothing to redeliver


def test_a_change_refused_because_the_entry_moved_is_made_again_of_the_entry_as_it_is() -> None:
    claimed = _claimed(entry(a=delivery(), b=delivery()))
    store = FakeEntries(claimed)
    # Another dispatcher records b's failure between this record's read and its write.
    store.meanwhile(
        lambda: write_from(claimed, lambda e: record(e, [_answer("b", 1, "failed", 400)]), store.record_deliveries)
    )

    written = write_from(claimed, lambda e: record(e, [_answer("a", 1, "delivered", 200)]), store.record_deliveries)

    assert store.conflicts == 1
    assert written == store.get_entry(claimed.org_id, claimed.log_id)
    assert {k: d.status for k, d in written.deliveries.items()} == {"a": "delivered", "b": "failed"}
    assert (written.status, written.version) == ("failed", claimed.version + 2)


def test_an_entry_that_never_stops_changing_is_given_up_on() -> None:
    claimed = _claimed(entry(a=delivery()))
    store = FakeEntries(claimed)

    def another_write() -> None:
        current = store.get_entry(claimed.org_id, claimed.log_id)
        store.entries[claimed.org_id, claimed.log_id] = replace(current, version=current.version + 1)
        store.meanwhile(another_write)

    store.meanwhile(another_write)
    with pytest.raises(EntryBusy):
        write_from(claimed, lambda e: record(e, [_answer("a", 1, "delivered", 200)]), store.record_deliveries)
    assert store.conflicts == VERSION_TRIES
