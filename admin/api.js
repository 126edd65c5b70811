// The operator API, with the signed-in operator's token. Errors carry the
// API's {"errors": [{field, message}]} so views can show them by field.
import { serverTime } from "./dom.js";

const config = window.CARELINE || {};
export const apiBase = (config.apiBase || "").replace(/\/$/, "");

export class ApiError extends Error {
  constructor(status, errors) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join("; ") || `HTTP ${status}`);
    this.status = status;
    this.errors = errors;
  }
}

export const session = {
  get token() { return sessionStorage.getItem("careline.token"); },
  get email() { return sessionStorage.getItem("careline.email"); },
  set(token, email) {
    sessionStorage.setItem("careline.token", token);
    sessionStorage.setItem("careline.email", email);
  },
  clear() { sessionStorage.removeItem("careline.token"); sessionStorage.removeItem("careline.email"); },
};

async function call(method, path, body, headers) {
  const response = await fetch(apiBase + path, {
    method,
    headers: {
      ...(session.token ? { Authorization: `Bearer ${session.token}` } : {}),
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) {
    const text = await response.text();
    let errors = [];
    try { errors = (JSON.parse(text) || {}).errors || []; } catch { /* not JSON */ }
    throw new ApiError(response.status, errors);
  }
  return response;
}

export async function api(method, path, body, headers = {}) {
  const text = await (await call(method, path, body, headers)).text();
  const data = text ? JSON.parse(text) : null;
  if (data && data.server_time) serverTime(data.server_time);
  return data;
}

// Save what `href` points at under `name` (another origin's link saves
// under the name its answer gives) without leaving the page.
export function save(href, name) {
  const link = Object.assign(document.createElement("a"), { href, download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

// A file the API answers (CSV, an export) saved under `name`: the token
// rides in a header, so a plain link cannot fetch it.
export async function download(path, name) {
  const href = URL.createObjectURL(await (await call("GET", path, undefined, {})).blob());
  save(href, name);
  setTimeout(() => URL.revokeObjectURL(href), 10000);
}
