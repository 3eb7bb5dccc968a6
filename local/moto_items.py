"""moto's check of DynamoDB's 400 KB item limit, made linear (moto 5.2).

moto builds an item attribute by attribute, and each one set measures every attribute set before it
again (`LimitedSizeDict.__setitem__`), nested maps walked whole each time: an entry of the logs table,
with its index keys and listed deliveries, took a few milliseconds to store, most of a write's cost
in the emulator. `linear_item_size_check()` (idempotent) has a new item measured once, as the sum
moto's check adds up — each name's bytes and each value's size — and refused with moto's own
`ItemSizeTooLarge` when that passes moto's limit. The sizes only add, so the whole is over the limit
exactly when moto's check would have stopped at some attribute. A change to a stored item (an
UpdateItem) still goes through moto's check. tests/integration/test_emulator.py compares the two.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize

ITEM_SIZE_LIMIT = 405000  # moto's figure for DynamoDB's 400 KB


def item_size(attrs: dict[str, DynamoType]) -> int:
    """What moto's check adds up for an item: each attribute's name in bytes and its value's size."""
    return sum(bytesize(name) + value.size() for name, value in attrs.items())


def linear_item_size_check() -> None:
    original = Item.__init__
    if getattr(original, "_linear", False):
        return

    @functools.wraps(original)
    def init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        values = {name: DynamoType(value) for name, value in attrs.items()}
        if item_size(values) > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict(values)  # dict.update: no attribute measured again

    init._linear = True  # type: ignore[attr-defined]
    Item.__init__ = init
