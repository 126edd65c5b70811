// One ticket, the whole story: the conversation with attachments and
// Careline's own emails, notes and calls; fields, tags, callback; the reply
// with a live preview of the email as the server renders it; and beside it
// the customer, SLA, rating, offers, history and events in words.
import { api } from "./api.js";
import { countdown, duration, h, when, words } from "./dom.js";
import { customerNote, followers, meanwhile, mergePanel, presence, splitButton } from "./collab.js";
import { attachmentList, replyFiles } from "./files.js";
import { keepFresh, signatureOf } from "./live.js";
import { ordersPanel } from "./orders.js";
import { METRICS, slaBadge } from "./sla.js";
import { agentName, CATEGORIES, flash, macroList, PRIORITIES, problem, roster, STATUSES, navigation, paint } from "./ui.js";

const SYSTEM_MAIL = {
  acknowledgement: "Careline confirmed the request by email, with the time a reply is due",
  resolution: "Careline told the customer the request is resolved",
  follow_up: "Careline asked whether anything is still open, and for a rating",
  pending_reminder: "Careline reminded the customer that we are waiting for their answer",
  status_link: "Careline emailed the customer a fresh link to their request's page",
  reply: "Careline sent the reply",
};
const CSAT = { 1: "very dissatisfied", 2: "dissatisfied", 3: "neutral", 4: "satisfied", 5: "very satisfied" };
const OUTCOMES = { reached: "reached the customer", no_answer: "no answer", voicemail: "left a voicemail" };

function who(item) {
  if (item.author === "system") return "Careline";
  if (item.author === "customer") return "Customer";
  return agentName(item.author);
}

function delivery(item) {
  const d = item.delivery;
  if (!d || d.status === "sent") return "";
  const text = { sending: "being sent", retry: `not delivered yet (attempt ${d.attempts}, next ${when(d.next_attempt_at)})`,
    unconfirmed: "sent, not confirmed", refused: "refused by the mail system" }[d.status] || d.status;
  return h("span", { class: `delivery delivery-${d.status}` }, ` · ${text}`);
}

function threadItem(ticket, kind, item) {
  // A merged ticket's message says where it came from.
  const from = item.reference ? h("span", { class: "from-ticket" }, ` · from ${item.reference}`) : "";
  if (kind === "message" && item.author === "system") {
    return h("article", { class: "msg msg-system" }, h("p", {}, SYSTEM_MAIL[item.kind] || `Careline sent an email (${words(item.kind)})`,
      " · ", when(item.created_at), from, delivery(item)));
  }
  const writer = item.from ? `${item.from} (following)` : who(item);
  const heading = kind === "message" ? (item.direction === "in" ? `${writer} wrote` : `${who(item)} replied`)
    : kind === "note" ? `Internal note by ${who(item)}` : `${who(item)} called: ${OUTCOMES[item.outcome] || item.outcome}`;
  const cls = kind === "message" ? `msg msg-${item.direction === "in" ? "customer" : "operator"}` : `msg msg-${kind}`;
  const body = kind === "call" ? item.summary : item.body;
  return h("article", { class: cls }, h("header", {}, h("strong", {}, heading), " · ", when(item.created_at),
    item.channel && item.direction === "in" ? ` · by ${item.channel}` : "", from, delivery(item),
    kind === "message" ? [" ", splitButton(ticket, item)] : ""),
  body ? h("p", { class: "body" }, body) : "", kind === "message" ? attachmentList(ticket.id, item.attachments) : "");
}

function slaList(ticket) {
  return h("ul", { class: "sla" }, Object.entries(ticket.sla.metrics).map(([metric, m]) => {
    const name = METRICS[metric] || metric;
    if (m.state === "running" || m.state === "paused") {
      const due = m.due_at ? [" · due ", when(m.due_at), " (", h("span", { class: "count" }, countdown(m.due_at)), ")"] : " · paused";
      return h("li", {}, h("strong", {}, name), m.breached_at ? " · breached" : m.state === "paused" ? " · paused (waiting on the customer)" : "", due);
    }
    // Done late: how long it took against its target says more than a second timestamp.
    const took = m.breached_at && m.elapsed_minutes != null
      ? ` (took ${duration(m.elapsed_minutes)}, target ${duration(m.target_minutes)})` : "";
    return h("li", {}, h("strong", {}, name), ` · ${words(m.state)}`, m.ended_at ? ` ${when(m.ended_at)}` : "", took);
  }));
}

