"""Event history, conversion reports and affiliate postbacks on the local stack over HTTP."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.clock import wait_for_a_day_with
from tests.e2e.conftest import LocalStack
from tests.receiver import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def _pages(stack: LocalStack, path: str, **query: Any) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        answer = stack.request("GET", path, params=query | ({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        if not (cursor := answer.json()["next_cursor"]):
            return items


def test_an_operator_filters_pages_and_bounds_the_history(local_stack: LocalStack, receiver: Receiver) -> None:
    sale, qualified, campaign, other_campaign = _id("sale"), _id("qualified"), _id("camp"), _id("camp")
    local_stack.request("POST", "/events", json={"name": sale, "conversion": True, "multi_trigger": True})
    local_stack.request("POST", "/events", json={"name": qualified, "multi_trigger": True})
    local_stack.request("POST", f"/events/{sale}/postbacks", json={"url": receiver.url + "/ok"})
    receiver.answer("/ok", *([200] * 11))
    leads = [
        local_stack.request("POST", "/leads", json={"campaign_id": c}).json()
        for c in (campaign, campaign, other_campaign)
    ]
    log_ids = []
    for n in range(11):
        lead = leads[n % 3]
        event = sale if n % 2 == 0 else qualified
        answer = requests.get(
            local_stack.postback_url, params={"event": event, "tid": lead["transaction_id"]}, timeout=30
        )
        assert answer.status_code == 200
        log_ids.append(answer.json()["log_id"])
    receiver.wait_for(6, "/ok")
    time.sleep(0.5)

    everything = _pages(local_stack, "/logs", campaign_id=campaign, limit=3)
    mine = {log_ids[n] for n in range(11) if n % 3 != 2}
    assert [i["log_id"] for i in everything] == sorted(mine, reverse=True)  # newest first, no duplicates or gaps
    assert {i["campaign_id"] for i in everything} == {campaign}

    sales = _pages(local_stack, f"/events/{sale}/logs", campaign_id=campaign, status="delivered", limit=2)
    assert {i["log_id"] for i in sales} == {log_ids[n] for n in range(11) if n % 3 != 2 and n % 2 == 0}
    assert all(i["response_code"] == 200 and i["event"] == sale for i in sales)
    no_postbacks = _pages(local_stack, "/logs", event=qualified, status="no_postbacks")
    assert {i["log_id"] for i in no_postbacks} == {log_ids[n] for n in range(11) if n % 2 == 1}

    lead_history = _pages(local_stack, "/logs", lead_id=leads[0]["lead_id"])
    assert {i["log_id"] for i in lead_history} == {log_ids[n] for n in range(0, 11, 3)}

    # The days the entries were made on (one, unless midnight passed meanwhile), and the day after.
    first, last = min(i["created_at"][:10] for i in everything), max(i["created_at"][:10] for i in everything)
    after = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    assert _pages(local_stack, "/logs", campaign_id=campaign, **{"from": after, "to": after}) == []
    assert len(_pages(local_stack, "/logs", campaign_id=campaign, **{"from": first, "to": last})) == len(mine)
    assert local_stack.request("GET", "/logs", params={"cursor": "forged"}).status_code == 400

    timeline = local_stack.request("GET", f"/leads/{leads[0]['lead_id']}").json()["events"]
    assert [e["log_id"] for e in timeline] == [log_ids[n] for n in range(0, 11, 3)]


def test_reports_count_conversions_and_revenue_per_day_for_a_campaign(local_stack: LocalStack) -> None:
    wait_for_a_day_with(120)  # the report below is today's
    sale, campaign = _id("sale"), _id("camp")
    local_stack.request("POST", "/events", json={"name": sale, "conversion": True, "multi_trigger": True})
    leads = [local_stack.request("POST", "/leads", json={"campaign_id": campaign}).json() for _ in range(4)]
    for lead, amount in zip(leads, ("10.10", "0.20", "5", None), strict=True):
        params = {"event": sale, "tid": lead["transaction_id"]} | ({"amount": amount} if amount else {})
        assert requests.get(local_stack.postback_url, params=params, timeout=30).status_code == 200
    today = datetime.now(UTC).date().isoformat()
    report = local_stack.request(
        "GET", "/reports/conversions", params={"campaign_id": campaign, "from": today, "to": today}
    ).json()
    assert report["rows"] == [
        {
            "day": today,
            "event": None,
            "campaign_id": None,
            "events": 4,
            "conversions": 4,
            "revenue": "15.30",
            "leads": 4,
            "converted_leads": 4,
            "conversion_rate": "1.0000",
        }
    ]
    by_event = local_stack.request(
        "GET", "/reports/conversions", params={"campaign_id": campaign, "group_by": "event"}
    ).json()
    assert [(r["event"], r["revenue"]) for r in by_event["rows"]] == [(sale, "15.30")]


def test_affiliates_get_their_postback_only_for_affiliate_conversions(
    local_stack: LocalStack, receiver: Receiver
) -> None:
    affiliate, sale, qualified = _id("net"), _id("sale"), _id("qualified")
    answer = local_stack.request(
        "PUT",
        f"/affiliates/{affiliate}",
        json={
            "name": "Network",
            "postback_url": receiver.url + "/aff?click={transaction_id}&s1={sub1}&s2={sub2}&amt={revenue}",
        },
    )
    assert answer.status_code == 200, answer.text
    local_stack.request("POST", "/events", json={"name": sale, "conversion": True, "affiliate_conversion": True})
    local_stack.request("POST", "/events", json={"name": qualified})
    lead = local_stack.request(
        "POST", "/leads", json={"campaign_id": "auto", "affiliate_id": affiliate, "sub1": "fb/ads?x=1", "sub2": "ü"}
    ).json()
    assert (
        requests.get(
            local_stack.postback_url, params={"event": qualified, "tid": lead["transaction_id"]}, timeout=30
        ).status_code
        == 200
    )
    accepted = requests.get(
        local_stack.postback_url, params={"event": sale, "tid": lead["transaction_id"], "payout": "7.5"}, timeout=30
    )
    [request] = receiver.wait_for(1, "/aff")
    assert request.path == f"/aff?click={lead['transaction_id']}&s1=fb%2Fads%3Fx%3D1&s2=%C3%BC&amt=7.5"
    time.sleep(1)
    assert len(receiver.received("/aff")) == 1
    entry = local_stack.request("GET", f"/logs/{accepted.json()['log_id']}").json()
    assert [(d["kind"], d["status"]) for d in entry["deliveries"]] == [("affiliate", "delivered")]
