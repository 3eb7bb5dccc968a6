"""Log listings as the table grows: one page of GET /logs and GET /events/{name}/logs for a date range.

Budget: flat — at 100k entries a page takes at most 1.5x its time at 1k,
and reads the items it returns and no more than one share of the page per key value of the index
ahead (an index key is spread over keys.LISTING_SHARDS key values, merged by time: docs/capacity.md),
whatever the table's size (each size has a table of its own, so which key values the newest entries
are in, and so how much is read ahead, differs from size to size). moto in-process through the logs_api
handler. moto's own Query walks the whole table, so the pages are measured with local/moto_index.py
(a Query reads its page, as on DynamoDB) and again with stock moto, for comparison.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3

from bench.common import ROOT, moto_with_resources, preserved_environment
from bench.run import QUICK, Report, median, sample
from lead_events.logic.dates import iso
from lead_events.store import keys

ORG = "bench-logs"
EVENTS = ("sale", "qualified", "callback")
CAMPAIGNS = ("c1", "c2", "c3", "c4")
STATUSES = ("delivered", "failed", "queued", "delivered", "no_postbacks")
FIRST = datetime(2026, 8, 1, tzinfo=UTC)
PERIOD = 92 * 86400  # entries spread over August-October 2026
STEP = 7919  # a prime: n * STEP mod PERIOD spreads any prefix of the entries over the whole period
QUERY = {"from": "2026-10-01", "to": "2026-10-20", "limit": "50"}
ROUTES = (("GET /logs", "/logs"), ("GET /events/{name}/logs", "/events/sale/logs"))
SIZES = (1_000, 10_000) if QUICK else (1_000, 10_000, 100_000)
REPEATS = 9 if QUICK else 25
STOCK_REPEATS = 5 if QUICK else 9  # 3 at 100k, where a page takes seconds


def _entry(n: int) -> dict[str, Any]:
    """Entry number n, shaped as the trigger path writes it (one delivery, rendered)."""
    created = FIRST + timedelta(seconds=n * STEP % PERIOD, milliseconds=n % 1000)
    event, campaign, status = EVENTS[n % 3], CAMPAIGNS[n % 4], STATUSES[n % 5]
    log_id = f"{int(created.timestamp() * 1000):011x}{n:010x}"
    delivered = status == "delivered"
    return {
        "log_id": log_id,
        "org_id": ORG,
        "event": event,
        "lead_id": f"lead{n % 20_000:05d}",
        "transaction_id": f"CLICK-{n % 20_000}",
        "campaign_id": campaign,
        "source": "inbound",
        "created_at": iso(created),
        "status": status,
        "conversion": event == "sale",
        "fields": {},
        "revenue": Decimal("12.50") if event == "sale" else None,
        "last_status_code": 200 if delivered else None,
        "deliveries": {
            "pb1": {
                "kind": "event",
                "postback_id": "pb1",
                "event": event,
                "method": "GET",
                "url": f"https://network.example/pb?click=CLICK-{n % 20_000}&amount=12.50",
                "headers": {},
                "status": "no_postbacks" if status == "no_postbacks" else status,
                "attempts": 1 if delivered else 0,
                "last_status_code": 200 if delivered else None,
            }
        },
        "expires_at": int(created.timestamp()) + 400 * 86400,
    }


def _fill(table: str, start: int, stop: int) -> float:
    """Write entries start..stop-1 into moto; seconds taken.

    Through the moto backend's put_item (the code BatchWriteItem runs for each item, index upkeep
    included) rather than over botocore: BatchWriteItem took ~10 ms an entry here, 100k in ~17 min.
    Each item's size is measured once (local/moto_items.py, as everywhere the emulator runs).
    """
    from moto.dynamodb.models import dynamodb_backends

    from lead_events.wiring import log_store
    from local.template import ACCOUNT, REGION

    store = log_store()
    backend = dynamodb_backends[ACCOUNT][REGION]
    began = time.perf_counter()
    for n in range(start, stop):
        put = store.entry_put(ORG, {k: v for k, v in _entry(n).items() if v is not None})["Put"]
        backend.put_item(table, put["Item"])
    return time.perf_counter() - began


def _event(path: str, route: str) -> dict[str, Any]:
    event = sample("logs_api", "list_logs")
    event.update(rawPath=path, routeKey=route, rawQueryString="&".join(f"{k}={v}" for k, v in QUERY.items()))
    event["queryStringParameters"] = dict(QUERY)
    event["requestContext"]["http"].update(method="GET", path=path)
    event["requestContext"]["routeKey"] = route
    event["requestContext"]["authorizer"] = {"lambda": {"org_id": ORG, "key_id": "bench"}}
    return event


class QueryMeter:
    """The Queries a request makes and the items they read (ScannedCount), through botocore's hooks."""

    def __init__(self, client: Any) -> None:
        self.queries = self.read = 0
        client.meta.events.register("after-call.dynamodb.Query", self._answer)

    def _answer(self, parsed: dict[str, Any], **_: Any) -> None:
        self.queries += 1
        self.read += int(parsed.get("ScannedCount", 0))

    def reset(self) -> tuple[int, int]:
        counts = self.queries, self.read
        self.queries = self.read = 0
        return counts


