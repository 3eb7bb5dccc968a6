// An event: its settings, its postbacks (Add Postback URL, Edit in place, Send Test) and a link to View Logs.

import { api, path } from "../lib/api.js";
import {
  badge, busy, checkbox, confirmAction, copyButton, empty, field, fieldError, h, input, page, pretty, select,
  showApiError, clearErrors, toast,
} from "../lib/ui.js";
import { eventForm } from "./events.js";
import { deliveryError } from "./logs.js";

export async function render(view, [name]) {
  const [event, postbacks, macros] = await Promise.all([
    api("GET", path`/events/${name}`),
    api("GET", path`/events/${name}/postbacks`, { query: { limit: 200 } }),
    api("GET", "/macros"),
  ]);
  const logsLink = h("a", { class: "button secondary", href: `#/logs?event=${encodeURIComponent(name)}` }, "View Logs");
  const list = h("div", { class: "postbacks" });
  const addArea = h("div");
  const secretArea = h("div", { "aria-live": "polite" });
  const addButton = h("button", { type: "button" }, "Add Postback URL");
  // A secret the API generated is shown once, above the list, until the screen is left.
  const saved = async (answer) => {
    secretArea.replaceChildren(answer.signing_secret ? secretCard(answer.signing_secret) : "");
    await refresh();
  };
  addButton.addEventListener("click", () => {
    addButton.hidden = true;
    addArea.replaceChildren(
      postbackForm(name, macros.items, async (answer) => {
        addArea.replaceChildren();
        addButton.hidden = false;
        await saved(answer);
      }, () => {
        addArea.replaceChildren();
        addButton.hidden = false;
        addButton.focus();
      }),
    );
    addArea.querySelector("input")?.focus();
  });

  async function refresh() {
    const current = await api("GET", path`/events/${name}/postbacks`, { query: { limit: 200 } });
    showPostbacks(current.items);
  }
  function showPostbacks(items) {
    list.replaceChildren(
      ...(items.length
        ? items.map((p) => postbackCard(name, p, refresh, { macros: macros.items, saved }))
        : [empty("No postbacks yet. Add a postback URL to notify a CRM, an affiliate platform or an analytics tool when this event fires.")]),
    );
  }
  showPostbacks(postbacks.items);

  view.append(
    page(event.name, { crumbs: ["Settings", "Event Management"], actions: [logsLink] }),
    h("h2", {}, "Event settings"),
    eventForm(event, () => {}),
    h("div", { class: "section-head" }, h("h2", {}, "Postback URLs"), addButton),
    addArea,
    secretArea,
    list,
  );
}

function secretCard(secret) {
  const box = input({ readonly: true, value: secret, class: "mono", spellcheck: false });
  return h(
    "div",
    { class: "card inset ok" },
    h("h3", {}, "Signing secret"),
    h("p", {}, "Copy it now into the receiving system: it is shown only this once."),
    field("Signing secret", box),
    h("div", { class: "actions" }, copyButton(() => box.value, "Copy secret")),
  );
}

