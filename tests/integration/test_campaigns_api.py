"""Event lists, assignment, effective events and custom fields, through the handlers under moto."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import Org, dispatch, drain_queue, make_org
from tests.receiver import Receiver


def _events(org: Org, *names: str) -> None:
    for name in names:
        assert org.config("POST", "/events", body={"name": name, "multi_trigger": True})[0] == 201


def _list(org: Org, name: str, events: list[str]) -> str:
    status, body = org.config("POST", "/event-lists", body={"name": name, "events": events})
    assert status == 201, body
    return body["id"]


def test_a_list_is_created_read_listed_changed_and_deleted(org: Org) -> None:
    _events(org, "sale", "qualified")
    list_id = _list(org, "Auto insurance", ["sale"])
    status, body = org.config("GET", f"/event-lists/{list_id}")
    assert status == 200 and body["events"] == ["sale"] and body["campaigns"] == []
    assert [item["id"] for item in org.config("GET", "/event-lists")[1]["items"]] == [list_id]
    status, body = org.config("PATCH", f"/event-lists/{list_id}", body={"events": ["sale", "qualified"]})
    assert status == 200 and body["events"] == ["sale", "qualified"] and body["name"] == "Auto insurance"
    assert org.config("DELETE", f"/event-lists/{list_id}")[0] == 204
    assert org.config("GET", f"/event-lists/{list_id}")[0] == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "L", "events": ["sale", "nope"]}, "No event named 'nope'"),
        ({"name": "L", "events": ["sale", "sale"]}, "repeated: sale"),
        ({"name": "", "events": []}, "name"),
        ({"name": "L", "events": ["Bad Name"]}, "lowercase"),
        ({"name": "L", "events": "sale"}, "events"),
    ],
)
def test_bad_lists_are_refused_with_the_reason_and_nothing_is_written(org: Org, body: dict, message: str) -> None:
    _events(org, "sale")
    status, answer = org.config("POST", "/event-lists", body=body)
    assert status in (404, 422)
    assert message in answer["message"]
    assert org.config("GET", "/event-lists")[1]["items"] == []


def test_listing_pages_through_lists(org: Org) -> None:
    _events(org, "sale")
    ids = [_list(org, f"L{i}", ["sale"]) for i in range(5)]
    seen, cursor = [], None
    while True:
        _, page = org.config("GET", "/event-lists", query={"limit": "2"} | ({"cursor": cursor} if cursor else {}))
        seen += [item["id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(seen) == sorted(ids)
    assert org.config("GET", "/event-lists", query={"cursor": "lst_forged"})[0] == 400


def test_an_event_in_a_list_cannot_be_deleted_and_an_assigned_list_cannot_be_deleted(org: Org) -> None:
    _events(org, "sale")
    list_id = _list(org, "Auto", ["sale"])
    status, body = org.config("DELETE", "/events/sale")
    assert status == 409 and "'Auto'" in body["message"]
    org.config("PUT", f"/campaigns/c1/event-lists/{list_id}")
    status, body = org.config("DELETE", f"/event-lists/{list_id}")
    assert status == 409 and "c1" in body["message"]
    assert org.config("DELETE", f"/campaigns/c1/event-lists/{list_id}")[0] == 204
    assert org.config("DELETE", f"/event-lists/{list_id}")[0] == 204
    assert org.config("DELETE", "/events/sale")[0] == 204


def test_effective_events_follow_the_lists_and_a_change_applies_to_every_campaign(org: Org) -> None:
    _events(org, "sale", "qualified", "callback")
    assert org.config("GET", "/campaigns/c1/events")[1]["all_events"] is True
    auto = _list(org, "Auto", ["sale"])
    extra = _list(org, "Extra", ["callback"])
    for campaign in ("c1", "c2"):
        status, body = org.config("PUT", f"/campaigns/{campaign}/event-lists/{auto}")
        assert status == 200 and body["list_id"] == auto
    org.config("PUT", f"/campaigns/c2/event-lists/{extra}")
    assert [e["name"] for e in org.config("GET", "/campaigns/c1/events")[1]["items"]] == ["sale"]
    _, c2 = org.config("GET", "/campaigns/c2/events")
    assert c2["all_events"] is False and sorted(c2["lists"]) == sorted([auto, extra])
    assert {e["name"]: e["lists"] for e in c2["items"]} == {"callback": [extra], "sale": [auto]}

    org.config("PATCH", f"/event-lists/{auto}", body={"events": ["sale", "qualified"]})
    for campaign in ("c1", "c2"):
        names = {e["name"] for e in org.config("GET", f"/campaigns/{campaign}/events")[1]["items"]}
        assert {"sale", "qualified"} <= names
    assert org.config("GET", f"/event-lists/{auto}")[1]["campaigns"] == ["c1", "c2"]


def test_assigning_an_unknown_list_is_404(org: Org) -> None:
    assert org.config("PUT", "/campaigns/c1/event-lists/lst_nope")[0] == 404
    assert org.config("DELETE", "/campaigns/c1/event-lists/lst_nope")[0] == 404


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([{"name": "transaction_id", "type": "text"}], "built-in"),
        ([{"name": "Plan", "type": "text"}], "lowercase"),
        ([{"name": "plan", "type": "money"}], "type"),
        ([{"name": "plan"}, {"name": "plan"}], "repeated"),
        ([{"name": "plan", "required": "yes"}], "required"),
    ],
)
def test_bad_custom_fields_are_refused(org: Org, fields: list, message: str) -> None:
    _events(org, "sale")
    status, body = org.config("PUT", "/campaigns/c1/events/sale", body={"custom_fields": fields})
    assert status == 422
    assert message in body["message"]


def test_custom_fields_are_shown_with_the_campaigns_events(org: Org) -> None:
    _events(org, "sale")
    fields = [
        {"name": "plan", "type": "text", "required": True},
        {"name": "closed_on", "type": "date", "required": False},
    ]
    status, body = org.config("PUT", "/campaigns/c1/events/sale", body={"custom_fields": fields})
    assert status == 200 and body["custom_fields"] == fields
    assert org.config("GET", "/campaigns/c1/events/sale")[1]["custom_fields"] == fields
    [sale] = org.config("GET", "/campaigns/c1/events")[1]["items"]
    assert sale["custom_fields"] == fields
    assert org.config("GET", "/campaigns/c2/events")[1]["items"][0]["custom_fields"] == []
    assert org.config("PUT", "/campaigns/c1/events/nope", body={"custom_fields": []})[0] == 404


def test_every_trigger_path_refuses_an_event_outside_the_campaign_and_writes_nothing(org: Org) -> None:
    _events(org, "sale", "callback")
    org.config("PUT", f"/campaigns/c1/event-lists/{_list(org, 'Auto', ['sale'])}")
    org.triggers("POST", "/leads", body={"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c1"})
    answers = [
        org.triggers("POST", "/triggers", body={"event": "callback", "lead_id": "L1"}),
        org.triggers("POST", "/leads/L1/events", body={"event": "callback"}),
        org.triggers("GET", f"/postback/{org.token}", org_id=None, query={"event": "callback", "tid": "T1"}),
    ]
    for status, body in answers:
        assert status == 422
        assert "not one of campaign 'c1'" in body["message"]
    assert org.triggers("GET", "/leads/L1")[1]["events"] == []
    assert org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1"})[0] == 202


def test_every_trigger_path_validates_custom_fields(org: Org) -> None:
    _events(org, "sale")
    org.config(
        "PUT",
        "/campaigns/c1/events/sale",
        body={
            "custom_fields": [
                {"name": "plan", "type": "text", "required": True},
                {"name": "amount_due", "type": "number"},
            ]
        },
    )
    org.triggers("POST", "/leads", body={"lead_id": "L1", "transaction_id": "T1", "campaign_id": "c1"})
    refused = [
        org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1", "fields": {"amount_due": "x"}}),
        org.triggers("POST", "/leads/L1/events", body={"event": "sale"}),
        org.triggers("GET", f"/postback/{org.token}", org_id=None, query={"event": "sale", "tid": "T1"}),
    ]
    for status, body in refused:
        assert status == 422
        assert "'plan' is required" in body["message"]
    assert "'amount_due' must be a number" in refused[0][1]["message"]
    assert org.triggers("GET", "/leads/L1")[1]["events"] == []

    status, body = org.triggers(
        "GET",
        f"/postback/{org.token}",
        org_id=None,
        query={"event": "sale", "tid": "T1", "plan": "gold", "amount_due": "12.50"},
    )
    assert status == 200
    _, entry = org.logs("GET", f"/logs/{body['log_id']}")
    assert entry["fields"] == {"plan": "gold", "amount_due": 12.5}


def test_declared_fields_become_macros_that_reach_the_receiver(org: Org, receiver: Receiver) -> None:
    _events(org, "sale")
    assert org.config("POST", "/events/sale/postbacks", body={"url": receiver.url + "/pb?plan={plan}"})[0] == 400
    org.config("PUT", "/campaigns/c1/events/sale", body={"custom_fields": [{"name": "plan"}]})
    status, _ = org.config(
        "POST", "/events/sale/postbacks", body={"url": receiver.url + "/pb?plan={plan}", "method": "GET"}
    )
    assert status == 201
    org.config(
        "POST",
        "/events/sale/postbacks",
        body={"url": receiver.url + "/json", "method": "POST", "body": {"plan": "{plan}"}},
    )
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L1", "fields": {"plan": "gold & more"}})
    dispatch(drain_queue())
    assert receiver.received("/pb")[0].path == "/pb?plan=gold%20%26%20more"
    assert json.loads(receiver.received("/json")[0].body) == {"plan": "gold & more"}


# GET /campaigns


def _campaigns(org: Org, **query: object) -> list[dict]:
    status, body = org.config("GET", "/campaigns", query=query)
    assert status == 200, body
    return body["items"]


def test_an_organization_without_leads_or_campaign_settings_has_no_campaigns(org: Org) -> None:
    _events(org, "sale")
    _list(org, "Unassigned", ["sale"])

    assert org.config("GET", "/campaigns")[1] == {"items": [], "next_cursor": None}


def test_campaigns_come_from_leads_lists_and_settings_each_with_its_counts(org: Org) -> None:
    org.config("POST", "/events", body={"name": "sale", "conversion": True})
    _events(org, "qualified")
    for lead in ("L1", "L2", "L3"):
        org.triggers("POST", "/leads", body={"lead_id": lead, "campaign_id": "with_leads"})
    org.triggers("POST", "/triggers", body={"event": "sale", "lead_id": "L2"})
    org.triggers("POST", "/triggers", body={"event": "qualified", "lead_id": "L3"})
    first, second = _list(org, "First", ["sale"]), _list(org, "Second", ["sale", "qualified"])
    org.config("PUT", f"/campaigns/with_lists/event-lists/{first}")
    org.config("PUT", f"/campaigns/with_lists/event-lists/{second}")
    fields = [{"name": "plan"}, {"name": "age", "type": "number"}]
    org.config("PUT", "/campaigns/with_settings/events/sale", body={"custom_fields": fields})
    org.config("PUT", "/campaigns/with_settings/events/qualified", body={"custom_fields": [{"name": "plan"}]})

    assert _campaigns(org) == [
        {"campaign_id": "with_leads", "leads": 3, "converted_leads": 1, "event_lists": 0, "custom_fields": 0},
        {"campaign_id": "with_lists", "leads": 0, "converted_leads": 0, "event_lists": 2, "custom_fields": 0},
        {"campaign_id": "with_settings", "leads": 0, "converted_leads": 0, "event_lists": 0, "custom_fields": 3},
    ]


def test_a_campaign_with_leads_lists_and_settings_is_listed_once_and_unassigning_keeps_its_leads(org: Org) -> None:
    _events(org, "sale")
    list_id = _list(org, "Only", ["sale"])
    org.config("PUT", f"/campaigns/c1/event-lists/{list_id}")
    org.config("PUT", "/campaigns/c1/events/sale", body={"custom_fields": [{"name": "plan"}]})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "c1"})
    assert _campaigns(org) == [
        {"campaign_id": "c1", "leads": 1, "converted_leads": 0, "event_lists": 1, "custom_fields": 1}
    ]

    org.config("DELETE", f"/campaigns/c1/event-lists/{list_id}")
    org.config("PUT", "/campaigns/c1/events/sale", body={"custom_fields": []})

    assert _campaigns(org) == [
        {"campaign_id": "c1", "leads": 1, "converted_leads": 0, "event_lists": 0, "custom_fields": 0}
    ]


def test_another_organizations_campaigns_are_not_listed(org: Org) -> None:
    other = make_org("Other")
    _events(other, "sale")
    other.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "theirs"})
    other.config("PUT", "/campaigns/theirs_too/events/sale", body={"custom_fields": [{"name": "plan"}]})
    org.triggers("POST", "/leads", body={"lead_id": "L1", "campaign_id": "ours"})

    assert [c["campaign_id"] for c in _campaigns(org)] == ["ours"]
    assert [c["campaign_id"] for c in _campaigns(other)] == ["theirs", "theirs_too"]


def test_pages_of_campaigns_hold_each_campaign_once_with_all_its_leads(org: Org) -> None:
    _events(org, "sale")
    expected = {}
    for n in range(7):  # several leads each: their counts are spread over many copies
        campaign = f"camp-{n}"
        for m in range(n + 3):
            org.triggers("POST", "/leads", body={"lead_id": f"L{n}-{m}", "campaign_id": campaign})
        expected[campaign] = n + 3
    for campaign in ("camp-0a", "camp-4.x", "zzz"):  # settings only, between and after them
        org.config("PUT", f"/campaigns/{campaign}/events/sale", body={"custom_fields": [{"name": "plan"}]})
        expected[campaign] = 0

    seen, cursor, pages = [], None, 0
    while True:
        status, body = org.config("GET", "/campaigns", query={"limit": "2", **({"cursor": cursor} if cursor else {})})
        assert status == 200, body
        assert 1 <= len(body["items"]) <= 2
        seen += [(c["campaign_id"], c["leads"]) for c in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert seen == sorted(expected.items())
    assert pages == 5


def test_a_forged_campaigns_cursor_is_400_and_a_bad_limit_422(org: Org) -> None:
    status, body = org.config("GET", "/campaigns", query={"cursor": "forged"})
    assert status == 400 and "cursor" in body["message"]
    assert org.config("GET", "/campaigns", query={"limit": "0"})[0] == 422
