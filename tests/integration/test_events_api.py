"""The event definitions API, called through its handler against moto."""

from __future__ import annotations

import base64
import json

import boto3
import pytest

from tests.conftest import http_event, lambda_context, sample_event
from tests.integration.conftest import Call


def _items() -> list[dict]:
    """What the organization has stored, less its own item (which counts configuration changes)."""
    items = boto3.client("dynamodb").scan(TableName="lead-events-dev-config")["Items"]
    return [item for item in items if item["sk"]["S"] != "ORG"]


def test_sample_events_drive_a_whole_lifecycle(aws: None) -> None:
    from config_api.app import lambda_handler

    created = lambda_handler(sample_event("config_api", "create_event"), lambda_context())
    assert created["statusCode"] == 201
    assert json.loads(created["body"])["affiliate_conversion"] is True

    listed = json.loads(lambda_handler(sample_event("config_api", "list_events"), lambda_context())["body"])
    assert [e["name"] for e in listed["items"]] == ["sale"]

    updated = lambda_handler(sample_event("config_api", "update_event"), lambda_context())
    assert json.loads(updated["body"])["description"] == "Closed by the call centre"
    assert json.loads(updated["body"])["multi_trigger"] is True

    fetched = json.loads(lambda_handler(sample_event("config_api", "get_event"), lambda_context())["body"])
    assert fetched["multi_trigger"] is True and fetched["conversion"] is True

    assert lambda_handler(sample_event("config_api", "delete_event"), lambda_context())["statusCode"] == 204
    assert lambda_handler(sample_event("config_api", "get_event"), lambda_context())["statusCode"] == 404


def test_create_returns_the_event_with_timestamps_and_stores_it_under_the_organization(call_config_api: Call) -> None:
    status, body = call_config_api("POST", "/events", body={"name": "qualified", "description": "Marked qualified"})
    assert status == 201
    assert body["name"] == "qualified" and body["conversion"] is False
    assert body["created_at"] == body["updated_at"] and body["created_at"].endswith("Z")
    [item] = _items()
    assert item["pk"] == {"S": "ORG#org-sample"} and item["sk"] == {"S": "EVENT#qualified"}


def test_a_duplicate_name_is_a_conflict_and_the_first_event_is_unchanged(call_config_api: Call) -> None:
    call_config_api("POST", "/events", body={"name": "sale", "description": "first"})
    status, body = call_config_api("POST", "/events", body={"name": "sale", "description": "second"})
    assert status == 409
    assert "already exists" in body["message"]
    assert call_config_api("GET", "/events/sale")[1]["description"] == "first"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Sale"}, "name"),
        ({"name": "sale-closed"}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": "vente_é"}, "name"),
        ({"name": None}, "name"),
        ({"name": 42}, "name"),
        ({"name": ["sale"]}, "name"),
        ({}, "name"),
        ({"name": "sale", "conversion": "true"}, "conversion"),
        ({"name": "sale", "conversion": None}, "conversion"),
        ({"name": "sale", "description": "x" * 200_000}, "description"),
        ({"name": "sale", "description": {"nested": True}}, "description"),
        ({"name": "sale", "unknown": 1}, "unknown"),
    ],
)
def test_invalid_input_is_a_4xx_naming_the_field_and_nothing_is_written(
    call_config_api: Call, payload: dict, field: str
) -> None:
    status, body = call_config_api("POST", "/events", body=payload)
    assert status == 422
    assert body["message"].startswith("Invalid request.")
    assert field in {error["field"] for error in body["errors"]}
    assert all(error["message"] for error in body["errors"])
    assert _items() == []


def test_the_name_error_states_the_rule(call_config_api: Call) -> None:
    _, body = call_config_api("POST", "/events", body={"name": "Sale"})
    assert "^[a-z][a-z0-9_]{0,63}$" in body["message"]
    assert "lowercase letter first" in body["message"]


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "null", '"sale"', "", "12", "\u00e9\u00e9"])
def test_malformed_bodies_are_4xx(call_config_api: Call, raw: str) -> None:
    status, body = call_config_api("POST", "/events", raw_body=raw)
    assert 400 <= status < 500
    assert body["message"]
    assert _items() == []


