from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from lead_events.logic.orgs import create_organization
from lead_events.models.orgs import CreatedOrganization
from lead_events.wiring import org_store
from local.lambdas import FunctionPool
from local.streams import StreamPoller
from tests.conftest import http_event, lambda_context, template_stack

Call = Callable[..., tuple[int, Any]]
QUEUE = "lead-events-dev-postbacks"
LOGS_TABLE = "lead-events-dev-logs"


def _caller(handler: Callable[..., dict], default_org: str | None) -> Call:
    def call(method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        kwargs.setdefault("org_id", default_org)
        answer = handler(http_event(method, path, **kwargs), lambda_context())
        body = answer.get("body")
        try:
            return answer["statusCode"], json.loads(body) if body else None
        except ValueError:
            return answer["statusCode"], body

    return call


@pytest.fixture
def call_config_api(aws: None) -> Call:
    """Invoke the config API handler like API Gateway would; returns (status, parsed body)."""
    from config_api.app import lambda_handler

    return _caller(lambda_handler, "org-sample")


@dataclass
class Org:
    created: CreatedOrganization
    config: Call
    triggers: Call
    logs: Call

    @property
    def org_id(self) -> str:
        return self.created.org_id

    @property
    def token(self) -> str:
        return self.created.postback_url.rsplit("/", 1)[1]


def make_org(name: str) -> Org:
    """A real organization (as `make org` makes it) and callers for its API functions."""
    from config_api.app import lambda_handler as config_handler
    from logs_api.app import lambda_handler as logs_handler
    from trigger_api.app import lambda_handler as trigger_handler

    created = create_organization(org_store(), name, "https://api.example.com")
    return Org(
        created=created,
        config=_caller(config_handler, created.org_id),
        triggers=_caller(trigger_handler, created.org_id),
        logs=_caller(logs_handler, created.org_id),
    )


@pytest.fixture
def org(aws: None) -> Org:
    return make_org("Test org")


_outbox: dict[str, StreamPoller] = {}  # the logs table's stream ARN (one per moto world) -> its poller


def relay_outbox() -> int:
    """Let the outbox run: the template's stream event source hands new records to the outbox function.

    The local stack's poller (local/streams.py), as Lambda's event source mapping would; returns how
    many records it dealt with. A batch that fails is handed over once per call.
    """
    stream_arn = boto3.client("dynamodb").describe_table(TableName=LOGS_TABLE)["Table"]["LatestStreamArn"]
    if stream_arn not in _outbox:
        stack = template_stack()
        [source] = stack.stream_sources
        _outbox[stream_arn] = StreamPoller(stack, source, FunctionPool(stack.functions[source.function]))
    poller, done = _outbox[stream_arn], 0
    while handled := poller.poll_once():
        done += handled
        if poller.retrying:
            break
    return done


def queued_messages() -> list[dict[str, Any]]:
    """Every message waiting in the postback queue (received and made visible again at once)."""
    relay_outbox()
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    messages: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
        new = [m for m in got if m["MessageId"] not in {x["MessageId"] for x in messages}]
        if not new:
            return messages
        messages += new


def drain_queue() -> list[dict[str, Any]]:
    """Take every message off the postback queue, as SQS records for the dispatcher."""
    relay_outbox()
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    records = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return records
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            records.append(sqs_record(m["Body"], m["MessageId"]))


def sqs_record(body: str, message_id: str = "m-1") -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{QUEUE}",
        "awsRegion": "us-east-1",
    }


def dispatch(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the dispatcher handler on a batch of SQS records (SQS never sends an empty one)."""
    from dispatcher.app import lambda_handler

    if not records:
        return {"batchItemFailures": []}
    return lambda_handler({"Records": records}, lambda_context("dispatcher"))
