"""API key management, automatic disabling of failing postbacks, and tenant isolation on every route."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.conftest import Deploy, lambda_context, sample_event, template_stack
from tests.integration.conftest import Org, dispatch, drain_queue, make_org
from tests.receiver import Receiver


def _authorize(key: str) -> dict:
    from authorizer.app import lambda_handler

    event = sample_event("authorizer", "valid_key")
    event["headers"]["authorization"] = f"Bearer {key}"
    return lambda_handler(event, lambda_context())


def test_named_keys_are_shown_once_listed_without_secrets_and_revocable(org: Org) -> None:
    status, created = org.config("POST", "/settings/api-keys", body={"name": "CRM sync"})
    assert status == 201 and created["api_key"].startswith("lek_")
    assert _authorize(created["api_key"])["context"]["org_id"] == org.org_id

    _, listed = org.config("GET", "/settings/api-keys")
    assert {k["name"] for k in listed["items"]} == {"default", "CRM sync"}
    dumped = json.dumps(listed)
    assert created["api_key"] not in dumped and "hash" not in dumped
    crm = next(k for k in listed["items"] if k["name"] == "CRM sync")
    assert crm["last_used_at"] is not None  # the authorizer noted its use

    assert org.config("DELETE", f"/settings/api-keys/{created['key_id']}")[0] == 204
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        _authorize(created["api_key"])
    assert org.config("DELETE", f"/settings/api-keys/{created['key_id']}")[0] == 404
    assert _authorize(org.created.api_key)["isAuthorized"] is True


def test_the_last_active_key_cannot_be_revoked(org: Org) -> None:
    [key] = org.config("GET", "/settings/api-keys")[1]["items"]
    status, body = org.config("DELETE", f"/settings/api-keys/{key['key_id']}")
    assert status == 409 and "last active" in body["message"]


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 101}, {"name": "k", "extra": 1}])
def test_bad_key_requests_are_4xx(org: Org, body: dict) -> None:
    assert org.config("POST", "/settings/api-keys", body=body)[0] == 422


def test_a_postback_that_keeps_failing_is_disabled_with_a_reason_and_enabled_again_by_patch(
    org: Org, receiver: Receiver, deploy: Deploy
) -> None:
    deploy(POSTBACK_AUTO_DISABLE_AFTER="3")
    org.config("POST", "/events", body={"name": "sale", "multi_trigger": True})
    _, postback = org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/gone"})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c"})
    receiver.answer("/gone", 404, 404, 200, 404, 404, 404)

    def fire() -> int:
        _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
        dispatch(drain_queue())
        return accepted["deliveries"]

    fire(), fire(), fire()  # 404, 404, then a success resets the run
    assert org.config("GET", f"/events/sale/postbacks/{postback['id']}")[1]["consecutive_failures"] == 0
    fire(), fire(), fire()  # three failures in a row
    _, current = org.config("GET", f"/events/sale/postbacks/{postback['id']}")
    assert current["enabled"] is False and "3 deliveries in a row" in current["disabled_reason"]
    assert current["disabled_at"]
    assert fire() == 0  # a disabled postback is not queued

    _, enabled = org.config("PATCH", f"/events/sale/postbacks/{postback['id']}", body={"enabled": True})
    assert enabled["enabled"] is True and enabled["disabled_reason"] is None and enabled["consecutive_failures"] == 0
    assert fire() == 1


# Tenant isolation: every route of the template, called by another organization with this one's ids.


def test_another_organization_cannot_see_or_touch_anything_on_any_route(org: Org, receiver: Receiver) -> None:
    org.config("POST", "/events", body={"name": "sale", "affiliate_conversion": True})
    _, postback = org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/pb"})
    receiver.answer("/pb", 404)
    _, event_list = org.config("POST", "/event-lists", body={"name": "L", "events": ["sale"]})
    org.config("PUT", f"/campaigns/c1/event-lists/{event_list['id']}")
    org.config("PUT", "/campaigns/c1/events/sale", body={"custom_fields": [{"name": "plan"}]})
    org.config("PUT", "/affiliates/net_a", body={"name": "A", "postback_url": receiver.url + "/aff"})
    _, key = org.config("POST", "/settings/api-keys", body={"name": "spare"})
    org.triggers(
        "POST", "/leads", body={"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c1", "affiliate_id": "net_a"}
    )
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())
    before = boto3.client("dynamodb").scan(TableName="lead-events-dev-config")["Items"]
    requests_before = len(receiver.requests)

    other = make_org("Intruder")
    pb, lst, log = postback["id"], event_list["id"], accepted["log_id"]
    calls = {
        ("GET", "/events/{name}"): other.config("GET", "/events/sale"),
        ("PATCH", "/events/{name}"): other.config("PATCH", "/events/sale", body={"conversion": True}),
        ("DELETE", "/events/{name}"): other.config("DELETE", "/events/sale"),
        ("GET", "/events/{name}/postbacks"): other.config("GET", "/events/sale/postbacks"),
        ("POST", "/events/{name}/postbacks"): other.config(
            "POST", "/events/sale/postbacks", body={"url": "https://x.example/"}
        ),
        ("GET", "/events/{name}/postbacks/{postback_id}"): other.config("GET", f"/events/sale/postbacks/{pb}"),
        ("PATCH", "/events/{name}/postbacks/{postback_id}"): other.config(
            "PATCH", f"/events/sale/postbacks/{pb}", body={"enabled": False}
        ),
        ("DELETE", "/events/{name}/postbacks/{postback_id}"): other.config("DELETE", f"/events/sale/postbacks/{pb}"),
        ("POST", "/events/{name}/postbacks/{postback_id}/test"): other.config(
            "POST", f"/events/sale/postbacks/{pb}/test"
        ),
        ("GET", "/event-lists/{list_id}"): other.config("GET", f"/event-lists/{lst}"),
        ("PATCH", "/event-lists/{list_id}"): other.config("PATCH", f"/event-lists/{lst}", body={"name": "x"}),
        ("DELETE", "/event-lists/{list_id}"): other.config("DELETE", f"/event-lists/{lst}"),
        ("PUT", "/campaigns/{campaign_id}/event-lists/{list_id}"): other.config(
            "PUT", f"/campaigns/c1/event-lists/{lst}"
        ),
        ("DELETE", "/campaigns/{campaign_id}/event-lists/{list_id}"): other.config(
            "DELETE", f"/campaigns/c1/event-lists/{lst}"
        ),
        ("GET", "/campaigns/{campaign_id}/events/{name}"): other.config("GET", "/campaigns/c1/events/sale"),
        ("PUT", "/campaigns/{campaign_id}/events/{name}"): other.config(
            "PUT", "/campaigns/c1/events/sale", body={"custom_fields": []}
        ),
        ("GET", "/affiliates/{affiliate_id}"): other.config("GET", "/affiliates/net_a"),
        ("DELETE", "/affiliates/{affiliate_id}"): other.config("DELETE", "/affiliates/net_a"),
        ("POST", "/affiliates/{affiliate_id}/test"): other.config("POST", "/affiliates/net_a/test"),
        ("DELETE", "/settings/api-keys/{key_id}"): other.config("DELETE", f"/settings/api-keys/{key['key_id']}"),
        ("GET", "/leads/{lead_id}"): other.triggers("GET", "/leads/L1"),
        ("GET", "/leads"): other.triggers("GET", "/leads", query={"transaction_id": "T1"}),
        ("POST", "/leads/{lead_id}/events"): other.triggers("POST", "/leads/L1/events", body={"event": "sale"}),
        ("POST", "/triggers"): other.triggers("POST", "/triggers", body={"event": "sale", "transaction_id": "T1"}),
        ("GET", "/logs/{log_id}"): other.logs("GET", f"/logs/{log}"),
        ("POST", "/logs/{log_id}/redeliver"): other.logs("POST", f"/logs/{log}/redeliver"),
        ("GET", "/postback/{token}"): other.triggers(
            "GET", f"/postback/{other.token}", org_id=None, query={"event": "sale", "tid": "T1"}
        ),
        ("POST", "/postback/{token}"): other.triggers(
            "POST", f"/postback/{other.token}", org_id=None, body={"event": "sale", "tid": "T1"}
        ),
    }
    for route, (status, body) in calls.items():
        assert 400 <= status < 500, (route, status, body)

    # Listings answer, but empty: nothing of the first organization shows.
    assert other.config("GET", "/events")[1]["items"] == []
    assert other.config("GET", "/event-lists")[1]["items"] == []
    assert other.config("GET", "/affiliates")[1]["items"] == []
    assert other.config("GET", "/campaigns/c1/events")[1]["items"] == []
    assert other.config("GET", "/campaigns")[1]["items"] == []
    assert [k["name"] for k in other.config("GET", "/settings/api-keys")[1]["items"]] == ["default"]
    assert other.logs("GET", "/logs")[1]["items"] == []
    assert other.logs("GET", "/logs", query={"lead_id": "L1"})[1]["items"] == []
    assert other.logs("GET", "/events/sale/logs")[1]["items"] == []
    assert other.logs("GET", "/reports/conversions")[1]["totals"]["events"] == 0
    assert other.config("GET", "/settings/postback")[1]["postback_url"] != org.created.postback_url

    # Nothing of the first organization changed, and no request was fired for the intruder.
    after = boto3.client("dynamodb").scan(TableName="lead-events-dev-config")["Items"]
    mine = lambda items: [i for i in items if i["pk"]["S"] == f"ORG#{org.org_id}"]  # noqa: E731
    assert mine(after) == mine(before)
    assert len(receiver.requests) == requests_before

    # Every authorized route of the template was walked above or as a listing.
    walked = set(calls) | {
        ("GET", "/events"),
        ("GET", "/event-lists"),
        ("GET", "/affiliates"),
        ("GET", "/campaigns/{campaign_id}/events"),
        ("GET", "/campaigns"),
        ("GET", "/settings/api-keys"),
        ("GET", "/logs"),
        ("GET", "/events/{name}/logs"),
        ("GET", "/reports/conversions"),
        ("GET", "/settings/postback"),
    }
    creating = {
        ("POST", "/events"),
        ("POST", "/event-lists"),
        ("PUT", "/affiliates/{affiliate_id}"),
        ("POST", "/leads"),
        ("POST", "/settings/api-keys"),
        ("POST", "/settings/postback/rotate"),
        ("GET", "/macros"),
    }  # these only ever act within the caller's own organization
    routes = {
        (r.method, r.path)
        for r in template_stack().routes
        if r.path not in ("/docs", "/openapi.json", "/console", "/console/{proxy+}", "/favicon.ico")
    }
    assert routes - walked - creating == set()


def test_every_stored_key_starts_with_the_organization_and_secrets_stay_out_of_answers(
    org: Org, receiver: Receiver
) -> None:
    org.config("POST", "/events", body={"name": "sale", "affiliate_conversion": True})
    _, postback = org.config(
        "POST",
        "/events/sale/postbacks",
        body={
            "url": receiver.url + "/s",
            "method": "POST",
            "body": {"t": "{transaction_id}"},
            "signing_secret": "generate",
        },
    )
    org.config("PUT", "/affiliates/net_a", body={"name": "A", "postback_url": receiver.url + "/aff"})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1", "affiliate_id": "net_a"})
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())

    client = boto3.client("dynamodb")
    for table in ("lead-events-dev-config", "lead-events-dev-leads", "lead-events-dev-logs"):
        for item in client.scan(TableName=table)["Items"]:
            assert item["pk"]["S"].startswith(f"ORG#{org.org_id}"), (table, item["pk"])

    secret = postback["signing_secret"]
    answers = [
        org.config("GET", "/events/sale/postbacks")[1],
        org.config("GET", f"/events/sale/postbacks/{postback['id']}")[1],
        org.logs("GET", f"/logs/{accepted['log_id']}")[1],
        org.logs("GET", "/logs")[1],
    ]
    assert all(secret not in json.dumps(answer) for answer in answers)
    logged = [item for item in client.scan(TableName="lead-events-dev-logs")["Items"]]
    assert secret not in json.dumps(logged, default=str)
