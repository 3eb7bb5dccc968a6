"""The local stack ends invocations at their function's Timeout, as Lambda does, and answers as AWS would.

An API route past its function's Timeout is a function error: the HTTP API answers 500 with its own
body. A function given more time than the HTTP API waits (30 s) is answered 503 when the API stops
waiting. An SQS batch past its Timeout is a failed invocation: its messages are not deleted and
come back after the visibility timeout.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from werkzeug.test import Client

from local import gateway as gateway_module
from local.gateway import Gateway
from local.lambdas import FunctionPool, FunctionTimedOut
from local.sqs import QueuePoller
from local.template import Function, QueueSource, Route, Stack

HANDLER = """
import json, time
CALLS = []

def handler(event, context):
    CALLS.append(event)
    records = event.get("Records")
    if records and not any(json.loads(r["body"]).get("slow") for r in records):
        return {}
    time.sleep(float(event.get("queryStringParameters", {}).get("sleep", 2)) if not records else 2)
    return {"statusCode": 200, "body": "late"}
"""


def _function(tmp_path: Path, timeout: int) -> Function:
    (tmp_path / "app.py").write_text(HANDLER)
    return Function("Slow", "slow", tmp_path, "app.handler", {}, timeout, 128)


def _gateway(tmp_path: Path, timeout: int) -> Client:
    function = _function(tmp_path, timeout)
    stack = Stack(
        root=tmp_path,
        parameters={},
        functions={"Slow": function},
        routes=[Route("GET", "/slow", "Slow", None)],
    )
    return Client(Gateway(stack, {"Slow": FunctionPool(function)}))


def test_an_api_invocation_past_its_timeout_is_answered_500_by_the_gateway_when_the_timeout_ends(
    tmp_path: Path,
) -> None:
    client = _gateway(tmp_path, timeout=1)

    started = time.monotonic()
    answer = client.get("/slow?sleep=5")
    waited = time.monotonic() - started

    assert answer.status_code == 500
    assert answer.json == {"message": "Internal Server Error"}
    assert waited < 4  # answered at the function's Timeout (1 s), not when the handler finished (5 s)


def test_an_api_invocation_the_http_api_stops_waiting_for_is_answered_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gateway_module, "INTEGRATION_TIMEOUT", 0.5)  # 30 s on AWS
    client = _gateway(tmp_path, timeout=10)

    answer = client.get("/slow?sleep=3")

    assert answer.status_code == 503
    assert answer.json == {"message": "Service Unavailable"}


def test_an_invocation_in_time_is_answered_and_its_instance_is_kept_warm(tmp_path: Path) -> None:
    pool = FunctionPool(_function(tmp_path, timeout=5))

    assert pool.invoke({"queryStringParameters": {"sleep": "0"}}) == {"statusCode": 200, "body": "late"}
    assert pool.invoke({"queryStringParameters": {"sleep": "0"}}) == {"statusCode": 200, "body": "late"}
    [instance] = pool._idle
    assert len(instance.__globals__["CALLS"]) == 2


def test_a_timed_out_instance_is_not_used_again(tmp_path: Path) -> None:
    pool = FunctionPool(_function(tmp_path, timeout=1))

    with pytest.raises(FunctionTimedOut):
        pool.invoke({"queryStringParameters": {"sleep": "3"}})
    assert pool._idle == []
    pool.invoke({"queryStringParameters": {"sleep": "0"}})
    [fresh] = pool._idle
    assert len(fresh.__globals__["CALLS"]) == 1  # a new instance, not the one still sleeping


def test_an_sqs_batch_past_its_timeout_is_a_failed_invocation_its_messages_come_back(tmp_path: Path) -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
        function = _function(tmp_path, timeout=1)
        stack = Stack(
            root=tmp_path,
            parameters={},
            functions={"Slow": function},
            queues={"Work": {"QueueName": "work", "Attributes": {}}},
        )
        pool = FunctionPool(function)
        poller = QueuePoller(stack, QueueSource("Slow", "Work", 10, True), pool, threading.Event())
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"slow": True}))

        assert poller.poll_once() == 1  # timed out: nothing deleted
        time.sleep(1.2)
        received = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"]

        assert [json.loads(m["Body"]) for m in received] == [{"slow": True}]
        assert received[0]["Attributes"]["ApproximateReceiveCount"] == "2"
