"""No client input makes a 5xx: every route of every HTTP function, taken from template.yaml and
the OpenAPI document (a new route is covered as soon as it is declared), is sent bodies, parameters
and content types that cannot be read or are of the wrong type. Each answers a 4xx with a message,
and nothing is stored or queued.
"""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from local.template import Route
from tests.conftest import ROOT, http_event, lambda_context, template_stack
from tests.integration.conftest import QUEUE, Org
from tests.receiver import Receiver

STACK = template_stack()
DOCUMENT = json.loads((ROOT / "functions" / "api_docs" / "openapi.json").read_text())
BIG = "9" * 5000  # more digits than Python converts to an int by default (sys.get_int_max_str_digits())
# The inbound postback URL reads its body itself (query string, form or JSON): the document declares none.
UNDECLARED_BODIES = {("POST", "/postback/{token}")}
_HANDLERS: dict[str, Callable[..., dict[str, Any]]] = {}


def _handler(route: Route) -> Callable[..., dict[str, Any]]:
    if route.function not in _HANDLERS:
        function = STACK.functions[route.function]
        module = importlib.import_module(f"{function.code_dir.name}.{function.handler.rpartition('.')[0]}")
        _HANDLERS[route.function] = getattr(module, function.handler_attr)
    return _HANDLERS[route.function]


def _operation(route: Route) -> dict[str, Any]:
    return DOCUMENT["paths"].get(route.path, {}).get(route.method.lower(), {})


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _body_schema(route: Route) -> dict[str, Any] | None:
    """The route's JSON body schema; {} for a body the route reads without declaring it; None if it reads none."""
    if (route.method, route.path) in UNDECLARED_BODIES:
        return {"properties": {"event": {"type": "string"}, "tid": {"type": "string"}}}
    content = _operation(route).get("requestBody", {}).get("content", {})
    return _resolve(content["application/json"]["schema"]) if "application/json" in content else None


def _types(schema: dict[str, Any]) -> set[str]:
    schema = _resolve(schema)
    if "enum" in schema or "const" in schema:
        return {"enum"}
    kinds = schema.get("type")
    found = set(kinds if isinstance(kinds, list) else [kinds] if kinds else [])
    for option in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        found |= _types(option)
    return found


def _wrong_value(schema: dict[str, Any]) -> Any:
    """A JSON value of none of the types `schema` allows (a string for a number, an object for a string ...)."""
    allowed = _types(schema)
    candidates: list[tuple[set[str], Any]] = [
        ({"object"}, {"unexpected": "object"}),
        ({"array"}, ["unexpected", "list"]),
        ({"string", "enum"}, 12345),
        ({"number", "integer", "boolean", "enum"}, "not a number"),
    ]
    for kinds, value in candidates:
        if not allowed & kinds:
            return value
    return {"unexpected": "object"}


@dataclass(frozen=True)
class Body:
    label: str
    text: str
    content_type: str = "application/json"
    base64: bool = False


def _raw_object(names: list[str], value: str) -> str:
    """A JSON object whose every member is `value`, written as JSON text (json.dumps cannot write BIG)."""
    return "{" + ", ".join(f'"{name}": {value}' for name in names or ["name"]) + "}"


