"""Configuration API: events, postbacks (Send Test), macros, event lists, campaigns, inbound postback URL."""

from __future__ import annotations

from lead_events import coldstart

coldstart.begin()  # before the imports below (lead_events/coldstart.py)

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from lead_events.api.context import Cursor, Limit, api_base_url, org_id
from lead_events.api.errors import route_doc
from lead_events.api.resolver import configure_resolver, http_handler
from lead_events.logic import affiliates, api_keys, campaigns, postbacks
from lead_events.logic.campaign_list import list_campaigns
from lead_events.logic.orgs import current_postback_url, rotate_postback_url
from lead_events.models.affiliates import Affiliate, AffiliatePage, AffiliatePut
from lead_events.models.campaigns import (
    Assignment,
    CampaignEvents,
    CampaignEventSettings,
    CampaignEventSettingsView,
    CampaignPage,
    EventList,
    EventListCreate,
    EventListPage,
    EventListUpdate,
)
from lead_events.models.events import Event, EventCreate, EventPage, EventUpdate
from lead_events.models.macros import BUILTIN_MACROS
from lead_events.models.orgs import ApiKeyCreate, ApiKeyCreated, ApiKeyList, PostbackSettings
from lead_events.models.postbacks import (
    Macro,
    MacroList,
    Postback,
    PostbackCreate,
    PostbackCreated,
    PostbackPage,
    PostbackUpdate,
)
from lead_events.wiring import (
    affiliate_store,
    campaign_store,
    event_store,
    org_store,
    postback_store,
    report_store,
)

app = APIGatewayHttpResolver(enable_validation=True)
configure_resolver(app)

EventName = Annotated[str, Path(max_length=256, description="The event's name, e.g. 'sale'.")]
PostbackId = Annotated[str, Path(max_length=64, description="The postback's id.")]
ListId = Annotated[str, Path(max_length=64, description="The event list's id.")]
CampaignId = Annotated[str, Path(max_length=128, description="The campaign's id.")]
AffiliateId = Annotated[str, Path(max_length=128, description="The affiliate's id.")]


@app.post("/events", **route_doc("Events", 201, 400, 401, 409, 413, 415, 422))
def create_event(event: Annotated[EventCreate, Body()]) -> Response[Event]:
    created = event_store().create(org_id(app), event)
    return Response(201, content_types.APPLICATION_JSON, created)


@app.get("/events", **route_doc("Events", 200, 400, 401, 422))
def list_events(limit: Limit = 50, cursor: Cursor = None) -> EventPage:
    return event_store().list(org_id(app), limit, cursor)


@app.get("/events/<name>", **route_doc("Events", 200, 401, 404, 422))
def get_event(name: EventName) -> Event:
    return event_store().get(org_id(app), name)


@app.patch("/events/<name>", **route_doc("Events", 200, 400, 401, 404, 413, 415, 422))
def update_event(name: EventName, changes: Annotated[EventUpdate, Body()]) -> Event:
    return event_store().update(org_id(app), name, changes)


@app.delete("/events/<name>", **route_doc("Events", 204, 401, 404, 409, 422))
def delete_event(name: EventName) -> Response[None]:
    campaigns.delete_event(event_store(), campaign_store(), org_id(app), name)
    return Response(204)


@app.post("/events/<name>/postbacks", **route_doc("Postbacks", 201, 400, 401, 404, 413, 415, 422))
def create_postback(name: EventName, postback: Annotated[PostbackCreate, Body()]) -> Response[PostbackCreated]:
    event = event_store().get(org_id(app), name).name
    custom = campaigns.custom_macros(campaign_store(), org_id(app), event)
    created = postbacks.create_postback(postback_store(), org_id(app), event, postback, custom)
    return Response(201, content_types.APPLICATION_JSON, created)


@app.get("/events/<name>/postbacks", **route_doc("Postbacks", 200, 400, 401, 404, 422))
def list_postbacks(name: EventName, limit: Limit = 50, cursor: Cursor = None) -> PostbackPage:
    return postback_store().list(org_id(app), event_store().get(org_id(app), name).name, limit, cursor)


