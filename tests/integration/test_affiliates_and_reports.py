"""Affiliate postbacks for affiliate conversions, and conversion reports from counters."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from lead_events import aws
from tests.clock import set_clock, wait_for_a_day_with
from tests.integration.conftest import LOGS_TABLE, Org, dispatch, drain_queue
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
            "converted_leads": 2,  # L1 (twice) and L3
            "conversion_rate": "0.6667",
        }
    ]
    assert by_day["totals"]["revenue"] == "20.29"  # 0.10 + 0.20 + 19.99, no float drift

    _, by_event = org.logs("GET", "/reports/conversions", query={"group_by": "event"})
    assert {r["event"]: (r["events"], r["conversions"], r["revenue"]) for r in by_event["rows"]} == {
        "qualified": (1, 0, "0"),
        "sale": (3, 3, "20.29"),
    }

    _, by_campaign = org.logs("GET", "/reports/conversions", query={"group_by": "campaign"})
    assert {
        r["campaign_id"]: (r["events"], r["leads"], r["converted_leads"], r["conversion_rate"], r["revenue"])
        for r in by_campaign["rows"]
    } == {
        "c1": (3, 2, 1, "0.5000", "0.30"),
        "c2": (1, 1, 1, "1.0000", "19.99"),
    }

    _, one = org.logs("GET", "/reports/conversions", query={"campaign_id": "c1", "group_by": "event"})
    assert {r["event"]: r["events"] for r in one["rows"]} == {"sale": 2, "qualified": 1}
    assert one["totals"]["conversions"] == 2


def _day_row(org: Org, day: str, **query: str) -> dict:
    [row] = org.logs("GET", "/reports/conversions", query={"from": day, "to": day, **query})[1]["rows"]
    return row


def test_one_lead_converting_three_times_is_one_converted_lead_a_rate_of_1(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_clock(monkeypatch, datetime(2026, 11, 3, 9, tzinfo=UTC))
    org.config("POST", "/events", body={"name": "sale", "conversion": True, "multi_trigger": True})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c1"})

    for ids in ({"lead_id": "L1"}, {"transaction_id": "T1"}, {"lead_id": "L1"}):
        assert org.triggers("POST", "/triggers", body={"event": "sale", **ids})[0] == 202

    figures = ("conversions", "leads", "converted_leads", "conversion_rate")
    row = _day_row(org, "2026-11-03")
    assert tuple(row[f] for f in figures) == (3, 1, 1, "1.0000")
    [campaign] = org.logs("GET", "/reports/conversions", query={"from": "2026-11-03", "group_by": "campaign"})[1][
        "rows"
    ]
    assert tuple(campaign[f] for f in figures) == (3, 1, 1, "1.0000")
    assert tuple(_day_row(org, "2026-11-03", campaign_id="c1")[f] for f in figures) == (3, 1, 1, "1.0000")
    assert org.triggers("GET", "/leads/L1")[1]["converted_at"].startswith("2026-11-03T09:00")


def test_a_first_conversion_and_the_next_ones_are_each_one_read_and_one_transaction(org: Org) -> None:
    org.config("POST", "/events", body={"name": "sale", "conversion": True, "multi_trigger": True})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c1"})
    org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L0"})  # a 404 that warms the cache
    calls: list[str] = []
    aws.dynamodb().meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))

    answers = []
    for ids in ({"transaction_id": "T1"}, {"transaction_id": "T1"}, {"lead_id": "L1"}):
        calls.clear()
        answers.append((org.triggers("POST", "/triggers", body={"event": "sale", **ids})[0], list(calls)))

    assert answers == [(202, ["BatchGetItem", "TransactWriteItems"])] * 3
    assert org.logs("GET", "/reports/conversions")[1]["totals"]["converted_leads"] == 1


def test_two_leads_one_converted_is_a_rate_of_one_half_and_other_events_do_not_convert(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_clock(monkeypatch, datetime(2026, 11, 3, 9, tzinfo=UTC))
    org.config("POST", "/events", body={"name": "sale", "conversion": True})
    org.config("POST", "/events", body={"name": "qualified"})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    org.triggers("POST", "/leads", body={"lead_id": "L2", "campaign_id": "c1"})

    org.triggers("POST", "/triggers", body={"event": "qualified", "lead_id": "L1"})
    org.triggers("POST", "/triggers", body={"event": "qualified", "lead_id": "L2"})
    org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L2"})

    row = _day_row(org, "2026-11-03")
    assert (row["events"], row["conversions"], row["leads"], row["converted_leads"], row["conversion_rate"]) == (
        3,
        1,
        2,
        1,
        "0.5000",
    )
    assert org.triggers("GET", "/leads/L1")[1]["converted_at"] is None


def test_a_lead_converting_the_day_after_it_came_counts_as_converted_in_the_day_it_came(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_clock(monkeypatch, datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    org.config("POST", "/events", body={"name": "sale", "conversion": True})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    set_clock(monkeypatch, datetime(2027, 1, 1, 0, 30, tzinfo=UTC))  # the next day, and the next year

    assert org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})[0] == 202

    _, report = org.logs("GET", "/reports/conversions", query={"from": "2026-12-31", "to": "2027-01-01"})
    by_day = {
        r["day"]: (r["conversions"], r["leads"], r["converted_leads"], r["conversion_rate"]) for r in report["rows"]
    }
    assert by_day == {"2026-12-31": (0, 1, 1, "1.0000"), "2027-01-01": (1, 0, 0, None)}
    assert (report["totals"]["converted_leads"], report["totals"]["conversion_rate"]) == (1, "1.0000")
    first_day = _day_row(org, "2026-12-31", campaign_id="c1")
    assert (first_day["converted_leads"], first_day["conversion_rate"]) == (1, "1.0000")


def test_counters_written_before_converted_leads_were_counted_read_as_none_converted(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_clock(monkeypatch, datetime(2026, 11, 3, 9, tzinfo=UTC))
    # A day's counter as it was written before: no converted_leads, no copies.
    boto3.client("dynamodb").put_item(
        TableName=LOGS_TABLE,
        Item={
            "pk": {"S": f"ORG#{org.org_id}#REPORT#ALL#2026"},
            "sk": {"S": "2026-11-02"},
            "events": {"N": "3"},
            "conversions": {"N": "3"},
            "revenue": {"N": "0"},
            "leads": {"N": "1"},
        },
    )

    row = _day_row(org, "2026-11-02")

    assert (row["conversions"], row["leads"], row["converted_leads"], row["conversion_rate"]) == (3, 1, 0, "0.0000")


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
