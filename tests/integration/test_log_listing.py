"""Log listings: every filter combination is read from its own index (one Query per key value of it), and
costs the same at 10x size."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.dynamodb.models import dynamodb_backends

from lead_events import aws
from lead_events.logic.dates import iso
from lead_events.store import keys
from lead_events.wiring import log_store
from local.template import ACCOUNT, REGION
from tests.clock import MONTH_EDGES, packed_before, set_clock
from tests.integration.conftest import Org, dispatch, drain_queue
from tests.receiver import Receiver

EVENTS = ("sale", "qualified", "callback")
CAMPAIGNS = ("c1", "c2", "c3", "c4")
STATUSES = ("delivered", "failed", "queued", "no_postbacks")


def _entries(
    org_id: str, count: int, start: int, now: datetime, step: timedelta = timedelta(seconds=1)
) -> Iterator[dict[str, Any]]:
    for n in range(start, start + count):
        created = now - n * step
        yield {
            "log_id": f"{n:011x}aa",
            "org_id": org_id,
            "event": EVENTS[n % 3],
            "lead_id": f"{'L' if n < 1000 else 'X'}{n % 500}",  # the first thousand's leads get no more entries
            "transaction_id": f"T{n}",
            "campaign_id": CAMPAIGNS[n % 4],
            "source": "api",
            "created_at": iso(created),
            "status": STATUSES[n % 4],
            "conversion": True,
            "fields": {},
            "deliveries": {},
        }


def _fill(org_id: str, count: int, start: int, now: datetime, step: timedelta = timedelta(seconds=1)) -> None:
    """`count` entries, the n-th (from `start`) made `n` steps before `now`."""
    store = log_store()
    # Straight into moto's table (the code a BatchWriteItem ends in, its indexes and stream included),
    # without a request's serializing and parsing: thousands of entries are only this test's set-up.
    backend = dynamodb_backends[ACCOUNT][REGION]
    for entry in _entries(org_id, count, start, now, step):
        backend.put_item(store.table, store.entry_put(org_id, entry)["Put"]["Item"])


class Meter:
    """Counts the DynamoDB operations a request makes, and the items they read."""

    def __init__(self) -> None:
        self.operations: list[str] = []
        self.read = 0
        client = aws.dynamodb()
        client.meta.events.register("before-call.dynamodb.*", self._call)
        client.meta.events.register("after-call.dynamodb.*", self._answer)

    def _call(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)

    def _answer(self, parsed: dict[str, Any], **_: Any) -> None:
        self.read += int(parsed.get("ScannedCount", 0))

    def measure(self, call: Any) -> tuple[Any, list[str], int]:
        self.operations, self.read = [], 0
        result = call()
        return result, self.operations, self.read


FILTERS = [
    {},
    {"event": "sale"},
    {"campaign_id": "c2"},
    {"status": "failed"},
    {"event": "sale", "campaign_id": "c1"},
    {"event": "qualified", "status": "delivered"},
    {"campaign_id": "c3", "status": "queued"},
    {"event": "callback", "campaign_id": "c2", "status": "failed"},
    {"lead_id": "L7"},
    {"lead_id": "L7", "status": "failed"},
]


def _share(limit: int) -> int:
    return -(-limit // keys.LISTING_SHARDS) + 1


def _assert_queries(operations: list[str], filters: dict[str, str]) -> None:
    """A lead's listing is one Query; any other, one per key value of its index (the shards, and the key
    entries had before there were shards), and a second one of those it needed more of."""
    assert set(operations) == {"Query"}, filters
    if "lead_id" in filters:
        assert len(operations) == 1, filters
    else:
        assert keys.LISTING_SHARDS + 1 <= len(operations) <= 2 * (keys.LISTING_SHARDS + 1), filters


@pytest.mark.slow
def test_every_filter_is_one_query_per_index_key_and_a_page_costs_the_same_at_1k_and_10k_entries(org: Org) -> None:
    # Every entry in the past and in the current month (the listing's first Query is the newest month's),
    # whatever the day: test_on_every_day_of_a_month_a_listing_is_one_query runs the same on the edges.
    now, step = packed_before(datetime.now(UTC), 10_000)
    meter = Meter()
    _fill(org.org_id, 1_000, 0, now, step)
    small = {}
    for filters in FILTERS:
        (status, page), operations, read = meter.measure(
            lambda f=filters: org.logs("GET", "/logs", query={**f, "limit": "20"})
        )
        assert status == 200, page
        _assert_queries(operations, filters)
        small[str(filters)] = (len(page["items"]), read)
        for item in page["items"]:
            for name, value in filters.items():
                assert item[name] == value

    _fill(org.org_id, 9_000, 1_000, now, step)
    _fill("org-noise", 2_000, 0, now, step)
    for filters in FILTERS:
        (_, page), operations, read = meter.measure(
            lambda f=filters: org.logs("GET", "/logs", query={**f, "limit": "20"})
        )
        _assert_queries(operations, filters)
        returned, read_before = small[str(filters)]
        assert len(page["items"]) == returned
        if "lead_id" not in filters:
            # the page, plus at most one share of it per key value read ahead
            assert read == read_before <= returned + keys.LISTING_SHARDS * _share(20), filters
        else:
            assert read == read_before <= 2  # the lead's own entries, whatever the table's size


@pytest.mark.parametrize("clock", MONTH_EDGES.values(), ids=MONTH_EDGES)
def test_on_every_day_of_a_month_a_listing_reads_its_index_keys_and_nothing_else(
    org: Org, monkeypatch: pytest.MonkeyPatch, clock: datetime
) -> None:
    set_clock(monkeypatch, clock)
    now, step = packed_before(clock, 300)
    _fill(org.org_id, 300, 0, now, step)
    meter = Meter()
    for filters in FILTERS:
        (status, page), operations, _ = meter.measure(
            lambda f=filters: org.logs("GET", "/logs", query={**f, "limit": "20"})
        )
        assert status == 200, page
        _assert_queries(operations, filters)
        matching = [e for e in _entries(org.org_id, 300, 0, now, step) if all(e[k] == v for k, v in filters.items())]
        assert [item["log_id"] for item in page["items"]] == [e["log_id"] for e in matching[:20]], filters


def test_pages_are_newest_first_without_duplicates_or_gaps(org: Org) -> None:
    now = datetime.now(UTC) - timedelta(hours=1)
    _fill(org.org_id, 45, 0, now)
    seen, cursor = [], None
    while True:
        _, page = org.logs("GET", "/logs", query={"limit": "10"} | ({"cursor": cursor} if cursor else {}))
        seen += [item["created_at"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert len(seen) == 45 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


def test_date_ranges_bound_the_listing_and_a_date_includes_its_whole_day(org: Org) -> None:
    base = datetime(2026, 10, 10, 23, 59, 30, tzinfo=UTC)
    _fill(org.org_id, 120, 0, base)  # one entry a second back from 23:59:30
    _, page = org.logs("GET", "/logs", query={"from": "2026-10-10", "to": "2026-10-10", "limit": "200"})
    assert len(page["items"]) == 120
    _, page = org.logs(
        "GET", "/logs", query={"from": "2026-10-10T23:59:00Z", "to": "2026-10-10T23:59:09Z", "limit": "200"}
    )
    assert [item["created_at"][-7:] for item in page["items"]] == [f"{s:02d}.000Z" for s in range(9, -1, -1)]
    assert org.logs("GET", "/logs", query={"from": "2026-10-11", "to": "2026-10-12"})[1]["items"] == []


def test_event_logs_are_view_logs_for_one_event(org: Org) -> None:
    _fill(org.org_id, 30, 0, datetime.now(UTC) - timedelta(minutes=5))
    _, page = org.logs("GET", "/events/sale/logs", query={"limit": "200"})
    assert len(page["items"]) == 10
    assert {item["event"] for item in page["items"]} == {"sale"}
    assert set(page["items"][0]) >= {
        "created_at",
        "lead_id",
        "transaction_id",
        "campaign_id",
        "status",
        "response_code",
    }


def test_another_organizations_entries_and_cursors_are_never_seen(org: Org) -> None:
    _fill("org-other", 30, 0, datetime.now(UTC) - timedelta(minutes=5))
    assert org.logs("GET", "/logs")[1]["items"] == []
    _, theirs = org.logs("GET", "/logs", org_id="org-other", query={"limit": "5"})
    assert len(theirs["items"]) == 5
    status, page = org.logs("GET", "/logs", query={"cursor": theirs["next_cursor"]})
    assert status == 200 and page["items"] == []  # their cursor walks our (empty) partition only


def test_entries_written_before_the_index_keys_had_shards_are_listed_in_order_with_the_rest(org: Org) -> None:
    now = datetime(2026, 10, 10, 12, tzinfo=UTC)
    store = log_store()
    entries = list(_entries(org.org_id, 30, 0, now))
    for n, entry in enumerate(entries):
        item = store.entry_put(org.org_id, entry)["Put"]["Item"]
        if n % 3 == 0:  # as an earlier version wrote it: every listing key without its shard
            for _, name in keys.LOG_INDEXES.values():
                item[name]["S"] = item[name]["S"].rsplit("#P", 1)[0]
        boto3.client("dynamodb").put_item(TableName=store.table, Item=item)
    seen, cursor = [], None
    while True:
        query = {"from": "2026-10-01", "to": "2026-10-10", "limit": "7"} | ({"cursor": cursor} if cursor else {})
        _, page = org.logs("GET", "/logs", query=query)
        seen += [item["log_id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break

    assert seen == [e["log_id"] for e in entries]  # newest first, each once


def test_a_cursor_from_a_later_range_on_an_earlier_one_is_an_empty_page(org: Org) -> None:
    _fill(org.org_id, 30, 0, datetime(2026, 10, 20, 12, tzinfo=UTC))
    _, page = org.logs("GET", "/logs", query={"from": "2026-10-01", "to": "2026-10-20", "limit": "5"})

    status, later = org.logs(
        "GET", "/logs", query={"from": "2026-10-01", "to": "2026-10-15", "cursor": page["next_cursor"]}
    )

    assert status == 200, later
    assert later["items"] == []


def _row(org: Org, **query: str) -> dict[str, Any]:
    status, page = org.logs("GET", "/logs", query=query)
    assert status == 200, page
    [row] = page["items"]
    return row


def _deliveries(row: dict[str, Any], paths: dict[str, str]) -> dict[str, tuple[str, int | None]]:
    """Each listed delivery's (status, response code), by its postback's path (`paths`: by postback id)."""
    return {paths[d["postback_id"]]: (d["status"], d["response_code"]) for d in row["deliveries"]}


def _two_postbacks(org: Org, receiver: Receiver) -> dict[str, str]:
    """Event `sale` with postbacks to /ok and /down, and lead L1: the postbacks' paths by their ids."""
    org.config("POST", "/events", body={"name": "sale"})
    paths = {}
    for path in ("/ok", "/down"):
        _, postback = org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + path})
        paths[postback["id"]] = path
    org.triggers("POST", "/leads", body={"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c1"})
    return paths


