"""The emulator's transactions (local/atomic.py backs up only the touched items): all or nothing still."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

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
