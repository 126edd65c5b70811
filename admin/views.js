// Saved views: the team's (kept by admins) and each operator's own, named
// combinations of the inbox's filters, in the navigation with how many
// tickets each holds now; saved, changed and deleted from the inbox.
import { api } from "./api.js";
import { h } from "./dom.js";
import { confirmDialog, flash, isAdmin, problem } from "./ui.js";

const FILTERS = ["status", "priority", "assignee", "category", "tag", "q", "sort"];
const COUNTS_EVERY_MS = 60000;
let views = [];

const pathOf = (view) => `${view.scope}/${view.name}`;

export function viewHref(view) {
  const params = new URLSearchParams(Object.entries(view.filters));
  params.set("view", pathOf(view));
  return `#/inbox?${params}`;
}

// The view the inbox shows, when its address names one.
export function viewOf(params) {
  return views.find((v) => pathOf(v) === params.get("view")) || null;
}

function counted(count) {
  if (!count) return "–";
  return count.exact ? String(count.value) : `${count.value}+`;
}

function paintNav() {
  const box = document.getElementById("views-nav");
  if (!box) return;
  const current = new URLSearchParams(location.hash.split("?")[1] || "").get("view");
  box.hidden = !views.length;
  box.replaceChildren(h("span", { class: "quiet" }, "Views"), ...views.map((v) => h("a", {
    href: viewHref(v), "aria-current": current === pathOf(v) ? "page" : null,
    title: v.scope === "shared" ? "The team's view" : "Your own view", dataset: { view: pathOf(v) },
  }, v.title, v.scope === "shared" ? h("span", { class: "visually-hidden" }, " (team)") : "", " ",
  h("span", { class: "count", "aria-label": `${counted(v.count)} tickets` }, counted(v.count)))));
}

// Read the views and their counts again (after a save, on each navigation, every minute).
export async function refreshViews() {
  try { views = (await api("GET", "/views")).items; } catch { return; }
  paintNav();
}

export function markCurrentView() { paintNav(); }

setInterval(() => {
  if (!document.hidden && document.body.classList.contains("signed-in")) refreshViews();
}, COUNTS_EVERY_MS);

function filtersOf(params) {
  return Object.fromEntries(FILTERS.filter((name) => params.get(name)).map((name) => [name, params.get(name)]));
}

function slug(title) {
  return title.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "view";
}

async function save(scope, name, title, filters, done) {
  try {
    const saved = await api("PUT", `/views/${scope}/${encodeURIComponent(name)}`, { title, filters });
    await refreshViews();
    flash(done, "info", true);
    location.hash = viewHref(saved);
  } catch (error) { flash(problem(error), "error"); }
}

// Under the inbox's filters: save them as a view, or change or delete the view shown.
export function viewControls(params) {
  const filters = filtersOf(params);
  const shown = viewOf(params);
  if (shown) {
    const mayChange = shown.scope === "mine" || isAdmin();
    const same = JSON.stringify(filtersOf(new URLSearchParams(Object.entries(shown.filters)))) === JSON.stringify(filters);
    return h("div", { class: "view-bar", "aria-label": "This view" },
      h("span", { class: "quiet" }, shown.scope === "shared" ? "The team's view" : "Your view",
        shown.updated_by ? ` · saved by ${shown.updated_by}` : ""),
      mayChange && !same ? h("button", { type: "button", class: "secondary", id: "update-view",
        onclick: () => save(shown.scope, shown.name, shown.title, filters, `View ${shown.title} saved with these filters.`) },
      "Save these filters to the view") : "",
      mayChange ? h("button", { type: "button", class: "secondary", id: "delete-view", onclick: async () => {
        if (!await confirmDialog({ title: `Delete the view ${shown.title}?`, confirm: "Delete view", danger: true,
          body: shown.scope === "shared" ? "It goes from everyone's navigation; the tickets stay as they are."
            : "It goes from your navigation; the tickets stay as they are." })) return;
        try {
          await api("DELETE", `/views/${shown.scope}/${encodeURIComponent(shown.name)}`);
          await refreshViews();
          flash(`View ${shown.title} deleted.`, "info", true);
          location.hash = "#/inbox";
        } catch (error) { flash(problem(error), "error"); }
      } }, "Delete view") : "");
  }
  const title = h("input", { id: "view-title", name: "view-title", required: true, maxlength: 60, size: 18, placeholder: "e.g. My pending" });
  const shared = isAdmin() ? h("input", { id: "view-shared", type: "checkbox" }) : null;
  return h("form", { class: "view-bar", "aria-label": "Save these filters as a view", onsubmit: (event) => {
    event.preventDefault();
    const scope = shared && shared.checked ? "shared" : "mine";
    const name = slug(title.value.trim());
    const taken = views.some((v) => v.scope === scope && v.name === name);
    save(scope, taken ? `${name.slice(0, 55)}-${Date.now() % 1000}` : name, title.value.trim(), filters,
      `View ${title.value.trim()} saved${scope === "shared" ? " for the whole team" : ""}.`);
  } }, h("label", { for: "view-title" }, "Save as a view"), title,
  shared ? [shared, h("label", { for: "view-shared" }, "for the whole team")] : "",
  h("button", { type: "submit", class: "secondary", id: "save-view" }, "Save view"));
}
