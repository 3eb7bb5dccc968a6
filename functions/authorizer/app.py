"""Lambda authorizer of the HTTP API: resolves `Authorization: Bearer <key>` to an organization."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerEventV2,
    APIGatewayAuthorizerResponseV2,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from lead_events.logic.credentials import bearer_key, record_use, resolve_api_key
from lead_events.observability import logger
from lead_events.store.factory import org_store


@logger.inject_lambda_context
@event_source(data_class=APIGatewayAuthorizerEventV2)
def lambda_handler(event: APIGatewayAuthorizerEventV2, context: LambdaContext) -> dict:
    key = bearer_key(event.headers.get("authorization"))
    stored = resolve_api_key(org_store(), key) if key else None
    if stored is None:
        logger.info("API key refused", extra={"route": event.route_key})
        # The one answer API Gateway turns into 401 {"message": "Unauthorized"} (not cached).
        raise Exception("Unauthorized")  # noqa: TRY002
    record_use(org_store(), stored)
    return APIGatewayAuthorizerResponseV2(
        authorize=True, context={"org_id": stored.org_id, "key_id": stored.key_id}
    ).asdict()
