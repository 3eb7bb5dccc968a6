"""Answers the OpenAPI document lists that no other test provokes: each is asked for here once.

tests/observed_answers.py checks that every answer a route documents is one some integration test
got, and the other way round; these are the answers only this file gets.
"""

from __future__ import annotations

import json
import re

import pytest
from werkzeug.test import Client

from local.gateway import Gateway
from local.lambdas import FunctionPool
from tests.conftest import ROOT, template_stack
from tests.integration.conftest import Org

DOCUMENT = json.loads((ROOT / "functions" / "api_docs" / "openapi.json").read_text())
KEYED = sorted(
    (method.upper(), path)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
    if operation["security"] == [{"apiKey": []}]
)


@pytest.fixture
def gateway(aws: None) -> Client:
    stack = template_stack()
    return Client(Gateway(stack, {name: FunctionPool(function) for name, function in stack.functions.items()}))


@pytest.mark.parametrize(("method", "path"), KEYED, ids=[f"{m} {p}" for m, p in KEYED])
def test_every_route_that_needs_a_key_answers_401_without_one_and_with_an_unknown_one(
    gateway: Client, org: Org, method: str, path: str
) -> None:
    url = re.sub(r"\{[^}]+\}", "x1", path)
    for headers in ({}, {"Authorization": "Bearer lek_not_a_key_of_anyone"}):
        answer = gateway.open(url, method=method, headers=headers, json={})
        assert answer.status_code == 401, (method, url, headers, answer.text)
        assert answer.json == {"message": "Unauthorized"}


LISTS = ["/events", "/event-lists", "/affiliates", "/campaigns", "/events/sale/postbacks", "/logs", "/events/sale/logs"]


@pytest.mark.parametrize("path", LISTS)
def test_a_cursor_no_page_gave_is_400_on_every_list(org: Org, path: str) -> None:
    assert org.config("POST", "/events", body={"name": "sale"})[0] == 201
    call = org.logs if path.endswith("/logs") else org.config

    status, body = call("GET", path, query={"cursor": "eyJwayI6ICJmb3JnZWQifQ"})

    assert status == 400, body
    assert "next_cursor of the previous page" in body["message"]


def test_an_inbound_postback_that_names_no_event_is_400_saying_which_parameter(org: Org) -> None:
    status, body = org.triggers("GET", f"/postback/{org.token}", org_id=None, query={"tid": "T1"})
    assert status == 400
    assert "event=<name>" in body["message"]


@pytest.mark.parametrize("how", ["inbound GET", "inbound POST", "manual"])
def test_a_once_per_lead_event_reported_again_is_409_on_every_way_in(org: Org, how: str) -> None:
    org.config("POST", "/events", body={"name": "sale"})  # not multi-trigger
    org.triggers("POST", "/leads", body={"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c1"})

    def report() -> tuple[int, dict]:
        if how == "inbound GET":
            return org.triggers("GET", f"/postback/{org.token}", org_id=None, query={"event": "sale", "tid": "T1"})
        if how == "inbound POST":
            return org.triggers("POST", f"/postback/{org.token}", org_id=None, body={"event": "sale", "tid": "T1"})
        return org.triggers("POST", "/leads/L1/events", body={"event": "sale"})

    first, _ = report()
    again, body = report()

    assert (first, again) == (202 if how == "manual" else 200, 409)
    assert "already fired for lead 'L1'" in body["message"]
    assert len(org.logs("GET", "/logs")[1]["items"]) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/affiliates/a\u0097b"), ("GET", "/campaigns/a\u0097b/events"), ("GET", "/events/a\u0097b/logs")],
)
def test_a_path_id_with_a_control_character_is_404_as_no_route(org: Org, method: str, path: str) -> None:
    """API Gateway hands such a path on, and the function's router matches none of its routes: 404, as on
    every route with a path parameter (these three answer no other 404: nothing is looked up by that id)."""
    call = org.logs if path.endswith("/logs") else org.config

    status, body = call(method, path, body={"name": "A"} if method == "PUT" else None)

    assert status == 404, body
    assert "There is no route" in body["message"]
