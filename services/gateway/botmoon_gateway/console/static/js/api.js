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

/** fetch() with the key header; a 401 asks for a key and tries again. */
async function send(path, { method = "GET", body, signal, accept = "application/json" } = {}) {
  for (;;) {
    const key = sessionStorage.getItem(KEY);
    const headers = { accept };
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
    return response;
  }
}

export async function api(path, options = {}) {
  const response = await send(path, options);
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/**
 * Reads a server-sent event stream (fetch, not EventSource, so the key travels in a header): calls
 * `onEvent(name, data)` with each event's JSON; resolves when the stream ends or after the event `until`.
 */
export async function events(path, onEvent, { signal, until = "done" } = {}) {
  const response = await send(path, { signal, accept: "text/event-stream" });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let name = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (!data.length) continue;
        let parsed;
        try {
          parsed = JSON.parse(data.join("\n"));
        } catch {
          parsed = data.join("\n");
        }
        onEvent(name, parsed);
        if (name === until) return;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
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
