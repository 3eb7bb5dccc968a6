"""The caller's organization and the parameters every list route takes."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.params import Query

from lead_events.config import settings
from lead_events.errors import Unauthorized

Limit = Annotated[int, Query(ge=1, le=200, description="Items per page (1 to 200).")]
Cursor = Annotated[str | None, Query(max_length=2048, description="The `next_cursor` of the previous page.")]

BEARER_SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]
# A plain mapping, not Powertools' SecurityScheme models: those take long to import, and only the OpenAPI
# document needs them (it validates this mapping into them when it is built).
SECURITY_SCHEMES: dict[str, Any] = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "lead-events API key",
        "description": "`Authorization: Bearer <api key>`, with the key printed by `make org` or `make local`.",
    }
}


def org_id(app: APIGatewayHttpResolver) -> str:
    """The organization that the authorizer resolved the caller's API key to; never taken from the request."""
    value = app.current_event.request_context.authorizer.get_lambda.get("org_id")
    if not isinstance(value, str) or not value:
        raise Unauthorized("This route needs an API key: send 'Authorization: Bearer <api key>'.")
    return value


def api_key_id(app: APIGatewayHttpResolver) -> str | None:
    """Which API key made the request (for the audit trail)."""
    value = app.current_event.request_context.authorizer.get_lambda.get("key_id")
    return value if isinstance(value, str) else None


def api_base_url(app: APIGatewayHttpResolver) -> str:
    """The API's public base URL: PUBLIC_API_URL when set, else the host the request came to."""
    return settings().public_api_url or f"https://{app.current_event.request_context.domain_name}"
