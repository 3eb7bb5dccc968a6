"""Page cursors: opaque, round-trip, and never leave the caller's own partition."""

import base64
import json

import pytest

from lead_events.errors import InvalidCursor
from lead_events.store.dynamo import decode_cursor, encode_cursor


def test_a_cursor_round_trips_to_the_start_key_in_the_callers_partition() -> None:
    cursor = encode_cursor({"pk": {"S": "ORG#org-a"}, "sk": {"S": "EVENT#sale"}})
    assert cursor is not None
    assert "ORG#" not in base64.urlsafe_b64decode(cursor + "==").decode()
    assert decode_cursor(cursor, "ORG#org-b", "EVENT#") == {"pk": {"S": "ORG#org-b"}, "sk": {"S": "EVENT#sale"}}


def test_a_cursor_handed_out_before_is_still_read_the_same() -> None:
    cursor = "eyJzayI6ICJFVkVOVCNzYWxlIn0"  # {"sk": "EVENT#sale"}, as clients hold it
    assert encode_cursor({"pk": {"S": "ORG#org-a"}, "sk": {"S": "EVENT#sale"}}) == cursor
    assert decode_cursor(cursor, "ORG#org-a", "EVENT#") == {"pk": {"S": "ORG#org-a"}, "sk": {"S": "EVENT#sale"}}


def test_no_last_key_means_no_cursor() -> None:
    assert encode_cursor(None) is None
    assert decode_cursor(None, "ORG#a", "EVENT#") is None


def _forge(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !!",
        base64.urlsafe_b64encode(b"not json").decode(),
        _forge(["a list"]),
        _forge({"sk": 5}),
        _forge({"sk": "APIKEY#0000abcd"}),  # another kind of item in the same partition
        _forge({"other": "EVENT#x"}),
        "",
    ],
)
def test_tampered_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, "ORG#a", "EVENT#")
