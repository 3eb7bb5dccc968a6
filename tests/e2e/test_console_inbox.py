"""The console's Inbox page (local stack only) in a real browser: a postback lands while the operator watches.

The browser, the page and the organization of tests/e2e/conftest.py, as test_console_browser.py uses
them; the screenshots go to the same folder. Without /usr/bin/chromium these tests are skipped as those are.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.e2e.conftest import LocalStack, screenshots, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
Page = sync_api.Page
expect = sync_api.expect


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:6]}"


def test_a_postback_to_the_local_inbox_appears_on_the_inbox_page_while_it_is_open(
    page: Page, own_org_stack: LocalStack
) -> None:
    stack = own_org_stack
    # Given an event whose postback goes to the local inbox, and a lead
    event, path = _unique("sale"), f"/_inbox/{_unique('network')}"
    assert stack.request("POST", "/events", json={"name": event, "conversion": True}).status_code == 201
    postback = {
        "url": stack.api_url + path + "?click={transaction_id}&event={event_name}",
        "method": "POST",
        "body": {"lead": "{lead_id}"},
        "headers": {"X-Click": "{transaction_id}"},
    }
    assert stack.request("POST", f"/events/{event}/postbacks", json=postback).status_code == 201
    lead = {"lead_id": _unique("L"), "transaction_id": _unique("clk"), "campaign_id": "auto_ins"}
    assert stack.request("POST", "/leads", json=lead).status_code == 201

    # When the operator opens the Inbox page, which the console offers because the inbox answers
    sign_in(page, stack)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Inbox (local)").click()
    expect(page.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()
    expect(page.get_by_text("A local-stack feature, never deployed")).to_be_visible()

    # ... and the event is triggered meanwhile
    accepted = stack.request("POST", "/triggers", json={"event": event, "lead_id": lead["lead_id"]})
    assert accepted.status_code == 202, accepted.text

    # Then the request appears, with its method, full URL, headers, body and time
    url = f"{stack.api_url}{path}?click={lead['transaction_id']}&event={event}"
    card = page.locator(".inbox-request").filter(has_text=url)
    expect(card).to_be_visible()
    expect(card.locator(".inbox-method")).to_have_text("POST")
    expect(card.locator("time")).not_to_be_empty()
    card.get_by_text("Headers (").click()
    expect(card.locator("dl")).to_contain_text("X-Click")
    expect(card.locator("dl")).to_contain_text(lead["transaction_id"])
    assert json.loads(card.locator(".inbox-body").inner_text()) == {"lead": lead["lead_id"]}
    screenshots(page, "inbox")

    # ... newest first: a later request goes above it
    later = f"{stack.api_url}/_inbox/{_unique('later')}"
    page.request.get(later)
    expect(page.locator(".inbox-request").first).to_contain_text(later)


def test_where_no_inbox_answers_the_console_offers_no_inbox_page(page: Page, own_org_stack: LocalStack) -> None:
    # As on a deployed stack: API Gateway answers 404 for a path no route has.
    page.route("**/_inbox?*", lambda route: route.fulfill(status=404, json={"message": "Not Found"}))
    sign_in(page, own_org_stack)
    page.goto(own_org_stack.api_url + "/console#/inbox")
    expect(page.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()
    expect(page.get_by_text("is a feature of the local stack (make local) and is not deployed")).to_be_visible()
    # (the console's own probe went out before this page's, so it has been answered too)
    expect(page.get_by_role("link", name="Reports")).to_be_visible()
    expect(page.get_by_role("link", name="Inbox (local)")).to_be_hidden()
