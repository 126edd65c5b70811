// What every screen shares: the signed-in operator, messages, confirmations.
import { api, ApiError } from "./api.js";
import { h } from "./dom.js";

// "spam" is quarantine: listed only when asked for; a spam ticket is released ("not spam") back to "new".
export const STATUSES = ["new", "open", "pending", "resolved", "closed", "spam"];
export const PRIORITIES = ["low", "normal", "high", "urgent"];
export const CATEGORIES = (window.CARELINE && window.CARELINE.categories) || [];

// The signed-in operator ({email, roles, available, display_name}), the roster and the macros, read once per
// sign-in: each is an API request (and dollars, bench/cost.py) every ticket view would otherwise repeat.
export const state = { me: null, agents: null, macros: null };
export const isAdmin = () => Boolean(state.me && state.me.roles.includes("admin"));

export async function roster(fresh = false) {
  if (fresh || !state.agents) state.agents = (await api("GET", "/agents")).items;
  return state.agents;
}

// The macros screen reads them afresh, and so after an edit; a ticket view uses what this sign-in read.
export async function macroList(fresh = false) {
  if (fresh || !state.macros) state.macros = (await api("GET", "/macros")).items;
  return state.macros;
}

export function agentName(email) {
  const agent = (state.agents || []).find((a) => a.email === email);
  return agent && agent.name ? agent.name : email;
}

// A message for the operator; `keep` lets it outlive the next navigation
// (the result of an action that then leaves the screen).
let kept = false;
export function flash(message, kind = "info", keep = false) {
  const box = document.getElementById("flash");
  box.replaceChildren(message ? h("p", { class: `flash ${kind}` }, message) : "");
  kept = keep;
}

export function navigated() {
  if (kept) kept = false;
  else flash("");
}

export function problem(error) {
  return error instanceof ApiError && error.errors.length
    ? error.errors.map((e) => `${e.field}: ${e.message}`).join(" · ") : String(error.message || error);
}

// A modal question; resolves true only on the confirming button. `requireText`
// makes the operator type a word (an address) before it is enabled.
export function confirmDialog({ title, body, confirm, danger = false, requireText = null }) {
  return new Promise((resolve) => {
    const typed = requireText ? h("input", { id: "confirm-text", type: "text", autocomplete: "off" }) : null;
    const yes = h("button", { type: "submit", class: danger ? "danger" : "", disabled: Boolean(requireText) }, confirm);
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-title" },
      h("form", { method: "dialog" },
        h("h2", { id: "confirm-title" }, title), ...[].concat(body).map((p) => h("p", {}, p)),
        typed ? [h("label", { for: "confirm-text" }, `Type ${requireText} to confirm`), typed] : "",
        h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", value: "no",
          onclick: () => dialog.close("no") }, "Cancel"), yes)));
    if (typed) typed.addEventListener("input", () => { yes.disabled = typed.value.trim() !== requireText; });
    yes.value = "yes";
    dialog.addEventListener("close", () => { resolve(dialog.returnValue === "yes"); dialog.remove(); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function select(id, label, options, value, extra = {}) {
  return [h("label", { for: id }, label), h("select", { id, name: id, value, ...extra },
    options.map(([v, text]) => h("option", { value: v }, text)))];
}

// Screens load asynchronously: one that finishes after the operator moved on
// must not paint over the newer one. Each route starts a new generation.
let generation = 0;
export const navigation = { next: () => ++generation, get current() { return generation; } };
export function paint(main, turn, ...nodes) {
  if (turn === generation) main.replaceChildren(...nodes);
}
