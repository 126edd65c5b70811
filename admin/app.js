// Careline's operator page: inbox, ticket, metrics. Hash routes, no framework.
import { api, ApiError, session } from "./api.js";
import { devSignIn, finishHostedSignIn, startHostedSignIn, usesDevSignIn } from "./auth.js";
import { countdown, h, svg, when } from "./dom.js";

const main = document.getElementById("main");
const STATUSES = ["new", "open", "pending", "resolved", "closed"];
const PRIORITIES = ["low", "normal", "high", "urgent"];
const CATEGORIES = (window.CARELINE && window.CARELINE.categories) || [];
const DUE_SOON_MS = 2 * 3600 * 1000;
let selected = 0;

function flash(message, kind = "info") {
  const box = document.getElementById("flash");
  box.replaceChildren(message ? h("p", { class: `flash ${kind}` }, message) : "");
}

function fieldErrors(error) {
  return error instanceof ApiError && error.errors.length
    ? error.errors.map((e) => `${e.field}: ${e.message}`).join(" · ") : String(error.message || error);
}

function slaBadge(ticket) {
  // The reply that is owed first: the first response, else resolution.
  const due = ticket.first_response_due || ticket.resolution_due;
  if (!due || !["new", "open", "pending"].includes(ticket.status)) return h("span", { class: "badge" }, "—");
  const now = Date.now();
  const warned = ticket.next_sla_event_at && new Date(ticket.next_sla_event_at).getTime() > new Date(due).getTime();
  const left = new Date(due).getTime() - now;
  const kind = left < 0 ? "breached" : left < DUE_SOON_MS || warned ? "soon" : "ok";
  const label = { breached: "breached", soon: "due soon", ok: "due" }[kind];
  return h("span", { class: `badge sla-${kind}`, "data-due": due, title: label }, `${label} · ${countdown(due)}`);
}

// Live countdowns: every badge re-renders its text each second.
setInterval(() => {
  for (const badge of document.querySelectorAll("[data-due]")) {
    badge.lastChild.textContent = badge.lastChild.textContent.replace(/(in|overdue) .*$/, countdown(badge.dataset.due));
  }
}, 1000);

async function signIn() {
  document.getElementById("signout").hidden = true;
  if (!usesDevSignIn()) {
    main.replaceChildren(h("section", {}, h("h1", {}, "Sign in"),
      h("button", { type: "button", onclick: startHostedSignIn }, "Sign in with your team account")));
    return;
  }
  const email = h("input", { id: "email", type: "email", required: true, value: "agent@shop.example", autocomplete: "email" });
  const role = h("select", { id: "role" }, h("option", { value: "agent" }, "agent"), h("option", { value: "admin" }, "admin"));
  const form = h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    try { await devSignIn(email.value, role.value); location.hash = "#/inbox"; route(); } catch (error) { flash(fieldErrors(error), "error"); }
  } }, h("h1", {}, "Sign in (local stage)"), h("label", { for: "email" }, "Email"), email,
  h("label", { for: "role" }, "Role"), role, h("button", { type: "submit" }, "Sign in"));
  main.replaceChildren(form);
}

