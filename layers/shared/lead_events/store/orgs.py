"""Organizations, their API keys (stored as SHA-256 hashes) and their inbound postback token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from lead_events.clock import utc_now
from lead_events.errors import Conflict
from lead_events.store import keys
from lead_events.store.config import ConfigTable
from lead_events.store.dynamo import Cancelled, from_item, is_condition_failure, to_item, transact

if TYPE_CHECKING:
    from lead_events.models.orgs import ApiKey, Organization


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
        try:
            transact(
                self._db,
                [
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    }
                    for item in items
                ],
            )
        except Cancelled as exc:
            raise Conflict(f"An organization with id '{org.org_id}' already exists; create it again.") from exc

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

    def add_api_key(self, org_id: str, key_id: str, name: str, key_hash: str, created_at: str) -> bool:
        """Store a new key; False when the organization already has a key with this id."""
        item = {
            "pk": keys.org_pk(org_id),
            "sk": keys.api_key_sk(key_id),
            "type": "api_key",
            "key_id": key_id,
            "name": name,
            "key_hash": key_hash,
            "created_at": created_at,
        }
        try:
            self._db.put_item(TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def api_keys(self, org_id: str) -> list[ApiKey]:
        """Every key of the organization, revoked ones included (never their hashes)."""
        from lead_events.models.orgs import ApiKey

        answer = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":pk": keys.org_pk(org_id), ":prefix": keys.API_KEY_PREFIX}),
            ConsistentRead=True,
        )
        found = [from_item(item) for item in answer.get("Items", [])]
        return [ApiKey(**{f: item.get(f) for f in ApiKey.model_fields}) for item in found]

    def revoke_api_key(self, org_id: str, key_id: str, revoked_at: str, *, while_active: str) -> bool:
        """Mark the key revoked, only while it and the key `while_active` are both active; False otherwise.

        Two keys revoked at the same moment would each see the other still active, and leave the
        organization with none: the other key's check is in the same transaction.
        """
        not_revoked = "attribute_exists(pk) AND attribute_not_exists(revoked_at)"
        try:
            transact(
                self._db,
                [
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": to_item({"pk": keys.org_pk(org_id), "sk": keys.api_key_sk(key_id)}),
                            "UpdateExpression": "SET revoked_at = :now",
                            "ConditionExpression": not_revoked,
                            "ExpressionAttributeValues": to_item({":now": revoked_at}),
                        }
                    },
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": to_item({"pk": keys.org_pk(org_id), "sk": keys.api_key_sk(while_active)}),
                            "ConditionExpression": not_revoked,
                        }
                    },
                ],
            )
        except Cancelled:
            return False
        return True

    def touch_api_key(self, org_id: str, key_id: str, used_at: str) -> None:
        self._db.update_item(
            TableName=self._table,
            Key=to_item({"pk": keys.org_pk(org_id), "sk": keys.api_key_sk(key_id)}),
            UpdateExpression="SET last_used_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_item({":now": used_at}),
        )
