// The inbox (filters, search, sort, bulk changes) and the callback queue.
// Everything that shapes a listing lives in the URL, so a view can be
// bookmarked, shared and reloaded.
import { api } from "./api.js";
import { mergeSelected } from "./collab.js";
import { h, short, when } from "./dom.js";
import { keepFresh, signatureOf } from "./live.js";
import { slaBadge } from "./sla.js";
import { agentName, CATEGORIES, flash, PRIORITIES, problem, roster, STATUSES, navigation, paint } from "./ui.js";
import { viewControls, viewOf } from "./views.js";

const FILTERS = ["status", "priority", "assignee", "category", "tag"];
const PAGE = 25;
let selected = 0;
let selectedId = null; // the selected row's ticket: a refreshed list keeps it selected wherever it moved

export function moveSelection(step) {
  const rows = [...document.querySelectorAll(".ticket-row")];
  if (!rows.length) return false;
  selected = Math.max(0, Math.min(rows.length - 1, selected + step));
  selectedId = rows[selected].dataset.id;
  rows.forEach((row, i) => row.classList.toggle("current", i === selected));
  rows[selected].scrollIntoView({ block: "nearest" });
  return true;
}

export function openSelected() {
  const row = document.querySelectorAll(".ticket-row")[selected];
  if (!row) return false;
  location.hash = `#/tickets/${row.dataset.id}`;
  return true;
}

function go(params) {
  params.delete("cursor");
  location.hash = `#/inbox?${params}`;
}

function subjectCell(t) {
  // Many tickets have no subject: the first line of the message stands in for it.
  const title = t.subject || t.preview || "(empty message)";
  return h("td", { class: "subject" }, h("a", { href: `#/tickets/${t.id}` }, title),
    t.subject && t.preview ? h("span", { class: "preview" }, t.preview) : "",
    t.tags && t.tags.length ? h("span", { class: "tags" }, t.tags.map((tag) => h("span", { class: "tag" }, tag))) : "");
}

function row(t, i, picked) {
  const box = h("input", { type: "checkbox", class: "pick", "aria-label": `Select ${t.reference}`, value: t.id,
    checked: picked.has(t.id), onchange: (e) => { e.target.checked ? picked.add(t.id) : picked.delete(t.id); picked.changed(); } });
  return h("tr", { class: `ticket-row${i === selected ? " current" : ""}`, dataset: { id: t.id, version: t.version } },
    h("td", { class: "pick-cell" }, box),
    h("td", { "data-label": "Ref", class: "ref" }, t.reference),
    subjectCell(t),
    h("td", { "data-label": "Customer" }, t.customer.name),
    h("td", { "data-label": "Status" }, h("span", { class: `status status-${t.status}` }, t.status)),
    h("td", { "data-label": "Priority" }, h("span", { class: `priority priority-${t.priority}` }, t.priority)),
    h("td", { "data-label": "Assignee" }, t.assignee ? agentName(t.assignee) : "—"),
    h("td", { "data-label": "SLA" }, slaBadge(t.sla_badge)),
    h("td", { "data-label": "Created", class: "nowrap" }, short(t.created_at)));
}

function bulkBar(items, picked, agents, reload) {
  const count = h("span", { id: "bulk-count", "aria-live": "polite" });
  const assignTo = h("select", { id: "bulk-assignee", "aria-label": "Assign the selected tickets to" },
    h("option", { value: "" }, "Assign to…"), h("option", { value: "-" }, "nobody (unassign)"),
    agents.map((a) => h("option", { value: a.email }, a.name || a.email)));
  const setStatus = h("select", { id: "bulk-status", "aria-label": "Set the status of the selected tickets" },
    h("option", { value: "" }, "Set status…"), STATUSES.filter((s) => s !== "new").map((s) => h("option", { value: s }, s)));
  const apply = h("button", { type: "submit", id: "bulk-apply" }, "Apply");
  const merge = h("button", { type: "button", id: "bulk-merge", class: "secondary",
    onclick: () => mergeSelected(items.filter((t) => picked.has(t.id)), reload) }, "Merge…");
  const bar = h("form", { class: "bulk", "aria-label": "Change the selected tickets", onsubmit: async (event) => {
    event.preventDefault();
    const change = {};
    if (assignTo.value) change.assignee = assignTo.value === "-" ? null : assignTo.value;
    if (setStatus.value) change.status = setStatus.value;
    if (!Object.keys(change).length) { flash("Choose an assignee or a status first.", "error"); return; }
    const chosen = items.filter((t) => picked.has(t.id));
    const results = await Promise.allSettled(chosen.map((t) => api("PATCH", `/tickets/${t.id}`, change, { "If-Match": String(t.version) })));
    const stale = results.filter((r) => r.status === "rejected" && r.reason.status === 412).length;
    const failed = results.filter((r) => r.status === "rejected" && r.reason.status !== 412);
    const done = results.length - stale - failed.length;
    flash([`${done} ticket${done === 1 ? "" : "s"} updated.`,
      stale ? `${stale} changed meanwhile by someone else and were left alone: reload to see them.` : "",
      failed.length ? `${failed.length} failed: ${problem(failed[0].reason)}` : ""].filter(Boolean).join(" "),
    stale || failed.length ? "error" : "info");
    await reload();
  } }, count, assignTo, setStatus, apply, merge);
  picked.changed = () => {
    bar.hidden = picked.size === 0;
    count.textContent = `${picked.size} selected`;
    const all = document.getElementById("pick-all");
    if (all) all.checked = picked.size > 0 && picked.size === items.length;
  };
  picked.changed();
  return bar;
}

