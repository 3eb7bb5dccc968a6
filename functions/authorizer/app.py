"""Lambda authorizer of the HTTP API: resolves `Authorization: Bearer <key>` to an organization.

The event and the answer are the HTTP API's "simple response" format (payload 2.0), read and written
as plain dicts: Powertools' data classes would add their import to every cold start of the function that
stands in front of every management request.
"""

from __future__ import annotations

from lead_events import coldstart

coldstart.begin()  # before the imports below (lead_events/coldstart.py)

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from lead_events.logic.credentials import bearer_key, record_use, resolve_api_key
from lead_events.observability import logger, traced
from lead_events.wiring import org_store


@traced
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    key = bearer_key(headers.get("authorization"))
    stored = resolve_api_key(org_store(), key) if key else None
    if stored is None:
        logger.info("API key refused", extra={"route": event.get("routeKey")})
        # The one answer API Gateway turns into 401 {"message": "Unauthorized"} (not cached).
        raise Exception("Unauthorized")  # noqa: TRY002
    record_use(org_store(), stored)
    return {"isAuthorized": True, "context": {"org_id": stored.org_id, "key_id": stored.key_id}}


coldstart.end()
