"""`make org`'s command: an organization, its first key (hashed) and its inbound postback URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import boto3
import pytest

from admin.cli import _use_local_stack, main
from lead_events.logic.credentials import hash_secret
from tests.conftest import lambda_context, sample_event

ROOT = Path(__file__).resolve().parents[2]


def test_create_org_prints_json_whose_key_the_authorizer_accepts(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    from authorizer.app import lambda_handler

    assert main(["create-org", "--name", "Acme Leads", "--api-url", "https://api.example.com/"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(printed) == {"org_id", "api_key", "postback_url"}
    assert printed["postback_url"].startswith("https://api.example.com/postback/pbt_")

    event = sample_event("authorizer", "valid_key")
    event["headers"]["authorization"] = f"Bearer {printed['api_key']}"
    assert lambda_handler(event, lambda_context())["context"]["org_id"] == printed["org_id"]

    stored = boto3.client("dynamodb").scan(TableName="lead-events-dev-config")["Items"]
    dumped = json.dumps(stored)
    assert printed["api_key"] not in dumped  # only hashes are stored
    assert hash_secret(printed["api_key"]) in dumped
    # The inbound token is kept readable: GET /settings/postback shows the URL again.
    assert printed["postback_url"].rsplit("/", 1)[1] in dumped
    assert {item["sk"]["S"].split("#")[0] for item in stored} == {"ORG", "APIKEY", "INBOUND"}


def test_two_organizations_get_different_ids_and_keys(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    main(["create-org", "--name", "A", "--api-url", "http://x"])
    main(["create-org", "--name", "B", "--api-url", "http://x"])
    first, second = (json.loads(line) for line in capsys.readouterr().out.strip().splitlines())
    assert first["org_id"] != second["org_id"] and first["api_key"] != second["api_key"]


def test_a_blank_name_is_refused_and_nothing_is_written(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create-org", "--name", "   ", "--api-url", "http://x"]) == 2
    assert "1 to 200 characters" in capsys.readouterr().err
    assert boto3.client("dynamodb").scan(TableName="lead-events-dev-config")["Items"] == []


def test_without_config_table_it_names_the_variable_and_writes_nothing(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CONFIG_TABLE")
    with pytest.raises(SystemExit) as exited:
        main(["create-org", "--name", "A", "--api-url", "http://x"])
    assert exited.value.code == 2
    assert "CONFIG_TABLE=... (the stack's ConfigTableName output)" in capsys.readouterr().err
    assert boto3.client("dynamodb").scan(TableName="lead-events-dev-config")["Items"] == []


def test_a_config_table_that_cannot_be_one_is_refused_by_name(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONFIG_TABLE", "arn:aws:dynamodb:us-east-1:123456789012:table/lead-events-dev-config")
    assert main(["create-org", "--name", "A", "--api-url", "http://x"]) == 2
    assert capsys.readouterr().err.startswith("CONFIG_TABLE must hold the name of the configuration DynamoDB table")


def test_the_local_stacks_dev_json_gives_its_endpoint_and_its_table(tmp_path: Path) -> None:
    dev_json = tmp_path / "dev.json"
    dev = {"api_url": "http://127.0.0.1:3000", "aws_endpoint_url": "http://127.0.0.1:4566", "config_table": "t-local"}
    dev_json.write_text(json.dumps(dev))
    with mock.patch.dict(os.environ, {"CONFIG_TABLE": "acme-prod-config"}):
        assert _use_local_stack(dev_json) == "http://127.0.0.1:3000"
        # The local stack's table, not one CONFIG_TABLE names for AWS.
        assert (os.environ["AWS_ENDPOINT_URL"], os.environ["CONFIG_TABLE"]) == ("http://127.0.0.1:4566", "t-local")


def test_a_second_organization_with_the_same_name_is_refused_unless_allowed(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create-org", "--name", "Acme Leads", "--api-url", "http://x"]) == 0
    first = json.loads(capsys.readouterr().out.strip())

    # Case and spacing aside, it is the same name: refused, naming the organization that has it.
    assert main(["create-org", "--name", "  acme   LEADS ", "--api-url", "http://x"]) == 2
    refused = capsys.readouterr()
    assert refused.out == ""
    assert f"An organization named 'acme   LEADS' already exists ({first['org_id']})" in refused.err
    assert "--allow-duplicate-name" in refused.err
    organizations = [
        item
        for item in boto3.client("dynamodb").scan(TableName="lead-events-dev-config")["Items"]
        if item["sk"]["S"] == "ORG"
    ]
    assert len(organizations) == 1

    assert main(["create-org", "--name", "Acme Leads", "--api-url", "http://x", "--allow-duplicate-name"]) == 0
    assert json.loads(capsys.readouterr().out.strip())["org_id"] != first["org_id"]


def _admin(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`make org`'s command in a process of its own, with only `env` (and PATH) in its environment."""
    return subprocess.run(
        [sys.executable, "-m", "admin", "create-org", "--name", "A", "--api-url", "http://x"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "PYTHONPATH": str(ROOT / "layers" / "shared"),
            "CONFIG_TABLE": "lead-events-config",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


_NO_AWS_FILES = {"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}


@pytest.mark.parametrize(
    ("env", "says"),
    [
        pytest.param(_NO_AWS_FILES, "No AWS region: set AWS_REGION", id="no region"),
        pytest.param(
            {**_NO_AWS_FILES, "AWS_DEFAULT_REGION": "eu-west-1", "AWS_EC2_METADATA_DISABLED": "true"},
            "No AWS credentials: set AWS_PROFILE",
            id="no credentials",
        ),
        pytest.param(
            {
                **_NO_AWS_FILES,
                "AWS_DEFAULT_REGION": "eu-west-1",
                "AWS_ACCESS_KEY_ID": "x",
                "AWS_SECRET_ACCESS_KEY": "x",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            },
            "Cannot reach http://127.0.0.1:9",
            id="nothing listening",
        ),
    ],
)
def test_what_stops_it_reaching_aws_is_one_line_not_a_traceback(env: dict[str, str], says: str) -> None:
    result = _admin(env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(says), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
