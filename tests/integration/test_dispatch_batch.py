"""A batch's deliveries go through side by side, each recorded the moment its own answer is in.

A delivery recorded after another one of its entry changed the entry is written again from the
entry as it is. A slow receiver holds up only its own delivery; messages there is no time left
for go back to the queue untouched.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import boto3
import pytest

from lead_events.models.entries import DeliveryAttempt
from lead_events.store.dynamo import to_item
from lead_events.store.entries import EntryStore
from local.conflicts import HOLD_VARIABLE
from tests.conftest import Deploy, lambda_context
from tests.integration.conftest import Org, dispatch, drain_queue
from tests.receiver import Receiver


def _three_postbacks(org: Org, receiver: Receiver) -> str:
    assert org.config("POST", "/events", body={"name": "sale", "conversion": True})[0] == 201
    for path in ("/ok", "/bad", "/busy"):
        assert org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + path})[0] == 201
    receiver.answer("/bad", 400)
    receiver.answer("/busy", 503)
    assert org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})[0] == 201
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    return str(accepted["log_id"])


def _outcomes(org: Org, log_id: str) -> tuple[str, dict[str, tuple[str, int | None, int]]]:
    _, entry = org.logs("GET", f"/logs/{log_id}")
    return entry["status"], {
        d["url"].rsplit("/", 1)[1]: (d["status"], d["last_status_code"], len(d["attempts"]))
        for d in entry["deliveries"]
    }


EXPECTED = {"ok": ("delivered", 200, 1), "bad": ("failed", 400, 1), "busy": ("retrying", 503, 1)}


def test_deliveries_of_one_entry_in_one_batch_each_settle_the_entry(
    org: Org, receiver: Receiver, deploy: Deploy
) -> None:
    deploy(POSTBACK_RETRY_SCHEDULE="0")
    log_id = _three_postbacks(org, receiver)
    records = drain_queue()
    assert len(records) == 3
    assert dispatch(records) == {"batchItemFailures": []}
    assert _outcomes(org, log_id) == ("failed", EXPECTED)
    [retry] = drain_queue()  # the 503 is retried, attempt 2
    assert json.loads(retry["body"])["attempt"] == 2


def test_a_delivery_recorded_after_another_changed_its_entry_is_recorded_from_the_entry_as_it_is(
    org: Org, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_id = _three_postbacks(org, receiver)
    original = EntryStore.put_attempts
    raced = []

    def then_a_concurrent_writer(self: EntryStore, org_id: str, log_id: str, attempts: list[DeliveryAttempt]) -> None:
        original(self, org_id, log_id, attempts)
        # Another dispatcher recorded a delivery of the same entry between this claim and this record.
        boto3.client("dynamodb").update_item(
            TableName=self.table,
            Key=self._entry_key(org_id, log_id),
            UpdateExpression="ADD version :one",
            ExpressionAttributeValues=to_item({":one": 1}),
        )
        raced.extend(a.delivery_id for a in attempts)

    monkeypatch.setattr(EntryStore, "put_attempts", then_a_concurrent_writer)
    assert dispatch(drain_queue()) == {"batchItemFailures": []}
    assert len(raced) == 3
    assert _outcomes(org, log_id) == ("failed", EXPECTED)
    assert [len(receiver.received(p)) for p in ("/ok", "/bad", "/busy")] == [1, 1, 1]


def _wait_for_status(org: Org, log_id: str, status: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while org.logs("GET", f"/logs/{log_id}")[1]["status"] != status:
        assert time.monotonic() < deadline, f"{log_id} never became {status}"
        time.sleep(0.05)


def test_a_slow_receiver_holds_up_only_its_own_entry(org: Org, receiver: Receiver) -> None:
    for event, path in (("sale", "/ok"), ("call", "/slow")):
        assert org.config("POST", "/events", body={"name": event, "multi_trigger": True})[0] == 201
        assert org.config("POST", f"/events/{event}/postbacks", body={"url": receiver.url + path})[0] == 201
    assert org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})[0] == 201
    slow = org.triggers("POST", "/triggers", body={"event": "call", "lead_id": "L1"})[1]["log_id"]
    fast = [org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})[1]["log_id"] for _ in range(5)]
    release = receiver.hold("/slow")
    answers: list[dict[str, Any]] = []
    batch = threading.Thread(target=lambda: answers.append(dispatch(drain_queue())))
    batch.start()
    try:
        receiver.wait_for(1, "/slow")
        receiver.wait_for(5, "/ok")
        for log_id in fast:  # recorded while the slow request is still waiting for its answer
            _wait_for_status(org, log_id, "delivered")
        assert batch.is_alive()
        assert org.logs("GET", f"/logs/{slow}")[1]["status"] == "queued"
    finally:
        release.set()
        batch.join(timeout=30)
    assert answers == [{"batchItemFailures": []}]
    assert org.logs("GET", f"/logs/{slow}")[1]["status"] == "delivered"


def test_entries_there_is_no_time_left_for_go_back_to_the_queue_untouched(org: Org, receiver: Receiver) -> None:
    from dispatcher.app import lambda_handler

    log_id = _three_postbacks(org, receiver)
    records = drain_queue()
    context = lambda_context("dispatcher")
    context.timeout_seconds = 0  # the invocation's time is up before any entry starts
    assert lambda_handler({"Records": records}, context) == {"batchItemFailures": []}
    assert receiver.received() == []
    assert _outcomes(org, log_id) == (
        "queued",
        {"ok": ("queued", None, 0), "bad": ("queued", None, 0), "busy": ("queued", None, 0)},
    )
    assert sorted(r["body"] for r in drain_queue()) == sorted(r["body"] for r in records)


def test_a_claimed_delivery_there_is_no_time_left_for_waits_out_its_claim_in_the_queue(
    org: Org, receiver: Receiver, deploy: Deploy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dispatcher.app import lambda_handler

    from lead_events.logic.dispatch import RECORD_SECONDS

    deploy(POSTBACK_REQUEST_TIMEOUT="1")
    log_id = _three_postbacks(org, receiver)
    records = drain_queue()
    original = EntryStore.claim_deliveries

    def slow_claim(self: EntryStore, *args: Any) -> Any:
        entry = original(self, *args)
        time.sleep(1.5)  # by the time the requests could start, the invocation's time is too short for them
        return entry

    monkeypatch.setattr(EntryStore, "claim_deliveries", slow_claim)
    context = lambda_context("dispatcher")
    context.timeout_seconds = 1 + RECORD_SECONDS + 1  # room to start at first, not after the claim
    assert lambda_handler({"Records": records}, context) == {"batchItemFailures": []}
    assert receiver.received() == []  # no request, no attempt used
    assert _outcomes(org, log_id)[1] == {
        "ok": ("queued", None, 0),
        "bad": ("queued", None, 0),
        "busy": ("queued", None, 0),
    }
    # Back in the queue, but only for when the claims have run out: a copy sooner would find them held.
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="lead-events-dev-postbacks")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesDelayed"]) == ("0", "3")


def _config_writes() -> list[str]:
    """Record the operations that write the configuration table through the store's DynamoDB client."""
    from lead_events.aws import dynamodb

    writes: list[str] = []

    def note(params: dict[str, Any], model: Any, **_: Any) -> None:
        text = json.dumps(params)
        if model.name != "GetItem" and "config" in text and "POSTBACK#" in text:
            writes.append(model.name)

    dynamodb().meta.events.register("provide-client-params.dynamodb.*", note)
    return writes


