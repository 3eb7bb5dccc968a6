"""An index for moto's DynamoDB Query, so a page costs what it costs on DynamoDB, not a table scan.

moto (5.2) answers every Query by walking *all* items of the table, then sorting the matches and
paging them: one page of a 100k-item table costs about a hundred times a page of a 1k-item one,
although a real Query reads only its page. That hides what the log listings were designed for (a page costs the
same however large the table grows), and slows the local stack down as its tables grow.

`index_moto_queries()` (idempotent) keeps, for every table and every key schema (the table's own
and each index with one HASH and one RANGE key), a sorted list of keys per partition: the hash key
value's items in moto's own query order. It is built lazily on a table's first Query and then kept
up to date on every write: `Table.put_item` and `Table.delete_item` (which `PutItem`, `DeleteItem`,
`BatchWriteItem`, `TransactWriteItems`, PartiQL and imports all go through) and the backend's
`update_item`, which changes an item in place. The keys a transaction touches are reindexed at the
next Query, however its rollback restored them. A table object it has not seen (moto's rollback
swaps in a copy, a restore makes a new one), a replaced `items` dict or a changed set of indexes make
it rebuild that table's index on the next Query. moto has no TTL expiry to follow.

moto's own `Table.query` still decides everything (key conditions, ExclusiveStartKey, Limit, the
1 MB page, FilterExpression, projection, LastEvaluatedKey): the index only narrows the items that
query sees through `all_items()` to the ones it could reach — the partition from the range
condition's start (or just past ExclusiveStartKey) in the query's direction, up to the item after
the Limit-th match, the first item past the range, or the 1 MB mark, exactly where moto's loop
stops. Anything it cannot narrow exactly (legacy KeyConditions filters, multi-attribute keys, an
ExclusiveStartKey from another partition) gets the partition whole, or the stock scan.
tests/integration/test_moto_index.py runs random operations against stock and indexed moto side by side.

(Over 300 lines on purpose: the index and the moto methods that keep it in step are one invariant,
read and changed together.)
"""

from __future__ import annotations

import bisect
import functools
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, Table

_MAX_ITEM_SIZE = 410_000  # moto refuses items past 405,000 bytes
_lock = threading.RLock()
_narrowed = threading.local()
_indexes: weakref.WeakKeyDictionary[Table, _TableIndex] = weakref.WeakKeyDictionary()
_first = itemgetter(0)
_stock = threading.local()  # set by stock_queries()

SortKey = tuple[Any, ...]


@dataclass(frozen=True)
class _Schema:
    """One key schema: `name` None is the table itself. `sort` lists the attributes moto orders by."""

    name: str | None
    hash_attr: str
    range_attr: str
    sort: tuple[str, ...]


@dataclass
class _Partition:
    keys: list[SortKey] = field(default_factory=list)  # sorted, unique (they end with the table's key)
    items: dict[SortKey, Item] = field(default_factory=dict)


def _schemas(table: Table) -> tuple[_Schema, ...] | None:
    if table.range_key_attr is None:
        return None
    schemas = [_Schema(None, table.hash_key_attr, table.range_key_attr, (table.range_key_attr,))]
    for index in table.all_indexes():
        hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
        ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
        if len(hashes) == 1 and len(ranges) == 1:
            # moto sorts an index's items by its range key, then the table's hash and range keys.
            sort = (ranges[0], table.hash_key_attr, table.range_key_attr)
            schemas.append(_Schema(index.name, hashes[0], ranges[0], sort))
    return tuple(schemas)


def _value(value: DynamoType | None) -> tuple[str, Any] | None:
    return None if value is None else (value.type, value.cast_value)