@app.get("/events/<name>/postbacks/<postback_id>", **route_doc("Postbacks", 200, 401, 404, 422))
def get_postback(name: EventName, postback_id: PostbackId) -> Postback:
    return postbacks.get_postback(postback_store(), org_id(app), name, postback_id)


@app.patch("/events/<name>/postbacks/<postback_id>", **route_doc("Postbacks", 200, 400, 401, 404, 413, 415, 422))
def update_postback(
    name: EventName, postback_id: PostbackId, changes: Annotated[PostbackUpdate, Body()]
) -> PostbackCreated:
    custom = campaigns.custom_macros(campaign_store(), org_id(app), name)
    return postbacks.update_postback(postback_store(), org_id(app), name, postback_id, changes, custom)


@app.delete("/events/<name>/postbacks/<postback_id>", **route_doc("Postbacks", 204, 401, 404, 422))
def delete_postback(name: EventName, postback_id: PostbackId) -> Response[None]:
    postback_store().delete(org_id(app), name, postback_id)
    return Response(204)


@app.post("/events/<name>/postbacks/<postback_id>/test", **route_doc("Postbacks", 200, 401, 404, 422))
def send_test(name: EventName, postback_id: PostbackId) -> postbacks.TestResult:
    return postbacks.send_test(postback_store(), org_id(app), name, postback_id)


@app.get("/macros", **route_doc("Postbacks", 200, 401))
def list_macros() -> MacroList:
    return MacroList(items=[Macro(name=name, description=text) for name, text in BUILTIN_MACROS.items()])


@app.get("/settings/postback", **route_doc("Settings", 200, 401))
def get_postback_settings() -> PostbackSettings:
    return PostbackSettings(postback_url=current_postback_url(org_store(), org_id(app), api_base_url(app)))


@app.post("/settings/postback/rotate", **route_doc("Settings", 200, 401))
def rotate_postback_token() -> PostbackSettings:
    return PostbackSettings(postback_url=rotate_postback_url(org_store(), org_id(app), api_base_url(app)))


@app.post("/event-lists", **route_doc("Event lists", 201, 400, 401, 404, 413, 415, 422))
def create_event_list(event_list: Annotated[EventListCreate, Body()]) -> Response[EventList]:
    return Response(
        201, content_types.APPLICATION_JSON, campaigns.create_list(campaign_store(), org_id(app), event_list)
    )


@app.get("/event-lists", **route_doc("Event lists", 200, 400, 401, 422))
def list_event_lists(limit: Limit = 50, cursor: Cursor = None) -> EventListPage:
    return campaigns.list_lists(campaign_store(), org_id(app), limit, cursor)


@app.get("/event-lists/<list_id>", **route_doc("Event lists", 200, 401, 404, 422))
def get_event_list(list_id: ListId) -> EventList:
    return campaigns.get_list(campaign_store(), org_id(app), list_id)


@app.patch("/event-lists/<list_id>", **route_doc("Event lists", 200, 400, 401, 404, 413, 415, 422))
def update_event_list(list_id: ListId, changes: Annotated[EventListUpdate, Body()]) -> EventList:
    return campaigns.update_list(campaign_store(), org_id(app), list_id, changes)


@app.delete("/event-lists/<list_id>", **route_doc("Event lists", 204, 401, 404, 409, 422))
def delete_event_list(list_id: ListId) -> Response[None]:
    campaigns.delete_list(campaign_store(), org_id(app), list_id)
    return Response(204)


@app.get("/campaigns", **route_doc("Campaigns", 200, 400, 401, 422))
def list_organization_campaigns(limit: Limit = 50, cursor: Cursor = None) -> CampaignPage:
    return list_campaigns(campaign_store(), report_store(), org_id(app), limit, cursor)


