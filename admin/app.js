// Careline's operator page: hash routes, one module per screen, no framework.
import { api, session } from "./api.js";
import { auditView } from "./audit.js";
import { devSignIn, finishHostedSignIn, startHostedSignIn, usesDevSignIn } from "./auth.js";
import { h } from "./dom.js";
import { agentsView, macrosView } from "./people.js";
import { callbacksView, inboxView, moveSelection, openSelected } from "./inbox.js";
import { outboundView } from "./collab.js";
import { customerView } from "./customer.js";
import { metricsView } from "./metrics.js";
import { ticketView } from "./ticket.js";
import { flash, isAdmin, navigated, navigation, problem, state } from "./ui.js";
import { markCurrentView, refreshViews } from "./views.js";

const main = document.getElementById("main");
const search = document.getElementById("search");
const availability = document.getElementById("availability");

async function signIn() {
  document.body.classList.remove("signed-in");
  if (!usesDevSignIn()) {
    main.replaceChildren(h("section", {}, h("h1", {}, "Sign in"),
      h("button", { type: "button", onclick: startHostedSignIn }, "Sign in with your team account")));
    return;
  }
  const email = h("input", { id: "email", type: "email", required: true, value: "kim@shop.example", autocomplete: "email" });
  const role = h("select", { id: "role" }, h("option", { value: "agent" }, "agent"), h("option", { value: "admin" }, "admin"));
  main.replaceChildren(h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await devSignIn(email.value, role.value);
      state.me = null;
      // One route per sign-in: a hash change routes by itself, and a second route
      // finishing late would wipe what the operator has started typing.
      if (location.hash === "#/inbox") route();
      else location.hash = "#/inbox";
    } catch (error) { flash(problem(error), "error"); }
  } }, h("h1", {}, "Sign in (local stage)"), h("label", { for: "email" }, "Email"), email,
  h("label", { for: "role" }, "Role"), role, h("button", { type: "submit", id: "sign-in" }, "Sign in")));
}

function paintHeader() {
  const me = state.me;
  document.body.classList.add("signed-in");
  document.body.classList.toggle("admin", isAdmin());
  document.getElementById("who").textContent = `${me.display_name} (${me.roles.join(", ")})`;
  availability.setAttribute("aria-pressed", String(me.available));
  availability.textContent = me.available ? "Available" : "Away";
  availability.title = me.available ? "New tickets may be assigned to you: press to go away"
    : "No new tickets are assigned to you: press to become available";
}

availability.addEventListener("click", async () => {
  try {
    const agent = await api("PUT", "/agents/me", { available: !state.me.available });
    state.me = { ...state.me, available: agent.available };
    state.agents = null;
    paintHeader();
    flash(agent.available ? "You are available: new tickets may be assigned to you." : "You are away: no new tickets are assigned to you.");
  } catch (error) { flash(problem(error), "error"); }
});

document.getElementById("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = search.value.trim();
  location.hash = q ? `#/inbox?${new URLSearchParams({ q })}` : "#/inbox";
});

const SCREENS = [
  [/^\/tickets\/(.+)$/, (m, params) => ticketView(main, decodeURIComponent(m[1]), params), "inbox"],
  [/^\/customers\/(.+)$/, (m) => customerView(main, decodeURIComponent(m[1])), "inbox"],
  [/^\/new$/, (m, params) => outboundView(main, params), "inbox"],
  [/^\/callbacks$/, () => callbacksView(main), "callbacks"],
  [/^\/metrics$/, (m, params) => metricsView(main, params), "metrics"],
  [/^\/agents$/, () => agentsView(main), "agents"],
  [/^\/macros$/, () => macrosView(main), "macros"],
  [/^\/audit$/, (m, params) => auditView(main, params), "audit"],
  [/^/, (m, params) => inboxView(main, params), "inbox"],
];

export async function route() {
  const turn = navigation.next();
  const [path, query = ""] = location.hash.slice(1).split("?");
  const params = new URLSearchParams(query);
  if (!session.token) return signIn();
  try {
    if (!state.me) {
      state.me = await api("GET", "/me");
      await refreshViews(); // the views in the navigation, with their counts
      // The operator moved on meanwhile: that navigation's route shows its screen, not this one.
      if (turn !== navigation.current) return;
    }
    paintHeader();
    markCurrentView();
    // The box shows the listing's words, unless the operator is typing new ones.
    if (document.activeElement !== search) {
      search.value = path === "/inbox" || path === "" ? params.get("q") || "" : search.value;
    }
    const [pattern, show, nav] = SCREENS.find(([pattern]) => pattern.test(path));
    // A saved view is current in the views' own navigation, not as the inbox or Mine.
    const mine = nav === "inbox" && params.get("view") ? "view" : nav === "inbox" && params.get("assignee") === "me" ? "mine" : nav;
    for (const link of document.querySelectorAll("[data-nav]")) {
      if (link.dataset.nav === mine) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    await show(path.match(pattern), params);
    // A screen opens at its heading (a ticket opened from far down the inbox too); back to a screen, where it was left.
    if (!params.get("call")) window.scrollTo(0, scrolls.get(location.hash) || 0);
  } catch (error) {
    if (error.status === 401) { session.clear(); state.me = null; flash("Please sign in again."); return signIn(); }
    flash(problem(error), "error");
  }
}

document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName) || event.target.isContentEditable;
  if (typing || event.ctrlKey || event.metaKey || event.altKey || document.querySelector("dialog[open]")) return;
  const keys = {
    "/": () => search.focus(),
    "?": () => document.getElementById("help").showModal(),
    j: () => moveSelection(1),
    k: () => moveSelection(-1),
    Enter: () => [document.body, main].includes(event.target) && openSelected(),
    r: () => document.getElementById("reply-body")?.focus(),
    n: () => document.getElementById("note-body")?.focus(),
  };
  if (pendingG && event.key === "i") { location.hash = "#/inbox"; pendingG = false; event.preventDefault(); return; }
  pendingG = event.key === "g";
  const act = keys[event.key];
  if (act && act() !== false) event.preventDefault();
});
let pendingG = false;

document.getElementById("signout").addEventListener("click", () => {
  document.getElementById("views-nav").hidden = true;
  session.clear();
  state.me = null;
  state.agents = null;
  state.macros = null;
  location.hash = "#/";
  route();
});
// Where each screen was scrolled to when left, so that going back returns there.
const scrolls = new Map();
let shownHash = location.hash;
window.addEventListener("hashchange", () => {
  scrolls.set(shownHash, window.scrollY);
  shownHash = location.hash;
  navigated();
  route();
});
finishHostedSignIn().catch(() => false).then(route);
