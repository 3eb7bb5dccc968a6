"""Conversion report counters, in the logs table, updated atomically with what they count.

Counters live per organization, dimension and year; the sort key is the day (and the event or
campaign). A trigger adds to five of them in its own transaction, a lead registration to three:
reports never read log entries.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lead_events.store import keys
from lead_events.store.dynamo import from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class ReportStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.db = client
        self.table = table

    def _add(self, pk: str, sk: str, figures: dict[str, Any]) -> Any:
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item({"pk": pk, "sk": sk}),
                "UpdateExpression": "ADD " + ", ".join(f"#{k} :{k}" for k in figures),
                "ExpressionAttributeNames": {f"#{k}": k for k in figures},
                "ExpressionAttributeValues": to_item({f":{k}": v for k, v in figures.items()}),
            }
        }

    def trigger_counters(
        self, org_id: str, created_at: str, event: str, campaign_id: str, conversion: bool, revenue: Decimal | None
    ) -> list[Any]:
        """The transaction items that count one accepted trigger."""
        day, year = created_at[:10], created_at[:4]
        figures = {"events": 1, "conversions": int(conversion), "revenue": revenue or Decimal(0)}
        return [
            self._add(keys.report_pk(org_id, "ALL", year), day, figures),
            self._add(keys.report_pk(org_id, "EVENT", year), f"{day}#{event}", figures),
            self._add(keys.report_pk(org_id, "CAMPAIGN", year), f"{day}#{campaign_id}", figures),
            self._add(keys.report_pk(org_id, f"CAMPAIGN#{campaign_id}", year), day, figures),
            self._add(keys.report_pk(org_id, f"CAMPAIGN#{campaign_id}", year), f"{day}#{event}", figures),
        ]

    def lead_counters(self, org_id: str, created_at: str, campaign_id: str) -> list[Any]:
        """The transaction items that count one registered lead."""
        day, year = created_at[:10], created_at[:4]
        return [
            self._add(keys.report_pk(org_id, "ALL", year), day, {"leads": 1}),
            self._add(keys.report_pk(org_id, "CAMPAIGN", year), f"{day}#{campaign_id}", {"leads": 1}),
            self._add(keys.report_pk(org_id, f"CAMPAIGN#{campaign_id}", year), day, {"leads": 1}),
        ]

    def counters(self, org_id: str, dimension: str, first_day: str, last_day: str) -> list[dict[str, Any]]:
        """Every counter of `dimension` whose day is in [first_day, last_day] (one Query per year)."""
        found: list[dict[str, Any]] = []
        for year in range(int(first_day[:4]), int(last_day[:4]) + 1):
            query: dict[str, Any] = {
                "TableName": self.table,
                "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
                "ExpressionAttributeValues": to_item(
                    {":pk": keys.report_pk(org_id, dimension, str(year)), ":first": first_day, ":last": last_day + "~"}
                ),
            }
            while True:
                answer = self.db.query(**query)
                found += [from_item(item) for item in answer.get("Items", [])]
                if "LastEvaluatedKey" not in answer:
                    break
                query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return found
