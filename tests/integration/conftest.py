from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config

from lead_events.logic.orgs import create_organization
from lead_events.models.orgs import CreatedOrganization
from lead_events.store.factory import org_store
from tests.conftest import http_event, lambda_context

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


_relayed: dict[str, int] = {}  # stream ARN -> records handed to the outbox relay so far


def relay_outbox() -> int:
    """Let the outbox run: hand the logs table's new stream records to the outbox function, as Lambda does.

    Returns how many records were relayed.
    """
    from outbox.app import lambda_handler

    stream_arn = boto3.client("dynamodb").describe_table(TableName=LOGS_TABLE)["Table"]["LatestStreamArn"]
    # moto knows the classic endpoint, not the account-based one botocore now picks for streams.
    streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    [shard] = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )
    records = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    new = [r for r in records[_relayed.get(stream_arn, 0) :] if "outbox" in r["dynamodb"].get("NewImage", {})]
    _relayed[stream_arn] = len(records)
    if new:
        answer = lambda_handler({"Records": new}, lambda_context("outbox"))
        assert answer == {"batchItemFailures": []}
    return len(new)


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