def test_a_success_writes_its_postback_only_when_it_can_end_a_run_of_failures(org: Org, receiver: Receiver) -> None:
    assert org.config("POST", "/events", body={"name": "sale", "multi_trigger": True})[0] == 201
    _, postback = org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/p"})
    assert org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})[0] == 201
    writes = _config_writes()

    def trigger() -> list[dict[str, Any]]:
        assert org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})[0] == 202
        return drain_queue()

    def failures() -> int:
        return int(org.config("GET", f"/events/sale/postbacks/{postback['id']}")[1]["consecutive_failures"])

    assert dispatch(trigger()) == {"batchItemFailures": []}  # delivered: nothing to reset, nothing written
    assert (failures(), writes) == (0, [])

    early = trigger()  # rendered while the postback is not failing
    receiver.answer("/p", 404)
    dispatch(trigger())  # a failure for good begins a run
    assert failures() == 1
    dispatch(early)  # delivered, but it was triggered before the run began: the run goes on
    assert failures() == 1
    writes.clear()
    dispatch(trigger())  # triggered during the run: its success ends it
    assert failures() == 0
    assert writes == ["UpdateItem"]


def test_the_many_deliveries_of_one_entry_in_one_batch_are_all_recorded(org: Org, receiver: Receiver) -> None:
    # Their records all change the one entry: none may lose a race to another and fail its message.
    assert org.config("POST", "/events", body={"name": "sale"})[0] == 201
    for n in range(20):
        assert org.config("POST", "/events/sale/postbacks", body={"url": f"{receiver.url}/{n}"})[0] == 201
    assert org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})[0] == 201
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    records = drain_queue()
    assert len(records) == 20
    assert dispatch(records) == {"batchItemFailures": []}
    _, entry = org.logs("GET", f"/logs/{accepted['log_id']}")
    assert entry["status"] == "delivered"
    assert [len(d["attempts"]) for d in entry["deliveries"]] == [1] * 20
    assert len(receiver.received()) == 20


def test_deliveries_to_a_recovering_postback_recorded_at_once_while_it_is_changed_are_sent_once(
    org: Org, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every success of the batch may end the postback's run of failures (a write of the postback item),
    # while an operator's changes hold that item in transactions: nothing may fail or be sent twice.
    monkeypatch.setenv(HOLD_VARIABLE, "25")
    assert org.config("POST", "/events", body={"name": "sale", "multi_trigger": True})[0] == 201
    _, postback = org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/p"})
    assert org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})[0] == 201
    receiver.answer("/p", 404)
    assert org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})[0] == 202
    dispatch(drain_queue())  # failed for good: a run of failures begins
    path = f"/events/sale/postbacks/{postback['id']}"
    assert org.config("GET", path)[1]["consecutive_failures"] == 1
    accepted = [org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})[1] for _ in range(20)]
    records = drain_queue()
    before = len(receiver.received())
    changing = threading.Event()

    def operator() -> None:
        n = 0
        while not changing.is_set():
            assert org.config("PATCH", path, body={"headers": {"X-Change": str(n)}})[0] == 200
            n += 1

    editor = threading.Thread(target=operator)
    editor.start()
    try:
        result = dispatch(records)
    finally:
        changing.set()
        editor.join()

    assert result == {"batchItemFailures": []}
    assert len(receiver.received()) - before == 20
    for trigger in accepted:
        _, entry = org.logs("GET", f"/logs/{trigger['log_id']}")
        assert (entry["status"], len(entry["deliveries"][0]["attempts"])) == ("delivered", 1)
    assert org.config("GET", path)[1]["consecutive_failures"] == 0
