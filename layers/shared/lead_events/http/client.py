"""The one outbound HTTP client: pooled, bounded, no redirects, guarded against internal targets.

A `requests.Session` whose connections resolve the host themselves and connect only to an address
that passed the guard (the TLS certificate is still checked against the hostname).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError
from urllib3.util import connection

from lead_events.config import settings
from lead_events.http.guard import BlockedDestination, check_destination, refusal_reason, url_problem

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 10
MAX_READ = 16 * 1024  # read at most this much of an answer (success_match looks here)
KEEP_BODY = 2 * 1024  # and keep this much of it in the log
POOL_SIZE = 20  # requests at a time; it divides the dispatcher's batch of 100 (template.yaml) evenly
USER_AGENT = "lead-events-postback/1.0"


def _guarded_socket(conn: HTTPConnection) -> socket.socket:
    allowed = settings().allowed_networks
    try:
        infos = socket.getaddrinfo(conn._dns_host, conn.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NewConnectionError(conn, f"cannot resolve {conn.host}: {exc}") from exc
    addresses = [info[4][0] for info in infos]
    usable = [ip for ip in dict.fromkeys(addresses) if refusal_reason(str(ip), allowed) is None]
    if not usable:
        check_destination(str(addresses[0]), allowed)  # raises with the reason
    last_error: OSError | None = None
    for ip in usable:
        try:
            return connection.create_connection(
                (str(ip), conn.port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except OSError as exc:
            last_error = exc
    raise NewConnectionError(conn, f"Failed to establish a new connection: {last_error}")


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_socket(self)


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_socket(self)


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
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
    error: str | None
    retry_after: float | None = None
    final: bool = False  # True when retrying cannot help (the destination is refused)


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


def request_bound() -> float:
    """The longest one request may take, from connect to the last byte kept."""
    return CONNECT_TIMEOUT + READ_TIMEOUT


def send(
    method: str,
    url: str,
    headers: dict[str, str],
    body: str | None,
    success_match: str | None,
    *,
    delivery_id: str,
) -> Outcome:
    """Fire one request and describe what happened; never raises for anything the receiver does."""
    headers = {**headers, "webhook-id": delivery_id}
    problem = url_problem(url)
    started = time.monotonic()
    if problem:
        return Outcome(False, None, 0, None, f"The URL {problem}.", final=True)
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
    except BlockedDestination as exc:
        return Outcome(False, None, _ms(started), None, str(exc), final=True)
    except requests.Timeout as exc:
        return Outcome(False, None, _ms(started), None, f"Timed out: {exc}")
    except requests.RequestException as exc:
        return Outcome(False, None, _ms(started), None, f"Connection failed: {exc}")
    read_error: str | None = None
    try:
        raw = response.raw.read(MAX_READ, decode_content=True) or b""
    except Exception as exc:  # a broken answer is the receiver's failure, not ours
        raw, read_error = b"", f"Reading the answer failed: {exc}"
    finally:
        response.close()
    text = raw.decode(response.encoding or "utf-8", errors="replace")
    status = response.status_code
    ok = 200 <= status < 300 and read_error is None
    error = read_error
    if ok and success_match and success_match not in text:
        ok, error = False, f"The answer does not contain the success_match text {success_match!r}."
    elif 300 <= status < 400:
        error = f"Redirect to {response.headers.get('location', '?')} not followed."
    elif not ok and error is None:
        error = f"HTTP {status}"
    return Outcome(ok, status, _ms(started), text[:KEEP_BODY], error, _retry_after(response.headers.get("retry-after")))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
