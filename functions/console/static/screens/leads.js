// Lead record: find a lead by lead id or transaction id, its timeline, and Trigger Event.

import { api, ApiError, path } from "../lib/api.js";
import {
  badge, busy, clearErrors, confirmAction, empty, field, fieldError, group, h, input, page, select, showApiError, table,
  toast, when,
} from "../lib/ui.js";

// What the API generates for a lead that came without an id of its own.
const GENERATED_LEAD_ID = /^lead_[0-9a-f]{16}$/;

/**
 * The lead with this lead id or transaction id. What the input looks like decides which to ask
 * first, so a lead that exists costs one request and no 404: a generated lead id by its id, anything
 * else by transaction id (what networks and CRMs send back). The other is asked only when the
 * first finds nothing (a lead id of the intake system's own).
 */
async function findLead(id) {
  const byId = () => api("GET", path`/leads/${id}`);
  const byTransaction = () => api("GET", "/leads", { query: { transaction_id: id } });
  const [first, second] = GENERATED_LEAD_ID.test(id) ? [byId, byTransaction] : [byTransaction, byId];
  try {
    return await first();
  } catch (error) {
    if (error.status !== 404) throw error;
  }
  return second();
}

function searchForm(initial = "") {
  const box = input({ type: "search", value: initial, required: true, spellcheck: false, autocomplete: "off" });
  const submit = h("button", { type: "submit" }, "Find lead");
  const form = h(
    "form",
    { class: "card search", role: "search", novalidate: true },
    field("Lead ID or transaction ID", box, { name: "q" }),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const id = box.value.trim();
    if (!id) return fieldError(form, "q", "Enter a lead ID or a transaction ID.");
    try {
      const lead = await busy(submit, "Searching…", () => findLead(id));
      window.location.hash = `#/leads/${encodeURIComponent(lead.lead_id)}`;
    } catch (error) {
      const message = error.status === 404 ? `No lead has the lead ID or transaction ID “${id}”.` : error.message;
      fieldError(form, "q", message);
      box.focus();
    }
  });
  return form;
}

export async function search(view) {
  view.append(
    page("Lead record"),
    h("p", { class: "lede" }, "Go to the lead record you want to update, then click Trigger Event to record an offline conversion."),
    searchForm(),
  );
  view.querySelector("input")?.focus();
}

