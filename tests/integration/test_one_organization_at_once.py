"""Many clients of one organization at once, on an emulator with DynamoDB's transaction conflicts.

Every lead registration and every trigger of an organization counts in its day's report counters;
on DynamoDB two transactions in flight on one item conflict (local/conflicts.py). The clients here
overlap all the time: every request must still be answered as if it were alone (201 / 202, never a
5xx or a conflict), and the counters must be exact.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from werkzeug.test import Client

from lead_events import aws
from local.conflicts import HOLD_VARIABLE
from local.gateway import Gateway
from local.lambdas import FunctionPool
from tests.clock import set_clock
from tests.conftest import http_event, lambda_context, template_stack
from tests.integration.conftest import Org, make_org

CLIENTS = 8
LEADS_EACH = 4


@pytest.fixture
def gateway(aws: None, monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.setenv(HOLD_VARIABLE, "25")
    stack = template_stack()
    return Client(Gateway(stack, {name: FunctionPool(f, max_instances=CLIENTS) for name, f in stack.functions.items()}))


def test_clients_of_one_organization_registering_and_triggering_at_once_all_succeed_and_count_exactly(
    gateway: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_clock(monkeypatch, datetime(2026, 10, 1, 12, tzinfo=UTC))
    org = make_org("Busy")
    auth = {"Authorization": f"Bearer {org.created.api_key}"}
    assert org.config("POST", "/events", body={"name": "sale", "conversion": True})[0] == 201
    start = threading.Barrier(CLIENTS)

    def client(number: int) -> list[tuple[str, int, Any]]:
        answers = []
        start.wait()
        for n in range(LEADS_EACH):
            lead = f"L-{number}-{n}"
            registered = gateway.post("/leads", json={"lead_id": lead, "campaign_id": f"c{number % 2}"}, headers=auth)
            answers.append(("lead", registered.status_code, registered.json))
            fired = gateway.post("/triggers", json={"event": "sale", "lead_id": lead, "revenue": "1.50"}, headers=auth)
            answers.append(("trigger", fired.status_code, fired.json))
        return answers

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [a for batch in pool.map(client, range(CLIENTS)) for a in batch]

    assert [a for a in answers if a[1] not in (201, 202)] == []
    assert sorted({(kind, status) for kind, status, _ in answers}) == [("lead", 201), ("trigger", 202)]
    report = gateway.get("/reports/conversions?from=2026-10-01&to=2026-10-01&group_by=campaign", headers=auth)
    assert report.status_code == 200, report.text
    total = CLIENTS * LEADS_EACH
    assert report.json["totals"] == {
        "events": total,
        "conversions": total,
        "revenue": f"{total * 1.5:.2f}",
        "leads": total,
        "converted_leads": total,
        "conversion_rate": "1.0000",
    }
    by_campaign = {row["campaign_id"]: (row["leads"], row["events"]) for row in report.json["rows"]}
    assert by_campaign == {"c0": (total // 2, total // 2), "c1": (total // 2, total // 2)}


def test_a_trigger_dynamodb_throttles_past_the_sdks_retries_is_503_with_retry_after_and_stores_nothing(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    client = aws.dynamodb()

    def throttled(**_: Any) -> None:
        error = {"Code": "ThrottlingException", "Message": "Throughput exceeds the current capacity"}
        raise ClientError({"Error": error}, "TransactWriteItems")

    monkeypatch.setattr(client, "transact_write_items", throttled)
    event = http_event("POST", "/triggers", body={"event": "sale", "lead_id": "L1"}, org_id=org.org_id)
    from trigger_api.app import lambda_handler

    answer = lambda_handler(event, lambda_context())

    assert answer["statusCode"] == 503
    assert answer["headers"]["Retry-After"] == "1"
    assert "nothing was changed" in json.loads(answer["body"])["message"]
    monkeypatch.undo()
    assert org.logs("GET", "/logs")[1]["items"] == []


def test_one_lead_triggered_by_many_clients_at_once_is_accepted_once_the_rest_are_409(
    gateway: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = make_org("Busy")
    auth = {"Authorization": f"Bearer {org.created.api_key}"}
    org.config("POST", "/events", body={"name": "sale"})  # fires once per lead
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    start = threading.Barrier(CLIENTS)

    def trigger(_: int) -> tuple[int, str]:
        start.wait()
        answer = gateway.post("/triggers", json={"event": "sale", "lead_id": "L1"}, headers=auth)
        return answer.status_code, answer.json.get("message", "")

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(trigger, range(CLIENTS)))

    assert sorted(status for status, _ in answers) == [202] + [409] * (CLIENTS - 1)
    assert [m for s, m in answers if s == 409 and "already" not in m] == []
    assert len(org.logs("GET", "/logs")[1]["items"]) == 1


def test_one_lead_converting_through_many_clients_at_once_is_one_converted_lead(
    gateway: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_clock(monkeypatch, datetime(2026, 10, 1, 12, tzinfo=UTC))
    org = make_org("Busy")
    auth = {"Authorization": f"Bearer {org.created.api_key}"}
    org.config("POST", "/events", body={"name": "sale", "conversion": True, "multi_trigger": True})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    start = threading.Barrier(CLIENTS)

    def trigger(_: int) -> int:
        start.wait()
        return int(gateway.post("/triggers", json={"event": "sale", "lead_id": "L1"}, headers=auth).status_code)

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(trigger, range(CLIENTS)))

    assert answers == [202] * CLIENTS
    report = gateway.get("/reports/conversions?from=2026-10-01&to=2026-10-01", headers=auth).json
    [row] = report["rows"]
    assert (row["conversions"], row["leads"], row["converted_leads"], row["conversion_rate"]) == (
        CLIENTS,
        1,
        1,
        "1.0000",
    )