@app.put("/campaigns/<campaign_id>/event-lists/<list_id>", **route_doc("Campaigns", 200, 401, 404, 422))
def assign_event_list(campaign_id: CampaignId, list_id: ListId) -> Assignment:
    return campaigns.assign_list(campaign_store(), org_id(app), campaign_id, list_id)


@app.delete("/campaigns/<campaign_id>/event-lists/<list_id>", **route_doc("Campaigns", 204, 401, 404, 422))
def unassign_event_list(campaign_id: CampaignId, list_id: ListId) -> Response[None]:
    campaigns.unassign_list(campaign_store(), org_id(app), campaign_id, list_id)
    return Response(204)


@app.get("/campaigns/<campaign_id>/events", **route_doc("Campaigns", 200, 401, 404, 422))
def get_campaign_events(campaign_id: CampaignId) -> CampaignEvents:
    return campaigns.campaign_events(campaign_store(), org_id(app), campaign_id)


@app.get("/campaigns/<campaign_id>/events/<name>", **route_doc("Campaigns", 200, 401, 404, 422))
def get_campaign_event_settings(campaign_id: CampaignId, name: EventName) -> CampaignEventSettingsView:
    return campaigns.get_event_settings(campaign_store(), org_id(app), campaign_id, name)


@app.put("/campaigns/<campaign_id>/events/<name>", **route_doc("Campaigns", 200, 400, 401, 404, 413, 415, 422))
def put_campaign_event_settings(
    campaign_id: CampaignId, name: EventName, settings: Annotated[CampaignEventSettings, Body()]
) -> CampaignEventSettingsView:
    return campaigns.put_event_settings(campaign_store(), org_id(app), campaign_id, name, settings)


@app.post("/settings/api-keys", **route_doc("Settings", 201, 400, 401, 409, 413, 415, 422))
def create_api_key(key: Annotated[ApiKeyCreate, Body()]) -> Response[ApiKeyCreated]:
    return Response(201, content_types.APPLICATION_JSON, api_keys.create_api_key(org_store(), org_id(app), key.name))


@app.get("/settings/api-keys", **route_doc("Settings", 200, 401))
def list_api_keys() -> ApiKeyList:
    return api_keys.list_api_keys(org_store(), org_id(app))


@app.delete("/settings/api-keys/<key_id>", **route_doc("Settings", 204, 401, 404, 409, 422))
def revoke_api_key(key_id: Annotated[str, Path(max_length=64)]) -> Response[None]:
    api_keys.revoke_api_key(org_store(), org_id(app), key_id)
    return Response(204)


@app.put("/affiliates/<affiliate_id>", **route_doc("Affiliates", 200, 400, 401, 404, 413, 415, 422))
def put_affiliate(affiliate_id: AffiliateId, affiliate: Annotated[AffiliatePut, Body()]) -> Affiliate:
    return affiliates.put_affiliate(affiliate_store(), org_id(app), affiliate_id, affiliate)


@app.get("/affiliates", **route_doc("Affiliates", 200, 400, 401, 422))
def list_affiliates(limit: Limit = 50, cursor: Cursor = None) -> AffiliatePage:
    return affiliate_store().list(org_id(app), limit, cursor)


@app.get("/affiliates/<affiliate_id>", **route_doc("Affiliates", 200, 401, 404, 422))
def get_affiliate(affiliate_id: AffiliateId) -> Affiliate:
    return affiliate_store().get(org_id(app), affiliate_id)


@app.delete("/affiliates/<affiliate_id>", **route_doc("Affiliates", 204, 401, 404, 422))
def delete_affiliate(affiliate_id: AffiliateId) -> Response[None]:
    affiliate_store().delete(org_id(app), affiliate_id)
    return Response(204)


@app.post("/affiliates/<affiliate_id>/test", **route_doc("Affiliates", 200, 401, 404, 422))
def test_affiliate_postback(affiliate_id: AffiliateId) -> postbacks.TestResult:
    return affiliates.send_test(affiliate_store(), org_id(app), affiliate_id)


lambda_handler = http_handler(app)


coldstart.end()