function postbackCard(eventName, postback, refresh, { macros, saved }) {
  const result = h("div", { class: "test-result", "aria-live": "polite" });
  const testButton = h("button", { type: "button" }, "Send Test");
  testButton.addEventListener("click", async () => {
    result.replaceChildren();
    try {
      const answer = await busy(testButton, "Sending…", () =>
        api("POST", path`/events/${eventName}/postbacks/${postback.id}/test`),
      );
      result.replaceChildren(testResult(answer));
    } catch (error) {
      result.replaceChildren(h("p", { class: "form-error", role: "alert" }, error.message));
    }
  });
  const toggle = h("button", { type: "button", class: "secondary" }, postback.enabled ? "Disable" : "Enable");
  toggle.addEventListener("click", async () => {
    try {
      await busy(toggle, "Saving…", () =>
        api("PATCH", path`/events/${eventName}/postbacks/${postback.id}`, { body: { enabled: !postback.enabled } }),
      );
      await refresh();
    } catch (error) {
      toast(error.message);
    }
  });
  const remove = h("button", { type: "button", class: "secondary danger-text" }, "Delete");
  remove.addEventListener("click", async () => {
    const ok = await confirmAction("Delete this postback?", postback.url, "Delete postback", { danger: true });
    if (!ok) return;
    try {
      await api("DELETE", path`/events/${eventName}/postbacks/${postback.id}`);
      toast("Postback deleted.");
      await refresh();
    } catch (error) {
      toast(error.message);
    }
  });
  const edit = h("button", { type: "button", class: "secondary" }, "Edit");
  // Edit in place: the card becomes the form; Cancel puts the card back as it was.
  edit.addEventListener("click", () => {
    const card = edit.closest("article");
    const form = postbackForm(eventName, macros, saved, () => {
      const again = postbackCard(eventName, postback, refresh, { macros, saved });
      card.replaceWith(again);
      again.querySelector("button")?.focus();
    }, postback);
    card.classList.add("editing");
    card.replaceChildren(form);
    form.querySelector("input")?.focus();
  });
  const details = [
    postback.campaign_id ? `only campaign ${postback.campaign_id}` : "every campaign",
    postback.body ? `${postback.body_format} body` : null,
    Object.keys(postback.headers || {}).length ? `${Object.keys(postback.headers).length} header(s)` : null,
    postback.signed ? "signed" : null,
    postback.success_match ? `success when the answer contains “${postback.success_match}”` : null,
  ].filter(Boolean);
  return h(
    "article",
    { class: "card postback", "aria-label": `Postback ${postback.method} ${postback.url}` },
    h(
      "div",
      { class: "postback-head" },
      h("span", { class: "method" }, postback.method),
      h("code", { class: "url" }, postback.url),
      badge(postback.enabled ? "enabled" : "disabled"),
    ),
    h("p", { class: "hint" }, details.join(" · ")),
    postback.disabled_reason ? h("p", { class: "form-error" }, postback.disabled_reason) : null,
    h("div", { class: "actions" }, testButton, edit, toggle, remove),
    result,
  );
}

function testResult({ request, outcome }) {
  const status = outcome.status_code === null ? "no answer" : String(outcome.status_code);
  return h(
    "div",
    { class: `card inset ${outcome.ok ? "ok" : "failed"}` },
    h("h3", {}, outcome.ok ? "Test delivered" : "Test failed"),
    h(
      "dl",
      { class: "pairs" },
      h("dt", {}, "Response Code"),
      h("dd", { class: "response-code" }, status),
      h("dt", {}, "Time"),
      h("dd", {}, `${outcome.elapsed_ms} ms`),
      outcome.error ? [h("dt", {}, "Error"), h("dd", {}, deliveryError(outcome.error, outcome.error_detail))] : null,
    ),
    h("h4", {}, "Request sent"),
    h("pre", {}, [`${request.method} ${request.url}`, ...Object.entries(request.headers || {}).map(([k, v]) => `${k}: ${v}`)].join("\n") + (request.body ? `\n\n${pretty(request.body)}` : "")),
    h("h4", {}, "Response"),
    h("pre", {}, outcome.response_body || "(empty)"),
  );
}

/**
 * Add Postback URL, or Edit one (`existing`): the URL with a macro picker, GET/POST, body, headers,
 * campaign, success text and signing. An edit is a PATCH of every field the form shows; the API
 * checks the result as a whole and its message appears next to the field it names.
 */
