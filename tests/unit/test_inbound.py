"""The inbound postback URL's parameters, with the aliases affiliate networks send."""

from decimal import Decimal

import pytest

from lead_events.errors import InvalidInput
from lead_events.logic.inbound import inbound_request, parse_body
from lead_events.models.triggers import Source


@pytest.mark.parametrize("event_key", ["event", "event_id", "event_name"])
@pytest.mark.parametrize("txn_key", ["transaction_id", "tid", "click_id", "clickid"])
@pytest.mark.parametrize("revenue_key", ["revenue", "amount", "payout"])
def test_aliases_map_to_event_transaction_and_revenue(event_key: str, txn_key: str, revenue_key: str) -> None:
    request = inbound_request({event_key: "sale", txn_key: "T-1", revenue_key: "12.50", "plan": "gold"})
    assert (request.event, request.transaction_id, request.revenue) == ("sale", "T-1", Decimal("12.50"))
    assert request.fields == {"plan": "gold"}
    assert request.source is Source.INBOUND_POSTBACK


def test_lead_id_may_replace_the_transaction_id() -> None:
    request = inbound_request({"event": "sale", "lead_id": "L1"})
    assert (request.lead_id, request.transaction_id) == ("L1", None)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"tid": "T1"}, "which event"),
        ({"event": "Sale!", "tid": "T1"}, "not an event name"),
        ({"event": "sale"}, "which lead"),
        ({"event": "sale", "tid": "T1", "revenue": "abc"}, "non-negative number"),
        ({"event": "sale", "tid": "T1", "revenue": "-5"}, "non-negative number"),
        ({"event": "sale", "tid": "T1", "revenue": "NaN"}, "non-negative number"),
        ({"event": "sale", "tid": "T1", "revenue": "Infinity"}, "non-negative number"),
        ({"event": "sale", "tid": "bad id with spaces"}, "not a valid id"),
        ({"event": "sale", "tid": "T1", "x": "y" * 2000}, "too long"),
        ({"event": "sale", "tid": "T1", "obj": {"a": 1}}, "text, a number or a boolean"),
    ],
)
def test_bad_parameters_are_refused_with_a_message(params: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        inbound_request(params)


def test_bodies_are_read_as_json_or_form() -> None:
    assert parse_body('{"event": "sale", "tid": "T1"}', "application/json") == {"event": "sale", "tid": "T1"}
    assert parse_body("event=sale&tid=T1", "application/x-www-form-urlencoded") == {"event": "sale", "tid": "T1"}
    assert parse_body("", "application/json") == {}
    with pytest.raises(InvalidInput):
        parse_body("[1]", "application/json")
    with pytest.raises(InvalidInput):
        parse_body("{broken", "application/json")