class _TableIndex:
    def __init__(self, table: Table, schemas: tuple[_Schema, ...]) -> None:
        self.items_dict = table.items
        self.schemas = schemas
        self.partitions: dict[tuple[str | None, Any], _Partition] = {}
        self.placed: dict[tuple[Any, Any], list[tuple[_Partition, SortKey]]] = {}
        self.unsure: set[tuple[DynamoType, DynamoType]] = set()  # keys a transaction touched
        for partition in table.items.values():
            for item in partition.values():
                self.add(item)

    def add(self, item: Item) -> None:
        placed = self.placed.setdefault((_value(item.hash_key), _value(item.range_key)), [])
        for schema in self.schemas:
            hash_value = item.attrs.get(schema.hash_attr)
            if hash_value is None or schema.range_attr not in item.attrs:
                continue  # a sparse index: DynamoDB leaves out items without its key attributes
            sort_key = tuple(item.attrs[attr].cast_value for attr in schema.sort)
            partition = self.partitions.setdefault((schema.name, _value(hash_value)), _Partition())
            bisect.insort(partition.keys, sort_key)  # TypeError on mixed key types: see _index_of
            partition.items[sort_key] = item
            placed.append((partition, sort_key))

    def remove(self, hash_value: DynamoType, range_value: DynamoType) -> None:
        for partition, sort_key in self.placed.pop((_value(hash_value), _value(range_value)), []):
            del partition.keys[bisect.bisect_left(partition.keys, sort_key)]
            del partition.items[sort_key]

    def reindex(self, table: Table, hash_value: DynamoType, range_value: DynamoType) -> None:
        self.remove(hash_value, range_value)
        item = table.items.get(hash_value, {}).get(range_value)
        if item is not None:
            self.add(item)


def _index_of(table: Table, build: bool) -> _TableIndex | None:
    """The table's index, current; None when it has none yet (and `build` is false) or cannot have one."""
    index = _indexes.get(table)
    schemas = _schemas(table)
    if index is not None and index.items_dict is table.items and index.schemas == schemas:
        if build and index.unsure:  # at a Query, when every earlier request is complete
            try:
                while index.unsure:
                    index.reindex(table, *index.unsure.pop())
            except (TypeError, ValueError, KeyError):
                _indexes.pop(table, None)
                return _index_of(table, build)
        return index
    _indexes.pop(table, None)
    if schemas is None or not build:
        return None
    try:
        index = _TableIndex(table, schemas)
    except TypeError:  # key values of different types in one attribute: moto's own sort fails too
        return None
    _indexes[table] = index
    return index


def _after_write(table: Table, hash_value: DynamoType, range_value: DynamoType | None) -> None:
    index = _index_of(table, build=False)
    if index is None or range_value is None:
        return
    try:
        index.reindex(table, hash_value, range_value)
    except (TypeError, ValueError, KeyError):
        _indexes.pop(table, None)  # rebuilt on the next Query


def _walk(keys: list[SortKey], start: int, forward: bool) -> Iterator[SortKey]:
    positions = range(start, len(keys)) if forward else range(start, -1, -1)
    return (keys[i] for i in positions)


def _start(keys: list[SortKey], comparison: str | None, bounds: list[Any], forward: bool) -> tuple[int, bool]:
    """Where the range condition's items begin in the query's direction, and whether that is exact.

    Forward: the first key at or past the range's low end; backward: the last key at or before its
    high end. Not exact (the walk then runs to the partition's end) only for a `begins_with` whose
    prefix has no successor, walked backward.
    """
    if forward:
        if comparison in ("=", "EQ", "BETWEEN", ">=", "BEGINS_WITH"):
            return bisect.bisect_left(keys, bounds[0], key=_first), True
        if comparison == ">":
            return bisect.bisect_right(keys, bounds[0], key=_first), True
        return 0, comparison in (None, "<", "<=")
    last = len(keys) - 1
    if comparison in ("=", "EQ", "<=", "BETWEEN"):
        return bisect.bisect_right(keys, bounds[-1], key=_first) - 1, True
    if comparison == "<":
        return bisect.bisect_left(keys, bounds[0], key=_first) - 1, True
    if comparison == "BEGINS_WITH":
        successor = _successor(bounds[0])
        if successor is None:
            return last, False
        return bisect.bisect_left(keys, successor, key=_first) - 1, True
    return last, comparison in (None, ">", ">=")