function filterControls(params, agents) {
  const sort = params.get("sort") || "newest";
  const bySla = sort === "sla";
  const control = (name, label, options) => h("div", { class: "field" }, h("label", { for: `f-${name}` }, label),
    h("select", { id: `f-${name}`, name, value: params.get(name) || "", onchange: (e) => {
      const next = new URLSearchParams(params);
      e.target.value ? next.set(name, e.target.value) : next.delete(name);
      go(next);
    } }, h("option", { value: "" }, "any"), options.map(([v, text]) => h("option", { value: v }, text))));
  const pairs = (values) => values.map((v) => [v, v]);
  const tag = h("input", { id: "f-tag", name: "tag", value: params.get("tag") || "", size: 10,
    onchange: (e) => { const next = new URLSearchParams(params); e.target.value.trim() ? next.set("tag", e.target.value.trim().toLowerCase()) : next.delete("tag"); go(next); } });
  return h("form", { class: "filters", "aria-label": "Filters and order", onsubmit: (e) => e.preventDefault() },
    control("status", "Status", pairs(STATUSES)), control("priority", "Priority", pairs(PRIORITIES)),
    control("assignee", "Assignee", [["me", "me"], ...agents.map((a) => [a.email, a.name || a.email])]),
    control("category", "Category", pairs(CATEGORIES)),
    h("div", { class: "field" }, h("label", { for: "f-tag" }, "Tag"), tag),
    h("div", { class: "field" }, h("label", { for: "f-sort" }, "Order"),
      h("select", { id: "f-sort", name: "sort", value: sort, onchange: (e) => {
        const next = new URLSearchParams(params);
        e.target.value === "sla" ? next.set("sort", "sla") : next.delete("sort");
        go(next);
      } }, h("option", { value: "newest" }, "Newest first"), h("option", { value: "sla" }, "SLA due, soonest first"))),
    bySla ? h("p", { class: "hint" }, "Open tickets with a running target, by the due time of the most urgent one, overdue first.") : "");
}

function counted(count) {
  // The API counts where its reads know the number, else says how many at least (shown to two figures).
  if (!count) return "";
  if (count.exact) return `${count.value.toLocaleString("en-GB")} ticket${count.value === 1 ? "" : "s"}`;
  const unit = 10 ** Math.max(0, String(count.value).length - 2);
  return `${(Math.floor(count.value / unit) * unit).toLocaleString("en-GB")}+ tickets`;
}

function pager(params, page, shown, bySla) {
  const next = new URLSearchParams(params);
  if (page.next_cursor) next.set("cursor", page.next_cursor);
  const back = params.get("cursor") ? h("button", { type: "button", class: "secondary", onclick: () => history.back() }, "← Back") : "";
  if (!page.next_cursor) return h("nav", { class: "pager", "aria-label": "Pages" }, back);
  // A page of a combination no index serves reads a bounded stretch and stops there: it says how far it looked.
  const reached = page.searched_to && shown < PAGE
    ? h("p", { class: "hint searched" }, bySla ? `Looked through tickets due by ${when(page.searched_to)}.`
      : `Looked through tickets created since ${when(page.searched_to)}.`)
    : "";
  const label = reached ? "More…" : bySla ? "Next →" : "Older →";
  return h("nav", { class: "pager", "aria-label": "Pages" }, back, reached, h("a", { class: "button", href: `#/inbox?${next}` }, label));
}

