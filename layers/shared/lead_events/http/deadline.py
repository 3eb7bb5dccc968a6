"""A wall-clock bound on one request, however slowly its receiver answers.

A socket timeout bounds each read, not the request: a receiver that sends one byte just before
every read timeout holds the request as long as it likes. So each request has a `Deadline`, and
one watchdog thread for the container shuts down the sockets of a request whose deadline has
passed: whatever the request is blocked in (the TLS handshake, sending, the status line, the
headers, the body) fails at once, and its connection is discarded. The client also holds every
socket timeout to the time left, and waits for name resolution, which no socket timeout covers,
only that long (http/client.py).

Why this and not:
- a thread per request, waited for with a timeout: send() would return in time, but the thread,
  its socket and its pooled connection would stay busy until the receiver is done, maybe into the
  next invocation;
- signal.alarm or setitimer: they interrupt the main thread only, and requests run on the
  dispatcher's threads;
- holding each read's timeout to the time left: that needs a hook inside every read of http.client
  and ssl, which call recv themselves;
- closing the socket from the watchdog: close() does not wake a thread blocked in recv on Linux,
  and the descriptor's number can be handed to a new socket at once. shutdown() wakes it; it is
  called on a dup() that the watchdog holds from the moment the request takes the socket until it
  lets go of it, so the descriptor it acts on is always that socket's. Shutting a dup down shuts
  the connection down for every descriptor of it; closing a dup closes only the dup;
- an asyncio client (one wait_for around the request): it would replace the pooled session, the
  guard's connection classes and the dispatcher's threads, for the same bound.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar


class OutOfTime(Exception):
    """The request's deadline passed before a step could start, or while one that cannot be cut ran."""


class Deadline:
    """When one request must be over; `cut` once the watchdog has shut one of its sockets down."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.cut = False
        self._watches: list[Watch] = []

    def left(self) -> float:
        """The seconds left; raises OutOfTime when none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise OutOfTime(f"no time left of {self.seconds:g} s")
        return left

    def clamp(self, timeout: object) -> float:
        """A socket timeout (None or urllib3's default: none) held to the time left."""
        left = self.left()
        return min(float(timeout), left) if isinstance(timeout, int | float) else left

    def passed(self) -> bool:
        return self.cut or time.monotonic() >= self.at

    def watch(self, sock: socket.socket) -> Watch:
        """Have the watchdog shut `sock` down at the deadline, until the watch is released."""
        watch = _watchdog.watch(sock, self)
        self._watches.append(watch)
        return watch

    def finish(self) -> None:
        """The request is over: release whatever its connections did not."""
        for watch in self._watches:
            watch.release()


class Watch:
    """One socket watched for one request, through a dup of it; released, the dup is closed."""

    __slots__ = ("cut", "deadline", "dup")

    def __init__(self, deadline: Deadline, dup: socket.socket) -> None:
        self.deadline = deadline
        self.dup: socket.socket | None = dup
        self.cut = False

    def release(self) -> bool:
        """Stop watching; False when the socket was cut (its connection must not be reused)."""
        with _watchdog.lock:
            if self.dup is not None:
                self.dup.close()
                self.dup = None
            return not self.cut


class _Watchdog:
    """One thread for the container, asleep until the earliest deadline of the watched sockets."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()  # breaks ties between equal deadlines
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, deadline: Deadline) -> Watch:
        # fromfd dups the descriptor; an SSLSocket refuses dup() but shares its descriptor like this.
        watch = Watch(deadline, socket.fromfd(sock.fileno(), sock.family, sock.type))
        with self.lock:
            heapq.heappush(self._heap, (deadline.at, next(self._order), watch))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="request-deadlines", daemon=True)
                self._thread.start()
            self.lock.notify()
        return watch

    def _run(self) -> None:
        with self.lock:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].dup is None or self._heap[0][0] <= now):
                    self._cut(heapq.heappop(self._heap)[2])
                self.lock.wait(self._heap[0][0] - now if self._heap else None)

    @staticmethod
    def _cut(watch: Watch) -> None:
        if watch.dup is None:  # released in time
            return
        watch.cut = watch.deadline.cut = True
        with suppress(OSError):  # the receiver closed it already
            watch.dup.shutdown(socket.SHUT_RDWR)
        watch.dup.close()
        watch.dup = None


_watchdog = _Watchdog()
_current: ContextVar[Deadline | None] = ContextVar("request_deadline", default=None)


@contextmanager
def bounded(seconds: float) -> Iterator[Deadline]:
    """The deadline of the request made inside, `seconds` from now, for its connection to find."""
    deadline = Deadline(seconds)
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)
        deadline.finish()


def current() -> Deadline:
    """The deadline of the request this thread is making; requests are made through client.send()."""
    deadline = _current.get()
    if deadline is None:
        raise RuntimeError("a postback request outside lead_events.http.client.send(), which bounds it")
    return deadline
