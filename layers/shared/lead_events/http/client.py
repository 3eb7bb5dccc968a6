"""The one outbound HTTP client: pooled, bounded, no redirects, guarded against internal targets.

A `requests.Session` whose connections resolve the host themselves and connect only to an address
that passed the guard (the TLS certificate is still checked against the hostname).

Every send() is over within request_bound() seconds (POSTBACK_REQUEST_TIMEOUT), from resolving
the host to the last byte of the answer kept, however slowly the receiver answers: each step's
socket timeout is held to the time left, resolution is waited for only that long, and a watchdog
shuts the connection down at the deadline (http/deadline.py says why that way). A connection cut
so is discarded; one whose answer was read in time goes back to the pool.

Every request carries its delivery's id as `webhook-id`, the Standard Webhooks header that a
signature (logic/signing.py) is computed over, signed or not, so receivers can tell a retry from a
new delivery.
"""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as ResolutionTimeout
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError
from urllib3.response import HTTPResponse
from urllib3.util import connection

from lead_events.config import settings
from lead_events.http import failures
from lead_events.http.deadline import Deadline, OutOfTime, Watch, bounded, current
from lead_events.http.guard import BlockedDestination, check_destination, refusal_reason, url_problem

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 10  # the longest silence between two reads; request_bound() is the whole request's
MAX_READ = 16 * 1024  # read at most this much of an answer (success_match looks here)
KEEP_BODY = 2 * 1024  # and keep this much of it in the log
POOL_SIZE = 20  # requests at a time; it divides the dispatcher's batch of 100 (template.yaml) evenly
USER_AGENT = "lead-events-postback/1.0"
ID_HEADER = "webhook-id"

# getaddrinfo cannot be interrupted, so it runs here and is waited for only as long as the request
# has left; a thread for each request that can be under way, so a stuck lookup delays no other.
_resolver = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="resolve")


def request_bound() -> float:
    """The longest one send() takes, in seconds, besides the moment it takes to give up."""
    return settings().request_timeout


def _resolve(conn: HTTPConnection, deadline: Deadline) -> list[Any]:
    host, port = conn._dns_host, conn.port
    try:  # an address needs no lookup
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        pass
    lookup = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return lookup.result(timeout=deadline.left())
    except ResolutionTimeout:
        lookup.cancel()
        raise OutOfTime(f"resolving {conn.host} took too long") from None
    except socket.gaierror as exc:
        raise NewConnectionError(conn, f"cannot resolve {conn.host}: {exc}") from exc


def _guarded_socket(conn: HTTPConnection, deadline: Deadline) -> socket.socket:
    allowed = settings().allowed_networks
    infos = _resolve(conn, deadline)
    addresses = [info[4][0] for info in infos]
    usable = [ip for ip in dict.fromkeys(addresses) if refusal_reason(str(ip), allowed) is None]
    if not usable:
        check_destination(str(addresses[0]), allowed)  # raises with the reason
    last_error: OSError | None = None
    for ip in usable:
        try:
            return connection.create_connection(
                (str(ip), conn.port),
                deadline.clamp(conn.timeout),
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except OSError as exc:
            last_error = exc
    raise NewConnectionError(conn, f"Failed to establish a new connection: {last_error}") from last_error


class _BoundedConnection(HTTPConnection):
    """A guarded connection that holds each step to the deadline of the request using it."""

    _watch: Watch | None = None

    def _new_conn(self) -> socket.socket:
        deadline = current()
        sock = _guarded_socket(self, deadline)
        self._watch = deadline.watch(sock)  # the raw socket, before any TLS handshake on it
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline = current()
        if self.sock is not None and (self._watch is None or self._watch.deadline is not deadline):
            self._watch = deadline.watch(self.sock)  # a pooled connection, reused
        self.timeout = deadline.clamp(self.timeout)
        super().request(*args, **kwargs)

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]  # as urllib3's own
        self.timeout = current().clamp(self.timeout)
        return super().getresponse()

    def unwatch(self) -> bool:
        """The request is done with this connection; False when it was cut at the deadline."""
        watch, self._watch = self._watch, None
        return watch is None or watch.release()

    def close(self) -> None:
        self.unwatch()
        super().close()


class _GuardedHTTPConnection(_BoundedConnection):
    pass


class _GuardedHTTPSConnection(_BoundedConnection, HTTPSConnection):
    pass


class _BoundedPool(HTTPConnectionPool):
    def _put_conn(self, conn: Any) -> None:
        if isinstance(conn, _BoundedConnection) and not conn.unwatch():
            conn.close()  # cut mid-exchange: what is left on it is not the next answer
            conn = None
        super()._put_conn(conn)


