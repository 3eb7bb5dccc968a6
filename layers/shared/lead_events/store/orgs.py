"""Organizations, their API keys and their inbound postback token (stored as SHA-256 hashes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lead_events.models.common import utc_now
from lead_events.models.orgs import Organization
from lead_events.store import keys
from lead_events.store.dynamo import from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class StoredApiKey:
    org_id: str
    key_id: str
    key_hash: str
    revoked: bool


class OrgStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def create(self, org: Organization, key_id: str, key_hash: str, token_hash: str) -> None:
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
                "token_hash": token_hash,
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
