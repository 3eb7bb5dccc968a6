"""Event history and reports: log listings, one entry in full, redelivery, conversion reports."""

from __future__ import annotations

from lead_events import coldstart

coldstart.begin()  # before the imports below (lead_events/coldstart.py)

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from lead_events.api.context import Cursor, Limit, org_id
from lead_events.api.errors import route_doc
from lead_events.api.resolver import configure_resolver, http_handler
from lead_events.config import settings
from lead_events.logic import listing
from lead_events.logic.logs import get_log, redeliver
from lead_events.logic.reports import conversion_report
from lead_events.models.listing import ConversionReport, GroupBy, LogFilters, LogPage, LogStatus
from lead_events.models.logs import LogEntry, Redelivery
from lead_events.wiring import log_listing, log_store, report_store

app = APIGatewayHttpResolver(enable_validation=True)
configure_resolver(app)

LogId = Annotated[str, Path(max_length=64, description="The log entry's id.")]
EventName = Annotated[str, Path(max_length=64, description="The event's name.")]
From = Annotated[str | None, Query(alias="from", max_length=40, description="ISO 8601 date or date-time, UTC.")]
To = Annotated[
    str | None, Query(max_length=40, description="ISO 8601 date or date-time, UTC; a date includes that whole day.")
]
Filter = Annotated[str | None, Query(max_length=128)]
StatusFilter = Annotated[LogStatus | None, Query(description="Only entries with this status.")]


@app.get("/logs", **route_doc("Logs", 200, 400, 401, 422))
def list_logs(
    event: Filter = None,
    campaign_id: Filter = None,
    lead_id: Filter = None,
    status: StatusFilter = None,
    start: From = None,
    to: To = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> LogPage:
    """View Logs: the organization's entries, newest first, by event, campaign, status, lead and dates.

    Each row says how far its deliveries got: `delivery_count` and `delivered_count` ("1 of 2
    delivered"), and `deliveries`, each delivery's `status` and latest `response_code`, so an entry
    whose status is `retrying` shows which of its deliveries succeeded. `response_code` is the
    latest code any of them got.
    """
    filters = LogFilters(event, campaign_id, status.value if status else None, lead_id)
    return listing.list_logs(
        log_listing(),
        org_id(app),
        filters,
        start=start,
        end=to,
        limit=limit,
        cursor=cursor,
        retention_days=settings().log_retention_days,
    )


@app.get("/events/<name>/logs", **route_doc("Logs", 200, 400, 401, 404, 422))
def list_event_logs(
    name: EventName,
    campaign_id: Filter = None,
    lead_id: Filter = None,
    status: StatusFilter = None,
    start: From = None,
    to: To = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> LogPage:
    """View Logs for one event: GET /logs with `event` set."""
    return list_logs(name, campaign_id, lead_id, status, start, to, limit, cursor)


@app.get("/reports/conversions", **route_doc("Reports", 200, 401, 422))
def conversions_report(
    start: From = None,
    to: To = None,
    group_by: Annotated[GroupBy, Query(description="day, event or campaign.")] = GroupBy.DAY,
    campaign_id: Filter = None,
) -> ConversionReport:
    return conversion_report(report_store(), org_id(app), start, to, group_by, campaign_id)


@app.get("/logs/<log_id>", **route_doc("Logs", 200, 401, 404, 422))
def get_log_entry(log_id: LogId) -> LogEntry:
    return get_log(log_store(), org_id(app), log_id)


@app.post("/logs/<log_id>/redeliver", **route_doc("Logs", 202, 401, 404, 409, 422))
def redeliver_failed(log_id: LogId) -> Response[Redelivery]:
    return Response(202, content_types.APPLICATION_JSON, redeliver(log_store(), org_id(app), log_id))


lambda_handler = http_handler(app)


coldstart.end()