class _GuardedHTTPPool(_BoundedPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(_BoundedPool, HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


@cache
def session() -> requests.Session:
    """The container's session: one pool of POOL_SIZE connections per host, reused across invocations."""
    s = requests.Session()
    s.trust_env = False  # no proxy from the environment can route around the guard
    adapter = GuardedAdapter(pool_connections=POOL_SIZE, pool_maxsize=POOL_SIZE, max_retries=0)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.headers["User-Agent"] = USER_AGENT
    return s


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    elapsed_ms: int
    response_body: str | None
    error: str | None  # a short sentence a person can act on (http/failures.py)
    retry_after: float | None = None
    final: bool = False  # True when retrying cannot help (the destination is refused)
    error_detail: str | None = None  # the technical text behind the error


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def send(
    method: str, url: str, headers: dict[str, str], body: str | None, success_match: str | None, *, delivery_id: str
) -> Outcome:
    """Fire one request and describe what happened; never raises for anything the receiver does.

    `delivery_id` is sent as `webhook-id`; a signature among `headers` must be over the same id.
    """
    problem = url_problem(url)
    started = time.monotonic()
    if problem:
        return Outcome(False, None, 0, None, f"the URL {problem}", final=True)
    headers = _with_id(headers, delivery_id)
    with bounded(request_bound()) as deadline:
        outcome = _exchange(method, url, headers, body, success_match, deadline)
    if isinstance(outcome, _Cut):
        error, detail = failures.out_of_time(deadline.seconds, outcome.step)
        return Outcome(False, None, _ms(started), None, error, error_detail=detail)
    return replace(outcome, elapsed_ms=_ms(started))


def _with_id(headers: dict[str, str], delivery_id: str) -> dict[str, str]:
    """`headers` with the one webhook-id; a different one among them (a signature's) is a bug of ours."""
    given = {value for name, value in headers.items() if name.lower() == ID_HEADER}
    if given - {delivery_id}:
        raise ValueError(f"{ID_HEADER} {sorted(given)} among the headers is not the delivery's id {delivery_id!r}")
    return {name: value for name, value in headers.items() if name.lower() != ID_HEADER} | {ID_HEADER: delivery_id}


@dataclass(frozen=True)
class _Cut:
    """The request ran out of time; `step` says where (for the error's detail)."""

    step: str


def _exchange(
    method: str, url: str, headers: dict[str, str], body: str | None, success_match: str | None, deadline: Deadline
) -> Outcome | _Cut:
    """The request's outcome (its elapsed_ms left at 0), or _Cut when it ran out of time."""
    try:
        response = session().request(
            method,
            url,
            headers=headers,
            data=body.encode() if body is not None else None,
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            allow_redirects=False,
            stream=True,
        )
    except (BlockedDestination, OutOfTime, requests.RequestException) as exc:
        if not isinstance(exc, BlockedDestination) and deadline.passed():
            return _Cut(f"before an answer came ({type(exc).__name__}: {exc})")
        parts = urlsplit(url)
        error, detail = failures.request_failure(
            exc,
            parts.hostname or "",
            parts.port or (443 if parts.scheme == "https" else 80),
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
        )
        return Outcome(False, None, 0, None, error, final=isinstance(exc, BlockedDestination), error_detail=detail)
    read_error: failures.Failure | None = None
    try:
        raw = response.raw.read(MAX_READ, decode_content=True) or b""
    except Exception as exc:  # a broken answer is the receiver's failure, not ours
        raw, read_error = b"", failures.read_failure(exc, read_timeout=READ_TIMEOUT)
    finally:
        response.close()
    if deadline.cut or (read_error and deadline.passed()):
        # Cut short, what was read may look like a whole answer: headers or body end at a cut.
        return _Cut(f"while the answer was read (the receiver had answered {response.status_code})")
    text = raw.decode(response.encoding or "utf-8", errors="replace")
    status = response.status_code
    ok = 200 <= status < 300 and read_error is None
    failure = read_error
    if ok and success_match and success_match not in text:
        ok, failure = False, failures.success_match_missed(status, success_match, len(raw))
    elif not 200 <= status < 300:
        failure = failures.status_failure(status, response.reason or "", response.headers.get("location"))
    retry_after = _retry_after(response.headers.get("retry-after"))
    if failure is None:
        return Outcome(ok, status, 0, text[:KEEP_BODY], None, retry_after)
    return Outcome(ok, status, 0, text[:KEEP_BODY], failure[0], retry_after, error_detail=failure[1])


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
