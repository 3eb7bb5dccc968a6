"""The dispatcher: a batch's deliveries run concurrently on one pooled session.

A batch of 10 deliveries to a local receiver that answers after 200 ms. Budget: <= 1.5x one
request's time, with connections reused across batches. Then 1,000 deliveries through the
dispatcher handler (batches of the template's BatchSize, one after the other, as one Lambda
container takes them; at most POOL_SIZE requests at a time) against a raw `requests` loop of
POOL_SIZE threads on the same receiver. Budget: >= 0.8x its throughput. DynamoDB and SQS are the
emulator in a process of its own (bench/emulator.py), so its work is not on the dispatcher's interpreter.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from bench.common import ROOT
from bench.emulator import emulator_process
from bench.receiver import Receiver
from bench.run import QUICK, Report, median

DELAY = 0.2


def _records(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "messageId": f"m{i}",
            "receiptHandle": "r",
            "body": json.dumps(m),
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
            "awsRegion": "us-east-1",
        }
        for i, m in enumerate(messages)
    ]


def run(report: Report) -> None:
    receiver = Receiver(DELAY)
    try:
        _run(report, receiver)
    finally:
        receiver.stop()


def _run(report: Report, receiver: Receiver) -> None:
    with emulator_process():
        from dispatcher.app import lambda_handler

        from lead_events.logic.leads import register_lead
        from lead_events.logic.orgs import create_organization
        from lead_events.logic.postbacks import create_postback
        from lead_events.logic.triggers import TriggerRequest
        from lead_events.models.events import EventCreate
        from lead_events.models.leads import LeadCreate
        from lead_events.models.postbacks import PostbackCreate
        from lead_events.models.triggers import Source
        from lead_events.wiring import (
            event_store,
            lead_store,
            log_store,
            org_store,
            postback_store,
            trigger_service,
        )
        from tests.conftest import lambda_context

        org = create_organization(org_store(), "bench", "http://127.0.0.1").org_id
        event_store().create(org, EventCreate(name="sale", multi_trigger=True))
        for n in range(10):
            create_postback(postback_store(), org, "sale", PostbackCreate(url=f"{receiver.url}/{n}"), set())
        lead = register_lead(lead_store(), org, LeadCreate(campaign_id="c1"))

        def batch() -> list[dict[str, Any]]:
            accepted = trigger_service().trigger(
                org, TriggerRequest(event="sale", source=Source.API, lead_id=lead.lead_id)
            )
            entry = log_store().get_entry(org, accepted.log_id)
            return [
                {"org_id": org, "log_id": accepted.log_id, "delivery_id": d, "attempt": 1} for d in entry.deliveries
            ]

        times = []
        for _ in range(3 if QUICK else 7):
            records = _records(batch())
            started = time.perf_counter()
            answer = lambda_handler({"Records": records}, lambda_context("dispatcher"))
            times.append(time.perf_counter() - started)
            assert answer == {"batchItemFailures": []}, answer
        batches = len(times)
        connections = receiver.stats()["connections"]

        # Throughput: the dispatcher handler vs a raw requests loop, both POOL_SIZE at a time, same receiver.
        from lead_events.http.client import POOL_SIZE
        from local.template import load_stack

        [source] = [s for s in load_stack(ROOT / "template.yaml").queue_sources if s.function == "DispatcherFunction"]
        rounds = 20 if QUICK else 100
        pending = [m for _ in range(rounds) for m in batch()]
        started = time.perf_counter()
        for first in range(0, len(pending), source.batch_size):
            records = _records(pending[first : first + source.batch_size])
            answer = lambda_handler({"Records": records}, lambda_context("dispatcher"))
            assert answer == {"batchItemFailures": []}, answer
        dispatcher_rate = len(pending) / (time.perf_counter() - started)
        session = requests.Session()
        session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=POOL_SIZE, pool_maxsize=POOL_SIZE))
        urls = [f"{receiver.url}/{n}" for n in range(10)] * rounds
        started = time.perf_counter()
        with ThreadPoolExecutor(POOL_SIZE) as pool:
            list(pool.map(lambda url: session.get(url, timeout=10), urls))
        raw_rate = len(urls) / (time.perf_counter() - started)
        # The baseline: one request to the same receiver on a warm connection, in this run.
        singles = []
        for _ in range(7):
            started = time.perf_counter()
            session.get(f"{receiver.url}/one", timeout=10)
            singles.append(time.perf_counter() - started)

    batch_ms = median(times) * 1000
    one_ms = median(singles) * 1000
    throughput = dispatcher_rate / raw_rate
    ratio = batch_ms / one_ms
    report.table(
        "Dispatcher",
        f"A batch of 10 deliveries, receiver (its own process) answering after {DELAY * 1000:.0f} ms (median of "
        f"{batches} batches; the emulator in a process of its own, as DynamoDB is a service of its own); one "
        f"request to it takes {one_ms:.0f} ms. "
        f"Budget: <= 1.5x one request: {ratio:.2f}x "
        f"{'met' if ratio <= 1.5 else 'NOT met'}. {connections} connections served all {batches * 10} requests "
        f"(pooled, reused across batches). Throughput over {rounds * 10} deliveries (triggers of 10 postbacks) in "
        f"batches of {source.batch_size} (the template's BatchSize), at most {POOL_SIZE} requests at a time: "
        f"dispatcher {dispatcher_rate:.1f}/s vs raw requests loop {raw_rate:.1f}/s at the same concurrency = "
        f"{throughput:.2f}x (budget >= 0.8x: {'met' if throughput >= 0.8 else 'NOT met'}).",
        [
            "batch ms (median)",
            "one request ms",
            "x one request",
            "connections",
            "dispatcher deliveries/s",
            "raw loop deliveries/s",
            "x raw loop",
        ],
        [
            [
                f"{batch_ms:.0f}",
                f"{one_ms:.0f}",
                f"{ratio:.2f}",
                connections,
                f"{dispatcher_rate:.1f}",
                f"{raw_rate:.1f}",
                f"{throughput:.2f}",
            ]
        ],
    )
