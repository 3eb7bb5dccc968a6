"""What went wrong with a postback request, as a short sentence a person can act on, the technical text apart.

Each function answers `(error, error_detail)`: the error says what happened in the receiver's terms
("could not resolve host network.example", "the receiver answered 500"), the detail keeps what the
libraries said, for whoever has to dig further. The client (http/client.py) calls these at the step
that failed: the request, the answer's status, the reading of its body.
"""

from __future__ import annotations

import errno
import http.client
import os
import socket
import ssl
from collections.abc import Iterator

import requests
from urllib3.exceptions import ConnectTimeoutError, DecodeError, NewConnectionError, ProtocolError, ReadTimeoutError

from lead_events.http.guard import BlockedDestination

DETAIL_LIMIT = 1000  # the detail is kept with every attempt: long tracebacks-as-text are cut here

Failure = tuple[str, str | None]

# OpenSSL's verification results (X509_V_ERR_*) that say something a receiver's operator can fix.
_NOT_FOR_HOST = {62, 64}  # hostname, IP address mismatch
_EXPIRED, _NOT_YET_VALID = 10, 9
_UNTRUSTED = {2, 18, 19, 20, 21}  # self-signed, or an issuer that is not a known authority


def _detail(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:DETAIL_LIMIT]


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception behind it: urllib3 keeps one in `reason`, requests in `args`, Python in __cause__."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        behind = [getattr(current, "reason", None), current.__cause__, current.__context__, *current.args]
        todo += [e for e in behind if isinstance(e, BaseException)]


def _first[E: BaseException](exc: BaseException, kind: type[E]) -> E | None:
    return next((e for e in _causes(exc) if isinstance(e, kind)), None)


def where(host: str, port: int) -> str:
    """`host:port`, an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def request_failure(
    exc: BaseException, host: str, port: int, *, connect_timeout: float, read_timeout: float
) -> Failure:
    """A request that got no answer: no connection, no TLS, no HTTP, or not in time (before the deadline)."""
    detail = _detail(exc)
    at = where(host, port)
    if isinstance(exc, BlockedDestination):
        if exc.ip == host:
            return f"{host} is a {exc.reason} address; postbacks may only reach public addresses", detail
        return (
            f"{host} resolves to a {exc.reason} address ({exc.ip}); postbacks may only reach public addresses",
            detail,
        )
    if _first(exc, socket.gaierror) is not None:
        return f"could not resolve host {host}", detail
    verification = _first(exc, ssl.SSLCertVerificationError)
    if verification is not None:
        return _certificate_failure(verification, host), detail
    if _first(exc, ConnectionRefusedError) is not None:
        return f"connection refused by {at}", detail
    if isinstance(exc, requests.ReadTimeout) or _first(exc, ReadTimeoutError) is not None:
        return f"no answer within {read_timeout:g} s", detail
    # The guarded socket's NewConnectionError carries the connect's own TimeoutError; urllib3's
    # NewConnectionError is a ConnectTimeoutError too, whatever the failure was.
    if _first(exc, TimeoutError) is not None or any(
        isinstance(e, ConnectTimeoutError) and not isinstance(e, NewConnectionError) for e in _causes(exc)
    ):
        return f"could not connect to {at} within {connect_timeout:g} s", detail
    if _first(exc, ssl.SSLError) is not None:
        return f"TLS handshake with {at} failed", detail
    if _first(exc, http.client.RemoteDisconnected) is not None:
        return f"{at} closed the connection without answering", detail
    if _first(exc, ConnectionResetError) is not None:
        return f"connection reset by {at}", detail
    unreachable = next((e for e in _causes(exc) if isinstance(e, OSError) and e.errno in _UNREACHABLE), None)
    if unreachable is not None and unreachable.errno is not None:
        return f"could not reach {at}: {os.strerror(unreachable.errno).lower()}", detail
    if _first(exc, http.client.HTTPException) is not None or _first(exc, ProtocolError) is not None:
        return f"{at} did not answer in HTTP", detail
    return f"the request to {at} failed", detail


_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}


def _certificate_failure(exc: ssl.SSLCertVerificationError, host: str) -> str:
    code = exc.verify_code
    if code in _NOT_FOR_HOST:
        return f"TLS certificate not valid for host {host}"
    if code == _EXPIRED:
        return f"TLS certificate of {host} has expired"
    if code == _NOT_YET_VALID:
        return f"TLS certificate of {host} is not valid yet"
    if code in _UNTRUSTED:
        return f"TLS certificate of {host} is not from a trusted authority"
    return f"TLS certificate of {host} was not accepted ({exc.verify_message})"


def out_of_time(seconds: float, step: str) -> Failure:
    """The request's deadline (POSTBACK_REQUEST_TIMEOUT) passed; `step` says where it was cut off."""
    return f"no answer within {seconds:g} s", f"POSTBACK_REQUEST_TIMEOUT ({seconds:g} s) passed {step}"[:DETAIL_LIMIT]


def read_failure(exc: BaseException, *, read_timeout: float) -> Failure:
    """The answer's status came, its body could not be read."""
    if _first(exc, ReadTimeoutError) is not None:
        return f"the answer stalled for {read_timeout:g} s", _detail(exc)
    if _first(exc, DecodeError) is not None:
        return "the answer's content encoding could not be decoded", _detail(exc)
    if _first(exc, ProtocolError) is not None or _first(exc, http.client.IncompleteRead) is not None:
        return "the answer broke off before its end", _detail(exc)
    return "the answer could not be read", _detail(exc)


def status_failure(status: int, reason: str, location: str | None) -> Failure:
    """An answer whose status is not a success: a redirect (never followed) or an error."""
    detail = f"HTTP {status} {reason}".rstrip()
    if 300 <= status < 400:
        if location:
            return f"redirect to {location} not followed", f"{detail}; Location: {location}"[:DETAIL_LIMIT]
        return f"the receiver answered {status} (a redirect) without a location", detail
    return f"the receiver answered {status}", detail


def success_match_missed(status: int, success_match: str, read: int) -> Failure:
    """A 2xx answer without the text the postback's success_match expects."""
    return (
        f"the answer does not contain the expected text {success_match!r}",
        f"HTTP {status}; success_match {success_match!r} is not in the first {read} bytes of the answer",
    )
