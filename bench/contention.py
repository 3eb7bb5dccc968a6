"""One organization's clients at once, on the local stack with DynamoDB's transaction conflicts.

CLIENTS workers, each with its own pooled session, register a lead and trigger an event for it,
again and again, for DURATION seconds, all for one organization (so every request's transaction
adds to the same day's report counters). The emulator holds a transaction's items while it is in
flight (`LOCAL_TRANSACTION_MS`, local/conflicts.py) and refuses what meets them, as DynamoDB does.
Then: every answer's status, every accepted trigger's postback at the receiver, and the day's
report against what was accepted.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.e2e import Arrivals, _errors, _p50_p95, _stop_stack
from bench.run import QUICK, Report
from local.conflicts import DEFAULT_HOLD_MS, HOLD_VARIABLE
from tests.e2e.conftest import start_local_stack

CLIENTS = 20
DURATION = 15.0 if QUICK else 60.0
DELIVERY_WAIT = 300.0  # seconds the accepted triggers' postbacks may take to arrive after the run
CAMPAIGNS = 4


def run(report: Report) -> None:
    receiver = Arrivals()
    answers: list[tuple[str, int, float]] = []  # route, status, seconds
    accepted: list[str] = []  # transaction ids of accepted triggers
    lock = threading.Lock()
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_local_stack(Path(tmp))
        try:
            assert stack.request("POST", "/events", json={"name": "sale", "conversion": True}).status_code == 201
            postback = {"url": receiver.url + "/pb?click={transaction_id}"}
            assert stack.request("POST", "/events/sale/postbacks", json=postback).status_code == 201
            headers = {"Authorization": f"Bearer {stack.api_key}"}
            day = time.strftime("%Y-%m-%d", time.gmtime())
            end = time.monotonic() + DURATION

            def client(number: int) -> None:
                session = requests.Session()
                n = 0
                while time.monotonic() < end:
                    click = f"C{number:02d}-{n:05d}"
                    n += 1
                    for route, path, body in (
                        ("POST /leads", "/leads", {"campaign_id": f"c{number % CAMPAIGNS}", "transaction_id": click}),
                        ("POST /triggers", "/triggers", {"event": "sale", "transaction_id": click, "revenue": "2"}),
                    ):
                        sent = time.perf_counter()
                        answer = session.post(stack.api_url + path, json=body, headers=headers, timeout=60)
                        with lock:
                            answers.append((route, answer.status_code, time.perf_counter() - sent))
                            if route == "POST /triggers" and answer.status_code == 202:
                                accepted.append(click)
                        if answer.status_code != 201 and route == "POST /leads":
                            break

            started = time.monotonic()
            with ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(client, range(CLIENTS)))
            elapsed = time.monotonic() - started
            receiver.expected = len(accepted)
            receiver.done.wait(DELIVERY_WAIT)
            drained = time.monotonic() - started
            arrived = sum(1 for click in accepted if click in receiver.at)
            last_day = time.strftime("%Y-%m-%d", time.gmtime())  # a run across midnight counts in two days
            totals = stack.request(
                "GET", "/reports/conversions", params={"from": day, "to": last_day, "group_by": "campaign"}
            ).json()["totals"]
        finally:
            _stop_stack(stack)
            receiver.close()
            errors = _errors(stack.log)

    leads_ok = sum(1 for route, status, _ in answers if route == "POST /leads" and status == 201)
    counted = f"{totals['leads']} leads, {totals['events']} events, revenue {totals['revenue']}"
    expected = f"{leads_ok} leads, {len(accepted)} events, revenue {2 * len(accepted):.2f}"
    rows = []
    for route in ("POST /leads", "POST /triggers"):
        mine = [a for a in answers if a[0] == route]
        statuses = Counter(status for _, status, _ in mine)
        rows.append(
            [
                route,
                len(mine),
                f"{len(mine) / elapsed:.1f}",
                ", ".join(f"{n} x {code}" for code, n in sorted(statuses.items())),
                sum(n for code, n in statuses.items() if code >= 500),
                *_p50_p95([seconds for _, _, seconds in mine]),
            ]
        )
    hold = f"{DEFAULT_HOLD_MS:g} ms (the default of `{HOLD_VARIABLE}`)"
    report.table(
        f"One organization, {CLIENTS} clients at once for {DURATION:.0f} s (conflicts as DynamoDB's)",
        f"{CLIENTS} workers, each on its own pooled session, register a lead (campaigns c0-c{CAMPAIGNS - 1}) and "
        f"trigger `sale` for it, over and over, for {DURATION:.0f} s ({elapsed:.1f} s with the last answers), all "
        f"for one organization, against `python -m local`; a transaction holds its items for {hold} and the "
        "emulator refuses what meets them as DynamoDB does. Every accepted trigger's postback arrived: "
        f"{arrived} of {len(accepted)} ({drained:.0f} s after the start). The run's days' report counted {counted}; "
        f"accepted: {expected}. Errors in the stack's log: {errors or 'none'}. The stack is one Python process "
        "with every DynamoDB request serialized: the rates are the emulator's, not DynamoDB's (docs/capacity.md).",
        ["route", "requests", "per s", "answers", "5xx", "p50 ms", "p95 ms"],
        rows,
    )
