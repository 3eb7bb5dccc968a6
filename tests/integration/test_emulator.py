"""The emulator's speed-ups (local/atomic.py) change nothing a client sees.

Transactions back up only the items they touch: still all or nothing. Item operations are answered
with json.dumps of moto's result: the same answers as moto's own serializer gives.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core.responses import ActionContext, ActionResult

from lead_events.store.dynamo import from_item, to_item

pytestmark = pytest.mark.usefixtures("aws")
TABLE = "lead-events-dev-config"
OTHER = "lead-events-dev-leads"


def _item(db: object, table: str, pk: str, sk: str) -> dict | None:
    found = db.get_item(TableName=table, Key=to_item({"pk": pk, "sk": sk})).get("Item")  # type: ignore[attr-defined]
    return from_item(found) if found else None


def test_a_cancelled_transaction_leaves_every_table_as_it_was() -> None:
    db = boto3.client("dynamodb")
    db.put_item(TableName=TABLE, Item=to_item({"pk": "A", "sk": "1", "n": 1}))
    db.put_item(TableName=OTHER, Item=to_item({"pk": "L", "sk": "LEAD", "n": 1}))
    with pytest.raises(ClientError) as caught:
        db.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": to_item({"pk": "B", "sk": "1", "n": 9})}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": to_item({"pk": "A", "sk": "1"}),
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": to_item({":n": 2}),
                    }
                },
                {"Delete": {"TableName": OTHER, "Key": to_item({"pk": "L", "sk": "LEAD"})}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": to_item({"pk": "C", "sk": "1"}),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _item(db, TABLE, "B", "1") is None
    assert _item(db, TABLE, "A", "1") == {"pk": "A", "sk": "1", "n": 1}
    assert _item(db, OTHER, "L", "LEAD") == {"pk": "L", "sk": "LEAD", "n": 1}


def test_a_transaction_whose_conditions_hold_applies_every_write() -> None:
    db = boto3.client("dynamodb")
    db.put_item(TableName=TABLE, Item=to_item({"pk": "A", "sk": "1", "n": 1}))
    db.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": to_item({"pk": "B", "sk": "1"}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": to_item({"pk": "A", "sk": "1"}),
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": to_item({":one": 1}),
                }
            },
        ]
    )
    assert _item(db, TABLE, "B", "1") == {"pk": "B", "sk": "1"}
    assert _item(db, TABLE, "A", "1") == {"pk": "A", "sk": "1", "n": 2}


def test_item_operations_answer_exactly_what_motos_serializer_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = ActionResult.execute_result
    generic = fast.__wrapped__  # type: ignore[attr-defined]
    compared: list[str] = []

    def both(self: ActionResult, context: ActionContext) -> Any:
        answer = fast(self, context)
        expected = generic(self, context)
        assert answer[0] == expected[0]
        assert json.loads(answer[2]) == json.loads(expected[2]), context.operation_model.name
        compared.append(context.operation_model.name)
        return answer

    monkeypatch.setattr(ActionResult, "execute_result", both)
    db = boto3.client("dynamodb")
    key = to_item({"pk": "P", "sk": "1"})
    item = {"pk": "P", "sk": "1", "n": 1.5, "m": {"x": [1, "a", None, True]}, "b": b"\x00\xff", "ss": {"a", "b"}}
    db.put_item(TableName=TABLE, Item=to_item(item), ReturnValues="ALL_OLD")
    db.put_item(TableName=TABLE, Item=to_item(item | {"n": 2}), ReturnValues="ALL_OLD")
    db.update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET m.y = :y ADD n :one",
        ExpressionAttributeValues=to_item({":y": {"deep": [1, 2]}, ":one": 1}),
        ReturnValues="ALL_NEW",
        ReturnConsumedCapacity="TOTAL",
    )
    db.get_item(TableName=TABLE, Key=key, ConsistentRead=True)
    db.get_item(TableName=TABLE, Key=to_item({"pk": "none", "sk": "1"}))
    db.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues=to_item({":p": "P"}),
        ReturnConsumedCapacity="TOTAL",
        Limit=1,
    )
    db.scan(TableName=TABLE)
    db.batch_get_item(RequestItems={TABLE: {"Keys": [key, to_item({"pk": "none", "sk": "1"})]}})
    db.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": to_item({"pk": "Q", "sk": "1"})}}]})
    db.transact_write_items(TransactItems=[{"Delete": {"TableName": TABLE, "Key": to_item({"pk": "Q", "sk": "1"})}}])
    db.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key}}])
    db.delete_item(TableName=TABLE, Key=key, ReturnValues="ALL_OLD")
    db.describe_table(TableName=TABLE)  # not an item operation: moto's serializer, unchanged
    assert set(compared) >= {"PutItem", "UpdateItem", "GetItem", "Query", "Scan", "BatchGetItem", "DeleteItem"}
