"""The local inbox (local/inbox.py) in front of the gateway: it keeps what it got, the newest first, bounded."""

from __future__ import annotations

from typing import Any

from werkzeug.test import Client
from werkzeug.wrappers import Response

from local.inbox import Inbox


def _api(environ: dict[str, Any], start_response: Any) -> Any:
    return Response("the API", status=401)(environ, start_response)


def test_it_keeps_the_newest_requests_up_to_its_capacity_and_hands_everything_else_on() -> None:
    client = Client(Inbox(capacity=3).wrap(_api))
    for n in range(5):
        assert client.post(f"/_inbox/n{n}", data=f"body {n}").status_code == 200

    read = client.get("/_inbox").json
    assert [r["path"] for r in read["items"]] == ["/_inbox/n4", "/_inbox/n3", "/_inbox/n2"]
    assert [r["body"] for r in read["items"]] == ["body 4", "body 3", "body 2"]
    assert read["latest"] == 5 and read["capacity"] == 3
    assert client.get("/_inbox", query_string={"after": "4"}).json["items"][0]["path"] == "/_inbox/n4"
    assert client.get("/_inbox", query_string={"after": "5"}).json["items"] == []
    # Not the inbox's: the API answers, and the inbox keeps nothing of it.
    assert client.get("/_inboxes").text == "the API"
    assert client.get("/events").status_code == 401
    assert client.get("/_inbox").json["latest"] == 5


def test_a_read_is_only_get_on_the_inbox_itself() -> None:
    client = Client(Inbox().wrap(_api))
    assert client.post("/_inbox", data="x").json == {"received": 1}
    assert client.get("/_inbox/", query_string={"after": "1"}).json == {"received": 2}  # below /_inbox/: captured
    assert [r["method"] for r in client.get("/_inbox").json["items"]] == ["GET", "POST"]
    refused = client.get("/_inbox", query_string={"after": "-1"})
    assert refused.status_code == 400 and "a number" in refused.json["message"]


def test_a_body_past_the_limit_is_cut_and_says_so() -> None:
    client = Client(Inbox().wrap(_api))
    client.post("/_inbox/big", data=b"x" * (256 * 1024 + 10))
    [kept] = client.get("/_inbox").json["items"]
    assert kept["body_truncated"] is True and len(kept["body"]) == 256 * 1024