async function inbox(params) {
  const filters = Object.fromEntries(["status", "priority", "assignee", "category"].map((k) => [k, params.get(k) || ""]));
  const query = new URLSearchParams({ limit: "25", ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v)) });
  if (params.get("cursor")) query.set("cursor", params.get("cursor"));
  const page = await api("GET", `/tickets?${query}`);
  const select = (name, values) => h("label", {}, `${name} `, h("select", { name, onchange: (e) => {
    const next = new URLSearchParams(params); next.delete("cursor");
    e.target.value ? next.set(name, e.target.value) : next.delete(name);
    location.hash = `#/inbox?${next}`;
  } }, h("option", { value: "" }, "any"), values.map((v) => h("option", { value: v, selected: filters[name] === v }, v))));
  const rows = page.items.map((t, i) => h("tr", { class: "ticket-row", dataset: { id: t.id }, "aria-selected": i === selected ? "true" : "false",
    onclick: () => { location.hash = `#/tickets/${t.id}`; } },
  h("td", {}, h("a", { href: `#/tickets/${t.id}` }, t.reference)), h("td", {}, t.subject || "(no subject)"),
  h("td", {}, t.customer.name), h("td", {}, h("span", { class: `status status-${t.status}` }, t.status)),
  h("td", {}, h("span", { class: `priority priority-${t.priority}` }, t.priority)), h("td", {}, t.assignee || "—"),
  h("td", {}, slaBadge(t)), h("td", {}, when(t.created_at))));
  const next = new URLSearchParams(params);
  if (page.next_cursor) next.set("cursor", page.next_cursor);
  main.replaceChildren(h("section", {}, h("h1", {}, filters.assignee === "me" ? "My tickets" : "Inbox"),
    h("form", { class: "filters", "aria-label": "Filters", onsubmit: (e) => e.preventDefault() },
      select("status", STATUSES), select("priority", PRIORITIES), select("category", CATEGORIES),
      h("label", {}, "assignee ", h("input", { name: "assignee", value: filters.assignee, size: 18, onchange: (e) => {
        const n = new URLSearchParams(params); n.delete("cursor"); e.target.value ? n.set("assignee", e.target.value) : n.delete("assignee");
        location.hash = `#/inbox?${n}`; } }))),
    rows.length ? h("table", { class: "inbox" }, h("thead", {}, h("tr", {}, ["Ref", "Subject", "Customer", "Status", "Priority",
      "Assignee", "SLA", "Created"].map((c) => h("th", { scope: "col" }, c)))), h("tbody", {}, rows))
      : h("p", {}, "No tickets match."),
    h("nav", { class: "pager", "aria-label": "Pages" },
      params.get("cursor") ? h("button", { type: "button", onclick: () => history.back() }, "← Newer") : "",
      page.next_cursor ? h("a", { class: "button", href: `#/inbox?${next}` }, "Older →") : "")));
}

function threadItem(kind, item) {
  const who = kind === "message" ? (item.direction === "in" ? `Customer (${item.author})` : `To customer — ${item.author}`)
    : kind === "note" ? `Internal note — ${item.author}` : kind === "call" ? `Call (${item.outcome}) — ${item.author}` : item.author;
  const cls = kind === "message" ? `msg msg-${item.direction === "in" ? "customer" : "operator"}` : `msg msg-${kind}`;
  const body = item.body ?? item.summary ?? "";
  const delivery = item.delivery && item.delivery.status === "pending" ? ` · not yet delivered (attempt ${item.delivery.attempts})` : "";
  return h("article", { class: cls }, h("header", {}, h("strong", {}, who), " · ", when(item.created_at), delivery),
    h("pre", { class: "body" }, body));
}

