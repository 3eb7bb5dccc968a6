"""The outbox relay: stream records of the writes that left deliveries to send become queue messages."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lead_events import clock
from lead_events.store.dynamo import to_item
from tests.conftest import Deploy, lambda_context
from tests.integration.conftest import Org, dispatch, drain_queue, queued_messages
from tests.receiver import Receiver


def _stream_record(image: dict[str, Any], sequence: str) -> dict[str, Any]:
    return {
        "eventID": sequence,
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "eventVersion": "1.0",
        "awsRegion": "us-east-1",
        "dynamodb": {"SequenceNumber": sequence, "NewImage": to_item(image), "StreamViewType": "NEW_IMAGE"},
    }


def _entry(outbox: list[str], deliveries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"org_id": "org-1", "log_id": "log-1", "outbox": json.dumps(outbox), "deliveries": deliveries}


def _relay(records: list[dict[str, Any]]) -> dict[str, Any]:
    from outbox.app import lambda_handler

    return lambda_handler({"Records": records}, lambda_context("outbox"))


def test_each_delivery_named_in_the_outbox_becomes_one_message_for_its_next_attempt(aws: None) -> None:
    record = _stream_record(
        _entry(
            ["a", "b"],
            {
                "a": {"status": "queued", "attempts": 0},
                "b": {"status": "queued", "attempts": 2},  # a redelivery continues the numbering
                "c": {"status": "queued", "attempts": 0},  # not in this write's outbox: sent already
            },
        ),
        "100",
    )
    assert _relay([record]) == {"batchItemFailures": []}
    messages = sorted((json.loads(m["Body"]) for m in queued_messages()), key=lambda m: m["delivery_id"])
    assert messages == [
        {"org_id": "org-1", "log_id": "log-1", "delivery_id": "a", "attempt": 1},
        {"org_id": "org-1", "log_id": "log-1", "delivery_id": "b", "attempt": 3},
    ]


def test_a_retry_waits_in_the_queue_until_it_is_due(aws: None) -> None:
    due = clock.now() + 600
    record = _stream_record(
        _entry(["a"], {"a": {"status": "retrying", "attempts": 1, "next_attempt_at": clock.iso(due)}}), "100"
    )
    assert _relay([record]) == {"batchItemFailures": []}
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="lead-events-dev-postbacks")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesDelayed"]) == ("0", "1")


def test_a_record_whose_messages_the_queue_refused_is_reported_for_lambda_to_retry(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lead_events.wiring import delivery_queue

    sqs = delivery_queue().sqs
    real_send = sqs.send_message_batch
    calls = []

    def first_batch_fails(**kwargs: Any) -> Any:
        calls.append(kwargs)
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessageBatch")
        return real_send(**kwargs)

    monkeypatch.setattr(sqs, "send_message_batch", first_batch_fails)
    # Eleven records of one delivery each: the first ten go in one batch (refused), the last in another.
    records = [
        _stream_record(
            {**_entry(["a"], {"a": {"status": "queued", "attempts": 0}}), "log_id": f"log-{n}"}, str(100 + n)
        )
        for n in range(11)
    ]
    answer = _relay(records)
    assert answer == {"batchItemFailures": [{"itemIdentifier": str(100 + n)} for n in range(10)]}
    assert [json.loads(m["Body"])["log_id"] for m in queued_messages()] == ["log-10"]


def test_a_record_that_names_no_deliveries_is_dropped_not_retried(aws: None) -> None:
    broken = _stream_record({"org_id": "org-1", "log_id": "log-1", "outbox": "not json"}, "100")
    assert _relay([broken]) == {"batchItemFailures": []}
    assert queued_messages() == []


def test_only_writes_that_leave_work_name_it_so_every_delivery_is_queued_once(
    org: Org, receiver: Receiver, deploy: Deploy
) -> None:
    deploy(POSTBACK_RETRY_SCHEDULE="0")
    assert org.config("POST", "/events", body={"name": "sale"})[0] == 201
    for path in ("/ok", "/busy"):
        assert org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + path})[0] == 201
    receiver.answer("/busy", 503)
    assert org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})[0] == 201
    assert org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})[0] == 202
    first = drain_queue()
    assert sorted(json.loads(r["body"])["attempt"] for r in first) == [1, 1]
    dispatch(first)  # two claims and two records: only the retry's record names work
    [retry] = drain_queue()
    assert json.loads(retry["body"])["attempt"] == 2
    dispatch([retry])
    assert queued_messages() == []  # the last record settled its delivery: nothing more to send
    assert [len(receiver.received(p)) for p in ("/ok", "/busy")] == [1, 2]
