"""DynamoDB's transaction conflicts, which an emulator that applies one request at a time never has.

On DynamoDB a transaction is in flight for a while, and while it is, the items it names are taken.
The rules, as the DynamoDB developer guide states them ("Transaction conflict handling"):

- a PutItem, UpdateItem or DeleteItem of an item that an ongoing TransactWriteItems includes fails
  with `TransactionConflictException`;
- a TransactWriteItems naming an item of another ongoing TransactWriteItems is cancelled
  (`TransactionCanceledException`, reason `TransactionConflict` for that item, `None` for the rest);
- a TransactGetItems naming an item of an ongoing write is cancelled the same way.

botocore retries none of them. Here a TransactWriteItems holds its items for `LOCAL_TRANSACTION_MS`
(default 25 ms) before moto applies it; any request above that meets a held item is answered as
DynamoDB answers it, without reaching moto. A single write is not held (it is applied whole, under
the request lock of local/atomic.py, as on DynamoDB), and BatchWriteItem is left alone: its items
are never ones a transaction of this project names.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from moto.dynamodb.models import dynamodb_backends

HOLD_VARIABLE = "LOCAL_TRANSACTION_MS"
DEFAULT_HOLD_MS = 25.0
_ERROR_TYPE = "com.amazonaws.dynamodb.v20120810#"
_ONGOING = "Transaction is ongoing for the item"

Answer = tuple[int, dict[str, str], bytes]
ItemKey = tuple[str, str]  # the table's name, the item's key attributes as JSON


def hold_seconds() -> float:
    """How long a transaction holds its items (read on every transaction, so tests may change it)."""
    return max(float(os.environ.get(HOLD_VARIABLE, DEFAULT_HOLD_MS)), 0.0) / 1000


def _key_attributes(table_name: str) -> tuple[str, ...] | None:
    for account in dict.values(dynamodb_backends):
        for backend in dict.values(account):
            table = backend.tables.get(table_name)
            if table is not None:
                return tuple(a for a in (table.hash_key_attr, table.range_key_attr) if a)
    return None


def _item_key(operation: dict[str, Any]) -> ItemKey | None:
    name = operation.get("TableName")
    values = operation.get("Key") or operation.get("Item")
    if not isinstance(name, str) or not isinstance(values, dict):
        return None  # moto's own validation answers
    attributes = _key_attributes(name)
    if attributes is None or any(a not in values for a in attributes):
        return None
    return name, json.dumps([values[a] for a in attributes], sort_keys=True)


def _action_key(entry: Any) -> ItemKey | None:
    """The item a transaction's action (`{"Put": {...}}`, `{"Get": {...}}`, ...) names."""
    if not isinstance(entry, dict) or len(entry) != 1:
        return None
    action = next(iter(entry.values()))
    return _item_key(action) if isinstance(action, dict) else None


def _answer(error: str, message: str, **more: Any) -> Answer:
    body = {"__type": _ERROR_TYPE + error, "message": message, **more}
    return 400, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(body).encode()


def _cancelled(conflicts: list[bool]) -> Answer:
    codes = ["TransactionConflict" if c else "None" for c in conflicts]
    return _answer(
        "TransactionCanceledException",
        f"Transaction cancelled, please refer cancellation reasons for specific reasons [{', '.join(codes)}]",
        CancellationReasons=[
            {"Code": "TransactionConflict", "Message": _ONGOING} if c else {"Code": "None"} for c in conflicts
        ],
    )


class _Holds:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[ItemKey] = set()

    def conflicts(self, keys: list[ItemKey | None]) -> list[bool]:
        with self._lock:
            return [key in self._held for key in keys]

    def take(self, keys: list[ItemKey | None]) -> list[bool] | None:
        """Hold the keys, or the conflicts if any of them is held already (then none is taken)."""
        with self._lock:
            conflicts = [key in self._held for key in keys]
            if any(conflicts):
                return conflicts
            self._held.update(k for k in keys if k is not None)
            return None

    def any(self) -> bool:
        return bool(self._held)  # a request racing a transaction's start may go either side of it, as on DynamoDB

    def release(self, keys: list[ItemKey | None]) -> None:
        with self._lock:
            self._held.difference_update(k for k in keys if k is not None)


_holds = _Holds()


class _Hold:
    """Holds a transaction's items for its flight (entered before moto applies it, left after)."""

    def __init__(self, keys: list[ItemKey | None] | None = None) -> None:
        self.keys = keys or []

    def __enter__(self) -> None:
        if self.keys:
            time.sleep(hold_seconds())

    def __exit__(self, *exc: object) -> None:
        if self.keys:
            _holds.release(self.keys)


_NOT_HELD = _Hold()


def admit(operation: str, body: bytes) -> tuple[Answer | None, _Hold]:
    """How DynamoDB, with the transactions now in flight, takes a request: its refusal, or the hold to run it in.

    `operation` is the X-Amz-Target's operation name, `body` the request's JSON.
    """
    if operation not in ("TransactWriteItems", "TransactGetItems", "PutItem", "UpdateItem", "DeleteItem"):
        return None, _NOT_HELD
    if operation != "TransactWriteItems" and not _holds.any():
        return None, _NOT_HELD  # nothing in flight to meet: no need to read the request
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return None, _NOT_HELD
    if not isinstance(request, dict):
        return None, _NOT_HELD
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        if any(_holds.conflicts([_item_key(request)])):
            return _answer("TransactionConflictException", _ONGOING), _NOT_HELD
        return None, _NOT_HELD
    entries = request.get("TransactItems")
    if not isinstance(entries, list):
        return None, _NOT_HELD
    keys = [_action_key(entry) for entry in entries]
    if operation == "TransactGetItems":
        met = _holds.conflicts(keys)
        return (_cancelled(met) if any(met) else None), _NOT_HELD
    named = [k for k in keys if k is not None]
    if len(set(named)) < len(named):
        return None, _NOT_HELD  # two actions on one item: moto's validation answers
    conflicts = _holds.take(keys)
    if conflicts is not None:
        return _cancelled(conflicts), _NOT_HELD
    return None, _Hold(keys)
