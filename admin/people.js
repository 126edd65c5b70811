// The team's shared lists: the agent roster (availability for automatic
// assignment, display names) and the macros. Everyone reads them; admins
// change them (and each agent their own availability and name).
import { api } from "./api.js";
import { h, when } from "./dom.js";
import { confirmDialog, flash, isAdmin, macroList, problem, roster, state, navigation, paint } from "./ui.js";

const PLACEHOLDERS = ["first_name", "name", "reference", "order_id", "operator_name", "brand", "order_status", "tracking_url"];
// Languages customers write in, beside the shop's own (chalicelib/views/locales/).
const LANGUAGES = { en: "English", de: "German" };

export async function agentsView(main) {
  const turn = navigation.current;
  const agents = await roster(true);
  const admin = isAdmin();
  const again = () => agentsView(main);
  const put = async (email, body, done) => {
    try {
      const path = email === state.me.email ? "/agents/me" : `/agents/${encodeURIComponent(email)}`;
      const agent = await api("PUT", path, body);
      if (email === state.me.email) state.me = { ...state.me, available: agent.available, display_name: agent.name || state.me.display_name };
      flash(done);
      again();
    } catch (error) { flash(problem(error), "error"); }
  };
  const rows = agents.map((a) => {
    const mine = a.email === state.me.email;
    const name = h("input", { id: `name-${a.email}`, value: a.name || "", size: 16, "aria-label": `Display name of ${a.email}`,
      disabled: !(admin || mine) });
    return h("tr", {},
      h("td", { "data-label": "Name" }, admin || mine ? h("form", { class: "inline", onsubmit: (e) => {
        e.preventDefault(); put(a.email, { available: a.available, name: name.value.trim() || undefined }, "Name saved.");
      } }, name, h("button", { type: "submit", class: "secondary" }, "Save")) : a.name || "—"),
      h("td", { "data-label": "Email", class: "wrap-anywhere" }, a.email),
      h("td", { "data-label": "Open tickets" }, String(a.open_tickets)),
      h("td", { "data-label": "Available" }, admin || mine
        ? h("button", { type: "button", class: "toggle", "aria-pressed": String(a.available), "aria-label": `${a.name || a.email} available`,
          onclick: () => put(a.email, { available: !a.available }, `${a.name || a.email} is now ${a.available ? "away" : "available"}.`) },
        a.available ? "Available" : "Away")
        : a.available ? "Available" : "Away"),
      admin ? h("td", {}, h("button", { type: "button", class: "danger", onclick: async () => {
        if (!await confirmDialog({ title: `Remove ${a.name || a.email}?`, confirm: "Remove from the roster", danger: true,
          body: [`${a.name || a.email} gets no more automatically assigned tickets.`,
            `The ${a.open_tickets} open ticket${a.open_tickets === 1 ? "" : "s"} assigned to them stay theirs until someone reassigns them.`] })) return;
        try { await api("DELETE", `/agents/${encodeURIComponent(a.email)}`); flash(`${a.email} removed.`); again(); }
        catch (error) { flash(problem(error), "error"); }
      } }, "Remove")) : "");
  });
  const email = h("input", { id: "new-agent-email", type: "email", required: true, size: 22 });
  const name = h("input", { id: "new-agent-name", size: 16 });
  const available = h("input", { id: "new-agent-available", type: "checkbox", checked: true });
  const joinSelf = !agents.some((a) => a.email === state.me.email)
    ? h("p", {}, "You are not on the roster yet: ", h("button", { type: "button", onclick: () => put(state.me.email, { available: true },
      "You are on the roster and available.") }, "Join as available")) : "";
  paint(main, turn, h("section", {}, h("h1", {}, "Agents"),
    h("p", { class: "hint" }, "New tickets go to the available agent with the fewest open tickets. Everyone sets their own availability in the header."),
    joinSelf,
    rows.length ? h("table", { class: "inbox agents" }, h("thead", {}, h("tr", {},
      ["Name", "Email", "Open tickets", "Available"].map((c) => h("th", { scope: "col" }, c)),
      admin ? h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Remove")) : "")),
    h("tbody", {}, rows)) : h("p", { class: "empty" }, "Nobody is on the roster: no ticket is assigned automatically."),
    admin ? h("form", { class: "panel", "aria-labelledby": "add-agent", onsubmit: (e) => {
      e.preventDefault();
      put(email.value.trim().toLowerCase(), { available: available.checked, ...(name.value.trim() ? { name: name.value.trim() } : {}) },
        `${email.value} added to the roster.`);
    } }, h("h2", { id: "add-agent" }, "Add an agent"),
    h("div", { class: "row wrap" }, h("label", { for: "new-agent-email" }, "Email"), email,
      h("label", { for: "new-agent-name" }, "Display name"), name,
      available, h("label", { for: "new-agent-available" }, "Available")),
    h("button", { type: "submit" }, "Add agent")) : ""));
}

function macroForm(main, macro) {
  const slug = h("input", { id: "macro-name", required: true, pattern: "[a-z0-9][a-z0-9\\-]{0,62}", value: macro ? macro.name : "",
    disabled: Boolean(macro), "aria-describedby": "macro-name-hint" });
  const title = h("input", { id: "macro-title", required: true, maxlength: 100, value: macro ? macro.title : "", size: 30 });
  const body = h("textarea", { id: "macro-body", required: true, rows: 8, "aria-describedby": "macro-help" });
  body.value = macro ? macro.body : "";
  // The same answer in the customers' other languages: a customer who writes one gets its text.
  const texts = Object.entries(LANGUAGES).map(([code, language]) => {
    const box = h("textarea", { id: `macro-text-${code}`, rows: 5, "aria-describedby": "macro-help" });
    box.value = (macro && macro.texts && macro.texts[code]) || "";
    return [code, language, box];
  });
  return h("form", { class: "panel", id: "macro-form", "aria-labelledby": "macro-form-title", onsubmit: async (e) => {
    e.preventDefault();
    try {
      const given = Object.fromEntries(texts.filter(([, , box]) => box.value.trim()).map(([code, , box]) => [code, box.value]));
      await api("PUT", `/macros/${encodeURIComponent(slug.value)}`,
        { title: title.value, body: body.value, ...(Object.keys(given).length ? { texts: given } : {}) });
      flash(`Macro ${title.value} saved.`);
      macrosView(main);
    } catch (error) { flash(problem(error), "error"); }
  } }, h("h2", { id: "macro-form-title" }, macro ? `Edit ${macro.title}` : "New macro"),
  h("label", { for: "macro-name" }, "Name"), slug, h("span", { id: "macro-name-hint", class: "hint" }, "lower-case letters, digits and dashes"),
  h("label", { for: "macro-title" }, "Title"), title,
  h("label", { for: "macro-body" }, "Text"), body,
  texts.map(([code, language, box]) => [h("label", { for: box.id }, `Text in ${language} (optional: for customers who write ${language})`), box]),
  h("p", { id: "macro-help", class: "hint" }, "Placeholders, filled in per ticket: ", PLACEHOLDERS.map((p) => h("code", {}, `{{${p}}}`)).reduce(
    (all, code) => (all.length ? [...all, " ", code] : [code]), [])),
  h("div", { class: "actions" }, h("button", { type: "submit", id: "save-macro" }, "Save macro"),
    h("button", { type: "button", class: "secondary", onclick: () => macrosView(main) }, "Cancel")));
}

export async function macrosView(main, editing = undefined) {
  const turn = navigation.current;
  const items = await macroList(true);
  const admin = isAdmin();
  const rows = items.map((m) => h("tr", {},
    h("td", { "data-label": "Title" }, h("strong", {}, m.title), h("span", { class: "preview" }, m.body.split("\n").find((l) => l.trim()) || "")),
    h("td", { "data-label": "Name" }, h("code", {}, m.name)),
    h("td", { "data-label": "Changed" }, m.updated_at ? `${when(m.updated_at)}${m.updated_by ? ` by ${m.updated_by}` : ""}` : "—"),
    admin ? h("td", { class: "actions" },
      h("button", { type: "button", class: "secondary", "aria-label": `Edit ${m.title}`, onclick: () => macrosView(main, m) }, "Edit"),
      h("button", { type: "button", class: "danger", "aria-label": `Delete ${m.title}`, onclick: async () => {
        if (!await confirmDialog({ title: `Delete the macro ${m.title}?`, confirm: "Delete macro", danger: true,
          body: "Replies already sent keep their words; the macro is no longer offered." })) return;
        try { await api("DELETE", `/macros/${encodeURIComponent(m.name)}`); flash(`Macro ${m.title} deleted.`); macrosView(main); }
        catch (error) { flash(problem(error), "error"); }
      } }, "Delete")) : ""));
  paint(main, turn, h("section", {}, h("h1", {}, "Macros"),
    h("p", { class: "hint" }, "Shared answers. On a ticket, pick one under Reply: its placeholders are filled in for that customer before it reaches the reply box."),
    admin && editing === undefined ? h("p", {}, h("button", { type: "button", id: "new-macro", onclick: () => macrosView(main, null) }, "New macro")) : "",
    admin && editing !== undefined ? macroForm(main, editing) : "",
    rows.length ? h("table", { class: "inbox macros" }, h("thead", {}, h("tr", {},
      ["Title", "Name", "Changed"].map((c) => h("th", { scope: "col" }, c)),
      admin ? h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")) : "")), h("tbody", {}, rows))
      : h("p", { class: "empty" }, "No macros yet.")));
  if (editing !== undefined) document.getElementById(editing ? "macro-title" : "macro-name").focus();
}
