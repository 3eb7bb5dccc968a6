"""The template's DynamoDB stream event sources, run like Lambda's event source mappings.

(Over 300 lines on purpose: StreamPoller is the list of rules below, one class, each rule next to the
others it interacts with: checkpoints, bisection, retries and record age.)

What Lambda documents (developer guide: services-ddb-params, services-dynamodb-errors,
services-ddb-batchfailurereporting, invocation-eventfiltering, with-ddb-filtering), and so what
`StreamPoller` does, per shard of the table's stream (moto's streams have one):

- Reading starts at StartingPosition: TRIM_HORIZON (the oldest record) or LATEST (records written
  after the mapping exists: here, after the poller is made). Records of a shard are handed over
  strictly in order; a later batch is never invoked while an earlier one is still failing.
- FilterCriteria: a record matching none of the patterns (ORed) is discarded before any invocation,
  and the checkpoint moves past it. Patterns can only test the `dynamodb` key (checked when the
  template is loaded). The matching is moto's EventBridge pattern matcher.
- A batch holds up to BatchSize matching records, within the 6 MB invocation payload. With
  MaximumBatchingWindowInSeconds, records are gathered until the batch is full, the payload limit is
  reached or the window has passed since the first of them was read (`run`; `poll_once` does not wait).
- The event is `{"Records": [...]}`, each record as Lambda delivers it: eventID, eventName,
  eventVersion, eventSource "aws:dynamodb", awsRegion, dynamodb (ApproximateCreationDateTime in epoch
  seconds, Keys, NewImage/OldImage as the stream's view type has them, SequenceNumber, SizeBytes,
  StreamViewType), eventSourceARN; binary values base64-encoded, as in any JSON event.
- The checkpoint moves past a batch only when it fully succeeds. A function error (an exception)
  retries the whole batch; with BisectBatchOnFunctionError a failed batch of more than one record is
  split in two first, and "splitting a batch does not consume the retry quota".
- With ReportBatchItemFailures the response's batchItemFailures name failed records by sequence
  number: the checkpoint moves to just before the lowest one and Lambda retries from it (with
  bisection on, only the rest of that batch). An empty or null list, or an empty or null response,
  is full success; an empty or null itemIdentifier, or one that is not in the batch, fails the whole
  batch.
- MaximumRetryAttempts and MaximumRecordAgeInSeconds (-1: infinite, "failed records are retried
  until the record expires") bound the retries. Records that run out of retries, or are older than
  the maximum age when their batch is about to be invoked, are discarded and the shard moves on;
  the OnFailure destination (an SQS queue) receives Lambda's invocation record for them
  (requestContext, responseContext, version, timestamp, DDBStreamBatchInfo).

Local choices: the checkpoints are kept in memory (the local stack starts empty each time); `run`
polls a shard about four times a second, as Lambda does, and waits a little longer before each retry
of a failing batch (0.25 s, doubling up to 10 s) so a poison record does not spin; moto keeps stream
records for ever, so with -1 limits a record that always fails holds its shard until the stack stops
(on AWS: until it leaves the stream after 24 hours).
"""

from __future__ import annotations

import base64
import json
import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto.events.models import UNDEFINED, EventPattern

from local import moto_streams
from local.lambdas import FunctionPool
from local.moto_streams import streams_client
from local.template import ACCOUNT, REGION, Stack, StreamSource

log = logging.getLogger("local.streams")

POLL_INTERVAL = 0.25  # seconds between reads of a shard: at most about four a second, as Lambda reads
# An idle shard is read again when a record is written (moto_streams.wait_for_records), or after this long.
IDLE_READ_INTERVAL = 5.0
MAX_PAYLOAD = 6 * 1024 * 1024  # an invocation's payload
GET_RECORDS_LIMIT = 1000  # the most GetRecords returns at once
READS_PER_STEP = 20  # GetRecords calls one step may make while filling a batch
FIRST_RETRY_DELAY, MAX_RETRY_DELAY = 0.25, 10.0  # `run`'s pause before retrying a failed batch


