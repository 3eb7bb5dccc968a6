// Settings: the inbound postback URL (copy, Rotate) and the organization's API keys.

import { api, path } from "../lib/api.js";
import {
  badge, busy, confirmAction, copyButton, field, h, input, page, showApiError, table, toast, when,
} from "../lib/ui.js";

export async function render(view) {
  const [postback, keys] = await Promise.all([api("GET", "/settings/postback"), api("GET", "/settings/api-keys")]);

  const url = input({ readonly: true, value: postback.postback_url, class: "mono", spellcheck: false });
  const rotate = h("button", { type: "button", class: "secondary danger-text" }, "Rotate");
  rotate.addEventListener("click", async () => {
    const ok = await confirmAction(
      "Rotate the inbound postback URL?",
      "A new URL is made and the current one stops working at once: update every network and CRM that calls it.",
      "Rotate",
      { danger: true },
    );
    if (!ok) return;
    try {
      const answer = await busy(rotate, "Rotating…", () => api("POST", "/settings/postback/rotate"));
      url.value = answer.postback_url;
      toast("New inbound postback URL made; the old one no longer works.");
    } catch (error) {
      toast(error.message);
    }
  });

  const keyForm = h("form", { class: "card inline-form", novalidate: true, "aria-label": "Create API key" });
  const keyName = input({ required: true, maxlength: 100, autocomplete: "off", placeholder: "CRM sync" });
  const create = h("button", { type: "submit" }, "Create API key");
  const shown = h("div", { "aria-live": "polite" });
  keyForm.append(field("Key name", keyName, { name: "name", hint: "What the key is for." }), h("div", { class: "actions" }, create));
  keyForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const created = await busy(create, "Creating…", () => api("POST", "/settings/api-keys", { body: { name: keyName.value.trim() } }));
      const secret = input({ readonly: true, value: created.api_key, class: "mono" });
      shown.replaceChildren(
        h(
          "div",
          { class: "card inset ok" },
          h("h3", {}, `Key “${created.name}” created`),
          h("p", {}, "Copy it now: it is shown only this once."),
          field("New API key", secret),
          h("div", { class: "actions" }, copyButton(() => secret.value, "Copy key")),
        ),
      );
      keyName.value = "";
      await refreshKeys();
    } catch (error) {
      showApiError(keyForm, error);
    }
  });

  const keyTable = h("div");
  async function refreshKeys(items) {
    const list = items || (await api("GET", "/settings/api-keys")).items;
    keyTable.replaceChildren(
      table(
        ["Name", "Created", "Last used", "State", h("span", { class: "sr-only" }, "Actions")],
        list.map((k) =>
          h(
            "tr",
            {},
            h("td", {}, k.name),
            h("td", {}, when(k.created_at)),
            h("td", {}, when(k.last_used_at)),
            h("td", {}, k.revoked_at ? badge("revoked") : badge("active")),
            h(
              "td",
              {},
              k.revoked_at
                ? ""
                : h("button", {
                    type: "button",
                    class: "link-button danger-text",
                    "aria-label": `Revoke the key ${k.name}`,
                    onclick: async () => {
                      const ok = await confirmAction(`Revoke the key “${k.name}”?`, "Systems using it are refused within a few minutes. This cannot be undone.", "Revoke key", { danger: true });
                      if (!ok) return;
                      try {
                        await api("DELETE", path`/settings/api-keys/${k.key_id}`);
                        toast(`Key ${k.name} revoked.`);
                        await refreshKeys();
                      } catch (error) {
                        toast(error.message);
                      }
                    },
                  }, "Revoke"),
            ),
          ),
        ),
      ),
    );
  }
  await refreshKeys(keys.items);

  view.append(
    page("Postback URL & API keys", { crumbs: ["Settings"] }),
    h(
      "section",
      { class: "card", "aria-labelledby": "inbound-title" },
      h("h2", { id: "inbound-title" }, "Inbound postback URL"),
      h("p", { class: "hint" }, "Paste it into affiliate networks and CRMs: GET or POST with event, transaction_id (or tid, click_id, clickid, lead_id), revenue and custom fields. No header is needed."),
      field("Inbound postback URL", url),
      h("div", { class: "actions" }, copyButton(() => url.value), rotate),
      h("p", { class: "hint" }, "Example: ", h("code", {}, `${postback.postback_url}?event=sale&clickid={click_id}&amount={payout}`)),
    ),
    h("h2", {}, "API keys"),
    keyTable,
    keyForm,
    shown,
  );
}
