"""The emulator's speed-ups (local/atomic.py, local/expressions.py, local/moto_items.py) change nothing a client sees.

Transactions back up only the items they touch: still all or nothing. Item operations are answered
with json.dumps of moto's result: the same answers as moto's own serializer gives. Condition
expressions are lexed once per text and parsed once per request: the same verdicts as moto's parser.
An item's size is measured once, against moto's own limit. And tables' streams (local/moto_streams.py)
hold what DynamoDB Streams documents, no more. The tests' own shortcut too: each test's tables and
queues, copied from what the run's first test created, are as the API would create them, and empty.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import boto3
import moto.dynamodb.models as dynamodb_models
import moto.sqs.models as sqs_models
import pytest
from botocore.exceptions import ClientError
from moto.core.responses import ActionContext, ActionResult
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.dynamodbstreams.models import dynamodbstreams_backends

from lead_events.store.dynamo import from_item, to_item
from local import moto_streams
from local.atomic import MOTO_WIRE
from local.moto_streams import streams_client
from local.stack import create_resources
from local.template import ACCOUNT, REGION

pytestmark = pytest.mark.usefixtures("aws")
TABLE = "lead-events-dev-config"
OTHER = "lead-events-dev-leads"
LOGS = "lead-events-dev-logs"  # the table with a stream


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


def test_items_turn_into_wire_format_exactly_as_moto_turns_them() -> None:
    value = to_item(
        {
            "m": {"s": "x", "n": 1, "b": b"\x00\xff", "l": [1, "a", None, True, {"deep": [b"\x01"]}], "e": {}},
            "ss": {"a", "b"},
            "ns": {1, 2},
            "bs": {b"\x02", b"\x03"},
            "l": [[], {"k": {"ss": {"z"}}}],
        }
    )
    for attribute in value.values():
        typed = DynamoType(attribute)
        expected = MOTO_WIRE(typed)
        answer = typed.to_regular_json()
        assert answer == expected
        answer.clear()  # the answer is built anew: emptying it leaves the item's value as it was
        assert MOTO_WIRE(typed) == expected
    nested = DynamoType(value["m"])
    before = MOTO_WIRE(nested)
    answer = nested.to_regular_json()
    answer["M"]["l"]["L"].clear()  # a copy: the item keeps its value
    answer["M"]["s"]["S"] = "changed"
    assert MOTO_WIRE(nested) == nested.to_regular_json() == before


def _both_serializers(compared: list[str]) -> Callable[[ActionResult, ActionContext], Any]:
    """moto's answer writer, checking each answer of the fast one against moto's generic serializer's."""
    fast = ActionResult.execute_result
    generic = fast.__wrapped__  # type: ignore[attr-defined]

    def both(self: ActionResult, context: ActionContext) -> Any:
        answer = fast(self, context)
        expected = generic(self, context)
        assert answer[0] == expected[0]
        assert json.loads(answer[2]) == json.loads(expected[2]), context.operation_model.name
        compared.append(context.operation_model.name)
        return answer

    return both


def test_item_operations_answer_exactly_what_motos_serializer_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[str] = []
    monkeypatch.setattr(ActionResult, "execute_result", _both_serializers(compared))
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


def test_stream_reads_answer_exactly_what_motos_serializer_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[str] = []
    db = boto3.client("dynamodb")
    db.update_table(
        TableName=TABLE, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )
    item = {"pk": "P", "sk": "1", "n": 1.5, "m": {"x": [1, "a", None, True]}, "b": b"\x00\xff", "ss": {"a", "b"}}
    db.put_item(TableName=TABLE, Item=to_item(item))
    db.put_item(TableName=TABLE, Item=to_item(item | {"n": 2}))
    db.delete_item(TableName=TABLE, Key=to_item({"pk": "P", "sk": "1"}))
    streams = streams_client()
    arn = db.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
    monkeypatch.setattr(ActionResult, "execute_result", _both_serializers(compared))
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    assert compared == ["GetRecords"]