function rating(feedback) {
  if (!feedback) return h("p", { class: "quiet" }, "Not rated yet.");
  return h("div", { class: "rating" },
    h("p", {}, h("strong", { class: `csat csat-${feedback.csat}` }, `${feedback.csat} of 5`), ` · ${CSAT[feedback.csat] || ""}`),
    feedback.nps !== undefined ? h("p", {}, `Would recommend us: ${feedback.nps} of 10`) : "",
    feedback.comment ? h("blockquote", {}, feedback.comment) : "",
    feedback.at ? h("p", { class: "quiet" }, `Rated ${when(feedback.at)}`) : "");
}

function offers(list) {
  if (!list.length) return h("p", { class: "quiet" }, "None.");
  return h("ul", { class: "offers" }, list.map((o) => h("li", {}, h("strong", {}, o.description),
    o.code ? [" · code ", h("code", {}, o.code)] : "", h("br"), h("span", { class: "quiet" }, `${words(o.type)} · ${who(o)} · ${when(o.created_at)}`))));
}

async function patch(ticket, change, done) {
  try {
    await api("PATCH", `/tickets/${ticket.id}`, change, { "If-Match": String(ticket.version) });
    flash(done);
    return true;
  } catch (error) {
    if (error.status === 412) flash("Another operator changed this ticket first. Reload to see their change, then try again.", "error");
    else flash(problem(error), "error");
    return false;
  }
}

