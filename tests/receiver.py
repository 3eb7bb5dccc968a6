"""A real HTTP server that receives postbacks in tests: scripted answers, every request recorded.

It can also answer slowly, one byte at a time (`trickle`), and there is a server that accepts
connections and never answers (`SilentServer`); both note when the client hung up on them.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    header_lines: list[tuple[str, str]]  # every header as sent, repeated ones too
    client_port: int  # the same on two requests: they came over one connection


@dataclass(frozen=True)
class Trickle:
    part: str  # "body", "head" (the status line and headers) or "headers" (after the status line)
    every: float
    seconds: float


def _client_gone(sock: socket.socket, wait: float) -> bool:
    """Whether the client closed the connection, waiting at most `wait` for it to."""
    readable, _, _ = select.select([sock], [], [], wait)
    if not readable:
        return False
    try:  # peek at the TCP stream itself, under any TLS: an end of it is the client's close
        return socket.socket.recv(sock, 1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class _HangUps:
    """When clients hung up, by path: seconds after the request arrived (SilentServer: "", after accepting)."""

    def __init__(self) -> None:
        self._seen: dict[str, list[float]] = defaultdict(list)
        self._changed = threading.Condition()

    def note(self, path: str, after: float) -> None:
        with self._changed:
            self._seen[path].append(after)
            self._changed.notify_all()

    def wait(self, path: str = "", timeout: float = 20) -> float:
        """Seconds between the first request to `path` and its client hanging up, once it has."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._seen[path], timeout):
                raise AssertionError(f"the client did not hang up on {path or 'the server'} within {timeout} s")
            return self._seen[path][0]


class Receiver:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Received] = []
        self.scripts: dict[str, deque[tuple[int, str, dict[str, str]]]] = defaultdict(deque)
        self.delay = 0.0
        self.holds: dict[str, threading.Event] = {}
        self.trickles: dict[str, Trickle] = {}
        self.hangups = _HangUps()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once (else ~40 ms of delayed ACK)

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                route = self.path.split("?", 1)[0]
                arrived = time.monotonic()
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
                if route in receiver.trickles:
                    self._trickle(route, receiver.trickles[route], arrived)
                    return
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

            def _trickle(self, route: str, trickle: Trickle, arrived: float) -> None:
                """Answer 200 OK one byte every `every` s for `seconds`, or until the client hangs up."""
                self.close_connection = True
                count = max(1, int(trickle.seconds / trickle.every))
                slow = b"." * count
                if trickle.part in ("head", "headers"):
                    status = b"HTTP/1.1 200 OK\r\n"
                    headers = b"Content-Length: 2\r\nX-Slow: %s\r\n\r\n" % (b"." * max(1, count - 40))
                    if trickle.part == "head":
                        chunks = [(status + headers, True), (b"OK", False)]
                    else:
                        chunks = [(status, False), (headers, True), (b"OK", False)]
                else:
                    chunks = [(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(slow), False), (slow, True)]
                try:
                    for data, one_by_one in chunks:
                        for piece in [data[i : i + 1] for i in range(len(data))] if one_by_one else [data]:
                            if one_by_one and _client_gone(self.connection, trickle.every):
                                receiver.hangups.note(route, time.monotonic() - arrived)
                                return
                            self.wfile.write(piece)
                except OSError:
                    receiver.hangups.note(route, time.monotonic() - arrived)

            do_GET = do_POST = _handle  # noqa: N815 - the names http.server calls

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_address[1]}"
        # close() waits for serve_forever to look at its shutdown flag: every 50 ms, not its default 0.5 s.
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
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

    def trickle(self, path: str, part: str = "body", every: float = 0.5, seconds: float = 30) -> None:
        """Answer `path` one byte every `every` s for `seconds`: the `part` of the answer that Trickle names."""
        self.trickles[path] = Trickle(part, every, seconds)

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


class SilentServer:
    """Accepts TCP connections, reads what comes, never answers; notes when each client hung up."""

    def __init__(self, scheme: str = "http") -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.url = f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}"
        self.hangups = _HangUps()
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            threading.Thread(target=self._listen, args=(conn,), daemon=True).start()

    def _listen(self, conn: socket.socket) -> None:
        accepted = time.monotonic()
        conn.settimeout(60)
        with conn:
            try:
                while conn.recv(65536):
                    pass
            except OSError:
                return
            self.hangups.note("", time.monotonic() - accepted)

    def close(self) -> None:
        self._stop.set()
        self._listener.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def own_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ssl.SSLContext]:
    """A certificate authority of the tests' own (its file), and a server context with a certificate it issued."""
    from tests.tls import make_authority  # cryptography is imported only by the tests that need TLS

    return make_authority(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def https_receiver(own_ca: tuple[Path, ssl.SSLContext], monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A receiver over TLS whose certificate the client checks as usual, against the tests' CA."""
    from lead_events.http.client import session

    ca_file, context = own_ca
    monkeypatch.setattr(session(), "verify", str(ca_file))
    server = Receiver(tls=context)
    yield server
    server.close()
