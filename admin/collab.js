// A team on one customer: who else has the ticket open or is writing, what
// arrived while a reply was being written (If-Match: a stale reply is 412 and
// nothing is sent), merging and splitting tickets, followers (Cc), the note on
// a customer, and writing to a customer first.
import { api } from "./api.js";
import { h, when } from "./dom.js";
import { agentName, confirmDialog, flash, navigation, paint, problem } from "./ui.js";

// Presence: said every heartbeat while this ticket is on screen ("typing"
// while the reply box was changed in the last 20 s), and withdrawn when the
// operator moves on. The banner names the others; no WebSocket: the API's
// short-lived presence items and this page's own polling.
const TYPING_FOR = 20000;

export function presence(ticketId, turn, replyBox) {
  const banner = h("p", { class: "presence", id: "presence", role: "status", "aria-live": "polite", hidden: true,
    dataset: { ticket: ticketId } });
  let typedAt = 0;
  let timer = null;
  let inFlight = null; // one heartbeat at a time: the last one said is the state the others see
  replyBox.addEventListener("input", () => {
    const was = typedAt;
    typedAt = Date.now();
    if (Date.now() - was > TYPING_FOR) beat(); // say it at once when typing starts
  });
  const path = `/tickets/${encodeURIComponent(ticketId)}/presence`;
  async function beat() {
    clearTimeout(timer);
    if (inFlight) { await inFlight; return beat(); }
    inFlight = say();
    try { await inFlight; } finally { inFlight = null; }
  }
  async function say() {
    if (navigation.current !== turn || !document.body.contains(banner)) {
      // Repainted (the same ticket shown afresh keeps its own heartbeat), or left: say so.
      const shown = document.getElementById("presence");
      if (!shown || shown.dataset.ticket !== ticketId) api("DELETE", path).catch(() => null);
      return;
    }
    let wait = 15;
    try {
      const seen = await api("PUT", path, { state: Date.now() - typedAt < TYPING_FOR && replyBox.value.trim() ? "typing" : "viewing" });
      wait = seen.heartbeat_seconds || wait;
      show(seen.others);
    } catch { /* a missed heartbeat: the next one says it */ }
    timer = setTimeout(beat, wait * 1000);
  }
  function show(others) {
    banner.hidden = !others.length;
    const typing = others.filter((o) => o.state === "typing").map((o) => o.name || agentName(o.email));
    const viewing = others.filter((o) => o.state !== "typing").map((o) => o.name || agentName(o.email));
    banner.classList.toggle("presence-typing", typing.length > 0);
    banner.replaceChildren(...[
      typing.length ? `${list(typing)} ${typing.length > 1 ? "are" : "is"} writing a reply to this customer.` : "",
      viewing.length ? `${list(viewing)} ${viewing.length > 1 ? "have" : "has"} this ticket open.` : "",
    ].filter(Boolean).join(" "));
  }
  setTimeout(beat, 0);
  window.addEventListener("hashchange", () => setTimeout(beat, 0), { once: true });
  return banner;
}

