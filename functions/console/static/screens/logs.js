// View Logs: filters (event, date range, status, campaign), pages, and one entry in full.

import { api, path } from "../lib/api.js";
import {
  badge, busy, empty, field, group, h, input, page, pretty, select, showApiError, table, toast, when,
} from "../lib/ui.js";
import { allEvents } from "./events.js";

const STATUSES = ["queued", "delivered", "retrying", "failed", "no_postbacks"];

const logsHash = (query) => `#/logs${query.toString() ? `?${query}` : ""}`;

export async function list(view, _params, query) {
  const filters = {
    event: query.get("event") || "",
    status: query.get("status") || "",
    campaign_id: query.get("campaign_id") || "",
    lead_id: query.get("lead_id") || "",
    from: query.get("from") || "",
    to: query.get("to") || "",
  };
  const cursor = query.get("cursor") || "";
  const events = await allEvents();

  const form = h("form", { class: "card filters", novalidate: true, "aria-label": "Filter the logs" });
  const eventSelect = select([{ value: "", label: "All events" }, ...events.map((e) => e.name)]);
  const statusSelect = select([{ value: "", label: "Any status" }, ...STATUSES]);
  form.append(
    field("Event", eventSelect, { name: "event" }),
    field("From", input({ type: "date", value: filters.from }), { name: "from" }),
    field("To", input({ type: "date", value: filters.to }), { name: "to", hint: "Includes that whole day (UTC)." }),
    field("Status", statusSelect, { name: "status" }),
    field("Campaign", input({ value: filters.campaign_id, spellcheck: false }), { name: "campaign_id" }),
    field("Lead ID", input({ value: filters.lead_id, spellcheck: false }), { name: "lead_id" }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, "Apply filters"),
      h("a", { class: "button secondary", href: "#/logs" }, "Clear"),
    ),
  );
  eventSelect.value = filters.event;
  statusSelect.value = filters.status;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const control of form.elements) if (control.name && control.value.trim()) next.set(control.name, control.value.trim());
    const target = logsHash(next);
    if (window.location.hash === target) window.dispatchEvent(new HashChangeEvent("hashchange"));
    else window.location.hash = target;
  });

  const title = filters.event ? `View Logs: ${filters.event}` : "View Logs";
  view.append(page(title, { crumbs: ["Settings", "Event Management"] }), form);

  let answer;
  try {
    answer = await api("GET", "/logs", { query: { ...filters, cursor, limit: 25 } });
  } catch (error) {
    showApiError(form, error, { start: "from", "query.from": "from", "query.to": "to" });
    return;
  }
  if (!answer.items.length) {
    view.append(empty(cursor ? "No more entries." : "No log entries match these filters. Events appear here once they fire."));
  } else {
    const rows = answer.items.map((item) =>
      h(
        "tr",
        { class: "clickable", "data-log": item.log_id, onclick: (e) => {
          if (e.target.closest("a")) return;
          window.location.hash = `#/logs/${encodeURIComponent(item.log_id)}`;
        } },
        h("td", {}, h("a", { href: `#/logs/${encodeURIComponent(item.log_id)}` }, when(item.created_at))),
        h("td", {}, h("a", { href: `#/leads/${encodeURIComponent(item.lead_id)}` }, item.lead_id), h("br"), h("span", { class: "muted" }, item.transaction_id)),
        h("td", {}, item.campaign_id),
        h("td", {}, h("code", {}, item.event)),
        h("td", {}, item.source),
        h("td", { class: "num" }, item.revenue ?? "—"),
        h("td", {}, badge(item.status), deliveredCount(item)),
        h("td", { class: "response-code" }, responseCodes(item)),
      ),
    );
    const headers = ["Timestamp", "Lead / Transaction ID", "Campaign", "Event", "Source", "Revenue", "Status", "Response Code"];
    view.append(table(headers, rows));
  }
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  if (cursor) {
    const first = new URLSearchParams(query);
    first.delete("cursor");
    pager.append(h("a", { class: "button secondary", href: logsHash(first) }, "First page"));
  }
  if (answer.next_cursor) {
    const next = new URLSearchParams(query);
    next.set("cursor", answer.next_cursor);
    pager.append(h("a", { class: "button secondary", href: logsHash(next) }, "Next page"));
  }
  view.append(pager);
}

