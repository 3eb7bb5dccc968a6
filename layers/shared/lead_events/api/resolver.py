"""Setup shared by every HTTP function's resolver."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from lead_events.api.context import SECURITY_SCHEMES
from lead_events.api.errors import install_error_handlers

_FORM = "application/x-www-form-urlencoded"

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def configure_resolver(app: APIGatewayHttpResolver) -> None:
    """Error answers and the bearer security scheme for the OpenAPI document."""
    app.configure_openapi(security_schemes=SECURITY_SCHEMES)
    install_error_handlers(app)


def json_bodies(handler: Handler) -> Handler:
    """Read request bodies as JSON whatever their label: the management API speaks JSON only.

    `curl -d '{...}'` labels JSON as a form; answering that with a list of missing fields would puzzle.
    """

    @functools.wraps(handler)
    def wrapper(event: dict[str, Any], context: Any) -> dict[str, Any]:
        headers = event.get("headers") or {}
        if str(headers.get("content-type", "")).startswith(_FORM):
            event = {**event, "headers": {**headers, "content-type": "application/json"}}
        return handler(event, context)

    return wrapper
