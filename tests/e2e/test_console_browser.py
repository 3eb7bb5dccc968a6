"""The web console in a real browser (Debian's Chromium driven by Playwright) against the local stack.

A person follows the product page: Settings > Event Management, + New Event, Save, Add Postback
URL, Send Test, Edit, Trigger Event on a lead record, View Logs, Affiliates. Every screen is checked
and kept as screenshots at 1366 px and at tablet width (768 px) in .artifacts/screenshots/ (not
committed; the run prints where). Without /usr/bin/chromium the tests are skipped, except under
CI=true, where a missing browser fails the run.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import LAPTOP, TABLET, WIDTHS, LocalStack, horizontal_overflow, screenshots, sign_in
from tests.receiver import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
Page = sync_api.Page
expect = sync_api.expect

CONTROLS = "main button, main input, main select, main textarea, main a"


def _width(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return float(box["width"])


def _controls_under_the_toast(page: Page) -> list[str]:
    """The page's visible controls that the shown toast overlaps (none, ever)."""
    return list(
        page.evaluate(
            """(selector) => {
              const toast = document.getElementById("toast").getBoundingClientRect();
              const over = (r) => r.width > 0 && r.height > 0 && r.left < toast.right && toast.left < r.right
                && r.top < toast.bottom && toast.top < r.bottom;
              return [...document.querySelectorAll(selector)]
                .filter((node) => over(node.getBoundingClientRect()))
                .map((node) => node.outerHTML.slice(0, 80));
            }""",
            CONTROLS,
        )
    )


def _toast(page: Page) -> Any:
    """The message the toast shows ("" when none)."""
    return page.locator("#toast-text")


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:6]}"


