"""The organization's campaigns: every one it has leads, event lists or settings for, with counts.

Campaigns are not items of their own: a campaign exists through the leads registered with it (its
all-time report counter, store/reports.py) and the configuration that names it (assignments and
settings). Both are merged here, a page at a time, without reading a lead.
"""

from __future__ import annotations

import re

from lead_events.errors import InvalidCursor
from lead_events.models.campaigns import CampaignPage, CampaignSummary
from lead_events.models.leads import ID_PATTERN
from lead_events.store import cursors
from lead_events.store.campaigns import CampaignStore
from lead_events.store.reports import ReportStore


def _after(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    [after] = cursors.decode(cursor, "after")
    if not isinstance(after, str) or not re.fullmatch(ID_PATTERN, after):
        raise InvalidCursor()
    return after


def list_campaigns(
    campaigns: CampaignStore, reports: ReportStore, org_id: str, limit: int, cursor: str | None
) -> CampaignPage:
    """A page of the organization's campaigns, by id."""
    after = _after(cursor)
    snapshot = campaigns.snapshot(org_id)
    totals, unread = reports.campaign_totals(org_id, after, limit)
    counted = {t.campaign_id: t for t in totals}
    # Past `unread` the counters were not read: those campaigns wait for a later page.
    candidates = sorted(
        {c for c in snapshot.campaigns() if (after is None or c > after) and (unread is None or c < unread)}
        | set(counted)
    )
    page = candidates[:limit]
    more = bool(page) and (len(candidates) > limit or unread is not None)
    items = []
    for campaign_id in page:
        figures = counted.get(campaign_id)
        items.append(
            CampaignSummary(
                campaign_id=campaign_id,
                leads=figures.leads if figures else 0,
                converted_leads=figures.converted_leads if figures else 0,
                event_lists=len(snapshot.assigned_lists(campaign_id)),
                custom_fields=sum(len(f) for f in snapshot.campaign_settings(campaign_id).values()),
            )
        )
    return CampaignPage(items=items, next_cursor=cursors.encode({"after": page[-1]}) if more else None)
