// Building DOM from data. Text always goes in as text (never innerHTML), so a
// customer's "<img onerror=...>" is shown, not run. No inline styles either:
// the page runs under a Content-Security-Policy without 'unsafe-inline'.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "value" && (tag === "input" || tag === "textarea" || tag === "select")) el.value = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === "") continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  if (tag === "select" && attrs.value !== undefined && attrs.value !== null) el.value = attrs.value;
  return el;
}

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined && value !== null) el.setAttribute(key, value);
  for (const child of children.flat(Infinity)) if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

// The server's clock: every answer that carries `server_time` moves it, so
// countdowns agree with the API, the sidebar and the emails, also after the
// local stage's clock was moved forward.
let offset = 0;
export function serverTime(iso) {
  if (iso) offset = new Date(iso).getTime() - Date.now();
}
export const now = () => Date.now() + offset;

export function when(iso) {
  return iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) : "—";
}

export function short(iso) {
  return iso ? new Date(iso).toLocaleString("en-GB", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }) : "—";
}

export function day(iso) {
  return new Date(`${iso}T00:00:00Z`).toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
}

export function duration(minutes) {
  const size = Math.abs(Math.round(minutes));
  if (size >= 1440) return `${Math.floor(size / 1440)} d${size % 1440 >= 60 ? ` ${Math.floor((size % 1440) / 60)} h` : ""}`;
  if (size >= 60) return `${Math.floor(size / 60)} h${size % 60 ? ` ${size % 60} min` : ""}`;
  return `${size} min`;
}

export function countdown(iso) {
  const minutes = Math.round((new Date(iso).getTime() - now()) / 60000);
  return minutes < 0 ? `${duration(minutes)} overdue` : `in ${duration(minutes)}`;
}

export function bytes(size) {
  if (size === undefined || size === null) return "";
  return size >= 1048576 ? `${(size / 1048576).toFixed(1)} MB` : size >= 1024 ? `${Math.round(size / 1024)} KB` : `${size} B`;
}

export function words(name) {
  return String(name || "").replace(/_/g, " ");
}
