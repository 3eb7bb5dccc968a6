"""Every sample event in events/ (the ones `sam local invoke -e` and `make invoke` take) runs through its function.

There is a sample for every route of every function and for every event source (SQS batch, DynamoDB
stream record, authorizer request); each is answered as it should be on the sample organization.
"""

from __future__ import annotations

import importlib.util
import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EVENTS_DIR, lambda_context, template_stack

STACK = template_stack()
FUNCTIONS = {f.module_file.parent.name: f for f in STACK.functions.values()}
SAMPLES = sorted(EVENTS_DIR.glob("*/*.json"))
# What the samples name that the organization has (made with these samples first): the event `sale`,
# the lead L-1001 (transaction id CLICK-1001, campaign auto_ins) and the affiliate net_a. The postback,
# event list, API key and log entry they name have ids made when those are created, so none is found.
SEEDS = {"config_api/create_event": 201, "trigger_api/create_lead": 201, "config_api/put_affiliate": 200}

EXPECTED = {
    "api_docs/docs_page": 200,
    "api_docs/openapi_document": 200,
    "config_api/assign_event_list": 404,
    "config_api/create_api_key": 201,
    "config_api/create_event": 409,  # a seed: it was made once already
    "config_api/create_event_list": 201,
    "config_api/create_postback": 201,
    "config_api/delete_affiliate": 204,
    "config_api/delete_event": 204,
    "config_api/delete_event_list": 404,
    "config_api/delete_postback": 404,
    "config_api/get_affiliate": 200,
    "config_api/get_campaign_event_settings": 200,
    "config_api/get_campaign_events": 200,
    "config_api/get_event": 200,
    "config_api/get_event_list": 404,
    "config_api/get_postback": 404,
    "config_api/get_postback_settings": 200,
    "config_api/list_affiliates": 200,
    "config_api/list_api_keys": 200,
    "config_api/list_campaigns": 200,
    "config_api/list_event_lists": 200,
    "config_api/list_events": 200,
    "config_api/list_macros": 200,
    "config_api/list_postbacks": 200,
    "config_api/put_affiliate": 200,
    "config_api/put_campaign_event_settings": 200,
    "config_api/revoke_api_key": 404,
    "config_api/rotate_postback_token": 200,
    "config_api/send_test": 404,
    "config_api/test_affiliate_postback": 200,  # the test's answer, whatever the receiver's (none here)
    "config_api/unassign_event_list": 404,
    "config_api/update_event": 200,
    "config_api/update_event_list": 404,
    "config_api/update_postback": 404,
    "console/console_asset": 200,
    "console/console_page": 200,
    "console/favicon": 200,
    "logs_api/conversion_report": 200,
    "logs_api/get_log": 404,
    "logs_api/list_event_logs": 200,
    "logs_api/list_logs": 200,
    "logs_api/redeliver_log": 404,
    "trigger_api/create_lead": 409,  # a seed
    "trigger_api/find_lead": 200,
    "trigger_api/get_lead": 200,
    "trigger_api/inbound_postback_get": 404,  # the sample's token is not the organization's
    "trigger_api/inbound_postback_post": 404,
    "trigger_api/manual_trigger": 202,
    "trigger_api/trigger_event": 202,
}
# What a 404 or 409 says: it came from the route the sample is for, past its validation, about what it names.
MESSAGES = {
    "config_api/assign_event_list": "No event list with id 'lst_5f0c1e2d3a4b'",
    "config_api/create_event": "already exists",
    "config_api/delete_event_list": "No event list with id 'lst_5f0c1e2d3a4b'",
    "config_api/delete_postback": "Event 'sale' has no postback with id '119835c1081c'",
    "config_api/get_event_list": "No event list with id 'lst_5f0c1e2d3a4b'",
    "config_api/get_postback": "Event 'sale' has no postback with id '119835c1081c'",
    "config_api/revoke_api_key": "No active API key with id '0000beef'",
    "config_api/send_test": "Event 'sale' has no postback with id '119835c1081c'",
    "config_api/unassign_event_list": "Event list 'lst_5f0c1e2d3a4b' is not assigned to campaign 'auto_ins'",
    "config_api/update_event_list": "No event list with id 'lst_5f0c1e2d3a4b'",
    "config_api/update_postback": "Event 'sale' has no postback with id '119835c1081c'",
    "logs_api/get_log": "No log entry with id '1a2197482a90a194967c3'",
    "logs_api/redeliver_log": "No log entry with id '1a2197482a90a194967c3'",
    "trigger_api/create_lead": "L-1001",
    "trigger_api/inbound_postback_get": "This postback URL is not valid",
    "trigger_api/inbound_postback_post": "This postback URL is not valid",
}


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _handler(function_dir: str) -> Callable[..., Any]:
    function = FUNCTIONS[function_dir]
    spec = importlib.util.spec_from_file_location(f"_sample_{function_dir}", function.module_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, function.handler_attr)  # type: ignore[no-any-return]


