"""The emulator's transaction conflicts, checked against DynamoDB's documented rules.

The developer guide ("Transaction conflict handling in DynamoDB"): a PutItem, UpdateItem or
DeleteItem of an item an ongoing TransactWriteItems includes fails with TransactionConflictException;
a TransactWriteItems naming an item of another ongoing one is cancelled with reason
TransactionConflict; a TransactGetItems naming an item of an ongoing write is cancelled. Reads
that are not transactional are not refused, and nothing a refused request names is written.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lead_events import aws
from local.conflicts import HOLD_VARIABLE

TABLE = "conflicts"


@pytest.fixture
def db(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(HOLD_VARIABLE, "400")  # long enough for the other request to meet it in flight
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def _key(name: str) -> dict[str, Any]:
    return {"pk": {"S": "p"}, "sk": {"S": name}}


def _add(name: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": _key(name),
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def _count(db: Any, name: str) -> int:
    item = db.get_item(TableName=TABLE, Key=_key(name), ConsistentRead=True).get("Item")
    return int(item["n"]["N"]) if item else 0


class InFlight:
    """A TransactWriteItems running in a thread of its own; `started` once it holds its items."""

    def __init__(self, db: Any, *names: str, settle: float = 0.15) -> None:
        self.error: ClientError | None = None

        def run() -> None:
            try:
                db.transact_write_items(TransactItems=[_add(n) for n in names])
            except ClientError as exc:
                self.error = exc

        self.thread = threading.Thread(target=run)
        self.thread.start()
        time.sleep(settle)  # well inside its hold

    def finish(self) -> None:
        self.thread.join()
        assert self.error is None


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


def _reasons(exc: pytest.ExceptionInfo[ClientError]) -> list[str]:
    return [r["Code"] for r in exc.value.response["CancellationReasons"]]


def test_a_single_write_to_an_item_of_a_transaction_in_flight_fails_with_transaction_conflict(db: Any) -> None:
    flight = InFlight(db, "a", "b")
    with pytest.raises(ClientError) as update:
        db.update_item(TableName=TABLE, **{k: v for k, v in _add("a")["Update"].items() if k != "TableName"})
    with pytest.raises(ClientError) as put:
        db.put_item(TableName=TABLE, Item={**_key("b"), "n": {"N": "100"}})
    with pytest.raises(ClientError) as delete:
        db.delete_item(TableName=TABLE, Key=_key("b"))
    flight.finish()

    assert {_code(update), _code(put), _code(delete)} == {"TransactionConflictException"}
    assert (_count(db, "a"), _count(db, "b")) == (1, 1)  # only the transaction's additions


def test_a_transaction_meeting_one_in_flight_is_cancelled_naming_the_item_and_writes_nothing(db: Any) -> None:
    flight = InFlight(db, "a", "b")
    with pytest.raises(ClientError) as cancelled:
        db.transact_write_items(TransactItems=[_add("c"), _add("b")])
    flight.finish()

    assert _code(cancelled) == "TransactionCanceledException"
    assert _reasons(cancelled) == ["None", "TransactionConflict"]
    assert (_count(db, "a"), _count(db, "b"), _count(db, "c")) == (1, 1, 0)


def test_a_transactional_read_of_an_item_in_flight_is_cancelled_a_plain_read_is_not(db: Any) -> None:
    db.put_item(TableName=TABLE, Item={**_key("a"), "n": {"N": "5"}})
    flight = InFlight(db, "a")
    with pytest.raises(ClientError) as cancelled:
        db.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": _key("a")}}])
    plain = db.get_item(TableName=TABLE, Key=_key("a"), ConsistentRead=True)["Item"]
    flight.finish()

    assert _code(cancelled) == "TransactionCanceledException"
    assert _reasons(cancelled) == ["TransactionConflict"]
    assert plain["n"] == {"N": "5"}  # the transaction had not landed yet
    assert _count(db, "a") == 6


def test_other_items_are_free_while_a_transaction_is_in_flight_and_its_items_are_free_after(db: Any) -> None:
    flight = InFlight(db, "a")
    db.transact_write_items(TransactItems=[_add("b")])
    db.put_item(TableName=TABLE, Item={**_key("c"), "n": {"N": "1"}})
    flight.finish()
    db.transact_write_items(TransactItems=[_add("a")])
    db.update_item(TableName=TABLE, **{k: v for k, v in _add("a")["Update"].items() if k != "TableName"})

    assert (_count(db, "a"), _count(db, "b"), _count(db, "c")) == (3, 1, 1)


def test_a_transaction_whose_condition_fails_releases_its_items(db: Any) -> None:
    failing = {"ConditionCheck": {"TableName": TABLE, "Key": _key("x"), "ConditionExpression": "attribute_exists(pk)"}}
    with pytest.raises(ClientError) as cancelled:
        db.transact_write_items(TransactItems=[_add("a"), failing])

    assert _reasons(cancelled) == ["None", "ConditionalCheckFailed"]
    db.put_item(TableName=TABLE, Item={**_key("a"), "n": {"N": "9"}})
    assert _count(db, "a") == 9


def test_the_projects_client_tries_a_refused_single_write_again_until_the_transaction_has_landed(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOLD_VARIABLE, "150")
    pauses: list[int] = []
    monkeypatch.setattr(aws, "conflict_pause", lambda attempt: pauses.append(attempt) or 0.1)  # 7 x 0.1 s > 150 ms
    flight = InFlight(db, "a", settle=0.03)

    aws.dynamodb().update_item(TableName=TABLE, **{k: v for k, v in _add("a")["Update"].items() if k != "TableName"})
    flight.finish()

    assert _count(db, "a") == 2
    assert pauses[0] == 1  # it was refused at least once, and tried again
