// Campaign Event Manager: a campaign's effective events and their custom fields (Add Custom Field).

import { api, path } from "../lib/api.js";
import {
  badge, busy, checkbox, confirmAction, empty, field, h, input, page, select, showApiError, table, toast,
} from "../lib/ui.js";
import { allLists } from "./lists.js";

const PICKER_MAX = 1000; // more campaigns than a select can usefully hold: type the id instead

/** The organization's campaigns (GET /campaigns), page after page, up to PICKER_MAX. */
async function allCampaigns() {
  const items = [];
  let cursor = null;
  do {
    const answer = await api("GET", "/campaigns", { query: { limit: 200, cursor } });
    items.push(...answer.items);
    cursor = answer.next_cursor;
  } while (cursor && items.length < PICKER_MAX);
  return items;
}

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const describe = (c) =>
  `${c.campaign_id} — ${plural(c.leads, "lead")}, ${plural(c.event_lists, "event list")}, ${plural(c.custom_fields, "custom field")}`;

export async function render(view, _params, query) {
  const campaignId = query.get("campaign") || "";
  const eventName = query.get("event") || "";
  const [lists, campaigns] = await Promise.all([allLists(), allCampaigns()]);
  const listNames = new Map(lists.map((l) => [l.id, l.name]));
  const open = (id) => {
    window.location.hash = `#/campaigns?campaign=${encodeURIComponent(id)}`;
  };

  const form = h("form", { class: "card inline-form", novalidate: true, "aria-label": "Open a campaign" });
  const picker = select([{ value: "", label: campaigns.length ? "Choose a campaign…" : "No campaigns yet" }, ...campaigns.map((c) => ({ value: c.campaign_id, label: describe(c) }))], {
    disabled: !campaigns.length,
    onchange: () => picker.value && open(picker.value),
  });
  picker.value = campaigns.some((c) => c.campaign_id === campaignId) ? campaignId : "";
  const box = input({ value: campaignId, required: true, spellcheck: false, autocomplete: "off" });
  form.append(
    field("Your campaigns", picker, { name: "picked", hint: "Every campaign with leads, event lists or custom fields." }),
    field("Campaign ID", box, { name: "campaign", hint: "Or type an id, e.g. for a new campaign that has nothing yet." }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Open campaign")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (box.value.trim()) open(box.value.trim());
  });
  view.append(page("Campaign Event Manager", { crumbs: ["Settings"] }), form);
  if (!campaignId) {
    view.append(
      campaigns.length
        ? table(
            ["Campaign", "Leads", "Converted leads", "Event lists", "Custom fields"],
            campaigns.map((c) =>
              h(
                "tr",
                {},
                h("td", {}, h("a", { href: `#/campaigns?campaign=${encodeURIComponent(c.campaign_id)}` }, c.campaign_id)),
                h("td", { class: "num" }, c.leads),
                h("td", { class: "num" }, c.converted_leads),
                h("td", { class: "num" }, c.event_lists || "— (every event)"),
                h("td", { class: "num" }, c.custom_fields),
              ),
            ),
            { caption: "Your campaigns" },
          )
        : empty("No campaign has leads, event lists or custom fields yet: type a campaign id above to set one up."),
    );
    return;
  }

  let campaign;
  try {
    campaign = await api("GET", path`/campaigns/${campaignId}/events`);
  } catch (error) {
    showApiError(form, error, { campaign_id: "campaign" });
    return;
  }
  const openEvent = (name) => `#/campaigns?campaign=${encodeURIComponent(campaignId)}&event=${encodeURIComponent(name)}`;
  view.append(
    h("h2", {}, `Events of campaign ${campaignId}`),
    h("p", { class: "lede" }, campaign.all_events
      ? "No event list is assigned: this campaign accepts every event of your organization."
      : `From the event lists: ${campaign.lists.map((id) => listNames.get(id) || id).join(", ")}.`),
    campaign.items.length
      ? table(
          ["Event", "Conversion", "Custom fields", h("span", { class: "sr-only" }, "Actions")],
          campaign.items.map((e) =>
            h(
              "tr",
              { class: e.name === eventName ? "selected" : "" },
              h("td", {}, h("code", {}, e.name)),
              h("td", {}, e.conversion ? badge("conversion") : "—"),
              h("td", {}, e.custom_fields.map((f) => `${f.name} (${f.type}${f.required ? ", required" : ""})`).join(", ") || "—"),
              h("td", {}, h("a", { href: openEvent(e.name) }, "Custom fields")),
            ),
          ),
        )
      : empty("This campaign accepts no events yet: create events in Event Management."),
  );
  const chosen = campaign.items.find((e) => e.name === eventName);
  if (chosen) view.append(customFields(campaignId, chosen));
}

function customFields(campaignId, event) {
  const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
  const fields = event.custom_fields;
  const save = (next) => api("PUT", path`/campaigns/${campaignId}/events/${event.name}`, { body: { custom_fields: next } });

  const rows = fields.map((f, index) =>
    h(
      "tr",
      {},
      h("td", {}, h("code", {}, f.name)),
      h("td", {}, f.type),
      h("td", {}, f.required ? "required" : "optional"),
      h(
        "td",
        {},
        h("button", {
          type: "button",
          class: "link-button danger-text",
          "aria-label": `Remove the field ${f.name}`,
          onclick: async () => {
            const ok = await confirmAction(`Remove the field ${f.name}?`, "Triggers no longer need it; entries already logged keep it.", "Remove field", { danger: true });
            if (!ok) return;
            try {
              await save(fields.filter((_, i) => i !== index));
              toast(`Field ${f.name} removed.`);
              reload();
            } catch (error) {
              toast(error.message);
            }
          },
        }, "Remove"),
      ),
    ),
  );

  const form = h("form", { class: "card", novalidate: true, "aria-label": "Add Custom Field" });
  const name = input({ required: true, spellcheck: false, autocomplete: "off", placeholder: "plan" });
  const type = select([{ value: "text", label: "text" }, { value: "number", label: "number" }, { value: "date", label: "date" }]);
  const required = checkbox();
  const add = h("button", { type: "submit" }, "Add Custom Field");
  form.append(
    h("h3", {}, "Add Custom Field"),
    field("Field name", name, { name: "name", hint: "Same rule as event names: lowercase letters, digits and _." }),
    field("Type", type, { name: "type" }),
    field("Required", required, { name: "required" }),
    h("div", { class: "actions" }, add),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const next = [...fields, { name: name.value.trim(), type: type.value, required: required.checked }];
    const last = `custom_fields.${fields.length}`;
    try {
      await busy(add, "Saving…", () => save(next));
      toast(`Field ${name.value.trim()} added to ${event.name}.`);
      reload();
    } catch (error) {
      showApiError(form, error, { [`${last}.name`]: "name", [`${last}.type`]: "type", [`${last}.required`]: "required", custom_fields: "name" });
    }
  });

  return h(
    "section",
    { class: "card", "aria-labelledby": "fields-title" },
    h("h2", { id: "fields-title" }, `Custom fields of ${event.name} for campaign ${campaignId}`),
    h("p", { class: "hint" }, "These fields are submitted alongside the event, appear in event logs and can be used in postbacks as {macros}."),
    fields.length ? table(["Name", "Type", "Required", h("span", { class: "sr-only" }, "Actions")], rows) : empty("No custom fields yet."),
    form,
  );
}
