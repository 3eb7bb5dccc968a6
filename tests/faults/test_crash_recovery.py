"""The fault-injection matrix: the code stopped after every step boundary, then left to recover alone.

Each scenario is run once to list its step boundaries (tests/faults/harness.py), then once per
boundary with the code stopped right after it, in a world of its own; then the system runs with no
person acting. Whatever the boundary:

- every accepted trigger (its transaction committed) and every accepted redelivery reaches the
  receiver, and its entry ends `delivered` (or `failed`, where the receiver says so for good);
- the receiver gets each attempt once, except when the stop fell between a request's answer and its
  record (the documented window): then that attempt at most once more, with the same `webhook-id`;
- nothing that was not accepted is sent.

docs/reliability.md shows the matrix this produces; each scenario's test compares its rows with
the document's, and `make fault-matrix` rewrites it.
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from lead_events.logic.orgs import create_organization
from lead_events.wiring import org_store
from tests.conftest import ROOT, Deploy, http_event, lambda_context
from tests.faults.harness import Boundary, Faults, World
from tests.receiver import Receiver

DOC = ROOT / "docs" / "reliability.md"
SECTION = re.compile(r"<!-- fault-matrix -->\n(.*?)<!-- /fault-matrix -->", re.S)


@dataclass
class Run:
    """What one run of a scenario left behind."""

    world: World
    org_id: str
    accepted: bool  # the trigger (or the redelivery) the scenario is about was committed
    triggers: int = 1  # the triggers it sent


def _config(org_id: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    import json

    from config_api.app import lambda_handler

    answer = lambda_handler(http_event(method, path, body=body, org_id=org_id), lambda_context("config_api"))
    return answer["statusCode"], json.loads(answer["body"]) if answer.get("body") else None


def _lead(org_id: str, lead: dict[str, Any]) -> None:
    from trigger_api.app import lambda_handler

    answer = lambda_handler(http_event("POST", "/leads", body=lead, org_id=org_id), lambda_context("trigger_api"))
    assert answer["statusCode"] == 201, answer


def _organization(world: World, receiver: Receiver, *, affiliate: bool, leads: int = 1) -> str:
    """A new organization with an event `sale` and a postback to the receiver, and leads L1.. (not counted)."""
    org_id = create_organization(org_store(), "Faults", "https://api.example.com").org_id
    event = {"name": "sale", "conversion": True, "affiliate_conversion": affiliate}
    assert _config(org_id, "POST", "/events", event)[0] == 201
    assert (
        _config(org_id, "POST", "/events/sale/postbacks", {"url": receiver.url + "/pb?tid={transaction_id}"})[0] == 201
    )
    if affiliate:
        assert (
            _config(org_id, "PUT", "/affiliates/aff1", {"name": "Aff", "postback_url": receiver.url + "/aff"})[0] == 200
        )
    for n in range(1, leads + 1):
        lead: dict[str, Any] = {"lead_id": f"L{n}", "transaction_id": f"T{n}", "campaign_id": "c1"}
        _lead(org_id, lead | ({"affiliate_id": "aff1"} if affiliate else {}))
    return org_id


def _triggered(
    world: World, receiver: Receiver, *, affiliate: bool, first_answer: int | None = None, leads: int = 1
) -> Run:
    """A trigger of `sale` for each lead, the receiver answering `first_answer` first (then 200), left to settle."""
    org_id = _organization(world, receiver, affiliate=affiliate, leads=leads)
    if first_answer is not None:
        receiver.answer("/pb", first_answer)
    for n in range(1, leads + 1):
        world.trigger(org_id, {"event": "sale", "lead_id": f"L{n}"})
    world.settle()
    return Run(world, org_id, accepted=bool(world.entries(org_id)), triggers=leads)  # accepted: committed


def two_deliveries(world: World, receiver: Receiver) -> Run:
    """An affiliate conversion: the event's postback and the affiliate's, both answered 200."""
    return _triggered(world, receiver, affiliate=True)


def two_entries(world: World, receiver: Receiver) -> Run:
    """Two triggers, for two leads: their deliveries in one dispatcher batch, so a stop can fall between them."""
    return _triggered(world, receiver, affiliate=False, leads=2)


def a_retry(world: World, receiver: Receiver) -> Run:
    """The receiver is busy once (503), then answers: the retry is recorded, then made."""
    return _triggered(world, receiver, affiliate=False, first_answer=503)


def a_long_backoff(world: World, receiver: Receiver) -> Run:
    """A retry due in over 15 minutes: its message hops through the queue until it is due."""
    return _triggered(world, receiver, affiliate=False, first_answer=500)


def a_redelivery(world: World, receiver: Receiver) -> Run:
    """A delivery fails for good (404); an operator redelivers it and the receiver then answers."""
    org_id = _organization(world, receiver, affiliate=False)
    receiver.answer("/pb", 404)
    world.faults.armed = False  # the redelivery is what is stopped here
    world.trigger(org_id, {"event": "sale", "lead_id": "L1"})
    world.settle()
    [entry] = world.entries(org_id)
    assert entry["status"] == "failed"
    world.faults.armed = True
    world.redeliver(org_id, entry["log_id"])
    world.settle()
    [entry] = world.entries(org_id)
    requeued = any(int(d["attempts"]) > 1 for d in entry["deliveries"].values()) or entry["status"] != "failed"
    return Run(world, org_id, requeued)


SCENARIOS: dict[str, tuple[Callable[[World, Receiver], Run], dict[str, str]]] = {
    "two deliveries": (two_deliveries, {}),
    "two entries": (two_entries, {}),
    "a retry": (a_retry, {"POSTBACK_RETRY_SCHEDULE": "60"}),
    "a long backoff": (a_long_backoff, {"POSTBACK_RETRY_SCHEDULE": "2000"}),
    "a redelivery": (a_redelivery, {}),
}


def _check(run: Run, receiver: Receiver, stop: Boundary | None) -> str:
    """The outcome a user would check, in words; raises AssertionError when a promise is broken."""
    entries = run.world.entries(run.org_id)
    if not run.accepted:
        if run.world.faults.crashed_at is not None and run.world.faults.crashed_at.function == "logs_api":
            # The redelivery was not accepted: the entry is as it was, failed, and nothing more was sent.
            assert [e["status"] for e in entries] == ["failed"]
            assert len(receiver.received()) == 1
            return "not accepted: nothing sent again"
        assert entries == [] and receiver.received() == [], "a trigger that was not accepted left work behind"
        return "not accepted: nothing written, nothing sent"
    by_id = Counter(r.headers.get("webhook-id") for r in receiver.received())
    extra = 0
    for entry in entries:
        assert entry["status"] == "delivered", f"the entry ended {entry['status']}"
        for key, delivery in entry["deliveries"].items():
            webhook_id = f"{entry['log_id']}_{key}"
            assert delivery["status"] == "delivered"
            copies = by_id.pop(webhook_id, 0) - int(delivery["attempts"])
            assert copies >= 0, f"{key}: an attempt was recorded that the receiver never got"
            assert copies <= 1, f"{key}: {copies} extra requests"
            extra += copies
    assert not by_id, f"requests that belong to no accepted delivery: {by_id}"
    outcome = "delivered once"
    if extra:
        assert stop is not None and stop.in_the_window, f"{extra} extra request(s) outside the documented window"
        outcome = "delivered; each unrecorded answer once again, same webhook-id"
    if len(entries) < run.triggers:
        return f"the stopped trigger not accepted (nothing sent for it); the other {outcome}"
    return outcome


def _run(world: World, name: str, crash_after: int | None) -> tuple[Faults, str]:
    scenario, _ = SCENARIOS[name]
    receiver = Receiver()
    random.seed(0)  # the retry schedule's jitter, so each run waits the same and hops the same
    try:
        world.faults = Faults(crash_after=crash_after)
        run = scenario(world, receiver)
        return world.faults, _check(run, receiver, world.faults.crashed_at)
    finally:
        receiver.close()


def _matrix(name: str, monkeypatch: pytest.MonkeyPatch, deploy: Deploy) -> list[tuple[str, str]]:
    deploy(**SCENARIOS[name][1])
    world = World(monkeypatch)
    faults, outcome = _run(world, name, None)
    rows = [("(no stop)", outcome)]
    for k, boundary in enumerate(list(faults.seen), start=1):
        crashed, outcome = _run(world, name, k)
        assert crashed.crashed_at == boundary, (
            f"run {k} stopped at {crashed.crashed_at}, not at {boundary}: the steps are not repeatable"
        )
        rows.append((str(boundary), outcome))
    return rows


def _lines(name: str, rows: list[tuple[str, str]]) -> list[str]:
    return [f"| {name} | {stop} | {outcome} |" for stop, outcome in rows]


def _table(matrices: dict[str, list[tuple[str, str]]]) -> str:
    lines = ["| scenario | stopped | outcome after recovery |", "| --- | --- | --- |"]
    for name, rows in matrices.items():
        lines += _lines(name, rows)
    return "\n".join(lines) + "\n"


def _documented() -> tuple[str, re.Match[str]]:
    text = DOC.read_text()
    documented = SECTION.search(text)
    assert documented is not None, f"{DOC} has no <!-- fault-matrix --> section"
    return text, documented


UPDATING = os.environ.get("FAULT_MATRIX_UPDATE") == "1"  # make fault-matrix: the document is rewritten
MEASURED: dict[str, list[tuple[str, str]]] = {}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_stop_after_any_step_loses_nothing_and_repeats_only_in_the_window(
    aws: None, monkeypatch: pytest.MonkeyPatch, deploy: Deploy, name: str
) -> None:
    rows = MEASURED[name] = _matrix(name, monkeypatch, deploy)
    assert len(rows) > 3
    if not UPDATING:  # each scenario against its own rows, so the suite measures each matrix once
        documented = [line for line in _documented()[1].group(1).splitlines() if line.startswith(f"| {name} |")]
        assert documented == _lines(name, rows), (
            f"docs/reliability.md's matrix for {name!r} is out of date: `make fault-matrix` rewrites it"
        )


def test_the_documented_matrix_holds_every_scenario_in_order() -> None:
    text, documented = _documented()
    if UPDATING:
        # Measured by the tests above, each in a world of its own (two scenarios in one emulator would
        # see each other's stream records).
        missing = [name for name in SCENARIOS if name not in MEASURED]
        assert not missing, f"`make fault-matrix` runs every scenario before this: {missing} did not run"
        DOC.write_text(
            text[: documented.start(1)] + _table({n: MEASURED[n] for n in SCENARIOS}) + text[documented.end(1) :]
        )
        return
    header, rule, *rows = documented.group(1).splitlines()
    assert (header, rule) == ("| scenario | stopped | outcome after recovery |", "| --- | --- | --- |")
    in_order = list(dict.fromkeys(row.split(" | ")[0].removeprefix("| ") for row in rows))
    assert in_order == list(SCENARIOS), "docs/reliability.md's matrix: `make fault-matrix` rewrites it"
