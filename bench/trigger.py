"""The trigger path, warm: AWS calls per accepted trigger (botocore event hooks, moto in-process).

Budget: at most 2 DynamoDB round trips + 1 SQS call per 10 deliveries; configuration from the
warm cache. Since the outbox, the trigger makes no SQS call at all: its deliveries reach the queue
through the logs table's stream. Also triggers per second through the trigger handler, in-process.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.common import CallCounter, moto_with_resources
from bench.run import QUICK, Report, sample
from local.conflicts import hold_seconds


def _event(body: dict[str, Any], org_id: str) -> dict[str, Any]:
    event = sample("config_api", "list_events")
    event.update(rawPath="/triggers", routeKey="POST /triggers", body=json.dumps(body), rawQueryString="")
    event.pop("queryStringParameters", None)
    event["requestContext"]["http"].update(method="POST", path="/triggers")
    event["requestContext"]["authorizer"] = {"lambda": {"org_id": org_id, "key_id": "bench"}}
    return event


def run(report: Report) -> None:
    with moto_with_resources():
        from config_api.app import lambda_handler as config_handler  # noqa: F401 - warms shared imports
        from trigger_api.app import lambda_handler

        from lead_events import aws
        from lead_events.logic.leads import register_lead
        from lead_events.logic.orgs import create_organization
        from lead_events.logic.postbacks import create_postback
        from lead_events.models.events import EventCreate
        from lead_events.models.leads import LeadCreate
        from lead_events.models.postbacks import PostbackCreate
        from lead_events.wiring import event_store, lead_store, org_store, postback_store
        from tests.conftest import lambda_context

        org = create_organization(org_store(), "bench", "http://127.0.0.1").org_id
        rows = []
        for deliveries in (1, 10, 20):
            name = f"sale_{deliveries}"
            event_store().create(org, EventCreate(name=name, conversion=True, multi_trigger=True))
            for n in range(deliveries):
                create_postback(
                    postback_store(),
                    org,
                    name,
                    PostbackCreate(url=f"https://receiver.example/{n}?t={{transaction_id}}"),
                    set(),
                )
            lead = register_lead(lead_store(), org, LeadCreate(campaign_id="c1"))
            counter = CallCounter(aws.dynamodb(), aws.sqs())
            body = {"event": name, "transaction_id": lead.transaction_id}
            assert lambda_handler(_event(body, org), lambda_context())["statusCode"] == 202  # warms the cache
            counter.reset()
            answer = lambda_handler(_event(body, org), lambda_context())
            assert answer["statusCode"] == 202, answer
            calls = counter.reset()
            dynamo = [c for c in calls if c.startswith("dynamodb")]
            sqs = [c for c in calls if c.startswith("sqs")]
            budget = len(dynamo) <= 2 and len(sqs) <= -(-deliveries // 10)
            rows.append(
                [
                    deliveries,
                    len(dynamo),
                    len(sqs),
                    ", ".join(c.split(":")[1] for c in calls),
                    "met" if budget else "NOT met",
                ]
            )

        count = 50 if QUICK else 200
        lead = register_lead(lead_store(), org, LeadCreate(campaign_id="c1"))
        events = [_event({"event": "sale_1", "transaction_id": lead.transaction_id}, org) for _ in range(count)]
        started = time.perf_counter()
        for event in events:
            lambda_handler(event, lambda_context())
        rate = count / (time.perf_counter() - started)
    report.table(
        "Trigger path (warm)",
        "AWS calls for one accepted trigger, counted with botocore's event hooks. Budget: <= 2 DynamoDB round "
        "trips + 1 SQS call per 10 deliveries (the deliveries reach the queue through the logs table's stream and "
        f"the outbox function, not from the request path). Throughput: {rate:.0f} triggers/s through the handler "
        f"in-process ({count} triggers, one delivery each, one at a time, moto in-process; each trigger's "
        f"transaction is held {hold_seconds() * 1000:.0f} ms by the emulator, as a transaction in flight on "
        "DynamoDB is: local/conflicts.py).",
        ["deliveries", "DynamoDB calls", "SQS calls", "calls", "budget"],
        rows,
    )
