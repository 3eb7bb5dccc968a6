"""Macro rendering: a value can never add, change or remove a parameter, header or JSON key."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from lead_events.errors import InvalidInput
from lead_events.logic.macros import check_macros, macros_in, render_body, render_headers, render_url
from lead_events.models.macros import BUILTIN_MACROS

HOSTILE = [
    "a&b=c",
    "x?y#z",
    "50%25 off",
    "{transaction_id}",
    'quote " and \\ backslash',
    "new\nline\r\nX-Injected: yes",
    "unicodé ✓",
    "/../../etc/passwd",
    "",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_url_values_are_percent_encoded_and_cannot_inject_parameters(value: str) -> None:
    url = render_url(
        "https://net.example/pb?tid={transaction_id}&ev={event_name}", {"transaction_id": value, "event_name": "sale"}
    )
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert set(query) == {"tid", "ev"}
    assert query["tid"] == [value]
    assert query["ev"] == ["sale"]
    assert "{" not in url


@pytest.mark.parametrize("value", HOSTILE)
def test_guard_request_escape_values_and_keep_their_shape(value: str) -> None:
    body, content_type = render_body(
        {"tid": "{transaction_id}", "n": 5, "nested": {"s": "x-{sub1}"}},
        "json",
        {"transaction_id": value, "sub1": value},
    )
    assert content_type == "application/json"
    assert json.loads(body) == {"tid": value, "n": 5, "nested": {"s": f"x-{value}"}}


@pytest.mark.parametrize("value", HOSTILE)
def test_form_bodies_encode_values_and_keep_their_fields(value: str) -> None:
    body, content_type = render_body({"tid": "{transaction_id}", "ev": "sale"}, "form", {"transaction_id": value})
    assert content_type == "application/x-www-form-urlencoded"
    assert parse_qs(body, keep_blank_values=True) == {"tid": [value], "ev": ["sale"]}


def test_header_values_lose_control_characters_so_no_header_can_be_injected() -> None:
    headers = render_headers({"X-Tid": "{transaction_id}"}, {"transaction_id": "a\r\nX-Injected: yes"})
    assert headers == {"X-Tid": "aX-Injected: yes"}


def test_missing_values_render_empty_never_as_literal_braces() -> None:
    assert render_url("https://x.example/?a={sub1}&b={sub2}", {"sub1": "1"}) == "https://x.example/?a=1&b="


def test_unknown_macros_are_reported_with_their_names() -> None:
    with pytest.raises(InvalidInput, match=r"\{clickid\}, \{txid\}"):
        check_macros(["https://x.example/?a={txid}&b={clickid}&c={lead_id}"])
    check_macros(["https://x.example/?a={lead_id}", {"k": "{revenue}"}, {"X-A": "{sub1}"}])
    check_macros(["https://x.example/?a={plan}"], known=["plan"])


def test_macros_are_found_in_nested_templates_and_only_identifier_braces_count() -> None:
    assert macros_in({"a": ["{sub1}", {"b": "{sub2} {not a macro} {}"}]}) == {"sub1", "sub2"}


def test_every_documented_macro_is_a_known_macro() -> None:
    assert {
        "transaction_id",
        "lead_id",
        "event_name",
        "campaign_id",
        "affiliate_id",
        "revenue",
        "payout",
        "log_id",
        "timestamp",
        "iso_timestamp",
        "sub1",
        "sub5",
    } <= set(BUILTIN_MACROS)
