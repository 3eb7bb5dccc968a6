"""Fixtures shared by every test: fake AWS credentials, moto with the template's tables, sample events."""

from __future__ import annotations

import copy
import functools
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.utils import utcnow
from moto.dynamodb.models import dynamodb_backends
from moto.sqs.models import sqs_backends

from lead_events.wiring import reset_stores
from local.atomic import serialize_in_process_dynamodb
from local.lambdas import LambdaContext
from local.moto_index import index_moto_queries
from local.stack import create_resources
from local.template import ACCOUNT, REGION, Stack, load_stack

ROOT = Path(__file__).resolve().parent.parent
EVENTS_DIR = ROOT / "events"
SAMPLE_ORG = "org-sample"


@functools.cache
def _parsed_stack() -> Stack:
    return load_stack(ROOT / "template.yaml")


def template_stack() -> Stack:
    """template.yaml as the local stack reads it: parsed once per test run, a fresh copy each time."""
    return copy.deepcopy(_parsed_stack())


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and the template's environment; nothing here can reach real AWS.

    The settings (lead_events/config.py) are the template's, set here; the two it does not give are
    unset, whatever the shell running the tests says, so they take their defaults.
    """
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "PUBLIC_API_URL", "CONFIG_CACHE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POSTBACK_ALLOWED_NETWORKS", "127.0.0.0/8")  # the tests' receivers listen on loopback
    stack = _parsed_stack()  # only read here
    for function in stack.functions.values():
        for name, value in function.environment.items():
            if name != "AWS_ENDPOINT_URL":  # the template's is empty (AWS's own endpoints): left unset here
                monkeypatch.setenv(name, value if name != "POSTBACK_ALLOWED_NETWORKS" else "127.0.0.0/8")
    reset_stores()
    yield
    reset_stores()


Deploy = Callable[..., None]


@pytest.fixture
def deploy(monkeypatch: pytest.MonkeyPatch) -> Deploy:
    """Set deployment variables for this test, as a new container would read them."""

    def configure(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        reset_stores()

    return configure


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in-process, with every table and queue of template.yaml created as the template defines them.

    Queries go through local/moto_index.py, as in the local stack and the benchmarks.
    """
    serialize_in_process_dynamodb()
    index_moto_queries()
    with mock_aws():
        # mock_aws drops boto3's default session; one session serves every test of the run, so that
        # botocore's handlers are registered and its endpoints and service models parsed once, not per test.
        boto3.DEFAULT_SESSION = _boto3_session()
        _create_template_resources()
        yield


@functools.cache
def _boto3_session() -> boto3.Session:
    return boto3.Session()


# moto's backends holding the template's resources, as create_resources left them in the first test.
_template_backends: list[tuple[BackendDict[Any], BaseBackend]] = []


def _create_template_resources() -> None:
    """create_resources(template.yaml) in the first test; later ones get a copy of what it made.

    Each test has a backend of its own (mock_aws resets them all when it ends): copying one costs a
    small part of what creating the tables and queues through the API does, in every test.
    """
    if not _template_backends:
        create_resources(template_stack())
        _template_backends.extend((backends, _copy(backends[ACCOUNT][REGION])) for backends in _RESOURCE_BACKENDS)
        return
    for backends, backend in _template_backends:
        backends[ACCOUNT][REGION] = _copy(backend)


_RESOURCE_BACKENDS = (dynamodb_backends, sqs_backends)


def _copy(backend: BaseBackend) -> BaseBackend:
    """A deep copy of a backend, as new as if its resources had just been created.

    Each SQS queue's lock (which cannot be copied) is a new one; each table has the creation time and
    stream label create_table would have given it now, so that a stream's ARN names one test's table.
    """
    memo: dict[int, Any] = {}
    for queue in getattr(backend, "queues", {}).values():
        memo[id(queue._messages_lock)] = threading.Condition()
    fresh = copy.deepcopy(backend, memo)
    for table in getattr(fresh, "tables", {}).values():
        table.created_at = utcnow()
        if table.stream_shard is not None:
            table.latest_stream_label = table.created_at.isoformat()
            table.stream_shard.created_on = table.created_at
    return fresh


def cfn_lint_decode(path: Path) -> tuple[Any, list[Any]]:
    """cfn-lint's reading of a template (what it checks, as `sam` reads it) and what it found unreadable.

    Imported when first used: cfn-lint's package imports sympy and networkx, which would otherwise be
    imported (and, in a new environment, compiled) by every process that collects a test module.
    """
    from cfnlint.decode import decode

    return decode(str(path))


def sample_event(function: str, name: str) -> dict[str, Any]:
    """One of the sample events in events/<function>/<name>.json (also used by `sam local invoke -e`)."""
    return json.loads((EVENTS_DIR / function / f"{name}.json").read_text())


def lambda_context(name: str = "test-function") -> LambdaContext:
    return LambdaContext(
        function_name=name,
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        timeout_seconds=30,
    )


def http_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    query: dict[str, str] | None = None,
    org_id: str | None = SAMPLE_ORG,
    content_type: str = "application/json",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event as the authorizer would pass it on."""
    event = sample_event("config_api", "list_events")
    event["rawPath"] = path
    event["routeKey"] = f"{method} {path}"
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["headers"]["content-type"] = content_type
    event["requestContext"]["authorizer"] = {"lambda": {"org_id": org_id, "key_id": "0000abcd"}} if org_id else {}
    event["queryStringParameters"] = query
    event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in (query or {}).items())
    if raw_body is not None:
        event["body"] = raw_body
    elif body is not None:
        event["body"] = json.dumps(body)
    return event


pytest_plugins = ["tests.receiver", "tests.observed_answers"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow first, so that the parallel workers (pytest-xdist) finish close together."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