_CONDITIONS = [
    "attribute_not_exists(pk)",
    "version = :v",
    "#d.#s IN (:a, :b) AND #d.n = :v AND (attribute_not_exists(#d.c) OR #d.c < :v)",
    "NOT (begins_with(sk, :p) OR size(#d) > :v) AND n BETWEEN :v AND :w",
    "contains(tags, :a) AND attribute_type(n, :t) AND n <> :w",
]


def _verdicts(item: Item, names: dict[str, str], values: dict[str, Any]) -> list[tuple[bool, list, list]]:
    verdicts = []
    for text in _CONDITIONS:
        parser = ConditionExpressionParser(text, names, values)
        verdicts.append((parser.parse().expr(item), parser.expr_attr_names_found, parser.expr_attr_values_found))
    return verdicts


def test_condition_parses_give_motos_own_verdicts_for_every_set_of_values(monkeypatch: pytest.MonkeyPatch) -> None:
    names = {"#d": "deliveries", "#s": "status"}
    item = Item(
        {"S": "P"},
        {"S": "LOG#1"},
        attrs=to_item({"pk": "P", "sk": "LOG#1", "n": 3, "tags": {"x"}, "deliveries": {"status": "queued", "n": 3}}),
    )
    value_sets = [
        to_item({":a": "queued", ":b": "x", ":v": 3, ":w": 4, ":p": "LOG", ":t": "N"}),
        to_item({":a": "y", ":b": "queued", ":v": 3, ":w": 3, ":p": "X", ":t": "S"}),
        to_item({":a": "y", ":b": "z", ":v": 2, ":w": 9, ":p": "LOG#", ":t": "N"}),
    ]
    memoized = [_verdicts(item, names, values) for values in value_sets * 2]  # the second round from the caches
    monkeypatch.setattr(ConditionExpressionParser, "parse", ConditionExpressionParser.parse.__wrapped__)
    monkeypatch.setattr(
        ConditionExpressionParser,
        "_lex_condition_expression",
        ConditionExpressionParser._lex_condition_expression.__wrapped__,
    )
    assert memoized == [_verdicts(item, names, values) for values in value_sets * 2]
    assert {verdict for run in memoized for verdict, _, _ in run} == {True, False}


def test_a_bad_condition_is_refused_every_time_it_is_sent() -> None:
    db = boto3.client("dynamodb")
    db.put_item(TableName=TABLE, Item=to_item({"pk": "A", "sk": "1", "n": 1}))
    for _ in range(2):  # in-process moto lets its parser's error out: the same one both times, nothing kept
        with pytest.raises(ValueError, match="Bad comparison"):
            db.update_item(
                TableName=TABLE,
                Key=to_item({"pk": "A", "sk": "1"}),
                UpdateExpression="SET n = :n",
                ConditionExpression="n = = :n",
                ExpressionAttributeValues=to_item({":n": 2}),
            )
    assert _item(db, TABLE, "A", "1") == {"pk": "A", "sk": "1", "n": 1}

    def add_one_if_n_is(n: int) -> None:
        db.update_item(
            TableName=TABLE,
            Key=to_item({"pk": "A", "sk": "1"}),
            UpdateExpression="SET n = n + :one",
            ConditionExpression="n = :n",
            ExpressionAttributeValues=to_item({":n": n, ":one": 1}),
        )

    # The same text each time, with other values, or the same values on a changed item: each judged anew.
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        add_one_if_n_is(5)
    add_one_if_n_is(1)
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        add_one_if_n_is(1)
    add_one_if_n_is(2)
    assert _item(db, TABLE, "A", "1") == {"pk": "A", "sk": "1", "n": 3}


