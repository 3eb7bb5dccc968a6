"""The local stack over real HTTP, as a client following the API guide uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from lead_events.config import RESOURCES
from tests.conftest import ROOT
from tests.e2e.conftest import LocalStack, start_local_stack, stop_local_stack

pytestmark = pytest.mark.e2e


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def test_dev_json_describes_a_working_stack(local_stack: LocalStack) -> None:
    dev = json.loads(local_stack.dev_json.read_text())
    assert set(dev) == {
        "api_url",
        "api_key",
        "postback_url",
        "aws_endpoint_url",
        "config_table",
        "inbox_url",
        "env_vars_file",
    }
    assert dev["postback_url"].startswith(dev["api_url"] + "/postback/")
    assert dev["inbox_url"] == dev["api_url"] + "/_inbox"
    # The embedded AWS holds the template's table.
    answer = requests.post(
        dev["aws_endpoint_url"],
        headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=local/20261126/us-east-1/dynamodb/aws4_request",
        },
        data="{}",
        timeout=10,
    )
    assert dev["config_table"] == "lead-events-dev-config"
    assert dev["config_table"] in answer.json()["TableNames"]


def test_an_operator_creates_reads_lists_updates_and_deletes_an_event(local_stack: LocalStack) -> None:
    name = _unique("sale")
    created = local_stack.request(
        "POST", "/events", json={"name": name, "description": "Closed deal", "conversion": True}
    )
    assert created.status_code == 201, created.text
    assert created.json()["conversion"] is True

    assert local_stack.request("GET", f"/events/{name}").json()["description"] == "Closed deal"
    listed = local_stack.request("GET", "/events", params={"limit": 200}).json()
    assert name in [e["name"] for e in listed["items"]]

    updated = local_stack.request("PATCH", f"/events/{name}", json={"multi_trigger": True})
    assert updated.status_code == 200
    assert updated.json()["multi_trigger"] is True and updated.json()["conversion"] is True

    assert local_stack.request("DELETE", f"/events/{name}").status_code == 204
    gone = local_stack.request("GET", f"/events/{name}")
    assert gone.status_code == 404
    assert name in gone.json()["message"]


def test_duplicate_and_bad_names_are_refused_with_messages(local_stack: LocalStack) -> None:
    name = _unique("qualified")
    assert local_stack.request("POST", "/events", json={"name": name}).status_code == 201
    duplicate = local_stack.request("POST", "/events", json={"name": name})
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.json()["message"]
    bad = local_stack.request("POST", "/events", json={"name": "Bad Name"})
    assert bad.status_code == 422
    assert "^[a-z][a-z0-9_]{0,63}$" in bad.json()["message"]


@pytest.mark.parametrize("key", [None, "wrong", "lek_org-nope_00000000_forged"])
def test_requests_without_a_valid_key_are_401_with_a_json_message(local_stack: LocalStack, key: str | None) -> None:
    for method, path in (("GET", "/events"), ("POST", "/events"), ("DELETE", "/events/sale")):
        answer = local_stack.request(method, path, key=key, json={"name": "sale"})
        assert answer.status_code == 401, (method, path, key)
        assert answer.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{broken", "application/json"),
        ("[]", "application/json"),
        ("null", "application/json"),
        ('{"name": ["sale"]}', "application/json"),
        ('{"name": "sale", "conversion": "true"}', "application/json"),
        ('{"name": "' + "x" * 200_000 + '"}', "application/json"),
        ('{"name": "sale", "description": "' + "é" * 200_000 + '"}', "application/json; charset=utf-8"),
        ("\xff\xfe", "application/octet-stream"),
        ("name=sale", "application/x-www-form-urlencoded"),
        ('{"name": "\u00e9v\u00e9nement"}', "application/json"),
    ],
)
def test_hostile_bodies_are_4xx_never_5xx(local_stack: LocalStack, body: str, content_type: str) -> None:
    answer = local_stack.request(
        "POST", "/events", data=body.encode("utf-8", "surrogatepass"), headers={"Content-Type": content_type}
    )
    assert 400 <= answer.status_code < 500, answer.text[:500]
    assert answer.json()["message"]


def test_unknown_routes_are_404(local_stack: LocalStack) -> None:
    assert local_stack.request("GET", "/no/such/route").status_code == 404
    assert local_stack.request("PUT", "/events").status_code == 404


def test_openapi_document_and_docs_page_need_no_key(local_stack: LocalStack) -> None:
    document = local_stack.request("GET", "/openapi.json", key=None)
    assert document.status_code == 200
    assert "/events/{name}" in document.json()["paths"]
    assert document.json()["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    page = local_stack.request("GET", "/docs", key=None)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


def _environment_without_the_stacks_variables() -> dict[str, str]:
    """This process's environment less what the template gives the functions (the tests' fixture sets it)."""
    return {k: v for k, v in os.environ.items() if k not in RESOURCES and k != "AWS_ENDPOINT_URL"}


def test_make_org_creates_an_organization_whose_key_works_and_is_isolated(local_stack: LocalStack) -> None:
    env = {**_environment_without_the_stacks_variables(), "MAKEFLAGS": ""}
    result = subprocess.run(
        ["make", "--no-print-directory", "org", "NAME=Acme Leads"],
        cwd=ROOT,
        env={  # as against a deployed stack (docs/deploying.md)
            **env,
            "AWS_ENDPOINT_URL": local_stack.aws_endpoint_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "API_URL": local_stack.api_url,
            "CONFIG_TABLE": local_stack.config_table,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    org = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(org) == {"org_id", "api_key", "postback_url"}

    name = _unique("signup")
    assert local_stack.request("POST", "/events", key=org["api_key"], json={"name": name}).status_code == 201
    assert local_stack.request("GET", f"/events/{name}", key=org["api_key"]).status_code == 200
    # The development organization cannot see it.
    assert local_stack.request("GET", f"/events/{name}").status_code == 404


def test_the_admin_command_finds_the_local_stacks_endpoint_and_table_in_its_dev_json(local_stack: LocalStack) -> None:
    env = {k: v for k, v in _environment_without_the_stacks_variables().items() if k != "API_URL"}
    env["PYTHONPATH"] = str(ROOT / "layers" / "shared")
    command = [sys.executable, "-m", "admin", "create-org", "--name", "Beta Leads"]
    result = subprocess.run(
        [*command, "--local", str(local_stack.dev_json)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    org = json.loads(result.stdout.strip().splitlines()[-1])
    assert org["postback_url"].startswith(local_stack.api_url + "/postback/")
    assert local_stack.request("GET", "/events", key=org["api_key"]).status_code == 200

    # With AWS_ENDPOINT_URL set (for the local stack, or for anything else), dev.json still decides.
    elsewhere = {**env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    again = subprocess.run(
        [*command[:-1], "Gamma Leads", "--local", str(local_stack.dev_json)],
        cwd=ROOT,
        env=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.strip().splitlines()[-1])["postback_url"].startswith(local_stack.api_url)

    # A second "Beta Leads" is refused.
    twice = subprocess.run(
        [*command, "--local", str(local_stack.dev_json)], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert twice.returncode == 2
    assert f"An organization named 'Beta Leads' already exists ({org['org_id']})" in twice.stderr

    # Without it, and without CONFIG_TABLE, it says which table it needs instead of guessing one.
    refused = subprocess.run(
        [*command, "--api-url", local_stack.api_url], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2
    assert "CONFIG_TABLE=" in refused.stderr and "ConfigTableName" in refused.stderr


def test_environment_passes_through_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    stack = start_local_stack(tmp_path, {"CONFIG_CACHE_SECONDS": "0"})
    try:
        assert stack.request("GET", "/events").status_code == 200
    finally:
        assert stop_local_stack(stack) == 0
    assert not stack.dev_json.exists()
    output = stack.output()
    assert "API key" in output and "Traceback" not in output
    assert f"Inbox          {stack.inbox_url}/<anything>" in output


def test_the_console_is_served_without_a_key_with_a_strict_content_security_policy(local_stack: LocalStack) -> None:
    page = local_stack.request("GET", "/console", key=None)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/console/app.js"></script>' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"

    script = local_stack.request("GET", "/console/screens/events.js", key=None)
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    again = local_stack.request("GET", "/console/app.js", key=None, headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 200  # another file, another ETag
    same = local_stack.request(
        "GET", "/console/screens/events.js", key=None, headers={"If-None-Match": script.headers["etag"]}
    )
    assert same.status_code == 304 and same.content == b""
    assert local_stack.request("GET", "/console/nothing-here.js", key=None).status_code == 404


STREAM_HANDLER = """
SEEN = []