/** "1 of 2 delivered" under the status, when an entry has more than one delivery (one: the status says it). */
function deliveredCount(item) {
  if (!(item.delivery_count > 1)) return null;
  return [h("br"), h("span", { class: "muted" }, `${item.delivered_count} of ${item.delivery_count} delivered`)];
}

/** Each delivery's latest response code (its postback and status on hover); entries from before: the latest of any. */
function responseCodes(item) {
  if (!item.deliveries?.length) return item.response_code ?? "—";
  return item.deliveries.map((d, i) => [
    i ? " · " : null,
    h("span", { title: `${d.kind === "affiliate" ? "Affiliate postback" : `Postback ${d.postback_id}`}: ${d.status}` }, d.response_code ?? "—"),
  ]);
}

/** A delivery's error, its technical detail folded away under it (open to read; it would widen a table). */
export function deliveryError(error, detail) {
  if (!error) return "—";
  if (!detail) return error;
  return h("details", { class: "error-detail" }, h("summary", { title: detail }, error), h("pre", { class: "small" }, detail));
}

export async function entry(view, [logId]) {
  const log = await api("GET", path`/logs/${logId}`);
  const back = h("a", { class: "button secondary", href: `#/logs?event=${encodeURIComponent(log.event)}` }, "Back to View Logs");
  const actions = [back];
  if (log.status === "failed") {
    const redeliver = h("button", { type: "button" }, "Redeliver failed");
    redeliver.addEventListener("click", async () => {
      try {
        const answer = await busy(redeliver, "Queuing…", () => api("POST", path`/logs/${logId}/redeliver`));
        toast(`${answer.requeued.length} delivery(ies) queued again.`);
      } catch (error) {
        toast(error.message);
      }
    });
    actions.push(redeliver);
  }
  const pairs = [
    ["Timestamp", when(log.created_at)],
    ["Event", log.event],
    ["Status", badge(log.status)],
    ["Lead ID", h("a", { href: `#/leads/${encodeURIComponent(log.lead_id)}` }, log.lead_id)],
    ["Transaction ID", log.transaction_id],
    ["Campaign", log.campaign_id],
    ["Affiliate", log.affiliate_id || "—"],
    ["Source", log.source],
    ["Revenue", log.revenue ?? "—"],
    ["Note", log.note || "—"],
  ];
  view.append(
    page(`Log entry: ${log.event}`, { crumbs: ["View Logs"], actions }),
    h("dl", { class: "pairs card" }, pairs.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("h2", {}, "Payload"),
    h("pre", { class: "card" }, pretty(log.fields && Object.keys(log.fields).length ? log.fields : "(no custom fields)")),
    h("h2", {}, "Postback deliveries"),
    log.deliveries.length ? group(log.deliveries.map(delivery)) : empty("This event has no postbacks: nothing was sent."),
  );
}

function delivery(d) {
  const attempts = d.attempts.map((a) =>
    h(
      "tr",
      {},
      h("td", {}, a.number),
      h("td", {}, when(a.at)),
      h("td", { class: "response-code" }, a.status_code ?? "no answer"),
      h("td", {}, `${a.elapsed_ms} ms`),
      h("td", {}, deliveryError(a.error, a.error_detail)),
      h("td", {}, h("pre", { class: "small" }, a.response_body || "")),
    ),
  );
  return h(
    "article",
    { class: "card delivery" },
    h("div", { class: "postback-head" }, h("span", { class: "method" }, d.method), h("code", { class: "url" }, d.url), badge(d.status)),
    h("p", { class: "hint" }, d.kind === "affiliate" ? "The lead's affiliate postback" : "The event's postback", d.next_attempt_at ? ` · next attempt ${when(d.next_attempt_at)}` : ""),
    d.body ? [h("h3", {}, "Request body"), h("pre", {}, pretty(d.body))] : null,
    h("h3", {}, "Attempts"),
    attempts.length
      ? h(
          "div",
          { class: "table-wrap" },
          h("table", {}, h("thead", {}, h("tr", {}, ["#", "At", "Response Code", "Time", "Error", "Response"].map((x) => h("th", { scope: "col" }, x)))), h("tbody", {}, attempts)),
        )
      : h("p", { class: "muted" }, "Not attempted yet."),
  );
}