def _create_event(page: Page, name: str, description: str = "") -> None:
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Event Management").click()
    page.get_by_role("link", name="+ New Event").first.click()
    page.get_by_label("Event name").fill(name)
    page.get_by_label("Description").fill(description)
    page.get_by_label("Conversion Event", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def test_an_operator_follows_the_product_page_from_a_new_event_to_its_log_entry(
    page: Page, own_org_stack: LocalStack, receiver: Receiver
) -> None:
    local_stack = own_org_stack
    # Given the console, opened at /console/ (with the slash): the key screen uses the width it has
    page.goto(local_stack.api_url + "/console/")
    expect(page.get_by_role("heading", name="Welcome to lead-events")).to_be_visible()
    for size in WIDTHS:
        page.set_viewport_size(size)
        assert _width(page, "main .card") >= 480, size  # the API-key card, not a squeezed column
    page.set_viewport_size(LAPTOP)
    screenshots(page, "00-api-key")
    # ... and its icons answer (the one at the site's root too, which browsers ask for by themselves)
    icons = page.locator('link[rel="icon"]').evaluate_all("links => links.map((link) => link.href)")
    assert local_stack.api_url + "/favicon.ico" in icons
    for href in icons:
        icon = page.request.get(href)
        assert icon.status == 200 and icon.headers["content-type"].startswith("image/"), href
    page.get_by_label("API key").fill(local_stack.api_key)
    page.get_by_role("button", name="Open console").click()
    expect(page.get_by_role("heading", name="Event Management")).to_be_visible()
    event = _unique("sale")

    # Settings > Event Management > + New Event: a name that breaks the rule is refused next to the field
    page.get_by_role("link", name="+ New Event").first.click()
    expect(page.get_by_text("Lowercase, starting with a letter")).to_be_visible()
    page.get_by_label("Event name").fill("Big Sale")
    page.get_by_role("button", name="Save").click()
    name_field = page.locator('[data-field="name"]')
    expect(name_field.locator(".field-error")).to_contain_text("pattern")
    expect(page.get_by_label("Event name")).to_have_attribute("aria-invalid", "true")
    screenshots(page, "01-new-event-error")

    # ... a good name, a description and Conversion Event, then Save
    page.get_by_label("Event name").fill(event)
    page.get_by_label("Description").fill("A lead converted into a paying customer")
    page.get_by_label("Conversion Event", exact=True).check()
    page.get_by_label("Multi-Trigger").check()
    screenshots(page, "02-new-event")
    page.get_by_role("button", name="Save").click()

    # Then the event opens, with no postbacks yet, and the "created" message covers none of its controls
    expect(page.get_by_role("heading", name=event, exact=True)).to_be_visible()
    expect(page.get_by_text("No postbacks yet")).to_be_visible()
    expect(_toast(page)).to_contain_text(f"Event {event} created.")
    for size in WIDTHS:
        page.set_viewport_size(size)
        assert _controls_under_the_toast(page) == [], size
    page.set_viewport_size(LAPTOP)

    # Add Postback URL, with a macro from the picker
    page.get_by_role("button", name="Add Postback URL").click()
    page.get_by_label("Destination URL").fill(receiver.url + "/pb?click=")
    page.get_by_label("Insert macro").select_option("transaction_id")
    expect(page.get_by_label("Destination URL")).to_have_value(receiver.url + "/pb?click={transaction_id}")
    page.get_by_label("Destination URL").press("End")
    page.get_by_label("Destination URL").press_sequentially("&event=")
    page.get_by_label("Insert macro").select_option("event_name")
    expect(page.get_by_label("HTTP method")).to_have_value("GET")
    screenshots(page, "03-add-postback")
    page.get_by_role("button", name="Save postback").click()
    postback = page.get_by_role("article", name=re.compile(r"^Postback GET "))
    expect(postback).to_contain_text(receiver.url + "/pb?click={transaction_id}&event={event_name}")
    [added] = local_stack.request("GET", f"/events/{event}/postbacks").json()["items"]
    test_postback_id = added["id"]

    # Send Test: the receiver gets the rendered request and the console shows its answer
    receiver.answer("/pb", (200, "ACK test"))
    postback.get_by_role("button", name="Send Test").click()
    expect(postback.get_by_role("heading", name="Test delivered")).to_be_visible()
    expect(postback.locator(".response-code")).to_have_text("200")
    expect(postback).to_contain_text("ACK test")
    [test_request] = receiver.wait_for(1, "/pb")
    assert parse_qs(urlsplit(test_request.path).query)["event"] == [event]
    screenshots(page, "04-send-test")

    # Edit, in place: a URL the API refuses shows its message next to the field, nothing is saved
    first_url = receiver.url + "/pb?click={transaction_id}&event={event_name}"
    postback.get_by_role("button", name="Edit").click()
    edit = page.get_by_role("form", name="Edit postback")
    expect(edit.get_by_label("Destination URL")).to_have_value(first_url)
    expect(edit.get_by_label("HTTP method")).to_have_value("GET")
    edit.get_by_label("Destination URL").fill("ftp://files.example/pb")
    edit.get_by_role("button", name="Save postback").click()
    expect(edit.locator('[data-field="url"] .field-error')).to_contain_text("must start with http:// or https://")
    screenshots(page, "05-edit-postback-refused")
    [stored] = local_stack.request("GET", f"/events/{event}/postbacks").json()["items"]
    assert stored["url"] == first_url
    # ... Cancel puts the card back; then a good URL and a success text are saved
    edit.get_by_role("button", name="Cancel").click()
    expect(postback.get_by_role("button", name="Edit")).to_be_visible()
    postback.get_by_role("button", name="Edit").click()
    edit.get_by_label("Destination URL").fill(first_url + "&edited=1")
    edit.get_by_label("Success text").fill("OK")
    edit.get_by_role("button", name="Save postback").click()
    expect(postback.locator(".url")).to_have_text(first_url + "&edited=1")
    expect(postback).to_contain_text("success when the answer contains “OK”")
    [stored] = local_stack.request("GET", f"/events/{event}/postbacks").json()["items"]
    assert (stored["url"], stored["success_match"], stored["method"]) == (first_url + "&edited=1", "OK", "GET")
    assert stored["id"] == test_postback_id

    # The intake system registers a lead through the API
    transaction_id = _unique("CLICK")
    answer = local_stack.request("POST", "/leads", json={"campaign_id": "auto_ins", "transaction_id": transaction_id})
    assert answer.status_code == 201, answer.text
    lead_id = answer.json()["lead_id"]

    # Lead record: the next screen, without the last screen's message
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Lead record").click()
    expect(page.get_by_role("heading", name="Lead record")).to_be_visible()
    expect(_toast(page)).to_have_text("")
    page.get_by_label("Lead ID or transaction ID").fill("no-such-lead")
    page.get_by_role("button", name="Find lead").click()
    expect(page.locator('[data-field="q"] .field-error')).to_contain_text("No lead has")
    # ... found by its transaction id, and by its lead id, each without a request answered 404
    answered: list[tuple[int, str]] = []
    page.on("response", lambda response: answered.append((response.status, response.url)))
    page.get_by_label("Lead ID or transaction ID").fill(transaction_id)
    page.get_by_role("button", name="Find lead").click()
    expect(page.get_by_role("heading", name=f"Lead {lead_id}")).to_be_visible()
    expect(page.get_by_text("No events yet for this lead.")).to_be_visible()
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Lead record").click()
    page.get_by_label("Lead ID or transaction ID").fill(lead_id)
    page.get_by_role("button", name="Find lead").click()
    expect(page.get_by_role("heading", name=f"Lead {lead_id}")).to_be_visible()
    expect(page.get_by_text("No events yet for this lead.")).to_be_visible()
    assert [url for status, url in answered if "/leads" in url and status == 200], answered
    assert [(status, url) for status, url in answered if status == 404] == []
    screenshots(page, "06-lead-record")

    # Trigger Event: pick the event, add a note, confirm
    page.get_by_role("button", name="Trigger Event").click()
    form = page.get_by_role("form", name="Trigger Event")
    form.get_by_label("Event", exact=True).select_option(event)
    form.get_by_label("Revenue").fill("12.50")
    form.get_by_label("Note").fill("closed by phone")
    form.get_by_role("button", name="Trigger Event").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Trigger “{event}” for lead {lead_id}?")
    screenshots(page, "07-trigger-confirm")
    dialog.get_by_role("button", name="Trigger Event").click()

    # Then the postback reaches the receiver with the lead's transaction id, and the timeline shows it
    delivered = receiver.wait_for(2, "/pb")[1]
    assert parse_qs(urlsplit(delivered.path).query)["click"] == [transaction_id]
    timeline = page.get_by_role("table").filter(has_text="Source")
    expect(timeline).to_contain_text(event)
    expect(timeline).to_contain_text("manual")
    screenshots(page, "08-lead-timeline")

    # View Logs, next to the event in Event Management: the entry with its response code
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Event Management").click()
    page.get_by_role("row", name=re.compile(event)).get_by_role("link", name="View Logs").click()
    expect(page.get_by_role("heading", name=f"View Logs: {event}")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=lead_id)
    deadline = time.monotonic() + 20
    while "delivered" not in (row.text_content() or "") and time.monotonic() < deadline:
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_timeout(300)
    expect(row).to_contain_text("delivered")
    expect(row).to_contain_text(transaction_id)
    expect(row).to_contain_text("auto_ins")
    expect(row.locator(".response-code")).to_have_text("200")
    headers = [h.strip() for h in page.locator("thead th").all_text_contents()]
    assert headers[:3] == ["Timestamp", "Lead / Transaction ID", "Campaign"]
    assert {"Status", "Response Code"} <= set(headers)
    screenshots(page, "09-view-logs")

    # ... and a date range that excludes today shows nothing
    page.get_by_label("From").fill("2020-01-01")
    page.get_by_label("To").fill("2020-01-31")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No log entries match these filters")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("row").filter(has_text=lead_id)).to_be_visible()

    # Clicking the entry shows the full payload and every attempt with its response
    page.get_by_role("row").filter(has_text=lead_id).get_by_role("cell").nth(2).click()
    expect(page.get_by_role("heading", name=f"Log entry: {event}")).to_be_visible()
    expect(page.get_by_text("closed by phone")).to_be_visible()
    expect(page.get_by_text("12.50")).to_be_visible()
    expect(page.locator(".delivery table")).to_contain_text("200")
    expect(page.locator(".delivery")).to_contain_text("OK")  # the receiver's answer
    expect(page.locator(".delivery .badge")).to_have_text("delivered")
    screenshots(page, "10-log-entry")


def test_every_other_screen_works_and_is_usable_at_tablet_width(
    page: Page, own_org_stack: LocalStack, receiver: Receiver
) -> None:
    local_stack = own_org_stack
    sign_in(page, local_stack)
    event = _unique("qualified")
    campaign = _unique("camp")
    list_name = f"Auto insurance {uuid.uuid4().hex[:6]}"
    _create_event(page, event, "Reviewed and marked as qualified")
    screenshots(page, "10-event-detail")

    # Event Management: a duplicate name is refused with the API's message next to the field
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Event Management").click()
    expect(page.get_by_role("row", name=re.compile(event))).to_be_visible()
    screenshots(page, "11-event-management")
    page.get_by_role("link", name="+ New Event").first.click()
    page.get_by_label("Event name").fill(event)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".form-error, .field-error").filter(has_text="already exists").first).to_be_visible()

    # Edit: the description changes and stays
    page.goto(f"{local_stack.api_url}/console#/events/{event}")
    page.get_by_label("Description").fill("Qualified by the call centre")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="saved")).to_be_visible()
    assert local_stack.request("GET", f"/events/{event}").json()["description"] == "Qualified by the call centre"

    # A postback made through the API becomes, in place, a signed POST with a body; the API's refusal
    # of an unknown macro is shown in the form
    made = local_stack.request("POST", f"/events/{event}/postbacks", json={"url": receiver.url + "/qualified"})
    assert made.status_code == 201, made.text
    page.reload()
    page.get_by_role("article", name=re.compile(r"^Postback GET ")).get_by_role("button", name="Edit").click()
    edit = page.get_by_role("form", name="Edit postback")
    edit.get_by_label("HTTP method").select_option("POST")
    edit.get_by_label("Body", exact=True).fill('{"lead": "{no_such_macro}"}')
    edit.get_by_role("button", name="Save postback").click()
    expect(edit.get_by_role("alert")).to_contain_text("Unknown macro(s) {no_such_macro}")
    edit.get_by_label("Body", exact=True).fill('{"lead": "{lead_id}"}')
    edit.get_by_label("Signature").select_option("generate")
    edit.get_by_role("button", name="Save postback").click()
    expect(page.get_by_label("Signing secret")).to_have_value(re.compile(r"^whsec_"))
    expect(page.get_by_role("article", name=re.compile(r"^Postback POST "))).to_contain_text("signed")
    stored = local_stack.request("GET", f"/events/{event}/postbacks/{made.json()['id']}").json()
    assert (stored["method"], stored["body"], stored["signed"]) == ("POST", {"lead": "{lead_id}"}, True)
    screenshots(page, "10-postback-signed")

    # Event Lists: create one with the event, assign it to a campaign
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Event Lists").click()
    page.get_by_role("link", name="+ New List").first.click()
    page.get_by_label("List name").fill(list_name)
    page.get_by_label(event, exact=True).check()
    page.get_by_role("button", name="Create List").click()
    expect(page.get_by_role("heading", name=list_name)).to_be_visible()
    page.get_by_label("Campaign ID").fill(campaign)
    page.get_by_role("button", name="Assign to Campaign").click()
    expect(page.get_by_role("link", name=campaign)).to_be_visible()
    screenshots(page, "12-event-list")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Event Lists").click()
    expect(page.get_by_role("row", name=re.compile(list_name))).to_contain_text(campaign)
    screenshots(page, "13-event-lists")

    # Campaign Event Manager: the effective events, and Add Custom Field (a bad name is refused next to it)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Campaign Event Manager").click()
    page.get_by_label("Campaign ID").fill(campaign)
    page.get_by_role("button", name="Open campaign").click()
    expect(page.get_by_text("From the event lists")).to_be_visible()
    page.get_by_role("row", name=re.compile(event)).get_by_role("link", name="Custom fields").click()
    custom = page.get_by_role("form", name="Add Custom Field")
    custom.get_by_label("Field name").fill("revenue")
    custom.get_by_role("button", name="Add Custom Field").click()
    expect(custom.locator('[data-field="name"] .field-error')).to_contain_text("built-in")
    custom.get_by_label("Field name").fill("plan")
    custom.get_by_label("Type").select_option("text")
    custom.get_by_label("Required").check()
    custom.get_by_role("button", name="Add Custom Field").click()
    expect(page.get_by_role("row", name=re.compile(event))).to_contain_text("plan (text, required)")
    screenshots(page, "14-campaign-event-manager")

    # Delete, with a confirmation that can be cancelled
    doomed = _unique("rejected")
    assert local_stack.request("POST", "/events", json={"name": doomed}).status_code == 201
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Event Management").click()
    page.get_by_role("row", name=re.compile(doomed)).get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("row", name=re.compile(doomed))).to_be_visible()
    page.get_by_role("row", name=re.compile(doomed)).get_by_role("button", name="Delete").click()
    expect(page.get_by_role("dialog")).to_contain_text("Its log entries stay")
    page.get_by_role("dialog").get_by_role("button", name="Delete event").click()
    expect(page.get_by_role("row", name=re.compile(doomed))).to_have_count(0)
    assert local_stack.request("GET", f"/events/{doomed}").status_code == 404

    # Lead record of that campaign: Trigger Event asks for the required custom field
    lead = local_stack.request("POST", "/leads", json={"campaign_id": campaign}).json()
    page.goto(f"{local_stack.api_url}/console#/leads/{lead['lead_id']}")
    page.get_by_role("button", name="Trigger Event").click()
    form = page.get_by_role("form", name="Trigger Event")
    form.get_by_label("Event", exact=True).select_option(event)
    form.get_by_role("button", name="Trigger Event").click()
    expect(form.locator('[data-field="fields.plan"] .field-error')).to_have_text("This field is required.")
    form.get_by_label("plan (required)").fill("gold")
    screenshots(page, "15-trigger-event-custom-field")
    form.get_by_role("button", name="Trigger Event").click()
    page.get_by_role("dialog").get_by_role("button", name="Trigger Event").click()
    expect(page.get_by_role("table").filter(has_text="Source")).to_contain_text(event)
    entry = local_stack.request("GET", f"/leads/{lead['lead_id']}").json()["events"][0]
    assert local_stack.request("GET", f"/logs/{entry['log_id']}").json()["fields"] == {"plan": "gold"}

    # Reports: today's conversions, events and revenue as a chart and a table
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("img", name="Events, conversions and revenue by day")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(entry["created_at"][:10])  # the day of that trigger
    screenshots(page, "16-reports")

    # Settings: the inbound postback URL with copy and Rotate (confirmed), and API keys
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Postback URL & API keys").click()
    url_box = page.get_by_role("textbox", name="Inbound postback URL")
    before = url_box.input_value()
    assert before == local_stack.request("GET", "/settings/postback").json()["postback_url"]
    page.get_by_role("button", name="Rotate").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    assert url_box.input_value() == before
    page.get_by_role("button", name="Rotate").click()
    page.get_by_role("dialog").get_by_role("button", name="Rotate").click()
    expect(url_box).not_to_have_value(before)
    assert url_box.input_value() == local_stack.request("GET", "/settings/postback").json()["postback_url"]
    page.get_by_label("Key name").fill("CRM sync")
    page.get_by_role("button", name="Create API key").click()
    new_key = page.get_by_label("New API key").input_value()
    assert new_key.startswith("lek_")
    assert local_stack.request("GET", "/events", key=new_key).status_code == 200
    expect(page.get_by_role("row", name=re.compile("CRM sync"))).to_contain_text("active")
    # The new key's card and its box take the page's width, at laptop and at tablet width
    for size, at_least in ((LAPTOP, 900), (TABLET, 600)):
        page.set_viewport_size(size)
        assert _width(page, "main .card.inset.ok") >= at_least, size
        assert _width(page, "main .card.inset.ok input") >= at_least - 60, size
    page.set_viewport_size(LAPTOP)
    screenshots(page, "17-settings")

    # Affiliates: a postback URL the API refuses is explained next to its field; then added and edited in place
    affiliate_id = _unique("net")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Affiliates").click()
    expect(page.get_by_text("No affiliates yet")).to_be_visible()
    page.get_by_role("button", name="Add affiliate").click()
    form = page.get_by_role("form", name="Add affiliate")
    form.get_by_label("Affiliate ID").fill(affiliate_id)
    form.get_by_label("Name", exact=True).fill("Network 42")
    form.get_by_label("Postback URL").fill("ftp://network.example/pb")
    form.get_by_role("button", name="Save affiliate").click()
    expect(form.locator('[data-field="postback_url"] .field-error')).to_contain_text("must start with http")
    assert local_stack.request("GET", f"/affiliates/{affiliate_id}").status_code == 404
    screenshots(page, "18-affiliate-refused")
    form.get_by_label("Postback URL").fill(receiver.url + "/aff?click={transaction_id}")
    form.get_by_role("button", name="Save affiliate").click()
    card = page.get_by_role("article", name="Affiliate Network 42")
    expect(card).to_contain_text(receiver.url + "/aff?click={transaction_id}")
    card.get_by_role("button", name="Edit").click()
    edit = page.get_by_role("form", name="Edit affiliate")
    expect(edit.get_by_label("Name", exact=True)).to_have_value("Network 42")
    edit.get_by_label("Name", exact=True).fill("Network 42 EU")
    edit.get_by_label("HTTP method").select_option("POST")
    edit.get_by_label("Body", exact=True).fill('{"click": "{transaction_id}"}')
    edit.get_by_role("button", name="Save affiliate").click()
    expect(page.get_by_role("article", name="Affiliate Network 42 EU")).to_contain_text("POST")
    stored = local_stack.request("GET", f"/affiliates/{affiliate_id}").json()
    assert (stored["name"], stored["method"]) == ("Network 42 EU", "POST")
    assert stored["body"] == {"click": "{transaction_id}"}
    assert stored["postback_url"] == receiver.url + "/aff?click={transaction_id}"
    screenshots(page, "19-affiliates")

    # At tablet width the navigation folds behind a Menu button and the screens still work
    page.set_viewport_size(TABLET)
    expect(page.get_by_role("navigation", name="Console")).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    assert horizontal_overflow(page) <= 0
    screenshots(page, "20-menu")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="View Logs").click()
    expect(page.get_by_role("heading", name="View Logs")).to_be_visible()
    expect(page.get_by_role("navigation", name="Console")).to_be_hidden()
    page.goto(f"{local_stack.api_url}/console#/leads/{lead['lead_id']}")
    expect(page.get_by_role("heading", name=f"Lead {lead['lead_id']}")).to_be_visible()
    screenshots(page, "21-lead-record")

    # Forgetting the key returns to the key screen; the key was never in the URL
    assert local_stack.api_key not in page.url
    page.get_by_role("button", name="Forget API key").click()
    expect(page.get_by_label("API key")).to_be_visible()