def _invoke(name: str) -> Any:
    function_dir, _, stem = name.partition("/")
    return _handler(function_dir)(
        json.loads((EVENTS_DIR / function_dir / f"{stem}.json").read_text()), lambda_context()
    )


def _sources(function_dir: str) -> set[str]:
    """What invokes the samples of one function: "GET /path" for a route, else the records' eventSource or
    "authorizer"."""
    kinds = set()
    for path in EVENTS_DIR.glob(f"{function_dir}/*.json"):
        event = json.loads(path.read_text())
        if event.get("type") == "REQUEST" and "identitySource" in event:
            kinds.add("authorizer")
        elif "routeKey" in event:
            kinds.add(event["routeKey"])
        else:
            kinds |= {record["eventSource"] for record in event["Records"]}
    return kinds


def test_every_function_has_sample_events() -> None:
    assert {path.parent.name for path in SAMPLES} == set(FUNCTIONS)


def test_every_route_and_event_source_of_the_template_has_a_sample_and_every_sample_one() -> None:
    expected: dict[str, set[str]] = {name: set() for name in FUNCTIONS}
    directory = {f.logical_id: name for name, f in FUNCTIONS.items()}
    for route in STACK.routes:
        expected[directory[route.function]].add(f"{route.method} {route.path}")
    for queue_source in STACK.queue_sources:
        expected[directory[queue_source.function]].add("aws:sqs")
    for stream_source in STACK.stream_sources:
        expected[directory[stream_source.function]].add("aws:dynamodb")
    for authorizer in STACK.authorizers.values():
        expected[directory[authorizer.function]].add("authorizer")
    for name, wanted in expected.items():
        sampled = _sources(name)
        assert not wanted - sampled, f"events/{name}/ has no sample for {sorted(wanted - sampled)}"
        assert not sampled - wanted, f"events/{name}/ has samples for what the template does not route to it"


def test_every_sample_has_an_expected_answer() -> None:
    assert {_name(p) for p in SAMPLES if p.parent.name not in ("authorizer", "dispatcher", "outbox")} == set(EXPECTED)


@pytest.fixture
def sample_org(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample organization, holding what the samples name; no host resolves (no test reaches the internet)."""

    def no_dns(host: str, *args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, f"{host}: no DNS in this test")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    for name, status in SEEDS.items():
        answer = _invoke(name)
        assert answer["statusCode"] == status, answer


@pytest.mark.parametrize("path", SAMPLES, ids=_name)
def test_each_sample_event_is_answered_as_it_should_be(sample_org: None, path: Path) -> None:
    name = _name(path)
    if path.parent.name == "authorizer":  # no key is stored here: the authorizer refuses as API Gateway expects
        with pytest.raises(Exception, match=r"^Unauthorized$"):
            _invoke(name)
        return
    answer = _invoke(name)
    if path.parent.name in ("dispatcher", "outbox"):
        # The dispatcher's message names no entry (skipped); the outbox queues the record's delivery.
        assert answer == {"batchItemFailures": []}
        return
    assert answer["statusCode"] == EXPECTED[name], answer
    if name in MESSAGES:
        assert MESSAGES[name] in json.loads(answer["body"])["message"]


def test_the_samples_for_sent_tests_and_triggers_do_what_they_say(sample_org: None) -> None:
    tested = json.loads(_invoke("config_api/test_affiliate_postback")["body"])
    assert tested["request"]["url"].startswith("https://network-a.example/conv?click=")
    assert tested["outcome"]["ok"] is False  # nothing resolves here

    accepted = json.loads(_invoke("trigger_api/trigger_event")["body"])
    assert accepted["status"] == "accepted" and accepted["lead_id"] == "L-1001"
    lead = json.loads(_invoke("trigger_api/get_lead")["body"])
    assert [e["event"] for e in lead["events"]] == ["sale"]
    campaigns = json.loads(_invoke("config_api/list_campaigns")["body"])
    assert [c["campaign_id"] for c in campaigns["items"]] == ["auto_ins"]  # the lead's
    settings = json.loads(_invoke("config_api/put_campaign_event_settings")["body"])
    assert [f["name"] for f in settings["custom_fields"]] == ["plan", "policy_value"]