def _successor(prefix: Any) -> Any:
    """The least value above every value that starts with `prefix`; None when there is none to hand."""
    if isinstance(prefix, str) and prefix and prefix[-1] != "\U0010ffff":
        return prefix[:-1] + chr(ord(prefix[-1]) + 1)
    if isinstance(prefix, bytes) and prefix and prefix[-1] != 0xFF:
        return prefix[:-1] + bytes([prefix[-1] + 1])
    return None


def _past_start_key(
    keys: list[SortKey], schema: _Schema, hash_key: DynamoType, start_key: dict[str, Any], forward: bool
) -> int | None:
    """The first position past ExclusiveStartKey in the query's direction; None if it is not of this partition."""
    try:
        if DynamoType(start_key[schema.hash_attr]) != hash_key:
            return None
        after = tuple(DynamoType(start_key[attr]).cast_value for attr in schema.sort)
        return bisect.bisect_right(keys, after) if forward else bisect.bisect_left(keys, after) - 1
    except (KeyError, TypeError):
        return None


def _candidates(
    table: Table,
    hash_key: DynamoType | None,
    range_comparison: str | None,
    range_objs: list[DynamoType],
    limit: int | None,
    exclusive_start_key: dict[str, Any] | None,
    scan_index_forward: bool,
    index_name: str | None,
    hash_key_conditions: list[tuple[str, DynamoType]] | None,
    range_key_conditions: list[tuple[str, str, list[DynamoType]]] | None,
    filter_kwargs: dict[str, Any],
) -> list[Item] | None:
    """The items moto's query needs to see for this request; None for all of them (the stock scan)."""
    if (
        getattr(_stock, "on", False)
        or filter_kwargs
        or hash_key is None
        or len(hash_key_conditions or []) > 1
        or len(range_key_conditions or []) > 1
    ):
        return None
    index = _index_of(table, build=True)
    if index is None:
        return None
    schema = next((s for s in index.schemas if s.name == index_name), None)
    if schema is None or (hash_key_conditions and hash_key_conditions[0][0] != schema.hash_attr):
        return None
    if range_key_conditions and range_key_conditions[0][0] != schema.range_attr:
        return None
    partition = index.partitions.get((index_name, _value(hash_key)))
    if partition is None:
        return []
    keys = partition.keys
    forward = scan_index_forward is not False
    start, positioned = _start(keys, range_comparison, [o.cast_value for o in range_objs], forward)
    if exclusive_start_key is not None:
        past = _past_start_key(keys, schema, hash_key, exclusive_start_key, forward)
        if past is None:
            return list(partition.items.values())  # moto's own start-key logic over the whole partition
        start = max(start, past) if forward else min(start, past)

    # moto's loop, counting as it does: it stops at the first item after `limit` matches or at the
    # one that would take the page past 1 MB, and otherwise runs to the end of the partition.
    found: list[Item] = []
    matched = size = 0
    for sort_key in _walk(keys, start, forward):
        item = partition.items[sort_key]
        found.append(item)
        item_size = item.size()
        if (limit is not None and matched == limit) or size + item_size > RESULT_SIZE_LIMIT:
            break
        if range_comparison is None or item.attrs[schema.range_attr].compare(range_comparison, range_objs):
            matched += 1
            size += item_size
        elif positioned and size + _MAX_ITEM_SIZE <= RESULT_SIZE_LIMIT:
            break  # past the range: nothing further matches, and no item can fill the page
    return found


