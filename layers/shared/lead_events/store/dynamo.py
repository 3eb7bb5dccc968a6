"""Small helpers over the low-level DynamoDB client: item (de)serialization and page cursors."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.shared.dynamodb_deserializer import DYNAMODB_CONTEXT, TypeDeserializer
from botocore.exceptions import ClientError

from lead_events.aws import CONFLICT_ATTEMPTS, conflict_pause
from lead_events.errors import ConcurrentChange, InvalidCursor
from lead_events.store import cursors

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

# boto3.dynamodb.types would import all of boto3 (see lead_events.aws); Powertools carries boto3's
# deserializer, and the serializer below is boto3's rules in a few lines.
_deserializer = TypeDeserializer()


def _number(value: int | float | Decimal) -> str:
    # Floats go through their shortest repr, so 12.5 stays 12.5; more than 38 digits raise, as in boto3.
    return str(DYNAMODB_CONTEXT.create_decimal(Decimal(repr(value)) if isinstance(value, float) else value))


def to_attribute(value: Any) -> dict[str, Any]:
    """One Python value as a DynamoDB attribute value (boto3's TypeSerializer rules, floats allowed)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": _number(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": {k: to_attribute(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(v) for v in value]}
    if isinstance(value, set | frozenset) and value:
        if all(isinstance(v, str) for v in value):
            return {"SS": list(value)}
        if all(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in value):
            return {"NS": [_number(v) for v in value]}
        if all(isinstance(v, bytes) for v in value):
            return {"BS": list(value)}
    raise TypeError(f"{type(value).__name__} value {value!r} cannot be stored in DynamoDB")


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict as a DynamoDB item (attribute-value map)."""
    return {k: to_attribute(v) for k, v in values.items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as a plain dict."""
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def plain_json(value: Any) -> Any:
    """A stored JSON-like value with DynamoDB's Decimals turned back into ints and floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_json(v) for v in value]
    return value


def is_condition_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class Cancelled(Exception):
    """A transaction was cancelled because a condition did not hold; `reasons` has each item's code."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons

    @property
    def first(self) -> int:
        """The index of the first item whose condition failed."""
        return self.reasons.index("ConditionalCheckFailed")


def transact(
    db: DynamoDBClient,
    items: Sequence[TransactWriteItemTypeDef] | Callable[[], Sequence[TransactWriteItemTypeDef]],
) -> None:
    """TransactWriteItems, tried again when only another transaction on the same items cancelled it.

    DynamoDB cancels a transaction that meets another one in flight on an item (TransactionConflict),
    and botocore does not try it again. `items` may be a function, called for every attempt: a
    report counter's shard is then drawn anew (store/reports.py). A failed condition raises
    Cancelled; conflicts that outlast CONFLICT_ATTEMPTS raise ConcurrentChange (409).
    """
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            db.transact_write_items(TransactItems=list(items() if callable(items) else items))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            reasons = [str(r.get("Code") or "None") for r in exc.response.get("CancellationReasons") or []]
            if code == "TransactionCanceledException" and "ConditionalCheckFailed" in reasons:
                raise Cancelled(reasons) from exc
            conflict = code == "TransactionConflictException" or (
                code == "TransactionCanceledException" and "TransactionConflict" in reasons
            )
            if not conflict:
                raise
            if attempt == CONFLICT_ATTEMPTS:
                raise ConcurrentChange() from exc
        else:
            return
        time.sleep(conflict_pause(attempt))  # jittered, so the conflicting requests spread out


def encode_cursor(last_key: Mapping[str, Any] | None) -> str | None:
    """The cursor of the page after `last_key` (the query's LastEvaluatedKey): only its sort key (store/cursors.py)."""
    if not last_key:
        return None
    return cursors.encode({"sk": last_key["sk"]["S"]})


def decode_cursor(cursor: str | None, pk: str, sk_prefix: str) -> dict[str, Any] | None:
    """The ExclusiveStartKey for `cursor` in partition `pk`, or InvalidCursor if it was not made for this listing."""
    if cursor is None:
        return None
    [sort_key] = cursors.decode(cursor, "sk")
    if not isinstance(sort_key, str) or not sort_key.startswith(sk_prefix) or len(sort_key) > 1024:
        raise InvalidCursor()
    return {"pk": {"S": pk}, "sk": {"S": sort_key}}
