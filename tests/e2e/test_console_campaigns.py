"""The console's campaign picker and reports table in a real browser, against the local stack.

An organization of its own (the module's `own_org_stack`) starts with no campaigns; the API then
gives it a campaign with leads, one with an event list and one with custom fields. The Campaign
Event Manager lists them to choose from, and still opens a campaign typed by id. The browser, page
and organization fixtures and the screenshots (.artifacts/screenshots/, both widths) are
tests/e2e/conftest.py's.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.clock import wait_for_a_day_with
from tests.e2e import test_console_browser as console
from tests.e2e.conftest import TABLET, LocalStack, screenshots, sign_in

Page, expect = console.Page, console.expect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _open_campaign_manager(page: Page) -> None:
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Campaign Event Manager").click()
    expect(page.get_by_role("heading", name="Campaign Event Manager")).to_be_visible()


def _short(day: date, with_year: bool) -> str:
    return f"{day.day} {day.strftime('%b')}" + (f" {day.year}" if with_year else "")


def test_the_campaign_manager_lists_the_organizations_campaigns_to_choose_from(
    page: Page, own_org_stack: LocalStack
) -> None:
    stack = own_org_stack
    sign_in(page, stack)

    # Given an organization with no campaign yet: nothing to choose, an id can still be typed
    _open_campaign_manager(page)
    expect(page.get_by_label("Your campaigns")).to_be_disabled()
    expect(page.get_by_text("No campaign has leads, event lists or custom fields yet")).to_be_visible()
    screenshots(page, "20-campaigns-none")

    # When it gets a campaign with leads (one converted), one with a list, one with custom fields
    sale, with_leads, with_list, with_fields = (
        console._unique("sale"),
        console._unique("leads"),
        console._unique("list"),
        console._unique("fields"),
    )
    assert stack.request("POST", "/events", json={"name": sale, "conversion": True}).status_code == 201
    leads = [stack.request("POST", "/leads", json={"campaign_id": with_leads}).json() for _ in range(2)]
    assert stack.request("POST", "/triggers", json={"event": sale, "lead_id": leads[0]["lead_id"]}).status_code == 202
    list_id = stack.request("POST", "/event-lists", json={"name": "Sales only", "events": [sale]}).json()["id"]
    assert stack.request("PUT", f"/campaigns/{with_list}/event-lists/{list_id}").status_code == 200
    fields = {"custom_fields": [{"name": "plan", "required": True}]}
    assert stack.request("PUT", f"/campaigns/{with_fields}/events/{sale}", json=fields).status_code == 200

    # Then the screen lists all three with their counts
    page.reload()
    campaigns = page.get_by_role("table").filter(has_text="Your campaigns")
    expect(campaigns.get_by_role("row")).to_have_count(4)  # the header and three campaigns
    cells = {
        with_leads: [with_leads, "2", "1", "— (every event)", "0"],  # leads, converted, lists, fields
        with_list: [with_list, "0", "0", "1", "0"],
        with_fields: [with_fields, "0", "0", "— (every event)", "1"],
    }
    for campaign, expected in cells.items():
        expect(campaigns.get_by_role("row", name=re.compile(campaign)).locator("td")).to_have_text(expected)
    screenshots(page, "21-campaigns-list")

    # Choosing one from the picker opens it, without typing its id
    page.get_by_label("Your campaigns").select_option(with_list)
    expect(page.get_by_role("heading", name=f"Events of campaign {with_list}")).to_be_visible()
    expect(page.get_by_text("From the event lists: Sales only.")).to_be_visible()
    expect(page.get_by_label("Your campaigns")).to_have_value(with_list)
    screenshots(page, "22-campaign-picked")

    # A campaign opened from the table shows its custom fields
    _open_campaign_manager(page)
    page.get_by_role("link", name=with_fields, exact=True).click()
    expect(page.get_by_role("row", name=re.compile(sale))).to_contain_text("plan (text, required)")

    # A campaign that has nothing yet is still opened by typing its id
    new_campaign = console._unique("brand_new")
    page.get_by_label("Campaign ID").fill(new_campaign)
    page.get_by_role("button", name="Open campaign").click()
    expect(page.get_by_role("heading", name=f"Events of campaign {new_campaign}")).to_be_visible()
    expect(page.get_by_text("No event list is assigned")).to_be_visible()
    expect(page.get_by_label("Your campaigns")).to_have_value("")

    # At tablet width the picker still works
    page.set_viewport_size(TABLET)
    page.get_by_label("Your campaigns").select_option(with_leads)
    expect(page.get_by_role("heading", name=f"Events of campaign {with_leads}")).to_be_visible()
    screenshots(page, "23-campaign-picker-tablet")


def test_the_reports_table_lists_the_newest_day_first_and_folds_days_without_activity(
    page: Page, own_org_stack: LocalStack
) -> None:
    stack = own_org_stack
    wait_for_a_day_with(120)  # the leads below and the range's last day are today
    sale, campaign = console._unique("sale"), console._unique("report")
    stack.request("POST", "/events", json={"name": sale, "conversion": True, "multi_trigger": True})
    leads = [stack.request("POST", "/leads", json={"campaign_id": campaign}).json() for _ in range(2)]
    for _ in range(3):  # one lead converting three times: one converted lead of two
        assert (
            stack.request("POST", "/triggers", json={"event": sale, "lead_id": leads[0]["lead_id"]}).status_code == 202
        )
    today = datetime.now(UTC).date()
    first = today - timedelta(days=9)

    sign_in(page, stack)
    page.goto(f"{stack.api_url}/console#/reports?from={first}&to={today}&campaign_id={campaign}")

    rows = page.get_by_role("table").filter(has_text="newest first").locator("tbody tr")
    expect(rows).to_have_count(2)  # today, then the nine days before it as one row
    expect(rows.nth(0)).to_contain_text(today.isoformat())
    expect(rows.nth(0).locator("td")).to_have_text([today.isoformat(), "3", "3", "0", "2", "1", "50.0 %"])
    with_year = first.year != today.year
    yesterday = today - timedelta(days=1)
    expect(rows.nth(1)).to_have_text(f"No activity {_short(first, with_year)} \u2013 {_short(yesterday, with_year)}")
    expect(page.locator(".stat").filter(has_text="Conversion rate")).to_contain_text("50.0 %")
    screenshots(page, "24-reports-folded")
