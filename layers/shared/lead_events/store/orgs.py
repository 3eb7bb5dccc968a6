"""Organizations, their API keys and their inbound postback token (stored as SHA-256 hashes)."""

from __future__ import annotations

from dataclasses import dataclass

from lead_events.models.common import utc_now
from lead_events.models.orgs import Organization
from lead_events.store import keys
from lead_events.store.config import ConfigTable
from lead_events.store.dynamo import from_item, to_item


@dataclass(frozen=True)
class StoredApiKey:
    org_id: str
    key_id: str
    key_hash: str
    revoked: bool


class OrgStore:
    def __init__(self, config: ConfigTable) -> None:
        self._config = config
        self._db = config.db
        self._table = config.table

    def create(self, org: Organization, key_id: str, key_hash: str, inbound_token: str) -> None:
        """Write the organization, its first API key and its inbound token, all or nothing."""
        pk = keys.org_pk(org.org_id)
        items = [
            {"pk": pk, "sk": keys.ORG_META, "type": "organization", **org.model_dump()},
            {
                "pk": pk,
                "sk": keys.api_key_sk(key_id),
                "type": "api_key",
                "key_id": key_id,
                "name": "default",
                "key_hash": key_hash,
                "created_at": org.created_at,
            },
            {
                "pk": pk,
                "sk": keys.INBOUND_TOKEN,
                "type": "inbound_token",
                "token": inbound_token,
                "created_at": utc_now(),
            },
        ]
        self._db.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(item),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for item in items
            ]
        )

    def api_key(self, org_id: str, key_id: str) -> StoredApiKey | None:
        answer = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": keys.org_pk(org_id), "sk": keys.api_key_sk(key_id)}),
            ProjectionExpression="key_hash, revoked_at",
        )
        if "Item" not in answer:
            return None
        values = from_item(answer["Item"])
        return StoredApiKey(org_id=org_id, key_id=key_id, key_hash=values["key_hash"], revoked="revoked_at" in values)

    def inbound_token(self, org_id: str) -> str:
        """The current inbound token (kept readable: the organization pastes its URL into other platforms)."""
        answer = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": keys.org_pk(org_id), "sk": keys.INBOUND_TOKEN}),
            ConsistentRead=True,
        )
        return str(from_item(answer.get("Item", {})).get("token", ""))

    def rotate_inbound_token(self, org_id: str, token: str) -> None:
        """Replace the inbound token: the old one stops working with the next trigger."""
        self._config.write(
            org_id,
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            "pk": keys.org_pk(org_id),
                            "sk": keys.INBOUND_TOKEN,
                            "type": "inbound_token",
                            "token": token,
                            "created_at": utc_now(),
                        }
                    ),
                }
            },
        )
