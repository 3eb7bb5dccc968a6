"""A small world in which the code can be stopped at any step, and then left to recover on its own.

The world is what runs on AWS, in-process: moto with the template's tables, stream and queues; the
template's DynamoDB and SQS event sources run by the local stack's pollers (local/streams.py,
local/sqs.py) with the template's functions; a real HTTP receiver. Nothing here is a shortcut of
the production path: a trigger is the trigger function's handler, the outbox is the stream record
through the relay function, a delivery is the queue message through the dispatcher.

A *step boundary* is the moment after one of the code's own calls answered: each DynamoDB and SQS
call of the project's clients (botocore's `after-call` event), and each postback request (after the
receiver answered, before anything is recorded). A `Crash` raised there is what a Lambda timeout or
an out-of-memory kill does to the process: nothing after it runs, not in that thread and not in any
other thread of the invocation (every later call of that invocation raises it too), and the
invocation counts as failed, so the event source treats its batch as failed.

Time is simulated where it matters (`advance`): the project's `clock.now()` and moto's SQS clock
move together, so visibility timeouts, message delays and claims run out as they would.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import moto.sqs.models as moto_sqs
import pytest

from lead_events import aws, clock
from lead_events.logic import dispatch
from local.conflicts import HOLD_VARIABLE
from local.lambdas import FunctionPool
from local.sqs import QueuePoller
from local.streams import StreamPoller
from local.template import Stack
from tests.conftest import http_event, lambda_context, template_stack

LOGS_TABLE = "lead-events-dev-logs"
QUEUE = "lead-events-dev-postbacks"
# Longer than the queue's visibility timeout and every claim: one step of simulated idle time.
IDLE_STEP = 200.0


class Crash(BaseException):
    """The process stopped here. A BaseException, so no `except Exception` of the code can catch it."""


def _caller() -> str:
    """The project's function that made the AWS call being answered (`store.entries.put_attempts`), for the matrix."""
    frame = inspect.currentframe()
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith(("lead_events.store.", "lead_events.logic.")):
            return f"{module.removeprefix('lead_events.')}.{frame.f_code.co_name}"
        frame = frame.f_back
    return "?"


@dataclass(frozen=True)
class Boundary:
    function: str  # the function whose code reached it: trigger_api, outbox, dispatcher, logs_api
    step: str  # "DynamoDB UpdateItem", "SQS SendMessageBatch", "HTTP GET /pb -> 200"

    def __str__(self) -> str:
        return f"{self.function}: after {self.step}"

    @property
    def in_the_window(self) -> bool:
        """A request was answered and its record is not complete: the one moment a copy can follow."""
        return self.function == "dispatcher" and (
            self.step.startswith("HTTP")
            or "(store.entries.put_attempts)" in self.step  # the attempts, not yet the states
        )


@dataclass
class Faults:
    """Counts the step boundaries the code passes, and stops it after the chosen one."""

    crash_after: int | None = None  # stop after this many boundaries (1-based); None: never
    armed: bool = True  # False while a scenario sets up what it is not about
    seen: list[Boundary] = field(default_factory=list)
    function: str | None = None  # the invocation now running; None: set-up code, not counted
    dead: bool = False  # the running invocation crashed: every further call of it stops too
    crashed_at: Boundary | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def before_call(self, **_: Any) -> None:
        if self.dead:
            raise Crash()

    def boundary(self, step: str) -> None:
        if self.function is None or not self.armed:
            return
        with self._lock:
            if self.dead:
                raise Crash()
            point = Boundary(self.function, step)
            self.seen.append(point)
            if self.crash_after is not None and len(self.seen) == self.crash_after:
                self.dead, self.crashed_at = True, point
        if self.dead:
            raise Crash()

    def after_call(self, model: Any, **_: Any) -> None:
        service = "DynamoDB" if model.service_model.service_name == "dynamodb" else "SQS"
        self.boundary(f"{service} {model.name} ({_caller()})")

    @contextmanager
    def invocation(self, function: str) -> Iterator[None]:
        """One invocation of `function`: a new process, so a crash of an earlier one is over."""
        self.function, self.dead = function, False
        try:
            yield
        finally:
            self.function = None


def _delivery_order(record: dict[str, Any]) -> tuple[bool, int]:
    """Event postbacks before the affiliate's, earlier attempts first (ids are random, kinds are not)."""
    message = json.loads(record["body"])
    return message["delivery_id"] == "affiliate", int(message.get("attempt", 1))


class _CrashingPool(FunctionPool):
    """A function's instances in `world`: an invocation that crashed fails, as Lambda sees it."""

    def __init__(self, function: Any, world: World, name: str) -> None:
        super().__init__(function)
        self.world = world
        self.name = name

    def invoke(self, event: dict[str, Any]) -> Any:
        faults = self.world.faults
        if self.name == "dispatcher":  # SQS hands a batch over in no set order: take one, the same every run
            event = {**event, "Records": sorted(event["Records"], key=_delivery_order)}
        with faults.invocation(self.name):
            try:
                result = super().invoke(event)
            except Crash as exc:
                raise RuntimeError(f"{self.name} crashed") from exc
            if faults.dead:  # a thread of it crashed; the rest of it died with the process
                raise RuntimeError(f"{self.name} crashed")
            return result