def _bodies(schema: dict[str, Any]) -> list[Body]:
    properties = schema.get("properties", {})
    names = list(properties)
    as_text = json.dumps({name: "x" for name in names or ["name"]})
    multipart = "".join(f'--b0undary\r\nContent-Disposition: form-data; name="{n}"\r\n\r\nx\r\n' for n in names)
    wrong = {name: _wrong_value(prop) for name, prop in properties.items()} or {"name": 12345}
    return [
        Body("an integer of 5000 digits in every field", _raw_object(names, BIG)),
        Body("an integer of 5000 digits deep inside", '{"data": {"a": [1, {"b": ' + BIG + "}]}}"),
        Body("an integer of 5000 digits as the body", BIG),
        Body("an integer of 5000 digits, with no content type", _raw_object(names, BIG), ""),
        Body("multipart without a boundary", as_text, "multipart/form-data"),
        Body("multipart with a boundary and garbage", "garbage\r\n--x--", "multipart/form-data; boundary=x"),
        Body("a well-formed multipart form", multipart + "--b0undary--\r\n", "multipart/form-data; boundary=b0undary"),
        Body("a form", "&".join(f"{n}=x" for n in names) or "name=x", "application/x-www-form-urlencoded"),
        Body("JSON as text/plain", as_text, "text/plain"),
        Body("a content type that is only parameters", _raw_object(names, BIG), ";charset=utf-8;;"),
        Body("invalid JSON", '{"name": '),
        Body("invalid JSON with no content type", "{broken", ""),
        Body("a JSON array", "[]"),
        Body("a JSON string", '"text"'),
        Body("a JSON number", "12"),
        Body("JSON null", "null"),
        Body("NaN", _raw_object(names, "NaN")),
        Body("-Infinity", _raw_object(names, "-Infinity")),
        Body("a number that overflows a float in every field", _raw_object(names, "1e999")),
        Body("every field of the wrong type", json.dumps(wrong)),
        Body("nested too deeply to read", "[" * 100_000 + "]" * 100_000),
        Body("larger than the API reads", json.dumps({name: "x" * 300_000 for name in names or ["name"]})),
        Body("base64 that is not base64", "!!not base64!!", base64=True),
        Body("base64 of bytes that are not UTF-8", base64.b64encode(b'{"name": "\xff\xfe"}').decode(), base64=True),
        Body(
            "an unknown charset",
            base64.b64encode(as_text.encode()).decode(),
            "application/json; charset=x-no-such-charset",
            base64=True,
        ),
    ]


def _hostile_parameters(parameter: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) that the parameter must refuse: too long for any of them, and of the wrong type."""
    values = [("an integer of 5000 digits", BIG)]
    kinds = _types(parameter.get("schema", {}))
    if kinds & {"integer", "number"}:
        values += [("not a number", "twelve"), ("NaN", "NaN"), ("a float", "1.5")]
    if "enum" in kinds:
        values.append(("not one of its values", "no-such-value"))
    if parameter["name"] in ("from", "to"):
        values.append(("not a date", "yesterday"))
    return values


ROUTES = sorted(STACK.routes, key=lambda r: (r.path, r.method))
BODY_ROUTES = [r for r in ROUTES if _body_schema(r) is not None]
API_ROUTES = [r for r in ROUTES if _operation(r)]


def _takes_input(route: Route) -> bool:
    return bool(_operation(route).get("parameters")) or _body_schema(route) is not None


def _problem(answer: dict[str, Any]) -> str | None:
    """Why `answer` is not a 4xx with a message in the API's error shape, or None."""
    status = answer["statusCode"]
    if not 400 <= status < 500:
        return f"answered {status}: {str(answer.get('body'))[:300]}"
    try:
        body = json.loads(answer.get("body") or "")
    except ValueError:
        return f"answered {status} with a body that is not JSON: {str(answer.get('body'))[:200]}"
    if not isinstance(body, dict) or not isinstance(body.get("message"), str) or not body["message"].strip():
        return f"answered {status} without a message: {body}"
    if set(body) - {"message", "errors"}:
        return f"answered {status} with more than message and errors: {body}"
    if "errors" in body and not all({"field", "message", "type"} <= set(e) for e in body["errors"]):
        return f"answered {status} with errors not shaped {{field, message, type}}: {body['errors']}"
    return None


def _stored() -> dict[str, Any]:
    """Everything in the tables and the postback queue."""
    db = boto3.client("dynamodb")
    tables = {
        name: sorted(json.dumps(item, sort_keys=True) for item in db.scan(TableName=name)["Items"])
        for name in db.list_tables()["TableNames"]
    }
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    queued = {k: v for k, v in attributes.items() if k.startswith("ApproximateNumberOfMessages")}
    return {"tables": tables, "queue": queued}


@pytest.fixture
def world(org: Org, receiver: Receiver) -> dict[str, str]:
    """An organization with one of everything; each path parameter names an object that exists."""
    org.config("POST", "/events", body={"name": "sale", "affiliate_conversion": True})
    _, postback = org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/pb"})
    _, event_list = org.config("POST", "/event-lists", body={"name": "L", "events": ["sale"]})
    org.config("PUT", f"/campaigns/c1/event-lists/{event_list['id']}")
    org.config("PUT", "/affiliates/net_a", body={"name": "A", "postback_url": receiver.url + "/aff"})
    _, key = org.config("POST", "/settings/api-keys", body={"name": "spare"})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c1"})
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    return {
        "name": "sale",
        "postback_id": postback["id"],
        "list_id": event_list["id"],
        "campaign_id": "c1",
        "affiliate_id": "net_a",
        "key_id": key["key_id"],
        "lead_id": "L1",
        "log_id": accepted["log_id"],
        "token": org.token,
        "org_id": org.org_id,
    }


