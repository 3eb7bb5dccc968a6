"""The local stack's log lines carry the function and request id of the invocation that wrote them."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lead_events.observability import logger
from local.lambdas import FunctionPool
from local.template import Function
from tests.conftest import template_stack
from tests.integration.conftest import sqs_record

# Both invocations append their keys, then both log: whichever appended last would be on every line
# if the keys were shared.
HANDLER = """
from lead_events.observability import logger


@logger.inject_lambda_context
def lambda_handler(event, context):
    event["barrier"].wait(10)
    logger.info("working")
    event["barrier"].wait(10)
    logger.info("done")
    return context.aws_request_id
"""


LogLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """What the shared Powertools logger has written since the test began, one dict a line."""
    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.registered_handler.setStream(previous)


def _pool(tmp_path: Path, logical_id: str) -> FunctionPool:
    code = tmp_path / logical_id
    code.mkdir()
    (code / "app.py").write_text(HANDLER)
    return FunctionPool(Function(logical_id, f"lead-events-{logical_id}", code, "app.lambda_handler", {}, 10, 128))


def test_two_functions_logging_at_once_each_log_their_own_name_and_request_id(
    tmp_path: Path, log_lines: LogLines
) -> None:
    pools = [_pool(tmp_path, "FirstFunction"), _pool(tmp_path, "SecondFunction")]
    barrier = threading.Barrier(2)
    request_ids: dict[str, str] = {}

    def invoke(pool: FunctionPool) -> None:
        request_ids[pool.function.name] = pool.invoke({"barrier": barrier})

    threads = [threading.Thread(target=invoke, args=(pool,)) for pool in pools]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    captured = log_lines()
    assert sorted(request_ids) == ["lead-events-FirstFunction", "lead-events-SecondFunction"]
    for name, request_id in request_ids.items():
        mine = [line for line in captured if line["function_request_id"] == request_id]
        assert [line["message"] for line in mine] == ["working", "done"]
        assert {line["function_name"] for line in mine} == {name}
        assert {line["cold_start"] for line in mine} == {True}  # each instance's first invocation
    assert len(captured) == 4

    # The first function's instance again, warm now
    again = pools[0].invoke({"barrier": threading.Barrier(1)})
    warm = [line for line in log_lines() if line["function_request_id"] == again]
    assert [(line["function_name"], line["cold_start"]) for line in warm] == [("lead-events-FirstFunction", False)] * 2


def test_the_dispatchers_delivery_threads_log_with_the_dispatchers_invocation(
    aws: None, deploy: Any, log_lines: LogLines
) -> None:
    # A logs table that is not there: the claim fails in the entry's thread, which logs it.
    deploy(LOGS_TABLE="no-such-table")
    stack = template_stack()
    pool = FunctionPool(stack.functions["DispatcherFunction"])
    message = {"org_id": "org-sample", "log_id": "1a2197482a90a194967c3", "delivery_id": "70db40688857", "attempt": 1}

    answer = pool.invoke({"Records": [sqs_record(json.dumps(message))]})

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    captured = log_lines()
    messages = [line["message"] for line in captured]
    assert "Could not claim a delivery" in messages and "Batch handled" in messages
    assert {line.get("function_name") for line in captured} == {pool.function.name}
    [request_id] = {line.get("function_request_id") for line in captured}
    assert request_id
