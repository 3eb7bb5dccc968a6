"""Event history: one log entry in full, and redelivery of its failed deliveries."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from lead_events.api.context import BEARER_SECURITY, org_id
from lead_events.api.errors import error_responses
from lead_events.api.resolver import configure_resolver
from lead_events.logic.logs import get_log, redeliver
from lead_events.models.logs import LogEntry, Redelivery
from lead_events.observability import logger, metrics
from lead_events.store.factory import delivery_queue, log_store

app = APIGatewayHttpResolver(enable_validation=True)
configure_resolver(app)

LogId = Annotated[str, Path(max_length=64, description="The log entry's id.")]


@app.get("/logs/<log_id>", tags=["Logs"], security=BEARER_SECURITY, responses=error_responses(401, 404))
def get_log_entry(log_id: LogId) -> LogEntry:
    return get_log(log_store(), org_id(app), log_id)


@app.post("/logs/<log_id>/redeliver", tags=["Logs"], security=BEARER_SECURITY, responses=error_responses(401, 404, 409))
def redeliver_failed(log_id: LogId) -> Response[Redelivery]:
    return Response(202, content_types.APPLICATION_JSON, redeliver(log_store(), delivery_queue(), org_id(app), log_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