def _updated_twice(db: Any, pk: str) -> dict | None:
    key = to_item({"pk": pk, "sk": "1"})
    db.put_item(TableName=TABLE, Item=to_item({"pk": pk, "sk": "1", "m": {"a": 1}, "n": 1, "s": {"x"}}))
    for value in (2, 3):  # the same text twice: the second time from the kept tree
        db.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET m.#k = :v, n = n + :v, l = list_append(if_not_exists(l, :e), :l) "
            "REMOVE gone ADD s :s",
            ExpressionAttributeNames={"#k": f"k{value}"},
            ExpressionAttributeValues=to_item({":v": value, ":e": [], ":l": [value], ":s": {f"y{value}"}}),
        )
    return _item(db, TABLE, pk, "1")


def test_update_expressions_parsed_once_apply_as_motos_own_parses_do(monkeypatch: pytest.MonkeyPatch) -> None:
    db = boto3.client("dynamodb")
    kept = _updated_twice(db, "kept")
    monkeypatch.setattr(UpdateExpressionParser, "make", classmethod(UpdateExpressionParser.make.__func__.__wrapped__))
    assert _updated_twice(db, "stock") == kept | {"pk": "stock"}
    assert kept == {
        "pk": "kept",
        "sk": "1",
        "m": {"a": 1, "k2": 2, "k3": 3},
        "n": 6,
        "l": [2, 3],
        "s": {"x", "y2", "y3"},
    }


def _put_outcome(db: Any, pk: str, attributes: dict[str, Any]) -> str:
    try:
        db.put_item(TableName=TABLE, Item=to_item({"pk": pk, "sk": "1", **attributes}))
    except ClientError as exc:
        return f"{exc.response['Error']['Code']}: {exc.response['Error']['Message']}"
    return "stored"


@pytest.mark.parametrize(
    "attributes",
    [
        {"a": "x" * 404_000},  # under moto's limit with its name and keys
        {"a": "x" * 405_000},  # over it
        {f"a{n}": "x" * 40_400 for n in range(10)},  # under it, in ten parts
        {f"a{n}": "x" * 40_500 for n in range(10)},  # over it, in ten parts
        {"m": {"inner": {"k": "x" * 404_990}}},  # nested: under
        {"m": {"inner": {"k": "x" * 405_000}}},  # nested: over
    ],
    ids=["one under", "one over", "ten under", "ten over", "nested under", "nested over"],
)
def test_the_item_size_limit_is_the_one_motos_own_check_applies(
    monkeypatch: pytest.MonkeyPatch, attributes: dict[str, Any]
) -> None:
    db = boto3.client("dynamodb")
    measured_once = _put_outcome(db, "linear", attributes)
    monkeypatch.setattr(Item, "__init__", Item.__init__.__wrapped__)  # moto's own, attribute by attribute
    assert _put_outcome(db, "stock", attributes) == measured_once
    if measured_once == "stored":
        assert _item(db, TABLE, "linear", "1") == _item(db, TABLE, "stock", "1") | {"pk": "linear"}
    else:
        assert measured_once == "ValidationException: Item size has exceeded the maximum allowed size"


# DynamoDB Streams: what moto writes to a table's stream is what DynamoDB Streams writes
# (local/moto_streams.py, and the transaction rollback in local/atomic.py).

STREAMED = "streamed"


def _streamed_table(db: Any, name: str = STREAMED, view: str = "NEW_AND_OLD_IMAGES") -> str:
    table = db.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )
    return str(table["TableDescription"]["LatestStreamArn"])


def _stream(stream_arn: str) -> list[dict[str, Any]]:
    """Every record of the stream, oldest first."""
    streams = streams_client()
    [shard] = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return list(streams.get_records(ShardIterator=iterator)["Records"])


def _events(stream_arn: str) -> list[tuple[str, str]]:
    return [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in _stream(stream_arn)]


