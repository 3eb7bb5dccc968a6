"""`make invoke` (python -m local.invoke) on a running local stack; the env-vars file for `sam local invoke`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from tests.conftest import ROOT, template_stack
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e


def _invoke(stack_dev_json: Path, function: str, event: str) -> subprocess.CompletedProcess[str]:
    """`make invoke FUNCTION=... EVENT=...` as the Makefile runs it, for the stack whose dev.json is given."""
    return subprocess.run(
        [sys.executable, "-m", "local.invoke", function, event],
        cwd=ROOT,
        env={**os.environ, "LOCAL_DEV_JSON": str(stack_dev_json)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_make_invoke_runs_one_function_on_a_sample_against_the_running_stacks_aws(local_stack: LocalStack) -> None:
    created = _invoke(local_stack.dev_json, "ConfigApiFunction", "events/config_api/create_event.json")
    assert created.returncode == 0, created.stderr
    answer = json.loads(created.stdout)  # stdout is the function's result, nothing else
    assert answer["statusCode"] == 201 and json.loads(answer["body"])["name"] == "sale"

    # Another process, the same data: it is in the running stack's embedded AWS.
    item = boto3.client(
        "dynamodb",
        endpoint_url=local_stack.aws_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    ).get_item(TableName=local_stack.config_table, Key={"pk": {"S": "ORG#org-sample"}, "sk": {"S": "EVENT#sale"}})
    assert item["Item"]["name"]["S"] == "sale"
    found = _invoke(local_stack.dev_json, "ConfigApiFunction", "config_api/get_event")  # a sample's short name
    assert found.returncode == 0 and json.loads(found.stdout)["statusCode"] == 200


def test_make_invoke_prints_the_functions_logs_on_stderr_and_a_function_error_as_lambda_does(
    local_stack: LocalStack,
) -> None:
    batch = _invoke(local_stack.dev_json, "DispatcherFunction", "events/dispatcher/postback_batch.json")
    assert batch.returncode == 0, batch.stderr
    assert json.loads(batch.stdout) == {"batchItemFailures": []}
    [handled] = [json.loads(line) for line in batch.stderr.splitlines() if '"Batch handled"' in line]
    assert handled["function_name"] == "lead-events-DispatcherFunction" and handled["messages"] == 1

    refused = _invoke(local_stack.dev_json, "AuthorizerFunction", "events/authorizer/wrong_key.json")
    assert refused.returncode == 1
    error = json.loads(refused.stdout)
    assert error["errorMessage"] == "Unauthorized" and error["errorType"] == "Exception"
    assert any("authorizer/app.py" in frame for frame in error["stackTrace"])
    assert not any("local/invoke.py" in frame for frame in error["stackTrace"])


@pytest.mark.parametrize(
    ("function", "event", "says"),
    [
        ("NoSuchFunction", "events/config_api/list_events.json", "No function 'NoSuchFunction' in template.yaml"),
        ("ConfigApiFunction", "events/config_api/nothing.json", "No event file 'events/config_api/nothing.json'"),
    ],
)
def test_make_invoke_refuses_an_unknown_function_or_file_in_one_line(
    local_stack: LocalStack, function: str, event: str, says: str
) -> None:
    result = _invoke(local_stack.dev_json, function, event)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"make invoke: {says}") and len(result.stderr.splitlines()) == 1


def test_make_invoke_says_in_one_line_that_no_stack_runs(tmp_path: Path) -> None:
    result = _invoke(tmp_path / "dev.json", "ConfigApiFunction", "events/config_api/list_events.json")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"make invoke: The local stack is not running ({tmp_path / 'dev.json'} does not exist): "
        "start it with `make local`."
    ]

    # A dev.json left by a stack that ended without removing it
    (tmp_path / "dev.json").write_text(json.dumps({"aws_endpoint_url": "http://127.0.0.1:9", "api_url": "x"}))
    stale = _invoke(tmp_path / "dev.json", "ConfigApiFunction", "events/config_api/list_events.json")
    assert stale.returncode == 2 and len(stale.stderr.splitlines()) == 1
    assert "nothing answers at http://127.0.0.1:9" in stale.stderr


def test_the_env_vars_file_points_every_function_at_the_embedded_aws_with_the_stacks_tables_and_queue(
    local_stack: LocalStack,
) -> None:
    dev = json.loads(local_stack.dev_json.read_text())
    environments = json.loads(Path(dev["env_vars_file"]).read_text())
    template = template_stack()
    assert set(environments) == set(template.functions)
    queue_url = f"{local_stack.aws_endpoint_url}/123456789012/lead-events-dev-postbacks"
    for logical_id, variables in environments.items():
        assert variables["AWS_ENDPOINT_URL"] == local_stack.aws_endpoint_url, logical_id
        assert variables["CONFIG_TABLE"] == local_stack.config_table
        assert variables["LEADS_TABLE"] == "lead-events-dev-leads" and variables["LOGS_TABLE"] == "lead-events-dev-logs"
        assert variables["POSTBACK_QUEUE_URL"] == queue_url
        # sam local invoke only sets the variables a function declares: every one here is declared.
        assert set(variables) <= set(template.functions[logical_id].environment), logical_id
    # The stack's own settings, as it resolved them (the session's stack retries a second apart).
    assert environments["DispatcherFunction"]["POSTBACK_RETRY_SCHEDULE"] == "1,1,1"
    # The names are what the embedded AWS holds.
    sqs = boto3.client(
        "sqs",
        endpoint_url=local_stack.aws_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    assert sqs.get_queue_url(QueueName="lead-events-dev-postbacks")["QueueUrl"] == queue_url
