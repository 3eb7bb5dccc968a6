"""A failed delivery says what went wrong in a short sentence, with the technical text apart.

Each class of failure is made for real where it can be: a closed port, a name that cannot resolve,
a server that never answers, TLS certificates for another name or from an unknown authority, a
redirect, an answer cut short. The error is asserted whole (it is what a person reads); the detail
must hold what the libraries said.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lead_events.http import client
from lead_events.http.client import Outcome, send
from lead_events.store import keys
from lead_events.store.dynamo import to_item
from lead_events.wiring import log_store
from tests.clock import set_clock
from tests.conftest import Deploy
from tests.integration.conftest import Org, dispatch, drain_queue
from tests.receiver import Receiver, SilentServer


def _get(url: str, success_match: str | None = None) -> Outcome:
    return send("GET", url, {}, None, success_match, delivery_id="log_1_d1")


def _closed_port() -> int:
    """A loopback port nothing listens on: bound for a moment, then let go."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RawServer:
    """Answers each connection with fixed bytes (possibly nothing), then closes it."""

    def __init__(self, answer: bytes) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._answer = answer
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # closed
                return
            with conn:
                conn.recv(65536)
                conn.sendall(self._answer)

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def raw_server() -> Iterator[list[RawServer]]:
    servers: list[RawServer] = []
    yield servers
    for server in servers:
        server.close()


def _failed(outcome: Outcome, error: str, *in_detail: str) -> None:
    assert outcome.ok is False
    assert outcome.error == error
    assert outcome.error_detail is not None
    for text in in_detail:
        assert text in outcome.error_detail


def test_a_closed_port_is_a_refused_connection() -> None:
    port = _closed_port()
    outcome = _get(f"http://127.0.0.1:{port}/pb")
    _failed(outcome, f"connection refused by 127.0.0.1:{port}", "Connection refused", "NewConnectionError")
    assert outcome.status_code is None


def test_a_name_that_does_not_resolve_is_named() -> None:
    _failed(
        _get("http://nothing-here.invalid/pb"), "could not resolve host nothing-here.invalid", "nothing-here.invalid"
    )


def test_a_server_that_never_answers_is_no_answer_within_the_configured_timeout(
    silent_server: SilentServer, deploy: Deploy
) -> None:
    deploy(POSTBACK_REQUEST_TIMEOUT="1")
    _failed(_get(silent_server.url + "/pb"), "no answer within 1 s", "POSTBACK_REQUEST_TIMEOUT (1 s) passed")


