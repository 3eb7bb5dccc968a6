"""The local stack runs a template's DynamoDB stream event sources as Lambda runs them.

Each test writes a small template to tmp_path: a streamed table, a failure queue and a function that
records every batch it is handed and fails when a record tells it to (`fail`: raise, report or
bad-report; `fail_times`: for its first n deliveries only). The poller is driven step by step with
`poll_once()`, under moto in-process with the emulator's patches (the `aws` fixture).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import (
    DynamoDBStreamLambdaOnFailureDestinationModel,
    DynamoDBStreamModel,
)

from lead_events.store.dynamo import to_item
from local import streams
from local.lambdas import FunctionPool
from local.stack import create_resources
from local.streams import StreamPoller
from local.template import Stack, StreamSource, TemplateError, load_stack

pytestmark = pytest.mark.usefixtures("aws")

HANDLER = """
import collections

SEEN = []  # every batch handed over, in order
DELIVERIES = collections.Counter()  # by sequence number


def lambda_handler(event, context):
    records = event["Records"]
    SEEN.append(records)
    for record in records:
        DELIVERIES[record["dynamodb"]["SequenceNumber"]] += 1
    failures = []
    for record in records:
        sequence_number = record["dynamodb"]["SequenceNumber"]
        image = record["dynamodb"].get("NewImage", {})
        how = image.get("fail", {}).get("S")
        if how and DELIVERIES[sequence_number] <= int(image.get("fail_times", {}).get("N", "1000000")):
            if how == "raise":
                raise RuntimeError(f"poison record {sequence_number}")
            failures.append({"itemIdentifier": "" if how == "bad-report" else sequence_number})
    return {"batchItemFailures": failures}
"""

OUTBOX_EVENT = """
        LogsStream:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt LogsTable.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 100
            MaximumBatchingWindowInSeconds: 0
            FilterCriteria:
              Filters:
                - Pattern: '{"dynamodb": {"NewImage": {"outbox": {"S": [{"exists": true}]}}}}'
            FunctionResponseTypes: [ReportBatchItemFailures]
            BisectBatchOnFunctionError: true
            MaximumRetryAttempts: -1
            MaximumRecordAgeInSeconds: -1
            DestinationConfig:
              OnFailure:
                Type: SQS
                Destination: !GetAtt OutboxFailureQueue.Arn
"""


def _template(tmp_path: Path, events: str, view: str = "NEW_AND_OLD_IMAGES") -> Path:
    (tmp_path / "app.py").write_text(HANDLER)
    path = tmp_path / "template.yaml"
    path.write_text(
        f"""
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  LogsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
      BillingMode: PAY_PER_REQUEST
      StreamSpecification:
        StreamViewType: {view}
  OutboxFailureQueue:
    Type: AWS::SQS::Queue
  OutboxFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.lambda_handler
      Runtime: python3.13
      Events:
{events}
"""
    )
    return path


def _event(**properties: Any) -> str:
    """A DynamoDB event on LogsTable's stream, its properties in JSON (which is YAML)."""
    properties = {
        "Stream": {"Fn::GetAtt": ["LogsTable", "StreamArn"]},
        "StartingPosition": "TRIM_HORIZON",
        **properties,
    }
    return f"""
        Changes:
          Type: DynamoDB
          Properties: {json.dumps(properties)}
"""


TO_THE_QUEUE = {"OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": ["OutboxFailureQueue", "Arn"]}}}


@dataclass
class Outbox:
    stack: Stack
    pool: FunctionPool
    poller: StreamPoller

    @property
    def table(self) -> str:
        return str(self.stack.tables["LogsTable"]["TableName"])

    def put(self, pk: str, **attributes: Any) -> None:
        boto3.client("dynamodb").put_item(TableName=self.table, Item=to_item({"pk": pk, **attributes}))

    def run(self, steps: int = 100) -> int:
        """Let the poller run until it has nothing to do; returns the steps that did something."""
        for step in range(steps):
            if not self.poller.poll_once():
                return step
        raise AssertionError(f"still busy after {steps} steps")

    @property
    def seen(self) -> list[list[dict[str, Any]]]:
        return self.pool._idle[0].__globals__["SEEN"] if self.pool._idle else []

    def batches(self) -> list[list[str]]:
        """The keys of the records in each batch the function was handed."""
        return [[r["dynamodb"]["Keys"]["pk"]["S"] for r in batch] for batch in self.seen]

    def sequence_number(self, pk: str) -> str:
        return next(
            str(r["dynamodb"]["SequenceNumber"])
            for batch in self.seen
            for r in batch
            if r["dynamodb"]["Keys"]["pk"]["S"] == pk
        )

    def failures(self) -> list[dict[str, Any]]:
        """The invocation records the OnFailure destination received."""
        sqs = boto3.client("sqs")
        url = sqs.get_queue_url(QueueName=self.stack.queues["OutboxFailureQueue"]["QueueName"])["QueueUrl"]
        return [
            json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        ]


