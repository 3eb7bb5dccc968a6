"""DynamoDB applies each request atomically; moto does not (it has no request lock).

Without a lock, two concurrent conditional writes can both pass their condition in moto — exactly
what the once-per-lead rule and the dispatcher's claims rely on never happening. These helpers
serialize moto's DynamoDB requests, in server mode (the local stack) and in-process (the tests).
SQS requests are left alone: a long poll must not hold up the tables.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber
from moto.moto_server.threaded_moto_server import MotoRequestHandler, ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

_dynamodb_lock = threading.RLock()


def _serialized_wsgi(app: Callable[..., Iterable[bytes]]) -> Callable[..., list[bytes]]:
    def serialized(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            with _dynamodb_lock:
                return list(app(environ, start_response))
        return list(app(environ, start_response))

    return serialized


class AtomicMotoServer(ThreadedMotoServer):
    """moto's threaded server with each DynamoDB request applied whole before the next."""

    def _server_entry(self) -> None:
        app = _serialized_wsgi(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


def serialize_in_process_dynamodb() -> None:
    """Make `mock_aws` apply each DynamoDB request whole (idempotent)."""
    original = BotocoreStubber.process_request
    if getattr(original, "_serialized", False):
        return

    @functools.wraps(original)
    def process_request(self: BotocoreStubber, request: Any) -> Any:
        if "dynamodb" in str(request.url):
            with _dynamodb_lock:
                return original(self, request)
        return original(self, request)

    process_request._serialized = True  # type: ignore[attr-defined]
    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]