@contextmanager
def examined() -> Iterator[list[int]]:
    """How many items moto's Query code looks at, per Query (the whole table, unless narrowed)."""
    from moto.dynamodb.models.table import Table

    counts: list[int] = []
    original = Table.all_items

    def counting(self: Table) -> list[Any]:
        items = original(self)
        counts.append(len(items))
        return items

    Table.all_items = counting  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        Table.all_items = original  # type: ignore[method-assign]


def _page(handler: Any, event: dict[str, Any], meter: QueryMeter, repeats: int) -> dict[str, Any]:
    """Median time of one page, and what the page read and returned."""
    from tests.conftest import lambda_context

    for _ in range(3):  # warm (and, the first time, builds moto's index)
        answer = handler(event, lambda_context())
        assert answer["statusCode"] == 200, answer
    meter.reset()
    with examined() as walked:
        handler(event, lambda_context())
    queries, read = meter.reset()
    times, cpu = [], []
    for _ in range(repeats):
        began, began_cpu = time.perf_counter(), time.process_time()
        handler(event, lambda_context())
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return {
        "ms": median(times),
        "cpu": median(cpu),
        "cpu_min": min(cpu),
        "queries": queries,
        "read": read,
        "examined": sum(walked),
        "body": answer["body"],
    }


def run(report: Report) -> None:
    try:
        _measure(report)
    finally:
        gc.unfreeze()


def _use_table(table: str) -> None:
    """Point the logs handler's stores at `table` (the client, and the meter on it, stay)."""
    from lead_events.config import settings
    from lead_events.wiring import log_listing, log_store

    os.environ["LOGS_TABLE"] = table
    for cached in (settings, log_store, log_listing):
        cached.cache_clear()