MakeOutbox = Callable[..., Outbox]


@pytest.fixture
def outbox(tmp_path: Path) -> MakeOutbox:
    def make(events: str = OUTBOX_EVENT, view: str = "NEW_AND_OLD_IMAGES", create: bool = True) -> Outbox:
        stack = load_stack(_template(tmp_path, events, view))
        if create:
            create_resources(stack)
        pool = FunctionPool(stack.functions["OutboxFunction"])
        return Outbox(stack, pool, StreamPoller(stack, stack.stream_sources[0], pool))

    return make


def test_the_template_event_becomes_a_stream_source_and_its_table_gets_a_stream(tmp_path: Path) -> None:
    stack = load_stack(_template(tmp_path, OUTBOX_EVENT, "NEW_IMAGE"))
    assert stack.stream_sources == [
        StreamSource(
            function="OutboxFunction",
            table="LogsTable",
            starting_position="TRIM_HORIZON",
            batch_size=100,
            batching_window=0,
            filter_patterns=('{"dynamodb": {"NewImage": {"outbox": {"S": [{"exists": true}]}}}}',),
            report_batch_item_failures=True,
            bisect_on_error=True,
            max_retry_attempts=-1,
            max_record_age=-1,
            on_failure="OutboxFailureQueue",
        )
    ]
    assert stack.tables["LogsTable"]["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert StreamSource("F", "T", "LATEST") == StreamSource(
        "F", "T", "LATEST", 100, 0, (), False, False, -1, -1, None, True
    )  # Lambda's defaults (services-ddb-params)


