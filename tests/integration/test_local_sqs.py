"""The local stack's SQS event source behaves like Lambda's: long polls, batches, partial failures, redrive."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import boto3
from moto import mock_aws

from local.lambdas import FunctionPool
from local.sqs import LONG_POLL_SECONDS, QueuePoller
from local.template import Function, QueueSource, Stack

HANDLER = """
import json
SEEN = []

def handler(event, context):
    failures = []
    for record in event["Records"]:
        SEEN.append(record["body"])
        if json.loads(record["body"]).get("poison"):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""


def _stack(tmp_path: Path) -> tuple[Stack, FunctionPool]:
    (tmp_path / "app.py").write_text(HANDLER)
    function = Function("Worker", "worker", tmp_path, "app.handler", {}, 30, 128)
    stack = Stack(
        root=tmp_path,
        parameters={},
        functions={"Worker": function},
        queues={"Work": {"QueueName": "work", "Attributes": {}}},
    )
    return stack, FunctionPool(function)


def test_reported_failures_stay_and_end_in_the_dead_letter_queue_the_rest_are_deleted(tmp_path: Path) -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = sqs.create_queue(
            QueueName="work",
            Attributes={
                "VisibilityTimeout": "1",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
            },
        )["QueueUrl"]
        stack, pool = _stack(tmp_path)
        poller = QueuePoller(stack, QueueSource("Worker", "Work", 10, True), pool, threading.Event())
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 1}))
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"poison": True}))

        assert poller.poll_once() == 2
        for _ in range(3):  # the poison message comes back after the visibility timeout, twice, then moves
            time.sleep(1.1)
            poller.poll_once()

        left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert left["ApproximateNumberOfMessages"] == "0" and left["ApproximateNumberOfMessagesNotVisible"] == "0"
        [dead] = sqs.receive_message(QueueUrl=dlq)["Messages"]
        assert json.loads(dead["Body"]) == {"poison": True}
        seen = pool._idle[0].__globals__["SEEN"]  # what the (one warm) function instance was handed
        assert seen.count(json.dumps({"n": 1})) == 1
        assert seen.count(json.dumps({"poison": True})) == 2


GATED_HANDLER = """
import pathlib, time
HERE = pathlib.Path(__file__).parent

def handler(event, context):
    (HERE / "started").write_text(event["Records"][0]["body"])
    while not (HERE / "open").exists():
        time.sleep(0.01)
"""


def _wait_for(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"no {path.name} within {timeout} s"
        time.sleep(0.01)


def test_a_message_sent_while_the_poller_waits_is_handed_over_and_stopping_waits_only_for_a_batch_in_hand(
    tmp_path: Path,
) -> None:
    """Its receive waits up to LONG_POLL_SECONDS, but a message sent meanwhile is handed over without waiting that
    out; settle(), what stopping the stack waits for, waits for a batch being handled, not for a receive."""
    (tmp_path / "app.py").write_text(GATED_HANDLER)
    function = Function("Worker", "worker", tmp_path, "app.handler", {}, 30, 128)
    stack = Stack(root=tmp_path, parameters={}, functions={"Worker": function}, queues={"Work": {"QueueName": "work"}})
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="work")["QueueUrl"]
        stopping = threading.Event()
        poller = QueuePoller(stack, QueueSource("Worker", "Work", 10, True), FunctionPool(function), stopping)
        threading.Thread(target=poller.run, daemon=True).start()
        try:
            time.sleep(0.2)  # the poller is in its receive, waiting for messages
            assert poller.settle(timeout=0) is True
            sqs.send_message(QueueUrl=url, MessageBody="hello")
            _wait_for(tmp_path / "started", timeout=LONG_POLL_SECONDS / 2)
            assert (tmp_path / "started").read_text() == "hello"
            assert poller.settle(timeout=0.2) is False  # the batch is in hand
            (tmp_path / "open").touch()
            assert poller.settle(timeout=10) is True
            left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            assert left["ApproximateNumberOfMessages"] == "0" and left["ApproximateNumberOfMessagesNotVisible"] == "0"
        finally:
            (tmp_path / "open").touch()
            stopping.set()
