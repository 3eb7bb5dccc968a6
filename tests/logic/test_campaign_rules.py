"""Event lists and campaigns, on an in-memory store: decided on a snapshot, decided again when it moved."""

from collections.abc import Callable

import pytest

from lead_events.errors import ConcurrentChange, Conflict, EventListNotFound
from lead_events.logic import campaigns
from lead_events.store.config import ConfigChanged
from lead_events.store.snapshot import ConfigSnapshot
from tests.logic.configs import ORG, Config


class Lists:
    """The campaign and event stores in one: a write lands only on the version its snapshot was read at.

    `meanwhile` runs once between the first snapshot and the first write: another request's change.
    """

    def __init__(self, config: Config, meanwhile: Callable[[Config], object] | None = None) -> None:
        self.config, self.meanwhile = config, meanwhile
        self.snapshots, self.deleted = 0, list[str]()

    def snapshot(self, org_id: str) -> ConfigSnapshot:
        self.snapshots += 1
        return self.config.snapshot()

    def _write(self, snapshot: ConfigSnapshot, what: str) -> None:
        if self.meanwhile is not None:
            self.meanwhile(self.config)
            self.meanwhile = None
        if snapshot.version != self.config.version:
            raise ConfigChanged()
        self.deleted.append(what)

    def delete_list(self, org_id: str, list_id: str, snapshot: ConfigSnapshot) -> None:
        self._write(snapshot, f"list {list_id}")

    def delete(self, org_id: str, name: str, snapshot: ConfigSnapshot) -> None:
        self._write(snapshot, f"event {name}")


def test_a_list_no_campaign_uses_is_deleted() -> None:
    store = Lists(Config().event("sale").event_list("l1", ["sale"]))
    campaigns.delete_list(store, ORG, "l1")  # type: ignore[arg-type]
    assert store.deleted == ["list l1"]


def test_a_list_a_campaign_uses_is_not_deleted_and_the_answer_names_the_campaigns() -> None:
    store = Lists(Config().event("sale").event_list("l1", ["sale"]).assign("c2", "l1").assign("c1", "l1"))
    with pytest.raises(Conflict, match=r"assigned to campaign\(s\) c1, c2"):
        campaigns.delete_list(store, ORG, "l1")  # type: ignore[arg-type]
    assert store.deleted == []


def test_a_list_assigned_while_its_delete_was_decided_is_kept() -> None:
    store = Lists(Config().event("sale").event_list("l1", ["sale"]), meanwhile=lambda c: c.assign("c1", "l1"))
    with pytest.raises(Conflict, match="c1"):
        campaigns.delete_list(store, ORG, "l1")  # type: ignore[arg-type]
    assert (store.deleted, store.snapshots) == ([], 2)


def test_an_unrelated_change_meanwhile_only_means_deciding_again() -> None:
    store = Lists(Config().event("sale").event_list("l1", ["sale"]), meanwhile=lambda c: c.event("other"))
    campaigns.delete_list(store, ORG, "l1")  # type: ignore[arg-type]
    assert (store.deleted, store.snapshots) == (["list l1"], 2)


def test_a_configuration_that_never_holds_still_long_enough_is_a_409() -> None:
    class Busy(Lists):
        def _write(self, snapshot: ConfigSnapshot, what: str) -> None:
            self.config.event(f"other{self.snapshots}")
            super()._write(snapshot, what)

    store = Busy(Config().event("sale").event_list("l1", ["sale"]))
    with pytest.raises(ConcurrentChange):
        campaigns.delete_list(store, ORG, "l1")  # type: ignore[arg-type]
    assert (store.deleted, store.snapshots) == ([], campaigns.SNAPSHOT_ATTEMPTS)


def test_an_unknown_list_is_a_404() -> None:
    with pytest.raises(EventListNotFound):
        campaigns.delete_list(Lists(Config()), ORG, "l9")  # type: ignore[arg-type]


def test_an_event_a_list_names_is_not_deleted_and_the_answer_names_the_lists() -> None:
    store = Lists(Config().event("sale").event_list("l1", ["sale"]).event_list("l2", ["other"]))
    with pytest.raises(Conflict, match="in the event list\\(s\\) 'l1'; remove it"):
        campaigns.delete_event(store, store, ORG, "sale")  # type: ignore[arg-type]
    assert store.deleted == []


def test_an_event_put_in_a_list_while_its_delete_was_decided_is_kept() -> None:
    store = Lists(Config().event("sale"), meanwhile=lambda c: c.event_list("l1", ["sale"]))
    with pytest.raises(Conflict, match="'l1'"):
        campaigns.delete_event(store, store, ORG, "sale")  # type: ignore[arg-type]
    assert store.deleted == []


def test_a_campaigns_events_are_its_lists_union_with_where_each_comes_from() -> None:
    config = Config().event("sale").event("qualified").event("callback")
    config.event_list("l1", ["sale", "qualified"]).event_list("l2", ["qualified", "gone"]).assign("c1", "l1")
    config.assign("c1", "l2").fields("c1", "sale", {"name": "plan", "required": True})
    answer = campaigns.campaign_events(Lists(config), ORG, "c1")  # type: ignore[arg-type]
    assert (answer.all_events, answer.lists) == (False, ["l1", "l2"])
    assert [(e.name, e.lists, [f.name for f in e.custom_fields]) for e in answer.items] == [
        ("qualified", ["l1", "l2"], []),
        ("sale", ["l1"], ["plan"]),
    ]


def test_a_campaign_without_lists_has_every_event() -> None:
    answer = campaigns.campaign_events(Lists(Config().event("sale").event("callback")), ORG, "c1")  # type: ignore[arg-type]
    assert (answer.all_events, answer.lists, [e.name for e in answer.items]) == (True, [], ["callback", "sale"])
