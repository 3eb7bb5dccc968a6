// Small DOM helpers shared by the screens: elements, labelled fields, API errors next to their
// fields, confirmations, progress on buttons and formatting. No inline styles or scripts (CSP).

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (name in node && typeof value !== "string") node[name] = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Several nodes (arrays, or nothing) as one fragment, for Element.append. */
export function group(...children) {
  const fragment = document.createDocumentFragment();
  append(fragment, children);
  return fragment;
}

let ids = 0;
const nextId = (prefix) => `${prefix}-${++ids}`;

/** A labelled control with a hint and a place for its error: <div class="field">. */
export function field(label, control, { hint, name } = {}) {
  control.id ||= nextId("f");
  if (name) control.name = name;
  const error = h("p", { class: "field-error", id: `${control.id}-error`, hidden: true });
  const hintNode = hint ? h("p", { class: "hint", id: `${control.id}-hint` }, hint) : null;
  control.setAttribute("aria-describedby", [hintNode && hintNode.id, error.id].filter(Boolean).join(" "));
  const isCheck = control.type === "checkbox";
  const labelNode = h("label", { for: control.id }, label);
  return h(
    "div",
    { class: isCheck ? "field check" : "field", "data-field": control.name || "" },
    isCheck ? [control, labelNode] : [labelNode, control],
    hintNode,
    error,
  );
}

export const input = (attrs = {}) => h("input", { type: "text", ...attrs });
export const checkbox = (attrs = {}) => h("input", { type: "checkbox", ...attrs });
export const select = (options, attrs = {}) =>
  h(
    "select",
    attrs,
    options.map((o) => (typeof o === "string" ? h("option", { value: o }, o) : h("option", { value: o.value }, o.label))),
  );

/** Clear every error shown in `form`. */
export function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error, .form-error")) {
    node.hidden = true;
    node.textContent = "";
  }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

/** Show one message next to the field called `name` in `form` (or above the form when it has none). */
export function fieldError(form, name, message) {
  const holder = name && form.querySelector(`[data-field="${CSS.escape(name)}"]`);
  if (!holder) return formError(form, name && name !== "body" ? `${name}: ${message}` : message);
  const error = holder.querySelector(".field-error");
  error.textContent = error.textContent ? `${error.textContent} ${message}` : message;
  error.hidden = false;
  holder.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
  return holder;
}

export function formError(form, message) {
  let box = form.querySelector(".form-error");
  if (!box) {
    box = h("p", { class: "form-error", role: "alert" });
    form.prepend(box);
  }
  box.textContent = message;
  box.hidden = false;
  return box;
}

/**
 * Show an API error in `form`: each `errors[].field` next to its field; a plain message that
 * starts with a field's name ("url: ...", "url contains ...") next to that field; else above.
 * `aliases` maps API field names to the form's field names.
 */
export function showApiError(form, error, aliases = {}) {
  clearErrors(form);
  const names = new Set([...form.querySelectorAll("[data-field]")].map((n) => n.dataset.field).filter(Boolean));
  const place = (apiField) => {
    if (apiField in aliases) return aliases[apiField];
    if (names.has(apiField)) return apiField;
    const top = apiField.split(".")[0];
    return names.has(top) ? top : null;
  };
  let first = null;
  if (error.errors && error.errors.length) {
    for (const e of error.errors) {
      const target = place(e.field);
      const node = fieldError(form, target, target ? e.message : `${e.field}: ${e.message}`);
      first ||= node;
    }
  } else {
    const lead = /^([a-z_][a-z0-9_.]*)(?::|\s)/.exec(error.message || "");
    const target = lead && place(lead[1]);
    first = target ? fieldError(form, target, error.message) : formError(form, error.message);
  }
  (first?.querySelector?.("input, select, textarea") || first)?.focus?.();
}

/** Run `work` while `button` shows progress; the button is disabled meanwhile. */
export async function busy(button, label, work) {
  const original = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), ` ${label}`);
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = original;
  }
}

