"""The local inbox: a receiver for postbacks, so a newcomer sees one land without writing a server.

Served by the local stack next to the API (never part of template.yaml, never deployed): any request
under `/_inbox/` (any method, any path below it) is answered 200 and kept in memory, the newest
`capacity` of them. `GET /_inbox` reads them as JSON, newest first; `?after=<id>` only those
received after the one with that id (the console's Inbox page polls so). Reads live at `/_inbox`
itself and captures below it, so a postback can never be mistaken for a read.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

PREFIX = "/_inbox"
CAPACITY = 500
MAX_BODY_BYTES = 256 * 1024  # kept of each body; the rest is dropped and the request says so

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _json(status: int, data: Any) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


class Inbox:
    """The requests received under /_inbox/, the newest `capacity` of them, safe for concurrent requests."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._requests: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def wrap(self, app: WsgiApp) -> WsgiApp:
        """A WSGI application that serves the inbox under /_inbox and hands every other request to `app`."""

        def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            if path == PREFIX or path.startswith(PREFIX + "/"):
                return self.handle(Request(environ))(environ, start_response)
            return app(environ, start_response)

        return application

    def handle(self, request: Request) -> Response:
        if request.path == PREFIX and request.method in ("GET", "HEAD"):
            return self.read(request.args.get("after", ""))
        received = self.record(request)
        return _json(200, {"received": received["id"]})

    def record(self, request: Request) -> dict[str, Any]:
        data = request.get_data()
        kept = data[:MAX_BODY_BYTES]
        try:
            body, encoding = kept.decode(), "text"
        except UnicodeDecodeError:
            body, encoding = base64.b64encode(kept).decode(), "base64"
        query = request.query_string.decode("latin-1")
        # As sent, percent-escapes and all (Request.url decodes them): the dev server keeps the raw target.
        target = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
        target = target or quote(request.path) + (f"?{query}" if query else "")
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        with self._lock:
            received = {
                "id": next(self._ids),
                "received_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "method": request.method,
                "url": request.host_url.rstrip("/") + target,
                "path": request.path,
                "query": query,
                "headers": headers,
                "body": body,
                "body_encoding": encoding,
                "body_truncated": len(data) > MAX_BODY_BYTES,
            }
            self._requests.append(received)
        return received

    def read(self, after: str) -> Response:
        if after and not after.isdigit():
            return _json(400, {"message": f"after must be the id of a received request (a number), not {after!r}."})
        since = int(after or 0)
        with self._lock:
            items = [r for r in reversed(self._requests) if r["id"] > since]
            latest = self._requests[-1]["id"] if self._requests else 0
        # `inbox` says who answers: the console shows its Inbox page only when the local stack does.
        # `latest` below `after`: the stack was restarted since (ids start again at 1).
        return _json(200, {"inbox": "local", "items": items, "latest": latest, "capacity": self.capacity})

    @property
    def capacity(self) -> int:
        return self._requests.maxlen or 0
