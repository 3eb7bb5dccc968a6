"""Configuration API: event definitions (and, as they arrive, postbacks, lists and campaigns)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from lead_events.api.context import BEARER_SECURITY, Cursor, Limit, org_id
from lead_events.api.errors import error_responses
from lead_events.api.resolver import configure_resolver, json_bodies
from lead_events.models.events import Event, EventCreate, EventPage, EventUpdate
from lead_events.observability import logger, metrics
from lead_events.store.factory import event_store

app = APIGatewayHttpResolver(enable_validation=True)
configure_resolver(app)

EventName = Annotated[str, Path(max_length=256, description="The event's name, e.g. 'sale'.")]
ERRORS = error_responses()


@app.post("/events", tags=["Events"], security=BEARER_SECURITY, responses=ERRORS)
def create_event(event: Annotated[EventCreate, Body()]) -> Response[Event]:
    created = event_store().create(org_id(app), event)
    return Response(201, content_types.APPLICATION_JSON, created)


@app.get("/events", tags=["Events"], security=BEARER_SECURITY, responses=ERRORS)
def list_events(limit: Limit = 50, cursor: Cursor = None) -> EventPage:
    return event_store().list(org_id(app), limit, cursor)


@app.get("/events/<name>", tags=["Events"], security=BEARER_SECURITY, responses=ERRORS)
def get_event(name: EventName) -> Event:
    return event_store().get(org_id(app), name)


@app.patch("/events/<name>", tags=["Events"], security=BEARER_SECURITY, responses=ERRORS)
def update_event(name: EventName, changes: Annotated[EventUpdate, Body()]) -> Event:
    return event_store().update(org_id(app), name, changes)


@app.delete("/events/<name>", tags=["Events"], security=BEARER_SECURITY, responses=ERRORS)
def delete_event(name: EventName) -> Response[None]:
    event_store().delete(org_id(app), name)
    return Response(204)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@json_bodies
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
