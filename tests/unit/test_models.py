"""The event-definition input rules, as a client meets them."""

import pytest
from pydantic import ValidationError

from lead_events.models.events import EventCreate, EventUpdate


@pytest.mark.parametrize("name", ["sale", "qualified_lead", "a", "x9", "a" * 64, "call_back_2"])
def test_valid_event_names_are_accepted(name: str) -> None:
    assert EventCreate(name=name).name == name


@pytest.mark.parametrize(
    "name", ["", "Sale", "9sale", "_sale", "sale-closed", "sale closed", "a" * 65, "vente_é", "sale\n"]
)
def test_invalid_event_names_are_refused_with_the_rule_in_words(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        EventCreate(name=name)
    assert "lowercase letter first" in str(caught.value) or "at most 64" in str(caught.value)


def test_flags_default_to_off_and_refuse_non_booleans() -> None:
    event = EventCreate(name="sale")
    assert (event.conversion, event.affiliate_conversion, event.multi_trigger) == (False, False, False)
    with pytest.raises(ValidationError):
        EventCreate.model_validate({"name": "sale", "conversion": "yes"})
    with pytest.raises(ValidationError):
        EventCreate.model_validate({"name": "sale", "conversion": 1})


def test_unknown_fields_are_refused_so_typos_are_not_silently_dropped() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        EventCreate.model_validate({"name": "sale", "convertion": True})


def test_update_keeps_only_the_fields_sent_and_refuses_nulls() -> None:
    assert EventUpdate.model_validate({"conversion": True}).changes() == {"conversion": True}
    assert EventUpdate.model_validate({}).changes() == {}
    with pytest.raises(ValidationError, match="conversion may not be null"):
        EventUpdate.model_validate({"conversion": None})
