"""A redelivery and the outbox relay on in-memory stores: what is requeued, and what reaches the queue."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from lead_events import clock
from lead_events.errors import Conflict, LogNotFound, NothingToRedeliver
from lead_events.logic.logs import get_log, redeliver
from lead_events.logic.outbox import relay
from lead_events.store.dynamo import to_item
from tests.logic.fakes import ORG, FakeEntries, FakeQueue, delivery, entry


def _failed() -> FakeEntries:
    return FakeEntries(
        replace(
            entry(
                a=delivery(status="failed", attempts=3, last_status_code=500, error="HTTP 500"),
                b=delivery(status="delivered", attempts=1, last_status_code=200),
            ),
            status="failed",
            last_status_code=500,
            outbox=(),
        )
    )


def test_a_redelivery_queues_each_failed_delivery_again_and_the_entry_shows_it_queued() -> None:
    entries = _failed()

    answer = redeliver(entries, ORG, "log-1")

    assert answer.requeued == ["log-1_a"]
    view = get_log(entries, ORG, "log-1")
    assert view.status == "queued"
    assert [(d.id, d.status) for d in view.deliveries] == [("log-1_a", "queued"), ("log-1_b", "delivered")]
    assert entries.get_entry(ORG, "log-1").outbox == ("a",)


def test_an_entry_with_nothing_failed_or_none_at_all_is_refused() -> None:
    entries = _failed()
    redeliver(entries, ORG, "log-1")

    with pytest.raises(NothingToRedeliver) as refused:
        redeliver(entries, ORG, "log-1")
    assert refused.value.status == 409
    with pytest.raises(LogNotFound):
        redeliver(entries, ORG, "log-2")


def test_two_redeliveries_at_once_requeue_each_delivery_once() -> None:
    entries = _failed()
    others: list[Any] = []
    # Both read the failed entry; the other one writes first.
    entries.meanwhile(lambda: others.append(redeliver(entries, ORG, "log-1")))

    with pytest.raises(NothingToRedeliver):
        redeliver(entries, ORG, "log-1")

    assert [o.requeued for o in others] == [["log-1_a"]]
    assert entries.get_entry(ORG, "log-1").version == 1


def test_an_entry_that_keeps_changing_is_a_conflict_to_try_again() -> None:
    entries = _failed()

    def another_write() -> None:
        current = entries.get_entry(ORG, "log-1")
        entries.entries[ORG, "log-1"] = replace(current, version=current.version + 1)
        entries.meanwhile(another_write)

    entries.meanwhile(another_write)
    with pytest.raises(Conflict, match="try again"):
        redeliver(entries, ORG, "log-1")


def _record(sequence: str, image: dict[str, Any]) -> dict[str, Any]:
    return {"dynamodb": {"SequenceNumber": sequence, "NewImage": to_item(image)}}


def _image(outbox: list[str], **deliveries: dict[str, Any]) -> dict[str, Any]:
    return {
        "org_id": ORG,
        "log_id": f"log-{outbox[0] if outbox else 'x'}",
        "outbox": json.dumps(outbox),
        "deliveries": deliveries,
    }


def test_the_relay_sends_one_message_per_outboxed_delivery_each_for_its_next_attempt_when_due() -> None:
    due = clock.now() + 600
    queue = FakeQueue()
    records = [
        _record(
            "1",
            _image(
                ["a", "b"],
                a={"status": "queued", "attempts": 0},
                b={"status": "retrying", "attempts": 2, "next_attempt_at": clock.iso(due)},
                c={"status": "queued", "attempts": 0},  # not in this write's outbox: sent already
            ),
        )
    ]

    assert relay(records, queue) == []

    [(first, at_once), (retry, delay)] = queue.sent
    assert (first, at_once) == ({"org_id": ORG, "log_id": "log-a", "delivery_id": "a", "attempt": 1}, 0.0)
    assert (retry["delivery_id"], retry["attempt"], retry["not_before"]) == (
        "b",
        3,
        round(clock.epoch(clock.iso(due)), 3),
    )
    assert 590 < delay <= 600


def test_a_record_whose_message_the_queue_refused_is_retried_and_one_that_names_nothing_is_not() -> None:
    queue = FakeQueue(refuse=lambda m: m["delivery_id"] == "b")
    records = [
        _record("1", _image(["a"], a={"status": "queued", "attempts": 0})),
        _record("2", _image(["b"], b={"status": "queued", "attempts": 0})),
        _record("3", {"org_id": ORG, "log_id": "log-c", "deliveries": {}}),  # no outbox
    ]

    assert relay(records, queue) == ["2"]
    assert [m["delivery_id"] for m, _ in queue.sent] == ["a"]
