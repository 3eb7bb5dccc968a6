"""Postbacks of an event, in the configuration table (`POSTBACK#<event>#<id>`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lead_events.errors import EventNotFound, PostbackNotFound
from lead_events.models.targets import PostbackTarget
from lead_events.names import NAME_PATTERN
from lead_events.store import keys
from lead_events.store.config import ConditionFailed, ConfigTable
from lead_events.store.dynamo import (
    from_item,
    is_condition_failure,
    plain_json,
    to_item,
)

if TYPE_CHECKING:
    from lead_events.models.postbacks import PostbackPage

MAX_POSTBACKS_PER_EVENT = 20


def target_from_item(values: dict[str, Any]) -> PostbackTarget:
    return PostbackTarget.of(values | {"body": plain_json(values.get("body"))})


class PostbackStore:
    def __init__(self, config: ConfigTable) -> None:
        self._config = config

    def _key(self, org_id: str, event: str, postback_id: str) -> dict[str, Any]:
        return to_item({"pk": keys.org_pk(org_id), "sk": keys.postback_sk(event, postback_id)})

    def count(self, org_id: str, event: str) -> int:
        return self._config.db.query(
            TableName=self._config.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":pk": keys.org_pk(org_id), ":prefix": keys.postback_sk(event, "")}),
            Select="COUNT",
        )["Count"]

    def _event_exists(self, org_id: str, event: str) -> Any:
        return {
            "ConditionCheck": {
                "TableName": self._config.table,
                "Key": to_item({"pk": keys.org_pk(org_id), "sk": keys.event_sk(event)}),
                "ConditionExpression": "attribute_exists(pk)",
            }
        }

    def create(self, org_id: str, values: dict[str, Any]) -> None:
        """Write a new postback (all its fields, `signing_secret` included), only while its event exists."""
        item = {
            "pk": keys.org_pk(org_id),
            "sk": keys.postback_sk(values["event"], values["id"]),
            "type": "postback",
            **values,
        }
        event_exists = self._event_exists(org_id, values["event"])
        put: Any = {"TableName": self._config.table, "Item": to_item(item)}
        put["ConditionExpression"] = "attribute_not_exists(pk)"
        try:
            self._config.write(org_id, event_exists, {"Put": put})
        except ConditionFailed as exc:
            if exc.index == 0:
                raise EventNotFound(values["event"]) from exc
            raise PostbackNotFound(values["event"], values["id"]) from exc

    def change(self, org_id: str, current: PostbackTarget, changes: dict[str, Any]) -> bool:
        """Set the `changes` (None: remove the field) of the stored postback `current` was read as.

        Only while its event exists and the postback is still as read (`updated_at`): a change is
        decided on the whole postback (its fields are validated together). Fields nobody asked to
        change stay as they are, so the dispatcher's own writes in between (`consecutive_failures`,
        an automatic disabling) are never undone. False if the postback changed since it was read.
        """
        event, postback_id = str(current.event), str(current.id)
        names: dict[str, str] = {"#seen": "updated_at"}
        values: dict[str, Any] = {}
        sets, removes = [], []
        for i, (field, value) in enumerate(changes.items()):
            names[f"#f{i}"] = field
            if value is None:
                removes.append(f"#f{i}")
            else:
                values[f":v{i}"] = value
                sets.append(f"#f{i} = :v{i}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        seen = current.updated_at
        if seen is None:
            condition = "attribute_exists(pk) AND attribute_not_exists(#seen)"
        else:
            condition, values = "attribute_exists(pk) AND #seen = :seen", values | {":seen": seen}
        update: Any = {
            "TableName": self._config.table,
            "Key": self._key(org_id, event, postback_id),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
        }
        try:
            self._config.write(org_id, self._event_exists(org_id, event), {"Update": update})
        except ConditionFailed as exc:
            if exc.index == 0:
                raise EventNotFound(event) from exc
            return False
        return True

    def get(self, org_id: str, event: str, postback_id: str) -> PostbackTarget:
        """The stored postback, secret included (for rendering and signing, never for answers)."""
        if not NAME_PATTERN.fullmatch(event) or len(postback_id) > 64:
            raise PostbackNotFound(event, postback_id)
        answer = self._config.db.get_item(
            TableName=self._config.table, Key=self._key(org_id, event, postback_id), ConsistentRead=True
        )
        if "Item" not in answer:
            raise PostbackNotFound(event, postback_id)
        return target_from_item(from_item(answer["Item"]))

    def list(self, org_id: str, event: str, limit: int, cursor: str | None) -> PostbackPage:
        # The API models are imported here: the dispatcher uses this store but never pydantic.
        from lead_events.models.postbacks import Postback, PostbackPage

        items, next_cursor = self._config.page(org_id, keys.postback_sk(event, ""), limit, cursor)
        return PostbackPage(items=[Postback.of(target_from_item(item)) for item in items], next_cursor=next_cursor)

    def delete(self, org_id: str, event: str, postback_id: str) -> None:
        if not NAME_PATTERN.fullmatch(event) or len(postback_id) > 64:
            raise PostbackNotFound(event, postback_id)
        try:
            self._config.write(
                org_id,
                {
                    "Delete": {
                        "TableName": self._config.table,
                        "Key": self._key(org_id, event, postback_id),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            )
        except ConditionFailed as exc:
            raise PostbackNotFound(event, postback_id) from exc

    def note_final_failure(self, org_id: str, event: str, postback_id: str, threshold: int, now: str) -> bool:
        """Count a delivery that failed for good; at `threshold` in a row, disable the postback. True if it did."""
        key = self._key(org_id, event, postback_id)
        try:
            answer = self._config.db.update_item(
                TableName=self._config.table,
                Key=key,
                UpdateExpression="ADD consecutive_failures :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_item({":one": 1}),
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False  # the postback was deleted meanwhile
            raise
        failures = int(answer["Attributes"]["consecutive_failures"]["N"])
        if failures == 1:  # a run begins: new triggers mark their deliveries `failing` (logic/deliveries.py)
            self._bump_version(org_id)
        if threshold <= 0 or failures < threshold:
            return False
        reason = f"Disabled automatically after {failures} deliveries in a row failed for good."
        try:
            self._config.write(
                org_id,
                {
                    "Update": {
                        "TableName": self._config.table,
                        "Key": key,
                        "UpdateExpression": "SET enabled = :off, disabled_reason = :reason, disabled_at = :now",
                        "ConditionExpression": "enabled = :on",
                        "ExpressionAttributeValues": to_item(
                            {":off": False, ":on": True, ":reason": reason, ":now": now}
                        ),
                    }
                },
            )
        except ConditionFailed:
            return False  # disabled already
        return True

    def _bump_version(self, org_id: str) -> None:
        self._config.db.update_item(**self._config.version_bump(org_id)["Update"])

    def note_success(self, org_id: str, event: str, postback_id: str) -> None:
        """A delivered request ends a run of failures (if there is one)."""
        try:
            self._config.db.update_item(
                TableName=self._config.table,
                Key=self._key(org_id, event, postback_id),
                UpdateExpression="SET consecutive_failures = :zero",
                ConditionExpression="consecutive_failures > :zero",
                ExpressionAttributeValues=to_item({":zero": 0}),
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            return
        self._bump_version(org_id)