def _monotonic() -> float:  # the clocks, where tests can move them
    return time.monotonic()


def _wall_clock() -> float:
    return time.time()


def _wire(value: dict[str, Any]) -> dict[str, Any]:
    """An attribute value as JSON carries it (boto3 hands binary values over as bytes)."""
    ((kind, content),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(content).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(v).decode() for v in content]}
    if kind == "M":
        return {"M": {k: _wire(v) for k, v in content.items()}}
    if kind == "L":
        return {"L": [_wire(v) for v in content]}
    return {kind: content}


def _epoch_seconds(value: Any) -> float:
    seconds = value.timestamp() if isinstance(value, datetime) else float(value)
    return float(math.floor(seconds))  # DynamoDB Streams rounds down to the second


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record (as boto3 parses it) as Lambda puts it in a DynamoDB stream event."""
    change = record["dynamodb"]
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": _epoch_seconds(change["ApproximateCreationDateTime"]),
        "Keys": {k: _wire(v) for k, v in change["Keys"].items()},
    }
    for image in ("NewImage", "OldImage"):
        if image in change:
            dynamodb[image] = {k: _wire(v) for k, v in change[image].items()}
    dynamodb["SequenceNumber"] = change["SequenceNumber"]
    dynamodb["SizeBytes"] = change["SizeBytes"]
    dynamodb["StreamViewType"] = change["StreamViewType"]
    event: dict[str, Any] = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record["eventVersion"],
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", REGION),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:  # deletions by Time to Live
        identity = record["userIdentity"]
        event["userIdentity"] = {"type": identity.get("Type"), "principalId": identity.get("PrincipalId")}
    return event


def _matches(matcher: EventPattern, pattern: dict[str, Any], event: Any) -> bool:
    """moto's EventPattern verdict on `event`, reading only the paths the pattern names.

    moto's own `matches_event` copies the whole record through JSON and flattens every path of it
    first, item images included: at a stream's pace of writes, that is most of a poller's work.
    The rules (a leaf's filters, a missing path, `$or`) are moto's, path by path.
    """
    node = event if isinstance(event, dict) else {}
    for key, rule in pattern.items():
        if key == "$or":
            if not any(_matches(matcher, alternative, event) for alternative in rule):
                return False
        elif isinstance(rule, dict):
            value = node.get(key)
            if not _matches(matcher, rule, value if isinstance(value, dict) and value else {}):
                return False
        else:
            item = node.get(key, UNDEFINED)
            if isinstance(item, dict) and item:
                item = UNDEFINED  # moto flattens a non-empty object into its paths: it is no leaf
            if not isinstance(rule, list) or not matcher._does_item_match_filters(item, rule):
                return False
    return True


@dataclass
class _Record:
    event: dict[str, Any]  # as the function receives it
    size: int  # its share of the payload
    created: float  # ApproximateCreationDateTime, epoch seconds
    through: str  # the checkpoint once it is done: its sequence number, or that of the filtered records after it
    invocations: int = 0  # how many invocations it was in

    @property
    def sequence_number(self) -> str:
        return str(self.event["dynamodb"]["SequenceNumber"])


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None  # where reading goes on (None: to be asked for again)
    start: str  # TRIM_HORIZON or LATEST, until a record has been read
    last_read: str | None = None  # sequence number of the last record read
    checkpoint: str | None = None  # sequence number of the last record done with (handled or discarded)
    buffer: list[_Record] = field(default_factory=list)  # matching records read, not yet done, in order
    # The batches to come, by size, while a batch is being retried or was split: the first is next.
    pending: list[int] = field(default_factory=list)
    gathering_since: float | None = None  # when the batching window of the buffered records opened
    failures: int = 0  # failed invocations of the first buffered record (bisections not counted)
    function_error: bool = False  # whether its last failure was an exception
    retry_at: float = 0.0  # `run` retries a failed batch from then on (monotonic clock)
    retry_delay: float = 0.0


class StreamPoller:
    """Reads the stream of `source.table` and invokes `source.function` with it, as Lambda's mapping would.

    The starting position is fixed when the poller is made. `poll_once()` is one step: what a test
    calls to let the system run; `run()` is the loop of the local stack's thread. Use one or the
    other, from one thread: a shard's records are handled one batch at a time.
    """

    def __init__(
        self, stack: Stack, source: StreamSource, pool: FunctionPool, stopping: threading.Event | None = None
    ) -> None:
        self.source = source
        self.pool = pool
        self.stopping = stopping or threading.Event()
        self.table_name = stack.tables[source.table]["TableName"]
        self.function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{stack.functions[source.function].name}"
        self.patterns = [EventPattern.load(p) for p in source.filter_patterns]
        table = boto3.client("dynamodb").describe_table(TableName=self.table_name)["Table"]
        if "LatestStreamArn" not in table:
            raise ValueError(f"table {self.table_name} has no stream for {source.function} to read")
        self.stream_arn: str = table["LatestStreamArn"]
        self.streams = streams_client()
        self.sqs = boto3.client("sqs")
        self.failure_queue_url: str | None = None
        if source.on_failure is not None:
            name = stack.queues[source.on_failure]["QueueName"]
            self.failure_queue_url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        self.shards = [
            _Shard(shard["ShardId"], None, source.starting_position) for shard in description.get("Shards", [])
        ]
        for shard in self.shards:
            self._iterator(shard)  # LATEST is now

    # -- the loop and the step -------------------------------------------------------------------

    def run(self) -> None:
        while not self.stopping.is_set():
            seen = moto_streams.records_written()
            try:
                handled = self.step(waiting=True)
            except Exception:
                if self.stopping.is_set():
                    return
                log.exception("reading the stream of %s for %s failed", self.table_name, self.source.function)
                self.stopping.wait(1)
                continue
            if handled:
                continue
            # Reads of an idle shard stay POLL_INTERVAL apart, so records written close together come in
            # one batch, as from Lambda's reads; unless a batch waits to be retried, the next read is
            # when a record is written.
            self.stopping.wait(POLL_INTERVAL)
            if not self.retrying:
                moto_streams.wait_for_records(seen, IDLE_READ_INTERVAL, self.stopping.is_set)

    @property
    def retrying(self) -> bool:
        """Whether a batch failed (or was split) and is waiting to be handed over again."""
        return any(shard.failures or shard.pending for shard in self.shards)

    def poll_once(self) -> int:
        """Read each shard and hand the function one batch of it; returns how many records were dealt with.

        That counts the records invoked (whatever came of it), filtered out and discarded: 0 when
        there was nothing to do. The batching window and the pause before a retry are not waited for.
        """
        return self.step(waiting=False)

    def step(self, waiting: bool) -> int:
        """One round of `run` (`waiting`: as `run` does it, honouring the batching window and the retry pause)."""
        return sum(self._step(shard, waiting) for shard in self.shards)

    def _step(self, shard: _Shard, waiting: bool) -> int:
        now = _monotonic()
        if waiting and now < shard.retry_at:
            return 0
        handled = self._fill(shard)
        if not shard.buffer:
            return handled
        if not shard.pending:
            size = self._batch_size(shard.buffer, self.source.batch_size)
            window_open = (
                shard.gathering_since is not None and now - shard.gathering_since < self.source.batching_window
            )
            if waiting and window_open and size == len(shard.buffer) < self.source.batch_size:
                return handled  # still gathering
            shard.pending = [size]
        else:
            size = self._batch_size(shard.buffer, shard.pending[0])
            if size < shard.pending[0]:
                shard.pending[0:1] = [size, shard.pending[0] - size]
        batch = shard.buffer[:size]
        if self.source.max_record_age != -1:
            oldest = _wall_clock() - self.source.max_record_age
            expired = next((i for i, r in enumerate(batch) if r.created >= oldest), len(batch))
            if expired:  # records are in the order they were written: the expired ones come first
                self._discard(shard, expired, "RecordAgeExceeded")
                return handled + expired
        self._invoke(shard, batch)
        return handled + len(batch)

    # -- reading ---------------------------------------------------------------------------------

    def _iterator(self, shard: _Shard) -> str:
        if shard.iterator is None:
            position: dict[str, str] = (
                {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": shard.last_read}
                if shard.last_read is not None
                else {"ShardIteratorType": shard.start}
            )
            answer = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard.shard_id, **position)
            shard.iterator = answer["ShardIterator"]
        return shard.iterator

    def _fill(self, shard: _Shard) -> int:
        """Read records until a batch is full (or the shard has no more); returns how many were filtered out."""
        filtered = 0
        for _ in range(READS_PER_STEP):
            if len(shard.buffer) >= self.source.batch_size or sum(r.size for r in shard.buffer) >= MAX_PAYLOAD:
                break
            try:
                answer = self.streams.get_records(ShardIterator=self._iterator(shard), Limit=GET_RECORDS_LIMIT)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ExpiredIteratorException":
                    raise
                shard.iterator = None  # asked for again, from the last record read
                answer = self.streams.get_records(ShardIterator=self._iterator(shard), Limit=GET_RECORDS_LIMIT)
            shard.iterator = answer.get("NextShardIterator")
            records = answer.get("Records", [])
            for raw in records:
                record = lambda_record(raw, self.stream_arn)
                shard.last_read = record["dynamodb"]["SequenceNumber"]
                if not self._matches(record):
                    filtered += 1
                    if shard.buffer:
                        shard.buffer[-1].through = shard.last_read
                    else:
                        shard.checkpoint = shard.last_read
                    continue
                if not shard.buffer:
                    shard.gathering_since = _monotonic()
                size = len(json.dumps(record)) + 1
                created = record["dynamodb"]["ApproximateCreationDateTime"]
                shard.buffer.append(_Record(record, size, created, shard.last_read))
            if len(records) < GET_RECORDS_LIMIT or shard.iterator is None:
                break  # caught up with the shard: what is here is the batch (no window: not waiting for more)
        return filtered

    def _matches(self, record: dict[str, Any]) -> bool:
        return not self.patterns or any(_matches(p, p.get_pattern(), record) for p in self.patterns)

    @staticmethod
    def _batch_size(buffer: list[_Record], most: int) -> int:
        """How many of the first `most` buffered records fit in one payload (at least one)."""
        size, total = 0, len('{"Records": []}')
        for record in buffer[:most]:
            if size and total + record.size > MAX_PAYLOAD:
                break
            size, total = size + 1, total + record.size
        return size

    # -- invoking --------------------------------------------------------------------------------

    def _invoke(self, shard: _Shard, batch: list[_Record]) -> None:
        for record in batch:
            record.invocations += 1
        try:
            response = self.pool.invoke({"Records": [r.event for r in batch]})
        except Exception:
            log.warning(
                "%s failed on a batch of %d records from %s",
                self.source.function,
                len(batch),
                self.table_name,
                exc_info=True,
            )
            self._function_error(shard, batch, exception=True)
            return
        failed = self._first_failure(batch, response) if self.source.report_batch_item_failures else None
        if failed is None:
            self._done(shard, len(batch))
        elif failed == -1:
            log.warning("%s reported a batch failure Lambda cannot use: %r", self.source.function, response)
            self._function_error(shard, batch, exception=False)
        else:
            self._partial_failure(shard, batch, failed)

    @staticmethod
    def _first_failure(batch: list[_Record], response: Any) -> int | None:
        """Where the reported failures start in `batch`: None if nothing failed, -1 if the whole batch did."""
        if not response:
            return None
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        if not isinstance(response, dict) or (failures is not None and not isinstance(failures, list)):
            return -1
        if not failures:
            return None
        positions = {r.sequence_number: i for i, r in enumerate(batch)}
        found = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not identifier or str(identifier) not in positions:
                return -1
            found.append(positions[str(identifier)])
        return min(found)

    def _done(self, shard: _Shard, count: int) -> None:
        """The first `count` buffered records are done with: move the checkpoint past them."""
        shard.checkpoint = shard.buffer[count - 1].through
        del shard.buffer[:count]
        while count and shard.pending:
            taken = min(count, shard.pending[0])
            shard.pending[0] -= taken
            count -= taken
            if not shard.pending[0]:
                shard.pending.pop(0)
        shard.failures = 0
        shard.function_error = False
        shard.retry_delay = shard.retry_at = 0.0
        shard.gathering_since = _monotonic() if shard.buffer else None

    def _failed(self, shard: _Shard, function_error: bool) -> None:
        shard.function_error = function_error
        shard.retry_delay = min(max(FIRST_RETRY_DELAY, shard.retry_delay * 2), MAX_RETRY_DELAY)
        shard.retry_at = _monotonic() + shard.retry_delay

    def _exhausted(self, shard: _Shard) -> bool:
        return self.source.max_retry_attempts != -1 and shard.failures > self.source.max_retry_attempts

    def _function_error(self, shard: _Shard, batch: list[_Record], exception: bool) -> None:
        if self.source.bisect_on_error and len(batch) > 1:
            first = math.ceil(len(batch) / 2)
            shard.pending[0:1] = [first, len(batch) - first]  # not a retry: the quota is untouched
        else:
            shard.failures += 1
        self._failed(shard, exception)
        if self._exhausted(shard):
            self._discard(shard, len(batch), "RetryAttemptsExhausted")

    def _partial_failure(self, shard: _Shard, batch: list[_Record], failed: int) -> None:
        if failed:
            self._done(shard, failed)  # the records before the first failure succeeded
        shard.failures += 1
        if self.source.bisect_on_error:
            if shard.pending:
                shard.pending[0] = len(batch) - failed  # only the rest of this batch is retried
            else:
                shard.pending = [len(batch) - failed]
        else:
            shard.pending = []  # retried from the checkpoint, a batch as full as it comes
        self._failed(shard, function_error=False)
        if self._exhausted(shard):
            self._discard(shard, len(batch) - failed, "RetryAttemptsExhausted")

    # -- discarding ------------------------------------------------------------------------------

    def _discard(self, shard: _Shard, count: int, condition: str) -> None:
        """Give up on the first `count` buffered records: report them to the OnFailure destination, move on."""
        records = shard.buffer[:count]
        log.warning(
            "%s: %d records of %s discarded (%s), from sequence number %s",
            self.source.function,
            count,
            self.table_name,
            condition,
            records[0].sequence_number,
        )
        if self.failure_queue_url is not None:
            message = self._invocation_record(shard, records, condition)
            self.sqs.send_message(QueueUrl=self.failure_queue_url, MessageBody=json.dumps(message))
        self._done(shard, count)

    def _invocation_record(self, shard: _Shard, records: list[_Record], condition: str) -> dict[str, Any]:
        """What Lambda sends an on-failure destination for discarded stream records (services-dynamodb-errors)."""
        response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if shard.function_error:
            response_context["functionError"] = "Unhandled"
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function_arn,
                "condition": condition,
                "approximateInvokeCount": max(r.invocations for r in records),
            },
            "responseContext": response_context,
            "version": "1.0",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "DDBStreamBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": records[0].sequence_number,
                "endSequenceNumber": records[-1].sequence_number,
                "approximateArrivalOfFirstRecord": _iso_seconds(records[0].created),
                "approximateArrivalOfLastRecord": _iso_seconds(records[-1].created),
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
        }


def _iso_seconds(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
