// Affiliates: the traffic sources whose leads carry an affiliate id, each with a postback of its own
// for affiliate-conversion events. Added, edited in place and deleted here.

import { api, path } from "../lib/api.js";
import {
  badge, busy, checkbox, clearErrors, confirmAction, empty, field, fieldError, h, input, page, select, showApiError,
  toast,
} from "../lib/ui.js";

// The API names the URL `url` in some of its messages; on this form the field is the postback URL.
const ALIASES = { url: "postback_url" };

export async function render(view) {
  const first = await api("GET", "/affiliates", { query: { limit: 200 } });
  let known = first.items;
  const list = h("div", { class: "affiliates" });
  const addArea = h("div");
  const addButton = h("button", { type: "button" }, "Add affiliate");

  async function refresh() {
    known = (await api("GET", "/affiliates", { query: { limit: 200 } })).items;
    show();
  }
  function show() {
    list.replaceChildren(
      ...(known.length
        ? known.map((a) => affiliateCard(a, refresh))
        : [empty("No affiliates yet. Add one to send its network a postback when one of its leads converts.")]),
    );
  }
  addButton.addEventListener("click", () => {
    addButton.hidden = true;
    const close = () => {
      addArea.replaceChildren();
      addButton.hidden = false;
    };
    addArea.replaceChildren(
      affiliateForm(null, async () => {
        close();
        await refresh();
      }, () => {
        close();
        addButton.focus();
      }, () => known.map((a) => a.affiliate_id)),
    );
    addArea.querySelector("input")?.focus();
  });
  show();

  view.append(
    page("Affiliates", { crumbs: ["Settings"], actions: [addButton] }),
    h(
      "p",
      { class: "lede" },
      "A lead registered with an affiliate id fires that affiliate's postback for events marked Affiliate Conversion Event.",
    ),
    addArea,
    list,
  );
}

function affiliateCard(affiliate, refresh) {
  const edit = h("button", { type: "button", class: "secondary" }, "Edit");
  edit.addEventListener("click", () => {
    const card = edit.closest("article");
    const form = affiliateForm(affiliate, refresh, () => {
      const again = affiliateCard(affiliate, refresh);
      card.replaceWith(again);
      again.querySelector("button")?.focus();
    });
    card.classList.add("editing");
    card.replaceChildren(form);
    form.querySelector("input")?.focus();
  });
  const remove = h("button", { type: "button", class: "secondary danger-text" }, "Delete");
  remove.addEventListener("click", async () => {
    const ok = await confirmAction(
      `Delete the affiliate “${affiliate.name}”?`,
      "Its leads keep their affiliate id; their conversions no longer fire its postback.",
      "Delete affiliate",
      { danger: true },
    );
    if (!ok) return;
    try {
      await api("DELETE", path`/affiliates/${affiliate.affiliate_id}`);
      toast(`Affiliate ${affiliate.name} deleted.`);
      await refresh();
    } catch (error) {
      toast(error.message);
    }
  });
  return h(
    "article",
    { class: "card affiliate", "aria-label": `Affiliate ${affiliate.name}` },
    h(
      "div",
      { class: "postback-head" },
      h("h3", {}, affiliate.name),
      h("code", {}, affiliate.affiliate_id),
      badge(affiliate.enabled ? "enabled" : "disabled"),
    ),
    affiliate.postback_url
      ? h(
          "p",
          { class: "postback-head" },
          h("span", { class: "method" }, affiliate.method),
          h("code", { class: "url" }, affiliate.postback_url),
        )
      : h("p", { class: "hint" }, "No postback URL: its conversions are recorded without a postback."),
    affiliate.body ? h("p", { class: "hint" }, `${affiliate.body_format} body`) : null,
    h("div", { class: "actions" }, edit, remove),
  );
}

/** New affiliate (`existing` null: with its id) or Edit: the whole affiliate, saved with PUT. */
function affiliateForm(existing, onSaved, onCancel, takenIds = () => []) {
  const title = existing ? `Edit ${existing.name}` : "Add affiliate";
  const form = h("form", { class: "card", novalidate: true, "aria-label": existing ? "Edit affiliate" : "Add affiliate" });
  const id = input({ required: true, spellcheck: false, autocomplete: "off", maxlength: 128, placeholder: "network-42" });
  const name = input({ required: true, maxlength: 200, autocomplete: "off", value: existing?.name ?? "" });
  const url = input({
    type: "url", spellcheck: false, value: existing?.postback_url ?? "",
    placeholder: "https://network.example/pb?click={transaction_id}&payout={revenue}",
  });
  const method = select(["GET", "POST"]);
  method.value = existing?.method ?? "GET";
  const body = h(
    "textarea",
    { rows: 3, spellcheck: false, placeholder: '{"click": "{transaction_id}"}' },
    existing?.body ? JSON.stringify(existing.body, null, 2) : "",
  );
  const bodyFormat = select([{ value: "json", label: "JSON" }, { value: "form", label: "Form fields" }]);
  bodyFormat.value = existing?.body_format ?? "json";
  const enabled = checkbox({ checked: existing ? existing.enabled : true });
  const postOnly = h(
    "div",
    {},
    field("Body", body, { name: "body", hint: "Optional, POST only: a JSON object whose values may use {macros}." }),
    field("Body format", bodyFormat, { name: "body_format" }),
  );
  const syncMethod = () => (postOnly.hidden = method.value !== "POST");
  method.addEventListener("change", syncMethod);
  syncMethod();
  const save = h("button", { type: "submit" }, "Save affiliate");
  form.append(
    h("h3", {}, title),
    existing
      ? null
      : field("Affiliate ID", id, { name: "affiliate_id", hint: "The id your leads carry as affiliate_id: letters, digits and . _ : @ -." }),
    field("Name", name, { name: "name" }),
    field("Postback URL", url, { name: "postback_url", hint: "Optional: fired for its leads' affiliate conversions; may use {macros}." }),
    field("HTTP method", method, { name: "method" }),
    postOnly,
    field("Enabled", enabled, { name: "enabled" }),
    h("div", { class: "actions" }, save, h("button", { type: "button", class: "secondary", onclick: onCancel }, "Cancel")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const affiliateId = existing ? existing.affiliate_id : id.value.trim();
    if (!existing && takenIds().includes(affiliateId)) {
      fieldError(form, "affiliate_id", `The affiliate ${affiliateId} exists already: edit it instead.`);
      return;
    }
    if (!affiliateId) {
      fieldError(form, "affiliate_id", "Enter the affiliate's id.");
      return;
    }
    const values = { name: name.value.trim(), postback_url: url.value.trim() || null, method: method.value, enabled: enabled.checked };
    if (method.value === "POST" && body.value.trim()) {
      try {
        values.body = JSON.parse(body.value);
        values.body_format = bodyFormat.value;
      } catch (error) {
        fieldError(form, "body", `Not valid JSON: ${error.message}`);
        return;
      }
    }
    try {
      const saved = await busy(save, "Saving…", () => api("PUT", path`/affiliates/${affiliateId}`, { body: values }));
      toast(`Affiliate ${saved.name} saved.`);
      await onSaved(saved);
    } catch (error) {
      showApiError(form, error, ALIASES);
    }
  });
  return form;
}