def test_a_cancelled_transaction_adds_no_stream_record_and_a_committed_one_a_record_per_write() -> None:
    db = boto3.client("dynamodb")
    first, second = _streamed_table(db), _streamed_table(db, "streamed-too")
    db.put_item(TableName=STREAMED, Item=to_item({"pk": "A", "sk": "1", "n": 1}))
    writes = [
        {"Put": {"TableName": STREAMED, "Item": to_item({"pk": "B", "sk": "1"})}},
        {
            "Update": {
                "TableName": STREAMED,
                "Key": to_item({"pk": "A", "sk": "1"}),
                "UpdateExpression": "SET n = :n",
                "ExpressionAttributeValues": to_item({":n": 2}),
            }
        },
        {"Put": {"TableName": "streamed-too", "Item": to_item({"pk": "C", "sk": "1"})}},
    ]
    failing = {
        "ConditionCheck": {
            "TableName": STREAMED,
            "Key": to_item({"pk": "nothing", "sk": "1"}),
            "ConditionExpression": "attribute_exists(pk)",
        }
    }
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        db.transact_write_items(TransactItems=[*writes, failing])  # the writes come first: moto applied them
    assert _events(first) == [("INSERT", "A")]
    assert _events(second) == []

    db.transact_write_items(TransactItems=writes)
    assert _events(first) == [("INSERT", "A"), ("INSERT", "B"), ("MODIFY", "A")]
    assert _events(second) == [("INSERT", "C")]
    sequence_numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in _stream(first)]
    assert sequence_numbers == sorted(sequence_numbers) and len(set(sequence_numbers)) == 3


def test_a_write_that_changes_nothing_adds_no_stream_record() -> None:
    """DynamoDB Streams.html: "If you perform a PutItem or UpdateItem operation that does not change any data in an
    item, DynamoDB Streams does not write a stream record for that operation." """
    db = boto3.client("dynamodb")
    arn = _streamed_table(db)
    item = {"pk": "A", "sk": "1", "n": 1, "tags": {"x", "y"}, "m": {"l": [1, "a"]}}
    db.put_item(TableName=STREAMED, Item=to_item(item))
    db.put_item(TableName=STREAMED, Item=to_item(item))  # the same item again
    same_number = to_item(item) | {"n": {"N": "1.0"}, "tags": {"SS": ["y", "x"]}}
    db.put_item(TableName=STREAMED, Item=same_number)  # the same number, the same set
    db.update_item(
        TableName=STREAMED,
        Key=to_item({"pk": "A", "sk": "1"}),
        UpdateExpression="SET n = :n REMOVE absent",
        ExpressionAttributeValues=to_item({":n": 1}),
    )
    assert _events(arn) == [("INSERT", "A")]

    db.update_item(
        TableName=STREAMED,
        Key=to_item({"pk": "A", "sk": "1"}),
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues=to_item({":n": 2}),
    )
    db.put_item(TableName=STREAMED, Item=to_item(item))
    [_, changed, put_back] = _stream(arn)
    assert (changed["eventName"], changed["dynamodb"]["NewImage"]["n"], changed["dynamodb"]["OldImage"]["n"]) == (
        "MODIFY",
        {"N": "2"},
        {"N": "1"},
    )
    assert put_back["eventName"] == "MODIFY" and put_back["dynamodb"]["NewImage"]["n"] == {"N": "1"}


def test_an_update_that_creates_its_item_adds_one_insert_with_the_whole_item() -> None:
    db = boto3.client("dynamodb")
    arn = _streamed_table(db)
    db.update_item(
        TableName=STREAMED,
        Key=to_item({"pk": "A", "sk": "1"}),
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues=to_item({":n": 1}),
    )
    [record] = _stream(arn)
    assert record["eventName"] == "INSERT"
    assert record["dynamodb"]["NewImage"] == to_item({"pk": "A", "sk": "1", "n": 1})
    assert "OldImage" not in record["dynamodb"]


