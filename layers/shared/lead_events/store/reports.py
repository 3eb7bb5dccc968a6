"""Conversion report counters, in the logs table, updated atomically with what they count.

Counters live per organization, dimension and year; the sort key is the day (and the event or
campaign). A trigger adds to five of them in its own transaction, a lead registration to three:
reports never read log entries.

Every counter is kept in SHARDS copies, and a transaction adds to one copy, drawn at random (drawn
anew when it is tried again). A counter of one item would be in every transaction of the
organization that day, and DynamoDB cancels a transaction that meets another one in flight on an
item: two overlapping requests now meet on a counter only when they draw the same copy. The copies
are spread over GROUPS partition key values, so one organization's counters take GROUPS times the
writes a second one key value takes (docs/capacity.md has the figures); a report reads GROUPS + 1
key values per dimension and year (the + 1: counters written before there were copies) and adds
the copies up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from lead_events.store import keys
from lead_events.store.dynamo import from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SHARDS = 32
GROUPS = 8


@dataclass(frozen=True)
class Counter:
    """One copy of one report counter: a day's figures, of the whole dimension or of one `key` of it."""

    day: str
    key: str | None  # the event or campaign it counts (None: the day's total)
    events: int
    conversions: int
    revenue: Decimal
    leads: int


class ReportStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.db = client
        self.table = table

    def _add(self, shard: int, org_id: str, dimension: str, year: str, counter: str, figures: dict[str, Any]) -> Any:
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item(
                    {"pk": keys.report_pk(org_id, dimension, year, shard % GROUPS), "sk": f"{counter}#{shard:02d}"}
                ),
                "UpdateExpression": "SET #counter = :counter ADD " + ", ".join(f"#{k} :{k}" for k in figures),
                "ExpressionAttributeNames": {"#counter": "counter", **{f"#{k}": k for k in figures}},
                "ExpressionAttributeValues": to_item({":counter": counter, **{f":{k}": v for k, v in figures.items()}}),
            }
        }

    def trigger_counters(
        self, org_id: str, created_at: str, event: str, campaign_id: str, conversion: bool, revenue: Decimal | None
    ) -> list[Any]:
        """The transaction items that count one accepted trigger (in a copy drawn at random)."""
        day, year, shard = created_at[:10], created_at[:4], random.randrange(SHARDS)
        figures = {"events": 1, "conversions": int(conversion), "revenue": revenue or Decimal(0)}
        return [
            self._add(shard, org_id, "ALL", year, day, figures),
            self._add(shard, org_id, "EVENT", year, f"{day}#{event}", figures),
            self._add(shard, org_id, "CAMPAIGN", year, f"{day}#{campaign_id}", figures),
            self._add(shard, org_id, f"CAMPAIGN#{campaign_id}", year, day, figures),
            self._add(shard, org_id, f"CAMPAIGN#{campaign_id}", year, f"{day}#{event}", figures),
        ]

    def lead_counters(self, org_id: str, created_at: str, campaign_id: str) -> list[Any]:
        """The transaction items that count one registered lead (in a copy drawn at random)."""
        day, year, shard = created_at[:10], created_at[:4], random.randrange(SHARDS)
        return [
            self._add(shard, org_id, "ALL", year, day, {"leads": 1}),
            self._add(shard, org_id, "CAMPAIGN", year, f"{day}#{campaign_id}", {"leads": 1}),
            self._add(shard, org_id, f"CAMPAIGN#{campaign_id}", year, day, {"leads": 1}),
        ]

    def org_counters(
        self, org_id: str, by: Literal["day", "event", "campaign"], first_day: str, last_day: str
    ) -> list[Counter]:
        """Every copy of the organization's counters in [first_day, last_day]: the day's totals (`key` None),
        by event or by campaign."""
        dimension = {"day": "ALL", "event": "EVENT", "campaign": "CAMPAIGN"}[by]
        return self._counters(org_id, dimension, first_day, last_day)

    def campaign_counters(self, org_id: str, campaign_id: str, first_day: str, last_day: str) -> list[Counter]:
        """Every copy of the campaign's counters in [first_day, last_day]: its day's totals (`key` None)
        and by event."""
        return self._counters(org_id, f"CAMPAIGN#{campaign_id}", first_day, last_day)

    def _counters(self, org_id: str, dimension: str, first_day: str, last_day: str) -> list[Counter]:
        found: list[Counter] = []
        for year in range(int(first_day[:4]), int(last_day[:4]) + 1):
            for group in (None, *range(GROUPS)):
                found += self._query(keys.report_pk(org_id, dimension, str(year), group), first_day, last_day)
        return found

    def _query(self, pk: str, first_day: str, last_day: str) -> list[Counter]:
        found: list[Counter] = []
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": to_item({":pk": pk, ":first": first_day, ":last": last_day + "~"}),
        }
        while True:
            answer = self.db.query(**query)
            for raw in answer.get("Items", []):
                item = from_item(raw)
                day, _, key = str(item.get("counter", item["sk"])).partition("#")
                found.append(
                    Counter(
                        day=day,
                        key=key or None,
                        events=int(item.get("events", 0)),
                        conversions=int(item.get("conversions", 0)),
                        revenue=Decimal(item.get("revenue", 0)),
                        leads=int(item.get("leads", 0)),
                    )
                )
            if "LastEvaluatedKey" not in answer:
                return found
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