@pytest.mark.parametrize(
    ("properties", "complaint"),
    [
        ({"Stream": "arn:aws:dynamodb:us-east-1:123456789012:table/x/stream/y"}, "must be !GetAtt <Table>.StreamArn"),
        ({"StartingPosition": "AT_TIMESTAMP"}, "TRIM_HORIZON or LATEST"),
        ({"FilterCriteria": {"Filters": [{"Pattern": '{"eventName": ["INSERT"]}'}]}}, "only filter on the dynamodb"),
        ({"FilterCriteria": {"Filters": [{"Pattern": '{"dynamodb": "x"}'}]}}, "not valid"),
        ({"BatchSize": 10_001}, "BatchSize must be between 1 and 10000"),
        ({"MaximumRetryAttempts": -2}, "MaximumRetryAttempts"),
        ({"MaximumRecordAgeInSeconds": 30}, "MaximumRecordAgeInSeconds"),
        ({"ParallelizationFactor": 2}, "ParallelizationFactor"),
        ({"TumblingWindowInSeconds": 60}, "TumblingWindowInSeconds"),
        ({"DestinationConfig": {"OnFailure": {"Type": "SNS", "Destination": "arn:aws:sns:x"}}}, "SQS queue"),
    ],
)
def test_what_the_local_poller_cannot_run_as_lambda_would_is_refused_when_loading(
    tmp_path: Path, properties: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(TemplateError, match=complaint):
        load_stack(_template(tmp_path, _event(**properties)))


def test_a_stream_of_a_table_without_one_is_refused(tmp_path: Path) -> None:
    path = _template(tmp_path, _event())
    path.write_text(path.read_text().replace("StreamSpecification:\n        StreamViewType: NEW_AND_OLD_IMAGES", ""))
    with pytest.raises(TemplateError, match="no StreamSpecification"):
        load_stack(path)


def test_records_arrive_in_order_shaped_as_lambda_delivers_them(outbox: MakeOutbox) -> None:
    box = outbox(_event(BatchSize=10))
    db = boto3.client("dynamodb")
    started = time.time()
    box.put("a", n=1)
    db.update_item(
        TableName=box.table,
        Key=to_item({"pk": "a"}),
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues=to_item({":n": 2}),
    )
    box.put("b", data=b"\x00\xff", tags={"x"})
    db.delete_item(TableName=box.table, Key=to_item({"pk": "a"}))

    assert box.poller.poll_once() == 4
    assert box.poller.poll_once() == 0  # checkpointed: nothing comes twice
    [batch] = box.seen
    assert [(r["eventName"], r["dynamodb"]["Keys"]) for r in batch] == [
        ("INSERT", {"pk": {"S": "a"}}),
        ("MODIFY", {"pk": {"S": "a"}}),
        ("INSERT", {"pk": {"S": "b"}}),
        ("REMOVE", {"pk": {"S": "a"}}),
    ]
    json.dumps(box.seen)  # plain JSON, as an event is
    DynamoDBStreamModel.model_validate({"Records": batch})  # Powertools' model of Lambda's DynamoDB stream event
    stream_arn = db.describe_table(TableName=box.table)["Table"]["LatestStreamArn"]
    for record in batch:
        assert list(record) == [
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN",
        ]
        assert record["eventSource"] == "aws:dynamodb" and record["eventVersion"] == "1.0"
        assert record["awsRegion"] == "us-east-1" and record["eventSourceARN"] == stream_arn
        change = record["dynamodb"]
        created = change["ApproximateCreationDateTime"]
        assert isinstance(created, float) and created.is_integer() and started - 1 <= created <= time.time()
        assert change["StreamViewType"] == "NEW_AND_OLD_IMAGES" and change["SizeBytes"] > 0
    inserted, modified, binary, removed = (r["dynamodb"] for r in batch)
    assert inserted["NewImage"] == {"pk": {"S": "a"}, "n": {"N": "1"}} and "OldImage" not in inserted
    assert (modified["OldImage"]["n"], modified["NewImage"]["n"]) == ({"N": "1"}, {"N": "2"})
    assert binary["NewImage"]["data"] == {"B": "AP8="} and binary["NewImage"]["tags"] == {"SS": ["x"]}
    assert removed["OldImage"] == {"pk": {"S": "a"}, "n": {"N": "2"}} and "NewImage" not in removed
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in batch]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4
    assert box.poller.shards[0].checkpoint == batch[-1]["dynamodb"]["SequenceNumber"]


def test_batches_hold_at_most_batch_size_records_in_order(outbox: MakeOutbox) -> None:
    box = outbox(_event(BatchSize=2), view="KEYS_ONLY")
    for pk in "abcde":
        box.put(pk)
    assert box.run() == 3
    assert box.batches() == [["a", "b"], ["c", "d"], ["e"]]
    assert all(
        set(r["dynamodb"]) == {"ApproximateCreationDateTime", "Keys", "SequenceNumber", "SizeBytes", "StreamViewType"}
        for batch in box.seen
        for r in batch
    )


