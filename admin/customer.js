// A customer: contact data and ticket history; for admins, the data-access
// export and the erasure, behind a confirmation that says what goes.
import { api, download } from "./api.js";
import { h, when } from "./dom.js";
import { customerNote } from "./collab.js";
import { slaBadge } from "./sla.js";
import { confirmDialog, flash, isAdmin, problem, navigation, paint } from "./ui.js";

export async function customerView(main, email) {
  const turn = navigation.current;
  const customer = await api("GET", `/customers/${encodeURIComponent(email)}`);
  const tickets = customer.tickets;
  const erase = async () => {
    const count = customer.ticket_count;
    const ok = await confirmDialog({
      title: `Erase ${customer.name}?`, confirm: "Erase for good", danger: true, requireText: customer.email,
      body: [`This erases ${customer.name}'s name, email address ${customer.email}${customer.phone ? `, phone number ${customer.phone}` : ""} `
        + `and order numbers from ${count} ticket${count === 1 ? "" : "s"}, the words of every message and call with them, `
        + "their rating comments and their saved contact data.",
      "What stays: the tickets themselves (anonymised), their scores and times for the metrics, and a note on each ticket of who erased it and when.",
      "This cannot be undone. Export the data first if the customer asked for a copy."] });
    if (!ok) return;
    try {
      const erased = await api("DELETE", `/customers/${encodeURIComponent(customer.email)}`);
      flash(`Erased: ${erased.erased_tickets} ticket${erased.erased_tickets === 1 ? "" : "s"} anonymised as ${erased.alias}.`, "info", true);
      location.hash = "#/inbox";
    } catch (error) { flash(problem(error), "error"); }
  };
  paint(main, turn, h("section", { class: "customer" }, h("h1", {}, customer.name),
    h("dl", { class: "facts" },
      h("dt", {}, "Email"), h("dd", { class: "wrap-anywhere" }, customer.email),
      h("dt", {}, "Phone"), h("dd", {}, customer.phone || "—"),
      h("dt", {}, "Language"), h("dd", {}, customer.locale || "the shop's"),
      h("dt", {}, "Customer since"), h("dd", {}, when(customer.first_seen)),
      h("dt", {}, "Last contact"), h("dd", {}, when(customer.last_seen)),
      h("dt", {}, "Tickets"), h("dd", {}, String(customer.ticket_count)),
      customer.bounced_at ? [h("dt", {}, "Email bounced"), h("dd", { class: "error" }, when(customer.bounced_at))] : ""),
    customerNote(customer, customer.email),
    h("p", {}, h("a", { class: "button secondary", href: `#/new?${new URLSearchParams({ email: customer.email })}` }, "Write to this customer")),
    isAdmin() ? h("div", { class: "actions" },
      h("button", { type: "button", id: "export", class: "secondary", onclick: async () => {
        try { await download(`/customers/${encodeURIComponent(customer.email)}/export`, `customer-${customer.email}.json`); flash("Export downloaded."); }
        catch (error) { flash(problem(error), "error"); }
      } }, "Export all data (JSON)"),
      h("button", { type: "button", id: "erase", class: "danger", onclick: erase }, "Erase personal data…")) : "",
    h("h2", {}, "Tickets"),
    h("table", { class: "inbox" }, h("thead", {}, h("tr", {}, ["Ref", "Subject", "Status", "SLA", "Created"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, tickets.map((t) => h("tr", {},
        h("td", { "data-label": "Ref" }, h("a", { href: `#/tickets/${t.id}` }, t.reference)),
        h("td", { class: "subject" }, t.subject || t.preview || "(empty message)"),
        h("td", { "data-label": "Status" }, h("span", { class: `status status-${t.status}` }, t.status)),
        h("td", { "data-label": "SLA" }, slaBadge(t.sla_badge)),
        h("td", { "data-label": "Created" }, when(t.created_at))))))));
}
