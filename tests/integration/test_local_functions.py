"""The local stack runs functions like Lambda: concurrent invocations never see each other's request."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from werkzeug.test import Client

from lead_events.aws import dynamodb
from local.gateway import Gateway
from local.lambdas import FunctionPool
from local.template import Function
from tests.conftest import template_stack
from tests.integration.conftest import Org, make_org


def _bearer(org: Org) -> dict[str, str]:
    return {"Authorization": f"Bearer {org.created.api_key}"}


def test_a_request_served_while_another_is_in_flight_leaves_the_other_its_own_request(aws: None) -> None:
    stack = template_stack()
    gateway = Client(Gateway(stack, {name: FunctionPool(function) for name, function in stack.functions.items()}))
    seller, other = make_org("Seller"), make_org("Other")
    assert seller.config("POST", "/events", body={"name": "sale", "conversion": True})[0] == 201
    assert seller.triggers("POST", "/leads", body={"campaign_id": "c1", "lead_id": "L-1"})[0] == 201

    # The seller's trigger waits in its DynamoDB write while the other organization's request is served.
    paused, resume = threading.Event(), threading.Event()

    def hold(**_: Any) -> None:
        if threading.current_thread().name.startswith("seller/"):  # the invocation runs on a thread of its own
            paused.set()
            resume.wait(10)

    dynamodb().meta.events.register("before-call.dynamodb.TransactWriteItems", hold)
    answers: dict[str, Any] = {}

    def trigger() -> None:
        answers["seller"] = gateway.post("/leads/L-1/events", json={"event": "sale"}, headers=_bearer(seller))

    thread = threading.Thread(target=trigger, name="seller")
    thread.start()
    try:
        assert paused.wait(10)
        listed = gateway.get("/events", headers=_bearer(other))
    finally:
        resume.set()
        thread.join(10)

    assert listed.status_code == 200 and listed.json["items"] == []
    accepted = answers["seller"]
    assert accepted.status_code == 202, accepted.text
    assert accepted.json["lead_id"] == "L-1" and accepted.json["event"] == "sale"


def test_a_function_with_reserved_concurrency_runs_at_most_that_many_instances_at_once(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import time\n\ndef handler(event, context):\n    time.sleep(0.3)\n")
    pool = FunctionPool(Function("Capped", "capped", tmp_path, "app.handler", {}, 5, 128, reserved_concurrency=2))
    invocations = [threading.Thread(target=pool.invoke, args=({},)) for _ in range(4)]
    for invocation in invocations:
        invocation.start()
    for invocation in invocations:
        invocation.join(10)

    assert len(pool._idle) == 2  # the other two invocations waited for an instance instead of starting one
