"""Effective events (the configuration snapshot's reading of lists and assignments) and custom-field validation."""

from decimal import Decimal

import pytest

from lead_events.errors import Unprocessable
from lead_events.logic.campaigns import check_event_allowed, validate_fields
from lead_events.models.campaigns import CustomField, FieldType
from lead_events.store import keys
from lead_events.store.snapshot import ConfigSnapshot


def _snapshot(
    lists: dict[str, list[str]],
    assignments: dict[str, list[str]],
    settings: dict[tuple[str, str], list[str]] | None = None,
) -> ConfigSnapshot:
    items: dict[str, dict] = {
        keys.event_sk(name): {"name": name} for name in ("sale", "qualified", "callback", "rejected")
    }
    for list_id, events in lists.items():
        items[keys.list_sk(list_id)] = {"id": list_id, "name": list_id, "events": events}
    for campaign, list_ids in assignments.items():
        for list_id in list_ids:
            items[keys.assignment_sk(campaign, list_id)] = {"campaign_id": campaign, "list_id": list_id}
    for (campaign, event), names in (settings or {}).items():
        fields = [{"name": name} for name in names]
        items[keys.campaign_event_sk(campaign, event)] = {
            "campaign_id": campaign,
            "event": event,
            "custom_fields": fields,
        }
    return ConfigSnapshot(org_id="org-a", version=1, items=items)


def test_a_campaign_without_lists_accepts_every_event() -> None:
    snapshot = _snapshot({"l1": ["sale"]}, {"other": ["l1"]})
    assert snapshot.effective_events("auto_ins") is None
    check_event_allowed(snapshot, "auto_ins", "rejected")


def test_one_list_gives_its_events() -> None:
    snapshot = _snapshot({"l1": ["sale", "qualified"]}, {"auto_ins": ["l1"]})
    assert snapshot.effective_events("auto_ins") == {"sale": ["l1"], "qualified": ["l1"]}
    check_event_allowed(snapshot, "auto_ins", "sale")
    with pytest.raises(Unprocessable, match="'callback' is not one of campaign 'auto_ins''s events"):
        check_event_allowed(snapshot, "auto_ins", "callback")


def test_several_lists_give_their_union_with_where_each_event_comes_from() -> None:
    snapshot = _snapshot({"l1": ["sale", "qualified"], "l2": ["qualified", "callback"]}, {"auto_ins": ["l1", "l2"]})
    assert snapshot.effective_events("auto_ins") == {"sale": ["l1"], "qualified": ["l1", "l2"], "callback": ["l2"]}


def test_an_assigned_but_empty_list_accepts_nothing() -> None:
    snapshot = _snapshot({"l1": []}, {"auto_ins": ["l1"]})
    assert snapshot.effective_events("auto_ins") == {}
    with pytest.raises(Unprocessable):
        check_event_allowed(snapshot, "auto_ins", "sale")


SPEC = [
    CustomField(name="plan", type=FieldType.TEXT, required=True),
    CustomField(name="amount_due", type=FieldType.NUMBER),
    CustomField(name="closed_on", type=FieldType.DATE),
]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"plan": "gold"}, {"plan": "gold"}),
        ({"plan": "gold", "amount_due": "12.50"}, {"plan": "gold", "amount_due": Decimal("12.50")}),
        ({"plan": "gold", "amount_due": 3}, {"plan": "gold", "amount_due": Decimal("3")}),
        ({"plan": "gold", "closed_on": "2026-11-26"}, {"plan": "gold", "closed_on": "2026-11-26"}),
        (
            {"plan": "gold", "closed_on": "2026-11-26T10:00:00Z"},
            {"plan": "gold", "closed_on": "2026-11-26T10:00:00+00:00"},
        ),
        ({"plan": "gold", "extra": "kept"}, {"plan": "gold", "extra": "kept"}),
        ({"plan": 7}, {"plan": "7"}),
    ],
)
def test_valid_fields_are_typed_and_unknown_ones_kept(fields: dict, expected: dict) -> None:
    assert validate_fields(SPEC, fields) == expected


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({}, "'plan' is required"),
        ({"plan": "  "}, "'plan' is required"),
        ({"plan": None}, "'plan' is required"),
        ({"plan": "g", "amount_due": "twelve"}, "'amount_due' must be a number"),
        ({"plan": "g", "amount_due": True}, "'amount_due' must be a number"),
        ({"plan": "g", "amount_due": "NaN"}, "'amount_due' must be a finite number"),
        ({"plan": "g", "closed_on": "26/11/2026"}, "'closed_on' must be an ISO 8601 date"),
        ({"plan": "g", "closed_on": "2026-13-01"}, "'closed_on' must be an ISO 8601 date"),
    ],
)
def test_invalid_fields_are_refused_naming_the_field_and_the_reason(fields: dict, problem: str) -> None:
    with pytest.raises(Unprocessable, match=problem):
        validate_fields(SPEC, fields)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_fields(SPEC, {"amount_due": "x", "closed_on": "y"})
    assert all(name in caught.value.message for name in ("'plan'", "'amount_due'", "'closed_on'"))


def test_declared_fields_of_any_campaign_are_the_events_custom_macros() -> None:
    snapshot = _snapshot({}, {}, {("c1", "sale"): ["plan"], ("c2", "sale"): ["agent"], ("c2", "callback"): ["x"]})
    assert snapshot.declared_field_names("sale") == {"plan", "agent"}
    assert [f.name for f in snapshot.custom_fields("c2", "sale")] == ["agent"]
    assert snapshot.custom_fields("c1", "callback") == []
