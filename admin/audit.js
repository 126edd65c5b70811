// The audit trail (admins): who did what, when, newest first; by person
// (what they did and what was done to them) and by kind. The filters live
// in the address, like the inbox's.
import { api } from "./api.js";
import { h, when } from "./dom.js";
import { agentName, navigation, paint, roster } from "./ui.js";

function shown(value) {
  if (value === true) return "yes";
  if (value === false) return "no";
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "none";
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}: ${shown(v)}`).join(", ") || "none";
  return String(value);
}

// A record's detail in words: "available: yes → no", "tickets: 3".
function detail(record) {
  const { before, after, ...rest } = record.detail;
  const lines = [];
  if (before && after && typeof before === "object" && !Array.isArray(before)) {
    for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (JSON.stringify(before[name]) !== JSON.stringify(after[name])) lines.push(`${name}: ${shown(before[name])} → ${shown(after[name])}`);
    }
  } else if (before !== undefined || after !== undefined) {
    lines.push(before !== undefined && after !== undefined ? `${shown(before)} → ${shown(after)}`
      : after !== undefined ? shown(after) : `was ${shown(before)}`);
  }
  for (const [name, value] of Object.entries(rest)) lines.push(`${name}: ${shown(value)}`);
  return lines.length ? h("ul", { class: "plain" }, lines.map((line) => h("li", {}, line))) : "";
}

export async function auditView(main, params) {
  const turn = navigation.current;
  const query = new URLSearchParams();
  for (const name of ["person", "kind", "cursor"]) if (params.get(name)) query.set(name, params.get(name));
  const [page, agents] = await Promise.all([api("GET", `/audit?${query}`), roster()]);
  const go = (next) => { next.delete("cursor"); location.hash = `#/audit?${next}`; };
  const person = h("input", { id: "a-person", name: "person", type: "email", list: "a-people", size: 22, value: params.get("person") || "",
    onchange: (e) => { const next = new URLSearchParams(params); e.target.value.trim() ? next.set("person", e.target.value.trim()) : next.delete("person"); go(next); } });
  const kind = h("select", { id: "a-kind", name: "kind", value: params.get("kind") || "", onchange: (e) => {
    const next = new URLSearchParams(params); e.target.value ? next.set("kind", e.target.value) : next.delete("kind"); go(next);
  } }, h("option", { value: "" }, "any"), Object.entries(page.kinds).map(([k, words]) => h("option", { value: k }, `${k} (${words})`)));
  const older = new URLSearchParams(params);
  if (page.next_cursor) older.set("cursor", page.next_cursor);
  const rows = page.items.map((r) => h("tr", {},
    h("td", { "data-label": "When", class: "nowrap" }, when(r.at)),
    h("td", { "data-label": "Who" }, r.actor === "system" ? "Careline" : agentName(r.actor)),
    h("td", { "data-label": "What" }, r.what, h("span", { class: "quiet" }, ` (${r.kind})`)),
    h("td", { "data-label": "To", class: "wrap-anywhere" }, agentName(r.subject)), // an operator by their name
    h("td", { "data-label": "Details" }, detail(r))));
  paint(main, turn, h("section", { class: "audit" }, h("h1", {}, "Audit trail"),
    h("p", { class: "hint" }, `Exports, erasures, roster, role, macro and view changes, merges and spam marks, newest first. `
      + `Each record is kept ${page.retention_days} days. Customers appear by the pseudonym their erasure gives them, never by their address.`),
    h("form", { class: "filters", "aria-label": "Filter the audit trail", onsubmit: (e) => e.preventDefault() },
      h("div", { class: "field" }, h("label", { for: "a-person" }, "Person (by or about)"), person,
        h("datalist", { id: "a-people" }, agents.map((a) => h("option", { value: a.email }, a.name || a.email)))),
      h("div", { class: "field" }, h("label", { for: "a-kind" }, "Kind"), kind)),
    rows.length ? h("div", { class: "table-wrap" }, h("table", { class: "inbox audit-list" },
      h("caption", { class: "visually-hidden" }, "Audit records, newest first"),
      h("thead", {}, h("tr", {}, ["When", "Who", "What", "To", "Details"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows))) : h("p", { class: "empty" }, "Nothing recorded that matches."),
    h("nav", { class: "pager", "aria-label": "Pages" },
      params.get("cursor") ? h("button", { type: "button", class: "secondary", onclick: () => history.back() }, "← Newer") : "",
      page.next_cursor ? h("a", { class: "button", href: `#/audit?${older}` }, "Older →") : "")));
}