def test_without_a_batching_window_what_has_been_written_goes_at_once_while_writes_go_on(
    outbox: MakeOutbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Writes keep coming (one more record each time the stream is read): the batch is what was there
    # when the shard was read to its end, not what it takes to fill BatchSize.
    box = outbox(_event(BatchSize=100), view="KEYS_ONLY")
    box.put("a0")
    reads = []
    real_get_records = box.poller.streams.get_records

    def get_records(**kwargs: Any) -> Any:
        answer = real_get_records(**kwargs)
        reads.append(len(answer["Records"]))
        box.put(f"a{len(reads)}")  # written while this read was answered
        return answer

    monkeypatch.setattr(box.poller.streams, "get_records", get_records)
    box.poller.poll_once()
    assert box.batches() == [["a0"]]
    assert reads == [1]


def test_a_batch_stays_within_the_6_mb_payload(outbox: MakeOutbox) -> None:
    box = outbox(_event(BatchSize=100), view="NEW_IMAGE")
    for n in range(20):
        box.put(f"big-{n:02}", blob="x" * 350_000)
    box.run()
    sizes = [len(batch) for batch in box.batches()]
    assert sum(sizes) == 20 and len(sizes) == 2
    assert all(len(json.dumps({"Records": batch})) <= 6 * 1024 * 1024 for batch in box.seen)


def test_the_filter_skips_records_matching_no_pattern_and_moves_past_them(outbox: MakeOutbox) -> None:
    box = outbox()  # the outbox event of the template to come
    box.put("plain-1")
    box.put("message-1", outbox="send")
    box.put("plain-2")
    box.put("plain-3")
    box.put("message-2", outbox="send")
    box.put("plain-4")

    assert box.poller.poll_once() == 6  # two invoked, four filtered out
    assert box.batches() == [["message-1", "message-2"]]
    assert box.poller.poll_once() == 0
    # The checkpoint is past the filtered records too: plain-4 came right after message-2.
    assert int(box.poller.shards[0].checkpoint or 0) == int(box.sequence_number("message-2")) + 1

    box.put("plain-5")
    assert box.poller.poll_once() == 1 and len(box.seen) == 1  # filtered out: no invocation at all


def test_a_reported_failure_redelivers_from_that_record_on_and_not_the_ones_before(outbox: MakeOutbox) -> None:
    box = outbox(_event(FunctionResponseTypes=["ReportBatchItemFailures"]))
    box.put("r1")
    box.put("r2", fail="report", fail_times=1)
    box.put("r3", fail="report", fail_times=1)
    box.put("r4")
    box.run()
    assert box.batches() == [["r1", "r2", "r3", "r4"], ["r2", "r3", "r4"]]  # from the lowest one reported
    assert box.failures() == []


def test_with_bisection_a_reported_failure_retries_only_the_rest_of_that_batch(outbox: MakeOutbox) -> None:
    box = outbox(_event(FunctionResponseTypes=["ReportBatchItemFailures"], BisectBatchOnFunctionError=True))
    box.put("r1")
    box.put("r2", fail="report", fail_times=2)
    box.put("r3")
    assert box.poller.poll_once() == 3
    box.put("r4")  # written after the batch was read: not part of its retries
    box.run()
    assert box.batches() == [["r1", "r2", "r3"], ["r2", "r3"], ["r2", "r3"], ["r4"]]


def test_an_unusable_failure_report_fails_the_whole_batch(outbox: MakeOutbox) -> None:
    box = outbox(_event(FunctionResponseTypes=["ReportBatchItemFailures"]))
    box.put("r1")
    box.put("r2", fail="bad-report", fail_times=1)  # an empty itemIdentifier: services-ddb-batchfailurereporting
    box.run()
    assert box.batches() == [["r1", "r2"], ["r1", "r2"]]


def test_without_report_batch_item_failures_a_report_is_ignored(outbox: MakeOutbox) -> None:
    box = outbox(_event())
    box.put("r1", fail="report")
    box.put("r2")
    box.run()
    assert box.batches() == [["r1", "r2"]]


def test_an_exception_retries_the_whole_batch_until_it_succeeds(outbox: MakeOutbox) -> None:
    box = outbox(_event())
    box.put("r1")
    box.put("r2", fail="raise", fail_times=2)
    box.put("r3")
    box.run()
    assert box.batches() == [["r1", "r2", "r3"]] * 3
    assert box.failures() == []


def test_bisection_isolates_a_poison_record_which_goes_to_the_destination_when_retries_run_out(
    outbox: MakeOutbox,
) -> None:
    box = outbox(
        _event(
            BisectBatchOnFunctionError=True,
            MaximumRetryAttempts=1,
            DestinationConfig=TO_THE_QUEUE,
        )
    )
    for pk in ("r1", "r2", "r3", "r4"):
        box.put(pk, **({"fail": "raise"} if pk == "r3" else {}))
    box.run()
    # Halves until r3 is alone (splitting is not a retry), then r3 once more: its one retry; the rest goes on.
    assert box.batches() == [["r1", "r2", "r3", "r4"], ["r1", "r2"], ["r3", "r4"], ["r3"], ["r3"], ["r4"]]
    [failure] = box.failures()
    DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(failure)  # Powertools' model of the record
    poison = box.sequence_number("r3")
    db = boto3.client("dynamodb")
    stream_arn = db.describe_table(TableName=box.table)["Table"]["LatestStreamArn"]
    [shard] = streams.streams_client().describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    created = time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(box.seen[0][2]["dynamodb"]["ApproximateCreationDateTime"])
    )
    assert failure["requestContext"] | {"requestId": "-"} == {
        "requestId": "-",
        "functionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{box.stack.functions['OutboxFunction'].name}",
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 4,  # r3 was in four invocations
    }
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert failure["version"] == "1.0" and failure["timestamp"].endswith("Z")
    assert failure["DDBStreamBatchInfo"] == {
        "shardId": shard["ShardId"],
        "startSequenceNumber": poison,
        "endSequenceNumber": poison,
        "approximateArrivalOfFirstRecord": created,
        "approximateArrivalOfLastRecord": created,
        "batchSize": 1,
        "streamArn": stream_arn,
    }
    box.put("r5")
    box.run()
    assert box.batches()[-1] == ["r5"]