function postbackForm(eventName, macros, onSaved, onCancel, existing = null) {
  const title = existing ? "Edit postback" : "Add Postback URL";
  const form = h("form", { class: "card", novalidate: true, "aria-label": title });
  const url = input({
    type: "url", required: true, spellcheck: false, value: existing?.url ?? "",
    placeholder: "https://network.example/pb?click={transaction_id}",
  });
  const method = select(["GET", "POST"]);
  method.value = existing?.method ?? "GET";
  const body = h(
    "textarea",
    { rows: 4, spellcheck: false, placeholder: '{"click": "{transaction_id}", "amount": "{revenue}"}' },
    existing?.body ? JSON.stringify(existing.body, null, 2) : "",
  );
  const bodyFormat = select([{ value: "json", label: "JSON" }, { value: "form", label: "Form fields" }]);
  bodyFormat.value = existing?.body_format ?? "json";
  const headers = h(
    "textarea",
    { rows: 2, spellcheck: false, placeholder: "X-Api-Key: secret" },
    Object.entries(existing?.headers || {}).map(([k, v]) => `${k}: ${v}`).join("\n"),
  );
  const campaign = input({ spellcheck: false, autocomplete: "off", value: existing?.campaign_id ?? "" });
  const successMatch = input({ spellcheck: false, autocomplete: "off", maxlength: 200, value: existing?.success_match ?? "" });
  const enabled = checkbox({ checked: existing ? existing.enabled : true });
  const signing = select(
    existing?.signed
      ? [
          { value: "keep", label: "Signed: keep the current secret" },
          { value: "generate", label: "Signed with a new secret (shown once)" },
          { value: "off", label: "Not signed" },
        ]
      : [
          { value: "keep", label: "Not signed" },
          { value: "generate", label: "Signed with a new secret (shown once)" },
        ],
  );
  const postOnly = h("div", { class: "post-only" });

  // The macro picker inserts `{macro}` where the cursor was in the last text field used.
  let target = url;
  for (const control of [url, body, headers]) control.addEventListener("focus", () => (target = control));
  const picker = select([{ value: "", label: "Choose a macro…" }, ...macros.map((m) => ({ value: m.name, label: `{${m.name}} — ${m.description}` }))]);
  picker.addEventListener("change", () => {
    if (!picker.value) return;
    const token = `{${picker.value}}`;
    const start = target.selectionStart ?? target.value.length;
    const end = target.selectionEnd ?? target.value.length;
    target.value = target.value.slice(0, start) + token + target.value.slice(end);
    target.focus();
    target.setSelectionRange(start + token.length, start + token.length);
    picker.value = "";
  });

  postOnly.append(
    field("Body", body, { name: "body", hint: "Optional, POST only: a JSON object whose values may use {macros}." }),
    field("Body format", bodyFormat, { name: "body_format" }),
    field("Signature", signing, {
      name: "signing_secret",
      hint: "Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature) the receiver can check.",
    }),
  );
  const syncMethod = () => (postOnly.hidden = method.value !== "POST");
  method.addEventListener("change", syncMethod);
  syncMethod();

  const save = h("button", { type: "submit" }, "Save postback");
  form.append(
    h("h3", {}, title),
    field("Destination URL", url, { name: "url", hint: "You can use dynamic macros like {transaction_id}, {lead_id}, {event_name}." }),
    field("Insert macro", picker, { hint: "Inserts the macro at the cursor in the URL, body or headers." }),
    field("HTTP method", method, { name: "method" }),
    postOnly,
    field("Headers", headers, { name: "headers", hint: "Optional: one “Name: value” per line; values may use {macros}." }),
    field("Campaign", campaign, { name: "campaign_id", hint: "Optional: fire only for leads of this campaign id." }),
    field("Success text", successMatch, {
      name: "success_match",
      hint: "Optional: the delivery counts as a success only when the answer's body contains this text.",
    }),
    field("Enabled", enabled, { name: "enabled" }),
    h("div", { class: "actions" }, save, h("button", { type: "button", class: "secondary", onclick: onCancel }, "Cancel")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const isPost = method.value === "POST";
    // A new postback names only what is set; an edit names every field, empty ones as null (cleared).
    const optional = (value) => (value === "" ? (existing ? null : undefined) : value);
    const values = {
      url: url.value.trim(),
      method: method.value,
      enabled: enabled.checked,
      campaign_id: optional(campaign.value.trim()),
      success_match: optional(successMatch.value.trim()),
      headers: existing ? {} : undefined,
      body: existing ? null : undefined,
    };
    let problem = false;
    if (isPost && body.value.trim()) {
      try {
        values.body = JSON.parse(body.value);
        values.body_format = bodyFormat.value;
      } catch (error) {
        fieldError(form, "body", `Not valid JSON: ${error.message}`);
        problem = true;
      }
    }
    if (headers.value.trim()) {
      values.headers = {};
      for (const line of headers.value.split("\n").filter((l) => l.trim())) {
        const at = line.indexOf(":");
        if (at < 1) {
          fieldError(form, "headers", `“${line.trim()}” is not “Name: value”.`);
          problem = true;
        } else values.headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
      }
    }
    if (isPost && signing.value === "generate") values.signing_secret = "generate";
    if (signing.value === "off" || (existing?.signed && !isPost)) values.signing_secret = null;
    if (problem) return;
    for (const key of Object.keys(values)) if (values[key] === undefined) delete values[key];
    try {
      const answer = await busy(save, "Saving…", () =>
        existing
          ? api("PATCH", path`/events/${eventName}/postbacks/${existing.id}`, { body: values })
          : api("POST", path`/events/${eventName}/postbacks`, { body: values }),
      );
      toast(existing ? "Postback saved." : "Postback added.");
      await onSaved(answer);
    } catch (error) {
      showApiError(form, error);
    }
  });
  return form;
}
