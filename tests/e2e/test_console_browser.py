"""The web console in a real browser (Debian's Chromium driven by Playwright) against the local stack.

A person follows the product page: Settings > Event Management, + New Event, Save, Add Postback
URL, Send Test, Trigger Event on a lead record, View Logs. Screenshots of every screen are saved
to .artifacts/console/ (not committed). Without /usr/bin/chromium the tests are skipped, except
under CI=true, where a missing browser fails the run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import LocalStack
from tests.receiver import Receiver

pytestmark = pytest.mark.e2e

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Without the background-networking flags Chromium's own connections are refused here, many at a time.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / ".artifacts" / "console"
LAPTOP = {"width": 1366, "height": 860}
TABLET = {"width": 820, "height": 1180}

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and no browser at {CHROMIUM}: .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
Page = sync_api.Page
expect = sync_api.expect


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def console_stack(local_stack: LocalStack) -> LocalStack:
    """The local stack as an organization of its own (`make org`), so rotating its inbound URL or
    counting its reports touches no other test."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "layers" / "shared"),
        "AWS_ENDPOINT_URL": local_stack.aws_endpoint_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "CONFIG_TABLE": local_stack.config_table,  # (a module's fixture: the tests' environment is not set yet)
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lead_events.admin",
            "create-org",
            "--name",
            "Console Leads",
            "--api-url",
            local_stack.api_url,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    org = json.loads(result.stdout.strip().splitlines()[-1])
    return dataclasses.replace(local_stack, api_key=org["api_key"], postback_url=org["postback_url"])


@pytest.fixture
def page(browser: object) -> Iterator[Page]:
    context = browser.new_context(viewport=LAPTOP)  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The API's expected 4xx answers are logged as "Failed to load resource"; anything else is a bug.
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.text.startswith("Failed to load resource")
            and errors.append(message.text)
        ),
    )
    yield page
    context.close()
    assert errors == [], errors  # no script errors and no CSP violations on any screen


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _sign_in(page: Page, stack: LocalStack) -> None:
    page.goto(stack.api_url + "/console")
    expect(page.get_by_role("heading", name="Welcome to lead-events")).to_be_visible()
    _shot(page, "00-api-key")
    page.get_by_label("API key").fill(stack.api_key)
    page.get_by_role("button", name="Open console").click()
    expect(page.get_by_role("heading", name="Event Management")).to_be_visible()


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
    page: Page, console_stack: LocalStack, receiver: Receiver
) -> None:
    local_stack = console_stack
    # Given the console, opened with the organization's API key
    _sign_in(page, local_stack)
    event = _unique("sale")

    # Settings > Event Management > + New Event: a name that breaks the rule is refused next to the field
    page.get_by_role("link", name="+ New Event").first.click()
    expect(page.get_by_text("Lowercase, starting with a letter")).to_be_visible()
    page.get_by_label("Event name").fill("Big Sale")
    page.get_by_role("button", name="Save").click()
    name_field = page.locator('[data-field="name"]')
    expect(name_field.locator(".field-error")).to_contain_text("pattern")
    expect(page.get_by_label("Event name")).to_have_attribute("aria-invalid", "true")
    _shot(page, "01-new-event-error")

    # ... a good name, a description and Conversion Event, then Save
    page.get_by_label("Event name").fill(event)
    page.get_by_label("Description").fill("A lead converted into a paying customer")
    page.get_by_label("Conversion Event", exact=True).check()
    page.get_by_label("Multi-Trigger").check()
    _shot(page, "02-new-event")
    page.get_by_role("button", name="Save").click()

    # Then the event opens, with no postbacks yet
    expect(page.get_by_role("heading", name=event, exact=True)).to_be_visible()
    expect(page.get_by_text("No postbacks yet")).to_be_visible()

    # Add Postback URL, with a macro from the picker
    page.get_by_role("button", name="Add Postback URL").click()
    page.get_by_label("Destination URL").fill(receiver.url + "/pb?click=")
    page.get_by_label("Insert macro").select_option("transaction_id")
    expect(page.get_by_label("Destination URL")).to_have_value(receiver.url + "/pb?click={transaction_id}")
    page.get_by_label("Destination URL").press("End")
    page.get_by_label("Destination URL").press_sequentially("&event=")
    page.get_by_label("Insert macro").select_option("event_name")
    expect(page.get_by_label("HTTP method")).to_have_value("GET")
    _shot(page, "03-add-postback")
    page.get_by_role("button", name="Save postback").click()
    postback = page.get_by_role("article", name=re.compile(r"^Postback GET "))
    expect(postback).to_contain_text(receiver.url + "/pb?click={transaction_id}&event={event_name}")

    # Send Test: the receiver gets the rendered request and the console shows its answer
    receiver.answer("/pb", (200, "ACK test"))
    postback.get_by_role("button", name="Send Test").click()
    expect(postback.get_by_role("heading", name="Test delivered")).to_be_visible()
    expect(postback.locator(".response-code")).to_have_text("200")
    expect(postback).to_contain_text("ACK test")
    [test_request] = receiver.wait_for(1, "/pb")
    assert parse_qs(urlsplit(test_request.path).query)["event"] == [event]
    _shot(page, "04-send-test")

    # The intake system registers a lead through the API
    transaction_id = _unique("CLICK")
    answer = local_stack.request("POST", "/leads", json={"campaign_id": "auto_ins", "transaction_id": transaction_id})
    assert answer.status_code == 201, answer.text
    lead_id = answer.json()["lead_id"]

    # Lead record: found by its transaction id
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Lead record").click()
    page.get_by_label("Lead ID or transaction ID").fill("no-such-lead")
    page.get_by_role("button", name="Find lead").click()
    expect(page.locator('[data-field="q"] .field-error')).to_contain_text("No lead has")
    page.get_by_label("Lead ID or transaction ID").fill(transaction_id)
    page.get_by_role("button", name="Find lead").click()
    expect(page.get_by_role("heading", name=f"Lead {lead_id}")).to_be_visible()
    expect(page.get_by_text("No events yet for this lead.")).to_be_visible()
    _shot(page, "05-lead-record")

    # Trigger Event: pick the event, add a note, confirm
    page.get_by_role("button", name="Trigger Event").click()
    form = page.get_by_role("form", name="Trigger Event")
    form.get_by_label("Event", exact=True).select_option(event)
    form.get_by_label("Revenue").fill("12.50")
    form.get_by_label("Note").fill("closed by phone")
    form.get_by_role("button", name="Trigger Event").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Trigger “{event}” for lead {lead_id}?")
    _shot(page, "06-trigger-confirm")
    dialog.get_by_role("button", name="Trigger Event").click()

    # Then the postback reaches the receiver with the lead's transaction id, and the timeline shows it
    delivered = receiver.wait_for(2, "/pb")[1]
    assert parse_qs(urlsplit(delivered.path).query)["click"] == [transaction_id]
    timeline = page.get_by_role("table").filter(has_text="Source")
    expect(timeline).to_contain_text(event)
    expect(timeline).to_contain_text("manual")
    _shot(page, "07-lead-timeline")

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
    _shot(page, "08-view-logs")

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
    _shot(page, "09-log-entry")