def test_a_message_sits_in_the_top_bar_and_goes_on_the_next_screen_when_closed_or_after_a_few_seconds(
    page: Page, own_org_stack: LocalStack
) -> None:
    page.clock.install()  # the console's timers run on a clock the test moves
    sign_in(page, own_org_stack)
    event = _unique("toast")

    # Given the message an action leaves: "created" announces the screen the event opens on
    _create_event(page, event)
    expect(_toast(page)).to_have_text(f"Event {event} created.")
    for size in WIDTHS:
        page.set_viewport_size(size)
        assert _controls_under_the_toast(page) == [], size
    page.set_viewport_size(LAPTOP)

    # When the operator opens another screen, then the message is gone
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Event Management").click()
    expect(page.get_by_role("row", name=re.compile(event))).to_be_visible()
    expect(_toast(page)).to_have_text("")
    expect(page.get_by_role("button", name="Dismiss message")).to_be_hidden()

    # When it is closed, it is gone
    page.get_by_role("row", name=re.compile(event)).get_by_role("link", name=event, exact=True).click()
    page.get_by_label("Description").fill("first")
    page.get_by_role("button", name="Save").click()
    expect(_toast(page)).to_have_text(f"Event {event} saved.")
    page.get_by_role("button", name="Dismiss message").click()
    expect(_toast(page)).to_have_text("")

    # When nobody touches it, it goes after a few seconds, on the same screen
    page.get_by_label("Description").fill("second")
    page.get_by_role("button", name="Save").click()
    expect(_toast(page)).to_have_text(f"Event {event} saved.")
    page.clock.fast_forward("00:10")
    expect(_toast(page)).to_have_text("")
    expect(page.get_by_role("heading", name=event, exact=True)).to_be_visible()