class World:
    """The system on AWS, in-process; `settle()` lets it run with no person acting.

    One world serves many runs: each run brings its own `Faults` (and its own organization and
    receiver), and leaves the world settled for the next.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.faults = Faults()
        self.offset = 0.0
        self._install_clock(monkeypatch)
        self._install_hooks(monkeypatch)
        # One invocation runs at a time here, so no transaction can meet another in flight: the
        # emulator's hold (local/conflicts.py) would only wait.
        monkeypatch.setenv(HOLD_VARIABLE, "0")
        # One entry and one delivery at a time, so the k-th boundary is the same step in every run.
        monkeypatch.setattr(dispatch, "_pool", ThreadPoolExecutor(max_workers=1, thread_name_prefix="delivery"))
        monkeypatch.setattr(dispatch, "_entries", ThreadPoolExecutor(max_workers=1, thread_name_prefix="entry"))
        self.stack: Stack = template_stack()
        functions = self.stack.functions
        [stream_source] = self.stack.stream_sources
        [queue_source] = self.stack.queue_sources
        self.outbox = StreamPoller(
            self.stack, stream_source, _CrashingPool(functions[stream_source.function], self, "outbox")
        )
        self.dispatcher = QueuePoller(
            self.stack,
            queue_source,
            _CrashingPool(functions[queue_source.function], self, "dispatcher"),
            threading.Event(),
        )
        self.sqs = boto3.client("sqs")
        self.queue_url = self.sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]

    # -- time ---------------------------------------------------------------------------------

    def _install_clock(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_now, real_unix, real_millis = clock.now, moto_sqs.unix_time, moto_sqs.unix_time_millis
        monkeypatch.setattr(clock, "now", lambda: real_now() + self.offset)
        monkeypatch.setattr(moto_sqs, "unix_time", lambda *a: real_unix(*a) + self.offset)
        monkeypatch.setattr(moto_sqs, "unix_time_millis", lambda *a: real_millis(*a) + self.offset * 1000)

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass for every clock that decides what is due."""
        self.offset += seconds

    # -- the code's calls -----------------------------------------------------------------------

    def _install_hooks(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for client in (aws.dynamodb(), aws.sqs()):
            client.meta.events.register("before-call", lambda **kwargs: self.faults.before_call(**kwargs))
            client.meta.events.register("after-call", lambda **kwargs: self.faults.after_call(**kwargs))
        real_send = dispatch.send

        def send(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            self.faults.before_call()
            outcome = real_send(method, url, *args, **kwargs)
            self.faults.boundary(f"HTTP {method} {url.split('?')[0].rsplit('/', 1)[-1]} -> {outcome.status_code}")
            return outcome

        monkeypatch.setattr(dispatch, "send", send)

    def call(self, function: str, handler: Callable[..., dict[str, Any]], event: dict[str, Any]) -> Any:
        """Invoke an API function as API Gateway would: (status, body), or None when it crashed."""
        with self.faults.invocation(function):
            try:
                answer = handler(event, lambda_context(function))
            except Crash:
                return None
            if self.faults.dead:
                return None
        return answer["statusCode"], json.loads(answer["body"]) if answer.get("body") else None

    def trigger(self, org_id: str, body: dict[str, Any]) -> Any:
        from trigger_api.app import lambda_handler

        return self.call("trigger_api", lambda_handler, http_event("POST", "/triggers", body=body, org_id=org_id))

    def redeliver(self, org_id: str, log_id: str) -> Any:
        from logs_api.app import lambda_handler

        return self.call("logs_api", lambda_handler, http_event("POST", f"/logs/{log_id}/redeliver", org_id=org_id))

    # -- letting it run -------------------------------------------------------------------------

    def _step(self) -> int:
        """One round of the event sources; how much they did."""
        done = self.outbox.poll_once()
        while True:
            got = self.dispatcher.poll_once()
            if not got:
                return done
            done += got

    def _queue_is_empty(self) -> bool:
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["All"])["Attributes"]
        return all(
            attributes[name] == "0"
            for name in (
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            )
        )

    def settle(self, max_idle_steps: int = 40) -> None:
        """Run the event sources until nothing is left to do, letting time pass whenever they are idle."""
        idle = 0
        while idle < max_idle_steps:
            if self._step():
                idle = 0
                continue
            if self._queue_is_empty() and not self.outbox.poll_once():
                return
            self.advance(IDLE_STEP)
            idle += 1
        raise AssertionError(f"the system did not settle in {max_idle_steps * IDLE_STEP:.0f} simulated seconds")

    # -- what a user would check ----------------------------------------------------------------

    def entries(self, org_id: str) -> list[dict[str, Any]]:
        from lead_events.store.dynamo import from_item

        items = boto3.client("dynamodb").scan(TableName=LOGS_TABLE)["Items"]
        return [
            from_item(item)
            for item in items
            if item["sk"]["S"] == "ENTRY" and item["pk"]["S"].startswith(f"ORG#{org_id}#LOG#")
        ]
