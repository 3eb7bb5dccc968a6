// Reports: conversions, events and revenue by day for a date range, as a chart and a table.

import { api } from "../lib/api.js";
import { empty, field, h, input, isoDate, page, showApiError, table } from "../lib/ui.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children.flat(Infinity)) if (child) node.append(child);
  return node;
}

export async function render(view, _params, query) {
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 29 * 86400000);
  const range = { from: query.get("from") || isoDate(monthAgo), to: query.get("to") || isoDate(today), campaign_id: query.get("campaign_id") || "" };

  const form = h("form", { class: "card filters", novalidate: true, "aria-label": "Report range" });
  form.append(
    field("From", input({ type: "date", value: range.from, required: true }), { name: "from" }),
    field("To", input({ type: "date", value: range.to, required: true }), { name: "to" }),
    field("Campaign", input({ value: range.campaign_id, spellcheck: false, placeholder: "all campaigns" }), { name: "campaign_id" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Show report")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const c of form.elements) if (c.name && c.value.trim()) next.set(c.name, c.value.trim());
    const target = `#/reports?${next}`;
    if (window.location.hash === target) window.dispatchEvent(new HashChangeEvent("hashchange"));
    else window.location.hash = target;
  });
  view.append(page("Reports"), form);

  let report;
  try {
    report = await api("GET", "/reports/conversions", { query: { ...range, group_by: "day" } });
  } catch (error) {
    showApiError(form, error, { "query.from": "from", "query.to": "to", start: "from" });
    return;
  }
  const totals = report.totals || {};
  view.append(
    h(
      "div",
      { class: "stats" },
      stat("Events", totals.events ?? 0),
      stat("Conversions", totals.conversions ?? 0),
      stat("Revenue", totals.revenue ?? "0"),
      stat("Leads", totals.leads ?? "—"),
    ),
  );
  if (!report.rows.length) {
    view.append(empty("Nothing happened in this range: no leads, events or revenue."));
    return;
  }
  view.append(
    chart(report.rows),
    table(
      ["Day", "Events", "Conversions", "Revenue", "Leads", "Conversion rate"],
      report.rows.map((r) =>
        h(
          "tr",
          {},
          h("td", {}, r.day),
          h("td", { class: "num" }, r.events),
          h("td", { class: "num" }, r.conversions),
          h("td", { class: "num" }, r.revenue),
          h("td", { class: "num" }, r.leads ?? "—"),
          h("td", { class: "num" }, r.conversion_rate == null ? "—" : `${(Number(r.conversion_rate) * 100).toFixed(1)} %`),
        ),
      ),
      { caption: "By day (UTC)" },
    ),
  );
}

const stat = (label, value) => h("div", { class: "stat card" }, h("p", { class: "stat-label" }, label), h("p", { class: "stat-value" }, String(value)));

/** Bars for events and conversions per day; revenue as a line on its own scale. */
function chart(rows) {
  const width = 720;
  const height = 240;
  const pad = { left: 40, right: 48, top: 16, bottom: 36 };
  const inner = { w: width - pad.left - pad.right, h: height - pad.top - pad.bottom };
  const maxCount = Math.max(1, ...rows.map((r) => r.events));
  const maxRevenue = Math.max(1, ...rows.map((r) => Number(r.revenue)));
  const slot = inner.w / rows.length;
  const bar = Math.max(2, Math.min(18, slot / 2 - 2));
  const y = (v) => pad.top + inner.h - (v / maxCount) * inner.h;
  const yr = (v) => pad.top + inner.h - (v / maxRevenue) * inner.h;
  const every = Math.ceil(rows.length / 8);
  const parts = [
    svg("line", { x1: pad.left, y1: pad.top + inner.h, x2: width - pad.right, y2: pad.top + inner.h, class: "axis" }),
    svg("text", { x: pad.left - 6, y: pad.top + 4, class: "tick", "text-anchor": "end" }, String(maxCount)),
    svg("text", { x: width - pad.right + 6, y: pad.top + 4, class: "tick revenue-tick" }, String(maxRevenue)),
  ];
  const points = [];
  rows.forEach((r, i) => {
    const x = pad.left + i * slot + slot / 2;
    parts.push(
      svg("rect", { x: x - bar - 1, y: y(r.events), width: bar, height: pad.top + inner.h - y(r.events), class: "bar-events" }, svg("title", {}, `${r.day}: ${r.events} events`)),
      svg("rect", { x: x + 1, y: y(r.conversions), width: bar, height: pad.top + inner.h - y(r.conversions), class: "bar-conversions" }, svg("title", {}, `${r.day}: ${r.conversions} conversions`)),
    );
    points.push(`${x},${yr(Number(r.revenue))}`);
    if (i % every === 0) parts.push(svg("text", { x, y: height - 14, class: "tick", "text-anchor": "middle" }, r.day.slice(5)));
  });
  parts.push(svg("polyline", { points: points.join(" "), class: "line-revenue" }));
  const figure = h(
    "figure",
    { class: "card chart" },
    svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Events, conversions and revenue by day" }, parts),
    h(
      "figcaption",
      { class: "legend" },
      h("span", { class: "key key-events" }, "Events"),
      h("span", { class: "key key-conversions" }, "Conversions"),
      h("span", { class: "key key-revenue" }, "Revenue (right scale)"),
    ),
  );
  return figure;
}
