// Settings › Event Lists: create a list, edit its members, assign it to campaigns.

import { api, path } from "../lib/api.js";
import {
  busy, checkbox, confirmAction, empty, field, h, input, page, showApiError, table, toast,
} from "../lib/ui.js";
import { allEvents } from "./events.js";

async function allLists() {
  const items = [];
  let cursor = null;
  do {
    const answer = await api("GET", "/event-lists", { query: { limit: 200, cursor } });
    items.push(...answer.items);
    cursor = answer.next_cursor;
  } while (cursor);
  return items;
}

export { allLists };

export async function list(view) {
  const lists = await allLists();
  const newButton = h("a", { class: "button", href: "#/lists/new" }, "+ New List");
  view.append(
    page("Event Lists", { crumbs: ["Settings"], actions: [newButton] }),
    h("p", { class: "lede" }, "Group events under a named list and assign it to campaigns. Update once, apply everywhere: a change to a list applies to every campaign using it."),
    lists.length
      ? table(
          ["List", "Events", "Campaigns"],
          lists.map((l) =>
            h(
              "tr",
              {},
              h("td", {}, h("a", { href: `#/lists/${encodeURIComponent(l.id)}` }, l.name), l.description ? h("p", { class: "muted" }, l.description) : null),
              h("td", {}, l.events.join(", ") || "—"),
              h("td", {}, l.campaigns.join(", ") || "not assigned"),
            ),
          ),
        )
      : empty("No event lists yet. Campaigns without a list accept every event of your organization.", h("a", { class: "button", href: "#/lists/new" }, "+ New List")),
  );
}

function listForm(events, current, onSaved) {
  const isNew = !current;
  const form = h("form", { class: "card", novalidate: true, "aria-label": isNew ? "New event list" : "Edit event list" });
  const name = input({ required: true, maxlength: 100, value: current?.name || "", autocomplete: "off" });
  const description = h("textarea", { rows: 2, maxlength: 1000 }, current?.description || "");
  const members = h("fieldset", { "data-field": "events" }, h("legend", {}, "Events in this list"));
  if (!events.length) members.append(h("p", { class: "muted" }, "No events yet: create them in Event Management first."));
  for (const e of events) {
    members.append(field(e.name, checkbox({ value: e.name, checked: Boolean(current?.events.includes(e.name)), "data-member": "" })));
  }
  members.append(h("p", { class: "field-error", hidden: true }));
  const save = h("button", { type: "submit" }, isNew ? "Create List" : "Save");
  form.append(
    field("List name", name, { name: "name", hint: "e.g. Auto insurance events" }),
    field("Description", description, { name: "description" }),
    members,
    h("div", { class: "actions" }, save, isNew ? h("a", { class: "button secondary", href: "#/lists" }, "Cancel") : null),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {
      name: name.value.trim(),
      description: description.value.trim(),
      events: [...form.querySelectorAll("[data-member]")].filter((c) => c.checked).map((c) => c.value),
    };
    try {
      const saved = await busy(save, "Saving…", () =>
        isNew ? api("POST", "/event-lists", { body }) : api("PATCH", path`/event-lists/${current.id}`, { body }),
      );
      toast(`List ${saved.name} saved.`, { survivesNavigation: isNew });
      onSaved(saved);
    } catch (error) {
      showApiError(form, error);
    }
  });
  return form;
}

export async function create(view) {
  const events = await allEvents();
  view.append(
    page("New Event List", { crumbs: ["Settings", "Event Lists"] }),
    listForm(events, null, (saved) => (window.location.hash = `#/lists/${encodeURIComponent(saved.id)}`)),
  );
}

export async function detail(view, [listId]) {
  const [current, events] = await Promise.all([api("GET", path`/event-lists/${listId}`), allEvents()]);
  const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

  const assignForm = h("form", { class: "card inline-form", novalidate: true, "aria-label": "Assign to campaign" });
  const campaign = input({ required: true, spellcheck: false, autocomplete: "off", placeholder: "auto_ins" });
  const assign = h("button", { type: "submit" }, "Assign to Campaign");
  assignForm.append(field("Campaign ID", campaign, { name: "campaign_id" }), h("div", { class: "actions" }, assign));
  assignForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await busy(assign, "Assigning…", () => api("PUT", path`/campaigns/${campaign.value.trim()}/event-lists/${listId}`));
      toast(`Assigned to campaign ${campaign.value.trim()}.`);
      reload();
    } catch (error) {
      showApiError(assignForm, error.status === 404 && !campaign.value.trim() ? { message: "campaign_id: enter a campaign id." } : error, { campaign_id: "campaign_id" });
    }
  });

  const assigned = current.campaigns.length
    ? h(
        "ul",
        { class: "chips" },
        current.campaigns.map((c) =>
          h(
            "li",
            {},
            h("a", { href: `#/campaigns?campaign=${encodeURIComponent(c)}` }, c),
            h("button", {
              type: "button",
              class: "link-button danger-text",
              "aria-label": `Unassign from campaign ${c}`,
              onclick: async () => {
                const ok = await confirmAction(`Unassign from campaign ${c}?`, "If it is the campaign's last list, the campaign accepts every event again.", "Unassign");
                if (!ok) return;
                try {
                  await api("DELETE", path`/campaigns/${c}/event-lists/${listId}`);
                  reload();
                } catch (error) {
                  toast(error.message);
                }
              },
            }, "Unassign"),
          ),
        ),
      )
    : h("p", { class: "muted" }, "Not assigned to any campaign yet.");

  const remove = h("button", { type: "button", class: "secondary danger-text" }, "Delete list");
  remove.addEventListener("click", async () => {
    const ok = await confirmAction(`Delete the list “${current.name}”?`, "An assigned list cannot be deleted: unassign it first.", "Delete list", { danger: true });
    if (!ok) return;
    try {
      await api("DELETE", path`/event-lists/${listId}`);
      toast("List deleted.", { survivesNavigation: true });
      window.location.hash = "#/lists";
    } catch (error) {
      toast(error.message);
    }
  });

  view.append(
    page(current.name, { crumbs: ["Settings", "Event Lists"], actions: [remove] }),
    listForm(events, current, reload),
    h("h2", {}, "Campaigns using this list"),
    assigned,
    assignForm,
  );
}
