"""Runs the template's functions in this process, the way Lambda runs warm containers.

Each function gets a pool of instances; an instance is the handler module loaded afresh (its own
globals, its own resolver), serves one invocation at a time, and is kept warm for the next one.

Libraries are shared by every instance of every function (one process), and Powertools' event handler
keeps the invocation's event and context on a class: `resolve` sets `BaseRouter.current_event`, and
every resolver reads its request from there. On Lambda that is one invocation per process; here two
concurrent invocations would read each other's request (a lead registered with another request's body,
a route answering for another organization). `isolate_invocations` makes that state per thread: an
invocation runs on one thread from start to end.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import sys
import threading
import time
import uuid
from abc import ABCMeta
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.template import Function

_instance_ids = itertools.count(1)
log = logging.getLogger(__name__)


class _PerThread:
    """An attribute whose value is the current thread's own (AttributeError until this thread sets it)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.values = threading.local()

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        try:
            return self.values.value
        except AttributeError:
            raise AttributeError(self.name) from None

    def __set__(self, instance: object, value: Any) -> None:
        self.values.value = value


def isolate_invocations() -> None:
    """Make Powertools' `BaseRouter.current_event` and `.lambda_context` per thread (idempotent).

    Reads through a resolver (`app.current_event`) find the descriptors in BaseRouter's namespace;
    `BaseRouter.current_event = ...` is an assignment on the class, which only its metaclass can
    intercept: BaseRouter gets a subclass of ABCMeta carrying the same descriptors.
    """
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if isinstance(type(BaseRouter).__dict__.get("current_event"), _PerThread):
        return
    attributes = {name: _PerThread(name) for name in ("current_event", "lambda_context")}
    for name, descriptor in attributes.items():
        setattr(BaseRouter, name, descriptor)  # before the metaclass below takes over class assignments
    BaseRouter.__class__ = type("PerThreadRouterMeta", (ABCMeta,), dict(attributes))  # type: ignore[method-assign]


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


class FunctionPool:
    """Warm instances of one function; a new instance (a cold start) only when all are busy.

    At most `max_instances` at once, and never more than the function's reserved concurrency: past
    it Lambda throttles the invocation (its event sources retry it), here the caller waits its turn.
    """

    def __init__(self, function: Function, max_instances: int = 16) -> None:
        isolate_invocations()
        self.function = function
        self._idle: list[Callable[..., Any]] = []
        self._lock = threading.Lock()
        if function.reserved_concurrency is not None:
            max_instances = min(max_instances, function.reserved_concurrency)
        self._slots = threading.BoundedSemaphore(max_instances)

    def _load(self) -> Callable[..., Any]:
        module_name = f"_local_lambda_{self.function.logical_id}_{next(_instance_ids)}"
        spec = importlib.util.spec_from_file_location(module_name, self.function.module_file)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {self.function.module_file}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return getattr(module, self.function.handler_attr)

    def invoke(self, event: dict[str, Any], limit: float | None = None) -> Any:
        """Call the handler with `event` and a fresh context; exceptions propagate like a function error.

        The handler runs on a thread of its own, for at most the function's `Timeout` (or `limit`
        seconds, if sooner: API Gateway's own wait): past it, FunctionTimedOut, as Lambda ends the
        invocation. The thread cannot be stopped from outside; it runs on with its answer thrown
        away, and its instance is not used again (Lambda starts a fresh environment after a timeout).
        """
        with self._slots:
            with self._lock:
                handler = self._idle.pop() if self._idle else None
            if handler is None:
                handler = self._load()
            context = LambdaContext(
                function_name=self.function.name,
                memory_limit_in_mb=self.function.memory,
                invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{self.function.name}",
                timeout_seconds=self.function.timeout,
            )
            outcome: dict[str, Any] = {}

            def run() -> None:
                try:
                    outcome["result"] = handler(event, context)
                except BaseException as exc:  # handed to the caller, as Lambda hands back a function error
                    outcome["error"] = exc

            worker = threading.Thread(
                target=run, name=f"{threading.current_thread().name}/{self.function.logical_id}", daemon=True
            )
            worker.start()
            wait = self.function.timeout if limit is None else min(limit, self.function.timeout)
            worker.join(wait)
            if worker.is_alive():
                log.error("%s: %s Task timed out after %.2f seconds", self.function.name, context.aws_request_id, wait)
                raise FunctionTimedOut(self.function.logical_id, wait, by_caller=wait < self.function.timeout)
            with self._lock:
                self._idle.append(handler)
            if "error" in outcome:
                raise outcome["error"]
            return outcome.get("result")


class FunctionTimedOut(Exception):
    """An invocation ran past its function's Timeout (or past the caller's wait, `by_caller`)."""

    def __init__(self, function: str, seconds: float, *, by_caller: bool) -> None:
        super().__init__(f"{function} timed out after {seconds:g} s")
        self.by_caller = by_caller
