"""The dispatcher's path on in-memory stores: claim, request, record — and what comes back to the queue.

Each test hands the dispatcher queue messages as the outbox relay makes them and checks what a
user would see: the requests the receivers got, each entry's deliveries and status, the attempts
recorded, the messages sent on, the results SQS is told.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from lead_events import clock
from lead_events.logic import dispatch
from lead_events.logic.delivery_state import Answer, record, write_from
from lead_events.logic.dispatch import Dispatcher
from lead_events.logic.logs import get_log
from lead_events.logic.outbox import message, outbox_of
from lead_events.models.entries import DeliveryAttempt, Entry
from tests.logic.fakes import ORG, FakeEntries, FakePostbacks, FakeQueue, Receivers, delivery, entry

OK, BAD, BUSY = (f"https://receiver.example/{name}" for name in ("ok", "bad", "busy"))
SCHEDULE = (60.0, 300.0)


@pytest.fixture
def receivers(monkeypatch: pytest.MonkeyPatch) -> Receivers:
    fake = Receivers()
    monkeypatch.setattr(dispatch, "send", fake.send)
    return fake


def _dispatcher(entries: FakeEntries, queue: FakeQueue | None = None, **options: Any) -> Dispatcher:
    return Dispatcher(
        logs=entries,
        postbacks=options.pop("postbacks", FakePostbacks()),
        queue=queue or FakeQueue(),
        schedule=SCHEDULE,
        retention_days=30,
        **options,
    )


def _messages(e: Entry) -> list[dict[str, Any]]:
    """The queue messages the relay makes of the entry's outbox."""
    return [message(due) for due in outbox_of(e)]


def _statuses(entries: FakeEntries, log_id: str = "log-1") -> tuple[str, dict[str, tuple[str, int]]]:
    e = entries.get_entry(ORG, log_id)
    return e.status, {k: (d.status, d.attempts) for k, d in sorted(e.deliveries.items())}


def test_each_delivery_is_claimed_sent_once_and_recorded_with_the_entrys_status(receivers: Receivers) -> None:
    receivers.answer(BAD, 400)
    receivers.answer(BUSY, 503)
    new = entry(ok=delivery(OK), bad=delivery(BAD), busy=delivery(BUSY))
    entries = FakeEntries(new)

    results = _dispatcher(entries).deliver_batch(_messages(new))

    assert results == ["failed", "retrying", "delivered"]  # the messages' order: bad, busy, ok
    assert sorted(r.url for r in receivers.requests) == sorted([OK, BAD, BUSY])
    assert _statuses(entries) == (
        "failed",
        {"bad": ("failed", 1), "busy": ("retrying", 1), "ok": ("delivered", 1)},
    )
    assert sorted(a.status_code for a in entries.get_with_attempts(ORG, "log-1")[1]) == [200, 400, 503]
    assert all(d.claim_until is None for d in entries.get_entry(ORG, "log-1").deliveries.values())


