"""Leads and triggers: register leads, and accept events from the API, operators and the inbound URL."""

from __future__ import annotations

from lead_events import coldstart

coldstart.begin()  # before the imports below (lead_events/coldstart.py)

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from lead_events.api.body import request_text
from lead_events.api.context import api_key_id, org_id
from lead_events.api.errors import route_doc
from lead_events.api.resolver import configure_resolver, http_handler
from lead_events.logic.inbound import inbound_request, parse_body
from lead_events.logic.leads import lead_with_timeline, register_lead
from lead_events.logic.logs import get_log
from lead_events.logic.triggers import TriggerRequest, token_org
from lead_events.models.leads import Lead, LeadCreate, LeadWithTimeline
from lead_events.models.logs import LogEntry
from lead_events.models.triggers import ApiTrigger, ManualTrigger, Source, TriggerAccepted
from lead_events.wiring import lead_store, log_store, trigger_service

app = APIGatewayHttpResolver(enable_validation=True)
configure_resolver(app)

LeadId = Annotated[str, Path(max_length=128, description="The lead's id.")]
TransactionId = Annotated[str, Query(min_length=1, max_length=128, description="The lead's transaction id.")]
Token = Annotated[str, Path(max_length=256, description="The organization's inbound postback token.")]


@app.post("/leads", **route_doc("Leads", 201, 400, 401, 409, 413, 415, 422))
def create_lead(lead: Annotated[LeadCreate, Body()]) -> Response[Lead]:
    return Response(201, content_types.APPLICATION_JSON, register_lead(lead_store(), org_id(app), lead))


@app.get("/leads", **route_doc("Leads", 200, 401, 404, 422))
def find_lead(transaction_id: TransactionId) -> LeadWithTimeline:
    """Find a lead by its transaction id (the console's lead search)."""
    return lead_with_timeline(lead_store(), log_store(), org_id(app), transaction_id=transaction_id)


@app.get("/leads/<lead_id>", **route_doc("Leads", 200, 401, 404, 422))
def get_lead(lead_id: LeadId) -> LeadWithTimeline:
    return lead_with_timeline(lead_store(), log_store(), org_id(app), lead_id)


@app.post("/leads/<lead_id>/events", **route_doc("Triggers", 202, 400, 401, 404, 409, 413, 415, 422))
def trigger_manually(lead_id: LeadId, trigger: Annotated[ManualTrigger, Body()]) -> Response[LogEntry]:
    request = TriggerRequest.of(trigger, Source.MANUAL, api_key_id(app), lead_id)
    accepted = trigger_service().trigger(org_id(app), request)
    return Response(202, content_types.APPLICATION_JSON, get_log(log_store(), org_id(app), accepted.log_id))


@app.post("/triggers", **route_doc("Triggers", 202, 400, 401, 404, 409, 413, 415, 422))
def trigger_by_api(trigger: Annotated[ApiTrigger, Body()]) -> Response[TriggerAccepted]:
    request = TriggerRequest.of(trigger, Source.API, api_key_id(app))
    return Response(202, content_types.APPLICATION_JSON, trigger_service().trigger(org_id(app), request))


@app.get("/postback/<token>", **route_doc("Inbound postback", 200, 400, 404, 409, 422, public=True))
def inbound_get(token: Token) -> TriggerAccepted:
    params = dict(app.current_event.query_string_parameters or {})
    return trigger_service().trigger(token_org(token), inbound_request(params), inbound_token=token)


@app.post("/postback/<token>", **route_doc("Inbound postback", 200, 400, 404, 409, 413, 415, 422, public=True))
def inbound_post(token: Token) -> TriggerAccepted:
    event = app.current_event
    params = dict(event.query_string_parameters or {}) | parse_body(
        request_text(event), event.headers.get("content-type", "")
    )
    return trigger_service().trigger(token_org(token), inbound_request(params), inbound_token=token)


lambda_handler = http_handler(app)


coldstart.end()