async function ticketView(id) {
  const [ticket, macros] = await Promise.all([api("GET", `/tickets/${id}`), api("GET", "/macros").catch(() => ({ items: [] }))]);
  const history = await api("GET", `/customers/${encodeURIComponent(ticket.customer.email)}`).catch(() => null);
  const thread = [...ticket.messages.map((m) => ["message", m]), ...ticket.notes.map((n) => ["note", n]),
    ...ticket.calls.map((c) => ["call", c])].sort((a, b) => a[1].id.localeCompare(b[1].id));

  const status = h("select", { id: "status", name: "status" }, STATUSES.filter((s) => s !== "new" || ticket.status === "new")
    .map((s) => h("option", { value: s, selected: s === ticket.status }, s)));
  const priority = h("select", { id: "priority", name: "priority" }, PRIORITIES.map((p) => h("option", { value: p, selected: p === ticket.priority }, p)));
  const assignee = h("input", { id: "assignee", name: "assignee", type: "email", value: ticket.assignee || "", size: 22 });
  const save = async (event) => {
    event.preventDefault();
    const change = {};
    if (status.value !== ticket.status) change.status = status.value;
    if (priority.value !== ticket.priority) change.priority = priority.value;
    if ((assignee.value || null) !== ticket.assignee) change.assignee = assignee.value || null;
    if (!Object.keys(change).length) return;
    try {
      await api("PATCH", `/tickets/${id}`, change, { "If-Match": String(ticket.version) });
      flash("Saved."); route();
    } catch (error) {
      if (error.status === 412) flash("Another operator changed this ticket first. Reload to see their change, then try again.", "error");
      else flash(fieldErrors(error), "error");
    }
  };

  const replyBody = h("textarea", { id: "reply-body", name: "body", rows: 6, "aria-label": "Reply to the customer" });
  const macroPick = h("select", { id: "macro", "aria-label": "Insert a macro", onchange: (e) => {
    const macro = macros.items.find((m) => m.name === e.target.value);
    if (macro) replyBody.value = macro.body;
  } }, h("option", { value: "" }, "Insert macro…"), macros.items.map((m) => h("option", { value: m.name }, m.title)));
  const offerText = h("input", { id: "offer", name: "offer", placeholder: "Goodwill offer (optional), e.g. 10% off your next order", size: 40 });
  const offerCode = h("input", { id: "offer-code", name: "offer-code", placeholder: "Code", size: 10 });
  const resolve = h("input", { id: "resolve", type: "checkbox" });
  const sendReply = async (event) => {
    event?.preventDefault();
    const body = { body: replyBody.value, resolve: resolve.checked };
    if (offerText.value.trim()) body.offer = { type: "coupon", description: offerText.value.trim(), ...(offerCode.value ? { code: offerCode.value } : {}) };
    try { await api("POST", `/tickets/${id}/replies`, body); flash(resolve.checked ? "Reply sent; ticket resolved." : "Reply sent."); route(); }
    catch (error) { flash(fieldErrors(error), "error"); }
  };
  const noteBody = h("textarea", { id: "note-body", rows: 3, "aria-label": "Internal note" });
  const sendNote = async (event) => {
    event?.preventDefault();
    try { await api("POST", `/tickets/${id}/notes`, { body: noteBody.value }); flash("Note added."); route(); }
    catch (error) { flash(fieldErrors(error), "error"); }
  };
  for (const [box, send] of [[replyBody, sendReply], [noteBody, sendNote]]) {
    box.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) send(e); });
  }

  const sla = Object.entries(ticket.sla.metrics).map(([metric, m]) => h("li", {}, `${metric.replace("_", " ")}: ${m.state}`,
    m.due_at ? h("span", { "data-due": m.due_at }, " · due ", when(m.due_at), " · ", countdown(m.due_at)) : "",
    m.breached_at ? ` · breached ${when(m.breached_at)}` : ""));
  main.replaceChildren(h("div", { class: "ticket" },
    h("section", { class: "conversation" },
      h("h1", {}, `${ticket.reference} · ${ticket.subject || "(no subject)"}`),
      h("form", { class: "controls", onsubmit: save, "aria-label": "Ticket fields" },
        h("label", { for: "status" }, "Status"), status, h("label", { for: "priority" }, "Priority"), priority,
        h("label", { for: "assignee" }, "Assignee"), assignee, h("button", { type: "submit" }, "Save")),
      ticket.callback ? h("p", { class: "task" }, `Callback requested: ${ticket.callback.phone}`,
        ticket.callback.window ? ` (${ticket.callback.window})` : "", ` — ${ticket.callback.status}`) : "",
      h("div", { class: "thread", "aria-label": "Conversation" }, thread.map(([kind, item]) => threadItem(kind, item))),
      h("form", { class: "reply", onsubmit: sendReply, "aria-label": "Reply" }, h("h2", {}, "Reply"), macroPick, replyBody,
        h("div", {}, offerText, offerCode), h("label", {}, resolve, " Resolve with this reply"),
        h("button", { type: "submit", id: "send-reply" }, "Send reply")),
      h("form", { class: "note", onsubmit: sendNote, "aria-label": "Internal note" }, h("h2", {}, "Internal note"), noteBody,
        h("button", { type: "submit", id: "add-note" }, "Add note"))),
    h("aside", { class: "side" },
      h("h2", {}, "Customer"), h("p", {}, ticket.customer.name), h("p", {}, ticket.customer.email),
      ticket.order_id ? h("p", {}, `Order ${ticket.order_id}`) : "",
      h("h2", {}, "SLA"), h("ul", {}, sla),
      h("h2", {}, "History"), h("ul", { class: "history" }, (history ? history.tickets : []).map((t) => h("li", {},
        h("a", { href: `#/tickets/${t.id}` }, t.reference), ` ${t.subject || ""} · ${t.status}`))),
      h("h2", {}, "Events"), h("ol", { class: "events" }, ticket.events.map((e) => h("li", {}, `${when(e.created_at)} ${e.event} by ${e.author}`))))));
}

function bars(title, entries, unit = "") {
  const max = Math.max(1, ...entries.map(([, v]) => Number(v) || 0));
  const height = 22 * entries.length + 10;
  if (!entries.length) return h("figure", { class: "chart" }, h("figcaption", {}, title), h("p", {}, "Nothing yet."));
  return h("figure", { class: "chart" }, h("figcaption", {}, title),
    svg("svg", { width: 420, height, viewBox: `0 0 420 ${height}`, role: "img", "aria-label": title },
      entries.map(([label, value], i) => [
        svg("text", { x: 0, y: 22 * i + 16, "font-size": 12 }, label),
        svg("rect", { x: 150, y: 22 * i + 4, height: 16, width: Math.max(1, (230 * (Number(value) || 0)) / max), fill: "#2f6fdf" }),
        svg("text", { x: 385, y: 22 * i + 16, "font-size": 12 }, `${value ?? "—"}${unit}`)])));
}