def _query(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def query(
        self: Table,
        hash_key: DynamoType | None,
        range_comparison: str | None,
        range_objs: list[DynamoType],
        limit: int | None,
        exclusive_start_key: dict[str, Any] | None,
        scan_index_forward: bool,
        projection_expressions: list[list[str]] | None,
        index_name: str | None = None,
        consistent_read: bool = False,
        filter_expression: Any = None,
        hash_key_conditions: list[tuple[str, DynamoType]] | None = None,
        range_key_conditions: list[tuple[str, str, list[DynamoType]]] | None = None,
        **filter_kwargs: Any,
    ) -> Any:
        request = (hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward)
        with _lock:
            try:
                candidates = _candidates(
                    self, *request, index_name, hash_key_conditions, range_key_conditions, filter_kwargs
                )
            except TypeError:  # a bound of another type than the keys: moto says what is wrong
                candidates = None
            _narrowed.view = (self, candidates) if candidates is not None else None
            try:
                return original(
                    self,
                    *request,
                    projection_expressions,
                    index_name,
                    consistent_read,
                    filter_expression,
                    hash_key_conditions=hash_key_conditions,
                    range_key_conditions=range_key_conditions,
                    **filter_kwargs,
                )
            finally:
                _narrowed.view = None

    return query


def _all_items(original: Callable[[Table], list[Item]]) -> Callable[[Table], list[Item]]:
    @functools.wraps(original)
    def all_items(self: Table) -> list[Item]:
        view = getattr(_narrowed, "view", None)
        if view is not None and view[0] is self:
            return list(view[1])  # the query re-sorts them itself
        return original(self)

    return all_items


def _put_item(original: Callable[..., Item]) -> Callable[..., Item]:
    @functools.wraps(original)
    def put_item(self: Table, *args: Any, **kwargs: Any) -> Item:
        with _lock:
            item = original(self, *args, **kwargs)
            _after_write(self, item.hash_key, item.range_key)
            return item

    return put_item


def _delete_item(original: Callable[..., Item | None]) -> Callable[..., Item | None]:
    @functools.wraps(original)
    def delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
        with _lock:
            item = original(self, hash_key, range_key)
            if item is not None:
                _after_write(self, item.hash_key, item.range_key)
            return item

    return delete_item


def _update_item(original: Callable[..., Item]) -> Callable[..., Item]:
    @functools.wraps(original)
    def update_item(self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
        with _lock:
            try:
                return original(self, table_name, key, *args, **kwargs)
            finally:
                # The update changed the item in place (or created it): index it as it is now.
                table = self.tables.get(table_name)
                if table is not None and _index_of(table, build=False) is not None:
                    try:
                        hash_value = DynamoType(key[table.hash_key_attr])
                        range_value = DynamoType(key[str(table.range_key_attr)])
                    except (KeyError, TypeError, AttributeError):
                        _indexes.pop(table, None)  # rebuilt on the next Query
                    else:
                        _after_write(table, hash_value, range_value)

    return update_item


def _transact_write_items(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        # A rollback may put items back without put_item (moto swaps in a copy of the table; a
        # cheaper rollback may write `table.items` directly), and may run outside this wrapper:
        # the keys are reindexed at the next Query, when the request is over whatever wraps it.
        with _lock:
            for entry in transact_items:
                operation: dict[str, Any] = next(iter(entry.values()), {})
                table = self.tables.get(str(operation.get("TableName")))
                index = _index_of(table, build=False) if table is not None else None
                if table is None or index is None:
                    continue
                key = operation.get("Key") or operation.get("Item") or {}
                try:
                    index.unsure.add((DynamoType(key[table.hash_key_attr]), DynamoType(key[str(table.range_key_attr)])))
                except (KeyError, TypeError, AttributeError):
                    _indexes.pop(table, None)
            original(self, transact_items)

    return transact_write_items


def index_moto_queries() -> None:
    """Give moto's DynamoDB Query an index (idempotent); applies to every table, in-process or server."""
    if getattr(Table.query, "_indexed", False):
        return
    Table.all_items = _all_items(Table.all_items)
    Table.put_item = _put_item(Table.put_item)
    Table.delete_item = _delete_item(Table.delete_item)
    DynamoDBBackend.update_item = _update_item(DynamoDBBackend.update_item)
    DynamoDBBackend.transact_write_items = _transact_write_items(DynamoDBBackend.transact_write_items)
    Table.query = _query(Table.query)
    Table.query._indexed = True


@contextmanager
def stock_queries() -> Iterator[None]:
    """Within this block (this thread), Queries walk the whole table as stock moto does: to compare."""
    _stock.on = True
    try:
        yield
    finally:
        _stock.on = False
