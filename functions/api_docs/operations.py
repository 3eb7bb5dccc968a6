"""What each operation does for an operator: its summary (one line) and description, for the OpenAPI document.

Kept here, not in the handlers, so that a function's app.py shows its whole API on one screen, and
read only by `make openapi` (generate.py), never by a function at run time. Keyed "METHOD /path" as
the document names operations; generate.py fails when a route has no entry or an entry no route.
A route's tag, security and answers are on its decorator: `**route_doc(tag, success, *errors)`.
"""

from __future__ import annotations

OPERATIONS: dict[str, tuple[str, str]] = {
    # Events
    "POST /events": (
        "Define an event that leads can go through, such as a sale or a qualified lead",
        "Events are defined once for the organization; triggers, postbacks and event lists name them. "
        "`conversion` counts the event in reports, `affiliate_conversion` also fires the lead's affiliate "
        "postback, and `multi_trigger` lets it fire more than once per lead (otherwise a second trigger for "
        "the same lead is refused with 409). A name already taken is refused with 409; the name never changes.",
    ),
    "GET /events": (
        "List the events your organization has defined",
        "Events in name order, a page at a time: pass `next_cursor` back as `cursor` for the next page.",
    ),
    "GET /events/{name}": (
        "Show one event and its settings",
        "The event's description and its conversion, affiliate-conversion and multi-trigger settings.",
    ),
    "PATCH /events/{name}": (
        "Change an event's description or settings",
        "Only the fields sent change; a field sent as null is refused (leave it out to keep it). The name "
        "cannot change. Triggers accepted from now on follow the new settings; earlier log entries keep theirs.",
    ),
    "DELETE /events/{name}": (
        "Delete an event and its postbacks",
        "Its log entries stay until they expire. Refused with 409 while an event list still names the event "
        "(that would silently narrow the campaigns the list is assigned to): remove it from those lists first.",
    ),
    # Postbacks
    "POST /events/{name}/postbacks": (
        "Add a postback: a request sent to a partner each time the event is accepted",
        "The URL (http or https, to a public address) and the headers and POST body may use `{macros}`: "
        "the built-in ones (GET /macros) and the custom fields that campaigns declare for the event. A body "
        "and signing are for POST postbacks only. `signing_secret: generate` makes a Standard Webhooks "
        "secret, shown once in this answer. Set `campaign_id` to fire it only for that campaign's leads.",
    ),
    "GET /events/{name}/postbacks": (
        "List the postbacks an event fires",
        "Every postback of the event, enabled or not, a page at a time; secrets are never shown.",
    ),
    "GET /events/{name}/postbacks/{postback_id}": (
        "Show one postback, and whether it was disabled for failing",
        "`consecutive_failures` counts deliveries that failed for good in a row; past the deployment's "
        "limit the postback is disabled, with `disabled_reason` saying why.",
    ),
    "PATCH /events/{name}/postbacks/{postback_id}": (
        "Change a postback, or enable it again",
        "Only the fields sent change, checked together with the rest of the postback as stored (a body "
        "needs method POST, every macro must be known). `enabled: true` also clears an automatic disabling "
        "and its run of failures. Deliveries already queued keep the request they were rendered with.",
    ),
    "DELETE /events/{name}/postbacks/{postback_id}": (
        "Remove a postback from an event",
        "Triggers accepted from now on no longer fire it. Deliveries already queued are still made, but for "
        "signed ones, which fail: the secret went with the postback.",
    ),
    "POST /events/{name}/postbacks/{postback_id}/test": (
        "Send Test: fire a postback now with sample values and see the answer",
        "The request is rendered with sample macro values and sent as a real delivery would be (same client, "
        "same timeouts, same address rules); the answer's status, time and first 2 KiB come back. Nothing is "
        "logged, and a failure does not count toward disabling the postback.",
    ),
    "GET /macros": (
        "List the macros a postback URL, header or body can use",
        "The built-in macros and what each stands for. Custom fields that campaigns declare for an event "
        "(PUT /campaigns/{campaign_id}/events/{name}) can be used as macros too.",
    ),
    # Settings
    "GET /settings/postback": (
        "Show your inbound postback URL, to give to affiliate networks and CRMs",
        "The URL carries the organization's secret token, so whoever has it can trigger events: share it "
        "only with the systems that report to you, and rotate it if it leaks.",
    ),
    "POST /settings/postback/rotate": (
        "Replace your inbound postback URL with a new one",
        "The old URL stops working at once (404): give the new one to every system that reported to the old.",
    ),
    "POST /settings/api-keys": (
        "Create a named API key",
        "The key itself is shown only in this answer: store it now. The name says who uses it (a CRM, a "
        "script), and GET /settings/api-keys shows when each key was last used.",
    ),
    "GET /settings/api-keys": (
        "List your API keys and when each was last used",
        "Names, ids and dates only: a key's secret is never shown again after it is created.",
    ),
    "DELETE /settings/api-keys/{key_id}": (
        "Revoke an API key",
        "Requests with the key are refused from now on (401). The last active key cannot be revoked (409), "
        "so the organization cannot lock itself out: create another first.",
    ),
    # Event lists and campaigns
    "POST /event-lists": (
        "Create an event list: the events a campaign accepts",
        "A list names events that exist (404 otherwise), each once. It changes nothing until it is assigned "
        "to a campaign; a campaign with lists assigned accepts only the events they name.",
    ),
    "GET /event-lists": (
        "List your event lists and the campaigns each is assigned to",
        "A page at a time: pass `next_cursor` back as `cursor` for the next page.",
    ),
    "GET /event-lists/{list_id}": (
        "Show one event list, its events and its campaigns",
        "The events it names and the campaigns it is assigned to.",
    ),
    "PATCH /event-lists/{list_id}": (
        "Rename an event list or change its events",
        "Only the fields sent change; `events` replaces the whole list, and each must exist. Every campaign "
        "the list is assigned to accepts the new events from the next trigger on.",
    ),
    "DELETE /event-lists/{list_id}": (
        "Delete an event list no campaign uses",
        "Refused with 409 while the list is assigned to a campaign (the campaign would silently accept every "
        "event): unassign it first.",
    ),
    "PUT /campaigns/{campaign_id}/event-lists/{list_id}": (
        "Assign an event list to a campaign",
        "From the next trigger on, the campaign's leads are accepted only for the events of its lists. "
        "Assigning a list that is already assigned is not an error.",
    ),
    "DELETE /campaigns/{campaign_id}/event-lists/{list_id}": (
        "Unassign an event list from a campaign",
        "A campaign left without lists accepts every event again. A list that is not assigned is a 404.",
    ),
    "GET /campaigns": (
        "List your campaigns, with their leads, conversions, lists and custom fields",
        "Every campaign your organization has registered leads with, assigned event lists to or given event "
        "settings (custom fields), by id, with how many leads it has had and how many of them converted, and "
        "how many event lists and custom fields it has. Campaigns need no creating: one appears here with its "
        "first lead, list or setting. Counted from counters and the configuration, not from the leads.",
    ),
    "GET /campaigns/{campaign_id}/events": (
        "List the events a campaign accepts, with its custom fields",
        "The events its lists name (every event when it has none), each with the lists that allow it and "
        "the custom fields the campaign declares for it. Any campaign id answers: campaigns need no set-up.",
    ),
    "GET /campaigns/{campaign_id}/events/{name}": (
        "Show the custom fields a campaign declares for an event",
        "The fields a trigger of this event for the campaign's leads may (or must) carry, and their types.",
    ),
    "PUT /campaigns/{campaign_id}/events/{name}": (
        "Declare the custom fields a campaign's triggers of an event carry",
        "Replaces the event's custom fields for the campaign. Triggers are then checked against them (a "
        "missing required field or a value of the wrong type is refused with 422), and postbacks may use "
        "them as `{macros}`. Field names may not be built-in macro or inbound parameter names.",
    ),
    # Affiliates
    "PUT /affiliates/{affiliate_id}": (
        "Create or replace an affiliate and the postback it gets for conversions",
        "The affiliate's postback fires when an event with `affiliate_conversion` is accepted for one of its "
        "leads (the lead's `affiliate_id`). Its URL follows the postback rules (http or https, a public "
        "address, known macros). Sending it again replaces it and keeps its creation date.",
    ),
    "GET /affiliates": (
        "List the affiliates whose leads you accept, with their postbacks",
        "A page at a time: pass `next_cursor` back as `cursor` for the next page.",
    ),
    "GET /affiliates/{affiliate_id}": (
        "Show one affiliate and its postback",
        "Its name, postback URL, method, body and whether the postback is enabled.",
    ),
    "DELETE /affiliates/{affiliate_id}": (
        "Remove an affiliate",
        "Its postback no longer fires; leads keep their `affiliate_id`.",
    ),
    "POST /affiliates/{affiliate_id}/test": (
        "Send Test: fire an affiliate's postback now with sample values",
        "As Send Test for an event's postback: rendered with sample values, sent as a delivery would be, "
        "nothing logged. An affiliate without a postback URL is refused with 422.",
    ),
    # Leads and triggers
    "POST /leads": (
        "Register a lead so that later events can be attributed to it",
        "Register a lead when it is submitted, with its campaign and, if it came through one, its affiliate "
        "and sub ids: triggers then find it by `lead_id` or `transaction_id` (generated when not given). "
        "A lead id or transaction id already registered is refused with 409.",
    ),
    "GET /leads": (
        "Find a lead by its transaction id, with its event timeline",
        "The lead as registered and the events accepted for it, as GET /leads/{lead_id} shows them: what a "
        "search for a network's click id or transaction id needs.",
    ),
    "GET /leads/{lead_id}": (
        "Show a lead and its event timeline",
        "The lead as registered (campaign, affiliate, sub ids, data) and the events accepted for it, each "
        "with its log id for GET /logs/{log_id}.",
    ),
    "POST /leads/{lead_id}/events": (
        "Record an event for a lead by hand, such as an offline sale",
        "An operator's trigger: accepted by the same rules as POST /triggers (the event must exist and be "
        "allowed for the lead's campaign; once per lead unless multi-trigger, else 409), recorded with your "
        "key and an optional note. Answers the new log entry.",
    ),
    "POST /triggers": (
        "Report that an event happened to a lead, and fire its postbacks",
        "Name the lead by exactly one of `transaction_id` or `lead_id`. The event must exist (404) and be "
        "allowed for the lead's campaign; its custom fields are checked against the campaign's (422). An "
        "event that is not multi-trigger is accepted once per lead: a second is refused with 409, so "
        "sending a trigger again after a timeout is safe. Nothing is written when a trigger is refused.",
    ),
    "GET /postback/{token}": (
        "Inbound postback: an affiliate network or CRM reports an event in the query string",
        "The URL from GET /settings/postback, with `event` (or `event_id`, `event_name`) and the lead's "
        "`transaction_id` (or `tid`, `click_id`, `clickid`), optionally `revenue` (or `amount`, `payout`); "
        "other parameters are custom fields. Accepted by the same rules as POST /triggers. A wrong or "
        "rotated token is 404. No API key: the token is the secret.",
    ),
    "POST /postback/{token}": (
        "Inbound postback: an affiliate network or CRM reports an event in a form or JSON body",
        "As the GET form, with the parameters in the query string, a form body or a JSON object (the body's "
        "win). Bodies over 64 KiB and multipart bodies are refused.",
    ),
    # Logs and reports
    "GET /logs": (
        "List accepted events and how their deliveries went, newest first",
        "Filter by event, campaign, lead, status and a date range (`from`, `to`: ISO 8601, UTC; a date "
        "includes its whole day). Entries are kept for the deployment's retention period.",
    ),
    "GET /events/{name}/logs": (
        "List one event's log entries, newest first",
        "GET /logs with `event` set. Entries outlive the event: they are listed after it is deleted.",
    ),
    "GET /logs/{log_id}": (
        "Show one log entry with every delivery attempt",
        "What was accepted (lead, fields, revenue, source) and, per delivery, each attempt's request, status "
        "code, answer and error.",
    ),
    "POST /logs/{log_id}/redeliver": (
        "Send an entry's failed deliveries again",
        "Each failed delivery is queued again and continues its attempt numbering, with the same delivery id "
        "(the webhook-id header), so a receiver can drop a copy it already has. Refused with 409 when nothing "
        "failed, or while the entry's deliveries are being recorded; two redeliveries at once send once.",
    ),
    "GET /reports/conversions": (
        "Report events, conversions and revenue by day, event or campaign",
        "Counters kept as leads are registered and triggers accepted (no scan of the logs), for a date "
        "range (`from`, `to`: ISO 8601, UTC; at most 1,100 days), optionally for one campaign.",
    ),
}
