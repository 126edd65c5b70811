// Screens that stay true. The open inbox and ticket are read again every
// 15 s while the page is visible (and at once when it becomes visible
// again); when what the server says has changed they are painted again,
// keeping what the operator is doing: what they typed or ticked (only the
// fields they changed: a status someone else changed shows the new one),
// the caret, the focus and the scroll position. Typing postpones a repaint
// a few seconds, never past 30 s; a reply with files chosen is never
// repainted under the operator (files cannot be chosen again for them).
import { navigation } from "./ui.js";

const EVERY_MS = 15000;
const TYPING_MS = 3000; // a keystroke this recent postpones the repaint...
const LATEST_MS = 30000; // ...but what is shown is never older than this

let lastKey = 0;
document.addEventListener("keydown", () => { lastKey = Date.now(); }, true);

// What identifies a field across two paints: its id, or a ticked row's box by its value.
function key(el) {
  if (el.id) return `#${el.id}`;
  if (el.name || el.classList.contains("pick")) return `${el.name || "pick"}=${el.value}`;
  return null;
}

function fields(main) {
  return [...main.querySelectorAll("input, textarea, select")].filter((el) => key(el) && el.type !== "file" && !el.dataset.derived);
}

function state(el) {
  return el.type === "checkbox" || el.type === "radio" ? el.checked : el.value;
}

// The fields as painted: a later value that differs is the operator's.
function pristine(main) {
  return new Map(fields(main).map((el) => [key(el), state(el)]));
}

let loop = null; // { turn, painted, signature, timer }

// Called by a screen each time it painted in its navigation `turn`: `signature`
// of what it showed, `read` reads it again (a promise of the new signature),
// `repaint` paints it again, `busy` says the operator cannot be interrupted now.
export function keepFresh(main, turn, { signature, read, repaint, busy = () => false }) {
  if (turn !== navigation.current) return; // the operator has moved on: nothing was painted
  if (loop && loop.turn === turn) {
    Object.assign(loop, { painted: pristine(main), signature, read, repaint, busy, shownAt: Date.now() });
    return;
  }
  if (loop) clearTimeout(loop.timer);
  loop = { turn, painted: pristine(main), signature, read, repaint, busy, shownAt: Date.now() };
  schedule(main, loop, EVERY_MS);
}

function schedule(main, current, delay) {
  current.timer = setTimeout(() => tick(main, current), delay);
}

async function tick(main, current) {
  if (navigation.current !== current.turn || loop !== current) return;
  if (document.hidden) { schedule(main, current, EVERY_MS); return; }
  const age = Date.now() - current.shownAt;
  if (Date.now() - lastKey < TYPING_MS && age < LATEST_MS - TYPING_MS) { schedule(main, current, TYPING_MS); return; }
  try {
    const now = await current.read();
    if (navigation.current !== current.turn || loop !== current) return;
    if (now !== current.signature && !current.busy()) await kept(main, current);
    else current.shownAt = Date.now();
  } catch { /* offline or signed out: the next tick, or the next action, says so */ }
  if (loop === current) schedule(main, current, EVERY_MS);
}

// Paint again with the operator's own changes, focus, caret and scroll carried over.
async function kept(main, current) {
  const before = current.painted;
  const changed = fields(main).filter((el) => before.get(key(el)) !== state(el)).map((el) => [key(el), state(el)]);
  const active = document.activeElement && main.contains(document.activeElement) ? document.activeElement : null;
  const focus = active && key(active);
  const caret = active && "selectionStart" in active ? [active.selectionStart, active.selectionEnd] : null;
  const scroll = [window.scrollX, window.scrollY];
  const wide = [...main.querySelectorAll(".table-wrap")].map((el) => el.scrollLeft);
  await current.repaint();
  const now = new Map(fields(main).map((el) => [key(el), el]));
  for (const [name, value] of changed) {
    const el = now.get(name);
    if (!el) continue;
    if (el.type === "checkbox" || el.type === "radio") {
      el.checked = value;
      el.dispatchEvent(new Event("change")); // a ticked row joins the new page's selection
    } else {
      el.value = value;
      if (el.tagName !== "SELECT") el.dispatchEvent(new Event("input")); // the reply's preview follows the draft
    }
  }
  const target = focus && now.get(focus);
  if (target) {
    target.focus({ preventScroll: true });
    try { if (caret) target.setSelectionRange(...caret); } catch { /* not a text field */ }
  }
  main.querySelectorAll(".table-wrap").forEach((el, i) => { el.scrollLeft = wide[i] || 0; });
  window.scrollTo(...scroll);
}

// A stable string of an API answer, without what changes on every read (the clock, countdowns).
export function signatureOf(data) {
  return JSON.stringify(data, (name, value) =>
    ["server_time", "remaining_minutes", "overdue_minutes"].includes(name) ? undefined : value);
}
