// Inbox (local stack only): the requests the local inbox received, newest first, as they arrive.

import { localInbox } from "../lib/api.js";
import { empty, h, page, pretty, when } from "../lib/ui.js";

const POLL_MS = 2000;

export async function render(view) {
  const first = await localInbox();
  view.append(page("Inbox", { crumbs: ["Local stack"] }));
  if (!first) {
    view.append(
      empty("The inbox is a feature of the local stack (make local) and is not deployed: there is none here."),
    );
    return;
  }
  const base = `${window.location.origin}/_inbox`;
  view.append(
    h(
      "p",
      { class: "lede" },
      "A local-stack feature, never deployed: any request to ",
      h("code", {}, `${base}/…`),
      " (any method, any path below it) is answered 200 and shown here. Point a postback at it, trigger its event, and watch it land. ",
      `The last ${first.capacity} requests are kept, in memory, until the stack stops.`,
    ),
  );
  const list = h("ol", { class: "inbox", reversed: true, "aria-label": "Requests received", "aria-live": "polite" });
  const none = empty(`Nothing received yet. Postbacks to ${base}/… appear here within a couple of seconds.`);
  view.append(none, list);

  let latest = 0;
  const show = (data) => {
    if (data.latest < latest) {
      list.replaceChildren(); // the stack was restarted: its ids start again
      latest = 0;
    }
    const fresh = data.items.filter((r) => r.id > latest);
    if (fresh.length) list.prepend(...fresh.map(requestCard));
    latest = Math.max(latest, data.latest);
    none.hidden = list.children.length > 0;
  };
  show(first);

  const hash = window.location.hash;
  const poll = async () => {
    if (window.location.hash !== hash) return; // the operator moved on: stop polling
    const data = await localInbox(latest);
    if (data) show(data);
    setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
}

function requestCard(r) {
  const headers = Object.entries(r.headers || {});
  const body = r.body_encoding === "base64" ? `(binary, base64) ${r.body}` : r.body;
  return h(
    "li",
    { class: "card inbox-request", "data-request": r.id },
    h("p", { class: "inbox-line" }, h("strong", { class: "inbox-method" }, r.method), " ", h("code", { class: "inbox-url" }, r.url)),
    h("p", { class: "muted" }, h("time", { datetime: r.received_at }, when(r.received_at))),
    h(
      "details",
      {},
      h("summary", {}, `Headers (${headers.length})`),
      h("dl", { class: "pairs" }, headers.map(([name, value]) => [h("dt", {}, name), h("dd", {}, h("code", {}, value))])),
    ),
    h("h3", {}, "Body"),
    body ? h("pre", { class: "inbox-body" }, pretty(body)) : h("p", { class: "muted" }, "(empty)"),
    r.body_truncated ? h("p", { class: "muted" }, "The body was longer; only its start was kept.") : null,
  );
}
