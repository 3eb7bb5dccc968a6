"""A batch is recorded in one transaction; when that is cancelled, each delivery is recorded on its own."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from lead_events.store.dynamo import to_item
from lead_events.store.logs import LogStore
from tests.conftest import Deploy
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


def test_deliveries_of_one_entry_in_one_batch_settle_the_entry_together(
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


def test_a_concurrent_change_cancels_the_transaction_and_each_delivery_is_recorded_alone(
    org: Org, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_id = _three_postbacks(org, receiver)
    original = LogStore.record_attempts
    cancelled = []

    def with_a_concurrent_writer(self: LogStore, records: list[Any], also: list[Any]) -> bool:
        # Another dispatcher changed the entry between the claims and the transaction.
        boto3.client("dynamodb").update_item(
            TableName=self.table,
            Key=self._entry_key(org.org_id, log_id),
            UpdateExpression="ADD version :one",
            ExpressionAttributeValues=to_item({":one": 1}),
        )
        written = original(self, records, also)
        cancelled.append(not written)
        return written

    monkeypatch.setattr(LogStore, "record_attempts", with_a_concurrent_writer)
    assert dispatch(drain_queue()) == {"batchItemFailures": []}
    assert cancelled == [True]
    assert _outcomes(org, log_id) == ("failed", EXPECTED)
    assert [len(receiver.received(p)) for p in ("/ok", "/bad", "/busy")] == [1, 1, 1]
