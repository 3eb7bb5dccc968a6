"""Reading a request's body: every body that cannot be read is the client's error, answered 4xx.

Powertools' request validation reads the body itself and lets some failures escape as plain
exceptions (a 500): an integer longer than Python converts, `multipart/form-data` without a
boundary, a base64 body that is not base64. Every function's resolver reads its JSON bodies here
instead (`configure_resolver`), and the inbound postback URL reads its text here too.

The size limit is checked here, when a route reads its body, so only routes that take a body answer
413 (a body sent to a route that takes none is not read).
"""

from __future__ import annotations

import base64
import binascii
import codecs
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from lead_events import json_text
from lead_events.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.types import EventHandlerInstance
    from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

JSON = "application/json"
MAX_BODY_BYTES = 256 * 1024
_SEND_JSON = f"send the body as JSON, with 'Content-Type: {JSON}'"


def media_type(content_type: str) -> tuple[str, dict[str, str]]:
    """`text/plain; charset=UTF-8` -> ("text/plain", {"charset": "UTF-8"})."""
    kind, *params = content_type.split(";")
    parameters = {}
    for param in params:
        name, _, value = param.partition("=")
        parameters[name.strip().lower()] = value.strip().strip('"')
    return kind.strip().lower(), parameters


def request_text(event: BaseProxyEvent) -> str:
    """The body as text: base64 decoded if it came encoded, then decoded with its declared charset (UTF-8 if none)."""
    body = event.body or ""
    if len(body) > MAX_BODY_BYTES * (4 / 3 if event.is_base64_encoded else 1):
        raise PayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    if not event.is_base64_encoded:
        return body
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("The body is marked base64-encoded but is not valid base64.") from exc
    charset = media_type(event.headers.get("content-type") or "")[1].get("charset") or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError as exc:
        raise UnsupportedMediaType(f"Unknown charset '{charset[:40]}'; send the body as UTF-8.") from exc
    try:
        return raw.decode(charset)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"The body is not valid {charset[:40]} text; send JSON encoded as UTF-8.") from exc


def read_json(event: BaseProxyEvent) -> Any:
    """The JSON body (None when there is none); a body of another type is 415, an unreadable one 4xx."""
    kind, _ = media_type(event.headers.get("content-type") or "")
    if kind not in ("", JSON) and not kind.endswith("+json"):
        if kind.startswith("multipart/"):
            raise UnsupportedMediaType(f"Multipart bodies are not accepted here; {_SEND_JSON}.")
        raise UnsupportedMediaType(f"'{kind[:80]}' bodies are not accepted here; {_SEND_JSON}.")
    text = request_text(event)
    if not text:
        return None
    try:
        return json_text.loads(text)
    except json_text.NotJson as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body",),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": str(exc)},
                }
            ]
        ) from exc


class RequestValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, with the body read by `read_json`."""

    def _get_body(self, app: EventHandlerInstance) -> Any:
        return read_json(app.current_event)