def test_a_write_whose_condition_fails_adds_no_stream_record() -> None:
    db = boto3.client("dynamodb")
    arn = _streamed_table(db)
    key = to_item({"pk": "A", "sk": "1"})
    db.put_item(TableName=STREAMED, Item=to_item({"pk": "A", "sk": "1", "n": 1}))
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        db.put_item(TableName=STREAMED, Item=key, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        db.update_item(
            TableName=STREAMED,
            Key=key,
            UpdateExpression="SET n = :two",
            ConditionExpression="n = :two",
            ExpressionAttributeValues=to_item({":two": 2}),
        )
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        db.delete_item(TableName=STREAMED, Key=key, ConditionExpression="attribute_not_exists(n)")
    db.delete_item(TableName=STREAMED, Key=to_item({"pk": "none", "sk": "1"}))  # nothing there, nothing removed
    assert _events(arn) == [("INSERT", "A")]
    db.delete_item(TableName=STREAMED, Key=key)
    assert _events(arn) == [("INSERT", "A"), ("REMOVE", "A")]


def test_stream_records_carry_the_view_types_images_and_times_rounded_down_to_the_second() -> None:
    """API_streams_StreamRecord: ApproximateCreationDateTime is "rounded down to the closest second"."""
    db = boto3.client("dynamodb")
    images = {
        "KEYS_ONLY": set(),
        "NEW_IMAGE": {"NewImage"},
        "OLD_IMAGE": {"OldImage"},
        "NEW_AND_OLD_IMAGES": {"NewImage", "OldImage"},
    }
    for view, expected in images.items():
        name = f"streamed-{view.lower()}"
        arn = _streamed_table(db, name, view)
        db.put_item(TableName=name, Item=to_item({"pk": "A", "sk": "1", "n": 1}))
        db.put_item(TableName=name, Item=to_item({"pk": "A", "sk": "1", "n": 2}))
        inserted, modified = _stream(arn)
        assert set(modified["dynamodb"]) - {"ApproximateCreationDateTime", "Keys", "SequenceNumber", "SizeBytes"} == (
            expected | {"StreamViewType"}
        ), view
        assert set(inserted["dynamodb"]) & {"OldImage"} == set()
        for record in (inserted, modified):
            assert record["dynamodb"]["ApproximateCreationDateTime"].microsecond == 0
            assert record["dynamodb"]["StreamViewType"] == view


def test_shard_iterators_expire_after_15_minutes_and_do_not_pile_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """API_streams_GetShardIterator: "A shard iterator expires 15 minutes after it is returned to the requester"."""
    db = boto3.client("dynamodb")
    arn = _streamed_table(db)
    streams = streams_client()
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    now = [1000.0]
    monkeypatch.setattr(moto_streams, "_clock", lambda: now[0])
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST")[
        "ShardIterator"
    ]
    for _ in range(50):  # a poller reading an idle stream: each answer hands out a new iterator
        iterator = streams.get_records(ShardIterator=iterator)["NextShardIterator"]
    kept = dynamodbstreams_backends[ACCOUNT][REGION].shard_iterators
    stale = next(iter(kept))
    now[0] += 14 * 60
    iterator = streams.get_records(ShardIterator=iterator)["NextShardIterator"]  # 14 minutes old: still good
    now[0] += 15 * 60 + 1
    with pytest.raises(ClientError, match="ExpiredIteratorException"):
        streams.get_records(ShardIterator=stale)
    assert len(kept) <= 2  # the latest, and the one handed out by the read 14 minutes in
    fresh = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
    db.put_item(TableName=STREAMED, Item=to_item({"pk": "A", "sk": "1"}))
    assert len(streams.get_records(ShardIterator=fresh["ShardIterator"])["Records"]) == 1