def _send(
    route: Route,
    world: dict[str, str],
    *,
    path: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: Body | None = None,
) -> dict[str, Any]:
    values = world | (path or {})
    url = route.path.replace("{proxy+}", "index.html")
    for name, value in values.items():
        url = url.replace("{" + name + "}", value)
    event = http_event(
        route.method,
        url,
        raw_body=body.text if body else None,
        query=query,
        org_id=world["org_id"] if route.authorizer else None,
        content_type=body.content_type if body else "application/json",
    )
    if body and body.base64:
        event["isBase64Encoded"] = True
    return _handler(route)(event, lambda_context())


def _refusals(world: dict[str, str], requests: dict[str, tuple[Route, dict[str, Any]]]) -> dict[str, str]:
    """Send each request; why each one that was not refused with a 4xx and a message, or that stored something.

    What is stored is compared once per route (each comparison reads every table): when something
    was, the requests of that route that were not refused are named.
    """
    failures: dict[str, str] = {}
    by_route: dict[Route, list[tuple[str, dict[str, Any]]]] = {}
    for label, (route, request) in requests.items():
        by_route.setdefault(route, []).append((label, request))
    for route, labelled in by_route.items():
        before = _stored()
        answered = []
        for label, request in labelled:
            answer = _send(route, world, **request)
            problem = _problem(answer)
            if problem:
                failures[label] = problem
            answered.append(f"{label} ({answer['statusCode']})")
        if _stored() != before:
            failures[f"{route.method} {route.path}"] = "stored or queued something; answers: " + ", ".join(answered)
    return failures


def test_every_route_of_the_template_is_documented_or_a_static_page() -> None:
    undocumented = {(r.method, r.path) for r in ROUTES if not _operation(r)}
    assert undocumented == {
        ("GET", "/console"),
        ("GET", "/console/{proxy+}"),
        ("GET", "/favicon.ico"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
    }
    assert len(BODY_ROUTES) >= 13


@pytest.mark.slow
def test_a_body_that_cannot_be_read_or_has_the_wrong_types_is_a_4xx_and_stores_nothing(
    world: dict[str, str],
) -> None:
    requests = {
        f"{route.method} {route.path}: {body.label}": (route, {"body": body})
        for route in BODY_ROUTES
        for body in _bodies(_body_schema(route) or {})
    }
    failures = _refusals(world, requests)
    assert not failures, json.dumps(failures, indent=2)


@pytest.mark.slow
def test_a_parameter_too_long_or_of_the_wrong_type_is_a_4xx_and_stores_nothing(world: dict[str, str]) -> None:
    requests = {
        f"{route.method} {route.path}: {parameter['in']} {parameter['name']} {label}": (
            route,
            {"path" if parameter["in"] == "path" else "query": {parameter["name"]: value}},
        )
        for route in API_ROUTES
        for parameter in _operation(route).get("parameters", [])
        for label, value in _hostile_parameters(parameter)
    }
    assert len({route for route, _ in requests.values()}) >= 30
    failures = _refusals(world, requests)
    assert not failures, json.dumps(failures, indent=2)


@pytest.mark.slow
def test_every_route_answers_hostile_input_of_every_kind_at_once_without_a_5xx(world: dict[str, str]) -> None:
    """Unknown objects, an unreadable body and too-long parameters, also on routes that read none of them.

    Only a route that takes no input at all (no parameter, no body) may change something here.
    """
    hostile = Body("an integer of 5000 digits, as multipart without a boundary", BIG, "multipart/form-data")
    unknown = {name: "nope" for name in world if name != "org_id"}
    query = {"limit": BIG, "cursor": BIG, "from": "yesterday", "undeclared": BIG}
    failures = {}
    for route in ROUTES:
        before = _stored()
        answer = _send(route, world, path=unknown, query=query, body=hostile)
        label = f"{route.method} {route.path}"
        if answer["statusCode"] >= 500:
            failures[label] = f"answered {answer['statusCode']}: {answer.get('body')}"
        elif answer["statusCode"] >= 400 and _operation(route) and _problem(answer):
            failures[label] = str(_problem(answer))
        elif _takes_input(route) and _stored() != before:
            failures[label] = f"stored or queued something (answered {answer['statusCode']})"
    assert not failures, json.dumps(failures, indent=2)
