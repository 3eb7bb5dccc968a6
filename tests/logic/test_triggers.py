"""The trigger's rules, on in-memory stores: what is accepted, what each refusal says, what is written."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from lead_events.errors import EventAlreadyFired, EventNotFound, InvalidToken, LeadNotFound, Unprocessable
from lead_events.logic.triggers import TriggerRequest, TriggerService
from lead_events.models.triggers import Source
from tests.logic.configs import ORG, Config, ConfigReads, Triggers


def _service(config: Config) -> tuple[TriggerService, Triggers]:
    store = Triggers(config)
    return TriggerService(store=store, config=ConfigReads(config), retention_days=30), store


def _request(event: str = "sale", lead_id: str = "lead-1", **values: object) -> TriggerRequest:
    return TriggerRequest(event=event, source=Source.API, lead_id=lead_id, **values)  # type: ignore[arg-type]


def test_an_accepted_trigger_writes_one_entry_with_each_postback_rendered() -> None:
    config = (
        Config().event("sale", conversion=True).postback("sale", "pb1", "https://buyer.example/c?t={transaction_id}")
    )
    config.postback("sale", "pb2", "https://net.example/p?e={event_name}&r={revenue}&plan={plan}")
    service, store = _service(config)
    store.add_lead("lead-1")

    accepted = service.trigger(ORG, _request(revenue=Decimal("12.50"), fields={"plan": "gold"}))

    assert (accepted.deliveries, accepted.lead_id, accepted.transaction_id) == (2, "lead-1", "txn-lead-1")
    [entry] = store.entries
    assert entry["log_id"] == accepted.log_id
    assert (entry["status"], entry["conversion"], entry["source"], entry["revenue"]) == (
        "queued",
        True,
        "api",
        Decimal("12.50"),
    )
    urls = {key: delivery["url"] for key, delivery in entry["deliveries"].items()}
    assert parse_qs(urlsplit(urls["pb1"]).query) == {"t": ["txn-lead-1"]}
    assert parse_qs(urlsplit(urls["pb2"]).query) == {"e": ["sale"], "r": ["12.50"], "plan": ["gold"]}
    assert store.counted == [("sale", True, Decimal("12.50"))]


def test_a_lead_is_counted_as_converted_on_its_first_conversion_only_in_the_day_it_came() -> None:
    config = Config().event("sale", conversion=True, multi_trigger=True).event("qualified", multi_trigger=True)
    service, store = _service(config)
    lead = store.add_lead("lead-1")

    for event in ("qualified", "sale", "sale", "qualified", "sale"):
        service.trigger(ORG, _request(event))

    assert store.converted == [("lead-1", lead.created_at)]
    assert store.leads["lead-1"].converted_at == store.entries[1]["created_at"]  # the first sale's
    assert [conversion for _, conversion, _ in store.counted] == [False, True, True, False, True]


def test_postbacks_that_are_disabled_or_for_another_campaign_do_not_fire() -> None:
    config = Config().event("sale")
    config.postback("sale", "all", "https://a.example/")
    config.postback("sale", "off", "https://b.example/", enabled=False)
    config.postback("sale", "mine", "https://c.example/", campaign_id="c1")
    config.postback("sale", "theirs", "https://d.example/", campaign_id="c2")
    service, store = _service(config)
    store.add_lead("lead-1", campaign_id="c1")

    assert service.trigger(ORG, _request()).deliveries == 2
    assert sorted(store.entries[0]["deliveries"]) == ["all", "mine"]


def test_an_event_without_postbacks_is_recorded_as_such() -> None:
    service, store = _service(Config().event("sale"))
    store.add_lead("lead-1")
    assert service.trigger(ORG, _request()).deliveries == 0
    assert store.entries[0]["status"] == "no_postbacks"
    assert "deliveries" not in store.entries[0] or store.entries[0]["deliveries"] == {}


@pytest.mark.parametrize(
    ("affiliate", "fires"),
    [
        ({"postback_url": "https://aff.example/p?t={transaction_id}"}, True),
        ({"postback_url": "https://aff.example/p", "enabled": False}, False),
        ({"postback_url": None}, False),
    ],
)
def test_an_affiliate_conversion_fires_the_leads_affiliate_postback_when_it_has_one(
    affiliate: dict, fires: bool
) -> None:
    config = Config().event("sale", affiliate_conversion=True).affiliate("aff-7", **affiliate)
    service, store = _service(config)
    store.add_lead("lead-1", affiliate_id="aff-7")

    assert service.trigger(ORG, _request()).deliveries == int(fires)
    deliveries = store.entries[0].get("deliveries", {})
    if fires:
        assert deliveries["affiliate"]["kind"] == "affiliate"
        assert deliveries["affiliate"]["url"] == "https://aff.example/p?t=txn-lead-1"
    else:
        assert "affiliate" not in deliveries


def test_an_event_that_is_not_an_affiliate_conversion_leaves_the_affiliate_alone() -> None:
    config = Config().event("sale").affiliate("aff-7", "https://aff.example/p")
    service, store = _service(config)
    store.add_lead("lead-1", affiliate_id="aff-7")
    assert service.trigger(ORG, _request()).deliveries == 0


def test_a_once_per_lead_event_fires_once_and_a_multi_trigger_event_every_time() -> None:
    service, store = _service(Config().event("sale").event("callback", multi_trigger=True))
    store.add_lead("lead-1")
    service.trigger(ORG, _request("sale"))
    with pytest.raises(EventAlreadyFired):
        service.trigger(ORG, _request("sale"))
    service.trigger(ORG, _request("callback"))
    service.trigger(ORG, _request("callback"))
    assert [e["event"] for e in store.entries] == ["sale", "callback", "callback"]


def test_a_lead_is_found_by_its_transaction_id() -> None:
    service, store = _service(Config().event("sale"))
    store.add_lead("lead-1")
    request = TriggerRequest(event="sale", source=Source.API, transaction_id="txn-lead-1")
    assert service.trigger(ORG, request).lead_id == "lead-1"


@pytest.mark.parametrize(
    ("config", "request_", "error", "message"),
    [
        (Config().event("sale"), _request(lead_id="nobody"), LeadNotFound, "lead_id 'nobody'"),
        (Config().event("sale"), _request("refund"), EventNotFound, "refund"),
        (
            Config().event("sale").event("qualified").event_list("l1", ["qualified"]).assign("c1", "l1"),
            _request("sale"),
            Unprocessable,
            "'sale' is not one of campaign 'c1''s events (its event lists: l1)",
        ),
        (
            Config().event("sale").fields("c1", "sale", {"name": "plan", "required": True}),
            _request("sale"),
            Unprocessable,
            "'plan' is required",
        ),
        (
            Config().event("sale").fields("c1", "sale", {"name": "amount_due", "type": "number"}),
            _request("sale", fields={"amount_due": "twelve"}),
            Unprocessable,
            "'amount_due' must be a number",
        ),
    ],
)
def test_a_refused_trigger_says_why_and_writes_nothing(
    config: Config, request_: TriggerRequest, error: type[Exception], message: str
) -> None:
    service, store = _service(config)
    store.add_lead("lead-1")
    with pytest.raises(error) as refused:
        service.trigger(ORG, request_)
    assert message in str(refused.value)
    assert store.entries == []
    assert store.fired == set()


def test_custom_fields_are_typed_by_the_campaigns_settings_before_they_are_stored() -> None:
    config = Config().event("sale").fields("c1", "sale", {"name": "amount_due", "type": "number"})
    service, store = _service(config)
    store.add_lead("lead-1")
    service.trigger(ORG, _request(fields={"amount_due": "12.5", "note": "kept"}))
    assert store.entries[0]["fields"] == {"amount_due": Decimal("12.5"), "note": "kept"}


def test_an_event_in_one_of_the_campaigns_lists_is_accepted() -> None:
    config = Config().event("sale").event_list("l1", ["qualified"]).event_list("l2", ["sale"])
    service, store = _service(config.assign("c1", "l1").assign("c1", "l2"))
    store.add_lead("lead-1")
    assert service.trigger(ORG, _request("sale")).event == "sale"


def test_the_inbound_path_needs_the_organizations_current_token() -> None:
    service, store = _service(Config().event("sale").inbound_token("pbt_org-a_right"))
    store.add_lead("lead-1")
    with pytest.raises(InvalidToken):
        service.trigger(ORG, _request(), inbound_token="pbt_org-a_wrong")
    assert store.entries == []
    service.trigger(ORG, _request(), inbound_token="pbt_org-a_right")
    assert len(store.entries) == 1


def test_a_postback_in_a_run_of_failures_marks_its_deliveries_failing() -> None:
    config = Config().event("sale").postback("sale", "ok", "https://a.example/")
    config.postback("sale", "bad", "https://b.example/", consecutive_failures=3)
    service, store = _service(config)
    store.add_lead("lead-1")
    service.trigger(ORG, _request())
    deliveries = store.entries[0]["deliveries"]
    assert (deliveries["ok"]["failing"], deliveries["bad"]["failing"]) == (False, True)


def test_a_post_postback_sends_its_rendered_body_and_says_whether_it_is_signed() -> None:
    config = Config().event("sale")
    config.postback(
        "sale", "pb1", "https://a.example/", method="POST", body={"lead": "{lead_id}", "n": 1}, signing_secret="whsec_x"
    )
    service, store = _service(config)
    store.add_lead("lead-1")
    service.trigger(ORG, _request())
    delivery = store.entries[0]["deliveries"]["pb1"]
    assert (delivery["body"], delivery["headers"]["Content-Type"], delivery["signed"]) == (
        '{"lead":"lead-1","n":1}',
        "application/json",
        True,
    )
    assert delivery["url"] == "https://a.example/"