/** A modal confirmation; resolves true when the operator confirms. */
export function confirmAction(title, text, confirmLabel = "Confirm", { danger = false } = {}) {
  const dialog = document.getElementById("confirm");
  dialog.querySelector("#confirm-title").textContent = title;
  dialog.querySelector("#confirm-text").textContent = text;
  const ok = dialog.querySelector("#confirm-ok");
  ok.textContent = confirmLabel;
  ok.className = danger ? "danger" : "";
  dialog.returnValue = "cancel";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
    ok.focus();
  });
}

// Toasts sit in the top bar, never over the page, and go away by themselves, on the next screen
// (unless they announce that very navigation) and with their close button.
const TOAST_MS = 6000;
const toastState = { timer: 0, carried: false };

/**
 * Show a short message in the top bar. `survivesNavigation`: the message announces the screen
 * the caller is about to open (an event created, then its page), so that one navigation keeps it.
 */
export function toast(message, { survivesNavigation = false } = {}) {
  const box = document.getElementById("toast");
  document.getElementById("toast-text").textContent = message;
  document.getElementById("toast-close").hidden = false;
  box.classList.add("shown");
  toastState.carried = survivesNavigation;
  restartToastTimer();
}

export function dismissToast() {
  clearTimeout(toastState.timer);
  document.getElementById("toast").classList.remove("shown");
  document.getElementById("toast-text").textContent = "";
  document.getElementById("toast-close").hidden = true;
  toastState.carried = false;
}

/** Called by the router when another screen opens. */
export function toastOnNavigation() {
  if (toastState.carried) toastState.carried = false;
  else dismissToast();
}

function restartToastTimer() {
  clearTimeout(toastState.timer);
  toastState.timer = setTimeout(dismissToast, TOAST_MS);
}

/** The close button, and no dismissal while the pointer or the focus is on the message. */
export function setUpToast() {
  const box = document.getElementById("toast");
  document.getElementById("toast-close").addEventListener("click", dismissToast);
  const pause = () => clearTimeout(toastState.timer);
  const resume = () => box.classList.contains("shown") && restartToastTimer();
  box.addEventListener("mouseenter", pause);
  box.addEventListener("focusin", pause);
  box.addEventListener("mouseleave", resume);
  box.addEventListener("focusout", resume);
}

export function page(title, { crumbs = [], actions = [] } = {}) {
  const heading = h("h1", {}, title);
  return h(
    "section",
    { class: "page" },
    h(
      "div",
      { class: "page-head" },
      h("div", {}, crumbs.length ? h("p", { class: "crumbs" }, crumbs.join(" › ")) : null, heading),
      h("div", { class: "actions" }, actions),
    ),
  );
}

export const empty = (text, ...extra) => h("div", { class: "empty" }, h("p", {}, text), extra);

export const loading = (text = "Loading…") =>
  h("p", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), ` ${text}`);

export function errorBox(error) {
  return h("p", { class: "form-error", role: "alert" }, error.message || String(error));
}

export function table(headers, rows, { caption } = {}) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows),
    ),
  );
}

export function badge(status) {
  return h("span", { class: `badge badge-${String(status).replace(/[^a-z0-9_]/gi, "")}` }, String(status));
}

export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export const isoDate = (d) => d.toISOString().slice(0, 10);

export function pretty(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

export function copyButton(getText, label = "Copy") {
  const button = h("button", { type: "button", class: "secondary" }, label);
  button.addEventListener("click", async () => {
    const text = getText();
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = h("textarea", { class: "offscreen", readonly: true }, text);
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    toast("Copied to the clipboard.");
  });
  return button;
}

/** The form's controls as { name: value }; checkboxes as booleans; empty strings left out. */
export function formValues(form) {
  const values = {};
  for (const control of form.elements) {
    if (!control.name || control.disabled) continue;
    if (control.type === "checkbox") values[control.name] = control.checked;
    else if (control.value.trim() !== "") values[control.name] = control.value.trim();
  }
  return values;
}