def lambda_handler(event, context):
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]
    SEEN.append(keys)
    if "poison" in keys:
        raise RuntimeError("poison")
"""

STREAM_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  LogsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
      StreamSpecification:
        StreamViewType: NEW_IMAGE
  OutboxFailureQueue:
    Type: AWS::SQS::Queue
  OutboxFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.lambda_handler
      Runtime: python3.13
      Events:
        LogsStream:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt LogsTable.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 100
            MaximumBatchingWindowInSeconds: 0
            FilterCriteria:
              Filters:
                - Pattern: '{"dynamodb": {"NewImage": {"outbox": {"S": [{"exists": true}]}}}}'
            FunctionResponseTypes: [ReportBatchItemFailures]
            BisectBatchOnFunctionError: true
            MaximumRetryAttempts: 1
            MaximumRecordAgeInSeconds: -1
            DestinationConfig:
              OnFailure:
                Type: SQS
                Destination: !GetAtt OutboxFailureQueue.Arn
"""


def test_the_stacks_startup_runs_a_templates_dynamodb_event_source_against_the_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `python -m local` does with a DynamoDB event source, over HTTP to the emulator (moto's server).

    template.yaml has no DynamoDB event source yet: this one is in tmp_path; the steps are main()'s.
    """
    import threading
    import time

    import boto3

    from local.atomic import AtomicMotoServer
    from local.lambdas import FunctionPool
    from local.stack import create_resources, start_stream_pollers
    from local.template import load_stack
    from tests.e2e.conftest import free_port

    (tmp_path / "app.py").write_text(STREAM_HANDLER)
    (tmp_path / "template.yaml").write_text(STREAM_TEMPLATE)
    aws_url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_url)
    stack = load_stack(tmp_path / "template.yaml", sqs_endpoint=aws_url)
    pools = {logical_id: FunctionPool(function) for logical_id, function in stack.functions.items()}
    moto = AtomicMotoServer(ip_address="127.0.0.1", port=int(aws_url.rsplit(":", 1)[1]), verbose=False)
    moto.start()
    stopping = threading.Event()
    threads: list[threading.Thread] = []
    try:
        create_resources(stack)
        threads = start_stream_pollers(stack, pools, stopping)
        assert [t.name for t in threads] == ["stream-OutboxFunction-LogsTable"]
        db = boto3.client("dynamodb")
        table = stack.tables["LogsTable"]["TableName"]
        for pk, attributes in [("m1", {"outbox": {"S": "x"}}), ("plain", {}), ("poison", {"outbox": {"S": "x"}})]:
            db.put_item(TableName=table, Item={"pk": {"S": pk}, **attributes})
        db.put_item(TableName=table, Item={"pk": {"S": "m2"}, "outbox": {"S": "x"}})

        sqs = boto3.client("sqs")
        queue = sqs.get_queue_url(QueueName=stack.queues["OutboxFailureQueue"]["QueueName"])["QueueUrl"]
        failures: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while not failures and time.monotonic() < deadline:
            answer = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)
            failures += [json.loads(m["Body"]) for m in answer.get("Messages", [])]
        pool = pools["OutboxFunction"]
        while time.monotonic() < deadline and not (pool._idle and ["m2"] in pool._idle[0].__globals__["SEEN"]):
            time.sleep(0.1)  # (an instance is idle between invocations only)
    finally:
        stopping.set()
        for thread in threads:
            thread.join(5)
        moto.stop()
    seen = pool._idle[0].__globals__["SEEN"]
    # How the records fell into batches depends on when the poller read them; whatever it was: in order,
    # filtered, the poison record isolated by bisection, retried once, then reported, and the rest went on.
    delivered = [k for batch in seen for k in batch]
    assert "plain" not in delivered
    assert [delivered.index(k) for k in ("m1", "poison", "m2")] == sorted(
        delivered.index(k) for k in ("m1", "poison", "m2")
    )
    assert seen.count(["poison"]) == 2 and seen[-1] == ["m2"]
    [failure] = failures
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    assert not any(t.is_alive() for t in threads)


def _inbox_requests(stack: LocalStack, path: str, count: int, timeout: float = 30) -> list[dict[str, Any]]:
    """The requests the local inbox received at `path` (oldest first), once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        items = requests.get(stack.inbox_url, timeout=10).json()["items"]
        found = [r for r in reversed(items) if r["path"] == path]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_postback_to_the_local_inbox_is_delivered_and_kept_with_its_macros_rendered(local_stack: LocalStack) -> None:
    event, path = _unique("sale"), f"/_inbox/{_unique('network')}"
    assert local_stack.request("POST", "/events", json={"name": event, "conversion": True}).status_code == 201
    postback = {
        "url": local_stack.api_url + path + "?click={transaction_id}&amount={revenue}&event={event_name}",
        "method": "POST",
        "body": {"lead": "{lead_id}", "sub1": "{sub1}"},
        "headers": {"X-Click": "{transaction_id}"},
    }
    assert local_stack.request("POST", f"/events/{event}/postbacks", json=postback).status_code == 201
    lead = {"lead_id": _unique("L"), "transaction_id": _unique("clk"), "campaign_id": "auto_ins", "sub1": "fb ads"}
    assert local_stack.request("POST", "/leads", json=lead).status_code == 201

    accepted = local_stack.request(
        "POST", "/triggers", json={"event": event, "lead_id": lead["lead_id"], "revenue": "12.50"}
    )
    assert accepted.status_code == 202, accepted.text

    [received] = _inbox_requests(local_stack, path, 1)
    assert received["method"] == "POST"
    assert received["url"] == f"{local_stack.api_url}{path}?click={lead['transaction_id']}&amount=12.50&event={event}"
    assert received["query"] == f"click={lead['transaction_id']}&amount=12.50&event={event}"
    assert received["headers"]["X-Click"] == lead["transaction_id"]
    assert received["headers"]["Content-Type"] == "application/json"
    assert json.loads(received["body"]) == {"lead": lead["lead_id"], "sub1": "fb ads"}
    assert received["received_at"].endswith("Z")
    # The inbox answered 200, so the delivery is recorded as delivered.
    deadline = time.monotonic() + 30
    while (entry := local_stack.request("GET", f"/logs/{accepted.json()['log_id']}").json())["status"] == "queued":
        assert time.monotonic() < deadline, entry
        time.sleep(0.2)
    assert entry["status"] == "delivered"
    assert [a["status_code"] for a in entry["deliveries"][0]["attempts"]] == [200]


def test_the_inbox_answers_any_method_keeps_bodies_and_reads_only_what_came_after(local_stack: LocalStack) -> None:
    path = f"/_inbox/{_unique('crm')}/deep/path"
    before = requests.get(local_stack.inbox_url, timeout=10).json()
    assert before["inbox"] == "local" and before["capacity"] == 500

    for method in ("GET", "PUT", "DELETE", "PATCH"):
        answer = requests.request(method, local_stack.api_url + path, params={"m": method}, timeout=10)
        assert answer.status_code == 200, (method, answer.text)
    binary = requests.post(local_stack.api_url + path, data=b"\xff\x00raw", timeout=10)
    assert binary.status_code == 200
    escaped = requests.get(f"{local_stack.api_url}{path}?s=a%26b%20c&e=%C3%A9", timeout=10)
    assert escaped.status_code == 200

    newer = requests.get(local_stack.inbox_url, params={"after": before["latest"]}, timeout=10).json()
    mine = [r for r in newer["items"] if r["path"] == path]
    assert [r["method"] for r in mine] == ["GET", "POST", "PATCH", "DELETE", "PUT", "GET"]  # newest first
    assert mine[-1]["url"] == f"{local_stack.api_url}{path}?m=GET"
    assert mine[0]["url"] == f"{local_stack.api_url}{path}?s=a%26b%20c&e=%C3%A9"  # as sent, escapes and all
    assert mine[1]["body_encoding"] == "base64" and mine[1]["body"] == "/wByYXc="
    assert all(r["id"] > before["latest"] for r in newer["items"])
    assert requests.get(local_stack.inbox_url, params={"after": "soon"}, timeout=10).status_code == 400
    # The API's routes are untouched, and the inbox needs no key.
    assert local_stack.request("GET", "/events", key=None).status_code == 401
