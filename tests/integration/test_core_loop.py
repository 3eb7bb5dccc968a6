"""The core loop under moto: leads, triggers from three directions, the queue and the dispatcher."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from standardwebhooks import Webhook

from tests.conftest import Deploy
from tests.integration.conftest import Org, dispatch, drain_queue, queued_messages, relay_outbox, sqs_record
from tests.receiver import Received, Receiver


def _log_items() -> list[dict]:
    """Log entries and attempts (the table also holds report counters)."""
    items = boto3.client("dynamodb").scan(TableName="lead-events-dev-logs")["Items"]
    return [item for item in items if "#LOG#" in item["pk"]["S"]]


def _delayed_messages() -> int:
    relay_outbox()
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="lead-events-dev-postbacks")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"])


def _webhook_ids(request: Received) -> list[str]:
    return [value for name, value in request.header_lines if name.lower() == "webhook-id"]


def _setup(
    org: Org,
    receiver: Receiver,
    *,
    multi: bool = False,
    url: str = "/pb?tid={transaction_id}&rev={revenue}",
    lead: dict | None = None,
) -> None:
    assert org.config("POST", "/events", body={"name": "sale", "conversion": True, "multi_trigger": multi})[0] == 201
    status, body = org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + url})
    assert status == 201, body
    lead = lead or {"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c1", "sub1": "a&b"}
    assert org.triggers("POST", "/leads", body=lead)[0] == 201


# Leads


def test_a_lead_is_registered_with_generated_ids_when_absent(org: Org) -> None:
    status, lead = org.triggers(
        "POST", "/leads", body={"campaign_id": "auto_ins", "payout": "4.50", "data": {"zip": "1"}}
    )
    assert status == 201
    assert lead["lead_id"] and lead["transaction_id"] and lead["payout"] == "4.50"
    status, fetched = org.triggers("GET", f"/leads/{lead['lead_id']}")
    assert status == 200
    assert fetched["transaction_id"] == lead["transaction_id"] and fetched["events"] == []


def test_a_lead_is_found_by_its_transaction_id_with_its_timeline(org: Org) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "transaction_id": "T-1", "campaign_id": "c"})
    org.triggers("POST", "/leads/L1/events", body={"event": "sale"})

    status, found = org.triggers("GET", "/leads", query={"transaction_id": "T-1"})
    assert status == 200
    assert found["lead_id"] == "L1" and [e["event"] for e in found["events"]] == ["sale"]
    status, missing = org.triggers("GET", "/leads", query={"transaction_id": "T-2"})
    assert status == 404 and "T-2" in missing["message"]
    assert org.triggers("GET", "/leads")[0] == 422


@pytest.mark.parametrize(
    "clash", [{"lead_id": "L1", "transaction_id": "T2"}, {"lead_id": "L2", "transaction_id": "T1"}]
)
def test_lead_and_transaction_ids_are_unique_and_a_clash_writes_nothing(org: Org, clash: dict) -> None:
    org.triggers("POST", "/leads", body={"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c"})
    status, body = org.triggers("POST", "/leads", body={**clash, "campaign_id": "c"})
    assert status == 409
    assert "already exists" in body["message"]
    other = clash["lead_id"] if clash["lead_id"] != "L1" else None
    if other:
        assert org.triggers("GET", f"/leads/{other}")[0] == 404


@pytest.mark.parametrize(
    "lead",
    [
        {},
        {"campaign_id": ""},
        {"campaign_id": "c", "payout": -1},
        {"campaign_id": "c", "lead_id": "has space"},
        {"campaign_id": "c", "data": {"big": "x" * 150_000}},
        {"campaign_id": "c", "payout": "abc"},
    ],
)
def test_invalid_leads_are_4xx(org: Org, lead: dict) -> None:
    assert org.triggers("POST", "/leads", body=lead)[0] == 422


# Triggers


def test_an_api_trigger_writes_the_entry_and_queues_one_message_per_postback(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/second"})
    status, accepted = org.triggers(
        "POST", "/triggers", body={"event": "sale", "transaction_id": "T1", "revenue": 12.5}
    )
    assert status == 202
    assert accepted["deliveries"] == 2 and accepted["lead_id"] == "L1"
    messages = [json.loads(m["Body"]) for m in queued_messages()]
    assert sorted(m["log_id"] for m in messages) == [accepted["log_id"]] * 2
    status, entry = org.logs("GET", f"/logs/{accepted['log_id']}")
    assert status == 200
    assert entry["status"] == "queued" and entry["source"] == "api" and entry["revenue"] == "12.5"
    assert {d["status"] for d in entry["deliveries"]} == {"queued"}
    assert any("tid=T1&rev=12.5" in d["url"] for d in entry["deliveries"])


def test_a_non_multi_trigger_event_is_accepted_once_per_lead(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    assert org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})[0] == 202
    status, body = org.triggers("POST", "/triggers", body={"event": "sale", "transaction_id": "T1"})
    assert status == 409
    assert "already fired" in body["message"]
    assert len(queued_messages()) == 1
    assert len([i for i in _log_items() if i["sk"]["S"] == "ENTRY"]) == 1


def test_a_multi_trigger_event_is_accepted_every_time(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver, multi=True)
    for _ in range(3):
        assert org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})[0] == 202
    assert len(queued_messages()) == 3


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"event": "nope", "lead_id": "L1"}, 404, "No event named 'nope'"),
        ({"event": "sale", "lead_id": "L404"}, 404, "No lead with lead_id 'L404'"),
        ({"event": "sale", "transaction_id": "T404"}, 404, "transaction_id 'T404'"),
        ({"event": "sale", "lead_id": "L1", "revenue": -1}, 422, "revenue"),
        ({"event": "sale", "lead_id": "L1", "revenue": "lots"}, 422, "revenue"),
        ({"event": "sale"}, 422, "exactly one of transaction_id or lead_id"),
        ({"event": "sale", "lead_id": "L1", "transaction_id": "T1"}, 422, "exactly one"),
        ({"event": "sale", "lead_id": "L1", "fields": {"a": {"nested": 1}}}, 422, "fields"),
    ],
)
def test_refused_triggers_write_nothing(org: Org, receiver: Receiver, body: dict, status: int, message: str) -> None:
    _setup(org, receiver)
    got_status, got = org.triggers("POST", "/triggers", body=body)
    assert got_status == status
    assert message in got["message"]
    assert _log_items() == []
    assert queued_messages() == []


def test_a_manual_trigger_records_source_note_and_the_key_that_did_it(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    status, entry = org.triggers(
        "POST",
        "/leads/L1/events",
        body={"event": "sale", "note": "closed by phone", "revenue": "99.90", "fields": {"plan": "gold"}},
    )
    assert status == 202
    assert entry["source"] == "manual" and entry["note"] == "closed by phone" and entry["actor"] == "0000abcd"
    assert entry["fields"] == {"plan": "gold"} and entry["revenue"] == "99.90"
    _, lead = org.triggers("GET", "/leads/L1")
    assert [(e["event"], e["source"]) for e in lead["events"]] == [("sale", "manual")]


def test_the_inbound_url_accepts_a_get_with_aliases_and_refuses_a_wrong_token(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    status, body = org.triggers(
        "GET",
        f"/postback/{org.token}",
        org_id=None,
        query={"event_id": "sale", "clickid": "T1", "amount": "7.25", "plan": "gold"},
    )
    assert status == 200, body
    assert body["status"] == "accepted"
    _, entry = org.logs("GET", f"/logs/{body['log_id']}")
    assert entry["source"] == "inbound_postback" and entry["revenue"] == "7.25" and entry["fields"] == {"plan": "gold"}
    wrong = org.token[:-3] + "xyz"
    assert org.triggers("GET", f"/postback/{wrong}", org_id=None, query={"event": "sale", "tid": "T1"})[0] == 404
    assert org.triggers("GET", "/postback/garbage", org_id=None, query={"event": "sale", "tid": "T1"})[0] == 404


def test_the_inbound_url_accepts_form_and_json_posts(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver, multi=True)
    form = org.triggers(
        "POST",
        f"/postback/{org.token}",
        org_id=None,
        raw_body="event=sale&tid=T1",
        content_type="application/x-www-form-urlencoded",
    )
    assert form[0] == 200
    as_json = org.triggers("POST", f"/postback/{org.token}", org_id=None, body={"event": "sale", "tid": "T1"})
    assert as_json[0] == 200


def test_a_rotated_token_stops_working_and_the_new_url_works(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver, multi=True)
    status, current = org.config("GET", "/settings/postback")
    # The URL is built on the host the API was called at (PUBLIC_API_URL overrides it).
    assert status == 200
    assert current["postback_url"] == f"https://abcdef1234.execute-api.us-east-1.amazonaws.com/postback/{org.token}"
    _, rotated = org.config("POST", "/settings/postback/rotate")
    new_token = rotated["postback_url"].rsplit("/", 1)[1]
    assert new_token != org.token
    assert org.triggers("GET", f"/postback/{org.token}", org_id=None, query={"event": "sale", "tid": "T1"})[0] == 404
    assert org.triggers("GET", f"/postback/{new_token}", org_id=None, query={"event": "sale", "tid": "T1"})[0] == 200


# Dispatcher


def test_the_dispatcher_delivers_and_logs_the_attempt(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1", "revenue": "3"})
    assert dispatch(drain_queue()) == {"batchItemFailures": []}
    [request] = receiver.received("/pb")
    assert request.path == "/pb?tid=T1&rev=3"
    _, entry = org.logs("GET", f"/logs/{accepted['log_id']}")
    assert entry["status"] == "delivered"
    [delivery] = entry["deliveries"]
    assert delivery["status"] == "delivered" and delivery["last_status_code"] == 200
    assert [(a["number"], a["status_code"], a["response_body"]) for a in delivery["attempts"]] == [(1, 200, "OK")]


def test_a_duplicate_message_fires_the_delivery_once(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    [record] = drain_queue()
    duplicate = {**record, "messageId": "duplicate"}
    dispatch([record])
    dispatch([duplicate])
    dispatch([record, duplicate])
    assert len(receiver.received("/pb")) == 1


def test_a_failing_record_does_not_make_the_others_run_again(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    [good] = drain_queue()
    poison = sqs_record("{not json", "poison")
    incomplete = sqs_record(json.dumps({"org_id": org.org_id, "log_id": "nope"}), "incomplete")
    unknown = sqs_record(json.dumps({"org_id": org.org_id, "log_id": "nope", "delivery_id": "x"}), "unknown")
    result = dispatch([good, poison, incomplete, unknown])
    # An entry that does not exist has nothing to deliver: that message is done, not failed.
    assert {f["itemIdentifier"] for f in result["batchItemFailures"]} == {"poison", "incomplete"}
    assert len(receiver.received("/pb")) == 1
    # SQS hands the failed ones back with the good one gone; the good delivery does not fire again.
    dispatch([good, poison])
    assert len(receiver.received("/pb")) == 1


def test_5xx_is_retried_on_the_schedule_until_it_succeeds(org: Org, receiver: Receiver, deploy: Deploy) -> None:
    deploy(POSTBACK_RETRY_SCHEDULE="0,0,0")
    _setup(org, receiver)
    receiver.answer("/pb", 500, (503, "busy"), 200)
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    for _ in range(3):
        dispatch(drain_queue())
    assert drain_queue() == []
    _, entry = org.logs("GET", f"/logs/{accepted['log_id']}")
    [delivery] = entry["deliveries"]
    assert entry["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    assert delivery["attempts"][1]["response_body"] == "busy"
    # Every attempt carries the delivery's id, so the receiver can tell a repeat from a new delivery.
    assert [r.headers["webhook-id"] for r in receiver.received("/pb")] == [delivery["id"]] * 3
    assert delivery["id"] == f"{accepted['log_id']}_{delivery['postback_id']}"


def test_a_4xx_fails_at_once_and_can_be_redelivered(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    receiver.answer("/pb", 404)
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())
    assert drain_queue() == []  # nothing to retry
    _, entry = org.logs("GET", f"/logs/{accepted['log_id']}")
    assert entry["status"] == "failed"
    assert [a["status_code"] for a in entry["deliveries"][0]["attempts"]] == [404]

    status, body = org.logs("POST", f"/logs/{accepted['log_id']}/redeliver")
    assert status == 202 and body["requeued"] == [entry["deliveries"][0]["id"]]
    assert org.logs("GET", f"/logs/{accepted['log_id']}")[1]["status"] == "queued"
    dispatch(drain_queue())
    _, entry = org.logs("GET", f"/logs/{accepted['log_id']}")
    assert entry["status"] == "delivered"
    assert [a["number"] for a in entry["deliveries"][0]["attempts"]] == [1, 2]
    assert org.logs("POST", f"/logs/{accepted['log_id']}/redeliver")[0] == 409
    assert [r.headers["webhook-id"] for r in receiver.received("/pb")] == [entry["deliveries"][0]["id"]] * 2


def test_concurrent_redeliveries_requeue_each_failed_delivery_once(org: Org, receiver: Receiver) -> None:
    from concurrent.futures import ThreadPoolExecutor

    _setup(org, receiver)
    org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/second"})
    receiver.answer("/pb", 404)
    receiver.answer("/second", 410)
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())
    path = f"/logs/{accepted['log_id']}/redeliver"
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: org.logs("POST", path), range(16)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [202] + [409] * 15, answers
    assert len(drain_queue()) == 2  # each failed delivery queued again once


def test_the_delivery_id_is_a_macro(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver, url="/pb?id={delivery_id}")
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())
    [request] = receiver.received("/pb")
    [delivery] = org.logs("GET", f"/logs/{accepted['log_id']}")[1]["deliveries"]
    assert request.path == f"/pb?id={delivery['id']}"
    assert request.headers["webhook-id"] == delivery["id"]


def test_a_spent_schedule_fails_the_delivery(org: Org, receiver: Receiver, deploy: Deploy) -> None:
    deploy(POSTBACK_RETRY_SCHEDULE="0")
    _setup(org, receiver)
    receiver.answer("/pb", 500, 500, 200)
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())
    dispatch(drain_queue())
    assert drain_queue() == []
    _, entry = org.logs("GET", f"/logs/{accepted['log_id']}")
    assert entry["status"] == "failed"
    assert [a["status_code"] for a in entry["deliveries"][0]["attempts"]] == [500, 500]


def test_a_long_backoff_hops_through_sqs_fifteen_minutes_at_a_time(
    org: Org, receiver: Receiver, deploy: Deploy
) -> None:
    deploy(POSTBACK_RETRY_SCHEDULE="3600")
    _setup(org, receiver)
    receiver.answer("/pb", 500)
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    [first] = drain_queue()
    dispatch([first])
    assert _delayed_messages() == 1  # the retry waits in SQS (at most 15 minutes at a time)
    _, entry = org.logs("GET", f"/logs/{accepted['log_id']}")
    assert entry["status"] == "retrying" and entry["deliveries"][0]["next_attempt_at"]
    # When SQS hands it over before the hour is up, it is deferred again, not fired.
    message = json.loads(first["body"]) | {"attempt": 2, "not_before": time.time() + 2700}
    assert dispatch([sqs_record(json.dumps(message), "early")]) == {"batchItemFailures": []}
    assert len(receiver.received("/pb")) == 1
    assert _delayed_messages() == 2


def test_signed_posts_carry_standard_webhooks_headers(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    status, postback = org.config(
        "POST",
        "/events/sale/postbacks",
        body={
            "url": receiver.url + "/signed",
            "method": "POST",
            "body": {"tid": "{transaction_id}"},
            "signing_secret": "generate",
        },
    )
    assert status == 201 and postback["signed"] is True
    secret = postback["signing_secret"]
    assert org.config("GET", f"/events/sale/postbacks/{postback['id']}")[1].get("signing_secret") is None
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())
    [request] = receiver.received("/signed")
    assert Webhook(secret).verify(request.body.decode(), request.headers) == {"tid": "T1"}
    [delivery] = [d for d in org.logs("GET", f"/logs/{accepted['log_id']}")[1]["deliveries"] if d["method"] == "POST"]
    assert _webhook_ids(request) == [delivery["id"]]


def test_every_request_carries_its_delivery_id_as_webhook_id_the_same_on_a_retry(
    org: Org, receiver: Receiver, deploy: Deploy
) -> None:
    deploy(POSTBACK_RETRY_SCHEDULE="0")
    _setup(org, receiver)
    post = {"url": receiver.url + "/post", "method": "POST", "body": {"tid": "{transaction_id}"}}
    assert org.config("POST", "/events/sale/postbacks", body=post)[0] == 201
    receiver.answer("/pb", 500, 200)
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())
    dispatch(drain_queue())
    log_id = accepted["log_id"]
    ids = {d["method"]: d["id"] for d in org.logs("GET", f"/logs/{log_id}")[1]["deliveries"]}
    first, retry = receiver.received("/pb")
    [posted] = receiver.received("/post")
    assert _webhook_ids(first) == _webhook_ids(retry) == [ids["GET"]]
    assert _webhook_ids(posted) == [ids["POST"]]
    assert ids["GET"] != ids["POST"]


# Postbacks and Send Test


@pytest.mark.parametrize(
    ("postback", "message"),
    [
        ({"url": "ftp://example.com/x"}, "http"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "link-local"),
        ({"url": "http://[::ffff:a9fe:a9fe]/"}, "link-local"),
        ({"url": "http://10.1.2.3/pb"}, "private"),
        ({"url": "https://net.example/pb?x={nope}"}, "Unknown macro"),
        ({"url": "https://net.example/pb", "body": {"a": 1}}, "only with method POST"),
        ({"url": "https://net.example/pb", "method": "PUT"}, "method"),
        ({"url": "https://net.example/pb", "headers": {"Host": "x"}}, "set by lead-events"),
        ({"url": "https://user:pw@net.example/pb"}, "user name"),
        ({"url": "https://net.example/pb", "method": "POST", "signing_secret": "short"}, "signing_secret"),
    ],
)
def test_bad_postbacks_are_refused_when_saved(org: Org, postback: dict, message: str) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    status, body = org.config("POST", "/events/sale/postbacks", body=postback)
    assert status in (400, 422), body
    assert message in body["message"]
    assert org.config("GET", "/events/sale/postbacks")[1]["items"] == []


def test_postbacks_are_listed_changed_and_removed(org: Org) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    _, created = org.config("POST", "/events/sale/postbacks", body={"url": "https://net.example/pb?t={transaction_id}"})
    assert org.config("POST", "/events/nope/postbacks", body={"url": "https://net.example/"})[0] == 404
    status, changed = org.config("PATCH", f"/events/sale/postbacks/{created['id']}", body={"enabled": False})
    assert status == 200 and changed["enabled"] is False and changed["url"] == created["url"]
    bad = org.config("PATCH", f"/events/sale/postbacks/{created['id']}", body={"url": "http://127.0.0.1.nip.io:0/{x}"})
    assert bad[0] == 400
    assert [p["id"] for p in org.config("GET", "/events/sale/postbacks")[1]["items"]] == [created["id"]]
    assert org.config("DELETE", f"/events/sale/postbacks/{created['id']}")[0] == 204
    assert org.config("GET", f"/events/sale/postbacks/{created['id']}")[0] == 404


def test_deleting_an_event_removes_its_postbacks_but_keeps_its_logs(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    assert org.config("DELETE", "/events/sale")[0] == 204
    org.config("POST", "/events", body={"name": "sale"})
    assert org.config("GET", "/events/sale/postbacks")[1]["items"] == []
    assert org.logs("GET", f"/logs/{accepted['log_id']}")[0] == 200


def test_send_test_fires_with_sample_values_and_reports_the_outcome(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    [postback] = org.config("GET", "/events/sale/postbacks")[1]["items"]
    receiver.answer("/pb", (201, "created!"))
    status, result = org.config("POST", f"/events/sale/postbacks/{postback['id']}/test")
    assert status == 200
    assert result["request"]["url"] == receiver.url + "/pb?tid=TEST-TXN-0001&rev=12.50"
    assert result["outcome"]["ok"] is True and result["outcome"]["status_code"] == 201
    assert result["outcome"]["response_body"] == "created!"
    [request] = receiver.received("/pb")
    assert result["request"]["headers"]["webhook-id"].startswith("test_")
    assert _webhook_ids(request) == [result["request"]["headers"]["webhook-id"]]
    again = org.config("POST", f"/events/sale/postbacks/{postback['id']}/test")[1]
    assert again["request"]["headers"]["webhook-id"] != result["request"]["headers"]["webhook-id"]


def test_send_test_of_a_signed_post_is_signed_over_the_webhook_id_it_shows(org: Org, receiver: Receiver) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    body = {"url": receiver.url + "/signed", "method": "POST", "body": {"tid": "{transaction_id}"}}
    _, postback = org.config("POST", "/events/sale/postbacks", body=body | {"signing_secret": "generate"})
    status, result = org.config("POST", f"/events/sale/postbacks/{postback['id']}/test")
    assert status == 200 and result["outcome"]["ok"] is True
    [request] = receiver.received("/signed")
    shown = result["request"]["headers"]["webhook-id"]
    assert shown.startswith("test_") and _webhook_ids(request) == [shown]
    assert Webhook(postback["signing_secret"]).verify(request.body.decode(), request.headers) == {
        "tid": "TEST-TXN-0001"
    }


def test_send_test_reports_a_connection_error(org: Org) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    _, postback = org.config("POST", "/events/sale/postbacks", body={"url": "http://127.0.0.1:9/nothing"})
    status, result = org.config("POST", f"/events/sale/postbacks/{postback['id']}/test")
    assert status == 200
    assert result["outcome"]["ok"] is False and result["outcome"]["status_code"] is None
    assert result["outcome"]["error"] == "connection refused by 127.0.0.1:9"
    assert "Connection refused" in result["outcome"]["error_detail"]


def test_macros_are_listed_with_descriptions(org: Org) -> None:
    status, body = org.config("GET", "/macros")
    assert status == 200
    names = {m["name"]: m["description"] for m in body["items"]}
    assert "transaction_id" in names and all(names.values())


def test_logs_of_another_organization_are_not_found(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    assert org.logs("GET", f"/logs/{accepted['log_id']}", org_id="org-other")[0] == 404
    assert org.logs("POST", f"/logs/{accepted['log_id']}/redeliver", org_id="org-other")[0] == 404
    assert org.triggers("GET", "/leads/L1", org_id="org-other")[0] == 404
    assert org.triggers("POST", "/triggers", org_id="org-other", body={"event": "sale", "lead_id": "L1"})[0] == 404


def test_a_json_body_template_keeps_its_numbers_and_nesting(org: Org, receiver: Receiver) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    template = {"click": "{transaction_id}", "n": 5, "ratio": 0.5, "ok": True, "list": [1, "{sub1}"], "none": None}
    status, postback = org.config(
        "POST", "/events/sale/postbacks", body={"url": receiver.url + "/json", "method": "POST", "body": template}
    )
    assert status == 201 and postback["body"] == template
    assert org.config("GET", f"/events/sale/postbacks/{postback['id']}")[1]["body"] == template
    org.triggers("POST", "/leads", body={"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c", "sub1": "x"})
    assert org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})[0] == 202
    dispatch(drain_queue())
    [request] = receiver.received("/json")
    assert json.loads(request.body) == {**template, "click": "T1", "list": [1, "x"]}


def test_campaign_scoped_and_disabled_postbacks_fire_only_when_they_should(org: Org, receiver: Receiver) -> None:
    org.config("POST", "/events", body={"name": "sale", "multi_trigger": True})
    org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/all"})
    org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/c1", "campaign_id": "c1"})
    org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/off", "enabled": False})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    org.triggers("POST", "/leads", body={"lead_id": "L2", "campaign_id": "c2"})
    assert org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})[1]["deliveries"] == 2
    assert org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L2"})[1]["deliveries"] == 1
    dispatch(drain_queue())
    assert len(receiver.received("/all")) == 2
    assert len(receiver.received("/c1")) == 1
    assert receiver.received("/off") == []


def test_an_event_without_postbacks_is_logged_as_no_postbacks(org: Org) -> None:
    org.config("POST", "/events", body={"name": "qualified"})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    _, accepted = org.triggers("POST", "/triggers", body={"event": "qualified", "lead_id": "L1"})
    assert accepted["deliveries"] == 0
    assert org.logs("GET", f"/logs/{accepted['log_id']}")[1]["status"] == "no_postbacks"
    assert queued_messages() == []


@pytest.mark.parametrize(
    ("answer", "status", "error"),
    [
        (
            (302, "moved", {"Location": "http://169.254.169.254/"}),
            "failed",
            "redirect to http://169.254.169.254/ not followed",
        ),
        ((200, '{"status": "error"}'), "failed", """the answer does not contain the expected text '"ok"'"""),
        ((200, '{"status": "ok"}'), "delivered", None),
    ],
)
def test_redirects_are_not_followed_and_success_match_is_required(
    org: Org, receiver: Receiver, answer: tuple, status: str, error: str | None
) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/pb", "success_match": '"ok"'})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    receiver.answer("/pb", answer)
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())
    [delivery] = org.logs("GET", f"/logs/{accepted['log_id']}")[1]["deliveries"]
    assert delivery["status"] == status
    assert len(delivery["attempts"]) == 1 and len(receiver.requests) == 1
    assert delivery["attempts"][0]["error"] == error


def test_only_the_first_2_kib_of_an_answer_are_kept(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    receiver.answer("/pb", (200, "x" * 100_000))
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())
    [delivery] = org.logs("GET", f"/logs/{accepted['log_id']}")[1]["deliveries"]
    assert delivery["status"] == "delivered"
    assert delivery["attempts"][0]["response_body"] == "x" * 2048


def test_a_hostname_resolving_to_a_loopback_address_fails_at_dispatch_without_a_connection(
    org: Org, receiver: Receiver, deploy: Deploy
) -> None:
    _setup(org, receiver, url="/pb")
    port = receiver.url.rsplit(":", 1)[1]
    org.config("POST", "/events/sale/postbacks", body={"url": f"http://localhost:{port}/by-name"})
    deploy(POSTBACK_ALLOWED_NETWORKS="")
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())
    assert receiver.requests == []
    deliveries = org.logs("GET", f"/logs/{accepted['log_id']}")[1]["deliveries"]
    assert {d["status"] for d in deliveries} == {"failed"}
    errors = {d["url"].rsplit("/", 1)[1]: d["attempts"][0]["error"] for d in deliveries}
    assert errors["pb"] == "the URL points at a loopback address; postbacks may only reach public addresses"
    assert errors["by-name"].startswith("localhost resolves to a loopback address (")
    assert all(d["attempts"][0]["status_code"] is None for d in deliveries)
    assert drain_queue() == []  # a refused destination is not retried


def test_a_dispatcher_that_died_between_its_two_writes_is_completed_by_the_redelivered_message(
    org: Org, receiver: Receiver
) -> None:
    from lead_events.store import keys
    from lead_events.store.dynamo import to_item

    _setup(org, receiver)
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    [record] = drain_queue()
    delivery_id = json.loads(record["body"])["delivery_id"]
    # The first dispatcher recorded attempt 1 and died before updating the delivery.
    boto3.client("dynamodb").put_item(
        TableName="lead-events-dev-logs",
        Item=to_item(
            {
                "pk": keys.log_pk(org.org_id, accepted["log_id"]),
                "sk": keys.attempt_sk(delivery_id, 1),
                "delivery_id": delivery_id,
                "number": 1,
                "at": "2026-01-01T00:00:00.000Z",
                "status_code": None,
                "elapsed_ms": 0,
                "response_body": None,
                "error": "lost",
            }
        ),
    )
    dispatch([record])  # SQS hands the message over again after its visibility timeout
    _, entry = org.logs("GET", f"/logs/{accepted['log_id']}")
    assert entry["status"] == "delivered"
    assert entry["deliveries"][0]["status"] == "delivered"


def test_curl_style_json_labelled_as_a_form_works_on_every_function(org: Org, receiver: Receiver) -> None:
    form = "application/x-www-form-urlencoded"
    _setup(org, receiver)
    status, lead = org.triggers("POST", "/leads", raw_body='{"campaign_id": "c9"}', content_type=form)
    assert status == 201
    status, _ = org.triggers(
        "POST", "/triggers", raw_body=json.dumps({"event": "sale", "lead_id": lead["lead_id"]}), content_type=form
    )
    assert status == 202


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/leads", {"campaign_id": "c", "data": {"n": float("nan")}}),
        ("/leads", {"campaign_id": "c", "data": {"n": 10**40}}),
        ("/leads", {"campaign_id": "c", "data": {"n": [3.28e-209]}}),  # found by schemathesis
        ("/leads", {"campaign_id": "c", "data": {"n": 1e300}}),
        ("/leads", {"campaign_id": "c", "data": {"": 1}}),
        ("/leads", {"campaign_id": "c", "data": {"a": json.loads("[" * 20 + "1" + "]" * 20)}}),
        ("/triggers", {"event": "sale", "lead_id": "L1", "fields": {"x": float("inf")}}),
    ],
)
def test_values_dynamodb_cannot_store_are_refused_not_500(org: Org, receiver: Receiver, path: str, body: dict) -> None:
    _setup(org, receiver)
    raw = json.dumps(body)  # Python writes NaN and Infinity, as some clients do
    status, answer = org.triggers("POST", path, raw_body=raw)
    assert status == 422, answer
    assert answer["message"]


def test_inbound_fields_dynamodb_cannot_store_are_refused(org: Org, receiver: Receiver) -> None:
    _setup(org, receiver)
    status, answer = org.triggers(
        "POST", f"/postback/{org.token}", org_id=None, raw_body='{"event": "sale", "tid": "T1", "x": 1e400}'
    )
    assert status == 400 and "not finite" in answer["message"]


def test_an_event_accepted_while_the_queue_is_down_is_delivered_once_it_is_back(org: Org, receiver: Receiver) -> None:
    from botocore.exceptions import ClientError

    from lead_events.wiring import delivery_queue

    _setup(org, receiver)
    sqs = delivery_queue().sqs
    real_send = sqs.send_message_batch

    def unavailable(**_: object) -> None:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessageBatch")

    sqs.send_message_batch = unavailable  # type: ignore[method-assign]
    try:
        status, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
        assert status == 202  # the trigger never calls SQS: its answer does not depend on it
        assert queued_messages() == []  # the outbox could not relay it, and keeps it
        assert queued_messages() == []
    finally:
        sqs.send_message_batch = real_send  # type: ignore[method-assign]
    assert org.logs("GET", f"/logs/{accepted['log_id']}")[1]["status"] == "queued"
    dispatch(drain_queue())  # the outbox hands the record over again, and now it goes through
    assert org.logs("GET", f"/logs/{accepted['log_id']}")[1]["status"] == "delivered"
    assert len(receiver.received("/pb")) == 1
