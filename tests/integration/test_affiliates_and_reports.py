"""Affiliate postbacks for affiliate conversions, and conversion reports from counters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.clock import wait_for_a_day_with
from tests.integration.conftest import Org, dispatch, drain_queue
from tests.receiver import Receiver


def test_affiliates_are_put_read_listed_and_deleted(org: Org, receiver: Receiver) -> None:
    body = {"name": "Network A", "postback_url": receiver.url + "/aff?c={transaction_id}"}
    status, created = org.config("PUT", "/affiliates/net_a", body=body)
    assert status == 200 and created["affiliate_id"] == "net_a" and created["enabled"] is True
    _, changed = org.config("PUT", "/affiliates/net_a", body=body | {"name": "Network A2"})
    assert changed["name"] == "Network A2" and changed["created_at"] == created["created_at"]
    assert [a["affiliate_id"] for a in org.config("GET", "/affiliates")[1]["items"]] == ["net_a"]
    assert org.config("GET", "/affiliates/net_a")[1]["name"] == "Network A2"
    assert org.config("DELETE", "/affiliates/net_a")[0] == 204
    assert org.config("GET", "/affiliates/net_a")[0] == 404
    assert org.config("DELETE", "/affiliates/net_a")[0] == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "A", "postback_url": "http://10.0.0.1/pb"}, "private"),
        ({"name": "A", "postback_url": "https://net.example/?x={nope}"}, "Unknown macro"),
        ({"name": "A", "postback_url": "https://net.example/", "body": {"a": 1}}, "only with method POST"),
        ({"postback_url": "https://net.example/"}, "name"),
    ],
)
def test_bad_affiliates_are_refused(org: Org, body: dict, message: str) -> None:
    status, answer = org.config("PUT", "/affiliates/net_a", body=body)
    assert status in (400, 422)
    assert message in answer["message"]
    assert org.config("GET", "/affiliates/net_a")[0] == 404


def test_the_affiliate_postback_fires_only_for_affiliate_conversions(org: Org, receiver: Receiver) -> None:
    org.config(
        "PUT",
        "/affiliates/net_a",
        body={"name": "A", "postback_url": receiver.url + "/aff?c={transaction_id}&s={sub1}"},
    )
    org.config("POST", "/events", body={"name": "sale", "conversion": True, "affiliate_conversion": True})
    org.config("POST", "/events", body={"name": "qualified"})
    org.triggers(
        "POST",
        "/leads",
        body={"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c", "affiliate_id": "net_a", "sub1": "fb ads"},
    )
    org.triggers("POST", "/leads", body={"lead_id": "L2", "campaign_id": "c"})  # no affiliate
    _, sale = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    _, qualified = org.triggers("POST", "/triggers", body={"event": "qualified", "lead_id": "L1"})
    _, other = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L2"})
    assert (sale["deliveries"], qualified["deliveries"], other["deliveries"]) == (1, 0, 0)
    dispatch(drain_queue())
    [request] = receiver.received("/aff")
    assert request.path == "/aff?c=T1&s=fb%20ads"
    [delivery] = org.logs("GET", f"/logs/{sale['log_id']}")[1]["deliveries"]
    assert delivery["kind"] == "affiliate" and delivery["status"] == "delivered"


def test_a_disabled_affiliate_postback_does_not_fire_and_send_test_does(org: Org, receiver: Receiver) -> None:
    org.config("PUT", "/affiliates/net_a", body={"name": "A", "postback_url": receiver.url + "/aff", "enabled": False})
    org.config("POST", "/events", body={"name": "sale", "affiliate_conversion": True})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c", "affiliate_id": "net_a"})
    assert org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})[1]["deliveries"] == 0
    status, result = org.config("POST", "/affiliates/net_a/test")
    assert status == 200 and result["outcome"]["ok"] is True
    [request] = receiver.received("/aff")
    assert result["request"]["headers"]["webhook-id"].startswith("test_")
    assert request.headers["webhook-id"] == result["request"]["headers"]["webhook-id"]


def test_reports_count_events_conversions_revenue_and_leads_exactly(org: Org) -> None:
    wait_for_a_day_with(60)  # the counts below are all today's
    org.config("POST", "/events", body={"name": "sale", "conversion": True, "multi_trigger": True})
    org.config("POST", "/events", body={"name": "qualified", "multi_trigger": True})
    for lead, campaign in (("L1", "c1"), ("L2", "c1"), ("L3", "c2")):
        org.triggers("POST", "/leads", body={"lead_id": lead, "campaign_id": campaign})
    for lead, event, revenue in (
        ("L1", "sale", "0.10"),
        ("L1", "sale", "0.20"),
        ("L2", "qualified", None),
        ("L3", "sale", "19.99"),
    ):
        body = {"event": event, "lead_id": lead} | ({"revenue": revenue} if revenue else {})
        assert org.triggers("POST", "/triggers", body=body)[0] == 202
    today = datetime.now(UTC).date().isoformat()

    _, by_day = org.logs("GET", "/reports/conversions", query={"from": today, "to": today})
    assert by_day["rows"] == [
        {
            "day": today,
            "event": None,
            "campaign_id": None,
            "events": 4,
            "conversions": 3,
            "revenue": "20.29",
            "leads": 3,
            "conversion_rate": "1.0000",
        }
    ]
    assert by_day["totals"]["revenue"] == "20.29"  # 0.10 + 0.20 + 19.99, no float drift

    _, by_event = org.logs("GET", "/reports/conversions", query={"group_by": "event"})
    assert {r["event"]: (r["events"], r["conversions"], r["revenue"]) for r in by_event["rows"]} == {
        "qualified": (1, 0, "0"),
        "sale": (3, 3, "20.29"),
    }

    _, by_campaign = org.logs("GET", "/reports/conversions", query={"group_by": "campaign"})
    assert {r["campaign_id"]: (r["events"], r["leads"], r["revenue"]) for r in by_campaign["rows"]} == {
        "c1": (3, 2, "0.30"),
        "c2": (1, 1, "19.99"),
    }

    _, one = org.logs("GET", "/reports/conversions", query={"campaign_id": "c1", "group_by": "event"})
    assert {r["event"]: r["events"] for r in one["rows"]} == {"sale": 2, "qualified": 1}
    assert one["totals"]["conversions"] == 2


def test_refused_triggers_are_not_counted(org: Org) -> None:
    org.config("POST", "/events", body={"name": "sale", "conversion": True})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1", "revenue": 5})
    assert org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1", "revenue": 5})[0] == 409
    totals = org.logs("GET", "/reports/conversions")[1]["totals"]
    assert (totals["events"], totals["revenue"]) == (1, "5")


@pytest.mark.parametrize("query", [{"group_by": "week"}, {"from": "soon"}, {"from": "2026-02-01", "to": "2026-01-01"}])
def test_bad_report_parameters_are_4xx(org: Org, query: dict) -> None:
    status, body = org.logs("GET", "/reports/conversions", query=query)
    assert status == 422 and body["message"]