def test_reported_failures_out_of_retries_send_the_failing_rest_of_the_batch_and_move_on(outbox: MakeOutbox) -> None:
    box = outbox(
        _event(
            FunctionResponseTypes=["ReportBatchItemFailures"],
            MaximumRetryAttempts=2,
            DestinationConfig=TO_THE_QUEUE,
        )
    )
    box.put("r1")
    box.put("r2", fail="report")
    box.put("r3")
    box.run()
    assert box.batches() == [["r1", "r2", "r3"], ["r2", "r3"], ["r2", "r3"]]  # the first delivery and two retries
    [failure] = box.failures()
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert "functionError" not in failure["responseContext"]  # the function answered; it reported failures
    info = failure["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        box.sequence_number("r2"),
        box.sequence_number("r3"),
        2,
    )
    box.put("r4")
    box.run()
    assert box.batches()[-1] == ["r4"]


def test_records_older_than_the_maximum_age_are_discarded_without_an_invocation(
    outbox: MakeOutbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = outbox(
        _event(
            MaximumRecordAgeInSeconds=60,
            DestinationConfig=TO_THE_QUEUE,
        )
    )
    box.put("old-1")
    box.put("old-2")
    monkeypatch.setattr(streams, "_wall_clock", lambda: time.time() + 61)
    assert box.poller.poll_once() == 2
    assert box.seen == []
    [failure] = box.failures()
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["requestContext"]["approximateInvokeCount"] == 0
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2
    monkeypatch.setattr(streams, "_wall_clock", time.time)
    box.put("new")
    box.run()
    assert box.batches() == [["new"]]


def test_retries_go_on_for_ever_with_infinite_limits_and_no_later_batch_overtakes(outbox: MakeOutbox) -> None:
    box = outbox(_event(BatchSize=1, MaximumRetryAttempts=-1, MaximumRecordAgeInSeconds=-1))
    box.put("stuck", fail="raise", fail_times=25)
    box.put("after")
    for _ in range(25):
        assert box.poller.poll_once() == 1
    assert box.batches() == [["stuck"]] * 25
    box.run()
    assert box.batches()[-2:] == [["stuck"], ["after"]]


def test_a_cancelled_transaction_reaches_no_function(outbox: MakeOutbox) -> None:
    box = outbox()
    db = boto3.client("dynamodb")
    write = {"Put": {"TableName": box.table, "Item": to_item({"pk": "message", "outbox": "send"})}}
    check = {
        "ConditionCheck": {
            "TableName": box.table,
            "Key": to_item({"pk": "absent"}),
            "ConditionExpression": "attribute_exists(pk)",
        }
    }
    with pytest.raises(db.exceptions.TransactionCanceledException):
        db.transact_write_items(TransactItems=[write, check])
    assert box.poller.poll_once() == 0
    db.transact_write_items(TransactItems=[write])
    assert box.poller.poll_once() == 1
    assert box.batches() == [["message"]]


def test_trim_horizon_starts_at_the_oldest_record_and_latest_at_the_pollers_start(outbox: MakeOutbox) -> None:
    box = outbox(_event())
    box.put("before")
    latest_source = StreamSource("OutboxFunction", "LogsTable", "LATEST")
    latest_pool = FunctionPool(box.stack.functions["OutboxFunction"])
    latest = StreamPoller(box.stack, latest_source, latest_pool)
    box.put("after")
    box.run()
    assert latest.poll_once() == 1
    assert box.batches() == [["before", "after"]]
    assert [
        [r["dynamodb"]["Keys"]["pk"]["S"] for r in batch] for batch in latest_pool._idle[0].__globals__["SEEN"]
    ] == [["after"]]


def test_run_waits_out_the_batching_window_until_the_batch_fills(
    outbox: MakeOutbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = outbox(_event(BatchSize=3, MaximumBatchingWindowInSeconds=5))
    now = [1000.0]
    monkeypatch.setattr(streams, "_monotonic", lambda: now[0])
    box.put("a")
    assert box.poller.step(waiting=True) == 0  # gathering
    now[0] += 4
    box.put("b")
    assert box.poller.step(waiting=True) == 0
    now[0] += 1.5  # the window has passed since a was read
    assert box.poller.step(waiting=True) == 2
    for pk in "cde":
        box.put(pk)
    assert box.poller.step(waiting=True) == 3  # a full batch goes at once
    box.put("f")
    assert box.poller.poll_once() == 1  # step-by-step driving does not wait
    assert box.batches() == [["a", "b"], ["c", "d", "e"], ["f"]]


def test_run_pauses_before_retrying_a_failed_batch(outbox: MakeOutbox, monkeypatch: pytest.MonkeyPatch) -> None:
    box = outbox(_event())
    now = [1000.0]
    monkeypatch.setattr(streams, "_monotonic", lambda: now[0])
    box.put("r1", fail="raise", fail_times=2)
    assert box.poller.step(waiting=True) == 1
    assert box.poller.step(waiting=True) == 0  # not yet
    now[0] += streams.FIRST_RETRY_DELAY
    assert box.poller.step(waiting=True) == 1
    now[0] += streams.FIRST_RETRY_DELAY
    assert box.poller.step(waiting=True) == 0  # the pause doubles
    now[0] += streams.FIRST_RETRY_DELAY
    assert box.poller.step(waiting=True) == 1
    assert box.batches() == [["r1"]] * 3


def test_the_pollers_thread_delivers_what_is_written_and_stops_when_told(outbox: MakeOutbox) -> None:
    import threading

    box = outbox()
    thread = threading.Thread(target=box.poller.run, daemon=True)
    thread.start()
    try:
        box.put("message", outbox="send")
        deadline = time.monotonic() + 10
        while not box.seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert box.batches() == [["message"]]
    finally:
        box.poller.stopping.set()
        thread.join(5)
    assert not thread.is_alive()


def test_the_filter_gives_motos_own_verdict_reading_only_the_paths_it_names() -> None:
    from moto.events.models import EventPattern

    from local.streams import _matches

    patterns = [
        {"dynamodb": {"NewImage": {"outbox": {"S": [{"exists": True}]}}}},
        {"dynamodb": {"NewImage": {"outbox": {"S": [{"exists": False}]}}}},
        {"dynamodb": {"NewImage": [{"exists": True}]}},
        {"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "ORG#"}]}}}, "eventName": ["INSERT", "MODIFY"]},
        {"dynamodb": {"NewImage": {"n": {"N": ["1", "2"]}}}, "$or": [{"eventName": ["REMOVE"]}, {"eventID": ["e1"]}]},
        {"dynamodb": {"OldImage": {"status": {"S": [{"anything-but": ["queued"]}]}}}},
    ]
    images: list[dict] = [
        {},
        {"outbox": {"S": '["a"]'}, "n": {"N": "1"}},
        {"outbox": {"NULL": True}, "status": {"S": "queued"}},
        {"n": {"N": "2"}, "deliveries": {"M": {"a": {"M": {"status": {"S": "queued"}}}}}},
    ]
    events = [
        {"eventID": event_id, "eventName": name, "dynamodb": {"Keys": {"pk": {"S": pk}}, **{view: image}}}
        for event_id in ("e1", "e2")
        for name in ("INSERT", "MODIFY", "REMOVE")
        for pk in ("ORG#x", "other")
        for view in ("NewImage", "OldImage")
        for image in images
    ] + [{"eventName": "INSERT"}, {"dynamodb": "not an object"}, {"dynamodb": {"NewImage": {}}}]
    checked = 0
    for pattern in patterns:
        matcher = EventPattern.load(json.dumps(pattern))
        for event in events:
            assert _matches(matcher, pattern, event) == matcher.matches_event(event), (pattern, event)
            checked += 1
    assert checked == len(patterns) * len(events)
