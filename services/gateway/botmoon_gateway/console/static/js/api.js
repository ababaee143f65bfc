// Calls to Botmoon's REST API from the page: JSON in and out, the API key (when the gateway asks for one)
// from session storage in a header, never in a URL.
const KEY = "botmoon.apiKey";

export class ApiError extends Error {
  constructor(status, body) {
    const fields = (body && body.fields) || [];
    const detail = fields.map((f) => `${f.field}: ${f.reason}`).join("; ");
    const message = (body && (body.error || body.detail)) || `HTTP ${status}`;
    super(detail ? `${message} (${detail})` : String(message));
    this.status = status;
    this.body = body;
    this.fields = fields;
  }
}

let askForKey = null;
let pendingKey = null;

/** `ask(refused)` must resolve to a key typed by the user; it is called once for concurrent 401s. */
export function onKeyNeeded(ask) {
  askForKey = ask;
}

export function hasKey() {
  return Boolean(sessionStorage.getItem(KEY));
}

export function forgetKey() {
  sessionStorage.removeItem(KEY);
}

async function newKey(refused) {
  if (!pendingKey) {
    pendingKey = askForKey(refused).then((key) => {
      sessionStorage.setItem(KEY, key);
      pendingKey = null;
      return key;
    });
  }
  return pendingKey;
}

export async function api(path, { method = "GET", body, signal } = {}) {
  for (;;) {
    const key = sessionStorage.getItem(KEY);
    const headers = { accept: "application/json" };
    if (key) headers["x-api-key"] = key;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(path, {
      method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 && askForKey) {
      if (key && sessionStorage.getItem(KEY) === key) sessionStorage.removeItem(KEY);
      await newKey(Boolean(key));
      continue;
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
