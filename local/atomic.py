"""DynamoDB applies each request atomically; moto does not (it has no request lock).

Without a lock, two concurrent conditional writes can both pass their condition in moto — exactly
what the once-per-lead rule and the dispatcher's claims rely on never happening. These helpers
serialize moto's DynamoDB requests, in server mode (the local stack) and in-process (the tests).
SQS requests are left alone: a long poll must not hold up the tables.

moto also backs up every table a transaction touches with a deep copy — once per item of the
transaction — so it can roll back; a transaction costs O(table size) and the emulator slows down as
the tables fill. `cheap_transaction_rollback` backs up only the items the transaction touches,
which is enough to roll back since requests are serialized anyway. (moto's copies held the tables'
streams too: a cancelled transaction also takes back the stream records of the writes it undoes.)

And moto writes every response through a generic serializer that walks the operation's output
shape member by member: slow, even for an item with a few nested maps. The item operations' results
are already in DynamoDB's wire format, so `fast_item_responses` writes them with `json.dumps`
(and leaves every other answer, and anything json cannot write, to moto's serializer). Before
that, moto turns an item into wire format by deep-copying each nested value once for every level
above it; `fast_item_responses` builds the same result without the copies.
"""

from __future__ import annotations

import base64
import copy
import functools
import io
import json
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from http import HTTPStatus
from typing import Any

import moto.backends as moto_backends
import moto.dynamodb.models as dynamodb_models
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.responses import ActionContext, ActionResult
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodb.responses import DynamoResult
from moto.moto_server.threaded_moto_server import MotoRequestHandler, ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from local import conflicts
from local.expressions import memoize_parsing
from local.moto_items import linear_item_size_check
from local.moto_streams import faithful_streams

_dynamodb_lock = threading.RLock()


def _operation(target: str) -> str:
    return target.rsplit(".", 1)[-1]


def _serialized_wsgi(app: Callable[..., Iterable[bytes]]) -> Callable[..., list[bytes]]:
    def serialized(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB_"):
            if target.startswith("DynamoDB"):  # DynamoDB Streams
                with _dynamodb_lock:
                    return list(app(environ, start_response))
            return list(app(environ, start_response))
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        refusal, hold = conflicts.admit(_operation(target), body)
        if refusal is not None:
            status, headers, content = refusal
            start_response(f"{status} {HTTPStatus(status).phrase}", list(headers.items()))
            return [content]
        with hold, _dynamodb_lock:
            return list(app(environ, start_response))

    return serialized


class _NoTableCopies:
    """Stands in for the `copy` module inside moto's DynamoDB backend: tables are not copied."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _item_keys(table: Table, operation: dict[str, Any]) -> tuple[DynamoType, DynamoType | None]:
    key = operation.get("Key") or operation["Item"]
    hash_key = DynamoType(key[table.hash_key_attr])
    return hash_key, DynamoType(key[table.range_key_attr]) if table.range_key_attr else None


def cheap_transaction_rollback() -> None:
    """Make moto's TransactWriteItems back up the items it touches instead of whole tables (idempotent)."""
    original = DynamoDBBackend.transact_write_items
    if getattr(original, "_cheap", False):
        return

    @functools.wraps(original)
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Table, DynamoType, DynamoType | None, Any]] = []
        streams: dict[int, tuple[StreamShard, int]] = {}  # each touched table's stream, and its length now
        for entry in transact_items:
            operation = next(iter(entry.values()))
            table = self.tables.get(operation.get("TableName"))
            if table is None:
                continue
            if table.stream_shard is not None:
                streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
            try:
                hash_key, range_key = _item_keys(table, operation)
            except KeyError:
                continue  # moto's own validation answers
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                partition = table.items[hash_key] if range_key is not None else table.items
                slot = range_key if range_key is not None else hash_key
                if item is None:
                    partition.pop(slot, None)
                else:
                    partition[slot] = item
            # moto applied the writes one by one, each adding its stream record; none of them happened.
            for shard, length in streams.values():
                del shard.items[length:]
            raise

    transact_write_items._cheap = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items
    dynamodb_models.copy = _NoTableCopies()


_ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)


_FAST_OPERATIONS = {"dynamodb": _ITEM_OPERATIONS, "dynamodbstreams": frozenset({"GetRecords"})}

MOTO_WIRE = DynamoType.to_regular_json  # moto's own (this module is imported before it patches anything)


def _wire(value: DynamoType) -> dict[str, Any]:
    """`DynamoType.to_regular_json`, without deep-copying the value first (every part is built anew)."""
    content = value.value
    if isinstance(content, dict):
        content = {k: _wire(v) if isinstance(v, DynamoType) else copy.deepcopy(v) for k, v in content.items()}
    elif isinstance(content, list):
        content = [_wire(v) if isinstance(v, DynamoType) else copy.deepcopy(v) for v in content]
    if value.is_binary() and isinstance(content, str):
        content = base64.b64decode(content)
    return {value.type: content}


def _epoch(value: object) -> float:
    """How the JSON protocol carries a timestamp (a stream record's ApproximateCreationDateTime)."""
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON")


def fast_item_responses() -> None:
    """Answer DynamoDB's item operations and stream reads with `json.dumps` of moto's (wire-format) result.

    Idempotent. Stream reads carry whole item images, up to a thousand records a read: moto's
    generic serializer would take a long time over them while every DynamoDB request waits.
    """
    original = ActionResult.execute_result
    if getattr(original, "_fast", False):
        return
    DynamoType.to_regular_json = _wire

    @functools.wraps(original)
    def execute_result(self: ActionResult, context: ActionContext) -> Any:
        if (
            type(self) in (ActionResult, DynamoResult)  # not the paginated results
            and isinstance(self.result, dict)
            and context.operation_model.name in _FAST_OPERATIONS.get(context.service_model.service_name, ())
        ):
            try:
                body = json.dumps(self.result, default=_epoch)
            except (TypeError, ValueError):
                pass  # not plain JSON: moto's serializer knows what to do
            else:
                return 200, {"Content-Type": "application/x-amz-json-1.0"}, body
        return original(self, context)

    execute_result._fast = True  # type: ignore[attr-defined]
    ActionResult.execute_result = execute_result


def cached_module_list() -> None:
    """moto's server lists its package directory (a stat per module) on every request to route it: once is enough.

    Idempotent. The directory does not change while the server runs.
    """
    if getattr(moto_backends.list_of_moto_modules, "_cached", False):
        return
    names = tuple(moto_backends.list_of_moto_modules())

    def list_of_moto_modules() -> tuple[str, ...]:
        return names

    list_of_moto_modules._cached = True  # type: ignore[attr-defined]
    moto_backends.list_of_moto_modules = list_of_moto_modules


class AtomicMotoServer(ThreadedMotoServer):
    """moto's threaded server: each DynamoDB request applied whole before the next, streams as DynamoDB's."""

    def _server_entry(self) -> None:
        cached_module_list()
        cheap_transaction_rollback()
        fast_item_responses()
        memoize_parsing()
        linear_item_size_check()
        faithful_streams()
        app = _serialized_wsgi(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


def serialize_in_process_dynamodb() -> None:
    """Make `mock_aws` apply each DynamoDB request whole (idempotent)."""
    cheap_transaction_rollback()
    fast_item_responses()
    memoize_parsing()
    linear_item_size_check()
    faithful_streams()
    original = BotocoreStubber.process_request
    if getattr(original, "_serialized", False):
        return

    @functools.wraps(original)
    def process_request(self: BotocoreStubber, request: Any) -> Any:
        if "dynamodb" not in str(request.url):
            return original(self, request)
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        refusal, hold = conflicts.admit(_operation(target), request.body or b"")
        if refusal is not None:
            return refusal
        with hold, _dynamodb_lock:
            return original(self, request)

    process_request._serialized = True  # type: ignore[attr-defined]
    BotocoreStubber.process_request = process_request
