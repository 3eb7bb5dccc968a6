"""Setup shared by every HTTP function's resolver."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths

from lead_events.api.body import RequestValidation
from lead_events.api.context import SECURITY_SCHEMES
from lead_events.api.errors import install_error_handlers
from lead_events.observability import logger, metrics, traced

_FORM = "application/x-www-form-urlencoded"

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def configure_resolver(app: APIGatewayHttpResolver) -> None:
    """Error answers, bodies read by lead_events.api.body, and the bearer security scheme for the OpenAPI document.

    Powertools puts its request validation first on every route and gives no option for how it
    reads the body: the resolver's instance is replaced (before any route runs) by one that reads
    it with `read_json`, so that no body a client sends can end in a 500.
    """
    if not app._enable_validation:
        raise ValueError("Construct the resolver with enable_validation=True: its routes declare their input.")
    app._request_validation_middleware = RequestValidation()
    app.configure_openapi(security_schemes=SECURITY_SCHEMES)
    install_error_handlers(app)


def guard_request(handler: Handler) -> Handler:
    """Read a JSON body labelled as a form as JSON (its size is checked where it is read: lead_events.api.body).

    `curl -d '{...}'` labels JSON as a form; answering that with a list of missing fields would puzzle.
    Real form bodies (the inbound postback URL accepts them) are left alone.
    """

    @functools.wraps(handler)
    def wrapper(event: dict[str, Any], context: Any) -> dict[str, Any]:
        headers = event.get("headers") or {}
        body = event.get("body") or ""
        looks_json = not event.get("isBase64Encoded") and body.lstrip()[:1] in ("{", "[")
        if looks_json and str(headers.get("content-type", "")).startswith(_FORM):
            event = {**event, "headers": {**headers, "content-type": "application/json"}}
        return handler(event, context)

    return wrapper


def http_handler(app: APIGatewayHttpResolver) -> Handler:
    """An HTTP function's entry point: its request guarded, logged with its correlation id, its
    metrics flushed, traced when tracing is on; then resolved by `app`."""

    @traced
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @metrics.log_metrics
    @guard_request
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return app.resolve(event, context)

    return lambda_handler
