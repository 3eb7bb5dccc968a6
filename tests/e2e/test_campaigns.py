"""The seed's Event Lists and Custom Event Fields per Campaign, on the local stack over HTTP."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LocalStack
from tests.receiver import Receiver

pytestmark = pytest.mark.e2e


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def _lead(stack: LocalStack, campaign: str) -> dict[str, Any]:
    answer = stack.request("POST", "/leads", json={"campaign_id": campaign})
    assert answer.status_code == 201
    return answer.json()


def _inbound(stack: LocalStack, **params: str) -> requests.Response:
    return requests.get(stack.postback_url, params=params, timeout=30)


def test_a_list_shared_by_two_campaigns_is_changed_once_for_both(local_stack: LocalStack) -> None:
    sale, callback, other = _id("sale"), _id("callback"), _id("other")
    for name in (sale, callback, other):
        assert local_stack.request("POST", "/events", json={"name": name, "multi_trigger": True}).status_code == 201
    created = local_stack.request("POST", "/event-lists", json={"name": "Auto insurance", "events": [sale]})
    assert created.status_code == 201
    list_id = created.json()["id"]
    campaigns = [_id("auto_a"), _id("auto_b")]
    for campaign in campaigns:
        assert local_stack.request("PUT", f"/campaigns/{campaign}/event-lists/{list_id}").status_code == 200
    leads = [_lead(local_stack, c) for c in campaigns]

    for lead in leads:
        assert _inbound(local_stack, event=sale, tid=lead["transaction_id"]).status_code == 200
        refused = _inbound(local_stack, event=callback, tid=lead["transaction_id"])
        assert refused.status_code == 422 and "not one of campaign" in refused.json()["message"]

    assert local_stack.request("PATCH", f"/event-lists/{list_id}", json={"events": [sale, callback]}).status_code == 200
    for lead, campaign in zip(leads, campaigns, strict=True):
        assert _inbound(local_stack, event=callback, tid=lead["transaction_id"]).status_code == 200
        names = {e["name"] for e in local_stack.request("GET", f"/campaigns/{campaign}/events").json()["items"]}
        assert names == {sale, callback}

    # A campaign without lists accepts every event.
    free = _lead(local_stack, _id("no_lists"))
    assert _inbound(local_stack, event=other, tid=free["transaction_id"]).status_code == 200


def test_required_and_typed_fields_are_enforced_and_reach_the_receiver(
    local_stack: LocalStack, receiver: Receiver
) -> None:
    event, campaign = _id("sale"), _id("auto")
    local_stack.request("POST", "/events", json={"name": event, "multi_trigger": True})
    settings = {
        "custom_fields": [
            {"name": "plan", "type": "text", "required": True},
            {"name": "premium", "type": "number", "required": True},
            {"name": "start_date", "type": "date", "required": False},
        ]
    }
    assert local_stack.request("PUT", f"/campaigns/{campaign}/events/{event}", json=settings).status_code == 200
    postback = {"url": receiver.url + "/crm?plan={plan}&premium={premium}&start={start_date}", "method": "GET"}
    assert local_stack.request("POST", f"/events/{event}/postbacks", json=postback).status_code == 201
    lead = _lead(local_stack, campaign)

    missing = _inbound(local_stack, event=event, tid=lead["transaction_id"], plan="gold")
    assert missing.status_code == 422 and "'premium' is required" in missing.json()["message"]
    wrong = _inbound(
        local_stack, event=event, tid=lead["transaction_id"], plan="gold", premium="lots", start_date="next week"
    )
    assert wrong.status_code == 422
    assert "'premium' must be a number" in wrong.json()["message"]
    assert "'start_date' must be an ISO 8601 date" in wrong.json()["message"]
    manual = local_stack.request("POST", f"/leads/{lead['lead_id']}/events", json={"event": event, "fields": {}})
    assert manual.status_code == 422

    accepted = _inbound(
        local_stack,
        event=event,
        tid=lead["transaction_id"],
        plan="gold & silver",
        premium="99.90",
        start_date="2026-12-01",
    )
    assert accepted.status_code == 200
    [request] = receiver.wait_for(1, "/crm")
    assert request.path == "/crm?plan=gold%20%26%20silver&premium=99.90&start=2026-12-01"
    entry = local_stack.request("GET", f"/logs/{accepted.json()['log_id']}").json()
    assert entry["fields"] == {"plan": "gold & silver", "premium": 99.9, "start_date": "2026-12-01"}
    assert json.dumps(entry)  # the entry is plain JSON
