// The operator API, with the signed-in operator's token. Errors carry the
// API's {"errors": [{field, message}]} so views can show them by field.
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

export async function api(method, path, body, headers = {}) {
  const response = await fetch(apiBase + path, {
    method,
    headers: {
      ...(session.token ? { Authorization: `Bearer ${session.token}` } : {}),
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, (data && data.errors) || []);
  return data;
}