export async function record(view, [leadId]) {
  let lead;
  try {
    lead = await api("GET", path`/leads/${leadId}`);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    view.append(page("Lead record"), searchForm(leadId));
    fieldError(view.querySelector("form"), "q", `No lead has the lead ID “${leadId}”.`);
    return;
  }
  const triggerArea = h("div");
  const triggerButton = h("button", { type: "button" }, "Trigger Event");
  triggerButton.addEventListener("click", async () => {
    triggerButton.hidden = true;
    triggerArea.replaceChildren(await triggerForm(lead, () => {
      triggerArea.replaceChildren();
      triggerButton.hidden = false;
      triggerButton.focus();
    }));
    triggerArea.querySelector("select")?.focus();
  });
  const pairs = [
    ["Lead ID", lead.lead_id],
    ["Transaction ID", lead.transaction_id],
    ["Campaign", lead.campaign_id],
    ["Affiliate", lead.affiliate_id || "—"],
    ["Payout", lead.payout ?? "—"],
    ["Submitted", when(lead.created_at)],
    ...[1, 2, 3, 4, 5].filter((n) => lead[`sub${n}`]).map((n) => [`sub${n}`, lead[`sub${n}`]]),
  ];
  const timeline = lead.events.length
    ? table(
        ["Timestamp", "Event", "Source", "Status", "Revenue"],
        [...lead.events].reverse().map((e) =>
          h(
            "tr",
            {},
            h("td", {}, h("a", { href: `#/logs/${encodeURIComponent(e.log_id)}` }, when(e.created_at))),
            h("td", {}, h("code", {}, e.event)),
            h("td", {}, e.source),
            h("td", {}, badge(e.status)),
            h("td", {}, e.revenue ?? "—"),
          ),
        ),
        { caption: "Newest first" },
      )
    : empty("No events yet for this lead.");
  view.append(
    page(`Lead ${lead.lead_id}`, { crumbs: ["Lead record"], actions: [triggerButton] }),
    triggerArea,
    h("dl", { class: "pairs card" }, pairs.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    group(Object.keys(lead.data || {}).length ? [h("h2", {}, "Lead data"), h("pre", { class: "card" }, JSON.stringify(lead.data, null, 2))] : null),
    h("h2", {}, "Timeline"),
    timeline,
    h("p", {}, h("a", { href: "#/leads" }, "Find another lead")),
  );
}

async function triggerForm(lead, close) {
  const campaign = await api("GET", path`/campaigns/${lead.campaign_id}/events`);
  const form = h("form", { class: "card", novalidate: true, "aria-label": "Trigger Event" });
  if (!campaign.items.length) {
    form.append(
      h("h2", {}, "Trigger Event"),
      empty(`Campaign ${lead.campaign_id} has no events to trigger. Create events in Event Management or assign an event list.`),
      h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: close }, "Close")),
    );
    return form;
  }
  const eventSelect = select([{ value: "", label: "Select an event…" }, ...campaign.items.map((e) => ({ value: e.name, label: e.description ? `${e.name} — ${e.description}` : e.name }))]);
  const customArea = h("div", { class: "custom-fields" });
  const revenue = input({ inputmode: "decimal", placeholder: "12.50", autocomplete: "off" });
  const note = h("textarea", { rows: 2, maxlength: 1000, placeholder: "Closed by phone" });
  const submit = h("button", { type: "submit" }, "Trigger Event");

  eventSelect.addEventListener("change", () => {
    const chosen = campaign.items.find((e) => e.name === eventSelect.value);
    customArea.replaceChildren(
      ...(chosen?.custom_fields || []).map((f) =>
        field(
          `${f.name}${f.required ? " (required)" : ""}`,
          input({
            type: f.type === "date" ? "date" : "text",
            inputmode: f.type === "number" ? "decimal" : undefined,
            required: f.required,
            "data-custom": f.name,
            autocomplete: "off",
          }),
          { name: `fields.${f.name}`, hint: `${f.type}${f.required ? ", required" : ", optional"} custom field of campaign ${lead.campaign_id}` },
        ),
      ),
    );
  });

  form.append(
    h("h2", {}, "Trigger Event"),
    field("Event", eventSelect, {
      name: "event",
      hint: campaign.all_events ? "Every event of your organization (no event list is assigned to this campaign)." : `The events of campaign ${lead.campaign_id}'s event lists.`,
    }),
    customArea,
    field("Revenue", revenue, { name: "revenue", hint: "Optional: the amount, e.g. 12.50." }),
    field("Note", note, { name: "note", hint: "Optional: why, for the log (e.g. closed by phone)." }),
    h("div", { class: "actions" }, submit, h("button", { type: "button", class: "secondary", onclick: close }, "Cancel")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!eventSelect.value) return fieldError(form, "event", "Select the event to trigger.");
    const body = { event: eventSelect.value, fields: {} };
    for (const control of customArea.querySelectorAll("[data-custom]")) {
      const value = control.value.trim();
      if (value) body.fields[control.dataset.custom] = value;
      else if (control.required) fieldError(form, `fields.${control.dataset.custom}`, "This field is required.");
    }
    if (form.querySelector(".field-error:not([hidden])")) return;
    if (revenue.value.trim()) body.revenue = revenue.value.trim();
    if (note.value.trim()) body.note = note.value.trim();
    const ok = await confirmAction(
      `Trigger “${body.event}” for lead ${lead.lead_id}?`,
      "It is recorded against this lead and its postbacks fire at once.",
      "Trigger Event",
    );
    if (!ok) return;
    try {
      const entry = await busy(submit, "Triggering…", () => api("POST", path`/leads/${lead.lead_id}/events`, { body }));
      toast(`${entry.event} recorded: ${entry.deliveries.length} postback(s) queued.`);
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (error) {
      showApiError(form, error);
    }
  });
  return form;
}