def test_the_servers_routing_sees_the_same_moto_modules_when_their_list_is_cached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import moto.backends

    from local.atomic import cached_module_list

    listed = list(moto.backends.list_of_moto_modules())
    monkeypatch.setattr(moto.backends, "list_of_moto_modules", moto.backends.list_of_moto_modules)
    cached_module_list()
    assert list(moto.backends.list_of_moto_modules()) == listed
    assert {"dynamodb", "dynamodbstreams", "sqs"} <= set(listed)


def _described() -> tuple[dict[str, Any], dict[str, Any]]:
    """Every table and queue as the API describes them, without what differs from one creation to the next."""
    db, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    volatile = {"CreationDateTime", "LatestStreamLabel", "LatestStreamArn"}
    tables = {}
    for name in db.list_tables()["TableNames"]:
        table = db.describe_table(TableName=name)["Table"]
        tables[name] = {key: value for key, value in table.items() if key not in volatile}
        tables[name]["items"] = db.scan(TableName=name)["Items"]
    queues = {}
    for url in sqs.list_queues()["QueueUrls"]:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        queues[url] = {key: value for key, value in attributes.items() if not key.endswith("Timestamp")}
    return tables, queues


def test_each_test_gets_the_template_s_tables_and_queues_as_created_and_empty_whatever_the_last_one_did() -> None:
    """The aws fixture copies what create_resources made in a run's first test (tests/conftest.py)."""
    from tests.conftest import _create_template_resources, template_stack

    db, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    first_arn = db.describe_table(TableName=LOGS)["Table"]["LatestStreamArn"]
    db.put_item(TableName=TABLE, Item=to_item({"pk": "left", "sk": "behind"}))
    db.update_table(
        TableName=OTHER,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="lead-events-dev-postbacks")["QueueUrl"], MessageBody="{}")
    sqs.create_queue(QueueName="not-in-the-template")

    _create_template_resources()  # what the next test starts with
    copied = _described()
    assert db.describe_table(TableName=LOGS)["Table"]["LatestStreamArn"] != first_arn
    assert all(table["items"] == [] for table in copied[0].values())
    assert all(queue["ApproximateNumberOfMessages"] == "0" for queue in copied[1].values())

    for backends in (dynamodb_models.dynamodb_backends, sqs_models.sqs_backends):
        backends[ACCOUNT][REGION].reset()
    create_resources(template_stack())  # made through the API, as in a run's first test
    assert copied == _described()


def test_a_reader_waiting_for_stream_records_wakes_when_one_is_written_not_for_a_write_that_changes_nothing() -> None:
    """What the local stack's stream pollers wait on between reads of an idle shard (local/streams.py)."""
    db = boto3.client("dynamodb")
    _streamed_table(db)
    item = {"pk": "A", "sk": "1", "n": 1}
    seen = moto_streams.records_written()
    db.put_item(TableName=STREAMED, Item=to_item(item))
    assert moto_streams.records_written() == seen + 1
    seen = moto_streams.records_written()
    db.put_item(TableName=STREAMED, Item=to_item(item))  # changes nothing: no record, nothing to wake for
    assert moto_streams.records_written() == seen
    moto_streams.wait_for_records(seen, timeout=0.1)  # returns at its timeout

    woke = threading.Event()

    def reader() -> None:
        moto_streams.wait_for_records(seen, timeout=60)
        woke.set()

    threading.Thread(target=reader, daemon=True).start()
    assert not woke.wait(0.2)
    db.put_item(TableName=STREAMED, Item=to_item(item | {"n": 2}))
    assert woke.wait(10), "the reader did not wake within 10 s of the write (it waits 60 s otherwise)"

    stopping = threading.Event()
    woke.clear()

    def stopping_reader() -> None:
        moto_streams.wait_for_records(moto_streams.records_written(), timeout=60, stopping=stopping.is_set)
        woke.set()

    threading.Thread(target=stopping_reader, daemon=True).start()
    assert not woke.wait(0.2)
    stopping.set()
    moto_streams.wake_readers()
    assert woke.wait(10)
