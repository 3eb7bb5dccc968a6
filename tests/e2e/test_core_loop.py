"""The core loop on the local stack, with a real HTTP server receiving the postbacks."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.e2e.conftest import LocalStack
from tests.receiver import Receiver

pytestmark = pytest.mark.e2e


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def _event_with_postback(stack: LocalStack, postback: dict[str, Any], **flags: bool) -> str:
    event = _name("sale")
    assert stack.request("POST", "/events", json={"name": event, "conversion": True, **flags}).status_code == 201
    answer = stack.request("POST", f"/events/{event}/postbacks", json=postback)
    assert answer.status_code == 201, answer.text
    return event


def _lead(stack: LocalStack, **values: Any) -> dict[str, Any]:
    answer = stack.request("POST", "/leads", json={"campaign_id": "auto_ins", **values})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _settled(stack: LocalStack, log_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        entry = stack.request("GET", f"/logs/{log_id}").json()
        if entry["status"] not in ("queued", "retrying") or time.monotonic() > deadline:
            return entry
        time.sleep(0.2)


def test_an_affiliate_networks_get_reaches_the_receiver_with_every_macro_encoded(
    local_stack: LocalStack, receiver: Receiver
) -> None:
    event = _event_with_postback(
        local_stack,
        {
            "url": receiver.url + "/net?click={transaction_id}&event={event_name}&amount={revenue}&s1={sub1}"
            "&lead={lead_id}&ts={timestamp}",
        },
    )
    lead = _lead(local_stack, transaction_id=_name("clk"), sub1="a&b=c d/e?f#g")
    answer = requests.get(
        local_stack.postback_url,
        params={"event": event, "clickid": lead["transaction_id"], "amount": "12.50", "plan": "gold"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "accepted"

    [request] = receiver.wait_for(1, "/net")
    query = parse_qs(urlsplit(request.path).query, keep_blank_values=True)
    assert query["click"] == [lead["transaction_id"]]
    assert query["event"] == [event]
    assert query["amount"] == ["12.50"]
    assert query["s1"] == ["a&b=c d/e?f#g"]
    assert query["lead"] == [lead["lead_id"]]
    assert set(query) == {"click", "event", "amount", "s1", "lead", "ts"}

    entry = _settled(local_stack, answer.json()["log_id"])
    assert entry["status"] == "delivered"
    assert entry["source"] == "inbound_postback" and entry["fields"] == {"plan": "gold"}
    [delivery] = entry["deliveries"]
    assert [(a["number"], a["status_code"]) for a in delivery["attempts"]] == [(1, 200)]
    timeline = local_stack.request("GET", f"/leads/{lead['lead_id']}").json()["events"]
    assert [(e["event"], e["status"]) for e in timeline] == [(event, "delivered")]


def test_500_500_200_is_delivered_with_three_attempts_logged(local_stack: LocalStack, receiver: Receiver) -> None:
    event = _event_with_postback(local_stack, {"url": receiver.url + "/flaky?t={transaction_id}"})
    receiver.answer("/flaky", (500, "down"), (500, "still down"), (200, "ok"))
    lead = _lead(local_stack)
    accepted = local_stack.request("POST", "/triggers", json={"event": event, "lead_id": lead["lead_id"]})
    assert accepted.status_code == 202
    entry = _settled(local_stack, accepted.json()["log_id"])
    assert entry["status"] == "delivered"
    attempts = entry["deliveries"][0]["attempts"]
    assert [(a["status_code"], a["response_body"]) for a in attempts] == [
        (500, "down"),
        (500, "still down"),
        (200, "ok"),
    ]
    assert len(receiver.received("/flaky")) == 3


def test_404_fails_after_one_attempt(local_stack: LocalStack, receiver: Receiver) -> None:
    event = _event_with_postback(local_stack, {"url": receiver.url + "/gone"})
    receiver.answer("/gone", (404, "no such offer"))
    lead = _lead(local_stack)
    accepted = local_stack.request("POST", f"/leads/{lead['lead_id']}/events", json={"event": event, "note": "phone"})
    assert accepted.status_code == 202
    entry = _settled(local_stack, accepted.json()["log_id"])
    assert entry["status"] == "failed"
    [delivery] = entry["deliveries"]
    assert [(a["status_code"], a["response_body"]) for a in delivery["attempts"]] == [(404, "no such offer")]
    time.sleep(1.5)  # no retry comes
    assert len(receiver.received("/gone")) == 1


def test_twelve_simultaneous_identical_triggers_are_accepted_once_and_fire_once(
    local_stack: LocalStack, receiver: Receiver
) -> None:
    event = _event_with_postback(local_stack, {"url": receiver.url + "/once?t={transaction_id}"})
    lead = _lead(local_stack)
    url = local_stack.postback_url + f"?event={event}&tid={lead['transaction_id']}"
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: requests.get(url, timeout=60), range(12)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 11, [a.text for a in answers]
    receiver.wait_for(1, "/once")
    time.sleep(1.5)
    assert len(receiver.received("/once")) == 1


def test_a_json_post_body_with_quotes_backslashes_and_braces_arrives_intact(
    local_stack: LocalStack, receiver: Receiver
) -> None:
    event = _event_with_postback(
        local_stack,
        {
            "url": receiver.url + "/json",
            "method": "POST",
            "body": {"click": "{transaction_id}", "sub": "{sub1}", "nested": {"s2": "<{sub2}>"}, "fixed": 1},
            "headers": {"X-Click": "{transaction_id}"},
        },
    )
    hostile = 'say "hi" \\ {lead_id} }{ \n end'
    lead = _lead(local_stack, sub1=hostile, sub2=hostile)
    answer = requests.post(local_stack.postback_url, data={"event": event, "tid": lead["transaction_id"]}, timeout=30)
    assert answer.status_code == 200, answer.text
    [request] = receiver.wait_for(1, "/json")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Click"] == lead["transaction_id"]
    assert json.loads(request.body) == {
        "click": lead["transaction_id"],
        "sub": hostile,
        "nested": {"s2": f"<{hostile}>"},
        "fixed": 1,
    }


def test_send_test_reports_the_rendered_request_and_the_answer(local_stack: LocalStack, receiver: Receiver) -> None:
    event = _event_with_postback(local_stack, {"url": receiver.url + "/test?t={transaction_id}"})
    [postback] = local_stack.request("GET", f"/events/{event}/postbacks").json()["items"]
    receiver.answer("/test", (200, "received"))
    result = local_stack.request("POST", f"/events/{event}/postbacks/{postback['id']}/test")
    assert result.status_code == 200
    body = result.json()
    assert body["request"]["url"] == receiver.url + "/test?t=TEST-TXN-0001"
    assert body["outcome"]["ok"] is True and body["outcome"]["response_body"] == "received"


def test_postbacks_to_internal_addresses_are_refused(local_stack: LocalStack) -> None:
    event = _name("sale")
    local_stack.request("POST", "/events", json={"name": event})
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://10.0.0.1/",
        "http://[fd00::1]/",
        "gopher://example.com/",
    ):
        answer = local_stack.request("POST", f"/events/{event}/postbacks", json={"url": url})
        assert answer.status_code in (400, 422), url
        assert answer.json()["message"]


def test_the_inbound_url_refuses_wrong_tokens_and_explains_bad_requests(local_stack: LocalStack) -> None:
    base, token = local_stack.postback_url.rsplit("/", 1)
    assert requests.get(f"{base}/{token[:-2]}zz?event=sale&tid=x", timeout=30).status_code == 404
    assert requests.get(f"{base}/nonsense?event=sale&tid=x", timeout=30).status_code == 404
    missing = requests.get(local_stack.postback_url, params={"tid": "x"}, timeout=30)
    assert missing.status_code == 400 and "event" in missing.json()["message"]
    unknown_lead = requests.get(local_stack.postback_url, params={"event": "sale", "tid": "nobody"}, timeout=30)
    assert unknown_lead.status_code == 404
    current = local_stack.request("GET", "/settings/postback").json()
    assert current["postback_url"] == local_stack.postback_url


def test_redirects_are_never_followed(local_stack: LocalStack, receiver: Receiver) -> None:
    event = _event_with_postback(local_stack, {"url": receiver.url + "/moved"})
    receiver.answer("/moved", (302, "see elsewhere", {"Location": receiver.url + "/elsewhere"}))
    lead = _lead(local_stack)
    accepted = local_stack.request("POST", "/triggers", json={"event": event, "lead_id": lead["lead_id"]})
    entry = _settled(local_stack, accepted.json()["log_id"])
    assert entry["status"] == "failed"
    assert "not followed" in entry["deliveries"][0]["attempts"][0]["error"]
    assert receiver.received("/elsewhere") == []


def test_a_hostname_resolving_to_an_internal_address_fails_at_dispatch_without_a_connection(
    tmp_path_factory: pytest.TempPathFactory, receiver: Receiver
) -> None:
    from tests.e2e.conftest import start_local_stack, stop_local_stack

    # A stack that allows no internal network at all (the default local stack allows loopback).
    stack = start_local_stack(
        tmp_path_factory.mktemp("strict"), {"POSTBACK_ALLOWED_NETWORKS": "", "POSTBACK_RETRY_SCHEDULE": "1"}
    )
    try:
        port = receiver.url.rsplit(":", 1)[1]
        event = _name("sale")
        assert stack.request("POST", f"/events/{event}/postbacks", json={"url": "http://x.example/"}).status_code == 404
        stack.request("POST", "/events", json={"name": event})
        refused = stack.request("POST", f"/events/{event}/postbacks", json={"url": f"http://127.0.0.1:{port}/x"})
        assert refused.status_code == 400 and "loopback" in refused.json()["message"]
        # A hostname cannot be judged when saved; it is refused at dispatch, on the resolved address.
        answer = stack.request("POST", f"/events/{event}/postbacks", json={"url": f"http://localhost:{port}/named"})
        assert answer.status_code == 201
        lead = stack.request("POST", "/leads", json={"campaign_id": "c"}).json()
        accepted = stack.request("POST", "/triggers", json={"event": event, "lead_id": lead["lead_id"]}).json()
        entry = _settled(stack, accepted["log_id"])
        [attempt] = entry["deliveries"][0]["attempts"]
        assert entry["status"] == "failed" and attempt["status_code"] is None and "loopback" in attempt["error"]
        test = stack.request("POST", f"/events/{event}/postbacks/{answer.json()['id']}/test").json()
        assert test["outcome"]["ok"] is False and "loopback" in test["outcome"]["error"]
        assert receiver.requests == []
    finally:
        stop_local_stack(stack)
