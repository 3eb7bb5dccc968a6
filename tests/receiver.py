"""A real HTTP server that receives postbacks in tests: scripted answers, every request recorded."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    header_lines: list[tuple[str, str]]  # every header as sent, repeated ones too
    client_port: int  # the same on two requests: they came over one connection


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.scripts: dict[str, deque[tuple[int, str, dict[str, str]]]] = defaultdict(deque)
        self.delay = 0.0
        self.holds: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once (else ~40 ms of delayed ACK)

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                route = self.path.split("?", 1)[0]
                with receiver._lock:
                    receiver.requests.append(
                        Received(
                            self.command,
                            self.path,
                            dict(self.headers),
                            body,
                            list(self.headers.items()),
                            self.client_address[1],
                        )
                    )
                    script = receiver.scripts[route]
                    status, text, headers = script.popleft() if script else (200, "OK", {})
                if receiver.delay:
                    time.sleep(receiver.delay)
                if route in receiver.holds:
                    receiver.holds[route].wait(timeout=30)
                data = text.encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle  # noqa: N815 - the names http.server calls

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, path: str, *answers: int | tuple[int, str] | tuple[int, str, dict[str, str]]) -> None:
        """Script the next answers for `path` (status, or status and body, or status, body and headers)."""
        for answer in answers:
            if isinstance(answer, int):
                self.scripts[path].append((answer, "scripted", {}))
            elif len(answer) == 2:
                self.scripts[path].append((answer[0], answer[1], {}))
            else:
                self.scripts[path].append(answer)  # type: ignore[arg-type]

    def hold(self, path: str) -> threading.Event:
        """Keep requests to `path` unanswered until the event returned is set."""
        release = self.holds[path] = threading.Event()
        return release

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path.split("?", 1)[0] == path]

    def wait_for(self, count: int, path: str | None = None, timeout: float = 20) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received(path)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"expected {count} requests to {path or 'any path'}, got {len(self.received(path))}")

    def close(self) -> None:
        for release in self.holds.values():
            release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()
