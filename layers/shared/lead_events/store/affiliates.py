"""Affiliates in the configuration table (`AFFILIATE#<affiliate_id>`)."""

from __future__ import annotations

from typing import Any

from lead_events.errors import NotFound
from lead_events.models.affiliates import Affiliate, AffiliatePage
from lead_events.store import keys
from lead_events.store.config import ConditionFailed, ConfigTable
from lead_events.store.dynamo import from_item, plain_json, to_item


class AffiliateNotFound(NotFound):
    def __init__(self, affiliate_id: str) -> None:
        super().__init__(f"No affiliate with id '{affiliate_id[:128]}' exists in this organization.")


def affiliate_from_item(values: dict[str, Any]) -> Affiliate:
    values = {**values, "body": plain_json(values.get("body"))}
    return Affiliate(**{field: values.get(field) for field in Affiliate.model_fields if field in values})


class AffiliateStore:
    def __init__(self, config: ConfigTable) -> None:
        self._config = config

    def _key(self, org_id: str, affiliate_id: str) -> dict[str, Any]:
        return to_item({"pk": keys.org_pk(org_id), "sk": keys.affiliate_sk(affiliate_id)})

    def get(self, org_id: str, affiliate_id: str) -> Affiliate:
        answer = self._config.db.get_item(
            TableName=self._config.table, Key=self._key(org_id, affiliate_id), ConsistentRead=True
        )
        if "Item" not in answer:
            raise AffiliateNotFound(affiliate_id)
        return affiliate_from_item(from_item(answer["Item"]))

    def put(self, org_id: str, affiliate: Affiliate) -> None:
        item = {
            "pk": keys.org_pk(org_id),
            "sk": keys.affiliate_sk(affiliate.affiliate_id),
            "type": "affiliate",
            **affiliate.model_dump(mode="json"),
        }
        self._config.write(org_id, {"Put": {"TableName": self._config.table, "Item": to_item(item)}})

    def list(self, org_id: str, limit: int, cursor: str | None) -> AffiliatePage:
        items, next_cursor = self._config.page(org_id, keys.AFFILIATE_PREFIX, limit, cursor)
        return AffiliatePage(items=[affiliate_from_item(item) for item in items], next_cursor=next_cursor)

    def delete(self, org_id: str, affiliate_id: str) -> None:
        try:
            self._config.write(
                org_id,
                {
                    "Delete": {
                        "TableName": self._config.table,
                        "Key": self._key(org_id, affiliate_id),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            )
        except ConditionFailed as exc:
            raise AffiliateNotFound(affiliate_id) from exc
