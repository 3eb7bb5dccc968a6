"""The local stack's SQS event source behaves like Lambda's: batches, partial failures, redrive."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import boto3
from moto import mock_aws

from local.lambdas import FunctionPool
from local.sqs import QueuePoller
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