export async function inboxView(main, params) {
  const turn = navigation.current;
  const query = new URLSearchParams({ limit: String(PAGE) });
  for (const name of [...FILTERS, "q", "sort", "cursor"]) if (params.get(name)) query.set(name, params.get(name));
  const view = viewOf(params);
  const title = view ? view.title : params.get("q") ? `Search: ${params.get("q")}` : params.get("assignee") === "me" ? "My tickets" : "Inbox";
  const bySla = params.get("sort") === "sla";
  const [page, agents] = await Promise.all([api("GET", `/tickets?${query}`).catch((error) => ({ error })), roster()]);
  if (page.error) {
    if (page.error.status === 401) throw page.error;
    // Never the previous listing under these filters: say what went wrong, keep the controls.
    flash(problem(page.error), "error");
    paint(main, turn, h("section", { class: "inbox-view" }, h("h1", {}, title), filterControls(params, agents),
      h("p", { class: "empty" }, "This listing could not be shown.")));
    return;
  }
  const picked = new Set();
  const reload = () => inboxView(main, params);
  const items = page.items;
  if (selectedId && items.some((t) => t.id === selectedId)) selected = items.findIndex((t) => t.id === selectedId);
  const count = counted(page.count);
  const pickAll = h("input", { type: "checkbox", id: "pick-all", "aria-label": "Select every ticket on this page", dataset: { derived: "1" },
    onchange: (e) => {
      for (const box of main.querySelectorAll("input.pick")) { box.checked = e.target.checked; }
      items.forEach((t) => (e.target.checked ? picked.add(t.id) : picked.delete(t.id)));
      picked.changed();
    } });
  const bar = bulkBar(items, picked, agents, reload);
  const searched = page.next_cursor && page.searched_to;
  const empty = params.get("q") ? "No tickets match every word" : "No tickets match";
  paint(main, turn, h("section", { class: "inbox-view" },
    h("div", { class: "heading-row" }, h("h1", {}, title, count ? h("span", { class: "count" }, ` · ${count}`) : ""),
      h("a", { class: "button secondary", href: "#/new", id: "write-first" }, "Write to a customer")),
    filterControls(params, agents), viewControls(params), bar,
    items.length ? h("div", { class: "table-wrap" }, h("table", { class: "inbox" },
      h("caption", { class: "visually-hidden" }, `${title}: ${count || `${items.length} shown, more to look through`}`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "pick-cell" }, pickAll),
        ["Ref", "Subject", "Customer", "Status", "Priority", "Assignee", "SLA", "Created"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, items.map((t, i) => row(t, i, picked)))))
      : h("p", { class: "empty" }, searched ? `${empty} among the tickets looked through so far.` : `${empty}.`),
    pager(params, page, items.length, bySla)));
  selected = Math.min(selected, Math.max(items.length - 1, 0));
  selectedId = items[selected] ? items[selected].id : null;
  keepFresh(main, turn, { signature: signatureOf(items), repaint: reload,
    read: async () => signatureOf((await api("GET", `/tickets?${query}`)).items) });
}

export async function callbacksView(main) {
  const turn = navigation.current;
  const page = await api("GET", "/tickets?callback=requested&limit=100");
  const rows = page.items.map((t) => h("tr", {},
    h("td", { "data-label": "Asked" }, when(t.created_at)),
    h("td", { "data-label": "Customer" }, h("a", { href: `#/tickets/${t.id}` }, `${t.customer.name} · ${t.reference}`)),
    h("td", { "data-label": "Phone" }, h("a", { href: `tel:${t.callback.phone}` }, t.callback.phone)),
    h("td", { "data-label": "When" }, t.callback.window || "any time"),
    h("td", { "data-label": "Priority" }, h("span", { class: `priority priority-${t.priority}` }, t.priority)),
    h("td", { "data-label": "SLA" }, slaBadge(t.sla_badge)),
    h("td", {}, h("a", { class: "button", href: `#/tickets/${t.id}?call=1` }, "Log the call"))));
  paint(main, turn, h("section", {}, h("h1", {}, "Callbacks"),
    h("p", { class: "hint" }, "Customers who asked to be called back, oldest request first. A call that reaches them completes the request."),
    rows.length ? h("table", { class: "inbox callbacks" }, h("thead", {}, h("tr", {},
      ["Asked", "Customer", "Phone", "When to call", "Priority", "SLA"].map((c) => h("th", { scope: "col" }, c)),
      h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Action")))),
    h("tbody", {}, rows)) : h("p", { class: "empty" }, "No callbacks waiting.")));
}
