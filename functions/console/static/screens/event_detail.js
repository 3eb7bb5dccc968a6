// An event: its settings, its postbacks (Add Postback URL, Send Test) and a link to View Logs.

import { api, path } from "../lib/api.js";
import {
  badge, busy, checkbox, confirmAction, empty, field, fieldError, h, input, page, pretty, select, showApiError,
  clearErrors, toast,
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
  const addButton = h("button", { type: "button" }, "Add Postback URL");
  addButton.addEventListener("click", () => {
    addButton.hidden = true;
    addArea.replaceChildren(
      postbackForm(name, macros.items, async () => {
        addArea.replaceChildren();
        addButton.hidden = false;
        await refresh();
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
        ? items.map((p) => postbackCard(name, p, refresh))
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
    list,
  );
}

function postbackCard(eventName, postback, refresh) {
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
  const details = [
    postback.campaign_id ? `only campaign ${postback.campaign_id}` : "every campaign",
    postback.body ? `${postback.body_format} body` : null,
    Object.keys(postback.headers || {}).length ? `${Object.keys(postback.headers).length} header(s)` : null,
    postback.signed ? "signed" : null,
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
    h("div", { class: "actions" }, testButton, toggle, remove),
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

/** Add Postback URL: the URL with a macro picker, GET/POST, body and headers. */
function postbackForm(eventName, macros, onSaved, onCancel) {
  const form = h("form", { class: "card", novalidate: true, "aria-label": "Add Postback URL" });
  const url = input({ type: "url", required: true, spellcheck: false, placeholder: "https://network.example/pb?click={transaction_id}" });
  const method = select(["GET", "POST"]);
  const body = h("textarea", { rows: 4, spellcheck: false, placeholder: '{"click": "{transaction_id}", "amount": "{revenue}"}' });
  const bodyFormat = select([{ value: "json", label: "JSON" }, { value: "form", label: "Form fields" }]);
  const headers = h("textarea", { rows: 2, spellcheck: false, placeholder: "X-Api-Key: secret" });
  const campaign = input({ spellcheck: false, autocomplete: "off" });
  const enabled = checkbox({ checked: true });
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
  );
  const syncMethod = () => (postOnly.hidden = method.value !== "POST");
  method.addEventListener("change", syncMethod);
  syncMethod();

  const save = h("button", { type: "submit" }, "Save postback");
  form.append(
    h("h3", {}, "Add Postback URL"),
    field("Destination URL", url, { name: "url", hint: "You can use dynamic macros like {transaction_id}, {lead_id}, {event_name}." }),
    field("Insert macro", picker, { hint: "Inserts the macro at the cursor in the URL, body or headers." }),
    field("HTTP method", method, { name: "method" }),
    postOnly,
    field("Headers", headers, { name: "headers", hint: "Optional: one “Name: value” per line; values may use {macros}." }),
    field("Campaign", campaign, { name: "campaign_id", hint: "Optional: fire only for leads of this campaign id." }),
    field("Enabled", enabled, { name: "enabled" }),
    h("div", { class: "actions" }, save, h("button", { type: "button", class: "secondary", onclick: onCancel }, "Cancel")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const values = { url: url.value.trim(), method: method.value, enabled: enabled.checked };
    if (campaign.value.trim()) values.campaign_id = campaign.value.trim();
    let problem = false;
    if (method.value === "POST" && body.value.trim()) {
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
    if (problem) return;
    try {
      await busy(save, "Saving…", () => api("POST", path`/events/${eventName}/postbacks`, { body: values }));
      toast("Postback added.");
      await onSaved();
    } catch (error) {
      showApiError(form, error);
    }
  });
  return form;
}
