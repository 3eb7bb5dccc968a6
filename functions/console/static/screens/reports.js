// Reports: conversions, events and revenue by day for a date range, as a chart and a table.
// The API answers oldest day first (a time series, as the chart draws it); the table lists the newest
// day first and folds each run of days without activity into one row.

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
      stat("Converted leads", totals.converted_leads ?? "—"),
      stat("Conversion rate", rate(totals.conversion_rate)),
    ),
  );
  if (!report.rows.length) {
    view.append(empty("Nothing happened in this range: no leads, events or revenue."));
    return;
  }
  const years = new Set(report.rows.map((r) => r.day.slice(0, 4)));
  view.append(
    chart(report.rows),
    table(
      ["Day", "Events", "Conversions", "Revenue", "Leads", "Converted leads", "Conversion rate"],
      newestFirst(report.rows).map((entry) =>
        entry.quiet
          ? h("tr", {}, h("td", { colspan: 7, class: "muted" }, `No activity ${span(entry.quiet, years.size > 1)}`))
          : h(
              "tr",
              {},
              h("td", {}, entry.row.day),
              h("td", { class: "num" }, entry.row.events),
              h("td", { class: "num" }, entry.row.conversions),
              h("td", { class: "num" }, entry.row.revenue),
              h("td", { class: "num" }, entry.row.leads ?? "—"),
              h("td", { class: "num" }, entry.row.converted_leads ?? "—"),
              h("td", { class: "num" }, rate(entry.row.conversion_rate)),
            ),
      ),
      { caption: "By day (UTC), newest first" },
    ),
  );
}

const rate = (value) => (value == null ? "—" : `${(Number(value) * 100).toFixed(1)} %`);

const quietDay = (r) =>
  !r.events && !r.conversions && Number(r.revenue) === 0 && !r.leads && !r.converted_leads;

/** The rows newest first, each run of days without activity as one entry: {row} or {quiet: [newest, oldest]}. */
function newestFirst(rows) {
  const entries = [];
  for (const row of [...rows].reverse()) {
    const last = entries[entries.length - 1];
    if (!quietDay(row)) entries.push({ row });
    else if (last && last.quiet) last.quiet[1] = row.day;
    else entries.push({ quiet: [row.day, row.day] });
  }
  return entries;
}

/** "3 Nov – 20 Nov" (oldest to newest), or "5 Nov" for one day; with years when the range spans several. */
function span([newest, oldest], withYear) {
  const format = (day) =>
    new Date(`${day}T00:00:00Z`).toLocaleDateString("en-GB", {
      day: "numeric",
      month: "short",
      ...(withYear ? { year: "numeric" } : {}),
      timeZone: "UTC",
    });
  return newest === oldest ? format(newest) : `${format(oldest)} – ${format(newest)}`;
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
