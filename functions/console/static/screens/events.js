// Settings › Event Management: the list, + New Event, and the event form (also used to edit).

import { api, path } from "../lib/api.js";
import {
  busy, checkbox, confirmAction, empty, field, formValues, h, input, page, showApiError, table, toast,
} from "../lib/ui.js";

export const NAME_RULE =
  "Lowercase, starting with a letter; letters, digits and _ only; at most 64 characters (e.g. sale, qualified_lead). Used in API calls and postback URLs.";

const FLAGS = [
  ["conversion", "Conversion Event", "Marks this event as a primary conversion for reporting purposes."],
  ["affiliate_conversion", "Affiliate Conversion Event", "Signals conversion to affiliate platforms via postbacks."],
  ["multi_trigger", "Multi-Trigger", "Allows the same event to fire more than once for the same lead."],
];

export async function allEvents() {
  const items = [];
  let cursor = null;
  do {
    const answer = await api("GET", "/events", { query: { limit: 200, cursor } });
    items.push(...answer.items);
    cursor = answer.next_cursor;
  } while (cursor);
  return items;
}

export async function list(view) {
  const items = await allEvents();
  const newButton = h("a", { class: "button", href: "#/events/new" }, "+ New Event");
  const flags = (e) => FLAGS.filter(([key]) => e[key]).map(([, label]) => label).join(", ") || "—";
  const rows = items.map((e) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: `#/events/${encodeURIComponent(e.name)}` }, h("code", {}, e.name))),
      h("td", {}, e.description || "—"),
      h("td", {}, flags(e)),
      h(
        "td",
        { class: "row-actions" },
        h("a", { href: `#/logs?event=${encodeURIComponent(e.name)}` }, "View Logs"),
        h("a", { href: `#/events/${encodeURIComponent(e.name)}` }, "Edit"),
        h("button", { type: "button", class: "link-button danger-text", onclick: () => remove(e.name, view) }, "Delete"),
      ),
    ),
  );
  view.append(
    page("Event Management", { crumbs: ["Settings"], actions: [newButton] }),
    h("p", { class: "lede" }, "Events are actions that happen after a lead is submitted. They are available across all campaigns of your organization."),
    items.length
      ? table(["Event name", "Description", "Conversion tracking", h("span", { class: "sr-only" }, "Actions")], rows)
      : empty("No events yet. Create your first one, e.g. sale or qualified.", h("a", { class: "button", href: "#/events/new" }, "+ New Event")),
  );
}

async function remove(name, view) {
  const ok = await confirmAction(
    `Delete the event “${name}”?`,
    "Its postbacks are deleted too. Its log entries stay. An event that an event list names cannot be deleted.",
    "Delete event",
    { danger: true },
  );
  if (!ok) return;
  try {
    await api("DELETE", path`/events/${name}`);
    toast(`Event ${name} deleted.`);
    view.replaceChildren();
    await list(view);
  } catch (error) {
    toast(error.message);
  }
}

/** The event form: name (only when new), description and the conversion tracking options. */
export function eventForm(event, onSaved) {
  const isNew = !event;
  const form = h("form", { class: "card", novalidate: true, "aria-label": isNew ? "New event" : "Event settings" });
  if (isNew) {
    form.append(
      field("Event name", input({ required: true, autocomplete: "off", spellcheck: false, placeholder: "sale" }), {
        name: "name",
        hint: NAME_RULE,
      }),
    );
  }
  const description = h("textarea", { rows: 2, maxlength: 1000 }, event?.description || "");
  form.append(field("Description", description, { name: "description", hint: "Optional: what this event means, for your team." }));
  const fieldset = h("fieldset", {}, h("legend", {}, "Conversion tracking"));
  for (const [key, label, hint] of FLAGS) {
    fieldset.append(field(label, checkbox({ checked: Boolean(event?.[key]) }), { name: key, hint }));
  }
  form.append(fieldset);
  const save = h("button", { type: "submit" }, "Save");
  form.append(h("div", { class: "actions" }, save, isNew ? h("a", { class: "button secondary", href: "#/events" }, "Cancel") : null));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = formValues(form);
    values.description = description.value.trim();
    try {
      const saved = await busy(save, "Saving…", () =>
        isNew ? api("POST", "/events", { body: values }) : api("PATCH", path`/events/${event.name}`, { body: values }),
      );
      toast(isNew ? `Event ${saved.name} created.` : `Event ${saved.name} saved.`, { survivesNavigation: isNew });
      onSaved(saved);
    } catch (error) {
      showApiError(form, error);
    }
  });
  return form;
}

export async function create(view) {
  view.append(
    page("New Event", { crumbs: ["Settings", "Event Management"] }),
    eventForm(null, (saved) => {
      window.location.hash = `#/events/${encodeURIComponent(saved.name)}`;
    }),
  );
  view.querySelector("input")?.focus();
}
