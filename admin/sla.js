// SLA badges from the server's view of each ticket (`sla_badge`: its most
// urgent running target, due and warning times), counted down on the
// server's clock: red once breached, amber within the warning share.
import { countdown, h, now, when } from "./dom.js";

export const METRICS = { first_response: "first response", next_response: "next response", resolution: "resolution" };

export function slaState(badge) {
  const at = now();
  if (badge.state === "breached" || at >= Date.parse(badge.due_at)) return "breached";
  if (badge.state === "warning" || (badge.warn_at && at >= Date.parse(badge.warn_at))) return "warning";
  return "ok";
}

function paint(el, badge) {
  const state = slaState(badge);
  el.className = `badge sla-${state}`;
  el.textContent = `${{ ok: "due", warning: "due soon ·", breached: "breached ·" }[state]} ${countdown(badge.due_at)}`;
  el.title = `${METRICS[badge.metric] || badge.metric} due ${when(badge.due_at)}`;
}

export function slaBadge(badge) {
  if (!badge) return h("span", { class: "badge sla-none", title: "No SLA target is running" }, "—", h("span", { class: "visually-hidden" }, "no SLA target running"));
  const el = h("span", { dataset: { sla: JSON.stringify(badge) } });
  paint(el, badge);
  return el;
}

// Live: every badge on the page re-reads the (server) clock each second.
setInterval(() => {
  for (const el of document.querySelectorAll("[data-sla]")) paint(el, JSON.parse(el.dataset.sla));
}, 1000);