export async function ticketView(main, id, params = new URLSearchParams()) {
  const turn = navigation.current;
  const [ticket, macros, agents] = await Promise.all([api("GET", `/tickets/${encodeURIComponent(id)}`),
    macroList().then((items) => ({ items })).catch(() => ({ items: [] })), roster()]);
  const erased = ticket.customer.email.endsWith("@erased.invalid");
  const history = erased ? null : await api("GET", `/customers/${encodeURIComponent(ticket.customer.email)}`).catch(() => null);
  const again = () => ticketView(main, id);
  const thread = [...ticket.messages.map((m) => ["message", m]), ...ticket.notes.map((n) => ["note", n]),
    ...ticket.calls.map((c) => ["call", c])].sort((a, b) => a[1].id.localeCompare(b[1].id));

  // Fields
  // Spam goes back only to new (released: "not spam"); nothing else ever goes back to new.
  const spam = ticket.status === "spam";
  const status = h("select", { id: "status", name: "status", value: ticket.status },
    STATUSES.filter((s) => (spam ? ["new", "spam"].includes(s) : s !== "new" || ticket.status === "new"))
      .map((s) => h("option", { value: s }, spam && s === "new" ? "new (not spam: acknowledge it now)" : s)));
  const priority = h("select", { id: "priority", name: "priority", value: ticket.priority }, PRIORITIES.map((p) => h("option", { value: p }, p)));
  const known = agents.map((a) => a.email);
  const assignee = h("select", { id: "assignee", name: "assignee", value: ticket.assignee || "" }, h("option", { value: "" }, "nobody"),
    [...known, ...(ticket.assignee && !known.includes(ticket.assignee) ? [ticket.assignee] : [])]
      .map((email) => h("option", { value: email }, agentName(email))));
  const category = h("select", { id: "category", name: "category", value: ticket.category || "" }, h("option", { value: "" }, "none"),
    CATEGORIES.map((c) => h("option", { value: c }, c)));
  const save = async (event) => {
    event.preventDefault();
    const change = {};
    if (status.value !== ticket.status) change.status = status.value;
    if (priority.value !== ticket.priority) change.priority = priority.value;
    if ((assignee.value || null) !== ticket.assignee) change.assignee = assignee.value || null;
    if ((category.value || null) !== ticket.category) change.category = category.value || null;
    if (!Object.keys(change).length) { flash("Nothing changed."); return; }
    if (await patch(ticket, change, "Saved.")) again();
  };

  // Tags
  const newTag = h("input", { id: "new-tag", name: "tag", size: 12, pattern: "[a-z0-9][a-z0-9_\\-]{0,39}", autocomplete: "off",
    "aria-describedby": "tag-hint" });
  const update = async (change, done) => { if (await patch(ticket, change, done)) again(); };
  const setTags = (tags, done) => update({ tags }, done);
  const tagBox = h("div", { class: "tag-editor" },
    h("ul", { class: "tags", "aria-label": "Tags" }, ticket.tags.map((tag) => h("li", { class: "tag" }, tag,
      h("button", { type: "button", class: "remove", "aria-label": `Remove tag ${tag}`,
        onclick: () => setTags(ticket.tags.filter((t) => t !== tag), `Tag ${tag} removed.`) }, "×")))),
    h("form", { class: "inline", "aria-label": "Add a tag", onsubmit: (e) => {
      e.preventDefault();
      const tag = newTag.value.trim().toLowerCase();
      if (!tag || ticket.tags.includes(tag)) return;
      setTags([...ticket.tags, tag], `Tag ${tag} added.`);
    } }, h("label", { for: "new-tag" }, "Add a tag"), newTag, h("button", { type: "submit", class: "secondary" }, "Add"),
    h("span", { id: "tag-hint", class: "hint" }, "lower-case letters, digits, - and _")));

  // A call with the customer (completes a requested callback when it reaches them)
  const outcome = h("select", { id: "call-outcome", name: "outcome" }, Object.entries(OUTCOMES).map(([v, t]) => h("option", { value: v }, t)));
  const callSummary = h("textarea", { id: "call-summary", name: "summary", rows: 2 });
  const callForm = h("form", { class: "panel", id: "call-form", "aria-labelledby": "call-title", onsubmit: async (e) => {
    e.preventDefault();
    try {
      await api("POST", `/tickets/${ticket.id}/calls`, { outcome: outcome.value, summary: callSummary.value });
      flash("Call logged."); again();
    } catch (error) { flash(problem(error), "error"); }
  } }, h("h2", { id: "call-title" }, "Log a call"),
  h("div", { class: "row" }, h("label", { for: "call-outcome" }, "Outcome"), outcome),
  h("label", { for: "call-summary" }, "What was said"), callSummary, h("button", { type: "submit", id: "log-call" }, "Log call"));

  // The reply, previewed by the server as the customer will get it
  const replyBody = h("textarea", { id: "reply-body", name: "body", rows: 8 });
  const macroPick = h("select", { id: "macro", name: "macro" }, h("option", { value: "" }, "none"),
    macros.items.map((m) => h("option", { value: m.name }, m.title)));
  // The offer's type words it for the customer: a refund is no thank-you gift.
  const offerType = h("select", { id: "offer-type", name: "offer-type", "aria-label": "Kind of offer" },
    [["coupon", "Voucher"], ["refund", "Refund"], ["shipping", "Free shipping"], ["gift", "Gift"], ["other", "Other"]]
      .map(([value, label]) => h("option", { value }, label)));
  const offerText = h("input", { id: "offer", name: "offer", placeholder: "e.g. 10% off your next order", size: 30 });
  const offerCode = h("input", { id: "offer-code", name: "offer-code", size: 10, pattern: "[A-Za-z0-9_\\-]*" });
  const resolve = h("input", { id: "resolve", type: "checkbox" });
  const preview = h("div", { class: "preview-mail", id: "preview", "aria-live": "polite" },
    h("p", { class: "quiet" }, "Type a reply or pick a macro: the email the customer gets appears here."));
  let macroWarning = null; // the customer's language the picked macro has no text in
  const draft = () => {
    const body = { body: replyBody.value, resolve: resolve.checked };
    if (offerText.value.trim()) body.offer = { type: offerType.value, description: offerText.value.trim(), ...(offerCode.value ? { code: offerCode.value } : {}) };
    if (macroPick.value) body.macro = macroPick.value; // read from the form: a refreshed ticket keeps it
    return body;
  };
  let previewSeq = 0;
  const showPreview = async (body) => {
    const seq = ++previewSeq;
    if (!body.body.trim() && !body.macro) {
      preview.replaceChildren(h("p", { class: "quiet" }, "Type a reply or pick a macro: the email the customer gets appears here."));
      return null;
    }
    try {
      const shown = await api("POST", `/tickets/${ticket.id}/preview`, body);
      if (seq !== previewSeq) return null;
      if (body.macro && !body.body.trim()) macroWarning = shown.language_missing || null;
      preview.replaceChildren(
        macroWarning ? h("p", { class: "error", id: "macro-language", role: "alert" },
          `This macro has no text in the customer's language (${macroWarning}): the email below mixes languages. ` +
          "Write the reply in their language, or add that text to the macro, before sending.") : "",
        h("p", { class: "subject" }, h("span", { class: "quiet" }, "Subject: "), shown.subject),
        shown.cc && shown.cc.length ? h("p", { class: "cc" }, h("span", { class: "quiet" }, "Cc: "), shown.cc.join(", ")) : "",
        h("pre", { class: "mail-text" }, shown.text));
      return shown;
    } catch (error) {
      if (seq === previewSeq) preview.replaceChildren(h("p", { class: "error" }, `This reply cannot be sent yet: ${problem(error)}`));
      return null;
    }
  };
  let timer;
  const later = () => { clearTimeout(timer); timer = setTimeout(() => showPreview(draft()), 400); };
  macroPick.addEventListener("change", async () => {
    macroWarning = null;
    if (!macroPick.value) return;
    // The server fills the placeholders for this ticket; the box gets the finished words.
    const shown = await showPreview({ ...draft(), body: "", macro: macroPick.value });
    if (shown) replyBody.value = shown.body;
  });
  for (const input of [replyBody, offerText, offerCode]) input.addEventListener("input", later);
  offerType.addEventListener("change", later);
  resolve.addEventListener("change", later);
  const files = replyFiles(ticket.id);
  let sending = false; // the reply may wait on uploads for a while: a second press must not send it twice
  // The reply answers the ticket as this page read it: If-Match. Someone else's
  // reply (or the customer's message) meanwhile is a 412, and nothing is sent.
  let read = ticket;
  const arrived = h("div", { id: "meanwhile-slot" });
  const sendReply = async (event) => {
    event?.preventDefault();
    if (sending) return;
    sending = true;
    try {
      if (files.uploading()) flash("Waiting for the files to finish uploading…");
      const attachments = await files.keys();
      await api("POST", `/tickets/${ticket.id}/replies`, { ...draft(), ...(attachments.length ? { attachments } : {}) },
        { "If-Match": String(read.version) });
      const sent = attachments.length ? ` with ${attachments.length} file${attachments.length > 1 ? "s" : ""}` : "";
      flash(resolve.checked ? `Reply sent${sent}; ticket resolved.` : `Reply sent${sent}.`);
      again();
    } catch (error) {
      if (error.status === 412) {
        const fresh = await api("GET", `/tickets/${encodeURIComponent(ticket.id)}`);
        arrived.replaceChildren(meanwhile(read, fresh));
        read = fresh; // sending again answers the ticket as it is now
        flash("Not sent: the ticket changed while you were writing. Your reply is kept.", "error");
        arrived.scrollIntoView({ block: "start" });
      } else {
        files.refused(error);
        flash(problem(error), "error");
      }
    } finally { sending = false; }
  };
  const noteBody = h("textarea", { id: "note-body", rows: 3 });
  const sendNote = async (event) => {
    event?.preventDefault();
    try { await api("POST", `/tickets/${ticket.id}/notes`, { body: noteBody.value }); flash("Note added."); again(); }
    catch (error) { flash(problem(error), "error"); }
  };
  for (const [box, send] of [[replyBody, sendReply], [noteBody, sendNote]]) {
    box.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) send(e); });
  }

  const customer = ticket.customer;
  const mergedInto = ticket.merged_into ? ticket.events.find((e) => e.event === "merged_into") : null;
  paint(main, turn, h("div", { class: "ticket" },
    h("section", { class: "conversation", "aria-labelledby": "ticket-title" },
      h("h1", { id: "ticket-title" }, `${ticket.reference} · ${ticket.subject || ticket.preview || "(empty message)"}`),
      h("p", { class: "summary-line" }, h("span", { class: `status status-${ticket.status}` }, ticket.status), " ",
        h("span", { class: `priority priority-${ticket.priority}` }, ticket.priority), " ", slaBadge(ticket.sla_badge)),
      presence(ticket.id, turn, replyBody),
      ticket.merged_into ? h("p", { class: "task merged", id: "merged-into" }, "Merged into ",
        h("a", { href: `#/tickets/${ticket.merged_into}` }, mergedInto?.data?.reference || "another ticket"),
        ": the conversation carries on there.") : "",
      ticket.merged_from.length ? h("p", { class: "hint", id: "merged-from" }, "Merged into this ticket: ",
        ticket.merged_from.map((m, i) => [i ? ", " : "", h("a", { href: `#/tickets/${m.id}` }, m.reference)])) : "",
      h("form", { class: "controls", onsubmit: save, "aria-label": "Ticket fields" },
        h("div", { class: "field" }, h("label", { for: "status" }, "Status"), status),
        h("div", { class: "field" }, h("label", { for: "priority" }, "Priority"), priority),
        h("div", { class: "field" }, h("label", { for: "assignee" }, "Assignee"), assignee),
        h("div", { class: "field" }, h("label", { for: "category" }, "Category"), category),
        h("button", { type: "submit", id: "save-fields" }, "Save")),
      tagBox,
      ticket.callback ? h("p", { class: `task callback-${ticket.callback.status}` },
        ticket.callback.status === "done" ? "Callback done: " : "Callback requested: ",
        h("a", { href: `tel:${ticket.callback.phone}` }, ticket.callback.phone),
        ticket.callback.window ? ` (${ticket.callback.window})` : "") : "",
      h("section", { class: "thread", "aria-label": "Conversation" }, thread.map(([kind, item]) => threadItem(ticket, kind, item))),
      arrived,
      h("form", { class: "panel reply", onsubmit: sendReply, "aria-labelledby": "reply-title", hidden: Boolean(ticket.merged_into) },
        h("h2", { id: "reply-title" }, "Reply"),
        h("div", { class: "row" }, h("label", { for: "macro" }, "Start from a macro"), macroPick),
        h("label", { for: "reply-body" }, "Your reply to the customer"), replyBody, files.element,
        h("div", { class: "row wrap" }, h("label", { for: "offer" }, "Goodwill offer"), offerType, offerText,
          h("label", { for: "offer-code" }, "Code"), offerCode),
        h("div", { class: "row" }, resolve, h("label", { for: "resolve" }, "Resolve with this reply")),
        h("h3", {}, "Preview"), preview,
        h("button", { type: "submit", id: "send-reply" }, "Send reply")),
      callForm,
      h("form", { class: "panel note", onsubmit: sendNote, "aria-labelledby": "note-title" },
        h("h2", { id: "note-title" }, "Internal note"), h("label", { for: "note-body" }, "Only operators see this"), noteBody,
        h("button", { type: "submit", id: "add-note" }, "Add note"))),
    h("aside", { class: "side", "aria-label": "About this ticket" },
      h("h2", {}, "Customer"),
      h("p", {}, erased ? customer.name : h("a", { href: `#/customers/${encodeURIComponent(customer.email)}` }, customer.name)),
      h("p", { class: "wrap-anywhere" }, customer.email),
      customer.phone ? h("p", {}, h("a", { href: `tel:${customer.phone}` }, customer.phone)) : "",
      ...ticket.details.map((d) => h("p", { class: "wrap-anywhere" }, `${d.label}: ${d.value}`)),
      erased ? "" : customerNote(history, customer.email),
      ticket.merged_into ? "" : followers(ticket, update),
      h("h2", {}, "Orders"), ordersPanel(ticket.id),
      h("h2", {}, "SLA"), slaList(ticket),
      h("h2", {}, "Rating"), rating(ticket.feedback),
      h("h2", {}, "Goodwill offers"), offers(ticket.offers),
      h("h2", {}, "History"), h("ul", { class: "history" }, (history ? history.tickets : []).filter((t) => t.id !== ticket.id)
        .map((t) => h("li", {}, h("a", { href: `#/tickets/${t.id}` }, t.reference), ` ${t.subject || t.preview || ""} · ${t.status}`))),
      mergePanel(ticket, history, again),
      h("h2", {}, "Events"), h("ol", { class: "events" }, ticket.events.map((e) => h("li", {},
        h("span", { class: "quiet" }, when(e.created_at)), " ", e.text))))));
  if (params.get("call")) { callForm.scrollIntoView(); outcome.focus(); }
  keepFresh(main, turn, { signature: signatureOf(ticket), repaint: () => ticketView(main, id),
    read: async () => signatureOf(await api("GET", `/tickets/${encodeURIComponent(id)}`)),
    busy: () => sending || files.uploading() || Boolean(main.querySelector(".chosen")) });
}
