"""Requests that race: each conditional write of the stores, when another request changed its items
between this request's read and its write, answers 404 or 409 with a message, never a 500, and
leaves the data consistent.

The races are made deterministic: `meanwhile` runs the other request's change right after this
request's read returns. The other change goes through the logic and stores directly (the
resolver of a function serves one request at a time).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lead_events import aws
from lead_events.errors import Conflict
from lead_events.logic import api_keys, campaigns, postbacks
from lead_events.logic.credentials import Minted, mint_api_key
from lead_events.logic.logs import redeliver
from lead_events.logic.orgs import create_organization
from lead_events.logic.triggers import TriggerRequest
from lead_events.models.campaigns import EventListCreate
from lead_events.models.postbacks import PostbackCreate
from lead_events.models.triggers import Source
from lead_events.store.campaigns import CampaignStore
from lead_events.store.entries import EntryStore
from lead_events.store.orgs import OrgStore
from lead_events.store.postbacks import PostbackStore
from lead_events.store.triggers import TriggerStore
from lead_events.wiring import (
    campaign_store,
    event_store,
    log_store,
    org_store,
    postback_store,
    trigger_service,
)
from tests.integration.conftest import Org, dispatch, drain_queue
from tests.receiver import Receiver

CONFIG_TABLE = "lead-events-dev-config"


def meanwhile(monkeypatch: pytest.MonkeyPatch, owner: type, method: str, change: Callable[[], Any]) -> None:
    """Run `change` once, right after the first call of `owner.method` returns: another request
    landing between this request's read and its write."""
    original = getattr(owner, method)
    pending = [change]

    def read_then_change(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        if pending:
            pending.pop()()
        return result

    monkeypatch.setattr(owner, method, read_then_change)


def _config_items(org: Org, prefix: str) -> list[str]:
    items = boto3.client("dynamodb").scan(TableName=CONFIG_TABLE)["Items"]
    return sorted(
        i["sk"]["S"] for i in items if i["pk"]["S"] == f"ORG#{org.org_id}" and i["sk"]["S"].startswith(prefix)
    )


def _active_keys(org: Org) -> list[str]:
    return [k["name"] for k in org.config("GET", "/settings/api-keys")[1]["items"] if not k["revoked_at"]]


# API keys


def test_two_keys_revoked_at_once_leave_one_active_and_the_second_revocation_is_409(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, spare = org.config("POST", "/settings/api-keys", body={"name": "spare"})
    default = next(k["key_id"] for k in org.config("GET", "/settings/api-keys")[1]["items"] if k["name"] == "default")
    # Each sees two active keys; the spare's revocation lands first.
    meanwhile(
        monkeypatch, OrgStore, "api_keys", lambda: api_keys.revoke_api_key(org_store(), org.org_id, spare["key_id"])
    )

    status, body = org.config("DELETE", f"/settings/api-keys/{default}")

    assert status == 409
    assert "last active API key" in body["message"]
    assert _active_keys(org) == ["default"]


def test_a_key_revoked_twice_at_once_is_404_the_second_time(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    _, spare = org.config("POST", "/settings/api-keys", body={"name": "spare"})
    meanwhile(
        monkeypatch, OrgStore, "api_keys", lambda: api_keys.revoke_api_key(org_store(), org.org_id, spare["key_id"])
    )

    status, body = org.config("DELETE", f"/settings/api-keys/{spare['key_id']}")

    assert status == 404
    assert spare["key_id"] in body["message"]
    assert _active_keys(org) == ["default"]


def test_a_new_key_whose_random_id_is_taken_gets_another(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    taken = org.config("GET", "/settings/api-keys")[1]["items"][0]["key_id"]
    minted = iter([Minted(taken, "lek_x", "hash"), mint_api_key(org.org_id)])
    monkeypatch.setattr(api_keys, "mint_api_key", lambda org_id: next(minted))

    status, body = org.config("POST", "/settings/api-keys", body={"name": "second"})

    assert status == 201
    assert body["key_id"] != taken
    assert sorted(_active_keys(org)) == ["default", "second"]


def test_a_new_key_whose_id_is_always_taken_is_409_and_stores_nothing(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = org.config("GET", "/settings/api-keys")[1]["items"][0]["key_id"]
    monkeypatch.setattr(api_keys, "mint_api_key", lambda org_id: Minted(taken, "lek_x", "hash"))

    status, body = org.config("POST", "/settings/api-keys", body={"name": "second"})

    assert status == 409
    assert "again" in body["message"]
    assert _active_keys(org) == ["default"]


def test_an_organization_whose_random_id_is_taken_is_a_conflict(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    first = create_organization(org_store(), "First", "https://api.example.com")
    monkeypatch.setattr("lead_events.logic.orgs.new_org_id", lambda: first.org_id)

    with pytest.raises(Conflict, match="already exists"):
        create_organization(org_store(), "Second", "https://api.example.com")


# Events, postbacks, lists


def test_deleting_an_event_while_a_list_naming_it_is_created_is_409_and_keeps_the_event(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    meanwhile(
        monkeypatch,
        CampaignStore,
        "snapshot",
        lambda: campaigns.create_list(campaign_store(), org.org_id, EventListCreate(name="L", events=["sale"])),
    )

    status, body = org.config("DELETE", "/events/sale")

    assert status == 409
    assert "'L'" in body["message"]
    assert org.config("GET", "/events/sale")[0] == 200


def test_deleting_an_event_while_a_postback_is_added_deletes_that_postback_too(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    add_postback = lambda: postbacks.create_postback(  # noqa: E731
        postback_store(), org.org_id, "sale", PostbackCreate(url="https://network.example/pb"), set()
    )
    meanwhile(monkeypatch, CampaignStore, "snapshot", add_postback)

    assert org.config("DELETE", "/events/sale")[0] == 204

    assert _config_items(org, "POSTBACK#") == []
    org.config("POST", "/events", body={"name": "sale"})  # the same name again has no postbacks
    assert org.config("GET", "/events/sale/postbacks")[1]["items"] == []


def test_adding_a_postback_while_its_event_is_deleted_is_404_and_stores_nothing(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    delete_event = lambda: campaigns.delete_event(event_store(), campaign_store(), org.org_id, "sale")  # noqa: E731
    meanwhile(monkeypatch, PostbackStore, "count", delete_event)

    status, body = org.config("POST", "/events/sale/postbacks", body={"url": "https://network.example/pb"})

    assert status == 404
    assert "'sale'" in body["message"]
    assert _config_items(org, "POSTBACK#") == []


def test_changing_a_postback_while_it_is_deleted_is_404_and_does_not_bring_it_back(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    _, postback = org.config("POST", "/events/sale/postbacks", body={"url": "https://network.example/pb"})
    meanwhile(
        monkeypatch,
        PostbackStore,
        "get",
        lambda: postback_store().delete(org.org_id, "sale", postback["id"]),
    )

    status, body = org.config("PATCH", f"/events/sale/postbacks/{postback['id']}", body={"enabled": False})

    assert status == 404
    assert postback["id"] in body["message"]
    assert _config_items(org, "POSTBACK#") == []


def _change_url_while_a_delivery_fails_for_good(
    org: Org, monkeypatch: pytest.MonkeyPatch, disable_after: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """PATCH a postback's url while the dispatcher counts a final failure of it: (the answer, what is stored)."""
    org.config("POST", "/events", body={"name": "sale"})
    _, postback = org.config("POST", "/events/sale/postbacks", body={"url": "https://network.example/pb"})
    path = f"/events/sale/postbacks/{postback['id']}"
    meanwhile(
        monkeypatch,
        PostbackStore,
        "get",
        lambda: postback_store().note_final_failure(
            org.org_id, "sale", postback["id"], disable_after, "2026-10-01T00:00:00Z"
        ),
    )
    status, body = org.config("PATCH", path, body={"url": "https://b.example/"})
    assert status == 200, body
    return body, org.config("GET", path)[1]


def test_changing_a_postback_keeps_the_failure_count_the_dispatcher_wrote_meanwhile(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, stored = _change_url_while_a_delivery_fails_for_good(org, monkeypatch, disable_after=0)

    assert stored["url"] == "https://b.example/"
    assert stored["consecutive_failures"] == 1


def test_changing_a_postback_while_it_is_disabled_automatically_keeps_it_disabled(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer, stored = _change_url_while_a_delivery_fails_for_good(org, monkeypatch, disable_after=1)

    assert answer["enabled"] is False and answer["url"] == "https://b.example/"
    assert stored["enabled"] is False and "Disabled automatically" in stored["disabled_reason"]


def test_two_changes_of_one_postback_at_once_both_land_each_decided_on_the_other(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    _, postback = org.config("POST", "/events/sale/postbacks", body={"url": "https://network.example/pb"})
    path = f"/events/sale/postbacks/{postback['id']}"
    meanwhile(monkeypatch, PostbackStore, "get", lambda: org.config("PATCH", path, body={"method": "POST"}))

    status, body = org.config("PATCH", path, body={"url": "https://b.example/{lead_id}"})

    assert status == 200, body
    _, stored = org.config("GET", path)
    assert stored["method"] == "POST" and stored["url"] == "https://b.example/{lead_id}"


def test_changing_a_list_while_it_is_deleted_is_404_and_does_not_bring_it_back(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, event_list = org.config("POST", "/event-lists", body={"name": "L"})
    meanwhile(
        monkeypatch,
        CampaignStore,
        "snapshot",
        lambda: campaigns.delete_list(campaign_store(), org.org_id, event_list["id"]),
    )

    status, body = org.config("PATCH", f"/event-lists/{event_list['id']}", body={"name": "renamed"})

    assert status == 404
    assert event_list["id"] in body["message"]
    assert _config_items(org, "LIST#") == []


def test_deleting_a_list_while_it_is_assigned_is_409_and_keeps_the_list(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, event_list = org.config("POST", "/event-lists", body={"name": "L"})
    meanwhile(
        monkeypatch,
        CampaignStore,
        "snapshot",
        lambda: campaigns.assign_list(campaign_store(), org.org_id, "c1", event_list["id"]),
    )

    status, body = org.config("DELETE", f"/event-lists/{event_list['id']}")

    assert status == 409
    assert "c1" in body["message"]
    assert org.config("GET", f"/event-lists/{event_list['id']}")[1]["campaigns"] == ["c1"]


# Transactions that meet another transaction on an item (DynamoDB's TransactionConflict)


def _conflicting(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """The next `times` transactions are cancelled as meeting another one; returns the count of attempts."""
    client = aws.dynamodb()
    original = client.transact_write_items
    attempts = [0]

    def transact_write_items(**kwargs: Any) -> Any:
        attempts[0] += 1
        if attempts[0] <= times:
            reasons = [{"Code": "None"} for _ in kwargs["TransactItems"]]
            reasons[-1] = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
            error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
            raise ClientError({"Error": error, "CancellationReasons": reasons}, "TransactWriteItems")
        return original(**kwargs)

    monkeypatch.setattr(client, "transact_write_items", transact_write_items)
    return attempts


@pytest.mark.parametrize(
    ("caller", "method", "path", "body"),
    [
        ("config", "POST", "/events", {"name": "sale"}),
        ("triggers", "POST", "/leads", {"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c1"}),
    ],
)
def test_a_transaction_that_meets_another_is_tried_again(
    org: Org, monkeypatch: pytest.MonkeyPatch, caller: str, method: str, path: str, body: dict[str, Any]
) -> None:
    attempts = _conflicting(monkeypatch, times=2)

    status, _ = getattr(org, caller)(method, path, body=body)

    assert status == 201
    assert attempts[0] == 3


@pytest.mark.parametrize(
    ("caller", "method", "path", "body", "read"),
    [
        ("config", "POST", "/events", {"name": "sale"}, "/events/sale"),
        ("triggers", "POST", "/leads", {"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c1"}, "/leads/L1"),
    ],
)
def test_a_transaction_that_keeps_meeting_others_is_409_and_stores_nothing(
    org: Org, monkeypatch: pytest.MonkeyPatch, caller: str, method: str, path: str, body: dict[str, Any], read: str
) -> None:
    with monkeypatch.context() as conflicts:
        _conflicting(conflicts, times=100)
        status, answer = getattr(org, caller)(method, path, body=body)

    assert status == 409
    assert "send this request again" in answer["message"]
    assert getattr(org, caller)("GET", read)[0] == 404


# Redeliveries and triggers


def test_an_entry_redelivered_twice_at_once_is_409_the_second_time(
    org: Org, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.config("POST", "/events", body={"name": "sale"})
    org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/pb"})
    receiver.answer("/pb", 404)
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    _, accepted = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})
    dispatch(drain_queue())
    log_id = accepted["log_id"]
    assert org.logs("GET", f"/logs/{log_id}")[1]["status"] == "failed"
    # Both read the failed delivery; the other redelivery lands first.
    meanwhile(monkeypatch, EntryStore, "get_entry", lambda: redeliver(log_store(), org.org_id, log_id))

    status, body = org.logs("POST", f"/logs/{log_id}/redeliver")

    assert status == 409, body
    assert len(drain_queue()) == 1


def test_a_trigger_whose_transaction_meets_another_is_tried_again(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    org.config("POST", "/events", body={"name": "sale", "multi_trigger": True})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    _conflicting(monkeypatch, times=1)

    status, body = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})

    assert status == 202, body


def test_a_first_conversion_meeting_another_first_conversion_of_its_lead_counts_the_lead_once(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.config("POST", "/events", body={"name": "sale", "conversion": True, "multi_trigger": True})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    # Both read the lead not converted yet; the other conversion lands first.
    other = TriggerRequest(event="sale", source=Source.API, lead_id="L1")
    meanwhile(
        monkeypatch, TriggerStore, "lead_and_config_version", lambda: trigger_service().trigger(org.org_id, other)
    )

    status, body = org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})

    assert status == 202, body
    totals = org.logs("GET", "/reports/conversions")[1]["totals"]
    assert (totals["conversions"], totals["leads"], totals["converted_leads"], totals["conversion_rate"]) == (
        2,
        1,
        1,
        "1.0000",
    )
    assert len(org.logs("GET", "/logs")[1]["items"]) == 2
