"""Leads, their transaction-id aliases and the 'fired' markers, in the leads table."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lead_events.errors import LeadAlreadyExists, LeadNotFound
from lead_events.models.leads import ID_PATTERN, Lead
from lead_events.store import keys
from lead_events.store.dynamo import Cancelled, from_item, to_item, transact
from lead_events.store.reports import ReportStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def lead_from_item(values: dict[str, Any]) -> Lead:
    return Lead(**{field: values.get(field) for field in Lead.model_fields if field in values})


class LeadStore:
    def __init__(self, client: DynamoDBClient, table: str, reports: ReportStore) -> None:
        self.db = client
        self.table = table
        self._reports = reports

    def lead_key(self, org_id: str, lead_id: str) -> dict[str, Any]:
        return to_item({"pk": keys.lead_pk(org_id, lead_id), "sk": keys.LEAD})

    def txn_key(self, org_id: str, transaction_id: str) -> dict[str, Any]:
        return to_item({"pk": keys.txn_pk(org_id, transaction_id), "sk": keys.TXN})

    def create(self, org_id: str, lead: Lead) -> None:
        """Write the lead and its transaction-id alias (a full copy, so either id is one GetItem), and
        count it in the reports, all or nothing."""
        values = lead.model_dump(exclude_none=True)
        items = [
            {"pk": keys.lead_pk(org_id, lead.lead_id), "sk": keys.LEAD, **values},
            {"pk": keys.txn_pk(org_id, lead.transaction_id), "sk": keys.TXN, **values},
        ]
        puts: list[Any] = [
            {"Put": {"TableName": self.table, "Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}
            for item in items
        ]
        try:
            # each attempt draws its counters' copy anew (store/reports.py)
            transact(self.db, lambda: puts + self._reports.lead_counters(org_id, lead.created_at, lead.campaign_id))
        except Cancelled as exc:
            if exc.first == 0:
                raise LeadAlreadyExists(f"A lead with lead_id '{lead.lead_id}' already exists.") from exc
            raise LeadAlreadyExists(f"A lead with transaction_id '{lead.transaction_id}' already exists.") from exc

    def get(self, org_id: str, *, lead_id: str | None = None, transaction_id: str | None = None) -> Lead:
        if not re.fullmatch(ID_PATTERN, lead_id or transaction_id or ""):
            raise LeadNotFound(f"lead_id '{lead_id}'" if lead_id else f"transaction_id '{transaction_id}'")
        key = self.lead_key(org_id, lead_id) if lead_id else self.txn_key(org_id, transaction_id or "")
        answer = self.db.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        if "Item" not in answer:
            raise LeadNotFound(f"lead_id '{lead_id}'" if lead_id else f"transaction_id '{transaction_id}'")
        return lead_from_item(from_item(answer["Item"]))

    def fired_marker(self, org_id: str, lead_id: str, event: str, log_id: str) -> dict[str, Any]:
        """The transaction item that lets a non-multi-trigger event be accepted once per lead."""
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item({"pk": keys.lead_pk(org_id, lead_id), "sk": keys.fired_sk(event), "log_id": log_id}),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def converted_marks(self, org_id: str, lead: Lead, converted_at: str) -> list[Any]:
        """The transaction items that mark the lead (both its copies) converted, only if neither is yet:
        so of two first conversions at once, one counts."""
        return [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": key,
                    "UpdateExpression": "SET converted_at = :at",
                    "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(converted_at)",
                    "ExpressionAttributeValues": to_item({":at": converted_at}),
                }
            }
            for key in (self.lead_key(org_id, lead.lead_id), self.txn_key(org_id, lead.transaction_id))
        ]

    def is_converted(self, org_id: str, lead_id: str) -> bool:
        """Whether the lead is marked converted (strongly consistent)."""
        answer = self.db.get_item(
            TableName=self.table,
            Key=self.lead_key(org_id, lead_id),
            ConsistentRead=True,
            ProjectionExpression="converted_at",
        )
        return "converted_at" in answer.get("Item", {})

    def has_fired(self, org_id: str, lead_id: str, event: str) -> bool:
        """Whether the once-per-lead marker of `event` is there (strongly consistent)."""
        key = to_item({"pk": keys.lead_pk(org_id, lead_id), "sk": keys.fired_sk(event)})
        return "Item" in self.db.get_item(TableName=self.table, Key=key, ConsistentRead=True)
