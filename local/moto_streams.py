"""moto's DynamoDB Streams, made to write what DynamoDB Streams writes (moto 5.2).

A stream consumer (the local pollers of the template's DynamoDB event sources) sees what moto puts
in a table's stream shard. Where moto differs from DynamoDB in a way a consumer would notice,
`faithful_streams()` (idempotent) corrects it:

- A PutItem or UpdateItem that changes nothing (the same item put again, an update setting what is
  already there) writes no stream record: "If you perform a PutItem or UpdateItem operation that
  does not change any data in an item, DynamoDB Streams does not write a stream record for that
  operation" (DynamoDB developer guide, Streams.html). moto writes one for every write.
- An UpdateItem that creates its item writes one INSERT record, with the new item. moto writes two:
  a keys-only INSERT from the item it creates first, then another INSERT.
- ApproximateCreationDateTime is "rounded down to the closest second" (API_streams_StreamRecord);
  moto keeps the milliseconds.
- A shard iterator "expires 15 minutes after it is returned to the requester"
  (API_streams_GetShardIterator); moto keeps every iterator it ever handed out, and GetRecords hands
  out a new one each call: a poller reading four times a second would grow the emulator by megabytes
  an hour. Iterators older than 15 minutes are dropped, and using one is ExpiredIteratorException.

And a reader in the emulator's own process need not ask four times a second to learn that nothing was
written: `wait_for_records()` returns when a record is written (local/streams.py reads then).

A cancelled transaction's stream records are taken back in local/atomic.py, where its cheap
rollback is. tests/integration/test_emulator.py checks each of these against DynamoDB's documented
behaviour. `streams_client()` is a client that reaches moto's streams in-process too.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamShard
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator

ITERATOR_LIFETIME = 15 * 60  # seconds

_records_written = 0  # stream records written in this process, on any table
_written = threading.Condition()


def records_written() -> int:
    """How many stream records this process's emulator has written: what wait_for_records compares with."""
    return _records_written


def wait_for_records(seen: int, timeout: float, stopping: Callable[[], bool] = lambda: False) -> None:
    """Wait until a stream record is written after `seen` (records_written() before the last read), the
    timeout passes, or `stopping()` is true after wake_readers()."""
    with _written:
        _written.wait_for(lambda: _records_written != seen or stopping(), timeout)


def wake_readers() -> None:
    """Let every wait_for_records look at its `stopping` again."""
    with _written:
        _written.notify_all()


def _note_records() -> None:
    global _records_written
    with _written:
        _records_written += 1
        _written.notify_all()


def _clock() -> float:  # where tests can move it
    return time.monotonic()


class ExpiredIteratorException(JsonRESTError):
    code = 400

    def __init__(self) -> None:
        super().__init__("ExpiredIteratorException", "The shard iterator has expired or was never issued.")


def _no_change(old: Item | None, new: Item | None) -> bool:
    return old is not None and new is not None and old == new  # Item equality: types and values, numbers as numbers


def _patch_shard_add() -> None:
    original = StreamShard.add

    @functools.wraps(original)
    def add(self: StreamShard, old: Item | None, new: Item | None) -> None:
        if _no_change(old, new):
            return
        before = len(self.items)
        original(self, old, new)
        for record in self.items[before:]:
            stamp = record.record["dynamodb"]["ApproximateCreationDateTime"]
            record.record["dynamodb"]["ApproximateCreationDateTime"] = stamp.replace(microsecond=0)
        if len(self.items) > before:
            _note_records()

    StreamShard.add = add


def _patch_update_item() -> None:
    original = DynamoDBBackend.update_item

    @functools.wraps(original)
    def update_item(self: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Item:
        shard = self.get_table(table_name).stream_shard
        before = len(shard.items) if shard is not None else 0
        item = original(self, table_name, *args, **kwargs)
        if shard is not None and len(shard.items) == before + 2:
            first, second = shard.items[before:]
            if first.record["eventName"] == second.record["eventName"] == "INSERT":
                del shard.items[before:]  # the keys-only record of the item moto created first, and its twin
                shard.add(None, item)
        return item

    DynamoDBBackend.update_item = update_item


def _patch_shard_iterators() -> None:
    original_init = ShardIterator.__init__

    @functools.wraps(original_init)
    def init(self: ShardIterator, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.issued = _clock()

    def forget_expired(backend: DynamoDBStreamsBackend) -> None:
        # Iterators are kept in the order they were issued: the expired ones are at the front.
        horizon = _clock() - ITERATOR_LIFETIME
        iterators = backend.shard_iterators
        while iterators:
            key = next(iter(iterators))
            if getattr(iterators[key], "issued", horizon) > horizon:
                break
            del iterators[key]

    original_get_records = DynamoDBStreamsBackend.get_records

    @functools.wraps(original_get_records)
    def get_records(self: DynamoDBStreamsBackend, iterator_arn: str, limit: int) -> dict[str, Any]:
        forget_expired(self)
        if iterator_arn not in self.shard_iterators:
            raise ExpiredIteratorException()
        return original_get_records(self, iterator_arn, limit)

    original_get_shard_iterator = DynamoDBStreamsBackend.get_shard_iterator

    @functools.wraps(original_get_shard_iterator)
    def get_shard_iterator(self: DynamoDBStreamsBackend, *args: Any, **kwargs: Any) -> ShardIterator:
        forget_expired(self)
        return original_get_shard_iterator(self, *args, **kwargs)

    ShardIterator.__init__ = init
    DynamoDBStreamsBackend.get_records = get_records
    DynamoDBStreamsBackend.get_shard_iterator = get_shard_iterator


def streams_client() -> Any:
    """A DynamoDB Streams client (AWS_ENDPOINT_URL, region and credentials from the environment).

    botocore sends the requests that name a stream to the account's endpoint
    (<account>.streams-ddb.<region>.amazonaws.com), which moto's in-process mock does not route (nor
    serialize_in_process_dynamodb lock): the regional endpoint is the same service.
    """
    return boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))


def faithful_streams() -> None:
    """Make moto's streams write and serve what DynamoDB Streams does (idempotent)."""
    if getattr(StreamShard.add, "_faithful", False):
        return
    _patch_shard_add()
    _patch_update_item()
    _patch_shard_iterators()
    StreamShard.add._faithful = True
