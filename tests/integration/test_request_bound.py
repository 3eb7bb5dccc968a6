"""One request never takes longer than POSTBACK_REQUEST_TIMEOUT, however slowly its receiver answers.

The receivers here would take 30 s (a byte every 0.5 s, or nothing at all); the bound is 1.5 s.
The ceilings asserted are generous: the point is the bound, not speed.
"""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from lead_events.http.client import Outcome, send
from tests.conftest import Deploy
from tests.integration.conftest import Org, dispatch, drain_queue
from tests.receiver import Receiver, SilentServer

BOUND = "1.5"
TOO_SLOW = "no answer within 1.5 s"
TOO_SLOW_DETAIL = "POSTBACK_REQUEST_TIMEOUT (1.5 s) passed"
CEILING_MS = 5000


@pytest.fixture(autouse=True)
def short_bound(deploy: Deploy) -> None:
    deploy(POSTBACK_REQUEST_TIMEOUT=BOUND)


def _get(url: str) -> Outcome:
    return send("GET", url, {}, None, None, delivery_id="log_1_d1")


def _assert_cut_at_the_bound(outcome: Outcome) -> None:
    assert outcome.ok is False and outcome.status_code is None
    assert outcome.error == TOO_SLOW
    assert outcome.error_detail is not None and outcome.error_detail.startswith(TOO_SLOW_DETAIL)
    assert 1500 <= outcome.elapsed_ms < CEILING_MS


def _trickle_is_cut(receiver: Receiver, part: str, pooled: bool) -> None:
    """A request to a trickling `part` is cut at the bound, on a new connection or a pooled one."""
    if pooled:
        assert _get(receiver.url + "/before").ok
    receiver.trickle("/slow", part)
    _assert_cut_at_the_bound(_get(receiver.url + "/slow"))
    assert receiver.hangups.wait("/slow", timeout=5) < CEILING_MS / 1000
    if pooled:
        [before], [slow] = receiver.received("/before"), receiver.received("/slow")
        assert slow.client_port == before.client_port


@pytest.mark.parametrize("pooled", [False, True], ids=["new connection", "pooled connection"])
@pytest.mark.parametrize("part", ["body", "head", "headers"])
def test_a_receiver_trickling_its_answer_is_cut_off_at_the_bound(receiver: Receiver, part: str, pooled: bool) -> None:
    _trickle_is_cut(receiver, part, pooled)


def test_a_receiver_that_never_answers_is_cut_off_at_the_bound(silent_server: SilentServer) -> None:
    _assert_cut_at_the_bound(_get(silent_server.url + "/pb"))
    assert silent_server.hangups.wait(timeout=5) < CEILING_MS / 1000


@pytest.mark.parametrize("pooled", [False, True], ids=["new connection", "pooled connection"])
def test_over_tls_a_trickling_answer_is_cut_off_at_the_bound(https_receiver: Receiver, pooled: bool) -> None:
    _trickle_is_cut(https_receiver, "body", pooled)


def test_a_tls_handshake_that_never_completes_is_cut_off_at_the_bound(silent_server: SilentServer) -> None:
    _assert_cut_at_the_bound(_get(silent_server.url.replace("http://", "https://") + "/pb"))
    assert silent_server.hangups.wait(timeout=5) < CEILING_MS / 1000


def test_a_hostname_whose_lookup_hangs_is_cut_off_at_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    lookups_end = threading.Event()
    resolve = socket.getaddrinfo

    def hanging_lookup(host: str, *args: Any, **kwargs: Any) -> list:
        if host == "hangs.example" and not kwargs.get("flags", 0) & socket.AI_NUMERICHOST:  # a real lookup
            lookups_end.wait(30)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging_lookup)
    try:
        _assert_cut_at_the_bound(_get("http://hangs.example/pb"))
    finally:
        lookups_end.set()


def test_a_slow_receiver_does_not_delay_a_request_made_beside_it(receiver: Receiver) -> None:
    receiver.trickle("/slow")
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(_get, receiver.url + "/slow")
        fast = pool.submit(_get, receiver.url + "/fast").result(timeout=CEILING_MS / 1000)
        assert fast.ok and not slow.done()
        _assert_cut_at_the_bound(slow.result())


def test_a_cut_connection_is_dropped_and_the_next_requests_share_a_pooled_one(receiver: Receiver) -> None:
    receiver.trickle("/slow")
    _assert_cut_at_the_bound(_get(receiver.url + "/slow"))
    assert _get(receiver.url + "/one").ok and _get(receiver.url + "/two").ok
    [slow], [one], [two] = (receiver.received(path) for path in ("/slow", "/one", "/two"))
    assert one.client_port == two.client_port != slow.client_port


def test_over_tls_requests_that_end_in_time_share_a_pooled_connection(https_receiver: Receiver) -> None:
    assert _get(https_receiver.url + "/one").ok and _get(https_receiver.url + "/two").ok
    [one], [two] = (https_receiver.received(path) for path in ("/one", "/two"))
    assert one.client_port == two.client_port


def test_a_request_within_the_bound_is_not_cut(receiver: Receiver) -> None:
    receiver.trickle("/slowish", seconds=0.5, every=0.1)
    outcome = _get(receiver.url + "/slowish")
    assert outcome.ok and outcome.response_body == "....."


def test_send_test_reports_that_the_receiver_did_not_answer_in_time(org: Org, receiver: Receiver) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    _, postback = org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/slow"})
    receiver.trickle("/slow")
    status, result = org.config("POST", f"/events/sale/postbacks/{postback['id']}/test")
    assert status == 200
    assert result["outcome"]["ok"] is False and result["outcome"]["error"] == TOO_SLOW
    assert result["outcome"]["error_detail"].startswith(TOO_SLOW_DETAIL + " while the answer was read")
    assert result["outcome"]["elapsed_ms"] < CEILING_MS


def test_a_delivery_cut_off_at_the_bound_is_logged_as_a_time_out_and_retried(org: Org, receiver: Receiver) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/slow"})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    receiver.trickle("/slow")
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    assert dispatch(drain_queue()) == {"batchItemFailures": []}
    [delivery] = org.logs("GET", f"/logs/{accepted['log_id']}")[1]["deliveries"]
    assert delivery["status"] == "retrying"
    [attempt] = delivery["attempts"]
    assert attempt["error"] == TOO_SLOW and 1500 <= attempt["elapsed_ms"] < CEILING_MS
    assert attempt["error_detail"].startswith(TOO_SLOW_DETAIL)
