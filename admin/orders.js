// The customer's orders from the shop's store, beside the ticket. Asked
// only once the ticket is on screen, with a deadline of its own: a slow or
// silent shop never holds the ticket up, and the panel says why it is empty.
import { api } from "./api.js";
import { h, short, when } from "./dom.js";

// The server gives the shop its stage's timeout (2.5 s by default); this covers the way there and back.
const WAIT_MS = 6000;
const STATES = { delivered: "ok", refunded: "muted", cancelled: "muted", failed: "bad", on_hold: "warn", awaiting_payment: "warn" };

function money(total, currency) {
  const amount = Number(total);
  if (!currency || Number.isNaN(amount)) return `${total} ${currency || ""}`.trim();
  try { return new Intl.NumberFormat("en-GB", { style: "currency", currency }).format(amount); }
  catch { return `${total} ${currency}`; }
}

function status(order) {
  return h("span", { class: `order-status order-${STATES[order.status] || "on"}`, title: order.store_status || "" }, order.status_text);
}

function shipments(order) {
  if (!order.shipments.length) return "";
  return h("ul", { class: "shipments" }, order.shipments.map((s) => h("li", {},
    [s.carrier, s.number].filter(Boolean).join(" "),
    s.url ? [" · ", h("a", { href: s.url, target: "_blank", rel: "noopener noreferrer" }, "track the parcel")] : "")));
}

function orderCard(order, heading) {
  return h("article", { class: "order", "aria-label": `Order ${order.number}` },
    h("p", {}, h("strong", {}, heading || `Order ${order.number}`), " ", status(order)),
    h("p", { class: "quiet" }, `placed ${when(order.placed_at)} · ${money(order.total, order.currency)}`),
    h("ul", { class: "items" }, order.items.map((i) => h("li", {}, `${i.quantity} × ${i.title}`))),
    shipments(order));
}

function named(answer) {
  if (!answer.order_id) return "";
  if (answer.named_state === "found") return orderCard(answer.named, `Order ${answer.named.number} (this ticket's)`);
  if (answer.named_state === "other_customer") {
    return h("p", { class: "task warn" }, `Order ${answer.order_id} belongs to another customer: check before saying anything about it.`);
  }
  return h("p", { class: "quiet" }, `The shop has no order ${answer.order_id} for this customer.`);
}

function painted(box, answer, retry) {
  box.removeAttribute("aria-busy");
  const shop = answer.platform === "woocommerce" ? "WooCommerce" : "Shopify";
  if (answer.state === "not_configured") return [h("p", { class: "quiet" }, "No shop is connected to this stage.")];
  if (answer.state === "no_customer") return [h("p", { class: "quiet" }, "The customer was erased: no orders are looked up.")];
  if (answer.state !== "ok") {
    return [h("p", { class: "task warn", id: "orders-unavailable" }, answer.message || `The shop (${shop}) did not answer.`,
      " The ticket is complete without it."),
    h("button", { type: "button", class: "secondary", onclick: retry }, "Ask the shop again")];
  }
  const others = answer.orders.filter((o) => !(answer.named && o.number === answer.named.number));
  return [named(answer),
    others.length ? [h("h3", {}, answer.order_id ? "Other recent orders" : "Recent orders"), others.map((o) => orderCard(o))]
      : answer.named_state === "found" ? "" : h("p", { class: "quiet" }, "No orders with this address in the shop."),
    h("p", { class: "quiet" }, `From ${shop}, as of ${short(answer.fetched_at)}.`)];
}

async function load(box, ticketId) {
  const retry = () => { box.setAttribute("aria-busy", "true"); box.replaceChildren(h("p", { class: "quiet" }, "Asking the shop…")); load(box, ticketId); };
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error("late")), WAIT_MS); });
  try {
    const answer = await Promise.race([api("GET", `/tickets/${encodeURIComponent(ticketId)}/orders`), late]);
    box.replaceChildren(...painted(box, answer, retry).flat(Infinity));
  } catch (error) {
    box.replaceChildren(...painted(box, { state: "unavailable", message: error.message === "late"
      ? `The shop did not answer within ${WAIT_MS / 1000} s.` : `The orders could not be read (${error.message}).` }, retry).flat(Infinity));
  } finally { clearTimeout(timer); }
}

// The panel, empty until the shop answers; the ticket around it is already readable.
export function ordersPanel(ticketId) {
  const box = h("div", { class: "orders", id: "orders", "aria-live": "polite", "aria-busy": "true" },
    h("p", { class: "quiet" }, "Asking the shop for this customer's orders…"));
  load(box, ticketId);
  return box;
}
