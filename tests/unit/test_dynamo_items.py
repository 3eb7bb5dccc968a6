"""Items are written as boto3's TypeSerializer writes them (it is not imported: see lead_events.aws)."""

from __future__ import annotations

from decimal import Decimal, Inexact, Rounded

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from lead_events.store.dynamo import from_item, to_attribute, to_item

VALUES = [
    None,
    True,
    False,
    0,
    -7,
    10**37,
    Decimal("12.50"),
    Decimal("-0.001"),
    "",
    "text é",
    b"\x00\xff",
    [],
    [1, "a", None, [True]],
    {},
    {"nested": {"deeper": [Decimal("1.5"), {"x": None}]}},
    {"a", "b"},
    {1, Decimal("2.5")},
    {b"x", b"y"},
]


@pytest.mark.parametrize("value", VALUES, ids=[type(v).__name__ for v in VALUES])
def test_values_are_serialized_as_boto3_does(value: object) -> None:
    ours, boto3s = to_attribute(value), TypeSerializer().serialize(value)
    if isinstance(value, set):  # sets have no order
        (kind, items), (kind3, items3) = next(iter(ours.items())), next(iter(boto3s.items()))
        assert kind == kind3 and sorted(items) == sorted(items3)
    else:
        assert ours == boto3s


def test_floats_are_stored_by_their_shortest_repr_and_read_back_equal() -> None:
    item = to_item({"revenue": 12.5, "rate": 0.1})
    assert item == {"revenue": {"N": "12.5"}, "rate": {"N": "0.1"}}
    assert from_item(item) == {"revenue": Decimal("12.5"), "rate": Decimal("0.1")}


def test_items_read_back_as_boto3_reads_them() -> None:
    item = to_item({"n": 3, "m": {"l": [Decimal("1.25"), "s"]}, "ss": {"a"}, "none": None})
    assert from_item(item) == {k: TypeDeserializer().deserialize(v) for k, v in item.items()}


def test_numbers_dynamodb_cannot_hold_exactly_are_refused() -> None:
    with pytest.raises((Inexact, Rounded)):
        to_attribute(Decimal("1." + "1" * 40))


@pytest.mark.parametrize("value", [object(), set(), {1, "a"}], ids=["object", "empty set", "mixed set"])
def test_values_dynamodb_cannot_store_are_a_type_error(value: object) -> None:
    with pytest.raises(TypeError):
        to_attribute(value)