def test_a_json_body_labelled_as_a_form_is_read_as_json(call_config_api: Call) -> None:
    status, body = call_config_api(
        "POST", "/events", raw_body='{"name": "sale"}', content_type="application/x-www-form-urlencoded"
    )
    assert status == 201 and body["name"] == "sale"


def test_a_body_in_its_declared_charset_is_read_in_that_charset(call_config_api: Call) -> None:
    event = http_event("POST", "/events", content_type="application/json; charset=latin-1")
    event |= {"body": base64.b64encode('{"name": "sale", "description": "café"}'.encode("latin-1")).decode()}
    event["isBase64Encoded"] = True
    from config_api.app import lambda_handler

    answer = lambda_handler(event, lambda_context())
    assert answer["statusCode"] == 201
    assert json.loads(answer["body"])["description"] == "café"


def test_unknown_events_are_404_for_read_update_and_delete(call_config_api: Call) -> None:
    for method, kwargs in (("GET", {}), ("PATCH", {"body": {"conversion": True}}), ("DELETE", {})):
        status, body = call_config_api(method, "/events/nope", **kwargs)
        assert status == 404, method
        assert "nope" in body["message"]
    assert call_config_api("GET", "/events/NOT%20A%20NAME")[0] == 404


def test_patch_changes_only_the_fields_sent(call_config_api: Call) -> None:
    _, created = call_config_api("POST", "/events", body={"name": "sale", "description": "d", "conversion": True})
    status, body = call_config_api("PATCH", "/events/sale", body={"multi_trigger": True})
    assert status == 200
    assert body["multi_trigger"] is True and body["conversion"] is True and body["description"] == "d"
    assert body["created_at"] == created["created_at"] and body["updated_at"] >= created["updated_at"]
    assert call_config_api("PATCH", "/events/sale", body={"name": "renamed"})[0] == 422
    assert call_config_api("PATCH", "/events/sale", body={"conversion": None})[0] == 422
    assert call_config_api("GET", "/events/sale")[1] == body


def test_listing_pages_through_every_event_once(call_config_api: Call) -> None:
    names = [f"event_{i:02d}" for i in range(7)]
    for name in names:
        call_config_api("POST", "/events", body={"name": name})
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        status, page = call_config_api("GET", "/events", query=query)
        assert status == 200
        seen += [e["name"] for e in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == names
    assert pages == 3


@pytest.mark.parametrize(
    "query", [{"limit": "0"}, {"limit": "201"}, {"limit": "ten"}, {"cursor": "bogus"}, {"cursor": "e30"}]
)
def test_bad_paging_parameters_are_4xx(call_config_api: Call, query: dict) -> None:
    status, body = call_config_api("GET", "/events", query=query)
    assert status in (400, 422)
    assert body["message"]


def test_organizations_never_see_each_others_events(call_config_api: Call) -> None:
    call_config_api("POST", "/events", body={"name": "sale"}, org_id="org-a")
    assert call_config_api("GET", "/events", org_id="org-b")[1]["items"] == []
    assert call_config_api("GET", "/events/sale", org_id="org-b")[0] == 404
    assert call_config_api("DELETE", "/events/sale", org_id="org-b")[0] == 404
    assert call_config_api("PATCH", "/events/sale", org_id="org-b", body={"conversion": True})[0] == 404
    # The same name is free in the other organization.
    assert call_config_api("POST", "/events", body={"name": "sale"}, org_id="org-b")[0] == 201
    assert call_config_api("GET", "/events/sale", org_id="org-a")[1]["conversion"] is False


def test_without_authorizer_context_the_handler_refuses(call_config_api: Call) -> None:
    status, body = call_config_api("GET", "/events", org_id=None)
    assert status == 401
    assert "Authorization: Bearer" in body["message"]


def test_an_unknown_route_is_a_json_404(call_config_api: Call) -> None:
    status, body = call_config_api("GET", "/nothing-here")
    assert status == 404 and "GET /nothing-here" in body["message"]


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("[" * 50_000 + "]" * 50_000, 400),  # nested too deeply to parse
        ('{"name": "sale", "description": "' + "x" * 300_000 + '"}', 413),
    ],
)
def test_oversized_and_overnested_bodies_are_4xx(call_config_api: Call, raw: str, status: int) -> None:
    got, body = call_config_api("POST", "/events", raw_body=raw)
    assert got == status
    assert body["message"]