def test_a_receiver_silent_for_the_read_timeout_is_no_answer_within_it(
    silent_server: SilentServer, deploy: Deploy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The read timeout is the longest silence allowed; the request's bound is well beyond it here.
    deploy(POSTBACK_REQUEST_TIMEOUT="10")
    monkeypatch.setattr(client, "READ_TIMEOUT", 0.5)
    _failed(_get(silent_server.url + "/pb"), "no answer within 0.5 s", "ReadTimeout")


def test_a_server_whose_queue_of_connections_is_full_is_no_connection_within_the_connect_timeout(
    deploy: Deploy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Linux drops a connection's SYN while the listener's accept queue is full: the connect times out.
    deploy(POSTBACK_REQUEST_TIMEOUT="10")
    monkeypatch.setattr(client, "CONNECT_TIMEOUT", 0.5)
    with socket.create_server(("127.0.0.1", 0), backlog=0) as listener, socket.socket() as waiting:
        port = int(listener.getsockname()[1])
        waiting.connect(("127.0.0.1", port))  # fills the queue; nothing accepts it
        _failed(_get(f"http://127.0.0.1:{port}/pb"), f"could not connect to 127.0.0.1:{port} within 0.5 s", "timed out")


def test_a_certificate_for_another_name_is_not_valid_for_the_host(https_receiver: Receiver) -> None:
    port = https_receiver.url.rsplit(":", 1)[1]  # its certificate is for 127.0.0.1, not for localhost
    outcome = _get(f"https://localhost:{port}/pb")
    _failed(outcome, "TLS certificate not valid for host localhost", "Hostname mismatch")
    assert https_receiver.received() == []


def test_a_certificate_from_an_unknown_authority_is_not_trusted(own_ca: tuple[Path, ssl.SSLContext]) -> None:
    server = Receiver(tls=own_ca[1])  # the client is not told about the tests' CA
    try:
        _failed(
            _get(server.url + "/pb"),
            "TLS certificate of 127.0.0.1 is not from a trusted authority",
            "unable to get local issuer certificate",
        )
    finally:
        server.close()


def test_https_to_a_plain_http_server_is_a_failed_handshake(receiver: Receiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    _failed(_get(f"https://127.0.0.1:{port}/pb"), f"TLS handshake with 127.0.0.1:{port} failed", "SSL")


def test_a_redirect_is_named_and_not_followed(receiver: Receiver) -> None:
    receiver.answer("/pb", (302, "moved", {"Location": "https://elsewhere.example/pb"}))
    outcome = _get(receiver.url + "/pb")
    _failed(outcome, "redirect to https://elsewhere.example/pb not followed", "HTTP 302 Found", "Location:")
    assert outcome.status_code == 302 and len(receiver.received()) == 1


def test_an_error_status_is_what_the_receiver_answered(receiver: Receiver) -> None:
    receiver.answer("/pb", 500)
    _failed(_get(receiver.url + "/pb"), "the receiver answered 500", "HTTP 500 Internal Server Error")


def test_an_answer_without_the_success_match_text_says_which_text(receiver: Receiver) -> None:
    receiver.answer("/pb", (200, '{"status": "error"}'))
    outcome = _get(receiver.url + "/pb", success_match='"ok"')
    _failed(outcome, """the answer does not contain the expected text '"ok"'""", "HTTP 200", "first 19 bytes")
    assert outcome.status_code == 200


def test_an_answer_cut_short_broke_off(raw_server: list[RawServer]) -> None:
    server = RawServer(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
    raw_server.append(server)
    _failed(_get(server.url + "/pb"), "the answer broke off before its end", "IncompleteRead")


def test_a_server_that_hangs_up_without_answering_is_named(raw_server: list[RawServer]) -> None:
    server = RawServer(b"")
    raw_server.append(server)
    _failed(
        _get(server.url + "/pb"),
        f"127.0.0.1:{server.port} closed the connection without answering",
        "RemoteDisconnected",
    )


def test_a_name_resolving_to_a_blocked_address_is_refused_for_good(receiver: Receiver, deploy: Deploy) -> None:
    deploy(POSTBACK_ALLOWED_NETWORKS="")
    port = receiver.url.rsplit(":", 1)[1]
    outcome = _get(f"http://localhost:{port}/pb")
    assert outcome.error is not None and outcome.error.startswith("localhost resolves to a loopback address (")
    assert outcome.error.endswith("); postbacks may only reach public addresses")
    assert outcome.error_detail is not None and outcome.error_detail.startswith("BlockedDestination: ")
    assert outcome.final is True and receiver.received() == []


def test_a_url_that_cannot_be_a_postback_says_why_and_has_no_detail() -> None:
    outcome = _get("ftp://network.example/pb")
    assert (outcome.error, outcome.error_detail, outcome.final) == (
        "the URL must start with http:// or https://",
        None,
        True,
    )


def test_send_test_and_the_logged_attempt_show_the_error_and_its_detail(org: Org) -> None:
    port = _closed_port()
    org.config("POST", "/events", body={"name": "sale"})
    _, postback = org.config("POST", "/events/sale/postbacks", body={"url": f"http://127.0.0.1:{port}/pb"})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})

    status, result = org.config("POST", f"/events/sale/postbacks/{postback['id']}/test")
    assert status == 200 and result["outcome"]["error"] == f"connection refused by 127.0.0.1:{port}"
    assert "Connection refused" in result["outcome"]["error_detail"]

    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())
    [delivery] = org.logs("GET", f"/logs/{accepted['log_id']}")[1]["deliveries"]
    [attempt] = delivery["attempts"]
    assert delivery["status"] == "retrying"
    assert attempt["error"] == delivery["error"] == f"connection refused by 127.0.0.1:{port}"
    assert "Connection refused" in attempt["error_detail"] and delivery["error_detail"] == attempt["error_detail"]


def test_an_entry_and_attempt_stored_before_error_details_still_read(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    set_clock(monkeypatch, datetime(2026, 11, 25, tzinfo=UTC))
    store = log_store()
    created = "2026-11-20T10:00:00.000Z"
    entry = {
        "log_id": "0000old",
        "org_id": org.org_id,
        "event": "sale",
        "lead_id": "L1",
        "transaction_id": "T1",
        "campaign_id": "c1",
        "source": "api",
        "created_at": created,
        "status": "failed",
        "conversion": True,
        "fields": {},
        "last_status_code": 500,
        "deliveries": {
            "pb1": {
                "kind": "event",
                "postback_id": "pb1",
                "method": "GET",
                "url": "https://network.example/pb",
                "headers": {},
                "status": "failed",
                "attempts": 1,
                "last_status_code": 500,
                "error": "HTTP 500",
            }
        },
    }
    item = store.entry_put(org.org_id, entry)["Put"]["Item"]
    # As such an entry was written: no error details, nothing kept for the listing.
    del item["listed_deliveries"], item["outbox"]
    store.db.put_item(TableName=store.table, Item=item)
    attempt = {
        "pk": keys.log_pk(org.org_id, "0000old"),
        "sk": keys.attempt_sk("pb1", 1),
        "type": "attempt",
        "delivery_id": "pb1",
        "number": 1,
        "at": created,
        "status_code": 500,
        "elapsed_ms": 12,
        "response_body": "oops",
        "error": "HTTP 500",
    }
    store.db.put_item(TableName=store.table, Item=to_item(attempt))

    status, shown = org.logs("GET", "/logs/0000old")
    assert status == 200
    [delivery] = shown["deliveries"]
    assert (delivery["error"], delivery["error_detail"]) == ("HTTP 500", None)
    assert [(a["error"], a["error_detail"]) for a in delivery["attempts"]] == [("HTTP 500", None)]
    status, page = org.logs("GET", "/logs", query={"from": "2026-11-20", "to": "2026-11-20"})
    assert status == 200
    [row] = page["items"]
    assert (row["status"], row["response_code"]) == ("failed", 500)
    assert (row["delivery_count"], row["delivered_count"], row["deliveries"]) == (None, None, None)