def test_every_other_screen_works_and_is_usable_at_tablet_width(
    page: Page, console_stack: LocalStack, receiver: Receiver
) -> None:
    local_stack = console_stack
    _sign_in(page, local_stack)
    event = _unique("qualified")
    campaign = _unique("camp")
    list_name = f"Auto insurance {uuid.uuid4().hex[:6]}"
    _create_event(page, event, "Reviewed and marked as qualified")
    _shot(page, "10-event-detail")

    # Event Management: a duplicate name is refused with the API's message next to the field
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Event Management").click()
    expect(page.get_by_role("row", name=re.compile(event))).to_be_visible()
    _shot(page, "11-event-management")
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
    _shot(page, "12-event-list")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Event Lists").click()
    expect(page.get_by_role("row", name=re.compile(list_name))).to_contain_text(campaign)
    _shot(page, "13-event-lists")

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
    _shot(page, "14-campaign-event-manager")

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
    _shot(page, "15-trigger-event-custom-field")
    form.get_by_role("button", name="Trigger Event").click()
    page.get_by_role("dialog").get_by_role("button", name="Trigger Event").click()
    expect(page.get_by_role("table").filter(has_text="Source")).to_contain_text(event)
    entry = local_stack.request("GET", f"/leads/{lead['lead_id']}").json()["events"][0]
    assert local_stack.request("GET", f"/logs/{entry['log_id']}").json()["fields"] == {"plan": "gold"}

    # Reports: today's conversions, events and revenue as a chart and a table
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("img", name="Events, conversions and revenue by day")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(entry["created_at"][:10])  # the day of that trigger
    _shot(page, "16-reports")

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
    _shot(page, "17-settings")

    # At tablet width the navigation folds behind a Menu button and the screens still work
    page.set_viewport_size(TABLET)
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Console").get_by_role("link", name="View Logs").click()
    expect(page.get_by_role("heading", name="View Logs")).to_be_visible()
    _shot(page, "18-view-logs-tablet")
    page.goto(f"{local_stack.api_url}/console#/leads/{lead['lead_id']}")
    expect(page.get_by_role("heading", name=f"Lead {lead['lead_id']}")).to_be_visible()
    _shot(page, "19-lead-record-tablet")

    # Forgetting the key returns to the key screen; the key was never in the URL
    assert local_stack.api_key not in page.url
    page.get_by_role("button", name="Forget API key").click()
    expect(page.get_by_label("API key")).to_be_visible()
