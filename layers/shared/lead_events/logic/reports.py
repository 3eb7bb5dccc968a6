"""Conversion reports from the counters (never from the logs)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from lead_events.logic.dates import date_range, days
from lead_events.models.listing import ConversionReport, GroupBy, ReportFigures, ReportRow
from lead_events.store.reports import Counter, ReportStore

DEFAULT_DAYS = 30


def _figures(counters: list[Counter], with_leads: bool) -> ReportFigures:
    events = sum(c.events for c in counters)
    conversions = sum(c.conversions for c in counters)
    revenue = sum((c.revenue for c in counters), Decimal(0))
    leads = sum(c.leads for c in counters) if with_leads else None
    converted = sum(c.converted_leads for c in counters) if with_leads else None
    # Both counted in the day the lead was registered, once per lead: the rate is at most 1.
    rate = (Decimal(converted or 0) / Decimal(leads)).quantize(Decimal("0.0001")) if leads else None
    return ReportFigures(
        events=events,
        conversions=conversions,
        revenue=revenue,
        leads=leads,
        converted_leads=converted,
        conversion_rate=rate,
    )


def conversion_report(
    store: ReportStore, org_id: str, start: str | None, end: str | None, group_by: GroupBy, campaign_id: str | None
) -> ConversionReport:
    lower, upper = date_range(start, end, DEFAULT_DAYS)
    first, last = lower.date().isoformat(), upper.date().isoformat()
    with_leads = group_by is not GroupBy.EVENT
    groups: dict[str, list[Counter]] = defaultdict(list)
    if campaign_id is not None:
        counters = store.campaign_counters(org_id, campaign_id, first, last)
        totals = [c for c in counters if c.key is None]
        if group_by is GroupBy.DAY:
            for c in totals:
                groups[c.day].append(c)
        elif group_by is GroupBy.EVENT:
            for c in counters:
                if c.key is not None:
                    groups[c.key].append(c)
        else:
            groups[campaign_id] = totals
    else:
        counters = store.org_counters(org_id, group_by.value, first, last)
        for c in counters:
            groups[c.key or c.day].append(c)
        totals = counters
    # By day: every day of the range, zeros included.
    keys_in_order = days(lower, upper) if group_by is GroupBy.DAY else sorted(groups)
    field = {GroupBy.DAY: "day", GroupBy.EVENT: "event", GroupBy.CAMPAIGN: "campaign_id"}[group_by]
    rows = [
        ReportRow(**_figures(groups.get(key, []), with_leads).model_dump(), **{field: key}) for key in keys_in_order
    ]
    return ConversionReport(
        from_=first,
        to=last,
        group_by=group_by,
        campaign_id=campaign_id,
        rows=rows,
        totals=_figures(totals, with_leads),
    )