def test_a_row_shows_how_many_deliveries_got_through_and_the_latest_code_of_each(org: Org, receiver: Receiver) -> None:
    paths = _two_postbacks(org, receiver)
    receiver.answer("/down", 500)
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1", "revenue": 12.5})
    row = _row(org)
    assert (row["status"], row["delivery_count"], row["delivered_count"]) == ("queued", 2, 0)
    assert _deliveries(row, paths) == {"/ok": ("queued", None), "/down": ("queued", None)}

    dispatch(drain_queue())

    row = _row(org)
    assert (row["status"], row["delivery_count"], row["delivered_count"]) == ("retrying", 2, 1)
    assert _deliveries(row, paths) == {"/ok": ("delivered", 200), "/down": ("retrying", 500)}
    assert {d["id"] for d in row["deliveries"]} == {f"{accepted['log_id']}_{pb}" for pb in paths}
    assert (row["source"], row["revenue"]) == ("api", "12.5")
    assert _row(org, status="retrying") == row  # another index projects the same


def test_a_redelivered_delivery_is_listed_as_queued_again_and_then_delivered(org: Org, receiver: Receiver) -> None:
    paths = _two_postbacks(org, receiver)
    receiver.answer("/down", 400)  # final: the delivery fails at once
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())
    row = _row(org)
    assert (row["status"], row["delivered_count"]) == ("failed", 1)
    assert _deliveries(row, paths) == {"/ok": ("delivered", 200), "/down": ("failed", 400)}
    # The two deliveries ran side by side: the entry's code is the one recorded last, either of theirs.
    assert row["response_code"] in {200, 400}

    assert org.logs("POST", f"/logs/{accepted['log_id']}/redeliver")[0] == 202
    assert _deliveries(_row(org), paths) == {"/ok": ("delivered", 200), "/down": ("queued", 400)}
    dispatch(drain_queue())

    row = _row(org)
    assert (row["status"], row["delivery_count"], row["delivered_count"], row["response_code"]) == (
        "delivered",
        2,
        2,
        200,
    )
    assert _deliveries(row, paths) == {"/ok": ("delivered", 200), "/down": ("delivered", 200)}


def test_an_entry_without_postbacks_has_none_to_count(org: Org) -> None:
    org.config("POST", "/events", body={"name": "qualified"})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    org.triggers("POST", "/triggers", body={"event": "qualified", "lead_id": "L1"})
    row = _row(org)
    assert (row["status"], row["delivery_count"], row["delivered_count"], row["deliveries"]) == (
        "no_postbacks",
        0,
        0,
        [],
    )
