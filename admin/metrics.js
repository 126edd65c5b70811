// Metrics for a date range: the figures, their trend per day as inline SVG
// charts, the agents' own figures, and the same as CSV.
import { api, download } from "./api.js";
import { day, duration, h, svg } from "./dom.js";
import { problem, flash, navigation, paint } from "./ui.js";

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 52, right: 12, top: 12, bottom: 28 };

function scale(max) {
  // A round top for the axis: 1, 2, 5, 10, 20, 50...
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((f) => f * power).find((top) => top >= max);
}

// One series over the days: bars (counts) or a line (rates, medians; a day
// without data leaves a gap, never a false zero).
function trend({ id, title, rows, value, format, kind = "line", top = null }) {
  const values = rows.map((r) => value(r));
  const known = values.filter((v) => v !== null && v !== undefined);
  const max = top ?? scale(Math.max(0, ...known));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const step = plotW / Math.max(rows.length, 1);
  const x = (i) => PAD.left + step * i + step / 2;
  const y = (v) => PAD.top + plotH - (plotH * v) / max;
  const marks = [];
  if (kind === "bar") {
    values.forEach((v, i) => {
      if (v) marks.push(svg("rect", { x: x(i) - Math.max(step * 0.35, 1), y: y(v), width: Math.max(step * 0.7, 2), height: y(0) - y(v), class: "bar" },
        svg("title", {}, `${day(rows[i].date)}: ${format(v)}`)));
    });
  } else {
    const segments = [[]];
    values.forEach((v, i) => {
      if (v === null || v === undefined) { segments.push([]); return; }
      segments[segments.length - 1].push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      marks.push(svg("circle", { cx: x(i), cy: y(v), r: 3, class: "dot" }, svg("title", {}, `${day(rows[i].date)}: ${format(v)}`)));
    });
    const path = segments.filter((seg) => seg.length).map((seg) => `M${seg.join("L")}`).join("");
    if (path) marks.unshift(svg("path", { d: path, class: "line" }));
  }
  const grid = [0, max / 2, max].map((v) => [svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v), class: "grid" }),
    svg("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end", class: "axis" }, format(v))]);
  const ticks = rows.length ? [0, Math.floor((rows.length - 1) / 2), rows.length - 1].filter((v, i, all) => all.indexOf(v) === i)
    .map((i) => svg("text", { x: x(i), y: HEIGHT - 8, "text-anchor": "middle", class: "axis" }, day(rows[i].date))) : [];
  const best = known.length ? Math.max(...known) : null;
  const summary = known.length
    ? `${known.length} of ${rows.length} days with data; highest ${format(best)} on ${day(rows[values.indexOf(best)].date)}; latest ${format(known[known.length - 1])}.`
    : "No data in this period.";
  return h("figure", { class: "chart trend" }, h("figcaption", { id: `${id}-title` }, title),
    svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc`, class: "plot", id },
      svg("desc", { id: `${id}-desc` }, summary), grid, marks, ticks),
    h("p", { class: "quiet" }, summary));
}

function bars(title, entries) {
  if (!entries.length) return h("figure", { class: "chart" }, h("figcaption", {}, title), h("p", { class: "quiet" }, "Nothing yet."));
  const max = Math.max(1, ...entries.map(([, v]) => Number(v) || 0));
  const height = 22 * entries.length + 6;
  return h("figure", { class: "chart" }, h("figcaption", {}, title),
    svg("svg", { viewBox: `0 0 420 ${height}`, role: "img", "aria-label": title, class: "plot" },
      entries.map(([label, value], i) => [
        svg("text", { x: 0, y: 22 * i + 16, class: "axis" }, label),
        svg("rect", { x: 150, y: 22 * i + 4, height: 16, width: Math.max(1, (220 * (Number(value) || 0)) / max), class: "bar" }),
        svg("text", { x: 378, y: 22 * i + 16, class: "axis" }, value ?? "—")])));
}

const minutes = (v) => (v === null || v === undefined ? "—" : duration(v));
const hours = (v) => `${v < 10 ? Math.round(v * 10) / 10 : Math.round(v)} h`;
const percent = (v) => (v === null || v === undefined ? "—" : `${Math.round(v)} %`);

function kpis(m) {
  const rated = m.csat.responses;
  return h("dl", { class: "kpis" },
    h("dt", {}, "Tickets in"), h("dd", { id: "kpi-volume" }, String(m.volume.total)),
    h("dt", {}, "First response, median / p90"), h("dd", { id: "kpi-first-response" },
      m.first_response_time.count ? `${minutes(m.first_response_time.median_minutes)} / ${minutes(m.first_response_time.p90_minutes)} (${m.first_response_time.count} answered)` : "No first responses yet"),
    h("dt", {}, "Resolution, median / p90"), h("dd", {},
      m.resolution_time.count ? `${minutes(m.resolution_time.median_minutes)} / ${minutes(m.resolution_time.p90_minutes)} (${m.resolution_time.count} resolved)` : "Nothing resolved yet"),
    h("dt", {}, "Resolved at first contact"), h("dd", {},
      m.first_contact_resolution.resolved ? `${percent(m.first_contact_resolution.rate)} of ${m.first_contact_resolution.resolved} resolved` : "Nothing resolved yet"),
    h("dt", {}, "Satisfied customers (CSAT 4–5)"), h("dd", { id: "kpi-csat" },
      rated ? `${percent(m.csat.score)} of ${rated} rating${rated === 1 ? "" : "s"}` : "No ratings yet"),
    h("dt", {}, "NPS"), h("dd", {}, m.nps.responses ? `${m.nps.score} (${m.nps.responses} answers)` : "No answers yet"),
    h("dt", {}, "Goodwill offers"), h("dd", {}, String(m.goodwill_offers)));
}

function agentsTable(agents) {
  if (!agents.length) return h("p", { class: "quiet" }, "No agent figures in this period.");
  return h("table", { class: "inbox per-agent" },
    h("caption", {}, "Per agent: tickets resolved while theirs, their first responses, and the rating of the tickets they held"),
    h("thead", {}, h("tr", {}, ["Agent", "Handled", "First responses", "First response, median", "CSAT"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, agents.map((a) => h("tr", {},
      h("th", { scope: "row", "data-label": "Agent" }, a.name || a.email),
      h("td", { "data-label": "Handled" }, String(a.handled)),
      h("td", { "data-label": "First responses" }, String(a.first_responses)),
      h("td", { "data-label": "Median" }, minutes(a.first_response_median_minutes)),
      h("td", { "data-label": "CSAT" }, a.csat_responses ? `${percent(a.csat_score)} of ${a.csat_responses}` : "no ratings")))));
}

function shift(iso, days) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export async function metricsView(main, params) {
  const turn = navigation.current;
  const query = new URLSearchParams();
  for (const name of ["since", "until"]) if (params.get(name)) query.set(name, params.get(name));
  let m;
  try { m = await api("GET", `/metrics?${query}`); } catch (error) {
    paint(main, turn, h("section", {}, h("h1", {}, "Metrics"), h("p", { class: "error" }, `Metrics are not available: ${problem(error)}`)));
    return;
  }
  const since = h("input", { id: "since", type: "date", value: m.since, max: m.until, required: true });
  const until = h("input", { id: "until", type: "date", value: m.until, required: true });
  const range = (s, u) => { location.hash = `#/metrics?${new URLSearchParams({ since: s, until: u })}`; };
  const today = params.get("until") || m.until;
  const csv = (table) => async () => {
    try {
      await download(`/metrics?${new URLSearchParams({ since: m.since, until: m.until, format: "csv", ...(table ? { table } : {}) })}`,
        `careline-${table || "daily"}-${m.since}-${m.until}.csv`);
      flash("CSV downloaded.");
    } catch (error) { flash(problem(error), "error"); }
  };
  const rows = m.daily;
  paint(main, turn, h("section", { class: "metrics" }, h("h1", {}, "Metrics"),
    h("form", { class: "range", "aria-label": "Date range", onsubmit: (e) => { e.preventDefault(); range(since.value, until.value); } },
      h("div", { class: "field" }, h("label", { for: "since" }, "From"), since),
      h("div", { class: "field" }, h("label", { for: "until" }, "To"), until),
      h("button", { type: "submit", id: "apply-range" }, "Show"),
      [7, 30, 90].map((n) => h("button", { type: "button", class: "secondary", onclick: () => range(shift(today, 1 - n), today) }, `Last ${n} days`)),
      h("button", { type: "button", class: "secondary", id: "download-csv", onclick: csv(null) }, "Download CSV (per day)"),
      h("button", { type: "button", class: "secondary", id: "download-agents-csv", onclick: csv("agents") }, "Download CSV (per agent)")),
    h("p", { class: "quiet" }, `${day(m.since)} – ${day(m.until)} (UTC days); the backlog is as of now.`),
    kpis(m),
    h("div", { class: "charts" },
      trend({ id: "chart-volume", title: "Tickets in, per day", rows, value: (r) => r.volume, format: (v) => String(Math.round(v)), kind: "bar" }),
      trend({ id: "chart-first-response", title: "First response, median per day (hours)", rows, format: hours,
        value: (r) => (r.first_response_median_minutes === null ? null : r.first_response_median_minutes / 60) }),
      trend({ id: "chart-csat", title: "Satisfied customers (CSAT 4–5), per day", rows, value: (r) => r.csat_score, format: percent, top: 100 }),
      trend({ id: "chart-sla", title: "SLA targets met, per day", rows, value: (r) => r.sla_attainment_rate, format: percent, top: 100 })),
    h("h2", {}, "Agents"), agentsTable(m.agents),
    h("h2", {}, "Breakdowns"),
    h("div", { class: "charts" },
      bars("Tickets by channel", Object.entries(m.volume.by_channel)),
      bars("Tickets by category", Object.entries(m.volume.by_category)),
      bars("SLA targets met (%)", Object.entries(m.sla_attainment).map(([k, v]) => [k.replace(/_/g, " "), v.rate])),
      bars("Ratings (CSAT 1–5)", Object.entries(m.csat.counts)),
      bars("Open now, by status", Object.entries(m.backlog.by_status)),
      bars("Open now, by priority", Object.entries(m.backlog.by_priority)))));
}