def test_every_request_of_a_delivery_carries_its_id_and_a_signed_one_its_signature(receivers: Receivers) -> None:
    signed = delivery(OK, method="POST", body='{"lead": "L1"}', signed=True)
    new = entry(a=signed, b=delivery(OK, postback_id="pb2"))
    postbacks = FakePostbacks(secrets={"pb1": "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})

    _dispatcher(FakeEntries(new), postbacks=postbacks).deliver_batch(_messages(new))

    by_id = {r.delivery_id: r for r in receivers.requests}
    assert sorted(by_id) == ["log-1_a", "log-1_b"]
    assert by_id["log-1_a"].headers["webhook-id"] == "log-1_a"
    assert by_id["log-1_a"].headers["webhook-signature"].startswith("v1,")
    assert by_id["log-1_a"].body == '{"lead": "L1"}'
    assert "webhook-signature" not in by_id["log-1_b"].headers


def test_a_signed_delivery_whose_postback_lost_its_secret_fails_without_a_request(receivers: Receivers) -> None:
    new = entry(a=delivery(OK, method="POST", body="{}", signed=True))
    entries = FakeEntries(new)

    assert _dispatcher(entries).deliver_batch(_messages(new)) == ["failed"]  # final: no retry would help

    assert receivers.requests == []
    assert "deleted" in str(entries.get_entry(ORG, "log-1").deliveries["a"].error)


def test_an_attempts_error_and_its_detail_are_kept_with_the_attempt_and_the_delivery(receivers: Receivers) -> None:
    receivers.answer(BUSY, None, "connection refused by 203.0.113.9:443", error_detail="ConnectionRefusedError: ...")
    new = entry(a=delivery(BUSY))
    entries = FakeEntries(new)

    assert _dispatcher(entries).deliver_batch(_messages(new)) == ["retrying"]

    view = get_log(entries, ORG, "log-1")
    [shown] = view.deliveries
    [attempt] = shown.attempts
    assert (attempt.error, attempt.error_detail) == (
        "connection refused by 203.0.113.9:443",
        "ConnectionRefusedError: ...",
    )
    assert (shown.error, shown.error_detail) == (attempt.error, attempt.error_detail)


def test_a_retry_follows_from_its_record_and_its_next_attempt_continues_the_numbering(
    receivers: Receivers, monkeypatch: pytest.MonkeyPatch
) -> None:
    receivers.answer(BUSY, 503)
    new = entry(a=delivery(BUSY))
    entries = FakeEntries(new)
    started = clock.now()

    assert _dispatcher(entries).deliver_batch(_messages(new)) == ["retrying"]

    retried = entries.get_entry(ORG, "log-1")
    [retry] = _messages(retried)
    assert (retry["attempt"], retried.outbox) == (2, ("a",))
    assert SCHEDULE[0] * 0.8 <= retry["not_before"] - started <= SCHEDULE[0] * 1.2 + 5
    # The retry is due: its receiver is back.
    monkeypatch.setattr(clock, "now", lambda: retry["not_before"] + 1)
    receivers.answer(BUSY, 200)
    assert _dispatcher(entries).deliver_batch([retry]) == ["delivered"]
    assert _statuses(entries) == ("delivered", {"a": ("delivered", 2)})
    assert [a.number for a in entries.get_with_attempts(ORG, "log-1")[1]] == [1, 2]


def test_the_schedule_spent_the_delivery_fails_for_good_and_its_postback_counts_it(receivers: Receivers) -> None:
    receivers.answer(BUSY, 503)
    new = replace(entry(a=delivery(BUSY, attempts=len(SCHEDULE))), outbox=("a",))
    entries, postbacks = FakeEntries(new), FakePostbacks()

    assert _dispatcher(entries, postbacks=postbacks).deliver_batch(_messages(new)) == ["failed"]
    assert _statuses(entries) == ("failed", {"a": ("failed", 3)})
    assert (postbacks.final_failures, postbacks.successes) == (["pb1"], [])


def test_a_duplicate_or_stale_message_sends_nothing(receivers: Receivers) -> None:
    new = entry(a=delivery(OK))
    entries = FakeEntries(new)
    [first] = _messages(new)

    assert _dispatcher(entries).deliver_batch([first, dict(first)]) == ["delivered", "skipped"]
    assert _dispatcher(entries).deliver_batch([first]) == ["skipped"]  # its attempt was made and recorded

    assert len(receivers.requests) == 1
    assert _statuses(entries) == ("delivered", {"a": ("delivered", 1)})


def test_a_delivery_another_dispatcher_holds_is_left_to_it_until_its_claim_runs_out(
    receivers: Receivers, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = entry(a=delivery(OK))
    entries = FakeEntries(new)
    [msg] = _messages(new)
    now = clock.now()
    assert entries.claim_deliveries(ORG, "log-1", [("a", 1)], now, now + 60) is not None  # and then it crashed

    assert _dispatcher(entries).deliver_batch([msg]) == ["skipped"]
    assert receivers.requests == []

    monkeypatch.setattr(clock, "now", lambda: now + 61)
    assert _dispatcher(entries).deliver_batch([msg]) == ["delivered"]
    assert len(receivers.requests) == 1


def test_a_record_that_finds_its_entry_changed_is_made_again_of_the_entry_as_it_is(receivers: Receivers) -> None:
    new = entry(a=delivery(OK), b=delivery(BAD))
    entries = FakeEntries(new)
    [for_a, _] = _messages(new)
    other_dispatcher_answer = Answer(
        DeliveryAttempt("b", 1, "2026-11-26T10:00:01.000Z", 400, 10, "", "HTTP 400", 0), "failed"
    )

    def other_dispatcher_records_b() -> None:
        current = entries.get_entry(ORG, "log-1")
        write_from(current, lambda e: record(e, [other_dispatcher_answer]), entries.record_deliveries)

    entries.meanwhile(other_dispatcher_records_b)
    assert _dispatcher(entries).deliver_batch([for_a]) == ["delivered"]

    assert entries.conflicts == 1
    assert _statuses(entries) == ("failed", {"a": ("delivered", 1), "b": ("failed", 1)})


def test_an_entrys_records_in_one_batch_build_on_each_other_one_write_each(receivers: Receivers) -> None:
    receivers.slow[BUSY] = 0.2  # answers after the others were recorded
    new = entry(ok=delivery(OK), bad=delivery(BAD), busy=delivery(BUSY))
    entries = FakeEntries(new)

    assert _dispatcher(entries).deliver_batch(_messages(new)) == ["delivered"] * 3

    assert entries.conflicts == 0  # the later record wrote over the earlier one's version, not the claim's


def test_a_delivery_whose_entry_expired_while_its_request_was_out_is_done_with(receivers: Receivers) -> None:
    new = entry(a=delivery(OK))
    entries = FakeEntries(new)
    entries.meanwhile(lambda: entries.entries.clear())  # the table's TTL took it

    assert _dispatcher(entries).deliver_batch(_messages(new)) == ["delivered"]  # not handed back to try again


def test_messages_there_is_no_time_left_for_go_back_to_the_queue_with_no_attempt_used(receivers: Receivers) -> None:
    new = entry(a=delivery(OK), b=delivery(BAD))
    queue = FakeQueue(refuse=lambda m: m["delivery_id"] == "b")
    entries = FakeEntries(new)
    messages = _messages(new)

    results = _dispatcher(entries, queue).deliver_batch(messages, seconds_left=0)

    assert results[0] == "requeued"
    assert isinstance(results[1], RuntimeError)  # SQS hands it back after its visibility timeout
    assert [m for m, _ in queue.sent] == messages[:1]
    assert receivers.requests == []
    assert _statuses(entries) == ("queued", {"a": ("queued", 0), "b": ("queued", 0)})


def test_a_retry_due_after_sqss_longest_delay_is_deferred_in_hops(receivers: Receivers) -> None:
    new = entry(a=delivery(OK))
    queue = FakeQueue()
    [msg] = _messages(new)
    later = msg | {"not_before": clock.now() + 3600}

    assert _dispatcher(FakeEntries(new), queue).deliver_batch([later]) == ["deferred"]

    [(sent, delay)] = queue.sent
    assert sent == later and 3590 < delay <= 3600
    assert receivers.requests == []


def test_a_message_that_names_no_delivery_fails_alone(receivers: Receivers) -> None:
    new = entry(a=delivery(OK))

    results = _dispatcher(FakeEntries(new)).deliver_batch([{"log_id": "log-1"}, *_messages(new)])

    assert isinstance(results[0], ValueError)
    assert results[1] == "delivered"


def test_a_success_after_failures_ends_its_postbacks_run_and_a_first_success_does_not_write_it(
    receivers: Receivers,
) -> None:
    new = entry(a=delivery(OK, failing=True), b=delivery(OK, postback_id="pb2", failing=False))
    postbacks = FakePostbacks()

    assert _dispatcher(FakeEntries(new), postbacks=postbacks).deliver_batch(_messages(new)) == ["delivered"] * 2
    assert postbacks.successes == ["pb1"]
