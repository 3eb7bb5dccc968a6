"""Conversion report counters, in the logs table, updated atomically with what they count.

Counters live per organization, dimension and year; the sort key is the day (and the event or
campaign). A trigger adds to five of them in its own transaction, a lead registration to three:
reports never read log entries. A lead's first conversion also adds `converted_leads` to the three
lead counters of the day the lead was registered (its cohort), so converted leads never outnumber
leads in a row. Each campaign also has an all-time counter (`leads`, `converted_leads`), so the
campaigns can be listed without reading every day.

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
    converted_leads: int  # 0 in counters written before leads were counted as converted


@dataclass(frozen=True)
class CampaignTotals:
    """A campaign's all-time lead figures, its copies added up."""

    campaign_id: str
    leads: int
    converted_leads: int


class ReportStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.db = client
        self.table = table

    def _add(self, pk: str, sk: str, counter: str, figures: dict[str, Any]) -> Any:
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item({"pk": pk, "sk": sk}),
                "UpdateExpression": "SET #counter = :counter ADD " + ", ".join(f"#{k} :{k}" for k in figures),
                "ExpressionAttributeNames": {"#counter": "counter", **{f"#{k}": k for k in figures}},
                "ExpressionAttributeValues": to_item({":counter": counter, **{f":{k}": v for k, v in figures.items()}}),
            }
        }

    def _adds(self, org_id: str, shard: int, counts: list[tuple[str, str | None, str, dict[str, Any]]]) -> list[Any]:
        """One update per counter copy: figures for the same counter are added into one item (a
        transaction may name an item once). `counts`: (dimension, year (None: all-time), counter, figures)."""
        merged: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        for dimension, year, counter, figures in counts:
            pk = (
                keys.report_pk(org_id, dimension, year, shard % GROUPS)
                if year is not None
                else keys.campaign_totals_pk(org_id, shard % GROUPS)
            )
            _, into = merged.setdefault((pk, f"{counter}#{shard:02d}"), (counter, {}))
            for name, value in figures.items():
                into[name] = into.get(name, 0) + value
        return [self._add(pk, sk, counter, figures) for (pk, sk), (counter, figures) in merged.items()]

    @staticmethod
    def _lead_counts(
        created_at: str, campaign_id: str, figures: dict[str, Any]
    ) -> list[tuple[str, str | None, str, dict[str, Any]]]:
        """A lead's counters: of the day it was registered (all, by campaign, the campaign's), and its campaign's."""
        day, year = created_at[:10], created_at[:4]
        return [
            ("ALL", year, day, figures),
            ("CAMPAIGN", year, f"{day}#{campaign_id}", figures),
            (f"CAMPAIGN#{campaign_id}", year, day, figures),
            ("CAMPAIGNS", None, campaign_id, figures),
        ]

    def trigger_counters(
        self,
        org_id: str,
        created_at: str,
        event: str,
        campaign_id: str,
        conversion: bool,
        revenue: Decimal | None,
        *,
        converted_lead_created_at: str | None = None,
    ) -> list[Any]:
        """The transaction items that count one accepted trigger (in a copy drawn at random); with
        `converted_lead_created_at`, also the lead's first conversion, in the counters of its cohort."""
        day, year, shard = created_at[:10], created_at[:4], random.randrange(SHARDS)
        figures = {"events": 1, "conversions": int(conversion), "revenue": revenue or Decimal(0)}
        counts: list[tuple[str, str | None, str, dict[str, Any]]] = [
            ("ALL", year, day, figures),
            ("EVENT", year, f"{day}#{event}", figures),
            ("CAMPAIGN", year, f"{day}#{campaign_id}", figures),
            (f"CAMPAIGN#{campaign_id}", year, day, figures),
            (f"CAMPAIGN#{campaign_id}", year, f"{day}#{event}", figures),
        ]
        if converted_lead_created_at is not None:
            counts += self._lead_counts(converted_lead_created_at, campaign_id, {"converted_leads": 1})
        return self._adds(org_id, shard, counts)

    def lead_counters(self, org_id: str, created_at: str, campaign_id: str) -> list[Any]:
        """The transaction items that count one registered lead (in a copy drawn at random)."""
        return self._adds(org_id, random.randrange(SHARDS), self._lead_counts(created_at, campaign_id, {"leads": 1}))

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
                        converted_leads=int(item.get("converted_leads", 0)),
                    )
                )
            if "LastEvaluatedKey" not in answer:
                return found
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def campaign_totals(self, org_id: str, after: str | None, limit: int) -> tuple[list[CampaignTotals], str | None]:
        """The all-time lead counters of up to `limit` campaigns after `after`, by id, and the id from
        which on campaigns were not read (None: every campaign after `after` is in the list).

        Each group holds at most SHARDS // GROUPS copies of a campaign, so a group read `limit` + 1
        campaigns' worth of copies at a time holds every copy of its first `limit` campaigns; only the
        campaigns below the first one some group may not hold every copy of are added up.
        """
        copies = SHARDS // GROUPS
        found: dict[str, list[int]] = {}
        bound: str | None = None
        for group in range(GROUPS):
            answer = self.db.query(
                TableName=self.table,
                KeyConditionExpression="pk = :pk AND sk > :after",
                ExpressionAttributeValues=to_item(
                    {":pk": keys.campaign_totals_pk(org_id, group), ":after": f"{after}#~" if after else " "}
                ),
                Limit=(limit + 1) * copies,
            )
            items = [from_item(raw) for raw in answer.get("Items", [])]
            for item in items:
                figures = found.setdefault(str(item["counter"]), [0, 0])
                figures[0] += int(item.get("leads", 0))
                figures[1] += int(item.get("converted_leads", 0))
            if "LastEvaluatedKey" in answer and items:
                last = str(items[-1]["counter"])
                bound = last if bound is None else min(bound, last)
        complete = sorted(c for c in found if bound is None or c < bound)
        if len(complete) > limit:
            bound = complete[limit]
        return [CampaignTotals(c, *found[c]) for c in complete[:limit]], bound
