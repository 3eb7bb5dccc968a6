"""Runs the template's functions in this process, the way Lambda runs warm containers.

Each function gets a pool of instances; an instance is the handler module loaded afresh (its own
globals, its own resolver), serves one invocation at a time, and is kept warm for the next one.

Libraries are shared by every instance of every function (one process), and Powertools' event handler
keeps the invocation's event and context on a class: `resolve` sets `BaseRouter.current_event`, and
every resolver reads its request from there. On Lambda that is one invocation per process; here two
concurrent invocations would read each other's request (a lead registered with another request's body,
a route answering for another organization). `isolate_invocations` makes that state per thread: an
invocation runs on one thread from start to end.

Powertools' Logger is shared the same way: the keys `inject_lambda_context` appends (function_name,
function_request_id, cold_start, correlation_id) live on one formatter that every instance logs
through, so a dispatcher line would carry the name and request id of whichever invocation appended
last. `isolate_log_keys` gives each invocation keys of its own (Powertools' thread-safe keys, a
ContextVar): an invocation runs in a context of its own, and the threads it hands work to run in a
copy of it (logic/dispatch.py submits with `contextvars.copy_context().run`).
"""

from __future__ import annotations

import contextvars
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
# True in the context an invocation runs in (and in the copies its threads are handed).
_in_invocation: contextvars.ContextVar[bool] = contextvars.ContextVar("local_invocation", default=False)
# True when the invocation is its instance's first (a cold start).
_cold_start: contextvars.ContextVar[bool] = contextvars.ContextVar("local_cold_start", default=False)


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


def isolate_log_keys() -> None:
    """Make the keys Powertools' Logger appends during an invocation that invocation's own (idempotent).

    `Logger.append_keys` updates the formatter's dict, shared by every Logger of the service and so by
    every instance here. Powertools v3 also keeps keys in a ContextVar (`thread_safe_append_keys`), merged
    over the formatter's on every line: during an invocation the formatter's append, remove, clear and
    get act on those instead. Outside one (a module's import, which sets the service and the like) they
    act on the shared dict, as before. And `cold_start` is the instance's: Powertools keeps one flag for
    the process, so only the process's first invocation would say True.
    """
    from aws_lambda_powertools.logging import logger as powertools_logger
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter as Formatter

    if getattr(Formatter, "_local_keys_isolated", False):
        return
    shared_append, shared_remove = Formatter.append_keys, Formatter.remove_keys
    shared_clear, shared_get = Formatter.clear_state, Formatter.get_current_keys

    def append_keys(self: Formatter, **keys: Any) -> None:
        if not _in_invocation.get():
            return shared_append(self, **keys)
        self.thread_safe_append_keys(**keys)
        return None

    def remove_keys(self: Formatter, keys: Any) -> None:
        if not _in_invocation.get():
            return shared_remove(self, keys)
        # Rebuilt, not popped in place: the dict may be shared with a copy of this context.
        gone = set(keys)
        kept = {k: v for k, v in self.thread_safe_get_current_keys().items() if k not in gone}
        self.thread_safe_clear_keys()
        self.thread_safe_append_keys(**kept)
        return None

    def clear_state(self: Formatter) -> None:
        if not _in_invocation.get():
            return shared_clear(self)
        self.thread_safe_clear_keys()
        return None

    def get_current_keys(self: Formatter) -> dict[str, Any]:
        if not _in_invocation.get():
            return shared_get(self)
        return {**self.log_format, **self.thread_safe_get_current_keys()}

    for function in (append_keys, remove_keys, clear_state, get_current_keys):
        setattr(Formatter, function.__name__, function)
    process_cold_start = powertools_logger._is_cold_start

    def is_cold_start() -> bool:
        return _cold_start.get() if _in_invocation.get() else process_cold_start()

    powertools_logger._is_cold_start = is_cold_start  # read by inject_lambda_context at each call
    Formatter._local_keys_isolated = True  # type: ignore[attr-defined]


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
        isolate_log_keys()
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
            cold = handler is None
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
                _in_invocation.set(True)
                _cold_start.set(cold)
                try:
                    outcome["result"] = handler(event, context)
                except BaseException as exc:  # handed to the caller, as Lambda hands back a function error
                    outcome["error"] = exc

            worker = threading.Thread(
                target=contextvars.Context().run,  # an empty context: nothing of another invocation's
                args=(run,),
                name=f"{threading.current_thread().name}/{self.function.logical_id}",
                daemon=True,
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