def _measure(report: Report) -> None:
    with preserved_environment(), moto_with_resources():
        from logs_api.app import lambda_handler

        from lead_events import aws
        from local.moto_index import stock_queries
        from local.template import load_stack

        meter = QueryMeter(aws.dynamodb())
        indexed: dict[tuple[int, str], dict[str, Any]] = {}
        stock: dict[tuple[int, str], dict[str, Any]] = {}
        # One table per size, side by side, so the sizes can be measured in turns: a burst of other
        # work on a shared machine then slows every size alike instead of whichever ran during it.
        spec = dict(next(t for t in load_stack(ROOT / "template.yaml").tables.values() if "logs" in t["TableName"]))
        spec.pop("_ttl", None)
        tables = {size: f"{spec['TableName']}-{size}" for size in SIZES}
        fills = []
        for size, table in tables.items():
            boto3.client("dynamodb").create_table(**(spec | {"TableName": table}))  # not a functions' operation
            fills.append(f"{size:,} in {_fill(table, 0, size):.1f} s")
        # The tables live in this process's heap, so the cyclic GC's full passes grow with them: an
        # artifact of emulating in-process (a Lambda's heap holds no table). Out of its sight.
        gc.collect()
        gc.freeze()
        events = {route: _event(path, route) for route, path in ROUTES}
        samples: dict[tuple[int, str], list[dict[str, Any]]] = {key: [] for key in itertools.product(SIZES, events)}
        for _ in range(REPEATS):
            for (size, route), taken in samples.items():
                _use_table(tables[size])
                taken.append(_page(lambda_handler, events[route], meter, 1))
        for key, taken in samples.items():
            indexed[key] = {
                **taken[0],
                "ms": median([t["ms"] for t in taken]),
                "cpu": median([t["cpu"] for t in taken]),
                "cpu_min": min(t["cpu"] for t in taken),
            }
        for (size, route), event in ((key, events[key[1]]) for key in samples):
            _use_table(tables[size])
            with stock_queries():
                stock[size, route] = _page(lambda_handler, event, meter, 3 if size > 10_000 else STOCK_REPEATS)
            assert stock[size, route]["body"] == indexed[size, route]["body"], "the index changed a page"

    share = -(-50 // keys.LISTING_SHARDS) + 1  # what the listing reads of each key value at a time (limit 50)
    rows = []
    for (size, route), page in indexed.items():
        returned = len(json.loads(page["body"])["items"])
        ratio = page["cpu"] / indexed[SIZES[0], route]["cpu"]
        ahead = page["read"] - returned
        met = ratio <= 1.5 and 0 <= ahead <= keys.LISTING_SHARDS * share
        rows.append(
            [
                f"{size:,}",
                route,
                page["queries"],
                f"{page['ms']:.0f}",
                f"{page['cpu']:.0f}",
                f"{page['cpu_min']:.0f}",
                f"{ratio:.2f}x",
                page["read"],
                returned,
                f"{page['examined']:,}",
                "met" if met else "NOT met",
            ]
        )
    report.table(
        "Log queries as the table grows (moto with local/moto_index.py)",
        f"One page (limit 50) of `{ROUTES[0][0]}` and `{ROUTES[1][0]}` for {QUERY['from']}..{QUERY['to']} through "
        f"the logs_api handler, in-process; one organization's entries spread over Aug-Oct 2026 (3 events, 4 "
        f"campaigns, 4 statuses), written through moto's put_item ({'; '.join(fills)}). "
        f"Medians of {REPEATS}, the sizes measured in turns (one table per size): wall "
        "time, and this process's CPU time (moto runs in it), which the ratio uses: other work on a shared machine "
        "moves even CPU time by tens of percent (identical calls here took 170-420 ms), so the minimum is shown "
        "too. Items read: the Queries' ScannedCount. Examined: the items moto's Query code looked at. Budget: "
        f"<= 1.5x the 1k time; items read at most returned + {keys.LISTING_SHARDS} x "
        f"{share} (an index key is {keys.LISTING_SHARDS} key values, each read a share of the page at a time, "
        f"plus the key of entries written before there were shards).",
        [
            "entries",
            "route",
            "Queries",
            "ms",
            "CPU ms",
            "CPU ms (min)",
            "x 1k (CPU)",
            "items read",
            "items returned",
            "examined",
            "budget",
        ],
        rows,
    )
    stock_rows = [
        [
            f"{size:,}",
            route,
            f"{page['ms']:.0f}",
            f"{page['cpu']:.0f}",
            f"{page['cpu'] / stock[SIZES[0], route]['cpu']:.2f}x",
            page["read"],
            f"{page['examined']:,}",
        ]
        for (size, route), page in stock.items()
    ]
    report.table(
        "Log queries with stock moto (its Query walks every item of the table)",
        "The same pages, same run, with moto's own Query (local.moto_index.stock_queries); the pages are identical "
        f"to the indexed ones (checked). Median of {STOCK_REPEATS} (3 at 100k). ScannedCount is the page either way: "
        "the cost is moto's walk over the table, not the listing's design.",
        ["entries", "route", "ms", "CPU ms", "x 1k (CPU)", "items read", "examined"],
        stock_rows,
    )