function list(names) {
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

// A reply refused as stale: what arrived since the page was read, above the
// draft (which stays as it is); sending again answers the ticket as it is now.
export function meanwhile(before, after) {
  const seen = new Set([...before.messages, ...before.notes, ...before.calls].map((m) => `${m.ticket_id || ""}${m.id}`));
  const arrived = [...after.messages.map((m) => ["message", m]), ...after.notes.map((n) => ["note", n])]
    .filter(([, m]) => !seen.has(`${m.ticket_id || ""}${m.id}`) && m.author !== "system")
    .sort((a, b) => a[1].id.localeCompare(b[1].id));
  const heading = (kind, m) => (kind === "note" ? `Internal note by ${agentName(m.author)}`
    : m.direction === "in" ? "The customer wrote" : `${agentName(m.author)} replied`);
  return h("section", { class: "meanwhile", id: "meanwhile", "aria-labelledby": "meanwhile-title" },
    h("h3", { id: "meanwhile-title" }, "Not sent: this arrived while you were writing"),
    arrived.length ? arrived.map(([kind, m]) => h("article", { class: `msg msg-${kind === "note" ? "note" : m.direction === "in" ? "customer" : "operator"}` },
      h("header", {}, h("strong", {}, heading(kind, m)), " · ", when(m.created_at)), m.body ? h("p", { class: "body" }, m.body) : ""))
      : h("p", {}, "The ticket changed (its status, owner or tags)."),
    h("p", { class: "hint" }, "Your reply is still below. Read the above, change the reply if you need to, and send it again."));
}

// Merging: the customer's other tickets, into this one or this one into them.
export function mergePanel(ticket, history, again) {
  const others = (history ? history.tickets : []).filter((t) => t.id !== ticket.id && !t.merged_into);
  if (ticket.merged_into || !others.length) return "";
  const pick = h("select", { id: "merge-with", "aria-label": "Another ticket of this customer" },
    others.map((t) => h("option", { value: t.id }, `${t.reference} · ${t.subject || t.preview || ""} · ${t.status}`)));
  const merge = async (source, target) => {
    const ok = await confirmDialog({
      title: `Merge ${source.reference} into ${target.reference}?`, confirm: "Merge",
      body: [`${source.reference}'s messages, notes, files, tags and followers move to ${target.reference}; ${source.reference} closes, `
        + "its SLA clocks stop, and the customer's later mail about it joins " + `${target.reference}. The customer is not emailed.`,
      "Only splitting a message off undoes it, one message at a time."] });
    if (!ok) return;
    try {
      await api("POST", `/tickets/${source.id}/merge`, { into: target.id });
      flash(`${source.reference} merged into ${target.reference}.`, "info", true);
      if (target.id === ticket.id) again(); else location.hash = `#/tickets/${target.id}`;
    } catch (error) { flash(problem(error), "error"); }
  };
  const chosen = () => others.find((t) => t.id === pick.value);
  return h("section", { class: "merge", "aria-labelledby": "merge-title" }, h("h2", { id: "merge-title" }, "Merge"),
    h("p", { class: "hint" }, "The same customer's other tickets. Merging moves one ticket's conversation into the other."),
    pick,
    h("div", { class: "actions" },
      h("button", { type: "button", id: "merge-into-this", class: "secondary", onclick: () => merge(chosen(), ticket) }, "Merge it into this one"),
      h("button", { type: "button", id: "merge-this-into", class: "secondary", onclick: () => merge(ticket, chosen()) }, "Merge this one into it")));
}

// Splitting: one customer message becomes a new ticket of the same customer.
export function splitButton(ticket, message) {
  if (ticket.merged_into || message.direction !== "in" || message.author === "system") return "";
  const customerMessages = ticket.messages.filter((m) => m.direction === "in").length;
  if (customerMessages < 2) return "";
  return h("button", { type: "button", class: "link split", "aria-label": `Split this message off into a new ticket (${when(message.created_at)})`,
    onclick: async () => {
      const ok = await confirmDialog({ title: "Split this message off?", confirm: "Split into a new ticket",
        body: ["It leaves this ticket and opens a new one for the same customer, assigned to you. The customer is not emailed."] });
      if (!ok) return;
      try {
        const created = await api("POST", `/tickets/${ticket.id}/split`, { message: message.id });
        flash(`Split off into ${created.reference}.`, "info", true);
        location.hash = `#/tickets/${created.id}`;
      } catch (error) { flash(problem(error), "error"); }
    } }, "Split off");
}

// Followers: copied (Cc) on every reply; the customer alone gets the rest.
export function followers(ticket, save) {
  const input = h("input", { id: "new-follower", type: "email", name: "follower", autocomplete: "off", size: 22 });
  return h("div", { class: "followers" },
    h("h2", {}, "Followers (Cc)"),
    ticket.cc.length ? h("ul", { class: "tags", "aria-label": "Followers" }, ticket.cc.map((address) => h("li", { class: "tag" }, address,
      h("button", { type: "button", class: "remove", "aria-label": `Stop copying ${address}`,
        onclick: () => save({ cc: ticket.cc.filter((a) => a !== address) }, `${address} no longer follows.`) }, "×"))))
      : h("p", { class: "quiet" }, "Nobody: replies go to the customer only."),
    h("form", { class: "inline", "aria-label": "Add a follower", onsubmit: (e) => {
      e.preventDefault();
      const address = input.value.trim().toLowerCase();
      if (address && !ticket.cc.includes(address)) save({ cc: [...ticket.cc, address] }, `${address} follows now: replies copy them.`);
    } }, h("label", { for: "new-follower", class: "visually-hidden" }, "Follower's email address"), input,
    h("button", { type: "submit", class: "secondary" }, "Add")),
    h("p", { class: "hint" }, "Acknowledgements and follow-ups go to the customer only."));
}

// The note on the customer, the same on every one of their tickets.
export function customerNote(customer, email) {
  const text = customer && customer.note ? customer.note.text : "";
  const box = h("textarea", { id: "customer-note", rows: 3, value: text, "aria-describedby": "customer-note-by" });
  const by = h("p", { class: "hint", id: "customer-note-by" },
    customer && customer.note ? `${agentName(customer.note.by)} · ${when(customer.note.at)}` : "Seen on all of this customer's tickets.");
  return h("form", { class: "customer-note", "aria-label": "Note on the customer", onsubmit: async (e) => {
    e.preventDefault();
    try {
      const saved = await api("PATCH", `/customers/${encodeURIComponent(email)}`, { note: box.value });
      by.textContent = saved.note ? `${agentName(saved.note.by)} · ${when(saved.note.at)}` : "Seen on all of this customer's tickets.";
      flash(saved.note ? "Note saved." : "Note removed.");
    } catch (error) { flash(problem(error), "error"); }
  } }, h("label", { for: "customer-note" }, "Note on the customer"), box, by,
  h("button", { type: "submit", class: "secondary", id: "save-customer-note" }, "Save note"));
}

// Merging several tickets from the inbox: the selected ones into one of them.
export async function mergeSelected(chosen, reload) {
  if (chosen.length < 2) { flash("Select two or more tickets of one customer to merge.", "error"); return; }
  const target = h("select", { id: "merge-target" }, chosen.map((t) => h("option", { value: t.id }, `${t.reference} · ${t.subject || t.preview || ""}`)));
  const ok = await confirmDialog({ title: `Merge ${chosen.length} tickets`, confirm: "Merge",
    body: [h("label", { for: "merge-target" }, "Keep this one; the others merge into it"), target,
      "Their messages, notes, files, tags and followers move to it and they close. The customer is not emailed."] });
  if (!ok) return;
  const into = chosen.find((t) => t.id === target.value);
  const results = [];
  for (const t of chosen.filter((c) => c.id !== into.id)) {
    try { await api("POST", `/tickets/${t.id}/merge`, { into: into.id }); results.push([t, null]); }
    catch (error) { results.push([t, error]); }
  }
  const failed = results.filter(([, e]) => e);
  flash([`${results.length - failed.length} merged into ${into.reference}.`,
    ...failed.map(([t, e]) => `${t.reference}: ${problem(e)}`)].join(" "), failed.length ? "error" : "info");
  await reload();
}

// Writing to a customer first: a new ticket whose first message is yours.
export function outboundView(main, params) {
  const turn = navigation.current;
  const field = (id, label, control, hint) => h("div", { class: "field" }, h("label", { for: id }, label), control,
    hint ? h("span", { class: "hint" }, hint) : "");
  const email = h("input", { id: "out-email", type: "email", required: true, value: params.get("email") || "", autocomplete: "off" });
  const name = h("input", { id: "out-name", autocomplete: "off" });
  const subject = h("input", { id: "out-subject", required: true, maxlength: 200 });
  const body = h("textarea", { id: "out-body", rows: 8, required: true });
  const cc = h("input", { id: "out-cc", autocomplete: "off", placeholder: "name@example.com, …" });
  const status = h("select", { id: "out-status" }, [["pending", "waiting on the customer's answer"], ["open", "open"], ["resolved", "resolved (nothing to answer)"]]
    .map(([v, t]) => h("option", { value: v }, t)));
  let sending = false;
  paint(main, turn, h("section", { class: "outbound" }, h("h1", {}, "Write to a customer"),
    h("form", { class: "panel", onsubmit: async (e) => {
      e.preventDefault();
      if (sending) return;
      sending = true;
      const message = { email: email.value.trim(), subject: subject.value.trim(), body: body.value, status: status.value };
      if (name.value.trim()) message.name = name.value.trim();
      const copied = cc.value.split(/[,;\s]+/).map((a) => a.trim()).filter(Boolean);
      if (copied.length) message.cc = copied;
      try {
        const created = await api("POST", "/tickets", message);
        flash(`Sent to ${created.customer.email}: ${created.reference}.`, "info", true);
        location.hash = `#/tickets/${created.id}`;
      } catch (error) { flash(problem(error), "error"); } finally { sending = false; }
    } },
    h("p", { class: "hint" }, "A new ticket: your message is emailed to the customer as its first message. No acknowledgement is sent."),
    field("out-email", "Customer's email address", email),
    field("out-name", "Their name", name, "optional: the name on file, else one made from the address"),
    field("out-subject", "Subject", subject),
    field("out-body", "Message", body),
    field("out-cc", "Copy to (Cc)", cc, "optional: followers, copied on every reply"),
    field("out-status", "Then the ticket is", status),
    h("button", { type: "submit", id: "send-outbound" }, "Send"))));
}
