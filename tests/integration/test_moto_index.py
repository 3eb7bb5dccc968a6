"""local/moto_index.py answers every Query exactly as stock moto does, after any mix of writes.

Random writes of every kind (puts, updates that move or drop index keys, deletes, batches,
transactions that commit or roll back, items large enough to hit the 1 MB page), then random
queries paged to the end, each asked twice: through the index and through moto's own full scan.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends

from local import moto_index
from local.atomic import serialize_in_process_dynamodb

TABLE = "things"
PKS = ["p0", "p1", "p2"]
SKS = [f"s{n:02d}" for n in range(30)] + ["t1", "t10", "u"]
GKS = ["g0", "g1"]


@pytest.fixture
def db() -> Iterator[Any]:
    serialize_in_process_dynamodb()  # the request lock, and whatever else the tests' moto has
    moto_index.index_moto_queries()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        key = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": kind}
                for name, kind in (("pk", "S"), ("sk", "S"), ("gk", "S"), ("gr", "S"), ("num", "N"), ("lr", "S"))
            ],
            KeySchema=key,
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_gr",
                    "KeySchema": [
                        {"AttributeName": "gk", "KeyType": "HASH"},
                        {"AttributeName": "gr", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "by_num",
                    "KeySchema": [
                        {"AttributeName": "gk", "KeyType": "HASH"},
                        {"AttributeName": "num", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["payload"]},
                },
            ],
            LocalSecondaryIndexes=[
                {
                    "IndexName": "by_lr",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "lr", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
        )
        yield client


def _item(rng: random.Random) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": rng.choice(PKS)}, "sk": {"S": rng.choice(SKS)}}
    if rng.random() < 0.8:
        item["gk"] = {"S": rng.choice(GKS)}
    if rng.random() < 0.7:
        item["gr"] = {"S": rng.choice(SKS)}
    if rng.random() < 0.7:
        item["num"] = {"N": str(rng.choice([-3, 0, 1, 2, 2.5, 10, 100]))}
    if rng.random() < 0.5:
        item["lr"] = {"S": rng.choice(SKS)}
    item["payload"] = {"S": "x" * rng.choice([5, 50, 5, 5, 5, 5, 5, 300_000])}  # 4 large ones fill 1 MB
    return item


def _key(rng: random.Random) -> dict[str, Any]:
    return {"pk": {"S": rng.choice(PKS)}, "sk": {"S": rng.choice(SKS)}}


def _update(rng: random.Random) -> dict[str, Any]:
    kind = rng.randrange(4)
    if kind == 0:
        return {
            "UpdateExpression": "SET gk = :g, gr = :r",
            "ExpressionAttributeValues": {":g": {"S": rng.choice(GKS)}, ":r": {"S": rng.choice(SKS)}},
        }
    if kind == 1:
        return {"UpdateExpression": "REMOVE gr, lr"}
    if kind == 2:
        return {
            "UpdateExpression": "ADD num :n",
            "ExpressionAttributeValues": {":n": {"N": str(rng.choice([1, -2, 7]))}},
        }
    return {"UpdateExpression": "SET lr = :l", "ExpressionAttributeValues": {":l": {"S": rng.choice(SKS)}}}


def _write(client: Any, rng: random.Random) -> None:
    kind = rng.randrange(10)
    try:
        if kind < 4:
            client.put_item(TableName=TABLE, Item=_item(rng))
        elif kind < 6:
            client.update_item(TableName=TABLE, Key=_key(rng), **_update(rng))
        elif kind == 6:
            client.delete_item(TableName=TABLE, Key=_key(rng))
        elif kind == 7:
            requests = {}
            for _ in range(rng.randrange(1, 6)):
                if rng.random() < 0.7:
                    item = _item(rng)
                    requests[(item["pk"]["S"], item["sk"]["S"])] = {"PutRequest": {"Item": item}}
                else:
                    key = _key(rng)
                    requests[(key["pk"]["S"], key["sk"]["S"])] = {"DeleteRequest": {"Key": key}}
            client.batch_write_item(RequestItems={TABLE: list(requests.values())})
        else:
            # A transaction; with a failing condition it rolls back (moto swaps in a copy of the table).
            item, key = _item(rng), _key(rng)
            if (item["pk"], item["sk"]) == (key["pk"], key["sk"]):
                return
            update: dict[str, Any] = {"TableName": TABLE, "Key": key, **_update(rng)}
            if kind == 9:
                update["ConditionExpression"] = "attribute_exists(nothing)"
            client.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": item}}, {"Update": update}])
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":  # a rollback is expected
            raise


def _query(rng: random.Random) -> dict[str, Any]:
    index, hash_attr, hash_values, range_attr, values = rng.choice(
        [
            (None, "pk", PKS, "sk", SKS),
            ("by_gr", "gk", GKS, "gr", SKS),
            ("by_num", "gk", GKS, "num", [-3, 0, 1, 2, 5, 100, 200]),
            ("by_lr", "pk", PKS, "lr", SKS),
        ]
    )
    kind = "N" if range_attr == "num" else "S"
    picks = sorted(rng.sample(values, 2), key=lambda v: v if kind == "N" else str(v))
    names = {"#h": hash_attr, "#r": range_attr}
    attr_values = {":h": {"S": rng.choice(hash_values)}, ":a": {kind: str(picks[0])}, ":b": {kind: str(picks[1])}}
    condition = rng.choice(
        [None, "#r = :a", "#r < :a", "#r <= :a", "#r > :a", "#r >= :a", "#r BETWEEN :a AND :b"]
        + (["begins_with(#r, :p)"] if kind == "S" else [])
    )
    if condition and ":p" in condition:
        attr_values[":p"] = {"S": rng.choice(["s", "s0", "s1", "t1", "u", "v"])}
    used = {name for name in (":a", ":b", ":p") if condition and name in condition}
    query: dict[str, Any] = {
        "TableName": TABLE,
        "KeyConditionExpression": "#h = :h" + (f" AND {condition}" if condition else ""),
        "ExpressionAttributeNames": names if condition else {"#h": hash_attr},
        "ExpressionAttributeValues": {k: v for k, v in attr_values.items() if k == ":h" or k in used},
        "ScanIndexForward": rng.random() < 0.5,
    }
    if index:
        query["IndexName"] = index
    if rng.random() < 0.7:
        query["Limit"] = rng.randrange(1, 8)
    if rng.random() < 0.3:
        query["FilterExpression"] = "attribute_exists(num)"
    return query


def _pages(client: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    pages, request = [], dict(query)
    while True:
        answer = client.query(**request)
        answer.pop("ResponseMetadata")
        pages.append(answer)
        if "LastEvaluatedKey" not in answer or len(pages) > 200:
            return pages
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _stock_pages(client: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    with moto_index.stock_queries():
        return _pages(client, query)


def _assert_index_matches_a_fresh_build() -> None:
    table = dynamodb_backends["123456789012"]["us-east-1"].get_table(TABLE)
    index = moto_index._index_of(table, build=True)
    assert index is not None
    fresh = moto_index._TableIndex(table, index.schemas)
    assert {k: p.keys for k, p in index.partitions.items() if p.keys} == {
        k: p.keys for k, p in fresh.partitions.items()
    }


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_indexed_queries_answer_exactly_as_stock_moto(db: Any, seed: int) -> None:
    rng = random.Random(seed)
    for _round in range(4):
        for _ in range(rng.randrange(10, 50)):
            _write(db, rng)
        for _ in range(30):
            query = _query(rng)
            assert _pages(db, query) == _stock_pages(db, query), query
        _assert_index_matches_a_fresh_build()


def test_a_start_key_from_another_partition_is_handled_as_moto_does(db: Any) -> None:
    rng = random.Random(1)
    for _ in range(80):
        db.put_item(TableName=TABLE, Item=_item(rng) | {"payload": {"S": "x"}})
    query = {
        "TableName": TABLE,
        "KeyConditionExpression": "pk = :h",
        "ExpressionAttributeValues": {":h": {"S": "p1"}},
        "ExclusiveStartKey": {"pk": {"S": "p0"}, "sk": {"S": "s10"}},
        "Limit": 3,
    }
    assert _pages(db, query) == _stock_pages(db, query)


def test_a_page_reads_only_its_items_however_large_the_table(db: Any) -> None:
    # Given a partition of 2,000 items
    for start in range(0, 2_000, 25):
        db.batch_write_item(
            RequestItems={
                TABLE: [
                    {"PutRequest": {"Item": {"pk": {"S": "big"}, "sk": {"S": f"k{n:05d}"}}}}
                    for n in range(start, start + 25)
                ]
            }
        )
    seen: list[int] = []
    original = moto_index._all_items(lambda table: [])

    def counting(table: Any) -> list[Any]:
        items = original(table)
        seen.append(len(items))
        return items

    table_class = type(dynamodb_backends["123456789012"]["us-east-1"].get_table(TABLE))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(table_class, "all_items", counting)
        # When a page of 10 is asked for, backward from the middle
        answer = db.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :h AND sk <= :s",
            ExpressionAttributeValues={":h": {"S": "big"}, ":s": {"S": "k01000"}},
            ScanIndexForward=False,
            Limit=10,
        )
    # Then moto's query saw the page and the item after it, nothing else
    assert [i["sk"]["S"] for i in answer["Items"]] == [f"k{n:05d}" for n in range(1000, 990, -1)]
    assert answer["LastEvaluatedKey"]["sk"] == {"S": "k00991"}
    assert seen == [11]


def test_a_rollback_that_puts_items_back_directly_is_followed(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an indexed item, and a rollback that restores items in place (no table copy, no put_item)
    import copy

    import moto.dynamodb.models as backend_module
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    db.put_item(TableName=TABLE, Item={"pk": {"S": "p0"}, "sk": {"S": "a"}, "gk": {"S": "g0"}, "gr": {"S": "r"}})
    query = {"TableName": TABLE, "IndexName": "by_gr", "KeyConditionExpression": "gk = :g"}
    assert len(db.query(**query, ExpressionAttributeValues={":g": {"S": "g0"}})["Items"]) == 1

    class NoTableCopies:
        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    transact = DynamoDBBackend.transact_write_items

    def restoring_in_place(self: Any, transact_items: Any) -> None:
        table = self.get_table(TABLE)
        saved = copy.deepcopy(dict(table.items))
        try:
            transact(self, transact_items)
        except Exception:
            table.items.clear()
            table.items.update(saved)
            raise

    monkeypatch.setattr(backend_module, "copy", NoTableCopies())
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", restoring_in_place)

    # When a transaction moves it to another index partition, then fails
    with pytest.raises(ClientError):
        db.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "p0"}, "sk": {"S": "a"}},
                        "UpdateExpression": "SET gk = :g",
                        "ExpressionAttributeValues": {":g": {"S": "g1"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "p9"}, "sk": {"S": "none"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )

    # Then the index follows the restored item
    for value in ("g0", "g1"):
        request = {**query, "ExpressionAttributeValues": {":g": {"S": value}}}
        assert _pages(db, request) == _stock_pages(db, request)
    assert len(db.query(**query, ExpressionAttributeValues={":g": {"S": "g0"}})["Items"]) == 1
