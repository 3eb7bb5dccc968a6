// The console's shell: the API key gate, the navigation and a hash router over the screens.

import { api, apiKey, forgetApiKey, localInbox, setApiKey, whenUnauthorized } from "./lib/api.js";
import { field, h, input, loading, page, setUpToast, showApiError, toastOnNavigation } from "./lib/ui.js";
import * as affiliates from "./screens/affiliates.js";
import * as campaigns from "./screens/campaigns.js";
import * as eventDetail from "./screens/event_detail.js";
import * as events from "./screens/events.js";
import * as inbox from "./screens/inbox.js";
import * as leads from "./screens/leads.js";
import * as lists from "./screens/lists.js";
import * as logs from "./screens/logs.js";
import * as reports from "./screens/reports.js";
import * as settings from "./screens/settings.js";

// [pattern, nav section, render(main, params, query)]
const ROUTES = [
  [/^events$/, "events", events.list],
  [/^events\/new$/, "events", events.create],
  [/^events\/([^/]+)$/, "events", eventDetail.render],
  [/^logs$/, "logs", logs.list],
  [/^logs\/([^/]+)$/, "logs", logs.entry],
  [/^lists$/, "lists", lists.list],
  [/^lists\/new$/, "lists", lists.create],
  [/^lists\/([^/]+)$/, "lists", lists.detail],
  [/^campaigns$/, "campaigns", campaigns.render],
  [/^leads$/, "leads", leads.search],
  [/^leads\/([^/]+)$/, "leads", leads.record],
  [/^reports$/, "reports", reports.render],
  [/^inbox$/, "inbox", inbox.render],
  [/^settings$/, "settings", settings.render],
  [/^affiliates$/, "affiliates", affiliates.render],
];

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const navToggle = document.getElementById("nav-toggle");
const signOut = document.getElementById("sign-out");

function parseHash() {
  const raw = window.location.hash.replace(/^#\/?/, "");
  const [route, query = ""] = raw.split("?");
  return { route: route || "events", query: new URLSearchParams(query) };
}

let renderCount = 0;
async function route() {
  toastOnNavigation();
  if (!apiKey()) return keyGate();
  nav.hidden = false;
  navToggle.hidden = false;
  signOut.hidden = false;
  document.body.classList.remove("menu-open");
  navToggle.setAttribute("aria-expanded", "false");
  const { route: current, query } = parseHash();
  const found = ROUTES.map(([pattern, section, render]) => [pattern.exec(current), section, render]).find(([m]) => m);
  const mine = ++renderCount;
  main.replaceChildren(loading());
  if (!found) {
    main.replaceChildren(page("Not found"), h("p", {}, "There is no such screen. ", h("a", { href: "#/events" }, "Event Management")));
    return;
  }
  const [match, section, render] = found;
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.nav === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const view = h("div", { class: "view" });
  try {
    await render(view, match.slice(1).map(decodeURIComponent), query);
  } catch (error) {
    view.replaceChildren(page("Something went wrong"), h("p", { class: "form-error", role: "alert" }, error.message));
  }
  if (mine !== renderCount) return; // the operator moved on meanwhile
  main.replaceChildren(view);
  const heading = view.querySelector("h1");
  document.title = `${heading ? heading.textContent : "Console"} · lead-events`;
  main.focus({ preventScroll: true });
}

function keyGate(message) {
  nav.hidden = true;
  navToggle.hidden = true;
  signOut.hidden = true;
  const key = input({ type: "password", autocomplete: "off", required: true, spellcheck: false });
  const submit = h("button", { type: "submit" }, "Open console");
  const form = h(
    "form",
    { class: "card narrow", novalidate: true },
    field("API key", key, {
      name: "api_key",
      hint: "Paste a key of your organization (make org prints one; Settings › API keys makes more). It is kept in this tab only.",
    }),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = key.value.trim();
    if (!value) return showApiError(form, { message: "api_key: paste an API key first." });
    submit.disabled = true;
    try {
      await api("GET", "/settings/postback", { key: value });
      setApiKey(value);
      route();
    } catch (error) {
      const text = error.status === 401 || error.status === 403 ? "This key is not valid (or was revoked)." : error.message;
      showApiError(form, { message: `api_key: ${text}` });
    } finally {
      submit.disabled = false;
    }
  });
  main.replaceChildren(
    h(
      "section",
      { class: "page" },
      h("h1", {}, "Welcome to lead-events"),
      h("p", {}, "Events, postbacks, leads and logs for your organization."),
      message ? h("p", { class: "form-error", role: "alert" }, message) : null,
      form,
    ),
  );
  document.title = "Sign in · lead-events";
  key.focus();
}

whenUnauthorized(() => {
  forgetApiKey();
  keyGate("The API key was refused (revoked or wrong). Paste a valid key.");
});

signOut.addEventListener("click", () => {
  forgetApiKey();
  keyGate();
});

navToggle.addEventListener("click", () => {
  const open = document.body.classList.toggle("menu-open");
  navToggle.setAttribute("aria-expanded", String(open));
});

setUpToast();
// The Inbox page only where the local stack's inbox answers (it is never deployed).
localInbox().then((found) => {
  document.getElementById("nav-inbox").hidden = !found;
});

window.addEventListener("hashchange", route);
route();