async function metrics() {
  let m;
  try { m = await api("GET", "/metrics"); } catch (error) {
    main.replaceChildren(h("section", {}, h("h1", {}, "Metrics"), h("p", {}, `Metrics are not available: ${fieldErrors(error)}`)));
    return;
  }
  const pct = (v) => (v === null || v === undefined ? "—" : `${v}`);
  const minutes = (v) => (v === null ? "—" : v >= 60 ? `${Math.round(v / 6) / 10} h` : `${v} min`);
  main.replaceChildren(h("section", { class: "metrics" }, h("h1", {}, "Metrics"),
    h("p", {}, `${m.since} – ${m.until}`),
    h("dl", { class: "kpis" },
      h("dt", {}, "First response, median / p90"), h("dd", { id: "kpi-first-response" }, `${minutes(m.first_response_time.median_minutes)} / ${minutes(m.first_response_time.p90_minutes)} (${m.first_response_time.count})`),
      h("dt", {}, "Resolution, median / p90"), h("dd", {}, `${minutes(m.resolution_time.median_minutes)} / ${minutes(m.resolution_time.p90_minutes)} (${m.resolution_time.count})`),
      h("dt", {}, "First-contact resolution"), h("dd", {}, `${pct(m.first_contact_resolution.rate)} % of ${m.first_contact_resolution.resolved}`),
      h("dt", {}, "CSAT (4–5)"), h("dd", { id: "kpi-csat" }, `${pct(m.csat.score)} % of ${m.csat.responses}`),
      h("dt", {}, "NPS"), h("dd", {}, `${pct(m.nps.score)} (${m.nps.responses} answers)`),
      h("dt", {}, "Goodwill offers"), h("dd", {}, String(m.goodwill_offers))),
    bars("Volume by channel", Object.entries(m.volume.by_channel)),
    bars("Volume by category", Object.entries(m.volume.by_category)),
    bars("SLA attainment (%)", Object.entries(m.sla_attainment).map(([k, v]) => [k.replace("_", " "), v.rate])),
    bars("CSAT answers", Object.entries(m.csat.counts)),
    bars("Backlog by status", Object.entries(m.backlog.by_status)),
    bars("Backlog by priority", Object.entries(m.backlog.by_priority))));
}

async function route() {
  const [path, query = ""] = location.hash.slice(1).split("?");
  const params = new URLSearchParams(query);
  document.getElementById("who").textContent = session.email ? `Signed in as ${session.email}` : "";
  document.getElementById("signout").hidden = !session.token;
  if (!session.token) return signIn();
  try {
    if (path.startsWith("/tickets/")) await ticketView(decodeURIComponent(path.split("/")[2]));
    else if (path === "/metrics") await metrics();
    else await inbox(params);
  } catch (error) {
    if (error.status === 401) { session.clear(); flash("Please sign in again."); return signIn(); }
    flash(fieldErrors(error), "error");
  }
}

let pendingG = false;
document.addEventListener("keydown", (event) => {
  if (["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName) || event.ctrlKey || event.metaKey || event.altKey) return;
  const rows = [...document.querySelectorAll(".ticket-row")];
  if (event.key === "?") document.getElementById("help").showModal();
  else if (pendingG && event.key === "i") location.hash = "#/inbox";
  else if ((event.key === "j" || event.key === "k") && rows.length) {
    selected = Math.max(0, Math.min(rows.length - 1, selected + (event.key === "j" ? 1 : -1)));
    rows.forEach((row, i) => row.setAttribute("aria-selected", i === selected ? "true" : "false"));
    rows[selected].scrollIntoView({ block: "nearest" });
  } else if (event.key === "Enter" && rows[selected]) location.hash = `#/tickets/${rows[selected].dataset.id}`;
  else if (event.key === "r") document.getElementById("reply-body")?.focus();
  else if (event.key === "n") document.getElementById("note-body")?.focus();
  else { pendingG = event.key === "g"; return; }
  pendingG = false;
  event.preventDefault();
});

document.getElementById("signout").addEventListener("click", () => { session.clear(); location.hash = "#/"; route(); });
window.addEventListener("hashchange", () => { selected = 0; flash(""); route(); });
finishHostedSignIn().catch(() => false).then(route);
